#include "eventmesh/runtime/grpc/testing/grpc_test_client.h"

#include <chrono>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/generic/generic_stub.h"

namespace eventmesh::runtime::grpc::testing {

using protocol::grpc::Attr;
using protocol::grpc::SetAttr;
namespace key = protocol::grpc::key;

void SetClientHeader(pb::CloudEvent* event, const std::string& pid) {
  SetAttr(event, key::kEnv, "test");
  SetAttr(event, key::kIdc, "FT");
  SetAttr(event, key::kIp, "127.0.0.1");
  SetAttr(event, key::kPid, pid);
  SetAttr(event, key::kSys, "sys123");
  SetAttr(event, key::kUsername, "username");
  SetAttr(event, key::kPasswd, "passwd");
  SetAttr(event, key::kLanguage, "CPP");
  SetAttr(event, key::kProtocolType, "eventmeshmessage");
  SetAttr(event, key::kProtocolVersion, "1.0");
  SetAttr(event, key::kProtocolDesc, "grpc-cloud-event");
}

pb::CloudEvent TextEvent(const std::string& topic, const std::string& text,
                         const std::string& ttl) {
  static std::atomic<uint64_t> counter{1};
  const uint64_t n = counter.fetch_add(1);
  pb::CloudEvent event;
  event.set_id(absl::StrCat("test-", n));
  event.set_source("/");
  event.set_spec_version("1.0");
  event.set_type("org.apache.eventmesh");
  SetClientHeader(&event);
  SetAttr(&event, key::kSubject, topic);
  SetAttr(&event, key::kProducerGroup, "test-producers");
  SetAttr(&event, key::kTtl, ttl);
  SetAttr(&event, key::kSeqNum, absl::StrCat(n));
  SetAttr(&event, key::kUniqueId, absl::StrCat("u", n));
  SetAttr(&event, key::kDataContentType, "text/plain");
  event.set_text_data(text);
  return event;
}

pb::CloudEvent SubscriptionEvent(const std::string& group,
                                 const std::vector<protocol::grpc::SubscriptionItem>& items,
                                 const std::string& url, bool client_acks) {
  pb::CloudEvent event;
  event.set_id("subscription");
  event.set_source("/");
  event.set_spec_version("1.0");
  event.set_type("org.apache.eventmesh");
  SetClientHeader(&event);
  SetAttr(&event, key::kConsumerGroup, group);
  SetAttr(&event, key::kDataContentType, "application/json");
  if (!url.empty()) SetAttr(&event, key::kUrl, url);
  if (client_acks) SetAttr(&event, key::kAckMode, protocol::grpc::kAckModeClient);
  event.set_text_data(protocol::grpc::SubscriptionJson(items));
  return event;
}

std::shared_ptr<::grpc::Channel> Channel(int port) {
  return ::grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               ::grpc::InsecureChannelCredentials());
}

const char kServicePrefix[] = "/org.apache.eventmesh.cloudevents.v1.";

::grpc::Status RawUnaryCall(const std::shared_ptr<::grpc::Channel>& channel,
                            const std::string& method, const std::string& bytes,
                            const std::function<void()>& while_waiting) {
  ::grpc::Slice slice(bytes);
  const ::grpc::ByteBuffer request(&slice, 1);
  ::grpc::GenericStub stub(channel);
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  ::grpc::CompletionQueue queue;
  auto call =
      stub.PrepareUnaryCall(&context, absl::StrCat(kServicePrefix, method), request, &queue);
  call->StartCall();
  if (while_waiting) while_waiting();
  ::grpc::ByteBuffer response;
  ::grpc::Status status(::grpc::StatusCode::UNKNOWN, "the call did not complete");
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  queue.Shutdown();  // Next returns the call's one completion, then false.
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

absl::Status ToStatus(const ::grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

namespace {
template <typename Call>
absl::StatusOr<pb::CloudEvent> Unary(Call call) {
  ::grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pb::CloudEvent response;
  ::grpc::Status status = call(&context, &response);
  if (!status.ok()) return ToStatus(status);
  return response;
}
}  // namespace

absl::StatusOr<pb::CloudEvent> Publish(const std::shared_ptr<::grpc::Channel>& channel,
                                       const pb::CloudEvent& event) {
  auto stub = pb::PublisherService::NewStub(channel);
  return Unary(
      [&](::grpc::ClientContext* c, pb::CloudEvent* r) { return stub->publish(c, event, r); });
}
absl::StatusOr<pb::CloudEvent> RequestReply(const std::shared_ptr<::grpc::Channel>& channel,
                                            const pb::CloudEvent& event) {
  auto stub = pb::PublisherService::NewStub(channel);
  return Unary(
      [&](::grpc::ClientContext* c, pb::CloudEvent* r) { return stub->requestReply(c, event, r); });
}
absl::StatusOr<pb::CloudEvent> BatchPublish(const std::shared_ptr<::grpc::Channel>& channel,
                                            const pb::CloudEventBatch& batch) {
  auto stub = pb::PublisherService::NewStub(channel);
  return Unary(
      [&](::grpc::ClientContext* c, pb::CloudEvent* r) { return stub->batchPublish(c, batch, r); });
}
absl::StatusOr<pb::CloudEvent> Subscribe(const std::shared_ptr<::grpc::Channel>& channel,
                                         const pb::CloudEvent& event) {
  auto stub = pb::ConsumerService::NewStub(channel);
  return Unary(
      [&](::grpc::ClientContext* c, pb::CloudEvent* r) { return stub->subscribe(c, event, r); });
}
absl::StatusOr<pb::CloudEvent> Unsubscribe(const std::shared_ptr<::grpc::Channel>& channel,
                                           const pb::CloudEvent& event) {
  auto stub = pb::ConsumerService::NewStub(channel);
  return Unary(
      [&](::grpc::ClientContext* c, pb::CloudEvent* r) { return stub->unsubscribe(c, event, r); });
}
absl::StatusOr<pb::CloudEvent> Heartbeat(const std::shared_ptr<::grpc::Channel>& channel,
                                         const pb::CloudEvent& event) {
  auto stub = pb::HeartbeatService::NewStub(channel);
  return Unary(
      [&](::grpc::ClientContext* c, pb::CloudEvent* r) { return stub->heartbeat(c, event, r); });
}

StreamClient::StreamClient(std::shared_ptr<::grpc::Channel> channel)
    : stub_(pb::ConsumerService::NewStub(std::move(channel))) {
  stream_ = stub_->subscribeStream(&context_);
  reader_ = std::thread([this] { ReadLoop(); });
}

StreamClient::~StreamClient() {
  context_.TryCancel();
  if (reader_.joinable()) reader_.join();
}

void StreamClient::ReadLoop() {
  pb::CloudEvent message;
  while (stream_->Read(&message)) {
    absl::MutexLock lock(&mu_);
    if (!Attr(message, key::kPushSeq).empty()) {
      events_.push_back(message);
    } else {
      responses_.push_back(message);
    }
  }
  ::grpc::Status status = stream_->Finish();
  absl::MutexLock lock(&mu_);
  status_ = status;
  ended_ = true;
}

bool StreamClient::Send(const pb::CloudEvent& message) {
  absl::MutexLock lock(&write_mu_);
  if (half_closed_) return false;
  return stream_->Write(message);
}

absl::StatusOr<pb::CloudEvent> StreamClient::Subscribe(const pb::CloudEvent& subscription) {
  if (!Send(subscription)) return absl::UnavailableError("stream closed");
  return NextResponse();
}

absl::StatusOr<pb::CloudEvent> StreamClient::Next(bool event, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [&] { return ended_ || !(event ? events_ : responses_).empty(); };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  auto& queue = event ? events_ : responses_;
  if (queue.empty()) {
    return ended_ ? absl::UnavailableError("the stream ended")
                  : absl::DeadlineExceededError("nothing received");
  }
  pb::CloudEvent out = std::move(queue.front());
  queue.pop_front();
  return out;
}

absl::StatusOr<pb::CloudEvent> StreamClient::NextEvent(absl::Duration timeout) {
  return Next(true, timeout);
}
absl::StatusOr<pb::CloudEvent> StreamClient::NextResponse(absl::Duration timeout) {
  return Next(false, timeout);
}

bool StreamClient::Ack(const pb::CloudEvent& event) {
  pb::CloudEvent ack;
  SetAttr(&ack, key::kSubMessageType, protocol::grpc::kSubscriptionAck);
  SetAttr(&ack, key::kPushSeq, Attr(event, key::kPushSeq));
  return Send(ack);
}

bool StreamClient::Reply(const pb::CloudEvent& request, const std::string& text) {
  pb::CloudEvent reply = request;
  reply.set_id(absl::StrCat("reply-", request.id()));
  SetClientHeader(&reply, "4343");
  SetAttr(&reply, key::kProducerGroup, "test-responders");
  SetAttr(&reply, key::kDataContentType, "text/plain");
  SetAttr(&reply, key::kSubMessageType, protocol::grpc::kSubscriptionReply);
  reply.set_text_data(text);
  return Send(reply);
}

::grpc::Status StreamClient::Close() {
  {
    absl::MutexLock lock(&write_mu_);
    if (!half_closed_) stream_->WritesDone();
    half_closed_ = true;
  }
  WaitEnded();
  absl::MutexLock lock(&mu_);
  return status_;
}

bool StreamClient::WaitEnded(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [&] { return ended_; };
  mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
  return ended_;
}

}  // namespace eventmesh::runtime::grpc::testing
