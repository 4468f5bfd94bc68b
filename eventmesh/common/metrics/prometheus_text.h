#ifndef EVENTMESH_COMMON_METRICS_PROMETHEUS_TEXT_H_
#define EVENTMESH_COMMON_METRICS_PROMETHEUS_TEXT_H_

// The Prometheus text exposition format, version 0.0.4: for each family "# HELP" (backslash and
// newline escaped) and "# TYPE", then one line per sample; label values escape backslash, double
// quote and newline; histograms expand into <name>_bucket{...,le="<bound>"} (cumulative, ending
// with le="+Inf"), <name>_sum and <name>_count. Values print as integers when they are whole
// numbers (below 2^53), else in the shortest form that reads back exactly; +Inf, -Inf and NaN as
// Prometheus spells them. Families without samples print only HELP and TYPE. Stateless and
// thread-safe.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/common/metrics/metrics.h"

namespace eventmesh::metrics {

// The Content-Type of the format.
inline constexpr char kPrometheusTextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

std::string RenderPrometheusText(const std::vector<FamilySnapshot>& families);
// Appends `registry.Collect()` rendered (several registries may share one page when their
// metric names differ).
void AppendPrometheusText(const Registry& registry, std::string* out);

// Helpers (exposed for tests).
std::string FormatValue(double value);
std::string EscapeLabelValue(absl::string_view value);
std::string EscapeHelp(absl::string_view help);

}  // namespace eventmesh::metrics

#endif  // EVENTMESH_COMMON_METRICS_PROMETHEUS_TEXT_H_
