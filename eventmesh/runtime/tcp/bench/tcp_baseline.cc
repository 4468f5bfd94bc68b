// A store-less EventMesh TCP forwarder: an upper estimate of what a server speaking EventMesh's
// TCP protocol can do for one event on a machine, which the runtime's `none` rate is read against
// (BENCHMARKS.md, "fast event path"; tools/fast_path_bench.sh ratio runs it beside the runtime and
// NATS core).
//
// It answers HELLO, SUBSCRIBE, LISTEN, HEARTBEAT and CLIENT_GOODBYE requests with success,
// acknowledges every ASYNC_MESSAGE_TO_SERVER and forwards its body, byte for byte, as an
// ASYNC_MESSAGE_TO_CLIENT to one listening subscriber of its topic, and reads and drops the
// subscribers' acknowledgements. A publisher keeps the listener it was given until the topic's
// listeners change (publishers are given the listeners in turn). Nothing else: nothing is
// stored, nothing redelivered, no flow control (a subscriber that does not read has its pushes
// buffered, up to 64 MiB, then its connection is closed), no access control; an event without a
// listener is acknowledged and dropped. So what it spends per event is the protocol's four frames
// through loopback TCP and their decoding (the runtime sessions' decoder, the shared codec's
// PackageDecoder: the same length convention detection, frame checks and header reader; bodies
// borrowed where it holds them, reads of up to 256 KiB), and little more. Its pushes carry the
// publish's body, not a stored event, so they are somewhat smaller than the runtime's.
//
// Usage: tcp_baseline [port] [threads]  (defaults 10198, 1). Runs until killed. As in the runtime,
// connections are given to the threads in turn; each thread runs its own epoll loop, writes what a
// pass over its ready sockets produced with one send per connection, and hands pushes for a
// connection of another thread over once per read. One thread was the faster on the project's
// 2-core machine (a wake-up of another thread costs more there than the work it hands over).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "eventmesh/common/release_tuning.h"
#include "eventmesh/protocol/tcp/command.h"
#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/package_codec.h"
#include "eventmesh/protocol/tcp/package_decoder.h"

namespace {

namespace tcp = eventmesh::protocol::tcp;

// Reads of up to 256 KiB (the runtime's sessions read 64 KiB at a time: this is an upper estimate).
constexpr size_t kReadChunk = 256 * 1024;
constexpr size_t kMaxOutput = 64u << 20;  // a connection that lets this much pile up is closed

class Worker;

// One client connection, owned by one worker thread. Other threads touch only `incoming` and
// `in_woken` (under the owner's mu_), `closed`, `push_seq` and `convention`, and read `owner`
// (set before the connection is registered).
struct Conn {
  int fd = -1;
  Worker* owner = nullptr;
  // Frames are read into the codec's decoder, as the runtime's sessions do (the same length
  // convention detection, frame checks and header reader), and decoded into one DecodedPackage
  // whose storage the next frame reuses; bodies are borrowed, never copied out.
  tcp::PackageDecoder decoder;
  tcp::DecodedPackage decoded;
  // The length convention of the client's frames (read by other threads for their pushes).
  std::atomic<tcp::LengthConvention> convention{tcp::LengthConvention::kCurrent};
  std::string out;  // frames to send: out[out_sent, end)
  size_t out_sent = 0;
  bool dirty = false;
  bool want_write = false;          // EPOLLOUT armed
  std::vector<std::string> topics;  // subscribed; registered at LISTEN (or at once after it)
  bool listening = false;
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> push_seq{0};
  // Pushes for a connection of another thread, waiting for its owner (guarded by owner->mu_; not
  // annotated: Worker is defined below).
  std::string incoming;
  bool in_woken = false;
  // A publisher's route: the listener its last topic went to, valid while the registry's
  // generation is `route_generation`; pushes for it staged until the end of this read pass.
  std::string route_topic;
  uint64_t route_generation = 0;
  std::shared_ptr<Conn> route;
  std::string staged;
  std::shared_ptr<Conn> staged_for;
};

// Topic -> listening connections, shared by all threads. A change bumps the generation, which
// tells publishers to look their route up again.
class Registry {
 public:
  // Makes `conn` a listener of `topics`.
  void Listen(const std::shared_ptr<Conn>& conn, const std::vector<std::string>& topics) {
    absl::MutexLock lock(&mu_);
    for (const std::string& topic : topics) listeners_[topic].push_back(conn);
    generation_.fetch_add(1);
  }
  void Remove(Conn* conn) {
    absl::MutexLock lock(&mu_);
    for (auto& [topic, conns] : listeners_) {
      for (size_t i = 0; i < conns.size();) {
        if (conns[i].get() == conn) {
          conns.erase(conns.begin() + static_cast<long>(i));
        } else {
          ++i;
        }
      }
    }
    generation_.fetch_add(1);
  }
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // The next listener of `topic` in turn (nullptr when none), and the generation it belongs to.
  std::shared_ptr<Conn> Pick(absl::string_view topic, uint64_t* generation) {
    absl::MutexLock lock(&mu_);
    *generation = generation_.load();
    auto it = listeners_.find(std::string(topic));
    if (it == listeners_.end() || it->second.empty()) return nullptr;
    return it->second[next_++ % it->second.size()];
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::vector<std::shared_ptr<Conn>>> listeners_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> generation_{1};
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
};

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// The value of the first "topic" member in `text` at or after `*from`, when it is a string without
// escapes (peerbench's and the SDKs' message bodies start with it; a subscription's topicList
// holds one per item); *from moves past it.
bool NextTopic(absl::string_view text, size_t* from, absl::string_view* topic) {
  constexpr absl::string_view kKey = "\"topic\":\"";
  const size_t at = text.find(kKey, *from);
  if (at == absl::string_view::npos) return false;
  const size_t begin = at + kKey.size();
  const size_t end = text.find('"', begin);
  if (end == absl::string_view::npos) return false;
  *topic = text.substr(begin, end - begin);
  *from = end + 1;
  return !topic->empty() && !absl::StrContains(*topic, '\\');
}

// One thread: an epoll loop over its connections (and the listener, for worker 0).
class Worker {
 public:
  Worker(Registry* registry, std::vector<std::unique_ptr<Worker>>* all)
      : registry_(registry), all_(all) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) Die("epoll_create1");
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_ < 0) Die("eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the wake-up eventfd
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev) != 0) Die("epoll_ctl");
  }

  void SetListener(int fd) {
    listener_ = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &listener_;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) Die("epoll_ctl");
  }

  // Takes a new connection (from the accepting thread).
  void Adopt(int fd) {
    {
      absl::MutexLock lock(&mu_);
      adopted_.push_back(fd);
    }
    Wake();
  }

  // Hands `frames` over to `target`, a connection of this worker, from another thread.
  void Deliver(const std::shared_ptr<Conn>& target, std::string* frames) {
    bool wake = false;
    {
      absl::MutexLock lock(&mu_);
      if (target->incoming.empty()) {
        target->incoming.swap(*frames);
      } else {
        target->incoming.append(*frames);
      }
      if (!target->in_woken) {
        target->in_woken = true;
        woken_.push_back(target);
      }
      wake = !signalled_;
      signalled_ = true;
    }
    frames->clear();
    if (wake) Wake();
  }

  void Run() {
    std::vector<epoll_event> events(128);
    for (;;) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        std::perror("epoll_wait");
        std::exit(1);
      }
      for (int i = 0; i < n; ++i) {
        void* tag = events[i].data.ptr;
        if (tag == nullptr) {
          TakeHandOvers();
        } else if (tag == &listener_) {
          AcceptAll();
        } else {
          Conn* conn = static_cast<Conn*>(tag);
          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) ReadAll(conn);
          if (conn->fd >= 0 && (events[i].events & EPOLLOUT)) MarkDirty(conn);
        }
      }
      FlushAll();
    }
  }

 private:
  void Wake() {
    const uint64_t one = 1;
    (void)!write(wake_, &one, sizeof one);
  }

  void AcceptAll() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Worker* to = (*all_)[next_worker_++ % all_->size()].get();
      if (to == this) {
        Register(fd);
      } else {
        to->Adopt(fd);
      }
    }
  }

  void Register(int fd) {
    auto conn = std::make_shared<Conn>();
    conn->fd = fd;
    conn->owner = this;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = conn.get();
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      return;
    }
    conns_[conn.get()] = std::move(conn);
  }

  void TakeHandOvers() {
    uint64_t count;
    (void)!read(wake_, &count, sizeof count);
    std::vector<int> adopted;
    std::vector<std::shared_ptr<Conn>> woken;
    {
      absl::MutexLock lock(&mu_);
      adopted.swap(adopted_);
      woken.swap(woken_);
      signalled_ = false;
      for (const auto& conn : woken) {
        conn->in_woken = false;
        if (conn->fd >= 0 && conn->out.empty()) {
          conn->out.swap(conn->incoming);
        } else if (conn->fd >= 0) {
          conn->out.append(conn->incoming);
        }
        conn->incoming.clear();
      }
    }
    for (int fd : adopted) Register(fd);
    for (const auto& conn : woken) {
      if (conn->fd >= 0) MarkDirty(conn.get());
    }
  }

  void MarkDirty(Conn* conn) {
    if (conn->dirty) return;
    conn->dirty = true;
    dirty_.push_back(conn);
  }

  void ReadAll(Conn* conn) {
    for (;;) {
      // A buffer grown for a large frame is not kept once that frame is decoded (as in the
      // runtime's sessions).
      if (conn->decoder.buffered_bytes() == 0 && conn->decoder.capacity() > 2 * kReadChunk) {
        conn->decoder.ReleaseIfEmpty();
      }
      char* buffer = conn->decoder.PrepareAppend(kReadChunk);
      const ssize_t got = recv(conn->fd, buffer, kReadChunk, 0);
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        Close(conn);
        return;
      }
      conn->decoder.CommitAppend(got < 0 ? 0 : static_cast<size_t>(got));
      if (got < 0) break;
      if (!HandleFrames(conn)) {
        Close(conn);
        return;
      }
      if (static_cast<size_t>(got) < kReadChunk) break;
    }
    HandOverStaged(conn);
  }

  // Handles every whole frame the decoder holds; false on a malformed frame (the decoder's error).
  bool HandleFrames(Conn* conn) {
    for (;;) {
      absl::StatusOr<bool> next =
          conn->decoder.NextInto(&conn->decoded, [](tcp::Command) { return true; });
      if (!next.ok()) return false;
      if (!*next) return true;
      if (!HandleFrame(conn, conn->decoded.package.header, conn->decoded.convention,
                       conn->decoded.body())) {
        return false;
      }
    }
  }

  bool HandleFrame(Conn* conn, const tcp::Header& header, tcp::LengthConvention convention,
                   absl::string_view body) {
    // Fixed by the connection's first frame: stored once, not on every frame (other threads
    // read it).
    if (conn->convention.load(std::memory_order_relaxed) != convention) {
      conn->convention.store(convention, std::memory_order_relaxed);
    }
    std::optional<absl::string_view> seq;
    if (header.seq) seq = *header.seq;
    switch (header.cmd) {
      case tcp::Command::kAsyncMessageToServer:
        Publish(conn, seq, body);
        return true;
      case tcp::Command::kAsyncMessageToClientAck:
        return true;
      case tcp::Command::kSubscribeRequest: {
        std::vector<std::string> added;
        absl::string_view topic;
        for (size_t from = 0; NextTopic(body, &from, &topic);) added.emplace_back(topic);
        if (conn->listening) registry_->Listen(conns_[conn], added);
        conn->topics.insert(conn->topics.end(), added.begin(), added.end());
        Reply(conn, tcp::Command::kSubscribeResponse, seq);
        return true;
      }
      case tcp::Command::kListenRequest:
        if (!conn->listening) {
          conn->listening = true;
          registry_->Listen(conns_[conn], conn->topics);
        }
        Reply(conn, tcp::Command::kListenResponse, seq);
        return true;
      case tcp::Command::kHelloRequest:
        Reply(conn, tcp::Command::kHelloResponse, seq);
        return true;
      case tcp::Command::kHeartbeatRequest:
        Reply(conn, tcp::Command::kHeartbeatResponse, seq);
        return true;
      case tcp::Command::kClientGoodbyeRequest:
        Reply(conn, tcp::Command::kClientGoodbyeResponse, seq);
        return true;
      default:
        return true;  // anything else is read and dropped
    }
  }

  void Reply(Conn* conn, tcp::Command cmd, std::optional<absl::string_view> seq, int code = 0,
             absl::string_view desc = "") {
    (void)tcp::EncodeReply(cmd, code, desc, seq, conn->convention.load(std::memory_order_relaxed),
                           &conn->out);
    MarkDirty(conn);
  }

  void Publish(Conn* conn, std::optional<absl::string_view> seq, absl::string_view body) {
    absl::string_view topic;
    size_t from = 0;
    if (!NextTopic(body, &from, &topic)) {
      Reply(conn, tcp::Command::kAsyncMessageToServerAck, seq, 1, "no plain topic in the body");
      return;
    }
    if (conn->route_generation != registry_->generation() || conn->route_topic != topic ||
        (conn->route != nullptr && conn->route->closed.load(std::memory_order_acquire))) {
      conn->route = registry_->Pick(topic, &conn->route_generation);
      conn->route_topic.assign(topic.data(), topic.size());
    }
    const std::shared_ptr<Conn>& target = conn->route;
    if (target == nullptr || target->closed.load(std::memory_order_relaxed)) {
      Reply(conn, tcp::Command::kAsyncMessageToServerAck, seq);  // no listener: dropped
      return;
    }
    if (!Push(conn, target, body)) {
      Reply(conn, tcp::Command::kAsyncMessageToServerAck, seq, 1,
            "the push would exceed the 4 MiB frame limit");
      return;
    }
    Reply(conn, tcp::Command::kAsyncMessageToServerAck, seq);
  }

  // Appends the push of `body` for `target` (to its output, or staged for its thread); false when
  // the frame would be too large.
  bool Push(Conn* conn, const std::shared_ptr<Conn>& target, absl::string_view body) {
    std::string* frames;
    if (target->owner == this) {
      frames = &target->out;
      MarkDirty(target.get());
    } else {
      if (conn->staged_for != target) HandOverStaged(conn);
      conn->staged_for = target;
      frames = &conn->staged;
    }
    absl::string_view start, end;
    tcp::PushHeaderAroundSeq(tcp::Command::kAsyncMessageToClient,
                             tcp::kProtocolTypeEventMeshMessage, &start, &end);
    char digits[absl::numbers_internal::kFastToBufferSize];
    const char* digits_end = absl::numbers_internal::FastIntToBuffer(
        target->push_seq.fetch_add(1, std::memory_order_relaxed), digits);
    return tcp::EncodeFrame(
               {start, absl::string_view(digits, static_cast<size_t>(digits_end - digits)), end},
               [&](std::string* out) { out->append(body.data(), body.size()); },
               target->convention.load(std::memory_order_relaxed), frames)
        .ok();
  }

  void HandOverStaged(Conn* conn) {
    if (conn->staged.empty()) return;
    conn->staged_for->owner->Deliver(conn->staged_for, &conn->staged);
  }

  void FlushAll() {
    std::vector<Conn*> dirty;
    dirty.swap(dirty_);
    for (Conn* conn : dirty) {
      conn->dirty = false;
      if (conn->fd < 0) continue;
      std::string& out = conn->out;
      while (conn->out_sent < out.size()) {
        const ssize_t k =
            send(conn->fd, out.data() + conn->out_sent, out.size() - conn->out_sent, MSG_NOSIGNAL);
        if (k > 0) {
          conn->out_sent += static_cast<size_t>(k);
        } else if (k < 0 && errno == EINTR) {
          continue;
        } else {
          break;
        }
      }
      if (conn->out_sent == out.size()) {
        out.clear();
        conn->out_sent = 0;
      } else if (conn->out_sent > out.size() / 2) {  // drop what was sent, now and then
        out.erase(0, conn->out_sent);
        conn->out_sent = 0;
      }
      if (out.size() - conn->out_sent > kMaxOutput) {
        Close(conn);
        continue;
      }
      const bool want_write = !out.empty();
      if (want_write != conn->want_write) {
        conn->want_write = want_write;
        epoll_event ev{};
        ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
        ev.data.ptr = conn;
        if (epoll_ctl(epoll_, EPOLL_CTL_MOD, conn->fd, &ev) != 0) Close(conn);
      }
    }
    closing_.clear();
  }

  void Close(Conn* conn) {
    if (conn->fd < 0) return;
    if (conn->listening) registry_->Remove(conn);  // publishers look their route up again
    conn->closed.store(true, std::memory_order_release);
    epoll_ctl(epoll_, EPOLL_CTL_DEL, conn->fd, nullptr);
    close(conn->fd);
    conn->fd = -1;
    HandOverStaged(conn);  // acknowledged publishes still go out
    conn->route.reset();
    conn->staged_for.reset();
    // Freed once no other thread's route or hand-over holds it, and not before the end of this
    // pass (dirty_ may still name it; a closed connection is skipped there).
    closing_.push_back(std::move(conns_[conn]));
    conns_.erase(conn);
  }

  Registry* registry_;
  std::vector<std::unique_ptr<Worker>>* all_;
  int epoll_ = -1;
  int wake_ = -1;
  int listener_ = -1;
  size_t next_worker_ = 0;
  std::map<Conn*, std::shared_ptr<Conn>> conns_;
  std::vector<Conn*> dirty_;
  std::vector<std::shared_ptr<Conn>> closing_;  // closed this pass; kept alive until its end
  absl::Mutex mu_;  // also guards the incoming and in_woken of this worker's connections
  std::vector<int> adopted_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Conn>> woken_ ABSL_GUARDED_BY(mu_);
  bool signalled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  int port = 10198;
  int threads = 1;
  if ((argc > 1 && !absl::SimpleAtoi(argv[1], &port)) ||
      (argc > 2 && (!absl::SimpleAtoi(argv[2], &threads) || threads < 1 || threads > 64))) {
    std::fprintf(stderr, "usage: tcp_baseline [port] [threads (1-64)]\n");
    return 2;
  }
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) Die("socket");
  const int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 128) != 0) {
    std::fprintf(stderr, "tcp_baseline: cannot listen on 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    return 1;
  }
  Registry registry;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i)
    workers.push_back(std::make_unique<Worker>(&registry, &workers));
  workers[0]->SetListener(listener);
  std::vector<std::thread> running;
  for (int i = 1; i < threads; ++i) running.emplace_back([&workers, i] { workers[i]->Run(); });
  std::fprintf(stderr, "tcp_baseline: 127.0.0.1:%d, %d thread(s)\n", port, threads);
  workers[0]->Run();
  return 0;
}
