#ifndef EVENTMESH_COMMON_BIG_ENDIAN_H_
#define EVENTMESH_COMMON_BIG_ENDIAN_H_

// Network byte order (big-endian) load/store of fixed-width integers, used by every
// length-prefixed wire format of the mesh. Pure functions; the caller guarantees the
// buffer holds enough bytes.

#include <cstdint>
#include <string>

namespace eventmesh {

inline uint32_t LoadBigEndian32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | uint32_t{u[3]};
}

inline void StoreBigEndian32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

inline void AppendBigEndian32(std::string* out, uint32_t v) {
  char buf[4];
  StoreBigEndian32(buf, v);
  out->append(buf, sizeof(buf));
}

inline uint64_t LoadBigEndian64(const char* p) {
  return (uint64_t{LoadBigEndian32(p)} << 32) | LoadBigEndian32(p + 4);
}

inline void StoreBigEndian64(char* p, uint64_t v) {
  StoreBigEndian32(p, static_cast<uint32_t>(v >> 32));
  StoreBigEndian32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_BIG_ENDIAN_H_
