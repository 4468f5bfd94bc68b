#include "eventmesh/common/utf8.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eventmesh {
namespace {

// True when every byte of data[0, n) is below 0x80: 16 bytes at a time (SSE2) or a word at a
// time, the last step re-reading the tail, so that neither payloads nor short texts (ids,
// names) are checked byte by byte.
bool AllAscii(const char* data, size_t n) {
#if defined(__SSE2__)
  if (n >= 16) {
    __m128i high = _mm_setzero_si128();
    for (size_t i = 0; i + 16 <= n; i += 16) {
      high = _mm_or_si128(high, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i)));
    }
    high = _mm_or_si128(high, _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + n - 16)));
    return _mm_movemask_epi8(high) == 0;
  }
#endif
  if (n >= 8) {
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    uint64_t word;
    for (size_t i = 0; i + 8 <= n; i += 8) {
      std::memcpy(&word, data + i, 8);
      if ((word & kHigh) != 0) return false;
    }
    std::memcpy(&word, data + n - 8, 8);
    return (word & kHigh) == 0;
  }
  if (n >= 4) {
    uint32_t first, last;
    std::memcpy(&first, data, 4);
    std::memcpy(&last, data + n - 4, 4);
    return ((first | last) & 0x80808080u) == 0;
  }
  unsigned char high = 0;
  for (size_t i = 0; i < n; ++i) high |= static_cast<unsigned char>(data[i]);
  return high < 0x80;
}

}  // namespace

bool IsValidUtf8(absl::string_view s) {
  if (AllAscii(s.data(), s.size())) return true;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  while (p < end) {
    // ASCII fast path, 8 bytes at a time.
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ull) break;
      p += 8;
    }
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (end - p < len) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    p += len;
  }
  return true;
}

}  // namespace eventmesh
