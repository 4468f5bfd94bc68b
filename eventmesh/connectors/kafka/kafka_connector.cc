#include "eventmesh/connectors/kafka/kafka_connector.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/connectors/api/delivery_metadata.h"
#include "eventmesh/connectors/kafka/ack_tracker.h"
#include "eventmesh/connectors/kafka/kafka_binding.h"
#include "eventmesh/store/engine/event_store.h"
#include "glog/logging.h"

namespace eventmesh::connectors::kafka {
namespace {

using Properties = std::vector<std::pair<std::string, std::string>>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

constexpr int kPollMs = 100;

}  // namespace

std::string MeshTopicName(const std::string& kafka_topic) {
  if (!absl::StartsWith(kafka_topic, kLevelledTopicPrefix)) return kafka_topic;
  std::string out;
  for (size_t i = strlen(kLevelledTopicPrefix); i < kafka_topic.size(); ++i) {
    if (kafka_topic[i] == '_' && i + 1 < kafka_topic.size()) {
      out.push_back(kafka_topic[i + 1] == 's' ? '/' : '_');
      ++i;
    } else {
      out.push_back(kafka_topic[i]);
    }
  }
  return out;
}

std::string KafkaTopicName(const std::string& topic) {
  if (topic.find('/') == std::string::npos) return topic;
  std::string out = kLevelledTopicPrefix;
  for (char c : topic) {
    if (c == '_') {
      out += "__";
    } else if (c == '/') {
      out += "_s";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

// Kafka refuses '/' in topic names: mesh topics with levels are stored under KafkaTopicName, and
// the prefix that marks them is not available to other mesh topics.
absl::Status ValidateKafkaTopic(const std::string& topic) {
  if (absl::Status valid = store::ValidateTopicName(topic); !valid.ok()) return valid;
  if (absl::StartsWith(topic, kLevelledTopicPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat("kafka: topic names starting with \"",
                                                   kLevelledTopicPrefix,
                                                   "\" are reserved for topics with '/' levels"));
  }
  if (KafkaTopicName(topic).size() > 249) {
    return absl::InvalidArgumentError(absl::StrCat("kafka: topic \"", topic, "\" is stored as \"",
                                                   KafkaTopicName(topic),
                                                   "\", longer than Kafka's 249 characters"));
  }
  return absl::OkStatus();
}

std::string KafkaError(rd_kafka_resp_err_t err) {
  return absl::StrCat(rd_kafka_err2str(err), " (", rd_kafka_err2name(err), ")");
}

void LogToGlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // Errors are mostly transient (a broker unreachable, a connection reset) and retried by
  // librdkafka: warnings. What fails an operation reaches its caller as a status.
  if (level <= 4) {
    LOG(WARNING) << "librdkafka " << rd_kafka_name(rk) << " " << facility << ": " << message;
  } else if (level == 5) {
    LOG(INFO) << "librdkafka " << rd_kafka_name(rk) << " " << facility << ": " << message;
  } else {
    VLOG(1) << "librdkafka " << rd_kafka_name(rk) << " " << facility << ": " << message;
  }
}

// A librdkafka configuration from `properties`; InvalidArgument naming the property.
absl::StatusOr<rd_kafka_conf_t*> MakeConf(const Properties& properties) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(
          absl::StrCat("kafka: librdkafka refused property ", name, "=", value, ": ", error));
    }
  }
  rd_kafka_conf_set_log_cb(conf, &LogToGlog);
  return conf;
}

// The status a failed delivery report gives its publisher.
absl::Status DeliveryStatus(const std::string& topic, rd_kafka_resp_err_t err,
                            const KafkaOptions& options) {
  const std::string error = KafkaError(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return absl::UnavailableError(absl::StrCat(
          "kafka: publish to topic ", topic, " not confirmed by the cluster within ",
          options.publish_timeout_ms, " ms (", options.section, "publishTimeoutMs): ", error,
          "; the event may or may not have been stored"));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(absl::StrCat("kafka: topic ", topic, " does not exist: ", error));
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
      return absl::InvalidArgumentError(
          absl::StrCat("kafka: publish to topic ", topic, " refused: ", error));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
      return absl::PermissionDeniedError(
          absl::StrCat("kafka: publish to topic ", topic, " not authorized: ", error));
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
      return absl::UnavailableError(
          absl::StrCat("kafka: publish to topic ", topic,
                       " abandoned: the connector shut down before the cluster confirmed it (the "
                       "event may or may not have been stored)"));
    default:
      return absl::UnavailableError(
          absl::StrCat("kafka: publish to topic ", topic, " failed: ", error));
  }
}

absl::Status AdminStatus(absl::string_view what, const std::string& topic, rd_kafka_resp_err_t err,
                         const char* message, const KafkaOptions& options) {
  const std::string text = absl::StrCat(
      "kafka: cannot ", what, " topic ", topic, ": ", message != nullptr && *message ? message : "",
      message != nullptr && *message ? " " : "", "(", rd_kafka_err2name(err), ")");
  switch (err) {
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return absl::AlreadyExistsError(text);
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::NotFoundError(text);
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
      return absl::InvalidArgumentError(
          absl::StrCat(text, "; the cluster cannot place ", options.section,
                       "replicationFactor=", options.replication_factor, " replicas"));
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
      return absl::InvalidArgumentError(text);
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
      return absl::FailedPreconditionError(text);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
      return absl::PermissionDeniedError(text);
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return absl::DeadlineExceededError(text);
    default:
      return absl::UnavailableError(text);
  }
}

// CreateTopics / DeleteTopics through the Admin API on the connector's producer.
class AdminApiTopicAdmin final : public TopicAdmin {
 public:
  AdminApiTopicAdmin(rd_kafka_t* rk, const KafkaOptions& options) : rk_(rk), options_(options) {}

  absl::Status Create(const std::string& topic, int32_t partitions,
                      int32_t replication_factor) override {
    char error[512];
    rd_kafka_NewTopic_t* new_topic =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replication_factor, error, sizeof error);
    if (new_topic == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka: cannot create topic ", topic, ": ", error));
    }
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
    rd_kafka_AdminOptions_t* admin = Options(RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_CreateTopics(rk_, &new_topic, 1, admin, queue);
    rd_kafka_NewTopic_destroy(new_topic);
    absl::Status status = Wait(queue, "create", topic, /*create=*/true);
    rd_kafka_AdminOptions_destroy(admin);
    rd_kafka_queue_destroy(queue);
    return status;
  }

  absl::Status Delete(const std::string& topic) override {
    rd_kafka_DeleteTopic_t* delete_topic = rd_kafka_DeleteTopic_new(topic.c_str());
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
    rd_kafka_AdminOptions_t* admin = Options(RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(rk_, &delete_topic, 1, admin, queue);
    rd_kafka_DeleteTopic_destroy(delete_topic);
    absl::Status status = Wait(queue, "delete", topic, /*create=*/false);
    rd_kafka_AdminOptions_destroy(admin);
    rd_kafka_queue_destroy(queue);
    return status;
  }

 private:
  rd_kafka_AdminOptions_t* Options(rd_kafka_admin_op_t op) {
    rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(rk_, op);
    char error[512];
    const int timeout = static_cast<int>(options_.request_timeout_ms);
    rd_kafka_AdminOptions_set_request_timeout(admin, timeout, error, sizeof error);
    rd_kafka_AdminOptions_set_operation_timeout(admin, timeout, error, sizeof error);
    return admin;
  }

  absl::Status Wait(rd_kafka_queue_t* queue, absl::string_view what, const std::string& topic,
                    bool create) {
    // The request and operation timeouts bound the answer; the margin covers the controller
    // lookup.
    rd_kafka_event_t* event =
        rd_kafka_queue_poll(queue, static_cast<int>(2 * options_.request_timeout_ms + 1000));
    if (event == nullptr) {
      return absl::DeadlineExceededError(absl::StrCat(
          "kafka: cannot ", what, " topic ", topic, ": no answer from the cluster within ",
          2 * options_.request_timeout_ms + 1000, " ms"));
    }
    absl::Status status;
    if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      status = AdminStatus(what, topic, rd_kafka_event_error(event),
                           rd_kafka_event_error_string(event), options_);
    } else {
      const rd_kafka_topic_result_t** results = nullptr;
      size_t count = 0;
      if (create) {
        results =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
      } else {
        results =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
      }
      for (size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          status = AdminStatus(what, topic, err, rd_kafka_topic_result_error_string(results[i]),
                               options_);
        }
      }
    }
    rd_kafka_event_destroy(event);
    return status;
  }

  rd_kafka_t* const rk_;
  const KafkaOptions options_;
};

// A process-unique suffix for broadcast group ids.
std::string UniqueSuffix() {
  static std::atomic<uint64_t> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return absl::StrCat(absl::Hex(static_cast<uint64_t>(now)), "-", getpid(), "-", counter++);
}

// One parked record: consumed from librdkafka, not yet handed to the handler.
struct Parked {
  int32_t partition = 0;
  int64_t offset = 0;
  absl::StatusOr<cloudevents::CloudEvent> event;
  int64_t bytes = 0;  // the record's value and key (SubscribeOptions::max_unacked_bytes)
};

absl::StatusOr<cloudevents::CloudEvent> Decode(const rd_kafka_message_t* message) {
  std::vector<KafkaHeaderView> headers;
  rd_kafka_headers_t* kafka_headers = nullptr;
  if (rd_kafka_message_headers(message, &kafka_headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(kafka_headers, i, &name, &value, &size) ==
                       RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      headers.push_back(KafkaHeaderView{
          name, value == nullptr ? absl::string_view()
                                 : absl::string_view(static_cast<const char*>(value), size)});
    }
  }
  std::optional<absl::string_view> value;
  if (message->payload != nullptr) {
    value = absl::string_view(static_cast<const char*>(message->payload), message->len);
  }
  return FromKafkaRecord(headers, value);
}

// One subscription: its own consumer and consumer thread. See kafka_connector.h.
class KafkaSubscription final : public Subscription {
 public:
  KafkaSubscription(const KafkaOptions& options, const SubscribeOptions& subscribe,
                    DeliveryHandler handler, std::map<int32_t, int64_t> starts)
      : options_(options),
        subscribe_(subscribe),
        handler_(std::move(handler)),
        clustering_(subscribe.mode == ConsumeMode::kClustering),
        max_unacked_(std::max<int64_t>(1, subscribe.max_unacked)),
        max_unacked_bytes_(std::max<int64_t>(1, subscribe.max_unacked_bytes)),
        starts_(std::move(starts)) {}

  ~KafkaSubscription() override { Close(); }

  absl::Status Start() {
    Properties properties = CommonClientProperties(options_);
    properties.emplace_back("enable.auto.commit", "false");
    properties.emplace_back("enable.auto.offset.store", "false");
    properties.emplace_back("enable.partition.eof", "false");
    // Start positions are chosen explicitly (OnRebalance, broadcasting's assignment), so
    // librdkafka resets only a position that fell out of the log (retention removed records
    // not yet delivered) or one it could not look up: from the log's beginning, skipping only
    // what is gone.
    properties.emplace_back("auto.offset.reset", "earliest");
    properties.emplace_back("session.timeout.ms", std::to_string(options_.session_timeout_ms));
    properties.emplace_back("heartbeat.interval.ms",
                            std::to_string(std::max<int64_t>(1, options_.session_timeout_ms / 3)));
    // Broadcasting assigns partitions by hand and never commits, but librdkafka's consumer API
    // needs a group id: a unique one that never joins (no JoinGroup) and keeps no state.
    properties.emplace_back(
        "group.id", clustering_ ? options_.group_prefix + subscribe_.group
                                : absl::StrCat(options_.group_prefix, "eventmesh-broadcast-",
                                               subscribe_.group, "-", UniqueSuffix()));
    auto conf = MakeConf(properties);
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(*conf, this);
    if (clustering_) rd_kafka_conf_set_rebalance_cb(*conf, &RebalanceCallback);
    rd_kafka_conf_set_offset_commit_cb(*conf, &CommitCallback);
    char error[512];
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, error, sizeof error);
    if (rk_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka: cannot create a consumer: ", error));
    }
    rd_kafka_poll_set_consumer(rk_);
    queue_ = rd_kafka_queue_get_consumer(rk_);
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    if (clustering_) {
      rd_kafka_topic_partition_list_add(list.get(), KafkaTopicName(subscribe_.topic).c_str(),
                                        RD_KAFKA_PARTITION_UA);
      if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list.get()); err) {
        return absl::UnavailableError(absl::StrCat("kafka: cannot subscribe to topic ",
                                                   subscribe_.topic, ": ", KafkaError(err)));
      }
    } else {
      {
        absl::MutexLock lock(&mu_);
        for (const auto& [partition, end] : starts_) {
          rd_kafka_topic_partition_list_add(list.get(), KafkaTopicName(subscribe_.topic).c_str(),
                                            partition)
              ->offset = end;
          tracker_.Assign(partition, end);
        }
      }
      if (rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list.get()); err) {
        return absl::UnavailableError(
            absl::StrCat("kafka: cannot assign topic ", subscribe_.topic, ": ", KafkaError(err)));
      }
    }
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  // Waits up to `timeout` for the group's first assignment (broadcasting: assigned at Start).
  // Returns whether it came.
  bool WaitForAssignment(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return !clustering_ || mu_.AwaitWithTimeout(absl::Condition(&assigned_), timeout);
  }

  void Ack(const Position& position) override {
    if (position.topic != subscribe_.topic) return;
    absl::MutexLock lock(&mu_);
    if (tracker_.Ack(position.partition, position.offset)) MaybeWakeLocked();
  }

  void AckAll(const std::vector<Position>& positions) override {
    absl::MutexLock lock(&mu_);
    for (const Position& position : positions) {
      if (position.topic == subscribe_.topic) tracker_.Ack(position.partition, position.offset);
    }
    MaybeWakeLocked();
  }

  // Kept with the committed offset as commit metadata (DeliveredEvent::previous_deliveries for
  // the partition's next owner).
  void NoteDeliveries(const Position& position, int32_t deliveries) override {
    if (!clustering_ || position.topic != subscribe_.topic) return;
    absl::MutexLock lock(&mu_);
    tracker_.NoteDeliveries(position.partition, position.offset, deliveries);
  }

  void Close() override {
    {
      std::lock_guard<std::mutex> lock(close_mu_);
      if (closed_) return;
      closed_ = true;
    }
    if (rk_ == nullptr) return;
    {
      // Acknowledgements arriving from now on only update the bookkeeping.
      absl::MutexLock lock(&mu_);
      stopped_ = true;
    }
    stop_.store(true);
    if (queue_ != nullptr) rd_kafka_queue_yield(queue_);
    if (thread_.joinable()) thread_.join();
    if (clustering_) Commit(/*async=*/false);
    // Leaves the group; the revoke callback runs here, on this thread.
    if (rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_); err) {
      LOG(WARNING) << "kafka: closing the consumer of topic " << subscribe_.topic << ": "
                   << KafkaError(err);
    }
    if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
  }

 private:
  // The delivery count a commit's metadata carries for its offset (0 when none).
  static int32_t MetadataDeliveries(const rd_kafka_topic_partition_t& p) {
    if (p.metadata == nullptr || p.metadata_size == 0) return 0;
    return DecodeDeliveriesMetadata(
        absl::string_view(static_cast<const char*>(p.metadata), p.metadata_size), p.offset);
  }

  static void RebalanceCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaSubscription*>(opaque)->OnRebalance(err, partitions);
  }

  static void CommitCallback(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    static_cast<KafkaSubscription*>(opaque)->OnCommitted(err, offsets);
  }

  void OnCommitted(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets) {
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;  // nothing to commit
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LOG(WARNING) << "kafka: commit of group " << subscribe_.group << " on topic "
                   << subscribe_.topic << " failed (retried): " << KafkaError(err);
    }
    if (offsets == nullptr) return;
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < offsets->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = offsets->elems[i];
      if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) {
        tracker_.Committed(p.partition, p.offset, MetadataDeliveries(p));
      } else if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR && err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        LOG(WARNING) << "kafka: commit of group " << subscribe_.group << " on " << subscribe_.topic
                     << "/" << p.partition << "@" << p.offset
                     << " failed (retried): " << KafkaError(p.err);
      }
    }
  }

  // Runs on the consumer thread (inside poll) or in Close (after the thread ended).
  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      PartitionList assigned(rd_kafka_topic_partition_list_copy(partitions));
      // Where each partition starts: the group's committed offset, else its end (kLatest) or
      // beginning (kEarliest) when Subscribe ran, committed at once so a later owner resumes
      // there.
      const rd_kafka_resp_err_t lookup =
          rd_kafka_committed(rk_, assigned.get(), static_cast<int>(options_.request_timeout_ms));
      if (lookup != RD_KAFKA_RESP_ERR_NO_ERROR) {
        LOG(WARNING) << "kafka: cannot read the committed offsets of group " << subscribe_.group
                     << " on topic " << subscribe_.topic
                     << " (librdkafka starts from what the group committed, else from the "
                        "partitions' beginning): "
                     << KafkaError(lookup);
      }
      bool commit_now = false;
      {
        absl::MutexLock lock(&mu_);
        for (int i = 0; i < assigned->cnt; ++i) {
          rd_kafka_topic_partition_t& p = assigned->elems[i];
          int64_t start = -1;
          bool committed = false;
          const bool known =
              lookup == RD_KAFKA_RESP_ERR_NO_ERROR && p.err == RD_KAFKA_RESP_ERR_NO_ERROR;
          if (known && p.offset >= 0) {
            start = p.offset;
            committed = true;
          } else if (!known) {
            // Never guess past a commit we could not read: librdkafka looks it up again.
            p.offset = RD_KAFKA_OFFSET_INVALID;
          } else if (auto first = starts_.find(p.partition); first != starts_.end()) {
            p.offset = first->second;
            start = first->second;
            commit_now = true;
          } else {  // a partition added after Subscribe
            p.offset = subscribe_.start == StartPosition::kEarliest ? RD_KAFKA_OFFSET_BEGINNING
                                                                    : RD_KAFKA_OFFSET_END;
          }
          const int32_t restored = committed ? MetadataDeliveries(p) : 0;
          p.err = RD_KAFKA_RESP_ERR_NO_ERROR;
          tracker_.Assign(p.partition, start);
          if (committed) {
            tracker_.Committed(p.partition, start, restored);
            tracker_.RestoreDeliveries(p.partition, start, restored);
          }
        }
      }
      if (rd_kafka_resp_err_t assign = rd_kafka_assign(rk_, assigned.get()); assign) {
        LOG(ERROR) << "kafka: cannot take the partitions of topic " << subscribe_.topic
                   << " assigned to group " << subscribe_.group << ": " << KafkaError(assign);
      }
      paused_ = false;
      if (commit_now) Commit(/*async=*/true);
      absl::MutexLock lock(&mu_);
      assigned_ = true;
      return;
    }
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      LOG(ERROR) << "kafka: rebalance error in group " << subscribe_.group << ": "
                 << KafkaError(err);
    }
    // Revoked: commit what was acknowledged, then forget the partitions' in-flight events (the
    // next owner delivers the unacknowledged ones again).
    Commit(/*async=*/false);
    {
      absl::MutexLock lock(&mu_);
      for (int i = 0; i < partitions->cnt; ++i) tracker_.Revoke(partitions->elems[i].partition);
      parked_.erase(std::remove_if(parked_.begin(), parked_.end(),
                                   [this](const Parked& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                                     return !tracker_.Tracks(p.partition);
                                   }),
                    parked_.end());
    }
    rd_kafka_assign(rk_, nullptr);
    paused_ = false;
  }

  // Commits every partition's watermark that moved.
  void Commit(bool async) {
    if (!clustering_) return;
    std::vector<std::pair<int32_t, int64_t>> todo;
    std::vector<int32_t> deliveries;
    {
      absl::MutexLock lock(&mu_);
      todo = tracker_.Uncommitted();
      for (const auto& [partition, offset] : todo) {
        deliveries.push_back(tracker_.DeliveriesAt(partition, offset));
      }
    }
    if (todo.empty()) return;
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(todo.size())));
    for (size_t i = 0; i < todo.size(); ++i) {
      rd_kafka_topic_partition_t* p = rd_kafka_topic_partition_list_add(
          list.get(), KafkaTopicName(subscribe_.topic).c_str(), todo[i].first);
      p->offset = todo[i].second;
      if (deliveries[i] > 0) {
        // The list owns metadata (freed with it).
        const std::string text = EncodeDeliveriesMetadata(todo[i].second, deliveries[i]);
        p->metadata = malloc(text.size());
        if (p->metadata != nullptr) {
          memcpy(p->metadata, text.data(), text.size());
          p->metadata_size = text.size();
        }
      }
    }
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list.get(), async ? 1 : 0);
    if (async) return;  // CommitCallback records the outcome
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      LOG(WARNING) << "kafka: commit of group " << subscribe_.group << " on topic "
                   << subscribe_.topic << " failed: " << KafkaError(err);
    }
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& p = list->elems[i];
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && p.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        tracker_.Committed(p.partition, p.offset, MetadataDeliveries(p));
      } else if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        LOG(WARNING) << "kafka: commit of group " << subscribe_.group << " on " << subscribe_.topic
                     << "/" << p.partition << "@" << p.offset << " failed: " << KafkaError(p.err);
      }
    }
  }

  void MaybeWakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (blocked_ && !stopped_ && tracker_.unacked() < max_unacked_ &&
        tracker_.unacked_bytes() < max_unacked_bytes_) {
      blocked_ = false;
      rd_kafka_queue_yield(queue_);
    }
  }

  void SetPaused(bool pause) {
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (rd_kafka_assignment(rk_, &assignment) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    PartitionList list(assignment);
    if (pause) {
      rd_kafka_pause_partitions(rk_, list.get());
    } else {
      rd_kafka_resume_partitions(rk_, list.get());
    }
    paused_ = pause;
  }

  void Run() {
    using Clock = std::chrono::steady_clock;
    const auto interval = std::chrono::milliseconds(options_.commit_interval_ms);
    auto next_commit = Clock::now() + interval;
    std::vector<DeliveredEvent> batch;
    while (!stop_.load()) {
      int64_t budget = 0;
      {
        absl::MutexLock lock(&mu_);
        budget = max_unacked_ - tracker_.unacked();
        // The byte bound: nothing more while the unacknowledged events hold it (one event
        // always passes when none is outstanding).
        if (tracker_.unacked_bytes() >= max_unacked_bytes_ && tracker_.unacked() > 0) budget = 0;
        blocked_ = budget <= 0;
      }
      if (budget <= 0 && !paused_) {
        SetPaused(true);
      } else if (budget > 0 && paused_) {
        SetPaused(false);
      }
      // Take what librdkafka has (blocking only when nothing can be delivered now).
      const bool wait = parked_.empty() || budget <= 0;
      int timeout = wait ? kPollMs : 0;
      while (parked_.size() < static_cast<size_t>(options_.fetch_max_events)) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(rk_, timeout);
        timeout = 0;
        if (message == nullptr) break;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            LOG(WARNING) << "kafka: consumer of topic " << subscribe_.topic << ": "
                         << KafkaError(message->err);
          }
        } else {
          parked_.push_back(Parked{message->partition, message->offset, Decode(message),
                                   1 + static_cast<int64_t>(message->len + message->key_len)});
        }
        rd_kafka_message_destroy(message);
        if (stop_.load()) break;
      }
      if (stop_.load()) break;
      if (budget > 0 && !parked_.empty()) Deliver(budget, &batch);
      if (clustering_ && Clock::now() >= next_commit) {
        Commit(/*async=*/true);
        next_commit = Clock::now() + interval;
      }
    }
  }

  void Deliver(int64_t budget, std::vector<DeliveredEvent>* batch) {
    batch->clear();
    {
      absl::MutexLock lock(&mu_);
      while (!parked_.empty() && budget > 0 &&
             batch->size() < static_cast<size_t>(options_.fetch_max_events)) {
        Parked p = std::move(parked_.front());
        parked_.pop_front();
        if (!tracker_.Tracks(p.partition)) continue;  // revoked meanwhile
        tracker_.Delivered(p.partition, p.offset, p.bytes);
        if (tracker_.unacked_bytes() >= max_unacked_bytes_) budget = 0;  // the byte bound
        if (!p.event.ok()) {
          LOG(WARNING) << "kafka: record " << subscribe_.topic << "/" << p.partition << "@"
                       << p.offset << " is not a CloudEvent, skipped: " << p.event.status();
          tracker_.Ack(p.partition, p.offset);
          continue;
        }
        batch->push_back(DeliveredEvent{ShareEvent(std::move(*p.event)),
                                        Position{subscribe_.topic, p.partition, p.offset},
                                        tracker_.DeliveriesAt(p.partition, p.offset)});
        --budget;
      }
    }
    if (!batch->empty()) handler_(batch);
  }

  const KafkaOptions options_;
  const SubscribeOptions subscribe_;
  const DeliveryHandler handler_;
  const bool clustering_;
  const int64_t max_unacked_;
  const int64_t max_unacked_bytes_;
  // Where a partition without a committed position starts (its end or beginning when Subscribe
  // ran).
  const std::map<int32_t, int64_t> starts_;

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex close_mu_;
  bool closed_ = false;

  absl::Mutex mu_;
  AckTracker tracker_ ABSL_GUARDED_BY(mu_);
  bool blocked_ ABSL_GUARDED_BY(mu_) = false;   // the consumer thread waits for acks
  bool assigned_ ABSL_GUARDED_BY(mu_) = false;  // the group assigned partitions once
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;   // Close began: no more wake-ups

  // Consumer thread only (and Close after it ended).
  std::deque<Parked> parked_;
  bool paused_ = false;
};

class KafkaConnector final : public Connector {
 public:
  KafkaConnector(const KafkaOptions& options, std::shared_ptr<TopicAdmin> admin)
      : options_(options), admin_(std::move(admin)) {}

  ~KafkaConnector() override {
    Shutdown();
    if (producer_ != nullptr) rd_kafka_destroy(producer_);
  }

  absl::Status Start() {
    Properties properties = CommonClientProperties(options_);
    properties.emplace_back("acks", "all");
    properties.emplace_back("enable.idempotence", "true");
    properties.emplace_back("max.in.flight.requests.per.connection",
                            std::to_string(options_.max_in_flight));
    properties.emplace_back("message.timeout.ms", std::to_string(options_.publish_timeout_ms));
    properties.emplace_back("queue.buffering.max.messages",
                            std::to_string(options_.max_queued_events));
    properties.emplace_back("linger.ms", std::to_string(options_.linger_ms));
    auto conf = MakeConf(properties);
    if (!conf.ok()) return conf.status();
    rd_kafka_conf_set_opaque(*conf, this);
    rd_kafka_conf_set_dr_msg_cb(*conf, &DeliveryReport);
    rd_kafka_conf_set_error_cb(*conf, &ErrorCallback);
    char error[512];
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, error, sizeof error);
    if (producer_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka: cannot create the producer: ", error));
    }
    if (admin_ == nullptr) admin_ = std::make_shared<AdminApiTopicAdmin>(producer_, options_);
    poll_thread_ = std::thread([this] {
      while (!stop_poll_.load()) rd_kafka_poll(producer_, kPollMs);
    });
    // The cluster must answer (brokers only, no topics) before start-up goes on.
    const struct rd_kafka_metadata* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(
        producer_, 0, nullptr, &metadata, static_cast<int>(options_.connect_timeout_ms));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string last;
      {
        absl::MutexLock lock(&error_mu_);
        last = last_error_;
      }
      return absl::UnavailableError(absl::StrCat(
          "kafka connector: no answer from the Kafka cluster at ", options_.section,
          "bootstrapServers=", options_.bootstrap_servers, " within ", options_.connect_timeout_ms,
          " ms (", options_.section, "connectTimeoutMs): ", KafkaError(err),
          last.empty() ? "" : absl::StrCat("; last error: ", last)));
    }
    rd_kafka_metadata_destroy(metadata);
    return absl::OkStatus();
  }

  absl::string_view name() const override { return "kafka"; }

  Capabilities capabilities() const override {
    Capabilities capabilities;
    capabilities.durable = true;
    capabilities.supports_request_reply = false;
    capabilities.supports_consumer_groups = true;
    capabilities.supports_broadcasting = true;
    capabilities.shared_store = true;
    capabilities.durable_delivery_counts = true;
    return capabilities;
  }

  void Publish(cloudevents::CloudEvent event, PublishCallback done) override {
    absl::ReaderMutexLock lock(&state_mu_);
    if (shut_down_) {
      done(ShutDownError());
      return;
    }
    Produce(event, &done);
  }

  void PublishBatch(std::vector<PendingPublish>* batch) override {
    {
      absl::ReaderMutexLock lock(&state_mu_);
      if (!shut_down_) {
        for (PendingPublish& pending : *batch) {
          // Records carry the event's attributes as headers (binary content mode): stored
          // bytes are decoded first.
          if (absl::Status decoded = DecodeStored(&pending); !decoded.ok()) {
            pending.done(decoded);
            continue;
          }
          Produce(pending.event, &pending.done);
        }
        batch->clear();
        return;
      }
    }
    for (PendingPublish& pending : *batch) pending.done(ShutDownError());
    batch->clear();
  }

  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const SubscribeOptions& options,
                                                          DeliveryHandler handler) override {
    {
      absl::ReaderMutexLock lock(&state_mu_);
      if (shut_down_) return ShutDownError();
    }
    if (absl::Status valid = ValidateKafkaTopic(options.topic); !valid.ok()) return valid;
    if (options.mode == ConsumeMode::kClustering && options.group.empty()) {
      return absl::InvalidArgumentError("kafka: a clustering subscription needs a group");
    }
    auto partitions = PartitionCount(options.topic);
    if (!partitions.ok()) return partitions.status();
    if (*partitions == 0) {
      return absl::NotFoundError(absl::StrCat("kafka: topic ", options.topic, " does not exist"));
    }
    // Where partitions without a committed position start, resolved now: the end for kLatest
    // groups and broadcasting (every event published after Subscribe returns is delivered),
    // the beginning for kEarliest groups. A group commits it as soon as it takes the partition,
    // so later members resume there whatever their own start position.
    const bool from_end =
        options.mode == ConsumeMode::kBroadcasting || options.start == StartPosition::kLatest;
    std::map<int32_t, int64_t> starts;
    {
      for (int32_t partition = 0; partition < *partitions; ++partition) {
        int64_t low = 0;
        int64_t high = 0;
        const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            producer_, KafkaTopicName(options.topic).c_str(), partition, &low, &high,
            static_cast<int>(options_.request_timeout_ms));
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
          return absl::UnavailableError(absl::StrCat("kafka: cannot read the end of topic ",
                                                     options.topic, " partition ", partition, ": ",
                                                     KafkaError(err)));
        }
        starts[partition] = from_end ? high : low;
      }
    }
    auto subscription = std::make_unique<KafkaSubscription>(options_, options, std::move(handler),
                                                            std::move(starts));
    if (absl::Status started = subscription->Start(); !started.ok()) return started;
    if (options_.subscribe_wait_ms > 0 &&
        !subscription->WaitForAssignment(absl::Milliseconds(options_.subscribe_wait_ms))) {
      LOG(WARNING) << "kafka: group " << options_.group_prefix << options.group
                   << " assigned no partitions of topic " << options.topic << " within "
                   << options_.subscribe_wait_ms
                   << " ms; the subscription goes on joining in the background";
    }
    return std::unique_ptr<Subscription>(std::move(subscription));
  }

  absl::Status CreateTopic(const std::string& topic, int32_t partitions) override {
    if (absl::Status valid = ValidateKafkaTopic(topic); !valid.ok()) return valid;
    {
      absl::ReaderMutexLock lock(&state_mu_);
      if (shut_down_) return ShutDownError();
    }
    absl::Status created = admin_->Create(KafkaTopicName(topic),
                                          partitions > 0 ? partitions : options_.default_partitions,
                                          options_.replication_factor);
    if (created.ok()) {
      absl::MutexLock lock(&topics_mu_);
      known_topics_.insert(topic);
    }
    return created;
  }

  absl::StatusOr<bool> TopicExists(const std::string& topic) override {
    if (absl::Status valid = ValidateKafkaTopic(topic); !valid.ok()) return valid;
    auto partitions = PartitionCount(topic);
    if (!partitions.ok()) return partitions.status();
    return *partitions > 0;
  }

  absl::Status DeleteTopic(const std::string& topic) override {
    if (absl::Status valid = ValidateKafkaTopic(topic); !valid.ok()) return valid;
    {
      absl::ReaderMutexLock lock(&state_mu_);
      if (shut_down_) return ShutDownError();
    }
    {
      absl::MutexLock lock(&topics_mu_);
      known_topics_.erase(topic);
    }
    return admin_->Delete(KafkaTopicName(topic));
  }

  void Shutdown() override {
    {
      absl::MutexLock lock(&state_mu_);
      if (shut_down_) return;
      shut_down_ = true;
    }
    if (producer_ == nullptr) return;
    // In-flight publishes get their confirmation (or their timeout) ...
    rd_kafka_flush(producer_, static_cast<int>(options_.publish_timeout_ms));
    // ... and whatever is left fails with Unavailable.
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(producer_, 1000);
    stop_poll_.store(true);
    if (poll_thread_.joinable()) poll_thread_.join();
    rd_kafka_poll(producer_, 0);
  }

 private:
  struct PendingDelivery {
    PublishCallback done;
  };

  absl::Status ShutDownError() const {
    return absl::UnavailableError("kafka connector is shut down");
  }

  // Hands one event to the producer; `done` runs from its delivery report, or here on error.
  void Produce(const cloudevents::CloudEvent& event, PublishCallback* done)
      ABSL_SHARED_LOCKS_REQUIRED(state_mu_) {
    if (!event.subject() || event.subject()->empty()) {
      (*done)(absl::InvalidArgumentError("event has no subject (topic)"));
      return;
    }
    const std::string& topic = *event.subject();
    if (absl::Status known = CheckTopic(topic); !known.ok()) {
      (*done)(known);
      return;
    }
    const std::string kafka_topic = KafkaTopicName(topic);
    KafkaRecord record = ToKafkaRecord(event);
    rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size());
    for (const auto& [name, value] : record.headers) {
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    }
    auto* pending = new PendingDelivery{std::move(*done)};
    // Null value = no data, null key = spread by the partitioner (macro arguments must be plain).
    void* value = record.value ? record.value->data() : nullptr;
    const size_t value_size = record.value ? record.value->size() : 0;
    const void* key = record.key ? record.key->data() : nullptr;
    const size_t key_size = record.key ? record.key->size() : 0;
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_, RD_KAFKA_V_TOPIC(kafka_topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(pending), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    rd_kafka_headers_destroy(headers);
    PublishCallback callback = std::move(pending->done);
    delete pending;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      callback(absl::ResourceExhaustedError(
          absl::StrCat("kafka: publish to topic ", topic, " refused: ", options_.max_queued_events,
                       " publishes already wait for confirmation (", options_.section,
                       "maxQueuedEvents); retry later")));
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_fatal_error(producer_, reason, sizeof reason);
      callback(absl::InternalError(absl::StrCat(
          "kafka: the producer stopped after a fatal error (restart the runtime): ", reason)));
      return;
    }
    callback(DeliveryStatus(topic, err, options_));
  }

  // OK when `topic` is a valid name of an existing topic. Unless autoCreateTopics is on, the
  // first publish to a topic reads the cluster's metadata (on the caller's thread, at most
  // requestTimeoutMs); existing topics are remembered. This makes a missing topic NotFound at
  // once, even with brokers that would create it (auto.create.topics.enable with old clients'
  // metadata requests) and instead of librdkafka's topic.metadata.propagation.max.ms wait.
  absl::Status CheckTopic(const std::string& topic) {
    if (absl::Status valid = ValidateKafkaTopic(topic); !valid.ok()) return valid;
    if (options_.auto_create_topics) return absl::OkStatus();
    {
      absl::ReaderMutexLock lock(&topics_mu_);
      if (known_topics_.count(topic) > 0) return absl::OkStatus();
    }
    auto partitions = PartitionCount(topic);
    if (!partitions.ok()) return partitions.status();
    if (*partitions == 0) {
      return absl::NotFoundError(absl::StrCat("kafka: topic ", topic,
                                              " does not exist (create it first, or set ",
                                              options_.section, "autoCreateTopics=true)"));
    }
    absl::MutexLock lock(&topics_mu_);
    known_topics_.insert(topic);
    return absl::OkStatus();
  }

  static void DeliveryReport(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque) {
    auto* connector = static_cast<KafkaConnector*>(opaque);
    std::unique_ptr<PendingDelivery> pending(static_cast<PendingDelivery*>(message->_private));
    if (pending == nullptr) return;
    const std::string topic = MeshTopicName(rd_kafka_topic_name(message->rkt));
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      pending->done(DeliveryStatus(topic, message->err, connector->options_));
      return;
    }
    PublishResult result;
    result.position = Position{topic, message->partition, message->offset};
    pending->done(std::move(result));
  }

  static void ErrorCallback(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    // Already logged through the log callback; kept for the start-up error message.
    auto* connector = static_cast<KafkaConnector*>(opaque);
    absl::MutexLock lock(&connector->error_mu_);
    connector->last_error_ = reason;
  }

  // The partition count of `topic`; 0 when the cluster does not know it. Reads the metadata of
  // every topic: asking for one topic by name would let brokers that auto-create topics create
  // it.
  absl::StatusOr<int32_t> PartitionCount(const std::string& topic) {
    const struct rd_kafka_metadata* metadata = nullptr;
    const rd_kafka_resp_err_t err = rd_kafka_metadata(
        producer_, 1, nullptr, &metadata, static_cast<int>(options_.request_timeout_ms));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(
          absl::StrCat("kafka: cannot read the cluster's metadata (", options_.section,
                       "bootstrapServers=", options_.bootstrap_servers, "): ", KafkaError(err)));
    }
    int32_t count = 0;
    for (int i = 0; i < metadata->topic_cnt; ++i) {
      const rd_kafka_metadata_topic& t = metadata->topics[i];
      if (KafkaTopicName(topic) != t.topic) continue;
      if (t.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) count = t.partition_cnt;
    }
    rd_kafka_metadata_destroy(metadata);
    return count;
  }

  const KafkaOptions options_;
  std::shared_ptr<TopicAdmin> admin_;
  rd_kafka_t* producer_ = nullptr;
  std::thread poll_thread_;
  std::atomic<bool> stop_poll_{false};

  absl::Mutex state_mu_;
  bool shut_down_ ABSL_GUARDED_BY(state_mu_) = false;

  absl::Mutex topics_mu_;
  std::set<std::string> known_topics_ ABSL_GUARDED_BY(topics_mu_);

  absl::Mutex error_mu_;
  std::string last_error_ ABSL_GUARDED_BY(error_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connector>> OpenKafkaConnector(const KafkaOptions& options,
                                                              std::shared_ptr<TopicAdmin> admin) {
  auto connector = std::make_unique<KafkaConnector>(options, std::move(admin));
  if (absl::Status started = connector->Start(); !started.ok()) return started;
  return std::unique_ptr<Connector>(std::move(connector));
}

absl::Status RegisterKafkaConnector(ConnectorRegistry* registry) {
  return registry->Register(
      "kafka",
      [](const ConnectorConfig& config,
         const ConnectorContext& context) -> absl::StatusOr<std::unique_ptr<Connector>> {
        auto options = ParseKafkaConfig(config, context);
        if (!options.ok()) return options.status();
        return OpenKafkaConnector(*options);
      });
}

}  // namespace eventmesh::connectors::kafka
