#ifndef EVENTMESH_PROTOCOL_PROTO_TESTING_WIRE_BUILDER_H_
#define EVENTMESH_PROTOCOL_PROTO_TESTING_WIRE_BUILDER_H_

// Protobuf wire bytes written by hand, for tests that need forms the library never writes
// (fields repeated or out of order, unknown fields, malformed values).

#include <cstdint>
#include <string>

namespace eventmesh::protocol::wire::testing {

inline std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// Field `field` of wire type 0 holding `v`.
inline std::string VarField(int field, uint64_t v) {
  return Varint(static_cast<uint64_t>(field) << 3) + Varint(v);
}

// Field `field` of wire type 2 holding `s`.
inline std::string LenField(int field, const std::string& s) {
  return Varint(static_cast<uint64_t>(field) << 3 | 2) + Varint(s.size()) + s;
}

}  // namespace eventmesh::protocol::wire::testing

#endif  // EVENTMESH_PROTOCOL_PROTO_TESTING_WIRE_BUILDER_H_
