#!/usr/bin/env python3
"""Interop test: an independent gRPC client (Python grpcio, stubs generated at test time with
grpc_tools.protoc from the runtime's own .proto files) against the EventMesh-cpp runtime.

  A. TCP (C++ SDK publisher) and HTTP (CloudEvents binary POST) publishers -> runtime -> a
     Python subscribeStream subscriber (Apache style: no acks).
  B. Python publish -> runtime -> a TCP subscriber (tcp_event_dump), an HTTP webhook registered
     over HTTP (/eventmesh/subscribe/local) and one registered over gRPC (subscribe with url).
  C. Python requestReply answered by a Python stream responder; a timeout answers code 22.
  D. Hostile input: missing header attributes (6), missing subject (7), bad spec version (14);
     the runtime keeps serving.

Usage: interop_test.py <runtime> <tcp_event_dump> <tcp publisher> <cloudevents.proto>
       <service.proto>
"""

import http.server
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


def fail(message):
    print(f"grpc interop: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


RUNTIME, DUMP, PUBLISHER, CE_PROTO, SERVICE_PROTO = sys.argv[1:6]
WORK = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
PROCS = []

# ---- stubs from the same .proto files, generated now ----
import grpc  # noqa: E402
from grpc_tools import protoc  # noqa: E402
import grpc_tools  # noqa: E402

proto_root = os.path.join(WORK, "proto")
gen = os.path.join(WORK, "gen")
os.makedirs(os.path.join(proto_root, "eventmesh/protocol/grpc"))
os.makedirs(gen)
for src in (CE_PROTO, SERVICE_PROTO):
    shutil.copy(src, os.path.join(proto_root, "eventmesh/protocol/grpc", os.path.basename(src)))
well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
includes = [f"-I{proto_root}"] + ([f"-I{well_known}"] if os.path.isdir(well_known) else []) + [
    "-I/usr/include"]
for name in ("eventmesh_cloudevents.proto", "eventmesh_service.proto"):
    rc = protoc.main(["protoc"] + includes + [f"--python_out={gen}", f"--grpc_python_out={gen}",
                                               f"eventmesh/protocol/grpc/{name}"])
    if rc != 0:
        fail(f"grpc_tools.protoc failed for {name}")
sys.path.insert(0, gen)
from eventmesh.protocol.grpc import eventmesh_cloudevents_pb2 as ce_pb2  # noqa: E402
from eventmesh.protocol.grpc import eventmesh_service_pb2_grpc as svc  # noqa: E402


def attr(event, name):
    value = event.attributes.get(name)
    return value.ce_string if value is not None and value.HasField("ce_string") else ""


def set_attr(event, name, value):
    event.attributes[name].ce_string = value


def header(event, pid="777"):
    for name, value in (("env", "py"), ("idc", "FT"), ("ip", "127.0.0.1"), ("pid", pid),
                        ("sys", "pysys"), ("username", "u"), ("passwd", "p"),
                        ("language", "PYTHON"), ("protocoltype", "eventmeshmessage"),
                        ("protocolversion", "1.0"), ("protocoldesc", "grpc-cloud-event")):
        set_attr(event, name, value)


COUNTER = [0]


def text_event(topic, text, ttl="4000"):
    COUNTER[0] += 1
    event = ce_pb2.CloudEvent(id=f"py-{COUNTER[0]}", source="/python", spec_version="1.0",
                              type="org.apache.eventmesh")
    header(event)
    for name, value in (("subject", topic), ("producergroup", "py-producers"), ("ttl", ttl),
                        ("seqnum", str(COUNTER[0])), ("uniqueid", f"pyu{COUNTER[0]}"),
                        ("datacontenttype", "text/plain")):
        set_attr(event, name, value)
    event.text_data = text
    return event


def subscription(group, items, url=""):
    event = ce_pb2.CloudEvent(id="sub", source="/", spec_version="1.0", type="org.apache.eventmesh")
    header(event)
    set_attr(event, "consumergroup", group)
    set_attr(event, "datacontenttype", "application/json")
    if url:
        set_attr(event, "url", url)
    event.text_data = json.dumps(items)
    return event


def code(response):
    return attr(response, "statuscode")


class Stream:
    """A bidirectional subscribeStream; a reader thread sorts events from responses."""

    def __init__(self, channel):
        self.outgoing = queue.Queue()
        self.events = queue.Queue()
        self.responses = queue.Queue()
        self.call = svc.ConsumerServiceStub(channel).subscribeStream(self._requests())
        threading.Thread(target=self._read, daemon=True).start()

    def _requests(self):
        while True:
            item = self.outgoing.get()
            if item is None:
                return
            yield item

    def _read(self):
        try:
            for message in self.call:
                # The Java SDK's rule: no seqnum and no uniqueid -> a response.
                if attr(message, "seqnum") or attr(message, "uniqueid"):
                    self.events.put(message)
                else:
                    self.responses.put(message)
        except grpc.RpcError:
            pass

    def send(self, message):
        self.outgoing.put(message)

    def close(self):
        self.outgoing.put(None)


def get(q, what, timeout=30):
    try:
        return q.get(timeout=timeout)
    except queue.Empty:
        fail(f"timeout waiting for {what}")


try:
    # ---- the runtime with TCP, HTTP and gRPC on free ports ----
    log_path = os.path.join(WORK, "runtime.log")
    log = open(log_path, "w")
    runtime = subprocess.Popen(
        [RUNTIME, "--port=0", "--http_port=0", "--admin_port=0", f"--data_dir={WORK}/data",
         "--eventMesh.server.provide.protocols=TCP,HTTP,GRPC", "--eventMesh.server.grpc.port=0",
         "--eventMesh.server.http.webhook.allow=127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
    PROCS.append(runtime)
    ports = None
    for _ in range(300):
        text = open(log_path).read()
        m = re.search(r"TCP port (\d+), HTTP port (\d+).*gRPC port (\d+)", text)
        if m:
            ports = [int(x) for x in m.groups()]
            break
        if runtime.poll() is not None:
            break
        time.sleep(0.1)
    if not ports:
        fail("runtime did not start:\n" + open(log_path).read())
    tcp_port, http_port, grpc_port = ports
    print(f"grpc interop: runtime TCP {tcp_port}, HTTP {http_port}, gRPC {grpc_port}")
    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
    publisher = svc.PublisherServiceStub(channel)
    consumer = svc.ConsumerServiceStub(channel)

    # ---- A: TCP and HTTP publishers -> Python stream subscriber ----
    stream = Stream(channel)
    stream.send(subscription("py-stream-group",
                             [{"topic": "py-in", "mode": "CLUSTERING", "type": "ASYNC"}]))
    answer = get(stream.responses, "the subscription answer")
    if code(answer) != "0" or attr(answer, "responsemessage") != "subscribe success":
        fail(f"stream subscription refused: {answer}")
    subprocess.run([PUBLISHER, f"--port={tcp_port}", "--topic=py-in", "--count=2"], check=True,
                   stdout=subprocess.DEVNULL, timeout=60)
    request = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/eventmesh/publish/py-in", data=b"from-http",
        headers={"Content-Type": "text/plain", "ce-id": "http-1", "ce-source": "/http",
                 "ce-type": "demo.http", "ce-specversion": "1.0"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            fail(f"HTTP publish answered {response.status}")
    received = {}
    for _ in range(3):
        event = get(stream.events, "events published over TCP and HTTP")
        if attr(event, "subject") != "py-in":
            fail(f"pushed event without its topic: {event}")
        received[event.text_data or event.binary_data.decode()] = event
    if set(received) != {"hello #0", "hello #1", "from-http"}:
        fail(f"stream subscriber got {sorted(received)}")
    if received["from-http"].id != "http-1" or received["from-http"].type != "demo.http":
        fail(f"the HTTP CloudEvent changed: {received['from-http']}")
    print("grpc interop: PASS A (TCP and HTTP publishers -> Python gRPC stream subscriber)")

    # ---- B: Python publisher -> TCP subscriber and HTTP webhooks ----
    dump_out = os.path.join(WORK, "dump.out")
    dump = subprocess.Popen([DUMP, f"--port={tcp_port}", "--topic=py-out", "--count=1",
                             "--timeout_s=60"], stdout=open(dump_out, "w"))
    PROCS.append(dump)
    hooks = queue.Queue()

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hooks.put((self.path, self.headers, body))
            answer = b'{"retCode":0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def do_OPTIONS(self):  # noqa: N802 (CloudEvents webhook validation)
            self.send_response(200)
            self.send_header("WebHook-Allowed-Origin",
                             self.headers.get("WebHook-Request-Origin", "*"))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    hook_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook_server.serve_forever, daemon=True).start()
    hook_base = f"http://127.0.0.1:{hook_server.server_address[1]}"
    # An HTTP-protocol webhook subscription ...
    body = json.dumps({"url": f"{hook_base}/http-sub", "consumerGroup": "py-http-group",
                       "pushformat": "cloudevents-structured",
                       "topic": [{"topic": "py-out", "mode": "CLUSTERING", "type": "ASYNC"}]})
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}/eventmesh/subscribe/local",
                                     data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        if json.loads(response.read()).get("retCode") != 0:
            fail("HTTP webhook subscription refused")
    # ... and a gRPC webhook subscription (subscribe with url).
    answer = consumer.subscribe(subscription(
        "py-grpc-hook-group", [{"topic": "py-out", "mode": "CLUSTERING", "type": "ASYNC"}],
        url=f"{hook_base}/grpc-sub"), timeout=30)
    if code(answer) != "0" or attr(answer, "responsemessage") != "success subscribe success":
        fail(f"gRPC webhook subscription refused: {answer}")
    for _ in range(300):  # the TCP subscriber prints "listening" once subscribed
        if "listening" in open(dump_out).read() or dump.poll() is not None:
            break
        time.sleep(0.1)
    if "listening" not in open(dump_out).read():
        fail("tcp_event_dump did not subscribe")
    answer = publisher.publish(text_event("py-out", "from-python"), timeout=30)
    if code(answer) != "0":
        fail(f"publish refused: {answer}")
    if dump.wait(timeout=90) != 0:
        fail("the TCP subscriber did not receive the gRPC-published event")
    dumped = [json.loads(line) for line in open(dump_out) if line.startswith("{")]
    # protocoltype eventmeshmessage: the TCP subscriber receives an EventMesh message.
    if not dumped or dumped[0].get("body") != "from-python" or dumped[0].get("topic") != "py-out":
        fail(f"TCP subscriber got {dumped}")
    paths = {}
    for _ in range(2):
        path, headers, payload = get(hooks, "webhook pushes", 60)
        paths[path] = payload
    if set(paths) != {"/http-sub", "/grpc-sub"}:
        fail(f"webhook pushes went to {sorted(paths)}")
    structured = json.loads(paths["/http-sub"])
    if structured.get("data") != "from-python":
        fail(f"HTTP webhook got {structured}")
    form = urllib.parse.parse_qs(paths["/grpc-sub"].decode())
    if form.get("content") != ["from-python"] or form.get("topic") != ["py-out"]:
        fail(f"gRPC webhook got {form}")
    print("grpc interop: PASS B (Python gRPC publisher -> TCP subscriber, HTTP and gRPC webhooks)")

    # ---- C: request-reply between Python clients ----
    responder = Stream(channel)
    responder.send(subscription("py-responders",
                                [{"topic": "py-rpc", "mode": "CLUSTERING", "type": "SYNC"}]))
    if code(get(responder.responses, "the responder's subscription answer")) != "0":
        fail("responder subscription refused")

    def answer_one():
        request_event = get(responder.events, "the request")
        reply = ce_pb2.CloudEvent()
        reply.CopyFrom(request_event)
        reply.id = "py-reply"
        header(reply, pid="778")
        set_attr(reply, "submessagetype", "subscription_reply")
        set_attr(reply, "datacontenttype", "text/plain")
        reply.text_data = "pong:" + request_event.text_data
        responder.send(reply)

    worker = threading.Thread(target=answer_one)
    worker.start()
    reply = publisher.requestReply(text_event("py-rpc", "ping", ttl="20000"), timeout=30)
    worker.join()
    if reply.text_data != "pong:ping" or attr(reply, "statuscode"):
        fail(f"requestReply answered {reply}")
    timeout = publisher.requestReply(text_event("py-nobody", "ping", ttl="300"), timeout=30)
    if code(timeout) != "22":
        fail(f"an unanswered request got {timeout}")
    print("grpc interop: PASS C (requestReply through a Python stream responder; timeout 22)")

    # ---- D: hostile input ----
    bad = text_event("py-in", "x")
    del bad.attributes["idc"]
    if code(publisher.publish(bad, timeout=30)) != "6":
        fail("missing idc did not answer 6")
    bad = text_event("py-in", "x")
    del bad.attributes["subject"]
    if code(publisher.publish(bad, timeout=30)) != "7":
        fail("missing subject did not answer 7")
    bad = text_event("py-in", "x")
    bad.spec_version = "7.0"
    if code(publisher.publish(bad, timeout=30)) != "14":
        fail("a bad spec version did not answer 14")
    if code(publisher.publish(text_event("py-in", "still-serving"), timeout=30)) != "0":
        fail("the runtime stopped serving after hostile input")
    if get(stream.events, "the event after hostile input").text_data != "still-serving":
        fail("the subscriber missed the event after hostile input")
    print("grpc interop: PASS D (hostile input answered precisely; the runtime keeps serving)")
    stream.close()
    responder.close()
finally:
    for proc in PROCS:
        if proc.poll() is None:
            proc.terminate()
    for proc in PROCS:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
print("grpc interop: PASS")
