// Fuzz target: arbitrary bytes as an EventMeshMessage (message bodies of protocoltype
// "eventmeshmessage").
//
// Property: every input is either rejected with InvalidArgument or yields a message whose
// ToJson() parses back to an equal message and serializes to the same bytes; AppendJson() onto
// a buffer that already holds other frames appends exactly ToJson() and leaves the prefix
// untouched. Where the compact-message scanner answers, the document reader gives the same view
// and status. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"

namespace {

using eventmesh::protocol::tcp::EventMeshMessage;
using eventmesh::protocol::tcp::EventMeshMessageView;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "event_mesh_message_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// A view flattened into one comparable text.
std::string Flatten(const EventMeshMessageView& m) {
  std::string out = absl::StrCat(m.topic.size(), ":", m.topic, m.body.size(), ":", m.body);
  for (const auto& f : m.properties)
    absl::StrAppend(&out, "p", f.name.size(), ":", f.name, f.text.size(), ":", f.text);
  for (const auto& f : m.headers)
    absl::StrAppend(&out, "h", f.name.size(), ":", f.name, f.text.size(), ":", f.text);
  return out;
}

void CheckReadersAgree(absl::string_view input) {
  namespace internal = eventmesh::protocol::tcp::event_mesh_message_internal;
  std::string simple_view, document_view;
  const std::optional<absl::Status> simple =
      internal::VisitSimpleEventMeshMessage(input, [&](const EventMeshMessageView& m) {
        simple_view = Flatten(m);
        // What the view promises with plain_ascii.
        const auto plain = [](absl::string_view text) {
          for (const char c : text) {
            const auto b = static_cast<unsigned char>(c);
            if (b < 0x20 || b >= 0x80 || c == '"' || c == '\\') return false;
          }
          return true;
        };
        bool all_plain = plain(m.topic) && plain(m.body);
        for (const auto& f : m.properties) all_plain = all_plain && plain(f.name) && plain(f.text);
        for (const auto& f : m.headers) all_plain = all_plain && plain(f.name) && plain(f.text);
        if (!m.plain_ascii || !all_plain) {
          Fail("the compact scanner's view is not plain ASCII", std::string(input));
        }
        return absl::OkStatus();
      });
  if (!simple.has_value()) return;
  const absl::Status document =
      internal::VisitEventMeshMessageDocument(input, [&](const EventMeshMessageView& m) {
        document_view = Flatten(m);
        return absl::OkStatus();
      });
  if (*simple != document || simple_view != document_view) {
    Fail("the compact scanner and the document reader disagree", std::string(input));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  CheckReadersAgree(input);
  absl::StatusOr<EventMeshMessage> m = EventMeshMessage::FromJson(input);
  if (!m.ok()) {
    if (!absl::IsInvalidArgument(m.status())) Fail("unexpected error code", m.status().ToString());
    return 0;
  }
  const std::string json = m->ToJson();
  absl::StatusOr<EventMeshMessage> again = EventMeshMessage::FromJson(json);
  if (!again.ok()) Fail("re-parse failed", again.status().ToString() + "\n" + json);
  if (!(*again == *m)) Fail("re-parsed message differs", json);
  if (again->ToJson() != json) Fail("serialization not stable", json);

  // Appending to a buffer of earlier frames (the encoder's path): the prefix length varies with
  // the input so that growth starts from different fill levels.
  const std::string prefix(size % 300, 'p');
  std::string buffer = prefix;
  m->AppendJson(&buffer);
  if (buffer.size() != prefix.size() + json.size() ||
      buffer.compare(0, prefix.size(), prefix) != 0 ||
      buffer.compare(prefix.size(), std::string::npos, json) != 0) {
    Fail("AppendJson differs from ToJson", json);
  }
  return 0;
}
