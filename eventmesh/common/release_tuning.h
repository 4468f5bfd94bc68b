#ifndef EVENTMESH_COMMON_RELEASE_TUNING_H_
#define EVENTMESH_COMMON_RELEASE_TUNING_H_

#include <optional>
#include <string>
#include <string_view>

namespace eventmesh::common {

// Process-wide settings, called first thing in the main() of every server, tool and benchmark
// binary, before any thread starts.
//
// 1. glibc's memcpy on AMD CPUs (every build). For copies over about 2 KiB glibc 2.36 (Debian
//    12) uses `rep movsb`, which AMD Zen 3/4 cores run 20-30x slower than the vector loop for
//    some relative alignments of source and destination (glibc bug 30994; copy_benchmark on the
//    project's machine: 64 KiB in 24-26 us instead of 1.3-1.5 us). The store's write-ahead log
//    copies every write batch that way, and push frames are appended that way. On an AMD CPU with a
//    glibc older than 2.40, ApplyReleaseTuning sets
//    GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold (which glibc reads only at start-up) and
//    replaces the process image once with the same program and arguments: same pid, same open
//    files. It leaves the process alone when GLIBC_TUNABLES already names that tunable. The
//    environment variable EVENTMESH_GLIBC_COPY_TUNING chooses: `auto` (the default, as above), `on`
//    (on any CPU and glibc), `off` (never).
//
// 2. In optimised (NDEBUG) builds only: Abseil Mutex lock-order (deadlock) detection off.
//    Debian's libabsl is compiled without NDEBUG, so by default every absl::Mutex::Lock records
//    the lock order in one process-wide graph guarded by one global lock, and every Mutex
//    destruction removes its node: ~50 ns per lock and a point where all threads contend. Tests
//    keep the detection (it aborts on a lock-order inversion); released binaries do not pay for
//    it. EVENTMESH_LOCK_ORDER_CHECKS=1 keeps the checks on in a release binary (to diagnose a
//    hang).
//
// `argv` is main()'s (null-terminated); with a null `argv` the process image is never replaced.
void ApplyReleaseTuning(char** argv);

// Turns Abseil's Mutex lock-order detection on (abort on an inversion) or off, for the whole
// process. ApplyReleaseTuning() calls it with false in NDEBUG builds.
void SetMutexLockOrderChecks(bool on);

// The decision of part 1 above, from its inputs: the GLIBC_TUNABLES value to restart with, or
// nullopt to keep the process as it is. `tunables` and `mode` are the environment variables
// GLIBC_TUNABLES and EVENTMESH_GLIBC_COPY_TUNING (nullopt when unset); `cpu_vendor` is CPUID's
// vendor string ("AuthenticAMD", "GenuineIntel"); `glibc_version` is gnu_get_libc_version()'s.
// An unknown `mode` counts as `auto`.
std::optional<std::string> GlibcTunablesForFastCopies(std::optional<std::string_view> tunables,
                                                      std::optional<std::string_view> mode,
                                                      std::string_view cpu_vendor,
                                                      std::string_view glibc_version);

}  // namespace eventmesh::common

#endif  // EVENTMESH_COMMON_RELEASE_TUNING_H_
