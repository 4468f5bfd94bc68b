#include "eventmesh/common/metrics/testing/promtool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "eventmesh/testing/child_process.h"

namespace eventmesh::metrics::testing {

absl::Status PromtoolCheckMetrics(const std::string& text) {
  const std::string promtool = eventmesh::testing::FindProgram("promtool");
  if (promtool.empty()) {
    return absl::FailedPreconditionError(
        "promtool is not installed (Debian package prometheus; tools/setup.sh installs it)");
  }
  static std::atomic<int> counter{0};
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string base = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/promtool-", getpid(), "-",
                                        counter.fetch_add(1));
  const std::string input = base + ".prom";
  const std::string output = base + ".out";
  {
    std::ofstream file(input, std::ios::binary);
    file << text;
    if (!file) return absl::InternalError(absl::StrCat("cannot write ", input));
  }
  const std::string command =
      absl::StrCat("'", promtool, "' check metrics < '", input, "' > '", output, "' 2>&1");
  const int status = std::system(command.c_str());
  std::ifstream result(output);
  std::stringstream findings;
  findings << result.rdbuf();
  std::remove(input.c_str());
  std::remove(output.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !findings.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("promtool check metrics (exit ", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                     "): ", findings.str(), "\n--- input ---\n", text));
  }
  return absl::OkStatus();
}

}  // namespace eventmesh::metrics::testing
