#include "eventmesh/sdk/internal/http_client_options.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace eventmesh::sdk::http {

std::string RuntimeUrl::ToString() const {
  return absl::StrCat(tls ? "https://" : "http://",
                      absl::StrContains(host, ':') ? absl::StrCat("[", host, "]") : host, ":",
                      port);
}

absl::StatusOr<RuntimeUrl> ParseRuntimeUrl(const std::string& url) {
  auto error = [&url](absl::string_view reason) {
    return absl::InvalidArgumentError(absl::StrCat("runtime URL '", url, "': ", reason));
  };
  RuntimeUrl parsed;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "http://")) {
    parsed.tls = false;
    parsed.port = 80;
  } else if (absl::ConsumePrefix(&rest, "https://")) {
    parsed.tls = true;
    parsed.port = 443;
  } else {
    return error("scheme must be http:// or https://");
  }
  absl::ConsumeSuffix(&rest, "/");
  if (rest.find_first_of("/?#@") != absl::string_view::npos) {
    return error("only scheme://host[:port] is allowed (no path, query or user info)");
  }
  absl::string_view host = rest;
  absl::string_view port_text;
  if (absl::ConsumePrefix(&host, "[")) {  // [v6]:port
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) return error("unterminated '[' in host");
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return error("unexpected text after ']'");
      port_text = after;
    }
  } else {
    const size_t colon = host.rfind(':');
    if (colon != absl::string_view::npos) {
      port_text = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
  }
  if (host.empty()) return error("host is empty");
  if (!port_text.empty() || rest.back() == ':') {
    int port = 0;
    if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
      return error(absl::StrCat("port must be in 1..65535, got '", port_text, "'"));
    }
    parsed.port = port;
  }
  parsed.host = std::string(host);
  return parsed;
}

absl::Status HttpClientOptions::Validate() const {
  if (registry.has_value()) {
    if (auto status = registry->Validate("registry."); !status.ok()) return status;
  } else {
    if (urls.empty()) return absl::InvalidArgumentError("at least one runtime URL is required");
    for (const std::string& url : urls) {
      auto parsed = ParseRuntimeUrl(url);
      if (!parsed.ok()) return parsed.status();
    }
  }
  if (absl::StripAsciiWhitespace(idc).empty()) return absl::InvalidArgumentError("idc is required");
  if (absl::StripAsciiWhitespace(sys).empty()) return absl::InvalidArgumentError("sys is required");
  if (pid < 0)
    return absl::InvalidArgumentError(absl::StrCat("pid must not be negative, got ", pid));
  if (request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("request_timeout must be positive");
  }
  return absl::OkStatus();
}

std::vector<RuntimeUrl> HttpClientOptions::ParsedUrls() const {
  std::vector<RuntimeUrl> out;
  for (const std::string& url : urls) {
    auto parsed = ParseRuntimeUrl(url);
    if (parsed.ok()) out.push_back(*std::move(parsed));
  }
  return out;
}

int HttpClientOptions::EffectivePid() const { return pid != 0 ? pid : static_cast<int>(getpid()); }

}  // namespace eventmesh::sdk::http
