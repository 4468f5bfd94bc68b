#ifndef EVENTMESH_RUNTIME_MQTT_MQTT_SERVER_H_
#define EVENTMESH_RUNTIME_MQTT_MQTT_SERVER_H_

// The MQTT listener: an acceptor and a pool of io threads (a connection stays on one thread),
// the sessions by client id (a second connection with the same client id takes the session
// over), and the topic watch that lets wildcard subscriptions see new topics: topics created in
// this runtime at once (TopicRegistry creation listener), others by listing the connector's
// topics every eventMesh.server.mqtt.topicScanIntervalMs. The same timer expires persistent
// sessions. Connections beyond eventMesh.server.mqtt.maxConnections are closed at accept.
// Thread-safe; Start once, Stop idempotent.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "eventmesh/net/acceptor.h"
#include "eventmesh/net/io_thread_pool.h"
#include "eventmesh/runtime/mqtt/mqtt_context.h"
#include "eventmesh/runtime/mqtt/mqtt_session.h"

namespace eventmesh::runtime::mqtt {

class MqttServer final : public SessionRegistry {
 public:
  // `context` (its services) must outlive the server; the server sets context->registry.
  explicit MqttServer(MqttContext* context);
  ~MqttServer() override;

  // Binds 0.0.0.0:`port` (0 = any free port) and serves. Errors: Unavailable "cannot listen on
  // MQTT port <port>: <reason>".
  absl::Status Start(int port);
  int port() const { return port_; }
  void StopAccepting();
  // Tells every client the runtime is leaving (MQTT 5: DISCONNECT 0x8B) and waits up to
  // `timeout_ms` for the connections to close.
  void DisconnectAll(int64_t timeout_ms);
  void Stop();
  size_t session_count();
  // The connected clients (CONNECT done), for the admin port.
  std::vector<frontend::ConnectedClient> Clients();

  // SessionRegistry
  std::shared_ptr<MqttSession> Claim(const std::string& client_id,
                                     const std::shared_ptr<MqttSession>& session) override;
  void WatchTopics(const std::shared_ptr<MqttSession>& session) override;
  void Closed(const std::string& client_id, uint64_t session_id) override;

 private:
  void OnAccepted(boost::asio::ip::tcp::socket socket);
  void OnTopicCreated(const std::string& topic);
  void ScanLoop();

  MqttContext* const ctx_;
  net::IoThreadPool pool_;
  std::unique_ptr<net::Acceptor> acceptor_;
  int port_ = 0;
  uint64_t listener_id_ = 0;
  bool stopped_ = false;

  std::mutex mu_;
  std::condition_variable closed_cv_;
  std::map<uint64_t, std::weak_ptr<MqttSession>> sessions_;         // guarded by mu_
  std::map<std::string, std::weak_ptr<MqttSession>> by_client_id_;  // guarded by mu_
  std::map<uint64_t, std::weak_ptr<MqttSession>> watchers_;         // guarded by mu_
  bool scan_stop_ = false;                                          // guarded by mu_
  std::condition_variable scan_cv_;
  std::thread scan_thread_;
};

}  // namespace eventmesh::runtime::mqtt

#endif  // EVENTMESH_RUNTIME_MQTT_MQTT_SERVER_H_
