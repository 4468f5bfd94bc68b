#include "eventmesh/store/testing/store_test_util.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace eventmesh::store::test_util {

std::string MakeTempDir(absl::string_view prefix) {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string pattern = absl::StrCat(root != nullptr ? root : "/tmp", "/", prefix, "_XXXXXX");
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
  return pattern;
}

std::unique_ptr<RocksDbEventStore> OpenTestStore(absl::string_view prefix,
                                                 const std::string& topic) {
  StoreOptions options;
  options.path = MakeTempDir(prefix);
  options.retention_interval_ms = 0;
  auto store = RocksDbEventStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  if (!topic.empty()) {
    CreateTopicRequest create;
    create.topic = topic;
    auto created = (*store)->CreateTopic(create);
    EXPECT_TRUE(created.ok()) << created.status();
  }
  return *std::move(store);
}

ProducerRecord Rec(std::string payload, std::optional<std::string> key,
                   std::map<std::string, std::string> headers) {
  ProducerRecord r;
  r.key = std::move(key);
  r.headers = std::move(headers);
  r.payload = std::move(payload);
  return r;
}

AppendRequest ToPartition(const std::string& topic, int32_t partition,
                          std::vector<ProducerRecord> records) {
  AppendRequest r;
  r.topic = topic;
  r.partition = partition;
  r.records = std::move(records);
  return r;
}

}  // namespace eventmesh::store::test_util
