#include "third_party/tcmalloc_huge_pages.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#ifdef EVENTMESH_WITH_TCMALLOC
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gperftools/malloc_extension.h"
#endif

namespace eventmesh::third_party {
namespace {

std::atomic<size_t> mapped_bytes{0};
std::atomic<size_t> prefaulted_bytes{0};
std::atomic<bool> installed{false};
std::atomic<bool> prefaulting{false};

#ifdef EVENTMESH_WITH_TCMALLOC

constexpr size_t kHugePage = size_t{2} << 20;
// Regions are carved from chunks of this much address space, one after the other, so that the
// memory tcmalloc asks for next is known ahead (the rest of the current chunk).
constexpr size_t kChunk = size_t{64} << 20;
// How far past the last region handed out the prefault thread keeps memory populated, unless
// EVENTMESH_HEAP_PREFAULT_MB says otherwise.
constexpr size_t kDefaultAhead = size_t{8} << 20;

// Maps `size` bytes (a multiple of kHugePage) aligned to kHugePage and advised for huge pages;
// nullptr when the mapping fails.
void* MapHugePageRegion(size_t size) {
  // Map one huge page more than needed, then unmap the unaligned head and the rest of the tail.
  const size_t span = size + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = aligned + size;
  if (start + span > end) munmap(reinterpret_cast<void*>(end), start + span - end);
  void* region = reinterpret_cast<void*>(aligned);
  // Advice only: refused (a kernel without THP) the region is ordinary pages.
  madvise(region, size, MADV_HUGEPAGE);
  return region;
}

// tcmalloc's page heap asks for memory with TCMalloc_SystemAlloc (under its own lock), at least
// 1 MiB at a time; this allocator answers with whole, aligned huge-page regions (tcmalloc uses
// all of `*actual_size`) and leaves anything it cannot map to the allocator it replaced. Never
// freed: tcmalloc never unmaps, it only releases pages with madvise.
//
// The first touch of a fresh huge page makes the kernel zero 2 MiB; in a virtual machine that
// took milliseconds, a stall of whichever thread touched it (at 50,000 events/s, one io-thread
// stall of about 5 ms every 90 ms while the store's memtables grew). So regions come one after
// the other from the current chunk, and a thread of this allocator populates the memory past
// the last region handed out (MADV_POPULATE_WRITE, which faults pages in without changing what
// they hold), `ahead` bytes ahead, mapping the next chunk before the current one runs out: the
// threads that use the regions then find them mapped.
class HugePageSysAllocator : public SysAllocator {
 public:
  HugePageSysAllocator(SysAllocator* fallback, size_t ahead) : fallback_(fallback), ahead_(ahead) {}

  void* Alloc(size_t size, size_t* actual_size, size_t alignment) override {
    if (alignment > kHugePage || size > (size_t{1} << 46)) {
      return fallback_->Alloc(size, actual_size, alignment);
    }
    const size_t rounded = (size + kHugePage - 1) & ~(kHugePage - 1);
    void* region =
        ahead_ > 0 && rounded <= kChunk / 2 ? Carve(rounded) : MapHugePageRegion(rounded);
    if (region == nullptr) return fallback_->Alloc(size, actual_size, alignment);
    if (actual_size != nullptr) *actual_size = rounded;
    mapped_bytes.fetch_add(rounded, std::memory_order_relaxed);
    return region;
  }

  // Starts the prefault thread; false if it could not be started (regions are then populated
  // where they are first touched, as without it).
  bool StartPrefaulting() {
    if (ahead_ == 0) return false;
    // Probe: a kernel before 5.14 does not know MADV_POPULATE_WRITE.
    void* probe = MapHugePageRegion(kHugePage);
    if (probe == nullptr) return false;
    const bool supported = madvise(probe, 4096, MADV_POPULATE_WRITE) == 0;
    munmap(probe, kHugePage);
    if (!supported) return false;
    pthread_t thread;
    if (pthread_create(&thread, nullptr, &HugePageSysAllocator::PrefaultMain, this) != 0) {
      return false;
    }
    pthread_setname_np(thread, "em-heap-fault");
    pthread_detach(thread);
    prefaulting.store(true);  // from here, not from the thread: it may not run for a while
    // A child of fork() has no prefault thread: if the thread held mu_ at the fork, the child's
    // copy would stay locked, and the condition variable would count a waiter that is not there.
    pthread_atfork(nullptr, nullptr, [] {
      instance->mu_ = PTHREAD_MUTEX_INITIALIZER;
      instance->wake_ = PTHREAD_COND_INITIALIZER;
    });
    return true;
  }

  // Whether everything up to `ahead_` past the last region handed out is populated.
  bool CaughtUp() {
    pthread_mutex_lock(&mu_);
    const bool caught_up = NextStep() == Step::kNone;
    pthread_mutex_unlock(&mu_);
    return caught_up && in_flight_.load() == 0;
  }

  static HugePageSysAllocator* instance;

 private:
  // The next `size` bytes of the current chunk, or of the next one when they do not fit (the
  // rest of the old chunk is unmapped). The next chunk is mapped and its start populated ahead
  // by the prefault thread; only if it is not there yet is one mapped here. Under tcmalloc's
  // lock; takes mu_ briefly.
  void* Carve(size_t size) {
    pthread_mutex_lock(&mu_);
    if (cursor_ + size > chunk_end_) {
      uintptr_t chunk = next_;
      uintptr_t populated = next_populated_;
      next_ = 0;
      if (chunk == 0) {
        void* mapped = MapHugePageRegion(kChunk);
        if (mapped == nullptr) {
          pthread_mutex_unlock(&mu_);
          return MapHugePageRegion(size);
        }
        chunk = populated = reinterpret_cast<uintptr_t>(mapped);
      }
      if (chunk_end_ > cursor_) {
        munmap(reinterpret_cast<void*>(cursor_), chunk_end_ - cursor_);
      }
      cursor_ = chunk;
      chunk_end_ = chunk + kChunk;
      populated_ = populated;
      next_map_failed_ = false;
    }
    void* region = reinterpret_cast<void*>(cursor_);
    cursor_ += size;
    pthread_cond_signal(&wake_);
    pthread_mutex_unlock(&mu_);
    return region;
  }

  // What the prefault thread does next (under mu_): the `ahead_` bytes past the cursor lie in
  // the current chunk's rest and, where that is shorter, at the start of the next chunk.
  enum class Step { kNone, kPopulateCurrent, kMapNext, kPopulateNext };
  Step NextStep() const {
    const uintptr_t wanted_end = cursor_ + ahead_;
    if (populated_ < chunk_end_ && populated_ < wanted_end) return Step::kPopulateCurrent;
    if (wanted_end <= chunk_end_) return Step::kNone;
    if (next_ == 0) return next_map_failed_ ? Step::kNone : Step::kMapNext;
    return next_populated_ < next_ + (wanted_end - chunk_end_) ? Step::kPopulateNext : Step::kNone;
  }

  static void* PrefaultMain(void* self) {
    // Zeroing a huge page takes a core for up to milliseconds: the thread runs only when no
    // other thread of the machine wants the core (SCHED_IDLE), so it delays the event loops less
    // than zeroing in them would (though on 2 cores it still raised the p99, which is why huge
    // pages are opt-in). Where the policy cannot be set, it runs as an ordinary thread.
    sched_param param{};
    sched_setscheduler(0, SCHED_IDLE, &param);
    static_cast<HugePageSysAllocator*>(self)->PrefaultLoop();
    return nullptr;
  }

  // Populates one huge page at a time, up to `ahead_` past the last region handed out, and maps
  // the next chunk when that reaches past the current one. Populating and mapping run outside
  // mu_: Carve (under tcmalloc's lock) never waits for them. A range unmapped meanwhile (a
  // chunk's unused rest) makes the madvise fail, which is harmless.
  void PrefaultLoop() {
    for (;;) {
      pthread_mutex_lock(&mu_);
      Step step;
      while ((step = NextStep()) == Step::kNone) pthread_cond_wait(&wake_, &mu_);
      if (step == Step::kMapNext) {
        pthread_mutex_unlock(&mu_);
        void* chunk = MapHugePageRegion(kChunk);
        pthread_mutex_lock(&mu_);
        if (chunk == nullptr) {
          next_map_failed_ = true;  // until Carve moves to a new chunk
        } else if (next_ == 0) {
          next_ = next_populated_ = reinterpret_cast<uintptr_t>(chunk);
        } else {
          munmap(chunk, kChunk);
        }
        pthread_mutex_unlock(&mu_);
        continue;
      }
      uintptr_t& frontier = step == Step::kPopulateCurrent ? populated_ : next_populated_;
      const uintptr_t from = frontier;
      frontier += kHugePage;
      in_flight_.store(1);
      pthread_mutex_unlock(&mu_);
      if (madvise(reinterpret_cast<void*>(from), kHugePage, MADV_POPULATE_WRITE) == 0) {
        prefaulted_bytes.fetch_add(kHugePage, std::memory_order_relaxed);
      }
      in_flight_.store(0);
    }
  }

  SysAllocator* const fallback_;
  const size_t ahead_;
  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake_ = PTHREAD_COND_INITIALIZER;
  uintptr_t cursor_ = 0;           // the next region's start in the current chunk
  uintptr_t chunk_end_ = 0;        // the current chunk's end
  uintptr_t populated_ = 0;        // in the current chunk, taken by the prefault thread below this
  uintptr_t next_ = 0;             // the next chunk (0: not mapped yet)
  uintptr_t next_populated_ = 0;   // in the next chunk, taken by the prefault thread below this
  bool next_map_failed_ = false;   // the prefault thread could not map the next chunk
  std::atomic<int> in_flight_{0};  // 1 while it populates
};

HugePageSysAllocator* HugePageSysAllocator::instance = nullptr;

size_t PrefaultAhead() {
  const char* value = std::getenv("EVENTMESH_HEAP_PREFAULT_MB");
  if (value == nullptr || *value == '\0') return kDefaultAhead;
  char* end = nullptr;
  const unsigned long mb = std::strtoul(value, &end, 10);
  if (*end != '\0' || mb > 1024) return kDefaultAhead;
  return (static_cast<size_t>(mb) << 20) & ~(kHugePage - 1);
}

// Off unless EVENTMESH_HEAP_HUGE_PAGES=1: at moderate rates a growing heap's huge pages cost more
// latency than they save CPU (see tcmalloc_huge_pages.h).
bool EnabledByEnvironment() {
  const char* value = std::getenv("EVENTMESH_HEAP_HUGE_PAGES");
  return value != nullptr && std::strcmp(value, "1") == 0;
}

// Runs before main(): libtcmalloc's own initialiser (a shared library, initialised before the
// executable) has set up its default system allocator by then, which this one falls back to.
// Leaked on purpose: the heap lives as long as the process.
[[maybe_unused]] const bool kInstalled = [] {
  if (!EnabledByEnvironment()) return false;
  MallocExtension* extension = MallocExtension::instance();
  SysAllocator* fallback = extension->GetSystemAllocator();
  if (fallback == nullptr) return false;  // not tcmalloc (no pluggable system allocator)
  auto* allocator = new HugePageSysAllocator(fallback, PrefaultAhead());
  HugePageSysAllocator::instance = allocator;
  extension->SetSystemAllocator(allocator);
  installed.store(true);
  allocator->StartPrefaulting();
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

bool HeapHugePagesInstalled() { return installed.load(); }

size_t HeapHugePagesMappedBytes() { return mapped_bytes.load(std::memory_order_relaxed); }

bool HeapPrefaulting() { return prefaulting.load(); }

bool HeapPrefaultCaughtUp() {
#ifdef EVENTMESH_WITH_TCMALLOC
  if (prefaulting.load()) return HugePageSysAllocator::instance->CaughtUp();
#endif
  return false;
}

size_t HeapPrefaultedBytes() { return prefaulted_bytes.load(std::memory_order_relaxed); }

}  // namespace eventmesh::third_party
