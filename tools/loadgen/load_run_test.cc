#include "tools/loadgen/load_run.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace eventmesh::loadgen {
namespace {

LoadReport Checked(uint64_t lost, bool still_arriving) {
  LoadReport r;
  r.measured_seconds = 1;
  r.sent = r.acked = 1000;
  r.delivered = 1000 - lost;
  r.lost = lost;
  r.still_arriving = still_arriving;
  r.delivery_checked = true;
  return r;
}

TEST(FormatLoadReportTest, UndeliveredEventsStillArrivingAreReportedAsALikelyBacklog) {
  const std::string out = FormatLoadReport(LoadOptions{}, Checked(38, /*still_arriving=*/true));
  EXPECT_TRUE(absl::StrContains(out, "RESULT: LOST 38 acknowledged deliveries")) << out;
  EXPECT_TRUE(absl::StrContains(out, "(still arriving: a backlog?)")) << out;
  EXPECT_TRUE(absl::StrContains(out, "more likely a backlog than a loss, a longer --drain tells"))
      << out;
}

TEST(FormatLoadReportTest, UndeliveredEventsNoLongerArrivingAreReportedAsLost) {
  const std::string out = FormatLoadReport(LoadOptions{}, Checked(38, /*still_arriving=*/false));
  EXPECT_TRUE(absl::StrContains(out, "RESULT: LOST 38 acknowledged deliveries")) << out;
  EXPECT_FALSE(absl::StrContains(out, "backlog")) << out;
}

TEST(FormatLoadReportTest, EverythingDeliveredIsOk) {
  const std::string out = FormatLoadReport(LoadOptions{}, Checked(0, /*still_arriving=*/false));
  EXPECT_TRUE(absl::StrContains(out, "RESULT: OK (every acknowledged event delivered)")) << out;
  EXPECT_FALSE(absl::StrContains(out, "backlog")) << out;
}

}  // namespace
}  // namespace eventmesh::loadgen
