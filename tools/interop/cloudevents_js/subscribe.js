#!/usr/bin/env node
// Registers a webhook with the runtime through /eventmesh/subscribe/local (JSON body).
// Usage: node subscribe.js <runtime http url> <topic> <consumer group> <webhook url> <pushformat>
// pushformat: eventmesh | cloudevents-binary | cloudevents-structured. Exits 0 on retCode 0.
"use strict";

async function main() {
  const [base, topic, group, url, pushformat] = process.argv.slice(2);
  if (!pushformat) {
    console.error("usage: subscribe.js <runtime url> <topic> <group> <webhook url> <pushformat>");
    process.exit(2);
  }
  const body = { url, consumerGroup: group, pushformat,
                 topic: [{ topic, mode: "CLUSTERING", type: "ASYNC" }] };
  const res = await fetch(`${base}/eventmesh/subscribe/local`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let answer = {};
  try { answer = JSON.parse(text); } catch (e) { /* reported below */ }
  if (res.status !== 200 || answer.retCode !== 0) {
    console.error(`subscribe.js: runtime answered HTTP ${res.status}: ${text}`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(`subscribe.js: ${e.stack || e}`); process.exit(1); });
