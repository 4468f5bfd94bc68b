#include "eventmesh/store/engine/rocksdb_event_store.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "eventmesh/store/engine/clock.h"
#include "eventmesh/store/engine/keys.h"
#include "eventmesh/store/testing/store_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/utilities/options_util.h"

namespace eventmesh::store {
namespace {

using ::eventmesh::store::test_util::MakeTempDir;
using ::eventmesh::store::test_util::Rec;
using ::eventmesh::store::test_util::ToPartition;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;

ReadRequest ReadAt(const std::string& topic, int32_t partition, int64_t offset,
                   int32_t max_events = 500) {
  ReadRequest req;
  req.topic = topic;
  req.partition = partition;
  req.offset = offset;
  req.max_events = max_events;
  return req;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = MakeTempDir("event_store");
    options_.clock = &clock_;
    options_.retention_interval_ms = 0;
    Reopen();
  }

  void Reopen() {
    store_.reset();
    auto store = RocksDbEventStore::Open(options_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  void CreateTopic(const std::string& name, int32_t partitions, RetentionPolicy retention = {}) {
    CreateTopicRequest req;
    req.topic = name;
    req.partitions = partitions;
    req.retention = retention;
    auto created = store_->CreateTopic(req);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  ManualClock clock_;
  StoreOptions options_;
  std::unique_ptr<RocksDbEventStore> store_;
};

TEST_F(StoreTest, AppendsGetDenseOffsetsAndReadBackInOrder) {
  CreateTopic("orders", 1);
  auto a = store_->Append(ToPartition(
      "orders", 0, {Rec("p0", "k0", {{"h", "v"}}), Rec("p1"), Rec(std::string("\0bin", 4))}));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->base_offset, 0);
  EXPECT_EQ(a->last_offset, 2);
  EXPECT_EQ(a->append_time_ms, clock_.NowMs());
  EXPECT_FALSE(a->duplicate);
  clock_.AdvanceMs(5);
  auto b = store_->Append(ToPartition("orders", 0, {Rec("p3")}));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->base_offset, 3);

  auto read = store_->Read(ReadAt("orders", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(4));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(read->records[i].offset, i);
  EXPECT_EQ(read->records[0].key, "k0");
  EXPECT_EQ(read->records[0].headers.at("h"), "v");
  EXPECT_EQ(read->records[0].payload, "p0");
  EXPECT_FALSE(read->records[1].key.has_value());
  EXPECT_EQ(read->records[2].payload, std::string("\0bin", 4));
  EXPECT_EQ(read->records[3].append_time_ms, b->append_time_ms);
  EXPECT_EQ(read->next_offset, 4);
  EXPECT_EQ(read->latest_offset, 4);
  EXPECT_EQ(read->earliest_offset, 0);

  // max_events and max_bytes bound a read; at least one event always comes back.
  auto two = store_->Read(ReadAt("orders", 0, 1, 2));
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(two->records, SizeIs(2));
  EXPECT_EQ(two->next_offset, 3);
  ReadRequest tiny = ReadAt("orders", 0, 0);
  tiny.max_bytes = 1;
  auto one = store_->Read(tiny);
  ASSERT_TRUE(one.ok());
  EXPECT_THAT(one->records, SizeIs(1));

  // At the end: empty; beyond: OutOfRange.
  auto end = store_->Read(ReadAt("orders", 0, 4));
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->records.empty());
  auto beyond = store_->Read(ReadAt("orders", 0, 9));
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(beyond.status().message(), "offset 9 of orders/0 is beyond the latest offset 4");
  EXPECT_EQ(LatestOffsetOf(beyond.status()), 4);
}

TEST_F(StoreTest, PartitionsAreIndependentAndChosenByKeyHashOrRoundRobin) {
  CreateTopic("multi", 4);
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i <= p; ++i) {
      auto r = store_->Append(ToPartition("multi", p, {Rec("x")}));
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->partition, p);
      EXPECT_EQ(r->base_offset, i);
    }
  }
  auto d = store_->DescribeTopic({"multi"});
  ASSERT_TRUE(d.ok());
  for (int p = 0; p < 4; ++p) EXPECT_EQ(d->partition_info[p].next_offset, p + 1);

  AppendRequest by_key;
  by_key.topic = "multi";
  by_key.strategy = PartitionStrategy::kKeyHash;
  by_key.records = {Rec("v", "customer-42")};
  auto k1 = store_->Append(by_key);
  auto k2 = store_->Append(by_key);
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_EQ(k1->partition, keys::PartitionForKey("customer-42", 4));
  EXPECT_EQ(k2->partition, k1->partition);
  EXPECT_EQ(k2->base_offset, k1->base_offset + 1);
  by_key.partition_key = "other";
  auto k3 = store_->Append(by_key);
  ASSERT_TRUE(k3.ok());
  EXPECT_EQ(k3->partition, keys::PartitionForKey("other", 4));
  by_key.partition_key.clear();
  by_key.records = {Rec("no key")};
  EXPECT_EQ(store_->Append(by_key).status(),
            absl::InvalidArgumentError(
                "key-hash partitioning needs a partition_key or a key on the first record"));

  AppendRequest rr;
  rr.topic = "multi";
  rr.strategy = PartitionStrategy::kRoundRobin;
  rr.records = {Rec("r")};
  std::vector<int32_t> chosen;
  for (int i = 0; i < 8; ++i) {
    auto r = store_->Append(rr);
    ASSERT_TRUE(r.ok());
    chosen.push_back(r->partition);
  }
  EXPECT_THAT(chosen, ElementsAre(0, 1, 2, 3, 0, 1, 2, 3));

  EXPECT_EQ(store_->Append(ToPartition("multi", 4, {Rec("x")})).status(),
            absl::InvalidArgumentError(
                "partition 4 is out of range: topic \"multi\" has 4 partition(s)"));
}

TEST_F(StoreTest, TopicAdministration) {
  CreateTopic("b-topic", 2, {1000, 5000});
  CreateTopic("a.topic_1", 1);
  CreateTopicRequest dup;
  dup.topic = "b-topic";
  EXPECT_EQ(store_->CreateTopic(dup).status(),
            absl::AlreadyExistsError("topic \"b-topic\" already exists"));
  CreateTopicRequest bad;
  bad.topic = "a b";
  EXPECT_EQ(store_->CreateTopic(bad).status(),
            absl::InvalidArgumentError("topic name \"a b\" has an invalid character at position "
                                       "1; allowed are [A-Za-z0-9._-] and '/' between levels"));
  bad.topic = "..";
  EXPECT_EQ(store_->CreateTopic(bad).status(),
            absl::InvalidArgumentError("topic name must not be \"..\""));
  bad.topic = std::string(250, 'a');
  EXPECT_EQ(store_->CreateTopic(bad).status(),
            absl::InvalidArgumentError("topic name is 250 characters long, the maximum is 249"));
  bad.topic = "";
  EXPECT_EQ(store_->CreateTopic(bad).status(),
            absl::InvalidArgumentError("topic name must not be empty"));
  bad.topic = "zero";
  bad.partitions = 0;
  EXPECT_EQ(store_->CreateTopic(bad).status(),
            absl::InvalidArgumentError("partitions must be between 1 and 4096, got 0"));

  auto list = store_->ListTopics({});
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(list->topics, ElementsAre("a.topic_1", "b-topic"));
  auto d = store_->DescribeTopic({"b-topic"});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->partitions, 2);
  EXPECT_EQ(d->retention.max_age_ms, 1000);
  EXPECT_EQ(d->retention.max_bytes, 5000);
  EXPECT_EQ(d->created_ms, clock_.NowMs());

  ASSERT_TRUE(store_->Append(ToPartition("b-topic", 1, {Rec("x")})).ok());
  ASSERT_TRUE(store_->DeleteTopic({"b-topic"}).ok());
  EXPECT_EQ(store_->DescribeTopic({"b-topic"}).status(),
            absl::NotFoundError("topic \"b-topic\" does not exist"));
  EXPECT_EQ(store_->Append(ToPartition("b-topic", 0, {Rec("x")})).status().code(),
            absl::StatusCode::kNotFound);
  // Re-created topics start empty; the deleted data does not come back, not even after reopen.
  CreateTopic("b-topic", 2);
  Reopen();
  auto offsets = store_->GetOffsets({"b-topic", 1});
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->latest_offset, 0);
  list = store_->ListTopics({});
  EXPECT_THAT(list->topics, ElementsAre("a.topic_1", "b-topic"));
}

TEST_F(StoreTest, SeekByTimestampFindsTheFirstEventAtOrAfterIt) {
  CreateTopic("t", 1);
  const int64_t t0 = clock_.NowMs();
  ASSERT_TRUE(store_->Append(ToPartition("t", 0, {Rec("a"), Rec("b")})).ok());  // 0,1 @ t0
  clock_.AdvanceMs(1000);
  ASSERT_TRUE(store_->Append(ToPartition("t", 0, {Rec("c")})).ok());  // 2 @ t0+1000
  clock_.AdvanceMs(1000);
  ASSERT_TRUE(store_->Append(ToPartition("t", 0, {Rec("d")})).ok());  // 3 @ t0+2000

  auto at = [&](int64_t ts) {
    auto r = store_->SeekTime({"t", 0, ts});
    EXPECT_TRUE(r.ok()) << r.status();
    return *r;
  };
  EXPECT_EQ(at(t0 - 5).offset, 0);
  EXPECT_EQ(at(t0).offset, 0);
  EXPECT_EQ(at(t0 + 1).offset, 2);
  EXPECT_EQ(at(t0 + 1000).offset, 2);
  EXPECT_EQ(at(t0 + 1000).timestamp_ms, t0 + 1000);
  EXPECT_EQ(at(t0 + 1500).offset, 3);
  SeekTimeResult none = at(t0 + 5000);
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.offset, 4);

  // Replay from a point in time.
  auto replay = store_->Read(ReadAt("t", 0, at(t0 + 500).offset));
  ASSERT_TRUE(replay.ok());
  ASSERT_THAT(replay->records, SizeIs(2));
  EXPECT_EQ(replay->records[0].payload, "c");

  // The clock going backwards never makes append times decrease.
  clock_.AdvanceMs(-10'000);
  auto late = store_->Append(ToPartition("t", 0, {Rec("e")}));
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->append_time_ms, t0 + 2000);
}

TEST_F(StoreTest, RetentionByAgeDeletesOldBatchesAndReadsBelowGetOutOfRange) {
  CreateTopic("aged", 1, {/*max_age_ms=*/10'000, /*max_bytes=*/-1});
  ASSERT_TRUE(store_->Append(ToPartition("aged", 0, {Rec("old0"), Rec("old1")})).ok());
  clock_.AdvanceMs(5'000);
  ASSERT_TRUE(store_->Append(ToPartition("aged", 0, {Rec("mid")})).ok());
  clock_.AdvanceMs(6'000);  // first batch is 11 s old, second 6 s
  ASSERT_TRUE(store_->Append(ToPartition("aged", 0, {Rec("new")})).ok());

  auto pass = store_->RunRetentionOnce();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->events_deleted, 2);
  EXPECT_EQ(pass->bytes_deleted, 8);
  EXPECT_EQ(pass->partitions_trimmed, 1);

  auto offsets = store_->GetOffsets({"aged", 0});
  ASSERT_TRUE(offsets.ok());
  EXPECT_EQ(offsets->earliest_offset, 2);
  EXPECT_EQ(offsets->latest_offset, 4);
  auto below = store_->Read(ReadAt("aged", 0, 0));
  EXPECT_EQ(below.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(below.status().message(), "offset 0 of aged/0 is below the earliest retained offset 2");
  EXPECT_EQ(EarliestOffsetOf(below.status()), 2);
  auto from = store_->Read(ReadAt("aged", 0, 2));
  ASSERT_TRUE(from.ok());
  ASSERT_THAT(from->records, SizeIs(2));
  EXPECT_EQ(from->records[0].payload, "mid");
  // A time seek before the retained range lands on the earliest retained event.
  auto seek = store_->SeekTime({"aged", 0, 0});
  ASSERT_TRUE(seek.ok());
  EXPECT_EQ(seek->offset, 2);

  // Everything expires; offsets continue after a reopen.
  clock_.AdvanceMs(60'000);
  ASSERT_TRUE(store_->RunRetentionOnce().ok());
  offsets = store_->GetOffsets({"aged", 0});
  EXPECT_EQ(offsets->earliest_offset, 4);
  EXPECT_EQ(offsets->latest_offset, 4);
  Reopen();
  offsets = store_->GetOffsets({"aged", 0});
  EXPECT_EQ(offsets->earliest_offset, 4);
  EXPECT_EQ(offsets->latest_offset, 4);
  auto next = store_->Append(ToPartition("aged", 0, {Rec("after")}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->base_offset, 4);
}

struct TestAttachment : RecordAttachment {
  explicit TestAttachment(int v, int64_t bytes = 1000) : value(v), memory_bytes(bytes) {}
  int64_t MemoryBytes() const override { return memory_bytes; }
  int value;
  int64_t memory_bytes;
};

// Plain records (no key, headers or attachment) are cached in one block per append that the
// append's last plain record owns. A bound that evicts part of an append leaves the rest
// readable, whatever the mix of plain and other records (run under ASan too: a block freed
// before the records pointing into it would be a use after free here).
TEST_F(StoreTest, TailCacheKeepsTheRestOfAnAppendWhoseFirstRecordsWereEvicted) {
  options_.tail_cache_bytes = 10 * 400;  // about ten 256-byte records
  Reopen();
  CreateTopic("mixed", 1);
  std::vector<ProducerRecord> sent;
  for (int batch = 0; batch < 12; ++batch) {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < 16; ++i) {
      std::string payload = absl::StrCat(std::string(250, static_cast<char>('a' + batch)), i);
      if (i == 5) {
        records.push_back(Rec(std::move(payload), absl::StrCat("key", batch)));
      } else if (i == 15 && batch % 2 == 0) {  // the last record is not always a plain one
        records.push_back(Rec(std::move(payload), std::nullopt, {{"h", absl::StrCat(batch)}}));
      } else if (i == 9 && batch % 3 == 0) {
        records.push_back(Rec(""));  // plain and empty
      } else {
        records.push_back(Rec(std::move(payload)));
      }
    }
    sent.insert(sent.end(), records.begin(), records.end());
    ASSERT_TRUE(store_->Append(ToPartition("mixed", 0, std::move(records))).ok());
    // Every offset the cache may still hold, one at a time and all together.
    const int64_t next = static_cast<int64_t>(sent.size());
    for (int64_t offset = std::max<int64_t>(0, next - 24); offset < next; ++offset) {
      auto read = store_->Read(ReadAt("mixed", 0, offset, 1));
      ASSERT_TRUE(read.ok()) << read.status();
      ASSERT_THAT(read->records, SizeIs(1));
      const ProducerRecord& want = sent[static_cast<size_t>(offset)];
      EXPECT_EQ(read->records[0].offset, offset);
      EXPECT_EQ(read->records[0].payload, want.payload) << offset;
      EXPECT_EQ(read->records[0].key, want.key) << offset;
      EXPECT_EQ(read->records[0].headers, want.headers) << offset;
    }
    auto tail = store_->Read(ReadAt("mixed", 0, std::max<int64_t>(0, next - 24)));
    ASSERT_TRUE(tail.ok()) << tail.status();
    EXPECT_EQ(tail->next_offset, next);
    EXPECT_LE(store_->GetStats().tail_cache_bytes, options_.tail_cache_bytes);
    EXPECT_GT(store_->GetStats().tail_cache_bytes, 0);
  }
  auto all = store_->Read(ReadAt("mixed", 0, 0, 1000));
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_THAT(all->records, SizeIs(sent.size()));
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(all->records[i].payload, sent[i].payload);
}

TEST_F(StoreTest, TailCacheServesRecentAttachmentsAndFallsBackToStoredRecords) {
  // Room for about 4 records (each charged its attachment's 1,000 bytes and the cache's entry):
  // older ones come from RocksDB.
  options_.tail_cache_bytes = 4 * 1200;
  Reopen();
  EXPECT_TRUE(store_->KeepsAttachments());
  CreateTopic("tail", 1);
  for (int i = 0; i < 12; ++i) {
    ProducerRecord record =
        Rec(absl::StrCat("payload-", i), absl::StrCat("k", i), {{"h", absl::StrCat(i)}});
    record.attachment = std::make_shared<TestAttachment>(i);
    auto appended = store_->Append(ToPartition("tail", 0, {record}));
    ASSERT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->base_offset, i);
  }
  const auto attached = [](int64_t offset, int32_t max_events = 500) {
    ReadRequest request = ReadAt("tail", 0, offset, max_events);
    request.attachment_suffices = true;
    return request;
  };
  // A reader that needs payloads gets every record from RocksDB, as stored.
  auto all = store_->Read(ReadAt("tail", 0, 0));
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_THAT(all->records, SizeIs(12));
  EXPECT_EQ(all->next_offset, 12);
  for (int i = 0; i < 12; ++i) {
    const EventRecord& record = all->records[static_cast<size_t>(i)];
    EXPECT_EQ(record.offset, i);
    EXPECT_EQ(record.payload, absl::StrCat("payload-", i));
    EXPECT_EQ(record.key, absl::StrCat("k", i));
    EXPECT_EQ(record.attachment, nullptr);
  }
  // A reader that uses attachments gets the newest records from memory: attachment, offset,
  // key and append time, no payload copied.
  auto recent = store_->Read(attached(10));
  ASSERT_TRUE(recent.ok()) << recent.status();
  ASSERT_THAT(recent->records, SizeIs(2));
  EXPECT_EQ(recent->next_offset, 12);
  EXPECT_EQ(recent->latest_offset, 12);
  for (int i = 0; i < 2; ++i) {
    const EventRecord& record = recent->records[static_cast<size_t>(i)];
    const EventRecord& stored = all->records[static_cast<size_t>(10 + i)];
    EXPECT_EQ(record.offset, stored.offset);
    EXPECT_EQ(record.append_time_ms, stored.append_time_ms);
    EXPECT_EQ(record.key, stored.key);
    EXPECT_TRUE(record.payload.empty());
    ASSERT_NE(record.attachment, nullptr);
    EXPECT_EQ(dynamic_cast<const TestAttachment&>(*record.attachment).value, 10 + i);
  }
  // The oldest were evicted from memory: stored records even for such a reader.
  auto oldest = store_->Read(attached(0));
  ASSERT_TRUE(oldest.ok());
  ASSERT_THAT(oldest->records, SizeIs(12));
  EXPECT_EQ(oldest->records[0].attachment, nullptr);
  EXPECT_EQ(oldest->records[0], all->records[0]);
  // max_events and max_bytes bound a read from memory like one from RocksDB.
  auto one = store_->Read(attached(9, /*max_events=*/1));
  ASSERT_TRUE(one.ok());
  ASSERT_THAT(one->records, SizeIs(1));
  EXPECT_EQ(one->next_offset, 10);
  ReadRequest small = attached(9);
  small.max_bytes = 1;
  auto soft = store_->Read(small);
  ASSERT_TRUE(soft.ok());
  EXPECT_THAT(soft->records, SizeIs(1));  // at least one event
  // After a reopen every record comes from RocksDB and is equal, without attachments.
  Reopen();
  auto reread = store_->Read(attached(0));
  ASSERT_TRUE(reread.ok());
  ASSERT_THAT(reread->records, SizeIs(12));
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(reread->records[i], all->records[i]);
    EXPECT_EQ(reread->records[i].attachment, nullptr);
  }
  // Appends after the reopen are cached again and continue the offsets.
  ProducerRecord next = Rec("after");
  next.attachment = std::make_shared<TestAttachment>(99);
  ASSERT_TRUE(store_->Append(ToPartition("tail", 0, {next})).ok());
  auto after = store_->Read(attached(12));
  ASSERT_TRUE(after.ok());
  ASSERT_THAT(after->records, SizeIs(1));
  EXPECT_EQ(after->records[0].offset, 12);
  ASSERT_NE(after->records[0].attachment, nullptr);
  auto after_stored = store_->Read(ReadAt("tail", 0, 12));
  ASSERT_TRUE(after_stored.ok());
  ASSERT_THAT(after_stored->records, SizeIs(1));
  EXPECT_EQ(after_stored->records[0].payload, "after");
}

// An attachment that holds its record's payload (RecordAttachment::Payload).
struct PayloadAttachment : RecordAttachment {
  explicit PayloadAttachment(std::string b) : bytes(std::move(b)) {}
  int64_t MemoryBytes() const override { return static_cast<int64_t>(bytes.capacity()) + 64; }
  const std::string* Payload() const override { return &bytes; }
  std::string bytes;
};

TEST_F(StoreTest, RecordsWhosePayloadIsInTheirAttachmentAreStoredWithIt) {
  CreateTopic("held", 1);
  // Alone (format 1) and in a batch (format 2), with and without key and headers; a payload
  // set beside such an attachment wins.
  std::vector<ProducerRecord> records;
  for (int i = 0; i < 4; ++i) {
    ProducerRecord record = i % 2 == 0 ? Rec("") : Rec("", absl::StrCat("k", i), {{"h", "v"}});
    record.attachment = std::make_shared<PayloadAttachment>(absl::StrCat("held-", i));
    records.push_back(std::move(record));
  }
  records[3].payload = "own";
  ASSERT_TRUE(store_->Append(ToPartition("held", 0, {records[0]})).ok());
  auto batch = store_->Append(ToPartition("held", 0, {records[1], records[2], records[3]}));
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->base_offset, 1);
  const std::vector<std::string> expected = {"held-0", "held-1", "held-2", "own"};
  const auto check = [&](const char* when) {
    auto read = store_->Read(ReadAt("held", 0, 0));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_THAT(read->records, SizeIs(4)) << when;
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(read->records[i].payload, expected[i]) << when << " " << i;
      EXPECT_EQ(read->records[i].key, records[i].key) << when << " " << i;
      EXPECT_EQ(read->records[i].headers, records[i].headers) << when << " " << i;
    }
    auto described = store_->DescribeTopic({"held"});
    ASSERT_TRUE(described.ok());
    // The retained bytes count the payloads the attachments held.
    int64_t bytes = 0;
    for (size_t i = 0; i < 4; ++i) bytes += keys::EventBytes(records[i]);
    EXPECT_EQ(described->partition_info[0].retained_bytes, bytes) << when;
  };
  check("written");
  Reopen();
  check("reopened");
}

TEST_F(StoreTest, RecordsWithBorrowedPayloadsAreCopiedBeforeTheAppendReturns) {
  CreateTopic("borrowed", 1);
  // Alone (format 1) and in a batch (format 2), plain and with key and headers; the caller's
  // buffer is overwritten as soon as each call returns, so anything kept by reference would
  // read the wrong bytes (from the tail cache, then from RocksDB after a reopen).
  std::string buffer;
  const std::vector<std::string> expected = {"borrowed-0", "borrowed-1", "borrowed-2",
                                             "borrowed-3"};
  const auto borrowing = [&](size_t first, size_t count) {
    buffer.clear();
    for (size_t i = first; i < first + count; ++i) buffer += expected[i];
    std::vector<ProducerRecord> records;
    size_t at = 0;
    for (size_t i = first; i < first + count; ++i) {
      ProducerRecord record = i % 2 == 0 ? Rec("") : Rec("", absl::StrCat("k", i), {{"h", "v"}});
      record.payload_view = absl::string_view(buffer).substr(at, expected[i].size());
      at += expected[i].size();
      records.push_back(std::move(record));
    }
    return records;
  };
  ASSERT_TRUE(store_->Append(ToPartition("borrowed", 0, borrowing(0, 1))).ok());
  std::fill(buffer.begin(), buffer.end(), '#');
  std::promise<absl::StatusOr<AppendResult>> appended;
  store_->AppendAsync(ToPartition("borrowed", 0, borrowing(1, 3)),
                      [&](absl::StatusOr<AppendResult> r) { appended.set_value(std::move(r)); });
  std::fill(buffer.begin(), buffer.end(), '#');
  absl::StatusOr<AppendResult> batch = appended.get_future().get();
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->base_offset, 1);
  const auto check = [&](const char* when) {
    auto read = store_->Read(ReadAt("borrowed", 0, 0));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_THAT(read->records, SizeIs(4)) << when;
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(read->records[i].payload, expected[i]) << when << " " << i;
      EXPECT_EQ(read->records[i].key.has_value(), i % 2 == 1) << when << " " << i;
    }
    auto described = store_->DescribeTopic({"borrowed"});
    ASSERT_TRUE(described.ok());
    // The retained bytes count the borrowed payloads as if they had been owned.
    int64_t bytes = 0;
    for (size_t i = 0; i < 4; ++i) {
      bytes += keys::EventBytes(i % 2 == 0 ? Rec(expected[i])
                                           : Rec(expected[i], absl::StrCat("k", i), {{"h", "v"}}));
    }
    EXPECT_EQ(described->partition_info[0].retained_bytes, bytes) << when;
  };
  check("written");
  Reopen();
  check("reopened");
}

TEST_F(StoreTest, TailCachesStayWithinTheStoreWideBudget) {
  // Each record's attachment says it holds 1,000 bytes; the cache charges that and its entry.
  const auto fill = [&](const std::string& topic, int32_t partition, int count) {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < count; ++i) {
      ProducerRecord record = Rec(std::string(100, 'x'));
      record.attachment = std::make_shared<TestAttachment>(i, 1000);
      records.push_back(std::move(record));
      if (records.size() == 50 || i + 1 == count) {
        ASSERT_TRUE(store_->Append(ToPartition(topic, partition, records)).ok());
        records.clear();
      }
    }
  };
  // How many of the partition's newest records are served from memory.
  const auto cached = [&](const std::string& topic, int32_t partition) -> int64_t {
    auto end = store_->Read(ReadAt(topic, partition, 0, 1));
    if (!end.ok()) return -1;
    int64_t count = 0;
    for (int64_t offset = end->latest_offset - 1; offset >= 0; --offset, ++count) {
      ReadRequest request = ReadAt(topic, partition, offset, 1);
      request.attachment_suffices = true;
      auto read = store_->Read(request);
      if (!read.ok() || read->records.empty() || read->records[0].attachment == nullptr) break;
    }
    return count;
  };

  // Within the budget a partition keeps up to tail_cache_bytes: all 600 records, charged by the
  // memory their attachments report.
  options_.tail_cache_bytes = 1 << 20;
  Reopen();
  CreateTopic("roomy", 1);
  fill("roomy", 0, 600);
  const int64_t roomy = store_->GetStats().tail_cache_bytes;
  EXPECT_GE(roomy, 600 * 1000);
  EXPECT_LE(roomy, options_.tail_cache_bytes);
  EXPECT_EQ(cached("roomy", 0), 600);
  ASSERT_TRUE(store_->DeleteTopic({"roomy"}).ok());
  EXPECT_EQ(store_->GetStats().tail_cache_bytes, 0);  // a deleted topic's cache goes at once

  // However many partitions fill their caches, all together stay within the budget: the
  // partitions appended to least recently give up their records.
  const int64_t budget = 250 << 10;
  options_.tail_cache_bytes = 100 << 10;  // about 87 records
  options_.tail_cache_total_bytes = budget;
  Reopen();
  CreateTopic("many", 20);
  for (int32_t partition = 0; partition < 20; ++partition) {
    fill("many", partition, 100);
    EXPECT_LE(store_->GetStats().tail_cache_bytes, budget) << partition;
  }
  EXPECT_GT(store_->GetStats().tail_cache_bytes, budget - 2000);
  const int64_t full = cached("many", 19);
  EXPECT_GT(full, 80);  // the newest partitions keep what their own bound allows
  EXPECT_LT(full, 100);
  EXPECT_EQ(cached("many", 18), full);
  EXPECT_EQ(cached("many", 0), 0);
  EXPECT_EQ(cached("many", 16), 0);

  // An append makes its partition the most recent: the least recent ones (17, then 18) pay.
  fill("many", 0, 50);
  EXPECT_LE(store_->GetStats().tail_cache_bytes, budget);
  EXPECT_EQ(cached("many", 0), 50);
  EXPECT_EQ(cached("many", 19), full);
  EXPECT_LT(cached("many", 17), full);
  // Records evicted from memory still come back complete from RocksDB.
  for (int32_t partition : {0, 17}) {
    auto stored = store_->Read(ReadAt("many", partition, 0, 1000));
    ASSERT_TRUE(stored.ok());
    EXPECT_THAT(stored->records, SizeIs(partition == 0 ? 150 : 100));
  }
  ASSERT_TRUE(store_->DeleteTopic({"many"}).ok());
  EXPECT_EQ(store_->GetStats().tail_cache_bytes, 0);
}

TEST_F(StoreTest, TailCacheBudgetHoldsWhileTopicsComeAndGoConcurrently) {
  // Appenders on topics of their own (created, filled, half of them deleted) and a reader at
  // their tails, all at once: the caches never hold more than the budget, a deleted topic's
  // partitions leave the eviction order (no dangling entry), and deleting everything frees all.
  const int64_t budget = 200 << 10;
  options_.tail_cache_bytes = 64 << 10;
  options_.tail_cache_total_bytes = budget;
  options_.sync_mode = SyncMode::kNone;
  Reopen();
  constexpr int kAppenders = 3;
  constexpr int kRounds = 8;
  std::atomic<int> appenders_done{0};
  std::atomic<int64_t> highest{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kAppenders; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        const std::string topic = absl::StrCat("churn-", t, "-", round);
        CreateTopicRequest create;
        create.topic = topic;
        create.partitions = 4;
        EXPECT_TRUE(store_->CreateTopic(create).ok()) << topic;
        for (int batch = 0; batch < 12; ++batch) {
          std::vector<ProducerRecord> records;
          for (int i = 0; i < 10; ++i) {
            ProducerRecord record = Rec(absl::StrCat("r", batch, "-", i));
            record.attachment = std::make_shared<TestAttachment>(i, 1000);
            records.push_back(std::move(record));
          }
          EXPECT_TRUE(store_->Append(ToPartition(topic, batch % 4, records)).ok()) << topic;
        }
        if (round % 2 == 1) {
          EXPECT_TRUE(store_->DeleteTopic({topic}).ok()) << topic;
        }
      }
      appenders_done.fetch_add(1);
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; appenders_done.load() < kAppenders && i < 200'000; ++i) {
      ReadRequest request =
          ReadAt(absl::StrCat("churn-", i % kAppenders, "-", i % kRounds), i % 4, 25, 10);
      request.attachment_suffices = true;
      auto read = store_->Read(request);  // NotFound / OutOfRange while topics come and go
      if (read.ok()) {
        for (const EventRecord& record : read->records) EXPECT_GE(record.offset, 25);
      }
      const int64_t now = store_->GetStats().tail_cache_bytes;
      int64_t seen = highest.load();
      while (now > seen && !highest.compare_exchange_weak(seen, now)) {
      }
    }
  });
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(highest.load(), budget);
  EXPECT_LE(store_->GetStats().tail_cache_bytes, budget);
  EXPECT_GT(store_->GetStats().tail_cache_bytes, 0);
  // The surviving topics still serve every record, from memory or from RocksDB.
  for (int t = 0; t < kAppenders; ++t) {
    for (int round = 0; round < kRounds; round += 2) {
      const std::string topic = absl::StrCat("churn-", t, "-", round);
      for (int32_t partition = 0; partition < 4; ++partition) {
        auto stored = store_->Read(ReadAt(topic, partition, 0, 1000));
        ASSERT_TRUE(stored.ok()) << topic;
        EXPECT_THAT(stored->records, SizeIs(30)) << topic;
      }
      ASSERT_TRUE(store_->DeleteTopic({topic}).ok());
    }
  }
  EXPECT_EQ(store_->GetStats().tail_cache_bytes, 0);
  // A topic created after all that caches again from scratch.
  CreateTopic("after", 1);
  ProducerRecord record = Rec("x");
  record.attachment = std::make_shared<TestAttachment>(1, 1000);
  ASSERT_TRUE(store_->Append(ToPartition("after", 0, {record})).ok());
  EXPECT_GT(store_->GetStats().tail_cache_bytes, 1000);
}

TEST_F(StoreTest, TailCacheIsOffWhenEitherBoundIsZero) {
  for (const auto& [per_partition, total] :
       {std::pair<int64_t, int64_t>{0, 1 << 20}, std::pair<int64_t, int64_t>{1 << 20, 0}}) {
    options_.tail_cache_bytes = per_partition;
    options_.tail_cache_total_bytes = total;
    Reopen();
    // Producers are told not to attach anything, and nothing is kept if they do.
    EXPECT_FALSE(store_->KeepsAttachments()) << per_partition << " " << total;
    const std::string topic = absl::StrCat("off-", per_partition);
    CreateTopic(topic, 1);
    ProducerRecord record = Rec("stored");
    record.attachment = std::make_shared<TestAttachment>(1);
    ASSERT_TRUE(store_->Append(ToPartition(topic, 0, {record})).ok());
    EXPECT_EQ(store_->GetStats().tail_cache_bytes, 0);
    ReadRequest request = ReadAt(topic, 0, 0, 1);
    request.attachment_suffices = true;
    auto read = store_->Read(request);
    ASSERT_TRUE(read.ok());
    ASSERT_THAT(read->records, SizeIs(1));
    EXPECT_EQ(read->records[0].attachment, nullptr);
    EXPECT_EQ(read->records[0].payload, "stored");
  }
}

TEST_F(StoreTest, RejectsNegativeTailCacheSizes) {
  StoreOptions options = options_;
  options.tail_cache_total_bytes = -1;
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("tail_cache_total_bytes"));
}

TEST_F(StoreTest, RejectsABlobCompressionThisRocksDbLacks) {
  StoreOptions options = options_;
  options.blob_compression = static_cast<rocksdb::CompressionType>(0x66);  // no such type
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(opened.status().message()), HasSubstr("blob_compression"));
}

TEST_F(StoreTest, TailCacheOffServesEverythingFromRocksDb) {
  options_.tail_cache_bytes = 0;
  Reopen();
  EXPECT_FALSE(store_->KeepsAttachments());
  CreateTopic("plain", 1);
  ProducerRecord record = Rec("x");
  record.attachment = std::make_shared<TestAttachment>(1);
  ASSERT_TRUE(store_->Append(ToPartition("plain", 0, {record})).ok());
  auto read = store_->Read(ReadAt("plain", 0, 0));
  ASSERT_TRUE(read.ok());
  ASSERT_THAT(read->records, SizeIs(1));
  EXPECT_EQ(read->records[0].payload, "x");
  EXPECT_EQ(read->records[0].attachment, nullptr);
}

TEST_F(StoreTest, TailCacheNeverServesRecordsTrimmedByRetention) {
  CreateTopic("trimmed", 1, {/*max_age_ms=*/10'000, /*max_bytes=*/-1});
  ASSERT_TRUE(store_->Append(ToPartition("trimmed", 0, {Rec("a"), Rec("b")})).ok());
  clock_.AdvanceMs(11'000);
  ASSERT_TRUE(store_->Append(ToPartition("trimmed", 0, {Rec("c")})).ok());
  ASSERT_TRUE(store_->RunRetentionOnce().ok());
  for (int64_t offset : {0, 1}) {
    auto below = store_->Read(ReadAt("trimmed", 0, offset));
    EXPECT_EQ(below.status().code(), absl::StatusCode::kOutOfRange);
    EXPECT_EQ(EarliestOffsetOf(below.status()), 2);
  }
  auto kept = store_->Read(ReadAt("trimmed", 0, 2));
  ASSERT_TRUE(kept.ok());
  ASSERT_THAT(kept->records, SizeIs(1));
  EXPECT_EQ(kept->records[0].payload, "c");
}

TEST_F(StoreTest, RetentionByBytesKeepsTheNewestBytes) {
  CreateTopic("sized", 2, {/*max_age_ms=*/0, /*max_bytes=*/1000});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(store_->Append(ToPartition("sized", 0, {Rec(std::string(300, 'a' + i))})).ok());
  }
  ASSERT_TRUE(store_->Append(ToPartition("sized", 1, {Rec(std::string(100, 'z'))})).ok());
  auto before = store_->DescribeTopic({"sized"});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->partition_info[0].retained_bytes, 3000);

  auto pass = store_->RunRetentionOnce();
  ASSERT_TRUE(pass.ok());
  EXPECT_EQ(pass->events_deleted, 7);
  EXPECT_EQ(pass->partitions_trimmed, 1);
  auto after = store_->DescribeTopic({"sized"});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->partition_info[0].earliest_offset, 7);
  EXPECT_EQ(after->partition_info[0].retained_bytes, 900);
  EXPECT_EQ(after->partition_info[1].earliest_offset, 0);
  auto read = store_->Read(ReadAt("sized", 0, 7));
  ASSERT_TRUE(read.ok());
  ASSERT_THAT(read->records, SizeIs(3));
  EXPECT_EQ(read->records[0].payload, std::string(300, 'h'));
  // The retained byte count survives a reopen.
  Reopen();
  after = store_->DescribeTopic({"sized"});
  EXPECT_EQ(after->partition_info[0].retained_bytes, 900);
  EXPECT_EQ(after->partition_info[0].earliest_offset, 7);
}

// Flushed records live in blob files (one file per flush); the compaction after a retention
// pass removes the files of the records it trimmed, moving the retained ones to a new file.
// The bytes of the store's blob files.
uintmax_t BlobFileBytes(const std::string& path) {
  uintmax_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() != ".blob") continue;
    std::error_code gone;  // a compaction may delete a file between the listing and this look
    const uintmax_t size = std::filesystem::file_size(entry.path(), gone);
    if (!gone) total += size;
  }
  return total;
}

// Payloads of 1,000 bytes that do not compress: blob files' sizes show the records they hold.
class IncompressiblePayloads {
 public:
  std::string Next() {
    std::string bytes(1000, '\0');
    for (char& c : bytes) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      c = static_cast<char>(state_);
    }
    return bytes;
  }

 private:
  uint64_t state_ = 88172645463325252ull;
};

TEST_F(StoreTest, RetentionRemovesTheBlobFilesOfTrimmedRecords) {
  const auto blob_bytes = [this] { return BlobFileBytes(options_.path); };
  IncompressiblePayloads generator;
  const auto payload = [&generator] { return generator.Next(); };
  CreateTopic("blobs", 1, {/*max_age_ms=*/0, /*max_bytes=*/100'000});
  std::vector<std::string> payloads;
  for (int batch = 0; batch < 64; ++batch) {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < 16; ++i) {
      payloads.push_back(payload());
      records.push_back(Rec(payloads.back()));
    }
    ASSERT_TRUE(store_->Append(ToPartition("blobs", 0, records)).ok());
  }
  Reopen();  // the log is replayed and flushed: the records are in a blob file now
  const uintmax_t before = blob_bytes();
  EXPECT_GT(before, 1000u * 1000);
  auto read = store_->Read(ReadAt("blobs", 0, 5, 1));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(1));
  EXPECT_EQ(read->records[0].payload, payloads[5]);

  auto pass = store_->RunRetentionOnce();
  ASSERT_TRUE(pass.ok()) << pass.status();
  // Stored batches go whole: the newest six (96 records, 96,000 bytes) stay.
  EXPECT_EQ(pass->events_deleted, 1024 - 96);
  const uintmax_t after = blob_bytes();
  EXPECT_LT(after, before / 4) << "blob bytes before " << before << ", after " << after;
  Reopen();
  read = store_->Read(ReadAt("blobs", 0, 928, 96));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(96));
  for (int i = 0; i < 96; ++i) EXPECT_EQ(read->records[i].payload, payloads[928 + i]);
}

// The compression each blob file in `path` records in its header (BlobLogHeader: magic, version,
// column family id, 4 bytes each, a flags byte, then the compression type's), by file name.
std::map<std::string, int> BlobFileCompressions(const std::string& path) {
  std::map<std::string, int> types;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() != ".blob") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    char header[14] = {};
    in.read(header, sizeof(header));
    types[entry.path().filename().string()] = in ? static_cast<unsigned char>(header[13]) : -1;
  }
  return types;
}

TEST_F(StoreTest, BlobFilesWrittenWithAnotherCompressionStayReadable) {
  const bool lz4 =
      absl::c_linear_search(rocksdb::GetSupportedCompressions(), rocksdb::kLZ4Compression);
  std::vector<std::string> payloads;
  const auto append = [&](int batches) {
    for (int batch = 0; batch < batches; ++batch) {
      std::vector<ProducerRecord> records;
      for (int i = 0; i < 16; ++i) {
        payloads.push_back(absl::StrCat("{\"n\":", payloads.size(), ",\"text\":\"",
                                        std::string(600, 'a' + payloads.size() % 26), "\"}"));
        records.push_back(Rec(payloads.back()));
      }
      ASSERT_TRUE(store_->Append(ToPartition("mixed", 0, records)).ok());
    }
  };
  const auto read_all = [&](const char* when) {
    auto read = store_->Read(ReadAt("mixed", 0, 0, static_cast<int32_t>(payloads.size())));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_EQ(read->records.size(), payloads.size()) << when;
    for (size_t i = 0; i < payloads.size(); ++i) {
      ASSERT_EQ(read->records[i].payload, payloads[i]) << when << " " << i;
    }
  };
  options_.blob_compression = rocksdb::kSnappyCompression;
  Reopen();
  CreateTopic("mixed", 1);
  append(8);
  Reopen();  // flushed into a Snappy blob file
  std::map<std::string, int> first = BlobFileCompressions(options_.path);
  ASSERT_THAT(first, SizeIs(1));
  EXPECT_EQ(first.begin()->second, rocksdb::kSnappyCompression);
  // The default from now on: the old file is read as it is, new ones are LZ4 where available.
  options_.blob_compression.reset();
  Reopen();
  read_all("snappy file, default store");
  append(8);
  Reopen();
  std::map<std::string, int> both = BlobFileCompressions(options_.path);
  ASSERT_THAT(both, SizeIs(2));
  EXPECT_EQ(both.begin()->second, rocksdb::kSnappyCompression);
  EXPECT_EQ(both.rbegin()->second,
            lz4 ? rocksdb::kLZ4Compression : rocksdb::ColumnFamilyOptions().compression);
  read_all("both files");
}

// Writes 1,024 records of 1,000 bytes to "gone" and 96 to "kept" in the same appends' commit
// groups, so one blob file holds both topics after the reopen's flush; returns "kept"'s payloads.
std::vector<std::string> FillTwoTopicsIntoOneBlobFile(EventStore* store) {
  IncompressiblePayloads generator;
  std::vector<std::string> kept;
  for (int batch = 0; batch < 64; ++batch) {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < 16; ++i) records.push_back(Rec(generator.Next()));
    EXPECT_TRUE(store->Append(ToPartition("gone", 0, records)).ok());
    if (batch % 8 == 0) {
      std::vector<ProducerRecord> small;
      for (int i = 0; i < 12; ++i) {
        kept.push_back(generator.Next());
        small.push_back(Rec(kept.back()));
      }
      EXPECT_TRUE(store->Append(ToPartition("kept", 0, small)).ok());
    }
  }
  return kept;
}

// A deleted topic's blob space comes back even when another topic's records share its files:
// the compaction of the deleted range moves the survivors out.
TEST_F(StoreTest, DeletingATopicRemovesItsBlobFilesAtTheNextRetentionPass) {
  CreateTopic("gone", 1);
  CreateTopic("kept", 1);
  const std::vector<std::string> kept = FillTwoTopicsIntoOneBlobFile(store_.get());
  Reopen();  // flushed: both topics' records in one blob file
  const uintmax_t before = BlobFileBytes(options_.path);
  EXPECT_GT(before, 1000u * 1000);

  ASSERT_TRUE(store_->DeleteTopic({"gone"}).ok());
  EXPECT_EQ(BlobFileBytes(options_.path), before);  // no maintenance thread: nothing yet
  ASSERT_TRUE(store_->RunRetentionOnce().ok());
  const uintmax_t after = BlobFileBytes(options_.path);
  EXPECT_LT(after, before / 4) << "blob bytes before " << before << ", after " << after;
  Reopen();
  auto read = store_->Read(ReadAt("kept", 0, 0, 1000));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(kept.size()));
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(read->records[i].payload, kept[i]);
}

TEST_F(StoreTest, DeletingATopicWakesTheMaintenanceThreadToRemoveItsBlobFiles) {
  options_.retention_interval_ms = 3'600'000;  // no retention pass during the test
  Reopen();
  CreateTopic("gone", 1);
  CreateTopic("kept", 1);
  const std::vector<std::string> kept = FillTwoTopicsIntoOneBlobFile(store_.get());
  Reopen();
  const uintmax_t before = BlobFileBytes(options_.path);
  EXPECT_GT(before, 1000u * 1000);

  ASSERT_TRUE(store_->DeleteTopic({"gone"}).ok());
  uintmax_t after = before;
  for (int i = 0; i < 600 && after >= before / 4; ++i) {  // at most 60 s
    absl::SleepFor(absl::Milliseconds(100));
    after = BlobFileBytes(options_.path);
  }
  EXPECT_LT(after, before / 4) << "blob bytes before " << before << ", after " << after;
  auto read = store_->Read(ReadAt("kept", 0, 0, 1000));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(kept.size()));
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(read->records[i].payload, kept[i]);
}

// Appends start their memtable insert at the partition's last insert position; the range
// deletions of retention and of a deleted topic land in the same memtable between them. Every
// read below comes from RocksDB (no tail cache).
TEST_F(StoreTest, AppendsRetentionAndTopicDeletionInterleaveInOneMemtable) {
  options_.tail_cache_bytes = 0;
  Reopen();
  for (int topic_round = 0; topic_round < 2; ++topic_round) {
    CreateTopic("hinted", 4, {/*max_age_ms=*/0, /*max_bytes=*/200});
    for (int round = 0; round < 30; ++round) {
      for (int32_t partition = 0; partition < 4; ++partition) {
        auto appended = store_->Append(ToPartition(
            "hinted", partition, {Rec(absl::StrCat(std::string(90, 'a' + partition), round))}));
        ASSERT_TRUE(appended.ok()) << appended.status();
        EXPECT_EQ(appended->base_offset, round);
      }
      if (round % 3 == 2) {
        ASSERT_TRUE(store_->RunRetentionOnce().ok());
      }
    }
    for (int32_t partition = 0; partition < 4; ++partition) {
      auto offsets = store_->GetOffsets({"hinted", partition});
      ASSERT_TRUE(offsets.ok());
      EXPECT_EQ(offsets->latest_offset, 30);
      EXPECT_GT(offsets->earliest_offset, 0);
      auto read = store_->Read(ReadAt("hinted", partition, offsets->earliest_offset));
      ASSERT_TRUE(read.ok()) << read.status();
      ASSERT_THAT(read->records, SizeIs(30 - offsets->earliest_offset));
      for (size_t i = 0; i < read->records.size(); ++i) {
        EXPECT_EQ(read->records[i].payload,
                  absl::StrCat(std::string(90, 'a' + partition), offsets->earliest_offset + i));
      }
    }
    ASSERT_TRUE(store_->DeleteTopic({"hinted"}).ok());
  }
}

TEST_F(StoreTest, BackgroundRetentionThreadTrims) {
  options_.retention_interval_ms = 10;
  Reopen();
  CreateTopic("bg", 1, {/*max_age_ms=*/1000, /*max_bytes=*/-1});
  ASSERT_TRUE(store_->Append(ToPartition("bg", 0, {Rec("x")})).ok());
  clock_.AdvanceMs(5000);
  ASSERT_TRUE(store_->Append(ToPartition("bg", 0, {Rec("y")})).ok());
  // Bounded wait for the background pass (up to 60 s); asserts on state, not on time.
  for (int i = 0; i < 6000 && store_->GetOffsets({"bg", 0})->earliest_offset == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(store_->GetOffsets({"bg", 0})->earliest_offset, 1);
}

TEST_F(StoreTest, ReopenContinuesOffsetsWithoutGaps) {
  CreateTopic("durable", 3);
  for (int p = 0; p < 3; ++p) {
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(store_->Append(ToPartition("durable", p, {Rec("a"), Rec("b")})).ok());
    }
  }
  Reopen();
  for (int p = 0; p < 3; ++p) {
    auto r = store_->Append(ToPartition("durable", p, {Rec("c")}));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->base_offset, 10);
    auto all = store_->Read(ReadAt("durable", p, 0));
    ASSERT_TRUE(all.ok());
    ASSERT_THAT(all->records, SizeIs(11));
    for (int i = 0; i < 11; ++i) EXPECT_EQ(all->records[i].offset, i);
  }
}

// Records of one append are stored together (keys.h: up to 64 records or 64 KiB per RocksDB
// entry); reads start and stop anywhere inside a batch, across batches of one (format 1) and
// several (format 2), before and after a reopen.
TEST_F(StoreTest, AppendsAreStoredAsRecordBatchesReadableFromAnyOffset) {
  options_.tail_cache_bytes = 0;  // every read from RocksDB
  Reopen();
  CreateTopic("batches", 1);
  // Appends of {records, payload bytes}: 150 records are stored as 64 + 64 + 22, three of
  // 40 KiB as 2 + 1 (a stored batch closes once it holds 64 KiB).
  const std::vector<std::pair<int, size_t>> appends = {{1, 10}, {3, 20},  {1, 5},       {5, 30},
                                                       {2, 7},  {150, 9}, {3, 40 << 10}};
  std::vector<ProducerRecord> all;
  for (const auto& [size, payload_bytes] : appends) {
    std::vector<ProducerRecord> records;
    for (int i = 0; i < size; ++i) {
      const int n = static_cast<int>(all.size());
      ProducerRecord record =
          Rec(absl::StrCat("event-", n, std::string(payload_bytes, '.')),
              n % 3 == 0 ? std::optional<std::string>(absl::StrCat("key-", n)) : std::nullopt,
              n % 2 == 0 ? std::map<std::string, std::string>{{"n", absl::StrCat(n)}}
                         : std::map<std::string, std::string>{});
      records.push_back(record);
      all.push_back(record);
    }
    auto appended = store_->Append(ToPartition("batches", 0, records));
    ASSERT_TRUE(appended.ok()) << appended.status();
    clock_.AdvanceMs(1);
  }
  const int64_t total = static_cast<int64_t>(all.size());

  auto check_reads = [&] {
    for (int64_t from = 0; from < total; ++from) {
      for (int32_t max_events : {1, 2, 3, 4, 7, 100}) {
        auto read = store_->Read(ReadAt("batches", 0, from, max_events));
        ASSERT_TRUE(read.ok()) << read.status();
        const int64_t expected = std::min<int64_t>(total - from, max_events);
        ASSERT_EQ(static_cast<int64_t>(read->records.size()), expected)
            << from << " " << max_events;
        EXPECT_EQ(read->next_offset, from + expected);
        for (int64_t i = 0; i < expected; ++i) {
          const EventRecord& got = read->records[static_cast<size_t>(i)];
          const ProducerRecord& want = all[static_cast<size_t>(from + i)];
          EXPECT_EQ(got.offset, from + i);
          EXPECT_EQ(got.payload, want.payload);
          EXPECT_EQ(got.key, want.key);
          EXPECT_EQ(got.headers, want.headers);
        }
      }
      // max_bytes stops inside a batch too, and always returns at least one record.
      ReadRequest small = ReadAt("batches", 0, from);
      small.max_bytes = 100;
      auto read = store_->Read(small);
      ASSERT_TRUE(read.ok()) << read.status();
      ASSERT_FALSE(read->records.empty());
      EXPECT_EQ(read->records[0].offset, from);
      EXPECT_EQ(read->next_offset, from + static_cast<int64_t>(read->records.size()));
      EXPECT_LT(read->records.size(), static_cast<size_t>(total - from) + 1);
    }
  };
  check_reads();
  // Append times: one per append.
  auto first = store_->Read(ReadAt("batches", 0, 0));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->records[1].append_time_ms, first->records[3].append_time_ms);
  EXPECT_LT(first->records[3].append_time_ms, first->records[4].append_time_ms);

  // One entry per append in the records column family.
  store_.reset();
  {
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, {}},
                                                        {keys::kRecordsCf, {}},
                                                        {keys::kTimeIndexCf, {}},
                                                        {keys::kMetaCf, {}},
                                                        {keys::kGroupsCf, {}}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(
        rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), options_.path, cfs, &handles, &raw)
            .ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[1]));
    std::vector<uint64_t> last_offsets;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      uint64_t offset = 0;
      ASSERT_TRUE(keys::DecodeRecordKeyOffset(absl::string_view(it->key().data(), it->key().size()),
                                              &offset));
      last_offsets.push_back(offset);
    }
    EXPECT_THAT(last_offsets, ElementsAre(0, 3, 4, 9, 11, 75, 139, 161, 163, 164));
    it.reset();
    for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  }
  Reopen();
  check_reads();
  auto next = store_->Append(ToPartition("batches", 0, {Rec("a"), Rec("b")}));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->base_offset, total);
}

// The small column families (topics, groups) are written rarely; their memtables must not keep
// every write-ahead log alive until they fill up (RocksDB's default limit would let the logs grow
// to 4 x all write buffers, gigabytes, and replay all of it at the next start).
TEST_F(StoreTest, WriteAheadLogsStayBoundedWhileOnlyRecordsAreWritten) {
  options_.write_buffer_bytes = 1 << 20;
  Reopen();
  CreateTopic("wal", 1);  // a metadata write that sits in the first log
  const std::string payload(1024, 'w');
  constexpr int kBatches = 120;
  constexpr int kPerBatch = 200;  // 24 MiB of records in all
  for (int b = 0; b < kBatches; ++b) {
    AppendRequest req = ToPartition("wal", 0, {});
    for (int i = 0; i < kPerBatch; ++i) req.records.push_back(Rec(payload));
    ASSERT_TRUE(store_->Append(req).ok());
  }
  uint64_t log_bytes = 0;
  int logs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options_.path)) {
    if (entry.path().extension() == ".log") {
      // A background flush may delete a log between the listing and this look.
      std::error_code gone;
      const uintmax_t size = std::filesystem::file_size(entry.path(), gone);
      if (gone) continue;
      log_bytes += size;
      ++logs;
    }
  }
  EXPECT_LT(log_bytes, 10u << 20) << logs << " write-ahead logs";
  Reopen();
  auto tail = store_->Read(ReadAt("wal", 0, kBatches * kPerBatch - 1));
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_THAT(tail->records, SizeIs(1));
  EXPECT_EQ(tail->records[0].offset, kBatches * kPerBatch - 1);
}

// Every column family may have two memtables waiting for their flush before RocksDB stops
// writes (max_write_buffer_number 3, not RocksDB's 2): past the log cap RocksDB can switch the
// records' memtable twice within a flush, and with 2 that stopped every write until the flush
// ended. Read back from the options file RocksDB wrote at open.
TEST_F(StoreTest, EveryColumnFamilyAllowsTwoMemtablesWaitingForAFlush) {
  CreateTopic("mem", 1);
  rocksdb::ConfigOptions config;
  config.ignore_unknown_options = true;
  config.ignore_unsupported_options = true;
  rocksdb::DBOptions db_options;
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  rocksdb::Status s = rocksdb::LoadLatestOptions(config, options_.path, &db_options, &families);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::set<std::string> names;
  for (const rocksdb::ColumnFamilyDescriptor& family : families) {
    names.insert(family.name);
    EXPECT_EQ(family.options.max_write_buffer_number, 3) << family.name;
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf(
                         {std::string(keys::kRecordsCf), std::string(keys::kTimeIndexCf)}));
}

// RocksDB starts the write-back of a growing log every MiB (wal_bytes_per_sync); the store's file
// system does that on its own thread (BackgroundRangeSyncFileSystem), and the log reads back.
TEST_F(StoreTest, LogWriteBackIsStartedOffTheAppendingThread) {
  CreateTopic("wb", 1);
  const std::string payload(1024, 'b');
  constexpr int kBatches = 32;
  constexpr int kPerBatch = 200;  // 6.4 MB of records, in one log (the memtable holds them all)
  for (int b = 0; b < kBatches; ++b) {
    AppendRequest req = ToPartition("wb", 0, {});
    for (int i = 0; i < kPerBatch; ++i) req.records.push_back(Rec(payload));
    ASSERT_TRUE(store_->Append(req).ok());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (store_->GetStats().wal_range_syncs == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GT(store_->GetStats().wal_range_syncs, 0);
  Reopen();  // replays the log
  auto tail = store_->Read(ReadAt("wb", 0, kBatches * kPerBatch - 1));
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_THAT(tail->records, SizeIs(1));
  EXPECT_EQ(tail->records[0].payload, payload);
}

TEST_F(StoreTest, ConcurrentProducersShareGroupCommitsAndStayDense) {
  options_.sync_mode = SyncMode::kBatch;
  Reopen();
  CreateTopic("hot", 2);
  constexpr int kThreads = 8, kAppends = 50;
  const int64_t writes_before = store_->GetStats().db_writes;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        auto r = store_->Append(
            ToPartition("hot", t % 2, {Rec(absl::StrCat(t, "-", i)), Rec("second")}));
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Appends queued while an fsync was running shared the next write.
  const StoreStats stats = store_->GetStats();
  EXPECT_LT(stats.db_writes - writes_before, kThreads * kAppends);
  EXPECT_EQ(stats.appends, kThreads * kAppends);
  for (int p = 0; p < 2; ++p) {
    std::set<std::string> seen;
    int64_t offset = 0;
    while (true) {
      auto r = store_->Read(ReadAt("hot", p, offset));
      ASSERT_TRUE(r.ok());
      if (r->records.empty()) break;
      for (const auto& rec : r->records) {
        EXPECT_EQ(rec.offset, offset++);
        if (rec.payload != "second") {
          EXPECT_TRUE(seen.insert(rec.payload).second);
        }
      }
    }
    EXPECT_EQ(offset, kThreads / 2 * kAppends * 2);
    EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads / 2 * kAppends));
  }
}

TEST_F(StoreTest, RetentionRunsConcurrentlyWithAppendsAndReads) {
  CreateTopic("churn", 2, {/*max_age_ms=*/0, /*max_bytes=*/20'000});
  constexpr int kAppenders = 4, kAppends = 100;
  std::atomic<int> appenders_left{kAppenders};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kAppenders; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        if (!store_->Append(ToPartition("churn", t % 2, {Rec(std::string(200, 'c'))})).ok()) {
          bad.fetch_add(1);
        }
      }
      appenders_left.fetch_sub(1);
    });
  }
  threads.emplace_back([&] {
    while (appenders_left.load() > 0) {
      if (!store_->RunRetentionOnce().ok()) bad.fetch_add(1);
    }
  });
  threads.emplace_back([&] {
    int64_t offset = 0;
    while (appenders_left.load() > 0) {
      auto r = store_->Read(ReadAt("churn", 0, offset, 50));
      if (r.ok()) {
        for (const auto& rec : r->records) {
          if (rec.offset != offset++) bad.fetch_add(1);
        }
      } else if (r.status().code() == absl::StatusCode::kOutOfRange &&
                 EarliestOffsetOf(r.status()).has_value()) {
        offset = *EarliestOffsetOf(r.status());  // trimmed under us: skip ahead, as a consumer
      } else {
        bad.fetch_add(1);
      }
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  ASSERT_TRUE(store_->RunRetentionOnce().ok());
  auto d = store_->DescribeTopic({"churn"});
  ASSERT_TRUE(d.ok());
  for (const PartitionInfo& info : d->partition_info) {
    EXPECT_EQ(info.next_offset, kAppenders / 2 * kAppends);
    EXPECT_GT(info.earliest_offset, 0);
    EXPECT_LE(info.retained_bytes, 20'000);
    EXPECT_EQ(info.retained_bytes, (info.next_offset - info.earliest_offset) * 200);
    auto r = store_->Read(ReadAt("churn", info.partition, info.earliest_offset));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->records.front().offset, info.earliest_offset);
  }
}

TEST_F(StoreTest, FetchWaitsAndIsWokenByAppend) {
  CreateTopic("poll", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("poll", 0, 0);
  fetch.max_wait_ms = 60'000;
  absl::StatusOr<ReadResult> got;
  std::thread consumer([&] { got = store_->Fetch(fetch); });
  // Append only once the fetch is parked, so the wake-up path is what completes it (bounded).
  for (int i = 0; i < 60'000 && store_->GetStats().waiting_fetches == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(store_->GetStats().waiting_fetches, 1);
  ASSERT_TRUE(store_->Append(ToPartition("poll", 0, {Rec("wake")})).ok());
  consumer.join();
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(got->records, SizeIs(1));
  EXPECT_EQ(got->records[0].payload, "wake");
}

TEST_F(StoreTest, FetchTimesOutWithAnEmptyResult) {
  CreateTopic("quiet", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("quiet", 0, 0);
  fetch.max_wait_ms = 30;
  auto got = store_->Fetch(fetch);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->records.empty());
  EXPECT_EQ(got->next_offset, 0);
}

TEST_F(StoreTest, FetchAsyncIsCompletedByAppend) {
  CreateTopic("async", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("async", 0, 0);
  fetch.max_wait_ms = 60'000;
  absl::Notification done;
  absl::StatusOr<ReadResult> got;
  std::thread::id served_on;
  store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) {
    got = std::move(r);
    served_on = std::this_thread::get_id();
    done.Notify();
  });
  EXPECT_FALSE(done.HasBeenNotified());  // no data yet: the waiter is parked
  EXPECT_EQ(store_->GetStats().parked_async_fetches, 1);
  EXPECT_EQ(store_->GetStats().fetch_deadlines, 1);
  ASSERT_TRUE(store_->Append(ToPartition("async", 0, {Rec("hello")})).ok());
  // The append that satisfied the waiter served it before returning, on its own thread (the
  // writer of an uncontended append leads its commit group): no hand-off to the fetch thread.
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(served_on, std::this_thread::get_id());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(got->records, SizeIs(1));
  EXPECT_EQ(got->records[0].payload, "hello");
  EXPECT_EQ(store_->GetStats().parked_async_fetches, 0);
  // The woken waiter's deadline entry is gone too (not kept until max_wait_ms).
  EXPECT_EQ(store_->GetStats().fetch_deadlines, 0);

  // Data already there: completes inline.
  bool inline_done = false;
  store_->FetchAsync(
      fetch, [&](absl::StatusOr<ReadResult> r) { inline_done = r.ok() && r->records.size() == 1; });
  EXPECT_TRUE(inline_done);
}

TEST_F(StoreTest, FetchAsyncTimesOutAndCompletesOnClose) {
  CreateTopic("async", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("async", 0, 0);
  fetch.max_wait_ms = 20;
  absl::Notification timed_out;
  absl::StatusOr<ReadResult> got;
  store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) {
    got = std::move(r);
    timed_out.Notify();
  });
  ASSERT_TRUE(timed_out.WaitForNotificationWithTimeout(absl::Seconds(60)));
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->records.empty());

  fetch.max_wait_ms = 3'600'000;
  absl::Status on_close;
  store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) { on_close = r.status(); });
  store_.reset();
  EXPECT_EQ(on_close, absl::UnavailableError("the event store is closing"));
}

TEST_F(StoreTest, AShortFetchDeadlineParkedAfterALongOneExpiresWhileTheLongOneWaits) {
  // The fetch thread sleeps until its earliest deadline; a later, earlier deadline wakes it.
  CreateTopic("async", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("async", 0, 0);
  fetch.max_wait_ms = 3'600'000;
  absl::Notification long_done;
  absl::StatusOr<ReadResult> long_got;
  store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) {
    long_got = std::move(r);
    long_done.Notify();
  });
  for (int i = 0; i < 3; ++i) {
    fetch.max_wait_ms = 10;
    absl::Notification short_done;
    absl::StatusOr<ReadResult> short_got;
    store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) {
      short_got = std::move(r);
      short_done.Notify();
    });
    ASSERT_TRUE(short_done.WaitForNotificationWithTimeout(absl::Seconds(60)));
    ASSERT_TRUE(short_got.ok()) << short_got.status();
    EXPECT_TRUE(short_got->records.empty());
    EXPECT_FALSE(long_done.HasBeenNotified());
  }
  EXPECT_EQ(store_->GetStats().fetch_deadlines, 1);
  ASSERT_TRUE(store_->Append(ToPartition("async", 0, {Rec("late")})).ok());
  ASSERT_TRUE(long_done.WaitForNotificationWithTimeout(absl::Seconds(60)));
  ASSERT_TRUE(long_got.ok()) << long_got.status();
  ASSERT_THAT(long_got->records, SizeIs(1));
  EXPECT_EQ(long_got->records[0].payload, "late");
  EXPECT_EQ(store_->GetStats().fetch_deadlines, 0);
}

TEST_F(StoreTest, FetchAsyncOnDeletedTopicCompletesWithNotFound) {
  CreateTopic("gone", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("gone", 0, 0);
  fetch.max_wait_ms = 3'600'000;
  absl::Notification done;
  absl::Status status;
  store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) {
    status = r.status();
    done.Notify();
  });
  ASSERT_TRUE(store_->DeleteTopic({"gone"}).ok());
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(60)));
  EXPECT_EQ(status, absl::NotFoundError("topic \"gone\" does not exist"));
}

TEST_F(StoreTest, LimitsAreEnforcedWithPreciseErrors) {
  options_.limits.max_event_bytes = 100;
  options_.limits.max_batch_bytes = 250;
  options_.limits.max_batch_events = 3;
  Reopen();
  CreateTopic("lim", 1);
  EXPECT_EQ(store_->Append(ToPartition("lim", 0, {})).status(),
            absl::InvalidArgumentError("append batch has no records"));
  // Exactly at the limit is fine: payload 95 + key 5 = 100 bytes.
  auto at_limit =
      store_->Append(ToPartition("lim", 0, {Rec("ok"), Rec(std::string(95, 'x'), "key12")}));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  // 101 bytes: payload 90 + key 5 + header 6.
  EXPECT_EQ(store_
                ->Append(ToPartition(
                    "lim", 0, {Rec("ok"), Rec(std::string(90, 'x'), "key12", {{"hdr", "val"}})}))
                .status(),
            absl::InvalidArgumentError(
                "event 1 of the batch is 101 bytes, more than max_event_bytes 100"));
  EXPECT_EQ(
      store_->Append(ToPartition("lim", 0, {Rec("a"), Rec("b"), Rec("c"), Rec("d")})).status(),
      absl::ResourceExhaustedError("append batch has 4 events, more than max_batch_events 3"));
  EXPECT_EQ(
      store_
          ->Append(ToPartition(
              "lim", 0,
              {Rec(std::string(100, 'a')), Rec(std::string(100, 'b')), Rec(std::string(51, 'c'))}))
          .status(),
      absl::ResourceExhaustedError("append batch is 251 bytes, more than max_batch_bytes 250"));
  // Rejected batches take no offsets.
  auto ok = store_->Append(ToPartition("lim", 0, {Rec("fits")}));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->base_offset, 2);
  ReadRequest bad = ReadAt("lim", 0, 0, 0);
  EXPECT_EQ(store_->Read(bad).status(),
            absl::InvalidArgumentError("max_events must be >= 1, got 0"));
}

TEST_F(StoreTest, IdempotentProducerRetriesReturnOriginalOffsetsAcrossReopen) {
  options_.producer_window = 2;
  Reopen();
  CreateTopic("idem", 2);
  AppendRequest req = ToPartition("idem", 1, {Rec("a"), Rec("b")});
  req.producer_id = 77;
  req.sequence = 10;  // a new producer may start anywhere
  auto first = store_->Append(req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->base_offset, 0);
  auto retry = store_->Append(req);
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 0);
  EXPECT_EQ(retry->last_offset, 1);
  EXPECT_EQ(retry->append_time_ms, first->append_time_ms);

  req.sequence = 12;
  EXPECT_EQ(store_->Append(req).status(),
            absl::FailedPreconditionError(
                "out-of-order sequence 12 for producer 77 on idem/1: expected 11"));

  Reopen();
  req.sequence = 10;
  retry = store_->Append(req);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate);
  EXPECT_EQ(retry->base_offset, 0);
  req.sequence = 11;
  auto second = store_->Append(req);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->duplicate);
  EXPECT_EQ(second->base_offset, 2);
  req.sequence = 12;
  ASSERT_TRUE(store_->Append(req).ok());
  // Window of 2: sequence 10 has been forgotten.
  req.sequence = 10;
  EXPECT_EQ(store_->Append(req).status(),
            absl::FailedPreconditionError(
                "sequence 10 of producer 77 on idem/1 is older than the deduplication window "
                "(oldest remembered sequence 11)"));
  req.sequence = 11;
  req.records.push_back(Rec("c"));
  EXPECT_EQ(store_->Append(req).status(),
            absl::FailedPreconditionError(
                "sequence 11 of producer 77 on idem/1 was a batch of 2 events, the retry has 3"));
  // Nothing was stored twice.
  auto all = store_->Read(ReadAt("idem", 1, 0));
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(all->records, SizeIs(6));

  req.strategy = PartitionStrategy::kRoundRobin;
  EXPECT_EQ(store_->Append(req).status(),
            absl::InvalidArgumentError("idempotent appends need a deterministic partition "
                                       "strategy (explicit or key hash), not round-robin"));
}

TEST_F(StoreTest, IdleProducerStateExpiresInTheRetentionPass) {
  options_.producer_expiry_ms = 24 * 3600 * 1000;
  Reopen();
  CreateTopic("prod", 1, {/*max_age_ms=*/0, /*max_bytes=*/-1});
  AppendRequest req = ToPartition("prod", 0, {Rec("a")});
  req.producer_id = 5;
  req.sequence = 0;
  ASSERT_TRUE(store_->Append(req).ok());
  req.producer_id = 6;
  ASSERT_TRUE(store_->Append(req).ok());
  clock_.AdvanceMs(23 * 3600 * 1000);
  req.sequence = 1;
  ASSERT_TRUE(store_->Append(req).ok());  // producer 6 stays active
  clock_.AdvanceMs(2 * 3600 * 1000);
  auto pass = store_->RunRetentionOnce();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->producers_expired, 1);
  Reopen();
  // Producer 5 was forgotten (also on disk): any sequence starts it afresh.
  req.producer_id = 5;
  req.sequence = 7;
  auto fresh = store_->Append(req);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE(fresh->duplicate);
  // Producer 6 is still remembered.
  req.producer_id = 6;
  req.sequence = 1;
  auto dup = store_->Append(req);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
}

TEST_F(StoreTest, FetchWaitIsCappedByOptions) {
  options_.max_fetch_wait_ms = 20;
  Reopen();
  CreateTopic("capped", 1);
  FetchRequest fetch;
  fetch.read = ReadAt("capped", 0, 0);
  fetch.max_wait_ms = 24LL * 3600 * 1000;
  auto got = store_->Fetch(fetch);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->records.empty());
  absl::Notification done;
  store_->FetchAsync(fetch, [&](absl::StatusOr<ReadResult> r) {
    EXPECT_TRUE(r.ok() && r->records.empty());
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(60)));
}

TEST_F(StoreTest, GroupsAssignEveryPartitionToExactlyOneLiveMember) {
  CreateTopic("g1", 4);
  CreateTopic("g2", 3);
  JoinGroupRequest join;
  join.group = "readers";
  join.topics = {"g1", "g2"};
  join.session_timeout_ms = 10'000;
  auto a = store_->JoinGroup(join);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->partitions, SizeIs(7));
  join.member_id = "member-b";
  auto b = store_->JoinGroup(join);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->generation, a->generation + 1);

  auto check_owners = [&](size_t members) {
    auto d = store_->DescribeGroup({"readers"});
    ASSERT_TRUE(d.ok());
    ASSERT_EQ(d->members.size(), members);
    std::map<TopicPartition, int> owners;
    for (const auto& m : d->members) {
      for (const auto& tp : m.partitions) owners[tp]++;
    }
    EXPECT_EQ(owners.size(), 7u);
    for (const auto& [tp, n] : owners) EXPECT_EQ(n, 1) << tp.topic << "/" << tp.partition;
  };
  check_owners(2);

  // A's old generation is now stale.
  CommitOffsetsRequest commit;
  commit.group = "readers";
  commit.member_id = a->member_id;
  commit.generation = a->generation;
  commit.offsets = {{"g1", 0, 5, "meta"}};
  EXPECT_EQ(
      store_->CommitOffsets(commit).status(),
      absl::FailedPreconditionError(absl::StrCat(
          "stale generation ", a->generation, " for group \"readers\": the current generation is ",
          b->generation, "; rejoin to get the new assignment")));
  auto hb = store_->Heartbeat({"readers", a->member_id});
  ASSERT_TRUE(hb.ok());
  EXPECT_EQ(hb->generation, b->generation);
  commit.generation = hb->generation;
  ASSERT_TRUE(store_->CommitOffsets(commit).ok());

  commit.member_id = "stranger";
  EXPECT_EQ(store_->CommitOffsets(commit).status(),
            absl::FailedPreconditionError("member \"stranger\" is not in group \"readers\" (never "
                                          "joined, left or expired); rejoin"));

  // B stops heartbeating and expires; A gets everything back.
  clock_.AdvanceMs(6'000);
  ASSERT_TRUE(store_->Heartbeat({"readers", a->member_id}).ok());
  clock_.AdvanceMs(6'000);
  hb = store_->Heartbeat({"readers", a->member_id});
  ASSERT_TRUE(hb.ok());
  EXPECT_THAT(hb->partitions, SizeIs(7));
  EXPECT_EQ(store_->Heartbeat({"readers", "member-b"}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  check_owners(1);

  // Leave: nobody is left; a stand-alone commit is then allowed.
  ASSERT_TRUE(store_->LeaveGroup({"readers", a->member_id}).ok());
  CommitOffsetsRequest standalone;
  standalone.group = "readers";
  standalone.offsets = {{"g2", 2, 9, ""}};
  ASSERT_TRUE(store_->CommitOffsets(standalone).ok());

  // Committed offsets persist across reopen; generations keep increasing.
  Reopen();
  auto fetched = store_->FetchOffsets({"readers", "g1", {}});
  ASSERT_TRUE(fetched.ok());
  ASSERT_THAT(fetched->offsets, SizeIs(4));
  EXPECT_EQ(fetched->offsets[0].offset, 5);
  EXPECT_EQ(fetched->offsets[0].metadata, "meta");
  EXPECT_EQ(fetched->offsets[1].offset, -1);
  auto g2 = store_->FetchOffsets({"readers", "g2", {2}});
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->offsets[0].offset, 9);
  join.member_id.clear();
  auto again = store_->JoinGroup(join);
  ASSERT_TRUE(again.ok());
  EXPECT_GT(again->generation, b->generation);

  // Deleting a topic drops the group's offsets for it.
  ASSERT_TRUE(store_->DeleteTopic({"g1"}).ok());
  CreateTopic("g1", 4);
  fetched = store_->FetchOffsets({"readers", "g1", {0}});
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->offsets[0].offset, -1);
}

// ----- AppendAsync
// --------------------------------------------------------------------------------

// Collects AppendAsync results by issue index; Wait() returns once `expected` callbacks ran.
class AsyncResults {
 public:
  explicit AsyncResults(int expected) : results_(static_cast<size_t>(expected)) {}

  EventStore::AppendCallback Slot(int index) {
    return [this, index](absl::StatusOr<AppendResult> result) {
      absl::MutexLock lock(&mu_);
      results_[static_cast<size_t>(index)] = std::move(result);
      ++completed_;
      ++calls_[index];
    };
  }
  bool Wait() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](AsyncResults* r) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                      return r->completed_ >= static_cast<int>(r->results_.size());
                                    },
                                    this),
                                absl::Seconds(120));
  }
  // Every slot's callback ran exactly once.
  bool EachOnce() {
    absl::MutexLock lock(&mu_);
    if (calls_.size() != results_.size()) return false;
    for (const auto& [index, n] : calls_) {
      if (n != 1) return false;
    }
    return true;
  }
  const absl::StatusOr<AppendResult>& at(int index) {
    absl::MutexLock lock(&mu_);
    return results_[static_cast<size_t>(index)];
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::StatusOr<AppendResult>> results_ ABSL_GUARDED_BY(mu_);
  std::map<int, int> calls_ ABSL_GUARDED_BY(mu_);
  int completed_ ABSL_GUARDED_BY(mu_) = 0;
};

// if_absent fixes a group's start once: it writes only partitions the group never committed,
// from anyone (no member or generation check, even while members are live), and never moves a
// position that exists.
TEST_F(StoreTest, IfAbsentCommitsWriteOnlyPositionsTheGroupNeverHad) {
  CreateTopic("starts", 3);
  JoinGroupRequest join;
  join.group = "fresh";
  join.topics = {"starts"};
  join.session_timeout_ms = 10'000;
  auto member = store_->JoinGroup(join);
  ASSERT_TRUE(member.ok()) << member.status();
  CommitOffsetsRequest commit;
  commit.group = "fresh";
  commit.member_id = member->member_id;
  commit.generation = member->generation;
  commit.offsets = {{"starts", 1, 7, "owner"}};
  ASSERT_TRUE(store_->CommitOffsets(commit).ok());

  CommitOffsetsRequest start;  // from no member, while one is live
  start.group = "fresh";
  start.if_absent = true;
  start.offsets = {{"starts", 0, 3, "first"}, {"starts", 1, 100, "late"}};
  ASSERT_TRUE(store_->CommitOffsets(start).ok());
  start.offsets = {{"starts", 0, 50, "second"}, {"starts", 2, 4, ""}};
  ASSERT_TRUE(store_->CommitOffsets(start).ok());
  // Without if_absent the same stand-alone commit is refused: the group has a live member.
  start.if_absent = false;
  EXPECT_EQ(store_->CommitOffsets(start).status().code(), absl::StatusCode::kFailedPrecondition);
  start.if_absent = true;
  start.offsets = {{"starts", 0, -1, ""}};
  EXPECT_EQ(store_->CommitOffsets(start).status().code(), absl::StatusCode::kInvalidArgument);
  start.offsets = {{"starts", 3, 0, ""}};
  EXPECT_FALSE(store_->CommitOffsets(start).ok());  // no partition 3

  auto fetched = store_->FetchOffsets({"fresh", "starts", {}});
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_THAT(fetched->offsets, SizeIs(3));
  EXPECT_EQ(fetched->offsets[0].offset, 3);  // the first start written stays
  EXPECT_EQ(fetched->offsets[0].metadata, "first");
  EXPECT_EQ(fetched->offsets[1].offset, 7);  // the member's position is not moved
  EXPECT_EQ(fetched->offsets[1].metadata, "owner");
  EXPECT_EQ(fetched->offsets[2].offset, 4);
  // The member's later commits move positions as before.
  commit.offsets = {{"starts", 0, 9, ""}};
  ASSERT_TRUE(store_->CommitOffsets(commit).ok());
  Reopen();
  fetched = store_->FetchOffsets({"fresh", "starts", {0, 2}});
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->offsets[0].offset, 9);
  EXPECT_EQ(fetched->offsets[1].offset, 4);
}

// Counts the live instances, to see when the store lets go of attachments.
struct CountedAttachment : RecordAttachment {
  explicit CountedAttachment(std::atomic<int>* live) : live_(live) { live_->fetch_add(1); }
  ~CountedAttachment() override { live_->fetch_sub(1); }
  int64_t MemoryBytes() const override { return 1000; }
  std::atomic<int>* live_;
};

TEST_F(StoreTest, AttachmentsEvictedByTheCommitThreadAreFreedByLaterAppendsAndAtClose) {
  // SyncMode::kBatch: AppendAsync's writes are led by the commit thread, which leaves what the
  // tail cache evicts to the next AppendAsync caller. Nothing piles up, nothing leaks.
  std::atomic<int> live{0};
  options_.sync_mode = SyncMode::kBatch;
  options_.tail_cache_bytes = 10 * 1200;  // about 10 records
  Reopen();
  CreateTopic("evict", 1);
  for (int i = 0; i < 300; ++i) {
    AsyncResults results(1);
    ProducerRecord record = Rec(absl::StrCat("e", i));
    record.attachment = std::make_shared<CountedAttachment>(&live);
    store_->AppendAsync(ToPartition("evict", 0, {record}), results.Slot(0));
    record.attachment.reset();
    ASSERT_TRUE(results.Wait());
    ASSERT_TRUE(results.at(0).ok()) << results.at(0).status();
  }
  // The cache's 10 or so, and at most one write's evictions waiting for the next append.
  EXPECT_LE(live.load(), 12);
  EXPECT_GE(live.load(), 5);
  auto tail = store_->Read(ReadAt("evict", 0, 299, 1));
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->records.at(0).payload, "e299");
  store_.reset();
  EXPECT_EQ(live.load(), 0);
}

TEST_F(StoreTest, TenThousandAsyncAppendsInFlightGetDenseOffsetsInIssueOrder) {
  CreateTopic("async", 2);
  constexpr int kAppends = 10'000;
  AsyncResults results(kAppends);
  for (int i = 0; i < kAppends; ++i) {
    store_->AppendAsync(ToPartition("async", 1, {Rec(absl::StrCat("e", i))}), results.Slot(i));
  }
  ASSERT_TRUE(results.Wait());
  EXPECT_TRUE(results.EachOnce());
  for (int i = 0; i < kAppends; ++i) {
    const absl::StatusOr<AppendResult>& r = results.at(i);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->topic, "async");
    EXPECT_EQ(r->partition, 1);
    EXPECT_EQ(r->base_offset, i);
    EXPECT_EQ(r->last_offset, i);
    EXPECT_FALSE(r->duplicate);
  }
  EXPECT_EQ(store_->GetOffsets({"async", 1})->latest_offset, kAppends);
  EXPECT_EQ(store_->GetOffsets({"async", 0})->latest_offset, 0);
  int64_t offset = 0;
  for (int reads = 0; offset < kAppends && reads < kAppends; ++reads) {
    auto read = store_->Read(ReadAt("async", 1, offset));
    ASSERT_TRUE(read.ok()) << read.status();
    ASSERT_FALSE(read->records.empty());
    for (const EventRecord& record : read->records) {
      ASSERT_EQ(record.offset, offset);
      ASSERT_EQ(record.payload, absl::StrCat("e", offset));
      ++offset;
    }
  }
  EXPECT_EQ(offset, kAppends);
  const StoreStats stats = store_->GetStats();
  EXPECT_EQ(stats.appends, kAppends);
  EXPECT_EQ(stats.events, kAppends);
  // Appends sharing a group and a millisecond share time-index entries; the index still covers
  // every event and byte.
  SeekTimeRequest seek;
  seek.topic = "async";
  seek.partition = 1;
  seek.timestamp_ms = clock_.NowMs();
  auto sought = store_->SeekTime(seek);
  ASSERT_TRUE(sought.ok()) << sought.status();
  EXPECT_TRUE(sought->found);
  EXPECT_EQ(sought->offset, 0);
  int64_t payload_bytes = 0;
  for (int i = 0; i < kAppends; ++i)
    payload_bytes += static_cast<int64_t>(absl::StrCat("e", i).size());
  auto described = store_->DescribeTopic({"async"});
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_EQ(described->partition_info[1].retained_bytes, payload_bytes);
  EXPECT_EQ(described->partition_info[1].next_offset, kAppends);

  // The data survives a restart and the next offset continues.
  Reopen();
  AsyncResults more(1);
  store_->AppendAsync(ToPartition("async", 1, {Rec("after")}), more.Slot(0));
  ASSERT_TRUE(more.Wait());
  ASSERT_TRUE(more.at(0).ok()) << more.at(0).status();
  EXPECT_EQ(more.at(0)->base_offset, kAppends);
}

TEST_F(StoreTest, AsyncAppendRejectionsCompleteInlineWithTheAppendErrors) {
  CreateTopic("t", 1);
  std::vector<absl::Status> statuses;
  auto record = [&statuses](absl::StatusOr<AppendResult> r) { statuses.push_back(r.status()); };
  store_->AppendAsync(ToPartition("t", 0, {}), record);
  store_->AppendAsync(ToPartition("missing", 0, {Rec("x")}), record);
  store_->AppendAsync(ToPartition("t", 3, {Rec("x")}), record);
  // All three ran inline, before AppendAsync returned.
  ASSERT_THAT(statuses, SizeIs(3));
  EXPECT_EQ(statuses[0], absl::InvalidArgumentError("append batch has no records"));
  EXPECT_EQ(statuses[1], absl::NotFoundError("topic \"missing\" does not exist"));
  EXPECT_EQ(statuses[2], absl::InvalidArgumentError(
                             "partition 3 is out of range: topic \"t\" has 1 partition(s)"));
}

TEST_F(StoreTest, AsyncIdempotentProducerSequencesAndRetries) {
  CreateTopic("idem", 1);
  constexpr int kAppends = 100;
  AsyncResults results(kAppends);
  for (int i = 0; i < kAppends; ++i) {
    AppendRequest request = ToPartition("idem", 0, {Rec(absl::StrCat("p", i))});
    request.producer_id = 7;
    request.sequence = i;
    store_->AppendAsync(request, results.Slot(i));
  }
  ASSERT_TRUE(results.Wait());
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(results.at(i).ok()) << results.at(i).status();
    EXPECT_EQ(results.at(i)->base_offset, i);
  }
  // A retry of the last sequence is a duplicate with the original offset; a gap is refused.
  AsyncResults retry(2);
  AppendRequest again = ToPartition("idem", 0, {Rec("p99")});
  again.producer_id = 7;
  again.sequence = kAppends - 1;
  store_->AppendAsync(again, retry.Slot(0));
  again.sequence = kAppends + 1;
  store_->AppendAsync(again, retry.Slot(1));
  ASSERT_TRUE(retry.Wait());
  ASSERT_TRUE(retry.at(0).ok()) << retry.at(0).status();
  EXPECT_TRUE(retry.at(0)->duplicate);
  EXPECT_EQ(retry.at(0)->base_offset, kAppends - 1);
  EXPECT_EQ(retry.at(1).status(),
            absl::FailedPreconditionError(
                "out-of-order sequence 101 for producer 7 on idem/0: expected 100"));
  EXPECT_EQ(store_->GetOffsets({"idem", 0})->latest_offset, kAppends);
}

TEST_F(StoreTest, AsyncAndBlockingAppendsInterleaveDenseAndInOrderPerCaller) {
  CreateTopic("mixed", 1);
  constexpr int kBlockingThreads = 2;
  constexpr int kBlockingAppends = 300;
  constexpr int kAsyncThreads = 2;
  constexpr int kAsyncAppends = 2000;
  std::vector<std::unique_ptr<AsyncResults>> async_results;
  for (int t = 0; t < kAsyncThreads; ++t) {
    async_results.push_back(std::make_unique<AsyncResults>(kAsyncAppends));
  }
  std::vector<std::vector<int64_t>> blocking_offsets(kBlockingThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kBlockingThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBlockingAppends; ++i) {
        auto r = store_->Append(ToPartition("mixed", 0, {Rec(absl::StrCat("b", t, "-", i))}));
        if (!r.ok()) return;
        blocking_offsets[static_cast<size_t>(t)].push_back(r->base_offset);
      }
    });
  }
  for (int t = 0; t < kAsyncThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAsyncAppends; ++i) {
        store_->AppendAsync(ToPartition("mixed", 0, {Rec(absl::StrCat("a", t, "-", i))}),
                            async_results[static_cast<size_t>(t)]->Slot(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int64_t> offsets;
  for (int t = 0; t < kBlockingThreads; ++t) {
    const auto& mine = blocking_offsets[static_cast<size_t>(t)];
    ASSERT_THAT(mine, SizeIs(kBlockingAppends));
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    offsets.insert(mine.begin(), mine.end());
  }
  for (int t = 0; t < kAsyncThreads; ++t) {
    AsyncResults& results = *async_results[static_cast<size_t>(t)];
    ASSERT_TRUE(results.Wait());
    int64_t previous = -1;
    for (int i = 0; i < kAsyncAppends; ++i) {
      ASSERT_TRUE(results.at(i).ok()) << results.at(i).status();
      EXPECT_GT(results.at(i)->base_offset, previous);  // issue order
      previous = results.at(i)->base_offset;
      offsets.insert(previous);
    }
  }
  constexpr int64_t kTotal = kBlockingThreads * kBlockingAppends + kAsyncThreads * kAsyncAppends;
  ASSERT_THAT(offsets, SizeIs(kTotal));
  EXPECT_EQ(*offsets.begin(), 0);
  EXPECT_EQ(*offsets.rbegin(), kTotal - 1);
  EXPECT_EQ(store_->GetOffsets({"mixed", 0})->latest_offset, kTotal);
  // Each stored payload is the one its appender got the offset for.
  auto read = store_->Read(ReadAt("mixed", 0, async_results[0]->at(0)->base_offset, 1));
  ASSERT_TRUE(read.ok());
  ASSERT_THAT(read->records, SizeIs(1));
  EXPECT_EQ(read->records[0].payload, "a0-0");
}

TEST_F(StoreTest, ClosingWithPendingAsyncAppendsCompletesEveryCallback) {
  CreateTopic("closing", 1);
  constexpr int kAppends = 2000;
  RocksDbEventStore* store = store_.get();
  absl::Mutex mu;
  int completed = 0, ok = 0, unavailable = 0, other = 0, issued = 0;
  std::set<int64_t> ok_offsets;
  std::function<void(int)> issue = [&](int generation) {
    {
      absl::MutexLock lock(&mu);
      ++issued;
    }
    store->AppendAsync(
        ToPartition("closing", 0, {Rec("c")}), [&, generation](absl::StatusOr<AppendResult> r) {
          {
            absl::MutexLock lock(&mu);
            ++completed;
            if (r.ok()) {
              ++ok;
              ok_offsets.insert(r->base_offset);
            } else if (r.status() == absl::UnavailableError("the event store is closing")) {
              ++unavailable;
            } else {
              ++other;
            }
          }
          // Callbacks keep appending while the store closes.
          if (generation == 0) issue(1);
        });
  };
  for (int i = 0; i < kAppends; ++i) issue(0);
  store_.reset();  // the destructor returns only after every callback ran
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(completed, issued);
    EXPECT_EQ(issued, 2 * kAppends);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(ok + unavailable, issued);
    EXPECT_GE(ok, kAppends);  // the first generation was queued before closing began
    ASSERT_THAT(ok_offsets, SizeIs(ok));
    EXPECT_EQ(*ok_offsets.rbegin(), ok - 1);
  }
  Reopen();
  EXPECT_EQ(store_->GetOffsets({"closing", 0})->latest_offset, ok);
}

// A file system whose writable files fail with NoSpace while `full` is set, and whose new table
// and blob files (a flush's output) wait for `tables_release` while `hold_tables` is set (the
// memtables pile up and RocksDB stops writes).
class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FullDiskFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target)
      : FileSystemWrapper(target) {}
  const char* Name() const override { return "FullDiskFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (full) return rocksdb::IOStatus::NoSpace("simulated full disk");
    if (hold_tables && (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".blob"))) {
      tables_release.WaitForNotificationWithTimeout(absl::Seconds(60));
    }
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, result, dbg);
    const bool wal = absl::EndsWith(name, ".log");
    if (s.ok()) *result = std::make_unique<File>(std::move(*result), this, wal);
    return s;
  }

  std::atomic<bool> full{false};
  std::atomic<bool> hold_tables{false};
  absl::Notification tables_release;
  std::atomic<int64_t> wal_syncs{0};  // Sync/Fsync calls on write-ahead-log files
  // When set, the next write-ahead-log append notifies `stall_entered` and waits for
  // `stall_release`.
  std::atomic<bool> stall{false};
  absl::Notification stall_entered;
  absl::Notification stall_release;

  void MaybeStall() {
    if (!stall.exchange(false)) return;
    stall_entered.Notify();
    stall_release.WaitForNotificationWithTimeout(absl::Seconds(60));
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> file, FullDiskFileSystem* fs, bool wal)
        : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), wal_(wal) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (wal_) fs_->MaybeStall();
      if (fs_->full) return rocksdb::IOStatus::NoSpace("simulated full disk");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info,
                             rocksdb::IODebugContext* dbg) override {
      if (wal_) fs_->MaybeStall();
      if (fs_->full) return rocksdb::IOStatus::NoSpace("simulated full disk");
      return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
      if (fs_->full) return rocksdb::IOStatus::NoSpace("simulated full disk");
      if (wal_) fs_->wal_syncs.fetch_add(1);
      return FSWritableFileOwnerWrapper::Sync(options, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                            rocksdb::IODebugContext* dbg) override {
      if (fs_->full) return rocksdb::IOStatus::NoSpace("simulated full disk");
      if (wal_) fs_->wal_syncs.fetch_add(1);
      return FSWritableFileOwnerWrapper::Fsync(options, dbg);
    }

   private:
    FullDiskFileSystem* fs_;
    const bool wal_;
  };
};

// GetWriteStallStats: while flushes cannot finish, RocksDB stops the writes (the appends wait,
// then complete once the flushes go through); the stop and the time the writes waited are
// counted.
TEST(StoreWriteStallTest, StopsWhileFlushesAreHeldAreCountedWithTheirTime) {
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  fs->hold_tables = true;
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  StoreOptions options;
  options.path = MakeTempDir("event_store");
  options.env = env.get();
  options.sync_mode = SyncMode::kNone;
  options.write_buffer_bytes = 256 << 10;
  options.retention_interval_ms = 0;
  options.min_free_disk_bytes = 0;
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksDbEventStore> store = std::move(*opened);
  ASSERT_TRUE(store->CreateTopic({"s", 1, {}}).ok());
  const WriteStallStats before = store->GetWriteStallStats();
  EXPECT_EQ(before.stops, 0);
  EXPECT_EQ(before.stalled_micros, 0);
  EXPECT_FALSE(before.writes_stopped);
  std::atomic<int> appended{0};
  std::atomic<int> failed{0};
  constexpr int kAppends = 64;  // 64 x 64 KiB: far more than three 256 KiB write buffers
  std::thread writer([&] {
    const std::string payload(1024, 's');
    for (int i = 0; i < kAppends; ++i) {
      AppendRequest request = ToPartition("s", 0, {});
      for (int e = 0; e < 64; ++e) request.records.push_back(Rec(payload));
      if (store->Append(request).ok()) {
        appended.fetch_add(1);
      } else {
        failed.fetch_add(1);
      }
    }
  });
  // RocksDB counts the stop as the memtables fill up, just before the writer starts waiting.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline && store->GetWriteStallStats().stops < 1) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_LT(appended.load(), kAppends) << "the writes never stopped";
  absl::SleepFor(absl::Milliseconds(200));  // waited for while stopped
  // Nothing can flush yet, so the writes are still stopped, and the gauge says so.
  EXPECT_TRUE(store->GetWriteStallStats().writes_stopped);
  fs->tables_release.Notify();
  writer.join();
  EXPECT_EQ(appended.load(), kAppends);
  EXPECT_EQ(failed.load(), 0);
  // The wait's time is added as it ends (reads are at most 100 ms apart from RocksDB's); once
  // the flushes have caught up the writes are no longer stopped.
  WriteStallStats after = store->GetWriteStallStats();
  while (absl::Now() < deadline && (after.stalled_micros < 100'000 || after.writes_stopped)) {
    absl::SleepFor(absl::Milliseconds(50));
    after = store->GetWriteStallStats();
  }
  EXPECT_GE(after.stops, 1);
  EXPECT_GE(after.stalled_micros, 100'000);
  EXPECT_FALSE(after.writes_stopped);
  EXPECT_EQ(after.slowdown_rate, 0);
}

// SIGKILL (crash_test) is survived by every mode; what makes batch/always durable against power
// loss is the WAL sync, so check it is actually requested.
TEST(StoreSyncModeTest, BatchAndAlwaysSyncTheWalNoneDoesNot) {
  for (SyncMode mode : {SyncMode::kNone, SyncMode::kBatch, SyncMode::kAlways}) {
    auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
    std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    StoreOptions options;
    options.path = MakeTempDir("event_store");
    options.env = env.get();
    options.retention_interval_ms = 0;
    options.sync_mode = mode;
    auto opened = RocksDbEventStore::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    std::unique_ptr<RocksDbEventStore> store = std::move(*opened);
    ASSERT_TRUE(store->CreateTopic({"s", 1, {}}).ok());
    const int64_t before = fs->wal_syncs.load();
    constexpr int kAppends = 5;
    for (int i = 0; i < kAppends; ++i) {
      ASSERT_TRUE(store->Append(ToPartition("s", 0, {Rec("x")})).ok());
    }
    const int64_t syncs = fs->wal_syncs.load() - before;
    if (mode == SyncMode::kNone) {
      EXPECT_EQ(syncs, 0);
    } else {
      // One append at a time: every append is its own write, each synced.
      EXPECT_GE(syncs, kAppends) << "mode " << static_cast<int>(mode);
    }
  }
}

// StoreOptions::sync_interval_us: appends that arrive while the next synced write is not yet
// due join its group and share its fsync; the first append after a quiet time is written at once.
TEST(StoreSyncModeTest, AppendsWithinTheSyncIntervalShareOneSyncedWrite) {
  StoreOptions options;
  options.path = MakeTempDir("event_store");
  options.retention_interval_ms = 0;
  options.sync_mode = SyncMode::kBatch;
  options.sync_interval_us = kMaxSyncIntervalUs;  // 1 s: all the appends below fall inside it
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksDbEventStore> store = std::move(*opened);
  ASSERT_TRUE(store->CreateTopic({"s", 1, {}}).ok());
  ASSERT_TRUE(store->Append(ToPartition("s", 0, {Rec("first")})).ok());
  const int64_t before = store->GetStats().db_writes;
  constexpr int kAppends = 20;
  AsyncResults results(kAppends);
  for (int i = 0; i < kAppends; ++i) {
    store->AppendAsync(ToPartition("s", 0, {Rec(absl::StrCat("e", i))}), results.Slot(i));
  }
  ASSERT_TRUE(results.Wait());
  for (int i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(results.at(i).ok()) << results.at(i).status();
    EXPECT_EQ(results.at(i)->base_offset, i + 1);
  }
  EXPECT_EQ(store->GetStats().db_writes - before, 1);

  options.sync_interval_us = -1;
  EXPECT_EQ(RocksDbEventStore::Open(options).status().message(),
            "StoreOptions.sync_interval_us must be in [0, 1000000], got -1");
}

TEST(StoreDiskFullTest, AppendGetsResourceExhaustedReadsKeepWorkingNoGapAfterwards) {
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  StoreOptions options;
  options.path = MakeTempDir("event_store");
  options.env = env.get();
  options.retention_interval_ms = 0;
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksDbEventStore> store = std::move(*opened);
  ASSERT_TRUE(store->CreateTopic({"full", 1, {}}).ok());
  ASSERT_TRUE(store->Append(ToPartition("full", 0, {Rec("before")})).ok());

  fs->full = true;
  auto failed = store->Append(ToPartition("full", 0, {Rec("lost")}));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(failed.status().message(),
            "append: disk full: IO error: No space left on device: simulated full disk");
  auto read = store->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(1));
  EXPECT_EQ(read->records[0].payload, "before");
  EXPECT_EQ(store->GetOffsets({"full", 0})->latest_offset, 1);

  fs->full = false;
  // RocksDB's own recovery is off, so nothing raced a resume while the disk was full: the first
  // append once space is back resumes the DB and is accepted.
  auto after = store->Append(ToPartition("full", 0, {Rec("after")}));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->base_offset, 1);  // the failed append left no gap
  store.reset();

  opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  read = (*opened)->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok());
  ASSERT_THAT(read->records, SizeIs(2));
  EXPECT_EQ(read->records[1].payload, "after");
}

TEST(StoreDiskFullTest, AppendsWhileTheDiskStaysFullDoNotPreventRecoveryInPlace) {
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  StoreOptions options;
  options.path = MakeTempDir("event_store");
  options.env = env.get();
  options.retention_interval_ms = 0;
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksDbEventStore> store = std::move(*opened);
  ASSERT_TRUE(store->CreateTopic({"full", 1, {}}).ok());
  ASSERT_TRUE(store->Append(ToPartition("full", 0, {Rec("before")})).ok());

  fs->full = true;
  for (int i = 0; i < 5; ++i) {  // each retry after the first goes through the resume path
    auto failed = store->Append(ToPartition("full", 0, {Rec("lost")}));
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(failed.status().message(),
              "append: disk full: IO error: No space left on device: simulated full disk");
  }
  EXPECT_EQ(store->GetOffsets({"full", 0})->latest_offset, 1);
  fs->full = false;
  // The first append once space is back is accepted (no retry needed), without a gap.
  auto after = store->Append(ToPartition("full", 0, {Rec("after")}));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->base_offset, 1);
  auto more = store->Append(ToPartition("full", 0, {Rec("more")}));
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(more->base_offset, 2);
  auto read = store->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(3));
  EXPECT_EQ(read->records[1].payload, "after");
}

// Opens a store on a FullDiskFileSystem with topic "full" (1 partition, `retention`).
std::unique_ptr<RocksDbEventStore> OpenOnFullDisk(rocksdb::Env* env, const std::string& path,
                                                  RetentionPolicy retention = {}) {
  StoreOptions options;
  options.path = path;
  options.env = env;
  options.retention_interval_ms = 0;
  auto opened = RocksDbEventStore::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  if (!opened.ok()) return nullptr;
  EXPECT_TRUE((*opened)->CreateTopic({"full", 1, retention}).ok());
  return std::move(*opened);
}

TEST(StoreDiskFullTest, FailedDeleteTopicKeepsTheTopic) {
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  const std::string path = MakeTempDir("event_store");
  std::unique_ptr<RocksDbEventStore> store = OpenOnFullDisk(env.get(), path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Append(ToPartition("full", 0, {Rec("kept")})).ok());
  fs->full = true;
  auto deleted = store->DeleteTopic({"full"});
  EXPECT_EQ(deleted.status().code(), absl::StatusCode::kResourceExhausted);
  // Still there in memory, as it is on disk.
  EXPECT_TRUE(store->DescribeTopic({"full"}).ok());
  EXPECT_THAT(store->ListTopics({})->topics, ElementsAre("full"));
  auto read = store->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(1));
  fs->full = false;
  auto appended = store->Append(ToPartition("full", 0, {Rec("more")}));
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->base_offset, 1);
  ASSERT_TRUE(store->DeleteTopic({"full"}).ok());
  EXPECT_EQ(store->DescribeTopic({"full"}).status().code(), absl::StatusCode::kNotFound);
}

TEST(StoreDiskFullTest, FailedRetentionDeleteKeepsRecordsReadableAndIsRetried) {
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  const std::string path = MakeTempDir("event_store");
  std::unique_ptr<RocksDbEventStore> store =
      OpenOnFullDisk(env.get(), path, {/*max_age_ms=*/-1, /*max_bytes=*/1});
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store->Append(ToPartition("full", 0, {Rec(absl::StrCat("r", i))})).ok());
  }
  fs->full = true;
  auto pass = store->RunRetentionOnce();
  EXPECT_EQ(pass.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store->GetOffsets({"full", 0})->earliest_offset, 0);
  auto read = store->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(3));
  EXPECT_EQ(read->records[0].payload, "r0");
  fs->full = false;
  pass = store->RunRetentionOnce();
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->partitions_trimmed, 1);
  EXPECT_GE(pass->events_deleted, 1);
  EXPECT_EQ(store->GetOffsets({"full", 0})->earliest_offset, pass->events_deleted);
}

TEST(StoreDiskFullTest, AsyncAppendsFailWithResourceExhaustedAndLeaveNoGap) {
  auto fs = std::make_shared<FullDiskFileSystem>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  StoreOptions options;
  options.path = MakeTempDir("event_store");
  options.env = env.get();
  options.retention_interval_ms = 0;
  auto opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksDbEventStore> store = std::move(*opened);
  ASSERT_TRUE(store->CreateTopic({"full", 1, {}}).ok());
  ASSERT_TRUE(store->Append(ToPartition("full", 0, {Rec("before")})).ok());

  // The first failing write is held in the WAL append while the other appends queue behind it,
  // so one write fails and everything queued behind it fails with it. (Further writes while
  // the disk stays full would go through DB::Resume, which RocksDB 7.8 may not recover from.)
  fs->full = true;
  fs->stall = true;
  constexpr int kAppends = 200;
  AsyncResults results(kAppends);
  store->AppendAsync(ToPartition("full", 0, {Rec("lost")}), results.Slot(0));
  ASSERT_TRUE(fs->stall_entered.WaitForNotificationWithTimeout(absl::Seconds(60)));
  for (int i = 1; i < kAppends; ++i) {
    store->AppendAsync(ToPartition("full", 0, {Rec("lost")}), results.Slot(i));
  }
  fs->stall_release.Notify();
  ASSERT_TRUE(results.Wait());
  EXPECT_TRUE(results.EachOnce());
  for (int i = 0; i < kAppends; ++i) {
    const absl::Status status = results.at(i).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    EXPECT_TRUE(absl::StrContains(status.message(), "simulated full disk")) << status;
  }
  // The first write failed with the disk error itself.
  EXPECT_EQ(results.at(0).status().message(),
            "append: disk full: IO error: No space left on device: simulated full disk");
  EXPECT_EQ(results.at(kAppends - 1).status().message(),
            "an earlier write failed: append: disk full: IO error: No space left on device: "
            "simulated full disk");
  EXPECT_EQ(store->GetStats().failed_writes, 1);
  EXPECT_EQ(store->GetOffsets({"full", 0})->latest_offset, 1);
  auto read = store->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_THAT(read->records, SizeIs(1));

  // Space is back. (Recovery in place goes through DB::Resume, covered by the blocking test
  // above; here the reopened store must continue without a gap.)
  fs->full = false;
  store.reset();
  opened = RocksDbEventStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status();
  store = std::move(*opened);
  AsyncResults after(1);
  store->AppendAsync(ToPartition("full", 0, {Rec("after")}), after.Slot(0));
  ASSERT_TRUE(after.Wait());
  ASSERT_TRUE(after.at(0).ok()) << after.at(0).status();
  EXPECT_EQ(after.at(0)->base_offset, 1);  // the failed appends left no gap
  read = store->Read(ReadAt("full", 0, 0));
  ASSERT_TRUE(read.ok());
  ASSERT_THAT(read->records, SizeIs(2));
  EXPECT_EQ(read->records[0].payload, "before");
  EXPECT_EQ(read->records[1].payload, "after");
}

TEST(StoreOpenTest, RejectsBadOptions) {
  StoreOptions options;
  EXPECT_EQ(RocksDbEventStore::Open(options).status(),
            absl::InvalidArgumentError("StoreOptions.path is empty"));
  options.path = MakeTempDir("event_store");
  options.producer_window = 0;
  EXPECT_EQ(RocksDbEventStore::Open(options).status(),
            absl::InvalidArgumentError("StoreOptions.producer_window must be >= 1, got 0"));
}

}  // namespace
}  // namespace eventmesh::store
