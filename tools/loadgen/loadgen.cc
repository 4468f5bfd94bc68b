// loadgen: drives an EventMesh runtime over TCP (or gRPC, --protocol=grpc) with N publishers
// and M subscribers (each its own EventMeshTcpClient / EventMeshGrpcClient and connection) and
// reports throughput and publish->deliver latency.
// See tools/loadgen/README.md.
//
// Every event carries, as message properties, its publisher index (loadgenpub), sequence
// number (loadgenseq) and send time in ns since the epoch (loadgents); the subscriber side
// computes the latency on arrival (same host clock). Exit status: 0 when every acknowledged
// event was delivered (to every subscriber in broadcasting mode) within the drain period,
// 1 when some were lost, 2 on a setup error.

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/sdk/grpc/grpc_client.h"
#include "eventmesh/sdk/tcp_client.h"
#include "tools/loadgen/load_stats.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime host");
ABSL_FLAG(int, port, 10000, "runtime TCP port (the gRPC port with --protocol=grpc)");
ABSL_FLAG(std::string, protocol, "tcp",
          "tcp (EventMeshTcpClient) or grpc (EventMeshGrpcClient: unary publish, "
          "subscribeStream with client acks)");
ABSL_FLAG(std::string, subscribe_host, "",
          "runtime host of the subscribers (default --host; another mesh's runtime measures "
          "cross-mesh forwarding)");
ABSL_FLAG(int, subscribe_port, 0, "runtime TCP port of the subscribers (default --port)");
ABSL_FLAG(bool, grpc_client_acks, true,
          "--protocol=grpc: subscribers acknowledge each event (false: the runtime counts an event "
          "delivered once written to the stream, as for Apache clients)");
ABSL_FLAG(int, publishers, 1, "number of publisher connections");
ABSL_FLAG(int, subscribers, 1, "number of subscriber connections");
ABSL_FLAG(std::string, topic, "", "topic (default: loadgen-<unix time>, fresh per run)");
ABSL_FLAG(std::string, mode, "clustering",
          "clustering (one group, each event to one subscriber) or broadcasting (to all)");
ABSL_FLAG(int, size, 256, "event payload (body) size in bytes");
ABSL_FLAG(double, rate, 0, "offered rate in events/s over all publishers; 0 = as fast as possible");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured publishing time");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "publishing time before measuring");
ABSL_FLAG(absl::Duration, drain, absl::Seconds(10),
          "after publishing stops, how long to wait for outstanding deliveries");
ABSL_FLAG(int, max_in_flight, 90,
          "unacknowledged publishes per publisher (keep below the runtime's "
          "eventMesh.server.session.upstreamBufferSize)");

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
  std::function<void()> close;
};

class Publisher {
 public:
  Publisher(int id, PublishClient client, int max_in_flight)
      : id_(id), client_(std::move(client)), max_in_flight_(max_in_flight) {}

  // Publishes from now until `stop_ns` at `rate` events/s (0 = unpaced).
  void Run(const std::string& topic, const std::string& body, double rate, int64_t stop_ns,
           const Window* window) {
    const int64_t interval_ns = rate > 0 ? static_cast<int64_t>(1e9 / rate) : 0;
    int64_t next_ns = NowNs();
    uint64_t seq = 0;
    while (true) {
      int64_t now = NowNs();
      if (now >= stop_ns) break;
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
      client_.publish_async(message, [this, this_seq, window](absl::Status status) {
        const int64_t acked_ns = NowNs();
        absl::MutexLock lock(&mu_);
        --in_flight_;
        if (status.ok()) {
          if (this_seq >= acked_seqs_.size()) acked_seqs_.resize(this_seq * 2 + 1024, false);
          acked_seqs_[this_seq] = true;
          ++acked_;
          if (window->Contains(acked_ns)) ++acked_in_window_;
        } else {
          ++errors_[std::string(status.ToString())];
        }
      });
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
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> sent_in_window_{0};
  mutable absl::Mutex mu_;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<bool> acked_seqs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> errors_ ABSL_GUARDED_BY(mu_);
};

struct DeliveryCounters {
  std::atomic<uint64_t> delivered{0};            // First deliveries, any time.
  std::atomic<uint64_t> delivered_in_window{0};  // First deliveries received in the window.
  std::atomic<uint64_t> malformed{0};            // Events without the loadgen properties.
};

int Run() {
  const std::string host = absl::GetFlag(FLAGS_host);
  const int port = absl::GetFlag(FLAGS_port);
  const int num_publishers = absl::GetFlag(FLAGS_publishers);
  const int num_subscribers = absl::GetFlag(FLAGS_subscribers);
  const std::string mode_name = absl::GetFlag(FLAGS_mode);
  const int size = absl::GetFlag(FLAGS_size);
  const double rate = absl::GetFlag(FLAGS_rate);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Duration drain = absl::GetFlag(FLAGS_drain);
  const int max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  std::string topic = absl::GetFlag(FLAGS_topic);
  if (topic.empty()) topic = absl::StrCat("loadgen-", absl::ToUnixSeconds(absl::Now()));

  if (num_publishers < 1 || num_subscribers < 0 || size < 0 || rate < 0 || max_in_flight < 1 ||
      duration <= absl::ZeroDuration() || warmup < absl::ZeroDuration()) {
    std::fprintf(stderr,
                 "invalid flags: need --publishers >= 1, --subscribers >= 0, --size >= 0, "
                 "--rate >= 0, --max_in_flight >= 1, --duration > 0, --warmup >= 0\n");
    return 2;
  }
  sdk::SubscriptionMode mode;
  if (mode_name == "clustering") {
    mode = sdk::SubscriptionMode::kClustering;
  } else if (mode_name == "broadcasting") {
    mode = sdk::SubscriptionMode::kBroadcasting;
  } else {
    std::fprintf(stderr, "invalid --mode \"%s\": clustering or broadcasting\n", mode_name.c_str());
    return 2;
  }
  const bool broadcast = mode == sdk::SubscriptionMode::kBroadcasting;
  const std::string protocol = absl::GetFlag(FLAGS_protocol);
  if (protocol != "tcp" && protocol != "grpc") {
    std::fprintf(stderr, "invalid --protocol \"%s\": tcp or grpc\n", protocol.c_str());
    return 2;
  }
  const bool grpc = protocol == "grpc";
  sdk::GrpcClientOptions grpc_base;
  grpc_base.host = host;
  grpc_base.port = port;
  grpc_base.call_timeout = absl::Seconds(30);
  grpc_base.client_acks = absl::GetFlag(FLAGS_grpc_client_acks);

  sdk::TcpClientOptions base;
  base.host = host;
  base.port = port;
  base.request_timeout = absl::Seconds(30);

  // Subscribers first, so that nothing published is missed.
  const int num_trackers = broadcast ? num_subscribers : (num_subscribers > 0 ? 1 : 0);
  std::vector<std::unique_ptr<DeliveryTracker>> trackers;
  for (int i = 0; i < num_trackers; ++i) {
    trackers.push_back(std::make_unique<DeliveryTracker>(num_publishers));
  }
  LatencySamples latency;
  DeliveryCounters counters;
  Window window;
  std::vector<std::unique_ptr<EventMeshTcpClient>> subscribers;
  std::vector<std::unique_ptr<sdk::EventMeshGrpcClient>> grpc_subscribers;
  // Records one delivery; false for events without the loadgen properties.
  auto record = [&latency, &counters, &window](DeliveryTracker* tracker,
                                               const sdk::ReceivedEvent& event) {
    const int64_t received_ns = NowNs();
    const std::string* pub = event.property("loadgenpub");
    const std::string* seq = event.property("loadgenseq");
    const std::string* ts = event.property("loadgents");
    int publisher;
    uint64_t number;
    int64_t sent_ns;
    if (pub == nullptr || seq == nullptr || ts == nullptr || !absl::SimpleAtoi(*pub, &publisher) ||
        !absl::SimpleAtoi(*seq, &number) || !absl::SimpleAtoi(*ts, &sent_ns)) {
      counters.malformed.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (!tracker->Record(publisher, number)) return;  // A redelivery.
    counters.delivered.fetch_add(1, std::memory_order_relaxed);
    if (window.Contains(received_ns)) {
      counters.delivered_in_window.fetch_add(1, std::memory_order_relaxed);
    }
    if (window.Contains(sent_ns)) latency.Add(received_ns - sent_ns);
  };
  for (int i = 0; grpc && i < num_subscribers; ++i) {
    sdk::GrpcClientOptions options = grpc_base;
    if (!absl::GetFlag(FLAGS_subscribe_host).empty()) {
      options.host = absl::GetFlag(FLAGS_subscribe_host);
    }
    if (absl::GetFlag(FLAGS_subscribe_port) > 0) options.port = absl::GetFlag(FLAGS_subscribe_port);
    options.consumer_group = "loadgen-consumers";
    auto client = sdk::EventMeshGrpcClient::Connect(options);
    if (!client.ok()) {
      std::fprintf(stderr, "subscriber %d: %s\n", i, client.status().ToString().c_str());
      return 2;
    }
    DeliveryTracker* tracker = trackers[broadcast ? i : 0].get();
    (*client)->SetHandler([tracker, &record](std::shared_ptr<sdk::GrpcDelivery> delivery) {
      record(tracker, delivery->event());
      delivery->Ack();
    });
    absl::Status subscribed = (*client)->Subscribe({sdk::SubscriptionItem{topic, mode}});
    if (!subscribed.ok()) {
      std::fprintf(stderr, "subscriber %d: %s\n", i, subscribed.ToString().c_str());
      return 2;
    }
    grpc_subscribers.push_back(std::move(*client));
  }
  for (int i = 0; !grpc && i < num_subscribers; ++i) {
    sdk::TcpClientOptions options = base;
    if (!absl::GetFlag(FLAGS_subscribe_host).empty()) {
      options.host = absl::GetFlag(FLAGS_subscribe_host);
    }
    if (absl::GetFlag(FLAGS_subscribe_port) > 0) options.port = absl::GetFlag(FLAGS_subscribe_port);
    options.purpose = sdk::ClientPurpose::kSubscribe;
    options.group = "loadgen-consumers";
    auto client = EventMeshTcpClient::Connect(options);
    if (!client.ok()) {
      std::fprintf(stderr, "subscriber %d: %s\n", i, client.status().ToString().c_str());
      return 2;
    }
    DeliveryTracker* tracker = trackers[broadcast ? i : 0].get();
    (*client)->SetHandler([tracker, &record](std::shared_ptr<sdk::Delivery> delivery) {
      record(tracker, delivery->event());
    });
    absl::Status subscribed = (*client)->Subscribe(topic, mode, sdk::SubscriptionType::kAsync);
    absl::Status listening = subscribed.ok() ? (*client)->Listen() : subscribed;
    if (!listening.ok()) {
      std::fprintf(stderr, "subscriber %d: %s\n", i, listening.ToString().c_str());
      return 2;
    }
    subscribers.push_back(std::move(*client));
  }

  std::vector<std::unique_ptr<Publisher>> publishers;
  for (int i = 0; grpc && i < num_publishers; ++i) {
    sdk::GrpcClientOptions options = grpc_base;
    options.producer_group = "loadgen-producers";
    auto client = sdk::EventMeshGrpcClient::Connect(options);
    if (!client.ok()) {
      std::fprintf(stderr, "publisher %d: %s\n", i, client.status().ToString().c_str());
      return 2;
    }
    std::shared_ptr<sdk::EventMeshGrpcClient> shared = std::move(*client);
    PublishClient publish_client;
    publish_client.publish_async = [shared](const sdk::Message& message,
                                            std::function<void(absl::Status)> done) {
      shared->PublishAsync(message, std::move(done));
    };
    publish_client.close = [shared] { shared->Close(); };
    publishers.push_back(std::make_unique<Publisher>(i, std::move(publish_client), max_in_flight));
  }
  for (int i = 0; !grpc && i < num_publishers; ++i) {
    sdk::TcpClientOptions options = base;
    options.purpose = sdk::ClientPurpose::kPublish;
    options.group = "loadgen-producers";
    auto client = EventMeshTcpClient::Connect(options);
    if (!client.ok()) {
      std::fprintf(stderr, "publisher %d: %s\n", i, client.status().ToString().c_str());
      return 2;
    }
    std::shared_ptr<EventMeshTcpClient> shared = std::move(*client);
    PublishClient publish_client;
    publish_client.publish_async = [shared](const sdk::Message& message,
                                            std::function<void(absl::Status)> done) {
      shared->PublishAsync(message, std::move(done));
    };
    publish_client.close = [shared] { (void)shared->Close(); };
    publishers.push_back(std::make_unique<Publisher>(i, std::move(publish_client), max_in_flight));
  }

  const std::string body(static_cast<size_t>(size), 'x');
  const int64_t start_ns = NowNs();
  window.end_ns = start_ns + absl::ToInt64Nanoseconds(warmup) + absl::ToInt64Nanoseconds(duration);
  window.start_ns = start_ns + absl::ToInt64Nanoseconds(warmup);
  std::printf(
      "loadgen: %s, %d publisher(s), %d subscriber(s) (%s), %d-byte events, rate %s, "
      "%s measured after %s warm-up, topic %s, runtime %s:%d\n",
      protocol.c_str(), num_publishers, num_subscribers, mode_name.c_str(), size,
      rate > 0 ? absl::StrCat(rate, " events/s").c_str() : "max",
      absl::FormatDuration(duration).c_str(), absl::FormatDuration(warmup).c_str(), topic.c_str(),
      host.c_str(), port);
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (auto& publisher : publishers) {
    threads.emplace_back([&, p = publisher.get()] {
      p->Run(topic, body, rate / num_publishers, window.end_ns.load(), &window);
    });
  }
  for (auto& t : threads) t.join();
  for (auto& publisher : publishers) publisher->WaitIdle();

  uint64_t sent = 0, sent_in_window = 0, acked = 0, acked_in_window = 0;
  std::map<std::string, uint64_t> errors;
  for (auto& publisher : publishers) {
    sent += publisher->sent();
    sent_in_window += publisher->sent_in_window();
    acked += publisher->acked();
    acked_in_window += publisher->acked_in_window();
    for (const auto& [text, count] : publisher->errors()) errors[text] += count;
  }
  uint64_t error_count = 0;
  for (const auto& [text, count] : errors) error_count += count;

  // Drain: wait for outstanding deliveries of acknowledged events.
  const absl::Time drain_deadline = absl::Now() + drain;
  auto all_delivered = [&] {
    for (const auto& tracker : trackers) {
      if (tracker->unique() < acked) return false;
    }
    return true;
  };
  while (num_subscribers > 0 && !all_delivered() && absl::Now() < drain_deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  uint64_t lost = 0;
  for (auto& publisher : publishers) {
    const std::vector<bool> acked_seqs = publisher->acked_seqs();
    for (size_t seq = 0; seq < acked_seqs.size(); ++seq) {
      if (!acked_seqs[seq]) continue;
      for (const auto& tracker : trackers) {
        if (!tracker->Seen(publisher->id(), seq)) ++lost;
      }
    }
  }
  uint64_t duplicates = 0;
  for (const auto& tracker : trackers) duplicates += tracker->duplicates();

  const double seconds = absl::ToDoubleSeconds(duration);
  const double mb = static_cast<double>(size) / 1e6;
  const Percentiles p = latency.Compute();
  std::printf("sent       %12llu  (%.0f events/s in the measured window)\n",
              static_cast<unsigned long long>(sent), sent_in_window / seconds);
  std::printf("acked      %12llu  (%.0f events/s, %.2f MB/s)\n",
              static_cast<unsigned long long>(acked), acked_in_window / seconds,
              acked_in_window / seconds * mb);
  std::printf("errors     %12llu\n", static_cast<unsigned long long>(error_count));
  for (const auto& [text, count] : errors) {
    std::printf("           %12llu  %s\n", static_cast<unsigned long long>(count), text.c_str());
  }
  std::printf("delivered  %12llu  (%.0f events/s, %.2f MB/s; %llu redelivered duplicates)\n",
              static_cast<unsigned long long>(counters.delivered.load()),
              counters.delivered_in_window.load() / seconds,
              counters.delivered_in_window.load() / seconds * mb,
              static_cast<unsigned long long>(duplicates));
  std::printf("latency    publish->deliver over %zu events: p50 %s  p99 %s  p99.9 %s  max %s\n",
              p.count, FormatMs(p.p50).c_str(), FormatMs(p.p99).c_str(), FormatMs(p.p999).c_str(),
              FormatMs(p.max).c_str());
  if (counters.malformed.load() > 0) {
    std::printf("foreign    %12llu  events without loadgen properties (ignored)\n",
                static_cast<unsigned long long>(counters.malformed.load()));
  }

  for (auto& publisher : publishers) publisher->Close();
  for (auto& subscriber : subscribers) (void)subscriber->Close();
  for (auto& subscriber : grpc_subscribers) subscriber->Close();

  if (num_subscribers == 0) {
    std::printf("RESULT: OK (no subscribers: delivery not checked)\n");
    return 0;
  }
  if (lost > 0) {
    std::printf("RESULT: LOST %llu acknowledged deliveries after a %s drain\n",
                static_cast<unsigned long long>(lost), absl::FormatDuration(drain).c_str());
    return 1;
  }
  std::printf("RESULT: OK (every acknowledged event delivered%s)\n",
              broadcast ? " to every subscriber" : "");
  return 0;
}

}  // namespace
}  // namespace eventmesh::loadgen

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return eventmesh::loadgen::Run();
}
