#include "eventmesh/runtime/mqtt/mqtt_server.h"

#include <chrono>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "eventmesh/common/named_thread.h"
#include "glog/logging.h"

namespace eventmesh::runtime::mqtt {

MqttServer::MqttServer(MqttContext* context)
    : ctx_(context),
      pool_(
          {context->config->mqtt.worker_threads, net::IoThreadPool::Model::kPerThread, "em-mqtt"}) {
  ctx_->registry = this;
}

MqttServer::~MqttServer() { Stop(); }

absl::Status MqttServer::Start(int port) {
  net::AcceptorOptions options;
  options.address = "0.0.0.0";
  options.port = port;
  net::ListenFailure failure;
  auto acceptor = net::Acceptor::Listen(&pool_, options, &failure);
  if (!acceptor.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on MQTT port ", port, ": ", failure.reason));
  }
  acceptor_ = *std::move(acceptor);
  port_ = acceptor_->port();
  listener_id_ = ctx_->topics->AddCreationListener(
      [this](const std::string& topic) { OnTopicCreated(topic); });
  acceptor_->Start(
      [this](boost::asio::ip::tcp::socket socket, net::ConnectionSlot) {
        OnAccepted(std::move(socket));
      },
      nullptr,
      [](const boost::system::error_code& ec) { LOG(WARNING) << "mqtt accept: " << ec.message(); });
  pool_.Start();
  scan_thread_ = StartNamedThread("em-mqtt-scan", [this] { ScanLoop(); });
  return absl::OkStatus();
}

void MqttServer::OnAccepted(boost::asio::ip::tcp::socket socket) {
  const uint64_t id = ctx_->consumers->NewExternalTargetId();
  const boost::asio::any_io_executor worker = socket.get_executor();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int64_t>(sessions_.size()) >= ctx_->config->mqtt.max_connections) {
      LOG(WARNING) << "mqtt: refusing a connection: " << sessions_.size()
                   << " connections open (eventMesh.server.mqtt.maxConnections)";
      boost::system::error_code ec;
      socket.close(ec);
      return;
    }
  }
  auto session = std::make_shared<MqttSession>(std::move(socket), ctx_, id);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_[id] = session;
  }
  // A session that closes before CONNECT is dropped from the table by the scan timer.
  boost::asio::post(worker, [session] { session->Start(); });
}

std::shared_ptr<MqttSession> MqttServer::Claim(const std::string& client_id,
                                               const std::shared_ptr<MqttSession>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  std::weak_ptr<MqttSession>& slot = by_client_id_[client_id];
  std::shared_ptr<MqttSession> previous = slot.lock();
  slot = session;
  if (previous == session) return nullptr;
  return previous;
}

void MqttServer::WatchTopics(const std::shared_ptr<MqttSession>& session) {
  std::lock_guard<std::mutex> lock(mu_);
  watchers_[session->target_id()] = session;
}

void MqttServer::Closed(const std::string& client_id, uint64_t session_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_client_id_.find(client_id);
  if (it != by_client_id_.end()) {
    auto owner = it->second.lock();
    if (owner == nullptr || owner->target_id() == session_id) by_client_id_.erase(it);
  }
  watchers_.erase(session_id);
  sessions_.erase(session_id);
  closed_cv_.notify_all();
}

void MqttServer::OnTopicCreated(const std::string& topic) {
  std::vector<std::shared_ptr<MqttSession>> watchers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, weak] : watchers_) {
      if (auto s = weak.lock()) watchers.push_back(std::move(s));
    }
  }
  for (auto& session : watchers) session->OnTopicCreated(topic);
}

void MqttServer::ScanLoop() {
  std::set<std::string> seen;
  bool first = true;
  std::unique_lock<std::mutex> lock(mu_);
  while (!scan_stop_) {
    scan_cv_.wait_for(lock, std::chrono::milliseconds(ctx_->config->mqtt.topic_scan_interval_ms));
    if (scan_stop_) break;
    // Forget sessions that closed before CONNECT (they never called Closed).
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      auto s = it->second.lock();
      it = (s == nullptr || s->closed()) ? sessions_.erase(it) : std::next(it);
    }
    const bool any_watcher = !watchers_.empty();
    lock.unlock();
    ctx_->state->ExpireSessions(absl::ToUnixMillis(absl::Now()));
    if (any_watcher) {
      auto topics = ctx_->connector->ListTopics();
      if (topics.ok()) {
        for (const auto& topic : *topics) {
          if (seen.insert(topic).second && !first) OnTopicCreated(topic);
        }
        first = false;
      }
    }
    lock.lock();
  }
}

void MqttServer::StopAccepting() {
  if (acceptor_ != nullptr) acceptor_->Close();
}

void MqttServer::DisconnectAll(int64_t timeout_ms) {
  std::vector<std::shared_ptr<MqttSession>> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& session : sessions) session->ServerShutdown();
  sessions.clear();
  std::unique_lock<std::mutex> lock(mu_);
  closed_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    for (auto& [id, weak] : sessions_) {
      auto s = weak.lock();
      if (s != nullptr && !s->closed()) return false;
    }
    return true;
  });
}

void MqttServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  StopAccepting();
  if (listener_id_ != 0) ctx_->topics->RemoveCreationListener(listener_id_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    scan_stop_ = true;
  }
  scan_cv_.notify_all();
  if (scan_thread_.joinable()) scan_thread_.join();
  pool_.Stop();
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.clear();
  by_client_id_.clear();
  watchers_.clear();
}

std::vector<frontend::ConnectedClient> MqttServer::Clients() {
  std::vector<std::shared_ptr<MqttSession>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  std::vector<frontend::ConnectedClient> out;
  for (const auto& session : live) {
    if (auto client = session->Describe()) out.push_back(*std::move(client));
  }
  return out;
}

size_t MqttServer::session_count() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (auto& [id, weak] : sessions_) {
    auto s = weak.lock();
    if (s != nullptr && !s->closed()) ++n;
  }
  return n;
}

}  // namespace eventmesh::runtime::mqtt
