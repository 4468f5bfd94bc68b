#include "eventmesh/runtime/webhook/url_filter.h"

#include "gtest/gtest.h"

namespace eventmesh::runtime::webhook {
namespace {

absl::Status CheckUrl(const UrlFilter& filter, const std::string& text) {
  auto url = net::ParseUrl(text);
  EXPECT_TRUE(url.ok()) << url.status();
  return filter.Check(*url);
}

TEST(UrlFilterTest, DefaultsRefusePrivateNetworksWithTheWayToAllowThem) {
  auto filter = UrlFilter::Create({}, DefaultDenyRules());
  ASSERT_TRUE(filter.ok());
  absl::Status refused = CheckUrl(*filter, "http://127.0.0.1:8080/hook");
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "webhook URL 'http://127.0.0.1:8080/hook' points to the private address 127.0.0.1 "
            "(127.0.0.0/8); allow it with eventMesh.server.http.webhook.allow=127.0.0.1 or "
            "eventMesh.server.http.webhook.allowPrivateNetworks=true");
  for (const char* url : {"http://localhost/hook", "http://[::1]:9/", "https://10.1.2.3/",
                          "http://172.20.0.1/", "http://192.168.1.1/", "http://0.0.0.0:80/",
                          "http://[fd00::1]/", "http://[::ffff:10.0.0.1]/", "http://100.64.0.1/"}) {
    EXPECT_EQ(CheckUrl(*filter, url).code(), absl::StatusCode::kPermissionDenied) << url;
  }
  EXPECT_TRUE(CheckUrl(*filter, "http://93.184.216.34/hook").ok());
  EXPECT_TRUE(CheckUrl(*filter, "http://172.32.0.1/").ok());  // just outside 172.16.0.0/12
}

TEST(UrlFilterTest, PrivateAddressesAdmittedByExplicitRuleOrSwitch) {
  auto by_address = UrlFilter::Create({"127.0.0.1", "*.example.com"}, DefaultDenyRules());
  ASSERT_TRUE(by_address.ok());
  EXPECT_TRUE(CheckUrl(*by_address, "http://127.0.0.1:8080/hook").ok());
  EXPECT_EQ(CheckUrl(*by_address, "http://127.0.0.2:8080/hook").code(),
            absl::StatusCode::kPermissionDenied);
  // "*" alone does not open private networks.
  auto any = UrlFilter::Create({"*"}, DefaultDenyRules());
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(CheckUrl(*any, "http://10.0.0.1/").code(), absl::StatusCode::kPermissionDenied);

  auto open = UrlFilter::Create({}, DefaultDenyRules(), /*allow_private_networks=*/true);
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(CheckUrl(*open, "http://127.0.0.1:8080/hook").ok());
  EXPECT_TRUE(CheckUrl(*open, "http://localhost/hook").ok());
  // Link-local (cloud metadata) stays denied.
  EXPECT_EQ(CheckUrl(*open, "http://169.254.169.254/").code(), absl::StatusCode::kPermissionDenied);
}

TEST(UrlFilterTest, ConnectTimeAddressesAreCheckedAgain) {
  // A name that looked public at registration may resolve to a private address when the
  // webhook client connects (DNS rebinding): CheckAddress judges the address connected to.
  auto filter = UrlFilter::Create({}, DefaultDenyRules());
  ASSERT_TRUE(filter.ok());
  auto url = net::ParseUrl("http://hooks.rebind.test/x");
  ASSERT_TRUE(url.ok());
  absl::Status refused = filter->CheckAddress(*url, boost::asio::ip::make_address("127.0.0.1"));
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "webhook URL 'http://hooks.rebind.test/x' points to the private address 127.0.0.1 "
            "(127.0.0.0/8); allow it with eventMesh.server.http.webhook.allow=127.0.0.1 or "
            "eventMesh.server.http.webhook.allowPrivateNetworks=true");
  EXPECT_EQ(filter->CheckAddress(*url, boost::asio::ip::make_address("169.254.169.254")).message(),
            "webhook URL 'http://hooks.rebind.test/x' resolves to 169.254.169.254, refused by "
            "deny rule '169.254.0.0/16'");
  EXPECT_TRUE(filter->CheckAddress(*url, boost::asio::ip::make_address("93.184.216.34")).ok());
  // A host allowed by name may live on a private network.
  auto named = UrlFilter::Create({"*.rebind.test"}, DefaultDenyRules());
  ASSERT_TRUE(named.ok());
  EXPECT_TRUE(named->CheckAddress(*url, boost::asio::ip::make_address("10.1.1.1")).ok());
}

TEST(UrlFilterTest, LinkLocalIsDeniedByDefault) {
  auto filter = UrlFilter::Create({}, DefaultDenyRules(), /*allow_private_networks=*/true);
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(CheckUrl(*filter, "http://127.0.0.1:8080/hook").ok());
  EXPECT_TRUE(CheckUrl(*filter, "http://localhost/hook").ok());
  EXPECT_TRUE(CheckUrl(*filter, "http://[::1]:9/").ok());
  EXPECT_TRUE(CheckUrl(*filter, "https://10.1.2.3/").ok());
  absl::Status denied = CheckUrl(*filter, "http://169.254.169.254/latest/meta-data");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "webhook URL 'http://169.254.169.254/latest/meta-data' is refused by deny rule "
            "'169.254.0.0/16'");
  denied = CheckUrl(*filter, "http://[fe80::1]:80/");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "webhook URL 'http://[fe80::1]/' is refused by deny rule 'fe80::/10'");
  // IPv4-mapped IPv6 counts as IPv4.
  denied = CheckUrl(*filter, "http://[::ffff:169.254.1.1]/");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
}

TEST(UrlFilterTest, DenyRulesMatchNamesAndResolvedAddresses) {
  auto filter = UrlFilter::Create({}, {"evil.test", "*.bad.test", "127.0.0.0/8"},
                                  /*allow_private_networks=*/true);
  ASSERT_TRUE(filter.ok());
  absl::Status denied = CheckUrl(*filter, "http://EVIL.test:8080/x");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "webhook URL 'http://evil.test:8080/x' is refused by deny rule 'evil.test'");
  EXPECT_EQ(CheckUrl(*filter, "http://a.b.bad.test/").code(), absl::StatusCode::kPermissionDenied);
  // The apex does not match "*.bad.test"; it is not resolvable offline, so only names count.
  EXPECT_TRUE(CheckUrl(*filter, "http://bad.test/").ok());
  // localhost resolves to a loopback address.
  denied = CheckUrl(*filter, "http://localhost:1/");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "webhook URL 'http://localhost:1/' is refused by deny rule '127.0.0.0/8'");
}

TEST(UrlFilterTest, AllowListRestricts) {
  auto filter = UrlFilter::Create({"*.example.com", "10.0.0.0/8"}, DefaultDenyRules(),
                                  /*allow_private_networks=*/true);
  ASSERT_TRUE(filter.ok());
  EXPECT_TRUE(CheckUrl(*filter, "https://hooks.example.com/x").ok());
  EXPECT_TRUE(CheckUrl(*filter, "http://10.200.0.1/").ok());
  absl::Status denied = CheckUrl(*filter, "http://11.0.0.1/");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "webhook URL 'http://11.0.0.1/' matches no allow rule (allowed: *.example.com, "
            "10.0.0.0/8)");
  EXPECT_EQ(CheckUrl(*filter, "http://example.com/").code(), absl::StatusCode::kPermissionDenied);
  // Deny wins over allow.
  auto both = UrlFilter::Create({"*"}, {"10.0.0.5"}, /*allow_private_networks=*/true);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(CheckUrl(*both, "http://10.0.0.5/").message(),
            "webhook URL 'http://10.0.0.5/' is refused by deny rule '10.0.0.5'");
  EXPECT_TRUE(CheckUrl(*both, "http://10.0.0.6/").ok());
}

TEST(UrlFilterTest, BadRulesAreInvalidArgument) {
  struct Case {
    std::string rule;
    std::string message;
  };
  const Case cases[] = {
      {"10.0.0.0/33", "bad webhook URL rule '10.0.0.0/33': prefix length above 32"},
      {"fe80::/129", "bad webhook URL rule 'fe80::/129': prefix length above 128"},
      {"host/8", "bad webhook URL rule 'host/8': not an IP network"},
      {"10.0.0.0/x", "bad webhook URL rule '10.0.0.0/x': invalid prefix length"},
      {"", "bad webhook URL rule '': empty"},
      {"a*b", "bad webhook URL rule 'a*b': not a host name pattern"},
  };
  for (const Case& c : cases) {
    auto filter = UrlFilter::Create({}, {c.rule});
    ASSERT_FALSE(filter.ok()) << c.rule;
    EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(filter.status().message(), c.message);
  }
}

}  // namespace
}  // namespace eventmesh::runtime::webhook
