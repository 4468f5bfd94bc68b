#include "eventmesh/common/config/secret_file.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::config {

absl::StatusOr<std::string> ReadSecretFile(const std::string& key, const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", key, " ", path));
  }
  std::string secret(absl::StripAsciiWhitespace(line));
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat(key, " ", path, " is empty"));
  return secret;
}

}  // namespace eventmesh::config
