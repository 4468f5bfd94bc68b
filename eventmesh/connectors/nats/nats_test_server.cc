#include "eventmesh/connectors/nats/nats_test_server.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace eventmesh::connectors::testing {

absl::StatusOr<std::unique_ptr<NatsTestServer>> NatsTestServer::Start(const std::string& dir) {
  std::unique_ptr<NatsTestServer> server(
      new NatsTestServer(dir, eventmesh::testing::FreeLoopbackPort()));
  if (auto status = server->Start(); !status.ok()) return status;
  return server;
}

std::string NatsTestServer::url() const { return absl::StrCat("nats://127.0.0.1:", port_); }

void NatsTestServer::Stop() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->Wait(absl::Seconds(20));
  process_.reset();
}

absl::Status NatsTestServer::Start() {
  Stop();
  const std::string program = eventmesh::testing::FindProgram("nats-server");
  if (program.empty()) return absl::NotFoundError("nats-server is not installed");
  const std::string log = absl::StrCat(dir_, ".log.", starts_++);
  std::remove(log.c_str());  // ChildProcess appends: no "ready" line from an earlier run
  auto process = eventmesh::testing::ChildProcess::Start(
      program, {"-js", "-a", "127.0.0.1", "-p", std::to_string(port_), "-sd", dir_}, log);
  if (!process.ok()) return process.status();
  process_ = std::move(*process);
  // Ready once it says so (JetStream is initialised before that line).
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (;;) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().find("Server is ready") != std::string::npos) return absl::OkStatus();
    if (!process_->running() || process_->Wait(absl::ZeroDuration()) != -1 ||
        absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("nats-server on port ", port_, " not ready: ", process_->LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace eventmesh::connectors::testing
