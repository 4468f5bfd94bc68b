#ifndef EVENTMESH_PROTOCOL_PROTO_FIELD_COUNT_H_
#define EVENTMESH_PROTOCOL_PROTO_FIELD_COUNT_H_

// How many fields a serialized protobuf message holds, counted before the library parses it.
// Parsed, each field costs far more than its bytes on the wire (an empty sub-message is 2 bytes
// and 100 or more in memory; 4 MB of them became over 350 MB), so a decoder of messages from
// outside refuses a message with too many fields instead of parsing it.

#include <cstddef>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace eventmesh::protocol::wire {

// The fields of `bytes` as a `message` at every depth: known and unknown fields, the fields of
// sub-messages (by `message`'s descriptor), of unknown groups (kept as nested unknown field
// sets), each repeated element and each map entry with its key and value. Counting stops once it
// passes `limit` (the result is then > limit) and at the first malformed byte (the parse refuses
// those). Reads only; no allocation.
size_t CountMessageFields(const google::protobuf::Descriptor* message, absl::string_view bytes,
                          size_t limit);

// Every field counted above has a tag of its own (at least one byte), so a message of
// `message_bytes` bytes holds at most that many fields: true when it cannot pass `limit`, and
// counting it would be wasted work.
inline bool FieldCountCannotExceed(size_t message_bytes, size_t limit) {
  return message_bytes <= limit;
}

// CountMessageFields(message, bytes, limit) <= limit, counted only for a message of more than
// `limit` bytes.
bool WithinFieldLimit(const google::protobuf::Descriptor* message, absl::string_view bytes,
                      size_t limit);

}  // namespace eventmesh::protocol::wire

#endif  // EVENTMESH_PROTOCOL_PROTO_FIELD_COUNT_H_
