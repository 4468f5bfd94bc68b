#ifndef EVENTMESH_PROTOCOL_JSON_STRING_SCAN_H_
#define EVENTMESH_PROTOCOL_JSON_STRING_SCAN_H_

// Finding the bytes that end or complicate a JSON string: '"', '\\' and control characters
// (below 0x20), and optionally every non-ASCII byte (0x80 and above). The hot paths of the
// codecs (copying a string that needs no escaping in one block, reading a header of plain
// strings) ask this for every key and value they touch, and most of those are short (command
// names, property keys, ids). So no length is scanned byte by byte except below 4 bytes:
// 16 bytes per step with SSE2 where the target has it, 8 (or 4) bytes per step as integers
// otherwise and for what is shorter than a step, and the last partial step re-reads the tail
// of the text (overlapping bytes already known to be plain) instead of going byte by byte.
// Texts of 64 bytes and more go 64 bytes per step first (one test for four blocks).
// Every read stays inside [data, data + n). All paths give the byte-by-byte answer
// (string_scan_test checks every byte at every position). Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <cstring>

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

// Bit 8k+7 set for byte k of the little-endian word `x` where that byte is special. Only the
// lowest set bit is exact (a borrow from a special byte may also mark bytes above it), which
// is all the callers use: the first special byte.
template <typename Word>
inline Word SpecialBits(Word x, bool stop_on_non_ascii) {
  constexpr Word kOnes = static_cast<Word>(~Word{0}) / 0xFF;  // 0x0101...
  constexpr Word kHigh = kOnes * 0x80;
  const Word quote = x ^ (kOnes * '"');
  const Word backslash = x ^ (kOnes * '\\');
  Word bits = ((x - kOnes * 0x20) & ~x)              // bytes below 0x20
              | ((quote - kOnes) & ~quote)           // bytes equal to '"'
              | ((backslash - kOnes) & ~backslash);  // bytes equal to '\\'
  if (stop_on_non_ascii) bits |= x;
  return bits & kHigh;
}

template <typename Word>
inline Word LoadWord(const char* p) {
  Word w;
  std::memcpy(&w, p, sizeof(w));
  return w;
}

// The index (0 to sizeof(Word)-1) of the first special byte marked in `bits` (nonzero).
template <typename Word>
inline size_t FirstMarkedByte(Word bits) {
  return static_cast<size_t>(__builtin_ctzll(static_cast<unsigned long long>(bits))) / 8;
}

// The first special byte of data[0, n) by words of type `Word`, the last word re-reading the
// tail; n >= sizeof(Word).
template <typename Word>
inline size_t FindSpecialByWords(const char* data, size_t n, bool stop_on_non_ascii) {
  constexpr size_t kStep = sizeof(Word);
  size_t i = 0;
  for (; i + kStep <= n; i += kStep) {
    const Word bits = SpecialBits(LoadWord<Word>(data + i), stop_on_non_ascii);
    if (bits != 0) return i + FirstMarkedByte(bits);
  }
  if (i == n) return n;
  const Word bits = SpecialBits(LoadWord<Word>(data + n - kStep), stop_on_non_ascii);
  return bits != 0 ? n - kStep + FirstMarkedByte(bits) : n;
}

// Texts shorter than 16 bytes (and every text without SSE2).
inline size_t FindSpecialShort(const char* data, size_t n, bool stop_on_non_ascii) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  return FindSpecialBytewise(data, n, stop_on_non_ascii);  // the word tricks assume little-endian
#endif
  if (n >= 8) return FindSpecialByWords<uint64_t>(data, n, stop_on_non_ascii);
  if (n >= 4) return FindSpecialByWords<uint32_t>(data, n, stop_on_non_ascii);
  return FindSpecialBytewise(data, n, stop_on_non_ascii);
}

#if defined(__SSE2__)
// Byte k 0xFF (or at least its high bit set) where byte k of the 16 at `p` is special, 0x00
// where it is not.
inline __m128i SpecialBytes16(const char* p, bool stop_on_non_ascii) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i quote_or_backslash =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  if (stop_on_non_ascii) {
    // As signed bytes, 0x80 and above are negative: one compare finds them and the controls.
    return _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), quote_or_backslash);
  }
  const __m128i max_control = _mm_set1_epi8(0x1F);
  // Unsigned v <= 0x1F  <=>  max(v, 0x1F) == 0x1F.
  const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, max_control), max_control);
  return _mm_or_si128(control, quote_or_backslash);
}

// Bit k set where byte k of the 16 at `p` is special (exact for every bit).
inline uint32_t SpecialMask16(const char* p, bool stop_on_non_ascii) {
  return static_cast<uint32_t>(_mm_movemask_epi8(SpecialBytes16(p, stop_on_non_ascii)));
}

// FindJsonSpecialByte for one value of stop_on_non_ascii: the steps below test it at compile
// time.
template <bool kStopOnNonAscii>
inline size_t FindSpecialSse2(const char* data, size_t n) {
  if (n < 16) return FindSpecialShort(data, n, kStopOnNonAscii);
  size_t i = 0;
  // Long texts (message bodies) 64 bytes per step: four blocks' marks joined, one test; the
  // block steps below find the first mark of a step that has one.
  for (; i + 64 <= n; i += 64) {
    const __m128i any = _mm_or_si128(_mm_or_si128(SpecialBytes16(data + i, kStopOnNonAscii),
                                                  SpecialBytes16(data + i + 16, kStopOnNonAscii)),
                                     _mm_or_si128(SpecialBytes16(data + i + 32, kStopOnNonAscii),
                                                  SpecialBytes16(data + i + 48, kStopOnNonAscii)));
    if (_mm_movemask_epi8(any) != 0) break;
  }
  for (; i + 16 <= n; i += 16) {
    const uint32_t mask = SpecialMask16(data + i, kStopOnNonAscii);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  if (i == n) return n;
  // The last 16 bytes: those before i are plain, so the first marked byte is the answer.
  const uint32_t mask = SpecialMask16(data + n - 16, kStopOnNonAscii);
  return mask != 0 ? n - 16 + static_cast<size_t>(__builtin_ctz(mask)) : n;
}
#endif

}  // namespace string_scan_internal

// The index of the first byte of data[0, n) that is '"', '\\', below 0x20 or (when
// `stop_on_non_ascii`) 0x80 or above; n when there is none.
inline size_t FindJsonSpecialByte(const char* data, size_t n, bool stop_on_non_ascii = false) {
#if defined(__SSE2__)
  return stop_on_non_ascii ? string_scan_internal::FindSpecialSse2<true>(data, n)
                           : string_scan_internal::FindSpecialSse2<false>(data, n);
#else
  return string_scan_internal::FindSpecialShort(data, n, stop_on_non_ascii);
#endif
}

// True when a JSON writer must escape some byte of data[0, n) ('"', '\\', control
// characters; UTF-8 and '/' are written as they are).
inline bool NeedsJsonEscape(const char* data, size_t n) {
  return FindJsonSpecialByte(data, n) != n;
}

}  // namespace eventmesh::json

#endif  // EVENTMESH_PROTOCOL_JSON_STRING_SCAN_H_
