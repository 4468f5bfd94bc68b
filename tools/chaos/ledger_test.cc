#include "tools/chaos/ledger.h"

#include "gtest/gtest.h"

namespace eventmesh::chaos {
namespace {

TEST(LedgerTest, CountsLostDuplicatesAndUnexpected) {
  Ledger ledger;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ledger.Issue(), static_cast<uint64_t>(i));
  ledger.Acknowledged(0);
  ledger.Acknowledged(1);
  ledger.Acknowledged(2);
  ledger.Acknowledged(2);  // an ack counted twice stays one event
  EXPECT_EQ(ledger.Outstanding(), 3u);
  ledger.Consumed(0);
  ledger.Consumed(0);   // a duplicate
  ledger.Consumed(3);   // consumed, its publish ack was lost: allowed
  ledger.Consumed(99);  // never issued
  EXPECT_EQ(ledger.Outstanding(), 2u);

  const Ledger::Report report = ledger.Check();
  EXPECT_EQ(report.issued, 5u);
  EXPECT_EQ(report.acknowledged, 3u);
  EXPECT_EQ(report.consumed, 3u);
  EXPECT_EQ(report.deliveries, 4u);
  EXPECT_EQ(report.duplicates, 1u);
  EXPECT_EQ(report.unexpected, 1u);
  EXPECT_EQ(report.unacknowledged_but_consumed, 1u);
  EXPECT_EQ(report.lost, 2u);
  EXPECT_EQ(report.lost_examples, (std::vector<uint64_t>{1, 2}));
  EXPECT_FALSE(report.ok());
}

TEST(LedgerTest, ConsumedBeforeAcknowledgedIsNotOutstanding) {
  Ledger ledger;
  ledger.Issue();
  ledger.Consumed(0);  // the delivery may overtake the publisher's ack
  ledger.Acknowledged(0);
  EXPECT_EQ(ledger.Outstanding(), 0u);
  EXPECT_TRUE(ledger.Check().ok());
}

TEST(LedgerTest, MalformedBodiesAreUnexpected) {
  Ledger ledger;
  ledger.Malformed();
  EXPECT_EQ(ledger.Check().unexpected, 1u);
  EXPECT_FALSE(ledger.Check().ok());
}

TEST(LedgerTest, BodiesRoundTripOnlyForTheirRun) {
  uint64_t id = 0;
  EXPECT_TRUE(ParseEventBody("r1", EventBody("r1", 42), &id));
  EXPECT_EQ(id, 42u);
  EXPECT_FALSE(ParseEventBody("r2", EventBody("r1", 42), &id));
  EXPECT_FALSE(ParseEventBody("r1", "chaos-r1-x", &id));
  EXPECT_FALSE(ParseEventBody("r1", "", &id));
}

}  // namespace
}  // namespace eventmesh::chaos
