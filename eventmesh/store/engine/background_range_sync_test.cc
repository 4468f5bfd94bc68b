#include "eventmesh/store/engine/background_range_sync.h"

#include <stdlib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace eventmesh::store {
namespace {

// What reached the files of the wrapped file system.
struct Record {
  std::mutex mu;
  std::vector<std::thread::id> range_sync_threads;
  uint64_t range_sync_bytes = 0;
  int range_syncs_after_close = 0;
};

// A file of the real file system that records its RangeSync calls.
class RecordingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  RecordingFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::shared_ptr<Record> record)
      : FSWritableFileOwnerWrapper(std::move(file)), record_(std::move(record)) {}
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    {
      std::lock_guard<std::mutex> lock(record_->mu);
      record_->range_sync_threads.push_back(std::this_thread::get_id());
      record_->range_sync_bytes += nbytes;
      if (closed_.load()) ++record_->range_syncs_after_close;
    }
    return target()->RangeSync(offset, nbytes, options, dbg);
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    closed_.store(true);
    return target()->Close(options, dbg);
  }

 private:
  const std::shared_ptr<Record> record_;
  std::atomic<bool> closed_{false};
};

class RecordingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit RecordingFileSystem(std::shared_ptr<Record> record)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), record_(std::move(record)) {}
  const char* Name() const override { return "RecordingFileSystem"; }
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<RecordingFile>(std::move(*result), record_);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
    if (s.ok()) *result = std::make_unique<RecordingFile>(std::move(*result), record_);
    return s;
  }

 private:
  const std::shared_ptr<Record> record_;
};

std::string TestPath(const std::string& name) {
  return absl::StrCat(getenv("TEST_TMPDIR"), "/", name);
}

bool WaitFor(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (!done() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return done();
}

std::unique_ptr<rocksdb::FSWritableFile> Open(rocksdb::FileSystem* fs, const std::string& name) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  rocksdb::IOStatus s = fs->NewWritableFile(TestPath(name), rocksdb::FileOptions(), &file, nullptr);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return file;
}

void AppendMiB(rocksdb::FSWritableFile* file, int mib) {
  const std::string block(1 << 20, 'x');
  for (int i = 0; i < mib; ++i) {
    ASSERT_TRUE(file->Append(block, rocksdb::IOOptions(), nullptr).ok());
  }
  ASSERT_TRUE(file->Flush(rocksdb::IOOptions(), nullptr).ok());
}

// A log's range syncs return at once and reach the file on the file system's own thread, with
// every byte asked for; the log's data is whole.
TEST(BackgroundRangeSyncTest, LogRangeSyncsRunOnTheBackgroundThread) {
  auto record = std::make_shared<Record>();
  BackgroundRangeSyncFileSystem fs(std::make_shared<RecordingFileSystem>(record));
  std::unique_ptr<rocksdb::FSWritableFile> log = Open(&fs, "000007.log");
  ASSERT_NE(log, nullptr);
  AppendMiB(log.get(), 3);
  for (uint64_t mib = 0; mib < 3; ++mib) {
    ASSERT_TRUE(log->RangeSync(mib << 20, 1 << 20, rocksdb::IOOptions(), nullptr).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return fs.background_range_sync_bytes() == (3 << 20); }));
  EXPECT_GE(fs.background_range_syncs(), 1);
  EXPECT_LE(fs.background_range_syncs(), 3);  // adjacent ranges may be joined
  {
    std::lock_guard<std::mutex> lock(record->mu);
    EXPECT_EQ(record->range_sync_bytes, uint64_t{3} << 20);
    ASSERT_FALSE(record->range_sync_threads.empty());
    for (const std::thread::id& id : record->range_sync_threads) {
      EXPECT_NE(id, std::this_thread::get_id());
    }
  }
  ASSERT_TRUE(log->Sync(rocksdb::IOOptions(), nullptr).ok());
  ASSERT_TRUE(log->Close(rocksdb::IOOptions(), nullptr).ok());
  uint64_t size = 0;
  ASSERT_TRUE(fs.GetFileSize(TestPath("000007.log"), rocksdb::IOOptions(), &size, nullptr).ok());
  EXPECT_EQ(size, uint64_t{3} << 20);
}

// Other files (tables, the manifest) sync their ranges on the calling thread, as before.
TEST(BackgroundRangeSyncTest, OtherFilesSyncOnTheCallingThread) {
  auto record = std::make_shared<Record>();
  BackgroundRangeSyncFileSystem fs(std::make_shared<RecordingFileSystem>(record));
  std::unique_ptr<rocksdb::FSWritableFile> table = Open(&fs, "000008.sst");
  ASSERT_NE(table, nullptr);
  AppendMiB(table.get(), 1);
  ASSERT_TRUE(table->RangeSync(0, 1 << 20, rocksdb::IOOptions(), nullptr).ok());
  {
    std::lock_guard<std::mutex> lock(record->mu);
    ASSERT_EQ(record->range_sync_threads.size(), 1u);
    EXPECT_EQ(record->range_sync_threads[0], std::this_thread::get_id());
  }
  EXPECT_EQ(fs.background_range_syncs(), 0);
  ASSERT_TRUE(table->Close(rocksdb::IOOptions(), nullptr).ok());
}

// A recycled log (ReuseWritableFile) is a log too.
TEST(BackgroundRangeSyncTest, RecycledLogsAreWrapped) {
  auto record = std::make_shared<Record>();
  BackgroundRangeSyncFileSystem fs(std::make_shared<RecordingFileSystem>(record));
  std::unique_ptr<rocksdb::FSWritableFile> old_log = Open(&fs, "000009.log");
  ASSERT_NE(old_log, nullptr);
  AppendMiB(old_log.get(), 1);
  ASSERT_TRUE(old_log->Close(rocksdb::IOOptions(), nullptr).ok());
  std::unique_ptr<rocksdb::FSWritableFile> log;
  ASSERT_TRUE(fs.ReuseWritableFile(TestPath("000010.log"), TestPath("000009.log"),
                                   rocksdb::FileOptions(), &log, nullptr)
                  .ok());
  AppendMiB(log.get(), 1);
  ASSERT_TRUE(log->RangeSync(0, 1 << 20, rocksdb::IOOptions(), nullptr).ok());
  ASSERT_TRUE(WaitFor([&] { return fs.background_range_syncs() == 1; }));
  ASSERT_TRUE(log->Close(rocksdb::IOOptions(), nullptr).ok());
}

// Closing (or dropping) logs with range syncs still queued: none reaches a closed file, on
// four threads writing their own logs at once.
TEST(BackgroundRangeSyncTest, NoRangeSyncReachesAClosedLog) {
  auto record = std::make_shared<Record>();
  auto fs = std::make_unique<BackgroundRangeSyncFileSystem>(
      std::make_shared<RecordingFileSystem>(record));
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      const std::string block(64 << 10, 'y');
      for (int round = 0; round < 20; ++round) {
        std::unique_ptr<rocksdb::FSWritableFile> log =
            Open(fs.get(), absl::StrCat("w", t, "-", round, ".log"));
        ASSERT_NE(log, nullptr);
        for (uint64_t i = 0; i < 16; ++i) {
          ASSERT_TRUE(log->Append(block, rocksdb::IOOptions(), nullptr).ok());
          ASSERT_TRUE(log->Flush(rocksdb::IOOptions(), nullptr).ok());
          ASSERT_TRUE(
              log->RangeSync(i * block.size(), block.size(), rocksdb::IOOptions(), nullptr).ok());
        }
        if (round % 2 == 0) {
          ASSERT_TRUE(log->Close(rocksdb::IOOptions(), nullptr).ok());
        }  // odd rounds: dropped without Close (RocksDB closes a file in its destructor)
      }
    });
  }
  for (std::thread& w : writers) w.join();
  fs.reset();  // joins the background thread
  std::lock_guard<std::mutex> lock(record->mu);
  EXPECT_EQ(record->range_syncs_after_close, 0);
  EXPECT_GT(record->range_sync_threads.size(), 0u);
}

}  // namespace
}  // namespace eventmesh::store
