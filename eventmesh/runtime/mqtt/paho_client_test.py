#!/usr/bin/python3
"""Eclipse Paho (Debian's python3-paho-mqtt) against the runtime's MQTT port.

Usage: paho_client_test.py PORT
For MQTT 3.1.1 and 5.0: subscribe to a wildcard filter, wait for the SUBACK, publish QoS 0 and 1
messages on a topic with levels (the QoS 1 publish completes only on the PUBACK), receive them;
MQTT 5 user properties arrive as CloudEvent attributes; a shared subscription delivers each
message to one of two members. Exits non-zero naming the first failed check.
"""
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

PORT = int(sys.argv[1])
TIMEOUT = 10.0


def fail(what):
    print("FAIL:", what)
    sys.exit(1)


class Client:
    def __init__(self, client_id, protocol):
        self.messages = []
        self.cond = threading.Condition()
        self.subscribed = threading.Event()
        self.connected = threading.Event()
        self.c = mqtt.Client(client_id=client_id, protocol=protocol)
        self.c.on_connect = self._on_connect
        self.c.on_message = self._on_message
        self.c.on_subscribe = self._on_subscribe
        self.c.connect("127.0.0.1", PORT, keepalive=30)
        self.c.loop_start()
        if not self.connected.wait(TIMEOUT):
            fail(client_id + ": no CONNACK")

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        if rc != 0:
            fail("CONNACK %s" % rc)
        self.connected.set()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        self.subscribed.set()

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    def subscribe(self, topic, qos=1):
        self.subscribed.clear()
        self.c.subscribe(topic, qos)
        if not self.subscribed.wait(TIMEOUT):
            fail("no SUBACK for " + topic)

    def wait(self, count):
        deadline = time.time() + TIMEOUT
        with self.cond:
            while len(self.messages) < count and time.time() < deadline:
                self.cond.wait(deadline - time.time())
            return list(self.messages)

    def stop(self):
        self.c.disconnect()
        self.c.loop_stop()


for name, protocol in (("v311", mqtt.MQTTv311), ("v5", mqtt.MQTTv5)):
    sub = Client("paho-sub-" + name, protocol)
    pub = Client("paho-pub-" + name, protocol)
    sub.subscribe("paho/%s/+/temp" % name, 1)
    topic = "paho/%s/kitchen/temp" % name
    props = None
    if protocol == mqtt.MQTTv5:
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("tenant", "acme")]
    info = pub.c.publish(topic, b"qos1", qos=1, properties=props)
    info.wait_for_publish(TIMEOUT)
    if not info.is_published():
        fail(name + ": QoS 1 publish not acknowledged")
    pub.c.publish(topic, b"qos0", qos=0)
    got = sub.wait(2)
    payloads = sorted(m.payload for m in got)
    if payloads != [b"qos0", b"qos1"]:
        fail("%s: received %r" % (name, payloads))
    if any(m.topic != topic for m in got):
        fail(name + ": wrong topic")
    if protocol == mqtt.MQTTv5:
        qos1 = [m for m in got if m.payload == b"qos1"][0]
        user = dict(getattr(qos1.properties, "UserProperty", []))
        if user.get("tenant") != "acme" or user.get("specversion") != "1.0" or not user.get("id"):
            fail("v5: user properties %r" % user)
    print("ok: paho", name)
    sub.stop()
    pub.stop()

# Shared subscription (MQTT 5): each message reaches exactly one member.
a = Client("paho-share-a", mqtt.MQTTv5)
b = Client("paho-share-b", mqtt.MQTTv5)
a.subscribe("$share/paho-workers/paho/jobs", 1)
b.subscribe("$share/paho-workers/paho/jobs", 1)
pub = Client("paho-share-pub", mqtt.MQTTv5)
for i in range(20):
    pub.c.publish("paho/jobs", b"job-%d" % i, qos=1).wait_for_publish(TIMEOUT)
deadline = time.time() + TIMEOUT
while len(a.messages) + len(b.messages) < 20 and time.time() < deadline:
    time.sleep(0.05)
all_jobs = sorted(m.payload for m in a.messages + b.messages)
if all_jobs != sorted(b"job-%d" % i for i in range(20)):
    fail("shared subscription delivered %r" % all_jobs)
print("ok: paho shared subscription (%d + %d)" % (len(a.messages), len(b.messages)))
for c in (a, b, pub):
    c.stop()
print("PASS")
