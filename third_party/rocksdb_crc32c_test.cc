#include "third_party/rocksdb_crc32c.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace rocksdb::crc32c {
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
}  // namespace rocksdb::crc32c

namespace eventmesh::third_party {
namespace {

uint32_t Crc(const std::string& s) { return ExtendCrc32c(0, s.data(), s.size()); }

// RFC 3720 (iSCSI) appendix B.4 and the usual check value.
TEST(RocksDbCrc32cTest, KnownVectors) {
  EXPECT_EQ(Crc(""), 0u);
  EXPECT_EQ(Crc("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending(32, '\0'), descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(Crc(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc(descending), 0x113FDB5Cu);
}

TEST(RocksDbCrc32cTest, ExtendingContinuesTheSameChecksum) {
  const std::string text = "The quick brown fox jumps over the lazy dog, 0123456789 times.";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const uint32_t first = ExtendCrc32c(0, text.data(), cut);
    EXPECT_EQ(ExtendCrc32c(first, text.data() + cut, text.size() - cut), Crc(text)) << cut;
  }
}

#if defined(__x86_64__)

// Every length up to 600 at every alignment, and chained extensions, against the library's own
// definition (the one the executable's replaces).
TEST(RocksDbCrc32cTest, SameResultsAsTheLibrarysOwn) {
  using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);
  const auto library =
      reinterpret_cast<ExtendFn>(dlsym(RTLD_NEXT, "_ZN7rocksdb6crc32c6ExtendEjPKcm"));
  ASSERT_NE(library, nullptr) << dlerror();
  ASSERT_NE(library, &::rocksdb::crc32c::Extend);
  std::mt19937 rng(20261205);
  std::vector<char> buffer(1024);
  for (char& c : buffer) c = static_cast<char>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n <= 600; ++n) {
      const char* p = buffer.data() + offset;
      const uint32_t seed = static_cast<uint32_t>(rng());
      ASSERT_EQ(ExtendCrc32c(seed, p, n), library(seed, p, n)) << offset << " " << n;
      ASSERT_EQ(::rocksdb::crc32c::Extend(seed, p, n), library(seed, p, n)) << offset << " " << n;
    }
  }
}

// The library's own calls reach the executable's definition: the first in the global scope.
TEST(RocksDbCrc32cTest, TheLibraryReachesTheExecutablesDefinition) {
  const std::string implementation = RocksDbCrc32cImplementation();
  EXPECT_NE(implementation, "not interposed");
  if (__builtin_cpu_supports("sse4.2")) {
    EXPECT_EQ(implementation, "sse4.2");
  }
}

#endif  // __x86_64__

// RocksDB checks every WAL record's checksum when it reopens a database: 2,000 writes of
// assorted sizes come back whole.
TEST(RocksDbCrc32cTest, RocksDbReopensItsWalWithTheseChecksums) {
  char dir_template[] = "/tmp/rocksdb_crc32c_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kAbsoluteConsistency;
  auto value_of = [](int i) { return std::string(static_cast<size_t>(i % 997), 'a' + i % 26); };
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    for (int i = 0; i < 2000; ++i) {
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), std::to_string(i), value_of(i)).ok());
    }
  }
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (int i = 0; i < 2000; ++i) {
    std::string value;
    ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), std::to_string(i), &value).ok()) << i;
    EXPECT_EQ(value, value_of(i));
  }
  db.reset();
  EXPECT_TRUE(rocksdb::DestroyDB(dir, options).ok());
  rmdir(dir.c_str());
}

}  // namespace
}  // namespace eventmesh::third_party
