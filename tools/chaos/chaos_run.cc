#include "tools/chaos/chaos_run.h"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio.hpp"
#include "eventmesh/sdk/tcp_client.h"
#include "eventmesh/testing/child_process.h"
#include "tools/chaos/tcp_proxy.h"

namespace eventmesh::chaos {
namespace {

using eventmesh::testing::ChildProcess;
using eventmesh::testing::FreeLoopbackPort;

constexpr char kTopic[] = "chaos";
constexpr char kGroup[] = "chaos-consumers";

void Log(const std::string& line) { std::cout << "[chaos] " << line << std::endl; }

// True once 127.0.0.1:port accepts a connection (polls until `timeout`, or until `process`
// exits).
bool WaitForPort(int port, absl::Duration timeout, ChildProcess* process) {
  const absl::Time deadline = absl::Now() + timeout;
  boost::asio::io_context io;
  while (absl::Now() < deadline && process->Wait(absl::ZeroDuration()) < 0) {
    boost::asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::address_v4::loopback(), static_cast<uint16_t>(port)}, ec);
    if (!ec) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The processes of one configuration: the store service (optional) and the runtime, each
// restartable on the same port and data directory.
class Processes {
 public:
  Processes(const ChaosConfig& config, const ChaosOptions& options, std::string dir)
      : config_(config), options_(options), dir_(std::move(dir)) {
    runtime_port_ = FreeLoopbackPort();
    http_port_ = FreeLoopbackPort();
    admin_port_ = FreeLoopbackPort();
    if (config_.store_service) store_port_ = FreeLoopbackPort();
  }

  // The first start. A port picked free may be taken by another process before the child
  // listens on it (tests run side by side): the child then exits at once, and the start is
  // tried again on other ports.
  absl::Status Start() {
    absl::Status status;
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (attempt > 0) {
        Log(absl::StrCat("a port was taken (", status.message(), "); trying other ports"));
        runtime_port_ = FreeLoopbackPort();
        http_port_ = FreeLoopbackPort();
        admin_port_ = FreeLoopbackPort();
        if (config_.store_service) store_port_ = FreeLoopbackPort();
        runtime_.reset();
        store_.reset();
      }
      if (config_.store_service) {
        status = StartStore();
        if (!status.ok()) {
          if (absl::StrContains(status.message(), "in use")) continue;
          return status;
        }
      }
      status = StartRuntime();
      if (status.ok() || !absl::StrContains(status.message(), "in use")) return status;
    }
    return status;
  }

  absl::Status StartRuntime() {
    std::vector<std::string> args = {
        absl::StrCat("--port=", runtime_port_),
        absl::StrCat("--http_port=", http_port_),
        absl::StrCat("--admin_port=", admin_port_),
        absl::StrCat("--data_dir=", dir_, "/runtime"),
        "--eventMesh.server.delivery.ackTimeoutInMills=1000",
        // Redelivery is what this run exercises, not dead letters.
        "--eventMesh.server.delivery.maxDeliveryCount=1000",
        "--eventMesh.server.tcp.RebalanceIntervalInMills=0",
    };
    if (config_.store_service) {
      for (const char* arg :
           {"--eventMesh.storage.plugin.type=store", "--eventMesh.storage.store.fetchWaitMs=100",
            "--eventMesh.storage.store.heartbeatIntervalMs=100",
            "--eventMesh.storage.store.commitIntervalMs=50",
            "--eventMesh.storage.store.sessionTimeoutMs=2000"}) {
        args.push_back(arg);
      }
      args.push_back(absl::StrCat("--eventMesh.storage.store.address=127.0.0.1:", store_port_));
    } else {
      args.push_back(absl::StrCat("--eventMesh.storage.embedded.syncMode=", config_.sync));
    }
    auto runtime = ChildProcess::Start(options_.runtime_binary, args, dir_ + "/runtime.log");
    if (!runtime.ok()) return runtime.status();
    runtime_ = *std::move(runtime);
    if (!WaitForPort(runtime_port_, absl::Seconds(60), runtime_.get())) {
      return absl::UnavailableError(
          absl::StrCat("the runtime is not listening (60 s at most): ", runtime_->LogTail()));
    }
    return absl::OkStatus();
  }

  absl::Status StartStore() {
    auto store = ChildProcess::Start(
        options_.store_binary,
        {absl::StrCat("--port=", store_port_), absl::StrCat("--data_dir=", dir_, "/store"),
         absl::StrCat("--sync=", config_.sync)},
        dir_ + "/store.log");
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    if (!WaitForPort(store_port_, absl::Seconds(60), store_.get())) {
      return absl::UnavailableError(
          absl::StrCat("the store service is not listening (60 s at most): ", store_->LogTail()));
    }
    return absl::OkStatus();
  }

  absl::Status KillRuntime() {
    runtime_->Signal(SIGKILL);
    runtime_->Wait(absl::Seconds(30));
    return StartRuntime();
  }
  absl::Status KillStore() {
    store_->Signal(SIGKILL);
    store_->Wait(absl::Seconds(30));
    return StartStore();
  }
  static void Pause(ChildProcess* process, absl::Duration time) {
    process->Signal(SIGSTOP);
    absl::SleepFor(time);
    process->Signal(SIGCONT);
  }
  ChildProcess* runtime() { return runtime_.get(); }
  ChildProcess* store() { return store_.get(); }

  // Graceful stop (SIGTERM), so the run ends the way operators stop the runtime.
  void Stop() {
    for (ChildProcess* process : {runtime_.get(), store_.get()}) {
      if (process == nullptr || !process->running()) continue;
      process->Signal(SIGTERM);
      process->Wait(absl::Seconds(30));
    }
  }

  // Whether each process is still running (a crash of ours is a failure of the run).
  std::string Crashed() {
    std::string out;
    for (auto [name, process] : {std::pair<const char*, ChildProcess*>{"runtime", runtime_.get()},
                                 {"store service", store_.get()}}) {
      if (process != nullptr && process->Wait(absl::ZeroDuration()) >= 0) {
        absl::StrAppend(&out, name, " exited unexpectedly: ", process->LogTail());
      }
    }
    return out;
  }

  int runtime_port() const { return runtime_port_; }

 private:
  const ChaosConfig config_;
  const ChaosOptions options_;
  const std::string dir_;
  int runtime_port_ = 0;
  int http_port_ = 0;
  int admin_port_ = 0;
  int store_port_ = 0;
  std::unique_ptr<ChildProcess> runtime_;
  std::unique_ptr<ChildProcess> store_;
};

sdk::TcpClientOptions ClientOptions(int port, sdk::ClientPurpose purpose,
                                    const std::string& group) {
  sdk::TcpClientOptions options;
  options.port = port;
  options.group = group;
  options.purpose = purpose;
  options.heartbeat_interval = absl::Seconds(1);
  options.request_timeout = absl::Seconds(2);
  options.connect_timeout = absl::Seconds(2);
  options.reconnect_initial_backoff = absl::Milliseconds(50);
  options.reconnect_max_backoff = absl::Milliseconds(500);
  return options;
}

// Connects, retrying while the runtime is restarting (bounded).
absl::StatusOr<std::unique_ptr<sdk::EventMeshTcpClient>> ConnectWithRetry(
    const sdk::TcpClientOptions& options) {
  absl::Status last;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto client = sdk::EventMeshTcpClient::Connect(options);
    if (client.ok()) return client;
    last = client.status();
    absl::SleepFor(absl::Milliseconds(200));
  }
  return last;
}

// One member of the consumer group. Records each event it processed before acknowledging it.
class Consumer {
 public:
  static absl::StatusOr<std::unique_ptr<Consumer>> Start(int port, const std::string& run,
                                                         Ledger* ledger) {
    auto options = ClientOptions(port, sdk::ClientPurpose::kSubscribe, kGroup);
    options.ack_mode = sdk::AckMode::kManual;
    std::unique_ptr<Consumer> consumer(new Consumer());
    auto client = ConnectWithRetry(options);
    if (!client.ok()) return client.status();
    consumer->client_ = *std::move(client);
    Consumer* self = consumer.get();
    consumer->client_->SetHandler([self, run, ledger](std::shared_ptr<sdk::Delivery> delivery) {
      if (self->crashing_.load()) return;  // a crashing consumer acknowledges nothing more
      uint64_t id = 0;
      if (!ParseEventBody(run, delivery->event().data(), &id)) {
        ledger->Malformed();
      } else {
        ledger->Consumed(id);
      }
      delivery->Ack();
    });
    // Subscribe and Listen are remembered by the client and re-sent after every reconnect;
    // retry them while the runtime is restarting.
    absl::Status status;
    for (int attempt = 0; attempt < 100; ++attempt) {
      status = consumer->client_->Subscribe(kTopic, sdk::SubscriptionMode::kClustering,
                                            sdk::SubscriptionType::kAsync);
      if (status.ok()) status = consumer->client_->Listen();
      if (status.ok()) return consumer;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return status;
  }

  void Crash() {
    crashing_.store(true);
    // Deliveries arriving now stay unacknowledged; the runtime must give them to another member.
    absl::SleepFor(absl::Milliseconds(200));
    client_->Close().IgnoreError();  // the client stops either way
  }
  void Close() { client_->Close().IgnoreError(); }  // the client stops either way

 private:
  Consumer() = default;
  std::unique_ptr<sdk::EventMeshTcpClient> client_;
  std::atomic<bool> crashing_{false};
};

// Publishes numbered events at a steady rate with a bounded number in flight.
class Publisher {
 public:
  Publisher(std::unique_ptr<sdk::EventMeshTcpClient> client, std::string run, Ledger* ledger,
            int rate, int max_in_flight)
      : client_(std::move(client)),
        run_(std::move(run)),
        ledger_(ledger),
        rate_(rate),
        max_in_flight_(max_in_flight) {
    thread_ = std::thread([this] { Loop(); });
  }

  // Stops publishing and waits (bounded) until every publish in flight completed.
  void Stop() {
    stop_.store(true);
    thread_.join();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (in_flight_.load() > 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    client_->Close().IgnoreError();  // the client stops either way
  }
  uint64_t failures() const { return failures_.load(); }

 private:
  void Loop() {
    const absl::Duration period = absl::Seconds(1) / rate_;
    absl::Time next = absl::Now();
    while (!stop_.load()) {
      if (in_flight_.load() >= max_in_flight_) {
        absl::SleepFor(absl::Milliseconds(1));
        continue;
      }
      const absl::Time now = absl::Now();
      if (now < next) {
        absl::SleepFor(next - now);
        continue;
      }
      next += period;
      if (next < now - absl::Seconds(1)) next = now;  // do not burst after a stall
      const uint64_t id = ledger_->Issue();
      sdk::Message message;
      message.topic = kTopic;
      message.content = EventBody(run_, id);
      ++in_flight_;
      client_->PublishAsync(message, [this, id](absl::Status status) {
        if (status.ok()) {
          ledger_->Acknowledged(id);
        } else {
          ++failures_;
        }
        --in_flight_;
      });
    }
  }

  std::unique_ptr<sdk::EventMeshTcpClient> client_;
  const std::string run_;
  Ledger* ledger_;
  const int rate_;
  const int max_in_flight_;
  std::atomic<bool> stop_{false};
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> failures_{0};
  std::thread thread_;
};

std::vector<std::string> ApplicableFaults(const ChaosConfig& config,
                                          const std::vector<std::string>& wanted) {
  std::vector<std::string> all = {"kill-runtime", "stop-runtime", "cut-connections",
                                  "crash-consumer"};
  if (config.store_service) {
    all.push_back("kill-store");
    all.push_back("stop-store");
  }
  if (wanted.empty()) return all;
  std::vector<std::string> chosen;
  for (const auto& kind : all) {
    if (std::find(wanted.begin(), wanted.end(), kind) != wanted.end()) chosen.push_back(kind);
  }
  return chosen;
}

}  // namespace

absl::StatusOr<ChaosConfig> ParseChaosConfig(const std::string& name) {
  std::vector<std::string> parts = absl::StrSplit(name, '-');
  ChaosConfig config;
  config.name = name;
  if (parts.size() != 2 || (parts[0] != "embedded" && parts[0] != "store") ||
      (parts[1] != "none" && parts[1] != "batch" && parts[1] != "always")) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown configuration \"", name,
                     "\": expected <embedded|store>-<none|batch|always>, e.g. embedded-batch"));
  }
  config.store_service = parts[0] == "store";
  config.sync = parts[1];
  return config;
}

ChaosResult RunChaos(const ChaosConfig& config, const ChaosOptions& options) {
  ChaosResult result;
  result.config = config;
  const absl::Time started = absl::Now();
  const std::string dir = absl::StrCat(options.work_dir, "/", config.name);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  const std::string run = absl::StrCat(options.seed);
  std::mt19937_64 random(options.seed);

  Ledger ledger;
  Processes processes(config, options, dir);
  auto fail = [&](std::string why) {
    result.failure = std::move(why);
    result.report = ledger.Check();
    result.duration = absl::Now() - started;
    processes.Stop();
    return result;
  };
  if (auto status = processes.Start(); !status.ok()) return fail(std::string(status.message()));
  auto proxy = TcpProxy::Start(processes.runtime_port());
  if (!proxy.ok()) return fail(std::string(proxy.status().message()));
  const int port = (*proxy)->listen_port();

  std::vector<std::unique_ptr<Consumer>> consumers;
  for (int i = 0; i < options.consumers; ++i) {
    auto consumer = Consumer::Start(port, run, &ledger);
    if (!consumer.ok()) return fail(absl::StrCat("consumer: ", consumer.status().message()));
    consumers.push_back(*std::move(consumer));
  }
  auto publisher_client =
      ConnectWithRetry(ClientOptions(port, sdk::ClientPurpose::kPublish, "chaos-publishers"));
  if (!publisher_client.ok()) {
    return fail(absl::StrCat("publisher: ", publisher_client.status().message()));
  }
  Publisher publisher(*std::move(publisher_client), run, &ledger, options.rate,
                      options.max_in_flight);

  const std::vector<std::string> kinds = ApplicableFaults(config, options.fault_kinds);
  std::string failure;
  for (int i = 0; i < options.faults && !kinds.empty() && failure.empty(); ++i) {
    absl::SleepFor(options.interval);
    const std::string& kind = kinds[random() % kinds.size()];
    Log(absl::StrCat(config.name, " fault ", i + 1, "/", options.faults, ": ", kind,
                     " (acknowledged ", ledger.Check().acknowledged, ", not yet consumed ",
                     ledger.Outstanding(), ")"));
    result.faults.push_back(kind);
    absl::Status status;
    if (kind == "kill-runtime") {
      status = processes.KillRuntime();
    } else if (kind == "stop-runtime") {
      Processes::Pause(processes.runtime(), options.stop_time);
    } else if (kind == "kill-store") {
      status = processes.KillStore();
    } else if (kind == "stop-store") {
      Processes::Pause(processes.store(), options.stop_time);
    } else if (kind == "cut-connections") {
      (*proxy)->Cut();
    } else if (kind == "crash-consumer") {
      const size_t victim = random() % consumers.size();
      consumers[victim]->Crash();
      auto replacement = Consumer::Start(port, run, &ledger);
      if (!replacement.ok()) {
        status = replacement.status();
      } else {
        consumers[victim] = *std::move(replacement);
      }
    }
    if (!status.ok()) failure = absl::StrCat(kind, ": ", status.message());
    if (failure.empty()) failure = processes.Crashed();
  }
  publisher.Stop();
  if (!failure.empty()) {
    for (auto& consumer : consumers) consumer->Close();
    return fail(failure);
  }

  // Drain: every acknowledged event must reach a consumer.
  Log(absl::StrCat(config.name, " draining: ", ledger.Outstanding(),
                   " acknowledged events not yet consumed"));
  const absl::Time deadline = absl::Now() + options.drain_timeout;
  while (ledger.Outstanding() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  // Late redeliveries (duplicates) are counted too: wait one more ack timeout.
  absl::SleepFor(absl::Seconds(2));
  for (auto& consumer : consumers) consumer->Close();
  (*proxy)->Stop();
  result.report = ledger.Check();
  failure = processes.Crashed();
  processes.Stop();
  result.failure = failure;
  result.duration = absl::Now() - started;
  Log(absl::StrCat(config.name,
                   " publish failures (not acknowledged, allowed): ", publisher.failures()));
  return result;
}

}  // namespace eventmesh::chaos
