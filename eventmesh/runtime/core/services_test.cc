// The publish and request-reply policy of the core services, against a real embedded store.
// The same cases are driven through TCP and HTTP in //eventmesh/e2e:policy_test.

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/post.hpp"
#include "eventmesh/connectors/embedded/embedded_connector.h"
#include "eventmesh/net/io_thread_pool.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "eventmesh/runtime/core/request_reply_service.h"
#include "eventmesh/store/engine/rocksdb_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime::core {
namespace {

using ::testing::HasSubstr;

cloudevents::CloudEvent Event(const std::string& topic, const std::string& id = "e1") {
  cloudevents::CloudEvent event;
  event.set_id(id);
  event.set_source("/test");
  event.set_type("t");
  event.set_subject(topic);
  event.set_data("payload", cloudevents::DataEncoding::kText);
  return event;
}

// Waits (bounded) for a value set from another thread.
template <typename T>
class Slot {
 public:
  void Set(T value) {
    absl::MutexLock lock(&mu_);
    value_ = std::move(value);
  }
  std::optional<T> Wait(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(
                             +[](std::optional<T>* v) { return v->has_value(); }, &value_),
                         timeout);
    return value_;
  }

 private:
  absl::Mutex mu_;
  std::optional<T> value_ ABSL_GUARDED_BY(mu_);
};

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    connectors::EmbeddedOptions options;
    options.store.path =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/",
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    options.store.sync_mode = store::SyncMode::kNone;
    options.fetch_wait_ms = 50;
    auto connector = connectors::OpenEmbeddedConnector(options);
    ASSERT_TRUE(connector.ok()) << connector.status();
    connector_ = std::move(*connector);
    topics_ = std::make_unique<TopicRegistry>(connector_.get(), /*auto_create=*/true, 1);
    strict_topics_ = std::make_unique<TopicRegistry>(connector_.get(), /*auto_create=*/false, 1);
    publish_ = std::make_unique<PublishService>(connector_.get(), topics_.get());
    RequestReplyOptions rr;
    rr.max_ttl_ms = 60'000;
    rr.max_pending_per_owner = 2;
    requests_ = std::make_unique<RequestReplyService>(publish_.get(), &tracker_, rr);
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    requests_.reset();
    tracker_.Shutdown();
    work_.reset();
    io_thread_.join();
    connector_->Shutdown();
  }

  absl::Status PublishNow(const Publisher& publisher, cloudevents::CloudEvent event) {
    if (absl::Status s = publish_->Admit(publisher, event); !s.ok()) return s;
    Slot<absl::Status> done;
    std::vector<cloudevents::CloudEvent> events;
    events.push_back(std::move(event));
    publish_->Publish(std::move(events), [&](absl::Status s) { done.Set(s); });
    return done.Wait().value_or(absl::DeadlineExceededError("no answer"));
  }

  std::unique_ptr<connectors::EventStoreConnector> connector_;
  std::unique_ptr<TopicRegistry> topics_, strict_topics_;
  std::unique_ptr<PublishService> publish_;
  RequestTracker tracker_;
  std::unique_ptr<RequestReplyService> requests_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread io_thread_;
};

TEST_F(ServicesTest, PublishIsDurableAndDecisionsFollowThePolicyOrder) {
  EXPECT_TRUE(PublishNow(Publisher{}, Event("orders")).ok());

  // Reserved topics, whoever asks.
  absl::Status reserved = PublishNow(Publisher{}, Event("eventmesh-runtimes"));
  EXPECT_EQ(reserved.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(reserved.message(), HasSubstr("reserved for the mesh"));
  EXPECT_EQ(PublishNow(Publisher{}, Event(tracker_.reply_topic())).code(),
            absl::StatusCode::kPermissionDenied);

  // The ACL.
  AclUser alice{"alice", "pw", {"orders"}, {"*"}};
  Publisher as_alice;
  as_alice.user = &alice;
  EXPECT_TRUE(PublishNow(as_alice, Event("orders")).ok());
  absl::Status denied = PublishNow(as_alice, Event("audit"));
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "aclFail: user \"alice\" may not publish to topic \"audit\"");

  // Rate limits: the frontend's, then the publisher's own; a denied publish takes no permit.
  int64_t now = 0;
  RateLimiter frontend(2, "frontend over limit (key.a)", [&now] { return now; });
  RateLimiter own(1, "own over limit (key.b)", [&now] { return now; });
  Publisher limited;
  limited.frontend_limit = &frontend;
  limited.own_limit = &own;
  EXPECT_EQ(PublishNow(limited, Event("eventmesh-x")).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(PublishNow(limited, Event("orders")).ok());
  absl::Status own_refusal = PublishNow(limited, Event("orders"));
  EXPECT_EQ(own_refusal.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(own_refusal.message(), "own over limit (key.b)");
  absl::Status frontend_refusal = PublishNow(limited, Event("orders"));
  EXPECT_EQ(frontend_refusal.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(frontend_refusal.message(), "frontend over limit (key.a)");
  now += 1000;
  EXPECT_TRUE(PublishNow(limited, Event("orders")).ok());

  // A missing topic when auto-creation is off.
  PublishService strict(connector_.get(), strict_topics_.get());
  absl::Status missing = strict.Admit(Publisher{}, Event("nowhere"));
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("nowhere"));
}

TEST_F(ServicesTest, PublishesOfOneLoopTurnReachTheStoreAsOneAppend) {
  ASSERT_TRUE(PublishNow(Publisher{}, Event("turns")).ok());  // creates the topic
  auto* store = dynamic_cast<store::RocksDbEventStore*>(connector_->store());
  ASSERT_NE(store, nullptr);
  const int64_t appends_before = store->GetStats().appends;

  // 40 single-event publishes from one handler of an io thread, as 40 HTTP requests that
  // arrived together would make.
  net::IoThreadPool pool({/*threads=*/1, net::IoThreadPool::Model::kPerThread, "turns"});
  pool.Start();
  constexpr int kEvents = 40;
  absl::Mutex mu;
  std::vector<int> completed;
  std::vector<absl::Status> failures;
  boost::asio::post(pool.context(), [&] {
    for (int i = 0; i < kEvents; ++i) {
      std::vector<cloudevents::CloudEvent> events;
      events.push_back(Event("turns", absl::StrCat("e", i)));
      publish_->Publish(std::move(events), [&, i](absl::Status s) {
        absl::MutexLock lock(&mu);
        completed.push_back(i);
        if (!s.ok()) failures.push_back(s);
      });
    }
  });
  {
    absl::MutexLock lock(&mu);
    mu.AwaitWithTimeout(absl::Condition(
                            +[](std::vector<int>* c) { return c->size() == kEvents; }, &completed),
                        absl::Seconds(10));
    ASSERT_EQ(completed.size(), static_cast<size_t>(kEvents));
    EXPECT_TRUE(failures.empty()) << failures.front();
    for (int i = 0; i < kEvents; ++i) EXPECT_EQ(completed[i], i);  // in publish order
  }
  EXPECT_EQ(store->GetStats().appends - appends_before, 1);  // one batch, one store append
  pool.Stop();

  // Off an event loop, each Publish is its own append.
  EXPECT_TRUE(PublishNow(Publisher{}, Event("turns", "alone")).ok());
  EXPECT_EQ(store->GetStats().appends - appends_before, 2);
}

TEST_F(ServicesTest, ABatchAfterADeferredPublishKeepsTheConnectionsOrder) {
  // A TCP session's read: request R goes through Publish (deferred to the end of the loop
  // turn), the async publish B after it through PublishBatch. R must still be stored first.
  ASSERT_TRUE(PublishNow(Publisher{}, Event("ordered")).ok());  // creates the topic
  net::IoThreadPool pool({/*threads=*/1, net::IoThreadPool::Model::kPerThread, "ordered"});
  pool.Start();
  absl::Mutex mu;
  std::vector<std::string> stored;
  boost::asio::post(pool.context(), [&] {
    std::vector<cloudevents::CloudEvent> request;
    request.push_back(Event("ordered", "R"));
    publish_->Publish(std::move(request), [&](absl::Status s) {
      absl::MutexLock lock(&mu);
      stored.push_back(s.ok() ? "R" : std::string(s.message()));
    });
    std::vector<connectors::Connector::PendingPublish> batch;
    batch.push_back({Event("ordered", "B"), [&](absl::StatusOr<connectors::PublishResult> result) {
                       absl::MutexLock lock(&mu);
                       stored.push_back(result.ok() ? "B" : std::string(result.status().message()));
                     }});
    publish_->PublishBatch(&batch);
  });
  absl::MutexLock lock(&mu);
  mu.AwaitWithTimeout(absl::Condition(
                          +[](std::vector<std::string>* s) { return s->size() == 2; }, &stored),
                      absl::Seconds(10));
  // The embedded connector appends on the calling thread in order: completion order is the
  // order in the store.
  EXPECT_EQ(stored, (std::vector<std::string>{"R", "B"}));
  mu.Unlock();
  pool.Stop();
  mu.Lock();
}

TEST_F(ServicesTest, TopicQuotaStopsAutoCreationButNotExistingTopics) {
  TopicRegistry capped(connector_.get(), /*auto_create=*/true, 1, /*max_topics=*/2);
  ASSERT_TRUE(capped.EnsureTopic("a").ok());
  ASSERT_TRUE(capped.EnsureTopic("b").ok());
  EXPECT_TRUE(capped.EnsureTopic("a").ok());
  absl::Status refused = capped.EnsureTopic("c");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.message(),
            "topic \"c\" not created: this runtime already uses 2 topics "
            "(eventMesh.server.topic.maxTopics=2)");
  auto exists = connector_->TopicExists("c");
  ASSERT_TRUE(exists.ok());
  EXPECT_FALSE(*exists);
  // A topic that exists already (made by an administrator) is still usable.
  ASSERT_TRUE(connector_->CreateTopic("made", 1).ok());
  EXPECT_TRUE(capped.EnsureTopic("made").ok());
  EXPECT_TRUE(capped.EnsureTopic("made").ok());
}

TEST_F(ServicesTest, EventAndBatchSizesAreBounded) {
  PublishLimits limits;
  limits.max_event_bytes = 10;
  limits.max_batch_events = 2;
  PublishService bounded(connector_.get(), topics_.get(), limits);
  cloudevents::CloudEvent big = Event("orders");
  big.set_data(std::string(11, 'x'), cloudevents::DataEncoding::kText);
  absl::Status too_big = bounded.Admit(Publisher{}, big);
  EXPECT_EQ(too_big.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(too_big.message(),
            "event data of 11 bytes exceeds the limit of 10 bytes (eventMesh.server.maxEventSize)");
  EXPECT_TRUE(bounded.AdmitAll(Publisher{}, {Event("a", "1"), Event("b", "2")}).ok());
  absl::Status too_many =
      bounded.AdmitAll(Publisher{}, {Event("a", "1"), Event("b", "2"), Event("c", "3")});
  EXPECT_EQ(too_many.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(too_many.message(),
            "a batch of 3 events exceeds the limit of 2 (eventMesh.server.maxEventBatchSize)");
  EXPECT_EQ(bounded.AdmitAll(Publisher{}, {Event("a", "1"), big}).message(),
            "event [1]: event data of 11 bytes exceeds the limit of 10 bytes "
            "(eventMesh.server.maxEventSize)");
}

TEST_F(ServicesTest, EventsInTheirStoredFormAreAdmittedAndStoredAsTheEventsThemselves) {
  ASSERT_TRUE(publish_->TakesStoredBytes());  // the embedded store keeps the bytes as they are

  // The policy reads the topic, the data size and the origin: the same decisions and messages.
  EXPECT_EQ(publish_->Admit(Publisher{}, "eventmesh-runtimes", 1, false).code(),
            absl::StatusCode::kPermissionDenied);
  PublishLimits limits;
  limits.max_event_bytes = 10;
  PublishService bounded(connector_.get(), topics_.get(), limits);
  EXPECT_EQ(bounded.Admit(Publisher{}, "orders", 11, false).message(),
            "event data of 11 bytes exceeds the limit of 10 bytes (eventMesh.server.maxEventSize)");
  EXPECT_TRUE(bounded.Admit(Publisher{}, "orders", 10, false).ok());
  ASSERT_TRUE(publish_->Admit(Publisher{}, "stored", 7, false).ok());
  ASSERT_TRUE(publish_->Admit(Publisher{}, "forwarded", 7, /*forwarded=*/true).ok());
  const std::vector<std::string> produced = publish_->PublishedTopics();
  EXPECT_THAT(produced, ::testing::Contains("stored"));
  EXPECT_THAT(produced, ::testing::Not(::testing::Contains("forwarded")));
  auto created = connector_->TopicExists("forwarded");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(*created);

  // Stored bytes next to decoded events in one batch: both are stored, in order, as published.
  cloudevents::CloudEvent first = Event("stored", "s1");
  first.mutable_extensions()->insert_or_assign("region", cloudevents::AttributeValue::String("eu"));
  absl::StatusOr<std::string> first_bytes = cloudevents::SerializeProto(first);
  ASSERT_TRUE(first_bytes.ok());
  Slot<std::vector<std::string>> delivered;
  std::vector<std::string> seen;                     // each delivered event re-encoded
  std::vector<bool> validated;                       // DeliveredEvent::stored_validated of each
  std::vector<cloudevents::StoredEventHints> hints;  // ... and stored_hints
  absl::Mutex seen_mu;
  connectors::SubscribeOptions options;
  options.group = "readers";
  options.topic = "stored";
  options.start = connectors::StartPosition::kEarliest;
  options.accepts_stored_bytes = true;
  auto subscription =
      connector_->Subscribe(options, [&](std::vector<connectors::DeliveredEvent>* events) {
        absl::MutexLock lock(&seen_mu);
        for (auto& delivered_event : *events) {
          validated.push_back(delivered_event.stored_validated);
          hints.push_back(delivered_event.stored_hints);
          ASSERT_TRUE(delivered_event.Materialize().ok());
          auto bytes = cloudevents::SerializeProto(*delivered_event.event);
          seen.push_back(bytes.ok() ? *bytes : bytes.status().ToString());
        }
        if (seen.size() == 2) delivered.Set(seen);
      });
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  Slot<int> acked;
  std::atomic<int> acks{0};
  std::vector<connectors::Connector::PendingPublish> batch(2);
  batch[0].stored = *first_bytes;
  batch[0].stored_topic = "stored";
  batch[0].stored_hints.plain_data = true;  // its data, "payload", is plain ASCII
  batch[0].stored_hints.attributes_id = 77;
  batch[0].stored_hints.data_size = 7;
  batch[1].event = Event("stored", "s2");
  for (auto& pending : batch) {
    pending.done = [&](absl::StatusOr<connectors::PublishResult> result) {
      EXPECT_TRUE(result.ok()) << result.status();
      if (acks.fetch_add(1) + 1 == 2) acked.Set(2);
    };
  }
  publish_->PublishBatch(&batch);
  ASSERT_TRUE(acked.Wait().has_value());
  std::optional<std::vector<std::string>> got = delivered.Wait();
  ASSERT_TRUE(got.has_value());
  absl::StatusOr<std::string> second_bytes = cloudevents::SerializeProto(Event("stored", "s2"));
  ASSERT_TRUE(second_bytes.ok());
  EXPECT_EQ(*got, (std::vector<std::string>{*first_bytes, *second_bytes}));
  // Bytes handed over as stored were of a validated event (the contract of
  // PendingPublish::stored), and pushes may skip re-checking them; serialized events are not
  // known to be validated.
  {
    absl::MutexLock lock(&seen_mu);
    EXPECT_EQ(validated, (std::vector<bool>{true, false}));
    // What the publisher knew of the stored bytes reaches their readers with them.
    ASSERT_EQ(hints.size(), 2u);
    EXPECT_TRUE(hints[0].plain_data);
    EXPECT_EQ(hints[0].attributes_id, 77u);
    EXPECT_EQ(hints[0].data_size, 7u);
    EXPECT_FALSE(hints[1].plain_data);
    EXPECT_EQ(hints[1].attributes_id, 0u);
  }
  (*subscription)->Close();
}

TEST(KnownTopicsTest, RemembersTopicsUpToItsBoundAndTheLastOneFound) {
  KnownTopics known;
  EXPECT_FALSE(known.Contains("orders"));
  EXPECT_FALSE(known.Contains(""));
  known.Insert("orders", 2);
  EXPECT_TRUE(known.Contains("orders"));
  EXPECT_FALSE(known.Contains("order"));
  EXPECT_FALSE(known.Contains("orders2"));
  known.Insert("payments", 2);
  EXPECT_TRUE(known.Contains("orders"));  // not only the last one inserted
  EXPECT_TRUE(known.Contains("payments"));
  EXPECT_TRUE(known.Contains("orders"));
  known.Insert("refunds", 2);  // over the bound: not kept
  EXPECT_FALSE(known.Contains("refunds"));
  EXPECT_EQ(known.size(), 2u);
  EXPECT_TRUE(known.Contains("payments"));
}

// A publisher's first publish to a topic creates it and remembers it among its known topics.
TEST_F(ServicesTest, AdmittedTopicsBecomeThePublishersKnownTopics) {
  KnownTopics known;
  Publisher publisher;
  publisher.known_topics = &known;
  ASSERT_TRUE(publish_->Admit(publisher, "known-1", 10, false).ok());
  EXPECT_TRUE(known.Contains("known-1"));
  auto exists = connector_->TopicExists("known-1");
  ASSERT_TRUE(exists.ok());
  EXPECT_TRUE(*exists);
}

TEST_F(ServicesTest, BatchAdmissionChecksEveryTopicAndTakesPermitsOnce) {
  int64_t now = 0;
  RateLimiter frontend(3, "over", [&now] { return now; });
  Publisher publisher;
  publisher.frontend_limit = &frontend;
  std::vector<cloudevents::CloudEvent> batch = {Event("a", "1"), Event("b", "2")};
  EXPECT_TRUE(publish_->AdmitAll(publisher, batch).ok());
  EXPECT_EQ(publish_->AdmitAll(publisher, batch).code(), absl::StatusCode::kResourceExhausted);
  batch.push_back(Event("eventmesh-reply-0000000000000000", "3"));
  now += 1000;
  EXPECT_EQ(publish_->AdmitAll(publisher, batch).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(frontend.TryAcquire(3));  // the refused batch took nothing
}

TEST_F(ServicesTest, RequestTtlBoundsQuotaTimeoutAndCancel) {
  const RequestOwner owner{"tcp", 7};
  auto request = [&](std::optional<int64_t> ttl, const std::string& seq,
                     Slot<absl::StatusOr<cloudevents::CloudEvent>>* slot) {
    requests_->Request(Publisher{}, owner, seq, Event("questions", seq), ttl, io_.get_executor(),
                       [slot](absl::StatusOr<cloudevents::CloudEvent> r) { slot->Set(r); });
  };
  Slot<absl::StatusOr<cloudevents::CloudEvent>> zero, huge;
  request(0, "1", &zero);
  request(60'001, "2", &huge);
  EXPECT_EQ(zero.Wait()->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(huge.Wait()->status().message(), HasSubstr("eventMesh.server.requestReply.maxTtlMs"));

  // A reserved topic is refused like a publish.
  Slot<absl::StatusOr<cloudevents::CloudEvent>> reserved;
  requests_->Request(Publisher{}, owner, "3", Event("eventmesh-runtimes"), 1000, io_.get_executor(),
                     [&](absl::StatusOr<cloudevents::CloudEvent> r) { reserved.Set(r); });
  EXPECT_EQ(reserved.Wait()->status().code(), absl::StatusCode::kPermissionDenied);

  // Two may wait per owner; the third is refused; closing the owner cancels both.
  Slot<absl::StatusOr<cloudevents::CloudEvent>> a, b, c;
  request(60'000, "4", &a);
  request(60'000, "5", &b);
  request(60'000, "6", &c);
  EXPECT_EQ(c.Wait()->status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.Wait()->status().message(),
              HasSubstr("eventMesh.server.requestReply.maxPendingPerClient"));
  EXPECT_EQ(requests_->pending(), 2u);
  requests_->CancelOwner(owner);
  EXPECT_EQ(a.Wait()->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(b.Wait()->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(requests_->pending(), 0u);
  EXPECT_EQ(tracker_.pending(), 0u);

  // No responder: DeadlineExceeded after the ttl.
  Slot<absl::StatusOr<cloudevents::CloudEvent>> late;
  request(50, "7", &late);
  auto timed_out = late.Wait();
  ASSERT_TRUE(timed_out.has_value());
  EXPECT_EQ(timed_out->status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(timed_out->status().message(), "request timed out: no response within 50 ms (ttl)");
}

TEST_F(ServicesTest, ReplyIsAcceptedOnlyForAPendingRequest) {
  // The responder reads the request from the store and answers with its properties.
  ASSERT_TRUE(topics_->EnsureTopic("questions").ok());
  Slot<cloudevents::CloudEvent> received;
  connectors::SubscribeOptions options;
  options.group = "responders";
  options.topic = "questions";
  auto subscription =
      connector_->Subscribe(options, [&](std::vector<connectors::DeliveredEvent>* events) {
        received.Set(*events->front().event);
      });
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  Slot<absl::StatusOr<cloudevents::CloudEvent>> answer;
  requests_->Request(Publisher{}, RequestOwner{"http", 1}, "9", Event("questions", "q1"), 10'000,
                     io_.get_executor(),
                     [&](absl::StatusOr<cloudevents::CloudEvent> r) { answer.Set(r); });
  std::optional<cloudevents::CloudEvent> question = received.Wait();
  ASSERT_TRUE(question.has_value());
  EXPECT_EQ(*question->FindExtension("ttl"), "10000");
  ASSERT_NE(question->FindExtension(kCorrelationExtension), nullptr);

  // Answers that are refused: no correlation id, an unknown id, a foreign reply topic.
  cloudevents::CloudEvent bare = Event("questions", "r0");
  EXPECT_EQ(requests_->Respond(bare).code(), absl::StatusCode::kInvalidArgument);
  cloudevents::CloudEvent unknown = Event("questions", "r1");
  unknown.SetExtension(kCorrelationExtension, "nobody-asked");
  EXPECT_EQ(requests_->Respond(unknown).code(), absl::StatusCode::kNotFound);
  unknown.SetExtension(kReplyTopicExtension, "orders");
  EXPECT_EQ(requests_->Respond(unknown).code(), absl::StatusCode::kPermissionDenied);

  cloudevents::CloudEvent reply = *question;
  reply.set_id("r2");
  reply.set_data("the answer", cloudevents::DataEncoding::kText);
  EXPECT_TRUE(requests_->Respond(reply).ok());
  auto got = answer.Wait();
  ASSERT_TRUE(got.has_value() && got->ok());
  EXPECT_EQ((*got)->data(), "the answer");
  // The same answer again: nothing is pending any more.
  EXPECT_EQ(requests_->Respond(reply).code(), absl::StatusCode::kNotFound);
  (*subscription)->Close();
}

}  // namespace
}  // namespace eventmesh::runtime::core
