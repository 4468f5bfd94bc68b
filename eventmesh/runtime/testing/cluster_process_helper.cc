// A subscriber or publisher process for multi-process runtime tests (cluster_process_test).
//
//   cluster_process_helper sub --port=P --group=G --topic=T [--ack=yes|no] [--max_seconds=60]
//     HELLO (sub), SUBSCRIBE (CLUSTERING), LISTEN, prints "READY", then one "GOT <body>" line per
//     pushed event (flushed), acknowledging it unless --ack=no. Exits after max_seconds.
//   cluster_process_helper pub --port=P --topic=T --count=N [--delay_ms=D]
//     publishes bodies "ev-0".."ev-<N-1>", prints "PUBLISHED <body>" per acknowledged event,
//     exits 0 when all were acknowledged (each retried up to 50 times on a failure reply).
// Exit codes: 0 done, 1 protocol/connection failure, 2 bad arguments.

#include <iostream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/runtime/testing/test_client.h"

namespace {

using eventmesh::protocol::tcp::Command;
using eventmesh::runtime::testing::TestClient;

int Fail(const std::string& what) {
  std::cerr << "cluster_process_helper: " << what << std::endl;
  return 1;
}

int Subscribe(const std::map<std::string, std::string>& flags, int port) {
  auto client = TestClient::Connect(port);
  if (!client.ok()) return Fail(client.status().ToString());
  auto hello = (*client)->Hello("sub", flags.at("group"));
  if (!hello.ok() || hello->header.code != 0) return Fail("hello failed");
  auto subscribed = (*client)->Subscribe(flags.at("topic"));
  if (!subscribed.ok() || subscribed->header.code != 0) return Fail("subscribe failed");
  auto listened = (*client)->Listen();
  if (!listened.ok() || listened->header.code != 0) return Fail("listen failed");
  std::cout << "READY" << std::endl;
  const bool ack = flags.count("ack") == 0 || flags.at("ack") != "no";
  int64_t max_seconds = 60;
  if (flags.count("max_seconds")) (void)absl::SimpleAtoi(flags.at("max_seconds"), &max_seconds);
  const absl::Time end = absl::Now() + absl::Seconds(max_seconds);
  while (absl::Now() < end) {
    auto push = (*client)->Next(Command::kAsyncMessageToClient, absl::Milliseconds(200));
    if (!push.ok()) {
      if ((*client)->WaitClosed(absl::ZeroDuration())) return Fail("connection closed");
      continue;
    }
    auto message = eventmesh::protocol::tcp::EventMeshMessage::FromJson(push->body);
    std::cout << "GOT " << (message.ok() ? message->body : "<undecodable>") << std::endl;
    if (ack && !(*client)->Ack(*push).ok()) return Fail("ack failed");
  }
  return 0;
}

int Publish(const std::map<std::string, std::string>& flags, int port) {
  int count = 0;
  int64_t delay_ms = 0;
  if (!absl::SimpleAtoi(flags.at("count"), &count)) return 2;
  if (flags.count("delay_ms")) (void)absl::SimpleAtoi(flags.at("delay_ms"), &delay_ms);
  auto client = TestClient::Connect(port);
  if (!client.ok()) return Fail(client.status().ToString());
  auto hello = (*client)->Hello("pub", "publishers");
  if (!hello.ok() || hello->header.code != 0) return Fail("hello failed");
  for (int i = 0; i < count; ++i) {
    const std::string body = absl::StrCat("ev-", i);
    bool done = false;
    for (int attempt = 0; attempt < 50 && !done; ++attempt) {
      auto ack = (*client)->Publish(flags.at("topic"), body);
      if (!ack.ok()) return Fail(ack.status().ToString());
      done = ack->header.code == 0;
      if (!done) absl::SleepFor(absl::Milliseconds(20));
    }
    if (!done) return Fail(absl::StrCat("publish of ", body, " kept failing"));
    std::cout << "PUBLISHED " << body << std::endl;
    if (delay_ms > 0) absl::SleepFor(absl::Milliseconds(delay_ms));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string mode = argv[1];
  std::map<std::string, std::string> flags;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) return 2;
    flags[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  int port = 0;
  if (!flags.count("port") || !absl::SimpleAtoi(flags.at("port"), &port) || !flags.count("topic")) {
    return 2;
  }
  if (mode == "sub" && flags.count("group")) return Subscribe(flags, port);
  if (mode == "pub" && flags.count("count")) return Publish(flags, port);
  return 2;
}
