#include "eventmesh/runtime/admin/dashboard/dashboard_assets.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "eventmesh/runtime/admin/dashboard/embedded_files.h"

namespace eventmesh::runtime::admin {

absl::string_view ContentTypeFor(absl::string_view name) {
  static constexpr std::pair<absl::string_view, absl::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (absl::EndsWith(name, extension)) return type;
  }
  return "application/octet-stream";
}

const std::vector<DashboardAsset>& DashboardAssets() {
  static const std::vector<DashboardAsset>* const assets = [] {
    auto* out = new std::vector<DashboardAsset>();
    for (size_t i = 0; i < internal::kEmbeddedFileCount; ++i) {
      const internal::EmbeddedFile& file = internal::kEmbeddedFiles[i];
      out->push_back({file.name, ContentTypeFor(file.name), file.body});
    }
    std::sort(out->begin(), out->end(),
              [](const DashboardAsset& a, const DashboardAsset& b) { return a.name < b.name; });
    return out;
  }();
  return *assets;
}

const DashboardAsset* FindDashboardAsset(absl::string_view name) {
  const auto& assets = DashboardAssets();
  auto it = std::lower_bound(
      assets.begin(), assets.end(), name,
      [](const DashboardAsset& asset, absl::string_view n) { return asset.name < n; });
  return it != assets.end() && it->name == name ? &*it : nullptr;
}

}  // namespace eventmesh::runtime::admin
