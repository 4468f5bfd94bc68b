#ifndef EVENTMESH_CONNECTORS_KAFKA_KAFKA_BINDING_H_
#define EVENTMESH_CONNECTORS_KAFKA_KAFKA_BINDING_H_

// The CloudEvents Kafka protocol binding, binary content mode: how the "kafka" connector turns
// a CloudEvent into a Kafka record and back, so that any Kafka client that speaks the binding
// (the CloudEvents SDKs' Kafka serializers, Kafka Connect, ...) reads and writes the same
// records.
//
//   every attribute except datacontenttype  <-> header "ce_<name>" (UTF-8 text, not encoded)
//                                               (0.3 dataschema: "ce_schemaurl")
//   datacontenttype                         <-> header "content-type"
//   extension "partitionkey"                 -> record key (and header ce_partitionkey)
//   data bytes                              <-> record value (no data: a null value)
//
// Two headers outside the binding keep what it cannot carry, so events published by the mesh
// come back equal (CloudEvent::operator==): "eventmesh_exttypes" lists the extensions whose
// CloudEvents type is not String ("ttl:Integer,urgent:Boolean"), "eventmesh_data" says how the
// data was carried (text, json, binary). Records without them (other producers) read as the
// HTTP binding does: extensions are Strings; a JSON content-type gives json data, text/* with
// UTF-8 bytes text data, anything else (or no content-type) binary data.
//
// Pure functions; thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"

namespace eventmesh::connectors::kafka {

// The extension whose value becomes the record key (CloudEvents Partitioning extension).
inline constexpr char kPartitionKeyExtension[] = "partitionkey";

using KafkaHeader = std::pair<std::string, std::string>;

// A Kafka record as the binding sees it (topic and partition are not part of it).
struct KafkaRecord {
  std::optional<std::string> key;    // nullopt = null key (the producer spreads events)
  std::optional<std::string> value;  // nullopt = null value (no data)
  std::vector<KafkaHeader> headers;
};

// Binary content mode. Does not validate `event`.
KafkaRecord ToKafkaRecord(const cloudevents::CloudEvent& event);

// A borrowed header as read from a consumed record (value may be empty).
struct KafkaHeaderView {
  absl::string_view name;
  absl::string_view value;
};

// Reads a binary-mode record and validates the event. `value` is null (has_value false) for a
// record without value. Errors: InvalidArgument "not a CloudEvent: no ce_specversion header",
// "unknown extension type 'x' in header eventmesh_exttypes", or Validate()'s message.
absl::StatusOr<cloudevents::CloudEvent> FromKafkaRecord(const std::vector<KafkaHeaderView>& headers,
                                                        std::optional<absl::string_view> value);

}  // namespace eventmesh::connectors::kafka

#endif  // EVENTMESH_CONNECTORS_KAFKA_KAFKA_BINDING_H_
