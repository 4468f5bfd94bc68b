#include "eventmesh/store/engine/keys.h"

#include "eventmesh/common/big_endian.h"

namespace eventmesh::store::keys {
namespace {

void AppendBigEndian64(std::string* out, uint64_t v) {
  char buf[8];
  StoreBigEndian64(buf, v);
  out->append(buf, sizeof(buf));
}

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint from *in and advances it; false on truncation or overflow.
bool ReadVarint(absl::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>((*in)[0]);
    in->remove_prefix(1);
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool ReadFixed64(absl::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = LoadBigEndian64(in->data());
  in->remove_prefix(8);
  return true;
}

bool ReadFixed32(absl::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = LoadBigEndian32(in->data());
  in->remove_prefix(4);
  return true;
}

bool ReadLengthPrefixed(absl::string_view* in, std::string* out) {
  uint64_t len = 0;
  if (!ReadVarint(in, &len) || len > in->size()) return false;
  out->assign(in->data(), len);
  in->remove_prefix(len);
  return true;
}

// Reads a length-prefixed string as a view into *in and advances past it (nothing copied).
bool ReadLengthPrefixedView(absl::string_view* in, absl::string_view* out) {
  uint64_t len = 0;
  if (!ReadVarint(in, &len) || len > in->size()) return false;
  *out = in->substr(0, len);
  in->remove_prefix(len);
  return true;
}

void AppendLengthPrefixed(std::string* out, absl::string_view s) {
  AppendVarint(out, s.size());
  out->append(s.data(), s.size());
}

constexpr unsigned char kRecordFormatV1 = 1;
constexpr unsigned char kRecordFormatBatch = 2;
constexpr unsigned char kRecordHasKey = 0x80;

}  // namespace

std::string PartitionPrefix(uint32_t topic_id, uint32_t partition) {
  std::string out;
  out.reserve(8);
  AppendBigEndian32(&out, topic_id);
  AppendBigEndian32(&out, partition);
  return out;
}

std::string TopicPrefix(uint32_t topic_id) {
  std::string out;
  AppendBigEndian32(&out, topic_id);
  return out;
}

void StoreRecordKey(char* out, uint32_t topic_id, uint32_t partition, uint64_t offset) {
  StoreBigEndian32(out, topic_id);
  StoreBigEndian32(out + 4, partition);
  StoreBigEndian64(out + 8, offset);
}

void AppendRecordKey(std::string* out, uint32_t topic_id, uint32_t partition, uint64_t offset) {
  char buf[kRecordKeySize];
  StoreRecordKey(buf, topic_id, partition, offset);
  out->append(buf, sizeof(buf));
}

void StoreTimeIndexKey(char* out, uint32_t topic_id, uint32_t partition, uint64_t append_ms,
                       uint64_t base_offset) {
  StoreBigEndian32(out, topic_id);
  StoreBigEndian32(out + 4, partition);
  StoreBigEndian64(out + 8, append_ms);
  StoreBigEndian64(out + 16, base_offset);
}

void StoreTimeIndexValue(char* out, const TimeIndexValue& value) {
  StoreBigEndian64(out, value.cumulative_bytes_before);
  StoreBigEndian32(out + 8, value.events);
  StoreBigEndian64(out + 12, value.bytes);
}

std::string RecordKey(uint32_t topic_id, uint32_t partition, uint64_t offset) {
  std::string out;
  out.reserve(16);
  AppendRecordKey(&out, topic_id, partition, offset);
  return out;
}

bool DecodeRecordKeyOffset(absl::string_view key, uint64_t* offset) {
  if (key.size() != 16) return false;
  *offset = LoadBigEndian64(key.data() + 8);
  return true;
}

std::string TimeIndexKey(uint32_t topic_id, uint32_t partition, uint64_t append_ms,
                         uint64_t base_offset) {
  char buf[kTimeIndexKeySize];
  StoreTimeIndexKey(buf, topic_id, partition, append_ms, base_offset);
  return std::string(buf, sizeof(buf));
}

bool DecodeTimeIndexKey(absl::string_view key, uint64_t* append_ms, uint64_t* base_offset) {
  if (key.size() != 24) return false;
  *append_ms = LoadBigEndian64(key.data() + 8);
  *base_offset = LoadBigEndian64(key.data() + 16);
  return true;
}

std::string EncodeTimeIndexValue(const TimeIndexValue& value) {
  char buf[kTimeIndexValueSize];
  StoreTimeIndexValue(buf, value);
  return std::string(buf, sizeof(buf));
}

bool DecodeTimeIndexValue(absl::string_view data, TimeIndexValue* value) {
  return ReadFixed64(&data, &value->cumulative_bytes_before) &&
         ReadFixed32(&data, &value->events) && ReadFixed64(&data, &value->bytes) && data.empty();
}

std::string PrefixSuccessor(absl::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(out.back());
    if (last != 0xff) {
      ++last;
      return out;
    }
    out.pop_back();
  }
  return out;  // all 0xff: no successor; callers never pass such prefixes
}

std::string TopicMetaKey(absl::string_view topic) {
  return std::string(kTopicMetaPrefix) + std::string(topic);
}

std::string EncodeTopicMeta(const TopicMeta& meta) {
  std::string out;
  out.push_back(1);  // format version
  AppendBigEndian32(&out, meta.id);
  AppendBigEndian32(&out, static_cast<uint32_t>(meta.partitions));
  AppendBigEndian64(&out, static_cast<uint64_t>(meta.retention.max_age_ms));
  AppendBigEndian64(&out, static_cast<uint64_t>(meta.retention.max_bytes));
  AppendBigEndian64(&out, static_cast<uint64_t>(meta.created_ms));
  return out;
}

bool DecodeTopicMeta(absl::string_view data, TopicMeta* meta) {
  if (data.empty() || data[0] != 1) return false;
  data.remove_prefix(1);
  uint32_t partitions = 0;
  uint64_t age = 0, bytes = 0, created = 0;
  if (!ReadFixed32(&data, &meta->id) || !ReadFixed32(&data, &partitions) ||
      !ReadFixed64(&data, &age) || !ReadFixed64(&data, &bytes) || !ReadFixed64(&data, &created) ||
      !data.empty()) {
    return false;
  }
  meta->partitions = static_cast<int32_t>(partitions);
  meta->retention.max_age_ms = static_cast<int64_t>(age);
  meta->retention.max_bytes = static_cast<int64_t>(bytes);
  meta->created_ms = static_cast<int64_t>(created);
  return true;
}

std::string LogStartKey(uint32_t topic_id, uint32_t partition) {
  return std::string(kLogStartPrefix) + PartitionPrefix(topic_id, partition);
}

std::string ProducerKey(uint32_t topic_id, uint32_t partition, uint64_t producer_id) {
  std::string out = std::string(kProducerPrefix) + PartitionPrefix(topic_id, partition);
  AppendBigEndian64(&out, producer_id);
  return out;
}

bool DecodeProducerKey(absl::string_view key, uint32_t* topic_id, uint32_t* partition,
                       uint64_t* producer_id) {
  if (key.size() != 17 || key[0] != kProducerPrefix[0]) return false;
  *topic_id = LoadBigEndian32(key.data() + 1);
  *partition = LoadBigEndian32(key.data() + 5);
  *producer_id = LoadBigEndian64(key.data() + 9);
  return true;
}

std::string EncodeProducerWindow(const std::vector<ProducerBatch>& window) {
  std::string out;
  AppendVarint(&out, window.size());
  for (const ProducerBatch& b : window) {
    AppendBigEndian64(&out, static_cast<uint64_t>(b.sequence));
    AppendBigEndian64(&out, static_cast<uint64_t>(b.base_offset));
    AppendBigEndian64(&out, static_cast<uint64_t>(b.last_offset));
    AppendBigEndian64(&out, static_cast<uint64_t>(b.append_time_ms));
  }
  return out;
}

bool DecodeProducerWindow(absl::string_view data, std::vector<ProducerBatch>* window) {
  uint64_t n = 0;
  if (!ReadVarint(&data, &n) || n > data.size() / 32) return false;
  window->clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t seq, base, last, time;
    if (!ReadFixed64(&data, &seq) || !ReadFixed64(&data, &base) || !ReadFixed64(&data, &last) ||
        !ReadFixed64(&data, &time)) {
      return false;
    }
    window->push_back({static_cast<int64_t>(seq), static_cast<int64_t>(base),
                       static_cast<int64_t>(last), static_cast<int64_t>(time)});
  }
  return data.empty();
}

std::string GroupOffsetPrefix(absl::string_view group) {
  std::string out(kGroupOffsetPrefix);
  out.append(group.data(), group.size());
  out.push_back('\0');
  return out;
}

std::string GroupOffsetKey(absl::string_view group, uint32_t topic_id, uint32_t partition) {
  return GroupOffsetPrefix(group) + PartitionPrefix(topic_id, partition);
}

bool DecodeGroupOffsetKey(absl::string_view key, std::string* group, uint32_t* topic_id,
                          uint32_t* partition) {
  if (key.size() < 10 || key[0] != kGroupOffsetPrefix[0]) return false;
  const size_t nul = key.size() - 9;
  if (key[nul] != '\0') return false;
  group->assign(key.data() + 1, nul - 1);
  *topic_id = LoadBigEndian32(key.data() + nul + 1);
  *partition = LoadBigEndian32(key.data() + nul + 5);
  return true;
}

std::string EncodeGroupOffset(int64_t offset, absl::string_view metadata) {
  std::string out;
  AppendBigEndian64(&out, static_cast<uint64_t>(offset));
  out.append(metadata.data(), metadata.size());
  return out;
}

bool DecodeGroupOffset(absl::string_view data, int64_t* offset, std::string* metadata) {
  uint64_t v = 0;
  if (!ReadFixed64(&data, &v)) return false;
  *offset = static_cast<int64_t>(v);
  metadata->assign(data.data(), data.size());
  return true;
}

std::string GroupGenerationKey(absl::string_view group) {
  return std::string(kGroupGenerationPrefix) + std::string(group);
}

int64_t EventBytes(const ProducerRecord& record) {
  int64_t size = static_cast<int64_t>(RecordPayload(record).size());
  if (record.key.has_value()) size += static_cast<int64_t>(record.key->size());
  for (const auto& [k, v] : record.headers) size += static_cast<int64_t>(k.size() + v.size());
  return size;
}

void EncodeRecordValuePrefix(std::string* out, int64_t append_time_ms,
                             const ProducerRecord& record) {
  out->push_back(static_cast<char>(kRecordFormatV1 | (record.key ? kRecordHasKey : 0)));
  AppendBigEndian64(out, static_cast<uint64_t>(append_time_ms));
  if (record.key.has_value()) AppendLengthPrefixed(out, *record.key);
  AppendVarint(out, record.headers.size());
  for (const auto& [k, v] : record.headers) {
    AppendLengthPrefixed(out, k);
    AppendLengthPrefixed(out, v);
  }
}

void EncodeRecordValue(std::string* out, int64_t append_time_ms, const ProducerRecord& record) {
  EncodeRecordValuePrefix(out, append_time_ms, record);
  const absl::string_view payload = RecordPayload(record);
  out->append(payload.data(), payload.size());
}

void PatchRecordAppendTime(char* value, int64_t append_time_ms) {
  StoreBigEndian64(value + 1, static_cast<uint64_t>(append_time_ms));
}

bool DecodeRecordValue(absl::string_view data, int64_t offset, EventRecord* record) {
  if (data.empty()) return false;
  const auto flags = static_cast<unsigned char>(data[0]);
  if ((flags & 0x7f) != kRecordFormatV1) return false;
  data.remove_prefix(1);
  uint64_t time = 0;
  if (!ReadFixed64(&data, &time)) return false;
  record->offset = offset;
  record->append_time_ms = static_cast<int64_t>(time);
  if (flags & kRecordHasKey) {
    std::string key;
    if (!ReadLengthPrefixed(&data, &key)) return false;
    record->key = std::move(key);
  } else {
    record->key.reset();
  }
  uint64_t headers = 0;
  if (!ReadVarint(&data, &headers) || headers > data.size()) return false;
  record->headers.clear();
  for (uint64_t i = 0; i < headers; ++i) {
    std::string k, v;
    if (!ReadLengthPrefixed(&data, &k) || !ReadLengthPrefixed(&data, &v)) return false;
    record->headers.emplace(std::move(k), std::move(v));
  }
  record->payload.assign(data.data(), data.size());
  return true;
}

size_t StoreRecordBatchHeader(char* out, int64_t append_time_ms, uint64_t count) {
  out[0] = static_cast<char>(kRecordFormatBatch);
  StoreBigEndian64(out + 1, static_cast<uint64_t>(append_time_ms));
  size_t n = 9;
  while (count >= 0x80) {
    out[n++] = static_cast<char>((count & 0x7f) | 0x80);
    count >>= 7;
  }
  out[n++] = static_cast<char>(count);
  return n;
}

void EncodeBatchedRecordPrefix(std::string* out, const ProducerRecord& record) {
  out->push_back(static_cast<char>(record.key ? kRecordHasKey : 0));
  if (record.key.has_value()) AppendLengthPrefixed(out, *record.key);
  AppendVarint(out, record.headers.size());
  for (const auto& [k, v] : record.headers) {
    AppendLengthPrefixed(out, k);
    AppendLengthPrefixed(out, v);
  }
  AppendVarint(out, RecordPayload(record).size());
}

void EncodeRecordBatch(std::string* out, int64_t append_time_ms,
                       const std::vector<ProducerRecord>& records) {
  char header[kMaxRecordBatchHeaderSize];
  out->append(header, StoreRecordBatchHeader(header, append_time_ms, records.size()));
  for (const ProducerRecord& record : records) {
    EncodeBatchedRecordPrefix(out, record);
    const absl::string_view payload = RecordPayload(record);
    out->append(payload.data(), payload.size());
  }
}

bool RecordBatchReader::Init(absl::string_view value, int64_t last_offset) {
  if (value.empty() || last_offset < 0) return false;
  const auto format = static_cast<unsigned char>(value[0]) & 0x7f;
  if (format == kRecordFormatV1) {
    single_ = true;
    rest_ = value;
    base_offset_ = last_offset;
  } else if (format == kRecordFormatBatch && value[0] == static_cast<char>(kRecordFormatBatch)) {
    single_ = false;
    rest_ = value.substr(1);
    uint64_t time = 0, count = 0;
    if (!ReadFixed64(&rest_, &time) || !ReadVarint(&rest_, &count)) return false;
    // Every record takes at least 3 bytes (flags, header count, payload length).
    if (count == 0 || count > rest_.size() / 3 || count > static_cast<uint64_t>(last_offset) + 1) {
      return false;
    }
    append_time_ms_ = static_cast<int64_t>(time);
    base_offset_ = last_offset - static_cast<int64_t>(count) + 1;
  } else {
    return false;
  }
  last_offset_ = last_offset;
  next_offset_ = base_offset_;
  return true;
}

bool RecordBatchReader::Next(EventRecord* record, int64_t* encoded_bytes) {
  if (done()) return false;
  if (single_) {
    *encoded_bytes = static_cast<int64_t>(rest_.size());
    if (record != nullptr && !DecodeRecordValue(rest_, next_offset_, record)) return false;
    rest_ = absl::string_view();
    ++next_offset_;
    return true;
  }
  const size_t before = rest_.size();
  if (rest_.empty()) return false;
  const auto flags = static_cast<unsigned char>(rest_[0]);
  if ((flags & ~kRecordHasKey) != 0) return false;
  rest_.remove_prefix(1);
  // One pass over views; the strings are copied only into a record asked for.
  const bool has_key = (flags & kRecordHasKey) != 0;
  absl::string_view key, name, value, payload;
  if (has_key && !ReadLengthPrefixedView(&rest_, &key)) return false;
  uint64_t headers = 0;
  if (!ReadVarint(&rest_, &headers) || headers > rest_.size()) return false;
  if (record != nullptr) record->headers.clear();
  for (uint64_t i = 0; i < headers; ++i) {
    if (!ReadLengthPrefixedView(&rest_, &name) || !ReadLengthPrefixedView(&rest_, &value)) {
      return false;
    }
    if (record != nullptr) record->headers.emplace(std::string(name), std::string(value));
  }
  if (!ReadLengthPrefixedView(&rest_, &payload)) return false;
  if (record != nullptr) {
    record->offset = next_offset_;
    record->append_time_ms = append_time_ms_;
    if (has_key) {
      record->key = std::string(key);
    } else {
      record->key.reset();
    }
    record->payload.assign(payload.data(), payload.size());
  }
  *encoded_bytes = static_cast<int64_t>(before - rest_.size());
  ++next_offset_;
  // The last record ends the value exactly.
  return !done() || rest_.empty();
}

uint32_t Murmur2(absl::string_view data) {
  const uint32_t seed = 0x9747b28c;
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const auto length = static_cast<uint32_t>(data.size());
  uint32_t h = seed ^ length;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const uint32_t blocks = length / 4;
  for (uint32_t i = 0; i < blocks; ++i) {
    const uint32_t i4 = i * 4;
    uint32_t k = uint32_t{bytes[i4]} | (uint32_t{bytes[i4 + 1]} << 8) |
                 (uint32_t{bytes[i4 + 2]} << 16) | (uint32_t{bytes[i4 + 3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint32_t tail = length & ~3u;
  switch (length % 4) {
    case 3:
      h ^= uint32_t{bytes[tail + 2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{bytes[tail + 1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{bytes[tail]};
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

int32_t PartitionForKey(absl::string_view key, int32_t partitions) {
  return static_cast<int32_t>((Murmur2(key) & 0x7fffffffu) % static_cast<uint32_t>(partitions));
}

}  // namespace eventmesh::store::keys
