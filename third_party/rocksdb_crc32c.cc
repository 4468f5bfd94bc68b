// Hardware CRC-32C for Debian's librocksdb.
//
// Debian's librocksdb is built portable (no SSE4.2), so rocksdb::crc32c::Extend runs a
// table-driven CRC-32C; with syncMode=none it was ~10 % of the publishing thread's samples (the
// WAL record checksum). The library calls Extend through its PLT, so the definition below, linked
// into the executable and exported from it (BUILD: --export-dynamic-symbol), is the one every call
// in the process reaches, as tsan_absl_sync.cc does for Abseil. It computes the same CRC-32C
// (Castagnoli, RocksDB's pre- and post-inversion) with the crc32 instruction when the CPU has
// SSE4.2 and otherwise calls the library's own (dlsym(RTLD_NEXT)). rocksdb_crc32c_test checks it
// byte for byte against the library's.

#include "third_party/rocksdb_crc32c.h"

#include <cstring>

#if defined(__x86_64__)
#include <dlfcn.h>
#include <nmmintrin.h>
#endif

namespace rocksdb::crc32c {
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);  // util/crc32c.h (not installed)
}  // namespace rocksdb::crc32c

namespace eventmesh::third_party {
namespace {

#if defined(__x86_64__)

constexpr char kExtendSymbol[] = "_ZN7rocksdb6crc32c6ExtendEjPKcm";
using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

__attribute__((target("sse4.2"))) uint32_t ExtendSse42(uint32_t crc, const char* data, size_t n) {
  uint32_t c = ~crc;
  const char* p = data;
  const char* const end = data + n;
  while (p < end && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(c, static_cast<uint8_t>(*p++));
  }
  uint64_t c64 = c;
  for (; end - p >= 32; p += 32) {
    uint64_t w[4];
    std::memcpy(w, p, sizeof(w));
    c64 = _mm_crc32_u64(c64, w[0]);
    c64 = _mm_crc32_u64(c64, w[1]);
    c64 = _mm_crc32_u64(c64, w[2]);
    c64 = _mm_crc32_u64(c64, w[3]);
  }
  for (; end - p >= 8; p += 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    c64 = _mm_crc32_u64(c64, w);
  }
  c = static_cast<uint32_t>(c64);
  while (p < end) c = _mm_crc32_u8(c, static_cast<uint8_t>(*p++));
  return ~c;
}

// The library's own Extend (the next definition after the executable's).
ExtendFn LibraryExtend() {
  static const ExtendFn fn = reinterpret_cast<ExtendFn>(dlsym(RTLD_NEXT, kExtendSymbol));
  return fn;
}

// Bytewise table CRC-32C: only for a CPU without SSE4.2 in a process where the library's own
// cannot be found (never expected; it keeps Extend defined whatever happens).
uint32_t ExtendTable(uint32_t crc, const char* data, size_t n) {
  static const auto* const table = [] {
    auto* t = new uint32_t[256];
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (c >> 8);
  return ~c;
}

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

ExtendFn Chosen() {
  static const ExtendFn fn = [] {
    if (CpuHasSse42()) return &ExtendSse42;
    const ExtendFn library = LibraryExtend();
    return library != nullptr ? library : &ExtendTable;
  }();
  return fn;
}

#endif  // __x86_64__

}  // namespace

#if defined(__x86_64__)

const char* RocksDbCrc32cImplementation() {
  // The definition the library's PLT reaches is the first in the global scope.
  void* reached = dlsym(RTLD_DEFAULT, kExtendSymbol);
  const ExtendFn ours = &::rocksdb::crc32c::Extend;
  if (reached == nullptr || reinterpret_cast<ExtendFn>(reached) != ours) return "not interposed";
  return Chosen() == &ExtendSse42 ? "sse4.2" : "library";
}

uint32_t ExtendCrc32c(uint32_t crc, const char* data, size_t n) { return Chosen()(crc, data, n); }

#else

const char* RocksDbCrc32cImplementation() { return "library"; }

uint32_t ExtendCrc32c(uint32_t crc, const char* data, size_t n) {
  return ::rocksdb::crc32c::Extend(crc, data, n);
}

#endif  // __x86_64__

}  // namespace eventmesh::third_party

#if defined(__x86_64__)
namespace rocksdb::crc32c {

// Replaces librocksdb's definition for the whole process (see the file comment).
uint32_t Extend(uint32_t init_crc, const char* data, size_t n) {
  return ::eventmesh::third_party::ExtendCrc32c(init_crc, data, n);
}

}  // namespace rocksdb::crc32c
#endif
