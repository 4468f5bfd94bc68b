#include "eventmesh/protocol/cloudevents/proto_event_view.h"

#include <cstdint>
#include <cstring>

#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/timestamp.h"
#include "eventmesh/protocol/proto/wire_reader.h"

namespace eventmesh::cloudevents {

namespace {

using protocol::wire::kLen;
using protocol::wire::kVarint;
using protocol::wire::WireReader;

// One attributes map entry {1: name, 2: CloudEventAttributeValue}, each written once: true with
// the name and the value's bytes.
bool AttributeEntry(absl::string_view entry, absl::string_view* name, absl::string_view* value) {
  WireReader in(entry);
  bool has_name = false, has_value = false;
  uint32_t field, type;
  while (!in.done()) {
    if (!in.ReadTag(&field, &type) || type != kLen) return false;
    if (field == 1 && !has_name) {
      if (!in.Len(name)) return false;
      has_name = true;
    } else if (field == 2 && !has_value) {
      if (!in.Len(value)) return false;
      has_value = true;
    } else {
      return false;
    }
  }
  return has_name && has_value;
}

// A CloudEventAttributeValue holding only field `field` (length-delimited), once: its bytes.
bool OneField(absl::string_view value, uint32_t field, absl::string_view* out) {
  WireReader v(value);
  uint32_t f, t;
  return v.ReadTag(&f, &t) && f == field && t == kLen && v.Len(out) && v.done();
}

// A google.protobuf.Timestamp {1: seconds, 2: nanos}, each at most once, as RFC 3339 text in
// `buf`; its length, 0 when malformed or out of the range ParseProto accepts.
size_t TimestampText(absl::string_view message, char* buf) {
  WireReader in(message);
  uint64_t seconds = 0, nanos = 0;
  bool has_seconds = false, has_nanos = false;
  uint32_t field, type;
  while (!in.done()) {
    if (!in.ReadTag(&field, &type) || type != kVarint) return 0;
    if (field == 1 && !has_seconds) {
      if (!in.Varint(&seconds)) return 0;
      has_seconds = true;
    } else if (field == 2 && !has_nanos) {
      if (!in.Varint(&nanos)) return 0;
      has_nanos = true;
    } else {
      return 0;
    }
  }
  // int64 and int32 fields: the varint's low 64 and 32 bits.
  return FormatRfc3339Utc(static_cast<int64_t>(seconds),
                          static_cast<int32_t>(static_cast<uint32_t>(nanos)), buf);
}

// The attributes a view keeps apart from the extensions. Told by length first, then by a
// comparison of known length that the compiler writes inline: this runs for every attribute of
// every pushed event, and a library call per comparison showed in the delivery thread's profile.
enum class NamedAttribute { kTime, kSubject, kDataContentType, kOther };
NamedAttribute Classify(absl::string_view name) {
  switch (name.size()) {
    case 4:
      return std::memcmp(name.data(), "time", 4) == 0 ? NamedAttribute::kTime
                                                      : NamedAttribute::kOther;
    case 7:
      return std::memcmp(name.data(), "subject", 7) == 0 ? NamedAttribute::kSubject
                                                         : NamedAttribute::kOther;
    case 15:
      return std::memcmp(name.data(), "datacontenttype", 15) == 0 ? NamedAttribute::kDataContentType
                                                                  : NamedAttribute::kOther;
    default:
      return NamedAttribute::kOther;
  }
}

}  // namespace

std::optional<ProtoEventView> ProtoEventView::Parse(absl::string_view bytes, Checks checks) {
  return Parse(bytes, checks, nullptr);
}

std::optional<ProtoEventView> ProtoEventView::Parse(absl::string_view bytes, Checks checks,
                                                    AttributeMemo* memo) {
  // Read in the result (one named return: no copy of the view on the way out).
  std::optional<ProtoEventView> result(std::in_place, Key());
  if (!ParseInto(bytes, checks, memo, *result)) result.reset();
  return result;
}

bool ProtoEventView::ParseInto(absl::string_view bytes, Checks checks, AttributeMemo* memo,
                               ProtoEventView& e) {
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return false;  // as ParseProto
  const bool all = checks == Checks::kAll;
  // The contents' checks (kAll only).
  const auto text_ok = [all](absl::string_view text) { return !all || IsValidUtf8(text); };
  uint32_t seen = 0;  // bit per top-level field number
  WireReader in(bytes);
  uint32_t field, type;
  // The first run of attribute entries, through the memo: before it, in it (being read, from
  // run_begin), after it (or no memo).
  enum class Run { kBefore, kReading, kAfter };
  Run run = Run::kAfter;
  const char* run_begin = nullptr;
  if (memo != nullptr) {
    run = Run::kBefore;
    memo->last_hit_ = false;
  }
  while (!in.done()) {
    const absl::string_view rest = in.rest();
    if (!in.ReadTag(&field, &type) || type != kLen || field > 7) return false;
    if (memo != nullptr) {
      if (field == 5 && run == Run::kBefore) {
        // No attribute read yet: entries equal to the remembered ones read as they did.
        if (memo->Matches(rest, all)) {
          memo->Restore(rest.data(), &e);
          memo->last_hit_ = true;
          memo->misses_ = 0;
          in = WireReader(rest.substr(memo->run_.size()));
          run = Run::kAfter;
          continue;
        }
        run_begin = rest.data();
        run = Run::kReading;
      } else if (field == 5 && run == Run::kAfter) {
        // More attributes than the remembered ones (after other fields): not a hit.
        memo->last_hit_ = false;
      } else if (field != 5 && run == Run::kReading) {
        memo->Remember(absl::string_view(run_begin, static_cast<size_t>(rest.data() - run_begin)),
                       e, all);
        run = Run::kAfter;
      }
    }
    absl::string_view value;
    if (!in.Len(&value)) return false;
    if (field != 5) {
      // Fields 6 and 7 are one oneof: one data field at most.
      const uint32_t bit = 1u << (field == 7 ? 6 : field);
      if ((seen & bit) != 0) return false;
      seen |= bit;
    }
    switch (field) {
      case 1:
        e.id_ = value;
        break;
      case 2:
        e.source_ = value;
        break;
      case 3:
        e.spec_version_ = value;
        break;
      case 4:
        e.type_ = value;
        break;
      case 5: {
        absl::string_view name, attribute, text;
        if (!AttributeEntry(value, &name, &attribute)) return false;
        const NamedAttribute named = Classify(name);
        if (named == NamedAttribute::kTime) {
          // A ce_timestamp (as SerializeProto writes it) or RFC 3339 text in a ce_string.
          if (e.time_.has_value() || e.time_size_ != 0) return false;
          absl::string_view timestamp;
          if (OneField(attribute, 7, &timestamp)) {
            e.time_size_ = static_cast<uint8_t>(TimestampText(timestamp, e.time_buf_));
            if (e.time_size_ == 0) return false;
          } else if (OneField(attribute, 3, &text) && IsValidTimestamp(text)) {
            e.time_ = text;
          } else {
            return false;
          }
          break;
        }
        if (!OneField(attribute, 3, &text) || !text_ok(text)) return false;
        if (named == NamedAttribute::kSubject) {
          if (e.subject_.has_value() || text.empty()) return false;
          e.subject_ = text;
        } else if (named == NamedAttribute::kDataContentType) {
          if (e.data_content_type_.has_value() || text.empty()) return false;
          e.data_content_type_ = text;
        } else {
          // Other core attributes (dataschema, ...) are not plain; extension names must
          // be valid and in strictly increasing order, as SerializeProto writes them.
          if (IsCoreAttributeName(name) || (all && !IsValidAttributeName(name)) ||
              (!e.extensions_.empty() && !AttributeNameLess(e.extensions_.back().first, name))) {
            return false;
          }
          e.extensions_.emplace_back(name, Extension{text});
        }
        break;
      }
      case 6:
        e.data_ = value;
        e.data_encoding_ = DataEncoding::kBinary;
        break;
      case 7:
        if (!text_ok(value)) return false;
        e.data_ = value;
        e.data_encoding_ = DataEncoding::kText;
        break;
      default:  // 8: proto_data
        return false;
    }
  }
  if (run == Run::kReading) {
    memo->Remember(
        absl::string_view(run_begin, static_cast<size_t>(bytes.data() + bytes.size() - run_begin)),
        e, all);
  }
  // What CloudEvent::Validate refuses.
  if ((e.spec_version_ != kSpecVersion10 && e.spec_version_ != kSpecVersion03) || e.id_.empty() ||
      e.source_.empty() || e.type_.empty() || !text_ok(e.id_) || !text_ok(e.source_) ||
      !text_ok(e.type_) || (all && !IsUriReference(e.source_))) {
    return false;
  }
  if (e.spec_version_ == kSpecVersion03) {
    // 0.3 names of attributes a 1.0 event may carry as extensions.
    for (const auto& [name, unused] : e.extensions_) {
      if (name == "schemaurl" || name == "datacontentencoding") return false;
    }
  }
  return true;
}

const absl::string_view* ProtoEventView::FindExtension(absl::string_view name) const {
  for (const auto& [key, value] : extensions_) {
    if (key == name) return &value.text;
  }
  return nullptr;
}

bool ProtoEventView::AttributeMemo::Matches(absl::string_view rest, bool all) const {
  // The whole run: not followed by another entry (with the one-byte tag writers use; an entry
  // after it under a longer tag is seen by Parse, which then reports no hit).
  return valid_ && (all_ || !all) && rest.size() >= run_.size() &&
         (rest.size() == run_.size() ||
          static_cast<uint8_t>(rest[run_.size()]) != protocol::wire::Tag(5, kLen)) &&
         std::memcmp(rest.data(), run_.data(), run_.size()) == 0;
}

void ProtoEventView::AttributeMemo::Remember(absl::string_view run, const ProtoEventView& view,
                                             bool all) {
  // A streak of changing attributes: the memo keeps the run it has.
  if (++misses_ > 2 && valid_ && misses_ % 16 != 0) return;
  ++generation_;
  valid_ = false;
  if (run.size() > kMaxRunSize) {
    if (run_.capacity() > kMaxRunSize) Clear();
    return;
  }
  const char* base = run.data();
  const auto piece = [base](absl::string_view text) {
    return Piece{static_cast<uint32_t>(text.data() - base), static_cast<uint32_t>(text.size())};
  };
  const auto optional_piece = [&](const std::optional<absl::string_view>& text) {
    return text.has_value() ? std::optional<Piece>(piece(*text)) : std::nullopt;
  };
  run_.assign(run.data(), run.size());
  all_ = all;
  subject_ = optional_piece(view.subject_);
  data_content_type_ = optional_piece(view.data_content_type_);
  time_ = optional_piece(view.time_);
  time_size_ = view.time_size_;
  std::memcpy(time_buf_, view.time_buf_, sizeof(time_buf_));
  extensions_.clear();
  for (const auto& [name, extension] : view.extensions_) {
    extensions_.emplace_back(piece(name), piece(extension.text));
  }
  valid_ = true;
}

void ProtoEventView::AttributeMemo::Restore(const char* run, ProtoEventView* view) const {
  const auto text = [run](const std::optional<Piece>& piece) {
    return piece.has_value() ? std::optional<absl::string_view>(piece->In(run)) : std::nullopt;
  };
  view->subject_ = text(subject_);
  view->data_content_type_ = text(data_content_type_);
  view->time_ = text(time_);
  view->time_size_ = time_size_;
  std::memcpy(view->time_buf_, time_buf_, sizeof(time_buf_));
  view->extensions_.clear();
  for (const auto& [name, value] : extensions_) {
    view->extensions_.emplace_back(name.In(run), Extension{value.In(run)});
  }
}

void ProtoEventView::AttributeMemo::Clear() {
  ++generation_;
  valid_ = false;
  last_hit_ = false;
  misses_ = 0;
  std::string().swap(run_);
  std::vector<std::pair<Piece, Piece>>().swap(extensions_);
}

}  // namespace eventmesh::cloudevents
