#include "eventmesh/runtime/core/request_tracker.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

// Records what the tracker asks of its connector.
class FakeConnector final : public connectors::Connector {
 public:
  explicit FakeConnector(bool shared) : shared_(shared) {}
  absl::string_view name() const override { return "fake"; }
  connectors::Capabilities capabilities() const override {
    connectors::Capabilities caps;
    caps.shared_store = shared_;
    return caps;
  }
  void Publish(cloudevents::CloudEvent event, connectors::PublishCallback done) override {
    published.push_back(std::move(event));
    done(connectors::PublishResult{});
  }
  absl::StatusOr<std::unique_ptr<connectors::Subscription>> Subscribe(
      const connectors::SubscribeOptions& options, connectors::DeliveryHandler handler) override {
    subscribed.push_back(options);
    handler_ = std::move(handler);
    return std::unique_ptr<connectors::Subscription>(new FakeSubscription(this));
  }
  absl::Status CreateTopic(const std::string& topic, int32_t partitions) override {
    if (!create_error.ok()) return create_error;
    created.push_back(topic);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> TopicExists(const std::string&) override { return true; }
  absl::Status DeleteTopic(const std::string& topic) override {
    deleted.push_back(topic);
    return absl::OkStatus();
  }
  void Shutdown() override {}

  // Delivers `event` on the reply subscription.
  void Deliver(cloudevents::CloudEvent event) {
    std::vector<connectors::DeliveredEvent> events(1);
    events[0].event = connectors::ShareEvent(std::move(event));
    events[0].position.offset = static_cast<int64_t>(acked.size() + 100);
    handler_(&events);
  }

  absl::Status create_error;
  std::vector<std::string> created, deleted;
  std::vector<connectors::SubscribeOptions> subscribed;
  std::vector<cloudevents::CloudEvent> published;
  std::vector<connectors::Position> acked;
  int closed = 0;

 private:
  class FakeSubscription final : public connectors::Subscription {
   public:
    explicit FakeSubscription(FakeConnector* owner) : owner_(owner) {}
    void Ack(const connectors::Position& position) override { owner_->acked.push_back(position); }
    void Close() override { ++owner_->closed; }

   private:
    FakeConnector* owner_;
  };

  const bool shared_;
  connectors::DeliveryHandler handler_;
};

cloudevents::CloudEvent Response(const std::string& id, const std::string& reply_topic) {
  cloudevents::CloudEvent event;
  event.set_id("r");
  event.set_source("/t");
  event.set_type("t");
  event.set_subject("rpc");
  event.set_data("pong", cloudevents::DataEncoding::kText);
  event.SetExtension(kCorrelationExtension, id);
  if (!reply_topic.empty()) event.SetExtension(kReplyTopicExtension, reply_topic);
  return event;
}

TEST(RequestTrackerTest, IdsAndReplyTopicNameTheRuntime) {
  RequestTracker a, b;
  EXPECT_EQ(a.runtime_id().size(), 16u);
  EXPECT_NE(a.runtime_id(), b.runtime_id());
  EXPECT_EQ(a.reply_topic(), "eventmesh-reply-" + a.runtime_id());
  EXPECT_EQ(a.NewCorrelationId(7, "12").rfind(a.runtime_id() + "-", 0), 0u);
}

TEST(RequestTrackerTest, UnsharedStoreNeedsNoReplyChannel) {
  FakeConnector connector(/*shared=*/false);
  RequestTracker tracker;
  auto topic = tracker.EnsureReplyChannel(&connector);
  ASSERT_TRUE(topic.ok());
  EXPECT_EQ(*topic, "");
  EXPECT_TRUE(connector.created.empty());
  EXPECT_TRUE(connector.subscribed.empty());
}

TEST(RequestTrackerTest, LocalResponseCompletesInProcess) {
  FakeConnector connector(/*shared=*/true);
  RequestTracker tracker;
  std::string got;
  tracker.Register("id-1", [&](const cloudevents::CloudEvent& e) { got = e.data(); });
  EXPECT_EQ(tracker.RouteResponse(&connector, "id-1", Response("id-1", tracker.reply_topic())),
            RequestTracker::Route::kLocal);
  EXPECT_EQ(got, "pong");
  EXPECT_TRUE(connector.published.empty());
  EXPECT_EQ(tracker.pending(), 0u);
  // Answered already: a second response is unknown (its reply topic is our own).
  EXPECT_EQ(tracker.RouteResponse(&connector, "id-1", Response("id-1", tracker.reply_topic())),
            RequestTracker::Route::kUnknown);
  EXPECT_EQ(tracker.RouteResponse(&connector, "id-9", Response("id-9", "")),
            RequestTracker::Route::kUnknown);
}

TEST(RequestTrackerTest, ResponseForAnotherRuntimeTravelsThroughItsReplyTopic) {
  FakeConnector store(/*shared=*/true);
  RequestTracker requester, responder;
  auto topic = requester.EnsureReplyChannel(&store);
  ASSERT_TRUE(topic.ok()) << topic.status();
  EXPECT_EQ(*topic, requester.reply_topic());
  EXPECT_EQ(store.created, std::vector<std::string>{requester.reply_topic()});
  ASSERT_EQ(store.subscribed.size(), 1u);
  EXPECT_EQ(store.subscribed[0].topic, requester.reply_topic());
  EXPECT_EQ(store.subscribed[0].mode, connectors::ConsumeMode::kBroadcasting);
  // Second call: nothing new.
  ASSERT_TRUE(requester.EnsureReplyChannel(&store).ok());
  EXPECT_EQ(store.created.size(), 1u);

  std::string got_subject, got_data;
  requester.Register("req-1", [&](const cloudevents::CloudEvent& e) {
    got_subject = e.subject().value_or("<none>");
    got_data = e.data();
  });
  EXPECT_EQ(responder.RouteResponse(&store, "req-1", Response("req-1", *topic)),
            RequestTracker::Route::kForward);
  ASSERT_EQ(store.published.size(), 1u);
  EXPECT_EQ(*store.published[0].subject(), requester.reply_topic());
  EXPECT_EQ(*store.published[0].FindExtension(kReplySubjectExtension), "rpc");

  store.Deliver(store.published[0]);
  EXPECT_EQ(got_subject, "rpc");  // restored
  EXPECT_EQ(got_data, "pong");
  EXPECT_EQ(store.acked.size(), 1u);
  EXPECT_EQ(requester.pending(), 0u);

  requester.Shutdown();
  EXPECT_EQ(store.closed, 1);
  EXPECT_EQ(store.deleted, std::vector<std::string>{requester.reply_topic()});
  EXPECT_EQ(requester.EnsureReplyChannel(&store).status().code(), absl::StatusCode::kUnavailable);
}

TEST(RequestTrackerTest, ReplyTopicCreationErrorIsNamed) {
  FakeConnector store(/*shared=*/true);
  store.create_error = absl::UnavailableError("store down");
  RequestTracker tracker;
  auto topic = tracker.EnsureReplyChannel(&store);
  EXPECT_EQ(topic.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(topic.status().message(),
            "cannot create the reply topic " + tracker.reply_topic() + ": store down");
  store.create_error = absl::OkStatus();  // retried on the next call
  EXPECT_TRUE(tracker.EnsureReplyChannel(&store).ok());
}

}  // namespace
}  // namespace eventmesh::runtime::core
