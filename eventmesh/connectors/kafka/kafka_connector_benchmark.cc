// Publish and publish->deliver throughput of the "kafka" connector against librdkafka's
// in-process MOCK cluster (3 brokers on loopback), not a real Kafka: the figures show the
// connector's own overhead (binding, producer, delivery reports, consumer thread, acks), not
// what a Kafka cluster sustains.
//   bazel run -c opt //eventmesh/connectors/kafka:kafka_connector_benchmark -- --events=100000
// Prints events/s: every publish outstanding at once (PublishBatch of 1000, 200-byte payloads,
// 4 partitions), and the same on 16 partitions with one CLUSTERING subscription acknowledging
// every batch until the last event is delivered. The mock keeps about 5 MB per partition and
// drops older records: keep --events below ~200000 or the consumer's backlog is cut.

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/connectors/kafka/kafka_connector.h"
#include "eventmesh/connectors/kafka/testing/mock_cluster.h"

ABSL_FLAG(int, events, 100000, "events to publish per run");

namespace {

using eventmesh::connectors::Connector;

// Publishes `events` to `topic`; returns once every callback ran. Counts failures.
void PublishAll(Connector* connector, const std::string& topic, int events,
                std::atomic<int>* failed) {
  absl::Mutex mu;
  int done = 0;
  std::vector<Connector::PendingPublish> batch;
  for (int i = 0; i < events; ++i) {
    eventmesh::cloudevents::CloudEvent event;
    event.set_id(std::to_string(i));
    event.set_source("/bench");
    event.set_type("bench");
    event.set_subject(topic);
    event.set_data(std::string(200, 'x'), eventmesh::cloudevents::DataEncoding::kText);
    batch.push_back({std::move(event), [&](absl::StatusOr<eventmesh::connectors::PublishResult> r) {
                       if (!r.ok()) failed->fetch_add(1);
                       absl::MutexLock lock(&mu);
                       ++done;
                     }});
    if (batch.size() == 1000 || i + 1 == events) connector->PublishBatch(&batch);
  }
  absl::MutexLock lock(&mu);
  auto all = [&] { return done == events; };
  mu.AwaitWithTimeout(absl::Condition(&all), absl::Minutes(5));
}

}  // namespace

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  absl::ParseCommandLine(argc, argv);
  const int events = absl::GetFlag(FLAGS_events);
  eventmesh::connectors::kafka::testing::MockKafkaCluster cluster(3);
  eventmesh::connectors::kafka::KafkaOptions options;
  options.bootstrap_servers = cluster.bootstrap_servers();
  options.max_queued_events = events + 1000;
  auto connector = eventmesh::connectors::kafka::OpenKafkaConnector(options, cluster.topic_admin());
  if (!connector.ok()) {
    std::fprintf(stderr, "%s\n", connector.status().ToString().c_str());
    return 1;
  }
  Connector* c = connector->get();
  if (!c->CreateTopic("publish", 4).ok() || !c->CreateTopic("roundtrip", 16).ok()) return 1;

  std::atomic<int> failed{0};
  absl::Time start = absl::Now();
  PublishAll(c, "publish", events, &failed);
  std::printf("publish (mock cluster):         %.0f events/s\n",
              events / absl::ToDoubleSeconds(absl::Now() - start));

  absl::Mutex mu;
  int delivered = 0;
  eventmesh::connectors::Subscription* subscription_ptr = nullptr;
  eventmesh::connectors::SubscribeOptions subscribe;
  subscribe.group = "bench";
  subscribe.topic = "roundtrip";
  subscribe.max_unacked = 10'000;
  auto subscription =
      c->Subscribe(subscribe, [&](std::vector<eventmesh::connectors::DeliveredEvent>* batch) {
        std::vector<eventmesh::connectors::Position> positions;
        for (const auto& e : *batch) positions.push_back(e.position);
        absl::MutexLock lock(&mu);
        delivered += static_cast<int>(batch->size());
        if (subscription_ptr != nullptr) subscription_ptr->AckAll(positions);
      });
  if (!subscription.ok()) return 1;
  {
    absl::MutexLock lock(&mu);
    subscription_ptr = subscription->get();
  }
  start = absl::Now();
  PublishAll(c, "roundtrip", events, &failed);
  {
    absl::MutexLock lock(&mu);
    auto all = [&] { return delivered >= events; };
    mu.AwaitWithTimeout(absl::Condition(&all), absl::Minutes(5));
  }
  std::printf("publish->deliver (mock cluster): %.0f events/s\n",
              events / absl::ToDoubleSeconds(absl::Now() - start));
  (*subscription)->Close();
  if (failed.load() > 0) std::printf("%d publishes failed\n", failed.load());
  return 0;
}
