#ifndef EVENTMESH_STORE_ENGINE_BACKGROUND_RANGE_SYNC_H_
#define EVENTMESH_STORE_ENGINE_BACKGROUND_RANGE_SYNC_H_

// RocksDB starts the write-back of a write-ahead log every wal_bytes_per_sync bytes
// (FSWritableFile::RangeSync: sync_file_range(SYNC_FILE_RANGE_WRITE), which promises nothing
// about durability: it only starts writing dirty pages out, so that no later sync meets a whole
// log of them). It does so inside the append that crossed the mark, on the appending thread:
// the file system then allocates blocks and submits the megabyte's pages there, 0.3-0.7 ms of
// that thread's time (more when the disk is busy) every few thousand events, during which the
// publisher whose append it is waits, and every publish behind it.
//
// BackgroundRangeSyncFileSystem hands those write-back starts of write-ahead logs (files named
// "*.log") to a thread of its own ("em-wal-sync"): RangeSync returns at once and the thread
// starts the write-back of the range shortly after, in order, adjacent ranges of one file joined.
// Everything else (every other file, every Sync/Fsync that makes data durable) goes to the
// wrapped file system as it is. A log's Close (and its destruction) first drops the ranges of
// that log still queued and waits for the one in progress, so the thread never touches a
// closed file. Errors of a background range sync are not reported (the call promises nothing);
// the next Sync of the file reports a failing disk.
//
// Thread-safe. The file system must outlive every file it opened (RocksDB's Env holding it
// lives longer than the DB).

#include <cstdint>
#include <memory>
#include <string>

#include "rocksdb/file_system.h"

namespace eventmesh::store {

class BackgroundRangeSyncFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit BackgroundRangeSyncFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target);
  ~BackgroundRangeSyncFileSystem() override;

  static const char* kClassName() { return "BackgroundRangeSyncFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& file_opts,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& file_opts,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;

  // Range syncs started by the background thread so far, and bytes they covered.
  int64_t background_range_syncs() const;
  int64_t background_range_sync_bytes() const;

  class Worker;

 private:
  // Wraps `result` when `fname` is a write-ahead log.
  void MaybeWrap(const std::string& fname, std::unique_ptr<rocksdb::FSWritableFile>* result);

  const std::shared_ptr<Worker> worker_;
};

}  // namespace eventmesh::store

#endif  // EVENTMESH_STORE_ENGINE_BACKGROUND_RANGE_SYNC_H_
