#include "eventmesh/runtime/cluster/rebalancer.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace eventmesh::runtime::cluster {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClusterRebalancer>> ClusterRebalancer::Start(
    connectors::Connector* connector, RebalancerOptions options, SessionHooks hooks) {
  if (options.registry != nullptr) {
    std::unique_ptr<ClusterRebalancer> rebalancer(
        new ClusterRebalancer(connector, std::move(options), std::move(hooks)));
    ClusterRebalancer* self = rebalancer.get();
    self->RefreshFromRegistry();
    self->thread_ = std::thread([self] { self->Loop(); });
    return rebalancer;
  }
  absl::Status created = connector->CreateTopic(kLoadTopic, 1);
  if (!created.ok() && created.code() != absl::StatusCode::kAlreadyExists) {
    return absl::Status(created.code(), absl::StrCat("cannot create the load topic ", kLoadTopic,
                                                     ": ", created.message()));
  }
  std::unique_ptr<ClusterRebalancer> rebalancer(
      new ClusterRebalancer(connector, std::move(options), std::move(hooks)));
  ClusterRebalancer* self = rebalancer.get();
  connectors::SubscribeOptions subscribe;
  subscribe.group = absl::StrCat(kLoadTopic, "-", self->options_.runtime_id);
  subscribe.topic = kLoadTopic;
  subscribe.mode = connectors::ConsumeMode::kBroadcasting;
  subscribe.max_unacked = 1000;
  auto subscription = connector->Subscribe(
      subscribe,
      [self](std::vector<connectors::DeliveredEvent>* events) { self->OnReports(events); });
  if (!subscription.ok()) {
    return absl::Status(subscription.status().code(),
                        absl::StrCat("cannot subscribe to the load topic ", kLoadTopic, ": ",
                                     subscription.status().message()));
  }
  std::vector<connectors::Position> early;
  {
    std::lock_guard<std::mutex> lock(self->lifecycle_mu_);
    self->subscription_ = std::move(*subscription);
    std::lock_guard<std::mutex> ack_lock(self->ack_mu_);
    self->ack_target_ = self->subscription_.get();
    early.swap(self->early_acks_);
  }
  if (!early.empty()) self->subscription_->AckAll(early);
  self->PublishReport(self->hooks_.list_sessions(), /*leaving=*/false, nullptr);
  self->thread_ = std::thread([self] { self->Loop(); });
  return rebalancer;
}

ClusterRebalancer::ClusterRebalancer(connectors::Connector* connector, RebalancerOptions options,
                                     SessionHooks hooks)
    : connector_(connector), options_(std::move(options)), hooks_(std::move(hooks)) {}

ClusterRebalancer::~ClusterRebalancer() { Stop(); }

void ClusterRebalancer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto next_round =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.interval_ms);
  for (;;) {
    cv_.wait_until(lock, next_round, [this] { return stopping_ || report_now_; });
    if (stopping_) return;
    if (report_now_) {
      // A runtime we did not know reported: it started after our last report and has not seen
      // us yet (its subscription begins at the end of the topic), so tell it now.
      report_now_ = false;
      lock.unlock();
      PublishReport(hooks_.list_sessions(), /*leaving=*/false, nullptr);
      lock.lock();
      continue;
    }
    lock.unlock();
    RunRound();
    lock.lock();
    next_round = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.interval_ms);
  }
}

void ClusterRebalancer::RunRound() {
  if (options_.registry != nullptr) RefreshFromRegistry();
  const std::vector<LocalSession> sessions = hooks_.list_sessions();
  PublishReport(sessions, /*leaving=*/false, nullptr);
  const std::vector<Move> moves =
      PlanRebalance(options_.runtime_id, sessions, LivePeers(), options_.policy);
  int64_t redirected = 0;
  for (size_t i = 0; i < moves.size(); ++i) {
    const Move& move = moves[i];
    if (i > 0) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(options_.redirect_sleep_ms),
                   [this] { return stopping_; });
      if (stopping_) break;
    }
    if (!hooks_.redirect(move.session_id, move.ip, move.port)) continue;
    LOG(INFO) << "rebalance: session " << move.session_id << " (group " << move.pool.group << ", "
              << move.pool.purpose << ") redirected to runtime " << move.runtime_id << " at "
              << move.ip << ":" << move.port;
    ++redirected;
    std::lock_guard<std::mutex> lock(mu_);
    pending_moves_.push_back(PendingMove{move.runtime_id, move.pool, WallMs(), SteadyMs()});
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.rounds;
  stats_.redirects += redirected;
}

void ClusterRebalancer::PublishReport(const std::vector<LocalSession>& sessions, bool leaving,
                                      std::function<void(absl::Status)> done) {
  if (options_.registry != nullptr) {
    // The RegistryAgent publishes CurrentReport(); leaving = deregistering.
    if (done) done(absl::OkStatus());
    return;
  }
  LoadReport report;
  report.load = CountSessions(options_.runtime_id, options_.ip, options_.port, sessions);
  report.timestamp_ms = WallMs();
  report.interval_ms = options_.interval_ms;
  report.leaving = leaving;
  int64_t sequence = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sequence = ++report_sequence_;
  }
  connector_->Publish(report.ToCloudEvent(sequence),
                      // The callback may run after this object is gone: it only touches
                      // the shared counter.
                      [published = published_,
                       done = std::move(done)](absl::StatusOr<connectors::PublishResult> r) {
                        if (r.ok()) {
                          published->fetch_add(1);
                        } else {
                          LOG(WARNING) << "cannot publish the load report to " << kLoadTopic << ": "
                                       << r.status();
                        }
                        if (done) done(r.status());
                      });
}

void ClusterRebalancer::OnReports(std::vector<connectors::DeliveredEvent>* events) {
  std::vector<connectors::Position> positions;
  positions.reserve(events->size());
  {
    const int64_t now = SteadyMs();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& delivered : *events) {
      positions.push_back(delivered.position);
      auto report = LoadReport::FromCloudEvent(*delivered.event);
      if (!report.ok()) {
        ++stats_.invalid_reports;
        LOG(WARNING) << "event " << delivered.event->id() << " on " << kLoadTopic
                     << " ignored: " << report.status();
        continue;
      }
      if (report->load.runtime_id == options_.runtime_id) continue;  // our own
      ++stats_.reports_received;
      if (!peers_.count(report->load.runtime_id) && !report->leaving) report_now_ = true;
      Peer& peer = peers_[report->load.runtime_id];
      peer.report = std::move(*report);
      peer.received_ms = now;
    }
  }
  cv_.notify_all();
  connectors::Subscription* target = nullptr;
  {
    std::lock_guard<std::mutex> lock(ack_mu_);
    target = ack_target_;
    if (target == nullptr) {
      early_acks_.insert(early_acks_.end(), positions.begin(), positions.end());
      return;
    }
  }
  // Safe: Stop closes the subscription, which waits for this handler to return.
  target->AckAll(positions);
}

std::string ClusterRebalancer::CurrentReport() {
  LoadReport report;
  report.load =
      CountSessions(options_.runtime_id, options_.ip, options_.port, hooks_.list_sessions());
  report.timestamp_ms = WallMs();
  report.interval_ms = options_.interval_ms;
  return report.ToJson();
}

void ClusterRebalancer::RefreshFromRegistry() {
  auto listed = options_.registry->List(options_.mesh);
  if (!listed.ok()) {
    // The peers known so far age out after 3 intervals (IsLive) unless the registry answers.
    LOG(WARNING) << "rebalance: cannot read the runtimes of mesh " << options_.mesh
                 << " from the registry: " << listed.status();
    return;
  }
  const int64_t now = SteadyMs();
  std::map<std::string, Peer> peers;
  int64_t invalid = 0;
  for (const registry::Instance& instance : listed->instances) {
    auto it = instance.metadata.find(kLoadMetadataKey);
    if (it == instance.metadata.end()) continue;  // a runtime without rebalancing
    auto report = LoadReport::FromJson(it->second);
    if (!report.ok()) {
      ++invalid;
      LOG(WARNING) << "rebalance: registry record " << instance.mesh << "/" << instance.id
                   << " has no valid load report: " << report.status();
      continue;
    }
    if (report->load.runtime_id == options_.runtime_id) continue;  // our own
    Peer& peer = peers[report->load.runtime_id];
    peer.report = std::move(*report);
    peer.received_ms = now;  // listed = its lease is alive
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.reports_received += static_cast<int64_t>(peers.size());
  stats_.invalid_reports += invalid;
  peers_.swap(peers);
}

std::vector<RuntimeLoad> ClusterRebalancer::LivePeers() {
  const int64_t now = SteadyMs();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RuntimeLoad> live;
  std::map<std::string, size_t> index;
  for (const auto& [id, peer] : peers_) {
    const int64_t interval = std::max(options_.interval_ms, peer.report.interval_ms);
    if (!IsLive(peer.received_ms, interval, peer.report.leaving, now)) continue;
    index[id] = live.size();
    live.push_back(peer.report.load);
  }
  // Moves towards a peer count until it reports again after them (or for 3 intervals).
  for (auto it = pending_moves_.begin(); it != pending_moves_.end();) {
    auto peer = peers_.find(it->runtime_id);
    // The client needs a moment to reconnect: only a report built a grace period after the
    // move surely counts it (counting it twice meanwhile only delays the next move).
    const int64_t grace_ms = std::min<int64_t>(options_.interval_ms, 2'000);
    const bool reported_since =
        peer != peers_.end() && peer->second.report.timestamp_ms > it->wall_ms + grace_ms;
    if (reported_since || now - it->steady_ms >= 3 * options_.interval_ms) {
      it = pending_moves_.erase(it);
      continue;
    }
    if (auto at = index.find(it->runtime_id); at != index.end()) {
      ++live[at->second].sessions[it->pool];
    }
    ++it;
  }
  return live;
}

RuntimeLoad ClusterRebalancer::Recommend(const PoolKey& pool) {
  const RuntimeLoad self =
      CountSessions(options_.runtime_id, options_.ip, options_.port, hooks_.list_sessions());
  const std::vector<RuntimeLoad> peers = LivePeers();
  return cluster::Recommend(self, peers, pool);
}

size_t ClusterRebalancer::Drain() {
  StopThread();
  if (options_.registry != nullptr) RefreshFromRegistry();
  const std::vector<LocalSession> sessions = hooks_.list_sessions();
  auto announced = std::make_shared<std::promise<absl::Status>>();
  std::future<absl::Status> announced_future = announced->get_future();
  PublishReport(sessions, /*leaving=*/true,
                [announced](absl::Status status) { announced->set_value(status); });
  // Bounded: the store takes the report or the connector gives up.
  if (announced_future.wait_for(std::chrono::seconds(2)) != std::future_status::ready) {
    LOG(WARNING) << "the leaving report was not acknowledged within 2 s; draining anyway";
  }
  const std::vector<Move> moves = PlanDrain(sessions, LivePeers());
  size_t asked = 0;
  for (const Move& move : moves) {
    if (hooks_.redirect(move.session_id, move.ip, move.port)) ++asked;
  }
  if (asked > 0) {
    LOG(INFO) << "drain: " << asked << " sessions redirected to live peers";
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.drained += static_cast<int64_t>(asked);
  return asked;
}

void ClusterRebalancer::StopThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (thread_.joinable()) thread_.join();
}

void ClusterRebalancer::Stop() {
  StopThread();
  std::unique_ptr<connectors::Subscription> subscription;
  {
    std::lock_guard<std::mutex> lock(lifecycle_mu_);
    subscription = std::move(subscription_);
  }
  if (subscription) {
    {
      std::lock_guard<std::mutex> lock(ack_mu_);
      ack_target_ = nullptr;
    }
    subscription->Close();
  }
}

RebalancerStats ClusterRebalancer::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  RebalancerStats stats = stats_;
  stats.reports_published = published_->load();
  return stats;
}

}  // namespace eventmesh::runtime::cluster
