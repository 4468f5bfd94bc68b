#include "eventmesh/runtime/webhook/push_request.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/http_binding.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/protocol/http/ret_code.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::runtime::webhook {

namespace http = protocol::http;

namespace {

std::string Digits(uint64_t seed, size_t count) {
  std::string out;
  uint64_t x = seed;
  while (out.size() < count) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG step per digit
    out.push_back(static_cast<char>('0' + (x >> 33) % 10));
  }
  return out;
}

}  // namespace

namespace {

// `E` is cloudevents::CloudEvent or cloudevents::ProtoEventView (the same accessors).
template <typename E>
net::HttpRequest BuildPush(const E& event, const std::string& url, PushFormat format, bool sync,
                           const RuntimeIdentity& identity, uint64_t random_no) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = url;
  if (format != PushFormat::kEventMeshForm) {
    cloudevents::HttpMessage message = format == PushFormat::kCloudEventsBinary
                                           ? cloudevents::ToBinaryHttp(event)
                                           : cloudevents::ToStructuredHttp(event);
    request.headers = std::move(message.headers);
    request.body = std::move(message.body);
    return request;
  }
  const auto* protocol_type = event.FindExtension("protocoltype");
  http::PushMessageForm form;
  if (protocol_type != nullptr && *protocol_type == "cloudevents") {
    cloudevents::AppendJsonEvent(event, &form.content);
  } else {
    form.content = std::string(event.data());
  }
  const auto* biz = event.FindExtension("bizseqno");
  form.biz_seq_no =
      biz != nullptr && !biz->empty() ? std::string(*biz) : Digits(random_no ^ 0x9e37, 20);
  const auto* unique = event.FindExtension("uniqueid");
  form.unique_id =
      unique != nullptr && !unique->empty() ? std::string(*unique) : std::string(event.id());
  form.random_no = absl::StrCat(random_no % 1000000000000ULL);
  form.topic = std::string(event.subject().value_or(""));
  for (const auto& [name, value] : event.extensions()) {
    form.ext_fields[std::string(name)] = std::string(value.text);
  }
  const http::RequestCode code =
      http::PushRequestCode(sync ? http::SubscriptionType::kSync : http::SubscriptionType::kAsync);
  request.headers = {
      {"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8"},
      {std::string(http::header_key::kCode), absl::StrCat(static_cast<int>(code))},
      {std::string(http::header_key::kLanguage), std::string(http::kDefaultLanguage)},
      {std::string(http::header_key::kVersion), std::string(http::kProtocolVersion1)},
      {std::string(http::header_key::kEventMeshCluster), identity.cluster},
      {std::string(http::header_key::kEventMeshIp), identity.ip},
      {std::string(http::header_key::kEventMeshEnv), identity.env},
      {std::string(http::header_key::kEventMeshIdc), identity.idc},
  };
  if (protocol_type != nullptr && *protocol_type == "http") {
    for (const auto& [name, value] : event.extensions()) {
      // A value with CR, LF or NUL would end the header and inject others: such an extension
      // travels only in the form's extFields.
      if (absl::string_view(value.text).find_first_of(absl::string_view("\r\n\0", 3)) !=
          absl::string_view::npos) {
        continue;
      }
      if (net::FindHeader(request.headers, name) == nullptr) {
        request.headers.emplace_back(std::string(name), std::string(value.text));
      }
    }
  }
  request.body = form.Encode();
  return request;
}

}  // namespace

net::HttpRequest BuildPushRequest(const cloudevents::CloudEvent& event, const std::string& url,
                                  PushFormat format, bool sync, const RuntimeIdentity& identity,
                                  uint64_t random_no) {
  return BuildPush(event, url, format, sync, identity, random_no);
}

net::HttpRequest BuildPushRequest(const cloudevents::ProtoEventView& event, const std::string& url,
                                  PushFormat format, bool sync, const RuntimeIdentity& identity,
                                  uint64_t random_no) {
  return BuildPush(event, url, format, sync, identity, random_no);
}

BatchPushBuilder::BatchPushBuilder(std::string url) {
  request_.method = "POST";
  request_.url = std::move(url);
  request_.headers = {{"Content-Type", std::string(cloudevents::kJsonBatchMediaType)}};
  request_.body = "[";
}

template <typename E>
bool BatchPushBuilder::Add(const E& event, size_t max_bytes) {
  // "[" + events joined by "," + "]": written in place, taken back when it does not fit.
  std::string& body = request_.body;
  const size_t before = body.size();
  if (events_ > 0) body.push_back(',');
  cloudevents::AppendJsonEvent(event, &body);
  if (events_ > 0 && body.size() + 1 > max_bytes) {
    body.resize(before);
    return false;
  }
  ++events_;
  return true;
}

bool BatchPushBuilder::AddEvent(const cloudevents::CloudEvent& event, size_t max_bytes) {
  return Add(event, max_bytes);
}

bool BatchPushBuilder::AddEvent(const cloudevents::ProtoEventView& event, size_t max_bytes) {
  return Add(event, max_bytes);
}

net::HttpRequest BatchPushBuilder::Finish() {
  request_.body.push_back(']');
  return std::move(request_);
}

std::optional<int64_t> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  if (value.find_first_not_of("0123456789") == absl::string_view::npos) {
    // More seconds than int64 milliseconds can hold saturate (the caller caps the delay anyway).
    constexpr int64_t kMaxMs = std::numeric_limits<int64_t>::max();
    if (!absl::SimpleAtoi(value, &seconds) || seconds > kMaxMs / 1000) return kMaxMs;
    return seconds * 1000;
  }
  absl::Time when;
  std::string error;
  if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", std::string(value), absl::UTCTimeZone(), &when,
                       &error)) {
    return std::nullopt;
  }
  return std::max<int64_t>(0, absl::ToInt64Milliseconds(when - now));
}

PushVerdict ClassifyResponse(PushFormat format, const absl::StatusOr<net::HttpResponse>& result,
                             absl::Time now) {
  PushVerdict verdict;
  if (!result.ok()) {
    verdict.outcome = PushOutcome::kRetry;
    verdict.reason = std::string(result.status().message());
    return verdict;
  }
  const int status = result->status;
  if (status == 429) {
    verdict.outcome = PushOutcome::kRetry;
    verdict.reason = "endpoint answered HTTP 429 (too many requests)";
    if (const std::string* after = result->header("Retry-After")) {
      verdict.retry_after_ms = ParseRetryAfter(*after, now);
    }
    return verdict;
  }
  if (status == 410 || status == 415) {
    verdict.outcome = PushOutcome::kReject;
    verdict.reason = absl::StrCat("endpoint answered HTTP ", status, " (no retry)");
    return verdict;
  }
  if (status < 200 || status > 299) {
    verdict.outcome = PushOutcome::kRetry;
    verdict.reason = absl::StrCat("endpoint answered HTTP ", status);
    return verdict;
  }
  if (format != PushFormat::kEventMeshForm) {
    verdict.outcome = PushOutcome::kAccepted;
    return verdict;
  }
  // Only retCode is read: an answer of more values is not the protocol's (and would cost 16
  // bytes or more a value as a DOM).
  auto json = json::ParseJson(result->body, "push response", /*max_values=*/4096);
  std::optional<int64_t> ret_code;
  if (json.ok() && json->IsObject()) ret_code = json::GetInt64(*json, "retCode");
  if (!ret_code.has_value()) {
    verdict.outcome = PushOutcome::kGiveUp;
    verdict.reason = "the push response has no retCode (treated as FAIL)";
    return verdict;
  }
  auto code = http::ClientRetCodeFromInt(*ret_code);
  if (!code.has_value()) {
    verdict.outcome = PushOutcome::kGiveUp;
    verdict.reason = absl::StrCat("unknown retCode ", *ret_code, " (treated as FAIL)");
    return verdict;
  }
  switch (http::ActionForClientRetCode(*code)) {
    case http::PushAction::kDone:
      verdict.outcome = PushOutcome::kAccepted;
      break;
    case http::PushAction::kRetry:
      verdict.outcome = PushOutcome::kRetry;
      verdict.reason = absl::StrCat("endpoint answered retCode ", *ret_code, " (",
                                    http::ClientRetCodeName(*code), ")");
      break;
    case http::PushAction::kGiveUp:
      verdict.outcome = PushOutcome::kGiveUp;
      verdict.reason = absl::StrCat("endpoint answered retCode ", *ret_code, " (",
                                    http::ClientRetCodeName(*code), ")");
      break;
  }
  return verdict;
}

}  // namespace eventmesh::runtime::webhook
