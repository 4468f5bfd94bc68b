#ifndef EVENTMESH_RUNTIME_FEDERATION_MESH_FORWARDER_H_
#define EVENTMESH_RUNTIME_FEDERATION_MESH_FORWARDER_H_

// MeshForwarder: routes events between separate meshes by the registry's routing table.
//
// It watches every registered runtime (a long poll on the registry) and computes which topics
// to forward where: topic T goes to mesh M when a runtime of this mesh publishes T and a runtime
// of M (M != this mesh) has a subscriber of T. For each such (T, M) it subscribes a
// ForwardTarget to T in the local consumer group "eventmesh-forward-<M>" (starting, for a new
// group, at the earliest retained event, so nothing published before the route appeared is
// missed), and keeps the target's list of M's runtimes (HTTP endpoints, least loaded first)
// current (https for runtimes that advertise "httpScheme": "https" in their registry metadata,
// verified with the configured CA and presenting the configured client certificate). When M no
// longer wants T the subscription is closed (the group keeps its committed
// position) and forwarding resumes from there when M wants T again. Each (T, M) is independent:
// an unreachable mesh only holds back its own forwarding.
// Thread-safe; Stop() (or the destructor) closes every forwarding subscription.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ssl/context.hpp"
#include "eventmesh/registry/registry.h"
#include "eventmesh/runtime/core/consumer_manager.h"
#include "eventmesh/runtime/core/topic_registry.h"
#include "eventmesh/runtime/federation/forward_target.h"

namespace eventmesh::runtime::federation {

struct MeshForwarderOptions {
  std::string self_mesh;
  std::string self_idc;
  // Unacknowledged events per (topic, mesh); raised to batch_events * (batches_in_flight + 1)
  // when smaller, so the pipeline can be kept full.
  int32_t window = 1000;
  int32_t batch_events = 100;
  int32_t batches_in_flight = 4;  // pipelined POSTs per (topic, mesh), answered in order
  std::string username;           // credentials for the other meshes' ACL, if any
  std::string password;
  // TLS to runtimes that serve https: CAs trusted for their certificates ("" = the system's)
  // and an optional client certificate + key (PEM) for runtimes that require one.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Longest single registry long poll (also bounds how long Stop() may wait for it).
  absl::Duration watch_wait = absl::Seconds(1);
};

// One forwarding route and its figures.
struct ForwardInfo {
  std::string topic;
  std::string mesh;
  ForwardStats stats;
};

// "eventmesh-forward-<mesh>": the local consumer group forwarding to `mesh`.
std::string ForwardGroup(const std::string& mesh);
// Whether `group` is such a forwarding group (not an application's: a runtime does not report it
// to the registry as a consumer of its topic).
bool IsForwardGroup(absl::string_view group);

// Registry metadata key a runtime sets to "https" when its HTTP port serves TLS.
inline constexpr char kHttpSchemeMetadata[] = "httpScheme";

// "http(s)://host:port" of `instance`'s HTTP endpoint (https when it advertises so), or "".
std::string HttpBaseUrl(const registry::Instance& instance);

// The (topic, mesh) pairs `self_mesh` forwards, given every registered instance.
std::vector<std::pair<std::string, std::string>> ForwardRoutes(
    const std::vector<registry::Instance>& instances, const std::string& self_mesh);

class MeshForwarder {
 public:
  // `registry`, `consumers` and `topics` must outlive the forwarder.
  // Errors: InvalidArgument (window, batch size or batches in flight not positive; a TLS file
  // that cannot be used, naming it).
  static absl::StatusOr<std::unique_ptr<MeshForwarder>> Start(registry::Registry* registry,
                                                              core::ConsumerManager* consumers,
                                                              core::TopicRegistry* topics,
                                                              MeshForwarderOptions options);
  ~MeshForwarder();
  MeshForwarder(const MeshForwarder&) = delete;
  MeshForwarder& operator=(const MeshForwarder&) = delete;

  // Idempotent.
  void Stop();
  std::vector<ForwardInfo> Routes() const;

 private:
  struct Route {
    std::shared_ptr<ForwardTarget> target;
  };
  MeshForwarder(registry::Registry* registry, core::ConsumerManager* consumers,
                core::TopicRegistry* topics, MeshForwarderOptions options,
                std::shared_ptr<boost::asio::ssl::context> tls);
  void Loop();
  void Apply(const std::vector<registry::Instance>& instances);

  registry::Registry* const registry_;
  core::ConsumerManager* const consumers_;
  core::TopicRegistry* const topics_;
  const MeshForwarderOptions options_;
  const std::shared_ptr<boost::asio::ssl::context> tls_;
  // The forwarding connections' io threads.
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> io_threads_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // (topic, mesh) -> route
  std::map<std::pair<std::string, std::string>, Route> routes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::runtime::federation

#endif  // EVENTMESH_RUNTIME_FEDERATION_MESH_FORWARDER_H_
