#ifndef EVENTMESH_TESTING_PEAK_MEMORY_H_
#define EVENTMESH_TESTING_PEAK_MEMORY_H_

// What a test's work costs at its peak, for tests that check a hostile input is refused
// without the memory it would take: the process's peak resident memory, setting it back, and
// running a piece of work in a forked child whose peak no other test has raised.

#include <cstdint>
#include <functional>

namespace eventmesh::testing {

// False in a build with AddressSanitizer or ThreadSanitizer: their allocators add redzones and
// keep freed memory in quarantine, so a peak measured there is not the program's. Tests still
// run the work and check its answers; they compare the growth with their bound only when true.
inline constexpr bool kPeakMemoryIsTheProgramsOwn =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    false;
#else
    true;
#endif

// The process's peak resident memory (VmHWM), in bytes; 0 when /proc does not say.
int64_t PeakRssBytes();

// Sets the peak back to the current resident memory (Linux 4.0+); false when not possible.
bool ResetPeakRss();

// In a forked child: prepare(), then how much work() raises the child's peak; -1 when work()
// returned false or nothing could be measured. The child shares nothing with later tests.
int64_t PeakGrowthInChild(const std::function<void()>& prepare, const std::function<bool()>& work);

}  // namespace eventmesh::testing

#endif  // EVENTMESH_TESTING_PEAK_MEMORY_H_
