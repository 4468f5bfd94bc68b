#!/usr/bin/env node
// Compares events: every line of <expected> (JSON {"id","type","source","data"} from emit.js)
// must have a line in <actual> with the same id, type, source and (deep-equal) data. <actual>
// lines are either that shape (receiver.js) or structured CloudEvents JSON (tcp_event_dump).
// Usage: node check.js <expected file> <actual file>. Exits 1 naming the first mismatch.
"use strict";

const fs = require("fs");
const assert = require("assert");

function lines(file) {
  return fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l));
}

const [expectedFile, actualFile] = process.argv.slice(2);
const expected = lines(expectedFile);
const actual = lines(actualFile);
if (expected.length === 0) {
  console.error(`check.js: no events in ${expectedFile}`);
  process.exit(1);
}
for (const e of expected) {
  const a = actual.find((x) => x.id === e.id);
  if (!a) {
    console.error(`check.js: event ${e.id} missing from ${actualFile}: ${JSON.stringify(actual)}`);
    process.exit(1);
  }
  try {
    assert.strictEqual(a.type, e.type, "type");
    assert.strictEqual(a.source, e.source, "source");
    assert.deepStrictEqual(a.data, e.data, "data");
  } catch (err) {
    console.error(`check.js: event ${e.id} differs: ${err.message}`);
    process.exit(1);
  }
}
console.log(`check.js: ${expected.length} events round-tripped (${expected.map((e) => e.id)})`);
