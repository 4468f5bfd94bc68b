#include "eventmesh/protocol/proto/field_count.h"

#include <cstdint>

#include "eventmesh/protocol/proto/wire_reader.h"

namespace eventmesh::protocol::wire {
namespace {

// Counts the fields of the group `field` that `r` is inside (its start tag read), nested
// groups' fields included, into *fields; true when the group's end tag was reached.
bool CountGroupFields(WireReader& r, uint32_t field, int depth, size_t limit, size_t* fields) {
  if (depth > kMaxDepth) return false;
  uint32_t f, t;
  while (*fields <= limit && r.ReadTag(&f, &t)) {
    if (t == kEndGroup) return f == field;
    ++*fields;
    if (t == kStartGroup) {
      if (!CountGroupFields(r, f, depth + 1, limit, fields)) return false;
    } else if (!r.Skip(f, t, depth)) {
      return false;
    }
  }
  return false;
}

size_t CountFields(const google::protobuf::Descriptor* message, absl::string_view bytes, int depth,
                   size_t limit) {
  WireReader r(bytes);
  size_t fields = 0;
  while (!r.done() && fields <= limit) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type)) break;
    ++fields;
    if (type == kStartGroup) {
      // Kept as an unknown field: its contents count too (nested unknown field sets).
      if (!CountGroupFields(r, field, depth + 1, limit, &fields)) break;
      continue;
    }
    if (type != kLen) {
      if (!r.Skip(field, type, depth)) break;
      continue;
    }
    absl::string_view v;
    if (!r.Len(&v)) break;
    const google::protobuf::FieldDescriptor* descriptor =
        message == nullptr ? nullptr : message->FindFieldByNumber(static_cast<int>(field));
    if (descriptor != nullptr &&
        descriptor->type() == google::protobuf::FieldDescriptor::TYPE_MESSAGE &&
        depth + 1 <= kMaxDepth) {
      fields += CountFields(descriptor->message_type(), v, depth + 1,
                            fields >= limit ? 0 : limit - fields);
    }
  }
  return fields;
}

}  // namespace

size_t CountMessageFields(const google::protobuf::Descriptor* message, absl::string_view bytes,
                          size_t limit) {
  return CountFields(message, bytes, 0, limit);
}

bool WithinFieldLimit(const google::protobuf::Descriptor* message, absl::string_view bytes,
                      size_t limit) {
  return FieldCountCannotExceed(bytes.size(), limit) ||
         CountMessageFields(message, bytes, limit) <= limit;
}

}  // namespace eventmesh::protocol::wire
