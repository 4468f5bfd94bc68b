// Fuzz target for the CloudEvents JSON event and batch parsers.
//
// Property: every input is either rejected with a status or yields events that
// re-serialize to JSON which parses back to equal events and serializes to the same
// bytes; such events also convert to protobuf and back. The parsers agree with reading the
// input as a DOM (same events, same error). Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
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

// The parsers read "data" without a DOM and skip containers they do not read: they must give
// what reading the whole text as a DOM (json::ParseJson, then JsonValueToEvent) gives, the same
// events or the same error, unless they stopped at a limit of the format.
template <typename T>
void CheckAgainstDom(const absl::StatusOr<T>& parsed, const absl::StatusOr<T>& dom,
                     absl::string_view input) {
  if (parsed.status().code() == absl::StatusCode::kOutOfRange) return;
  if (parsed.ok() != dom.ok() || (parsed.ok() && *parsed != *dom) ||
      (!parsed.ok() && parsed.status() != dom.status())) {
    Fail("parse differs from the DOM's", std::string(parsed.status().ToString()) + " vs " +
                                             dom.status().ToString() + "\n" + std::string(input));
  }
}

absl::StatusOr<CloudEvent> DomEvent(absl::string_view input) {
  absl::StatusOr<rapidjson::Document> doc = eventmesh::json::ParseJson(input, "CloudEvent");
  if (!doc.ok()) return doc.status();
  return eventmesh::cloudevents::JsonValueToEvent(*doc);
}

absl::StatusOr<std::vector<CloudEvent>> DomBatch(absl::string_view input) {
  absl::StatusOr<rapidjson::Document> doc = eventmesh::json::ParseJson(input, "CloudEvents batch");
  if (!doc.ok()) return doc.status();
  if (!doc->IsArray()) {
    return absl::InvalidArgumentError("invalid CloudEvents batch: expected a JSON array");
  }
  std::vector<CloudEvent> events;
  for (rapidjson::SizeType i = 0; i < doc->Size(); ++i) {
    absl::StatusOr<CloudEvent> e = eventmesh::cloudevents::JsonValueToEvent((*doc)[i]);
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("event [", i, "]: ", e.status().message()));
    }
    events.push_back(*std::move(e));
  }
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<CloudEvent> event = eventmesh::cloudevents::ParseJsonEvent(input);
  CheckAgainstDom(event, DomEvent(input), input);
  if (event.ok()) CheckEvent(*event);
  absl::StatusOr<std::vector<CloudEvent>> batch = eventmesh::cloudevents::ParseJsonBatch(input);
  CheckAgainstDom(batch, DomBatch(input), input);
  if (batch.ok()) {
    for (const CloudEvent& e : *batch) CheckEvent(e);
    const std::string json = eventmesh::cloudevents::SerializeJsonBatch(*batch);
    absl::StatusOr<std::vector<CloudEvent>> again = eventmesh::cloudevents::ParseJsonBatch(json);
    if (!again.ok() || *again != *batch) Fail("batch round trip differs", json);
  }
  return 0;
}
