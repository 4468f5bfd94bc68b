#ifndef EVENTMESH_COMMON_CONFIG_SECRET_FILE_H_
#define EVENTMESH_COMMON_CONFIG_SECRET_FILE_H_

// Secrets (tokens) are given as files, never on command lines: ReadSecretFile returns the first
// line of `path` without surrounding whitespace. Errors name the configuration key the path came
// from: InvalidArgument "cannot read <key> <path>" / "<key> <path> is empty". Thread-safe.

#include <string>

#include "absl/status/statusor.h"

namespace eventmesh::config {

absl::StatusOr<std::string> ReadSecretFile(const std::string& key, const std::string& path);

}  // namespace eventmesh::config

#endif  // EVENTMESH_COMMON_CONFIG_SECRET_FILE_H_
