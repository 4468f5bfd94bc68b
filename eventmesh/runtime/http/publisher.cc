#include "eventmesh/runtime/http/publisher.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/adaptor/tcp_adaptor.h"

namespace eventmesh::runtime::http {

absl::StatusOr<const core::AclUser*> Authenticate(const HttpServices& services,
                                                  const protocol::http::HeaderMap& headers) {
  if (services.acl == nullptr) return nullptr;
  const std::string username = headers.GetOr(protocol::http::header_key::kUsername, "");
  const std::string password = headers.GetOr(protocol::http::header_key::kPasswd, "");
  const core::AclUser* user = services.acl->Authenticate(username, password);
  if (user == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("aclFail: authentication failed for user \"", username, "\""));
  }
  return user;
}

std::string DeniedPublish(const core::AclUser* user, const std::string& topic) {
  if (user == nullptr || core::Acl::CanPublish(*user, topic)) return "";
  return absl::StrCat("aclFail: user \"", user->username, "\" may not publish to topic \"", topic,
                      "\"");
}

std::string DeniedSubscribe(const core::AclUser* user, const std::string& topic) {
  if (user == nullptr || core::Acl::CanSubscribe(*user, topic)) return "";
  return absl::StrCat("aclFail: user \"", user->username, "\" may not subscribe to topic \"", topic,
                      "\"");
}

bool TryAcquireRate(const HttpServices& services, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (!services.rate_limiter->TryAcquire()) return false;
  }
  return true;
}

std::string NewEventId() {
  static std::atomic<uint64_t> counter{0};
  static const int64_t start = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  return absl::StrCat("http-", start, "-", counter.fetch_add(1));
}

void PublishEvents(const HttpServices& services, std::vector<cloudevents::CloudEvent> events,
                   std::function<void(absl::Status)> done) {
  for (const auto& event : events) {
    const std::string topic(protocol::adaptor::EventTopic(event));
    if (absl::Status ensured = services.topics->EnsureTopic(topic); !ensured.ok()) {
      done(
          absl::Status(ensured.code(), absl::StrCat("topic \"", topic, "\": ", ensured.message())));
      return;
    }
  }
  if (events.empty()) {
    done(absl::OkStatus());
    return;
  }
  struct Gather {
    std::atomic<size_t> remaining;
    std::mutex mu;
    absl::Status first_error;
    std::function<void(absl::Status)> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->remaining = events.size();
  gather->done = std::move(done);
  std::vector<connectors::Connector::PendingPublish> batch;
  batch.reserve(events.size());
  for (auto& event : events) {
    batch.push_back(connectors::Connector::PendingPublish{
        std::move(event), [gather](absl::StatusOr<connectors::PublishResult> result) {
          if (!result.ok()) {
            std::lock_guard<std::mutex> lock(gather->mu);
            if (gather->first_error.ok()) {
              gather->first_error =
                  absl::Status(result.status().code(),
                               absl::StrCat("publish failed: ", result.status().message()));
            }
          }
          if (gather->remaining.fetch_sub(1) == 1) {
            absl::Status status;
            {
              std::lock_guard<std::mutex> lock(gather->mu);
              status = gather->first_error;
            }
            gather->done(std::move(status));
          }
        }});
  }
  services.connector->PublishBatch(&batch);
}

}  // namespace eventmesh::runtime::http
