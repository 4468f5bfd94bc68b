#include "eventmesh/runtime/webhook/webhook_manager.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "eventmesh/common/backoff.h"
#include "eventmesh/common/named_thread.h"
#include "eventmesh/net/tls.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/json/json.h"
#include "glog/logging.h"

namespace eventmesh::runtime::webhook {

namespace asio = boost::asio;

namespace {

int64_t WallNowMs() { return absl::ToUnixMillis(absl::Now()); }

uint64_t RandomU64() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// Checks every address actually connected to again (a name may resolve differently now than
// at registration: DNS rebinding).
net::AddressFilter AddressFilterOf(std::shared_ptr<const UrlFilter> filter) {
  return
      [filter = std::move(filter)](const net::Url& url, const boost::asio::ip::address& address) {
        return filter->CheckAddress(url, address);
      };
}

}  // namespace

// ----- WebhookTarget ---------------------------------------------------------------------

// One (group, URL): a DeliveryTarget that POSTs each pushed event to the URL and settles it
// with the GroupConsumer (OnAck / Reject). Thread-safe; lock order: GroupConsumer::mu_ ->
// WebhookTarget::mu_ (Push, TryAcquireSlot run under the consumer's lock; the consumer is only
// called from here with mu_ released).
class WebhookTarget : public core::DeliveryTarget,
                      public std::enable_shared_from_this<WebhookTarget> {
 public:
  // A factory of pipelined connections to the URL's origin on an io_context; empty: POSTs use
  // `client`.
  using PipelineFactory =
      std::function<absl::StatusOr<std::shared_ptr<net::HttpPipeline>>(asio::io_context&)>;

  WebhookTarget(uint64_t id, std::string group, std::string url, PushFormat format,
                const WebhookOptions* options, net::HttpClient* client,
                PipelineFactory new_pipeline)
      : id_(id),
        group_(std::move(group)),
        url_(std::move(url)),
        options_(options),
        retry_backoff_(absl::Milliseconds(options->initial_backoff_ms),
                       absl::Milliseconds(options->max_backoff_ms), Backoff::Jitter::kEqual),
        client_(client),
        io_(&client->NextIoContext()),
        strand_(asio::make_strand(*io_)),
        new_pipeline_(std::move(new_pipeline)),
        format_(format) {
    if (new_pipeline_) {
      const int32_t depth = std::max(1, options->pipeline_depth);
      lanes_.resize((options->max_concurrent_pushes_per_target + depth - 1) / depth);
    }
  }

  uint64_t target_id() const override { return id_; }

  bool TryAcquireSlot() override {
    if (closed_.load()) return false;
    int64_t current = slots_.load();
    while (current < options_->max_queued_per_target) {
      if (slots_.compare_exchange_weak(current, current + 1)) return true;
    }
    return false;
  }
  void ReleaseSlot() override { slots_.fetch_sub(1); }
  void ReleaseSlots(int64_t n) override { slots_.fetch_sub(n); }

  core::PushResult Push(const cloudevents::CloudEvent& event, core::PushKind kind,
                        const std::string& seq,
                        const std::shared_ptr<core::GroupConsumer>& consumer) override {
    auto delivery = std::make_shared<Delivery>();
    delivery->event = event;
    delivery->topic = event.subject().value_or("");
    return Queue(std::move(delivery), kind, seq, consumer);
  }

  // Plain events are kept as their stored bytes, and every push format is written from them.
  bool TakesStoredBytes() const override { return true; }
  core::PushResult PushStored(const std::shared_ptr<const std::string>& stored, bool validated,
                              const cloudevents::StoredEventHints& /*hints*/, core::PushKind kind,
                              const std::string& seq,
                              const std::shared_ptr<core::GroupConsumer>& consumer) override {
    const auto checks = validated ? cloudevents::ProtoEventView::Checks::kStructure
                                  : cloudevents::ProtoEventView::Checks::kAll;
    std::optional<cloudevents::ProtoEventView> view =
        ParseWith(push_memo_mu_, push_memo_, *stored, checks);
    if (!view.has_value()) return PushDecoded(*stored, kind, seq, consumer);
    auto delivery = std::make_shared<Delivery>();
    delivery->stored = stored;
    delivery->checks = checks;
    delivery->topic = std::string(view->subject().value_or(absl::string_view()));
    return Queue(std::move(delivery), kind, seq, consumer);
  }

  void Forget(const std::string& seq) override {
    uint64_t key = 0;
    if (!absl::SimpleAtoi(seq, &key)) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = deliveries_.find(key);
    if (it == deliveries_.end()) return;
    it->second->cancelled = true;
    deliveries_.erase(it);
  }

  void FlushPushes() override { Pump(); }

  void SetTopicSync(const std::string& topic, bool sync) {
    std::lock_guard<std::mutex> lock(mu_);
    sync_[topic] = sync;
  }
  // The topic was unsubscribed: its deliveries go back to the group (RemoveTarget), so stop
  // pushing or retrying them here.
  void DropTopic(const std::string& topic) {
    std::lock_guard<std::mutex> lock(mu_);
    sync_.erase(topic);
    for (auto it = deliveries_.begin(); it != deliveries_.end();) {
      if (it->second->topic == topic) {
        it->second->cancelled = true;
        it = deliveries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  void SetFormat(PushFormat format) {
    std::lock_guard<std::mutex> lock(mu_);
    format_ = format;
  }

  // Stops delivery: queued and retrying events are dropped (the group redelivers them after
  // RemoveTarget), retry timers are cancelled, late HTTP results are ignored.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_.exchange(true)) return;
      for (auto& [seq, d] : deliveries_) d->cancelled = true;
      deliveries_.clear();
      ready_.clear();
      for (auto& lane : lanes_) {
        if (lane) lane->Close("webhook target closed");
      }
    }
    asio::post(strand_, [self = shared_from_this()] {
      for (auto& timer : self->timers_) timer->cancel();
      self->timers_.clear();
    });
  }

  WebhookTargetStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  // One pushed event. Either `stored` holds the bytes of a plain event (ProtoEventView::Parse
  // accepts them, so ParseProto does too) and `event` is empty, or `event` is the event.
  struct Delivery {
    std::shared_ptr<const std::string> stored;
    // How `stored` is parsed (kStructure: bytes of an event validated when it was published).
    cloudevents::ProtoEventView::Checks checks = cloudevents::ProtoEventView::Checks::kAll;
    cloudevents::CloudEvent event;
    std::string topic;  // the event's subject
    uint64_t seq = 0;
    std::shared_ptr<core::GroupConsumer> consumer;
    bool sync = false;
    int32_t attempts = 0;
    bool cancelled = false;  // mu_
    // Retried after a failed multi-event POST: goes alone from now on, so an event the endpoint
    // keeps refusing does not use up the attempts of the events batched with it. mu_.
    bool solo = false;
    // Times sent again at once after a pipelined connection said its POST was not processed
    // (Aborted). mu_.
    int32_t resends = 0;
  };

  // One POST: a single event, or (kCloudEventsBatch) the events of one batch, in order.
  using Post = std::vector<std::shared_ptr<Delivery>>;

  core::PushResult Queue(std::shared_ptr<Delivery> delivery, core::PushKind kind,
                         const std::string& seq,
                         const std::shared_ptr<core::GroupConsumer>& consumer) {
    uint64_t key = 0;
    if (!absl::SimpleAtoi(seq, &key)) return core::PushResult::Closed();
    delivery->seq = key;
    delivery->consumer = consumer;
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load()) return core::PushResult::Closed();
    auto it = sync_.find(delivery->topic);
    delivery->sync = it != sync_.end() ? it->second : kind == core::PushKind::kRequest;
    deliveries_[key] = delivery;
    ready_.push_back(std::move(delivery));
    return core::PushResult::Queued();
  }

  // The POST of one event in a format other than kCloudEventsBatch.
  absl::StatusOr<net::HttpRequest> SingleRequest(const Delivery& d, PushFormat format) const {
    if (d.stored == nullptr) {
      return BuildPushRequest(d.event, url_, format, d.sync, options_->identity, RandomU64());
    }
    if (std::optional<cloudevents::ProtoEventView> view =
            ParseWith(send_memo_mu_, send_memo_, *d.stored, d.checks)) {
      return BuildPushRequest(*view, url_, format, d.sync, options_->identity, RandomU64());
    }
    // Not reached (PushStored keeps only bytes that view); decoded all the same.
    absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(*d.stored);
    if (!event.ok()) return event.status();
    return BuildPushRequest(*event, url_, format, d.sync, options_->identity, RandomU64());
  }

  // Parse through one of the target's memos: the events a subscription pushes to one URL
  // usually carry the same attributes, whose reading is then taken instead of redone (the view
  // points into `bytes`, not into the memo, so it outlives the lock).
  static std::optional<cloudevents::ProtoEventView> ParseWith(
      std::mutex& mu, cloudevents::ProtoEventView::AttributeMemo& memo, absl::string_view bytes,
      cloudevents::ProtoEventView::Checks checks) {
    std::lock_guard<std::mutex> lock(mu);
    return cloudevents::ProtoEventView::Parse(bytes, checks, &memo);
  }

  // The event's id, for logs.
  static std::string EventId(const Delivery& d) {
    if (d.stored == nullptr) return d.event.id();
    std::optional<cloudevents::ProtoEventView> view =
        cloudevents::ProtoEventView::Parse(*d.stored, d.checks);
    return view.has_value() ? std::string(view->id()) : std::string("(undecodable)");
  }

  // Sends what the concurrency limit allows: one event per POST, or for the batch format up to
  // max_batch_events events whose estimated encoded size fits max_batch_bytes.
  void Pump() {
    std::vector<Post> to_send;
    PushFormat format;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_.load()) return;
      format = format_;
      const bool batch = format == PushFormat::kCloudEventsBatch;
      const size_t max_events =
          batch ? static_cast<size_t>(std::max(1, options_->max_batch_events)) : 1;
      while (active_ < options_->max_concurrent_pushes_per_target && !ready_.empty()) {
        Post post;
        int64_t bytes = 0;
        while (post.size() < max_events && !ready_.empty()) {
          const std::shared_ptr<Delivery>& next = ready_.front();
          if (next->cancelled) {
            ready_.pop_front();
            continue;
          }
          if (!post.empty() && (next->solo || post.front()->solo)) break;
          const int64_t size = EstimatedJsonBytes(*next);
          if (!post.empty() && bytes + size > options_->max_batch_bytes) break;
          bytes += size;
          ++next->attempts;
          post.push_back(std::move(ready_.front()));
          ready_.pop_front();
        }
        if (post.empty()) break;
        ++active_;
        to_send.push_back(std::move(post));
      }
    }
    for (Post& post : to_send) {
      if (format == PushFormat::kCloudEventsBatch) {
        SendBatches(std::move(post));
      } else {
        absl::StatusOr<net::HttpRequest> request = SingleRequest(*post.front(), format);
        if (!request.ok()) {
          Fail(std::move(post), format, request.status());
        } else if (lanes_.empty()) {
          Send(*std::move(request), std::move(post), format);
        } else {
          SendPipelined(*std::move(request), std::move(post), format);
        }
      }
    }
  }

  // Sends the events of `post` as one cloudevents-batch POST of at most max_batch_bytes (unless
  // its first event alone is larger). Pump chose the events by an estimate of their size; those
  // whose exact encoding does not fit go back to the front of the queue, first in line for the
  // next POST, their attempt not counted.
  void SendBatches(Post post) {
    const size_t max_bytes = static_cast<size_t>(std::max<int64_t>(1, options_->max_batch_bytes));
    BatchPushBuilder builder(url_);
    Post sent, failed;
    absl::Status failure;
    size_t next = 0;
    for (; next < post.size(); ++next) {
      const Delivery& d = *post[next];
      bool added;
      if (d.stored == nullptr) {
        added = builder.AddEvent(d.event, max_bytes);
      } else if (std::optional<cloudevents::ProtoEventView> view =
                     ParseWith(send_memo_mu_, send_memo_, *d.stored, d.checks)) {
        added = builder.AddEvent(*view, max_bytes);
      } else {
        // Not reached (PushStored keeps only bytes that view), but never dropped silently.
        absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(*d.stored);
        if (!event.ok()) {
          failure = event.status();
          failed.push_back(post[next]);
          continue;
        }
        added = builder.AddEvent(*event, max_bytes);
      }
      if (!added) break;
      sent.push_back(post[next]);
    }
    if (next < post.size()) {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i = post.size(); i-- > next;) {
        --post[i]->attempts;
        if (!post[i]->cancelled && !closed_.load()) ready_.push_front(std::move(post[i]));
      }
    }
    if (!failed.empty()) {
      if (!sent.empty()) {
        std::lock_guard<std::mutex> lock(mu_);
        ++active_;  // the failed events settle as a POST of their own
      }
      Fail(std::move(failed), PushFormat::kCloudEventsBatch, failure);
    }
    if (!sent.empty()) Send(builder.Finish(), std::move(sent), PushFormat::kCloudEventsBatch);
  }

  // Settles `post` as a POST that failed with `error` (retried, then dead-lettered), from the
  // strand: OnResult pumps the next events, which could fail the same way.
  void Fail(Post post, PushFormat format, absl::Status error) {
    std::weak_ptr<WebhookTarget> weak = weak_from_this();
    asio::post(strand_, [weak, post = std::move(post), format, error = std::move(error)] {
      if (auto self = weak.lock()) self->OnResult(post, format, error);
    });
  }

  void Send(net::HttpRequest request, Post post, PushFormat format) {
    std::weak_ptr<WebhookTarget> weak = weak_from_this();
    client_->Send(std::move(request), absl::Milliseconds(options_->push_timeout_ms),
                  [weak, post = std::move(post), format](absl::StatusOr<net::HttpResponse> result) {
                    if (auto self = weak.lock()) self->OnResult(post, format, result);
                  });
  }

  // Sends on the lane (pipelined connection) with the fewest unanswered POSTs; a lane that
  // failed is replaced by a new connection.
  void SendPipelined(net::HttpRequest request, Post post, PushFormat format) {
    std::shared_ptr<net::HttpPipeline> lane;
    absl::Status error;
    {
      std::lock_guard<std::mutex> lock(mu_);
      size_t best = 0;
      int64_t fewest = std::numeric_limits<int64_t>::max();
      for (size_t i = 0; i < lanes_.size(); ++i) {
        const int64_t pending = lanes_[i] && lanes_[i]->usable() ? lanes_[i]->pending() : 0;
        if (pending < fewest) {
          fewest = pending;
          best = i;
        }
      }
      if (closed_.load()) {
        error = absl::UnavailableError("webhook target closed");
        lanes_[best] = nullptr;
      } else if (!lanes_[best] || !lanes_[best]->usable()) {
        auto created = new_pipeline_(*io_);
        if (created.ok()) {
          lanes_[best] = *std::move(created);
        } else {
          lanes_[best] = nullptr;
          error = created.status();
        }
      }
      lane = lanes_[best];
    }
    std::weak_ptr<WebhookTarget> weak = weak_from_this();
    net::HttpCallback callback = [weak, post = std::move(post),
                                  format](absl::StatusOr<net::HttpResponse> result) {
      if (auto self = weak.lock()) self->OnResult(post, format, result);
    };
    if (lane == nullptr) {
      // Not inline: OnResult pumps the next event, which could fail the same way.
      asio::post(strand_, [callback = std::move(callback), error] { callback(error); });
      return;
    }
    lane->Send(std::move(request), std::move(callback));
  }

  // A pipelined POST that the endpoint did not process (net::HttpPipeline's Aborted: the
  // connection was closed after answering an earlier one, or had been closed while idle) goes
  // back to the front of the queue and out again at once, its attempt not counted; up to
  // kMaxUncountedResends times per event (each needs another connection to end that way),
  // after that it is an ordinary failed attempt. False then.
  static constexpr int32_t kMaxUncountedResends = 8;
  bool ResendAtOnce(const Post& post) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& d : post) {
      if (d->resends >= kMaxUncountedResends) return false;
    }
    --active_;
    for (auto it = post.rbegin(); it != post.rend(); ++it) {
      ++(*it)->resends;
      --(*it)->attempts;
      if (!(*it)->cancelled && !closed_.load()) ready_.push_front(*it);
    }
    return true;
  }

  // What a batch member adds to the body: the structured JSON of an event is its data (base64
  // for binary data) plus its attributes and some syntax.
  static int64_t EstimatedJsonBytes(const Delivery& d) {
    const size_t size = d.stored != nullptr ? d.stored->size() : d.event.ByteSizeLong();
    return static_cast<int64_t>(size) * 4 / 3 + 64;
  }

  // Equal jitter (see common/backoff.h), so retries of many events spread out.
  int64_t BackoffMs(int32_t attempts) const {
    return absl::ToInt64Milliseconds(retry_backoff_.NextFor(attempts));
  }

  // The endpoint's answer settles every event of the POST alike.
  void OnResult(const Post& post, PushFormat format,
                const absl::StatusOr<net::HttpResponse>& result) {
    if (!result.ok() && absl::IsAborted(result.status()) && ResendAtOnce(post)) {
      VLOG(1) << "webhook " << url_ << ": sending again: " << result.status().message();
      return Pump();
    }
    const PushVerdict verdict = ClassifyResponse(format, result, absl::Now());
    std::vector<std::shared_ptr<Delivery>> acks;
    std::vector<std::pair<std::shared_ptr<Delivery>, std::string>> rejects;
    Post retries;
    int64_t delay_ms = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      --active_;
      for (const std::shared_ptr<Delivery>& d : post) {
        if (d->cancelled || closed_.load()) continue;
        bool settled = true;
        switch (verdict.outcome) {
          case PushOutcome::kAccepted:
            ++stats_.accepted;
            acks.push_back(d);
            break;
          case PushOutcome::kGiveUp:
            // Not retried (as Apache), but not lost either: dead-lettered with the reason.
            ++stats_.given_up;
            ++stats_.dead_lettered;
            rejects.emplace_back(d, verdict.reason);
            break;
          case PushOutcome::kReject:
            ++stats_.dead_lettered;
            rejects.emplace_back(d, verdict.reason);
            break;
          case PushOutcome::kRetry:
            if (d->attempts >= options_->max_attempts) {
              ++stats_.dead_lettered;
              rejects.emplace_back(
                  d, absl::StrCat("gave up after ", d->attempts, " attempts: ", verdict.reason));
            } else {
              ++stats_.retried;
              settled = false;
              if (post.size() > 1) d->solo = true;
              retries.push_back(d);
              // The longest backoff among the events retried together.
              delay_ms = std::max(
                  delay_ms, verdict.retry_after_ms.has_value()
                                ? std::min(*verdict.retry_after_ms, options_->max_retry_after_ms)
                                : BackoffMs(d->attempts));
            }
            break;
        }
        if (settled) deliveries_.erase(d->seq);
      }
    }
    // One acknowledgement round per consumer (the events of a POST usually share one).
    for (size_t i = 0; i < acks.size();) {
      core::GroupConsumer* consumer = acks[i]->consumer.get();
      std::vector<uint64_t> seqs;
      size_t j = i;
      for (; j < acks.size() && acks[j]->consumer.get() == consumer; ++j) {
        seqs.push_back(acks[j]->seq);
      }
      consumer->OnAcks(seqs.data(), seqs.size());
      i = j;
    }
    for (auto& [d, reason] : rejects) {
      LOG(WARNING) << "webhook " << url_ << " (group " << group_ << "): event " << EventId(*d)
                   << " dead-lettered: " << reason;
      d->consumer->Reject(d->seq, reason, d->attempts);
    }
    if (!retries.empty()) {
      VLOG(1) << "webhook " << url_ << ": retrying " << retries.size() << " event(s) in "
              << delay_ms << " ms: " << verdict.reason;
      ScheduleRetry(std::move(retries), delay_ms);
    }
    Pump();
  }

  // The events go back to the front of the queue, in their order, after `delay_ms`.
  void ScheduleRetry(Post retries, int64_t delay_ms) {
    asio::post(strand_, [self = shared_from_this(), retries = std::move(retries), delay_ms] {
      if (self->closed_.load()) return;
      auto timer =
          std::make_shared<asio::steady_timer>(self->strand_, std::chrono::milliseconds(delay_ms));
      self->timers_.insert(timer);
      std::weak_ptr<WebhookTarget> weak = self;
      timer->async_wait([weak, retries, timer](boost::system::error_code ec) {
        auto target = weak.lock();
        if (!target) return;
        target->timers_.erase(timer);
        if (ec) return;
        {
          std::lock_guard<std::mutex> lock(target->mu_);
          if (target->closed_.load()) return;
          // Retries first: keeps the order closer to the store's.
          for (auto it = retries.rbegin(); it != retries.rend(); ++it) {
            if (!(*it)->cancelled) target->ready_.push_front(*it);
          }
        }
        target->Pump();
      });
    });
  }

  const uint64_t id_;
  const std::string group_;
  const std::string url_;
  const WebhookOptions* const options_;
  const Backoff retry_backoff_;
  net::HttpClient* const client_;
  // The client's io_context this target's timers and pipelined connections run on.
  asio::io_context* const io_;
  asio::strand<asio::io_context::executor_type> strand_;
  std::set<std::shared_ptr<asio::steady_timer>> timers_;  // strand_ only
  const PipelineFactory new_pipeline_;
  std::vector<std::shared_ptr<net::HttpPipeline>> lanes_;  // mu_ (the vector's size is fixed)

  std::atomic<bool> closed_{false};
  std::atomic<int64_t> slots_{0};
  std::mutex mu_;
  PushFormat format_;
  std::map<std::string, bool> sync_;
  std::deque<std::shared_ptr<Delivery>> ready_;
  std::map<uint64_t, std::shared_ptr<Delivery>> deliveries_;
  int32_t active_ = 0;
  WebhookTargetStats stats_;
  // What PushStored and the POST writers remember of the last event's attributes: a memo and a
  // lock each (they run on different threads).
  std::mutex push_memo_mu_;
  cloudevents::ProtoEventView::AttributeMemo push_memo_;  // push_memo_mu_
  mutable std::mutex send_memo_mu_;
  mutable cloudevents::ProtoEventView::AttributeMemo send_memo_;  // send_memo_mu_
};

// ----- WebhookManager --------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<WebhookManager>> WebhookManager::Create(
    core::ConsumerManager* consumers, core::TopicRegistry* topics, WebhookOptions options) {
  if (options.max_attempts < 1) return absl::InvalidArgumentError("max_attempts must be >= 1");
  if (options.max_concurrent_pushes_per_target < 1 || options.max_queued_per_target < 1) {
    return absl::InvalidArgumentError(
        "max_concurrent_pushes_per_target and max_queued_per_target must be >= 1");
  }
  if (options.push_timeout_ms < 1 || options.initial_backoff_ms < 0 ||
      options.max_backoff_ms < options.initial_backoff_ms) {
    return absl::InvalidArgumentError(
        "push_timeout_ms must be positive and 0 <= initial_backoff_ms <= max_backoff_ms");
  }
  auto created = UrlFilter::Create(options.allow, options.deny, options.allow_private_networks);
  if (!created.ok()) return created.status();
  auto filter = std::make_shared<const UrlFilter>(*std::move(created));
  if (options.pipeline_depth < 1) return absl::InvalidArgumentError("pipeline_depth must be >= 1");
  net::HttpClientOptions client_options;
  client_options.threads = std::max(1, options.io_threads);
  client_options.max_connections_per_host = std::max(1, options.max_connections_per_host);
  client_options.ca_file = options.ca_file;
  client_options.user_agent = "eventmesh-cpp-webhook";
  // Every address actually connected to is checked again (a name may resolve differently now
  // than at registration: DNS rebinding).
  client_options.address_filter = AddressFilterOf(filter);
  auto client = net::HttpClient::Create(client_options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<WebhookManager>(new WebhookManager(consumers, topics, std::move(options),
                                                            std::move(filter), std::move(*client)));
}

WebhookManager::WebhookManager(core::ConsumerManager* consumers, core::TopicRegistry* topics,
                               WebhookOptions options, std::shared_ptr<const UrlFilter> filter,
                               std::unique_ptr<net::HttpClient> client)
    : consumers_(consumers),
      topics_(topics),
      options_(std::move(options)),
      filter_(std::move(filter)),
      client_(std::move(client)) {}

WebhookManager::~WebhookManager() { Shutdown(); }

absl::Status WebhookManager::Start() {
  std::vector<WebhookSubscribeRequest> restored;
  absl::Status loaded = Load(&restored);
  if (!loaded.ok()) return loaded;
  for (const auto& request : restored) {
    absl::Status status = SubscribeInternal(request, /*handshake=*/false, /*persist=*/false);
    if (!status.ok()) {
      LOG(WARNING) << "webhook registration of group " << request.consumer_group << " for "
                   << request.url << " not restored: " << status;
    }
  }
  if (!restored.empty()) {
    LOG(INFO) << "restored " << restored.size() << " webhook registrations";
  }
  if (options_.registration_expiry_ms > 0) {
    expiry_thread_ = StartNamedThread("em-webhook-exp", [this] { ExpiryLoop(); });
  }
  return absl::OkStatus();
}

void WebhookManager::Shutdown() {
  std::map<Key, Registration> registrations;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    registrations.swap(registrations_);
    expiry_cv_.notify_all();
  }
  if (expiry_thread_.joinable()) expiry_thread_.join();
  subscribe_executor_->ShutdownNow();  // queued subscribes answer Unavailable
  for (auto& [key, registration] : registrations) {
    registration.target->Close();
    consumers_->RemoveTarget(registration.target->target_id());
  }
  client_->Shutdown();
}

absl::StatusOr<std::shared_ptr<net::HttpPipeline>> WebhookManager::NewPipeline(
    const std::string& url, boost::asio::io_context& io) {
  auto parsed = net::ParseUrl(url);
  if (!parsed.ok()) return parsed.status();
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (parsed->tls()) {
    std::lock_guard<std::mutex> lock(tls_mu_);
    if (pipeline_tls_ == nullptr) {
      net::TlsClientFiles files;
      files.ca_file = options_.ca_file;
      auto made = net::MakeClientTlsContext(files);
      if (!made.ok()) return made.status();
      pipeline_tls_ = *std::move(made);
    }
    tls = pipeline_tls_;
  }
  net::HttpPipelineOptions pipeline_options;
  pipeline_options.timeout = absl::Milliseconds(options_.push_timeout_ms);
  pipeline_options.user_agent = "eventmesh-cpp-webhook";
  pipeline_options.address_filter = AddressFilterOf(filter_);
  return net::HttpPipeline::Create(io, parsed->Origin(), std::move(tls),
                                   std::move(pipeline_options));
}

absl::Status WebhookManager::Validate(const std::string& url) {
  net::HttpRequest request;
  request.method = "OPTIONS";
  request.url = url;
  request.headers = {{"WebHook-Request-Origin", options_.origin}};
  std::promise<absl::StatusOr<net::HttpResponse>> promise;
  auto future = promise.get_future();
  client_->Send(
      std::move(request), absl::Milliseconds(options_.validation_timeout_ms),
      [&promise](absl::StatusOr<net::HttpResponse> r) { promise.set_value(std::move(r)); });
  auto response = future.get();
  const std::string prefix =
      absl::StrCat("webhook URL '", url, "' refused the validation handshake");
  if (!response.ok()) {
    return absl::PermissionDeniedError(absl::StrCat(prefix, ": ", response.status().message()));
  }
  if (response->status != 200 && response->status != 204) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, ": OPTIONS answered HTTP ", response->status));
  }
  const std::string* allowed = response->header("WebHook-Allowed-Origin");
  if (allowed == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(prefix, ": no WebHook-Allowed-Origin header in the answer"));
  }
  if (*allowed != "*" && *allowed != options_.origin) {
    return absl::PermissionDeniedError(absl::StrCat(prefix, ": WebHook-Allowed-Origin '", *allowed,
                                                    "' does not allow origin '", options_.origin,
                                                    "'"));
  }
  return absl::OkStatus();
}

absl::Status WebhookManager::Subscribe(const WebhookSubscribeRequest& request) {
  return SubscribeInternal(
      request,
      options_.validate_cloudevents_endpoints || options_.validate_eventmesh_form_endpoints,
      /*persist=*/true);
}

void WebhookManager::SubscribeAsync(const WebhookSubscribeRequest& request,
                                    std::function<void(absl::Status)> done) {
  auto shared_done = std::make_shared<std::function<void(absl::Status)>>(std::move(done));
  const bool queued = subscribe_executor_->TrySubmit(
      [this, request, shared_done] { (*shared_done)(Subscribe(request)); },
      [shared_done] { (*shared_done)(absl::UnavailableError("the runtime is shutting down")); });
  if (!queued) {
    (*shared_done)(absl::ResourceExhaustedError(
        absl::StrCat("too many webhook subscriptions being validated (", kMaxQueuedSubscribes,
                     " waiting); retry later")));
  }
}

absl::Status WebhookManager::SubscribeInternal(const WebhookSubscribeRequest& request,
                                               bool handshake, bool persist) {
  if (request.consumer_group.empty()) {
    return absl::InvalidArgumentError("webhook subscription without a consumer group");
  }
  if (request.topics.empty()) {
    return absl::InvalidArgumentError("webhook subscription without topics");
  }
  for (const auto& topic : request.topics) {
    if (topic.topic.empty()) return absl::InvalidArgumentError("webhook subscription: empty topic");
  }
  auto url = net::ParseUrl(request.url);
  if (!url.ok()) return url.status();
  absl::Status allowed = filter_->Check(*url);
  if (!allowed.ok()) return allowed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return absl::UnavailableError("the webhook service is shut down");
    // A known (group, url) was validated when it was registered (when its format needed it).
    auto known = registrations_.find({request.consumer_group, request.url});
    if (known != registrations_.end() && (known->second.format != PushFormat::kEventMeshForm ||
                                          options_.validate_eventmesh_form_endpoints)) {
      handshake = false;
    }
    if (known == registrations_.end() && options_.max_registrations > 0 &&
        static_cast<int64_t>(registrations_.size()) >= options_.max_registrations) {
      return absl::ResourceExhaustedError(
          absl::StrCat("webhook ", request.url, " of group ", request.consumer_group,
                       " not registered: the runtime holds ", registrations_.size(),
                       " registrations (eventMesh.server.http.webhook.maxRegistrations)"));
    }
  }
  if (handshake && (request.format != PushFormat::kEventMeshForm ||
                    options_.validate_eventmesh_form_endpoints)) {
    absl::Status validated = Validate(request.url);
    if (!validated.ok()) return validated;
  }
  for (const auto& topic : request.topics) {
    absl::Status ensured = topics_->EnsureTopic(topic.topic);
    if (!ensured.ok()) return ensured;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return absl::UnavailableError("the webhook service is shut down");
    const Key key{request.consumer_group, request.url};
    auto it = registrations_.find(key);
    const bool created = it == registrations_.end();
    if (created) {
      WebhookTarget::PipelineFactory pipelines;
      if (options_.pipeline_depth > 1) {
        // Called by the target only while it is open (the manager closes its targets first).
        pipelines = [this, url = request.url](asio::io_context& io) {
          return NewPipeline(url, io);
        };
      }
      Registration registration;
      registration.target = std::make_shared<WebhookTarget>(
          consumers_->NewExternalTargetId(), request.consumer_group, request.url, request.format,
          &options_, client_.get(), pipelines);
      it = registrations_.emplace(key, std::move(registration)).first;
    }
    Registration& registration = it->second;
    registration.format = request.format;
    registration.client = request.client;
    registration.target->SetFormat(request.format);
    core::TargetSettings settings;
    settings.ack_timeout = false;
    absl::Status result = absl::OkStatus();
    for (const auto& topic : request.topics) {
      auto existing = registration.topics.find(topic.topic);
      if (existing != registration.topics.end() && existing->second.mode != topic.mode) {
        registration.target->DropTopic(topic.topic);
        consumers_->Unsubscribe(registration.target->target_id(), request.consumer_group,
                                topic.topic);
        registration.topics.erase(existing);
        existing = registration.topics.end();
      }
      registration.target->SetTopicSync(topic.topic, topic.sync);
      const core::PushKind kind =
          topic.mode == connectors::ConsumeMode::kBroadcasting
              ? core::PushKind::kBroadcast
              : (topic.sync ? core::PushKind::kRequest : core::PushKind::kUnicast);
      absl::Status subscribed = consumers_->Subscribe(registration.target, request.consumer_group,
                                                      topic.topic, topic.mode, kind, settings);
      if (!subscribed.ok()) {
        result = subscribed;
        break;
      }
      registration.topics[topic.topic] = topic;
      registration.heartbeat_ms[topic.topic] = WallNowMs();
    }
    if (registration.topics.empty()) {
      registration.target->Close();
      consumers_->RemoveTarget(registration.target->target_id());
      registrations_.erase(it);
    }
    if (!result.ok()) return result;
  }
  if (persist) {
    absl::Status persisted = Persist();
    if (!persisted.ok()) {
      LOG(ERROR) << "webhook registrations not persisted: " << persisted;
    }
  }
  return absl::OkStatus();
}

void WebhookManager::RemoveTopicsLocked(const Key& key, const std::vector<std::string>& topics) {
  auto it = registrations_.find(key);
  if (it == registrations_.end()) return;
  Registration& registration = it->second;
  std::vector<std::string> names = topics;
  if (names.empty()) {
    for (const auto& [topic, info] : registration.topics) names.push_back(topic);
  }
  for (const auto& topic : names) {
    if (registration.topics.erase(topic) == 0) continue;
    registration.heartbeat_ms.erase(topic);
    registration.target->DropTopic(topic);
    consumers_->Unsubscribe(registration.target->target_id(), key.first, topic);
  }
  if (registration.topics.empty()) {
    registration.target->Close();
    consumers_->RemoveTarget(registration.target->target_id());
    registrations_.erase(it);
  }
}

absl::Status WebhookManager::Unsubscribe(const std::string& consumer_group, const std::string& url,
                                         const std::vector<std::string>& topics) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return absl::UnavailableError("the webhook service is shut down");
    const Key key{consumer_group, url};
    if (registrations_.count(key) == 0) {
      return absl::NotFoundError(absl::StrCat("no webhook subscription of group '", consumer_group,
                                              "' for URL '", url, "'"));
    }
    RemoveTopicsLocked(key, topics);
  }
  absl::Status persisted = Persist();
  if (!persisted.ok()) LOG(ERROR) << "webhook registrations not persisted: " << persisted;
  return absl::OkStatus();
}

absl::Status WebhookManager::Heartbeat(const std::string& consumer_group, const std::string& url,
                                       const std::vector<std::string>& topics) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return absl::UnavailableError("the webhook service is shut down");
  auto it = registrations_.find({consumer_group, url});
  if (it == registrations_.end()) {
    return absl::NotFoundError(absl::StrCat("no webhook subscription of group '", consumer_group,
                                            "' for URL '", url, "'"));
  }
  const int64_t now = WallNowMs();
  std::vector<std::string> unknown;
  if (topics.empty()) {
    for (auto& [topic, ms] : it->second.heartbeat_ms) ms = now;
  }
  for (const auto& topic : topics) {
    auto hb = it->second.heartbeat_ms.find(topic);
    if (hb == it->second.heartbeat_ms.end()) {
      unknown.push_back(topic);
    } else {
      hb->second = now;
    }
  }
  if (!unknown.empty()) {
    return absl::NotFoundError(absl::StrCat("webhook URL '", url, "' of group '", consumer_group,
                                            "' is not subscribed to topic(s) ",
                                            absl::StrJoin(unknown, ", ")));
  }
  return absl::OkStatus();
}

std::vector<WebhookSubscriptionInfo> WebhookManager::List() const {
  std::vector<WebhookSubscriptionInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, registration] : registrations_) {
    for (const auto& [topic, info] : registration.topics) {
      WebhookSubscriptionInfo item;
      item.consumer_group = key.first;
      item.url = key.second;
      item.topic = info;
      item.format = registration.format;
      item.client = registration.client;
      auto hb = registration.heartbeat_ms.find(topic);
      item.last_heartbeat_ms = hb != registration.heartbeat_ms.end() ? hb->second : 0;
      out.push_back(std::move(item));
    }
  }
  return out;
}

absl::StatusOr<WebhookTargetStats> WebhookManager::Stats(const std::string& consumer_group,
                                                         const std::string& url) const {
  std::shared_ptr<WebhookTarget> target;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = registrations_.find({consumer_group, url});
    if (it == registrations_.end()) {
      return absl::NotFoundError(absl::StrCat("no webhook subscription of group '", consumer_group,
                                              "' for URL '", url, "'"));
    }
    target = it->second.target;
  }
  return target->stats();
}

void WebhookManager::ExpiryLoop() {
  const int64_t period =
      std::max<int64_t>(10, std::min<int64_t>(1000, options_.registration_expiry_ms / 4));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    expiry_cv_.wait_for(lock, std::chrono::milliseconds(period));
    if (stopped_) break;
    const int64_t now = WallNowMs();
    std::vector<std::pair<Key, std::string>> expired;
    for (const auto& [key, registration] : registrations_) {
      for (const auto& [topic, ms] : registration.heartbeat_ms) {
        if (now - ms > options_.registration_expiry_ms) expired.emplace_back(key, topic);
      }
    }
    if (expired.empty()) continue;
    for (const auto& [key, topic] : expired) {
      LOG(WARNING) << "webhook registration of group " << key.first << " for " << key.second
                   << " on topic " << topic << " expired (no heartbeat)";
      RemoveTopicsLocked(key, {topic});
    }
    lock.unlock();
    absl::Status persisted = Persist();
    if (!persisted.ok()) LOG(ERROR) << "webhook registrations not persisted: " << persisted;
    lock.lock();
  }
}

// ----- persistence -----------------------------------------------------------------------

namespace {

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot fsync ", tmp, ": ", std::strerror(err)));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

const char* ModeName(connectors::ConsumeMode mode) {
  return mode == connectors::ConsumeMode::kBroadcasting ? "BROADCASTING" : "CLUSTERING";
}

}  // namespace

absl::Status WebhookManager::Persist() {
  if (options_.persistence_path.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> persist_lock(persist_mu_);
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return absl::OkStatus();  // keep the file as it was at shutdown
    w.StartObject();
    json::WriteKey(w, "version");
    w.Int(1);
    json::WriteKey(w, "subscriptions");
    w.StartArray();
    for (const auto& [key, registration] : registrations_) {
      w.StartObject();
      json::WriteKey(w, "consumerGroup");
      json::WriteString(w, key.first);
      json::WriteKey(w, "url");
      json::WriteString(w, key.second);
      json::WriteKey(w, "format");
      json::WriteString(w, PushFormatName(registration.format));
      json::WriteKey(w, "client");
      w.StartObject();
      const ClientIdentity& c = registration.client;
      for (const auto& [name, value] :
           std::vector<std::pair<const char*, const std::string*>>{{"env", &c.env},
                                                                   {"idc", &c.idc},
                                                                   {"sys", &c.sys},
                                                                   {"pid", &c.pid},
                                                                   {"ip", &c.ip},
                                                                   {"username", &c.username}}) {
        json::WriteKey(w, name);
        json::WriteString(w, *value);
      }
      w.EndObject();
      json::WriteKey(w, "topics");
      w.StartArray();
      for (const auto& [topic, info] : registration.topics) {
        w.StartObject();
        json::WriteKey(w, "topic");
        json::WriteString(w, topic);
        json::WriteKey(w, "mode");
        json::WriteString(w, ModeName(info.mode));
        json::WriteKey(w, "type");
        json::WriteString(w, info.sync ? "SYNC" : "ASYNC");
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  return WriteFileAtomically(options_.persistence_path,
                             std::string(buffer.GetString(), buffer.GetSize()));
}

absl::Status WebhookManager::Load(std::vector<WebhookSubscribeRequest>* out) {
  if (options_.persistence_path.empty()) return absl::OkStatus();
  std::ifstream in(options_.persistence_path, std::ios::binary);
  if (!in) {
    if (::access(options_.persistence_path.c_str(), F_OK) != 0) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("cannot read ", options_.persistence_path));
  }
  std::stringstream content;
  content << in.rdbuf();
  const std::string what = absl::StrCat("webhook registrations file ", options_.persistence_path);
  auto doc = json::ParseJson(content.str(), what);
  if (!doc.ok()) return absl::DataLossError(doc.status().message());
  auto bad = [&](absl::string_view why) {
    return absl::DataLossError(absl::StrCat(what, ": ", why));
  };
  if (!doc->IsObject() || !doc->HasMember("subscriptions") || !(*doc)["subscriptions"].IsArray()) {
    return bad("expected an object with a 'subscriptions' array");
  }
  for (const auto& item : (*doc)["subscriptions"].GetArray()) {
    if (!item.IsObject()) return bad("a subscription is not an object");
    WebhookSubscribeRequest request;
    auto group = json::GetString(item, "consumerGroup");
    auto url = json::GetString(item, "url");
    auto format = json::GetString(item, "format");
    if (!group || !url) return bad("a subscription lacks consumerGroup or url");
    request.consumer_group = std::string(*group);
    request.url = std::string(*url);
    if (format) {
      auto parsed = PushFormatFromName(*format);
      if (!parsed) return bad(absl::StrCat("unknown format '", *format, "'"));
      request.format = *parsed;
    }
    if (item.HasMember("client") && item["client"].IsObject()) {
      const auto& c = item["client"];
      auto get = [&](const char* k) { return std::string(json::GetString(c, k).value_or("")); };
      request.client = {get("env"), get("idc"), get("sys"), get("pid"), get("ip"), get("username")};
    }
    if (!item.HasMember("topics") || !item["topics"].IsArray()) return bad("topics missing");
    for (const auto& t : item["topics"].GetArray()) {
      if (!t.IsObject()) return bad("a topic is not an object");
      auto name = json::GetString(t, "topic");
      if (!name) return bad("a topic lacks its name");
      WebhookTopic topic;
      topic.topic = std::string(*name);
      topic.mode = json::GetString(t, "mode").value_or("") == "BROADCASTING"
                       ? connectors::ConsumeMode::kBroadcasting
                       : connectors::ConsumeMode::kClustering;
      topic.sync = json::GetString(t, "type").value_or("") == "SYNC";
      request.topics.push_back(std::move(topic));
    }
    out->push_back(std::move(request));
  }
  return absl::OkStatus();
}

}  // namespace eventmesh::runtime::webhook
