#include "eventmesh/sdk/internal/registry_view.h"

#include <utility>

#include "eventmesh/common/backoff.h"
#include "glog/logging.h"

namespace eventmesh::sdk::internal {

RegistryView::RegistryView(registry::Registry* registry, RegistryViewOptions options,
                           OnChange on_change)
    : registry_(registry), options_(std::move(options)), on_change_(std::move(on_change)) {
  thread_ = std::thread([this] { Run(); });
}

RegistryView::~RegistryView() { Stop(); }

void RegistryView::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;  // stopped (or being stopped) by an earlier call
    stopping_ = true;
  }
  registry_->Shutdown();  // the long poll in flight ends now
  thread_.join();
}

bool RegistryView::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void RegistryView::Run() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  uint64_t index = 0;
  bool have = false;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<registry::Snapshot> answer =
        have ? registry_->Watch(options_.mesh, index, options_.wait)
             : registry_->List(options_.mesh);
    if (!answer.ok() && absl::IsNotFound(answer.status())) {
      // Some backends answer a mesh without runtimes with NotFound: an empty mesh.
      answer = registry::Snapshot{have ? index : 0, {}};
    }
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      if (!answer.ok()) {
        ++stats_.errors;
        stats_.fresh = false;
      }
    }
    if (!answer.ok()) {
      const absl::Duration delay = backoff.Next();
      LOG(WARNING) << "registry watch of mesh \"" << options_.mesh << "\" failed, retrying in "
                   << absl::FormatDuration(delay) << ": " << answer.status();
      if (!Sleep(delay)) return;
      continue;
    }
    backoff.Reset();
    const bool moved = !have || answer->index != index;
    index = answer->index;
    have = true;
    {
      absl::MutexLock lock(&mu_);
      ++stats_.answers;
      stats_.fresh = true;
      stats_.index = index;
      if (moved) ++stats_.changes;
      have_ = true;
      snapshot_ = *answer;
    }
    if (moved) {
      if (on_change_) on_change_(*answer);
    } else if (!Sleep(options_.initial_backoff)) {
      return;
    }
  }
}

std::optional<registry::Snapshot> RegistryView::Fresh() const {
  absl::MutexLock lock(&mu_);
  if (!have_ || !stats_.fresh) return std::nullopt;
  return snapshot_;
}

RegistryView::Stats RegistryView::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace eventmesh::sdk::internal
