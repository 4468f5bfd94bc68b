#ifndef THIRD_PARTY_TCMALLOC_HUGE_PAGES_H_
#define THIRD_PARTY_TCMALLOC_HUGE_PAGES_H_

// tcmalloc's heap on transparent huge pages (see tcmalloc_huge_pages.cc). Opt-in: only with
// EVENTMESH_HEAP_HUGE_PAGES=1 in the environment.
//
// Linking //third_party:tcmalloc makes the choice available; with the variable set, a system
// allocator is installed before main() that hands tcmalloc the memory it grows its heap by in
// 2 MiB-aligned, 2 MiB-multiple regions advised MADV_HUGEPAGE. The kernel then backs each region
// with one huge page on first touch instead of 512 small ones: the store's memtables (every
// appended byte is copied into fresh arena memory) take one page fault per 2 MiB instead of one
// per 4 KiB, and the heap needs fewer TLB entries. Memory tcmalloc releases is returned to the
// kernel as before (madvise), a huge page then splitting. Where the kernel has transparent huge
// pages off ("never"), or a region cannot be mapped, the regions are ordinary pages and nothing
// else changes. A thread of the allocator populates the heap ahead of its growth
// (HeapPrefaulting below).
//
// Why it is off by default: while the heap grows (a fresh process, or a store whose memtables
// and tail caches are still filling), zeroing each fresh 2 MiB page took milliseconds on the
// project's virtual machines, and even done ahead by the SCHED_IDLE prefault thread it made the
// p99 latency at 10,000 events/s about three times that with ordinary pages (BENCHMARKS.md, round
// 41), while saving at most a few per cent of CPU at saturation. Ordinary pages are faulted in 4
// KiB at a time where they are first touched, a few microseconds each.

#include <cstddef>

namespace eventmesh::third_party {

// Whether this process's tcmalloc heap grows in huge-page regions: "huge pages" (installed and
// the kernel's transparent_hugepage mode is "always" or "madvise"), "huge pages off in the
// kernel" (installed, mode "never" or unknown: the regions are ordinary pages), or "not
// installed" (the default: EVENTMESH_HEAP_HUGE_PAGES is not 1, or no tcmalloc in this build, e.g.
// under a sanitizer).
const char* HeapHugePagesStatus();

// Whether the allocator is installed (false: the default, or a build without tcmalloc).
bool HeapHugePagesInstalled();

// The bytes of heap the installed allocator has mapped so far (0 when not installed).
size_t HeapHugePagesMappedBytes();

// Whether the allocator's prefault thread runs (only where the allocator is installed): it keeps
// the heap's next EVENTMESH_HEAP_PREFAULT_MB (default 8, 0 = off) MiB past the last region handed
// to tcmalloc populated, so the kernel zeroes fresh huge pages there and not in the thread that
// first touches them. The thread is SCHED_IDLE: it runs only on a core nothing else wants, so
// zeroing a page does not take a core from an event loop (with huge pages on, it halved the
// runtime's p99 latency at 10,000 events/s compared with zeroing in the io threads); on a saturated
// machine the pages are zeroed where they are first touched instead. Needs a kernel with
// MADV_POPULATE_WRITE (5.14 and later).
bool HeapPrefaulting();

// The bytes the prefault thread has populated so far.
size_t HeapPrefaultedBytes();

// Whether the prefault thread has populated everything it aims to (false when it does not run).
bool HeapPrefaultCaughtUp();

}  // namespace eventmesh::third_party

#endif  // THIRD_PARTY_TCMALLOC_HUGE_PAGES_H_
