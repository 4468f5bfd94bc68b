// Fuzz target: a subscriber's answer to a webhook push, as ClassifyResponse interprets it.
//
// Input layout: byte 0 = control (bits 0-1: push format, 0/3 EventMesh form, 1 CloudEvents
// binary, 2 structured; bit 7: a transport error instead of a response), bytes 1-2 = HTTP
// status (100 + big-endian value % 500), then header lines "name:value" separated by '\n', an
// empty line, and the body.
//
// Properties, any violation aborts: the verdict follows the documented table (transport error,
// non-2xx and 429 -> retry; 410/415 -> reject; CloudEvents 2xx -> accepted; EventMesh form 2xx
// -> accepted, retry or give up, by the body's retCode); only a 429 carries a Retry-After delay,
// it is never negative and equals ParseRetryAfter of the header; every verdict but acceptance
// has a reason. ParseRetryAfter of all-digit text is that many seconds in ms (saturated).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "eventmesh/runtime/webhook/push_request.h"

namespace {

using eventmesh::runtime::webhook::ClassifyResponse;
using eventmesh::runtime::webhook::ParseRetryAfter;
using eventmesh::runtime::webhook::PushFormat;
using eventmesh::runtime::webhook::PushOutcome;
using eventmesh::runtime::webhook::PushVerdict;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "push_reply_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

void CheckRetryAfter(absl::string_view value, absl::Time now) {
  const std::optional<int64_t> ms = ParseRetryAfter(value, now);
  if (ms.has_value() && *ms < 0) Fail("negative Retry-After", std::string(value));
  const absl::string_view v = absl::StripAsciiWhitespace(value);
  if (!v.empty() && v.find_first_not_of("0123456789") == absl::string_view::npos) {
    int64_t seconds = 0;
    const int64_t max = std::numeric_limits<int64_t>::max();
    const int64_t want =
        absl::SimpleAtoi(v, &seconds) && seconds <= max / 1000 ? seconds * 1000 : max;
    if (ms != want) Fail("delta-seconds misread", std::string(value));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const absl::Time now = absl::FromUnixSeconds(1764316800);  // a fixed clock: reproducible
  static constexpr PushFormat kFormats[] = {
      PushFormat::kEventMeshForm, PushFormat::kCloudEventsBinary,
      PushFormat::kCloudEventsStructured, PushFormat::kEventMeshForm};
  const PushFormat format = kFormats[data[0] & 3];
  const bool transport_error = (data[0] & 0x80) != 0;

  eventmesh::net::HttpResponse response;
  response.status = 100 + ((data[1] << 8) | data[2]) % 500;
  absl::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const absl::string_view line = rest.substr(0, eol);
    rest = eol == absl::string_view::npos ? absl::string_view() : rest.substr(eol + 1);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    response.headers.emplace_back(
        std::string(line.substr(0, colon)),
        colon == absl::string_view::npos ? "" : std::string(line.substr(colon + 1)));
  }
  response.body = std::string(rest);

  if (transport_error) {
    const PushVerdict v = ClassifyResponse(format, absl::UnavailableError(response.body), now);
    if (v.outcome != PushOutcome::kRetry || v.retry_after_ms.has_value()) {
      Fail("transport error not retried plainly", "");
    }
    return 0;
  }

  const PushVerdict v = ClassifyResponse(format, response, now);
  const int status = response.status;
  const std::string* after = response.header("Retry-After");
  if (after != nullptr) CheckRetryAfter(*after, now);
  if (status == 429) {
    if (v.outcome != PushOutcome::kRetry) Fail("429 not retried", "");
    const std::optional<int64_t> want =
        after != nullptr ? ParseRetryAfter(*after, now) : std::nullopt;
    if (v.retry_after_ms != want) Fail("Retry-After differs from ParseRetryAfter", "");
  } else if (v.retry_after_ms.has_value()) {
    Fail("a delay without 429", "");
  }
  if (status == 410 || status == 415) {
    if (v.outcome != PushOutcome::kReject) Fail("410/415 not rejected", "");
  } else if (status < 200 || status > 299) {
    if (v.outcome != PushOutcome::kRetry) Fail("non-2xx not retried", "");
  } else if (format != PushFormat::kEventMeshForm) {
    if (v.outcome != PushOutcome::kAccepted) Fail("CloudEvents 2xx not accepted", "");
  } else if (v.outcome == PushOutcome::kReject) {
    Fail("EventMesh form 2xx rejected", response.body);
  }
  if (v.outcome != PushOutcome::kAccepted && v.reason.empty()) Fail("verdict without reason", "");
  if (v.outcome == PushOutcome::kAccepted && !v.reason.empty()) Fail("acceptance with reason", "");
  return 0;
}
