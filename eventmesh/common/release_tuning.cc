#include "eventmesh/common/release_tuning.h"

#include <gnu/libc-version.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace eventmesh::common {
namespace {

constexpr std::string_view kRepMovsbThreshold = "glibc.cpu.x86_rep_movsb_threshold";
// Above every copy the process makes in practice (glibc switches to non-temporal stores for
// copies over a fraction of the L3 cache anyway).
constexpr std::string_view kNoRepMovsb = "glibc.cpu.x86_rep_movsb_threshold=4294967296";

// True for a glibc version string ("2.36") older than 2.40: glibc's own fix of bug 30994 dates
// from 2024, and releases from 2.40 on are left to choose for themselves. An unreadable version
// counts as old.
bool GlibcCopiesWithRepMovsb(std::string_view version) {
  const size_t dot = version.find('.');
  if (dot == std::string_view::npos) return true;
  const size_t end = version.find('.', dot + 1);
  const std::string_view major_text = version.substr(0, dot);
  const std::string_view minor_text =
      version.substr(dot + 1, end == std::string_view::npos ? end : end - dot - 1);
  int major = 0;
  int minor = 0;
  if (!absl::SimpleAtoi(absl::string_view(major_text.data(), major_text.size()), &major) ||
      !absl::SimpleAtoi(absl::string_view(minor_text.data(), minor_text.size()), &minor)) {
    return true;
  }
  return major < 2 || (major == 2 && minor < 40);
}

std::string CpuVendor() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return "";
  char vendor[12];
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  return std::string(vendor, sizeof(vendor));
#else
  return "";
#endif
}

std::optional<std::string_view> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string_view(value);
}

void RestartWithFastCopies(char** argv) {
  const std::optional<std::string> tunables =
      GlibcTunablesForFastCopies(Env("GLIBC_TUNABLES"), Env("EVENTMESH_GLIBC_COPY_TUNING"),
                                 CpuVendor(), gnu_get_libc_version());
  if (!tunables.has_value()) return;
  // The program's own path, not /proc/self/exe: the kernel names a process after the file it
  // executes, and `ps`, `top` and `pidof` should keep showing the program's name.
  char path[PATH_MAX];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length <= 0 || static_cast<size_t>(length) >= sizeof(path) - 1) return;
  path[length] = '\0';
  const std::string old_tunables(Env("GLIBC_TUNABLES").value_or(""));
  const bool had_tunables = std::getenv("GLIBC_TUNABLES") != nullptr;
  // The new value names the tunable, so the restarted process decides to keep itself.
  if (setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  execv(path, argv);
  // Still here (the file was replaced or removed since the start, say): the process goes on
  // with glibc's default copies and the environment it was given.
  const int error = errno;
  if (had_tunables) {
    setenv("GLIBC_TUNABLES", old_tunables.c_str(), 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
  std::fprintf(stderr, "eventmesh: could not restart %s with %s (%s); continuing without it\n",
               path, tunables->c_str(), std::strerror(error));
}

}  // namespace

std::optional<std::string> GlibcTunablesForFastCopies(std::optional<std::string_view> tunables,
                                                      std::optional<std::string_view> mode,
                                                      std::string_view cpu_vendor,
                                                      std::string_view glibc_version) {
  if (mode == "off") return std::nullopt;
  // The operator's own setting of the threshold wins, and it stops a second restart.
  if (tunables.has_value() && tunables->find(kRepMovsbThreshold) != std::string_view::npos) {
    return std::nullopt;
  }
  if (mode != "on" && (cpu_vendor != "AuthenticAMD" || !GlibcCopiesWithRepMovsb(glibc_version))) {
    return std::nullopt;
  }
  if (!tunables.has_value() || tunables->empty()) return std::string(kNoRepMovsb);
  std::string value(*tunables);
  value += ':';
  value += kNoRepMovsb;
  return value;
}

void SetMutexLockOrderChecks(bool on) {
  absl::SetMutexDeadlockDetectionMode(on ? absl::OnDeadlockCycle::kAbort
                                         : absl::OnDeadlockCycle::kIgnore);
}

void ApplyReleaseTuning(char** argv) {
  if (argv != nullptr && argv[0] != nullptr) RestartWithFastCopies(argv);
#ifdef NDEBUG
  const char* keep = std::getenv("EVENTMESH_LOCK_ORDER_CHECKS");
  if (keep == nullptr || std::string_view(keep) != "1") SetMutexLockOrderChecks(false);
#endif
}

}  // namespace eventmesh::common
