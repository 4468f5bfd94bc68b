#ifndef EVENTMESH_PROTOCOL_TCP_REDIRECT_INFO_H_
#define EVENTMESH_PROTOCOL_TCP_REDIRECT_INFO_H_

// Body of REDIRECT_TO_CLIENT (Java `RedirectInfo`): {"ip":"10.0.0.1","port":10000}.
// A value type. Errors: InvalidArgument (malformed JSON, not an object, port not an int).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::tcp {

struct RedirectInfo {
  std::string ip;
  int port = 0;

  static absl::StatusOr<RedirectInfo> FromJson(absl::string_view json);
  std::string ToJson() const;

  bool operator==(const RedirectInfo& o) const { return ip == o.ip && port == o.port; }
};

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_REDIRECT_INFO_H_
