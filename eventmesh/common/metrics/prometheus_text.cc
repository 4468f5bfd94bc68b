#include "eventmesh/common/metrics/prometheus_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace eventmesh::metrics {
namespace {

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an optional extra label (le), or "" when there is none.
void AppendLabels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                  absl::string_view extra_name, absl::string_view extra_value, std::string* out) {
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    absl::StrAppend(out, names[i], "=\"", EscapeLabelValue(i < values.size() ? values[i] : ""),
                    "\"");
  }
  if (!extra_name.empty()) {
    if (!first) out->push_back(',');
    absl::StrAppend(out, extra_name, "=\"", extra_value, "\"");
  }
  out->push_back('}');
}

}  // namespace

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::fabs(value) < 9007199254740992.0 && value == std::floor(value)) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // The shortest representation that reads back as the same double.
  char buffer[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RenderPrometheusText(const std::vector<FamilySnapshot>& families) {
  std::string out;
  for (const FamilySnapshot& family : families) {
    absl::StrAppend(&out, "# HELP ", family.name, " ", EscapeHelp(family.help), "\n");
    absl::StrAppend(&out, "# TYPE ", family.name, " ", TypeName(family.type), "\n");
    for (const Sample& sample : family.samples) {
      if (family.type != MetricType::kHistogram) {
        out += family.name;
        AppendLabels(family.label_names, sample.label_values, "", "", &out);
        absl::StrAppend(&out, " ", FormatValue(sample.value), "\n");
        continue;
      }
      for (size_t i = 0; i < sample.buckets.size(); ++i) {
        absl::StrAppend(&out, family.name, "_bucket");
        const std::string le =
            i < family.bounds.size() ? FormatValue(family.bounds[i]) : std::string("+Inf");
        AppendLabels(family.label_names, sample.label_values, "le", le, &out);
        absl::StrAppend(&out, " ", sample.buckets[i], "\n");
      }
      absl::StrAppend(&out, family.name, "_sum");
      AppendLabels(family.label_names, sample.label_values, "", "", &out);
      absl::StrAppend(&out, " ", FormatValue(sample.sum), "\n");
      absl::StrAppend(&out, family.name, "_count");
      AppendLabels(family.label_names, sample.label_values, "", "", &out);
      absl::StrAppend(&out, " ", sample.count, "\n");
    }
  }
  return out;
}

void AppendPrometheusText(const Registry& registry, std::string* out) {
  out->append(RenderPrometheusText(registry.Collect()));
}

}  // namespace eventmesh::metrics
