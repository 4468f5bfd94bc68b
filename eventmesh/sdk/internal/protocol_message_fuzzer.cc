// Fuzz target: arbitrary bytes as the EventMeshMessage body of a push, read by the SDK.
//
// Property: ParseProtocolMessage (the client's direct reader) gives what
// FromProtocolMessage(EventMeshMessage::FromJson(input)) gives, the same error included; for a
// message it reads, and for that message with its set fields changed from the input's bytes
// (biz_seq_no, unique_id, tag, ttl_ms and content_type over properties of the same names),
// AppendProtocolMessageJson writes what ToProtocolMessage(message).ToJson() writes, after
// whatever the buffer already held. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/sdk/internal/protocol_message.h"

namespace {

using eventmesh::protocol::tcp::EventMeshMessage;
using eventmesh::sdk::Message;

[[noreturn]] void Fail(const char* what, absl::string_view detail) {
  std::fprintf(stderr, "protocol_message_fuzzer: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckWriter(const Message& message, size_t prefix_size) {
  const std::string prefix(prefix_size, 'p');
  std::string direct = prefix;
  eventmesh::sdk::AppendProtocolMessageJson(message, &direct);
  const std::string expected = eventmesh::sdk::ToProtocolMessage(message).ToJson();
  if (direct.compare(0, prefix.size(), prefix) != 0 ||
      direct.compare(prefix.size(), std::string::npos, expected) != 0) {
    Fail("AppendProtocolMessageJson differs from ToProtocolMessage's JSON", expected);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<EventMeshMessage> reference = EventMeshMessage::FromJson(input);
  Message direct;
  direct.properties["stale"] = "from an earlier push";
  direct.unique_id = "stale";
  const absl::Status status = eventmesh::sdk::ParseProtocolMessage(input, &direct);
  if (status != reference.status()) Fail("the readers' errors differ", status.ToString());
  if (!status.ok()) return 0;
  const Message expected = eventmesh::sdk::FromProtocolMessage(*reference);
  if (!(direct == expected)) Fail("the readers' messages differ", input);
  CheckWriter(direct, size % 97);

  // The set fields, from the input: each one present or not, names from the message's own
  // properties where it has some (so that they collide), text that may need escaping.
  Message changed = direct;
  const absl::string_view tail = input.substr(size / 2);
  changed.biz_seq_no = std::string(tail.substr(0, size % 7));
  changed.unique_id = std::string(tail.substr(0, size % 5));
  changed.tag = size % 3 == 0 ? std::string() : std::string(tail.substr(0, 3));
  changed.ttl_ms = static_cast<int64_t>(size % 11) - 3;
  changed.content_type = std::string(tail.substr(0, size % 4));
  if (!changed.properties.empty() && size % 2 == 0) {
    changed.properties["bizseqno"] = changed.properties.begin()->second;
    changed.properties["ttl"] = "x";
  }
  CheckWriter(changed, size % 13);
  return 0;
}
