#include "eventmesh/runtime/federation/forward_target.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/http/headers.h"
#include "eventmesh/protocol/http/response.h"
#include "glog/logging.h"

namespace eventmesh::runtime::federation {

namespace asio = boost::asio;

ForwardTarget::ForwardTarget(uint64_t id, ForwardOptions options, asio::io_context* io,
                             std::shared_ptr<asio::ssl::context> tls)
    : id_(id),
      options_(std::move(options)),
      io_(io),
      tls_(std::move(tls)),
      strand_(asio::make_strand(*io)),
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
  std::shared_ptr<Delivery> forgotten;  // released after mu_ (see Close)
  std::lock_guard<std::mutex> lock(mu_);
  auto it = deliveries_.find(key);
  if (it == deliveries_.end()) return;
  it->second->cancelled = true;
  forgotten = std::move(it->second);
  deliveries_.erase(it);
}

net::HttpRequest ForwardTarget::Encode(const Batch& batch) const {
  std::vector<cloudevents::CloudEvent> events;
  events.reserve(batch.deliveries.size());
  for (const auto& d : batch.deliveries) {
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
  request.url = absl::StrCat("/eventmesh/publish/", options_.topic);
  request.headers.emplace_back("Content-Type", "application/cloudevents-batch+json");
  // The receiving runtime stops reading this connection after a request it failed, so no
  // batch behind a failed one is stored before the failed one is sent again.
  request.headers.emplace_back(std::string(protocol::http::header_key::kOrdered), "1");
  if (!options_.username.empty()) {
    request.headers.emplace_back("username", options_.username);
    request.headers.emplace_back("passwd", options_.password);
  }
  request.body = cloudevents::SerializeJsonBatch(events);
  return request;
}

void ForwardTarget::Pump() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pump_again_ = true;
    if (pumping_) return;  // that thread goes round once more
    pumping_ = true;
  }
  while (true) {
    std::vector<std::shared_ptr<Delivery>> skipped;
    std::vector<Batch> dropped;  // every event forgotten; released after mu_ (see Close)
    std::vector<Batch> to_send;
    std::shared_ptr<net::HttpPipeline> pipeline;
    std::shared_ptr<net::HttpPipeline> retired;
    uint64_t generation = 0;
    absl::Status cannot_connect;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_.load() || !pump_again_) {
        pumping_ = false;
        return;
      }
      pump_again_ = false;
      skipped.swap(skipped_);
      stats_.skipped += static_cast<int64_t>(skipped.size());
      const bool have_work = !resend_.empty() || !ready_.empty();
      if (!waiting_retry_ && !endpoints_.empty() && have_work) {
        const std::string& endpoint = endpoints_[next_endpoint_ % endpoints_.size()];
        // A new connection only between batches: everything in flight stays on one connection.
        if (pipeline_ != nullptr && in_flight_.empty() &&
            (absl::Now() - last_answer_ > options_.max_idle || pipeline_endpoint_ != endpoint)) {
          retired = std::move(pipeline_);
        }
        if (pipeline_ == nullptr && in_flight_.empty()) {
          net::HttpPipelineOptions pipeline_options;
          pipeline_options.timeout = options_.request_timeout;
          auto created = net::HttpPipeline::Create(*io_, endpoint, tls_, pipeline_options);
          if (created.ok()) {
            pipeline_ = *std::move(created);
            pipeline_endpoint_ = endpoint;
            ++generation_;
            ++stats_.connections;
            last_answer_ = absl::Now();
          } else {
            cannot_connect = created.status();
          }
        }
        while (pipeline_ != nullptr &&
               static_cast<int32_t>(in_flight_.size()) < options_.batches_in_flight &&
               (!resend_.empty() || !ready_.empty())) {
          Batch batch;
          if (!resend_.empty()) {
            batch = std::move(resend_.front());
            resend_.pop_front();
            ++stats_.resent;
          } else {
            batch.number = next_batch_++;
            while (!ready_.empty() &&
                   static_cast<int32_t>(batch.deliveries.size()) < options_.batch_events) {
              batch.deliveries.push_back(std::move(ready_.front()));
              ready_.pop_front();
            }
          }
          Batch sending;
          sending.number = batch.number;
          for (const auto& d : batch.deliveries) {
            if (!d->cancelled) sending.deliveries.push_back(d);
          }
          if (sending.deliveries.empty()) {  // every event of it was forgotten
            dropped.push_back(std::move(batch));
            continue;
          }
          in_flight_.push_back(std::move(batch));
          to_send.push_back(std::move(sending));
          stats_.peak_in_flight =
              std::max<int64_t>(stats_.peak_in_flight, static_cast<int64_t>(in_flight_.size()));
        }
        pipeline = pipeline_;
        generation = generation_;
      }
    }
    if (retired != nullptr) retired->Close("replaced (idle)");
    for (auto& d : skipped) d->consumer->OnAck(d->seq);
    if (!cannot_connect.ok()) {
      // A malformed endpoint (should not come from the registry): treated like a failed send.
      OnResult(0, 0, cannot_connect);
    }
    std::weak_ptr<ForwardTarget> weak = weak_from_this();
    for (const Batch& batch : to_send) {
      pipeline->Send(Encode(batch), [weak, generation, number = batch.number](
                                        absl::StatusOr<net::HttpResponse> result) {
        if (auto self = weak.lock()) self->OnResult(generation, number, result);
      });
    }
  }
}

void ForwardTarget::OnResult(uint64_t generation, uint64_t number,
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
  Batch answered;  // released after mu_ (see Close)
  std::shared_ptr<net::HttpPipeline> failed_pipeline;
  absl::Duration delay;
  bool first_failure = false;
  bool recovered = false;
  int64_t failures = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.load()) return;
    // Answers of a replaced connection: their batches were queued again when it failed.
    if (generation != 0 && generation != generation_) return;
    if (error.empty() && (in_flight_.empty() || in_flight_.front().number != number)) {
      error = absl::StrCat("answer for batch ", number, " out of order");  // a bug: start over
    }
    if (error.empty()) {
      answered = std::move(in_flight_.front());
      in_flight_.pop_front();
      last_answer_ = absl::Now();
      backoff_.Reset();
      recovered = failing_;
      failing_ = false;
      ++stats_.batches;
      for (auto& d : answered.deliveries) {
        if (d->cancelled) continue;
        deliveries_.erase(d->seq);
        ++stats_.forwarded;
        acked.push_back(std::move(d));
      }
    } else {
      first_failure = !failing_;
      failing_ = true;
      ++stats_.failures;
      failures = stats_.failures;
      stats_.last_error = error;
      // Everything after the last acknowledged batch goes again, in order, on a new connection
      // to the next runtime of the other mesh.
      for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) {
        resend_.push_front(std::move(*it));
      }
      in_flight_.clear();
      failed_pipeline = std::move(pipeline_);
      ++generation_;
      ++next_endpoint_;
      waiting_retry_ = true;
      delay = backoff_.Next();
    }
  }
  if (!error.empty()) {
    if (failed_pipeline != nullptr) failed_pipeline->Close(error);
    if (first_failure) {
      LOG(WARNING) << "forwarding topic " << options_.topic << " to mesh " << options_.target_mesh
                   << " failed: " << error << " (events kept; retrying in " << delay << ")";
    } else {
      LOG_EVERY_N(WARNING, 20) << "forwarding topic " << options_.topic << " to mesh "
                               << options_.target_mesh << " still failing (" << failures
                               << " failures): " << error << "; retrying in " << delay;
    }
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
          target->waiting_retry_ = false;
        }
        target->Pump();
      });
    });
    return;
  }
  if (recovered) {
    LOG(INFO) << "forwarding topic " << options_.topic << " to mesh " << options_.target_mesh
              << " resumed";
  }
  if (!acked.empty()) {
    // Usually one group consumer for the whole batch: one call.
    std::vector<uint64_t> seqs;
    seqs.reserve(acked.size());
    size_t begin = 0;
    for (size_t i = 0; i <= acked.size(); ++i) {
      if (i == acked.size() || acked[i]->consumer != acked[begin]->consumer) {
        if (i > begin) acked[begin]->consumer->OnAcks(seqs.data(), seqs.size());
        seqs.clear();
        begin = i;
      }
      if (i < acked.size()) seqs.push_back(acked[i]->seq);
    }
  }
  Pump();
}

void ForwardTarget::Close() {
  std::shared_ptr<net::HttpPipeline> pipeline;
  // Released after mu_: a delivery may hold the last reference to its group consumer, whose
  // destructor takes the consumer's lock (lock order GroupConsumer -> ForwardTarget::mu_).
  std::map<uint64_t, std::shared_ptr<Delivery>> deliveries;
  std::deque<std::shared_ptr<Delivery>> ready;
  std::deque<Batch> in_flight;
  std::deque<Batch> resend;
  std::vector<std::shared_ptr<Delivery>> skipped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_.exchange(true)) return;
    for (auto& [seq, d] : deliveries_) d->cancelled = true;
    deliveries.swap(deliveries_);
    ready.swap(ready_);
    in_flight.swap(in_flight_);
    resend.swap(resend_);
    skipped.swap(skipped_);
    pipeline = std::move(pipeline_);
  }
  if (pipeline != nullptr) pipeline->Close("forwarding stopped");
  asio::post(strand_, [self = shared_from_this()] {
    if (self->retry_timer_) self->retry_timer_->cancel();
  });
}

ForwardStats ForwardTarget::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace eventmesh::runtime::federation
