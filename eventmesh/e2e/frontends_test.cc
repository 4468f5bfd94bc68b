// Protocols are frontends chosen by configuration: only the named ones start, an unavailable
// one is named at start-up, and a frontend registered from outside the runtime gets the same
// core services and lifecycle as the built-in ones.

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eventmesh/connectors/builtin.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/runtime/builtin_frontends.h"
#include "eventmesh/runtime/http/testing/http_test_client.h"
#include "eventmesh/runtime/server.h"
#include "eventmesh/runtime/testing/test_server.h"
#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

// Records its lifecycle and publishes one event through the core service at Start.
class ProbeFrontend final : public frontend::Frontend {
 public:
  ProbeFrontend(const frontend::FrontendServices& services, std::vector<std::string>* calls)
      : services_(services), calls_(calls) {}
  absl::string_view name() const override { return "probe"; }
  absl::Status Start() override {
    calls_->push_back("start");
    cloudevents::CloudEvent event;
    event.set_id("p1");
    event.set_source("/probe");
    event.set_type("t");
    event.set_subject("probe-topic");
    if (absl::Status s = services_.publish->Admit(core::Publisher{}, event); !s.ok()) return s;
    calls_->push_back("admitted");
    return absl::OkStatus();
  }
  int port() const override { return 0; }
  void StopAccepting() override { calls_->push_back("stop-accepting"); }
  void Drain(int64_t) override { calls_->push_back("drain"); }
  void Stop() override {
    if (!stopped_) calls_->push_back("stop");
    stopped_ = true;
  }

 private:
  frontend::FrontendServices services_;
  std::vector<std::string>* calls_;
  bool stopped_ = false;
};

class FrontendsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&connectors_).ok()); }
  connectors::ConnectorRegistry connectors_;
};

TEST_F(FrontendsTest, OnlyTheConfiguredProtocolsStart) {
  auto server = testing::StartTestServer({{"eventMesh.server.provide.protocols", "HTTP"},
                                          {"eventMesh.server.http.webhook.enabled", "false"}},
                                         testing::TestDataDir(), connectors_);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->tcp_port(), 0);
  ASSERT_GT((*server)->http_port(), 0);
  auto reply = http::testing::HttpCall(
      (*server)->http_port(), "POST", "/",
      http::testing::CodeHeaders(104, {{"Content-Type", "application/x-www-form-urlencoded"}}),
      protocol::http::EncodeForm({{"topic", "only-http"},
                                  {"content", "x"},
                                  {"bizseqno", "b"},
                                  {"uniqueid", "u"},
                                  {"producergroup", "g"}}));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->ret_code, 0) << reply->body;
  (*server)->Shutdown();
}

TEST_F(FrontendsTest, AnUnavailableProtocolIsNamedAtStartUp) {
  auto server = testing::StartTestServer({{"eventMesh.server.provide.protocols", "TCP,AMQP"}},
                                         testing::TestDataDir(), connectors_);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(server.status().message(),
            "protocol \"amqp\" is not available (available: grpc, http, mqtt, tcp)");
  EXPECT_FALSE(testing::StartTestServer({{"eventMesh.server.provide.protocols", "tcp,tcp"}},
                                        testing::TestDataDir("-twice"), connectors_)
                   .ok());
}

TEST_F(FrontendsTest, ARegisteredFrontendGetsTheCoreServicesAndTheLifecycle) {
  std::vector<std::string> calls;
  frontend::FrontendRegistry registry;
  ASSERT_TRUE(RegisterBuiltinFrontends(&registry).ok());
  ASSERT_TRUE(registry
                  .Register("probe",
                            [&calls](const frontend::FrontendServices& services)
                                -> absl::StatusOr<std::unique_ptr<frontend::Frontend>> {
                              return std::unique_ptr<frontend::Frontend>(
                                  new ProbeFrontend(services, &calls));
                            })
                  .ok());
  ServerOptions options;
  options.frontends = &registry;
  auto server = testing::StartTestServer({{"eventMesh.server.provide.protocols", "probe,tcp"}},
                                         testing::TestDataDir(), connectors_, std::move(options));
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_GT((*server)->tcp_port(), 0);
  EXPECT_EQ((*server)->http_port(), 0);
  (*server)->Shutdown();
  EXPECT_EQ(calls,
            (std::vector<std::string>{"start", "admitted", "stop-accepting", "drain", "stop"}));
}

}  // namespace
}  // namespace eventmesh::runtime
