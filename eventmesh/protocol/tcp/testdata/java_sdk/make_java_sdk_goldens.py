#!/usr/bin/env python3
"""Writes the TCP frames of this folder exactly as Apache EventMesh's Java SDK encodes them.

Follows, at apache/eventmesh commit 2527428788cb8af6104db600dffea5746fb5479f (see README.md):
  eventmesh-common/.../protocol/tcp/codec/Codec.java      frame layout (Encoder.encode)
  eventmesh-common/.../utils/JsonUtils.java               Jackson ObjectMapper, NON_NULL inclusion
  eventmesh-common/.../protocol/tcp/{Header,UserAgent,EventMeshMessage,Subscription}.java
  eventmesh-common/.../protocol/SubscriptionItem.java
  eventmesh-sdks/eventmesh-sdk-java/.../client/tcp/common/MessageUtils.java   packages built

Jackson writes a bean's properties in field declaration order, then getter-only properties
(Header.getCommand() adds "command"), leaves out null values (NON_NULL), writes enums by name and
maps in their iteration order: java.util.HashMap / ConcurrentHashMap order is emulated below
(bucket index of the spread String.hashCode, then insertion order). Run from this directory:
python3 make_java_sdk_goldens.py
"""
import os
import struct

OUT = os.path.dirname(os.path.abspath(__file__))


def java_string_hash(s):
    h = 0
    for unit in s.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h


def java_hashmap_order(keys, concurrent=False):
    """Iteration order of a java.util.HashMap (or ConcurrentHashMap) filled with `keys` in order."""
    capacity = 16
    ordered = []
    for k in keys:
        if k not in ordered:
            ordered.append(k)
        # HashMap resizes when size > 0.75 * capacity; ConcurrentHashMap when size >= it.
        while (len(ordered) >= capacity * 3 // 4) if concurrent else (len(ordered) > capacity * 3 // 4):
            capacity *= 2
    def index(k):
        h = java_string_hash(k)
        return ((h ^ (h >> 16)) & 0x7FFFFFFF) & (capacity - 1)
    return sorted(ordered, key=lambda k: (index(k), ordered.index(k)))


def jstr(s):
    """A JSON string as Jackson writes it (escapes quote, backslash and control characters)."""
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\n\r\t\b\f":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}[ch])
        elif ord(ch) < 0x20:
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jmap(items, concurrent=False):
    """A Map<String, String|Object> given as (key, value) pairs in insertion order."""
    values = dict(items)
    keys = java_hashmap_order([k for k, _ in items], concurrent)
    return "{" + ",".join(jstr(k) + ":" + jstr(values[k]) for k in keys) + "}"


def bean(fields):
    """A Jackson bean: (name, value) in declaration order; None is left out (NON_NULL)."""
    parts = []
    for name, value in fields:
        if value is None:
            continue
        if isinstance(value, bool):
            raise ValueError(name)
        if isinstance(value, int):
            parts.append(jstr(name) + ":" + str(value))
        elif isinstance(value, str) and value.startswith("\0raw:"):
            parts.append(jstr(name) + ":" + value[5:])
        else:
            parts.append(jstr(name) + ":" + jstr(value))
    return "{" + ",".join(parts) + "}"


def raw(text):
    return "\0raw:" + text


def header(cmd, seq, properties=()):
    # Header: cmd, code, desc (null: left out), seq, properties; then getCommand() -> "command".
    return bean([("cmd", cmd), ("code", 0), ("desc", None), ("seq", seq),
                 ("properties", raw(jmap(list(properties)))), ("command", cmd)])


def frame(header_json, body=b""):
    h = header_json.encode("utf-8")
    # Codec.Encoder: MAGIC "EventMesh", VERSION "0000", length = 13 + H + B, H, header, body.
    return b"EventMesh" + b"0000" + struct.pack(">ii", 13 + len(h) + len(body), len(h)) + h + body


def user_agent(purpose):
    # EventMeshTestUtils.generateClient1/2 -> MessageUtils.generatePubClient/generateSubClient
    # (getUserAgent copies every field but token; unack is @Builder.Default 0).
    return bean([("env", "test"), ("subsystem", "5023"), ("path", "/data/app/umg_proxy"),
                 ("pid", 32893), ("host", "127.0.0.1"), ("port", 8362), ("version", "2.0.11"),
                 ("username", "eventmesh"), ("password", "pass"), ("token", None), ("idc", "FT"),
                 ("group", "EventmeshTestGroup"), ("purpose", purpose), ("unack", 0)])


def event_mesh_message(topic, properties, body):
    # EventMeshMessage: topic, properties, headers (ConcurrentHashMaps), body.
    return bean([("topic", topic), ("properties", raw(jmap(properties, concurrent=True))),
                 ("headers", raw(jmap([], concurrent=True))), ("body", body)])


# MessageUtils.buildPackage for an EventMeshMessage puts these three, in this order.
MESSAGE_PROPERTIES = [("protocoltype", "eventmeshmessage"), ("protocolversion", "1.0"),
                      ("protocoldesc", "tcp")]
PUSH_BODY = event_mesh_message("TEST-TOPIC-TCP-ASYNC", [("ttl", "30000"), ("keys", "4d2c")],
                               "testAsyncMessage")

GOLDENS = {
    # MessageUtils.hello(MessageUtils.generatePubClient(agent))
    "hello_pub": frame(header("HELLO_REQUEST", "4170325681"), user_agent("pub").encode()),
    # MessageUtils.hello(MessageUtils.generateSubClient(agent))
    "hello_sub": frame(header("HELLO_REQUEST", "5208163347"), user_agent("sub").encode()),
    # MessageUtils.heartBeat(): no body (JsonUtils.toJSONBytes(null) is null).
    "heartbeat": frame(header("HEARTBEAT_REQUEST", "7312058846")),
    # MessageUtils.subscribe(topic, CLUSTERING, ASYNC)
    "subscribe": frame(header("SUBSCRIBE_REQUEST", "2635104788"),
                       bean([("topicList", raw("[" + bean([("topic", "TEST-TOPIC-TCP-ASYNC"),
                                                           ("mode", "CLUSTERING"),
                                                           ("type", "ASYNC")]) + "]"))]).encode()),
    # MessageUtils.listen()
    "listen": frame(header("LISTEN_REQUEST", "8041726355")),
    # MessageUtils.buildPackage(eventMeshMessage, ASYNC_MESSAGE_TO_SERVER)
    "publish_async": frame(header("ASYNC_MESSAGE_TO_SERVER", "3582017466", MESSAGE_PROPERTIES),
                           PUSH_BODY.encode()),
    # MessageUtils.buildPackage(eventMeshMessage, BROADCAST_MESSAGE_TO_SERVER)
    "publish_broadcast": frame(
        header("BROADCAST_MESSAGE_TO_SERVER", "6024481735", MESSAGE_PROPERTIES),
        event_mesh_message("TEST-TOPIC-TCP-BROADCAST", [("ttl", "30000")],
                           "testBroadcastMessage").encode()),
    # MessageUtils.asyncMessageAck(push): the push's seq, no properties, and the push's body as
    # the Java decoder left it (a String), so Jackson writes it as a JSON string.
    "async_message_ack": frame(header("ASYNC_MESSAGE_TO_CLIENT_ACK", "15"),
                               jstr(PUSH_BODY).encode()),
    # MessageUtils.unsubscribe(): no body.
    "unsubscribe": frame(header("UNSUBSCRIBE_REQUEST", "4462810573")),
    # MessageUtils.goodbye()
    "goodbye": frame(header("CLIENT_GOODBYE_REQUEST", "1750386624")),
}

if __name__ == "__main__":
    for name, data in GOLDENS.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
    print("wrote %d frames to %s" % (len(GOLDENS), OUT))
