// Fuzz target for the store's wire conversion: protobuf bytes as the store server receives them
// (a StoreRequest) and as the store client receives them (a StoreResponse).
//
// Input layout: byte 0 even = the rest is a StoreRequest, odd = a StoreResponse.
//
// Properties, any violation aborts:
//   - Requests: FromProto (proto -> engine struct) either fails with InvalidArgument or yields a
//     struct that ToProto writes back without error; that proto converts to the same struct
//     again (ToProto(FromProto(p2)) equals p2), so both sides of the wire agree on every field.
//   - Appends: SerializeAppendRequest of the struct writes exactly the deterministic protobuf
//     serialization of ToProto's message (the client's bytes are the protobuf library's).
//   - Responses: FromProto then ToProto of the result is a fixed point in the same way; the
//     Status converts to an absl::Status and back to the same code, message and offsets.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/store/service/wire_convert.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

namespace store = eventmesh::store;
namespace v1 = eventmesh::store::v1;
using google::protobuf::util::MessageDifferencer;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "wire_convert_fuzzer: %s\n%s\n", what, detail.c_str());
  std::abort();
}

// Request direction: proto -> engine -> proto -> engine -> proto; the last two protos match.
template <typename Engine, typename Proto>
void CheckRequest(const Proto& in) {
  Engine engine;
  absl::Status status = store::wire::FromProto(in, &engine);
  if (!status.ok()) {
    if (!absl::IsInvalidArgument(status)) Fail("unexpected error code", status.ToString());
    return;
  }
  Proto p2;
  status = store::wire::ToProto(engine, &p2);
  if (!status.ok()) Fail("accepted request does not convert back", status.ToString());
  Engine engine2;
  status = store::wire::FromProto(p2, &engine2);
  if (!status.ok()) Fail("converted request is refused", status.ToString());
  Proto p3;
  status = store::wire::ToProto(engine2, &p3);
  if (!status.ok()) Fail("second conversion failed", status.ToString());
  if (!MessageDifferencer::Equals(p2, p3)) {
    Fail("request conversion is not a fixed point", p2.DebugString() + "\n" + p3.DebugString());
  }
}

// SerializeAppendRequest writes exactly the deterministic serialization of ToProto's message.
void CheckAppendBytes(const v1::AppendRequest& in) {
  store::AppendRequest engine;
  if (!store::wire::FromProto(in, &engine).ok()) return;
  v1::AppendRequest proto;
  if (!store::wire::ToProto(engine, &proto).ok()) return;
  std::string expected;
  {
    google::protobuf::io::StringOutputStream stream(&expected);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    proto.SerializeToCodedStream(&coded);
  }
  std::string bytes = "prefix";
  if (!store::wire::SerializeAppendRequest(engine, &bytes).ok()) {
    Fail("SerializeAppendRequest refuses what ToProto takes", proto.DebugString());
  }
  if (bytes.substr(6) != expected) {
    Fail("SerializeAppendRequest differs from the protobuf serialization", proto.DebugString());
  }
}

// Response direction: the same with the result structs (conversions cannot fail).
template <typename Engine, typename Proto>
void CheckResult(const Proto& in) {
  Engine engine;
  store::wire::FromProto(in, &engine);
  Proto p2;
  store::wire::ToProto(engine, &p2);
  Engine engine2;
  store::wire::FromProto(p2, &engine2);
  Proto p3;
  store::wire::ToProto(engine2, &p3);
  if (!MessageDifferencer::Equals(p2, p3)) {
    Fail("result conversion is not a fixed point", p2.DebugString() + "\n" + p3.DebugString());
  }
}

void CheckStatus(const v1::Status& in) {
  const absl::Status status = store::wire::StatusFromProto(in);
  if (in.code() == 0 && !status.ok()) Fail("code 0 is not OK", "");
  v1::Status p2;
  store::wire::StatusToProto(status, &p2);
  const absl::Status again = store::wire::StatusFromProto(p2);
  if (again != status)
    Fail("status round trip differs", status.ToString() + "\n" + again.ToString());
  if (store::EarliestOffsetOf(again) != store::EarliestOffsetOf(status) ||
      store::LatestOffsetOf(again) != store::LatestOffsetOf(status)) {
    Fail("status offsets differ", status.ToString());
  }
}

void CheckRequestEnvelope(const v1::StoreRequest& r) {
  switch (r.op_case()) {
    case v1::StoreRequest::kCreateTopic:
      return CheckRequest<store::CreateTopicRequest>(r.create_topic());
    case v1::StoreRequest::kDescribeTopic:
      return CheckRequest<store::DescribeTopicRequest>(r.describe_topic());
    case v1::StoreRequest::kListTopics:
      return CheckRequest<store::ListTopicsRequest>(r.list_topics());
    case v1::StoreRequest::kDeleteTopic:
      return CheckRequest<store::DeleteTopicRequest>(r.delete_topic());
    case v1::StoreRequest::kAppend:
      CheckAppendBytes(r.append());
      return CheckRequest<store::AppendRequest>(r.append());
    case v1::StoreRequest::kMultiAppend:
      for (const v1::AppendRequest& append : r.multi_append().appends()) {
        CheckAppendBytes(append);
        CheckRequest<store::AppendRequest>(append);
      }
      return;
    case v1::StoreRequest::kRead:
      return CheckRequest<store::ReadRequest>(r.read());
    case v1::StoreRequest::kFetch:
      return CheckRequest<store::FetchRequest>(r.fetch());
    case v1::StoreRequest::kGetOffsets:
      return CheckRequest<store::OffsetsRequest>(r.get_offsets());
    case v1::StoreRequest::kSeekTime:
      return CheckRequest<store::SeekTimeRequest>(r.seek_time());
    case v1::StoreRequest::kJoinGroup:
      return CheckRequest<store::JoinGroupRequest>(r.join_group());
    case v1::StoreRequest::kHeartbeat:
      return CheckRequest<store::HeartbeatRequest>(r.heartbeat());
    case v1::StoreRequest::kLeaveGroup:
      return CheckRequest<store::LeaveGroupRequest>(r.leave_group());
    case v1::StoreRequest::kDescribeGroup:
      return CheckRequest<store::DescribeGroupRequest>(r.describe_group());
    case v1::StoreRequest::kCommitOffsets:
      return CheckRequest<store::CommitOffsetsRequest>(r.commit_offsets());
    case v1::StoreRequest::kFetchOffsets:
      return CheckRequest<store::FetchOffsetsRequest>(r.fetch_offsets());
    default:
      return;
  }
}

void CheckResponseEnvelope(const v1::StoreResponse& r) {
  CheckStatus(r.status());
  switch (r.result_case()) {
    case v1::StoreResponse::kCreateTopic:
      return CheckResult<store::TopicDescription>(r.create_topic());
    case v1::StoreResponse::kDescribeTopic:
      return CheckResult<store::TopicDescription>(r.describe_topic());
    case v1::StoreResponse::kListTopics:
      return CheckResult<store::ListTopicsResult>(r.list_topics());
    case v1::StoreResponse::kDeleteTopic:
      return CheckResult<store::DeleteTopicResult>(r.delete_topic());
    case v1::StoreResponse::kAppend:
      return CheckResult<store::AppendResult>(r.append());
    case v1::StoreResponse::kMultiAppend:
      for (const v1::AppendOutcome& outcome : r.multi_append().outcomes()) {
        CheckStatus(outcome.status());
        CheckResult<store::AppendResult>(outcome.append());
      }
      return;
    case v1::StoreResponse::kRead:
      return CheckResult<store::ReadResult>(r.read());
    case v1::StoreResponse::kFetch:
      return CheckResult<store::ReadResult>(r.fetch());
    case v1::StoreResponse::kGetOffsets:
      return CheckResult<store::OffsetsResult>(r.get_offsets());
    case v1::StoreResponse::kSeekTime:
      return CheckResult<store::SeekTimeResult>(r.seek_time());
    case v1::StoreResponse::kJoinGroup:
      return CheckResult<store::MemberAssignment>(r.join_group());
    case v1::StoreResponse::kHeartbeat:
      return CheckResult<store::MemberAssignment>(r.heartbeat());
    case v1::StoreResponse::kLeaveGroup:
      return CheckResult<store::LeaveGroupResult>(r.leave_group());
    case v1::StoreResponse::kDescribeGroup:
      return CheckResult<store::GroupDescription>(r.describe_group());
    case v1::StoreResponse::kCommitOffsets:
      return CheckResult<store::CommitOffsetsResult>(r.commit_offsets());
    case v1::StoreResponse::kFetchOffsets:
      return CheckResult<store::FetchOffsetsResult>(r.fetch_offsets());
    case v1::StoreResponse::kRunRetention:
      return CheckResult<store::RetentionPassResult>(r.run_retention());
    default:
      return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* bytes = reinterpret_cast<const char*>(data) + 1;
  const int n = static_cast<int>(size - 1);
  if ((data[0] & 1) == 0) {
    v1::StoreRequest request;
    if (request.ParseFromArray(bytes, n)) CheckRequestEnvelope(request);
  } else {
    v1::StoreResponse response;
    if (response.ParseFromArray(bytes, n)) CheckResponseEnvelope(response);
  }
  return 0;
}
