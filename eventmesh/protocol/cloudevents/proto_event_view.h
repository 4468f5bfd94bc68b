#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_PROTO_EVENT_VIEW_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_PROTO_EVENT_VIEW_H_

// ProtoEventView: a CloudEvent read in place from its protobuf bytes (the form SerializeProto
// writes and the event store keeps), for writers that turn stored events into another format
// without building a CloudEvent: TCP push frames, webhook JSON bodies.
//
// Parse accepts the plain events only: every attribute a string (id, source, specversion, type,
// subject, datacontenttype, string extensions) or the time, each field written once, extensions
// in increasing name order, binary or text data. For those it holds what ParseProto would decode,
// and ParseProto would accept them. Anything else — dataschema, typed extensions,
// proto_data, repeated fields, bytes that are malformed or not a valid event — gives nullopt,
// and the caller decodes with ParseProto (which handles or refuses it).
//
// The view points into the bytes, which must outlive it. Thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/timestamp.h"

namespace eventmesh::cloudevents {

class ProtoEventView {
  // Only Parse makes views: the key is private, and its explicit constructor keeps `{}` from
  // standing for it.
  struct Key {
    explicit Key() = default;
  };

 public:
  // For Parse only (std::optional constructs the view in place with it).
  explicit ProtoEventView(Key) {}

  // A string extension's value (the only kind a view holds).
  struct Extension {
    static constexpr AttributeType type = AttributeType::kString;
    absl::string_view text;
  };
  using ExtensionList = absl::InlinedVector<std::pair<absl::string_view, Extension>, 12>;

  // What Parse checks besides the wire format and the plain form.
  enum class Checks {
    // Everything ParseProto and CloudEvent::Validate check: UTF-8 strings, extension names,
    // the source as a URI-reference.
    kAll,
    // Not the strings' contents, for bytes known to encode an event CloudEvent::Validate
    // accepted (DeliveredEvent::stored_validated: written by this process from a validated
    // event). The wire format, each field once, the plain form, the spec version and the
    // required attributes are still checked, so no input reads outside `bytes`; a view of
    // bytes that break the promise may hold strings that are not UTF-8.
    kStructure,
  };
  static std::optional<ProtoEventView> Parse(absl::string_view bytes, Checks checks = Checks::kAll);

  class AttributeMemo;
  // Parse, reading the event's first run of attributes through `memo` (see AttributeMemo): the
  // same result as Parse(bytes, checks). The memo is updated; a null memo is plain Parse.
  static std::optional<ProtoEventView> Parse(absl::string_view bytes, Checks checks,
                                             AttributeMemo* memo);

  absl::string_view spec_version() const { return spec_version_; }
  absl::string_view id() const { return id_; }
  absl::string_view source() const { return source_; }
  absl::string_view type() const { return type_; }
  const std::optional<absl::string_view>& subject() const { return subject_; }
  const std::optional<absl::string_view>& data_content_type() const { return data_content_type_; }
  // Always absent in a view (events with one are not plain); for writers shared with CloudEvent.
  std::optional<absl::string_view> data_schema() const { return std::nullopt; }
  // RFC 3339 text, as ParseProto gives it: a ce_timestamp formatted in UTC, or a ce_string's text.
  std::optional<absl::string_view> time() const {
    if (time_size_ != 0) return absl::string_view(time_buf_, time_size_);
    return time_;
  }
  // Names strictly increasing.
  absl::Span<const std::pair<absl::string_view, Extension>> extensions() const {
    return extensions_;
  }
  // The value of extension `name`, nullptr when the event has none.
  const absl::string_view* FindExtension(absl::string_view name) const;

  // kNone, kBinary or kText: a view does not tell JSON text from other text (that takes
  // IsJsonText; see json_format.h), so UTF-8 text data is kText here.
  DataEncoding data_field_encoding() const { return data_encoding_; }
  absl::string_view data() const { return data_; }

 private:
  // Reads `bytes` into `e` (a new view); false when Parse gives nullopt.
  static bool ParseInto(absl::string_view bytes, Checks checks, AttributeMemo* memo,
                        ProtoEventView& e);

  absl::string_view spec_version_, id_, source_, type_;
  std::optional<absl::string_view> subject_, data_content_type_;
  std::optional<absl::string_view> time_;  // the text of a ce_string time
  char time_buf_[kMaxRfc3339Size] = {};    // a formatted ce_timestamp: time_size_ bytes
  uint8_t time_size_ = 0;
  ExtensionList extensions_;
  absl::string_view data_;
  DataEncoding data_encoding_ = DataEncoding::kNone;
};

// What Parse read from the last run of attributes it was given: the attributes-map entries
// (field 5) an event's attributes start with, up to the first other field, as their bytes and
// their reading (subject, datacontenttype, time, extensions). The events one publisher sends to
// one topic carry the same subject, content type and extensions, so the same entries byte for
// byte: Parse compares the next event's entries with the remembered ones and, when they match,
// takes the reading instead of reading them again (the other fields are read as always). Runs
// above kMaxRunSize bytes are not remembered. Attributes that change with every event (a
// per-event extension) would be copied for nothing: after two runs in a row that did not match,
// only every 16th is remembered (a memo that holds a run keeps it), until one matches again. A
// reading made with Checks::kStructure serves only kStructure parses. A memo is owned by one reader
// (thread-compatible): a session, a worker.
class ProtoEventView::AttributeMemo {
 public:
  static constexpr size_t kMaxRunSize = 4096;

  // Changes whenever the remembered run does: text derived from the attributes (a JSON
  // rendering of them) can be kept with the generation it was made for.
  uint64_t generation() const { return generation_; }
  // True when the event Parse read last has exactly the remembered attributes (it took their
  // reading, and no other attribute came after).
  bool last_hit() const { return last_hit_; }
  // The remembered bytes (empty when none).
  absl::string_view run() const { return valid_ ? absl::string_view(run_) : absl::string_view(); }
  // Forgets the run and frees its storage.
  void Clear();

 private:
  friend class ProtoEventView;
  // A string within the run.
  struct Piece {
    uint32_t offset = 0;
    uint32_t size = 0;
    absl::string_view In(const char* base) const { return absl::string_view(base + offset, size); }
  };
  // True when `rest` (the bytes from an event's first attribute entry on) starts with the
  // remembered run, not followed by another entry, read with checks that serve `all`.
  bool Matches(absl::string_view rest, bool all) const;
  // Remembers the reading of `run` (which `view`'s attribute fields point into).
  void Remember(absl::string_view run, const ProtoEventView& view, bool all);
  // Sets `view`'s attribute fields from the reading, pointing into `run` (the same bytes).
  void Restore(const char* run, ProtoEventView* view) const;

  std::string run_;
  bool valid_ = false;
  bool all_ = false;  // read with Checks::kAll
  bool last_hit_ = false;
  uint64_t generation_ = 0;
  // Runs read since the last hit (Remember skips most of a long streak, see there).
  uint32_t misses_ = 0;
  std::optional<Piece> subject_, data_content_type_, time_;
  char time_buf_[kMaxRfc3339Size] = {};
  uint8_t time_size_ = 0;
  std::vector<std::pair<Piece, Piece>> extensions_;
};

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_PROTO_EVENT_VIEW_H_
