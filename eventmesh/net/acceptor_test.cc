// Acceptor: listening errors (one message per step), accepted sockets on the pool's executors,
// the connection cap with its refuse handler, Close, and no busy loop when out of descriptors.

#include "eventmesh/net/acceptor.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/read.hpp"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

AcceptorOptions Loopback() {
  AcceptorOptions options;
  options.address = "127.0.0.1";
  return options;
}

// A blocking client socket connected to 127.0.0.1:port.
struct Client {
  explicit Client(int port) : socket(io) {
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  // True when the server closed the connection (reads EOF or reset within 5 s).
  bool ClosedByPeer() {
    char byte;
    boost::system::error_code ec;
    socket.read_some(asio::buffer(&byte, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  asio::io_context io;
  tcp::socket socket;
};

template <typename Predicate>
bool WaitFor(Predicate predicate) {
  for (int i = 0; i < 500; ++i) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return predicate();
}

TEST(AcceptorTest, ListenErrorsNameTheStep) {
  IoThreadPool pool({});
  AcceptorOptions options = Loopback();
  options.address = "nope";
  ListenFailure failure;
  auto bad = Acceptor::Listen(&pool, options, &failure);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.status().message(), "invalid listen address 'nope': "))
      << bad.status();
  EXPECT_EQ(failure.step, "address");

  options = Loopback();
  options.port = 70000;
  auto range = Acceptor::Listen(&pool, options);
  EXPECT_EQ(range.status().message(), "port must be in 0..65535, got 70000");

  auto first = Acceptor::Listen(&pool, Loopback());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GT((*first)->port(), 0);
  options = Loopback();
  options.port = (*first)->port();
  auto taken = Acceptor::Listen(&pool, options, &failure);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(taken.status().message(), absl::StrCat("cannot listen on 127.0.0.1:", options.port,
                                                   ": bind: Address already in use"));
  EXPECT_EQ(failure.step, "bind");
  EXPECT_EQ(failure.reason, "Address already in use");
}

TEST(AcceptorTest, HandsSocketsOnThePoolExecutors) {
  IoThreadPool pool({/*threads=*/2, IoThreadPool::Model::kPerThread, ""});
  auto acceptor = Acceptor::Listen(&pool, Loopback());
  ASSERT_TRUE(acceptor.ok());
  std::mutex mu;
  std::vector<std::thread::id> threads;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  (*acceptor)->Start([&](tcp::socket socket, ConnectionSlot) {
    auto s = std::make_shared<tcp::socket>(std::move(socket));
    asio::post(s->get_executor(), [&, s] {
      std::lock_guard<std::mutex> lock(mu);
      threads.push_back(std::this_thread::get_id());
      sockets.push_back(s);
    });
  });
  pool.Start();
  Client a((*acceptor)->port());
  Client b((*acceptor)->port());
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return threads.size() == 2;
  }));
  EXPECT_NE(threads[0], threads[1]);  // dealt to both workers
  (*acceptor)->Close();
  pool.Stop();
}

TEST(AcceptorTest, CapRefusesWhileSlotsAreHeldAndCountsThem) {
  IoThreadPool pool({/*threads=*/1, IoThreadPool::Model::kShared, ""});
  AcceptorOptions options = Loopback();
  options.max_connections = 1;
  auto acceptor = Acceptor::Listen(&pool, options);
  ASSERT_TRUE(acceptor.ok());
  std::mutex mu;
  std::vector<std::pair<std::shared_ptr<tcp::socket>, ConnectionSlot>> held;
  std::atomic<int> refused_seen{0};
  (*acceptor)->Start(
      [&](tcp::socket socket, ConnectionSlot slot) {
        std::lock_guard<std::mutex> lock(mu);
        held.emplace_back(std::make_shared<tcp::socket>(std::move(socket)), std::move(slot));
      },
      [&](tcp::socket socket) {
        refused_seen.fetch_add(1);
        asio::write(socket, asio::buffer(std::string("busy")));
        socket.close();
      });
  pool.Start();
  Client first((*acceptor)->port());
  ASSERT_TRUE(WaitFor([&] { return (*acceptor)->open_connections() == 1; }));
  Client second((*acceptor)->port());
  char buf[4];
  asio::read(second.socket, asio::buffer(buf));
  EXPECT_EQ(std::string(buf, 4), "busy");
  EXPECT_TRUE(second.ClosedByPeer());
  EXPECT_EQ((*acceptor)->refused_connections(), 1u);
  EXPECT_EQ(refused_seen.load(), 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    held.clear();  // the slot goes: room for one more
  }
  EXPECT_EQ((*acceptor)->open_connections(), 0u);
  Client third((*acceptor)->port());
  ASSERT_TRUE(WaitFor([&] { return (*acceptor)->open_connections() == 1; }));
  (*acceptor)->Close();
  pool.Stop();
}

TEST(AcceptorTest, CloseStopsAcceptingAndIsIdempotent) {
  IoThreadPool pool({/*threads=*/1, IoThreadPool::Model::kShared, ""});
  auto acceptor = Acceptor::Listen(&pool, Loopback());
  ASSERT_TRUE(acceptor.ok());
  std::atomic<int> accepted{0};
  (*acceptor)->Start([&](tcp::socket, ConnectionSlot) { accepted.fetch_add(1); });
  pool.Start();
  const int port = (*acceptor)->port();
  { Client c(port); }
  ASSERT_TRUE(WaitFor([&] { return accepted.load() == 1; }));
  (*acceptor)->Close();
  (*acceptor)->Close();
  asio::io_context io;
  tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  EXPECT_TRUE(ec) << "connected after Close";
  pool.Stop();
}

TEST(AcceptorTest, OutOfDescriptorsBacksOffInsteadOfSpinning) {
  IoThreadPool pool({/*threads=*/1, IoThreadPool::Model::kShared, ""});
  AcceptorOptions options = Loopback();
  options.error_backoff = absl::Milliseconds(100);
  auto acceptor = Acceptor::Listen(&pool, options);
  ASSERT_TRUE(acceptor.ok());
  std::atomic<int> errors{0};
  std::atomic<int> accepted{0};
  (*acceptor)->Start([&](tcp::socket, ConnectionSlot) { accepted.fetch_add(1); }, nullptr,
                     [&](const boost::system::error_code& ec) {
                       if (ec == asio::error::no_descriptors) errors.fetch_add(1);
                     });
  pool.Start();
  asio::io_context io;
  tcp::socket client(io);
  client.open(tcp::v4());
  // Use up the descriptor table (a lowered soft limit keeps this quick).
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 1024);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  while (true) {
    const int fd = open("/dev/null", O_RDONLY);
    if (fd < 0) break;
    fillers.push_back(fd);
  }
  client.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*acceptor)->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const int seen = errors.load();
  for (int fd : fillers) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_GE(seen, 1);
  EXPECT_LE(seen, 10) << "the accept loop spun on EMFILE";
  // With descriptors back, the waiting connection is accepted.
  EXPECT_TRUE(WaitFor([&] { return accepted.load() == 1; }));
  (*acceptor)->Close();
  pool.Stop();
}

}  // namespace
}  // namespace eventmesh::net
