// Peak memory of the CloudEvents JSON parse. Each parse runs in a forked child of this test
// process, which has not raised its own peak or filled its heap, so the child's peak growth is
// what the parse used.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

// The process's peak resident memory (VmHWM), in bytes; 0 when /proc does not say.
int64_t PeakRssBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %ld kB", &kib) == 1) break;
  }
  std::fclose(f);
  return static_cast<int64_t>(kib) * 1024;
}

// In a child process: input = prepare(), then check(input) with the peak measured around it.
// Returns the peak's growth in bytes, or -1 when the check failed or nothing was measured.
template <typename Prepare, typename Check>
int64_t PeakGrowthOf(Prepare prepare, Check check) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    const std::string input = prepare();
    const int64_t before = PeakRssBytes();
    int64_t growth = check(input) && before > 0 ? PeakRssBytes() - before : -1;
    (void)!write(fds[1], &growth, sizeof growth);
    _exit(0);
  }
  close(fds[1]);
  int64_t growth = -1;
  if (child < 0 || read(fds[0], &growth, sizeof growth) != sizeof growth) growth = -1;
  close(fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return growth;
}

// `count` zeros as a JSON array: 2 bytes of text per value, 16 or more as a DOM.
std::string Zeros(size_t count) {
  std::string out = "[0";
  out.reserve(2 * count + 1);
  for (size_t i = 1; i < count; ++i) out += ",0";
  out += "]";
  return out;
}

constexpr char kHead[] =
    R"({"specversion":"1.0","id":"1","source":"s","type":"t","datacontenttype":"application/json",)";

// A 4 MB event whose data is an array of 2 million zeros. Built as a DOM (before the data was
// written out while read) the parse raised the peak by 64 MB; now by about the data's text
// (5 MB). The other two cost 64 and 41 MB as a DOM.
TEST(JsonFormatMemoryTest, AnEventsDataCostsAboutTheSizeOfItsText) {
  const int64_t growth =
      PeakGrowthOf([] { return absl::StrCat(kHead, R"("data":)", Zeros(2'000'000), "}"); },
                   [](const std::string& json) {
                     absl::StatusOr<CloudEvent> e = ParseJsonEvent(json);
                     const absl::string_view data =
                         absl::string_view(json).substr(json.find('['), 4'000'000 - 1 + 2);
                     return e.ok() && e->data() == data;
                   });
  ASSERT_GE(growth, 0);
  EXPECT_LT(growth, 24 << 20);
}

// Where nothing is read: a container in another member, or in place of the event.
TEST(JsonFormatMemoryTest, ValuesThatAreNotReadCostNothing) {
  const int64_t growth = PeakGrowthOf(
      [] { return absl::StrCat(kHead, R"("x":)", Zeros(2'000'000), "}"); },
      [](const std::string& json) {
        return ParseJsonEvent(json).status().code() == absl::StatusCode::kInvalidArgument &&
               ParseJsonEvent(json.substr(json.find('['), 4'000'001)).status().message() ==
                   "invalid CloudEvent: a structured event must be a JSON object";
      });
  ASSERT_GE(growth, 0);
  EXPECT_LT(growth, 16 << 20);
}

// A batch of three events of 1.3 MB of data each.
TEST(JsonFormatMemoryTest, ABatchCostsAboutTheSizeOfItsText) {
  const int64_t growth = PeakGrowthOf(
      [] {
        const std::string event = absl::StrCat(kHead, R"("data":)", Zeros(650'000), "}");
        return absl::StrCat("[", event, ",", event, ",", event, "]");
      },
      [](const std::string& json) {
        absl::StatusOr<std::vector<CloudEvent>> batch = ParseJsonBatch(json);
        return batch.ok() && batch->size() == 3 && (*batch)[2].data().size() == 1'300'001;
      });
  ASSERT_GE(growth, 0);
  EXPECT_LT(growth, 24 << 20);
}

}  // namespace
}  // namespace eventmesh::cloudevents
