#include "eventmesh/runtime/core/consumer_manager.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

class NullSubscription : public connectors::Subscription {
 public:
  void Ack(const connectors::Position&) override {}
  void Close() override {}
};

// Subscribe for topic "slow" blocks until release() (a store that takes long to join a group).
class SlowJoinConnector : public connectors::Connector {
 public:
  absl::string_view name() const override { return "slow-join"; }
  connectors::Capabilities capabilities() const override { return {}; }
  void Publish(cloudevents::CloudEvent, connectors::PublishCallback done) override {
    done(absl::UnimplementedError("not here"));
  }
  absl::StatusOr<std::unique_ptr<connectors::Subscription>> Subscribe(
      const connectors::SubscribeOptions& options, connectors::DeliveryHandler) override {
    if (options.topic == "slow") {
      entered.Notify();
      release.WaitForNotificationWithTimeout(absl::Seconds(30));
    }
    return std::unique_ptr<connectors::Subscription>(new NullSubscription());
  }
  absl::Status CreateTopic(const std::string&, int32_t) override { return absl::OkStatus(); }
  absl::StatusOr<bool> TopicExists(const std::string&) override { return true; }
  absl::Status DeleteTopic(const std::string&) override { return absl::OkStatus(); }
  void Shutdown() override {}

  absl::Notification entered;
  absl::Notification release;
};

class Target : public DeliveryTarget {
 public:
  explicit Target(uint64_t id) : id_(id) {}
  uint64_t target_id() const override { return id_; }
  bool TryAcquireSlot() override { return true; }
  void ReleaseSlot() override {}
  PushResult Push(const cloudevents::CloudEvent&, PushKind, const std::string&,
                  const std::shared_ptr<GroupConsumer>&) override {
    return PushResult::Queued();
  }
  void Forget(const std::string&) override {}

 private:
  const uint64_t id_;
};

// Joining a group (a blocking store call) must not hold up every other session: before, it
// ran under the manager's lock, so one slow join stalled all subscribes and disconnects.
TEST(ConsumerManagerTest, ASlowGroupJoinDoesNotBlockOtherSubscribers) {
  SlowJoinConnector connector;
  TopicRegistry topics(&connector, true, 1);
  ConsumerManager manager(&connector, &topics, {});
  std::thread slow([&] {
    EXPECT_TRUE(manager
                    .Subscribe(std::make_shared<Target>(1), "g", "slow",
                               connectors::ConsumeMode::kClustering, PushKind::kUnicast)
                    .ok());
  });
  ASSERT_TRUE(connector.entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Notification fast_done;
  std::thread fast([&] {
    EXPECT_TRUE(manager
                    .Subscribe(std::make_shared<Target>(2), "g", "fast",
                               connectors::ConsumeMode::kClustering, PushKind::kUnicast)
                    .ok());
    manager.RemoveTarget(3);  // a disconnect elsewhere goes through too
    fast_done.Notify();
  });
  EXPECT_TRUE(fast_done.WaitForNotificationWithTimeout(absl::Seconds(10)))
      << "a subscribe waited for another group's join";
  connector.release.Notify();
  slow.join();
  fast.join();
  manager.Shutdown();
}

TEST(ConsumerManagerTest, GroupQuotaRefusesOnlyNewGroups) {
  SlowJoinConnector connector;
  TopicRegistry topics(&connector, true, 1);
  ConsumerManagerOptions options;
  options.max_groups = 2;
  options.linger_ms = 0;
  ConsumerManager manager(&connector, &topics, options);
  auto subscribe = [&](uint64_t target, const std::string& group, const std::string& topic) {
    return manager.Subscribe(std::make_shared<Target>(target), group, topic,
                             connectors::ConsumeMode::kClustering, PushKind::kUnicast);
  };
  ASSERT_TRUE(subscribe(1, "a", "t1").ok());
  ASSERT_TRUE(subscribe(2, "b", "t1").ok());
  // More topics and members of existing groups are fine.
  EXPECT_TRUE(subscribe(3, "a", "t2").ok());
  EXPECT_TRUE(subscribe(4, "b", "t1").ok());
  absl::Status refused = subscribe(5, "c", "t1");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "group \"c\" refused: this runtime serves at most 2 consumer groups "
            "(eventMesh.server.group.maxGroups)");
  // When group "b" has no member left, its place is free again.
  manager.RemoveTarget(2);
  manager.RemoveTarget(4);
  EXPECT_TRUE(subscribe(6, "c", "t1").ok());
  manager.Shutdown();
}

}  // namespace
}  // namespace eventmesh::runtime::core
