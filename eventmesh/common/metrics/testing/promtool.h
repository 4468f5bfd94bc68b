#ifndef EVENTMESH_COMMON_METRICS_TESTING_PROMTOOL_H_
#define EVENTMESH_COMMON_METRICS_TESTING_PROMTOOL_H_

// Test helper: runs `promtool check metrics` (Prometheus' own parser and linter, from Debian's
// prometheus package; tools/setup.sh installs it) on a page of the text format.
// Test-only; thread-compatible (uses a temporary file under TEST_TMPDIR).

#include <string>

#include "absl/status/status.h"

namespace eventmesh::metrics::testing {

// OK when promtool accepts `text` without findings. FailedPrecondition "promtool is not
// installed ..." when it is missing; InvalidArgument with promtool's output otherwise.
absl::Status PromtoolCheckMetrics(const std::string& text);

}  // namespace eventmesh::metrics::testing

#endif  // EVENTMESH_COMMON_METRICS_TESTING_PROMTOOL_H_
