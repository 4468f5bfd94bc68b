// The runtime as the interop tests start it: the same library calls as //eventmesh/runtime's
// main.cc (LoadConfigFromArgs -> Server::Create -> Start), printing the bound ports, stopping on
// SIGTERM/SIGINT. It exists only because //eventmesh/runtime:runtime is not visible outside
// eventmesh/runtime; once it is, the interop test should start that binary instead.

#include <signal.h>

#include <iostream>

#include "eventmesh/connectors/builtin.h"
#include "eventmesh/runtime/config.h"
#include "eventmesh/runtime/server.h"
#include "glog/logging.h"

int main(int argc, char** argv) {
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  auto config = eventmesh::runtime::LoadConfigFromArgs(argc, argv);
  if (!config.ok()) {
    std::cerr << "interop runtime: configuration error: " << config.status().message() << "\n";
    return 2;
  }
  eventmesh::connectors::ConnectorRegistry registry;
  if (auto status = eventmesh::connectors::RegisterBuiltinConnectors(&registry); !status.ok()) {
    std::cerr << "interop runtime: " << status.message() << "\n";
    return 1;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto server = eventmesh::runtime::Server::Create(*config, registry);
  if (!server.ok()) {
    std::cerr << "interop runtime: " << server.status().message() << "\n";
    return 1;
  }
  if (auto status = (*server)->Start(); !status.ok()) {
    std::cerr << "interop runtime: " << status.message() << "\n";
    return 1;
  }
  std::cout << "eventmesh runtime: TCP port " << (*server)->tcp_port() << ", HTTP port "
            << (*server)->http_port() << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  (*server)->Shutdown();
  return 0;
}
