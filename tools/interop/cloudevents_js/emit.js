#!/usr/bin/env node
// Emits two CloudEvents with the official CloudEvents JavaScript SDK to the EventMesh runtime's
// HTTP port: one in binary content mode (emitterFor + httpTransport), one in structured mode
// (HTTP.structured + fetch). Usage:
//   node emit.js <runtime http url, e.g. http://127.0.0.1:10105> <topic> <id prefix>
// Prints one JSON line per event ({"mode","id","type","source","data"}) and exits 0 when the
// runtime answered retCode 0 for both; otherwise prints the answer and exits 1.
"use strict";

const { CloudEvent, HTTP, Mode, emitterFor, httpTransport } = require("cloudevents");

function fail(message) {
  console.error(`emit.js: ${message}`);
  process.exit(1);
}

function checkAnswer(mode, status, body) {
  let answer;
  try {
    answer = JSON.parse(body);
  } catch (e) {
    fail(`${mode}: runtime answered HTTP ${status} with a body that is not JSON: ${body}`);
  }
  if (answer.retCode !== 0) {
    fail(`${mode}: runtime answered HTTP ${status} retCode ${answer.retCode}: ${answer.retMsg}`);
  }
}

async function main() {
  const [base, topic, prefix] = process.argv.slice(2);
  if (!base || !topic || !prefix) fail("usage: emit.js <runtime url> <topic> <id prefix>");
  const sink = `${base}/eventmesh/publish/${topic}`;

  const binary = new CloudEvent({
    id: `${prefix}-binary`,
    type: "org.example.interop.binary",
    source: "/interop/cloudevents-js",
    subject: topic,
    datacontenttype: "application/json",
    data: { mode: "binary", n: 1, text: "héllo wörld" },
    jsextension: "from-js",
  });
  // The SDK's own emitter and HTTP transport, binary content mode.
  const emit = emitterFor(httpTransport(sink), { mode: Mode.BINARY });
  const response = await emit(binary);
  checkAnswer("binary", "(httpTransport hides it)", response.body);
  console.log(JSON.stringify({ mode: "binary", id: binary.id, type: binary.type,
                               source: binary.source, data: binary.data }));

  const structured = new CloudEvent({
    id: `${prefix}-structured`,
    type: "org.example.interop.structured",
    source: "/interop/cloudevents-js",
    subject: topic,
    datacontenttype: "application/json",
    data: { mode: "structured", n: 2, list: [1, 2, 3] },
  });
  // HTTP.structured builds the message; fetch (Node 20) sends it.
  const message = HTTP.structured(structured);
  const res = await fetch(sink, { method: "POST", headers: message.headers, body: message.body });
  checkAnswer("structured", res.status, await res.text());
  if (res.status !== 200) fail(`structured: HTTP ${res.status}`);
  console.log(JSON.stringify({ mode: "structured", id: structured.id, type: structured.type,
                               source: structured.source, data: structured.data }));
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
