#ifndef EVENTMESH_RUNTIME_BUILTIN_FRONTENDS_H_
#define EVENTMESH_RUNTIME_BUILTIN_FRONTENDS_H_

// The protocols this runtime ships: one registration line per frontend.

#include "absl/status/status.h"
#include "eventmesh/runtime/frontend/frontend.h"

namespace eventmesh::runtime {

// Registers "tcp", "http", "grpc" and "mqtt". Errors: the registry's (a name taken twice).
absl::Status RegisterBuiltinFrontends(frontend::FrontendRegistry* registry);

}  // namespace eventmesh::runtime

#endif  // EVENTMESH_RUNTIME_BUILTIN_FRONTENDS_H_
