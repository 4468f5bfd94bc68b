#include "eventmesh/runtime/cluster/load_report.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh::runtime::cluster {
namespace {

LoadReport Sample() {
  LoadReport report;
  report.load.runtime_id = "00ff";
  report.load.ip = "10.1.2.3";
  report.load.port = 10000;
  report.load.sessions[PoolKey{"orders", kPurposeSub}] = 9;
  report.load.sessions[PoolKey{"orders", kPurposePub}] = 1;
  report.load.sessions[PoolKey{"audit", kPurposeSub}] = 2;
  report.timestamp_ms = 1764316800000;
  report.interval_ms = 30000;
  return report;
}

TEST(LoadReportTest, JsonShapeAndRoundTrip) {
  const LoadReport report = Sample();
  EXPECT_EQ(
      report.ToJson(),
      "{\"runtimeId\":\"00ff\",\"ip\":\"10.1.2.3\",\"port\":10000,\"timestamp\":1764316800000,"
      "\"intervalMs\":30000,\"leaving\":false,\"sessions\":{\"pub\":1,\"sub\":11},"
      "\"groups\":{\"audit\":{\"sub\":2},\"orders\":{\"pub\":1,\"sub\":9}}}");
  auto parsed = LoadReport::FromJson(report.ToJson());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->load.runtime_id, "00ff");
  EXPECT_EQ(parsed->load.ip, "10.1.2.3");
  EXPECT_EQ(parsed->load.port, 10000);
  EXPECT_EQ(parsed->load.sessions, report.load.sessions);
  EXPECT_EQ(parsed->timestamp_ms, report.timestamp_ms);
  EXPECT_EQ(parsed->interval_ms, 30000);
  EXPECT_FALSE(parsed->leaving);
}

TEST(LoadReportTest, CloudEventRoundTrip) {
  LoadReport report = Sample();
  report.leaving = true;
  cloudevents::CloudEvent event = report.ToCloudEvent(7);
  EXPECT_EQ(event.id(), "00ff-7");
  EXPECT_EQ(event.source(), "/eventmesh/runtime/00ff");
  EXPECT_EQ(event.type(), kLoadReportType);
  EXPECT_EQ(*event.subject(), kLoadTopic);
  EXPECT_TRUE(event.Validate().ok()) << event.Validate();
  auto parsed = LoadReport::FromCloudEvent(event);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->leaving);
  EXPECT_EQ(parsed->load.sessions, report.load.sessions);
}

TEST(LoadReportTest, ErrorsNameTheProblem) {
  cloudevents::CloudEvent other;
  other.set_type("something.else");
  EXPECT_EQ(LoadReport::FromCloudEvent(other).status().message(),
            "not a load report: type \"something.else\"");
  EXPECT_EQ(LoadReport::FromJson("[]").status().message(), "load report: not a JSON object");
  EXPECT_EQ(LoadReport::FromJson("{\"ip\":\"x\",\"port\":1}").status().message(),
            "load report: missing runtimeId");
  EXPECT_EQ(LoadReport::FromJson("{\"runtimeId\":\"r\",\"port\":1}").status().message(),
            "load report: missing ip");
  EXPECT_EQ(
      LoadReport::FromJson("{\"runtimeId\":\"r\",\"ip\":\"x\",\"port\":70000}").status().message(),
      "load report: missing or invalid port");
  EXPECT_EQ(LoadReport::FromJson(
                "{\"runtimeId\":\"r\",\"ip\":\"x\",\"port\":1,\"groups\":{\"g\":{\"sub\":-1}}}")
                .status()
                .message(),
            "load report: group \"g\" purpose \"sub\": expected an integer from 0 to 2147483647");
  EXPECT_EQ(LoadReport::FromJson("{\"runtimeId\":\"r\",\"ip\":\"x\",\"port\":1,\"groups\":[]}")
                .status()
                .message(),
            "load report: \"groups\" is not an object");
  auto bad = LoadReport::FromJson("{");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

// Found by load_report_fuzzer: counts near INT64_MAX overflowed the totals of ToJson (undefined
// behaviour), and a huge intervalMs overflowed IsLive's 3 x interval. Both are refused now.
TEST(LoadReportTest, RefusesCountsAndIntervalsThatWouldOverflow) {
  const std::string head = "{\"runtimeId\":\"r\",\"ip\":\"x\",\"port\":1,";
  EXPECT_EQ(LoadReport::FromJson(head + "\"groups\":{\"g\":{\"pub\":9223372036854775807},"
                                        "\"h\":{\"pub\":9223372036854775807}}}")
                .status()
                .message(),
            "load report: group \"g\" purpose \"pub\": expected an integer from 0 to 2147483647");
  EXPECT_EQ(LoadReport::FromJson(head + "\"intervalMs\":9223372036854775807}").status().message(),
            "load report: \"intervalMs\" 9223372036854775807 is out of range 0..2147483647");
  EXPECT_EQ(LoadReport::FromJson(head + "\"intervalMs\":-1}").status().message(),
            "load report: \"intervalMs\" -1 is out of range 0..2147483647");
  auto at_limit = LoadReport::FromJson(
      head + "\"intervalMs\":2147483647,\"groups\":{\"g\":{\"pub\":2147483647}}}");
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->load.Count(PoolKey{"g", kPurposePub}), kMaxReportedSessions);
  EXPECT_NE(at_limit->ToJson().find("\"sessions\":{\"pub\":2147483647,\"sub\":0}"),
            std::string::npos);
}

}  // namespace
}  // namespace eventmesh::runtime::cluster
