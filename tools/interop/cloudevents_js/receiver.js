#!/usr/bin/env node
// A webhook endpoint built on Node's http module and the official CloudEvents JavaScript SDK:
// every POST is parsed with HTTP.toEvent (binary or structured content mode) and written as
// one JSON line {"id","type","source","subject","data"} to <out file>; the CloudEvents webhook
// validation handshake (OPTIONS + WebHook-Request-Origin) is answered. Usage:
//   node receiver.js <port file> <out file> <expected events> <timeout seconds>
// Listens on 127.0.0.1 and a free port, writes the port to <port file>, exits 0 once
// <expected events> events arrived, 1 on timeout or on a push it cannot parse.
"use strict";

const fs = require("fs");
const http = require("http");
const { HTTP } = require("cloudevents");

const [portFile, outFile, expectedText, timeoutText] = process.argv.slice(2);
if (!portFile || !outFile || !expectedText || !timeoutText) {
  console.error("usage: receiver.js <port file> <out file> <expected events> <timeout seconds>");
  process.exit(2);
}
const expected = Number(expectedText);
let received = 0;

const server = http.createServer((req, res) => {
  if (req.method === "OPTIONS") {
    const origin = req.headers["webhook-request-origin"];
    const headers = { Allow: "POST, OPTIONS" };
    if (origin) headers["WebHook-Allowed-Origin"] = origin;
    res.writeHead(200, headers);
    res.end();
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let event;
    try {
      event = HTTP.toEvent({ headers: req.headers, body });
    } catch (e) {
      console.error(`receiver.js: cannot parse push (${e.message}); headers ${
          JSON.stringify(req.headers)}; body ${body}`);
      res.writeHead(400);
      res.end(String(e.message));
      process.exitCode = 1;
      return;
    }
    const events = Array.isArray(event) ? event : [event];
    for (const e of events) {
      fs.appendFileSync(outFile, JSON.stringify({ id: e.id, type: e.type, source: e.source,
                                                  subject: e.subject, data: e.data }) + "\n");
      received++;
    }
    res.writeHead(200);
    res.end();
    if (received >= expected) {
      server.close();
      setTimeout(() => process.exit(process.exitCode || 0), 100);
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  fs.writeFileSync(portFile, String(server.address().port));
});

setTimeout(() => {
  console.error(`receiver.js: timeout: ${received} of ${expected} events arrived`);
  process.exit(1);
}, Number(timeoutText) * 1000).unref();
