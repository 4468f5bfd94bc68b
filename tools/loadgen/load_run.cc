#include "tools/loadgen/load_run.h"

#include <atomic>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "eventmesh/sdk/grpc/grpc_client.h"

namespace eventmesh::loadgen {
namespace {

using sdk::EventMeshTcpClient;

int64_t NowNs() { return absl::GetCurrentTimeNanos(); }

// The measurement window [start_ns, end_ns); empty until set.
struct Window {
  std::atomic<int64_t> start_ns{0};
  std::atomic<int64_t> end_ns{0};
  bool Contains(int64_t t) const {
    return t >= start_ns.load(std::memory_order_relaxed) &&
           t < end_ns.load(std::memory_order_relaxed);
  }
};

// One publishing client of either protocol.
struct PublishClient {
  std::function<void(const sdk::Message&, std::function<void(absl::Status)>)> publish_async;
  // Set with --batch > 1 (gRPC): one call for several events, one answer for all of them.
  std::function<void(const std::vector<sdk::Event>&, std::function<void(absl::Status)>)>
      publish_batch_async;
  std::function<void()> close;
};

// Publishes paced events on one client and keeps count of what was acknowledged.
// Thread-safe: Run on one thread, the counters from any.
class Publisher {
 public:
  // batch > 1 needs client.publish_batch_async and batch <= max_in_flight.
  Publisher(int id, PublishClient client, int max_in_flight, int batch)
      : id_(id), client_(std::move(client)), max_in_flight_(max_in_flight), batch_(batch) {}

  // Publishes from now until `stop_ns` at `rate` events/s (0 = unpaced).
  // Stops early when `cancel` (may be null) becomes true.
  void Run(const std::string& topic, const std::string& body, double rate, int64_t stop_ns,
           const Window* window, const std::atomic<bool>* cancel) {
    const int64_t interval_ns = rate > 0 ? static_cast<int64_t>(1e9 / rate) : 0;
    int64_t next_ns = NowNs();
    uint64_t seq = 0;
    std::vector<sdk::Event> pending;  // --batch: events waiting for their batch to fill
    uint64_t pending_first_seq = 0;
    while (true) {
      int64_t now = NowNs();
      if (now >= stop_ns || (cancel != nullptr && cancel->load())) break;
      if (interval_ns > 0) {
        if (now < next_ns) {
          const int64_t wait = next_ns - now;
          if (wait > 60'000) absl::SleepFor(absl::Nanoseconds(wait - 50'000));
          while (NowNs() < next_ns) {
          }
        }
        next_ns += interval_ns;
      }
      {
        absl::MutexLock lock(&mu_);
        auto has_room = [this] { return in_flight_ < max_in_flight_; };
        if (!mu_.AwaitWithTimeout(absl::Condition(&has_room), absl::Seconds(1))) continue;
        ++in_flight_;
      }
      sdk::Message message;
      message.topic = topic;
      message.content = body;
      const int64_t sent_ns = NowNs();
      message.properties.emplace("loadgenpub", absl::StrCat(id_));
      message.properties.emplace("loadgenseq", absl::StrCat(seq));
      message.properties.emplace("loadgents", absl::StrCat(sent_ns));
      if (window->Contains(sent_ns)) sent_in_window_.fetch_add(1, std::memory_order_relaxed);
      sent_.fetch_add(1, std::memory_order_relaxed);
      const uint64_t this_seq = seq++;
      if (batch_ > 1) {
        if (pending.empty()) pending_first_seq = this_seq;
        pending.push_back(std::move(message));
        if (static_cast<int>(pending.size()) == batch_) {
          SendBatch(pending_first_seq, &pending, window);
        }
        continue;
      }
      client_.publish_async(message, [this, this_seq, window](absl::Status status) {
        Answered(this_seq, 1, status, window);
      });
    }
    if (!pending.empty()) SendBatch(pending_first_seq, &pending, window);
  }

  // One batch of the events numbered first_seq, first_seq + 1, ...; empties `events`.
  void SendBatch(uint64_t first_seq, std::vector<sdk::Event>* events, const Window* window) {
    const size_t count = events->size();
    client_.publish_batch_async(*events, [this, first_seq, count, window](absl::Status status) {
      Answered(first_seq, count, status, window);
    });
    events->clear();
  }

  // The answer for `count` events numbered from first_seq.
  void Answered(uint64_t first_seq, size_t count, const absl::Status& status,
                const Window* window) {
    const int64_t acked_ns = NowNs();
    absl::MutexLock lock(&mu_);
    in_flight_ -= static_cast<int>(count);
    if (status.ok()) {
      const uint64_t end_seq = first_seq + count;
      if (end_seq > acked_seqs_.size()) acked_seqs_.resize(end_seq * 2 + 1024, false);
      for (uint64_t seq = first_seq; seq < end_seq; ++seq) acked_seqs_[seq] = true;
      acked_ += count;
      if (window->Contains(acked_ns)) acked_in_window_ += count;
    } else {
      errors_[std::string(status.ToString())] += count;
      error_count_ += count;
    }
  }

  // Waits until every publish was answered (ack, error or timeout).
  void WaitIdle() {
    absl::MutexLock lock(&mu_);
    auto idle = [this] { return in_flight_ == 0; };
    mu_.AwaitWithTimeout(absl::Condition(&idle), absl::Seconds(60));
  }

  int id() const { return id_; }
  uint64_t sent() const { return sent_.load(); }
  uint64_t sent_in_window() const { return sent_in_window_.load(); }
  uint64_t acked() const {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  uint64_t acked_in_window() const {
    absl::MutexLock lock(&mu_);
    return acked_in_window_;
  }
  uint64_t error_count() const {
    absl::MutexLock lock(&mu_);
    return error_count_;
  }
  std::vector<bool> acked_seqs() const {
    absl::MutexLock lock(&mu_);
    return acked_seqs_;
  }
  std::map<std::string, uint64_t> errors() const {
    absl::MutexLock lock(&mu_);
    return errors_;
  }
  void Close() { client_.close(); }

 private:
  const int id_;
  PublishClient client_;
  const int max_in_flight_;
  const int batch_;
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> sent_in_window_{0};
  mutable absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t error_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<bool> acked_seqs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> errors_ ABSL_GUARDED_BY(mu_);
};

struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0};            // First deliveries, any time.
  std::atomic<uint64_t> delivered_in_window{0};  // First deliveries received in the window.
  std::atomic<uint64_t> malformed{0};            // Events without the loadgen properties.
};

// Everything a run owns; destroyed (clients closed) in reverse order of creation.
class Run {
 public:
  explicit Run(LoadOptions options) : o_(std::move(options)) {}

  absl::StatusOr<LoadReport> Execute(const ProgressCallback& progress) {
    broadcast_ = o_.mode == "broadcasting";
    const sdk::SubscriptionMode mode =
        broadcast_ ? sdk::SubscriptionMode::kBroadcasting : sdk::SubscriptionMode::kClustering;
    const int num_trackers = broadcast_ ? o_.subscribers : (o_.subscribers > 0 ? 1 : 0);
    for (int i = 0; i < num_trackers; ++i) {
      trackers_.push_back(std::make_unique<DeliveryTracker>(o_.publishers));
    }
    // Subscribers first, so that nothing published is missed.
    for (int i = 0; i < o_.subscribers; ++i) {
      absl::Status status = AddSubscriber(i, mode);
      if (!status.ok()) return Closed(status);
    }
    for (int i = 0; i < o_.publishers; ++i) {
      absl::Status status = AddPublisher(i);
      if (!status.ok()) return Closed(status);
    }

    const std::string body(static_cast<size_t>(o_.size), 'x');
    start_ns_ = NowNs();
    window_.end_ns =
        start_ns_ + absl::ToInt64Nanoseconds(o_.warmup) + absl::ToInt64Nanoseconds(o_.duration);
    window_.start_ns = start_ns_ + absl::ToInt64Nanoseconds(o_.warmup);

    absl::Notification finished;
    std::thread reporter;
    if (progress) {
      reporter = std::thread([this, &progress, &finished] {
        while (!finished.WaitForNotificationWithTimeout(o_.progress_interval)) {
          progress(Snapshot());
        }
      });
    }
    std::vector<std::thread> threads;
    for (auto& publisher : publishers_) {
      threads.emplace_back([&, p = publisher.get()] {
        p->Run(o_.topic, body, o_.rate / o_.publishers, window_.end_ns.load(), &window_, o_.cancel);
      });
    }
    for (auto& t : threads) t.join();
    for (auto& publisher : publishers_) publisher->WaitIdle();
    draining_ = true;

    LoadReport report;
    report.topic = o_.topic;
    report.broadcast = broadcast_;
    report.measured_seconds = absl::ToDoubleSeconds(o_.duration);
    for (auto& publisher : publishers_) {
      report.sent += publisher->sent();
      report.sent_in_window += publisher->sent_in_window();
      report.acked += publisher->acked();
      report.acked_in_window += publisher->acked_in_window();
      for (const auto& [text, count] : publisher->errors()) report.error_texts[text] += count;
    }
    for (const auto& [text, count] : report.error_texts) report.errors += count;

    // Drain: wait for outstanding deliveries of acknowledged events.
    const absl::Time drain_deadline = absl::Now() + o_.drain;
    auto all_delivered = [&] {
      for (const auto& tracker : trackers_) {
        if (tracker->unique() < report.acked) return false;
      }
      return true;
    };
    auto cancelled = [this] { return o_.cancel != nullptr && o_.cancel->load(); };
    uint64_t last_delivered = counters_.delivered.load();
    absl::Time last_progress = absl::InfinitePast();  // no first delivery seen in the drain yet
    while (o_.subscribers > 0 && !all_delivered() && absl::Now() < drain_deadline && !cancelled()) {
      absl::SleepFor(absl::Milliseconds(20));
      if (const uint64_t delivered = counters_.delivered.load(); delivered != last_delivered) {
        last_delivered = delivered;
        last_progress = absl::Now();
      }
    }
    const bool arriving_at_end = absl::Now() - last_progress < absl::Seconds(1);
    finished.Notify();
    if (reporter.joinable()) reporter.join();

    for (auto& publisher : publishers_) {
      const std::vector<bool> acked_seqs = publisher->acked_seqs();
      for (size_t seq = 0; seq < acked_seqs.size(); ++seq) {
        if (!acked_seqs[seq]) continue;
        for (const auto& tracker : trackers_) {
          if (!tracker->Seen(publisher->id(), seq)) ++report.lost;
        }
      }
    }
    report.still_arriving = report.lost > 0 && arriving_at_end;
    for (const auto& tracker : trackers_) report.duplicates += tracker->duplicates();
    report.delivered = counters_.delivered.load();
    report.delivered_in_window = counters_.delivered_in_window.load();
    report.malformed = counters_.malformed.load();
    report.latency = latency_.Compute();
    report.delivery_checked = o_.subscribers > 0;
    CloseAll();
    return report;
  }

 private:
  absl::Status Closed(absl::Status status) {
    CloseAll();
    return status;
  }
  void CloseAll() {
    for (auto& publisher : publishers_) publisher->Close();
    for (auto& subscriber : subscribers_) (void)subscriber->Close();
    for (auto& subscriber : grpc_subscribers_) subscriber->Close();
    publishers_.clear();
    subscribers_.clear();
    grpc_subscribers_.clear();
  }

  LoadProgress Snapshot() const {
    LoadProgress p;
    const int64_t now = NowNs();
    p.phase = draining_.load()                ? "draining"
              : now < window_.start_ns.load() ? "warm-up"
                                              : "measuring";
    p.elapsed = absl::Nanoseconds(now - start_ns_);
    for (const auto& publisher : publishers_) {
      p.sent += publisher->sent();
      p.acked += publisher->acked();
      p.errors += publisher->error_count();
    }
    p.delivered = counters_.delivered.load();
    return p;
  }

  // Records one delivery; events without the loadgen properties are counted as malformed.
  void Record(DeliveryTracker* tracker, const sdk::ReceivedEvent& event) {
    const int64_t received_ns = NowNs();
    const std::string* pub = event.property("loadgenpub");
    const std::string* seq = event.property("loadgenseq");
    const std::string* ts = event.property("loadgents");
    int publisher;
    uint64_t number;
    int64_t sent_ns;
    if (pub == nullptr || seq == nullptr || ts == nullptr || !absl::SimpleAtoi(*pub, &publisher) ||
        !absl::SimpleAtoi(*seq, &number) || !absl::SimpleAtoi(*ts, &sent_ns)) {
      counters_.malformed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (!tracker->Record(publisher, number)) return;  // A redelivery.
    counters_.delivered.fetch_add(1, std::memory_order_relaxed);
    if (window_.Contains(received_ns)) {
      counters_.delivered_in_window.fetch_add(1, std::memory_order_relaxed);
    }
    if (window_.Contains(sent_ns)) latency_.Add(received_ns - sent_ns);
  }

  sdk::TcpClientOptions TcpOptions() const {
    sdk::TcpClientOptions options;
    options.host = o_.host;
    options.port = o_.port;
    options.registry = o_.registry;
    options.username = o_.username;
    options.password = o_.password;
    options.token = o_.token;
    options.request_timeout = absl::Seconds(30);
    return options;
  }
  sdk::GrpcClientOptions GrpcOptions() const {
    sdk::GrpcClientOptions options;
    options.host = o_.host;
    options.port = o_.port;
    options.call_timeout = absl::Seconds(30);
    options.client_acks = o_.grpc_client_acks;
    if (!o_.username.empty()) options.username = o_.username;
    if (!o_.password.empty()) options.password = o_.password;
    return options;
  }

  absl::Status AddSubscriber(int i, sdk::SubscriptionMode mode) {
    DeliveryTracker* tracker = trackers_[broadcast_ ? i : 0].get();
    const std::string prefix = absl::StrCat("subscriber ", i, ": ");
    if (o_.protocol == "grpc") {
      sdk::GrpcClientOptions options = GrpcOptions();
      if (!o_.subscribe_host.empty()) options.host = o_.subscribe_host;
      if (o_.subscribe_port > 0) options.port = o_.subscribe_port;
      options.consumer_group = "loadgen-consumers";
      auto client = sdk::EventMeshGrpcClient::Connect(options);
      if (!client.ok()) return Prefixed(prefix, client.status());
      (*client)->SetHandler([this, tracker](std::shared_ptr<sdk::GrpcDelivery> delivery) {
        Record(tracker, delivery->event());
        delivery->Ack();
      });
      absl::Status subscribed = (*client)->Subscribe({sdk::SubscriptionItem{o_.topic, mode}});
      grpc_subscribers_.push_back(std::move(*client));
      return Prefixed(prefix, subscribed);
    }
    sdk::TcpClientOptions options = TcpOptions();
    if (!o_.subscribe_host.empty()) options.host = o_.subscribe_host;
    if (o_.subscribe_port > 0) options.port = o_.subscribe_port;
    options.purpose = sdk::ClientPurpose::kSubscribe;
    options.group = "loadgen-consumers";
    auto client = EventMeshTcpClient::Connect(options);
    if (!client.ok()) return Prefixed(prefix, client.status());
    (*client)->SetHandler([this, tracker](std::shared_ptr<sdk::Delivery> delivery) {
      Record(tracker, delivery->event());
    });
    absl::Status subscribed = (*client)->Subscribe(o_.topic, mode, sdk::SubscriptionType::kAsync);
    absl::Status listening = subscribed.ok() ? (*client)->Listen() : subscribed;
    subscribers_.push_back(std::move(*client));
    return Prefixed(prefix, listening);
  }

  absl::Status AddPublisher(int i) {
    const std::string prefix = absl::StrCat("publisher ", i, ": ");
    PublishClient publish_client;
    if (o_.protocol == "grpc") {
      sdk::GrpcClientOptions options = GrpcOptions();
      options.producer_group = "loadgen-producers";
      auto client = sdk::EventMeshGrpcClient::Connect(options);
      if (!client.ok()) return Prefixed(prefix, client.status());
      std::shared_ptr<sdk::EventMeshGrpcClient> shared = std::move(*client);
      publish_client.publish_async = [shared](const sdk::Message& message,
                                              std::function<void(absl::Status)> done) {
        shared->PublishAsync(message, std::move(done));
      };
      publish_client.publish_batch_async = [shared](const std::vector<sdk::Event>& events,
                                                    std::function<void(absl::Status)> done) {
        shared->PublishBatchAsync(events, std::move(done));
      };
      publish_client.close = [shared] { shared->Close(); };
    } else {
      sdk::TcpClientOptions options = TcpOptions();
      options.purpose = sdk::ClientPurpose::kPublish;
      options.group = "loadgen-producers";
      auto client = EventMeshTcpClient::Connect(options);
      if (!client.ok()) return Prefixed(prefix, client.status());
      std::shared_ptr<EventMeshTcpClient> shared = std::move(*client);
      publish_client.publish_async = [shared](const sdk::Message& message,
                                              std::function<void(absl::Status)> done) {
        shared->PublishAsync(message, std::move(done));
      };
      publish_client.close = [shared] { (void)shared->Close(); };
    }
    publishers_.push_back(
        std::make_unique<Publisher>(i, std::move(publish_client), o_.max_in_flight, o_.batch));
    return absl::OkStatus();
  }

  static absl::Status Prefixed(const std::string& prefix, const absl::Status& status) {
    if (status.ok()) return status;
    return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
  }

  const LoadOptions o_;
  bool broadcast_ = false;
  std::vector<std::unique_ptr<DeliveryTracker>> trackers_;
  LatencySamples latency_;
  DeliveryCounters counters_;
  Window window_;
  int64_t start_ns_ = 0;
  std::atomic<bool> draining_{false};
  std::vector<std::unique_ptr<EventMeshTcpClient>> subscribers_;
  std::vector<std::unique_ptr<sdk::EventMeshGrpcClient>> grpc_subscribers_;
  std::vector<std::unique_ptr<Publisher>> publishers_;
};

}  // namespace

absl::Status LoadOptions::Validate() const {
  if (publishers < 1 || subscribers < 0 || size < 0 || rate < 0 || max_in_flight < 1 ||
      duration <= absl::ZeroDuration() || warmup < absl::ZeroDuration() ||
      drain < absl::ZeroDuration() || progress_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "invalid flags: need --publishers >= 1, --subscribers >= 0, --size >= 0, "
        "--rate >= 0, --max_in_flight >= 1, --duration > 0, --warmup >= 0, --drain >= 0");
  }
  if (mode != "clustering" && mode != "broadcasting") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --mode \"", mode, "\": clustering or broadcasting"));
  }
  if (protocol != "tcp" && protocol != "grpc") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid --protocol \"", protocol, "\": tcp or grpc"));
  }
  if (protocol == "grpc" && registry.has_value()) {
    return absl::InvalidArgumentError("a registry is supported with --protocol=tcp only");
  }
  if (batch < 1 || batch > max_in_flight) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid --batch ", batch, ": need 1 <= --batch <= --max_in_flight (", max_in_flight, ")"));
  }
  if (batch > 1 && protocol != "grpc") {
    return absl::InvalidArgumentError(
        "--batch > 1 needs --protocol=grpc (EventMesh's TCP protocol publishes one event per "
        "request)");
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadReport> RunLoad(LoadOptions options, ProgressCallback progress) {
  if (absl::Status valid = options.Validate(); !valid.ok()) return valid;
  if (options.topic.empty()) {
    options.topic = absl::StrCat("loadgen-", absl::ToUnixSeconds(absl::Now()));
  }
  Run run(std::move(options));
  return run.Execute(progress);
}

std::string DescribeLoad(const LoadOptions& o) {
  const std::string where = o.registry.has_value()
                                ? absl::StrCat("mesh ", o.registry->mesh, " (registry)")
                                : absl::StrCat("runtime ", o.host, ":", o.port);
  return absl::StrFormat(
      "loadgen: %s%s, %d publisher(s), %d subscriber(s) (%s), %d-byte events, rate %s, "
      "%s measured after %s warm-up, topic %s, %s\n",
      o.protocol, o.batch > 1 ? absl::StrCat(" in batches of ", o.batch) : "", o.publishers,
      o.subscribers, o.mode, o.size, o.rate > 0 ? absl::StrCat(o.rate, " events/s") : "max",
      absl::FormatDuration(o.duration), absl::FormatDuration(o.warmup),
      o.topic.empty() ? "loadgen-<unix time>" : o.topic, where);
}

std::string FormatLoadReport(const LoadOptions& o, const LoadReport& r) {
  const double seconds = r.measured_seconds;
  const double mb = static_cast<double>(o.size) / 1e6;
  std::string out;
  absl::StrAppendFormat(&out, "sent       %12d  (%.0f events/s in the measured window)\n", r.sent,
                        r.sent_in_window / seconds);
  absl::StrAppendFormat(&out, "acked      %12d  (%.0f events/s, %.2f MB/s)\n", r.acked,
                        r.acked_in_window / seconds, r.acked_in_window / seconds * mb);
  absl::StrAppendFormat(&out, "errors     %12d\n", r.errors);
  for (const auto& [text, count] : r.error_texts) {
    absl::StrAppendFormat(&out, "           %12d  %s\n", count, text);
  }
  absl::StrAppendFormat(
      &out, "delivered  %12d  (%.0f events/s, %.2f MB/s; %d redelivered duplicates)\n", r.delivered,
      r.delivered_in_window / seconds, r.delivered_in_window / seconds * mb, r.duplicates);
  if (r.delivery_checked) {
    absl::StrAppendFormat(
        &out, "lost       %12d  (acknowledged, not delivered after the drain%s)\n", r.lost,
        r.still_arriving ? "; deliveries were still arriving when it ended: "
                           "more likely a backlog than a loss, a longer --drain "
                           "tells"
                         : "");
  }
  absl::StrAppendFormat(
      &out, "latency    publish->deliver over %d events: p50 %s  p99 %s  p99.9 %s  max %s\n",
      r.latency.count, FormatMs(r.latency.p50), FormatMs(r.latency.p99), FormatMs(r.latency.p999),
      FormatMs(r.latency.max));
  if (r.malformed > 0) {
    absl::StrAppendFormat(&out, "foreign    %12d  events without loadgen properties (ignored)\n",
                          r.malformed);
  }
  if (!r.delivery_checked) {
    absl::StrAppend(&out, "RESULT: OK (no subscribers: delivery not checked)\n");
  } else if (r.lost > 0) {
    absl::StrAppendFormat(&out, "RESULT: LOST %d acknowledged deliveries after a %s drain%s\n",
                          r.lost, absl::FormatDuration(o.drain),
                          r.still_arriving ? " (still arriving: a backlog?)" : "");
  } else {
    absl::StrAppendFormat(&out, "RESULT: OK (every acknowledged event delivered%s)\n",
                          r.broadcast ? " to every subscriber" : "");
  }
  return out;
}

}  // namespace eventmesh::loadgen
