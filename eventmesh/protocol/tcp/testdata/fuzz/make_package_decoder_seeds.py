#!/usr/bin/env python3
"""Writes the seed corpus of package_decoder_fuzzer (see package_decoder_fuzzer.cc).

Each seed is: control byte, chunk-size bytes, then EventMesh TCP frames built from the
reference layout. Run from this directory: python3 make_package_decoder_seeds.py
"""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "package_decoder")


def frame(header, body=b"", legacy=False):
    h = json.dumps(header, separators=(",", ":")).encode()
    length = (8 if legacy else 13) + len(h) + len(body)
    return b"EventMesh0000" + struct.pack(">ii", length, len(h)) + h + body


def hdr(cmd, seq="1234567890", props=None, **extra):
    d = {"cmd": cmd, "code": 0, "seq": seq, "properties": props or {}, "command": cmd}
    d.update(extra)
    return d


USER_AGENT = json.dumps({"env": "test", "subsystem": "5023", "path": "/data/app", "pid": 32893,
                         "host": "127.0.0.1", "port": 8362, "version": "2.0.11",
                         "username": "PU4283", "password": "PUPASS", "idc": "FT",
                         "group": "EventmeshTestGroup", "purpose": "sub", "unack": 0},
                        separators=(",", ":")).encode()
SUB = b'{"topicList":[{"topic":"TEST-TOPIC","mode":"CLUSTERING","type":"ASYNC"}]}'
MSG = json.dumps({"topic": "TEST-TOPIC", "body": "x" * 64, "properties": {"ttl": "30000"},
                  "headers": {}}, separators=(",", ":")).encode()
PUB_PROPS = {"protocoltype": "eventmeshmessage", "protocolversion": "1.0", "protocoldesc": "tcp"}
CE = b'{"specversion":"1.0","id":"1","source":"/","type":"t","datacontenttype":"application/json","data":{"a":1}}'


def session(legacy):
    return (frame(hdr("HELLO_REQUEST"), USER_AGENT, legacy)
            + frame(hdr("SUBSCRIBE_REQUEST", "2"), SUB, legacy)
            + frame(hdr("LISTEN_REQUEST", "3"), b"", legacy)
            + frame(hdr("ASYNC_MESSAGE_TO_SERVER", "4", PUB_PROPS), MSG, legacy)
            + frame(hdr("ASYNC_MESSAGE_TO_SERVER", "5", dict(PUB_PROPS, protocoltype="cloudevents")),
                    CE, legacy)
            + frame(hdr("HEARTBEAT_REQUEST", "6"), b"", legacy))


SEEDS = {
    "hello_current_one_feed": bytes([0]) + frame(hdr("HELLO_REQUEST"), USER_AGENT),
    "hello_legacy_one_feed": bytes([0]) + frame(hdr("HELLO_REQUEST"), USER_AGENT, legacy=True),
    "session_current_chunks": bytes([3, 6, 40, 200]) + session(False),
    "session_legacy_chunks": bytes([2, 0, 17]) + session(True),
    "session_current_preset": bytes([0x08 | 1, 255]) + session(False),
    "session_legacy_preset": bytes([0x10 | 1, 100]) + session(True),
    "legacy_v12_header": bytes([0]) + frame({"command": "HEARTBEAT_REQUEST", "code": 0,
                                             "msg": "ok", "seq": 7}, b"", legacy=True),
    "redirect_numeric_cmd": bytes([1, 9]) + frame({"cmd": 30, "code": 0},
                                                  b'{"ip":"10.0.0.1","port":10000}'),
    "bad_magic": bytes([0]) + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("wrote", len(SEEDS), "seeds to", OUT)
