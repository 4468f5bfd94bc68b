#ifndef EVENTMESH_RUNTIME_WEBHOOK_URL_FILTER_H_
#define EVENTMESH_RUNTIME_WEBHOOK_URL_FILTER_H_

// Decides which webhook URLs may be registered.
//
// A rule is a CIDR block ("10.0.0.0/8", "fe80::/10"), a single IP address ("127.0.0.1"), a
// host name ("hooks.example.com", exact, case-insensitive), a wildcard ("*.example.com":
// any subdomain, not the apex) or "*" (everything).
// Check(url): the URL's host is matched against the rules; a host name is also resolved and
// each of its addresses matched against the CIDR/IP rules (IPv4-mapped IPv6 addresses count
// as IPv4). Deny rules win: any match refuses. With a non-empty allow list, the host (or every
// resolved address) must match an allow rule. A name that does not resolve is judged by name
// rules only (delivery to it will fail anyway). Names are resolved once, at Check time; DNS
// that changes later is not re-checked.
// Defaults (kDefaultDenyRules): deny link-local 169.254.0.0/16 and fe80::/10 (cloud metadata
// endpoints); loopback and private networks are allowed.
// Thread-safe (immutable after Create). Errors: Create: InvalidArgument naming a bad rule;
// Check: PermissionDenied naming the URL and the rule.

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "eventmesh/net/http_client.h"

namespace eventmesh::runtime::webhook {

inline const std::vector<std::string>& DefaultDenyRules() {
  static const auto* rules = new std::vector<std::string>{"169.254.0.0/16", "fe80::/10"};
  return *rules;
}

class UrlFilter {
 public:
  static absl::StatusOr<UrlFilter> Create(const std::vector<std::string>& allow,
                                          const std::vector<std::string>& deny);

  // PermissionDenied "webhook URL '<url>' is refused by deny rule '<rule>'" or
  // "webhook URL '<url>' matches no allow rule (allowed: <rules>)".
  absl::Status Check(const net::Url& url) const;

 private:
  struct Rule {
    std::string text;
    enum Kind { kCidr, kExact, kSuffix, kAny } kind = kAny;
    std::array<unsigned char, 16> network{};  // IPv6 (IPv4 mapped)
    int prefix = 0;
    std::string name;  // kExact: host, kSuffix: ".example.com"
  };
  static absl::StatusOr<Rule> ParseRule(const std::string& text);
  static bool MatchesName(const Rule& rule, const std::string& host);
  static bool MatchesAddress(const Rule& rule, const std::array<unsigned char, 16>& address);

  std::vector<Rule> allow_;
  std::vector<Rule> deny_;
};

}  // namespace eventmesh::runtime::webhook

#endif  // EVENTMESH_RUNTIME_WEBHOOK_URL_FILTER_H_
