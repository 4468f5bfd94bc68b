// Peak memory of the CloudEvents JSON parse. Each parse runs in a forked child of this test
// process, which has not raised its own peak or filled its heap, so the child's peak growth is
// what the parse used.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/testing/peak_memory.h"
#include "gtest/gtest.h"

namespace eventmesh::cloudevents {
namespace {

// In a forked child (eventmesh::testing::PeakGrowthInChild): input = prepare(), then
// check(input) with the peak measured around it; -1 when the check failed.
template <typename Prepare, typename Check>
int64_t PeakGrowthOf(Prepare prepare, Check check) {
  std::string input;
  return eventmesh::testing::PeakGrowthInChild([&] { input = prepare(); },
                                               [&] { return check(input); });
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
