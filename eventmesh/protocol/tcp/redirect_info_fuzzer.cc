// Fuzz target: arbitrary bytes as a RedirectInfo (the body of REDIRECT_TO_CLIENT, which a
// client receives from a runtime).
//
// Property: every input is either rejected with InvalidArgument or yields a RedirectInfo whose
// ToJson() parses back to an equal value and serializes to the same bytes. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/redirect_info.h"

namespace {

using eventmesh::protocol::tcp::RedirectInfo;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "redirect_info_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<RedirectInfo> r = RedirectInfo::FromJson(input);
  if (!r.ok()) {
    if (!absl::IsInvalidArgument(r.status())) Fail("unexpected error code", r.status().ToString());
    return 0;
  }
  const std::string json = r->ToJson();
  absl::StatusOr<RedirectInfo> again = RedirectInfo::FromJson(json);
  if (!again.ok()) Fail("re-parse failed", again.status().ToString() + "\n" + json);
  if (!(*again == *r)) Fail("re-parsed RedirectInfo differs", json);
  if (again->ToJson() != json) Fail("serialization not stable", json);
  return 0;
}
