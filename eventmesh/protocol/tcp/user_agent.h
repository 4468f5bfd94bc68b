#ifndef EVENTMESH_PROTOCOL_TCP_USER_AGENT_H_
#define EVENTMESH_PROTOCOL_TCP_USER_AGENT_H_

// Body of HELLO_REQUEST and RECOMMEND_REQUEST (Java `UserAgent`).
//
// FromJson is lenient like Jackson: unknown keys ignored, ints accepted as numbers or
// decimal strings, numbers accepted for string fields. v1.0-v1.3 clients send
// producerGroup / consumerGroup instead of group: when group is absent, consumerGroup is
// used for purpose "sub" and producerGroup otherwise (whichever is present).
// ToJson omits empty strings (Java NON_NULL; empty stands for null here) and always
// writes the ints. Validate() applies the runtime's HELLO checks. A value type.
// Errors: InvalidArgument.

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::tcp {

inline constexpr absl::string_view kPurposePub = "pub";
inline constexpr absl::string_view kPurposeSub = "sub";

struct UserAgent {
  std::string env;
  std::string subsystem;
  std::string path;
  int pid = 0;
  std::string host;  // Overwritten by the runtime with the peer address.
  int port = 0;      // Overwritten by the runtime with the peer port.
  std::string version;
  std::string username;
  std::string password;
  std::string token;
  std::string idc;
  std::string group;
  std::string purpose;  // "pub" or "sub".
  int unack = 0;

  static absl::StatusOr<UserAgent> FromJson(absl::string_view json);
  std::string ToJson() const;

  // HELLO checks, in the runtime's order: "UserAgent version is required", "UserAgent
  // purpose must be \"pub\" or \"sub\", got \"x\"", "UserAgent group is required
  // (non-blank)".
  absl::Status Validate() const;

  bool operator==(const UserAgent& o) const;
  bool operator!=(const UserAgent& o) const { return !(*this == o); }
};

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_USER_AGENT_H_
