#include "eventmesh/protocol/proto/field_count.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "eventmesh/protocol/proto/store.pb.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::wire {
namespace {

namespace v1 = eventmesh::store::v1;

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();

v1::StoreRequest AppendOf(int records) {
  v1::StoreRequest request;
  request.set_request_id(7);
  v1::AppendRequest* append = request.mutable_append();
  append->set_topic("orders");
  for (int i = 0; i < records; ++i) {
    v1::Record* record = append->add_records();
    record->set_payload("payload");
    (*record->mutable_headers())["k"] = "v";
  }
  return request;
}

TEST(FieldCountTest, CountsEveryLevel) {
  // request_id, append; topic; per record: the record, payload, a headers entry, its key and
  // value.
  const std::string bytes = AppendOf(3).SerializeAsString();
  EXPECT_EQ(CountMessageFields(v1::StoreRequest::descriptor(), bytes, kNoLimit), 3u + 3 * 5);
  // Past the limit the count stops, above it.
  EXPECT_GT(CountMessageFields(v1::StoreRequest::descriptor(), bytes, 4), 4u);
  EXPECT_TRUE(WithinFieldLimit(v1::StoreRequest::descriptor(), bytes, 18));
  EXPECT_FALSE(WithinFieldLimit(v1::StoreRequest::descriptor(), bytes, 17));
}

// The bound WithinFieldLimit skips counting by: no byte string, well-formed or not, holds more
// counted fields than it has bytes. Checked on random bytes and on mutations of real messages
// (nested messages, maps, groups and stray end-group tags among them).
TEST(FieldCountTest, NeverMoreFieldsThanBytes) {
  std::mt19937 rng(20261207);
  std::vector<std::string> seeds = {
      AppendOf(1).SerializeAsString(), AppendOf(4).SerializeAsString(),
      std::string("\x0b\x0c\x0b\x0c\x0c\x0c", 6),  // groups, stray ends
      std::string("\xa2\x01\x02\x1a\x00", 5)};     // nested, empty
  const std::vector<const google::protobuf::Descriptor*> descriptors = {
      v1::StoreRequest::descriptor(), v1::AppendRequest::descriptor(), nullptr};
  for (int round = 0; round < 20000; ++round) {
    std::string bytes;
    if (round % 2 == 0) {
      bytes.resize(rng() % 48);
      // Bytes that read as short tags and lengths often: small values, group and end tags.
      for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 16);
    } else {
      bytes = seeds[rng() % seeds.size()];
      for (int m = 0; m < 3 && !bytes.empty(); ++m) {
        bytes[rng() % bytes.size()] = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 16);
      }
    }
    for (const google::protobuf::Descriptor* descriptor : descriptors) {
      const size_t fields = CountMessageFields(descriptor, bytes, kNoLimit);
      ASSERT_LE(fields, bytes.size()) << "round " << round;
      for (size_t limit = 0; limit <= bytes.size() + 1; ++limit) {
        ASSERT_EQ(WithinFieldLimit(descriptor, bytes, limit),
                  CountMessageFields(descriptor, bytes, limit) <= limit)
            << "round " << round << " limit " << limit;
      }
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::wire
