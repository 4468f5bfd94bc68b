// Differential fuzz target for the protobuf CloudEvent codec.
//
// Property: ParseProto (the direct wire codec) accepts exactly the inputs the generated
// io.cloudevents.v1 classes + FromProto accept, and yields the same event; accepted
// events serialize and parse back to the same event (time in canonical form). The same
// acceptance holds for batches. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"

namespace {

using eventmesh::cloudevents::CloudEvent;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "proto_event_parser_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

absl::StatusOr<CloudEvent> ReferenceParse(absl::string_view bytes) {
  io::cloudevents::v1::CloudEvent p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed");
  }
  return eventmesh::cloudevents::FromProto(p);
}

bool ReferenceBatchOk(absl::string_view bytes) {
  io::cloudevents::v1::CloudEventBatch b;
  if (!b.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  for (const auto& e : b.events()) {
    if (!eventmesh::cloudevents::FromProto(e).ok()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<CloudEvent> fast = eventmesh::cloudevents::ParseProto(input);
  absl::StatusOr<CloudEvent> ref = ReferenceParse(input);
  if (fast.ok() != ref.ok()) {
    Fail("acceptance differs from generated code",
         std::string(fast.ok() ? ref.status().message() : fast.status().message()));
  }
  if (fast.ok()) {
    if (*fast != *ref) Fail("event differs from generated code", "");
    absl::StatusOr<std::string> bytes = eventmesh::cloudevents::SerializeProto(*fast);
    if (!bytes.ok()) Fail("re-serialization failed", std::string(bytes.status().message()));
    absl::StatusOr<CloudEvent> again = eventmesh::cloudevents::ParseProto(*bytes);
    if (!again.ok()) Fail("re-parse failed", std::string(again.status().message()));
    CloudEvent expected = *fast;
    if (again->time()) expected.set_time(*again->time());
    if (*again != expected) Fail("round trip differs", "");
  }
  if (eventmesh::cloudevents::ParseProtoBatch(input).ok() != ReferenceBatchOk(input)) {
    Fail("batch acceptance differs from generated code", "");
  }
  return 0;
}
