// idleconns: opens many idle EventMesh TCP sessions against a runtime and reports what they
// cost it in resident memory.
//
//   bazel run -c opt //tools/idleconns -- --port=10000 --connections=10000
//       --runtime_pid=$(pgrep -f bazel-bin/eventmesh/runtime/runtime) --hold=10s
//
// Every connection completes HELLO (as a subscriber of one of --groups consumer groups) and,
// with --subscribe_topic, a SUBSCRIBE; then it stays idle, answering nothing and sending a
// heartbeat every --heartbeat so the runtime keeps the session. Connections are spread over
// --source_addresses loopback addresses (127.0.0.1, 127.0.0.2, ...) so the runtime's
// per-address limit (eventMesh.server.tcp.maxConnectionsPerAddress, 2,000 by default) allows
// 10,000 of them. One thread drives all of them.
#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "boost/asio.hpp"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/protocol/tcp/package.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"
#include "eventmesh/protocol/tcp/subscription.h"
#include "eventmesh/protocol/tcp/user_agent.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "runtime TCP address");
ABSL_FLAG(int, port, 10000, "runtime TCP port");
ABSL_FLAG(int, connections, 10000, "idle sessions to open");
ABSL_FLAG(int, source_addresses, 8, "spread connections over 127.0.0.1..127.0.0.N");
ABSL_FLAG(int, groups, 100, "consumer groups the sessions say HELLO in (round robin)");
ABSL_FLAG(std::string, subscribe_topic, "",
          "when set, every session also subscribes to this topic (clustering)");
ABSL_FLAG(int, runtime_pid, 0, "the runtime's pid: its VmRSS is read before and after");
ABSL_FLAG(absl::Duration, hold, absl::Seconds(5), "how long to keep the sessions after all are up");
ABSL_FLAG(absl::Duration, heartbeat, absl::Seconds(15), "heartbeat period of each session");
ABSL_FLAG(int, max_pending, 256, "connections being set up at once");

namespace {

using boost::asio::ip::tcp;
using eventmesh::protocol::tcp::Command;
using eventmesh::protocol::tcp::LengthConvention;
using eventmesh::protocol::tcp::Package;

// Resident set of `pid` in KiB from /proc/<pid>/status, or -1.
long RssKib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      long kib = -1;
      std::string digits;
      for (char c : line) {
        if (c >= '0' && c <= '9') digits.push_back(c);
      }
      if (absl::SimpleAtoi(digits, &kib)) return kib;
    }
  }
  return -1;
}

std::string Encode(Package package) {
  auto bytes = eventmesh::protocol::tcp::EncodePackage(package, LengthConvention::kCurrent);
  return bytes.ok() ? *std::move(bytes) : std::string();
}

struct Totals {
  int established = 0;  // HELLO (and SUBSCRIBE) answered with success
  int failed = 0;
  int closed_later = 0;  // established, then closed by the runtime
  int pending = 0;
  std::string first_error;
};

// One idle session: connect, HELLO, optional SUBSCRIBE, then heartbeats.
class IdleSession : public std::enable_shared_from_this<IdleSession> {
 public:
  IdleSession(boost::asio::io_context& io, int index, Totals* totals)
      : socket_(io), timer_(io), index_(index), totals_(totals) {}

  void Start(const tcp::endpoint& remote, const boost::asio::ip::address& local) {
    boost::system::error_code ec;
    socket_.open(tcp::v4(), ec);
    if (!ec) socket_.bind(tcp::endpoint(local, 0), ec);
    if (ec) return Fail(absl::StrCat("bind ", local.to_string(), ": ", ec.message()));
    socket_.async_connect(remote, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->Fail(absl::StrCat("connect: ", ec.message()));
      self->SendHello();
      self->Read();
    });
  }

 private:
  void SendHello() {
    eventmesh::protocol::tcp::UserAgent agent;
    agent.env = "idle";
    agent.subsystem = "5023";
    agent.pid = 1;
    agent.version = "2.0";
    agent.group = absl::StrCat("idle-group-", index_ % std::max(1, absl::GetFlag(FLAGS_groups)));
    agent.purpose = "sub";
    Package hello;
    hello.header.cmd = Command::kHelloRequest;
    hello.header.seq = absl::StrCat(index_, "-hello");
    hello.body = agent.ToJson();
    Write(Encode(std::move(hello)));
  }

  void SendSubscribe() {
    eventmesh::protocol::tcp::Subscription subscription;
    subscription.topic_list.push_back({absl::GetFlag(FLAGS_subscribe_topic),
                                       eventmesh::protocol::tcp::SubscriptionMode::kClustering,
                                       eventmesh::protocol::tcp::SubscriptionType::kAsync});
    Package request;
    request.header.cmd = Command::kSubscribeRequest;
    request.header.seq = absl::StrCat(index_, "-sub");
    request.body = subscription.ToJson();
    Write(Encode(std::move(request)));
  }

  void Write(std::string bytes) {
    auto owned = std::make_shared<std::string>(std::move(bytes));
    boost::asio::async_write(
        socket_, boost::asio::buffer(*owned),
        [self = shared_from_this(), owned](boost::system::error_code ec, size_t) {
          if (ec) self->Fail(absl::StrCat("write: ", ec.message()));
        });
  }

  void Read() {
    socket_.async_read_some(boost::asio::buffer(buf_, sizeof(buf_)),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              if (ec) {
                                return self->Fail(ec == boost::asio::error::eof
                                                      ? "closed by the runtime"
                                                      : absl::StrCat("read: ", ec.message()));
                              }
                              self->decoder_.Feed(self->buf_, n);
                              for (;;) {
                                auto next = self->decoder_.Next();
                                if (!next.ok())
                                  return self->Fail(std::string(next.status().message()));
                                if (!next->has_value()) break;
                                self->OnPackage((*next)->package);
                                if (self->done_) return;
                              }
                              self->Read();
                            });
  }

  void OnPackage(const Package& package) {
    const Command cmd = package.header.cmd;
    if (cmd == Command::kHelloResponse || cmd == Command::kSubscribeResponse) {
      if (package.header.code != 0) {
        return Fail(absl::StrCat(eventmesh::protocol::tcp::CommandName(cmd), " code ",
                                 package.header.code, ": ", package.header.desc));
      }
      if (cmd == Command::kHelloResponse && !absl::GetFlag(FLAGS_subscribe_topic).empty()) {
        return SendSubscribe();
      }
      Established();
    } else if (cmd == Command::kServerGoodbyeRequest) {
      Fail(absl::StrCat("server goodbye: ", package.header.desc));
    }
  }

  void Established() {
    if (established_) return;
    established_ = true;
    --totals_->pending;
    ++totals_->established;
    ScheduleHeartbeat();
  }

  void ScheduleHeartbeat() {
    timer_.expires_after(
        std::chrono::milliseconds(absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_heartbeat))));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->done_) return;
      Package heartbeat;
      heartbeat.header.cmd = Command::kHeartbeatRequest;
      heartbeat.header.seq = absl::StrCat(self->index_, "-hb");
      self->Write(Encode(std::move(heartbeat)));
      self->ScheduleHeartbeat();
    });
  }

  void Fail(const std::string& why) {
    if (done_) return;
    done_ = true;
    if (established_) {
      ++totals_->closed_later;
    } else {
      --totals_->pending;
      ++totals_->failed;
    }
    if (totals_->first_error.empty()) {
      totals_->first_error = absl::StrCat("connection ", index_, ": ", why);
    }
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 public:
  void Close() {
    done_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  const int index_;
  Totals* const totals_;
  eventmesh::protocol::tcp::PackageDecoder decoder_;
  char buf_[512];
  bool established_ = false;
  bool done_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  absl::ParseCommandLine(argc, argv);
  const int n = absl::GetFlag(FLAGS_connections);
  const int pid = absl::GetFlag(FLAGS_runtime_pid);

  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  if (static_cast<long>(limit.rlim_cur) < n + 64) {
    std::cerr << "idleconns: the open-file limit is " << limit.rlim_cur << ", below " << n + 64
              << " (raise it with ulimit -n)\n";
    return 2;
  }

  boost::asio::io_context io;
  boost::system::error_code ec;
  const auto host = boost::asio::ip::make_address(absl::GetFlag(FLAGS_host), ec);
  if (ec) {
    std::cerr << "idleconns: bad --host: " << ec.message() << "\n";
    return 2;
  }
  const tcp::endpoint remote(host, static_cast<uint16_t>(absl::GetFlag(FLAGS_port)));
  const int sources = std::max(1, absl::GetFlag(FLAGS_source_addresses));
  std::vector<boost::asio::ip::address> locals;
  for (int i = 0; i < sources; ++i) {
    locals.push_back(boost::asio::ip::make_address_v4((127u << 24) | static_cast<uint32_t>(1 + i)));
  }

  const long rss_before = RssKib(pid);
  Totals totals;
  std::vector<std::shared_ptr<IdleSession>> sessions;
  sessions.reserve(n);
  const absl::Time start = absl::Now();
  int started = 0;
  const absl::Time setup_deadline = start + absl::Seconds(120);
  while ((started < n || totals.pending > 0) && absl::Now() < setup_deadline) {
    while (started < n && totals.pending < absl::GetFlag(FLAGS_max_pending)) {
      auto session = std::make_shared<IdleSession>(io, started, &totals);
      ++totals.pending;
      session->Start(remote, locals[started % locals.size()]);
      sessions.push_back(std::move(session));
      ++started;
    }
    io.run_for(std::chrono::milliseconds(5));
  }
  const absl::Duration setup = absl::Now() - start;
  // Let the runtime settle (buffers of the set-up burst returned) before reading its RSS.
  io.run_for(std::chrono::milliseconds(1000));
  const long rss_up = RssKib(pid);
  io.run_for(std::chrono::milliseconds(absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_hold))));
  const long rss_held = RssKib(pid);

  std::printf(
      "sessions: %d established, %d failed, %d closed by the runtime while idle, set up in %s\n",
      totals.established, totals.failed, totals.closed_later, absl::FormatDuration(setup).c_str());
  if (!totals.first_error.empty()) std::printf("first error: %s\n", totals.first_error.c_str());
  if (pid > 0 && rss_before >= 0 && rss_up >= 0) {
    const int alive = totals.established - totals.closed_later;
    std::printf(
        "runtime RSS: %.1f MiB before, %.1f MiB with the sessions up, %.1f MiB after %s idle\n",
        rss_before / 1024.0, rss_up / 1024.0, rss_held / 1024.0,
        absl::FormatDuration(absl::GetFlag(FLAGS_hold)).c_str());
    if (alive > 0) {
      std::printf("per idle session: %.1f KiB\n",
                  static_cast<double>(rss_held - rss_before) / alive);
    }
  }
  for (auto& session : sessions) session->Close();
  io.run_for(std::chrono::milliseconds(200));
  return totals.established == n ? 0 : 1;
}
