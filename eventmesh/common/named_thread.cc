#include "eventmesh/common/named_thread.h"

#include <pthread.h>

namespace eventmesh {

void SetCurrentThreadName(absl::string_view name) {
  if (name.empty()) return;
  const std::string truncated(name.substr(0, 15));
  pthread_setname_np(pthread_self(), truncated.c_str());
}

}  // namespace eventmesh
