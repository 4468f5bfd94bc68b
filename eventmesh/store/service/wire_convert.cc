#include "eventmesh/store/service/wire_convert.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/proto/deterministic.h"
#include "eventmesh/protocol/proto/field_count.h"
#include "eventmesh/protocol/proto/wire_reader.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"

namespace eventmesh::store::wire {
namespace {

absl::Status CheckUtf8(absl::string_view field, absl::string_view value) {
  if (IsValidUtf8(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, " is not valid UTF-8"));
}

#define EM_RETURN_IF_ERROR(expr)             \
  do {                                       \
    absl::Status em_status_ = (expr);        \
    if (!em_status_.ok()) return em_status_; \
  } while (false)

void RetentionToProto(const RetentionPolicy& in, v1::RetentionPolicy* out) {
  out->set_max_age_ms(in.max_age_ms);
  out->set_max_bytes(in.max_bytes);
}

void RetentionFromProto(const v1::RetentionPolicy& in, RetentionPolicy* out) {
  out->max_age_ms = in.max_age_ms();
  out->max_bytes = in.max_bytes();
}

void TopicPartitionToProto(const TopicPartition& in, v1::TopicPartition* out) {
  out->set_topic(in.topic);
  out->set_partition(in.partition);
}

TopicPartition TopicPartitionFromProto(const v1::TopicPartition& in) {
  return TopicPartition{in.topic(), in.partition()};
}

}  // namespace

void StatusToProto(const absl::Status& status, v1::Status* out) {
  out->set_code(static_cast<int32_t>(status.code()));
  out->set_message(IsValidUtf8(status.message())
                       ? std::string(status.message())
                       : absl::StrCat("(non-UTF-8 message) ", absl::CEscape(status.message())));
  const std::optional<int64_t> earliest = EarliestOffsetOf(status);
  const std::optional<int64_t> latest = LatestOffsetOf(status);
  if (earliest.has_value() || latest.has_value()) {
    out->mutable_offset_range()->set_earliest_offset(earliest.value_or(0));
    out->mutable_offset_range()->set_latest_offset(latest.value_or(0));
  }
}

absl::Status StatusFromProto(const v1::Status& status) {
  if (status.code() == 0) return absl::OkStatus();
  if (status.has_offset_range()) {
    absl::Status out = OffsetOutOfRange(status.message(), status.offset_range().earliest_offset(),
                                        status.offset_range().latest_offset());
    if (status.code() == static_cast<int32_t>(absl::StatusCode::kOutOfRange)) return out;
  }
  const int code = status.code();
  const absl::StatusCode sc =
      (code > 0 && code <= static_cast<int>(absl::StatusCode::kUnauthenticated))
          ? static_cast<absl::StatusCode>(code)
          : absl::StatusCode::kUnknown;
  return absl::Status(sc, status.message());
}

// ----- Requests: engine -> proto ------------------------------------------------------------

absl::Status ToProto(const CreateTopicRequest& in, v1::CreateTopicRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  out->set_partitions(in.partitions);
  RetentionToProto(in.retention, out->mutable_retention());
  return absl::OkStatus();
}

absl::Status ToProto(const DescribeTopicRequest& in, v1::DescribeTopicRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  return absl::OkStatus();
}

absl::Status ToProto(const ListTopicsRequest&, v1::ListTopicsRequest*) { return absl::OkStatus(); }

absl::Status ToProto(const DeleteTopicRequest& in, v1::DeleteTopicRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  return absl::OkStatus();
}

absl::Status ToProto(const AppendRequest& in, v1::AppendRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  switch (in.strategy) {
    case PartitionStrategy::kExplicit:
      out->mutable_partition()->set_partition(in.partition);
      break;
    case PartitionStrategy::kKeyHash:
      out->mutable_partition()->set_key_hash(in.partition_key);
      break;
    case PartitionStrategy::kRoundRobin:
      out->mutable_partition()->set_round_robin(true);
      break;
  }
  out->mutable_records()->Reserve(static_cast<int>(in.records.size()));
  for (const ProducerRecord& record : in.records) {
    v1::Record* r = out->add_records();
    if (record.key.has_value()) r->set_key(*record.key);
    for (const auto& [name, value] : record.headers) {
      EM_RETURN_IF_ERROR(
          CheckUtf8(absl::StrCat("header name \"", absl::CEscape(name), "\""), name));
      (*r->mutable_headers())[name] = value;
    }
    const absl::string_view payload = RecordPayload(record);
    r->set_payload(payload.data(), payload.size());
  }
  if (in.producer_id.has_value()) out->set_producer_id(*in.producer_id);
  out->set_sequence(in.sequence);
  return absl::OkStatus();
}

void AppendVarint(uint64_t v, std::string* out) {
  uint8_t bytes[10];  // a varint of 64 bits takes at most 10 bytes
  const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(v, bytes);
  out->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

size_t VarintSize(uint64_t v) { return google::protobuf::io::CodedOutputStream::VarintSize64(v); }

namespace {

// Protobuf wire pieces for SerializeAppendRequest (every field number there is below 16: one
// tag byte).
constexpr char Tag(int field, int wire_type) { return static_cast<char>(field << 3 | wire_type); }
constexpr int kVarintType = 0;
constexpr int kLenType = 2;
size_t LenFieldSize(size_t n) { return 1 + VarintSize(n) + n; }
size_t HeaderEntrySize(const std::string& name, const std::string& value) {
  return LenFieldSize(name.size()) + LenFieldSize(value.size());
}
size_t RecordSize(const ProducerRecord& record) {
  size_t n = record.key.has_value() ? LenFieldSize(record.key->size()) : 0;
  for (const auto& [name, value] : record.headers) {
    n += LenFieldSize(HeaderEntrySize(name, value));
  }
  const size_t payload = RecordPayload(record).size();
  if (payload != 0) n += LenFieldSize(payload);
  return n;
}

// Writes protobuf wire pieces to the end of `out`: tags, lengths and short fields gathered in a
// small buffer and appended together, long fields (payloads) appended as they are, `room` (the
// most the message can take) reserved up front so `out` grows once. No byte of `out` is written
// twice (a string resized for the room is first filled with zeros). Finish() appends what is
// still gathered.
class RawWriter {
 public:
  RawWriter(std::string* out, size_t room) : out_(out) { out->reserve(out->size() + room); }
  RawWriter(const RawWriter&) = delete;
  RawWriter& operator=(const RawWriter&) = delete;
  ~RawWriter() { Flush(); }  // (Finish() usually did already)
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Byte(char c) {
    Room(1);
    staged_[n_++] = c;
  }
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Varint(uint64_t v) {
    Room(10);
    while (v >= 0x80) {
      staged_[n_++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    staged_[n_++] = static_cast<char>(v);
  }
  void Bytes(absl::string_view bytes) {
    if (bytes.size() > kStaged / 2) {
      Flush();
      out_->append(bytes.data(), bytes.size());
      return;
    }
    Room(bytes.size());
    if (!bytes.empty()) std::memcpy(staged_ + n_, bytes.data(), bytes.size());
    n_ += bytes.size();
  }
  void LenField(int field, absl::string_view bytes) {
    Byte(Tag(field, kLenType));
    Varint(bytes.size());
    Bytes(bytes);
  }
  void VarintField(int field, uint64_t v) {
    Byte(Tag(field, kVarintType));
    Varint(v);
  }
  void Finish() { Flush(); }

 private:
  static constexpr size_t kStaged = 256;
  void Room(size_t n) {
    if (n_ + n > kStaged) Flush();
  }
  void Flush() {
    out_->append(staged_, n_);
    n_ = 0;
  }

  std::string* out_;
  char staged_[kStaged];
  size_t n_ = 0;
};

}  // namespace

absl::Status SerializeAppendRequest(const AppendRequest& in, std::string* out) {
  // The checks ToProto makes, in its order, before anything is written.
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  size_t records_size = 0;
  for (const ProducerRecord& record : in.records) {
    for (const auto& [name, value] : record.headers) {
      if (!IsValidUtf8(name)) {
        return CheckUtf8(absl::StrCat("header name \"", absl::CEscape(name), "\""), name);
      }
    }
    records_size += LenFieldSize(RecordSize(record));
  }
  // Room for every field at its largest (varints of ten bytes), reserved once.
  RawWriter w(out, LenFieldSize(in.topic.size()) + 2 + LenFieldSize(11 + in.partition_key.size()) +
                       records_size + 22);
  if (!in.topic.empty()) w.LenField(1, in.topic);
  // partition (a PartitionSelection; its oneof member is written even when zero or empty).
  w.Byte(Tag(2, kLenType));
  switch (in.strategy) {
    case PartitionStrategy::kExplicit: {
      // int32: a negative value is its 64-bit two's complement, ten bytes.
      const uint64_t partition = static_cast<uint64_t>(static_cast<int64_t>(in.partition));
      w.Varint(1 + VarintSize(partition));
      w.VarintField(1, partition);
      break;
    }
    case PartitionStrategy::kKeyHash:
      w.Varint(LenFieldSize(in.partition_key.size()));
      w.LenField(2, in.partition_key);
      break;
    case PartitionStrategy::kRoundRobin:
      w.Varint(2);
      w.VarintField(3, 1);
      break;
  }
  for (const ProducerRecord& record : in.records) {
    w.Byte(Tag(3, kLenType));
    w.Varint(RecordSize(record));
    if (record.key.has_value()) w.LenField(1, *record.key);
    for (const auto& [name, value] : record.headers) {  // std::map: key order
      w.Byte(Tag(2, kLenType));
      w.Varint(HeaderEntrySize(name, value));
      w.LenField(1, name);
      w.LenField(2, value);
    }
    if (const absl::string_view payload = RecordPayload(record); !payload.empty()) {
      w.LenField(3, payload);
    }
  }
  if (in.producer_id.has_value()) w.VarintField(4, *in.producer_id);
  if (in.sequence != 0) w.VarintField(5, static_cast<uint64_t>(in.sequence));
  w.Finish();
  return absl::OkStatus();
}

namespace {

// The append fast path reads with protocol::wire::WireReader: each read returns false on
// anything outside the plain form (the caller then falls back to the protobuf library).
using protocol::wire::WireReader;

bool ParsePartition(absl::string_view bytes, AppendRequest* out) {
  WireReader r(bytes);
  out->strategy = PartitionStrategy::kExplicit;  // no selection: partition 0
  out->partition = 0;
  bool seen = false;
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type) || seen) return false;  // one selection, once
    seen = true;
    if (field == 1 && type == kVarintType) {
      uint64_t v;
      if (!r.Varint(&v)) return false;
      out->partition = static_cast<int32_t>(v);
    } else if (field == 2 && type == kLenType) {
      absl::string_view key;
      if (!r.Len(&key)) return false;
      out->strategy = PartitionStrategy::kKeyHash;
      out->partition_key.assign(key.data(), key.size());
    } else if (field == 3 && type == kVarintType) {
      uint64_t v;
      if (!r.Varint(&v) || v == 0)
        return false;  // round_robin = false is refused: the slow path says so
      out->strategy = PartitionStrategy::kRoundRobin;
    } else {
      return false;
    }
  }
  return true;
}

// One map<string, bytes> entry (name once, value once, any order) added to `headers`.
bool ParseHeaderEntry(absl::string_view bytes, std::map<std::string, std::string>* headers) {
  WireReader r(bytes);
  absl::string_view name, value;
  bool has_name = false, has_value = false;
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type) || type != kLenType) return false;
    if (field == 1 && !has_name) {
      if (!r.Len(&name)) return false;
      has_name = true;
    } else if (field == 2 && !has_value) {
      if (!r.Len(&value)) return false;
      has_value = true;
    } else {
      return false;
    }
  }
  if (!IsValidUtf8(name)) return false;
  return headers->try_emplace(std::string(name), value.data(), value.size()).second;
}

bool ParseRecord(absl::string_view bytes, ProducerRecord* record) {
  WireReader r(bytes);
  bool has_payload = false;
  while (!r.done()) {
    uint32_t field, type;
    absl::string_view v;
    if (!r.ReadTag(&field, &type) || type != kLenType || !r.Len(&v)) return false;
    if (field == 1 && !record->key.has_value()) {
      record->key.emplace(v.data(), v.size());
    } else if (field == 2) {
      if (!ParseHeaderEntry(v, &record->headers)) return false;
    } else if (field == 3 && !has_payload) {
      record->payload_view = v;  // into the caller's bytes (see ParseAppendRequest)
      has_payload = true;
    } else {
      return false;
    }
  }
  return true;
}

// The plain form of a StoreRequest / StoreResponse envelope: request_id (field 1, at most once)
// and exactly one length-delimited field numbered `first` or `second` (its number and bytes
// returned), nothing else. False for any other form (an error status, another operation or
// result, an unknown or repeated field, malformed bytes).
bool ScanEnvelope(absl::string_view payload, uint32_t first, uint32_t second, uint64_t* request_id,
                  uint32_t* op_field, absl::string_view* op) {
  *request_id = 0;
  WireReader r(payload);
  bool has_id = false, has_op = false;
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type)) return false;
    if (field == 1 && type == kVarintType && !has_id) {
      if (!r.Varint(request_id)) return false;
      has_id = true;
    } else if ((field == first || field == second) && type == kLenType && !has_op) {
      if (!r.Len(op)) return false;
      *op_field = field;
      has_op = true;
    } else {
      return false;
    }
  }
  return has_op;
}

}  // namespace

bool ScanAppendFrame(absl::string_view payload, AppendFrame* out) {
  out->multi = false;
  out->appends.clear();
  uint32_t op_field = 0;
  absl::string_view op;
  if (!ScanEnvelope(payload, 20, 25, &out->request_id, &op_field, &op)) return false;
  out->multi = op_field == 25;
  if (!out->multi) {
    out->appends.push_back(op);
    return true;
  }
  WireReader m(op);
  while (!m.done()) {
    uint32_t field, type;
    absl::string_view append;
    if (!m.ReadTag(&field, &type) || field != 1 || type != kLenType || !m.Len(&append)) {
      return false;
    }
    if (out->appends.size() == kMaxAppendsPerMultiAppend) return false;
    out->appends.push_back(append);
  }
  return true;
}

// The number of records (field 3) in an AppendRequest's bytes; stops counting at anything it
// cannot skip (ParseAppendRequest then reports it).
size_t CountAppendRecords(absl::string_view bytes) {
  WireReader r(bytes);
  size_t records = 0;
  while (!r.done()) {
    uint32_t field, type;
    absl::string_view v;
    uint64_t n;
    if (!r.ReadTag(&field, &type)) break;
    if (type == kLenType) {
      if (!r.Len(&v)) break;
      if (field == 3) ++records;
    } else if (type != kVarintType || !r.Varint(&n)) {
      break;
    }
  }
  return records;
}

bool ParseAppendRequest(absl::string_view bytes, AppendRequest* out) {
  *out = AppendRequest{};
  out->records.reserve(CountAppendRecords(bytes));
  WireReader r(bytes);
  bool has_topic = false, has_partition = false, has_sequence = false;
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type)) return false;
    absl::string_view v;
    uint64_t n;
    switch (field) {
      case 1:
        if (type != kLenType || has_topic || !r.Len(&v) || !IsValidUtf8(v)) return false;
        out->topic.assign(v.data(), v.size());
        has_topic = true;
        break;
      case 2:
        if (type != kLenType || has_partition || !r.Len(&v) || !ParsePartition(v, out)) {
          return false;
        }
        has_partition = true;
        break;
      case 3:
        if (type != kLenType || !r.Len(&v)) return false;
        out->records.emplace_back();
        if (!ParseRecord(v, &out->records.back())) return false;
        break;
      case 4:
        if (type != kVarintType || out->producer_id.has_value() || !r.Varint(&n)) return false;
        out->producer_id = n;
        break;
      case 5:
        if (type != kVarintType || has_sequence || !r.Varint(&n)) return false;
        out->sequence = static_cast<int64_t>(n);
        has_sequence = true;
        break;
      default:
        return false;
    }
  }
  return true;
}

size_t CountAppendRequestFields(absl::string_view bytes) {
  WireReader r(bytes);
  size_t fields = 0;
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type)) break;
    ++fields;
    if (type != kLenType) {
      if (!r.Skip(field, type, 1)) break;
      continue;
    }
    absl::string_view v;
    if (!r.Len(&v)) break;
    if (field != 3) continue;
    WireReader record(v);  // a record: key, header entries (small messages), payload
    while (!record.done()) {
      uint32_t f, t;
      if (!record.ReadTag(&f, &t) || !record.Skip(f, t, 2)) break;
      ++fields;
    }
  }
  return fields;
}

size_t CountStoreRequestFields(absl::string_view bytes, size_t limit) {
  return protocol::wire::CountMessageFields(v1::StoreRequest::descriptor(), bytes, limit);
}

uint64_t PeekRequestId(absl::string_view bytes) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type)) break;
    if (field == 1 && type == kVarintType) {
      uint64_t id = 0;
      return r.Varint(&id) ? id : 0;
    }
    if (!r.Skip(field, type, 0)) break;
  }
  return 0;
}

absl::Status ToProto(const ReadRequest& in, v1::ReadRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  out->set_partition(in.partition);
  out->set_offset(in.offset);
  out->set_max_events(in.max_events);
  out->set_max_bytes(in.max_bytes);
  return absl::OkStatus();
}

absl::Status ToProto(const FetchRequest& in, v1::FetchRequest* out) {
  EM_RETURN_IF_ERROR(ToProto(in.read, out->mutable_read()));
  out->set_max_wait_ms(in.max_wait_ms);
  return absl::OkStatus();
}

absl::Status ToProto(const OffsetsRequest& in, v1::GetOffsetsRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  out->set_partition(in.partition);
  return absl::OkStatus();
}

absl::Status ToProto(const SeekTimeRequest& in, v1::SeekTimeRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_topic(in.topic);
  out->set_partition(in.partition);
  out->set_timestamp_ms(in.timestamp_ms);
  return absl::OkStatus();
}

absl::Status ToProto(const JoinGroupRequest& in, v1::JoinGroupRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("group", in.group));
  EM_RETURN_IF_ERROR(CheckUtf8("member_id", in.member_id));
  out->set_group(in.group);
  out->set_member_id(in.member_id);
  for (const std::string& topic : in.topics) {
    EM_RETURN_IF_ERROR(CheckUtf8("topic", topic));
    out->add_topics(topic);
  }
  out->set_session_timeout_ms(in.session_timeout_ms);
  return absl::OkStatus();
}

absl::Status ToProto(const HeartbeatRequest& in, v1::HeartbeatRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("group", in.group));
  EM_RETURN_IF_ERROR(CheckUtf8("member_id", in.member_id));
  out->set_group(in.group);
  out->set_member_id(in.member_id);
  return absl::OkStatus();
}

absl::Status ToProto(const LeaveGroupRequest& in, v1::LeaveGroupRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("group", in.group));
  EM_RETURN_IF_ERROR(CheckUtf8("member_id", in.member_id));
  out->set_group(in.group);
  out->set_member_id(in.member_id);
  return absl::OkStatus();
}

absl::Status ToProto(const DescribeGroupRequest& in, v1::DescribeGroupRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("group", in.group));
  out->set_group(in.group);
  return absl::OkStatus();
}

absl::Status ToProto(const CommitOffsetsRequest& in, v1::CommitOffsetsRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("group", in.group));
  EM_RETURN_IF_ERROR(CheckUtf8("member_id", in.member_id));
  out->set_group(in.group);
  out->set_member_id(in.member_id);
  out->set_generation(in.generation);
  out->set_if_absent(in.if_absent);
  for (const CommittedOffset& offset : in.offsets) {
    EM_RETURN_IF_ERROR(CheckUtf8("topic", offset.topic));
    v1::CommittedOffset* o = out->add_offsets();
    o->set_topic(offset.topic);
    o->set_partition(offset.partition);
    o->set_offset(offset.offset);
    o->set_metadata(offset.metadata);
  }
  return absl::OkStatus();
}

absl::Status ToProto(const FetchOffsetsRequest& in, v1::FetchOffsetsRequest* out) {
  EM_RETURN_IF_ERROR(CheckUtf8("group", in.group));
  EM_RETURN_IF_ERROR(CheckUtf8("topic", in.topic));
  out->set_group(in.group);
  out->set_topic(in.topic);
  for (int32_t p : in.partitions) out->add_partitions(p);
  return absl::OkStatus();
}

// ----- Requests: proto -> engine ------------------------------------------------------------

absl::Status FromProto(const v1::CreateTopicRequest& in, CreateTopicRequest* out) {
  out->topic = in.topic();
  out->partitions = in.partitions() == 0 ? 1 : in.partitions();
  if (in.has_retention()) RetentionFromProto(in.retention(), &out->retention);
  return absl::OkStatus();
}

absl::Status FromProto(const v1::DescribeTopicRequest& in, DescribeTopicRequest* out) {
  out->topic = in.topic();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::ListTopicsRequest&, ListTopicsRequest*) {
  return absl::OkStatus();
}

absl::Status FromProto(const v1::DeleteTopicRequest& in, DeleteTopicRequest* out) {
  out->topic = in.topic();
  return absl::OkStatus();
}

namespace {

// The partition selection and producer fields of an append (shared by both FromProto forms).
absl::Status AppendFieldsFromProto(const v1::AppendRequest& in, AppendRequest* out) {
  switch (in.partition().selection_case()) {
    case v1::PartitionSelection::kPartition:
      out->strategy = PartitionStrategy::kExplicit;
      out->partition = in.partition().partition();
      break;
    case v1::PartitionSelection::kKeyHash:
      out->strategy = PartitionStrategy::kKeyHash;
      out->partition_key = in.partition().key_hash();
      break;
    case v1::PartitionSelection::kRoundRobin:
      if (!in.partition().round_robin()) {
        return absl::InvalidArgumentError("partition.round_robin must be true when set");
      }
      out->strategy = PartitionStrategy::kRoundRobin;
      break;
    case v1::PartitionSelection::SELECTION_NOT_SET:
      out->strategy = PartitionStrategy::kExplicit;
      out->partition = 0;
      break;
  }
  if (in.has_producer_id()) out->producer_id = in.producer_id();
  out->sequence = in.sequence();
  return absl::OkStatus();
}

}  // namespace

absl::Status FromProto(const v1::AppendRequest& in, AppendRequest* out) {
  out->topic = in.topic();
  out->records.clear();
  out->records.reserve(in.records_size());
  for (const v1::Record& r : in.records()) {
    ProducerRecord record;
    if (r.has_key()) record.key = r.key();
    for (const auto& [name, value] : r.headers()) record.headers.emplace(name, value);
    record.payload = r.payload();
    out->records.push_back(std::move(record));
  }
  return AppendFieldsFromProto(in, out);
}

absl::Status FromProto(v1::AppendRequest&& in, AppendRequest* out) {
  out->topic = std::move(*in.mutable_topic());
  out->records.clear();
  out->records.reserve(in.records_size());
  for (v1::Record& r : *in.mutable_records()) {
    ProducerRecord record;
    if (r.has_key()) record.key = std::move(*r.mutable_key());
    for (auto& [name, value] : *r.mutable_headers()) record.headers.emplace(name, std::move(value));
    record.payload = std::move(*r.mutable_payload());
    out->records.push_back(std::move(record));
  }
  return AppendFieldsFromProto(in, out);
}

absl::Status FromProto(const v1::ReadRequest& in, ReadRequest* out) {
  out->topic = in.topic();
  out->partition = in.partition();
  out->offset = in.offset();
  if (in.max_events() != 0) out->max_events = in.max_events();
  if (in.max_bytes() != 0) out->max_bytes = in.max_bytes();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::FetchRequest& in, FetchRequest* out) {
  EM_RETURN_IF_ERROR(FromProto(in.read(), &out->read));
  out->max_wait_ms = in.max_wait_ms();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::GetOffsetsRequest& in, OffsetsRequest* out) {
  out->topic = in.topic();
  out->partition = in.partition();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::SeekTimeRequest& in, SeekTimeRequest* out) {
  out->topic = in.topic();
  out->partition = in.partition();
  out->timestamp_ms = in.timestamp_ms();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::JoinGroupRequest& in, JoinGroupRequest* out) {
  out->group = in.group();
  out->member_id = in.member_id();
  out->topics.assign(in.topics().begin(), in.topics().end());
  out->session_timeout_ms = in.session_timeout_ms();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::HeartbeatRequest& in, HeartbeatRequest* out) {
  out->group = in.group();
  out->member_id = in.member_id();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::LeaveGroupRequest& in, LeaveGroupRequest* out) {
  out->group = in.group();
  out->member_id = in.member_id();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::DescribeGroupRequest& in, DescribeGroupRequest* out) {
  out->group = in.group();
  return absl::OkStatus();
}

absl::Status FromProto(const v1::CommitOffsetsRequest& in, CommitOffsetsRequest* out) {
  out->group = in.group();
  out->member_id = in.member_id();
  out->generation = in.generation();
  out->if_absent = in.if_absent();
  out->offsets.clear();
  for (const v1::CommittedOffset& o : in.offsets()) {
    out->offsets.push_back(CommittedOffset{o.topic(), o.partition(), o.offset(), o.metadata()});
  }
  return absl::OkStatus();
}

absl::Status FromProto(const v1::FetchOffsetsRequest& in, FetchOffsetsRequest* out) {
  out->group = in.group();
  out->topic = in.topic();
  out->partitions.assign(in.partitions().begin(), in.partitions().end());
  return absl::OkStatus();
}

// ----- Results: engine -> proto -------------------------------------------------------------

void ToProto(const TopicDescription& in, v1::TopicDescription* out) {
  out->set_topic(in.topic);
  out->set_partitions(in.partitions);
  RetentionToProto(in.retention, out->mutable_retention());
  out->set_created_ms(in.created_ms);
  for (const PartitionInfo& info : in.partition_info) {
    v1::PartitionInfo* p = out->add_partition_info();
    p->set_partition(info.partition);
    p->set_earliest_offset(info.earliest_offset);
    p->set_next_offset(info.next_offset);
    p->set_retained_bytes(info.retained_bytes);
  }
}

void ToProto(const ListTopicsResult& in, v1::ListTopicsResponse* out) {
  for (const std::string& topic : in.topics) out->add_topics(topic);
}

void ToProto(const DeleteTopicResult&, v1::DeleteTopicResponse*) {}

void ToProto(const AppendResult& in, v1::AppendResponse* out) {
  out->set_topic(in.topic);
  out->set_partition(in.partition);
  out->set_base_offset(in.base_offset);
  out->set_last_offset(in.last_offset);
  out->set_append_time_ms(in.append_time_ms);
  out->set_duplicate(in.duplicate);
}

namespace {

// v1::AppendResponse fields 1-6 (proto3: default values are not written).
size_t AppendResponseSize(const AppendResult& in) {
  size_t n = in.topic.empty() ? 0 : LenFieldSize(in.topic.size());
  // int32 / int64: the 64-bit two's complement of a negative value.
  if (in.partition != 0) n += 1 + VarintSize(static_cast<uint64_t>(int64_t{in.partition}));
  if (in.base_offset != 0) n += 1 + VarintSize(static_cast<uint64_t>(in.base_offset));
  if (in.last_offset != 0) n += 1 + VarintSize(static_cast<uint64_t>(in.last_offset));
  if (in.append_time_ms != 0) n += 1 + VarintSize(static_cast<uint64_t>(in.append_time_ms));
  if (in.duplicate) n += 2;
  return n;
}

void PutAppendResponse(const AppendResult& in, RawWriter& w) {
  if (!in.topic.empty()) w.LenField(1, in.topic);
  if (in.partition != 0) w.VarintField(2, static_cast<uint64_t>(int64_t{in.partition}));
  if (in.base_offset != 0) w.VarintField(3, static_cast<uint64_t>(in.base_offset));
  if (in.last_offset != 0) w.VarintField(4, static_cast<uint64_t>(in.last_offset));
  if (in.append_time_ms != 0) w.VarintField(5, static_cast<uint64_t>(in.append_time_ms));
  if (in.duplicate) w.VarintField(6, 1);
}

std::string SerializedStatus(const absl::Status& status) {
  v1::Status proto;
  StatusToProto(status, &proto);
  return protocol::wire::DeterministicBytes(proto);
}

// StoreResponse field numbers and tags of the append answers (two-byte tags).
constexpr int kStatusField = 2;
constexpr uint64_t kAppendResultTag = 20 << 3 | kLenType;
constexpr uint64_t kMultiAppendResultTag = 25 << 3 | kLenType;

}  // namespace

void SerializeAppendAnswer(uint64_t request_id, bool multi,
                           absl::Span<const absl::StatusOr<AppendResult>> outcomes,
                           std::string* out) {
  const size_t id_size = request_id != 0 ? 1 + VarintSize(request_id) : 0;
  if (!multi) {
    if (outcomes.empty()) {
      RawWriter w(out, id_size);
      if (request_id != 0) w.VarintField(1, request_id);
      w.Finish();
      return;
    }
    const absl::StatusOr<AppendResult>& only = outcomes.front();
    if (!only.ok()) {
      const std::string status = SerializedStatus(only.status());
      RawWriter w(out, id_size + LenFieldSize(status.size()));
      if (request_id != 0) w.VarintField(1, request_id);
      w.LenField(kStatusField, status);
      w.Finish();
      return;
    }
    const size_t size = AppendResponseSize(*only);
    RawWriter w(out, id_size + 2 + VarintSize(size) + size);
    if (request_id != 0) w.VarintField(1, request_id);
    w.Varint(kAppendResultTag);
    w.Varint(size);
    PutAppendResponse(*only, w);
    w.Finish();
    return;
  }
  // AppendOutcome { Status status = 1; AppendResponse append = 2; }: sizes first (errors are
  // rare: their Status is serialized by the library, once).
  std::vector<std::string> errors;
  size_t body = 0;
  for (const absl::StatusOr<AppendResult>& outcome : outcomes) {
    size_t size;
    if (outcome.ok()) {
      size = LenFieldSize(AppendResponseSize(*outcome));
    } else {
      errors.push_back(SerializedStatus(outcome.status()));
      size = LenFieldSize(errors.back().size());
    }
    body += LenFieldSize(size);
  }
  RawWriter w(out, id_size + 2 + VarintSize(body) + body);
  if (request_id != 0) w.VarintField(1, request_id);
  w.Varint(kMultiAppendResultTag);
  w.Varint(body);
  size_t next_error = 0;
  for (const absl::StatusOr<AppendResult>& outcome : outcomes) {
    w.Byte(Tag(1, kLenType));
    if (outcome.ok()) {
      const size_t size = AppendResponseSize(*outcome);
      w.Varint(1 + VarintSize(size) + size);
      w.Byte(Tag(2, kLenType));
      w.Varint(size);
      PutAppendResponse(*outcome, w);
    } else {
      const std::string& status = errors[next_error++];
      w.Varint(LenFieldSize(status.size()));
      w.LenField(1, status);
    }
  }
  w.Finish();
}

namespace {

// A v1::AppendResponse in the plain form (each field once, of its declared wire type).
bool ParseAppendResponse(absl::string_view bytes, AppendResult* out) {
  WireReader r(bytes);
  uint32_t seen = 0;  // bit per field number
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type) || field > 6 || (seen & (1u << field)) != 0) return false;
    seen |= 1u << field;
    if (field == 1) {
      absl::string_view topic;
      if (type != kLenType || !r.Len(&topic) || !IsValidUtf8(topic)) return false;
      out->topic.assign(topic.data(), topic.size());
      continue;
    }
    uint64_t v;
    if (type != kVarintType || !r.Varint(&v)) return false;
    switch (field) {
      case 2:
        out->partition = static_cast<int32_t>(v);
        break;
      case 3:
        out->base_offset = static_cast<int64_t>(v);
        break;
      case 4:
        out->last_offset = static_cast<int64_t>(v);
        break;
      case 5:
        out->append_time_ms = static_cast<int64_t>(v);
        break;
      case 6:
        out->duplicate = v != 0;
        break;
    }
  }
  return true;
}

// An AppendOutcome carrying only its `append` (a success).
bool ParseSuccessOutcome(absl::string_view bytes, AppendResult* out) {
  WireReader r(bytes);
  uint32_t field, type;
  absl::string_view append;
  if (!r.ReadTag(&field, &type) || field != 2 || type != kLenType || !r.Len(&append) || !r.done()) {
    return false;
  }
  return ParseAppendResponse(append, out);
}

}  // namespace

bool ParseAppendAnswer(absl::string_view payload, AppendAnswer* out) {
  out->multi = false;
  out->results.clear();
  uint32_t result_field = 0;
  absl::string_view result;
  if (!ScanEnvelope(payload, 20, 25, &out->request_id, &result_field, &result)) return false;
  out->multi = result_field == 25;
  if (!out->multi) {
    out->results.emplace_back();
    return ParseAppendResponse(result, &out->results.back());
  }
  WireReader m(result);
  while (!m.done()) {
    uint32_t field, type;
    absl::string_view outcome;
    if (!m.ReadTag(&field, &type) || field != 1 || type != kLenType || !m.Len(&outcome)) {
      return false;
    }
    out->results.emplace_back();
    if (!ParseSuccessOutcome(outcome, &out->results.back())) return false;
  }
  return true;
}

namespace {

// v1::StoredRecord of `record` (headers whose name is not UTF-8 are left out, as by ToProto).
size_t StoredRecordSize(const EventRecord& record) {
  size_t n = 0;
  if (record.offset != 0) n += 1 + VarintSize(static_cast<uint64_t>(record.offset));
  if (record.append_time_ms != 0) n += 1 + VarintSize(static_cast<uint64_t>(record.append_time_ms));
  if (record.key.has_value()) n += LenFieldSize(record.key->size());
  for (const auto& [name, value] : record.headers) {
    if (IsValidUtf8(name)) n += LenFieldSize(HeaderEntrySize(name, value));
  }
  if (!record.payload.empty()) n += LenFieldSize(record.payload.size());
  return n;
}

size_t ReadResponseSize(const ReadResult& in, std::vector<size_t>* record_sizes) {
  size_t n = 0;
  record_sizes->clear();
  record_sizes->reserve(in.records.size());
  for (const EventRecord& record : in.records) {
    record_sizes->push_back(StoredRecordSize(record));
    n += LenFieldSize(record_sizes->back());
  }
  if (in.next_offset != 0) n += 1 + VarintSize(static_cast<uint64_t>(in.next_offset));
  if (in.earliest_offset != 0) n += 1 + VarintSize(static_cast<uint64_t>(in.earliest_offset));
  if (in.latest_offset != 0) n += 1 + VarintSize(static_cast<uint64_t>(in.latest_offset));
  return n;
}

constexpr uint64_t kReadResultTag = 21 << 3 | kLenType;
constexpr uint64_t kFetchResultTag = 22 << 3 | kLenType;

}  // namespace

void SerializeReadAnswer(uint64_t request_id, bool fetch, const ReadResult& in, std::string* out) {
  std::vector<size_t> record_sizes;
  const size_t size = ReadResponseSize(in, &record_sizes);
  RawWriter w(out,
              (request_id != 0 ? 1 + VarintSize(request_id) : 0) + 2 + VarintSize(size) + size);
  if (request_id != 0) w.VarintField(1, request_id);
  w.Varint(fetch ? kFetchResultTag : kReadResultTag);
  w.Varint(size);
  for (size_t i = 0; i < in.records.size(); ++i) {
    const EventRecord& record = in.records[i];
    w.Byte(Tag(1, kLenType));
    w.Varint(record_sizes[i]);
    if (record.offset != 0) w.VarintField(1, static_cast<uint64_t>(record.offset));
    if (record.append_time_ms != 0) {
      w.VarintField(2, static_cast<uint64_t>(record.append_time_ms));
    }
    if (record.key.has_value()) w.LenField(3, *record.key);
    for (const auto& [name, value] : record.headers) {  // std::map: key order
      if (!IsValidUtf8(name)) continue;
      w.Byte(Tag(4, kLenType));
      w.Varint(HeaderEntrySize(name, value));
      w.LenField(1, name);
      w.LenField(2, value);
    }
    if (!record.payload.empty()) w.LenField(5, record.payload);
  }
  if (in.next_offset != 0) w.VarintField(2, static_cast<uint64_t>(in.next_offset));
  if (in.earliest_offset != 0) w.VarintField(3, static_cast<uint64_t>(in.earliest_offset));
  if (in.latest_offset != 0) w.VarintField(4, static_cast<uint64_t>(in.latest_offset));
  w.Finish();
}

namespace {

bool ParseStoredRecord(absl::string_view bytes, EventRecord* record) {
  WireReader r(bytes);
  bool has_offset = false, has_time = false, has_payload = false;
  while (!r.done()) {
    uint32_t field, type;
    if (!r.ReadTag(&field, &type)) return false;
    uint64_t v;
    absl::string_view b;
    if (field == 1 && type == kVarintType && !has_offset) {
      if (!r.Varint(&v)) return false;
      record->offset = static_cast<int64_t>(v);
      has_offset = true;
    } else if (field == 2 && type == kVarintType && !has_time) {
      if (!r.Varint(&v)) return false;
      record->append_time_ms = static_cast<int64_t>(v);
      has_time = true;
    } else if (field == 3 && type == kLenType && !record->key.has_value()) {
      if (!r.Len(&b)) return false;
      record->key.emplace(b.data(), b.size());
    } else if (field == 4 && type == kLenType) {
      if (!r.Len(&b) || !ParseHeaderEntry(b, &record->headers)) return false;
    } else if (field == 5 && type == kLenType && !has_payload) {
      if (!r.Len(&b)) return false;
      record->payload.assign(b.data(), b.size());
      has_payload = true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ParseReadAnswer(absl::string_view payload, ReadAnswer* out) {
  out->fetch = false;
  out->result = ReadResult{};
  uint32_t result_field = 0;
  absl::string_view result;
  if (!ScanEnvelope(payload, 21, 22, &out->request_id, &result_field, &result)) return false;
  out->fetch = result_field == 22;
  WireReader m(result);
  bool has_next = false, has_earliest = false, has_latest = false;
  while (!m.done()) {
    uint32_t field, type;
    if (!m.ReadTag(&field, &type)) return false;
    uint64_t v;
    absl::string_view b;
    if (field == 1 && type == kLenType) {
      if (!m.Len(&b)) return false;
      out->result.records.emplace_back();
      if (!ParseStoredRecord(b, &out->result.records.back())) return false;
    } else if (field == 2 && type == kVarintType && !has_next) {
      if (!m.Varint(&v)) return false;
      out->result.next_offset = static_cast<int64_t>(v);
      has_next = true;
    } else if (field == 3 && type == kVarintType && !has_earliest) {
      if (!m.Varint(&v)) return false;
      out->result.earliest_offset = static_cast<int64_t>(v);
      has_earliest = true;
    } else if (field == 4 && type == kVarintType && !has_latest) {
      if (!m.Varint(&v)) return false;
      out->result.latest_offset = static_cast<int64_t>(v);
      has_latest = true;
    } else {
      return false;
    }
  }
  return true;
}

void ToProto(const ReadResult& in, v1::ReadResponse* out) {
  out->mutable_records()->Reserve(static_cast<int>(in.records.size()));
  for (const EventRecord& record : in.records) {
    v1::StoredRecord* r = out->add_records();
    r->set_offset(record.offset);
    r->set_append_time_ms(record.append_time_ms);
    if (record.key.has_value()) r->set_key(*record.key);
    for (const auto& [name, value] : record.headers) {
      // Header names were checked as UTF-8 when they arrived over the wire; an embedded writer
      // may have stored others, which cannot travel in a proto3 map key.
      if (IsValidUtf8(name)) (*r->mutable_headers())[name] = value;
    }
    r->set_payload(record.payload);
  }
  out->set_next_offset(in.next_offset);
  out->set_earliest_offset(in.earliest_offset);
  out->set_latest_offset(in.latest_offset);
}

void ToProto(const OffsetsResult& in, v1::GetOffsetsResponse* out) {
  out->set_earliest_offset(in.earliest_offset);
  out->set_latest_offset(in.latest_offset);
}

void ToProto(const SeekTimeResult& in, v1::SeekTimeResponse* out) {
  out->set_found(in.found);
  out->set_offset(in.offset);
  out->set_timestamp_ms(in.timestamp_ms);
}

void ToProto(const MemberAssignment& in, v1::MemberAssignment* out) {
  out->set_group(in.group);
  out->set_member_id(in.member_id);
  out->set_generation(in.generation);
  for (const TopicPartition& tp : in.partitions) TopicPartitionToProto(tp, out->add_partitions());
}

void ToProto(const LeaveGroupResult& in, v1::LeaveGroupResponse* out) {
  out->set_generation(in.generation);
}

void ToProto(const GroupDescription& in, v1::GroupDescription* out) {
  out->set_group(in.group);
  out->set_generation(in.generation);
  for (const GroupMemberInfo& member : in.members) {
    v1::GroupMemberInfo* m = out->add_members();
    m->set_member_id(member.member_id);
    for (const std::string& topic : member.topics) m->add_topics(topic);
    for (const TopicPartition& tp : member.partitions) {
      TopicPartitionToProto(tp, m->add_partitions());
    }
    m->set_last_heartbeat_ms(member.last_heartbeat_ms);
    m->set_session_timeout_ms(member.session_timeout_ms);
  }
}

void ToProto(const CommitOffsetsResult&, v1::CommitOffsetsResponse*) {}

void ToProto(const FetchOffsetsResult& in, v1::FetchOffsetsResponse* out) {
  for (const CommittedOffset& offset : in.offsets) {
    v1::CommittedOffset* o = out->add_offsets();
    o->set_topic(offset.topic);
    o->set_partition(offset.partition);
    o->set_offset(offset.offset);
    o->set_metadata(offset.metadata);
  }
}

void ToProto(const RetentionPassResult& in, v1::RunRetentionResponse* out) {
  out->set_partitions_trimmed(in.partitions_trimmed);
  out->set_events_deleted(in.events_deleted);
  out->set_bytes_deleted(in.bytes_deleted);
}

// ----- Results: proto -> engine -------------------------------------------------------------

void FromProto(const v1::TopicDescription& in, TopicDescription* out) {
  out->topic = in.topic();
  out->partitions = in.partitions();
  RetentionFromProto(in.retention(), &out->retention);
  out->created_ms = in.created_ms();
  out->partition_info.clear();
  for (const v1::PartitionInfo& p : in.partition_info()) {
    out->partition_info.push_back(
        PartitionInfo{p.partition(), p.earliest_offset(), p.next_offset(), p.retained_bytes()});
  }
}

void FromProto(const v1::ListTopicsResponse& in, ListTopicsResult* out) {
  out->topics.assign(in.topics().begin(), in.topics().end());
}

void FromProto(const v1::DeleteTopicResponse&, DeleteTopicResult*) {}

void FromProto(const v1::AppendResponse& in, AppendResult* out) {
  out->topic = in.topic();
  out->partition = in.partition();
  out->base_offset = in.base_offset();
  out->last_offset = in.last_offset();
  out->append_time_ms = in.append_time_ms();
  out->duplicate = in.duplicate();
}

void FromProto(const v1::ReadResponse& in, ReadResult* out) {
  out->records.clear();
  out->records.reserve(in.records_size());
  for (const v1::StoredRecord& r : in.records()) {
    EventRecord record;
    record.offset = r.offset();
    record.append_time_ms = r.append_time_ms();
    if (r.has_key()) record.key = r.key();
    for (const auto& [name, value] : r.headers()) record.headers.emplace(name, value);
    record.payload = r.payload();
    out->records.push_back(std::move(record));
  }
  out->next_offset = in.next_offset();
  out->earliest_offset = in.earliest_offset();
  out->latest_offset = in.latest_offset();
}

void FromProto(const v1::GetOffsetsResponse& in, OffsetsResult* out) {
  out->earliest_offset = in.earliest_offset();
  out->latest_offset = in.latest_offset();
}

void FromProto(const v1::SeekTimeResponse& in, SeekTimeResult* out) {
  out->found = in.found();
  out->offset = in.offset();
  out->timestamp_ms = in.timestamp_ms();
}

void FromProto(const v1::MemberAssignment& in, MemberAssignment* out) {
  out->group = in.group();
  out->member_id = in.member_id();
  out->generation = in.generation();
  out->partitions.clear();
  for (const v1::TopicPartition& tp : in.partitions()) {
    out->partitions.push_back(TopicPartitionFromProto(tp));
  }
}

void FromProto(const v1::LeaveGroupResponse& in, LeaveGroupResult* out) {
  out->generation = in.generation();
}

void FromProto(const v1::GroupDescription& in, GroupDescription* out) {
  out->group = in.group();
  out->generation = in.generation();
  out->members.clear();
  for (const v1::GroupMemberInfo& m : in.members()) {
    GroupMemberInfo member;
    member.member_id = m.member_id();
    member.topics.assign(m.topics().begin(), m.topics().end());
    for (const v1::TopicPartition& tp : m.partitions()) {
      member.partitions.push_back(TopicPartitionFromProto(tp));
    }
    member.last_heartbeat_ms = m.last_heartbeat_ms();
    member.session_timeout_ms = m.session_timeout_ms();
    out->members.push_back(std::move(member));
  }
}

void FromProto(const v1::CommitOffsetsResponse&, CommitOffsetsResult*) {}

void FromProto(const v1::FetchOffsetsResponse& in, FetchOffsetsResult* out) {
  out->offsets.clear();
  for (const v1::CommittedOffset& o : in.offsets()) {
    out->offsets.push_back(CommittedOffset{o.topic(), o.partition(), o.offset(), o.metadata()});
  }
}

void FromProto(const v1::RunRetentionResponse& in, RetentionPassResult* out) {
  out->partitions_trimmed = in.partitions_trimmed();
  out->events_deleted = in.events_deleted();
  out->bytes_deleted = in.bytes_deleted();
}

}  // namespace eventmesh::store::wire
