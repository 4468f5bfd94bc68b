// The mesh runtime binary: `bazel run //eventmesh/runtime -- [--config=eventmesh.properties]
// [--port=N] [--http_port=N] [--admin_port=N] [--data_dir=path] [--eventMesh.<key>=value ...]`.

#include <signal.h>

#include <iostream>

#include "eventmesh/common/release_tuning.h"
#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/server.h"
#include "glog/logging.h"
#include "third_party/tcmalloc_huge_pages.h"

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  auto config = eventmesh::runtime::LoadConfigFromArgs(argc, argv);
  if (!config.ok()) {
    std::cerr << "eventmesh runtime: configuration error: " << config.status().message() << "\n";
    return 2;
  }
  for (const auto& key : config->ignored_keys) {
    LOG(WARNING) << "configuration key " << key << " has no effect in this runtime";
  }
  // Only when asked for (EVENTMESH_HEAP_HUGE_PAGES=1): whether the kernel honours it.
  if (eventmesh::third_party::HeapHugePagesInstalled()) {
    LOG(INFO) << "heap: " << eventmesh::third_party::HeapHugePagesStatus()
              << " (EVENTMESH_HEAP_HUGE_PAGES=1)";
  }
  eventmesh::connectors::ConnectorRegistry registry;
  if (auto status = eventmesh::connectors::RegisterBuiltinConnectors(&registry); !status.ok()) {
    std::cerr << "eventmesh runtime: " << status.message() << "\n";
    return 1;
  }
  // Block the signals before any thread starts so only sigwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = eventmesh::runtime::Server::Create(*config, registry);
  if (!server.ok()) {
    std::cerr << "eventmesh runtime: " << server.status().message() << "\n";
    return 1;
  }
  if (auto status = (*server)->Start(); !status.ok()) {
    std::cerr << "eventmesh runtime: " << status.message() << "\n";
    return 1;
  }
  std::cout << "eventmesh runtime: data directory " << config->data_dir << ", storage "
            << config->storage_type << ", TCP port " << (*server)->tcp_port() << ", HTTP port "
            << (*server)->http_port() << (config->tls_enabled ? " (TLS)" : "");
  if (const int grpc_port = (*server)->port_of("grpc"); grpc_port != 0) {
    std::cout << ", gRPC port " << grpc_port << (config->grpc_tls_enabled ? " (TLS)" : "");
  }
  if (const int mqtt_port = (*server)->port_of("mqtt"); mqtt_port != 0) {
    std::cout << ", MQTT port " << mqtt_port << (config->mqtt.tls_enabled ? " (TLS)" : "");
  }
  std::cout << ", admin port " << (*server)->admin_port() << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  std::cout << "eventmesh runtime: signal " << signal_number << ", shutting down" << std::endl;
  (*server)->Shutdown();
  server->reset();
  std::cout << "eventmesh runtime: stopped" << std::endl;
  return 0;
}
