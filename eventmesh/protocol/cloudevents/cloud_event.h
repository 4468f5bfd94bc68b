#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_CLOUD_EVENT_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_CLOUD_EVENT_H_

// The canonical in-memory event of the mesh: a CloudEvents 1.0 event.
//
// Every protocol (EventMesh TCP, HTTP, CloudEvents bindings) converts to this type, the
// connectors hand it to stores, and the store persists it. A CloudEvent stored and read
// back compares equal attribute for attribute (operator==).
//
// Attribute values are kept in their canonical string form (CloudEvents "String
// encoding": booleans "true"/"false", integers in decimal, binary base64, timestamps
// RFC 3339) together with their type, so every event format round-trips losslessly.
//
// Setters do not validate; Validate() checks the whole event against the spec and
// names the violated rule. Not thread-safe; a value type (copyable, movable).

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/sorted_vector_map.h"
#include "eventmesh/common/utf8.h"

namespace eventmesh::cloudevents {

inline constexpr absl::string_view kSpecVersion10 = "1.0";
inline constexpr absl::string_view kSpecVersion03 = "0.3";

// CloudEvents type system (spec "Type System").
enum class AttributeType {
  kString,
  kBoolean,
  kInteger,  // signed 32-bit
  kBinary,   // canonical form is base64
  kUri,
  kUriRef,
  kTimestamp,  // RFC 3339
};

absl::string_view AttributeTypeName(AttributeType type);

// A typed extension attribute value in canonical string form.
struct AttributeValue {
  AttributeType type = AttributeType::kString;
  std::string text;

  static AttributeValue String(std::string s) { return {AttributeType::kString, std::move(s)}; }
  static AttributeValue Boolean(bool b) { return {AttributeType::kBoolean, b ? "true" : "false"}; }
  static AttributeValue Integer(int32_t i) { return {AttributeType::kInteger, std::to_string(i)}; }
  bool operator==(const AttributeValue& o) const { return type == o.type && text == o.text; }
  bool operator!=(const AttributeValue& o) const { return !(*this == o); }
};

// How the event's data was carried, so it is re-encoded the same way.
enum class DataEncoding {
  kNone,    // no data
  kText,    // a string ("data": "..." in JSON)
  kJson,    // a JSON value embedded as-is (datacontenttype is JSON)
  kBinary,  // raw bytes ("data_base64" in JSON)
};

class CloudEvent {
 public:
  // Extension attributes by name, in name order. One sorted vector: every event carries a
  // handful, held in one allocation (a B-tree took one node per three entries).
  using Extensions = ::eventmesh::SortedVectorMap<AttributeValue>;

  CloudEvent() = default;

  // Required context attributes.
  const std::string& id() const { return id_; }
  void set_id(std::string v) { id_ = std::move(v); }
  const std::string& source() const { return source_; }
  void set_source(std::string v) { source_ = std::move(v); }
  const std::string& spec_version() const { return spec_version_; }
  void set_spec_version(std::string v) { spec_version_ = std::move(v); }
  const std::string& type() const { return type_; }
  void set_type(std::string v) { type_ = std::move(v); }

  // Optional context attributes; absent unless set.
  const std::optional<std::string>& data_content_type() const { return data_content_type_; }
  void set_data_content_type(std::string v) { data_content_type_ = std::move(v); }
  void clear_data_content_type() { data_content_type_.reset(); }
  const std::optional<std::string>& data_schema() const { return data_schema_; }
  void set_data_schema(std::string v) { data_schema_ = std::move(v); }
  const std::optional<std::string>& subject() const { return subject_; }
  void set_subject(std::string v) { subject_ = std::move(v); }
  void clear_subject() { subject_.reset(); }
  // RFC 3339 timestamp text, e.g. "2018-04-05T17:31:00Z".
  const std::optional<std::string>& time() const { return time_; }
  void set_time(std::string v) { time_ = std::move(v); }

  // Extension attributes, ordered by name. Names must match [a-z0-9]{1,20}
  // (Validate() enforces the character set and rejects names of core attributes).
  const Extensions& extensions() const { return extensions_; }
  Extensions* mutable_extensions() { return &extensions_; }
  void SetExtension(std::string name, AttributeValue value) {
    extensions_[std::move(name)] = std::move(value);
  }
  void SetExtension(std::string name, std::string text) {
    extensions_[std::move(name)] = AttributeValue::String(std::move(text));
  }
  // The extension's canonical text, or nullptr when absent.
  const std::string* FindExtension(absl::string_view name) const;
  void RemoveExtension(absl::string_view name);

  // Event payload. For kJson the bytes are the JSON text of the value.
  bool has_data() const { return data_encoding_ != DataEncoding::kNone; }
  const std::string& data() const { return data_; }
  DataEncoding data_encoding() const { return data_encoding_; }
  void set_data(std::string bytes, DataEncoding encoding) {
    data_ = std::move(bytes);
    data_encoding_ = encoding;
  }
  void clear_data() {
    data_.clear();
    data_encoding_ = DataEncoding::kNone;
  }

  // Checks the event against CloudEvents 1.0 (and 0.3 where it differs): required
  // attributes present and non-empty, specversion known, source a URI-reference,
  // dataschema an absolute URI (0.3 "schemaurl": a URI-reference), time RFC 3339 with a
  // real calendar date, extension names [a-z0-9] and not a core attribute (for 0.3 also
  // not "schemaurl"/"datacontentencoding"), typed extension values well-formed and in
  // canonical form (Integer decimal without sign/leading zeros, Binary padded base64).
  // Every attribute value, and the data of kText / kJson events, must be valid UTF-8
  // (CloudEvents String is Unicode; JSON and protobuf strings are UTF-8); other bytes
  // belong in kBinary data.
  // InvalidArgument "invalid CloudEvent: <rule>" names the first violated rule.
  absl::Status Validate() const;

  // Approximate in-memory size in bytes (attributes + data), for limits and batching.
  size_t ByteSizeLong() const;

  bool operator==(const CloudEvent& o) const;
  bool operator!=(const CloudEvent& o) const { return !(*this == o); }

 private:
  std::string id_;
  std::string source_;
  std::string spec_version_{kSpecVersion10};
  std::string type_;
  std::optional<std::string> data_content_type_;
  std::optional<std::string> data_schema_;
  std::optional<std::string> subject_;
  std::optional<std::string> time_;
  Extensions extensions_;
  std::string data_;
  DataEncoding data_encoding_ = DataEncoding::kNone;
};

// Extension / attribute names per the spec: lower-case ASCII letters and digits only.
// The spec recommends at most 20 characters; longer names are accepted (EventMesh
// itself uses names like "reqeventmesh2mqtimestamp").
bool IsValidAttributeName(absl::string_view name);

// True for the names of the spec's own context attributes (id, source, specversion,
// type, datacontenttype, dataschema, subject, time) and of data / data_base64.
bool IsCoreAttributeName(absl::string_view name);

// a < b as absl::string_view compares them (bytes as unsigned), 8 bytes per step and without a
// library call: the order of extension names, which are short, compared for every attribute of
// every event on the hot paths (sorting properties, checking a stored event's order).
inline bool AttributeNameLess(absl::string_view a, absl::string_view b) {
  const size_t n = a.size() < b.size() ? a.size() : b.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y);
  }
  for (; i < n; ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y;
  }
  return a.size() < b.size();
}

// True when the media type declares JSON per the JSON event format: its subtype is
// "json" or ends in "+json" ("*/json", "*/*+json"), ignoring parameters and case.
// An absent (empty) content type counts as JSON (spec: treat as application/json).
bool IsJsonContentType(absl::string_view content_type);

// True when `s` has no character that a URI-reference (RFC 3986) cannot hold: controls, space,
// '"', '<', '>', '\\', '^', '`', '{', '|', '}'; the check 'source' and 'dataschema' get.
bool IsUriReference(absl::string_view s);

// RFC 3339 date-time syntax check ("2018-04-05T17:31:00Z", fractions and offsets allowed).
bool IsValidTimestamp(absl::string_view text);

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_CLOUD_EVENT_H_
