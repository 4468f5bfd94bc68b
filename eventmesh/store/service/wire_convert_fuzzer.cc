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
//   - The server's append fast path: what ScanAppendFrame / ParseAppendRequest accept, the
//     library parses to the same request id, operation and engine structs (and they accept the
//     deterministic serialization of any append the library parses and FromProto takes).
//   - SerializeAppendAnswer writes the library's deterministic serialization of the answer, and
//     ParseAppendAnswer (the client's fast path) reads its successes back; what it takes, the
//     library reads the same.
//   - SerializeReadAnswer (a Read's or Fetch's answer) is the library's bytes too, and
//     ParseReadAnswer reads what it writes and nothing the library reads differently.
//   - Responses: FromProto then ToProto of the result is a fixed point in the same way; the
//     Status converts to an absl::Status and back to the same code, message and offsets.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/proto/deterministic.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/store/service/wire_convert.h"
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
  const std::string expected = eventmesh::protocol::wire::DeterministicBytes(proto);
  std::string bytes = "prefix";
  if (!store::wire::SerializeAppendRequest(engine, &bytes).ok()) {
    Fail("SerializeAppendRequest refuses what ToProto takes", proto.DebugString());
  }
  if (bytes.substr(6) != expected) {
    Fail("SerializeAppendRequest differs from the protobuf serialization", proto.DebugString());
  }
}

std::string Deterministic(const google::protobuf::MessageLite& message) {
  return eventmesh::protocol::wire::DeterministicBytes(message);
}

bool SameResult(const store::AppendResult& a, const store::AppendResult& b) {
  return a.topic == b.topic && a.partition == b.partition && a.base_offset == b.base_offset &&
         a.last_offset == b.last_offset && a.append_time_ms == b.append_time_ms &&
         a.duplicate == b.duplicate;
}

bool SameAppend(const store::AppendRequest& a, const store::AppendRequest& b) {
  if (a.topic != b.topic || a.strategy != b.strategy || a.partition != b.partition ||
      a.partition_key != b.partition_key || a.producer_id != b.producer_id ||
      a.sequence != b.sequence || a.records.size() != b.records.size()) {
    return false;
  }
  for (size_t i = 0; i < a.records.size(); ++i) {
    if (a.records[i].key != b.records[i].key || a.records[i].headers != b.records[i].headers ||
        store::RecordPayload(a.records[i]) != store::RecordPayload(b.records[i])) {
      return false;
    }
  }
  return true;
}

// The server's append fast path on a received StoreRequest's bytes.
void CheckAppendFrame(absl::string_view bytes) {
  store::wire::AppendFrame frame;
  v1::StoreRequest request;
  const bool parsed = request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  if (parsed) {
    // Any append the library reads and FromProto takes is read by the fast path once the client
    // writes it (the plain form; unknown fields dropped).
    std::vector<const v1::AppendRequest*> appends;
    if (request.op_case() == v1::StoreRequest::kAppend) appends.push_back(&request.append());
    if (request.op_case() == v1::StoreRequest::kMultiAppend) {
      for (const v1::AppendRequest& a : request.multi_append().appends()) appends.push_back(&a);
    }
    // The server's count before parsing covers at least every record and header entry the
    // parse builds (what it bounds), whatever else the bytes hold.
    size_t built = 0;
    for (const v1::AppendRequest* append : appends) {
      for (const v1::Record& record : append->records()) built += 1 + record.headers_size();
    }
    if (request.op_case() == v1::StoreRequest::kCommitOffsets) {
      built += static_cast<size_t>(request.commit_offsets().offsets_size());
    }
    if (store::wire::CountStoreRequestFields(bytes, ~size_t{0}) < built) {
      Fail("the field count misses parsed records", request.DebugString());
    }
    for (const v1::AppendRequest* append : appends) {
      store::AppendRequest slow;
      if (!store::wire::FromProto(*append, &slow).ok()) continue;
      std::string plain;
      if (!store::wire::SerializeAppendRequest(slow, &plain).ok()) continue;
      store::AppendRequest fast;
      if (!store::wire::ParseAppendRequest(plain, &fast)) {
        Fail("the fast path refuses a plain append", append->DebugString());
      }
      if (!SameAppend(fast, slow))
        Fail("the fast path reads another append", append->DebugString());
    }
  }
  // The server takes the fast path when the frame scans and every append parses: the library
  // must read the same request id, operation and appends.
  if (!store::wire::ScanAppendFrame(bytes, &frame)) return;
  std::vector<store::AppendRequest> fast(frame.appends.size());
  for (size_t i = 0; i < frame.appends.size(); ++i) {
    if (!store::wire::ParseAppendRequest(frame.appends[i], &fast[i])) return;
    size_t built = 0;
    for (const store::ProducerRecord& record : fast[i].records) {
      built += 1 + record.headers.size() + (record.key.has_value() ? 1 : 0);
    }
    if (store::wire::CountAppendRequestFields(frame.appends[i]) < built) {
      Fail("the append's field count misses parsed records", "");
    }
  }
  if (!parsed) Fail("the fast path takes a frame the library refuses", "");
  if (frame.request_id != request.request_id()) Fail("request id differs", request.DebugString());
  const bool multi = request.op_case() == v1::StoreRequest::kMultiAppend;
  if (frame.multi != multi || (!multi && request.op_case() != v1::StoreRequest::kAppend) ||
      (multi && fast.size() != static_cast<size_t>(request.multi_append().appends_size())) ||
      (!multi && fast.size() != 1)) {
    Fail("the fast path reads another operation", request.DebugString());
  }
  for (size_t i = 0; i < fast.size(); ++i) {
    const v1::AppendRequest& library =
        multi ? request.multi_append().appends(static_cast<int>(i)) : request.append();
    store::AppendRequest slow;
    if (!store::wire::FromProto(library, &slow).ok()) {
      Fail("the fast path takes an append FromProto refuses", library.DebugString());
    }
    if (!SameAppend(fast[i], slow))
      Fail("the fast path reads another append", library.DebugString());
  }
}

// SerializeAppendAnswer of the outcomes a response carries vs the library's bytes of the
// response ToProto / StatusToProto build from them.
void CheckAppendAnswer(const v1::StoreResponse& r) {
  const bool multi = r.result_case() == v1::StoreResponse::kMultiAppend;
  std::vector<absl::StatusOr<store::AppendResult>> outcomes;
  auto outcome_of = [](const v1::Status& status, const v1::AppendResponse& append) {
    absl::Status error = store::wire::StatusFromProto(status);
    if (!error.ok()) return absl::StatusOr<store::AppendResult>(error);
    store::AppendResult result;
    store::wire::FromProto(append, &result);
    return absl::StatusOr<store::AppendResult>(result);
  };
  if (multi) {
    for (const v1::AppendOutcome& o : r.multi_append().outcomes()) {
      outcomes.push_back(outcome_of(o.status(), o.append()));
    }
  } else if (r.result_case() == v1::StoreResponse::kAppend) {
    outcomes.push_back(outcome_of(r.status(), r.append()));
  } else {
    return;
  }
  v1::StoreResponse expected;
  expected.set_request_id(r.request_id());
  for (const absl::StatusOr<store::AppendResult>& outcome : outcomes) {
    if (multi) {
      v1::AppendOutcome* o = expected.mutable_multi_append()->add_outcomes();
      if (outcome.ok()) {
        store::wire::ToProto(*outcome, o->mutable_append());
      } else {
        store::wire::StatusToProto(outcome.status(), o->mutable_status());
      }
    } else if (outcome.ok()) {
      store::wire::ToProto(*outcome, expected.mutable_append());
    } else {
      store::wire::StatusToProto(outcome.status(), expected.mutable_status());
    }
  }
  if (multi) expected.mutable_multi_append();
  std::string bytes;
  store::wire::SerializeAppendAnswer(r.request_id(), multi, outcomes, &bytes);
  if (bytes != Deterministic(expected)) {
    Fail("SerializeAppendAnswer differs from the protobuf serialization", expected.DebugString());
  }
  // The client reads every all-success answer the server writes.
  bool all_ok = true;
  for (const auto& outcome : outcomes) all_ok = all_ok && outcome.ok();
  if (!all_ok) return;
  store::wire::AppendAnswer answer;
  if (!store::wire::ParseAppendAnswer(bytes, &answer)) {
    Fail("ParseAppendAnswer refuses what SerializeAppendAnswer writes", expected.DebugString());
  }
  if (answer.request_id != r.request_id() || answer.multi != multi ||
      answer.results.size() != outcomes.size()) {
    Fail("ParseAppendAnswer reads another answer", expected.DebugString());
  }
  for (size_t i = 0; i < outcomes.size(); ++i) {
    if (!SameResult(answer.results[i], *outcomes[i])) {
      Fail("ParseAppendAnswer reads another result", expected.DebugString());
    }
  }
}

// The client's fast path on a received StoreResponse's bytes: what ParseAppendAnswer takes, the
// library reads as the same all-success answer.
void CheckAnswerBytes(absl::string_view bytes) {
  store::wire::AppendAnswer answer;
  if (!store::wire::ParseAppendAnswer(bytes, &answer)) return;
  v1::StoreResponse r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    Fail("ParseAppendAnswer takes a frame the library refuses", "");
  }
  const bool multi = r.result_case() == v1::StoreResponse::kMultiAppend;
  if (answer.request_id != r.request_id() || answer.multi != multi || r.status().code() != 0 ||
      (!multi && r.result_case() != v1::StoreResponse::kAppend)) {
    Fail("ParseAppendAnswer reads another answer", r.DebugString());
  }
  std::vector<const v1::AppendResponse*> library;
  if (multi) {
    for (const v1::AppendOutcome& o : r.multi_append().outcomes()) {
      if (o.status().code() != 0) Fail("ParseAppendAnswer takes an error", r.DebugString());
      library.push_back(&o.append());
    }
  } else {
    library.push_back(&r.append());
  }
  if (library.size() != answer.results.size()) Fail("outcome count differs", r.DebugString());
  for (size_t i = 0; i < library.size(); ++i) {
    store::AppendResult slow;
    store::wire::FromProto(*library[i], &slow);
    if (!SameResult(answer.results[i], slow)) {
      Fail("ParseAppendAnswer reads another result", r.DebugString());
    }
  }
}

// The read answers: SerializeReadAnswer is byte-equal to the library's serialization of what
// ToProto builds, and ParseReadAnswer reads it back.
void CheckReadAnswer(const v1::StoreResponse& r) {
  const bool fetch = r.result_case() == v1::StoreResponse::kFetch;
  if (!fetch && r.result_case() != v1::StoreResponse::kRead) return;
  store::ReadResult result;
  store::wire::FromProto(fetch ? r.fetch() : r.read(), &result);
  v1::StoreResponse expected;
  expected.set_request_id(r.request_id());
  store::wire::ToProto(result, fetch ? expected.mutable_fetch() : expected.mutable_read());
  std::string bytes;
  store::wire::SerializeReadAnswer(r.request_id(), fetch, result, &bytes);
  if (bytes != Deterministic(expected)) {
    Fail("SerializeReadAnswer differs from the protobuf serialization", expected.DebugString());
  }
  store::wire::ReadAnswer answer;
  if (!store::wire::ParseReadAnswer(bytes, &answer)) {
    Fail("ParseReadAnswer refuses what SerializeReadAnswer writes", expected.DebugString());
  }
  if (answer.request_id != r.request_id() || answer.fetch != fetch ||
      answer.result.records != result.records || answer.result.next_offset != result.next_offset ||
      answer.result.earliest_offset != result.earliest_offset ||
      answer.result.latest_offset != result.latest_offset) {
    Fail("ParseReadAnswer reads another answer", expected.DebugString());
  }
}

// The client's read fast path on received bytes: what ParseReadAnswer takes, the library reads
// as the same answer.
void CheckReadAnswerBytes(absl::string_view bytes) {
  store::wire::ReadAnswer answer;
  if (!store::wire::ParseReadAnswer(bytes, &answer)) return;
  v1::StoreResponse r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    Fail("ParseReadAnswer takes a frame the library refuses", "");
  }
  const bool fetch = r.result_case() == v1::StoreResponse::kFetch;
  if (answer.request_id != r.request_id() || answer.fetch != fetch || r.status().code() != 0 ||
      (!fetch && r.result_case() != v1::StoreResponse::kRead)) {
    Fail("ParseReadAnswer reads another answer", r.DebugString());
  }
  store::ReadResult library;
  store::wire::FromProto(fetch ? r.fetch() : r.read(), &library);
  if (answer.result.records != library.records ||
      answer.result.next_offset != library.next_offset ||
      answer.result.earliest_offset != library.earliest_offset ||
      answer.result.latest_offset != library.latest_offset) {
    Fail("ParseReadAnswer reads another result", r.DebugString());
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
  CheckAppendAnswer(r);
  CheckReadAnswer(r);
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
    CheckAppendFrame(absl::string_view(bytes, static_cast<size_t>(n)));
    v1::StoreRequest request;
    if (request.ParseFromArray(bytes, n)) CheckRequestEnvelope(request);
  } else {
    CheckAnswerBytes(absl::string_view(bytes, static_cast<size_t>(n)));
    CheckReadAnswerBytes(absl::string_view(bytes, static_cast<size_t>(n)));
    v1::StoreResponse response;
    if (response.ParseFromArray(bytes, n)) CheckResponseEnvelope(response);
  }
  return 0;
}
