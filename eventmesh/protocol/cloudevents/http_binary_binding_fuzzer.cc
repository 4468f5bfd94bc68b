// Fuzz target for the CloudEvents HTTP binding as a receiver sees it: header lines and a body.
//
// Input layout: header lines "name:value" separated by '\n' (a line without ':' is a header
// with an empty value), an empty line, then the body (everything after it, bytes as they are).
//
// Properties, any violation aborts:
//   - FromBinaryHttp either fails with InvalidArgument or yields an event that passes
//     Validate(); ToBinaryHttp of that event reads back (FromBinaryHttp) to an equal event and
//     renders the same message again. A 0.3 body in base64 (ce-datacontentencoding) is decoded
//     once, so only its attributes and data bytes are compared after the round trip.
//   - The event also survives the JSON event format (JSON data may come back compact once).
//   - FromHttp agrees with DetectContentMode: binary mode yields exactly FromBinaryHttp's event.
//   - Header value codec: DecodeHeaderValue(PercentEncodeHeaderValue(x)) == x for UTF-8 x.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"

namespace {

namespace ce = eventmesh::cloudevents;
using ce::CloudEvent;
using ce::HttpHeader;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "http_binary_binding_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Splits the input into header lines and a body (see the layout above).
void SplitInput(absl::string_view input, std::vector<HttpHeader>* headers,
                absl::string_view* body) {
  while (!input.empty()) {
    const size_t eol = input.find('\n');
    const absl::string_view line = input.substr(0, eol);
    input = eol == absl::string_view::npos ? absl::string_view() : input.substr(eol + 1);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) {
      headers->emplace_back(std::string(line), "");
    } else {
      headers->emplace_back(std::string(line.substr(0, colon)),
                            std::string(line.substr(colon + 1)));
    }
  }
  *body = input;
}

bool SameAttributes(const CloudEvent& a, const CloudEvent& b) {
  return a.spec_version() == b.spec_version() && a.id() == b.id() && a.source() == b.source() &&
         a.type() == b.type() && a.subject() == b.subject() && a.time() == b.time() &&
         a.data_schema() == b.data_schema() && a.data_content_type() == b.data_content_type() &&
         a.extensions() == b.extensions();
}

void CheckEvent(const CloudEvent& e, bool base64_body) {
  if (!e.Validate().ok()) Fail("accepted event does not validate", e.Validate().ToString());

  const ce::HttpMessage m = ce::ToBinaryHttp(e);
  absl::StatusOr<CloudEvent> again = ce::FromBinaryHttp(m.headers, m.body);
  if (base64_body) {
    // The decoded bytes travel raw now; a JSON or text Content-Type may read them differently.
    if (again.ok() && (!SameAttributes(*again, e) || again->data() != e.data())) {
      Fail("base64 body round trip differs", ce::SerializeJsonEvent(e));
    }
  } else {
    if (!again.ok()) {
      Fail("binary round trip failed",
           again.status().ToString() + "\n" + ce::SerializeJsonEvent(e));
    }
    if (*again != e) Fail("binary round trip differs", ce::SerializeJsonEvent(e));
    const ce::HttpMessage m2 = ce::ToBinaryHttp(*again);
    if (m2.headers != m.headers || m2.body != m.body) Fail("binary rendering not stable", "");
  }

  // The JSON format embeds JSON data as a value, which comes back compact: such data may change
  // its formatting once, every other attribute and byte stays.
  const std::string json = ce::SerializeJsonEvent(e);
  absl::StatusOr<CloudEvent> from_json = ce::ParseJsonEvent(json);
  if (!from_json.ok())
    Fail("JSON format re-parse failed", from_json.status().ToString() + "\n" + json);
  if (!SameAttributes(*from_json, e) || from_json->data_encoding() != e.data_encoding() ||
      (e.data_encoding() != ce::DataEncoding::kJson && from_json->data() != e.data())) {
    Fail("JSON format round trip differs", json);
  }
  absl::StatusOr<CloudEvent> again_json = ce::ParseJsonEvent(ce::SerializeJsonEvent(*from_json));
  if (!again_json.ok() || *again_json != *from_json) Fail("JSON format not stable", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<HttpHeader> headers;
  absl::string_view body;
  SplitInput(input, &headers, &body);

  absl::StatusOr<CloudEvent> e = ce::FromBinaryHttp(headers, body);
  if (e.ok()) {
    CheckEvent(*e, ce::FindHttpHeader(headers, "ce-datacontentencoding") != nullptr &&
                       e->spec_version() == ce::kSpecVersion03 && !body.empty());
  } else if (!absl::IsInvalidArgument(e.status())) {
    Fail("unexpected error code", e.status().ToString());
  }

  absl::StatusOr<std::vector<CloudEvent>> all = ce::FromHttp(headers, body);
  const ce::ContentMode mode = ce::DetectContentMode(headers);
  if (mode == ce::ContentMode::kNone && all.ok()) Fail("FromHttp accepted a non-CloudEvent", "");
  if (mode == ce::ContentMode::kBinary) {
    if (all.ok() != e.ok()) Fail("FromHttp and FromBinaryHttp disagree", "");
    if (all.ok() && (all->size() != 1 || (*all)[0] != *e)) Fail("FromHttp event differs", "");
  }
  if (all.ok()) {
    for (const CloudEvent& event : *all) {
      if (!event.Validate().ok()) Fail("FromHttp event does not validate", "");
    }
  }

  if (eventmesh::IsValidUtf8(body)) {
    const std::string encoded = ce::PercentEncodeHeaderValue(body);
    absl::StatusOr<std::string> decoded = ce::DecodeHeaderValue(encoded, "x");
    if (!decoded.ok() || *decoded != body) Fail("header value codec round trip differs", encoded);
  }
  return 0;
}
