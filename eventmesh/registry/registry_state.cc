#include "eventmesh/registry/registry_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"
#include "glog/logging.h"

namespace eventmesh::registry {

namespace {

absl::Status WriteFileAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot fsync ", tmp, ": ", std::strerror(err)));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
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
  std::unique_ptr<RegistryState> state(new RegistryState(std::move(options)));
  if (auto s = state->Load(now); !s.ok()) return s;
  return state;
}

absl::Status RegistryState::Load(absl::Time now) {
  if (options_.state_file.empty()) return absl::OkStatus();
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
  absl::MutexLock lock(&mu_);
  index_ = static_cast<uint64_t>(*index);
  for (const auto& value : it->value.GetArray()) {
    auto instance = InstanceFromValue(value);
    if (!instance.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry state ", options_.state_file, ": ", instance.status().message()));
    }
    const absl::Duration ttl =
        std::clamp(absl::Milliseconds(instance->lease_ttl_ms), options_.min_ttl, options_.max_ttl);
    instance->lease_ttl_ms = absl::ToInt64Milliseconds(ttl);
    const std::string key = Key(instance->mesh, instance->id);
    entries_[key] = Entry{*std::move(instance), now + ttl};
  }
  LOG(INFO) << "registry state loaded from " << options_.state_file << ": " << entries_.size()
            << " instances, index " << index_ << " (leases restart now)";
  return absl::OkStatus();
}

absl::Status RegistryState::Persist() {
  if (options_.state_file.empty()) return absl::OkStatus();
  std::string out = absl::StrCat("{\"index\":", index_, ",\"instances\":[");
  bool first = true;
  for (const auto& [_, entry] : entries_) {
    if (!first) out.push_back(',');
    first = false;
    AppendJson(entry.instance, &out);
  }
  out.append("]}\n");
  return WriteFileAtomically(options_.state_file, out);
}

std::vector<RegistryState::Notify> RegistryState::Changed() {
  ++index_;
  if (auto s = Persist(); !s.ok()) {
    LOG(ERROR) << "registry state not persisted (index " << index_ << "): " << s;
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
    fire = Changed();
    stored = std::move(instance);
  }
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
  {
    absl::MutexLock lock(&mu_);
    if (entries_.erase(Key(mesh, id)) == 0) {
      return absl::NotFoundError(absl::StrCat("no instance '", id, "' in mesh '", mesh, "'"));
    }
    fire = Changed();
  }
  for (auto& f : fire) f();
  return absl::OkStatus();
}

int RegistryState::Expire(absl::Time now) {
  std::vector<Notify> fire;
  int removed = 0;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->second.expires <= now) {
        LOG(INFO) << "registry: lease of " << it->second.instance.mesh << "/"
                  << it->second.instance.id << " expired";
        it = entries_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    if (removed > 0) fire = Changed();
  }
  for (auto& f : fire) f();
  return removed;
}

Snapshot RegistryState::List(absl::string_view mesh) const {
  absl::MutexLock lock(&mu_);
  Snapshot snapshot;
  snapshot.index = index_;
  for (const auto& [_, entry] : entries_) {
    if (mesh.empty() || entry.instance.mesh == mesh) snapshot.instances.push_back(entry.instance);
  }
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
