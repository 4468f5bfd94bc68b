#include "eventmesh/store/engine/background_range_sync.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "eventmesh/common/named_thread.h"

namespace eventmesh::store {

// The thread that starts the queued write-backs, and their queue.
class BackgroundRangeSyncFileSystem::Worker {
 public:
  Worker() : thread_(StartNamedThread("em-wal-sync", [this] { Loop(); })) {}

  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Queues the write-back of file[offset, offset + nbytes); joined to the last queued range when
  // that one ends where this one starts in the same file.
  void Enqueue(rocksdb::FSWritableFile* file, uint64_t offset, uint64_t nbytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!queue_.empty() && queue_.back().file == file &&
          queue_.back().offset + queue_.back().nbytes == offset) {
        queue_.back().nbytes += nbytes;
        return;
      }
      queue_.push_back(Range{file, offset, nbytes});
    }
    cv_.notify_one();
  }

  // Drops the queued ranges of `file` and waits for the one being started, if any: afterwards
  // the thread does not touch `file` (unless it is queued again).
  void Forget(rocksdb::FSWritableFile* file) {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      it = it->file == file ? queue_.erase(it) : it + 1;
    }
    idle_cv_.wait(lock, [&] { return running_ != file; });
  }

  int64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

 private:
  struct Range {
    rocksdb::FSWritableFile* file;
    uint64_t offset;
    uint64_t nbytes;
  };

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping (no file is open any more)
      const Range range = queue_.front();
      queue_.pop_front();
      running_ = range.file;
      lock.unlock();
      // A hint: its failure is the next Sync's to report.
      range.file->RangeSync(range.offset, range.nbytes, rocksdb::IOOptions(), nullptr)
          .PermitUncheckedError();
      syncs_.fetch_add(1, std::memory_order_relaxed);
      bytes_.fetch_add(static_cast<int64_t>(range.nbytes), std::memory_order_relaxed);
      lock.lock();
      running_ = nullptr;
      idle_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;       // work queued, or stop_
  std::condition_variable idle_cv_;  // running_ changed
  std::deque<Range> queue_;
  rocksdb::FSWritableFile* running_ = nullptr;
  bool stop_ = false;
  std::atomic<int64_t> syncs_{0};
  std::atomic<int64_t> bytes_{0};
  std::thread thread_;  // last: starts once the members above exist
};

namespace {

// A write-ahead log whose RangeSync calls the worker starts.
class BackgroundRangeSyncFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  BackgroundRangeSyncFile(std::unique_ptr<rocksdb::FSWritableFile> file,
                          std::shared_ptr<BackgroundRangeSyncFileSystem::Worker> worker)
      : FSWritableFileOwnerWrapper(std::move(file)), worker_(std::move(worker)) {}

  ~BackgroundRangeSyncFile() override { worker_->Forget(target()); }

  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions&,
                              rocksdb::IODebugContext*) override {
    worker_->Enqueue(target(), offset, nbytes);
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    worker_->Forget(target());
    return target()->Close(options, dbg);
  }

 private:
  const std::shared_ptr<BackgroundRangeSyncFileSystem::Worker> worker_;
};

}  // namespace

BackgroundRangeSyncFileSystem::BackgroundRangeSyncFileSystem(
    const std::shared_ptr<rocksdb::FileSystem>& target)
    : FileSystemWrapper(target), worker_(std::make_shared<Worker>()) {}

BackgroundRangeSyncFileSystem::~BackgroundRangeSyncFileSystem() = default;

rocksdb::IOStatus BackgroundRangeSyncFileSystem::NewWritableFile(
    const std::string& fname, const rocksdb::FileOptions& file_opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->NewWritableFile(fname, file_opts, result, dbg);
  if (s.ok()) MaybeWrap(fname, result);
  return s;
}

rocksdb::IOStatus BackgroundRangeSyncFileSystem::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname, const rocksdb::FileOptions& file_opts,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  rocksdb::IOStatus s = target()->ReuseWritableFile(fname, old_fname, file_opts, result, dbg);
  if (s.ok()) MaybeWrap(fname, result);
  return s;
}

void BackgroundRangeSyncFileSystem::MaybeWrap(const std::string& fname,
                                              std::unique_ptr<rocksdb::FSWritableFile>* result) {
  if (*result == nullptr || !absl::EndsWith(fname, ".log")) return;
  *result = std::make_unique<BackgroundRangeSyncFile>(std::move(*result), worker_);
}

int64_t BackgroundRangeSyncFileSystem::background_range_syncs() const { return worker_->syncs(); }

int64_t BackgroundRangeSyncFileSystem::background_range_sync_bytes() const {
  return worker_->bytes();
}

}  // namespace eventmesh::store
