#ifndef EVENTMESH_PROTOCOL_PROTO_DETERMINISTIC_H_
#define EVENTMESH_PROTOCOL_PROTO_DETERMINISTIC_H_

// A message's bytes with the protobuf library's deterministic serialization (map entries in key
// order): equal messages give equal bytes, so tests, fuzzers and answers that must be
// reproducible compare or send these.

#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message_lite.h"

namespace eventmesh::protocol::wire {

inline std::string DeterministicBytes(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }  // the stream writes its last bytes when destroyed
  return bytes;
}

}  // namespace eventmesh::protocol::wire

#endif  // EVENTMESH_PROTOCOL_PROTO_DETERMINISTIC_H_
