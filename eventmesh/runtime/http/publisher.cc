#include "eventmesh/runtime/http/publisher.h"

#include <atomic>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace eventmesh::runtime::http {

using protocol::http::EventMeshRetCode;

absl::StatusOr<const core::AclUser*> Authenticate(const HttpServices& services,
                                                  const HttpRequest& request) {
  if (services.acl == nullptr) return nullptr;
  const auto& headers = request.headers;
  const std::string username = headers.GetOr(protocol::http::header_key::kUsername, "");
  const std::string password = headers.GetOr(protocol::http::header_key::kPasswd, "");
  const std::string token = headers.GetOr(protocol::http::header_key::kToken, "");
  core::Credentials credentials;
  credentials.username = username;
  credentials.password = password;
  credentials.token = token;
  credentials.address = request.peer_ip;
  auto user = services.authenticator->Login(credentials);
  if (!user.ok()) {
    return absl::Status(user.status().code(), absl::StrCat("aclFail: ", user.status().message()));
  }
  return *user;
}

core::Publisher HttpPublisher(const HttpServices& services, const core::AclUser* user) {
  core::Publisher publisher;
  publisher.user = user;
  publisher.frontend_limit = services.rate_limiter;
  publisher.protocol = core::Protocol::kHttp;
  return publisher;
}

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

HttpRefusal RefusalFor(const absl::Status& status, EventMeshRetCode otherwise) {
  HttpRefusal refusal;
  refusal.http_status = HttpStatusFor(status);
  refusal.ret_code = otherwise;
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
      refusal.ret_code = EventMeshRetCode::kAclErr;
      refusal.ret_msg = std::string(status.message());
      return refusal;
    case absl::StatusCode::kOutOfRange:
      refusal.http_status = 413;
      refusal.ret_code = EventMeshRetCode::kProtocolBodySizeErr;
      break;
    case absl::StatusCode::kResourceExhausted:
      refusal.http_status = 429;
      refusal.ret_code = EventMeshRetCode::kHttpMesSendOverLimitErr;
      break;
    case absl::StatusCode::kCancelled:
      refusal.http_status = 503;
      break;
    default:
      break;
  }
  refusal.ret_msg = protocol::http::FormatRetMsg(refusal.ret_code, status.message());
  return refusal;
}

std::string NewEventId() {
  static std::atomic<uint64_t> counter{0};
  static const int64_t start = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  return absl::StrCat("http-", start, "-", counter.fetch_add(1));
}

void PublishEvents(const HttpServices& services, const core::AclUser* user,
                   std::vector<cloudevents::CloudEvent> events,
                   std::function<void(absl::Status)> done) {
  absl::Status admitted = services.publish->AdmitAll(HttpPublisher(services, user), events);
  if (!admitted.ok()) {
    done(std::move(admitted));
    return;
  }
  services.publish->Publish(std::move(events), std::move(done), core::Protocol::kHttp);
}

}  // namespace eventmesh::runtime::http
