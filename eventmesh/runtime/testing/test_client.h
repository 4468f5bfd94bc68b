#ifndef EVENTMESH_RUNTIME_TESTING_TEST_CLIENT_H_
#define EVENTMESH_RUNTIME_TESTING_TEST_CLIENT_H_

// A minimal EventMesh TCP client for tests: a blocking socket plus a reader thread that decodes
// every incoming frame into a queue. Requests wait for the reply with their seq (other frames
// stay queued); pushes are taken from the queue in arrival order. Every wait is bounded.
// Thread-compatible: use one TestClient from one test thread.

#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio.hpp"
#include "eventmesh/protocol/tcp/package.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/subscription.h"

namespace eventmesh::runtime::testing {

class TestClient {
 public:
  static absl::StatusOr<std::unique_ptr<TestClient>> Connect(
      int port,
      protocol::tcp::LengthConvention convention = protocol::tcp::LengthConvention::kCurrent,
      size_t max_frame_size = protocol::tcp::kMaxFrameSize,
      // > 0: the socket's receive buffer (SO_RCVBUF), set before connecting.
      int receive_buffer_bytes = 0);
  ~TestClient();

  absl::Status Send(const protocol::tcp::Package& package);
  absl::Status SendRaw(const std::string& bytes);
  // Sends `package` (a seq is assigned when missing) and waits for the frame with its seq.
  absl::StatusOr<protocol::tcp::Package> Request(protocol::tcp::Package package,
                                                 absl::Duration timeout = absl::Seconds(10));
  // The next queued frame with command `cmd` (others stay queued).
  absl::StatusOr<protocol::tcp::Package> Next(protocol::tcp::Command cmd,
                                              absl::Duration timeout = absl::Seconds(10));
  // True once the server closed the connection (waits up to `timeout`).
  bool WaitClosed(absl::Duration timeout = absl::Seconds(10));
  size_t queued();
  // The reader stops taking bytes from the socket (after the read in progress, if any) until
  // ResumeReading: a client that does not read.
  void PauseReading();
  void ResumeReading();

  // Protocol helpers; each returns the server's reply.
  absl::StatusOr<protocol::tcp::Package> Hello(const std::string& purpose, const std::string& group,
                                               int unack = 0, const std::string& username = "",
                                               const std::string& password = "",
                                               const std::string& token = "");
  absl::StatusOr<protocol::tcp::Package> Subscribe(
      const std::string& topic,
      protocol::tcp::SubscriptionMode mode = protocol::tcp::SubscriptionMode::kClustering,
      protocol::tcp::SubscriptionType type = protocol::tcp::SubscriptionType::kAsync);
  absl::StatusOr<protocol::tcp::Package> Listen();
  // ASYNC_MESSAGE_TO_SERVER (or BROADCAST_MESSAGE_TO_SERVER) of an EventMeshMessage.
  absl::StatusOr<protocol::tcp::Package> Publish(const std::string& topic, const std::string& body,
                                                 bool broadcast = false);
  // Acknowledges a push (23 / 27 / 16 echoing its seq).
  absl::Status Ack(const protocol::tcp::Package& push);
  void Close();

  static protocol::tcp::Package MessagePackage(protocol::tcp::Command cmd, const std::string& topic,
                                               const std::string& body);

 private:
  TestClient() : socket_(io_) {}
  void ReadLoop();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  protocol::tcp::LengthConvention convention_ = protocol::tcp::LengthConvention::kCurrent;
  size_t max_frame_size_ = protocol::tcp::kMaxFrameSize;
  std::thread reader_;
  int64_t next_seq_ = 1000;

  absl::Mutex mu_;
  std::deque<protocol::tcp::Package> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace eventmesh::runtime::testing

#endif  // EVENTMESH_RUNTIME_TESTING_TEST_CLIENT_H_
