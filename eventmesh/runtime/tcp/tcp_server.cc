#include "eventmesh/runtime/tcp/tcp_server.h"

#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/header.h"
#include "glog/logging.h"

namespace eventmesh::runtime::tcp {

TcpServer::TcpServer(SessionContext* context, int worker_threads)
    : ctx_(context), pool_({worker_threads, net::IoThreadPool::Model::kPerThread, "em-tcp"}) {
  ctx_->log_limiter = &log_limiter_;
  ctx_->on_closed = [this](uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = sessions_.find(id); it != sessions_.end()) {
      if (auto count = per_address_.find(it->second.address); count != per_address_.end()) {
        if (--count->second <= 0) per_address_.erase(count);
      }
      sessions_.erase(it);
    }
    closed_cv_.notify_all();
  };
}

TcpServer::~TcpServer() { Stop(); }

absl::Status TcpServer::Start(int port) {
  net::AcceptorOptions options;
  options.address = "0.0.0.0";
  options.port = port;
  net::ListenFailure failure;
  auto acceptor = net::Acceptor::Listen(&pool_, options, &failure);
  if (!acceptor.ok()) {
    // Operators and tests know this wording for the TCP port.
    return absl::UnavailableError(
        absl::StrCat("cannot listen on TCP port ", port, ": ", failure.reason));
  }
  acceptor_ = *std::move(acceptor);
  port_ = acceptor_->port();
  acceptor_->Start(
      [this](boost::asio::ip::tcp::socket socket, net::ConnectionSlot) {
        OnAccepted(std::move(socket));
      },
      nullptr,
      [](const boost::system::error_code& ec) { LOG(WARNING) << "accept: " << ec.message(); });
  pool_.Start();
  return absl::OkStatus();
}

// Runs on the acceptor's strand; `socket` already belongs to the worker it stays on.
void TcpServer::OnAccepted(boost::asio::ip::tcp::socket socket) {
  const uint64_t id = next_session_id_.fetch_add(1) + 1;
  boost::system::error_code remote_ec;
  const auto remote = socket.remote_endpoint(remote_ec);
  const std::string address = remote_ec ? "" : remote.address().to_string();
  const boost::asio::any_io_executor worker = socket.get_executor();
  auto session = std::make_shared<Session>(std::move(socket), ctx_, id);
  std::string refusal;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t per_address_limit = ctx_->config->max_connections_per_address;
    if (static_cast<int64_t>(sessions_.size()) >= ctx_->config->client_max_num) {
      refusal = absl::StrCat("too many connections (eventMesh.server.tcp.clientMaxNum=",
                             ctx_->config->client_max_num, ")");
    } else if (per_address_limit > 0 && per_address_[address] >= per_address_limit) {
      refusal =
          absl::StrCat("too many connections from ", address,
                       " (eventMesh.server.tcp.maxConnectionsPerAddress=", per_address_limit, ")");
    } else {
      ++per_address_[address];
      sessions_.emplace(id, Entry{session, core::SteadyNowMs(), false, address});
    }
    if (!refusal.empty() && per_address_[address] == 0) per_address_.erase(address);
  }
  if (!refusal.empty()) {
    if (auto dropped = log_limiter_.Admit(address)) {
      LOG(WARNING) << "rejecting connection: " << refusal
                   << common::LogLimiter::DroppedNote(*dropped);
    }
    boost::asio::post(worker, [session, refusal] {
      session->SendServerGoodbye(protocol::tcp::OpStatus::kFail, refusal);
    });
  } else {
    boost::asio::post(worker, [session] { session->Start(); });
  }
}

void TcpServer::StopAccepting() {
  if (acceptor_ != nullptr) acceptor_->Close();
}

void TcpServer::GoodbyeAll(int64_t timeout_ms) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, entry] : sessions_) {
      if (auto s = entry.session.lock()) sessions.push_back(std::move(s));
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Let in-flight publishes finish so their acks reach the clients before the goodbye.
  for (auto& session : sessions) {
    while (session->publishes_in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    session->SendServerGoodbye(protocol::tcp::OpStatus::kSuccess, kServerGoodbyeDesc);
  }
  sessions.clear();
  std::unique_lock<std::mutex> lock(mu_);
  closed_cv_.wait_until(lock, deadline, [&] { return sessions_.empty(); });
  if (!sessions_.empty()) {
    LOG(WARNING) << sessions_.size() << " sessions did not close within " << timeout_ms << " ms";
  }
}

void TcpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  StopAccepting();
  pool_.Stop();
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.clear();
}

size_t TcpServer::RedirectAll(const std::string& ip, int port) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, entry] : sessions_) {
      if (auto s = entry.session.lock()) {
        entry.redirected = true;
        sessions.push_back(std::move(s));
      }
    }
  }
  for (auto& session : sessions) session->Redirect(ip, port);
  return sessions.size();
}

size_t TcpServer::GoodbyeEach(const std::string& desc) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, entry] : sessions_) {
      if (auto s = entry.session.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& session : sessions) session->SendServerGoodbye(0, desc);
  return sessions.size();
}

size_t TcpServer::session_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

}  // namespace eventmesh::runtime::tcp

namespace eventmesh::runtime::tcp {

absl::Status TcpServer::Redirect(uint64_t session_id, const std::string& ip, int port) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end()) session = it->second.session.lock();
    if (session == nullptr || session->closed()) {
      return absl::NotFoundError(absl::StrCat("no session ", session_id));
    }
    it->second.redirected = true;
  }
  session->Redirect(ip, port);
  return absl::OkStatus();
}

absl::Status TcpServer::Goodbye(uint64_t session_id, const std::string& desc) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end()) session = it->second.session.lock();
    if (session == nullptr || session->closed()) {
      return absl::NotFoundError(absl::StrCat("no session ", session_id));
    }
  }
  session->SendServerGoodbye(0, desc);
  return absl::OkStatus();
}

std::vector<SessionInfo> TcpServer::ListSessions(int64_t timeout_ms) {
  struct Collected {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = 0;
    std::map<uint64_t, SessionInfo> infos;
  };
  auto collected = std::make_shared<Collected>();
  std::vector<std::pair<std::shared_ptr<Session>, SessionInfo>> sessions;
  const int64_t now = core::SteadyNowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, entry] : sessions_) {
      auto session = entry.session.lock();
      if (session == nullptr) continue;
      SessionInfo info;
      info.id = id;
      info.age_ms = now - entry.accepted_ms;
      info.redirected = entry.redirected;
      sessions.emplace_back(std::move(session), std::move(info));
    }
  }
  collected->remaining = sessions.size();
  for (auto& [session, info] : sessions) {
    // The UserAgent and the subscription state belong to the session's worker thread.
    boost::asio::post(session->socket_.get_executor(),
                      [collected, session = session, info = std::move(info)]() mutable {
                        if (!session->closed()) {
                          info.hello_done = session->hello_done_;
                          info.purpose = session->user_agent_.purpose;
                          info.group = session->user_agent_.group;
                          const auto& agent = session->user_agent_;
                          info.peer = session->peer_;
                          info.subsystem = agent.subsystem;
                          info.env = agent.env;
                          info.idc = agent.idc;
                          info.path = agent.path;
                          info.version = agent.version;
                          info.pid = agent.pid;
                          for (const auto& item : session->subscriptions_) {
                            info.topics.push_back(item.topic);
                          }
                          info.publishes_in_flight = session->publishes_in_flight();
                          std::lock_guard<std::mutex> lock(session->deliveries_mu_);
                          info.unacked_pushes = static_cast<int64_t>(session->deliveries_.size());
                        }
                        std::lock_guard<std::mutex> lock(collected->mu);
                        if (!session->closed()) collected->infos.emplace(info.id, std::move(info));
                        if (--collected->remaining == 0) collected->cv.notify_all();
                      });
  }
  sessions.clear();
  std::unique_lock<std::mutex> lock(collected->mu);
  collected->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                         [&] { return collected->remaining == 0; });
  std::vector<SessionInfo> out;
  out.reserve(collected->infos.size());
  for (auto& [id, info] : collected->infos) out.push_back(std::move(info));
  return out;
}

bool TcpServer::WaitForSessionsAtMost(size_t count, int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return closed_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return sessions_.size() <= count; });
}

}  // namespace eventmesh::runtime::tcp
