#include "eventmesh/protocol/grpc/bounded_messages.h"

#include <string>
#include <vector>

#include "eventmesh/protocol/grpc/eventmesh_service.grpc.pb.h"
#include "eventmesh/testing/peak_memory.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::grpc {
namespace {

namespace pb = ::org::apache::eventmesh::cloudevents::v1;

::grpc::ByteBuffer Buffer(const std::string& bytes) {
  ::grpc::Slice slice(bytes);
  return ::grpc::ByteBuffer(&slice, 1);
}

// `count` empty events: 2 bytes each on the wire (tag 0x0a, length 0).
std::string EmptyEvents(size_t count) {
  std::string out;
  out.reserve(2 * count);
  for (size_t i = 0; i < count; ++i) out.append("\x0a\x00", 2);
  return out;
}

TEST(BoundedMessagesTest, MessagesUpToTheLimitParseAsBefore) {
  pb::CloudEventBatch batch;
  for (int i = 0; i < 3; ++i) {
    pb::CloudEvent* e = batch.add_events();
    e->set_id("id" + std::to_string(i));
    e->set_text_data("data");
    (*e->mutable_attributes())["subject"].set_ce_string("topic");
  }
  ::grpc::ByteBuffer buffer = Buffer(batch.SerializeAsString());
  pb::CloudEventBatch read;
  ::grpc::Status status =
      ::grpc::SerializationTraits<pb::CloudEventBatch>::Deserialize(&buffer, &read);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.SerializeAsString(), batch.SerializeAsString());

  // Exactly the limit: empty events are one field each.
  buffer = Buffer(EmptyEvents(kMaxGrpcMessageFields));
  EXPECT_TRUE(::grpc::SerializationTraits<pb::CloudEventBatch>::Deserialize(&buffer, &read).ok());
  EXPECT_EQ(read.events_size(), static_cast<int>(kMaxGrpcMessageFields));
}

TEST(BoundedMessagesTest, MoreFieldsThanTheLimitAreRefusedBeforeParsing) {
  ::grpc::ByteBuffer buffer = Buffer(EmptyEvents(kMaxGrpcMessageFields + 1));
  pb::CloudEventBatch read;
  ::grpc::Status status =
      ::grpc::SerializationTraits<pb::CloudEventBatch>::Deserialize(&buffer, &read);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "CloudEventBatch message with more than 262144 fields");
  EXPECT_EQ(read.events_size(), 0);

  // Attributes count with their keys and values (a map entry, its key, its value message and
  // the value's field).
  pb::CloudEvent event;
  for (size_t i = 0; i < kMaxGrpcMessageFields / 4 + 1; ++i) {
    (*event.mutable_attributes())["a" + std::to_string(i)].set_ce_boolean(true);
  }
  buffer = Buffer(event.SerializeAsString());
  pb::CloudEvent read_event;
  status = ::grpc::SerializationTraits<pb::CloudEvent>::Deserialize(&buffer, &read_event);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "CloudEvent message with more than 262144 fields");
}

TEST(BoundedMessagesTest, BytesThatAreNotTheMessageAreInvalid) {
  pb::CloudEvent read;
  read.set_id("left over");
  // Field 1 (id) declared 100 bytes long, 3 present.
  const ::grpc::Status status = ReadBoundedMessage(Buffer(std::string("\x0a\x64"
                                                                      "abc",
                                                                      5)),
                                                   &read);
  EXPECT_EQ(status.error_code(), ::grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "CloudEvent message cannot be parsed");
  EXPECT_EQ(read.id(), "");
}

// gRPC hands a large message over in several slices: counted and parsed as one.
TEST(BoundedMessagesTest, AMessageInSeveralSlicesReadsAsOne) {
  pb::CloudEvent event;
  event.set_id("several-slices");
  event.set_text_data(std::string(100000, 'x'));
  (*event.mutable_attributes())["subject"].set_ce_string("topic");
  ::grpc::ByteBuffer written;
  ASSERT_TRUE(WriteMessage(event, &written).ok());
  const std::string bytes = event.SerializeAsString();
  std::vector<::grpc::Slice> slices;
  for (size_t at = 0; at < bytes.size(); at += 7000) {
    slices.emplace_back(bytes.substr(at, 7000));
  }
  ASSERT_GT(slices.size(), 1u);
  const ::grpc::ByteBuffer pieces(slices.data(), slices.size());
  pb::CloudEvent read;
  ASSERT_TRUE(ReadBoundedMessage(pieces, &read).ok());
  EXPECT_EQ(read.SerializeAsString(), bytes);
  pb::CloudEvent read_written;
  ASSERT_TRUE(ReadBoundedMessage(written, &read_written).ok());
  EXPECT_EQ(read_written.SerializeAsString(), bytes);

  // Over the limit, in slices that split events.
  const std::string many = EmptyEvents(kMaxGrpcMessageFields + 1);
  slices.clear();
  for (size_t at = 0; at < many.size(); at += 4099) slices.emplace_back(many.substr(at, 4099));
  pb::CloudEventBatch batch;
  EXPECT_EQ(
      ReadBoundedMessage(::grpc::ByteBuffer(slices.data(), slices.size()), &batch).error_code(),
      ::grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// 4 MB of empty events parsed as a CloudEventBatch took over 350 MB; refused, the read costs
// about its bytes.
TEST(BoundedMessagesTest, ARefusedBatchCostsAboutItsBytes) {
  ::grpc::ByteBuffer buffer;
  const int64_t growth = eventmesh::testing::PeakGrowthInChild(
      [&] { buffer = Buffer(EmptyEvents(2'000'000)); },
      [&] {
        pb::CloudEventBatch read;
        return ::grpc::SerializationTraits<pb::CloudEventBatch>::Deserialize(&buffer, &read)
                   .error_code() == ::grpc::StatusCode::RESOURCE_EXHAUSTED;
      });
  ASSERT_GE(growth, 0);
  EXPECT_LT(growth, 16 << 20);
}

}  // namespace
}  // namespace eventmesh::protocol::grpc
