#ifndef EVENTMESH_STORE_SERVICE_WIRE_CONVERT_H_
#define EVENTMESH_STORE_SERVICE_WIRE_CONVERT_H_

// Conversions between the engine's request/result structs (eventmesh/store/engine/event_store.h)
// and their protobuf twins (eventmesh/protocol/proto/store.proto). Shared by the store service
// and the store client so both sides map fields identically.
//
// ToProto(engine request) checks that every string the proto declares as `string` is valid
// UTF-8 (protobuf would otherwise produce a frame the peer cannot parse): InvalidArgument naming
// the field. FromProto(proto request) rejects what the engine structs cannot express:
// InvalidArgument (e.g. a non-decimal producer_id, round_robin = false). Result conversions
// cannot fail. Stateless; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/store/engine/event_store.h"

namespace eventmesh::store::wire {

// absl::Status <-> v1::Status, including the OutOfRange offsets (kEarliestOffsetPayload /
// kLatestOffsetPayload <-> Status.offset_range).
void StatusToProto(const absl::Status& status, v1::Status* out);
absl::Status StatusFromProto(const v1::Status& status);

// ----- Requests: engine -> proto (client side) ---------------------------------------------
absl::Status ToProto(const CreateTopicRequest& in, v1::CreateTopicRequest* out);
absl::Status ToProto(const DescribeTopicRequest& in, v1::DescribeTopicRequest* out);
absl::Status ToProto(const ListTopicsRequest& in, v1::ListTopicsRequest* out);
absl::Status ToProto(const DeleteTopicRequest& in, v1::DeleteTopicRequest* out);
absl::Status ToProto(const AppendRequest& in, v1::AppendRequest* out);
// Protobuf varints, for the frames and messages written by hand: `v` appended to `out`, and the
// number of bytes it takes.
void AppendVarint(uint64_t v, std::string* out);
size_t VarintSize(uint64_t v);
// Appends to `out` the bytes of ToProto(in) serialized deterministically (map entries in key
// order), written straight from the struct without building the message: the client's bytes for
// every append. The same errors as ToProto (then `out` is left as it was).
absl::Status SerializeAppendRequest(const AppendRequest& in, std::string* out);
absl::Status ToProto(const ReadRequest& in, v1::ReadRequest* out);
absl::Status ToProto(const FetchRequest& in, v1::FetchRequest* out);
absl::Status ToProto(const OffsetsRequest& in, v1::GetOffsetsRequest* out);
absl::Status ToProto(const SeekTimeRequest& in, v1::SeekTimeRequest* out);
absl::Status ToProto(const JoinGroupRequest& in, v1::JoinGroupRequest* out);
absl::Status ToProto(const HeartbeatRequest& in, v1::HeartbeatRequest* out);
absl::Status ToProto(const LeaveGroupRequest& in, v1::LeaveGroupRequest* out);
absl::Status ToProto(const DescribeGroupRequest& in, v1::DescribeGroupRequest* out);
absl::Status ToProto(const CommitOffsetsRequest& in, v1::CommitOffsetsRequest* out);
absl::Status ToProto(const FetchOffsetsRequest& in, v1::FetchOffsetsRequest* out);

// ----- Requests: proto -> engine (server side) ---------------------------------------------
absl::Status FromProto(const v1::CreateTopicRequest& in, CreateTopicRequest* out);
absl::Status FromProto(const v1::DescribeTopicRequest& in, DescribeTopicRequest* out);
absl::Status FromProto(const v1::ListTopicsRequest& in, ListTopicsRequest* out);
absl::Status FromProto(const v1::DeleteTopicRequest& in, DeleteTopicRequest* out);
absl::Status FromProto(const v1::AppendRequest& in, AppendRequest* out);
// The same, moving the strings (topic, keys, headers, payloads) out of `in`.
absl::Status FromProto(v1::AppendRequest&& in, AppendRequest* out);
// The store server's append path, read straight from the frame's bytes (no protobuf message):
// a StoreRequest carrying an Append or a MultiAppend, located without reading the appends.
inline constexpr size_t kMaxAppendsPerMultiAppend = 4096;  // store.proto: MultiAppendRequest
struct AppendFrame {
  uint64_t request_id = 0;
  bool multi = false;                      // MultiAppend (else a single Append)
  std::vector<absl::string_view> appends;  // each a serialized v1::AppendRequest, into the frame
};
// True when `payload` is a StoreRequest in the plain form: request_id at most once, `append` or
// `multi_append` once, no other field, and (multi) at most 4096 appends. False for anything else,
// well-formed or not: the caller then parses with the protobuf library, which gives the exact
// result or error. `out` is overwritten either way.
bool ScanAppendFrame(absl::string_view payload, AppendFrame* out);
// True when `bytes` is a v1::AppendRequest in the plain form (every field known, of its declared
// wire type, a singular one at most once, header names unique, UTF-8 where proto3 asks for it,
// round_robin true): then `out` holds exactly what parsing and FromProto give. False otherwise,
// with the same meaning as above. SerializeAppendRequest always writes the plain form. The
// records' payloads are not copied: each is a ProducerRecord::payload_view into `bytes`, which
// must outlive every use of them (read them through RecordPayload).
bool ParseAppendRequest(absl::string_view bytes, AppendRequest* out);

// ----- Bounding what a request becomes when parsed ------------------------------------------
// A request's bytes can become far more memory once parsed: an empty record is 2 bytes on the
// wire and over 100 bytes as a ProducerRecord (or a protobuf message), so a 16 MiB frame of
// them would take a gigabyte. The store server counts a request's fields before parsing it and
// refuses one with too many (StoreServerOptions::max_request_fields).
//
// The fields of a serialized v1::AppendRequest: its own, its records' and their header
// entries'; the fields of whatever malformed rest stay uncounted (the parse refuses them).
size_t CountAppendRequestFields(absl::string_view bytes);
// The fields of a serialized v1::StoreRequest at every depth, known or unknown, found from the
// message descriptors without building anything. Stops at malformed bytes (the parse refuses
// them) and once the count passes `limit`.
size_t CountStoreRequestFields(absl::string_view bytes, size_t limit);
// A serialized v1::StoreRequest's first request_id, or 0 (none, or malformed before it).
uint64_t PeekRequestId(absl::string_view bytes);

absl::Status FromProto(const v1::ReadRequest& in, ReadRequest* out);
absl::Status FromProto(const v1::FetchRequest& in, FetchRequest* out);
absl::Status FromProto(const v1::GetOffsetsRequest& in, OffsetsRequest* out);
absl::Status FromProto(const v1::SeekTimeRequest& in, SeekTimeRequest* out);
absl::Status FromProto(const v1::JoinGroupRequest& in, JoinGroupRequest* out);
absl::Status FromProto(const v1::HeartbeatRequest& in, HeartbeatRequest* out);
absl::Status FromProto(const v1::LeaveGroupRequest& in, LeaveGroupRequest* out);
absl::Status FromProto(const v1::DescribeGroupRequest& in, DescribeGroupRequest* out);
absl::Status FromProto(const v1::CommitOffsetsRequest& in, CommitOffsetsRequest* out);
absl::Status FromProto(const v1::FetchOffsetsRequest& in, FetchOffsetsRequest* out);

// ----- Results: engine -> proto (server side) ----------------------------------------------
void ToProto(const TopicDescription& in, v1::TopicDescription* out);
void ToProto(const ListTopicsResult& in, v1::ListTopicsResponse* out);
void ToProto(const DeleteTopicResult& in, v1::DeleteTopicResponse* out);
void ToProto(const AppendResult& in, v1::AppendResponse* out);
// Appends the bytes of the v1::StoreResponse answering request `request_id`: an Append's
// (`multi` false, one outcome: its AppendResponse, or the error as `status`) or a MultiAppend's
// (one AppendOutcome per element). Exactly the library's deterministic serialization of the
// message ToProto / StatusToProto build.
void SerializeAppendAnswer(uint64_t request_id, bool multi,
                           absl::Span<const absl::StatusOr<AppendResult>> outcomes,
                           std::string* out);
// The client's side of the same: the answer to an Append or a MultiAppend in which every
// append succeeded.
struct AppendAnswer {
  uint64_t request_id = 0;
  bool multi = false;                 // a MultiAppend's answer (else an Append's)
  std::vector<AppendResult> results;  // one per append, in order
};
// True when `payload` is such a StoreResponse in the plain form (what SerializeAppendAnswer
// writes for successes): then `out` holds what parsing and FromProto give. False for anything
// else (errors, other results, unusual forms): the caller parses with the protobuf library.
bool ParseAppendAnswer(absl::string_view payload, AppendAnswer* out);
// Appends the bytes of the v1::StoreResponse answering a Read (`fetch` false) or a Fetch with
// `result`: exactly the library's deterministic serialization of the message ToProto builds.
void SerializeReadAnswer(uint64_t request_id, bool fetch, const ReadResult& result,
                         std::string* out);
// The client's side: a successful Read's or Fetch's answer.
struct ReadAnswer {
  uint64_t request_id = 0;
  bool fetch = false;  // a Fetch's answer (else a Read's)
  ReadResult result;
};
// True when `payload` is such a StoreResponse in the plain form (what SerializeReadAnswer
// writes): then `out` holds what parsing and FromProto give. False for anything else (errors,
// other results, unusual forms): the caller parses with the protobuf library.
bool ParseReadAnswer(absl::string_view payload, ReadAnswer* out);
void ToProto(const ReadResult& in, v1::ReadResponse* out);
void ToProto(const OffsetsResult& in, v1::GetOffsetsResponse* out);
void ToProto(const SeekTimeResult& in, v1::SeekTimeResponse* out);
void ToProto(const MemberAssignment& in, v1::MemberAssignment* out);
void ToProto(const LeaveGroupResult& in, v1::LeaveGroupResponse* out);
void ToProto(const GroupDescription& in, v1::GroupDescription* out);
void ToProto(const CommitOffsetsResult& in, v1::CommitOffsetsResponse* out);
void ToProto(const FetchOffsetsResult& in, v1::FetchOffsetsResponse* out);
void ToProto(const RetentionPassResult& in, v1::RunRetentionResponse* out);

// ----- Results: proto -> engine (client side) ----------------------------------------------
void FromProto(const v1::TopicDescription& in, TopicDescription* out);
void FromProto(const v1::ListTopicsResponse& in, ListTopicsResult* out);
void FromProto(const v1::DeleteTopicResponse& in, DeleteTopicResult* out);
void FromProto(const v1::AppendResponse& in, AppendResult* out);
void FromProto(const v1::ReadResponse& in, ReadResult* out);
void FromProto(const v1::GetOffsetsResponse& in, OffsetsResult* out);
void FromProto(const v1::SeekTimeResponse& in, SeekTimeResult* out);
void FromProto(const v1::MemberAssignment& in, MemberAssignment* out);
void FromProto(const v1::LeaveGroupResponse& in, LeaveGroupResult* out);
void FromProto(const v1::GroupDescription& in, GroupDescription* out);
void FromProto(const v1::CommitOffsetsResponse& in, CommitOffsetsResult* out);
void FromProto(const v1::FetchOffsetsResponse& in, FetchOffsetsResult* out);
void FromProto(const v1::RunRetentionResponse& in, RetentionPassResult* out);

}  // namespace eventmesh::store::wire

#endif  // EVENTMESH_STORE_SERVICE_WIRE_CONVERT_H_
