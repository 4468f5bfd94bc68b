#include "eventmesh/runtime/core/request_reply_service.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "glog/logging.h"

namespace eventmesh::runtime::core {

RequestReplyService::RequestReplyService(PublishService* publish, RequestTracker* tracker,
                                         RequestReplyOptions options)
    : publish_(publish), tracker_(tracker), options_(options) {}

RequestReplyService::~RequestReplyService() { CancelAll(); }

void RequestReplyService::Request(const Publisher& publisher, const RequestOwner& owner,
                                  const std::string& seq, cloudevents::CloudEvent request,
                                  std::optional<int64_t> ttl_ms,
                                  boost::asio::any_io_executor timer_executor, ReplyFn done) {
  const int64_t ttl = ttl_ms.value_or(options_.default_ttl_ms);
  if (ttl <= 0 || ttl > options_.max_ttl_ms) {
    done(absl::InvalidArgumentError(
        absl::StrCat("invalid ttl ", ttl, " ms: a request waits 1 to ", options_.max_ttl_ms,
                     " ms for its reply (eventMesh.server.requestReply.maxTtlMs)")));
    return;
  }
  if (absl::Status admitted = publish_->Admit(publisher, request); !admitted.ok()) {
    done(std::move(admitted));
    return;
  }
  // With a store shared by several runtimes the responder may sit on another runtime: the
  // request names this runtime's reply topic for the response to come back through.
  absl::StatusOr<std::string> reply_topic = tracker_->EnsureReplyChannel(publish_->connector());
  if (!reply_topic.ok()) {
    done(reply_topic.status());
    return;
  }
  const std::string id = tracker_->NewCorrelationId(owner.id, seq);
  request.SetExtension(kCorrelationExtension, id);
  request.SetExtension("ttl", std::to_string(ttl));
  if (!reply_topic->empty()) {
    request.SetExtension(kReplyTopicExtension, *reply_topic);
  } else {
    request.RemoveExtension(kReplyTopicExtension);
  }
  auto timer =
      std::make_shared<boost::asio::steady_timer>(timer_executor, std::chrono::milliseconds(ttl));
  bool full = false;
  {
    absl::MutexLock lock(&mu_);
    auto& mine = by_owner_[owner];
    full = static_cast<int64_t>(mine.size()) >= options_.max_pending_per_owner;
    if (!full) {
      mine.insert(id);
      pending_.emplace(id, Pending{owner, std::move(done), timer});
    }
  }
  if (full) {
    if (RuntimeMetrics* metrics = publish_->metrics()) {
      metrics->PublishRefused(publisher.protocol, PublishResultClass::kFlowControl);
    }
    done(absl::ResourceExhaustedError(
        absl::StrCat("too many requests waiting for a reply: ", options_.max_pending_per_owner,
                     " per client (eventMesh.server.requestReply.maxPendingPerClient)")));
    return;
  }
  tracker_->Register(id,
                     [this, id](const cloudevents::CloudEvent& response) { Finish(id, response); });
  timer->async_wait([this, id, ttl](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the request finished
    if (tracker_->Cancel(id)) {
      Finish(id, absl::DeadlineExceededError(
                     absl::StrCat("request timed out: no response within ", ttl, " ms (ttl)")));
    }
  });
  std::vector<cloudevents::CloudEvent> events;
  events.push_back(std::move(request));
  publish_->Publish(
      std::move(events),
      [this, id](absl::Status status) {
        if (!status.ok() && tracker_->Cancel(id)) Finish(id, std::move(status));
      },
      publisher.protocol);
}

absl::Status RequestReplyService::Respond(cloudevents::CloudEvent response) {
  const std::string* id = response.FindExtension(kCorrelationExtension);
  if (id == nullptr || id->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the reply has no '", kCorrelationExtension,
                     "' property (a reply must carry the request's properties)"));
  }
  const std::string correlation = *id;
  switch (tracker_->RouteResponse(publish_->connector(), correlation, std::move(response))) {
    case RequestTracker::Route::kLocal:
    case RequestTracker::Route::kForward:
      return absl::OkStatus();
    case RequestTracker::Route::kRefused:
      return absl::PermissionDeniedError(absl::StrCat(
          "the reply names a reply topic outside the mesh's reply channels (", kReplyTopicExtension,
          " must be the request's, \"eventmesh-reply-<runtime id>\")"));
    case RequestTracker::Route::kUnknown:
      break;
  }
  return absl::NotFoundError(absl::StrCat("no pending request for ", kCorrelationExtension, " '",
                                          correlation,
                                          "' (answered, timed out or from another runtime)"));
}

std::optional<RequestReplyService::Pending> RequestReplyService::Take(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = pending_.find(id);
  if (it == pending_.end()) return std::nullopt;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  auto owner = by_owner_.find(pending.owner);
  if (owner != by_owner_.end()) {
    owner->second.erase(id);
    if (owner->second.empty()) by_owner_.erase(owner);
  }
  return pending;
}

void RequestReplyService::Finish(const std::string& id,
                                 absl::StatusOr<cloudevents::CloudEvent> result) {
  std::optional<Pending> pending = Take(id);
  if (!pending.has_value()) return;
  auto timer = pending->timer;
  boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  pending->done(std::move(result));
}

void RequestReplyService::CancelOwner(const RequestOwner& owner) {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    auto it = by_owner_.find(owner);
    if (it == by_owner_.end()) return;
    ids.assign(it->second.begin(), it->second.end());
  }
  for (const auto& id : ids) {
    if (tracker_->Cancel(id)) {
      Finish(id, absl::CancelledError(
                     absl::StrCat("the requesting ", owner.frontend, " client went away")));
    }
  }
}

void RequestReplyService::CancelFrontend(absl::string_view frontend) {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, pending] : pending_) {
      if (pending.owner.frontend == frontend) ids.push_back(id);
    }
  }
  for (const auto& id : ids) {
    if (tracker_->Cancel(id)) {
      Finish(id, absl::CancelledError(absl::StrCat("the ", frontend, " server is stopping")));
    }
  }
}

void RequestReplyService::CancelAll() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, pending] : pending_) ids.push_back(id);
  }
  for (const auto& id : ids) {
    if (tracker_->Cancel(id)) Finish(id, absl::CancelledError("the runtime is shutting down"));
  }
}

size_t RequestReplyService::pending() {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

}  // namespace eventmesh::runtime::core
