// The chaos suite: bazel run -c opt //tools/chaos -- [--configs=embedded-batch,store-always]
// [--faults=50] [--interval=1s] [--rate=2000] [--seed=N] [--fault_kinds=kill-runtime,...]
// Runs each configuration with faults injected (see chaos_run.h) and prints what was lost,
// duplicated or unexpected. Exit status 0 only when no configuration lost an acknowledged event
// or saw an unexpected one.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "eventmesh/common/release_tuning.h"
#include "tools/chaos/chaos_run.h"

ABSL_FLAG(std::string, configs, "embedded-batch,embedded-always,store-batch,store-always",
          "comma-separated configurations <embedded|store>-<none|batch|always>");
ABSL_FLAG(int, faults, 50, "faults injected per configuration");
ABSL_FLAG(std::string, fault_kinds, "",
          "comma-separated fault kinds to choose from (default: every kind that applies): "
          "kill-runtime, stop-runtime, kill-store, stop-store, cut-connections, crash-consumer");
ABSL_FLAG(absl::Duration, interval, absl::Seconds(1), "traffic between two faults");
ABSL_FLAG(int, rate, 2000, "publishes per second");
ABSL_FLAG(int, consumers, 2, "members of the consumer group");
ABSL_FLAG(absl::Duration, stop_time, absl::Milliseconds(2500), "how long SIGSTOP lasts");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(90),
          "how long the consumers may take to receive every acknowledged event at the end");
ABSL_FLAG(uint64_t, seed, 0, "fault schedule seed (0 = from the clock; printed)");
ABSL_FLAG(std::string, runtime_binary, "", "the runtime binary (default: from runfiles)");
ABSL_FLAG(std::string, store_binary, "", "the store service binary (default: from runfiles)");
ABSL_FLAG(std::string, work_dir, "",
          "data directories and process logs (default: $TEST_TMPDIR or /tmp/eventmesh-chaos)");

namespace {

// `path` inside this binary's runfiles (bazel run / bazel test), or "" when absent.
std::string Runfile(const char* argv0, const std::string& path) {
  std::vector<std::string> roots;
  if (const char* dir = std::getenv("RUNFILES_DIR")) roots.push_back(dir);
  if (const char* dir = std::getenv("TEST_SRCDIR")) roots.push_back(dir);
  roots.push_back(absl::StrCat(argv0, ".runfiles"));
  for (const auto& root : roots) {
    const std::string candidate = absl::StrCat(root, "/eventmesh/", path);
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  eventmesh::common::ApplyReleaseTuning(argv);
  absl::ParseCommandLine(argc, argv);
  eventmesh::chaos::ChaosOptions options;
  options.runtime_binary = absl::GetFlag(FLAGS_runtime_binary);
  if (options.runtime_binary.empty()) {
    options.runtime_binary = Runfile(argv[0], "eventmesh/runtime/runtime");
  }
  options.store_binary = absl::GetFlag(FLAGS_store_binary);
  if (options.store_binary.empty()) {
    options.store_binary = Runfile(argv[0], "eventmesh/store/service/store_main");
  }
  if (options.runtime_binary.empty() || options.store_binary.empty()) {
    std::cerr << "chaos: cannot find the runtime or store binary; run it with bazel run "
                 "//tools/chaos or pass --runtime_binary and --store_binary\n";
    return 2;
  }
  options.work_dir = absl::GetFlag(FLAGS_work_dir);
  if (options.work_dir.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    options.work_dir = tmp != nullptr ? absl::StrCat(tmp, "/chaos") : "/tmp/eventmesh-chaos";
  }
  options.faults = absl::GetFlag(FLAGS_faults);
  for (absl::string_view kind :
       absl::StrSplit(absl::GetFlag(FLAGS_fault_kinds), ',', absl::SkipEmpty())) {
    options.fault_kinds.emplace_back(kind);
  }
  options.interval = absl::GetFlag(FLAGS_interval);
  options.rate = absl::GetFlag(FLAGS_rate);
  options.consumers = absl::GetFlag(FLAGS_consumers);
  options.stop_time = absl::GetFlag(FLAGS_stop_time);
  options.drain_timeout = absl::GetFlag(FLAGS_drain_timeout);
  options.seed = absl::GetFlag(FLAGS_seed);
  if (options.seed == 0) options.seed = absl::ToUnixMicros(absl::Now()) ^ getpid();
  if (options.rate <= 0 || options.consumers <= 0 || options.faults < 0) {
    std::cerr << "chaos: --rate and --consumers must be positive, --faults not negative\n";
    return 2;
  }
  std::cout << "[chaos] seed " << options.seed << ", work dir " << options.work_dir << std::endl;

  bool all_ok = true;
  std::vector<eventmesh::chaos::ChaosResult> results;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_configs), ',', absl::SkipEmpty())) {
    auto config = eventmesh::chaos::ParseChaosConfig(std::string(name));
    if (!config.ok()) {
      std::cerr << "chaos: " << config.status().message() << "\n";
      return 2;
    }
    results.push_back(eventmesh::chaos::RunChaos(*config, options));
  }
  std::cout << "\n[chaos] results (seed " << options.seed << ")\n";
  for (const auto& result : results) {
    all_ok = all_ok && result.ok();
    std::cout << (result.ok() ? "PASS " : "FAIL ") << result.config.name << ": "
              << result.faults.size() << " faults in " << absl::FormatDuration(result.duration)
              << "; " << result.report.ToString() << "\n";
    if (!result.failure.empty()) std::cout << "     failure: " << result.failure << "\n";
  }
  return all_ok ? 0 : 1;
}
