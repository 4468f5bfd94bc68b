#include "eventmesh/runtime/config.h"

#include "gtest/gtest.h"

namespace eventmesh::runtime {
namespace {

TEST(ConfigTest, DefaultsAndEventMeshKeys) {
  auto props = ParseProperties(
      "# comment\n"
      "eventMesh.server.tcp.port=10001\n"
      "eventMesh.server.session.expiredInMills : 5000\n"
      "eventMesh.storage.plugin.type=standalone\n"
      "eventMesh.storage.standalone.syncMode=none\n"
      "eventMesh.server.http.port=10107\n"
      "eventMesh.server.grpc.port=10206\n"
      "eventMesh.server.sendmsg.threads.num=8\n");
  ASSERT_TRUE(props.ok()) << props.status();
  auto config = BuildConfig(*props);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tcp_port, 10001);
  EXPECT_EQ(config->session_expired_ms, 5000);
  EXPECT_EQ(config->storage_type, "standalone");
  EXPECT_EQ(config->connector_config.at("syncMode"), "none");
  // The store's place is the connector's business (ConnectorContext::data_dir), not a key the
  // runtime writes into its section.
  EXPECT_EQ(config->connector_config.count("path"), 0u);
  EXPECT_EQ(config->max_event_size, 1 << 20);
  EXPECT_EQ(config->ignored_keys, std::vector<std::string>{"eventMesh.server.sendmsg.threads.num"});
  EXPECT_EQ(config->grpc_port, 10206);
  EXPECT_FALSE(config->grpc_tls_enabled);
  EXPECT_EQ(config->http_port, 10107);
  EXPECT_EQ(config->http_max_body_size, 4 * 1024 * 1024);
  EXPECT_EQ(config->http_read_timeout_ms, 30'000);
  EXPECT_FALSE(config->tls_enabled);
  EXPECT_EQ(config->server_idc, "FT");
  EXPECT_EQ(config->upstream_buffer_size, 100);
  EXPECT_TRUE(config->topic_auto_create);
}

TEST(ConfigTest, UnknownAndInvalidKeysAreNamed) {
  EXPECT_EQ(BuildConfig({{"eventMesh.server.tcp.prot", "1"}}).status().message(),
            "unknown configuration key eventMesh.server.tcp.prot (did you mean "
            "eventMesh.server.tcp.port?)");
  // Misspelt keys of the sections Apache EventMesh also uses are refused too.
  for (const char* misspelt :
       {"eventMesh.server.security.enabeld", "eventMesh.server.ssl.protocl",
        "eventMesh.server.blacklist.ip4", "eventMesh.server.http.tls.certfile"}) {
    auto config = BuildConfig({{misspelt, "x"}});
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << misspelt;
    EXPECT_EQ(std::string(config.status().message())
                  .find(std::string("unknown configuration key ") + misspelt),
              0u)
        << config.status();
  }
  EXPECT_TRUE(BuildConfig({{"eventMesh.server.ssl.protocol", "TLSv1.2"}}).ok());
  EXPECT_EQ(BuildConfig({{"eventMesh.server.tcp.port", "70000"}}).status().message(),
            "invalid value \"70000\" for key eventMesh.server.tcp.port: expected an integer in "
            "[0, 65535]");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.topic.autoCreate", "yes"}}).status().message(),
            "invalid value \"yes\" for key eventMesh.server.topic.autoCreate: expected true or "
            "false");
  EXPECT_EQ(ParseProperties("a=1\njunk\n").status().message(),
            "line 2: expected key=value, got \"junk\"");
}

TEST(ConfigTest, HttpKeys) {
  auto config = BuildConfig({{"eventMesh.server.http.maxBodySize", "1024"},
                             {"eventMesh.server.http.readTimeoutInMills", "250"},
                             {"eventMesh.server.http.maxInFlightRequests", "3"},
                             {"eventMesh.server.useTls.enabled", "true"},
                             {"eventMesh.server.http.tls.certFile", "/c.pem"},
                             {"eventMesh.server.http.tls.keyFile", "/k.pem"},
                             {"eventMesh.server.idc", "DC1"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->http_max_body_size, 1024);
  EXPECT_EQ(config->http_read_timeout_ms, 250);
  EXPECT_EQ(config->http_max_in_flight, 3);
  EXPECT_TRUE(config->tls_enabled);
  EXPECT_EQ(config->http_tls_cert_file, "/c.pem");
  EXPECT_EQ(config->server_idc, "DC1");
  EXPECT_TRUE(config->ignored_keys.empty());
  EXPECT_EQ(config->http_port, 10105);
  EXPECT_EQ(BuildConfig({{"eventMesh.server.tcp.port", "0"}})->http_port, 0);
  EXPECT_EQ(
      BuildConfig({{"eventMesh.server.tcp.port", "0"}, {"eventMesh.server.http.port", "8080"}})
          ->http_port,
      8080);

  EXPECT_EQ(BuildConfig({{"eventMesh.server.http.port", "-1"}}).status().message(),
            "invalid value \"-1\" for key eventMesh.server.http.port: expected an integer in "
            "[0, 65535]");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.http.maxBodySize", "big"}}).status().message(),
            "invalid value \"big\" for key eventMesh.server.http.maxBodySize: expected an integer "
            "in [1, 1073741824]");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.useTls.enabled", "yes"}}).status().message(),
            "invalid value \"yes\" for key eventMesh.server.useTls.enabled: expected true or "
            "false");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.useTls.enabled", "true"}}).status().message(),
            "keys eventMesh.server.http.tls.certFile and eventMesh.server.http.tls.keyFile are "
            "required when eventMesh.server.useTls.enabled=true");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.http.prot", "1"}}).status().message(),
            "unknown configuration key eventMesh.server.http.prot (did you mean "
            "eventMesh.server.http.port?)");
}

TEST(ConfigTest, WebhookKeys) {
  auto defaults = BuildConfig({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_TRUE(defaults->webhook.enabled);
  EXPECT_FALSE(defaults->webhook.deny.has_value());  // the built-in deny rules apply
  EXPECT_EQ(defaults->webhook.max_attempts, 4);

  auto config = BuildConfig({{"eventMesh.server.http.webhook.enabled", "false"},
                             {"eventMesh.server.http.webhook.maxAttempts", "7"},
                             {"eventMesh.server.http.webhook.retry.initialBackoffMs", "10"},
                             {"eventMesh.server.http.webhook.allow", "10.0.0.0/8, *.example.com"},
                             {"eventMesh.server.http.webhook.deny", ""},
                             {"eventMesh.server.http.webhook.validation.origin", "mesh.example"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->webhook.enabled);
  EXPECT_EQ(config->webhook.max_attempts, 7);
  EXPECT_EQ(config->webhook.initial_backoff_ms, 10);
  EXPECT_EQ(config->webhook.allow, (std::vector<std::string>{"10.0.0.0/8", "*.example.com"}));
  ASSERT_TRUE(config->webhook.deny.has_value());
  EXPECT_TRUE(config->webhook.deny->empty());
  EXPECT_EQ(config->webhook.validation_origin, "mesh.example");

  EXPECT_EQ(BuildConfig({{"eventMesh.server.http.webhook.maxAttempts", "0"}}).status().message(),
            "invalid value \"0\" for key eventMesh.server.http.webhook.maxAttempts: expected an "
            "integer in [1, 1000]");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.http.webhook.colour", "red"}}).status().message(),
            "unknown configuration key eventMesh.server.http.webhook.colour");
}

TEST(ConfigTest, FlagsOverrideTheFile) {
  char arg0[] = "runtime";
  char arg1[] = "--port=1234";
  char arg2[] = "--eventMesh.server.tcp.clientMaxNum=7";
  char* argv[] = {arg0, arg1, arg2};
  auto config = LoadConfigFromArgs(3, argv);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tcp_port, 1234);
  EXPECT_EQ(config->client_max_num, 7);
  char bad[] = "--bogus=1";
  char* argv2[] = {arg0, bad};
  EXPECT_EQ(LoadConfigFromArgs(2, argv2).status().message(), "unknown flag --bogus");
  char missing[] = "--config=/nonexistent/eventmesh.properties";
  char* argv3[] = {arg0, missing};
  EXPECT_EQ(LoadConfigFromArgs(2, argv3).status().message(),
            "cannot read config file /nonexistent/eventmesh.properties");
}

TEST(ConfigTest, RebalanceKeys) {
  auto defaults = BuildConfig({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->rebalance_interval_ms, 30000);
  EXPECT_EQ(defaults->rebalance_redirect_sleep_ms, 200);
  EXPECT_EQ(defaults->advertised_host, "");
  EXPECT_EQ(defaults->advertised_port, 0);

  auto config = BuildConfig({{"eventMesh.server.tcp.RebalanceIntervalInMills", "0"},
                             {"eventMesh.server.rebalanceRedirect.sleepIntervalInMills", "5"},
                             {"eventMesh.server.tcp.advertisedAddress", "mesh-1.example:10010"},
                             {"eventMesh.server.hostIp", "10.0.0.7"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->rebalance_interval_ms, 0);
  EXPECT_EQ(config->rebalance_redirect_sleep_ms, 5);
  EXPECT_EQ(config->advertised_host, "mesh-1.example");
  EXPECT_EQ(config->advertised_port, 10010);
  EXPECT_EQ(config->host_ip, "10.0.0.7");
  EXPECT_TRUE(config->ignored_keys.empty());

  auto host_only = BuildConfig({{"eventMesh.server.tcp.advertisedAddress", "127.0.0.1"}});
  ASSERT_TRUE(host_only.ok()) << host_only.status();
  EXPECT_EQ(host_only->advertised_host, "127.0.0.1");
  EXPECT_EQ(host_only->advertised_port, 0);
  auto v6 = BuildConfig({{"eventMesh.server.tcp.advertisedAddress", "[::1]:9"}});
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->advertised_host, "::1");
  EXPECT_EQ(v6->advertised_port, 9);

  EXPECT_EQ(
      BuildConfig({{"eventMesh.server.tcp.RebalanceIntervalInMills", "-1"}}).status().message(),
      "invalid value \"-1\" for key eventMesh.server.tcp.RebalanceIntervalInMills: "
      "expected an integer in [0, 86400000]");
  EXPECT_EQ(BuildConfig({{"eventMesh.server.rebalanceRedirect.sleepIntervalInMills", "x"}})
                .status()
                .message(),
            "invalid value \"x\" for key "
            "eventMesh.server.rebalanceRedirect.sleepIntervalInMills: expected an integer in "
            "[0, 60000]");
  for (const char* bad : {"", "host:", "host:0", "host:70000", ":10000", "[::1", "[::1]x"}) {
    EXPECT_EQ(BuildConfig({{"eventMesh.server.tcp.advertisedAddress", bad}}).status().message(),
              std::string("invalid value \"") + bad +
                  "\" for key eventMesh.server.tcp.advertisedAddress: expected host or host:port")
        << bad;
  }
}

}  // namespace
}  // namespace eventmesh::runtime
