// Fuzz target for the records column family's value reader: bytes as RocksDB would hand them
// back from a damaged or foreign data directory.
//
// Input layout: bytes 0-1 = the key's last offset (little-endian u16), the rest = the value.
//
// Properties, any violation aborts:
//   - RecordBatchReader never reads outside the value: Init and Next either fail or succeed,
//     offsets run from base_offset() up by one, and the byte shares of the records never add up
//     to more than the value.
//   - Skipping every record (Next(nullptr, ...)) of a value that decodes succeeds, with the
//     same byte shares.
//   - A value that decodes completely re-encodes (EncodeRecordBatch) to a value that decodes to
//     the same records.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/store/engine/keys.h"

namespace {

namespace keys = eventmesh::store::keys;
using eventmesh::store::EventRecord;
using eventmesh::store::ProducerRecord;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "record_batch_fuzzer: %s\n", what);
  std::abort();
}

// Decodes every record of `value`; false if any part is corrupt.
bool DecodeAll(absl::string_view value, int64_t last, std::vector<EventRecord>* records) {
  keys::RecordBatchReader reader;
  if (!reader.Init(value, last)) return false;
  if (reader.base_offset() < 0 || reader.base_offset() > last) Fail("base offset out of range");
  int64_t shares = 0;
  while (!reader.done()) {
    const int64_t offset = reader.next_offset();
    EventRecord record;
    int64_t bytes = 0;
    if (!reader.Next(&record, &bytes)) return false;
    if (record.offset != offset || reader.next_offset() != offset + 1) Fail("offsets not dense");
    if (bytes <= 0) Fail("a record without bytes");
    shares += bytes;
    if (shares > static_cast<int64_t>(value.size())) Fail("byte shares exceed the value");
    records->push_back(std::move(record));
  }
  if (static_cast<int64_t>(records->size()) != last - reader.base_offset() + 1) {
    Fail("record count differs from the header's");
  }
  // Skipping (no record) walks the same bytes.
  keys::RecordBatchReader skipper;
  if (!skipper.Init(value, last)) Fail("Init differs between two readers");
  int64_t skipped = 0;
  while (!skipper.done()) {
    int64_t bytes = 0;
    if (!skipper.Next(nullptr, &bytes)) Fail("a record that decodes does not skip");
    skipped += bytes;
  }
  if (skipped != shares) Fail("skipping counts other bytes than decoding");
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const int64_t last = data[0] | (data[1] << 8);
  const absl::string_view value(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::vector<EventRecord> records;
  if (!DecodeAll(value, last, &records)) return 0;

  std::vector<ProducerRecord> again;
  for (const EventRecord& r : records) {
    ProducerRecord p;
    p.key = r.key;
    p.headers = r.headers;
    p.payload = r.payload;
    again.push_back(std::move(p));
  }
  std::string encoded;
  keys::EncodeRecordBatch(&encoded, records.front().append_time_ms, again);
  std::vector<EventRecord> decoded;
  if (!DecodeAll(encoded, last, &decoded)) Fail("a re-encoded batch does not decode");
  if (decoded != records) Fail("a re-encoded batch decodes to other records");
  return 0;
}
