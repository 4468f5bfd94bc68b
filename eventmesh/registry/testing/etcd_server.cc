#include "eventmesh/registry/testing/etcd_server.h"

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "eventmesh/registry/client/etcd_registry.h"

namespace eventmesh::registry::testing {

absl::StatusOr<std::unique_ptr<EtcdServer>> EtcdServer::Start(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const int client_port = eventmesh::testing::FreeLoopbackPort();
  const int peer_port = eventmesh::testing::FreeLoopbackPort();
  const std::string client_url = absl::StrCat("http://127.0.0.1:", client_port);
  const std::string peer_url = absl::StrCat("http://127.0.0.1:", peer_port);
  auto process = eventmesh::testing::ChildProcess::Start(
      "etcd",
      {"--name=t", absl::StrCat("--data-dir=", dir, "/data"),
       absl::StrCat("--listen-client-urls=", client_url),
       absl::StrCat("--advertise-client-urls=", client_url),
       absl::StrCat("--listen-peer-urls=", peer_url),
       absl::StrCat("--initial-advertise-peer-urls=", peer_url),
       absl::StrCat("--initial-cluster=t=", peer_url), "--log-level=warn"},
      dir + "/etcd.log");
  if (!process.ok()) return process.status();
  std::unique_ptr<EtcdServer> server(new EtcdServer(*std::move(process), client_port));
  EtcdRegistryOptions options;
  options.endpoints = {server->address()};
  options.timeout = absl::Seconds(1);
  auto probe = EtcdRegistry::Create(options);
  if (!probe.ok()) return probe.status();
  for (int i = 0; i < 200; ++i) {
    if ((*probe)->List("").ok()) return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::UnavailableError(
      absl::StrCat("etcd on ", server->address(), " did not answer: ", server->LogTail()));
}

std::string EtcdServer::address() const { return absl::StrCat("127.0.0.1:", client_port_); }

}  // namespace eventmesh::registry::testing
