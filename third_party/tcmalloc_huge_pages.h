#ifndef THIRD_PARTY_TCMALLOC_HUGE_PAGES_H_
#define THIRD_PARTY_TCMALLOC_HUGE_PAGES_H_

// tcmalloc's heap on transparent huge pages (see tcmalloc_huge_pages.cc).
//
// Linking //third_party:tcmalloc installs, before main(), a system allocator that hands tcmalloc
// the memory it grows its heap by in 2 MiB-aligned, 2 MiB-multiple regions advised
// MADV_HUGEPAGE. The kernel then backs each region with one huge page on first touch instead of
// 512 small ones: the store's memtables (every appended byte is copied into fresh arena memory)
// take one page fault per 2 MiB instead of one per 4 KiB, and the heap needs fewer TLB entries.
// Memory tcmalloc releases is returned to the kernel as before (madvise), a huge page then
// splitting. Where the kernel has transparent huge pages off ("never"), or a region cannot be
// mapped, the regions are ordinary pages and nothing else changes. A thread of the allocator
// populates the heap ahead of its growth (HeapPrefaulting below).

#include <cstddef>

namespace eventmesh::third_party {

// Whether this process's tcmalloc heap grows in huge-page regions: "huge pages" (installed and
// the kernel's transparent_hugepage mode is "always" or "madvise"), "huge pages off in the
// kernel" (installed, mode "never" or unknown: the regions are ordinary pages), or "not
// installed" (no tcmalloc in this build, e.g. under a sanitizer, or EVENTMESH_HEAP_HUGE_PAGES=0
// in the environment).
const char* HeapHugePagesStatus();

// The bytes of heap the installed allocator has mapped so far (0 when not installed).
size_t HeapHugePagesMappedBytes();

// Whether the allocator's prefault thread runs: it keeps the heap's next
// EVENTMESH_HEAP_PREFAULT_MB (default 8, 0 = off) MiB past the last region handed to tcmalloc
// populated, so the kernel zeroes fresh huge pages there and not in the thread that first
// touches them. The thread is SCHED_IDLE: it runs only on a core nothing else wants, so zeroing
// a page never delays an event loop (at 10,000 events/s it halved the runtime's p99 latency); on
// a saturated machine the pages are zeroed where they are first touched instead.
// Needs a kernel with MADV_POPULATE_WRITE (5.14 and later).
bool HeapPrefaulting();

// The bytes the prefault thread has populated so far.
size_t HeapPrefaultedBytes();

// Whether the prefault thread has populated everything it aims to (false when it does not run).
bool HeapPrefaultCaughtUp();

}  // namespace eventmesh::third_party

#endif  // THIRD_PARTY_TCMALLOC_HUGE_PAGES_H_
