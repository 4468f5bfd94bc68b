// Fuzz target for the CloudEvents JSON event and batch parsers.
//
// Property: every input is either rejected with a status or yields events that
// re-serialize to JSON which parses back to equal events and serializes to the same
// bytes; such events also convert to protobuf and back. Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"

namespace {

using eventmesh::cloudevents::CloudEvent;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "json_event_parser_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void CheckEvent(const CloudEvent& e) {
  const std::string json = eventmesh::cloudevents::SerializeJsonEvent(e);
  absl::StatusOr<CloudEvent> again = eventmesh::cloudevents::ParseJsonEvent(json);
  if (!again.ok()) Fail("re-parse failed", std::string(again.status().message()) + "\n" + json);
  if (*again != e) Fail("re-parsed event differs", json);
  if (eventmesh::cloudevents::SerializeJsonEvent(*again) != json) {
    Fail("serialization not stable", json);
  }
  absl::StatusOr<std::string> proto = eventmesh::cloudevents::SerializeProto(e);
  if (!proto.ok()) Fail("proto serialization failed", std::string(proto.status().message()));
  absl::StatusOr<CloudEvent> from_proto = eventmesh::cloudevents::ParseProto(*proto);
  if (!from_proto.ok()) {
    Fail("proto re-parse failed", std::string(from_proto.status().message()) + "\n" + json);
  }
  // Only the time text may change (canonical UTC form); everything else is exact.
  CloudEvent expected = e;
  if (from_proto->time()) expected.set_time(*from_proto->time());
  if (*from_proto != expected) Fail("proto round trip differs", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<CloudEvent> e = eventmesh::cloudevents::ParseJsonEvent(input); e.ok()) {
    CheckEvent(*e);
  }
  absl::StatusOr<std::vector<CloudEvent>> batch = eventmesh::cloudevents::ParseJsonBatch(input);
  if (batch.ok()) {
    for (const CloudEvent& e : *batch) CheckEvent(e);
    const std::string json = eventmesh::cloudevents::SerializeJsonBatch(*batch);
    absl::StatusOr<std::vector<CloudEvent>> again = eventmesh::cloudevents::ParseJsonBatch(json);
    if (!again.ok() || *again != *batch) Fail("batch round trip differs", json);
  }
  return 0;
}
