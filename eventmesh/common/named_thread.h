#ifndef EVENTMESH_COMMON_NAMED_THREAD_H_
#define EVENTMESH_COMMON_NAMED_THREAD_H_

// Threads named for `top -H`, /proc/<pid>/task/*/comm and profiles.

#include <string>
#include <thread>
#include <utility>

#include "absl/strings/string_view.h"

namespace eventmesh {

// Names the calling thread: the first 15 bytes of `name` (the kernel's limit); an empty name
// leaves it unchanged.
void SetCurrentThreadName(absl::string_view name);

// A std::thread that names itself `name` (as SetCurrentThreadName) and then runs `fn`.
template <typename F>
std::thread StartNamedThread(absl::string_view name, F&& fn) {
  return std::thread([name = std::string(name), fn = std::forward<F>(fn)]() mutable {
    SetCurrentThreadName(name);
    fn();
  });
}

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_NAMED_THREAD_H_
