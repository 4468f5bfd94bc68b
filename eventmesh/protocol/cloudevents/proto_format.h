#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_PROTO_FORMAT_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_PROTO_FORMAT_H_

// CloudEvents Protobuf event format (io.cloudevents.v1.CloudEvent / CloudEventBatch),
// the format the event store persists and the mesh's gRPC API carries.
//
// Mapping (CloudEvent <-> proto):
//   id, source, specversion, type      <-> fields 1-4
//   datacontenttype, subject           <-> attributes[name].ce_string
//   dataschema (1.0)                   <-> attributes["dataschema"].ce_uri
//   schemaurl (0.3, same field)        <-> attributes["schemaurl"].ce_uri_ref
//   time                               <-> attributes["time"].ce_timestamp
//   extensions                         <-> attributes[name] by type (Boolean ce_boolean,
//       Integer ce_integer, String ce_string, Binary ce_bytes (decoded), URI ce_uri,
//       URI-reference ce_uri_ref, Timestamp ce_timestamp)
//   kBinary data                       <-> binary_data
//   kJson and kText data               <-> text_data
// On the way back, text_data becomes kJson when datacontenttype declares JSON (or is
// absent) and the text is valid JSON, otherwise kText. So DataEncoding round-trips for
// every event whose encoding agrees with its content type (all events the JSON and HTTP
// parsers produce); a kText event with a JSON content type comes back as kJson when its
// text happens to be JSON.
// proto_data (google.protobuf.Any) is not supported (InvalidArgument).
//
// Timestamps: a google.protobuf.Timestamp holds an instant, not text. ToProto converts
// the RFC 3339 text (any offset, up to 9 fraction digits; more are truncated) to UTC;
// FromProto writes the canonical form "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z"
// (fraction in groups of 3 digits, omitted when zero). Texts already in that form
// round-trip exactly; others (offset "+08:00", lower-case "t"/"z", fraction ".5", leap
// second ":60") come back as the same instant in canonical form. ce_string values for
// "time" are accepted and kept verbatim.
//
// SerializeProto / ParseProto (and the batch variants) read and write the wire format
// directly, without building the generated message: the same bytes and the same
// acceptance rules as the generated classes + ToProto/FromProto (checked by
// proto_format_test and the differential proto_event_parser_fuzzer). ToProto/FromProto
// are for code that needs the message itself (e.g. gRPC).
//
// Conversion errors are InvalidArgument naming the attribute; FromProto/ParseProto also
// run CloudEvent::Validate(). ParseProto returns InvalidArgument "malformed protobuf
// CloudEvent" for undecodable bytes. All functions are thread-safe (no shared state).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/cloudevents.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace eventmesh::cloudevents {

inline constexpr absl::string_view kProtobufMediaType = "application/cloudevents+protobuf";

// Fills `out` (cleared first). Does not validate the event beyond what the conversion
// needs (typed values and time must be convertible).
absl::Status ToProto(const CloudEvent& event, io::cloudevents::v1::CloudEvent* out);
absl::StatusOr<CloudEvent> FromProto(const io::cloudevents::v1::CloudEvent& proto);

// Binary protobuf encoding of one event / of a CloudEventBatch.
absl::StatusOr<std::string> SerializeProto(const CloudEvent& event);
absl::StatusOr<CloudEvent> ParseProto(absl::string_view bytes);

// The attributes of a plain event (see proto_event_view.h: string attributes and string
// extensions, no time or dataschema) as views, for code that writes the stored form straight
// from another format (the TCP publish path) without building a CloudEvent.
struct PlainEventFields {
  absl::string_view spec_version, id, source, type;
  std::optional<absl::string_view> data_content_type, subject;
  // String extensions, names strictly increasing (the order of CloudEvent::extensions()).
  absl::Span<const std::pair<absl::string_view, absl::string_view>> extensions;
  absl::string_view data;
  DataEncoding data_encoding = DataEncoding::kNone;
};
// Appends to *out the bytes SerializeProto writes for the CloudEvent with these attributes
// (String extensions). Checks nothing: the caller makes sure that event is valid
// (CloudEvent::Validate) and the extension names are in order; proto_format_test and the
// TCP publish path's differential tests compare the bytes with SerializeProto's.
void AppendPlainProto(const PlainEventFields& fields, std::string* out);
// AppendPlainProto in two steps, for writers whose events share their attributes: the attribute
// entries alone (datacontenttype, subject, extensions: what AppendPlainProto writes between the
// core fields and the data), then an event around entries written before (the core fields and
// the data of `fields`; its attributes are not looked at). AppendPlainProtoAround(fields, A) with
// A from AppendPlainAttributes(fields) appends what AppendPlainProto(fields) does.
void AppendPlainAttributes(const PlainEventFields& fields, std::string* out);
void AppendPlainProtoAround(const PlainEventFields& fields, absl::string_view attributes,
                            std::string* out);
// The same bytes in two steps, for writers that keep what follows the id: AppendPlainAfterId
// appends the bytes AppendPlainProtoAround(fields, attributes) writes between the id field and
// the data field (the source, specversion and type fields, then `attributes`), and
// AppendPlainProtoWithId(id, A, encoding, data) with A from it appends what
// AppendPlainProtoAround does for fields with that id, data encoding and data.
void AppendPlainAfterId(const PlainEventFields& fields, absl::string_view attributes,
                        std::string* out);
void AppendPlainProtoWithId(absl::string_view id, absl::string_view after_id,
                            DataEncoding data_encoding, absl::string_view data, std::string* out);
absl::StatusOr<std::string> SerializeProtoBatch(const std::vector<CloudEvent>& events);
// Errors of a bad event are prefixed with "event [<index>]: ".
absl::StatusOr<std::vector<CloudEvent>> ParseProtoBatch(absl::string_view bytes);

// RFC 3339 text <-> Timestamp, as described above. ParseRfc3339 fails with
// InvalidArgument for text IsValidTimestamp() rejects; FormatRfc3339 fails for nanos
// outside [0, 1e9) or instants outside years 0000-9999.
absl::StatusOr<google::protobuf::Timestamp> ParseRfc3339(absl::string_view text);
absl::StatusOr<std::string> FormatRfc3339(const google::protobuf::Timestamp& timestamp);

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_PROTO_FORMAT_H_
