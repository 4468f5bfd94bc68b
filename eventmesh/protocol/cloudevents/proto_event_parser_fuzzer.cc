// Differential fuzz target for the protobuf CloudEvent codec.
//
// Property: ParseProto (the direct wire codec) accepts exactly the inputs the generated
// io.cloudevents.v1 classes + FromProto accept, and yields the same event; accepted
// events serialize and parse back to the same event (time in canonical form). The same
// acceptance holds for batches. ProtoEventView accepts a subset of what ParseProto accepts
// (on the input and on the re-serialized bytes), with the same fields and the same JSON. With
// Checks::kStructure it accepts at least that, writes the same JSON for it, and writes JSON for
// whatever else it accepts without reading past the input. Reading through an
// AttributeMemo gives the same view as reading without one, after any other input. Any violation
// aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
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

// A view of `bytes`, when there is one, agrees with ParseProto's event `parsed`.
void CheckView(absl::string_view bytes, const absl::StatusOr<CloudEvent>& parsed) {
  using eventmesh::cloudevents::ProtoEventView;
  std::optional<ProtoEventView> view = ProtoEventView::Parse(bytes);
  // Without the contents' checks, every input is read within its bounds (ASan), and what the
  // full checks accept reads the same (compared through its JSON below).
  std::optional<ProtoEventView> structural =
      ProtoEventView::Parse(bytes, ProtoEventView::Checks::kStructure);
  if (view.has_value() && !structural.has_value()) {
    Fail("the structure checks refuse what the full checks accept", "");
  }
  if (structural.has_value()) {
    std::string ignored;
    eventmesh::cloudevents::AppendJsonEvent(*structural, &ignored);
  }
  if (!view.has_value()) return;
  if (!parsed.ok())
    Fail("view accepts what ParseProto refuses", std::string(parsed.status().message()));
  const CloudEvent& e = *parsed;
  if (view->id() != e.id() || view->source() != e.source() ||
      view->spec_version() != e.spec_version() || view->type() != e.type() ||
      view->subject() != std::optional<absl::string_view>(e.subject()) ||
      view->data_content_type() != std::optional<absl::string_view>(e.data_content_type()) ||
      view->time() != std::optional<absl::string_view>(e.time()) || e.data_schema().has_value() ||
      view->data() != e.data() || view->extensions().size() != e.extensions().size()) {
    Fail("view differs from ParseProto", "");
  }
  size_t i = 0;
  for (const auto& [name, value] : e.extensions()) {
    const auto& [view_name, view_value] = view->extensions()[i++];
    if (view_name != name || view_value.text != value.text ||
        value.type != eventmesh::cloudevents::AttributeType::kString) {
      Fail("view extension differs from ParseProto", name);
    }
  }
  std::string json;
  eventmesh::cloudevents::AppendJsonEvent(*view, &json);
  if (json != eventmesh::cloudevents::SerializeJsonEvent(e)) Fail("view JSON differs", json);
  std::string structural_json;
  eventmesh::cloudevents::AppendJsonEvent(*structural, &structural_json);
  if (structural_json != json) Fail("the structure-checked view's JSON differs", structural_json);
}

using eventmesh::cloudevents::ProtoEventView;

// Two readings agree: both absent, or the same fields and extensions, pointing into the same
// bytes.
bool SameView(const std::optional<ProtoEventView>& a, const std::optional<ProtoEventView>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a.has_value()) return true;
  const auto same = [](absl::string_view x, absl::string_view y) {
    return x.data() == y.data() && x.size() == y.size();
  };
  const auto same_optional = [&](const std::optional<absl::string_view>& x,
                                 const std::optional<absl::string_view>& y) {
    return x.has_value() == y.has_value() && (!x.has_value() || same(*x, *y));
  };
  if (!same(a->id(), b->id()) || !same(a->source(), b->source()) ||
      !same(a->spec_version(), b->spec_version()) || !same(a->type(), b->type()) ||
      !same_optional(a->subject(), b->subject()) ||
      !same_optional(a->data_content_type(), b->data_content_type()) || a->time() != b->time() ||
      !same(a->data(), b->data()) || a->data_field_encoding() != b->data_field_encoding() ||
      a->extensions().size() != b->extensions().size()) {
    return false;
  }
  for (size_t i = 0; i < a->extensions().size(); ++i) {
    if (!same(a->extensions()[i].first, b->extensions()[i].first) ||
        !same(a->extensions()[i].second.text, b->extensions()[i].second.text)) {
      return false;
    }
  }
  return true;
}

// Reading `first` then `second` through one memo, with every pair of checks: `second` reads as
// it does without the memo (whether the memo's run matched or not).
void CheckMemo(absl::string_view first, absl::string_view second) {
  for (const auto first_checks :
       {ProtoEventView::Checks::kAll, ProtoEventView::Checks::kStructure}) {
    for (const auto second_checks :
         {ProtoEventView::Checks::kAll, ProtoEventView::Checks::kStructure}) {
      ProtoEventView::AttributeMemo memo;
      if (!SameView(ProtoEventView::Parse(first, first_checks, &memo),
                    ProtoEventView::Parse(first, first_checks))) {
        Fail("a reading through a fresh memo differs", "");
      }
      if (!SameView(ProtoEventView::Parse(second, second_checks, &memo),
                    ProtoEventView::Parse(second, second_checks))) {
        Fail("a reading through a memo differs", "");
      }
      // Once more: now the memo holds `second`'s own run, if it has one.
      if (!SameView(ProtoEventView::Parse(second, second_checks, &memo),
                    ProtoEventView::Parse(second, second_checks))) {
        Fail("a second reading through a memo differs", "");
      }
    }
  }
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
  CheckView(input, fast);
  // The memo: the input after itself, and its two halves at a point the first byte picks (an
  // event whose attributes start as the other's do, or not).
  CheckMemo(input, input);
  if (size > 1) {
    const size_t split = 1 + data[0] % (size - 1);
    CheckMemo(input.substr(1, split), input.substr(1 + split));
    CheckMemo(input.substr(1 + split), input.substr(1, split));
  }
  if (fast.ok()) {
    if (*fast != *ref) Fail("event differs from generated code", "");
    absl::StatusOr<std::string> bytes = eventmesh::cloudevents::SerializeProto(*fast);
    if (!bytes.ok()) Fail("re-serialization failed", std::string(bytes.status().message()));
    absl::StatusOr<CloudEvent> again = eventmesh::cloudevents::ParseProto(*bytes);
    if (!again.ok()) Fail("re-parse failed", std::string(again.status().message()));
    CheckView(*bytes, again);
    CheckMemo(*bytes, input);
    CheckMemo(input, *bytes);
    CloudEvent expected = *fast;
    if (again->time()) expected.set_time(*again->time());
    if (*again != expected) Fail("round trip differs", "");
  }
  if (eventmesh::cloudevents::ParseProtoBatch(input).ok() != ReferenceBatchOk(input)) {
    Fail("batch acceptance differs from generated code", "");
  }
  return 0;
}
