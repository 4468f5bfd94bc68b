#include "eventmesh/store/service/store_config.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace eventmesh::store::service {
namespace {

absl::StatusOr<StoreServiceConfig> Parse(std::vector<std::string> args) {
  return ParseStoreServiceArgs(args);
}

TEST(StoreConfigTest, DefaultsAndFlagForms) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->port, kDefaultStorePort);
  EXPECT_EQ(defaults->bind, "127.0.0.1");
  EXPECT_EQ(defaults->data_dir, "");
  EXPECT_EQ(defaults->sync, SyncMode::kBatch);
  EXPECT_EQ(defaults->max_batch_events, AppendLimits{}.max_batch_events);

  auto parsed = Parse({"--port=0", "-sync=none", "--data_dir", "/d", "--io_threads=3", "--"});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->port, 0);
  EXPECT_EQ(parsed->sync, SyncMode::kNone);
  EXPECT_EQ(parsed->data_dir, "/d");
  EXPECT_EQ(parsed->io_threads, 3);
}

TEST(StoreConfigTest, ErrorsNameTheFlag) {
  EXPECT_EQ(Parse({"--prot=1"}).status().message(),
            "unknown configuration key --prot (did you mean --port?)");
  EXPECT_EQ(Parse({"--port=70000"}).status().message(),
            "invalid value \"70000\" for key --port: expected an integer in [0, 65535]");
  EXPECT_EQ(Parse({"--sync=fast"}).status().message(),
            "--sync: sync mode must be one of none|batch|always, got \"fast\"");
  EXPECT_EQ(Parse({"--max_batch_bytes=0"}).status().message(),
            "invalid value \"0\" for key --max_batch_bytes: expected an integer >= 1");
  EXPECT_EQ(Parse({"--bind="}).status().message(), "empty value for key --bind");
  EXPECT_EQ(Parse({"--port"}).status().message(), "missing value for flag --port");
  EXPECT_EQ(Parse({"extra"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--config=/nonexistent/store.conf"}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(StoreConfigTest, MaxRequestFieldsMustHoldAFullBatch) {
  auto config = Parse({"--max_batch_events=100000", "--max_request_fields=200016"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->max_request_fields, 200016);
  EXPECT_EQ(Parse({"--max_batch_events=100000"}).status().message(),
            "max_request_fields (131072) must be at least 2 x max_batch_events + 16 (200016) so "
            "a full batch fits in one request");
}

TEST(StoreConfigTest, FileKeysWithLineNumbersAndFlagsWin) {
  StoreServiceConfig config;
  EXPECT_EQ(ApplyStoreServiceConfigText("s.conf", "# c\nport=1\nbogus_key=1\n", &config).message(),
            "s.conf:3: unknown configuration key bogus_key");
  EXPECT_EQ(ApplyStoreServiceConfigText("s.conf", "port=x\n", &config).message(),
            "s.conf:1: invalid value \"x\" for key port: expected an integer in [0, 65535]");
  EXPECT_EQ(ApplyStoreServiceConfigText("s.conf", "\nport\n", &config).message(),
            "s.conf:2: expected key=value, got \"port\"");

  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/store.conf";
  std::ofstream(path) << "port = 7\nsync=always\nexecutor_threads=5\n";
  auto parsed = Parse({"--sync=none", "--config=" + path});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->port, 7);
  EXPECT_EQ(parsed->sync, SyncMode::kNone);  // the command line wins, wherever --config is
  EXPECT_EQ(parsed->executor_threads, 5);
}

}  // namespace
}  // namespace eventmesh::store::service
