#include "eventmesh/runtime/mqtt/mqtt_frontend.h"

#include <utility>

#include "eventmesh/net/tls.h"

namespace eventmesh::runtime::mqtt {

MqttFrontend::MqttFrontend(const frontend::FrontendServices& services,
                           std::shared_ptr<boost::asio::ssl::context> tls)
    : config_(services.config), state_(services.config->data_dir + "/mqtt") {
  context_.config = services.config;
  context_.connector = services.connector;
  context_.topics = services.topics;
  context_.consumers = services.consumers;
  context_.publish = services.publish;
  context_.acl = services.acl;
  context_.authenticator = services.authenticator;
  context_.state = &state_;
  context_.tls = std::move(tls);
  server_ = std::make_unique<MqttServer>(&context_);
}

MqttFrontend::~MqttFrontend() { Stop(); }

absl::Status MqttFrontend::Start() {
  if (absl::Status loaded = state_.Load(); !loaded.ok()) return loaded;
  return server_->Start(config_->mqtt.port);
}

absl::Status RegisterMqttFrontend(frontend::FrontendRegistry* registry) {
  return registry->Register(
      "mqtt",
      [](const frontend::FrontendServices& services)
          -> absl::StatusOr<std::unique_ptr<frontend::Frontend>> {
        std::shared_ptr<boost::asio::ssl::context> tls;
        const RuntimeConfig::Mqtt& c = services.config->mqtt;
        if (c.tls_enabled) {
          auto context = net::MakeServerTlsContext(
              {c.tls_cert_file, c.tls_key_file, c.tls_client_ca_file},
              {"eventMesh.server.mqtt.tls.certFile", "eventMesh.server.mqtt.tls.keyFile",
               "eventMesh.server.mqtt.tls.clientCaFile"});
          if (!context.ok()) return context.status();
          tls = *std::move(context);
        }
        return std::unique_ptr<frontend::Frontend>(new MqttFrontend(services, std::move(tls)));
      });
}

}  // namespace eventmesh::runtime::mqtt
