#ifndef EVENTMESH_PROTOCOL_JSON_STRING_SCAN_H_
#define EVENTMESH_PROTOCOL_JSON_STRING_SCAN_H_

// Finding the bytes that end or complicate a JSON string: '"', '\\' and control characters
// (below 0x20), and optionally every non-ASCII byte (0x80 and above). The hot paths of the
// codecs (copying a string that needs no escaping in one block, reading a header of plain
// strings) ask this for every key and value they touch, so it looks at 16 bytes per step
// with SSE2 where the target has it and at one byte per step elsewhere; both give the same
// answer. Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eventmesh::json {

namespace string_scan_internal {

inline bool IsSpecialByte(unsigned char c, bool stop_on_non_ascii) {
  return c < 0x20 || c == '"' || c == '\\' || (stop_on_non_ascii && c >= 0x80);
}

inline size_t FindSpecialBytewise(const char* data, size_t n, bool stop_on_non_ascii) {
  for (size_t i = 0; i < n; ++i) {
    if (IsSpecialByte(static_cast<unsigned char>(data[i]), stop_on_non_ascii)) return i;
  }
  return n;
}

}  // namespace string_scan_internal

// The index of the first byte of data[0, n) that is '"', '\\', below 0x20 or (when
// `stop_on_non_ascii`) 0x80 or above; n when there is none.
inline size_t FindJsonSpecialByte(const char* data, size_t n, bool stop_on_non_ascii = false) {
#if defined(__SSE2__)
  size_t i = 0;
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i max_control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    // Unsigned v <= 0x1F  <=>  max(v, 0x1F) == 0x1F.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, max_control), max_control);
    const __m128i special =
        _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
    uint32_t mask = static_cast<uint32_t>(_mm_movemask_epi8(special));
    if (stop_on_non_ascii) mask |= static_cast<uint32_t>(_mm_movemask_epi8(v));  // high bits
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  return i + string_scan_internal::FindSpecialBytewise(data + i, n - i, stop_on_non_ascii);
#else
  return string_scan_internal::FindSpecialBytewise(data, n, stop_on_non_ascii);
#endif
}

// True when a JSON writer must escape some byte of data[0, n) ('"', '\\', control
// characters; UTF-8 and '/' are written as they are).
inline bool NeedsJsonEscape(const char* data, size_t n) {
  return FindJsonSpecialByte(data, n) != n;
}

}  // namespace eventmesh::json

#endif  // EVENTMESH_PROTOCOL_JSON_STRING_SCAN_H_
