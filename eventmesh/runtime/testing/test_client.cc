#include "eventmesh/runtime/testing/test_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/user_agent.h"

namespace eventmesh::runtime::testing {

using protocol::tcp::Command;
using protocol::tcp::Package;

absl::StatusOr<std::unique_ptr<TestClient>> TestClient::Connect(
    int port, protocol::tcp::LengthConvention convention, size_t max_frame_size,
    int receive_buffer_bytes) {
  std::unique_ptr<TestClient> client(new TestClient());
  client->convention_ = convention;
  client->max_frame_size_ = max_frame_size;
  boost::system::error_code ec;
  if (receive_buffer_bytes > 0) {
    client->socket_.open(boost::asio::ip::tcp::v4(), ec);
    if (ec) return absl::UnavailableError(absl::StrCat("socket: ", ec.message()));
    client->socket_.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer_bytes),
                               ec);
  }
  client->socket_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(),
                                                         static_cast<uint16_t>(port)),
                          ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  client->socket_.set_option(boost::asio::ip::tcp::no_delay(true), ec);
  client->reader_ = std::thread([c = client.get()] { c->ReadLoop(); });
  return client;
}

TestClient::~TestClient() { Close(); }

void TestClient::Close() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;  // a paused reader reads on, to the end
  }
  boost::system::error_code ec;
  socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  if (reader_.joinable()) reader_.join();
  socket_.close(ec);
}

void TestClient::ReadLoop() {
  protocol::tcp::PackageDecoder decoder(convention_, max_frame_size_);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto can_read = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !paused_ || closing_; };
      mu_.Await(absl::Condition(&can_read));
    }
    char* buffer = decoder.PrepareAppend(64 * 1024);
    boost::system::error_code ec;
    size_t n = socket_.read_some(boost::asio::buffer(buffer, 64 * 1024), ec);
    decoder.CommitAppend(ec ? 0 : n);
    if (ec) break;
    bool failed = false;
    for (;;) {
      auto next = decoder.Next();
      if (!next.ok()) {
        failed = true;
        break;
      }
      if (!next->has_value()) break;
      absl::MutexLock lock(&mu_);
      queue_.push_back(std::move((*next)->package));
    }
    if (failed) break;
  }
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

absl::Status TestClient::Send(const Package& package) {
  std::string frame;
  absl::Status encoded =
      protocol::tcp::EncodePackage(package, convention_, &frame, max_frame_size_);
  if (!encoded.ok()) return encoded;
  return SendRaw(frame);
}

absl::Status TestClient::SendRaw(const std::string& bytes) {
  boost::system::error_code ec;
  boost::asio::write(socket_, boost::asio::buffer(bytes), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<Package> TestClient::Request(Package package, absl::Duration timeout) {
  if (!package.header.seq.has_value()) package.header.seq = absl::StrCat(next_seq_++);
  const std::string seq = *package.header.seq;
  if (auto status = Send(package); !status.ok()) return status;
  absl::MutexLock lock(&mu_);
  std::optional<Package> found;
  // Absl may evaluate the condition more than once: it must stay true once it found the frame.
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (found.has_value()) return true;
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->header.seq == seq && !found.has_value()) {
        found = std::move(*it);
        queue_.erase(it);
        return true;
      }
    }
    return closed_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (found.has_value()) return *found;
  return absl::DeadlineExceededError(
      absl::StrCat("no reply with seq ", seq, closed_ ? " (connection closed)" : ""));
}

absl::StatusOr<Package> TestClient::Next(Command cmd, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::optional<Package> found;
  // Absl may evaluate the condition more than once: it must stay true once it found the frame.
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (found.has_value()) return true;
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->header.cmd == cmd) {
        found = std::move(*it);
        queue_.erase(it);
        return true;
      }
    }
    return closed_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (found.has_value()) return *found;
  return absl::DeadlineExceededError(
      absl::StrCat("no ", protocol::tcp::CommandName(cmd), closed_ ? " (connection closed)" : ""));
}

bool TestClient::WaitClosed(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&closed_), timeout);
  return closed_;
}

void TestClient::PauseReading() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void TestClient::ResumeReading() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

size_t TestClient::queued() {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::StatusOr<Package> TestClient::Hello(const std::string& purpose, const std::string& group,
                                          int unack, const std::string& username,
                                          const std::string& password, const std::string& token) {
  protocol::tcp::UserAgent agent;
  agent.env = "test";
  agent.subsystem = "5023";
  agent.pid = 1;
  agent.version = "2.0";
  agent.group = group;
  agent.purpose = purpose;
  agent.unack = unack;
  agent.username = username;
  agent.password = password;
  agent.token = token;
  Package hello;
  hello.header.cmd = Command::kHelloRequest;
  hello.body = agent.ToJson();
  return Request(std::move(hello));
}

absl::StatusOr<Package> TestClient::Subscribe(const std::string& topic,
                                              protocol::tcp::SubscriptionMode mode,
                                              protocol::tcp::SubscriptionType type) {
  protocol::tcp::Subscription subscription;
  subscription.topic_list.push_back({topic, mode, type});
  Package request;
  request.header.cmd = Command::kSubscribeRequest;
  request.body = subscription.ToJson();
  return Request(std::move(request));
}

absl::StatusOr<Package> TestClient::Listen() {
  Package request;
  request.header.cmd = Command::kListenRequest;
  return Request(std::move(request));
}

Package TestClient::MessagePackage(Command cmd, const std::string& topic, const std::string& body) {
  protocol::tcp::EventMeshMessage message;
  message.topic = topic;
  message.body = body;
  Package package;
  package.header.cmd = cmd;
  package.header.properties["protocoltype"] = "eventmeshmessage";
  package.header.properties["protocolversion"] = "1.0";
  package.header.properties["protocoldesc"] = "tcp";
  package.body = message.ToJson();
  return package;
}

absl::StatusOr<Package> TestClient::Publish(const std::string& topic, const std::string& body,
                                            bool broadcast) {
  return Request(MessagePackage(
      broadcast ? Command::kBroadcastMessageToServer : Command::kAsyncMessageToServer, topic,
      body));
}

absl::Status TestClient::Ack(const Package& push) {
  Package ack;
  ack.header.cmd =
      push.header.cmd == Command::kBroadcastMessageToClient ? Command::kBroadcastMessageToClientAck
      : push.header.cmd == Command::kRequestToClient        ? Command::kRequestToClientAck
                                                            : Command::kAsyncMessageToClientAck;
  ack.header.seq = push.header.seq;
  ack.header.properties = push.header.properties;
  ack.body = push.body;
  return Send(ack);
}

}  // namespace eventmesh::runtime::testing
