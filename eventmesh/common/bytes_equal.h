#ifndef EVENTMESH_COMMON_BYTES_EQUAL_H_
#define EVENTMESH_COMMON_BYTES_EQUAL_H_

// Equality of two byte strings, inlined for the short ones the event path compares with what it
// remembers for every frame (property names and values, topics, content types): std::string's
// operator== calls the library's memcmp for each, a call and memcmp's dispatch on the length.
// Strings of up to 32 bytes are compared here with at most four loads of each (overlapping when
// the length is not a multiple of the load's); longer ones through memcmp. Pure functions.

#include <cstdint>
#include <cstring>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"

namespace eventmesh {

namespace bytes_equal_internal {

template <typename T>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace bytes_equal_internal

// a == b, byte for byte.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool BytesEqual(absl::string_view a, absl::string_view b) {
  using bytes_equal_internal::Load;
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8) {
    if (n > 32) return std::memcmp(p, q, n) == 0;
    const uint64_t head = (Load<uint64_t>(p) ^ Load<uint64_t>(q)) |
                          (Load<uint64_t>(p + n - 8) ^ Load<uint64_t>(q + n - 8));
    if (n <= 16) return head == 0;
    // 17 to 32 bytes: the first 16 and the last 16.
    return (head | (Load<uint64_t>(p + 8) ^ Load<uint64_t>(q + 8)) |
            (Load<uint64_t>(p + n - 16) ^ Load<uint64_t>(q + n - 16))) == 0;
  }
  if (n >= 4) {
    return ((Load<uint32_t>(p) ^ Load<uint32_t>(q)) |
            (Load<uint32_t>(p + n - 4) ^ Load<uint32_t>(q + n - 4))) == 0;
  }
  if (n == 0) return true;
  // 1 to 3 bytes: the first, the middle and the last cover them all.
  return p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1];
}

// Two lists of (name, value) pairs hold the same pairs in the same order (a header's or a
// message's properties against the ones remembered from the frame before).
template <typename A, typename B>
inline bool PairsEqual(const A& a, const B& b) {
  if (a.size() != b.size()) return false;
  auto it = b.begin();
  for (const auto& [name, value] : a) {
    if (!BytesEqual(name, it->first) || !BytesEqual(value, it->second)) return false;
    ++it;
  }
  return true;
}

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_BYTES_EQUAL_H_
