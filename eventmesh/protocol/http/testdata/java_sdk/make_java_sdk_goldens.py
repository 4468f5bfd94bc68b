#!/usr/bin/env python3
"""Writes the HTTP requests of this folder exactly as Apache EventMesh's Java SDK sends them.

Follows, at apache/eventmesh commit 2527428788cb8af6104db600dffea5746fb5479f (see README.md):
  eventmesh-sdks/eventmesh-sdk-java/.../client/http/producer/EventMeshMessageProducer.java
  eventmesh-sdks/eventmesh-sdk-java/.../client/http/consumer/EventMeshHttpConsumer.java
  eventmesh-sdks/eventmesh-sdk-java/.../client/http/model/RequestParam.java   (HashMaps)
  eventmesh-sdks/eventmesh-sdk-java/.../client/http/util/HttpUtils.java        (HttpPost)
  eventmesh-common/.../protocol/http/common/{ProtocolKey,RequestCode}.java, body/**  (key names)
and Apache HttpClient 4.5: user headers in the iteration order of RequestParam's HashMap, then
Content-Length, Content-Type, Host, Connection, User-Agent, Accept-Encoding (its request
interceptors, in that order); the body is UrlEncodedFormEntity (UTF-8; letters, digits and
"-_.*" kept, space as "+", the rest %XX upper case; a null value is the bare name). The
User-Agent string names the HttpClient and Java versions of the sender; the server ignores it.
Run from this directory: python3 make_java_sdk_goldens.py
"""
import os

OUT = os.path.dirname(os.path.abspath(__file__))


def java_string_hash(s):
    h = 0
    for unit in s.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h


def java_hashmap_order(keys):
    """Iteration order of a java.util.HashMap filled with `keys` in this order."""
    capacity = 16
    ordered = []
    for k in keys:
        if k not in ordered:
            ordered.append(k)
        while len(ordered) > capacity * 3 // 4:
            capacity *= 2
    def index(k):
        h = java_string_hash(k)
        return (h ^ (h >> 16)) & (capacity - 1)
    return sorted(ordered, key=lambda k: (index(k), ordered.index(k)))


def jstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bean(fields):
    """Jackson: declaration order, null left out, nested JSON given as ('raw', text)."""
    out = []
    for name, value in fields:
        if value is None:
            continue
        out.append(jstr(name) + ":" + (value[1] if isinstance(value, tuple) else jstr(value)))
    return "{" + ",".join(out) + "}"


SAFE = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.*")


def form_encode(s):
    out = []
    for b in s.encode("utf-8"):
        if b in SAFE:
            out.append(chr(b))
        elif b == 0x20:
            out.append("+")
        else:
            out.append("%%%02X" % b)
    return "".join(out)


class RequestParam:
    def __init__(self):
        self.headers = {}
        self.header_keys = []
        self.body = {}
        self.body_keys = []

    def add_header(self, k, v):
        self.headers[k] = v
        self.header_keys.append(k)
        return self

    def add_body(self, k, v):
        self.body[k] = v
        self.body_keys.append(k)
        return self

    def post(self, host="127.0.0.1:10105"):
        body = "&".join(
            form_encode(k) + ("" if self.body[k] is None else "=" + form_encode(self.body[k]))
            for k in java_hashmap_order(self.body_keys))
        lines = ["POST / HTTP/1.1"]
        lines += ["%s: %s" % (k, self.headers[k]) for k in java_hashmap_order(self.header_keys)]
        lines += ["Content-Length: %d" % len(body.encode()),
                  "Content-Type: application/x-www-form-urlencoded; charset=UTF-8",
                  "Host: " + host, "Connection: Keep-Alive",
                  "User-Agent: Apache-HttpClient/4.5.14 (Java/1.8.0_392)",
                  "Accept-Encoding: gzip,deflate"]
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


# EventMeshHttpClientConfig as the examples fill it (ExampleConstants / initEventMeshHttpClientConfig).
CONFIG = dict(env="test", idc="FT", ip="192.168.1.10", pid="32893", sys="1234",
              userName="eventmesh", password="pass",
              producerGroup="EventMeshTest-producerGroup",
              consumerGroup="EventMeshTest-consumerGroup")


def producer_common(topic, content, ttl, biz, uniq):
    # EventMeshMessageProducer.buildCommonPostParam
    return (RequestParam()
            .add_header("env", CONFIG["env"]).add_header("idc", CONFIG["idc"])
            .add_header("ip", CONFIG["ip"]).add_header("pid", CONFIG["pid"])
            .add_header("sys", CONFIG["sys"]).add_header("username", CONFIG["userName"])
            .add_header("passwd", CONFIG["password"]).add_header("version", "1.0")
            .add_header("protocoltype", "eventmeshmessage").add_header("protocoldesc", "http")
            .add_header("protocolversion", "1.0").add_header("language", "JAVA")
            .add_body("producergroup", CONFIG["producerGroup"]).add_body("topic", topic)
            .add_body("content", content).add_body("ttl", ttl)
            .add_body("bizseqno", biz).add_body("uniqueid", uniq))


def consumer_common():
    # EventMeshHttpConsumer.buildCommonRequestParam
    return (RequestParam()
            .add_header("env", CONFIG["env"]).add_header("idc", CONFIG["idc"])
            .add_header("ip", CONFIG["ip"]).add_header("pid", CONFIG["pid"])
            .add_header("sys", CONFIG["sys"]).add_header("username", CONFIG["userName"])
            .add_header("passwd", CONFIG["password"]).add_header("version", "1.0")
            .add_header("language", "JAVA")
            .add_body("consumerGroup", CONFIG["consumerGroup"]))


CONTENT = bean([("content", "testPublishMessage")])  # JsonUtils.toJSONString(Map content)
SUB_URL = "http://127.0.0.1:8088/sub/test"
ITEM = bean([("topic", "TEST-TOPIC-HTTP-ASYNC"), ("mode", "CLUSTERING"), ("type", "ASYNC")])

GOLDENS = {
    # EventMeshHttpProducer.publish(EventMeshMessage) with prop ttl=4000 (AsyncPublishInstance).
    "publish_async_104": producer_common(
        "TEST-TOPIC-HTTP-ASYNC", CONTENT, "4000", "391720458163027485910364728153",
        "820461739502816473920586134720").add_header("code", "104").post(),
    # The same without a ttl property: message.getProp("ttl") is null, sent as a bare "ttl".
    "publish_async_no_ttl_104": producer_common(
        "TEST-TOPIC-HTTP-ASYNC", CONTENT, None, "502817364920183746501928374650",
        "610293847561029384756102938475").add_header("code", "104").post(),
    # EventMeshHttpProducer.request(EventMeshMessage, timeout) with prop ttl=3000.
    "request_sync_101": producer_common(
        "TEST-TOPIC-HTTP-SYNC", CONTENT, "3000", "728391046518273940561827394056",
        "193847560192837465019283746501").add_header("code", "101").post(),
    # EventMeshHttpConsumer.subscribe([item], url)
    "subscribe_206": consumer_common().add_header("code", "206")
        .add_body("topic", "[" + ITEM + "]").add_body("consumerGroup", CONFIG["consumerGroup"])
        .add_body("url", SUB_URL).post(),
    # EventMeshHttpConsumer.heartBeat([item], url): one HeartbeatEntity {topic, url}.
    "heartbeat_203": consumer_common().add_header("code", "203")
        .add_body("clientType", "SUB")
        .add_body("heartbeatEntities",
                  "[" + bean([("topic", "TEST-TOPIC-HTTP-ASYNC"), ("serviceId", None),
                              ("url", SUB_URL), ("instanceId", None)]) + "]").post(),
    # EventMeshHttpConsumer.unsubscribe([topic], url)
    "unsubscribe_207": consumer_common().add_header("code", "207")
        .add_body("topic", '["TEST-TOPIC-HTTP-ASYNC"]').add_body("url", SUB_URL).post(),
}

if __name__ == "__main__":
    for name, data in GOLDENS.items():
        with open(os.path.join(OUT, name + ".http"), "wb") as f:
            f.write(data)
    print("wrote %d requests to %s" % (len(GOLDENS), OUT))
