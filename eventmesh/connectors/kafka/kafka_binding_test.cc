#include "eventmesh/connectors/kafka/kafka_binding.h"

#include "gtest/gtest.h"

namespace eventmesh::connectors::kafka {
namespace {

using cloudevents::AttributeValue;
using cloudevents::CloudEvent;
using cloudevents::DataEncoding;

CloudEvent FullEvent() {
  CloudEvent event;
  event.set_id("id-1");
  event.set_source("/orders");
  event.set_type("order.created");
  event.set_subject("orders");
  event.set_time("2024-01-02T03:04:05Z");
  event.set_data_schema("https://example.com/schema");
  event.set_data_content_type("application/json");
  event.SetExtension("partitionkey", "customer-7");
  event.SetExtension("ttl", AttributeValue::Integer(4000));
  event.SetExtension("urgent", AttributeValue::Boolean(true));
  event.set_data("{\"a\":1}", DataEncoding::kJson);
  return event;
}

std::vector<KafkaHeaderView> Views(const KafkaRecord& record) {
  std::vector<KafkaHeaderView> views;
  for (const auto& [name, value] : record.headers) views.push_back({name, value});
  return views;
}

const std::string* Header(const KafkaRecord& record, const std::string& name) {
  for (const auto& [n, v] : record.headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

TEST(KafkaBindingTest, BinaryModeHeadersKeyAndValue) {
  const KafkaRecord record = ToKafkaRecord(FullEvent());
  ASSERT_TRUE(record.key.has_value());
  EXPECT_EQ(*record.key, "customer-7");
  ASSERT_TRUE(record.value.has_value());
  EXPECT_EQ(*record.value, "{\"a\":1}");
  ASSERT_NE(Header(record, "ce_specversion"), nullptr);
  EXPECT_EQ(*Header(record, "ce_specversion"), "1.0");
  EXPECT_EQ(*Header(record, "ce_id"), "id-1");
  EXPECT_EQ(*Header(record, "ce_source"), "/orders");
  EXPECT_EQ(*Header(record, "ce_type"), "order.created");
  EXPECT_EQ(*Header(record, "ce_subject"), "orders");
  EXPECT_EQ(*Header(record, "ce_time"), "2024-01-02T03:04:05Z");
  EXPECT_EQ(*Header(record, "ce_dataschema"), "https://example.com/schema");
  EXPECT_EQ(*Header(record, "content-type"), "application/json");
  EXPECT_EQ(*Header(record, "ce_partitionkey"), "customer-7");
  EXPECT_EQ(*Header(record, "ce_ttl"), "4000");
  EXPECT_EQ(Header(record, "ce_datacontenttype"), nullptr);
}

TEST(KafkaBindingTest, RoundTripsEveryAttributeAndType) {
  const CloudEvent event = FullEvent();
  const KafkaRecord record = ToKafkaRecord(event);
  auto back = FromKafkaRecord(Views(record), absl::string_view(*record.value));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, event);
}

TEST(KafkaBindingTest, NoDataIsANullValueAndEmptyDataIsNot) {
  CloudEvent event = FullEvent();
  event.clear_data();
  event.clear_data_content_type();
  KafkaRecord record = ToKafkaRecord(event);
  EXPECT_FALSE(record.value.has_value());
  auto back = FromKafkaRecord(Views(record), std::nullopt);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, event);

  event.set_data("", DataEncoding::kText);
  record = ToKafkaRecord(event);
  ASSERT_TRUE(record.value.has_value());
  back = FromKafkaRecord(Views(record), absl::string_view(*record.value));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, event);
}

TEST(KafkaBindingTest, NoKeyWithoutPartitionKey) {
  CloudEvent event = FullEvent();
  event.RemoveExtension("partitionkey");
  EXPECT_FALSE(ToKafkaRecord(event).key.has_value());
}

TEST(KafkaBindingTest, ReadsRecordsOfOtherProducers) {
  // What a CloudEvents SDK's Kafka serializer writes: no eventmesh_* headers, other headers too.
  const std::vector<KafkaHeaderView> headers = {{"ce_specversion", "1.0"},
                                                {"ce_id", "x"},
                                                {"ce_source", "/s"},
                                                {"ce_type", "t"},
                                                {"content-type", "text/plain"},
                                                {"ce_region", "eu"},
                                                {"traceparent", "00-abc"}};
  auto event = FromKafkaRecord(headers, absl::string_view("hello"));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->data(), "hello");
  EXPECT_EQ(event->data_encoding(), DataEncoding::kText);
  ASSERT_NE(event->FindExtension("region"), nullptr);
  EXPECT_EQ(*event->FindExtension("region"), "eu");
  EXPECT_EQ(event->FindExtension("traceparent"), nullptr);

  auto binary = FromKafkaRecord(
      {{"ce_specversion", "1.0"}, {"ce_id", "x"}, {"ce_source", "/s"}, {"ce_type", "t"}},
      absl::string_view("\xff\x00", 2));
  ASSERT_TRUE(binary.ok()) << binary.status();
  EXPECT_EQ(binary->data_encoding(), DataEncoding::kBinary);
}

TEST(KafkaBindingTest, RefusesRecordsThatAreNotCloudEvents) {
  auto missing = FromKafkaRecord({{"ce_id", "x"}}, absl::string_view("v"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "not a CloudEvent: no ce_specversion header");
  auto invalid = FromKafkaRecord({{"ce_specversion", "1.0"}, {"ce_source", "/s"}, {"ce_type", "t"}},
                                 std::nullopt);
  EXPECT_EQ(invalid.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_type = FromKafkaRecord({{"ce_specversion", "1.0"},
                                   {"ce_id", "x"},
                                   {"ce_source", "/s"},
                                   {"ce_type", "t"},
                                   {"ce_n", "1"},
                                   {"eventmesh_exttypes", "n:Big"}},
                                  std::nullopt);
  EXPECT_EQ(bad_type.status().message(),
            "unknown extension type 'Big' in header eventmesh_exttypes");
}

}  // namespace
}  // namespace eventmesh::connectors::kafka
