#ifndef EVENTMESH_RUNTIME_ADMIN_DASHBOARD_EMBEDDED_FILES_H_
#define EVENTMESH_RUNTIME_ADMIN_DASHBOARD_EMBEDDED_FILES_H_

// The table embed_assets.sh generates at build time (one entry per file under assets/).
// Internal to :dashboard_assets; use dashboard_assets.h.

#include <cstddef>

#include "absl/strings/string_view.h"

namespace eventmesh::runtime::admin::internal {

struct EmbeddedFile {
  const char* name;  // base name, e.g. "index.html"
  absl::string_view body;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

}  // namespace eventmesh::runtime::admin::internal

#endif  // EVENTMESH_RUNTIME_ADMIN_DASHBOARD_EMBEDDED_FILES_H_
