#include "eventmesh/sdk/internal/url_rotation.h"

#include <utility>

namespace eventmesh::sdk::http {

UrlRotation::UrlRotation(std::vector<RuntimeUrl> urls)
    : urls_(std::move(urls)), failed_(urls_.size(), false) {}

UrlRotation::Pick UrlRotation::Next() {
  absl::MutexLock lock(&mu_);
  const size_t n = urls_.size();
  size_t index = next_ % n;
  for (size_t step = 0; step < n; ++step) {
    const size_t candidate = (next_ + step) % n;
    if (!failed_[candidate]) {
      index = candidate;
      break;
    }
  }
  next_ = index + 1;
  return Pick{urls_[index], index, version_};
}

void UrlRotation::Report(const Pick& pick, bool reached) {
  absl::MutexLock lock(&mu_);
  if (pick.version != version_ || pick.index >= failed_.size()) return;
  failed_[pick.index] = !reached;
}

bool UrlRotation::AllFailed() const {
  absl::MutexLock lock(&mu_);
  for (bool failed : failed_) {
    if (!failed) return false;
  }
  return true;
}

void UrlRotation::Replace(std::vector<RuntimeUrl> urls) {
  absl::MutexLock lock(&mu_);
  urls_ = std::move(urls);
  failed_.assign(urls_.size(), false);
  next_ = 0;
  ++version_;
}

std::vector<RuntimeUrl> UrlRotation::urls() const {
  absl::MutexLock lock(&mu_);
  return urls_;
}

}  // namespace eventmesh::sdk::http
