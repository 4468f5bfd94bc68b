#ifndef EVENTMESH_COMMON_MEMORY_SIZE_H_
#define EVENTMESH_COMMON_MEMORY_SIZE_H_

// Estimates of the heap memory objects own, for caches that bound what they hold by memory
// rather than by count. Estimates, not an exact account: each heap block is rounded up to 16
// bytes as the allocator's smallest size classes are, and allocator metadata is not counted.
// Pure functions; thread-safe.

#include <cstddef>
#include <string>

namespace eventmesh {

// A heap block of `n` requested bytes as the allocator rounds it.
constexpr size_t HeapBlockBytes(size_t n) { return (n + 15) & ~size_t{15}; }

// The heap block a string owns: none while its text fits inside the object (the short-string
// buffer), else its capacity and terminator, rounded.
inline size_t StringHeapBytes(const std::string& s) {
  const char* object = reinterpret_cast<const char*>(&s);
  if (s.data() >= object && s.data() < object + sizeof(s)) return 0;
  return HeapBlockBytes(s.capacity() + 1);
}

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_MEMORY_SIZE_H_
