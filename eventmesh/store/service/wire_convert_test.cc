#include "eventmesh/store/service/wire_convert.h"

#include <cstdint>
#include <string>
#include <vector>

#include "eventmesh/protocol/proto/store.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "gtest/gtest.h"

namespace eventmesh::store::wire {
namespace {

// What the protobuf library writes for ToProto(request), map entries in key order.
std::string LibraryBytes(const AppendRequest& request) {
  v1::AppendRequest proto;
  EXPECT_TRUE(ToProto(request, &proto).ok());
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    proto.SerializeToCodedStream(&coded);
  }
  return bytes;
}

std::vector<AppendRequest> Requests() {
  std::vector<AppendRequest> requests;
  AppendRequest plain;
  plain.topic = "orders";
  plain.partition = 3;
  ProducerRecord record;
  record.payload = std::string(256, 'x');
  plain.records.push_back(record);
  requests.push_back(plain);

  AppendRequest rich = plain;
  rich.topic = std::string(300, 't');  // a length over one varint byte
  rich.partition = -1;                 // int32 written as ten bytes
  rich.records.clear();
  ProducerRecord keyed;
  keyed.key = "";  // present and empty
  keyed.headers = {{"zz", ""}, {"id", "e-1"}, {"type", std::string(200, 'y')}};
  rich.records.push_back(keyed);  // no payload
  ProducerRecord big;
  big.key = "k";
  big.payload = std::string(70000, '\x80');
  rich.records.push_back(big);
  rich.producer_id = 0;
  rich.sequence = -5;
  requests.push_back(rich);

  AppendRequest hashed;  // no topic, no records
  hashed.strategy = PartitionStrategy::kKeyHash;
  requests.push_back(hashed);
  hashed.partition_key = "customer-7";
  hashed.producer_id = UINT64_MAX;
  hashed.sequence = INT64_MAX;
  requests.push_back(hashed);

  AppendRequest round_robin = plain;
  round_robin.strategy = PartitionStrategy::kRoundRobin;
  round_robin.partition = 0;
  requests.push_back(round_robin);
  AppendRequest zero = plain;
  zero.partition = 0;  // the oneof member is written even when zero
  requests.push_back(zero);
  return requests;
}

TEST(WireConvertTest, SerializeAppendRequestWritesWhatTheProtobufLibraryWrites) {
  for (const AppendRequest& request : Requests()) {
    std::string bytes = "already here|";
    ASSERT_TRUE(SerializeAppendRequest(request, &bytes).ok());
    EXPECT_EQ(bytes, "already here|" + LibraryBytes(request)) << request.topic.size();
    // And the server reads back the same request.
    v1::AppendRequest parsed;
    ASSERT_TRUE(parsed.ParseFromArray(bytes.data() + 13, static_cast<int>(bytes.size() - 13)));
    AppendRequest back;
    ASSERT_TRUE(FromProto(parsed, &back).ok());
    EXPECT_EQ(back.topic, request.topic);
    EXPECT_EQ(back.strategy, request.strategy);
    EXPECT_EQ(back.records.size(), request.records.size());
    EXPECT_EQ(back.producer_id, request.producer_id);
    EXPECT_EQ(back.sequence, request.sequence);
  }
}

TEST(WireConvertTest, SerializeAppendRequestRefusesWhatToProtoRefuses) {
  AppendRequest bad_topic;
  bad_topic.topic = "bad\xff";
  AppendRequest bad_header;
  bad_header.topic = "t";
  ProducerRecord record;
  record.headers = {{"ok", "1"}, {"n\xc3", "2"}};
  bad_header.records.push_back(record);
  for (const AppendRequest& request : {bad_topic, bad_header}) {
    v1::AppendRequest proto;
    const absl::Status expected = ToProto(request, &proto);
    ASSERT_FALSE(expected.ok());
    std::string bytes = "kept";
    const absl::Status status = SerializeAppendRequest(request, &bytes);
    EXPECT_EQ(status, expected);
    EXPECT_EQ(bytes, "kept");
  }
}

}  // namespace
}  // namespace eventmesh::store::wire
