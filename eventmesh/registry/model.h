#ifndef EVENTMESH_REGISTRY_MODEL_H_
#define EVENTMESH_REGISTRY_MODEL_H_

// The registry's data model, shared by the registry server, its client and the etcd backend:
// a registered runtime (Instance: mesh, id, IDC, endpoints, load, the topics its clients
// publish and subscribe), its JSON form on the wire and on disk, and the two queries computed
// from a set of instances: the runtimes of a mesh ordered for a client (same IDC first, then
// least loaded) and the routing table (for each topic, which meshes produce it and which want
// it). Value types and pure functions; thread-safe.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace eventmesh::registry {

// One address a runtime listens on. protocol: "tcp", "http", "grpc", "mqtt" or "admin".
struct Endpoint {
  std::string protocol;
  std::string host;
  int port = 0;
  bool operator==(const Endpoint& o) const {
    return protocol == o.protocol && host == o.host && port == o.port;
  }
};

// A topic used by the clients of a runtime: role "pub" (published to) or "sub" (subscribed,
// with the consumer group).
struct TopicUse {
  std::string topic;
  std::string role;
  std::string group;  // "sub" only
  bool operator==(const TopicUse& o) const {
    return topic == o.topic && role == o.role && group == o.group;
  }
};

// Load figures a runtime reports.
struct Load {
  int64_t clients = 0;       // connected clients, every protocol
  double publish_rate = 0;   // events/s accepted, recent
  double delivery_rate = 0;  // events/s pushed, recent
  bool operator==(const Load& o) const {
    return clients == o.clients && publish_rate == o.publish_rate &&
           delivery_rate == o.delivery_rate;
  }
};

struct Instance {
  std::string mesh;  // the mesh (cluster) it belongs to: [A-Za-z0-9._-], 1..128 chars
  std::string id;    // unique within the mesh, same alphabet
  std::string idc;   // data center / zone; may be empty
  std::string version;
  std::vector<Endpoint> endpoints;
  Load load;
  std::vector<TopicUse> topics;
  std::map<std::string, std::string> metadata;
  // Set by the registry: the lease length, and the index of the last change of this record.
  int64_t lease_ttl_ms = 0;
  uint64_t modify_index = 0;

  // The endpoint serving `protocol`, or nullptr.
  const Endpoint* FindEndpoint(absl::string_view protocol) const;
  // Equal in everything the runtime reports (not the registry's fields).
  bool SameReport(const Instance& o) const;
};

// Mesh and instance names: 1..128 of [A-Za-z0-9._-]. Errors name `what`.
absl::Status ValidateName(absl::string_view name, absl::string_view what);

// Every field: names, endpoints (known protocol, non-empty host, port 1..65535, at least one),
// topic uses (non-empty topic, role pub|sub, sub needs a group), at most 10,000 topic uses.
// Errors: InvalidArgument naming the field, e.g. "endpoints[1].port must be in 1..65535, got 0".
absl::Status Validate(const Instance& instance);

std::string ToJson(const Instance& instance);
void AppendJson(const Instance& instance, std::string* out);
// Values (scalars, objects, arrays, member keys) an instance's JSON may have: a DOM costs 16
// bytes or more per value, 8 times the text of an array of small numbers, and a registration
// body is up to 4 MiB.
inline constexpr size_t kMaxInstanceJsonValues = 65536;

// Errors: InvalidArgument "malformed JSON in instance: ..." or naming the field of the wrong
// type; OutOfRange "JSON in instance has more than 65536 values". Does not Validate().
absl::StatusOr<Instance> InstanceFromJson(absl::string_view json);
// The same from an already parsed JSON value (one element of a list answer).
absl::StatusOr<Instance> InstanceFromValue(const rapidjson::Value& value);

// The instances of `mesh`, the ones in `idc` first (when idc is not empty), then by fewest
// clients, then by id (a stable order).
std::vector<Instance> OrderForClient(std::vector<Instance> instances, absl::string_view idc);

// Who produces and who wants a topic, across meshes.
struct Route {
  struct Consumer {
    std::string mesh;
    std::vector<std::string> groups;  // sorted, unique
    bool operator==(const Consumer& o) const { return mesh == o.mesh && groups == o.groups; }
  };
  std::string topic;
  std::vector<std::string> producers;  // meshes, sorted, unique
  std::vector<Consumer> consumers;     // by mesh
  bool operator==(const Route& o) const {
    return topic == o.topic && producers == o.producers && consumers == o.consumers;
  }
};

// The routing table of `instances`, sorted by topic; only `topic` when it is not empty.
std::vector<Route> RoutesOf(const std::vector<Instance>& instances, absl::string_view topic = "");

std::string RoutesToJson(const std::vector<Route>& routes);

}  // namespace eventmesh::registry

#endif  // EVENTMESH_REGISTRY_MODEL_H_
