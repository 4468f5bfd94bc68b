#include "eventmesh/connectors/kafka/testing/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <mutex>
#include <set>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace eventmesh::connectors::kafka::testing {
namespace {

void Quiet(const rd_kafka_t*, int level, const char* facility, const char* message) {
  VLOG(1) << "mock cluster " << facility << ": " << message;
}

class MockTopicAdmin final : public TopicAdmin {
 public:
  explicit MockTopicAdmin(MockKafkaCluster* cluster) : cluster_(cluster) {}

  absl::Status Create(const std::string& topic, int32_t partitions,
                      int32_t replication_factor) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (deleted_.erase(topic) > 0) {
      rd_kafka_mock_topic_set_error(cluster_->mock(), topic.c_str(), RD_KAFKA_RESP_ERR_NO_ERROR);
      return absl::OkStatus();
    }
    return cluster_->CreateTopic(topic, partitions);
  }

  absl::Status Delete(const std::string& topic) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (deleted_.count(topic) > 0) {
      return absl::NotFoundError(absl::StrCat("topic ", topic, " does not exist"));
    }
    deleted_.insert(topic);
    rd_kafka_mock_topic_set_error(cluster_->mock(), topic.c_str(),
                                  RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    return absl::OkStatus();
  }

 private:
  MockKafkaCluster* const cluster_;
  std::mutex mu_;
  std::set<std::string> deleted_;
};

}  // namespace

MockKafkaCluster::MockKafkaCluster(int brokers) : brokers_(brokers) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, &Quiet);
  char error[512];
  handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  CHECK(handle_ != nullptr) << error;
  mock_ = rd_kafka_mock_cluster_new(handle_, brokers);
  CHECK(mock_ != nullptr) << "cannot start the mock Kafka cluster";
  bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(mock_);
}

MockKafkaCluster::~MockKafkaCluster() {
  rd_kafka_mock_cluster_destroy(mock_);
  rd_kafka_destroy(handle_);
}

void MockKafkaCluster::SetBrokerDown(int32_t broker_id) {
  rd_kafka_mock_broker_set_down(mock_, broker_id);
}

void MockKafkaCluster::SetBrokerUp(int32_t broker_id) {
  rd_kafka_mock_broker_set_up(mock_, broker_id);
}

void MockKafkaCluster::SetAllBrokersDown() {
  for (int32_t id = 1; id <= brokers_; ++id) SetBrokerDown(id);
}

void MockKafkaCluster::SetAllBrokersUp() {
  for (int32_t id = 1; id <= brokers_; ++id) SetBrokerUp(id);
}

absl::Status MockKafkaCluster::CreateTopic(const std::string& topic, int32_t partitions) {
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(mock_, topic.c_str(), partitions, std::min(3, brokers_));
  if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    return absl::AlreadyExistsError(absl::StrCat("topic ", topic, " already exists"));
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return absl::InternalError(
        absl::StrCat("mock cluster: cannot create topic ", topic, ": ", rd_kafka_err2str(err)));
  }
  return absl::OkStatus();
}

std::shared_ptr<TopicAdmin> MockKafkaCluster::topic_admin() {
  return std::make_shared<MockTopicAdmin>(this);
}

}  // namespace eventmesh::connectors::kafka::testing
