// End-to-end tests of StoreClient / RemoteEventStore against a real StoreServer over loopback,
// backed by a real RocksDB store in $TEST_TMPDIR.

#include "eventmesh/store/client/store_client.h"

#include <stdlib.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "boost/asio.hpp"
#include "eventmesh/common/metrics/metrics.h"
#include "eventmesh/common/metrics/prometheus_text.h"
#include "eventmesh/protocol/rpc/frame_codec.h"
#include "eventmesh/store/client/remote_event_store.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/store_server.h"
#include "eventmesh/store/service/wire_convert.h"
#include "eventmesh/store/testing/store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::store::client {
namespace {

using ::eventmesh::store::test_util::MakeTempDir;
using ::eventmesh::store::test_util::OpenTestStore;
using ::eventmesh::store::test_util::Rec;
using ::eventmesh::store::test_util::ToPartition;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

ReadRequest ReadAt(const std::string& topic, int32_t partition, int64_t offset) {
  ReadRequest r;
  r.topic = topic;
  r.partition = partition;
  r.offset = offset;
  return r;
}

class StoreClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("store_client");
    StoreOptions options;
    options.path = dir_;
    options.retention_interval_ms = 0;
    auto store = RocksDbEventStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    StartServer(0);
    client_ = NewClient();
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
    server_.reset();
    store_.reset();
  }

  void StartServer(uint16_t port) {
    service::StoreServerOptions options;
    options.port = port;
    options.executor_threads = 8;
    auto server = service::StoreServer::Start(store_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    port_ = server_->port();
  }

  std::unique_ptr<StoreClient> NewClient(absl::Duration timeout = absl::Seconds(30)) {
    StoreClientOptions options;
    options.port = port_;
    options.call_timeout = timeout;
    options.initial_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(200);
    auto client = StoreClient::Create(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return std::move(*client);
  }

  void CreateTopic(const std::string& name, int32_t partitions, RetentionPolicy retention = {}) {
    CreateTopicRequest request;
    request.topic = name;
    request.partitions = partitions;
    request.retention = retention;
    auto created = client_->CreateTopic(request);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  std::string dir_;
  std::unique_ptr<RocksDbEventStore> store_;
  std::unique_ptr<service::StoreServer> server_;
  uint16_t port_ = 0;
  std::unique_ptr<StoreClient> client_;
};

TEST_F(StoreClientTest, TopicAdministrationOverTheWire) {
  CreateTopicRequest create;
  create.topic = "orders";
  create.partitions = 3;
  create.retention = {/*max_age_ms=*/60'000, /*max_bytes=*/5000};
  auto created = client_->CreateTopic(create);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->topic, "orders");
  EXPECT_EQ(created->partitions, 3);
  EXPECT_EQ(created->retention.max_age_ms, 60'000);
  EXPECT_EQ(created->retention.max_bytes, 5000);
  EXPECT_THAT(created->partition_info, SizeIs(3));

  auto again = client_->CreateTopic(create);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().message(), "topic \"orders\" already exists");

  CreateTopicRequest bad;
  bad.topic = "bad topic";
  auto invalid = client_->CreateTopic(bad);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(invalid.status().message(),
            "topic name \"bad topic\" has an invalid character at position 3; allowed are "
            "[A-Za-z0-9._-] and '/' between levels");

  CreateTopic("audit", 1);
  auto list = client_->ListTopics({});
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(list->topics, ElementsAre("audit", "orders"));

  auto described = client_->DescribeTopic({"orders"});
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->created_ms, created->created_ms);

  ASSERT_TRUE(client_->DeleteTopic({"orders"}).ok());
  auto missing = client_->DescribeTopic({"orders"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "topic \"orders\" does not exist");
  EXPECT_EQ(client_->DeleteTopic({"orders"}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreClientTest, AppendReadOffsetsSeekAndIdempotentRetry) {
  CreateTopic("events", 4);
  const std::string binary("\0\x01\xff payload", 11);
  auto first = client_->Append(ToPartition(
      "events", 2,
      {Rec(binary, std::string("k\0ey", 4), {{"ce_type", "order.created"}, {"bin", "\xff\x00"}}),
       Rec("second", std::nullopt), Rec("", std::string())}));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->topic, "events");
  EXPECT_EQ(first->partition, 2);
  EXPECT_EQ(first->base_offset, 0);
  EXPECT_EQ(first->last_offset, 2);
  EXPECT_FALSE(first->duplicate);

  auto read = client_->Read(ReadAt("events", 2, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  auto local = store_->Read(ReadAt("events", 2, 0));
  ASSERT_TRUE(local.ok());
  ASSERT_THAT(read->records, SizeIs(3));
  EXPECT_EQ(read->records, local->records);  // byte for byte, attribute for attribute
  EXPECT_EQ(read->records[0].payload, binary);
  EXPECT_EQ(read->records[0].key, std::string("k\0ey", 4));
  EXPECT_EQ(read->records[1].key, std::nullopt);
  EXPECT_EQ(read->records[2].key, std::string());
  EXPECT_EQ(read->next_offset, 3);
  EXPECT_EQ(read->latest_offset, 3);

  // Key hash and round robin.
  AppendRequest by_key = ToPartition("events", 0, {Rec("a", "customer-7")});
  by_key.strategy = PartitionStrategy::kKeyHash;
  auto keyed = client_->Append(by_key);
  auto keyed_local = store_->Append(by_key);
  ASSERT_TRUE(keyed.ok() && keyed_local.ok());
  EXPECT_EQ(keyed->partition, keyed_local->partition);
  AppendRequest rr = ToPartition("events", 0, {Rec("r")});
  rr.strategy = PartitionStrategy::kRoundRobin;
  std::set<int32_t> seen;
  for (int i = 0; i < 4; ++i) {
    auto r = client_->Append(rr);
    ASSERT_TRUE(r.ok());
    seen.insert(r->partition);
  }
  EXPECT_THAT(seen, SizeIs(4));

  // Idempotent producer: the retry is acknowledged with the original offsets.
  AppendRequest idem = ToPartition("events", 3, {Rec("once")});
  idem.producer_id = 18446744073709551615ull;
  idem.sequence = 0;
  auto original = client_->Append(idem);
  ASSERT_TRUE(original.ok()) << original.status();
  auto retry = client_->Append(idem);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, original->base_offset);
  idem.sequence = 5;
  auto gap = client_->Append(idem);
  EXPECT_EQ(gap.status().code(), absl::StatusCode::kFailedPrecondition);

  auto offsets = client_->GetOffsets({"events", 3});
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->earliest_offset, 0);
  EXPECT_EQ(offsets->latest_offset, original->last_offset + 1);

  SeekTimeRequest seek{"events", 2, first->append_time_ms};
  auto found = client_->SeekTime(seek);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(found->found);
  EXPECT_EQ(found->offset, 0);
  seek.timestamp_ms = first->append_time_ms + 3'600'000;
  auto none = client_->SeekTime(seek);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
  EXPECT_EQ(none->offset, 4);  // the latest offset: 3 records + one round-robin append

  // Engine errors come through unchanged.
  auto empty = client_->Append(ToPartition("events", 0, {}));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(empty.status().message(), "append batch has no records");
  auto unknown = client_->Append(ToPartition("nope", 0, {Rec("x")}));
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(StoreClientTest, OutOfRangeCarriesEarliestAndLatestOffsets) {
  CreateTopic("sized", 1, {/*max_age_ms=*/0, /*max_bytes=*/1000});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(client_->Append(ToPartition("sized", 0, {Rec(std::string(300, 'a' + i))})).ok());
  }
  auto pass = client_->RunRetention();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->events_deleted, 7);
  EXPECT_EQ(pass->partitions_trimmed, 1);

  auto below = client_->Read(ReadAt("sized", 0, 0));
  ASSERT_EQ(below.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(below.status().message(),
            "offset 0 of sized/0 is below the earliest retained offset 7");
  EXPECT_EQ(EarliestOffsetOf(below.status()), 7);
  EXPECT_EQ(LatestOffsetOf(below.status()), 10);

  FetchRequest fetch;
  fetch.read = ReadAt("sized", 0, 11);
  auto beyond = client_->Fetch(fetch);
  ASSERT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(EarliestOffsetOf(beyond.status()), 7);
  EXPECT_EQ(LatestOffsetOf(beyond.status()), 10);

  auto ok = client_->Read(ReadAt("sized", 0, 7));
  ASSERT_TRUE(ok.ok());
  EXPECT_THAT(ok->records, SizeIs(3));
  EXPECT_EQ(ok->earliest_offset, 7);
}

// Typed reads and fetches take their results straight from the answer's bytes; a raw call
// gets the protobuf message. Both carry the same records, whatever they hold.
TEST_F(StoreClientTest, TypedReadsAndFetchesMatchTheRawCallsAnswer) {
  CreateTopic("mixed", 1);
  std::vector<ProducerRecord> records = {
      Rec("plain"), Rec("", "key only"),
      Rec(std::string(5000, 'p'), "k", {{"h1", "v1"}, {"h2", std::string(3, '\0')}}),
      Rec(std::string("\0\xff binary", 9), std::nullopt, {{"", ""}})};
  ASSERT_TRUE(client_->Append(ToPartition("mixed", 0, records)).ok());
  const std::vector<EventRecord> stored = store_->Read(ReadAt("mixed", 0, 0))->records;
  ASSERT_THAT(stored, SizeIs(4));

  auto read = client_->Read(ReadAt("mixed", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->records, stored);
  EXPECT_EQ(read->next_offset, 4);
  FetchRequest fetch;
  fetch.read = ReadAt("mixed", 0, 1);
  auto fetched = client_->Fetch(fetch);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->records, std::vector<EventRecord>(stored.begin() + 1, stored.end()));
  EXPECT_EQ(fetched->next_offset, 4);

  v1::StoreRequest raw;
  ASSERT_TRUE(wire::ToProto(fetch, raw.mutable_fetch()).ok());
  auto answer = client_->Call(raw, absl::Seconds(30)).get();
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->result_case(), v1::StoreResponse::kFetch);
  ReadResult converted;
  wire::FromProto(answer->fetch(), &converted);
  EXPECT_EQ(converted.records, fetched->records);
  EXPECT_EQ(converted.next_offset, fetched->next_offset);
  EXPECT_EQ(converted.earliest_offset, fetched->earliest_offset);
  EXPECT_EQ(converted.latest_offset, fetched->latest_offset);
}

TEST_F(StoreClientTest, LongPollFetchIsWokenByAnAppendFromAnotherClient) {
  CreateTopic("live", 1);
  // Nothing arrives: an empty result once the wait expires.
  FetchRequest quick;
  quick.read = ReadAt("live", 0, 0);
  quick.max_wait_ms = 20;
  auto empty = client_->Fetch(quick);
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(empty->records, SizeIs(0));
  EXPECT_EQ(empty->next_offset, 0);

  FetchRequest wait;
  wait.read = ReadAt("live", 0, 0);
  wait.max_wait_ms = 60'000;
  std::promise<absl::StatusOr<ReadResult>> fetched;
  client_->FetchAsync(wait, [&](absl::StatusOr<ReadResult> r) { fetched.set_value(std::move(r)); });
  // Wait until the fetch is parked in the engine: the append below must be what wakes it.
  for (int i = 0; i < 3000 && store_->GetStats().parked_async_fetches < 1; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(store_->GetStats().parked_async_fetches, 1);
  auto producer = NewClient();
  auto appended = producer->Append(ToPartition("live", 0, {Rec("wake up")}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto future = fetched.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_THAT(result->records, SizeIs(1));
  EXPECT_EQ(result->records[0].payload, "wake up");
  EXPECT_EQ(result->next_offset, 1);
}

TEST_F(StoreClientTest, ConsumerGroupsOverTheWire) {
  CreateTopic("jobs", 4);
  JoinGroupRequest join_a;
  join_a.group = "workers";
  join_a.topics = {"jobs"};
  auto a = client_->JoinGroup(join_a);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->member_id.empty());
  EXPECT_THAT(a->partitions, SizeIs(4));

  auto other = NewClient();
  auto b = other->JoinGroup(join_a);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_GT(b->generation, a->generation);
  auto a_now = client_->Heartbeat({"workers", a->member_id});
  ASSERT_TRUE(a_now.ok()) << a_now.status();
  EXPECT_EQ(a_now->generation, b->generation);
  EXPECT_EQ(a_now->partitions.size() + b->partitions.size(), 4u);

  auto described = client_->DescribeGroup({"workers"});
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(described->generation, b->generation);
  ASSERT_THAT(described->members, SizeIs(2));

  // A commit with the old generation is rejected; the current one is accepted.
  CommitOffsetsRequest commit;
  commit.group = "workers";
  commit.member_id = a->member_id;
  commit.generation = a->generation;
  commit.offsets = {{"jobs", a_now->partitions[0].partition, 42, "meta\xff"}};
  auto stale = client_->CommitOffsets(commit);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(stale.status().message(), HasSubstr("stale generation"));
  commit.generation = a_now->generation;
  ASSERT_TRUE(client_->CommitOffsets(commit).ok());
  // if_absent travels: from no member, it writes only the partitions never committed.
  CommitOffsetsRequest starts;
  starts.group = "workers";
  starts.if_absent = true;
  for (int32_t p = 0; p < 4; ++p) starts.offsets.push_back({"jobs", p, 7, ""});
  ASSERT_TRUE(other->CommitOffsets(starts).ok());

  FetchOffsetsRequest fetch;
  fetch.group = "workers";
  fetch.topic = "jobs";
  auto committed = other->FetchOffsets(fetch);
  ASSERT_TRUE(committed.ok()) << committed.status();
  ASSERT_THAT(committed->offsets, SizeIs(4));
  for (const CommittedOffset& o : committed->offsets) {
    if (o.partition == a_now->partitions[0].partition) {
      EXPECT_EQ(o.offset, 42);
      EXPECT_EQ(o.metadata, "meta\xff");
    } else {
      EXPECT_EQ(o.offset, 7);
    }
  }

  auto left = other->LeaveGroup({"workers", b->member_id});
  ASSERT_TRUE(left.ok());
  EXPECT_GT(left->generation, b->generation);
  auto alone = client_->Heartbeat({"workers", a->member_id});
  ASSERT_TRUE(alone.ok());
  EXPECT_THAT(alone->partitions, SizeIs(4));
  auto gone = other->Heartbeat({"workers", b->member_id});
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(StoreClientTest, ConcurrentClientsAppendAndRead) {
  constexpr int kClients = 4;
  constexpr int kBatches = 50;
  constexpr int kPerBatch = 5;
  CreateTopic("shared", 2);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto client = NewClient();
      for (int b = 0; b < kBatches; ++b) {
        std::vector<ProducerRecord> records;
        for (int i = 0; i < kPerBatch; ++i) {
          records.push_back(Rec(absl::StrCat("c", c, "-b", b, "-i", i)));
        }
        auto r = client->Append(ToPartition("shared", c % 2, std::move(records)));
        if (!r.ok() || r->last_offset - r->base_offset != kPerBatch - 1) ++failures;
        auto read = client->Read(ReadAt("shared", c % 2, 0));
        if (!read.ok() || read->records.empty()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  // Every event is there exactly once, offsets dense, each client's events in its order.
  std::set<std::string> all;
  for (int p = 0; p < 2; ++p) {
    int64_t offset = 0;
    std::map<std::string, int> last_batch;
    for (int guard = 0; guard < 1000; ++guard) {
      auto read = client_->Read(ReadAt("shared", p, offset));
      ASSERT_TRUE(read.ok()) << read.status();
      if (read->records.empty()) break;
      for (const EventRecord& r : read->records) {
        EXPECT_EQ(r.offset, offset++);
        EXPECT_TRUE(all.insert(r.payload).second) << r.payload;
      }
    }
    EXPECT_EQ(offset, kClients / 2 * kBatches * kPerBatch);
  }
  EXPECT_THAT(all, SizeIs(kClients * kBatches * kPerBatch));
}

TEST_F(StoreClientTest, ThousandPipelinedRequestsOnOneConnection) {
  constexpr int kCalls = 1000;
  CreateTopic("pipe", 1);
  absl::Mutex mu;
  std::vector<int64_t> offsets;
  int errors = 0;
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    client_->AppendAsync(ToPartition("pipe", 0, {Rec(absl::StrCat("e", i))}),
                         [&](absl::StatusOr<AppendResult> r) {
                           absl::MutexLock lock(&mu);
                           if (r.ok()) {
                             offsets.push_back(r->base_offset);
                           } else {
                             ++errors;
                           }
                           ++done;
                         });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* d) { return *d == kCalls; }, &done),
                                    absl::Seconds(60)));
  }
  EXPECT_EQ(errors, 0);
  std::sort(offsets.begin(), offsets.end());
  ASSERT_THAT(offsets, SizeIs(kCalls));
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(offsets[i], i);
  auto end = client_->GetOffsets({"pipe", 0});
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->latest_offset, kCalls);
}

// Issues `count` appends from the client's own network thread (inside a callback), so they all
// queue behind one write and go out together: the first alone, the rest in MultiAppendRequests.
// payload(i) is the i-th payload, topic_of(i) its topic. Returns every call's result in issue
// order.
std::vector<absl::StatusOr<AppendResult>> AppendFromTheNetworkThread(
    StoreClient& client, int count, const std::function<std::string(int)>& topic_of,
    CallOptions options = {}) {
  // Shared with the callbacks, which may outlive this function if it gives up waiting.
  struct State {
    absl::Mutex mu;
    std::vector<absl::StatusOr<AppendResult>> results;
    int answered = 0;
    bool all_answered = false;
  };
  auto state = std::make_shared<State>();
  state->results.assign(count, absl::UnknownError("not answered"));
  client.ListTopicsAsync(
      {}, [&client, state, count, topic_of, options](absl::StatusOr<ListTopicsResult>) {
        for (int i = 0; i < count; ++i) {
          client.AppendAsync(
              ToPartition(topic_of(i), 0, {Rec(absl::StrCat("e", i))}),
              [state, i, count](absl::StatusOr<AppendResult> r) {
                absl::MutexLock lock(&state->mu);
                state->results[static_cast<size_t>(i)] = std::move(r);
                state->all_answered = ++state->answered == count;
              },
              options);
        }
      });
  absl::MutexLock lock(&state->mu);
  EXPECT_TRUE(state->mu.AwaitWithTimeout(absl::Condition(&state->all_answered), absl::Seconds(60)));
  return state->results;
}

TEST(StoreClientMultiAppendTest, QueuedAppendsShareRequestsAndKeepTheirOwnResults) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_client_multi");
  ASSERT_NE(store, nullptr);
  metrics::Registry registry;
  service::StoreServerOptions server_options;
  server_options.port = 0;
  server_options.metrics = &registry;
  auto server = service::StoreServer::Start(store.get(), server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  StoreClientOptions options;
  options.port = (*server)->port();
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());
  CreateTopicRequest create;
  create.topic = "multi";
  ASSERT_TRUE((*client)->CreateTopic(create).ok());

  // Every 10th append goes to a topic that does not exist: it fails alone.
  constexpr int kAppends = 3000;
  auto topic_of = [](int i) { return i % 10 == 9 ? std::string("nope") : std::string("multi"); };
  std::vector<absl::StatusOr<AppendResult>> results =
      AppendFromTheNetworkThread(**client, kAppends, topic_of);
  int64_t next = 0;
  for (int i = 0; i < kAppends; ++i) {
    if (topic_of(i) == "nope") {
      EXPECT_EQ(results[i].status(), absl::NotFoundError("topic \"nope\" does not exist"));
      continue;
    }
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->base_offset, next++) << "append " << i << " out of issue order";
  }
  int64_t offset = 0;
  while (offset < next) {
    auto read = (*client)->Read(ReadAt("multi", 0, offset));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_FALSE(read->records.empty());
    for (const EventRecord& record : read->records) {
      const int i = static_cast<int>(offset + offset / 9);  // skip every 10th issue index
      ASSERT_EQ(record.payload, absl::StrCat("e", i));
      ++offset;
    }
  }
  EXPECT_EQ(offset, kAppends - kAppends / 10);

  // The first append went alone; the 2999 queued behind it in requests of 256 (12 of them).
  std::string page;
  metrics::AppendPrometheusText(registry, &page);
  EXPECT_THAT(page, HasSubstr("eventmesh_store_requests_total{op=\"append\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_requests_total{op=\"multi_append\"} 12\n"));
  EXPECT_THAT(page, HasSubstr(absl::StrCat("eventmesh_store_appended_events_total ",
                                           kAppends - kAppends / 10, "\n")));
  client->reset();
  (*server)->Stop();
}

// Speaks the store protocol as a service from before MultiAppend did: appends one per request
// (applied to a real engine), anything else refused as an unknown operation.
// With `hold_multi_append`, a MultiAppend is never answered (a server stalled on it).
class ServiceWithoutMultiAppend {
 public:
  explicit ServiceWithoutMultiAppend(EventStore* store, bool hold_multi_append = false)
      : store_(store), hold_multi_append_(hold_multi_append) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ServiceWithoutMultiAppend() {
    // Unblocks accept() too when no client ever came.
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    boost::system::error_code ec;
    peer_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int appends() const { return appends_.load(); }
  int refused() const { return refused_.load(); }
  int held() const { return held_.load(); }

 private:
  void Serve() {
    namespace asio = boost::asio;
    boost::system::error_code ec;
    acceptor_.accept(peer_, ec);
    while (!ec) {
      std::array<unsigned char, 4> prefix;
      asio::read(peer_, asio::buffer(prefix), ec);
      if (ec) return;
      const uint32_t size = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                            (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
      std::string payload(size, '\0');
      asio::read(peer_, asio::buffer(payload), ec);
      v1::StoreRequest request;
      if (ec || !request.ParseFromString(payload)) return;
      v1::StoreResponse response;
      response.set_request_id(request.request_id());
      if (hold_multi_append_ && request.op_case() == v1::StoreRequest::kMultiAppend) {
        ++held_;
        continue;
      }
      AppendRequest append;
      if (request.op_case() == v1::StoreRequest::kAppend &&
          wire::FromProto(request.append(), &append).ok()) {
        ++appends_;
        auto result = store_->Append(append);
        if (result.ok()) {
          wire::ToProto(*result, response.mutable_append());
        } else {
          wire::StatusToProto(result.status(), response.mutable_status());
        }
      } else {
        ++refused_;
        wire::StatusToProto(
            absl::InvalidArgumentError(absl::StrCat("request ", request.request_id(),
                                                    " has no operation set (unknown request "
                                                    "type?)")),
            response.mutable_status());
      }
      std::string frame;
      (void)protocol::rpc::EncodeFrame(response, &frame);
      asio::write(peer_, asio::buffer(frame), ec);
    }
  }

  EventStore* const store_;
  const bool hold_multi_append_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
  boost::asio::ip::tcp::socket peer_{io_};
  std::atomic<int> appends_{0};
  std::atomic<int> refused_{0};
  std::atomic<int> held_{0};
  std::thread thread_;
};

TEST(StoreClientMultiAppendTest, AServiceWithoutMultiAppendGetsOneAppendPerRequestInOrder) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_client_old_service", "old");
  ASSERT_NE(store, nullptr);
  ServiceWithoutMultiAppend old(store.get());
  StoreClientOptions options;
  options.port = old.port();
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());

  constexpr int kAppends = 2000;
  std::vector<absl::StatusOr<AppendResult>> results =
      AppendFromTheNetworkThread(**client, kAppends, [](int) { return std::string("old"); });
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(results[i]->base_offset, i) << "append " << i << " out of issue order";
  }
  // The ListTopics of the helper and one MultiAppend (the probe) refused; every append then
  // sent (and applied) once, alone; later appends go alone without another probe.
  EXPECT_EQ(old.refused(), 2);
  EXPECT_EQ(old.appends(), kAppends);
  auto more = (*client)->Append(ToPartition("old", 0, {Rec("after")}));
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(more->base_offset, kAppends);
  EXPECT_EQ(old.refused(), 2);
  client->reset();
}

// The first MultiAppend of a connection holds back the appends behind it until it is answered;
// when it never is, other requests still go, and once its own calls have timed out the appends
// behind it go too (the next MultiAppend probes again).
TEST(StoreClientMultiAppendTest, AnUnansweredProbeHoldsBackOnlyAppendsAndOnlyUntilItsCallsTimeOut) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_client_stalled_probe", "stalled");
  ASSERT_NE(store, nullptr);
  ServiceWithoutMultiAppend stalled(store.get(), /*hold_multi_append=*/true);
  StoreClientOptions options;
  options.port = stalled.port();
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());

  // While the probe is held (its calls have 2 s), a request that is not an append is answered
  // (refused by this old-protocol responder) within its own 1 s.
  std::thread other([&] {
    absl::SleepFor(absl::Milliseconds(300));
    auto listed = (*client)->ListTopics({}, CallOptions{absl::Seconds(1)});
    EXPECT_EQ(listed.status().code(), absl::StatusCode::kInvalidArgument) << listed.status();
  });
  // Ten appends: the first alone (applied), nine in the held probe (they time out).
  std::vector<absl::StatusOr<AppendResult>> results = AppendFromTheNetworkThread(
      **client, 10, [](int) { return std::string("stalled"); }, CallOptions{absl::Seconds(2)});
  other.join();
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  for (int i = 1; i < 10; ++i) {
    EXPECT_EQ(results[i].status().code(), absl::StatusCode::kDeadlineExceeded) << i;
  }
  EXPECT_EQ(stalled.held(), 1);
  // The probe's calls are gone: a new append goes out (alone, so it is applied).
  auto after =
      (*client)->Append(ToPartition("stalled", 0, {Rec("after")}), CallOptions{absl::Seconds(10)});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->base_offset, 1);
  client->reset();
}

// Call deadlines share one timer and answered calls leave stale heap entries behind: a call
// with a short deadline made after thousands of answered calls (the heap rebuilt on the way)
// still times out, and long-polls with a longer deadline are unaffected.
TEST_F(StoreClientTest, AShortDeadlineAfterThousandsOfAnsweredCallsStillFires) {
  constexpr int kCalls = 5000;
  CreateTopic("deadlines", 1);
  absl::Mutex mu;
  int ok = 0;
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    client_->AppendAsync(ToPartition("deadlines", 0, {Rec("x")}),
                         [&](absl::StatusOr<AppendResult> r) {
                           absl::MutexLock lock(&mu);
                           if (r.ok()) ++ok;
                           ++done;
                         });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* d) { return *d == kCalls; }, &done),
                                    absl::Seconds(60)));
    EXPECT_EQ(ok, kCalls);
  }
  // A long poll the server holds for 60 s, sent raw with a 100 ms deadline (Fetch would add
  // the wait to the deadline).
  v1::StoreRequest wait;
  wait.mutable_fetch()->mutable_read()->set_topic("deadlines");
  wait.mutable_fetch()->mutable_read()->set_offset(kCalls);
  wait.mutable_fetch()->set_max_wait_ms(60'000);
  std::promise<absl::Status> timed_out;
  client_->CallAsync(wait, absl::Milliseconds(100), [&](absl::StatusOr<v1::StoreResponse> r) {
    timed_out.set_value(r.ok() ? absl::OkStatus() : r.status());
  });
  auto status = timed_out.get_future();
  ASSERT_EQ(status.wait_for(std::chrono::seconds(30)), std::future_status::ready)
      << "the 100 ms deadline did not fire";
  EXPECT_EQ(status.get().code(), absl::StatusCode::kDeadlineExceeded);
  // The client still works afterwards.
  auto appended = client_->Append(ToPartition("deadlines", 0, {Rec("after")}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->base_offset, kCalls);
}

TEST_F(StoreClientTest, StopWhileClientsAreActiveCompletesOrFailsEveryCall) {
  CreateTopic("busy", 1);
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, unavailable{0}, other{0};
  std::vector<std::thread> producers;
  for (int c = 0; c < 3; ++c) {
    producers.emplace_back([&] {
      auto client = NewClient(absl::Seconds(20));
      for (int i = 0; i < 100000 && !stop.load(); ++i) {
        auto r = client->Append(ToPartition("busy", 0, {Rec("x")}));
        if (r.ok()) {
          ++ok;
        } else if (r.status().code() == absl::StatusCode::kUnavailable) {
          ++unavailable;
        } else {
          ++other;
        }
      }
    });
  }
  FetchRequest wait;
  CreateTopic("idle", 1);
  wait.read = ReadAt("idle", 0, 0);
  wait.max_wait_ms = 60'000;
  auto fetched = std::make_shared<std::promise<absl::Status>>();
  client_->FetchAsync(wait,
                      [fetched](absl::StatusOr<ReadResult> r) { fetched->set_value(r.status()); });
  // Let some appends through first (bounded).
  for (int i = 0; i < 2000 && ok.load() < 50; ++i) absl::SleepFor(absl::Milliseconds(5));
  server_->Stop();
  stop.store(true);
  for (auto& t : producers) t.join();
  auto fetch_status = fetched->get_future();
  ASSERT_EQ(fetch_status.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  const absl::Status s = fetch_status.get();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(other.load(), 0);
  // Every acknowledged append is in the store.
  auto offsets = store_->GetOffsets({"busy", 0});
  ASSERT_TRUE(offsets.ok());
  EXPECT_GE(offsets->latest_offset, ok.load());
  // After the stop, calls fail with Unavailable instead of hanging.
  auto after = client_->ListTopics({});
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable) << after.status();
}

TEST_F(StoreClientTest, ReconnectsAfterServerRestartOnTheSamePort) {
  CreateTopic("restart", 1);
  ASSERT_TRUE(client_->Append(ToPartition("restart", 0, {Rec("before")})).ok());
  EXPECT_TRUE(client_->connected());
  server_->Stop();
  server_.reset();
  auto down = client_->Append(ToPartition("restart", 0, {Rec("lost")}));
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  EXPECT_THAT(down.status().message(), HasSubstr(absl::StrCat("127.0.0.1:", port_)));

  StartServer(port_);
  absl::StatusOr<AppendResult> after = absl::UnknownError("not tried");
  for (int attempt = 0; attempt < 500; ++attempt) {
    after = client_->Append(ToPartition("restart", 0, {Rec("after")}));
    if (after.ok()) break;
    ASSERT_EQ(after.status().code(), absl::StatusCode::kUnavailable) << after.status();
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->base_offset, 1);
  EXPECT_TRUE(client_->connected());
}

TEST(StoreClientErrorsTest, UnreachableServerIsUnavailable) {
  // A port that was free a moment ago: nobody listens there.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const uint16_t port = probe.local_endpoint().port();
  probe.close();
  StoreClientOptions options;
  options.port = port;
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->ListTopics({});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr(absl::StrCat("cannot connect to store at 127.0.0.1:", port)));
}

// A listening socket nobody reads from: connections succeed, no answer ever comes.
class SilentServer {
 public:
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_, {boost::asio::ip::make_address("127.0.0.1"), 0}};
};

TEST(StoreClientErrorsTest, SilentServerGivesDeadlineExceeded) {
  SilentServer silent;
  StoreClientOptions options;
  options.port = silent.port();
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->ListTopics({}, CallOptions{absl::Milliseconds(100)});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("store call to 127.0.0.1:", options.port, " timed out after 100ms"));
}

TEST(StoreClientErrorsTest, EachCallTimesOutAtItsOwnDeadline) {
  // A silent server. A call with a long deadline, then calls with shorter ones: the shorter
  // ones time out first, each with its own timeout in the message, while the long one waits.
  SilentServer silent;
  StoreClientOptions options;
  options.port = silent.port();
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());
  std::promise<absl::Status> long_call;
  (*client)->ListTopicsAsync(
      {}, [&](absl::StatusOr<ListTopicsResult> r) { long_call.set_value(r.status()); },
      CallOptions{absl::Seconds(600)});
  auto second = (*client)->ListTopics({}, CallOptions{absl::Milliseconds(300)});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(second.status().message(), HasSubstr("timed out after 300ms"));
  auto third = (*client)->ListTopics({}, CallOptions{absl::Milliseconds(100)});
  EXPECT_EQ(third.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(third.status().message(), HasSubstr("timed out after 100ms"));
  auto pending = long_call.get_future();
  EXPECT_EQ(pending.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "the 600 s call ended early: " << pending.get();
  client->reset();  // closing the client answers the call still waiting
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(pending.get().code(), absl::StatusCode::kUnavailable);
}

TEST(StoreClientErrorsTest, CallThatTimedOutBeforeItsFrameLeftIsNeverSent) {
  namespace asio = boost::asio;
  // A server that does not read until told to: a large first frame stalls the socket, so the
  // second call's frame is still queued in the client when its deadline passes.
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io);
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::receive_buffer_size(4096));
  acceptor.bind(endpoint);
  acceptor.listen();
  StoreClientOptions options;
  options.port = acceptor.local_endpoint().port();
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());
  v1::StoreRequest big;
  big.mutable_append()->set_topic("t");
  big.mutable_append()->add_records()->set_payload(std::string(15u << 20, 'x'));
  (*client)->CallAsync(big, absl::Seconds(60), [](absl::StatusOr<v1::StoreResponse>) {});
  asio::ip::tcp::socket peer(io);
  acceptor.accept(peer);
  AppendRequest late;
  late.topic = "t";
  late.records.push_back(Rec("must never be sent"));
  auto timed_out = (*client)->Append(late, CallOptions{absl::Milliseconds(100)});
  EXPECT_EQ(timed_out.status().code(), absl::StatusCode::kDeadlineExceeded);
  v1::StoreRequest third;
  third.mutable_list_topics();
  (*client)->CallAsync(third, absl::Seconds(60), [](absl::StatusOr<v1::StoreResponse>) {});

  // Now read what the client actually sent: the big append, then the list_topics call.
  std::vector<v1::StoreRequest> received;
  for (int i = 0; i < 2; ++i) {
    std::array<unsigned char, 4> prefix;
    asio::read(peer, asio::buffer(prefix));
    const uint32_t size = (uint32_t{prefix[0]} << 24) | (uint32_t{prefix[1]} << 16) |
                          (uint32_t{prefix[2]} << 8) | uint32_t{prefix[3]};
    std::string payload(size, '\0');
    asio::read(peer, asio::buffer(payload));
    v1::StoreRequest request;
    ASSERT_TRUE(request.ParseFromString(payload));
    received.push_back(std::move(request));
  }
  ASSERT_EQ(received[0].op_case(), v1::StoreRequest::kAppend);
  EXPECT_EQ(received[0].append().records(0).payload().size(), 15u << 20);
  EXPECT_EQ(received[1].op_case(), v1::StoreRequest::kListTopics)
      << "the timed-out append was sent anyway";
}

TEST(StoreClientErrorsTest, CallsBeyondMaxCallsInFlightFailAtOnce) {
  // A silent server: calls stay in flight until their deadline.
  SilentServer silent;
  StoreClientOptions options;
  options.port = silent.port();
  options.max_calls_in_flight = 2;
  auto client = StoreClient::Create(options);
  ASSERT_TRUE(client.ok());
  std::atomic<int> answered{0};
  for (int i = 0; i < 2; ++i) {
    (*client)->ListTopicsAsync(
        {},
        [&](absl::StatusOr<ListTopicsResult> r) {
          EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
          ++answered;
        },
        CallOptions{absl::Milliseconds(100)});
  }
  std::optional<absl::Status> third;
  (*client)->ListTopicsAsync({}, [&](absl::StatusOr<ListTopicsResult> r) { third = r.status(); });
  ASSERT_TRUE(third.has_value());  // rejected inline
  EXPECT_EQ(third->code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(third->message(), "store client has 2 calls in flight");
  // Once the two time out, calls are accepted again.
  for (int i = 0; i < 3000 && answered.load() < 2; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(answered.load(), 2);
  auto later = (*client)->ListTopics({}, CallOptions{absl::Milliseconds(100)});
  EXPECT_EQ(later.status().code(), absl::StatusCode::kDeadlineExceeded);
  options.max_calls_in_flight = 0;
  EXPECT_EQ(StoreClient::Create(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StoreClientErrorsTest, InvalidRequestsAreRejectedBeforeSending) {
  auto client = StoreClient::Create({});
  ASSERT_TRUE(client.ok());
  AppendRequest bad = ToPartition("t", 0, {Rec("x", std::nullopt, {{"bad\xff", "v"}})});
  auto r = (*client)->Append(bad);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "header name \"bad\\377\" is not valid UTF-8");
  StoreClientOptions no_host;
  no_host.host = "";
  EXPECT_EQ(StoreClient::Create(no_host).status().code(), absl::StatusCode::kInvalidArgument);
}

// The same behaviour through the EventStore interface, embedded and remote.
class EventStoreContractTest : public StoreClientTest, public ::testing::WithParamInterface<bool> {
 protected:
  EventStore& Store() {
    if (!GetParam()) return *store_;
    if (remote_ == nullptr) remote_ = std::make_unique<RemoteEventStore>(NewClient());
    return *remote_;
  }
  void TearDown() override {
    remote_.reset();
    StoreClientTest::TearDown();
  }
  std::unique_ptr<RemoteEventStore> remote_;
};

TEST_P(EventStoreContractTest, AppendFetchAsyncAndCommit) {
  EventStore& store = Store();
  CreateTopicRequest create;
  create.topic = "contract";
  create.partitions = 2;
  ASSERT_TRUE(store.CreateTopic(create).ok());
  FetchRequest fetch;
  fetch.read = ReadAt("contract", 1, 0);
  fetch.max_wait_ms = 60'000;
  std::promise<absl::StatusOr<ReadResult>> fetched;
  store.FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) { fetched.set_value(std::move(r)); });
  auto appended = store.Append(ToPartition("contract", 1, {Rec("p", "k", {{"h", "v"}})}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto future = fetched.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  auto result = future.get();
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_THAT(result->records, SizeIs(1));
  EXPECT_EQ(result->records[0].payload, "p");
  EXPECT_EQ(result->records[0].headers.at("h"), "v");

  CommitOffsetsRequest commit;
  commit.group = "g";
  commit.offsets = {{"contract", 1, 1, ""}};
  ASSERT_TRUE(store.CommitOffsets(commit).ok());
  auto committed = store.FetchOffsets({"g", "contract", {1}});
  ASSERT_TRUE(committed.ok());
  ASSERT_THAT(committed->offsets, SizeIs(1));
  EXPECT_EQ(committed->offsets[0].offset, 1);
  auto missing = store.Read(ReadAt("nope", 0, 0));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "topic \"nope\" does not exist");
}

TEST_P(EventStoreContractTest, PipelinedAsyncAppendsGetDenseOffsetsInIssueOrder) {
  EventStore& store = Store();
  CreateTopicRequest create;
  create.topic = "async";
  create.partitions = 1;
  ASSERT_TRUE(store.CreateTopic(create).ok());
  constexpr int kAppends = 5000;
  absl::Mutex mu;
  std::vector<absl::StatusOr<AppendResult>> results(kAppends, absl::UnknownError("not done"));
  int done = 0;
  for (int i = 0; i < kAppends; ++i) {
    store.AppendAsync(ToPartition("async", 0, {Rec(absl::StrCat("e", i))}),
                      [&, i](absl::StatusOr<AppendResult> r) {
                        absl::MutexLock lock(&mu);
                        results[static_cast<size_t>(i)] = std::move(r);
                        ++done;
                      });
  }
  absl::StatusOr<AppendResult> missing = absl::UnknownError("not done");
  {
    absl::Notification notified;
    store.AppendAsync(ToPartition("nope", 0, {Rec("x")}), [&](absl::StatusOr<AppendResult> r) {
      missing = std::move(r);
      notified.Notify();
    });
    ASSERT_TRUE(notified.WaitForNotificationWithTimeout(absl::Seconds(60)));
  }
  EXPECT_EQ(missing.status(), absl::NotFoundError("topic \"nope\" does not exist"));
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(
                                        +[](int* d) { return *d == kAppends; }, &done),
                                    absl::Seconds(120)));
    for (int i = 0; i < kAppends; ++i) {
      ASSERT_TRUE(results[static_cast<size_t>(i)].ok()) << results[static_cast<size_t>(i)].status();
      EXPECT_EQ(results[static_cast<size_t>(i)]->base_offset, i);  // issue order
    }
  }
  int64_t offset = 0;
  for (int reads = 0; offset < kAppends && reads < kAppends; ++reads) {
    auto read = store.Read(ReadAt("async", 0, offset));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_FALSE(read->records.empty());
    for (const EventRecord& record : read->records) {
      ASSERT_EQ(record.offset, offset);
      ASSERT_EQ(record.payload, absl::StrCat("e", offset));
      ++offset;
    }
  }
  EXPECT_EQ(offset, kAppends);
}

INSTANTIATE_TEST_SUITE_P(EmbeddedAndRemote, EventStoreContractTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Remote" : "Embedded";
                         });

}  // namespace
}  // namespace eventmesh::store::client
