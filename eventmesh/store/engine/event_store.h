#ifndef EVENTMESH_STORE_ENGINE_EVENT_STORE_H_
#define EVENTMESH_STORE_ENGINE_EVENT_STORE_H_

// The event-store engine interface: topics split into partitions, each partition an append-only
// log with dense offsets starting at 0, plus consumer groups (membership, partition assignment
// and committed offsets) and idempotent producers.
//
// Every operation takes one plain request struct and returns absl::StatusOr<response struct>, so
// each maps 1:1 onto a request/response RPC of the store service. FetchAsync is the callback
// form of the long-poll Fetch for servers that must not block a thread per waiting consumer.
//
// Error conventions (all operations):
//   InvalidArgument     malformed request (bad topic name, partition out of range, oversize event,
//                       empty batch, ...). The message names the offending field and its limit.
//   NotFound            unknown topic.            AlreadyExists  topic exists already.
//   OutOfRange          read offset outside the retained range; the status carries the earliest
//                       (and latest) valid offsets structurally, see EarliestOffsetOf().
//   ResourceExhausted   batch over the configured limits, or the disk is full / the write failed;
//                       reads keep working.
//   FailedPrecondition  stale group generation, member not in the group, out-of-order producer
//                       sequence.
//   Unavailable         the store is closing.
// No operation aborts the process on I/O errors.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::store {

// ----- Limits and settings ----------------------------------------------------------------------

// When Append returns OK, what has happened to the batch.
enum class SyncMode {
  // Written to the write-ahead log without fsync. Survives a process crash (SIGKILL): the data
  // is in the OS page cache. A power loss or kernel crash may lose the last acknowledged
  // appends. Concurrent appends are still coalesced into one RocksDB write.
  kNone,
  // Group commit (default): concurrent appends are coalesced into ONE RocksDB write followed by
  // ONE fsync of the write-ahead log; each append returns after the fsync covering it. Survives
  // process crash and power loss. Many producers share one fsync.
  kBatch,
  // Every append gets its own RocksDB write and its own fsync, strictly one after the other.
  // Same guarantee as kBatch, no sharing: throughput is bounded by fsync latency.
  kAlways,
};

// "none" | "batch" | "always" (case-sensitive). InvalidArgument otherwise.
absl::StatusOr<SyncMode> ParseSyncMode(absl::string_view text);
absl::string_view SyncModeName(SyncMode mode);

// Size limits enforced on Append. Sizes of an event = payload + key + sum of header keys/values.
struct AppendLimits {
  int64_t max_event_bytes = 1 << 20;  // 1 MiB per event -> InvalidArgument beyond.
  int64_t max_batch_bytes = 4 << 20;  // 4 MiB per batch -> ResourceExhausted beyond.
  int64_t max_batch_events = 1000;    // events per batch -> ResourceExhausted beyond.
};

// Per-topic retention. Records older than max_age_ms or beyond the newest max_bytes of a
// partition are deleted by the background retention pass (whole append batches at a time).
struct RetentionPolicy {
  int64_t max_age_ms = 7LL * 24 * 3600 * 1000;  // 7 days; <= 0 means no age limit.
  int64_t max_bytes = -1;                       // per partition; <= 0 means no size limit.
};

// ----- Topics -----------------------------------------------------------------------------------

// Topic names: 1..249 characters: levels of [A-Za-z0-9._-] separated by '/' (MQTT topic levels
// such as "home/kitchen/temp"); no empty level (no leading, trailing or double '/'), no level
// "." or "..".
absl::Status ValidateTopicName(absl::string_view name);

struct CreateTopicRequest {
  std::string topic;
  int32_t partitions = 1;  // 1..kMaxPartitions.
  RetentionPolicy retention;
};
inline constexpr int32_t kMaxPartitions = 4096;

struct PartitionInfo {
  int32_t partition = 0;
  int64_t earliest_offset = 0;  // first retained offset
  int64_t next_offset = 0;      // offset the next append gets ("latest"/high watermark)
  int64_t retained_bytes = 0;   // event bytes in [earliest, next)
};

struct TopicDescription {
  std::string topic;
  int32_t partitions = 0;
  RetentionPolicy retention;
  int64_t created_ms = 0;
  std::vector<PartitionInfo> partition_info;  // one per partition, in order
};

struct DeleteTopicRequest {
  std::string topic;
};
struct DeleteTopicResult {};

struct DescribeTopicRequest {
  std::string topic;
};

struct ListTopicsRequest {};
struct ListTopicsResult {
  std::vector<std::string> topics;  // sorted by name
};

// ----- Records ----------------------------------------------------------------------------------

// An in-process object a producer may attach to a record, e.g. the decoded form of its payload.
// It is never stored or sent over the network: a record read back may carry it only when it is
// served from an in-process engine's memory (RocksDbEventStore's tail cache) and the producer
// gave one. Consumers must treat its absence as normal. Immutable once attached (shared by every
// reader); implementations must be thread-safe for const access.
class RecordAttachment {
 public:
  virtual ~RecordAttachment() = default;
  // The memory the attachment occupies (its object and everything it owns), an estimate: what
  // an engine's cache charges against its memory budget while it keeps the attachment.
  virtual int64_t MemoryBytes() const = 0;
  // The record's payload, when the attachment holds exactly those bytes (e.g. the encoded
  // event its producer also keeps for delivery); nullptr otherwise. A producer whose attachment
  // returns them may leave ProducerRecord::payload empty and so hand the bytes over once.
  virtual const std::string* Payload() const { return nullptr; }
};

// One event as the producer hands it over.
struct ProducerRecord {
  std::optional<std::string> key;
  std::map<std::string, std::string> headers;
  // The event's bytes; may be left empty when `payload_view` or `attachment` holds them.
  // Engines read them through RecordPayload.
  std::string payload;
  // The event's bytes held by the caller, used when `payload` is empty: they must stay valid
  // until Append / AppendAsync returns (an engine copies what it keeps before returning). Lets a
  // caller that already holds the bytes, such as the store service reading a frame, hand them
  // over without a copy. A copy of the record borrows the same bytes: whatever keeps a record
  // past the call that lent them calls OwnPayloads first.
  absl::string_view payload_view;
  std::shared_ptr<const RecordAttachment> attachment;  // optional; see RecordAttachment
};

// The record's payload: `payload`, else `payload_view`, else the attachment's bytes when the
// attachment holds them.
inline absl::string_view RecordPayload(const ProducerRecord& record) {
  if (!record.payload.empty()) return record.payload;
  if (!record.payload_view.empty()) return record.payload_view;
  if (record.attachment != nullptr) {
    if (const std::string* bytes = record.attachment->Payload()) return *bytes;
  }
  return record.payload;
}

// Makes every record of `records` own its payload: borrowed bytes (ProducerRecord::payload_view)
// are copied into `payload`. For a store or wrapper that keeps a request past the call.
inline void OwnPayloads(std::vector<ProducerRecord>* records) {
  for (ProducerRecord& record : *records) {
    if (record.payload.empty() && !record.payload_view.empty()) {
      record.payload.assign(record.payload_view.data(), record.payload_view.size());
    }
    record.payload_view = {};
  }
}

// One stored event.
struct EventRecord {
  int64_t offset = 0;
  int64_t append_time_ms = 0;
  std::optional<std::string> key;
  std::map<std::string, std::string> headers;
  std::string payload;
  // Set only on records served from an engine's memory whose producer attached one; not part
  // of the record's value (ignored by ==).
  std::shared_ptr<const RecordAttachment> attachment;

  friend bool operator==(const EventRecord& a, const EventRecord& b) {
    return a.offset == b.offset && a.append_time_ms == b.append_time_ms && a.key == b.key &&
           a.headers == b.headers && a.payload == b.payload;
  }
};

enum class PartitionStrategy {
  kExplicit,    // AppendRequest::partition
  kKeyHash,     // murmur2(partition_key, or the first record's key) % partitions (Kafka-style)
  kRoundRobin,  // the next partition of the topic in turn
};

struct AppendRequest {
  std::string topic;
  PartitionStrategy strategy = PartitionStrategy::kExplicit;
  int32_t partition = 0;      // used with kExplicit
  std::string partition_key;  // used with kKeyHash; empty = the first record's key
  std::vector<ProducerRecord> records;
  // Idempotent producer: with producer_id set, `sequence` must be the producer's previous
  // sequence on this partition + 1 (any value >= 0 for a producer not seen before). A retry of
  // one of the last StoreOptions::producer_window sequences returns the original offsets with
  // duplicate = true and stores nothing. Needs a deterministic strategy (not kRoundRobin).
  std::optional<uint64_t> producer_id;
  int64_t sequence = 0;
};

struct AppendResult {
  std::string topic;
  int32_t partition = 0;
  int64_t base_offset = 0;  // offset of the first record
  int64_t last_offset = 0;  // offset of the last record
  int64_t append_time_ms = 0;
  bool duplicate = false;  // an idempotent retry: nothing was written
};

struct ReadRequest {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int32_t max_events = 500;     // >= 1
  int64_t max_bytes = 1 << 20;  // soft: at least one event is returned if any is available
  // The caller uses a record's attachment when it has one (EventRecord::attachment): such
  // records may then come from memory without their payload and headers (no copy per read).
  bool attachment_suffices = false;
};

struct ReadResult {
  std::vector<EventRecord> records;
  int64_t next_offset = 0;      // offset to read next (last returned + 1, or the request offset)
  int64_t earliest_offset = 0;  // first retained offset of the partition
  int64_t latest_offset = 0;    // next offset to be appended (high watermark)
};

// A Read that may wait up to max_wait_ms for data when none is available at `offset`.
struct FetchRequest {
  ReadRequest read;
  int64_t max_wait_ms = 0;
};

struct OffsetsRequest {
  std::string topic;
  int32_t partition = 0;
};
struct OffsetsResult {
  int64_t earliest_offset = 0;
  int64_t latest_offset = 0;  // next offset to be appended
};

// The first offset whose append time is >= timestamp_ms (replay from a point in time).
struct SeekTimeRequest {
  std::string topic;
  int32_t partition = 0;
  int64_t timestamp_ms = 0;
};
struct SeekTimeResult {
  bool found = false;        // false: no retained event at or after timestamp_ms
  int64_t offset = 0;        // found ? that offset : the latest offset (read there to wait)
  int64_t timestamp_ms = 0;  // append time of `offset` when found
};

// ----- Consumer groups --------------------------------------------------------------------------

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  friend bool operator==(const TopicPartition& a, const TopicPartition& b) {
    return a.topic == b.topic && a.partition == b.partition;
  }
  friend bool operator<(const TopicPartition& a, const TopicPartition& b) {
    return a.topic != b.topic ? a.topic < b.topic : a.partition < b.partition;
  }
};

struct JoinGroupRequest {
  std::string group;
  std::string member_id;            // empty: the coordinator assigns one
  std::vector<std::string> topics;  // subscription
  int64_t session_timeout_ms = 0;   // 0: GroupOptions::default_session_timeout_ms
};

struct MemberAssignment {
  std::string group;
  std::string member_id;
  int64_t generation = 0;
  std::vector<TopicPartition> partitions;  // owned by this member in `generation`, sorted
};

struct HeartbeatRequest {
  std::string group;
  std::string member_id;
};

struct LeaveGroupRequest {
  std::string group;
  std::string member_id;
};
struct LeaveGroupResult {
  int64_t generation = 0;  // generation after the member left
};

struct DescribeGroupRequest {
  std::string group;
};
struct GroupMemberInfo {
  std::string member_id;
  std::vector<std::string> topics;
  std::vector<TopicPartition> partitions;
  int64_t last_heartbeat_ms = 0;
  int64_t session_timeout_ms = 0;
};
struct GroupDescription {
  std::string group;
  int64_t generation = 0;
  std::vector<GroupMemberInfo> members;  // sorted by member id
};

struct CommittedOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;    // the next offset the group will consume
  std::string metadata;  // opaque to the store
};

// member_id empty and generation < 0: a stand-alone consumer, accepted only while the group has
// no live members. Otherwise member_id must be a live member and generation the current one.
//
// if_absent: each offset is written only where the group has no committed position for that
// partition yet (the others are left as they are), whoever sends it (member_id and generation
// are not checked: it cannot move a position anyone committed). This is how a group's start on
// a partition it never consumed is decided once for the whole group: every member writes the
// start it would choose with if_absent, then reads back (FetchOffsets) the one that was kept.
// Commits are applied one at a time, so the check and the write are atomic.
struct CommitOffsetsRequest {
  std::string group;
  std::string member_id;
  int64_t generation = -1;
  std::vector<CommittedOffset> offsets;
  bool if_absent = false;
};
struct CommitOffsetsResult {};

struct FetchOffsetsRequest {
  std::string group;
  std::string topic;
  std::vector<int32_t> partitions;  // empty: every partition of the topic
};
struct FetchOffsetsResult {
  // One entry per requested partition; offset -1 when the group never committed it.
  std::vector<CommittedOffset> offsets;
};

// ----- Maintenance ------------------------------------------------------------------------------

struct RetentionPassResult {
  int64_t partitions_trimmed = 0;
  int64_t events_deleted = 0;
  int64_t bytes_deleted = 0;
  int64_t producers_expired = 0;  // idempotent-producer states dropped (see producer expiry)
};

// ----- The interface ----------------------------------------------------------------------------

// An embedded event store. Implementations are thread-safe: every method may be called from any
// thread concurrently. Append blocks until the batch is durable under the store's SyncMode; Fetch
// blocks up to max_wait_ms; all other calls return without waiting for other clients.
// AppendAsync and FetchAsync are their non-blocking forms.
class EventStore {
 public:
  using FetchCallback = std::function<void(absl::StatusOr<ReadResult>)>;
  using AppendCallback = std::function<void(absl::StatusOr<AppendResult>)>;

  virtual ~EventStore() = default;

  // Topics.
  virtual absl::StatusOr<TopicDescription> CreateTopic(const CreateTopicRequest& request) = 0;
  virtual absl::StatusOr<TopicDescription> DescribeTopic(const DescribeTopicRequest& request) = 0;
  virtual absl::StatusOr<ListTopicsResult> ListTopics(const ListTopicsRequest& request) = 0;
  // Deletes the topic, its records and the groups' committed offsets for it.
  virtual absl::StatusOr<DeleteTopicResult> DeleteTopic(const DeleteTopicRequest& request) = 0;

  // Records. Append and AppendAsync read `request` only during the call: whatever they keep
  // is copied before they return (so ProducerRecord::payload_view may point into the caller's
  // buffer, valid until the call returns).
  virtual absl::StatusOr<AppendResult> Append(const AppendRequest& request) = 0;
  // The non-blocking form of Append, with the same semantics and guarantees: `done` runs exactly
  // once, after the batch is durable under the SyncMode (with the result) or with the error
  // Append would have returned. Rejections (validation, unknown topic, producer sequence
  // errors, duplicates, closing) may run `done` inline on the calling thread; otherwise it runs
  // later on a store-owned thread (e.g. the commit-queue leader). The call itself does not wait
  // for I/O. Offsets are reserved when AppendAsync returns: appends to one partition issued one
  // after the other from one thread get increasing offsets in issue order. Any number of
  // appends may be in flight; the engine coalesces them into one write (and one fsync). `done`
  // runs without store locks held but must not block for long (no blocking Append/Fetch on the
  // same store from inside it): hand the result to your own executor. When the store closes,
  // pending appends complete with their result or Unavailable; none is left without a callback.
  virtual void AppendAsync(const AppendRequest& request, AppendCallback done) = 0;
  virtual absl::StatusOr<ReadResult> Read(const ReadRequest& request) = 0;
  // Like Read, but when no event is available at the offset waits up to max_wait_ms for an
  // append to the partition (woken by the append; no polling). Returns an empty result on
  // timeout.
  virtual absl::StatusOr<ReadResult> Fetch(const FetchRequest& request) = 0;
  // The non-blocking form of Fetch: `done` runs exactly once, either inline on the calling
  // thread (data already available, or an error) or later on a store-owned thread when an
  // append arrives, the wait expires, the topic is deleted (NotFound) or the store closes
  // (Unavailable). `done` runs without store locks held but must not block for long: hand the
  // result to your own executor (e.g. post it to the connection's strand).
  virtual void FetchAsync(const FetchRequest& request, FetchCallback done) = 0;
  // True when records read back may carry their ProducerRecord::attachment (an in-process
  // engine with a tail cache); producers skip building attachments otherwise.
  virtual bool KeepsAttachments() const { return false; }
  virtual absl::StatusOr<OffsetsResult> GetOffsets(const OffsetsRequest& request) = 0;
  virtual absl::StatusOr<SeekTimeResult> SeekTime(const SeekTimeRequest& request) = 0;

  // Consumer groups.
  virtual absl::StatusOr<MemberAssignment> JoinGroup(const JoinGroupRequest& request) = 0;
  // Keeps the member alive; returns the current generation and the member's assignment (which
  // changes after a rebalance).
  virtual absl::StatusOr<MemberAssignment> Heartbeat(const HeartbeatRequest& request) = 0;
  virtual absl::StatusOr<LeaveGroupResult> LeaveGroup(const LeaveGroupRequest& request) = 0;
  virtual absl::StatusOr<GroupDescription> DescribeGroup(const DescribeGroupRequest& request) = 0;
  virtual absl::StatusOr<CommitOffsetsResult> CommitOffsets(
      const CommitOffsetsRequest& request) = 0;
  virtual absl::StatusOr<FetchOffsetsResult> FetchOffsets(const FetchOffsetsRequest& request) = 0;

  // Runs one retention pass over every topic now (the background thread does the same every
  // StoreOptions::retention_interval_ms).
  virtual absl::StatusOr<RetentionPassResult> RunRetentionOnce() = 0;
};

// ----- Structured error details -----------------------------------------------------------------

// OutOfRange statuses from Read/Fetch carry these payloads (decimal strings).
inline constexpr char kEarliestOffsetPayload[] = "eventmesh.store/earliest_offset";
inline constexpr char kLatestOffsetPayload[] = "eventmesh.store/latest_offset";

// The earliest valid offset carried by an OutOfRange status, if any.
std::optional<int64_t> EarliestOffsetOf(const absl::Status& status);
std::optional<int64_t> LatestOffsetOf(const absl::Status& status);

// Builds the OutOfRange status described above.
absl::Status OffsetOutOfRange(absl::string_view message, int64_t earliest_offset,
                              int64_t latest_offset);

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_EVENT_STORE_H_
