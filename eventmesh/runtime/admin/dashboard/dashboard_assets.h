#ifndef EVENTMESH_RUNTIME_ADMIN_DASHBOARD_DASHBOARD_ASSETS_H_
#define EVENTMESH_RUNTIME_ADMIN_DASHBOARD_DASHBOARD_ASSETS_H_

// The dashboard's static files (assets/: index.html, dashboard.css, dashboard.js), compiled into
// the binary at build time, so the admin port serves them with nothing on disk.
//
// Lookup is by exact base name against the fixed table: there is no file system and no path
// resolution, so names with '/', "..", or anything not in the table are simply not found.
// Immutable and thread-safe.

#include <vector>

#include "absl/strings/string_view.h"

namespace eventmesh::runtime::admin {

struct DashboardAsset {
  absl::string_view name;          // "index.html"
  absl::string_view content_type;  // from the extension, e.g. "text/html; charset=utf-8"
  absl::string_view body;
};

// The asset named `name`, or nullptr.
const DashboardAsset* FindDashboardAsset(absl::string_view name);

// Every asset, sorted by name.
const std::vector<DashboardAsset>& DashboardAssets();

// The Content-Type served for a file name: .html, .css, .js, .svg, .json, .png, .ico, else
// "application/octet-stream".
absl::string_view ContentTypeFor(absl::string_view name);

}  // namespace eventmesh::runtime::admin

#endif  // EVENTMESH_RUNTIME_ADMIN_DASHBOARD_DASHBOARD_ASSETS_H_
