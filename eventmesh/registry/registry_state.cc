#include "eventmesh/registry/registry_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"
#include "glog/logging.h"

namespace eventmesh::registry {

namespace {

absl::Status Errno(absl::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(err)));
}

absl::Status WriteAll(int fd, const std::string& path, absl::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("write", path, errno);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Makes a rename or a file creation in the directory of `path` durable.
void SyncDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("write", tmp, errno);
  absl::Status status = WriteAll(fd, tmp, data);
  if (status.ok() && ::fsync(fd) != 0) status = Errno("fsync", tmp, errno);
  ::close(fd);
  if (!status.ok()) return status;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  SyncDirectoryOf(path);
  return absl::OkStatus();
}

// CRC-32 (IEEE 802.3, reflected, as zlib computes it) of a journal record's JSON.
uint32_t Crc32(absl::string_view data) {
  static const auto* const kTable = [] {
    auto* table = new std::array<uint32_t, 256>();
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      (*table)[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char byte : data) crc = (*kTable)[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

// One journal line: 8 hex digits of the CRC-32 of the JSON, a space, the JSON, a newline.
std::string JournalLine(const std::string& json) {
  return absl::StrCat(absl::Hex(Crc32(json), absl::kZeroPad8), " ", json, "\n");
}

// The JSON document of a journal line (without its newline), or why it is not one.
absl::StatusOr<rapidjson::Document> ParseJournalLine(absl::string_view line) {
  uint32_t crc = 0;
  if (line.size() < 10 || line[8] != ' ' || !absl::SimpleHexAtoi(line.substr(0, 8), &crc)) {
    return absl::DataLossError("no checksum");
  }
  const absl::string_view json = line.substr(9);
  if (Crc32(json) != crc) return absl::DataLossError("checksum mismatch");
  auto doc = json::ParseJson(json, "journal record");
  if (!doc.ok()) return doc.status();
  const auto index = json::GetInt64(*doc, "index");
  if (!doc->IsObject() || !index.has_value() || *index <= 0) {
    return absl::DataLossError("no \"index\"");
  }
  return doc;
}

// {"mesh":"m","id":"a"}: names are validated ([A-Za-z0-9._-]), no escaping needed.
void RemovalRecord(const Instance& instance, std::string* out) {
  absl::StrAppend(out, "{\"mesh\":\"", instance.mesh, "\",\"id\":\"", instance.id, "\"}");
}

}  // namespace

std::string RegistryState::Key(absl::string_view mesh, absl::string_view id) {
  return absl::StrCat(mesh, std::string(1, '\0'), id);
}

absl::StatusOr<std::unique_ptr<RegistryState>> RegistryState::Open(RegistryStateOptions options,
                                                                   absl::Time now) {
  if (options.min_ttl <= absl::ZeroDuration() || options.max_ttl < options.min_ttl ||
      options.default_ttl < options.min_ttl || options.default_ttl > options.max_ttl) {
    return absl::InvalidArgumentError(
        "lease bounds must satisfy 0 < min_ttl <= default_ttl <= max_ttl");
  }
  if (options.journal_max_records == 0 || options.journal_max_bytes == 0) {
    return absl::InvalidArgumentError("journal_max_records and journal_max_bytes must be positive");
  }
  std::unique_ptr<RegistryState> state(new RegistryState(std::move(options)));
  if (auto s = state->Load(now); !s.ok()) return s;
  return state;
}

RegistryState::~RegistryState() {
  absl::MutexLock lock(&sync_mu_);
  if (journal_fd_ >= 0) ::close(journal_fd_);
  journal_fd_ = -1;
}

absl::Status RegistryState::Load(absl::Time now) {
  if (options_.state_file.empty()) return absl::OkStatus();
  absl::MutexLock sync_lock(&sync_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (auto s = LoadSnapshot(now); !s.ok()) return s;
    if (auto s = ReplayJournal(now); !s.ok()) return s;
    durable_index_ = index_;
    LOG(INFO) << "registry state loaded from " << options_.state_file << " and " << stats_.replayed
              << " journal records: " << entries_.size() << " instances, index " << index_
              << " (leases restart now)";
  }
  const std::string path = journal_file();
  journal_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (journal_fd_ < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open registry journal ", path, ": ", std::strerror(errno)));
  }
  SyncDirectoryOf(path);
  if (journal_records_ > options_.journal_max_records ||
      journal_bytes_ > options_.journal_max_bytes) {
    if (auto s = Compact(); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot compact the registry state: ", s.message()));
    }
  }
  return absl::OkStatus();
}

void RegistryState::Apply(const Instance& put, absl::Time now) {
  Instance instance = put;
  const absl::Duration ttl =
      std::clamp(absl::Milliseconds(instance.lease_ttl_ms), options_.min_ttl, options_.max_ttl);
  instance.lease_ttl_ms = absl::ToInt64Milliseconds(ttl);
  const std::string key = Key(instance.mesh, instance.id);
  entries_[key] = Entry{std::move(instance), now + ttl};
}

absl::Status RegistryState::LoadSnapshot(absl::Time now) {
  std::ifstream in(options_.state_file, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot read registry state ", options_.state_file, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  auto doc = json::ParseJson(text.str(), absl::StrCat("registry state ", options_.state_file));
  if (!doc.ok()) return doc.status();
  const auto index = json::GetInt64(*doc, "index");
  auto it = doc->FindMember("instances");
  if (!index.has_value() || *index < 0 || it == doc->MemberEnd() || !it->value.IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat("registry state ", options_.state_file,
                                                   " has no \"index\" and \"instances\""));
  }
  index_ = static_cast<uint64_t>(*index);
  for (const auto& value : it->value.GetArray()) {
    auto instance = InstanceFromValue(value);
    if (!instance.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry state ", options_.state_file, ": ", instance.status().message()));
    }
    Apply(*instance, now);
  }
  return absl::OkStatus();
}

absl::Status RegistryState::ReplayJournal(absl::Time now) {
  const std::string path = journal_file();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::OkStatus();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read registry journal ", path, ": ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  size_t pos = 0;
  size_t record = 0;
  std::string torn;  // why the tail was cut
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    ++record;
    if (nl == std::string::npos) {
      torn = "no final newline";
      break;
    }
    auto doc = ParseJournalLine(absl::string_view(text).substr(pos, nl - pos));
    absl::Status bad = doc.status();
    // Applies a valid record; a record with an index the state already has (written before the
    // last compaction finished) is skipped.
    if (bad.ok()) {
      const auto index = static_cast<uint64_t>(*json::GetInt64(*doc, "index"));
      if (index > index_) {
        std::vector<Instance> puts;
        std::vector<std::string> removes;
        if (auto put = doc->FindMember("put"); put != doc->MemberEnd()) {
          auto instance = InstanceFromValue(put->value);
          if (instance.ok()) {
            puts.push_back(*std::move(instance));
          } else {
            bad = instance.status();
          }
        }
        if (auto remove = doc->FindMember("remove"); bad.ok() && remove != doc->MemberEnd()) {
          if (!remove->value.IsArray()) {
            bad = absl::DataLossError("\"remove\" is not a list");
          } else {
            for (const auto& r : remove->value.GetArray()) {
              const auto mesh = json::GetString(r, "mesh");
              const auto id = json::GetString(r, "id");
              if (!mesh.has_value() || !id.has_value()) {
                bad = absl::DataLossError("a removal without mesh and id");
                break;
              }
              removes.push_back(Key(*mesh, *id));
            }
          }
        }
        if (bad.ok()) {
          for (const Instance& instance : puts) Apply(instance, now);
          for (const std::string& key : removes) entries_.erase(key);
          index_ = index;
          ++stats_.replayed;
        }
      }
    }
    if (!bad.ok()) {
      if (nl + 1 == text.size()) {  // the last record: a torn append
        torn = std::string(bad.message());
        break;
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "registry journal ", path, ": record ", record, " (byte offset ", pos, ") is corrupt (",
          bad.message(), ") and ", text.size() - nl - 1,
          " bytes of records follow it; refusing to load a journal damaged in the middle "
          "(restore the state files, or move the journal away to start from the snapshot)"));
    }
    pos = nl + 1;
  }
  if (!torn.empty()) {
    LOG(WARNING) << "registry journal " << path << ": the last record (record " << record
                 << ", byte offset " << pos << ", " << text.size() - pos << " bytes) is torn ("
                 << torn << "), cut off";
    if (::truncate(path.c_str(), static_cast<off_t>(pos)) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot cut the torn tail of registry journal ", path, ": ", std::strerror(errno)));
    }
    stats_.torn_bytes = text.size() - pos;
    --record;
  }
  journal_bytes_ = pos;
  journal_records_ = record;
  stats_.journal_bytes = pos;
  return absl::OkStatus();
}

std::string RegistryState::SnapshotText(uint64_t* index) const {
  std::string out = absl::StrCat("{\"index\":", index_, ",\"instances\":[");
  bool first = true;
  for (const auto& [_, entry] : entries_) {
    if (!first) out.push_back(',');
    first = false;
    AppendJson(entry.instance, &out);
  }
  out.append("]}\n");
  *index = index_;
  return out;
}

absl::Status RegistryState::Compact() const {
  uint64_t index = 0;
  std::string text;
  {
    absl::MutexLock lock(&mu_);
    text = SnapshotText(&index);
  }
  if (auto s = WriteFileAtomically(options_.state_file, text); !s.ok()) return s;
  // A crash from here until the truncation leaves records the snapshot has: replay skips them.
  if (::ftruncate(journal_fd_, 0) != 0 || ::fsync(journal_fd_) != 0) {
    return Errno("truncate", journal_file(), errno);
  }
  journal_bytes_ = 0;
  journal_records_ = 0;
  absl::MutexLock lock(&mu_);
  durable_index_ = std::max(durable_index_, index);
  queued_.erase(std::remove_if(queued_.begin(), queued_.end(),
                               [index](const auto& q) { return q.first <= index; }),
                queued_.end());
  ++stats_.snapshots;
  stats_.journal_bytes = 0;
  return absl::OkStatus();
}

void RegistryState::Sync(uint64_t index) const {
  if (options_.state_file.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    if (durable_index_ >= index) return;
  }
  absl::MutexLock sync_lock(&sync_mu_);
  std::vector<std::pair<uint64_t, std::string>> batch;
  {
    absl::MutexLock lock(&mu_);
    if (durable_index_ >= index) return;  // another thread synced it meanwhile
    batch.swap(queued_);
  }
  uint64_t upto = index;
  std::string data;
  for (const auto& [i, line] : batch) {
    upto = std::max(upto, i);
    data.append(line);
  }
  bool synced = false;
  if (!journal_broken_ && !data.empty()) {
    absl::Status s = WriteAll(journal_fd_, journal_file(), data);
    if (s.ok() && ::fdatasync(journal_fd_) != 0) s = Errno("fsync", journal_file(), errno);
    if (s.ok()) {
      synced = true;
      journal_bytes_ += data.size();
      journal_records_ += batch.size();
    } else {
      LOG(ERROR) << "registry journal not written (up to index " << upto << "): " << s
                 << "; writing a snapshot instead";
      journal_broken_ = true;
    }
  }
  if (journal_broken_ || journal_records_ > options_.journal_max_records ||
      journal_bytes_ > options_.journal_max_bytes) {
    if (auto s = Compact(); s.ok()) {
      journal_broken_ = false;
    } else {
      LOG(ERROR) << "registry state not persisted (index " << upto << "): " << s;
      journal_broken_ = true;
    }
  }
  absl::MutexLock lock(&mu_);
  durable_index_ = std::max(durable_index_, upto);
  if (synced) {
    ++stats_.syncs;
    stats_.records += batch.size();
  }
  stats_.journal_bytes = journal_bytes_;
}

RegistryState::JournalStats RegistryState::journal_stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::vector<RegistryState::Notify> RegistryState::Changed(const std::string& record) {
  ++index_;
  if (!options_.state_file.empty()) {
    queued_.emplace_back(index_,
                         JournalLine(absl::StrCat("{\"index\":", index_, ",", record, "}")));
  }
  std::vector<Notify> fire;
  for (auto it = watches_.begin(); it != watches_.end();) {
    if (index_ > it->second.after) {
      fire.push_back(std::move(it->second.notify));
      it = watches_.erase(it);
    } else {
      ++it;
    }
  }
  return fire;
}

absl::StatusOr<Instance> RegistryState::Put(Instance instance, absl::Duration ttl, absl::Time now) {
  if (auto s = Validate(instance); !s.ok()) return s;
  if (ttl <= absl::ZeroDuration()) ttl = options_.default_ttl;
  ttl = std::clamp(ttl, options_.min_ttl, options_.max_ttl);
  std::vector<Notify> fire;
  Instance stored;
  {
    absl::MutexLock lock(&mu_);
    const std::string key = Key(instance.mesh, instance.id);
    auto it = entries_.find(key);
    instance.lease_ttl_ms = absl::ToInt64Milliseconds(ttl);
    if (it != entries_.end() && it->second.instance.SameReport(instance) &&
        it->second.instance.lease_ttl_ms == instance.lease_ttl_ms) {
      it->second.expires = now + ttl;
      return it->second.instance;
    }
    if (it == entries_.end() && entries_.size() >= options_.max_instances) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the registry holds its maximum of ", options_.max_instances, " instances"));
    }
    instance.modify_index = index_ + 1;
    entries_[key] = Entry{instance, now + ttl};
    std::string record = "\"put\":";
    AppendJson(instance, &record);
    fire = Changed(record);
    stored = std::move(instance);
  }
  Sync(stored.modify_index);
  for (auto& f : fire) f();
  return stored;
}

absl::Status RegistryState::Renew(absl::string_view mesh, absl::string_view id, absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(Key(mesh, id));
  if (it == entries_.end()) {
    return absl::NotFoundError(absl::StrCat("no instance '", id, "' in mesh '", mesh,
                                            "' (never registered, or its lease expired)"));
  }
  it->second.expires = now + absl::Milliseconds(it->second.instance.lease_ttl_ms);
  return absl::OkStatus();
}

absl::Status RegistryState::Remove(absl::string_view mesh, absl::string_view id) {
  std::vector<Notify> fire;
  uint64_t index = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(Key(mesh, id));
    if (it == entries_.end()) {
      return absl::NotFoundError(absl::StrCat("no instance '", id, "' in mesh '", mesh, "'"));
    }
    std::string record;
    RemovalRecord(it->second.instance, &record);
    entries_.erase(it);
    fire = Changed(absl::StrCat("\"remove\":[", record, "]"));
    index = index_;
  }
  Sync(index);
  for (auto& f : fire) f();
  return absl::OkStatus();
}

int RegistryState::Expire(absl::Time now) {
  std::vector<Notify> fire;
  int removed = 0;
  uint64_t index = 0;
  {
    absl::MutexLock lock(&mu_);
    std::string record;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.expires <= now) {
        LOG(INFO) << "registry: lease of " << it->second.instance.mesh << "/"
                  << it->second.instance.id << " expired";
        if (removed > 0) record.push_back(',');
        RemovalRecord(it->second.instance, &record);
        it = entries_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    if (removed == 0) return 0;
    fire = Changed(absl::StrCat("\"remove\":[", record, "]"));
    index = index_;
  }
  Sync(index);
  for (auto& f : fire) f();
  return removed;
}

Snapshot RegistryState::List(absl::string_view mesh) const {
  Snapshot snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot.index = index_;
    for (const auto& [_, entry] : entries_) {
      if (mesh.empty() || entry.instance.mesh == mesh) snapshot.instances.push_back(entry.instance);
    }
  }
  Sync(snapshot.index);  // a reader sees no change that is not on disk yet
  return snapshot;
}

uint64_t RegistryState::index() const {
  absl::MutexLock lock(&mu_);
  return index_;
}

std::vector<std::pair<std::string, size_t>> RegistryState::Meshes() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, size_t> counts;
  for (const auto& [_, entry] : entries_) ++counts[entry.instance.mesh];
  return {counts.begin(), counts.end()};
}

absl::StatusOr<uint64_t> RegistryState::AddWatch(uint64_t after, Notify notify) {
  {
    absl::MutexLock lock(&mu_);
    if (index_ <= after) {
      if (watches_.size() >= options_.max_watchers) {
        return absl::ResourceExhaustedError(absl::StrCat(
            "the registry has its maximum of ", options_.max_watchers, " waiting watches"));
      }
      const uint64_t handle = next_watch_++;
      watches_[handle] = Watch{after, std::move(notify)};
      return handle;
    }
  }
  return 0;  // already passed: the caller answers at once (notify is not run)
}

bool RegistryState::CancelWatch(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  return watches_.erase(handle) > 0;
}

size_t RegistryState::watchers() const {
  absl::MutexLock lock(&mu_);
  return watches_.size();
}

}  // namespace eventmesh::registry
