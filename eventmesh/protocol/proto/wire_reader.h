#ifndef EVENTMESH_PROTOCOL_PROTO_WIRE_READER_H_
#define EVENTMESH_PROTOCOL_PROTO_WIRE_READER_H_

// A bounds-checked cursor over protobuf wire-format bytes, for the hand-written fast paths that
// read messages without building them (the CloudEvents protobuf format, the store service's
// appends, pushes written from stored events).
//
// It accepts what the protobuf library's parser accepts and nothing else: tags of at most 5
// bytes with a field number > 0 and wire types 0–5; lengths below 2 GiB that fit the input;
// varints of at most 10 bytes (bits beyond 64 dropped, as the library does); groups skipped up
// to kMaxDepth levels. Every read returns false on bytes outside that, without reading past the
// end of the input. A caller that meets something it does not handle falls back to the library.
// Not thread-safe; the bytes must outlive the reader and the views it returns.

#include <cstdint>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::wire {

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLen = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

// Protobuf's default recursion limit.
inline constexpr int kMaxDepth = 100;

// A one-byte tag (fields 1–15).
constexpr uint8_t Tag(uint32_t field, WireType type) {
  return static_cast<uint8_t>(field << 3 | type);
}

class WireReader {
 public:
  explicit WireReader(absl::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}

  bool done() const { return p_ == end_; }
  // The bytes not read yet.
  absl::string_view rest() const {
    return absl::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
  }

  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Varint(uint64_t* out) {
    if (p_ != end_ && *p_ < 0x80) {  // the common one-byte case
      *out = *p_++;
      return true;
    }
    uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if (b < 0x80) {
        *out = v;
        return true;
      }
    }
    return false;
  }

  // A field's tag: a varint of at most 5 bytes whose bits above 32 are dropped (as protobuf's
  // parser does); true for a field number > 0 and a known wire type.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadTag(uint32_t* field, uint32_t* type) {
    if (p_ != end_ && *p_ < 0x80) {  // the common one-byte case (fields 1-15)
      const uint32_t v = *p_++;
      *field = v >> 3;
      *type = v & 7;
      return *field != 0 && *type < 6;
    }
    uint32_t v = 0;
    for (int i = 0; i < 5; ++i) {
      if (p_ == end_) return false;
      const uint8_t b = *p_++;
      v |= static_cast<uint32_t>(b & 0x7F) << (7 * i);
      if (b < 0x80) {
        *field = v >> 3;
        *type = v & 7;
        return *field != 0 && *type != 6 && *type != 7;
      }
    }
    return false;
  }

  // A length-delimited field's bytes: a length varint of at most 5 bytes below 2 GiB
  // (protobuf's ReadSize) that fits the rest of the input.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Len(absl::string_view* out) {
    if (p_ != end_ && *p_ < 0x80) {  // the common one-byte case (below 128 bytes)
      const size_t n = *p_++;
      if (n > static_cast<size_t>(end_ - p_)) return false;
      *out = absl::string_view(reinterpret_cast<const char*>(p_), n);
      p_ += n;
      return true;
    }
    uint64_t n = 0;
    for (int i = 0;; ++i) {
      if (i == 5 || p_ == end_) return false;
      const uint8_t b = *p_++;
      if (i == 4 && b >= 8) return false;
      n |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if (b < 0x80) break;
    }
    if (n > static_cast<uint64_t>(end_ - p_)) return false;
    *out = absl::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(n));
    p_ += n;
    return true;
  }

  // Skips the value of field `field` of wire type `type`, `depth` levels of nesting deep; a
  // group is skipped up to its matching end-group tag.
  bool Skip(uint32_t field, uint32_t type, int depth) {
    uint64_t unused;
    absl::string_view unused_view;
    switch (type) {
      case kVarint:
        return Varint(&unused);
      case kFixed64:
        return Advance(8);
      case kFixed32:
        return Advance(4);
      case kLen:
        return Len(&unused_view);
      case kStartGroup: {
        if (depth + 1 > kMaxDepth) return false;
        uint32_t f, t;
        while (ReadTag(&f, &t)) {
          if (t == kEndGroup) return f == field;
          if (!Skip(f, t, depth + 1)) return false;
        }
        return false;
      }
      default:  // a stray end-group
        return false;
    }
  }

  // Moves past the next `n` bytes; false (and nothing moved) when fewer are left.
  bool Advance(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace eventmesh::protocol::wire

#endif  // EVENTMESH_PROTOCOL_PROTO_WIRE_READER_H_
