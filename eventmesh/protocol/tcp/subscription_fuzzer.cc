// Fuzz target: arbitrary bytes as a Subscription (the body of SUBSCRIBE_REQUEST and
// UNSUBSCRIBE_REQUEST).
//
// Property: every input is either rejected with InvalidArgument or yields a Subscription whose
// ToJson() parses back to an equal Subscription and serializes to the same bytes; every mode and
// type name read back is one the parsers accept. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/tcp/subscription.h"

namespace {

using eventmesh::protocol::tcp::Subscription;
using eventmesh::protocol::tcp::SubscriptionItem;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "subscription_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tcp = eventmesh::protocol::tcp;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<Subscription> sub = Subscription::FromJson(input);
  if (!sub.ok()) {
    if (!absl::IsInvalidArgument(sub.status())) {
      Fail("unexpected error code", sub.status().ToString());
    }
    return 0;
  }
  // Every item takes at least {"topic":"","mode":"SYNC","type":"SYNC"} worth of input.
  if (sub->topic_list.size() > size / 8) Fail("more items than the input can hold", "");
  for (const SubscriptionItem& item : sub->topic_list) {
    auto mode = tcp::ParseSubscriptionMode(tcp::SubscriptionModeName(item.mode));
    auto type = tcp::ParseSubscriptionType(tcp::SubscriptionTypeName(item.type));
    if (!mode.ok() || *mode != item.mode) Fail("mode name does not parse back", item.topic);
    if (!type.ok() || *type != item.type) Fail("type name does not parse back", item.topic);
  }
  const std::string json = sub->ToJson();
  absl::StatusOr<Subscription> again = Subscription::FromJson(json);
  if (!again.ok()) Fail("re-parse failed", again.status().ToString() + "\n" + json);
  if (!(*again == *sub)) Fail("re-parsed Subscription differs", json);
  if (again->ToJson() != json) Fail("serialization not stable", json);
  return 0;
}
