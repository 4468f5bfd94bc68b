#ifndef EVENTMESH_RUNTIME_MQTT_EVENT_MAPPING_H_
#define EVENTMESH_RUNTIME_MQTT_EVENT_MAPPING_H_

// MQTT messages <-> CloudEvents, following the CloudEvents MQTT protocol binding. Pure
// functions; thread-safe.
//
// Inbound (a client's PUBLISH -> the event published in the mesh), first rule that applies:
//  1. structured mode: MQTT 5 content type "application/cloudevents+json", or (any version) a
//     payload that parses as a CloudEvents JSON event: the event is the payload;
//  2. binary mode (MQTT 5): a user property "specversion": every CloudEvents attribute comes
//     from the user property of its name (id, source, type, dataschema, time, extensions),
//     datacontenttype from the content type property, the data is the payload;
//  3. a plain message: id = a runtime-unique id, source = "/mqtt/<client id>" (percent-encoded),
//     type = kPlainEventType, specversion 1.0, datacontenttype = the MQTT 5 content type when
//     given, else "text/plain" (UTF-8 payload) or "application/octet-stream"; MQTT 5 user
//     properties whose names are valid extension names ([a-z0-9]{1,20}) become extensions, others
//     are dropped.
// In every mode the subject is the topic (the mesh's topic is the MQTT topic name), data is text
// when the payload is valid UTF-8 and binary otherwise, and an MQTT 5 message expiry interval
// becomes extension kExpiryExtension (absolute expiry, ms since the epoch).
//
// Outbound (a delivered event -> PUBLISH to a subscriber):
//  - MQTT 5: binary mode (user properties specversion, id, source, type and the others,
//    content type = datacontenttype, payload = data; the remaining expiry interval);
//  - MQTT 3.1.1: events of type kPlainEventType as their raw data, every other event in
//    structured mode (the JSON event, as the binding prescribes for 3.1.1).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/mqtt/packet.h"

namespace eventmesh::runtime::mqtt {

inline constexpr char kPlainEventType[] = "org.apache.eventmesh.mqtt.message";
inline constexpr char kExpiryExtension[] = "mqttexpiresat";
inline constexpr char kStructuredContentType[] = "application/cloudevents+json";

// The event for a client's PUBLISH (already validated topic). `now_ms` is the wall clock (for
// the expiry). Errors: InvalidArgument with reason code 0x99 Payload Format Invalid (a
// structured or binary-mode message that is not a valid CloudEvent).
absl::StatusOr<cloudevents::CloudEvent> PublishToEvent(const protocol::mqtt::Publish& publish,
                                                       protocol::mqtt::Version version,
                                                       absl::string_view client_id, int64_t now_ms);

// The PUBLISH carrying `event` to a subscriber of `version` (topic, payload, properties; QoS,
// packet id and flags are the caller's). Events past their expiry come back as nullopt-like:
// `expired` is set and the packet should not be sent.
protocol::mqtt::Publish EventToPublish(const cloudevents::CloudEvent& event,
                                       protocol::mqtt::Version version, int64_t now_ms,
                                       bool* expired);

// A process-unique event id ("mqtt-<random>-<counter>").
std::string NewEventId();

}  // namespace eventmesh::runtime::mqtt

#endif  // EVENTMESH_RUNTIME_MQTT_EVENT_MAPPING_H_
