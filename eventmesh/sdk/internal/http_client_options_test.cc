#include "eventmesh/sdk/internal/http_client_options.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace eventmesh::sdk::http {
namespace {

TEST(ParseRuntimeUrlTest, AcceptsHttpAndHttpsWithDefaults) {
  auto a = ParseRuntimeUrl("http://127.0.0.1:10105");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 10105);
  EXPECT_EQ(a->ToString(), "http://127.0.0.1:10105");

  auto b = ParseRuntimeUrl("https://mesh.example.com/");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->ToString(), "https://mesh.example.com:443");

  auto c = ParseRuntimeUrl("http://[::1]:8080");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->ToString(), "http://[::1]:8080");
}

TEST(ParseRuntimeUrlTest, RejectsBadUrls) {
  EXPECT_EQ(ParseRuntimeUrl("ftp://x").status().message(),
            "runtime URL 'ftp://x': scheme must be http:// or https://");
  EXPECT_EQ(ParseRuntimeUrl("http://h:0").status().message(),
            "runtime URL 'http://h:0': port must be in 1..65535, got '0'");
  EXPECT_EQ(ParseRuntimeUrl("http://h:").status().message(),
            "runtime URL 'http://h:': port must be in 1..65535, got ''");
  EXPECT_EQ(ParseRuntimeUrl("http://h/path").status().message(),
            "runtime URL 'http://h/path': only scheme://host[:port] is allowed (no path, query "
            "or user info)");
  EXPECT_EQ(ParseRuntimeUrl("http://").status().message(), "runtime URL 'http://': host is empty");
  EXPECT_EQ(ParseRuntimeUrl("http://[::1").status().message(),
            "runtime URL 'http://[::1': unterminated '[' in host");
}

TEST(HttpClientOptionsTest, DefaultsAreValid) {
  HttpClientOptions o;
  EXPECT_TRUE(o.Validate().ok());
  ASSERT_EQ(o.ParsedUrls().size(), 1u);
  EXPECT_EQ(o.ParsedUrls()[0].port, kDefaultHttpPort);
  EXPECT_EQ(o.EffectivePid(), static_cast<int>(getpid()));
  o.pid = 42;
  EXPECT_EQ(o.EffectivePid(), 42);
}

TEST(HttpClientOptionsTest, ValidateNamesTheBadField) {
  HttpClientOptions o;
  o.urls.clear();
  EXPECT_EQ(o.Validate().message(), "at least one runtime URL is required");
  o = HttpClientOptions();
  o.urls = {"http://a:1", "tcp://b"};
  EXPECT_EQ(o.Validate().message(), "runtime URL 'tcp://b': scheme must be http:// or https://");
  o = HttpClientOptions();
  o.idc = " ";
  EXPECT_EQ(o.Validate().message(), "idc is required");
  o = HttpClientOptions();
  o.sys = "";
  EXPECT_EQ(o.Validate().message(), "sys is required");
  o = HttpClientOptions();
  o.pid = -1;
  EXPECT_EQ(o.Validate().message(), "pid must not be negative, got -1");
  o = HttpClientOptions();
  o.request_timeout = absl::ZeroDuration();
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(o.Validate().message(), "request_timeout must be positive");
}

}  // namespace
}  // namespace eventmesh::sdk::http
