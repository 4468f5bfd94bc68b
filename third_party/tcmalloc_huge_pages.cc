#include "third_party/tcmalloc_huge_pages.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef EVENTMESH_WITH_TCMALLOC
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gperftools/malloc_extension.h"
#endif

namespace eventmesh::third_party {
namespace {

std::atomic<size_t> mapped_bytes{0};
std::atomic<bool> installed{false};

#ifdef EVENTMESH_WITH_TCMALLOC

constexpr size_t kHugePage = size_t{2} << 20;

// tcmalloc's page heap asks for memory with TCMalloc_SystemAlloc (under its own lock), at least
// 1 MiB at a time; this allocator answers with whole, aligned huge-page regions (tcmalloc uses
// all of `*actual_size`) and leaves anything it cannot map to the allocator it replaced. Never
// freed: tcmalloc never unmaps, it only releases pages with madvise.
class HugePageSysAllocator : public SysAllocator {
 public:
  explicit HugePageSysAllocator(SysAllocator* fallback) : fallback_(fallback) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    if (alignment > kHugePage || size > (size_t{1} << 46)) {
      return fallback_->Alloc(size, actual_size, alignment);
    }
    const size_t rounded = (size + kHugePage - 1) & ~(kHugePage - 1);
    // Map one huge page more than needed, then unmap the unaligned head and the rest of the tail.
    const size_t span = rounded + kHugePage;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return fallback_->Alloc(size, actual_size, alignment);
    const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
    if (aligned > start) munmap(raw, aligned - start);
    const uintptr_t end = aligned + rounded;
    if (start + span > end) munmap(reinterpret_cast<void*>(end), start + span - end);
    void* region = reinterpret_cast<void*>(aligned);
    // Advice only: refused (a kernel without THP) the region is ordinary pages.
    madvise(region, rounded, MADV_HUGEPAGE);
    if (actual_size != nullptr) *actual_size = rounded;
    mapped_bytes.fetch_add(rounded, std::memory_order_relaxed);
    return region;
  }

 private:
  SysAllocator* const fallback_;
};

bool DisabledByEnvironment() {
  const char* value = std::getenv("EVENTMESH_HEAP_HUGE_PAGES");
  return value != nullptr && std::strcmp(value, "0") == 0;
}

// Runs before main(): libtcmalloc's own initialiser (a shared library, initialised before the
// executable) has set up its default system allocator by then, which this one falls back to.
// Leaked on purpose: the heap lives as long as the process.
[[maybe_unused]] const bool kInstalled = [] {
  if (DisabledByEnvironment()) return false;
  MallocExtension* extension = MallocExtension::instance();
  SysAllocator* fallback = extension->GetSystemAllocator();
  if (fallback == nullptr) return false;  // not tcmalloc (no pluggable system allocator)
  extension->SetSystemAllocator(new HugePageSysAllocator(fallback));
  installed.store(true);
  return true;
}();

// The kernel's transparent_hugepage mode: the bracketed word of
// /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never").
bool KernelHugePagesOn() {
  const int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[128] = {};
  const ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  return std::strstr(buf, "[always]") != nullptr || std::strstr(buf, "[madvise]") != nullptr;
}

#endif  // EVENTMESH_WITH_TCMALLOC

}  // namespace

const char* HeapHugePagesStatus() {
  if (!installed.load()) return "not installed";
#ifdef EVENTMESH_WITH_TCMALLOC
  if (!KernelHugePagesOn()) return "huge pages off in the kernel";
#endif
  return "huge pages";
}

size_t HeapHugePagesMappedBytes() { return mapped_bytes.load(std::memory_order_relaxed); }

}  // namespace eventmesh::third_party
