#include "eventmesh/common/config/values.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace eventmesh::config {

absl::StatusOr<int64_t> ParseInt(absl::string_view key, absl::string_view value, int64_t min,
                                 int64_t max) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    if (max >= kUnbounded) {
      return absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ", key,
                                                     ": expected an integer >= ", min));
    }
    return absl::InvalidArgumentError(absl::StrCat("invalid value \"", value, "\" for key ", key,
                                                   ": expected an integer in [", min, ", ", max,
                                                   "]"));
  }
  return v;
}

absl::StatusOr<bool> ParseBool(absl::string_view key, absl::string_view value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid value \"", value, "\" for key ", key, ": expected true or false"));
}

std::vector<std::string> ParseList(absl::string_view value) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

absl::StatusOr<HostPort> ParseHostPort(absl::string_view key, absl::string_view value,
                                       bool require_port) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", value, "\" for key ", key, ": expected ",
                     require_port ? "host:port" : "host or host:port"));
  };
  std::string host(value);
  std::string port;
  const bool bracketed = !value.empty() && value[0] == '[';
  if (bracketed) {
    const size_t close = value.find(']');
    if (close == absl::string_view::npos) return invalid();
    host = std::string(value.substr(1, close - 1));
    if (close + 1 < value.size()) {
      if (value[close + 1] != ':') return invalid();
      port = std::string(value.substr(close + 2));
      if (port.empty()) return invalid();
    }
  } else if (const size_t colon = value.rfind(':'); colon != absl::string_view::npos) {
    host = std::string(value.substr(0, colon));
    port = std::string(value.substr(colon + 1));
    if (port.empty()) return invalid();
  }
  if (host.empty() || host.find_first_of(bracketed ? " \t" : " \t:") != std::string::npos) {
    return invalid();
  }
  HostPort out;
  out.host = std::move(host);
  if (port.empty()) {
    if (require_port) return invalid();
    return out;
  }
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(port, &parsed) || parsed < 1 || parsed > 65535) return invalid();
  out.port = static_cast<int>(parsed);
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ParseProperties(absl::string_view text) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const size_t sep = line.find_first_of("=:");
    if (sep == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected key=value, got \"", line, "\""));
    }
    std::string key(absl::StripAsciiWhitespace(line.substr(0, sep)));
    if (key.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": empty key"));
    }
    out[key] = std::string(absl::StripAsciiWhitespace(line.substr(sep + 1)));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> LoadPropertiesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream content;
  content << in.rdbuf();
  auto properties = ParseProperties(content.str());
  if (!properties.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", properties.status().message()));
  }
  return properties;
}

std::string DefaultDataDir(absl::string_view component) {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
    return absl::StrCat(xdg, "/eventmesh/", component);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return absl::StrCat(home, "/.local/share/eventmesh/", component);
  }
  return absl::StrCat("/tmp/eventmesh/", component);
}

}  // namespace eventmesh::config
