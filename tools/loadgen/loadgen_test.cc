// Runs the loadgen binary against the real runtime (an in-process runtime::Server with the
// embedded store on a free loopback port) and checks its summary and exit status.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/server.h"
#include "gtest/gtest.h"

namespace eventmesh::loadgen {
namespace {

struct RunResult {
  int exit_code = -1;
  std::string output;
};

RunResult RunLoadgen(const std::string& args) {
  RunResult result;
  FILE* pipe = popen(absl::StrCat("tools/loadgen/loadgen ", args, " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

class LoadgenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(connectors::RegisterBuiltinConnectors(&registry_).ok());
    auto config = runtime::BuildConfig({
        {"eventMesh.server.tcp.port", "0"},
        {"eventMesh.server.grpc.port", "0"},
        {"eventMesh.server.provide.protocols", "TCP,GRPC"},
        {"eventMesh.server.dataDir", absl::StrCat(std::getenv("TEST_TMPDIR"), "/data")},
        {"eventMesh.server.tcp.workerThreads", "2"},
        {"eventMesh.storage.embedded.syncMode", "none"},
    });
    ASSERT_TRUE(config.ok()) << config.status();
    auto server = runtime::Server::Create(*config, registry_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  connectors::ConnectorRegistry registry_;
  std::unique_ptr<runtime::Server> server_;
};

TEST_F(LoadgenTest, PacedRunDeliversEverythingAndReports) {
  RunResult run = RunLoadgen(absl::StrCat("--port=", server_->tcp_port(),
                                          " --publishers=2 --subscribers=2 --size=100 --rate=2000"
                                          " --duration=1s --warmup=200ms --drain=20s"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "RESULT: OK (every acknowledged event delivered)"))
      << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "latency    publish->deliver over")) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "errors                0")) << run.output;
}

TEST_F(LoadgenTest, GrpcRunDeliversEverythingAndReports) {
  RunResult run = RunLoadgen(absl::StrCat("--protocol=grpc --port=", server_->port_of("grpc"),
                                          " --publishers=2 --subscribers=2 --size=100 --rate=2000"
                                          " --duration=1s --warmup=200ms --drain=20s"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "loadgen: grpc,")) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "RESULT: OK (every acknowledged event delivered)"))
      << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "errors                0")) << run.output;
}

TEST_F(LoadgenTest, GrpcBatchesDeliverEverythingAndReport) {
  RunResult run = RunLoadgen(absl::StrCat("--protocol=grpc --port=", server_->port_of("grpc"),
                                          " --batch=16 --publishers=2 --subscribers=1 --size=100"
                                          " --rate=4000 --duration=1s --warmup=200ms --drain=20s"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "loadgen: grpc in batches of 16,")) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "RESULT: OK (every acknowledged event delivered)"))
      << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "errors                0")) << run.output;
}

TEST_F(LoadgenTest, BatchesNeedGrpc) {
  RunResult run = RunLoadgen(absl::StrCat("--port=", server_->tcp_port(), " --batch=8"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "--batch > 1 needs --protocol=grpc")) << run.output;
}

TEST_F(LoadgenTest, BroadcastingChecksEverySubscriber) {
  RunResult run = RunLoadgen(absl::StrCat("--port=", server_->tcp_port(),
                                          " --subscribers=2 --mode=broadcasting --rate=1000"
                                          " --duration=500ms --warmup=0s --drain=20s"));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "delivered to every subscriber")) << run.output;
}

TEST_F(LoadgenTest, BadFlagsExitWithTwo) {
  RunResult run = RunLoadgen(absl::StrCat("--port=", server_->tcp_port(), " --mode=fanout"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(
      absl::StrContains(run.output, "invalid --mode \"fanout\": clustering or broadcasting"))
      << run.output;
}

TEST_F(LoadgenTest, UnreachableRuntimeExitsWithTwo) {
  const int port = server_->tcp_port();
  server_->Shutdown();
  server_.reset();
  RunResult run = RunLoadgen(absl::StrCat("--port=", port, " --duration=1s"));
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(absl::StrContains(run.output, "Connection refused")) << run.output;
}

}  // namespace
}  // namespace eventmesh::loadgen
