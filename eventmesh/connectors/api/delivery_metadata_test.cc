#include "eventmesh/connectors/api/delivery_metadata.h"

#include "gtest/gtest.h"

namespace eventmesh::connectors {
namespace {

TEST(DeliveryMetadataTest, RoundTripsForItsOffsetOnly) {
  const std::string text = EncodeDeliveriesMetadata(42, 3);
  EXPECT_EQ(text, "deliveries=42:3");
  EXPECT_EQ(DecodeDeliveriesMetadata(text, 42), 3);
  EXPECT_EQ(DecodeDeliveriesMetadata(text, 43), 0);  // recorded for another position
}

TEST(DeliveryMetadataTest, AnythingElseIsZero) {
  for (const char* bad : {"", "deliveries=", "deliveries=42", "deliveries=x:3", "deliveries=42:y",
                          "deliveries=42:-1", "deliveries=42:99999999999", "other=42:3"}) {
    EXPECT_EQ(DecodeDeliveriesMetadata(bad, 42), 0) << bad;
  }
}

}  // namespace
}  // namespace eventmesh::connectors
