#include "eventmesh/runtime/webhook/url_filter.h"

#include <netdb.h>
#include <sys/socket.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/asio/ip/address.hpp"

namespace eventmesh::runtime::webhook {

namespace {

using Bytes = std::array<unsigned char, 16>;

std::optional<Bytes> ToBytes(const std::string& text) {
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  if (address.is_v4()) {
    return boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()).to_bytes();
  }
  return address.to_v6().to_bytes();
}

// The address as written (IPv4 for IPv4-mapped addresses).
std::string ToText(const Bytes& bytes) {
  const auto v6 = boost::asio::ip::make_address_v6(bytes);
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  return v6.to_string();
}

std::vector<Bytes> Resolve(const std::string& host) {
  std::vector<Bytes> out;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &result) != 0) return out;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    char buf[NI_MAXHOST];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf), nullptr, 0, NI_NUMERICHOST) ==
        0) {
      std::string text(buf);
      if (auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
      if (auto bytes = ToBytes(text)) out.push_back(*bytes);
    }
  }
  freeaddrinfo(result);
  return out;
}

}  // namespace

absl::StatusOr<UrlFilter::Rule> UrlFilter::ParseRule(const std::string& raw) {
  Rule rule;
  rule.text = raw;
  const std::string text = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("bad webhook URL rule '", raw, "': ", why));
  };
  if (text.empty()) return bad("empty");
  if (text == "*") {
    rule.kind = Rule::kAny;
    return rule;
  }
  std::string address = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    address = text.substr(0, slash);
    if (!absl::SimpleAtoi(text.substr(slash + 1), &prefix) || prefix < 0) {
      return bad("invalid prefix length");
    }
  }
  if (auto bytes = ToBytes(address)) {
    const bool v4 = address.find(':') == std::string::npos;
    const int max = v4 ? 32 : 128;
    if (prefix > max) return bad(absl::StrCat("prefix length above ", max));
    if (prefix < 0) prefix = max;
    rule.kind = Rule::kCidr;
    rule.prefix = v4 ? prefix + 96 : prefix;
    rule.network = *bytes;
    return rule;
  }
  if (prefix >= 0) return bad("not an IP network");
  if (absl::StartsWith(text, "*.")) {
    rule.kind = Rule::kSuffix;
    rule.name = text.substr(1);
    if (rule.name.size() < 2) return bad("empty domain");
    return rule;
  }
  if (text.find_first_of("*/:@ ") != std::string::npos) return bad("not a host name pattern");
  rule.kind = Rule::kExact;
  rule.name = text;
  return rule;
}

absl::StatusOr<UrlFilter> UrlFilter::Create(const std::vector<std::string>& allow,
                                            const std::vector<std::string>& deny,
                                            bool allow_private_networks) {
  UrlFilter filter;
  if (!allow_private_networks) {
    for (const auto& text : PrivateNetworkRules()) filter.private_.push_back(*ParseRule(text));
  }
  for (const auto& text : allow) {
    auto rule = ParseRule(text);
    if (!rule.ok()) return rule.status();
    filter.allow_.push_back(*rule);
  }
  for (const auto& text : deny) {
    auto rule = ParseRule(text);
    if (!rule.ok()) return rule.status();
    filter.deny_.push_back(*rule);
  }
  return filter;
}

bool UrlFilter::MatchesName(const Rule& rule, const std::string& host) {
  switch (rule.kind) {
    case Rule::kAny:
      return true;
    case Rule::kExact:
      return host == rule.name;
    case Rule::kSuffix:
      return absl::EndsWith(host, rule.name) && host.size() > rule.name.size();
    case Rule::kCidr:
      return false;
  }
  return false;
}

bool UrlFilter::MatchesAddress(const Rule& rule, const Bytes& address) {
  if (rule.kind == Rule::kAny) return true;
  if (rule.kind != Rule::kCidr) return false;
  int bits = rule.prefix;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((address[i] & mask) != (rule.network[i] & mask)) return false;
  }
  return true;
}

absl::Status UrlFilter::Check(const net::Url& url) const {
  const std::string host = absl::AsciiStrToLower(url.host);
  std::vector<Bytes> addresses;
  if (auto literal = ToBytes(host)) {
    addresses.push_back(*literal);
  } else {
    addresses = Resolve(host);
  }
  const bool is_literal = url.host_is_ip();
  auto matches = [&](const Rule& rule, bool all_addresses) {
    if (!is_literal && MatchesName(rule, host)) return true;
    if (addresses.empty()) return false;
    if (all_addresses) {
      for (const auto& a : addresses) {
        if (!MatchesAddress(rule, a)) return false;
      }
      return true;
    }
    for (const auto& a : addresses) {
      if (MatchesAddress(rule, a)) return true;
    }
    return false;
  };
  for (const Rule& rule : deny_) {
    if (matches(rule, /*all_addresses=*/false)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "webhook URL '", url.ToString(), "' is refused by deny rule '", rule.text, "'"));
    }
  }
  for (const auto& address : addresses) {
    if (auto status = CheckAddressBytes(url, host, address, ToText(address)); !status.ok()) {
      return status;
    }
  }
  if (allow_.empty()) return absl::OkStatus();
  // Every address must be covered by some allow rule (or the name by a name rule).
  bool name_allowed = false;
  for (const Rule& rule : allow_) {
    if (!is_literal && MatchesName(rule, host)) name_allowed = true;
  }
  if (name_allowed) return absl::OkStatus();
  bool all_covered = !addresses.empty();
  for (const auto& a : addresses) {
    bool covered = false;
    for (const Rule& rule : allow_) covered |= MatchesAddress(rule, a);
    all_covered &= covered;
  }
  if (all_covered) return absl::OkStatus();
  std::vector<std::string> texts;
  for (const Rule& rule : allow_) texts.push_back(rule.text);
  return absl::PermissionDeniedError(
      absl::StrCat("webhook URL '", url.ToString(),
                   "' matches no allow rule (allowed: ", absl::StrJoin(texts, ", "), ")"));
}

absl::Status UrlFilter::CheckAddress(const net::Url& url,
                                     const boost::asio::ip::address& address) const {
  const std::string host = absl::AsciiStrToLower(url.host);
  const Bytes bytes =
      address.is_v4()
          ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4()).to_bytes()
          : address.to_v6().to_bytes();
  for (const Rule& rule : deny_) {
    if (MatchesAddress(rule, bytes)) {
      return absl::PermissionDeniedError(absl::StrCat("webhook URL '", url.ToString(),
                                                      "' resolves to ", address.to_string(),
                                                      ", refused by deny rule '", rule.text, "'"));
    }
  }
  return CheckAddressBytes(url, host, bytes, address.to_string());
}

absl::Status UrlFilter::CheckAddressBytes(const net::Url& url, const std::string& host,
                                          const Bytes& address, const std::string& text) const {
  for (const Rule& range : private_) {
    if (!MatchesAddress(range, address)) continue;
    for (const Rule& rule : allow_) {
      // An explicit allow rule for this address or this host admits it (kAny does not).
      if (rule.kind == Rule::kCidr && MatchesAddress(rule, address)) return absl::OkStatus();
      if ((rule.kind == Rule::kExact || rule.kind == Rule::kSuffix) && !url.host_is_ip() &&
          MatchesName(rule, host)) {
        return absl::OkStatus();
      }
    }
    return absl::PermissionDeniedError(absl::StrCat(
        "webhook URL '", url.ToString(), "' points to the private address ", text, " (", range.text,
        "); allow it with eventMesh.server.http.webhook.allow=", text,
        " or eventMesh.server.http.webhook.allowPrivateNetworks=true"));
  }
  return absl::OkStatus();
}

}  // namespace eventmesh::runtime::webhook
