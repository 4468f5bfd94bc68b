// Fuzz target: arbitrary bytes as a UserAgent (the body of HELLO_REQUEST and RECOMMEND_REQUEST).
//
// Property: every input is either rejected with InvalidArgument or yields a UserAgent whose
// ToJson() parses back to an equal UserAgent and serializes to the same bytes; Validate()
// gives the same verdict on both. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/user_agent.h"

namespace {

using eventmesh::protocol::tcp::UserAgent;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "user_agent_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<UserAgent> ua = UserAgent::FromJson(input);
  if (!ua.ok()) {
    if (!absl::IsInvalidArgument(ua.status()))
      Fail("unexpected error code", ua.status().ToString());
    return 0;
  }
  const std::string json = ua->ToJson();
  absl::StatusOr<UserAgent> again = UserAgent::FromJson(json);
  if (!again.ok()) Fail("re-parse failed", again.status().ToString() + "\n" + json);
  if (*again != *ua) Fail("re-parsed UserAgent differs", json);
  if (again->ToJson() != json) Fail("serialization not stable", json);
  if (ua->Validate().ok() != again->Validate().ok()) Fail("Validate differs", json);
  return 0;
}
