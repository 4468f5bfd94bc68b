#ifndef EVENTMESH_STORE_ENGINE_KEYS_H_
#define EVENTMESH_STORE_ENGINE_KEYS_H_

// RocksDB key and value layout of the event store. All integers in keys are big-endian so that
// the byte order of keys equals numeric order (iteration order = offset order).
//
// Column families:
//   records     [topic_id u32][partition u32][last offset u64] -> one record batch: records of
//               one append, in offset order (RecordBatchReader). A record stored alone is
//               EncodeRecordValue (format 1, its offset = the key's); records stored together
//               are one format-2 batch (up to kMaxRecordsPerBatch), so RocksDB keeps one entry
//               (one memtable insert, one index key) per batch instead of one per record.
//               Seeking to RecordKey(offset) lands on the batch that holds `offset`.
//   time_index  [topic_id u32][partition u32][append_ms u64][base u64]   -> TimeIndexValue
//               one entry per append batch; append times are non-decreasing per partition.
//   meta        "T" topic_name                    -> TopicMeta
//               "N"                               -> next topic id (u32)
//               "S" [topic_id][partition]         -> log start offset (u64), set by retention
//               "P" [topic_id][partition][pid u64]-> ProducerWindow
//   groups      "O" group "\0" [topic_id][partition] -> committed offset (u64) + metadata
//               "G" group                          -> generation (u64)
// Topic ids are never reused, so a deleted topic's leftovers cannot leak into a new topic.
// Pure functions, thread-compatible.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::store::keys {

inline constexpr char kRecordsCf[] = "records";
inline constexpr char kTimeIndexCf[] = "time_index";
inline constexpr char kMetaCf[] = "meta";
inline constexpr char kGroupsCf[] = "groups";

// [topic_id][partition] (8 bytes): the prefix of every per-partition key.
inline constexpr size_t kPartitionPrefixSize = 8;
std::string PartitionPrefix(uint32_t topic_id, uint32_t partition);
// [topic_id] (4 bytes).
std::string TopicPrefix(uint32_t topic_id);

std::string RecordKey(uint32_t topic_id, uint32_t partition, uint64_t offset);
// Allocation-free forms for the append path.
inline constexpr size_t kRecordKeySize = 16;
void StoreRecordKey(char* out, uint32_t topic_id, uint32_t partition, uint64_t offset);
// Appends the record key to *out (avoids an allocation on the append path).
void AppendRecordKey(std::string* out, uint32_t topic_id, uint32_t partition, uint64_t offset);
// The offset of a records key; false if the key is not 16 bytes.
bool DecodeRecordKeyOffset(absl::string_view key, uint64_t* offset);

std::string TimeIndexKey(uint32_t topic_id, uint32_t partition, uint64_t append_ms,
                         uint64_t base_offset);
bool DecodeTimeIndexKey(absl::string_view key, uint64_t* append_ms, uint64_t* base_offset);

struct TimeIndexValue {
  uint64_t cumulative_bytes_before = 0;  // bytes appended to the partition before this batch
  uint32_t events = 0;
  uint64_t bytes = 0;  // event bytes of this batch
};
std::string EncodeTimeIndexValue(const TimeIndexValue& value);
inline constexpr size_t kTimeIndexKeySize = 24;
inline constexpr size_t kTimeIndexValueSize = 20;
void StoreTimeIndexKey(char* out, uint32_t topic_id, uint32_t partition, uint64_t append_ms,
                       uint64_t base_offset);
void StoreTimeIndexValue(char* out, const TimeIndexValue& value);
bool DecodeTimeIndexValue(absl::string_view data, TimeIndexValue* value);

// Smallest key greater than every key starting with `prefix` (prefix must not be all 0xff).
std::string PrefixSuccessor(absl::string_view prefix);

// ----- meta CF ----------------------------------------------------------------------------------
struct TopicMeta {
  uint32_t id = 0;
  int32_t partitions = 0;
  RetentionPolicy retention;
  int64_t created_ms = 0;
};
std::string TopicMetaKey(absl::string_view topic);
inline constexpr char kTopicMetaPrefix[] = "T";
std::string EncodeTopicMeta(const TopicMeta& meta);
bool DecodeTopicMeta(absl::string_view data, TopicMeta* meta);

inline constexpr char kNextTopicIdKey[] = "N";

std::string LogStartKey(uint32_t topic_id, uint32_t partition);
inline constexpr char kLogStartPrefix[] = "S";

std::string ProducerKey(uint32_t topic_id, uint32_t partition, uint64_t producer_id);
inline constexpr char kProducerPrefix[] = "P";
bool DecodeProducerKey(absl::string_view key, uint32_t* topic_id, uint32_t* partition,
                       uint64_t* producer_id);

struct ProducerBatch {
  int64_t sequence = 0;
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t append_time_ms = 0;
};
// Oldest first.
std::string EncodeProducerWindow(const std::vector<ProducerBatch>& window);
bool DecodeProducerWindow(absl::string_view data, std::vector<ProducerBatch>* window);

// ----- groups CF --------------------------------------------------------------------------------
std::string GroupOffsetKey(absl::string_view group, uint32_t topic_id, uint32_t partition);
std::string GroupOffsetPrefix(absl::string_view group);  // "O" group "\0"
inline constexpr char kGroupOffsetPrefix[] = "O";
// Parses "O" group "\0" [topic_id][partition].
bool DecodeGroupOffsetKey(absl::string_view key, std::string* group, uint32_t* topic_id,
                          uint32_t* partition);
std::string EncodeGroupOffset(int64_t offset, absl::string_view metadata);
bool DecodeGroupOffset(absl::string_view data, int64_t* offset, std::string* metadata);

std::string GroupGenerationKey(absl::string_view group);
inline constexpr char kGroupGenerationPrefix[] = "G";

// ----- record values ----------------------------------------------------------------------------
// Size of an event as counted against limits and retention: payload + key + headers.
int64_t EventBytes(const ProducerRecord& record);
// Appends the encoded value of one record to *out: the prefix below followed by the payload.
void EncodeRecordValue(std::string* out, int64_t append_time_ms, const ProducerRecord& record);
// Appends everything of the value but the payload (flags, append time, key, headers), so the
// append path can hand RocksDB the payload without copying it first.
void EncodeRecordValuePrefix(std::string* out, int64_t append_time_ms,
                             const ProducerRecord& record);
// Overwrites the append time of an encoded record value (the append path encodes records before
// it knows the time, outside its lock).
void PatchRecordAppendTime(char* value, int64_t append_time_ms);
// Decodes a value written by EncodeRecordValue; `offset` is taken from the key.
bool DecodeRecordValue(absl::string_view data, int64_t offset, EventRecord* record);

// Record batches (format 2): [2][append_time_ms u64][count varint], then per record
// [flags u8 (0x80: has key)][key]?[header count varint][header names and values]
// [payload length varint][payload]; strings are varint-length-prefixed. The append time is
// at the same place as in format 1, so PatchRecordAppendTime works on both.
inline constexpr size_t kMaxRecordBatchHeaderSize = 1 + 8 + 10;
// An append is stored as batches of at most this many records, each closed once its events
// reach kRecordBatchTargetBytes: a read starting inside a batch skips at most that much.
inline constexpr int64_t kMaxRecordsPerBatch = 64;
inline constexpr int64_t kRecordBatchTargetBytes = 64 << 10;
// Writes the batch header to `out` (room for kMaxRecordBatchHeaderSize); returns its size.
size_t StoreRecordBatchHeader(char* out, int64_t append_time_ms, uint64_t count);
// Appends everything of a batched record but its payload (flags, key, headers, payload length),
// so the append path can hand RocksDB the payloads without copying them first.
void EncodeBatchedRecordPrefix(std::string* out, const ProducerRecord& record);
// Appends a whole batch value (header and records); for tests and tools.
void EncodeRecordBatch(std::string* out, int64_t append_time_ms,
                       const std::vector<ProducerRecord>& records);

// Reads the records of one records-CF value, either format, in offset order. Thread-compatible;
// the value must outlive the reader.
class RecordBatchReader {
 public:
  // `last_offset` is the key's offset. False if the header is corrupt (unknown format, a count
  // of 0, more records than bytes, or a base offset below 0).
  bool Init(absl::string_view value, int64_t last_offset);
  int64_t base_offset() const { return base_offset_; }
  int64_t last_offset() const { return last_offset_; }
  // The offset Next() decodes; last_offset() + 1 once every record is read.
  int64_t next_offset() const { return next_offset_; }
  bool done() const { return next_offset_ > last_offset_; }
  // Decodes the next record into *record (nullptr: skips it) and sets *encoded_bytes to its
  // share of the value (what reads count against max_bytes). False if it is corrupt or done().
  bool Next(EventRecord* record, int64_t* encoded_bytes);

 private:
  absl::string_view rest_;
  bool single_ = false;  // format 1
  int64_t append_time_ms_ = 0;
  int64_t base_offset_ = 0;
  int64_t last_offset_ = -1;
  int64_t next_offset_ = 0;
};

// ----- hashing ----------------------------------------------------------------------------------
// Kafka's murmur2 (seed 0x9747b28c), so key -> partition matches Kafka's default partitioner:
// (murmur2(key) & 0x7fffffff) % partitions.
uint32_t Murmur2(absl::string_view data);
int32_t PartitionForKey(absl::string_view key, int32_t partitions);

}  // namespace eventmesh::store::keys

#endif  // EVENTMESH_STORE_ENGINE_KEYS_H_
