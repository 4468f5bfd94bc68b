// StoreServer against hostile or unusual peers: raw sockets sending malformed, oversize,
// truncated and unknown frames, out-of-order responses, back-pressure; each time another
// client keeps working. Real sockets on 127.0.0.1, real RocksDB in $TEST_TMPDIR.

#include "eventmesh/store/service/store_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/common/metrics/prometheus_text.h"
#include "eventmesh/common/metrics/testing/promtool.h"
#include "eventmesh/protocol/proto/store.pb.h"
#include "eventmesh/protocol/rpc/frame_codec.h"
#include "eventmesh/store/client/store_client.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "eventmesh/store/service/wire_convert.h"
#include "eventmesh/store/testing/store_test_util.h"
#include "eventmesh/testing/peak_memory.h"
#include "gmock/gmock.h"
#include "google/protobuf/io/coded_stream.h"
#include "gtest/gtest.h"

namespace eventmesh::store::service {
namespace {

using ::eventmesh::store::test_util::OpenTestStore;

using ::testing::HasSubstr;
using ::testing::SizeIs;

// A blocking POSIX socket with a 30 s receive timeout (so a broken server fails the test
// instead of hanging it).
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawConnection() { Close(); }

  bool connected() const { return connected_; }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  bool SendBytes(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  bool Send(const v1::StoreRequest& request) {
    std::string frame;
    return protocol::rpc::EncodeFrame(request, &frame).ok() && SendBytes(frame);
  }

  // The next response; nullopt on EOF (or timeout / error, which the caller checks via eof()).
  std::optional<v1::StoreResponse> Receive() {
    for (;;) {
      auto next = decoder_.Next();
      if (!next.ok()) return std::nullopt;
      if (next->has_value()) {
        auto decoded = protocol::rpc::DecodeMessage<v1::StoreResponse>(**next);
        if (!decoded.ok()) return std::nullopt;
        return *decoded;
      }
      char buffer[4096];
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) {
        eof_ = (n == 0);
        return std::nullopt;
      }
      if (!decoder_.Feed(absl::string_view(buffer, n)).ok()) return std::nullopt;
    }
  }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  protocol::rpc::FrameDecoder decoder_;
};

v1::StoreRequest ListTopicsRequestWithId(uint64_t id) {
  v1::StoreRequest request;
  request.set_request_id(id);
  request.mutable_list_topics();
  return request;
}

absl::StatusCode CodeOf(const v1::StoreResponse& response) {
  return static_cast<absl::StatusCode>(response.status().code());
}

class StoreServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(StoreServerOptions{}); }

  void Start(StoreServerOptions options) {
    store_ = OpenTestStore("store_server");
    ASSERT_NE(store_, nullptr);
    options.port = 0;
    auto server = StoreServer::Start(store_.get(), options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    client::StoreClientOptions client_options;
    client_options.port = server_->port();
    auto c = client::StoreClient::Create(client_options);
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
    CreateTopicRequest create;
    create.topic = "t";
    ASSERT_TRUE(client_->CreateTopic(create).ok());
  }

  void TearDown() override {
    client_.reset();
    server_.reset();
    store_.reset();
  }

  // The well-behaved client still gets its work done.
  void ExpectOtherClientWorks() {
    AppendRequest append;
    append.topic = "t";
    append.records.push_back(ProducerRecord{std::nullopt, {}, "still fine"});
    auto appended = client_->Append(append);
    ASSERT_TRUE(appended.ok()) << appended.status();
    ReadRequest read;
    read.topic = "t";
    read.offset = appended->base_offset;
    auto r = client_->Read(read);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_THAT(r->records, SizeIs(1));
    EXPECT_EQ(r->records[0].payload, "still fine");
  }

  std::unique_ptr<RocksDbEventStore> store_;
  std::unique_ptr<StoreServer> server_;
  std::unique_ptr<client::StoreClient> client_;
};

TEST_F(StoreServerTest, MalformedProtobufFrameGetsAnErrorAndTheConnectionStaysUsable) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  std::string frame;
  ASSERT_TRUE(protocol::rpc::EncodeRawFrame(std::string("\xff\xff\xff\xff", 4), &frame).ok());
  ASSERT_TRUE(raw.SendBytes(frame));
  auto error = raw.Receive();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->request_id(), 0u);
  EXPECT_EQ(CodeOf(*error), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error->status().message(), "malformed protobuf frame");
  EXPECT_EQ(error->result_case(), v1::StoreResponse::RESULT_NOT_SET);

  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(5)));
  auto ok = raw.Receive();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->request_id(), 5u);
  EXPECT_EQ(CodeOf(*ok), absl::StatusCode::kOk);
  ASSERT_EQ(ok->result_case(), v1::StoreResponse::kListTopics);
  EXPECT_THAT(ok->list_topics().topics(), ::testing::ElementsAre("t"));
  ExpectOtherClientWorks();
}

TEST_F(StoreServerTest, UnknownRequestTypeGetsInvalidArgumentWithItsRequestId) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  v1::StoreRequest empty;
  empty.set_request_id(7);
  ASSERT_TRUE(raw.Send(empty));
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 7u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response->status().message(), "request 7 has no operation set (unknown request type?)");

  // An operation from a newer protocol: request_id 8 plus field 99 (varint 1).
  std::string payload;
  payload += '\x08';
  payload += '\x08';
  payload += "\x98\x06\x01";  // tag (99 << 3 | 0) = 792 = 0x98 0x06
  std::string frame;
  ASSERT_TRUE(protocol::rpc::EncodeRawFrame(payload, &frame).ok());
  ASSERT_TRUE(raw.SendBytes(frame));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 8u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response->status().message(), "request 8 has no operation set (unknown request type?)");
  ExpectOtherClientWorks();
}

TEST_F(StoreServerTest, InvalidArgumentsGetTheEngineOrDecodingError) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  v1::StoreRequest request;
  v1::AppendRequest* append = request.mutable_append();
  append->set_topic("t");
  append->add_records()->set_payload("x");
  append->mutable_partition()->set_partition(9);
  request.set_request_id(12);
  ASSERT_TRUE(raw.Send(request));
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 12u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(response->status().message().empty());

  request.set_request_id(13);
  append->mutable_partition()->set_round_robin(false);
  ASSERT_TRUE(raw.Send(request));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 13u);
  EXPECT_EQ(response->status().message(), "partition.round_robin must be true when set");
  ExpectOtherClientWorks();
}

// Several appends in one request: each applied in order as if alone, each with its own outcome.
TEST_F(StoreServerTest, MultiAppendAnswersEachAppendWithItsOwnOutcome) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  v1::StoreRequest request;
  request.set_request_id(21);
  auto add = [&](const std::string& topic, const std::string& payload) {
    v1::AppendRequest* append = request.mutable_multi_append()->add_appends();
    append->set_topic(topic);
    append->add_records()->set_payload(payload);
    return append;
  };
  add("t", "first");
  add("missing", "lost");
  add("t", "second")->mutable_partition()->set_partition(9);  // no partition 9
  v1::AppendRequest* two = add("t", "third");
  two->add_records()->set_payload("fourth");
  ASSERT_TRUE(raw.Send(request));
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 21u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk);
  ASSERT_EQ(response->result_case(), v1::StoreResponse::kMultiAppend);
  const auto& outcomes = response->multi_append().outcomes();
  ASSERT_EQ(outcomes.size(), 4);
  EXPECT_EQ(outcomes[0].status().code(), 0);
  EXPECT_EQ(outcomes[0].append().base_offset(), 0);
  EXPECT_EQ(outcomes[0].append().last_offset(), 0);
  EXPECT_EQ(outcomes[1].status().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(outcomes[1].status().message(), "topic \"missing\" does not exist");
  EXPECT_EQ(outcomes[2].status().code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(outcomes[3].status().code(), 0);
  EXPECT_EQ(outcomes[3].append().base_offset(), 1);
  EXPECT_EQ(outcomes[3].append().last_offset(), 2);

  ReadRequest read;
  read.topic = "t";
  auto r = client_->Read(read);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_THAT(r->records, SizeIs(3));
  EXPECT_EQ(r->records[0].payload, "first");
  EXPECT_EQ(r->records[1].payload, "third");
  EXPECT_EQ(r->records[2].payload, "fourth");

  // 4096 appends are taken; beyond, the whole request is refused and none is applied.
  v1::StoreRequest big;
  big.set_request_id(22);
  for (int i = 0; i < 4096; ++i) {
    v1::AppendRequest* append = big.mutable_multi_append()->add_appends();
    append->set_topic("t");
    append->add_records()->set_payload("x");
  }
  ASSERT_TRUE(raw.Send(big));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk);
  ASSERT_EQ(response->multi_append().outcomes_size(), 4096);
  EXPECT_EQ(response->multi_append().outcomes(4095).append().base_offset(), 3 + 4095);
  v1::AppendRequest* one_more = big.mutable_multi_append()->add_appends();
  one_more->set_topic("t");
  one_more->add_records()->set_payload("x");
  ASSERT_TRUE(raw.Send(big));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 22u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(response->status().message(),
            "multi_append carries 4097 appends; at most 4096 per request");
  auto end = client_->GetOffsets({"t", 0});
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->latest_offset, 3 + 4096);

  // An empty one is answered with no outcomes.
  v1::StoreRequest empty;
  empty.set_request_id(23);
  empty.mutable_multi_append();
  ASSERT_TRUE(raw.Send(empty));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 23u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk);
  EXPECT_EQ(response->multi_append().outcomes_size(), 0);
  ExpectOtherClientWorks();
}

TEST_F(StoreServerTest, OversizeLengthPrefixGetsAnErrorThenTheConnectionIsClosed) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  std::string prefix;
  AppendBigEndian32(&prefix, 0xFFFFFFFFu);
  ASSERT_TRUE(raw.SendBytes(prefix));
  auto error = raw.Receive();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->request_id(), 0u);
  EXPECT_EQ(CodeOf(*error), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(error->status().message(),
            "rpc frame of 4294967295 bytes exceeds the limit of 16777216 bytes");
  EXPECT_FALSE(raw.Receive().has_value());
  EXPECT_TRUE(raw.eof());
  ExpectOtherClientWorks();
}

std::string Varint(uint64_t n) {
  uint8_t bytes[10];  // a varint of 64 bits takes at most 10 bytes
  const uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(n, bytes);
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(end - bytes));
}

// A frame of StoreRequest{request_id: id, append: {topic: "t", records: `records` x {}}}: 2
// bytes per record, each over 100 bytes once parsed.
std::string EmptyRecordsFrame(uint64_t id, size_t records) {
  std::string append = "\x0a\x01t";
  for (size_t i = 0; i < records; ++i) append += std::string("\x1a\x00", 2);
  std::string payload = "\x08" + Varint(id) + "\xa2\x01" + Varint(append.size()) + append;
  std::string frame;
  EXPECT_TRUE(protocol::rpc::EncodeRawFrame(payload, &frame).ok());
  return frame;
}

// A full frame of empty records would take over a gigabyte once parsed: it is refused by its
// field count, unparsed, on both the direct append path and the protobuf one.
TEST_F(StoreServerTest, RequestsWithTooManyFieldsAreRefusedBeforeTheyAreParsed) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  const int64_t peak_before = eventmesh::testing::PeakRssBytes();
  ASSERT_TRUE(raw.SendBytes(EmptyRecordsFrame(21, 7'000'000)));  // 14 MB of empty records
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 21u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(response->status().message(), HasSubstr("more than 131072 fields"));
  // Without the count the parse alone took 1.1 GB (measured against store_main).
  if (peak_before > 0) {
    EXPECT_LT(eventmesh::testing::PeakRssBytes() - peak_before, 256 << 20);
  }

  // The same in a form the direct path does not take (request_id twice): the protobuf path
  // counts before it parses.
  std::string frame = EmptyRecordsFrame(22, 200'000);
  frame.insert(4, "\x08\x16");
  StoreBigEndian32(frame.data(), static_cast<uint32_t>(frame.size() - 4));
  ASSERT_TRUE(raw.SendBytes(frame));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 22u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kResourceExhausted);

  // Another operation's repeated fields: CommitOffsets with 200,000 empty offsets.
  std::string commit = "\x0a\x01g";
  for (int i = 0; i < 200'000; ++i) commit += std::string("\x22\x00", 2);
  const int commit_field = v1::StoreRequest::kCommitOffsetsFieldNumber;
  std::string payload = "\x08\x17" + Varint(static_cast<uint64_t>(commit_field) << 3 | 2) +
                        Varint(commit.size()) + commit;
  frame.clear();
  ASSERT_TRUE(protocol::rpc::EncodeRawFrame(payload, &frame).ok());
  ASSERT_TRUE(raw.SendBytes(frame));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 23u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kResourceExhausted);

  // The connection goes on, and a large ordinary batch is not affected.
  AppendRequest big;
  big.topic = "t";
  for (int i = 0; i < 1000; ++i) big.records.push_back(ProducerRecord{std::nullopt, {}, "e"});
  auto appended = client_->Append(big);
  ASSERT_TRUE(appended.ok()) << appended.status();
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(24)));
  response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 24u);
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk);
  ExpectOtherClientWorks();
}

TEST_F(StoreServerTest, TheFieldLimitCountsRecordsAndTheirFields) {
  TearDown();
  StoreServerOptions options;
  options.max_request_fields = 40;
  Start(options);
  const auto append = [this](int records) {
    AppendRequest request;
    request.topic = "t";
    for (int i = 0; i < records; ++i) {
      request.records.push_back(ProducerRecord{std::nullopt, {}, "payload"});
    }
    return client_->Append(request);
  };
  // An append of n records is 2 + 2n fields here (topic; each record and its payload) plus one
  // for the append itself.
  EXPECT_TRUE(append(18).ok());
  auto refused = append(19);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.status().message(), HasSubstr("max_request_fields"));
  ExpectOtherClientWorks();
}

TEST_F(StoreServerTest, TruncatedFrameThenCloseDoesNotDisturbOthers) {
  {
    RawConnection raw(server_->port());
    ASSERT_TRUE(raw.connected());
    std::string partial;
    AppendBigEndian32(&partial, 100);
    partial += "only ten b";
    ASSERT_TRUE(raw.SendBytes(partial));
  }  // closed mid-frame
  ExpectOtherClientWorks();
  // A request answered before the truncated tail still got its response.
  RawConnection raw(server_->port());
  std::string bytes;
  ASSERT_TRUE(protocol::rpc::EncodeFrame(ListTopicsRequestWithId(21), &bytes).ok());
  AppendBigEndian32(&bytes, 50);
  bytes += "abc";
  ASSERT_TRUE(raw.SendBytes(bytes));
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->request_id(), 21u);
  ExpectOtherClientWorks();
}

TEST_F(StoreServerTest, ResponsesCompleteOutOfOrderTaggedWithRequestIds) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  v1::StoreRequest fetch;
  fetch.set_request_id(100);
  fetch.mutable_fetch()->mutable_read()->set_topic("t");
  fetch.mutable_fetch()->set_max_wait_ms(60'000);
  ASSERT_TRUE(raw.Send(fetch));
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(101)));
  auto first = raw.Receive();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->request_id(), 101u);  // the later request is answered first
  ExpectOtherClientWorks();              // its append wakes the fetch
  auto second = raw.Receive();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->request_id(), 100u);
  ASSERT_EQ(second->result_case(), v1::StoreResponse::kFetch);
  ASSERT_THAT(second->fetch().records(), SizeIs(1));
  EXPECT_EQ(second->fetch().records(0).payload(), "still fine");
}

TEST_F(StoreServerTest, FetchesWithTheSameRequestIdAreAllAnsweredAndTheConnectionCloses) {
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  v1::StoreRequest fetch;  // request_id left at 0, twice
  fetch.mutable_fetch()->mutable_read()->set_topic("t");
  fetch.mutable_fetch()->set_max_wait_ms(20);
  ASSERT_TRUE(raw.Send(fetch));
  ASSERT_TRUE(raw.Send(fetch));
  for (int i = 0; i < 2; ++i) {
    auto response = raw.Receive();
    ASSERT_TRUE(response.has_value()) << "fetch response " << i;
    EXPECT_EQ(response->request_id(), 0u);
    EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk);
    ASSERT_EQ(response->result_case(), v1::StoreResponse::kFetch);
    EXPECT_THAT(response->fetch().records(), SizeIs(0));
  }
  // Nothing is left in flight: after our EOF the server closes the connection.
  raw.ShutdownWrite();
  EXPECT_FALSE(raw.Receive().has_value());
  EXPECT_TRUE(raw.eof());
  ExpectOtherClientWorks();
}

// Delegates to a real store, but Read waits until `release` is notified.
class GatedStore final : public EventStore {
 public:
  explicit GatedStore(EventStore* inner) : inner_(inner) {}
  absl::Notification release;
  absl::Notification entered;
  std::atomic<int> reads_entered{0};
  std::atomic<int> reads_done{0};
  // reads_done when ListTopics was first called (-1: not yet).
  std::atomic<int> reads_done_at_list{-1};
  absl::Notification listed;
  std::atomic<bool> list_seen{false};

  absl::StatusOr<ReadResult> Read(const ReadRequest& r) override {
    ++reads_entered;
    if (!entered.HasBeenNotified()) entered.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(60));
    auto result = inner_->Read(r);
    ++reads_done;
    return result;
  }
  absl::StatusOr<AppendResult> Append(const AppendRequest& r) override { return inner_->Append(r); }
  // With GateAppends(): AppendAsync calls are held (not applied) until ReleaseAppends().
  void AppendAsync(const AppendRequest& r, AppendCallback done) override {
    {
      absl::MutexLock lock(&appends_mu_);
      if (gate_appends_) {
        ++appends_entered;
        // Kept past the call: the payloads the server lent (views into its read buffer) are
        // copied, as any store that keeps a request must.
        held_appends_.emplace_back(r, std::move(done));
        OwnPayloads(&held_appends_.back().first.records);
        return;
      }
    }
    inner_->AppendAsync(r, std::move(done));
  }
  void GateAppends() {
    absl::MutexLock lock(&appends_mu_);
    gate_appends_ = true;
  }
  void ReleaseAppends() {
    std::vector<std::pair<AppendRequest, AppendCallback>> held;
    {
      absl::MutexLock lock(&appends_mu_);
      gate_appends_ = false;
      held.swap(held_appends_);
    }
    for (auto& [request, done] : held) inner_->AppendAsync(request, std::move(done));
  }
  std::atomic<int> appends_entered{0};
  absl::StatusOr<TopicDescription> CreateTopic(const CreateTopicRequest& r) override {
    return inner_->CreateTopic(r);
  }
  absl::StatusOr<TopicDescription> DescribeTopic(const DescribeTopicRequest& r) override {
    return inner_->DescribeTopic(r);
  }
  absl::StatusOr<ListTopicsResult> ListTopics(const ListTopicsRequest& r) override {
    if (!list_seen.exchange(true)) {  // the first call only, even when two race
      reads_done_at_list = reads_done.load();
      listed.Notify();
    }
    return inner_->ListTopics(r);
  }
  absl::StatusOr<DeleteTopicResult> DeleteTopic(const DeleteTopicRequest& r) override {
    return inner_->DeleteTopic(r);
  }
  absl::StatusOr<ReadResult> Fetch(const FetchRequest& r) override { return inner_->Fetch(r); }
  void FetchAsync(const FetchRequest& r, FetchCallback done) override {
    inner_->FetchAsync(r, std::move(done));
  }
  absl::StatusOr<OffsetsResult> GetOffsets(const OffsetsRequest& r) override {
    return inner_->GetOffsets(r);
  }
  absl::StatusOr<SeekTimeResult> SeekTime(const SeekTimeRequest& r) override {
    return inner_->SeekTime(r);
  }
  absl::StatusOr<MemberAssignment> JoinGroup(const JoinGroupRequest& r) override {
    return inner_->JoinGroup(r);
  }
  absl::StatusOr<MemberAssignment> Heartbeat(const HeartbeatRequest& r) override {
    return inner_->Heartbeat(r);
  }
  absl::StatusOr<LeaveGroupResult> LeaveGroup(const LeaveGroupRequest& r) override {
    return inner_->LeaveGroup(r);
  }
  absl::StatusOr<GroupDescription> DescribeGroup(const DescribeGroupRequest& r) override {
    return inner_->DescribeGroup(r);
  }
  absl::StatusOr<CommitOffsetsResult> CommitOffsets(const CommitOffsetsRequest& r) override {
    return inner_->CommitOffsets(r);
  }
  absl::StatusOr<FetchOffsetsResult> FetchOffsets(const FetchOffsetsRequest& r) override {
    return inner_->FetchOffsets(r);
  }
  absl::StatusOr<RetentionPassResult> RunRetentionOnce() override {
    return inner_->RunRetentionOnce();
  }

 private:
  EventStore* const inner_;
  absl::Mutex appends_mu_;
  bool gate_appends_ ABSL_GUARDED_BY(appends_mu_) = false;
  std::vector<std::pair<AppendRequest, AppendCallback>> held_appends_ ABSL_GUARDED_BY(appends_mu_);
};

TEST(StoreServerOverloadTest, FullExecutorQueueGetsResourceExhaustedAndOthersComplete) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server", "t");
  ASSERT_NE(store, nullptr);
  GatedStore gated(store.get());
  StoreServerOptions options;
  options.port = 0;
  options.executor_threads = 1;
  options.max_queued_calls = 1;
  auto server = StoreServer::Start(&gated, options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  auto read = [](uint64_t id) {
    v1::StoreRequest request;
    request.set_request_id(id);
    request.mutable_read()->set_topic("t");
    return request;
  };
  ASSERT_TRUE(raw.Send(read(1)));  // occupies the only executor thread
  ASSERT_TRUE(gated.entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(raw.Send(read(2)));  // fills the queue
  ASSERT_TRUE(raw.Send(read(3)));  // refused
  auto refused = raw.Receive();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->request_id(), 3u);
  EXPECT_EQ(CodeOf(*refused), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused->status().message(), "store server is overloaded: 1 calls queued");
  // Appends do not use the executor: one completes while the executor is blocked.
  v1::StoreRequest append;
  append.set_request_id(4);
  append.mutable_append()->set_topic("t");
  append.mutable_append()->add_records()->set_payload("e4");
  ASSERT_TRUE(raw.Send(append));
  auto appended = raw.Receive();
  ASSERT_TRUE(appended.has_value());
  EXPECT_EQ(appended->request_id(), 4u);
  EXPECT_EQ(CodeOf(*appended), absl::StatusCode::kOk);
  EXPECT_EQ(appended->append().base_offset(), 0);
  gated.release.Notify();
  std::set<uint64_t> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = raw.Receive();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(CodeOf(*r), absl::StatusCode::kOk);
    ids.insert(r->request_id());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(1u, 2u));
  (*server)->Stop();
}

TEST(StoreServerStopTest, CallsStillQueuedAfterTheStopTimeoutAreAnsweredUnavailable) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server", "t");
  ASSERT_NE(store, nullptr);
  GatedStore gated(store.get());
  StoreServerOptions options;
  options.port = 0;
  options.executor_threads = 1;
  options.max_queued_calls = 2;
  options.stop_timeout = absl::Milliseconds(50);
  auto server = StoreServer::Start(&gated, options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  v1::StoreRequest read;
  read.set_request_id(1);
  read.mutable_read()->set_topic("t");
  ASSERT_TRUE(raw.Send(read));  // runs, blocked in the store
  ASSERT_TRUE(gated.entered.WaitForNotificationWithTimeout(absl::Seconds(30)));
  read.set_request_id(2);
  ASSERT_TRUE(raw.Send(read));                        // queued behind it
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(3)));  // queued too (the queue is now full)
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(4)));  // refused: proves 2 and 3 are queued
  auto refused = raw.Receive();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->request_id(), 4u);
  EXPECT_EQ(CodeOf(*refused), absl::StatusCode::kResourceExhausted);
  std::thread stopper([&] { (*server)->Stop(); });
  std::set<uint64_t> ids;
  for (int i = 0; i < 2; ++i) {
    auto response = raw.Receive();
    ASSERT_TRUE(response.has_value()) << "queued call " << i << " was not answered";
    EXPECT_EQ(CodeOf(*response), absl::StatusCode::kUnavailable);
    EXPECT_EQ(response->status().message(), "store server is shutting down");
    ids.insert(response->request_id());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(2u, 3u));
  EXPECT_EQ(gated.reads_entered.load(), 1);  // the dropped read never ran
  gated.release.Notify();
  stopper.join();
}

TEST(StoreServerReadLimitsTest, ReadAndFetchSizesAreCappedByTheServer) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server");
  ASSERT_NE(store, nullptr);
  CreateTopicRequest create;
  create.topic = "t";
  ASSERT_TRUE(store->CreateTopic(create).ok());
  for (int i = 0; i < 100; ++i) {
    AppendRequest append;
    append.topic = "t";
    append.records.push_back(ProducerRecord{std::nullopt, {}, std::string(10'000, 'a' + i % 26)});
    ASSERT_TRUE(store->Append(append).ok());
  }
  StoreServerOptions options;
  options.port = 0;
  options.max_read_bytes = 64 << 10;
  options.max_read_events = 10;
  auto server = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  // Unbounded bytes: capped to 64 KiB (soft: records are added while they fit).
  v1::StoreRequest read;
  read.set_request_id(1);
  read.mutable_read()->set_topic("t");
  read.mutable_read()->set_max_bytes(std::numeric_limits<int64_t>::max());
  read.mutable_read()->set_max_events(1000);
  ASSERT_TRUE(raw.Send(read));
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  ASSERT_EQ(CodeOf(*response), absl::StatusCode::kOk) << response->status().message();
  ASSERT_EQ(response->result_case(), v1::StoreResponse::kRead);
  EXPECT_GE(response->read().records_size(), 1);
  EXPECT_LE(response->read().records_size(), 6);  // 6 x ~10 KB fit in 64 KiB, 7 do not
  // Unbounded events: capped to 10, for Read and for Fetch.
  read.set_request_id(2);
  read.mutable_read()->set_max_bytes(std::numeric_limits<int64_t>::max());
  read.mutable_read()->set_max_events(std::numeric_limits<int32_t>::max());
  ASSERT_TRUE(raw.Send(read));
  v1::StoreRequest fetch;
  fetch.set_request_id(3);
  *fetch.mutable_fetch()->mutable_read() = read.read();
  fetch.mutable_fetch()->set_max_wait_ms(0);
  ASSERT_TRUE(raw.Send(fetch));
  for (int i = 0; i < 2; ++i) {
    response = raw.Receive();
    ASSERT_TRUE(response.has_value());
    ASSERT_EQ(CodeOf(*response), absl::StatusCode::kOk) << response->status().message();
    const v1::ReadResponse& r = response->request_id() == 2 ? response->read() : response->fetch();
    EXPECT_GE(r.records_size(), 1);
    EXPECT_LE(r.records_size(), 6);
  }
  options.max_read_bytes = 0;
  EXPECT_EQ(StoreServer::Start(store.get(), options).status().code(),
            absl::StatusCode::kInvalidArgument);
  (*server)->Stop();
}

// One stored event may exceed the frame limit (it was appended under a larger one): a Read or
// Fetch that would carry it is answered RESOURCE_EXHAUSTED with a hint, and the connection
// keeps serving.
TEST(StoreServerReadLimitsTest, AnAnswerBeyondTheFrameLimitGetsResourceExhausted) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server");
  ASSERT_NE(store, nullptr);
  CreateTopicRequest create;
  create.topic = "t";
  ASSERT_TRUE(store->CreateTopic(create).ok());
  AppendRequest append;
  append.topic = "t";
  append.records.push_back(ProducerRecord{std::nullopt, {}, std::string(20'000, 'x')});
  ASSERT_TRUE(store->Append(append).ok());
  StoreServerOptions options;
  options.port = 0;
  options.max_frame_size = 16 << 10;
  options.max_read_bytes = 8 << 10;
  auto server = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  v1::StoreRequest fetch;
  fetch.set_request_id(7);
  fetch.mutable_fetch()->mutable_read()->set_topic("t");
  fetch.mutable_fetch()->set_max_wait_ms(0);
  v1::StoreRequest read;
  read.set_request_id(8);
  read.mutable_read()->set_topic("t");
  for (const v1::StoreRequest* request : {&fetch, &read}) {
    ASSERT_TRUE(raw.Send(*request));
    auto response = raw.Receive();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->request_id(), request->request_id());
    EXPECT_EQ(CodeOf(*response), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(response->status().message(), ::testing::HasSubstr("response too large"));
    EXPECT_THAT(response->status().message(), ::testing::HasSubstr("ask for fewer bytes"));
  }
  // Still serving: the same topic described.
  v1::StoreRequest describe;
  describe.set_request_id(9);
  describe.mutable_describe_topic()->set_topic("t");
  ASSERT_TRUE(raw.Send(describe));
  auto response = raw.Receive();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk) << response->status().message();
  (*server)->Stop();
}

TEST(StoreServerReadLimitsTest, ReadsInFlightCountAgainstTheWriteQueueBudget) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server", "t");
  ASSERT_NE(store, nullptr);
  GatedStore gated(store.get());
  StoreServerOptions options;
  options.port = 0;
  options.executor_threads = 8;
  options.max_read_bytes = 512 << 10;
  // Two reads of 512 KiB fill the budget; the third goes over it and reading pauses.
  options.max_write_queue_bytes = 1 << 20;
  auto server = StoreServer::Start(&gated, options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  for (uint64_t id = 1; id <= 4; ++id) {
    v1::StoreRequest read;
    read.set_request_id(id);
    read.mutable_read()->set_topic("t");
    read.mutable_read()->set_max_bytes(1 << 20);  // capped to 512 KiB
    ASSERT_TRUE(raw.Send(read));
  }
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(5)));
  for (int i = 0; i < 3000 && gated.reads_entered.load() < 3; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(gated.reads_entered.load(), 3);
  // Without the budget the list call would run now, while every read is still blocked.
  gated.listed.WaitForNotificationWithTimeout(absl::Seconds(1));
  gated.release.Notify();
  std::set<uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = raw.Receive();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(CodeOf(*r), absl::StatusCode::kOk);
    ids.insert(r->request_id());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(1u, 2u, 3u, 4u, 5u));
  EXPECT_GE(gated.reads_done_at_list.load(), 1);
  (*server)->Stop();
}

// Appends not yet durable hold their request bytes: they count against the connection's byte
// budget, so a client pipelining large appends to a stalled disk cannot pin unbounded memory.
TEST(StoreServerBackPressureTest, AppendsInFlightCountAgainstTheByteBudget) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server", "t");
  ASSERT_NE(store, nullptr);
  GatedStore gated(store.get());
  gated.GateAppends();
  StoreServerOptions options;
  options.port = 0;
  // Three appends of 300 KB fit in 1 MiB; the fourth goes over it and reading pauses.
  options.max_write_queue_bytes = 1 << 20;
  auto server = StoreServer::Start(&gated, options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  // Each record of its own letter: a payload read from another frame's bytes would show.
  std::vector<std::string> payloads;
  for (uint64_t id = 1; id <= 5; ++id) {
    v1::StoreRequest request;
    request.set_request_id(id);
    if (id == 5) {  // the last two appends travel together
      for (int i = 0; i < 2; ++i) {
        v1::AppendRequest* append = request.mutable_multi_append()->add_appends();
        append->set_topic("t");
        payloads.emplace_back(150'000, static_cast<char>('a' + payloads.size()));
        append->add_records()->set_payload(payloads.back());
      }
    } else {
      request.mutable_append()->set_topic("t");
      payloads.emplace_back(300'000, static_cast<char>('a' + payloads.size()));
      request.mutable_append()->add_records()->set_payload(payloads.back());
    }
    ASSERT_TRUE(raw.Send(request));
  }
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(6)));
  for (int i = 0; i < 3000 && gated.appends_entered.load() < 4; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_EQ(gated.appends_entered.load(), 4);
  // Without the budget the multi-append and the list call would be read now.
  gated.listed.WaitForNotificationWithTimeout(absl::Seconds(1));
  EXPECT_FALSE(gated.list_seen.load());
  EXPECT_EQ(gated.appends_entered.load(), 4);
  gated.ReleaseAppends();
  std::set<uint64_t> ids;
  for (int i = 0; i < 6; ++i) {
    auto r = raw.Receive();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(CodeOf(*r), absl::StatusCode::kOk) << r->status().message();
    ids.insert(r->request_id());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(1u, 2u, 3u, 4u, 5u, 6u));
  auto end = store->GetOffsets({"t", 0});
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->latest_offset, 6);
  ReadRequest read;
  read.topic = "t";
  read.max_events = 10;
  read.max_bytes = 8 << 20;
  auto stored = store->Read(read);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->records.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_TRUE(stored->records[i].payload == payloads[i]) << "record " << i;
  }
  (*server)->Stop();
}

TEST(StoreServerBackPressureTest, InFlightLimitStopsReadingFurtherRequests) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server", "t");
  ASSERT_NE(store, nullptr);
  GatedStore gated(store.get());
  StoreServerOptions options;
  options.port = 0;
  options.executor_threads = 8;  // not the limiting factor
  options.max_in_flight_per_connection = 2;
  auto server = StoreServer::Start(&gated, options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  for (uint64_t id = 1; id <= 3; ++id) {
    v1::StoreRequest read;
    read.set_request_id(id);
    read.mutable_read()->set_topic("t");
    ASSERT_TRUE(raw.Send(read));
  }
  ASSERT_TRUE(raw.Send(ListTopicsRequestWithId(4)));
  for (int i = 0; i < 3000 && gated.reads_entered.load() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(gated.reads_entered.load(), 2);
  // Without the limit the third read and the list call would run now, with both reads blocked.
  gated.listed.WaitForNotificationWithTimeout(absl::Seconds(1));
  EXPECT_EQ(gated.reads_entered.load(), 2);
  gated.release.Notify();
  std::set<uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto r = raw.Receive();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(CodeOf(*r), absl::StatusCode::kOk);
    ids.insert(r->request_id());
  }
  EXPECT_THAT(ids, ::testing::ElementsAre(1u, 2u, 3u, 4u));
  EXPECT_GE(gated.reads_done_at_list.load(), 1);
  (*server)->Stop();
}

TEST(StoreServerBackPressureTest, ManyPipelinedRequestsWithASmallInFlightLimitAllComplete) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server");
  ASSERT_NE(store, nullptr);
  StoreServerOptions options;
  options.port = 0;
  options.max_in_flight_per_connection = 2;
  options.executor_threads = 2;
  auto server = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(server.ok());
  RawConnection raw((*server)->port());
  std::string bytes;
  constexpr int kRequests = 300;
  for (int i = 1; i <= kRequests; ++i) {
    ASSERT_TRUE(protocol::rpc::EncodeFrame(ListTopicsRequestWithId(i), &bytes).ok());
  }
  ASSERT_TRUE(raw.SendBytes(bytes));
  std::set<uint64_t> ids;
  for (int i = 0; i < kRequests; ++i) {
    auto response = raw.Receive();
    ASSERT_TRUE(response.has_value()) << "after " << i << " responses";
    EXPECT_EQ(CodeOf(*response), absl::StatusCode::kOk);
    ids.insert(response->request_id());
  }
  EXPECT_THAT(ids, SizeIs(kRequests));
  (*server)->Stop();
}

TEST(StoreServerStopTest, ConcurrentStopCallsBothReturnAfterTheServerStopped) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server");
  ASSERT_NE(store, nullptr);
  StoreServerOptions options;
  options.port = 0;
  auto server = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(server.ok());
  const uint16_t port = (*server)->port();
  std::thread a([&] { (*server)->Stop(); });
  std::thread b([&] { (*server)->Stop(); });
  a.join();
  b.join();
  RawConnection raw(port);  // nobody listens any more
  EXPECT_FALSE(raw.connected());
}

TEST(StoreServerStartTest, BadOptionsAreRejected) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server");
  ASSERT_NE(store, nullptr);
  StoreServerOptions options;
  options.bind_address = "not-an-ip";
  auto bad = StoreServer::Start(store.get(), options);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().substr(0, 27), "bad bind address \"not-an-ip");
  options.bind_address = "127.0.0.1";
  options.port = 0;
  auto first = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  auto taken = StoreServer::Start(store.get(), options);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(taken.status().message()),
              ::testing::StartsWith(absl::StrCat("cannot bind 127.0.0.1:", options.port, ": ")));
}

TEST(WireConvertTest, StatusRoundTripKeepsOffsets) {
  v1::Status proto;
  wire::StatusToProto(OffsetOutOfRange("below", 7, 10), &proto);
  EXPECT_EQ(proto.code(), static_cast<int>(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(proto.offset_range().earliest_offset(), 7);
  EXPECT_EQ(proto.offset_range().latest_offset(), 10);
  const absl::Status back = wire::StatusFromProto(proto);
  EXPECT_EQ(back.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(back.message(), "below");
  EXPECT_EQ(EarliestOffsetOf(back), 7);
  EXPECT_EQ(LatestOffsetOf(back), 10);
}

TEST(WireConvertTest, AppendFromAnRvalueProtoEqualsTheCopy) {
  AppendRequest original;
  original.topic = "orders";
  original.strategy = PartitionStrategy::kKeyHash;
  original.partition_key = "k";
  original.producer_id = 42;
  original.sequence = 7;
  original.records.push_back(ProducerRecord{std::string("key\0bin", 7), {{"h1", "v1"}}, "one"});
  original.records.push_back(ProducerRecord{std::nullopt, {}, std::string(1000, 'x')});
  v1::AppendRequest proto;
  ASSERT_TRUE(wire::ToProto(original, &proto).ok());
  AppendRequest copied, moved;
  ASSERT_TRUE(wire::FromProto(proto, &copied).ok());
  ASSERT_TRUE(wire::FromProto(std::move(proto), &moved).ok());
  // The rvalue form moved the strings out of the proto (libstdc++ leaves them empty).
  EXPECT_TRUE(proto.topic().empty());
  EXPECT_TRUE(proto.records(0).key().empty());
  EXPECT_TRUE(proto.records(0).headers().at("h1").empty());
  EXPECT_TRUE(proto.records(1).payload().empty());
  for (const AppendRequest* r : {&copied, &moved}) {
    EXPECT_EQ(r->topic, "orders");
    EXPECT_EQ(r->strategy, PartitionStrategy::kKeyHash);
    EXPECT_EQ(r->partition_key, "k");
    EXPECT_EQ(r->producer_id, std::optional<uint64_t>(42));
    EXPECT_EQ(r->sequence, 7);
    ASSERT_EQ(r->records.size(), 2u);
    EXPECT_EQ(r->records[0].key, std::optional<std::string>(std::string("key\0bin", 7)));
    EXPECT_EQ(r->records[0].headers, original.records[0].headers);
    EXPECT_EQ(r->records[0].payload, "one");
    EXPECT_FALSE(r->records[1].key.has_value());
    EXPECT_EQ(r->records[1].payload, std::string(1000, 'x'));
  }
}

TEST(StoreServerLimitsTest, ConnectionsBeyondMaxConnectionsAreClosedAndOthersKeepWorking) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server_limits");
  ASSERT_NE(store, nullptr);
  StoreServerOptions options;
  options.port = 0;
  options.max_connections = 2;
  auto server = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto first = std::make_unique<RawConnection>((*server)->port());
  RawConnection second((*server)->port());
  ASSERT_TRUE(first->connected() && second.connected());
  ASSERT_TRUE(first->Send(ListTopicsRequestWithId(1)));
  ASSERT_TRUE(first->Receive().has_value());
  ASSERT_TRUE(second.Send(ListTopicsRequestWithId(2)));
  ASSERT_TRUE(second.Receive().has_value());
  // A third connection is accepted and closed at once.
  // (Nothing is sent on it: unread bytes would turn the close into a reset.)
  RawConnection third((*server)->port());
  EXPECT_FALSE(third.Receive().has_value());
  EXPECT_TRUE(third.eof());
  // The two open ones still work; once one closes, a new connection is served.
  ASSERT_TRUE(second.Send(ListTopicsRequestWithId(4)));
  EXPECT_TRUE(second.Receive().has_value());
  first.reset();
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    RawConnection again((*server)->port());
    served = again.Send(ListTopicsRequestWithId(5)) && again.Receive().has_value();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace eventmesh::store::service

namespace eventmesh::store::service {
namespace {

using ::testing::HasSubstr;

// The server's instruments: requests by operation, appended and fetched events, append
// latency, connections; the page passes promtool, and a restarted server on the same registry
// keeps counting.
TEST(StoreServerMetricsTest, CountsRequestsAndEventsAndPassesPromtool) {
  std::unique_ptr<RocksDbEventStore> store = OpenTestStore("store_server_metrics");
  ASSERT_NE(store, nullptr);
  metrics::Registry registry;
  StoreServerOptions options;
  options.port = 0;
  options.metrics = &registry;
  auto server = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(server.ok()) << server.status();
  client::StoreClientOptions client_options;
  client_options.port = (*server)->port();
  auto client = client::StoreClient::Create(client_options);
  ASSERT_TRUE(client.ok());
  CreateTopicRequest create;
  create.topic = "t";
  ASSERT_TRUE((*client)->CreateTopic(create).ok());
  for (int i = 0; i < 3; ++i) {
    AppendRequest append;
    append.topic = "t";
    append.records.push_back(ProducerRecord{std::nullopt, {}, "a"});
    append.records.push_back(ProducerRecord{std::nullopt, {}, "b"});
    ASSERT_TRUE((*client)->Append(append).ok());
  }
  FetchRequest fetch;
  fetch.read.topic = "t";
  auto fetched = (*client)->Fetch(fetch);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  ASSERT_EQ(fetched->records.size(), 6u);

  std::string page;
  metrics::AppendPrometheusText(registry, &page);
  EXPECT_THAT(page, HasSubstr("eventmesh_store_requests_total{op=\"append\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_requests_total{op=\"create_topic\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_requests_total{op=\"fetch\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_appended_events_total 6\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_fetched_events_total 6\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_append_latency_seconds_count 3\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_connections 1\n"));
  const absl::Status checked = metrics::testing::PromtoolCheckMetrics(page);
  EXPECT_TRUE(checked.ok()) << checked;

  client->reset();
  (*server)->Stop();
  server->reset();
  page.clear();
  metrics::AppendPrometheusText(registry, &page);
  EXPECT_THAT(page, ::testing::Not(HasSubstr("eventmesh_store_connections")));
  auto again = StoreServer::Start(store.get(), options);
  ASSERT_TRUE(again.ok()) << again.status();
  page.clear();
  metrics::AppendPrometheusText(registry, &page);
  EXPECT_THAT(page, HasSubstr("eventmesh_store_requests_total{op=\"append\"} 3\n"));
  EXPECT_THAT(page, HasSubstr("eventmesh_store_connections 0\n"));
}

}  // namespace
}  // namespace eventmesh::store::service
