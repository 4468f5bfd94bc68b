#include "eventmesh/store/service/wire_convert.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/proto/deterministic.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "gtest/gtest.h"

namespace eventmesh::store::wire {
namespace {

// What the protobuf library writes for ToProto(request), map entries in key order.
std::string LibraryBytes(const AppendRequest& request) {
  v1::AppendRequest proto;
  EXPECT_TRUE(ToProto(request, &proto).ok());
  return protocol::wire::DeterministicBytes(proto);
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

// An attachment holding its record's payload (RecordAttachment::Payload).
struct HeldPayload : RecordAttachment {
  explicit HeldPayload(std::string b) : bytes(std::move(b)) {}
  int64_t MemoryBytes() const override { return static_cast<int64_t>(bytes.size()); }
  const std::string* Payload() const override { return &bytes; }
  std::string bytes;
};

TEST(WireConvertTest, PayloadsHeldByAttachmentsAreSentAsPayloads) {
  for (const AppendRequest& request : Requests()) {
    AppendRequest held = request;
    for (ProducerRecord& record : held.records) {
      record.attachment = std::make_shared<HeldPayload>(std::move(record.payload));
      record.payload.clear();
    }
    std::string bytes;
    ASSERT_TRUE(SerializeAppendRequest(held, &bytes).ok());
    EXPECT_EQ(bytes, LibraryBytes(request)) << request.topic.size();
    EXPECT_EQ(LibraryBytes(held), LibraryBytes(request)) << request.topic.size();
  }
}

void ExpectSameRequest(const AppendRequest& a, const AppendRequest& b) {
  EXPECT_EQ(a.topic, b.topic);
  EXPECT_EQ(a.strategy, b.strategy);
  EXPECT_EQ(a.partition, b.partition);
  EXPECT_EQ(a.partition_key, b.partition_key);
  EXPECT_EQ(a.producer_id, b.producer_id);
  EXPECT_EQ(a.sequence, b.sequence);
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(a.records[i].key, b.records[i].key);
    EXPECT_EQ(a.records[i].headers, b.records[i].headers);
    EXPECT_EQ(RecordPayload(a.records[i]), RecordPayload(b.records[i]));
  }
}

// What the library gives for `bytes`: parse, then FromProto.
absl::StatusOr<AppendRequest> LibraryParse(absl::string_view bytes) {
  v1::AppendRequest proto;
  if (!proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed");
  }
  AppendRequest out;
  absl::Status status = FromProto(proto, &out);
  if (!status.ok()) return status;
  return out;
}

std::string Deterministic(const google::protobuf::MessageLite& message) {
  return protocol::wire::DeterministicBytes(message);
}

TEST(WireConvertTest, ParseAppendRequestReadsWhatTheClientWrites) {
  for (const AppendRequest& request : Requests()) {
    std::string bytes;
    ASSERT_TRUE(SerializeAppendRequest(request, &bytes).ok());
    AppendRequest parsed;
    ASSERT_TRUE(ParseAppendRequest(bytes, &parsed)) << request.topic.size();
    absl::StatusOr<AppendRequest> library = LibraryParse(bytes);
    ASSERT_TRUE(library.ok());
    ExpectSameRequest(parsed, *library);
    ExpectSameRequest(parsed, request);
    // The payloads are read in place: views into `bytes`, nothing copied.
    for (const ProducerRecord& record : parsed.records) {
      EXPECT_TRUE(record.payload.empty());
      if (record.payload_view.empty()) continue;
      EXPECT_GE(record.payload_view.data(), bytes.data());
      EXPECT_LE(record.payload_view.data() + record.payload_view.size(),
                bytes.data() + bytes.size());
    }
  }
}

TEST(WireConvertTest, ScanAppendFrameFindsTheAppendsOfBothForms) {
  const std::vector<AppendRequest> requests = Requests();
  v1::StoreRequest single;
  single.set_request_id(77);
  ASSERT_TRUE(ToProto(requests[0], single.mutable_append()).ok());
  AppendFrame frame;  // views into the scanned bytes
  const std::string single_bytes = Deterministic(single);
  ASSERT_TRUE(ScanAppendFrame(single_bytes, &frame));
  EXPECT_EQ(frame.request_id, 77u);
  EXPECT_FALSE(frame.multi);
  ASSERT_EQ(frame.appends.size(), 1u);
  EXPECT_EQ(frame.appends[0], Deterministic(single.append()));

  v1::StoreRequest multi;  // request_id 0 (absent), several appends
  for (const AppendRequest& request : requests) {
    ASSERT_TRUE(ToProto(request, multi.mutable_multi_append()->add_appends()).ok());
  }
  const std::string bytes = Deterministic(multi);
  ASSERT_TRUE(ScanAppendFrame(bytes, &frame));
  EXPECT_EQ(frame.request_id, 0u);
  EXPECT_TRUE(frame.multi);
  ASSERT_EQ(frame.appends.size(), requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    AppendRequest parsed;
    ASSERT_TRUE(ParseAppendRequest(frame.appends[i], &parsed));
    ExpectSameRequest(parsed, requests[i]);
  }

  v1::StoreRequest empty_multi;
  empty_multi.set_request_id(5);
  empty_multi.mutable_multi_append();
  const std::string empty_bytes = Deterministic(empty_multi);
  ASSERT_TRUE(ScanAppendFrame(empty_bytes, &frame));
  EXPECT_TRUE(frame.multi);
  EXPECT_TRUE(frame.appends.empty());
}

TEST(WireConvertTest, ScanAppendFrameLeavesEveryOtherFrameToTheLibrary) {
  AppendFrame frame;
  v1::StoreRequest read;
  read.set_request_id(1);
  read.mutable_read()->set_topic("t");
  EXPECT_FALSE(ScanAppendFrame(Deterministic(read), &frame));
  EXPECT_FALSE(ScanAppendFrame("", &frame));          // no operation
  EXPECT_FALSE(ScanAppendFrame("\x08\x01", &frame));  // request_id only
  v1::StoreRequest append;
  append.set_request_id(1);
  append.mutable_append()->set_topic("t");
  const std::string bytes = Deterministic(append);
  EXPECT_TRUE(ScanAppendFrame(bytes, &frame));
  EXPECT_FALSE(ScanAppendFrame(bytes + bytes, &frame));  // fields twice: the library merges
  EXPECT_FALSE(ScanAppendFrame(bytes.substr(0, bytes.size() - 1), &frame));  // truncated
  EXPECT_FALSE(ScanAppendFrame(bytes + "\x18\x01", &frame));                 // an unknown field
  v1::StoreRequest many;
  for (size_t i = 0; i <= kMaxAppendsPerMultiAppend; ++i)
    many.mutable_multi_append()->add_appends();
  EXPECT_FALSE(ScanAppendFrame(Deterministic(many), &frame));  // the slow path refuses it
}

TEST(WireConvertTest, ParseAppendRequestLeavesUnusualFormsToTheLibrary) {
  std::string plain;
  ASSERT_TRUE(SerializeAppendRequest(Requests()[0], &plain).ok());
  const std::vector<std::string> unusual = {
      plain + "\x0a\x01x",                         // topic twice (the library keeps the last)
      plain + "\x12\x02\x08\x01",                  // partition twice (the library merges)
      plain + "\x30\x01",                          // unknown field 6
      plain + "\x0d\x00\x00\x00\x00",              // topic with a fixed32 wire type
      std::string("\x0a\x02\xc3\x28", 4),          // topic not UTF-8 (the library refuses it)
      std::string("\x12\x02\x18\x00", 4),          // round_robin = false (FromProto refuses it)
      std::string("\x12\x04\x08\x01\x08\x02", 6),  // two selections
      std::string("\x1a\x0a\x12\x03\x0a\x01k\x12\x03\x0a\x01k", 12),        // one header twice
      std::string("\x1a\x05\x12\x03\x0a\x01\xff", 7),                       // header name not UTF-8
      std::string("\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x80\x01", 12),  // 11-byte varint
      plain.substr(0, plain.size() - 1),                                    // truncated
  };
  for (const std::string& bytes : unusual) {
    AppendRequest parsed;
    EXPECT_FALSE(ParseAppendRequest(bytes, &parsed)) << absl::CEscape(bytes);
  }
  // A 10-byte varint with bits beyond 64: read as the library reads it (those bits dropped).
  const std::string wide("\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11);
  v1::AppendRequest library_wide;
  ASSERT_TRUE(library_wide.ParseFromString(wide));
  AppendRequest parsed_wide;
  ASSERT_TRUE(ParseAppendRequest(wide, &parsed_wide));
  ASSERT_TRUE(parsed_wide.producer_id.has_value());
  EXPECT_EQ(*parsed_wide.producer_id, library_wide.producer_id());
  // Plain, though not what the client writes: fields out of order, a selection of partition 0
  // written as an empty message, a header entry without a value.
  const std::string reordered("\x28\x07\x1a\x05\x12\x03\x0a\x01h\x12\x00\x0a\x01t", 14);
  AppendRequest parsed;
  ASSERT_TRUE(ParseAppendRequest(reordered, &parsed));
  absl::StatusOr<AppendRequest> library = LibraryParse(reordered);
  ASSERT_TRUE(library.ok());
  ExpectSameRequest(parsed, *library);
  EXPECT_EQ(parsed.topic, "t");
  EXPECT_EQ(parsed.sequence, 7);
  ASSERT_EQ(parsed.records.size(), 1u);
  EXPECT_EQ(parsed.records[0].headers.at("h"), "");
}

TEST(WireConvertTest, SerializeAppendAnswerWritesWhatTheProtobufLibraryWrites) {
  AppendResult plain{"orders", 3, 100, 100, 1700000000000, false};
  AppendResult odd{"", -2, 0, -1, 0, true};
  AppendResult long_topic{std::string(200, 't'), 0, INT64_MAX, INT64_MAX, 1, false};
  const absl::Status busy = absl::ResourceExhaustedError("store is full");
  const absl::Status range = OffsetOutOfRange("offset gone", 10, 20);
  for (uint64_t id : {uint64_t{0}, uint64_t{1}, uint64_t{300}, UINT64_MAX}) {
    for (const absl::StatusOr<AppendResult>& one :
         {absl::StatusOr<AppendResult>(plain), absl::StatusOr<AppendResult>(odd),
          absl::StatusOr<AppendResult>(long_topic), absl::StatusOr<AppendResult>(busy),
          absl::StatusOr<AppendResult>(range)}) {
      v1::StoreResponse expected;
      expected.set_request_id(id);
      if (one.ok()) {
        ToProto(*one, expected.mutable_append());
      } else {
        StatusToProto(one.status(), expected.mutable_status());
      }
      std::string bytes = "x";
      SerializeAppendAnswer(id, /*multi=*/false, {one}, &bytes);
      EXPECT_EQ(bytes, "x" + Deterministic(expected));
    }
    const std::vector<absl::StatusOr<AppendResult>> outcomes = {plain,      busy,  odd,
                                                                long_topic, range, plain};
    v1::StoreResponse expected;
    expected.set_request_id(id);
    for (const absl::StatusOr<AppendResult>& outcome : outcomes) {
      v1::AppendOutcome* o = expected.mutable_multi_append()->add_outcomes();
      if (outcome.ok()) {
        ToProto(*outcome, o->mutable_append());
      } else {
        StatusToProto(outcome.status(), o->mutable_status());
      }
    }
    std::string bytes;
    SerializeAppendAnswer(id, /*multi=*/true, outcomes, &bytes);
    EXPECT_EQ(bytes, Deterministic(expected));
    v1::StoreResponse none;
    none.set_request_id(id);
    none.mutable_multi_append();
    bytes.clear();
    SerializeAppendAnswer(id, /*multi=*/true, {}, &bytes);
    EXPECT_EQ(bytes, Deterministic(none));
  }
}

TEST(WireConvertTest, ParseAppendAnswerReadsSuccessesAndLeavesTheRestToTheLibrary) {
  const AppendResult plain{"orders", 3, 100, 100, 1700000000000, false};
  const AppendResult odd{"", -2, 0, -1, 0, true};
  for (uint64_t id : {uint64_t{0}, uint64_t{42}, UINT64_MAX}) {
    for (bool multi : {false, true}) {
      std::vector<absl::StatusOr<AppendResult>> outcomes = {plain};
      if (multi) outcomes = {plain, odd, plain};
      std::string bytes;
      SerializeAppendAnswer(id, multi, outcomes, &bytes);
      AppendAnswer answer;
      ASSERT_TRUE(ParseAppendAnswer(bytes, &answer));
      EXPECT_EQ(answer.request_id, id);
      EXPECT_EQ(answer.multi, multi);
      ASSERT_EQ(answer.results.size(), outcomes.size());
      for (size_t i = 0; i < outcomes.size(); ++i) {
        EXPECT_EQ(answer.results[i].topic, outcomes[i]->topic);
        EXPECT_EQ(answer.results[i].partition, outcomes[i]->partition);
        EXPECT_EQ(answer.results[i].base_offset, outcomes[i]->base_offset);
        EXPECT_EQ(answer.results[i].last_offset, outcomes[i]->last_offset);
        EXPECT_EQ(answer.results[i].append_time_ms, outcomes[i]->append_time_ms);
        EXPECT_EQ(answer.results[i].duplicate, outcomes[i]->duplicate);
      }
      // With an error among the outcomes, the library reads it (the status and its details).
      outcomes.push_back(absl::ResourceExhaustedError("full"));
      bytes.clear();
      SerializeAppendAnswer(id, multi, {outcomes.back()}, &bytes);
      EXPECT_FALSE(ParseAppendAnswer(bytes, &answer));
    }
  }
  AppendAnswer scratch;
  v1::StoreResponse other;
  other.set_request_id(9);
  other.mutable_read();
  EXPECT_FALSE(ParseAppendAnswer(Deterministic(other), &scratch));
  std::string single;
  SerializeAppendAnswer(1, false, {plain}, &single);
  EXPECT_FALSE(ParseAppendAnswer(single + single, &scratch));  // fields twice
  EXPECT_FALSE(ParseAppendAnswer(single.substr(0, single.size() - 1), &scratch));
}

ReadResult SampleRead() {
  ReadResult read;
  EventRecord plain;
  plain.offset = 41;
  plain.append_time_ms = 1700000000000;
  plain.payload = std::string(256, 'p');
  plain.headers = {{"id", "e-1"}, {"type", "order.created"}, {"zz", ""}};
  read.records.push_back(plain);
  EventRecord keyed;  // offset 0, time 0, empty key, no payload, a header name not UTF-8
  keyed.key = "";
  keyed.headers = {{"ok", "v"}, {"bad\xff", "dropped"}};
  read.records.push_back(keyed);
  EventRecord big;
  big.offset = INT64_MAX;
  big.append_time_ms = -1;
  big.key = "k";
  big.payload = std::string(70000, '\x80');
  read.records.push_back(big);
  read.next_offset = 42;
  read.earliest_offset = 0;
  read.latest_offset = 100;
  return read;
}

TEST(WireConvertTest, SerializeReadAnswerWritesWhatTheProtobufLibraryWritesAndReadsItBack) {
  for (bool fetch : {false, true}) {
    for (const ReadResult& read : {SampleRead(), ReadResult{}}) {
      for (uint64_t id : {uint64_t{0}, uint64_t{7}, UINT64_MAX}) {
        v1::StoreResponse expected;
        expected.set_request_id(id);
        ToProto(read, fetch ? expected.mutable_fetch() : expected.mutable_read());
        std::string bytes = "x";
        SerializeReadAnswer(id, fetch, read, &bytes);
        EXPECT_EQ(bytes, "x" + Deterministic(expected));

        ReadAnswer answer;
        ASSERT_TRUE(ParseReadAnswer(bytes.substr(1), &answer));
        EXPECT_EQ(answer.request_id, id);
        EXPECT_EQ(answer.fetch, fetch);
        ReadResult library;
        FromProto(fetch ? expected.fetch() : expected.read(), &library);
        EXPECT_EQ(answer.result.records, library.records);
        EXPECT_EQ(answer.result.next_offset, library.next_offset);
        EXPECT_EQ(answer.result.earliest_offset, library.earliest_offset);
        EXPECT_EQ(answer.result.latest_offset, library.latest_offset);
      }
    }
  }
  // Errors and unusual forms are the library's to read.
  ReadAnswer answer;
  v1::StoreResponse error;
  error.set_request_id(3);
  StatusToProto(OffsetOutOfRange("gone", 10, 20), error.mutable_status());
  EXPECT_FALSE(ParseReadAnswer(Deterministic(error), &answer));
  std::string bytes;
  SerializeReadAnswer(1, true, SampleRead(), &bytes);
  EXPECT_FALSE(ParseReadAnswer(bytes + bytes, &answer));
  EXPECT_FALSE(ParseReadAnswer(bytes.substr(0, bytes.size() - 1), &answer));
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

std::string VarintBytes(uint64_t n) {
  uint8_t bytes[10];  // a varint of 64 bits takes at most 10 bytes
  const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(n, bytes);
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

TEST(WireConvertTest, FieldCountsCoverEveryFieldAtEveryDepth) {
  v1::StoreRequest request;
  request.set_request_id(5);
  v1::AppendRequest* append = request.mutable_append();
  append->set_topic("t");
  append->add_records()->set_payload("a");
  v1::Record* second = append->add_records();
  second->set_payload("b");
  (*second->mutable_headers())["h1"] = "v";
  (*second->mutable_headers())["h2"] = "v";
  std::string bytes;
  ASSERT_TRUE(request.SerializeToString(&bytes));
  // request_id, append; topic, 2 records; their payloads; 2 header entries, each a key and a
  // value.
  EXPECT_EQ(CountStoreRequestFields(bytes, 1000), 2u + 3u + 2u + 2u + 4u);
  EXPECT_EQ(PeekRequestId(bytes), 5u);
  std::string append_bytes;
  ASSERT_TRUE(append->SerializeToString(&append_bytes));
  // The direct path's count: the append's fields and its records' (header entries as one each).
  EXPECT_EQ(CountAppendRequestFields(append_bytes), 3u + 2u + 2u);
  // Each counted field has a tag byte of its own: never more fields than bytes (the server skips
  // counting requests of at most max_request_fields bytes), truncations and flips included.
  for (size_t cut = 0; cut <= append_bytes.size(); ++cut) {
    for (int flip = 0; flip < 256; flip += 17) {
      std::string mutated = append_bytes.substr(0, cut);
      if (!mutated.empty()) mutated[flip % mutated.size()] ^= static_cast<char>(flip);
      EXPECT_LE(CountAppendRequestFields(mutated), mutated.size());
      EXPECT_LE(CountStoreRequestFields(mutated, 1 << 20), mutated.size());
    }
  }

  // Unknown groups inside unknown groups: every field inside counts (the library keeps each).
  std::string nested = "\x08\x07";                                      // request_id 7
  nested += VarintBytes(50 << 3 | 3);                                   // start group 50
  nested += VarintBytes(51 << 3 | 3);                                   // start group 51
  for (int i = 0; i < 1000; ++i) nested += std::string("\x08\x00", 2);  // field 1, varint 0
  nested += VarintBytes(51 << 3 | 4);                                   // end group 51
  nested += VarintBytes(50 << 3 | 4);                                   // end group 50
  EXPECT_EQ(CountStoreRequestFields(nested, 1'000'000), 1u + 1u + 1u + 1000u);
  EXPECT_EQ(PeekRequestId(nested), 7u);
  // Counting stops soon after the limit.
  const size_t limited = CountStoreRequestFields(nested, 10);
  EXPECT_GT(limited, 10u);
  EXPECT_LT(limited, 20u);
}

}  // namespace
}  // namespace eventmesh::store::wire
