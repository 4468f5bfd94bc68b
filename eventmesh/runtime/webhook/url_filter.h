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
// rules only (delivery to it will fail anyway).
// Private networks (PrivateNetworkRules: loopback, RFC 1918, carrier-grade NAT, unique-local
// and unspecified addresses) are refused unless allow_private_networks is set, or an allow rule
// names the address (CIDR/IP) or the URL's host (name rule): a subscriber cannot point the
// runtime at its own admin ports or the internal network (SSRF).
// CheckAddress repeats the address part of Check for each address actually connected to (the
// webhook client calls it after its own resolution), so a name that resolves to a public address
// at registration and to a private one later (DNS rebinding) is still refused.
// Defaults (kDefaultDenyRules): deny link-local 169.254.0.0/16 and fe80::/10 (cloud metadata
// endpoints).
// Thread-safe (immutable after Create). Errors: Create: InvalidArgument naming a bad rule;
// Check: PermissionDenied naming the URL and the rule.

#include <array>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/asio/ip/address.hpp"
#include "eventmesh/net/http_client.h"

namespace eventmesh::runtime::webhook {

inline const std::vector<std::string>& DefaultDenyRules() {
  static const auto* rules = new std::vector<std::string>{"169.254.0.0/16", "fe80::/10"};
  return *rules;
}

inline const std::vector<std::string>& PrivateNetworkRules() {
  static const auto* rules = new std::vector<std::string>{
      "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
      "0.0.0.0/8",   "::1/128",    "::/128",        "fc00::/7"};
  return *rules;
}

class UrlFilter {
 public:
  static absl::StatusOr<UrlFilter> Create(const std::vector<std::string>& allow,
                                          const std::vector<std::string>& deny,
                                          bool allow_private_networks = false);

  // PermissionDenied "webhook URL '<url>' is refused by deny rule '<rule>'",
  // "webhook URL '<url>' matches no allow rule (allowed: <rules>)" or "webhook URL '<url>'
  // points to the private address <a> (<range>); allow it with
  // eventMesh.server.http.webhook.allow=<a> or allowPrivateNetworks=true".
  absl::Status Check(const net::Url& url) const;

  // The connect-time check of one resolved `address` of `url` (deny rules and the private
  // network policy; the allow list was checked by Check). Same errors as Check.
  absl::Status CheckAddress(const net::Url& url, const boost::asio::ip::address& address) const;

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

  absl::Status CheckAddressBytes(const net::Url& url, const std::string& host,
                                 const std::array<unsigned char, 16>& address,
                                 const std::string& text) const;

  std::vector<Rule> allow_;
  std::vector<Rule> deny_;
  std::vector<Rule> private_;  // empty when private networks are allowed
};

}  // namespace eventmesh::runtime::webhook

#endif  // EVENTMESH_RUNTIME_WEBHOOK_URL_FILTER_H_
