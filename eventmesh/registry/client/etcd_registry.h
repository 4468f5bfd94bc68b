#ifndef EVENTMESH_REGISTRY_CLIENT_ETCD_REGISTRY_H_
#define EVENTMESH_REGISTRY_CLIENT_ETCD_REGISTRY_H_

// EtcdRegistry: the Registry interface on an etcd cluster (3.4+), through etcd's v3 JSON gateway
// (grpc-gateway: POST /v3/kv/put, /v3/kv/range, /v3/kv/deleterange, /v3/lease/grant,
// /v3/lease/keepalive, /v3/lease/revoke, /v3/watch), for users who want a highly available
// registry on an engine they already run.
//
// Layout: one key per instance, "/eventmesh/registry/instances/<mesh>/<id>", holding the
// instance's JSON and attached to an etcd lease of the instance's ttl (whole seconds, at least
// 1), so etcd itself removes a runtime whose lease runs out. The index is etcd's revision; a
// Watch is etcd's watch on the mesh's key prefix from index+1 (a stream, not a polling loop).
// Each endpoint is tried in turn while unreachable. Thread-safe; calls block.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "eventmesh/net/http_client.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/registry/client/blocking_calls.h"
#include "eventmesh/registry/registry.h"

namespace eventmesh::registry {

struct EtcdRegistryOptions {
  std::vector<std::string> endpoints;  // etcd client URLs or host:port (http)
  std::string prefix = "/eventmesh/registry/instances/";
  absl::Duration timeout = absl::Seconds(5);
};

class EtcdRegistry : public Registry {
 public:
  // Errors: InvalidArgument (no endpoint, malformed endpoint).
  static absl::StatusOr<std::unique_ptr<EtcdRegistry>> Create(EtcdRegistryOptions options);
  ~EtcdRegistry() override;

  absl::StatusOr<absl::Duration> Register(const Instance& instance, absl::Duration ttl) override;
  absl::Status Renew(absl::string_view mesh, absl::string_view id) override;
  absl::Status Deregister(absl::string_view mesh, absl::string_view id) override;
  absl::StatusOr<Snapshot> List(absl::string_view mesh) override;
  absl::StatusOr<Snapshot> Watch(absl::string_view mesh, uint64_t after_index,
                                 absl::Duration wait) override;
  // Aborts the requests and watch streams in flight and refuses later calls (Cancelled for a
  // watch, Unavailable otherwise).
  void Shutdown() override;

 private:
  struct Lease {
    int64_t id = 0;
    int64_t ttl_s = 0;
  };
  EtcdRegistry(EtcdRegistryOptions options, std::vector<net::Url> endpoints,
               std::unique_ptr<net::HttpClient> http);
  // POST `path` with a JSON body to the first reachable endpoint; the parsed JSON answer.
  absl::StatusOr<rapidjson::Document> Post(const std::string& path, const std::string& body);
  absl::StatusOr<Lease> Grant(int64_t ttl_s);
  std::string KeyOf(absl::string_view mesh, absl::string_view id) const;
  std::string MeshPrefix(absl::string_view mesh) const;
  // Streams etcd's watch of [key, range_end) from `start_revision` until an event arrives
  // (true) or `deadline` passes (false).
  absl::StatusOr<bool> WaitForEvent(const std::string& key, const std::string& range_end,
                                    int64_t start_revision, absl::Time deadline);

  const EtcdRegistryOptions options_;
  const std::vector<net::Url> endpoints_;
  std::unique_ptr<net::HttpClient> http_;
  BlockingCalls calls_{http_.get()};
  absl::Mutex mu_;
  std::map<std::string, Lease> leases_ ABSL_GUARDED_BY(mu_);  // by key
  // The io_contexts of the watch streams in progress (each WaitForEvent runs its own); Shutdown
  // stops them.
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::set<boost::asio::io_context*> watching_ ABSL_GUARDED_BY(mu_);
};

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_CLIENT_ETCD_REGISTRY_H_
