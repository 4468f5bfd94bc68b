// Fuzz target: HTTP request headers as the runtime reads them for a code-based request.
//
// Input layout: header lines "name:value" separated by '\n' (a line without ':' is a header
// with an empty value), set into a HeaderMap in order as the HTTP connection does; the request
// code comes from the `code` header.
//
// Properties, any violation aborts:
//   - HeaderMap: every name resolves case-insensitively (as sent, lower and upper case) to the
//     last value set under any spelling; size() counts distinct names; Remove works.
//   - RequestHeader::Parse, for the header's code and for a code that requires the client
//     identity, either fails with InvalidArgument or returns a header that keeps the documented
//     limits (version 1.0 or 2.0, non-blank language, non-blank idc/sys and all-digit pid when
//     required), and that ToHeaderMap() writes back to a map parsing to the same fields.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_code.h"

namespace {

namespace http = eventmesh::protocol::http;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "request_header_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

bool Blank(absl::string_view s) { return absl::StripAsciiWhitespace(s).empty(); }

bool SameFields(const http::RequestHeader& a, const http::RequestHeader& b) {
  return a.code == b.code && a.version == b.version && a.language == b.language && a.env == b.env &&
         a.idc == b.idc && a.sys == b.sys && a.pid == b.pid && a.ip == b.ip &&
         a.username == b.username && a.passwd == b.passwd && a.protocol_type == b.protocol_type &&
         a.protocol_version == b.protocol_version && a.protocol_desc == b.protocol_desc;
}

void CheckParse(const http::HeaderMap& headers, http::RequestCode code) {
  absl::StatusOr<http::RequestHeader> h = http::RequestHeader::Parse(headers, code);
  if (!h.ok()) {
    if (!absl::IsInvalidArgument(h.status())) Fail("unexpected error code", h.status().ToString());
    return;
  }
  if (h->code != code) Fail("code not kept", "");
  if (h->version != http::kProtocolVersion1 && h->version != http::kProtocolVersion2) {
    Fail("version outside 1.0/2.0", h->version);
  }
  if (Blank(h->language)) Fail("blank language", "");
  if (http::RequiresClientIdentity(code)) {
    if (Blank(h->idc) || Blank(h->sys) || Blank(h->pid)) Fail("blank identity accepted", "");
    for (char c : h->pid) {
      if (c < '0' || c > '9') Fail("non-numeric pid accepted", h->pid);
    }
  }
  const http::HeaderMap written = h->ToHeaderMap();
  if (code != http::RequestCode::kUnknown) {
    std::optional<http::RequestCode> back =
        http::ParseRequestCode(written.GetOr(http::header_key::kCode, ""));
    if (!back.has_value() || *back != code) Fail("code header does not parse back", "");
  }
  absl::StatusOr<http::RequestHeader> again = http::RequestHeader::Parse(written, code);
  if (!again.ok()) Fail("written header does not parse", again.status().ToString());
  if (!SameFields(*again, *h)) Fail("written header parses to other fields", "");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  http::HeaderMap headers;
  std::map<std::string, std::string> expected;  // lowercase name -> last value
  std::string last_name;
  while (!input.empty()) {
    const size_t eol = input.find('\n');
    const absl::string_view line = input.substr(0, eol);
    input = eol == absl::string_view::npos ? absl::string_view() : input.substr(eol + 1);
    const size_t colon = line.find(':');
    const absl::string_view name = line.substr(0, colon);
    const absl::string_view value =
        colon == absl::string_view::npos ? absl::string_view() : line.substr(colon + 1);
    headers.Set(name, value);
    expected[absl::AsciiStrToLower(name)] = std::string(value);
    last_name = std::string(name);
  }

  if (headers.size() != expected.size()) Fail("size differs from distinct names", "");
  for (const auto& [lower, value] : expected) {
    for (const std::string& spelling : {lower, absl::AsciiStrToUpper(lower)}) {
      std::optional<absl::string_view> got = headers.Get(spelling);
      if (!got.has_value() || *got != value) Fail("lookup differs", spelling);
    }
  }
  size_t visited = 0;
  headers.ForEach([&](const std::string& name, const std::string& value) {
    ++visited;
    auto it = expected.find(absl::AsciiStrToLower(name));
    if (it == expected.end() || it->second != value) Fail("ForEach entry differs", name);
  });
  if (visited != expected.size()) Fail("ForEach count differs", "");

  std::optional<http::RequestCode> code =
      http::ParseRequestCode(headers.GetOr(http::header_key::kCode, ""));
  if (code.has_value()) CheckParse(headers, *code);
  CheckParse(headers, http::RequestCode::kMsgSendAsync);
  CheckParse(headers, http::RequestCode::kHttpPushClientAsync);

  if (!expected.empty()) {
    http::HeaderMap copy = headers;
    if (!copy.Remove(absl::AsciiStrToUpper(last_name)) || copy.Contains(last_name) ||
        copy.size() != headers.size() - 1) {
      Fail("Remove differs", last_name);
    }
  }
  return 0;
}
