#include "eventmesh/connectors/nats/nats_connector.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "glog/logging.h"

namespace eventmesh::connectors {

namespace {

constexpr int64_t kNanosPerMs = 1'000'000;
constexpr int32_t kMaxPartitions = 1024;
constexpr jsErrCode kNoJsError = static_cast<jsErrCode>(0);
// Empty pulls in a row after which a subscription checks that its consumer still exists.
constexpr int64_t kIdlePullsPerCheck = 10;

config::KeyTable<NatsOptions> BuildKeyTable() {
  config::KeyTable<NatsOptions> table;
  table
      .String("servers", &NatsOptions::servers,
              "NATS server URLs, comma-separated (nats://host:port, tls://host:port)",
              /*non_empty=*/true)
      .String("user", &NatsOptions::user, "user name (with password); empty = none")
      .String("password", &NatsOptions::password, "password of user")
      .String("token", &NatsOptions::token, "authentication token; empty = none")
      .String("tlsCaFile", &NatsOptions::tls_ca_file,
              "PEM file of the CAs trusted for the server certificate; set = TLS required")
      .String("tlsCertFile", &NatsOptions::tls_cert_file,
              "PEM client certificate (with tlsKeyFile) for mutual TLS")
      .String("tlsKeyFile", &NatsOptions::tls_key_file, "PEM private key of tlsCertFile")
      .String("subjectPrefix", &NatsOptions::subject_prefix,
              "first token of every subject: <subjectPrefix>.<topic>.<partition>",
              /*non_empty=*/true)
      .Custom("storage", "file", "",
              "stream storage of new topics: file (survives a server restart) or memory",
              [](const std::string& key, const std::string& value, NatsOptions* o) {
                if (value != "file" && value != "memory") {
                  return absl::InvalidArgumentError(absl::StrCat(
                      "invalid value \"", value, "\" for key ", key, ": expected file or memory"));
                }
                o->memory_storage = value == "memory";
                return absl::OkStatus();
              })
      .Int("replicas", &NatsOptions::replicas, 1, 5, "",
           "stream replicas of new topics (at most the cluster's size)")
      .Int("maxAgeMs", &NatsOptions::max_age_ms, 0, config::kUnbounded, "ms",
           "stream retention by age of new topics (0 = unlimited)")
      .Int("maxBytes", &NatsOptions::max_bytes, 0, config::kUnbounded, "bytes",
           "stream retention by size of new topics (0 = unlimited)")
      .Int("ackWaitMs", &NatsOptions::ack_wait_ms, 1'000, config::kUnbounded, "ms",
           "JetStream AckWait of the consumers: a delivered event comes back when this process "
           "held it that long without a sign of life (it crashed)")
      .Int("fetchBatch", &NatsOptions::fetch_batch, 1, 10'000, "events",
           "most events one pull request fetches (also bounded by the subscription's window)")
      .Int("fetchWaitMs", &NatsOptions::fetch_wait_ms, 10, 60'000, "ms",
           "how long one pull request waits for events")
      .Int("publishTimeoutMs", &NatsOptions::publish_timeout_ms, 100, config::kUnbounded, "ms",
           "a publish JetStream did not acknowledge within this time fails (Unavailable)")
      .Int("maxInFlight", &NatsOptions::max_in_flight, 1, 1'000'000, "events",
           "most asynchronous publishes waiting for their PubAck")
      .Int("connectTimeoutMs", &NatsOptions::connect_timeout_ms, 100, config::kUnbounded, "ms",
           "timeout of one connection attempt")
      .Int("reconnectWaitMs", &NatsOptions::reconnect_wait_ms, 10, config::kUnbounded, "ms",
           "pause between reconnection attempts (the client reconnects for ever)")
      .Int("requestTimeoutMs", &NatsOptions::request_timeout_ms, 100, config::kUnbounded, "ms",
           "timeout of JetStream API calls (topic admin, consumer creation)");
  return table;
}

std::string Encode(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "_%02X", c);
      out += hex;
    }
  }
  return out;
}

// "<what>: <status text> (<last error>)".
std::string NatsText(natsStatus s) {
  std::string text = natsStatus_GetText(s);
  natsStatus last = NATS_OK;
  const char* detail = nats_GetLastError(&last);
  if (detail != nullptr && *detail != '\0' && text != detail) absl::StrAppend(&text, ": ", detail);
  return text;
}

absl::Status FromNats(natsStatus s, jsErrCode code, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", NatsText(s));
  if (code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr || s == NATS_NOT_FOUND) {
    return absl::NotFoundError(message);
  }
  if (code == JSStreamNameExistErr) return absl::AlreadyExistsError(message);
  if (s == NATS_INVALID_ARG) return absl::InvalidArgumentError(message);
  return absl::UnavailableError(message);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class NatsConnector;

// The connectors not destroyed yet: libnats callbacks (PubAcks, connection events) may run on
// its threads after a connector is gone, and check here first.
std::mutex& LiveMu() {
  static std::mutex* const mu = new std::mutex;
  return *mu;
}
std::set<const void*>& Live() {
  static std::set<const void*>* const live = new std::set<const void*>;
  return *live;
}

// One pull consumer read by one thread. Thread-safe.
class NatsSubscription : public Subscription {
 public:
  NatsSubscription(NatsConnector* connector, SubscribeOptions options, DeliveryHandler handler,
                   natsSubscription* sub, std::string consumer)
      : connector_(connector),
        options_(std::move(options)),
        topic_(options_.topic),
        handler_(std::move(handler)),
        sub_(sub),
        consumer_(std::move(consumer)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~NatsSubscription() override { Close(); }

  void Ack(const Position& position) override { AckAll({position}); }
  void AckAll(const std::vector<Position>& positions) override;
  void Close() override;

 private:
  void Run();
  void KeepHeldAlive();
  // Run's thread: re-creates the consumer when the server no longer has it.
  void RecreateConsumerIfLost();

  NatsConnector* const connector_;
  const SubscribeOptions options_;
  const TopicName topic_;  // options_.topic, shared by the delivered events' positions
  const DeliveryHandler handler_;
  natsSubscription* sub_;  // owned; replaced by Run when the consumer is re-created
  const std::string consumer_;
  std::thread thread_;

  struct Held {
    natsMsg* msg;
    int64_t progress_ms;
    int64_t bytes;  // counted against SubscribeOptions::max_unacked_bytes
  };
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  bool joined_ = false;
  std::map<int64_t, Held> held_;  // stream sequence -> delivered, not acknowledged
  int64_t held_bytes_ = 0;        // sum of held_[*].bytes
  int64_t average_bytes_ = 0;     // running average of delivered events' bytes (pull sizing)
};

class NatsConnector : public Connector {
 public:
  static absl::StatusOr<std::unique_ptr<NatsConnector>> Create(const NatsOptions& options);
  ~NatsConnector() override;

  absl::string_view name() const override { return "nats"; }
  Capabilities capabilities() const override {
    Capabilities caps;
    caps.durable = !options_.memory_storage;
    caps.supports_consumer_groups = true;
    caps.supports_broadcasting = true;
    caps.shared_store = true;        // other runtimes on the same NATS share topics and groups
    caps.takes_stored_bytes = true;  // messages carry the CloudEvents protobuf bytes
    return caps;
  }
  void Publish(cloudevents::CloudEvent event, PublishCallback done) override;
  void PublishBatch(std::vector<PendingPublish>* batch) override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const SubscribeOptions& options,
                                                          DeliveryHandler handler) override;
  absl::Status CreateTopic(const std::string& topic, int32_t partitions) override;
  absl::StatusOr<bool> TopicExists(const std::string& topic) override;
  absl::Status DeleteTopic(const std::string& topic) override;
  void Shutdown() override;

  const NatsOptions& options() const { return options_; }
  jsCtx* js() { return js_; }
  natsConnection* connection() { return conn_; }
  jsOptions* api_options() { return &api_options_; }
  std::string Key(const std::string& name) const { return options_.section + name; }
  // A pull subscription on the consumer of `options` (created when missing); the consumer's
  // name in *consumer.
  absl::StatusOr<natsSubscription*> PullSubscribe(const SubscribeOptions& options,
                                                  std::string* consumer);

 private:
  explicit NatsConnector(NatsOptions options) : options_(std::move(options)) {}
  absl::Status Connect();
  // The partition count of `topic` (cached unless `refresh`); a lookup waits at most
  // min(requestTimeoutMs, wait_ms).
  absl::StatusOr<int32_t> Partitions(const std::string& topic, bool refresh,
                                     int64_t wait_ms = INT64_MAX);
  void PublisherLoop();
  static void OnPubAck(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);
  static void OnDisconnected(natsConnection* nc, void* closure);
  static void OnReconnected(natsConnection* nc, void* closure);
  static void OnClosed(natsConnection* nc, void* closure);

  const NatsOptions options_;
  natsOptions* nats_options_ = nullptr;
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  jsOptions api_options_;

  struct Queued {
    std::string topic;
    std::string payload;
    PublishCallback done;
    int64_t deadline_ms = 0;  // NowMs() + publishTimeoutMs at Publish
  };
  struct Pending {
    std::string topic;
    int32_t partition;
    PublishCallback done;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;
  bool closed_ = false;  // libnats ran the closed callback: no callback of it runs any more
  std::deque<Queued> queue_;
  std::unordered_map<natsMsg*, Pending> pending_;
  std::map<std::string, std::pair<int32_t, uint64_t>> topics_;  // partitions, round-robin
  std::thread publisher_;
};

// ---------------------------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<NatsConnector>> NatsConnector::Create(const NatsOptions& options) {
  std::unique_ptr<NatsConnector> connector(new NatsConnector(options));
  {
    std::lock_guard<std::mutex> live(LiveMu());
    Live().insert(connector.get());
  }
  if (auto status = connector->Connect(); !status.ok()) return status;
  connector->publisher_ = std::thread([c = connector.get()] { c->PublisherLoop(); });
  return connector;
}

absl::Status NatsConnector::Connect() {
  natsStatus s = natsOptions_Create(&nats_options_);
  if (s != NATS_OK) return FromNats(s, kNoJsError, "nats connector: options");
  s = natsOptions_SetURL(nats_options_, options_.servers.c_str());
  if (s != NATS_OK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid value \"", options_.servers, "\" for key ", Key("servers"), ": ", NatsText(s)));
  }
  if (!options_.user.empty()) {
    natsOptions_SetUserInfo(nats_options_, options_.user.c_str(), options_.password.c_str());
  }
  if (!options_.token.empty()) natsOptions_SetToken(nats_options_, options_.token.c_str());
  if (!options_.tls_ca_file.empty() || !options_.tls_cert_file.empty()) {
    natsOptions_SetSecure(nats_options_, true);
    if (!options_.tls_ca_file.empty()) {
      s = natsOptions_LoadCATrustedCertificates(nats_options_, options_.tls_ca_file.c_str());
      if (s != NATS_OK) {
        return absl::InvalidArgumentError(absl::StrCat("cannot load ", Key("tlsCaFile"), " ",
                                                       options_.tls_ca_file, ": ", NatsText(s)));
      }
    }
    if (!options_.tls_cert_file.empty()) {
      s = natsOptions_LoadCertificatesChain(nats_options_, options_.tls_cert_file.c_str(),
                                            options_.tls_key_file.c_str());
      if (s != NATS_OK) {
        return absl::InvalidArgumentError(absl::StrCat("cannot load ", Key("tlsCertFile"), "/",
                                                       Key("tlsKeyFile"), " ",
                                                       options_.tls_cert_file, ": ", NatsText(s)));
      }
    }
  }
  natsOptions_SetTimeout(nats_options_, options_.connect_timeout_ms);
  natsOptions_SetAllowReconnect(nats_options_, true);
  natsOptions_SetMaxReconnect(nats_options_, -1);
  natsOptions_SetReconnectWait(nats_options_, options_.reconnect_wait_ms);
  natsOptions_SetDisconnectedCB(nats_options_, &NatsConnector::OnDisconnected, this);
  natsOptions_SetReconnectedCB(nats_options_, &NatsConnector::OnReconnected, this);
  natsOptions_SetClosedCB(nats_options_, &NatsConnector::OnClosed, this);
  s = natsConnection_Connect(&conn_, nats_options_);
  if (s != NATS_OK) {
    return absl::UnavailableError(absl::StrCat("nats connector: cannot connect to ",
                                               options_.servers, " (", Key("servers"),
                                               "): ", NatsText(s)));
  }
  jsOptions_Init(&api_options_);
  api_options_.Wait = options_.request_timeout_ms;
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = options_.request_timeout_ms;
  js_options.PublishAsync.MaxPending = options_.max_in_flight;
  js_options.PublishAsync.AckHandler = &NatsConnector::OnPubAck;
  js_options.PublishAsync.AckHandlerClosure = this;
  js_options.PublishAsync.StallWait = 100;  // then retried until the event's deadline
  s = natsConnection_JetStream(&js_, conn_, &js_options);
  if (s != NATS_OK) return FromNats(s, kNoJsError, "nats connector: JetStream context");
  jsAccountInfo* account = nullptr;
  jsErrCode code = kNoJsError;
  s = js_GetAccountInfo(&account, js_, &api_options_, &code);
  if (s != NATS_OK) {
    return absl::FailedPreconditionError(
        absl::StrCat("nats connector: JetStream is not available at ", options_.servers, " (",
                     Key("servers"), "): ", NatsText(s), " (start nats-server with -js)"));
  }
  jsAccountInfo_Destroy(account);
  return absl::OkStatus();
}

NatsConnector::~NatsConnector() {
  Shutdown();
  {
    std::lock_guard<std::mutex> live(LiveMu());
    Live().erase(this);
  }
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (conn_ != nullptr) natsConnection_Destroy(conn_);
  if (nats_options_ != nullptr) natsOptions_Destroy(nats_options_);
}

void NatsConnector::OnClosed(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnector*>(closure);
  std::lock_guard<std::mutex> live(LiveMu());
  if (Live().count(self) == 0) return;
  std::lock_guard<std::mutex> lock(self->mu_);
  self->closed_ = true;
  self->cv_.notify_all();
}

void NatsConnector::OnDisconnected(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnector*>(closure);
  std::lock_guard<std::mutex> live(LiveMu());
  if (Live().count(self) == 0) return;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    if (self->shutdown_) return;
  }
  LOG(WARNING) << "nats connector: disconnected from " << self->options_.servers
               << "; reconnecting every " << self->options_.reconnect_wait_ms << " ms";
}

void NatsConnector::OnReconnected(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnector*>(closure);
  std::lock_guard<std::mutex> live(LiveMu());
  if (Live().count(self) == 0) return;
  LOG(INFO) << "nats connector: reconnected to " << self->options_.servers;
}

absl::StatusOr<int32_t> NatsConnector::Partitions(const std::string& topic, bool refresh,
                                                  int64_t wait_ms) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end() && !refresh) return it->second.first;
  }
  jsStreamInfo* info = nullptr;
  jsErrCode code = kNoJsError;
  const std::string stream = NatsStreamName(topic);
  jsOptions call = api_options_;
  call.Wait = std::min(options_.request_timeout_ms, std::max<int64_t>(1, wait_ms));
  natsStatus s = js_GetStreamInfo(&info, js_, stream.c_str(), &call, &code);
  if (s != NATS_OK) {
    absl::Status status =
        FromNats(s, code, absl::StrCat("topic ", topic, " (stream ", stream, ")"));
    if (absl::IsNotFound(status)) {
      status = absl::NotFoundError(
          absl::StrCat("topic ", topic, " does not exist (no JetStream stream ", stream, ")"));
    }
    return status;
  }
  const int32_t partitions = std::max(1, info->Config->SubjectsLen);
  jsStreamInfo_Destroy(info);
  std::lock_guard<std::mutex> lock(mu_);
  topics_[topic].first = partitions;
  return partitions;
}

void NatsConnector::Publish(cloudevents::CloudEvent event, PublishCallback done) {
  std::vector<PendingPublish> batch(1);
  batch[0].event = std::move(event);
  batch[0].done = std::move(done);
  PublishBatch(&batch);
}

void NatsConnector::PublishBatch(std::vector<PendingPublish>* batch) {
  // Serialized (or taken as stored) outside the lock, queued in one step.
  std::vector<Queued> ready;
  ready.reserve(batch->size());
  const int64_t deadline_ms = NowMs() + options_.publish_timeout_ms;
  for (PendingPublish& pending : *batch) {
    absl::StatusOr<StoredForm> form = TakeStoredForm(&pending);
    if (!form.ok()) {
      pending.done(absl::Status(form.status().code(),
                                absl::StrCat("nats connector: ", form.status().message())));
      continue;
    }
    ready.push_back(
        {std::move(form->topic), std::move(form->bytes), std::move(pending.done), deadline_ms});
  }
  batch->clear();
  if (ready.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!shutdown_) {
      for (Queued& item : ready) queue_.push_back(std::move(item));
      cv_.notify_all();
      return;
    }
  }
  for (Queued& item : ready) item.done(absl::UnavailableError("nats connector is shut down"));
}

void NatsConnector::PublisherLoop() {
  for (;;) {
    Queued item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return shutdown_ || !queue_.empty(); });
      if (queue_.empty()) break;  // shut down and drained
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    // Every step below is bounded by what is left of the event's publishTimeoutMs, so a
    // backlog built up during an outage drains in that time rather than one timeout per event.
    auto timed_out = [&] {
      return absl::UnavailableError(absl::StrCat("NATS did not confirm the publish to ", item.topic,
                                                 " within ", options_.publish_timeout_ms, " ms (",
                                                 Key("publishTimeoutMs"),
                                                 "; the event may or may not have been stored)"));
    };
    int64_t remaining = item.deadline_ms - NowMs();
    if (remaining <= 0) {
      item.done(timed_out());
      continue;
    }
    auto partitions = Partitions(item.topic, /*refresh=*/false, remaining);
    if (!partitions.ok()) {
      item.done(partitions.status());
      continue;
    }
    int32_t partition;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& entry = topics_[item.topic];
      partition = static_cast<int32_t>(entry.second++ % *partitions);
    }
    const std::string subject = NatsSubject(options_.subject_prefix, item.topic, partition);
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, item.payload.data(),
                                  static_cast<int>(item.payload.size()));
    if (s != NATS_OK) {
      item.done(FromNats(s, kNoJsError, "nats connector: message"));
      continue;
    }
    natsMsg* key = msg;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_[key] = Pending{item.topic, partition, std::move(item.done)};
    }
    // With maxInFlight PubAcks outstanding the call stalls (StallWait) and returns
    // NATS_TIMEOUT, leaving the message to us: try again until the deadline.
    for (;;) {
      remaining = item.deadline_ms - NowMs();
      if (remaining <= 0) break;
      jsPubOptions pub_options;
      jsPubOptions_Init(&pub_options);
      pub_options.MaxWait = remaining;
      s = js_PublishMsgAsync(js_, &msg, &pub_options);
      if (s != NATS_TIMEOUT || msg == nullptr) break;
    }
    if (msg != nullptr) {  // not handed to libnats
      PublishCallback done;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = pending_.find(key);
        if (it != pending_.end()) {
          done = std::move(it->second.done);
          pending_.erase(it);
        }
      }
      natsMsg_Destroy(msg);
      if (done) {
        done(s == NATS_OK || s == NATS_TIMEOUT
                 ? timed_out()
                 : absl::UnavailableError(absl::StrCat("nats connector: cannot publish to ",
                                                       subject, ": ", NatsText(s))));
      }
    }
  }
}

void NatsConnector::OnPubAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<NatsConnector*>(closure);
  // With an AckHandler the message is ours to destroy (after its pending entry is gone).
  struct DestroyAtEnd {
    natsMsg* msg;
    ~DestroyAtEnd() { natsMsg_Destroy(msg); }
  } destroy{msg};
  PublishCallback done;
  absl::StatusOr<PublishResult> result;
  {
    // libnats may run this late, on its own thread: only a live connector is touched.
    std::lock_guard<std::mutex> live(LiveMu());
    if (Live().count(self) == 0) return;
    std::lock_guard<std::mutex> lock(self->mu_);
    auto it = self->pending_.find(msg);
    if (it == self->pending_.end()) return;  // already failed (shut down)
    Pending pending = std::move(it->second);
    self->pending_.erase(it);
    self->cv_.notify_all();
    done = std::move(pending.done);
    const natsStatus s = pae != nullptr ? pae->Err : (pa != nullptr ? NATS_OK : NATS_ERR);
    const std::string detail = pae != nullptr && pae->ErrText != nullptr ? pae->ErrText : "";
    if (s == NATS_OK) {
      PublishResult ok;
      ok.position.topic = pending.topic;
      ok.position.partition = pending.partition;
      ok.position.offset = static_cast<int64_t>(pa->Sequence);
      result = ok;
    } else if (s == NATS_NO_RESPONDERS || (pae != nullptr && pae->ErrCode == JSStreamNotFoundErr)) {
      self->topics_.erase(pending.topic);
      result = absl::NotFoundError(absl::StrCat("topic ", pending.topic,
                                                " does not exist (no JetStream stream ",
                                                NatsStreamName(pending.topic), ")"));
    } else if (s == NATS_TIMEOUT) {
      result = absl::UnavailableError(
          absl::StrCat("NATS did not confirm the publish to ", pending.topic, " within ",
                       self->options_.publish_timeout_ms, " ms (", self->Key("publishTimeoutMs"),
                       "; the event may or may not have been stored)"));
    } else {
      result = absl::UnavailableError(absl::StrCat("nats connector: publish to ", pending.topic,
                                                   " failed: ", natsStatus_GetText(s),
                                                   detail.empty() ? "" : ": ", detail));
    }
  }
  done(std::move(result));
}

absl::Status NatsConnector::CreateTopic(const std::string& topic, int32_t partitions) {
  if (topic.empty()) return absl::InvalidArgumentError("nats connector: empty topic name");
  if (partitions < 1 || partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat("nats connector: partitions must be in [1, ",
                                                   kMaxPartitions, "], got ", partitions));
  }
  auto exists = TopicExists(topic);
  if (!exists.ok()) return exists.status();
  const std::string stream = NatsStreamName(topic);
  if (*exists) {
    return absl::AlreadyExistsError(
        absl::StrCat("topic ", topic, " already exists (stream ", stream, ")"));
  }
  std::vector<std::string> subjects;
  std::vector<const char*> subject_ptrs;
  for (int32_t p = 0; p < partitions; ++p) {
    subjects.push_back(NatsSubject(options_.subject_prefix, topic, p));
  }
  for (const auto& subject : subjects) subject_ptrs.push_back(subject.c_str());
  const std::string description = absl::StrCat("EventMesh topic ", topic);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream.c_str();
  config.Description = description.c_str();
  config.Subjects = subject_ptrs.data();
  config.SubjectsLen = partitions;
  config.Retention = js_LimitsPolicy;
  config.Storage = options_.memory_storage ? js_MemoryStorage : js_FileStorage;
  config.Replicas = options_.replicas;
  config.MaxAge = options_.max_age_ms * kNanosPerMs;
  config.MaxBytes = options_.max_bytes > 0 ? options_.max_bytes : -1;
  jsStreamInfo* info = nullptr;
  jsErrCode code = kNoJsError;
  natsStatus s = js_AddStream(&info, js_, &config, &api_options_, &code);
  if (s != NATS_OK) {
    return FromNats(s, code,
                    absl::StrCat("nats connector: create topic ", topic, " (stream ", stream, ")"));
  }
  jsStreamInfo_Destroy(info);
  std::lock_guard<std::mutex> lock(mu_);
  topics_[topic].first = partitions;
  return absl::OkStatus();
}

absl::StatusOr<bool> NatsConnector::TopicExists(const std::string& topic) {
  auto partitions = Partitions(topic, /*refresh=*/true);
  if (partitions.ok()) return true;
  if (absl::IsNotFound(partitions.status())) return false;
  return partitions.status();
}

absl::Status NatsConnector::DeleteTopic(const std::string& topic) {
  const std::string stream = NatsStreamName(topic);
  jsErrCode code = kNoJsError;
  natsStatus s = js_DeleteStream(js_, stream.c_str(), &api_options_, &code);
  {
    std::lock_guard<std::mutex> lock(mu_);
    topics_.erase(topic);
  }
  if (s != NATS_OK) {
    return FromNats(s, code,
                    absl::StrCat("nats connector: delete topic ", topic, " (stream ", stream, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<natsSubscription*> NatsConnector::PullSubscribe(const SubscribeOptions& options,
                                                               std::string* consumer) {
  const std::string stream = NatsStreamName(options.topic);
  const std::string filter =
      absl::StrCat(options_.subject_prefix, ".", Encode(options.topic), ".*");
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = stream.c_str();
  natsSubscription* sub = nullptr;
  jsErrCode code = kNoJsError;
  natsStatus s;
  if (options.mode == ConsumeMode::kBroadcasting) {
    // An ephemeral consumer of what is published from now on; the client deletes it on
    // unsubscribe, the server after a minute without pull requests.
    sub_options.Config.DeliverPolicy = js_DeliverNew;
    sub_options.Config.AckPolicy = js_AckExplicit;
    sub_options.Config.AckWait = options_.ack_wait_ms * kNanosPerMs;
    sub_options.Config.MaxDeliver = -1;
    sub_options.Config.InactiveThreshold = 60'000 * kNanosPerMs;
    s = js_PullSubscribe(&sub, js_, filter.c_str(), nullptr, &api_options_, &sub_options, &code);
    if (s != NATS_OK) {
      return FromNats(s, code, absl::StrCat("nats connector: broadcast consumer on ", stream));
    }
    consumer->clear();
    return sub;
  }
  *consumer = Encode(options.group);
  jsConsumerInfo* info = nullptr;
  s = js_GetConsumerInfo(&info, js_, stream.c_str(), consumer->c_str(), &api_options_, &code);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(info);
  } else if (code == JSConsumerNotFoundErr || s == NATS_NOT_FOUND) {
    jsConsumerConfig config;
    jsConsumerConfig_Init(&config);
    config.Durable = consumer->c_str();
    config.Description = "EventMesh consumer group";
    config.DeliverPolicy =
        options.start == StartPosition::kEarliest ? js_DeliverAll : js_DeliverNew;
    config.AckPolicy = js_AckExplicit;
    config.AckWait = options_.ack_wait_ms * kNanosPerMs;
    config.MaxDeliver = -1;  // the runtime dead-letters, not JetStream
    config.MaxAckPending = 1'000'000;
    code = kNoJsError;
    s = js_AddConsumer(&info, js_, stream.c_str(), &config, &api_options_, &code);
    if (s != NATS_OK) {
      // Another member may have created it meanwhile (then binding works).
      LOG(INFO) << "nats connector: create consumer " << *consumer << " on " << stream << ": "
                << NatsText(s);
    } else {
      jsConsumerInfo_Destroy(info);
    }
  } else {
    return FromNats(s, code, absl::StrCat("nats connector: consumer ", *consumer, " on ", stream));
  }
  sub_options.Consumer = consumer->c_str();
  code = kNoJsError;
  s = js_PullSubscribe(&sub, js_, filter.c_str(), consumer->c_str(), &api_options_, &sub_options,
                       &code);
  if (s != NATS_OK) {
    return FromNats(s, code, absl::StrCat("nats connector: consumer ", *consumer, " on ", stream));
  }
  return sub;
}

absl::StatusOr<std::unique_ptr<Subscription>> NatsConnector::Subscribe(
    const SubscribeOptions& options, DeliveryHandler handler) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return absl::UnavailableError("nats connector is shut down");
  }
  if (options.max_unacked < 1) {
    return absl::InvalidArgumentError("SubscribeOptions.max_unacked must be >= 1");
  }
  if (options.mode == ConsumeMode::kClustering && options.group.empty()) {
    return absl::InvalidArgumentError("nats connector: a clustering subscription needs a group");
  }
  auto partitions = Partitions(options.topic, /*refresh=*/true);
  if (!partitions.ok()) return partitions.status();
  std::string consumer;
  auto sub = PullSubscribe(options, &consumer);
  if (!sub.ok()) return sub.status();
  return std::unique_ptr<Subscription>(
      new NatsSubscription(this, options, std::move(handler), *sub, std::move(consumer)));
}

void NatsConnector::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
    cv_.notify_all();
  }
  if (publisher_.joinable()) publisher_.join();
  // Wait (bounded) for the PubAcks of what is in flight.
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(options_.publish_timeout_ms + 1'000),
                 [&] { return pending_.empty(); });
  }
  std::unordered_map<natsMsg*, Pending> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(pending_);
  }
  for (auto& [msg, pending] : left) {
    pending.done(absl::UnavailableError(
        "nats connector shut down before NATS confirmed the publish (the event may or may not "
        "have been stored)"));
  }
  if (conn_ != nullptr) {
    natsConnection_FlushTimeout(conn_, options_.request_timeout_ms);  // acks sent so far
    natsConnection_Close(conn_);
    // Connection callbacks run on a libnats thread, in order: once the closed callback ran,
    // none of them touches this object any more.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return closed_; });
  }
}

// ---------------------------------------------------------------------------------------------

void NatsSubscription::AckAll(const std::vector<Position>& positions) {
  std::vector<natsMsg*> msgs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    for (const Position& position : positions) {
      if (position.topic != options_.topic) continue;
      auto it = held_.find(position.offset);
      if (it == held_.end()) continue;
      msgs.push_back(it->second.msg);
      held_bytes_ -= it->second.bytes;
      held_.erase(it);
    }
    if (!msgs.empty()) cv_.notify_all();
  }
  for (natsMsg* msg : msgs) {
    // No jsOptions: with a Wait set, libnats turns an ack into a request that waits for the
    // server's reply (one round trip per event, on the thread that acknowledges — a TCP worker
    // of the runtime). A plain ack is one buffered publish; a lost one means a redelivery after
    // ackWaitMs (at-least-once, as documented).
    natsStatus s = natsMsg_Ack(msg, nullptr);
    if (s != NATS_OK) {
      LOG(WARNING) << "nats connector: ack on " << options_.topic << " failed: " << NatsText(s)
                   << " (JetStream delivers the event again after ackWaitMs)";
    }
    natsMsg_Destroy(msg);
  }
}

void NatsSubscription::KeepHeldAlive() {
  const int64_t now = NowMs();
  const int64_t period = std::max<int64_t>(1, connector_->options().ack_wait_ms / 3);
  // Under the lock, so an Ack cannot destroy a message meanwhile (InProgress only buffers a
  // small publish).
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [seq, held] : held_) {
    if (now - held.progress_ms >= period) {
      held.progress_ms = now;
      natsMsg_InProgress(held.msg, nullptr);  // buffered, never waits (see AckAll)
    }
  }
}

void NatsSubscription::RecreateConsumerIfLost() {
  if (natsConnection_Status(connector_->connection()) != NATS_CONN_STATUS_CONNECTED) return;
  jsConsumerInfo* info = nullptr;
  jsErrCode code = kNoJsError;
  natsStatus s = natsSubscription_GetConsumerInfo(&info, sub_, connector_->api_options(), &code);
  if (s == NATS_OK) {
    jsConsumerInfo_Destroy(info);
    return;
  }
  // libnats closes a pull subscription whose consumer was deleted ("Consumer Deleted").
  if (code != JSConsumerNotFoundErr && s != NATS_NOT_FOUND && s != NATS_INVALID_SUBSCRIPTION) {
    return;  // not known to be lost: try again later
  }
  std::string consumer;
  auto replacement = connector_->PullSubscribe(options_, &consumer);
  if (!replacement.ok()) {
    LOG(WARNING) << "nats connector: the consumer of " << options_.topic << " (group "
                 << options_.group
                 << ") is gone and cannot be re-created: " << replacement.status();
    return;
  }
  // Events held from the lost consumer can no longer be acknowledged to it: drop them (their
  // acks are ignored); the new consumer delivers what it has. Messages go before their
  // subscription.
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [seq, held] : held_) natsMsg_Destroy(held.msg);
    held_.clear();
    held_bytes_ = 0;
    cv_.notify_all();
  }
  natsSubscription_Unsubscribe(sub_);
  natsSubscription_Destroy(sub_);
  sub_ = *replacement;
  LOG(WARNING) << "nats connector: the server lost the consumer of " << options_.topic << " (group "
               << options_.group << "); re-created it";
}

void NatsSubscription::Run() {
  const NatsOptions& config = connector_->options();
  int failures = 0;
  int64_t idle = 0;
  while (true) {
    int batch = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (closed_) break;
      const int64_t room = options_.max_unacked - static_cast<int64_t>(held_.size());
      // The byte bound stops pulling too (one pull may overshoot it by one batch).
      if (room <= 0 || (held_bytes_ >= options_.max_unacked_bytes && !held_.empty())) {
        cv_.wait_for(lock,
                     std::chrono::milliseconds(std::min<int64_t>(
                         config.fetch_wait_ms, std::max<int64_t>(1, config.ack_wait_ms / 3))));
        lock.unlock();
        KeepHeldAlive();
        continue;
      }
      batch = static_cast<int>(std::min<int64_t>(room, config.fetch_batch));
      // A pull asks for as many events as the bytes left allow, judged by the size of the
      // events seen so far (the first pull takes one to learn it).
      const int64_t byte_room = options_.max_unacked_bytes - held_bytes_;
      const int64_t fit = average_bytes_ > 0 ? byte_room / average_bytes_ : 1;
      batch = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(batch, fit)));
    }
    KeepHeldAlive();
    natsMsgList list{};
    jsErrCode code = kNoJsError;
    natsStatus s = natsSubscription_Fetch(&list, sub_, batch, config.fetch_wait_ms, &code);
    if (s == NATS_TIMEOUT) {  // nothing to deliver
      natsMsgList_Destroy(&list);
      failures = 0;
      // Now and then make sure the consumer still exists (an operator may delete it; pulls
      // on a deleted consumer just come back empty).
      if (++idle % kIdlePullsPerCheck == 0) RecreateConsumerIfLost();
      continue;
    }
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      if (failures++ == 0) {
        LOG(WARNING) << "nats connector: fetch " << options_.topic << " (group " << options_.group
                     << "): " << NatsText(s) << " (retrying with backoff)";
      }
      RecreateConsumerIfLost();
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(std::min(50 << std::min(failures, 5), 1'000)),
                   [&] { return closed_; });
      continue;
    }
    idle = 0;
    failures = 0;
    std::vector<DeliveredEvent> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int64_t now = NowMs();
      for (int i = 0; i < list.Count; ++i) {
        natsMsg* msg = list.Msgs[i];
        list.Msgs[i] = nullptr;
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {
          natsMsg_Destroy(msg);
          continue;
        }
        const int64_t sequence = static_cast<int64_t>(meta->Sequence.Stream);
        jsMsgMetaData_Destroy(meta);
        const char* subject = natsMsg_GetSubject(msg);
        int32_t partition = 0;
        absl::string_view sv(subject != nullptr ? subject : "");
        const size_t dot = sv.rfind('.');
        if (dot != absl::string_view::npos) {
          (void)absl::SimpleAtoi(sv.substr(dot + 1), &partition);
        }
        auto event = cloudevents::ParseProto(
            absl::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
        if (!event.ok()) {
          LOG(WARNING) << "nats connector: skipping undecodable event " << options_.topic << "/"
                       << partition << "@" << sequence << ": " << event.status();
          natsMsg_Ack(msg, nullptr);
          natsMsg_Destroy(msg);
          continue;
        }
        const int64_t bytes = 1 + natsMsg_GetDataLength(msg);
        auto [it, inserted] = held_.emplace(sequence, Held{msg, now, bytes});
        if (!inserted) {  // delivered again while held (should not happen): keep the newer
          natsMsg_Destroy(it->second.msg);
          it->second.msg = msg;
          held_bytes_ -= it->second.bytes;
          it->second.bytes = bytes;
        }
        held_bytes_ += bytes;
        average_bytes_ = average_bytes_ == 0 ? bytes : (average_bytes_ * 7 + bytes) / 8;
        DeliveredEvent delivered;
        delivered.event = ShareEvent(std::move(*event));
        delivered.position.topic = topic_;
        delivered.position.partition = partition;
        delivered.position.offset = sequence;
        events.push_back(std::move(delivered));
      }
    }
    natsMsgList_Destroy(&list);
    if (!events.empty()) handler_(&events);
  }
}

void NatsSubscription::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (joined_) return;
    joined_ = true;
    closed_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  std::map<int64_t, Held> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    held.swap(held_);
    held_bytes_ = 0;
  }
  // What this member held goes to another member at once.
  for (auto& [seq, h] : held) {
    if (options_.mode == ConsumeMode::kClustering) natsMsg_Nak(h.msg, nullptr);
    natsMsg_Destroy(h.msg);
  }
  natsConnection_FlushTimeout(connector_->connection(), connector_->options().request_timeout_ms);
  if (options_.mode == ConsumeMode::kBroadcasting) {
    natsSubscription_Unsubscribe(sub_);  // deletes the ephemeral consumer
  }
  natsSubscription_Destroy(sub_);
  sub_ = nullptr;
}

}  // namespace

const config::KeyTable<NatsOptions>& NatsKeyTable() {
  static const config::KeyTable<NatsOptions>* const table = new auto(BuildKeyTable());
  return *table;
}

absl::StatusOr<NatsOptions> ParseNatsConfig(const ConnectorConfig& config,
                                            const ConnectorContext& context) {
  NatsOptions options;
  options.section = context.section.empty() ? ConnectorSection("nats") : context.section;
  if (auto status = NatsKeyTable().ApplyAll(config, &options, options.section); !status.ok()) {
    return absl::InvalidArgumentError(status.message());
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("keys ", options.section, "tlsCertFile and ",
                                                   options.section,
                                                   "tlsKeyFile go together: set both or none"));
  }
  return options;
}

std::string NatsStreamName(const std::string& topic) { return "EM_" + Encode(topic); }

std::string NatsSubject(const std::string& prefix, const std::string& topic, int32_t partition) {
  return absl::StrCat(prefix, ".", Encode(topic), ".", partition);
}

absl::StatusOr<std::unique_ptr<Connector>> OpenNatsConnector(const NatsOptions& options) {
  NatsOptions copy = options;
  if (copy.section.empty()) copy.section = ConnectorSection("nats");
  auto connector = NatsConnector::Create(copy);
  if (!connector.ok()) return connector.status();
  return std::unique_ptr<Connector>(std::move(*connector));
}

absl::Status RegisterNatsConnector(ConnectorRegistry* registry) {
  return registry->Register(
      "nats",
      [](const ConnectorConfig& config,
         const ConnectorContext& context) -> absl::StatusOr<std::unique_ptr<Connector>> {
        auto options = ParseNatsConfig(config, context);
        if (!options.ok()) return options.status();
        return OpenNatsConnector(*options);
      });
}

}  // namespace eventmesh::connectors
