#include "eventmesh/runtime/federation/forward_target.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/response.h"
#include "glog/logging.h"

namespace eventmesh::runtime::federation {

namespace asio = boost::asio;

ForwardTarget::ForwardTarget(uint64_t id, ForwardOptions options, net::HttpClient* client)
    : id_(id),
      options_(std::move(options)),
      client_(client),
      strand_(asio::make_strand(client->io_context())),
      backoff_(absl::Milliseconds(100), options_.max_backoff, Backoff::Jitter::kEqual) {}

void ForwardTarget::SetEndpoints(std::vector<std::string> base_urls) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (base_urls == endpoints_) return;
    endpoints_ = std::move(base_urls);
    next_endpoint_ = 0;
  }
  Pump();
}

bool ForwardTarget::TryAcquireSlot() {
  if (closed_.load()) return false;
  int64_t current = slots_.load();
  while (current < options_.window) {
    if (slots_.compare_exchange_weak(current, current + 1)) return true;
  }
  return false;
}

core::PushResult ForwardTarget::Push(const cloudevents::CloudEvent& event, core::PushKind,
                                     const std::string& seq,
                                     const std::shared_ptr<core::GroupConsumer>& consumer) {
  uint64_t key = 0;
  if (!absl::SimpleAtoi(seq, &key)) return core::PushResult::Closed();
  auto delivery = std::make_shared<Delivery>();
  delivery->event = event;
  delivery->seq = key;
  delivery->consumer = consumer;
  // Decided once per event: events that came from a third mesh are acknowledged without being
  // sent (they cannot overtake anything on the other side).
  const std::string* origin = event.FindExtension(kOriginExtension);
  const bool foreign = origin != nullptr && *origin != options_.self_mesh;
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_.load()) return core::PushResult::Closed();
  if (foreign) {
    skipped_.push_back(std::move(delivery));
    return core::PushResult::Queued();
  }
  deliveries_[key] = delivery;
  ready_.push_back(std::move(delivery));
  return core::PushResult::Queued();
}

void ForwardTarget::Forget(const std::string& seq) {
  uint64_t key = 0;
  if (!absl::SimpleAtoi(seq, &key)) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = deliveries_.find(key);
  if (it == deliveries_.end()) return;
  it->second->cancelled = true;
  deliveries_.erase(it);
}

void ForwardTarget::Pump() {
  std::vector<std::shared_ptr<Delivery>> skipped;
  std::vector<std::shared_ptr<Delivery>> batch;
  std::string url;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load()) return;
    skipped.swap(skipped_);
    stats_.skipped += static_cast<int64_t>(skipped.size());
    if (!in_flight_ && !endpoints_.empty() && !ready_.empty()) {
      while (!ready_.empty() && static_cast<int32_t>(batch.size()) < options_.batch_events) {
        if (!ready_.front()->cancelled) batch.push_back(std::move(ready_.front()));
        ready_.pop_front();
      }
    }
    if (!batch.empty()) {
      in_flight_ = true;
      url = absl::StrCat(endpoints_[next_endpoint_ % endpoints_.size()], "/eventmesh/publish/",
                         options_.topic);
    }
  }
  for (auto& d : skipped) d->consumer->OnAck(d->seq);
  if (batch.empty()) return;
  std::vector<cloudevents::CloudEvent> events;
  events.reserve(batch.size());
  for (const auto& d : batch) {
    cloudevents::CloudEvent event = d->event;
    if (event.FindExtension(kOriginExtension) == nullptr) {
      event.SetExtension(kOriginExtension, options_.self_mesh);
    }
    // Text data under a JSON content type is not JSON: carried as a JSON string it would come
    // back as JSON text (with quotes) on the other side, so it travels as bytes (data_base64).
    if (event.data_encoding() == cloudevents::DataEncoding::kText &&
        cloudevents::IsJsonContentType(event.data_content_type().value_or(""))) {
      std::string data = event.data();
      event.set_data(std::move(data), cloudevents::DataEncoding::kBinary);
    }
    events.push_back(std::move(event));
  }
  net::HttpRequest request;
  request.method = "POST";
  request.url = std::move(url);
  request.headers.emplace_back("Content-Type", "application/cloudevents-batch+json");
  if (!options_.username.empty()) {
    request.headers.emplace_back("username", options_.username);
    request.headers.emplace_back("passwd", options_.password);
  }
  request.body = cloudevents::SerializeJsonBatch(events);
  std::weak_ptr<ForwardTarget> weak = weak_from_this();
  client_->Send(std::move(request), options_.request_timeout,
                [weak, batch = std::move(batch)](absl::StatusOr<net::HttpResponse> result) mutable {
                  if (auto self = weak.lock()) self->OnResult(std::move(batch), result);
                });
}

void ForwardTarget::OnResult(std::vector<std::shared_ptr<Delivery>> batch,
                             const absl::StatusOr<net::HttpResponse>& result) {
  std::string error;
  if (!result.ok()) {
    error = std::string(result.status().message());
  } else {
    auto parsed = protocol::http::ParseResponseJson(result->body);
    if (result->status != 200 || !parsed.ok() || parsed->ret_code != 0) {
      error = absl::StrCat("HTTP ", result->status, ": ",
                           parsed.ok() ? parsed->ret_msg : result->body.substr(0, 200));
    }
  }
  std::vector<std::shared_ptr<Delivery>> acked;
  absl::Duration delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load()) return;
    if (error.empty()) {
      in_flight_ = false;
      backoff_.Reset();
      ++stats_.batches;
      for (auto& d : batch) {
        if (d->cancelled) continue;
        deliveries_.erase(d->seq);
        ++stats_.forwarded;
        acked.push_back(std::move(d));
      }
    } else {
      ++stats_.failures;
      stats_.last_error = error;
      // Retry the same events first (order kept), on the next runtime of the other mesh.
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
        if (!(*it)->cancelled) ready_.push_front(std::move(*it));
      }
      ++next_endpoint_;
      delay = backoff_.Next();
    }
  }
  if (!error.empty()) {
    LOG_EVERY_N(WARNING, 20) << "forwarding topic " << options_.topic << " to mesh "
                             << options_.target_mesh << " failed (" << error << "); retrying in "
                             << delay;
    asio::post(strand_, [self = shared_from_this(), delay] {
      if (self->closed_.load()) return;
      self->retry_timer_ = std::make_shared<asio::steady_timer>(
          self->strand_, std::chrono::nanoseconds(absl::ToInt64Nanoseconds(delay)));
      std::weak_ptr<ForwardTarget> weak = self;
      self->retry_timer_->async_wait([weak](boost::system::error_code ec) {
        auto target = weak.lock();
        if (!target || ec) return;
        {
          std::lock_guard<std::mutex> lock(target->mu_);
          target->in_flight_ = false;
        }
        target->Pump();
      });
    });
    return;
  }
  for (auto& d : acked) d->consumer->OnAck(d->seq);
  Pump();
}

void ForwardTarget::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.exchange(true)) return;
    for (auto& [seq, d] : deliveries_) d->cancelled = true;
    deliveries_.clear();
    ready_.clear();
  }
  asio::post(strand_, [self = shared_from_this()] {
    if (self->retry_timer_) self->retry_timer_->cancel();
  });
}

ForwardStats ForwardTarget::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace eventmesh::runtime::federation
