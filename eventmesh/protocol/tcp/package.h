#ifndef EVENTMESH_PROTOCOL_TCP_PACKAGE_H_
#define EVENTMESH_PROTOCOL_TCP_PACKAGE_H_

// One EventMesh TCP package (Java `Package`): a header and the raw body bytes.
//
// `body` holds the bytes exactly as on the wire: JSON of the command's body model
// (UserAgent, Subscription, EventMeshMessage, RedirectInfo, ...) for most commands, the
// raw structured CloudEvent JSON when header property protocoltype == "cloudevents",
// and empty for commands without a body. The codec never interprets it. A value type.

#include <string>

#include "eventmesh/protocol/tcp/header.h"

namespace eventmesh::protocol::tcp {

struct Package {
  Header header;
  std::string body;

  bool operator==(const Package& o) const { return header == o.header && body == o.body; }
  bool operator!=(const Package& o) const { return !(*this == o); }
};

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_PACKAGE_H_
