// Fuzz target for the HTTP body parsers: the input is parsed as a form (and, separately,
// as a JSON body), then handed to every typed body parser. Checks that nothing crashes,
// that URL coding round-trips, and that every body that parses re-parses to the same
// fields after ToForm() -> EncodeForm() -> ParseForm().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "eventmesh/protocol/http/request_body.h"
#include "eventmesh/protocol/http/request_code.h"
#include "eventmesh/protocol/http/url_encoding.h"

namespace eventmesh::protocol::http {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

BodyFields Reparse(const FormFields& fields) {
  absl::StatusOr<BodyFields> again = BodyFields::FromForm(EncodeForm(fields));
  Check(again.ok());
  return *std::move(again);
}

template <typename Body, typename ParseFn>
void RoundTrip(const BodyFields& fields, ParseFn parse) {
  absl::StatusOr<Body> body = parse(fields);
  if (!body.ok()) {
    Check(body.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  const FormFields form = body->ToForm();
  absl::StatusOr<Body> again = parse(Reparse(form));
  Check(again.ok());
  Check(again->ToForm() == form);
}

void RunParsers(const BodyFields& fields) {
  for (RequestCode code : {RequestCode::kMsgSendSync, RequestCode::kMsgSendAsync}) {
    RoundTrip<SendMessageRequestBody>(
        fields, [code](const BodyFields& f) { return SendMessageRequestBody::Parse(f, code); });
  }
  (void)SendMessageRequestBody::Parse(fields, RequestCode::kMsgSendAsync, "cloudevents");
  RoundTrip<BatchSendRequestBody>(fields, &BatchSendRequestBody::Parse);
  RoundTrip<BatchSendV2RequestBody>(fields, &BatchSendV2RequestBody::Parse);
  RoundTrip<HeartbeatRequestBody>(fields, &HeartbeatRequestBody::Parse);
  RoundTrip<SubscribeRequestBody>(fields, &SubscribeRequestBody::Parse);
  RoundTrip<UnsubscribeRequestBody>(fields, &UnsubscribeRequestBody::Parse);
  RoundTrip<ReplyMessageRequestBody>(fields, &ReplyMessageRequestBody::Parse);
  RoundTrip<PushMessageForm>(fields, &PushMessageForm::Parse);
  (void)TopicRequestBody::Parse(fields);
}

}  // namespace
}  // namespace eventmesh::protocol::http

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace eventmesh::protocol::http;  // NOLINT(build/namespaces)
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::string> decoded = UrlDecode(UrlEncode(input));
  Check(decoded.ok() && *decoded == input);

  absl::StatusOr<FormFields> form = ParseForm(input);
  if (form.ok()) {
    absl::StatusOr<FormFields> again = ParseForm(EncodeForm(*form));
    Check(again.ok());
    // Empty keys with empty values encode to "=" which parses back; order is kept.
    Check(*again == *form);
    RunParsers(BodyFields(*std::move(form)));
  } else {
    Check(form.status().code() == absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<BodyFields> json = BodyFields::FromJson(input);
  if (json.ok()) RunParsers(*json);
  return 0;
}
