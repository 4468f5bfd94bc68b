#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_JSON_FORMAT_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_JSON_FORMAT_H_

// CloudEvents JSON event format (structured mode, application/cloudevents+json) and
// JSON batch format (application/cloudevents-batch+json), specversion 1.0 and 0.3.
//
// Parsing maps the JSON members to a CloudEvent and then runs CloudEvent::Validate(). The
// "data" member's JSON value is written out as compact text while the text is read, never
// built as a DOM, so a parse costs about the size of its text in memory whatever the data
// holds (a 4 MB array of zeros would need over 60 MB as a DOM). Every error but the limits
// below (OutOfRange) is InvalidArgument with a message naming the violated rule, e.g.
//   "malformed JSON in CloudEvent: ..."             (syntax; includes the byte offset)
//   "invalid CloudEvent: 'id' must be a JSON string"
//   "invalid CloudEvent: 'id' is required and must be a non-empty string"  (Validate)
//   "event [3]: invalid CloudEvent: ..."            (batch; index of the bad event)
//
// Data mapping:
//   "data_base64"                              -> DataEncoding::kBinary (decoded bytes)
//   "data", datacontenttype JSON or absent     -> kJson, data() = compact JSON text of
//                                                 the value (null -> "null")
//   "data" string, datacontenttype not JSON    -> kText
//   0.3 "datacontentencoding":"base64" + "data" -> kBinary (decoded bytes)
// Extensions: JSON string -> String, bool -> Boolean, integer fitting int32 -> Integer;
// any other JSON value is an error naming the attribute. null members count as absent.
// URI / URI-reference / Timestamp / Binary typed extensions are written as JSON strings
// and therefore read back as String (JSON carries no such type information).
//
// Serialization writes the attributes in a fixed order (specversion, id, source, type,
// datacontenttype, dataschema|schemaurl, subject, time, extensions by name, data), compact,
// Integer/Boolean extensions as JSON number/bool. For every event produced by
// ParseJsonEvent, ParseJsonEvent(SerializeJsonEvent(e)) == e.
// Precondition of serialization: kJson data holds valid JSON text (every parser in this
// package guarantees it); it is embedded as-is.
//
// All functions are thread-safe (no shared state).

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/json/json.h"
#include "rapidjson/document.h"

namespace eventmesh::cloudevents {

inline constexpr absl::string_view kJsonEventMediaType = "application/cloudevents+json";
inline constexpr absl::string_view kJsonBatchMediaType = "application/cloudevents-batch+json";

// JSON nesting deeper than this is rejected (the limit of every parser of the mesh).
inline constexpr int kMaxJsonDepth = json::kMaxDepth;

// What one parsed document may hold, so that its size in memory stays a small multiple of its
// text (each event member and each CloudEvent costs tens of bytes however short its text):
// beyond these the parse stops with OutOfRange ("a CloudEvents batch of more than 10000
// events", "CloudEvents JSON with more than 131072 attributes"). 10000 is the largest
// eventMesh.server.maxEventBatchSize; the attributes (members of events, counted over the
// whole batch) allow 13 per event in a batch of 10000.
inline constexpr size_t kMaxJsonBatchEvents = 10000;
inline constexpr size_t kMaxJsonAttributes = 131072;

// Parses one structured-mode event and validates it.
absl::StatusOr<CloudEvent> ParseJsonEvent(absl::string_view json);

// Converts an already parsed JSON object (e.g. a member of a larger document) and
// validates it.
absl::StatusOr<CloudEvent> JsonValueToEvent(const rapidjson::Value& value);

// Structured-mode JSON of `event` (compact).
std::string SerializeJsonEvent(const CloudEvent& event);

// Appends the event's JSON to `out` (for building batches or frames without copies).
void AppendJsonEvent(const CloudEvent& event, std::string* out);

// The DataEncoding ParseProto gives the data of the event `event` views: text data is kJson
// when the content type is absent or JSON and the text parses as JSON.
DataEncoding DecodedDataEncoding(const ProtoEventView& event);

// Appends the JSON of an event viewed in its protobuf bytes: the same bytes as
// AppendJsonEvent(*ParseProto(bytes)), without building the CloudEvent.
void AppendJsonEvent(const ProtoEventView& event, std::string* out);

// Writes the event as one JSON value into an existing writer (e.g. inside an array).
void WriteJsonEvent(const CloudEvent& event, json::Writer& writer);

// Parses a JSON batch: a JSON array of structured events (may be empty). Each event is
// validated; the error of the first bad one is prefixed with "event [<index>]: ".
absl::StatusOr<std::vector<CloudEvent>> ParseJsonBatch(absl::string_view json);

// OK when `text` is one syntactically valid JSON value nested at most kMaxJsonDepth
// levels, i.e. acceptable as kJson data; otherwise InvalidArgument
// "<what> is not valid JSON: <reason> at offset <n>". Does not build a DOM.
absl::Status CheckJsonText(absl::string_view text, absl::string_view what);

// True when `text` is one well-formed JSON value, as CheckJsonText accepts; for callers that
// only choose an encoding (no error message is built for text that is not JSON).
bool IsJsonText(absl::string_view text);

// JSON batch of `events` (a compact JSON array).
std::string SerializeJsonBatch(const std::vector<CloudEvent>& events);

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_JSON_FORMAT_H_
