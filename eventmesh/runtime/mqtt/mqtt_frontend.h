#ifndef EVENTMESH_RUNTIME_MQTT_MQTT_FRONTEND_H_
#define EVENTMESH_RUNTIME_MQTT_MQTT_FRONTEND_H_

// "mqtt" as a frontend::Frontend: an MQTT 3.1.1 / 5.0 broker on the runtime's core services
// (see README.md). Enabled by naming mqtt in eventMesh.server.provide.protocols; listens on
// eventMesh.server.mqtt.port (1883; 8883 with eventMesh.server.mqtt.tls.enabled). Persistent
// sessions and retained messages live in <dataDir>/mqtt/.

#include <memory>

#include "absl/status/status.h"
#include "eventmesh/runtime/frontend/frontend.h"
#include "eventmesh/runtime/mqtt/mqtt_context.h"
#include "eventmesh/runtime/mqtt/mqtt_server.h"
#include "eventmesh/runtime/mqtt/state_store.h"

namespace eventmesh::runtime::mqtt {

class MqttFrontend final : public frontend::Frontend {
 public:
  // `tls`: the MQTT port's TLS context, nullptr for plain TCP.
  MqttFrontend(const frontend::FrontendServices& services,
               std::shared_ptr<boost::asio::ssl::context> tls);
  ~MqttFrontend() override;

  absl::string_view name() const override { return "mqtt"; }
  // Errors: DataLoss (unreadable <dataDir>/mqtt state), Unavailable (port in use).
  absl::Status Start() override;
  int port() const override { return server_->port(); }
  void StopAccepting() override { server_->StopAccepting(); }
  void Drain(int64_t timeout_ms) override { server_->DisconnectAll(timeout_ms); }
  void Stop() override { server_->Stop(); }
  size_t connected_clients() const override { return server_->session_count(); }
  std::vector<frontend::ConnectedClient> Clients() const override { return server_->Clients(); }

 private:
  const RuntimeConfig* const config_;
  StateStore state_;
  MqttContext context_;
  std::unique_ptr<MqttServer> server_;
};

absl::Status RegisterMqttFrontend(frontend::FrontendRegistry* registry);

}  // namespace eventmesh::runtime::mqtt

#endif  // EVENTMESH_RUNTIME_MQTT_MQTT_FRONTEND_H_
