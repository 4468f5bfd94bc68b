#include "eventmesh/sdk/internal/protocol_message.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace eventmesh::sdk {
namespace {

TEST(ProtocolMessageTest, OptionalMessageFieldsTravelAsProperties) {
  Message message;
  message.topic = "orders";
  message.content = "c";
  message.biz_seq_no = "b-1";
  message.unique_id = "u-1";
  message.tag = "t";
  message.ttl_ms = 3000;
  message.content_type = "application/json";
  protocol::tcp::EventMeshMessage wire = ToProtocolMessage(message);
  EXPECT_EQ(wire.body, "c");
  EXPECT_EQ(wire.properties,
            (std::map<std::string, std::string>{
                {"bizseqno", "b-1"}, {"uniqueid", "u-1"}, {"tag", "t"}, {"ttl", "3000"}}));
  EXPECT_EQ(wire.headers.at("datacontenttype"), "application/json");
  Message back = FromProtocolMessage(wire);
  EXPECT_EQ(back.biz_seq_no, "b-1");
  EXPECT_EQ(back.unique_id, "u-1");
  EXPECT_EQ(back.tag, "t");
  EXPECT_EQ(back.ttl_ms, 3000);
  EXPECT_EQ(back.content_type, "application/json");
  EXPECT_EQ(back.properties.size(), 4u);  // the properties are kept as received
}

TEST(ProtocolMessageTest, PlainMessageKeepsItsProperties) {
  Message message;
  message.topic = "orders";
  message.content = "payload";
  message.properties["keys"] = "k1";
  protocol::tcp::EventMeshMessage wire = ToProtocolMessage(message);
  EXPECT_EQ(wire.ToJson(),
            "{\"topic\":\"orders\",\"body\":\"payload\",\"properties\":{\"keys\":\"k1\"},"
            "\"headers\":{}}");
  EXPECT_EQ(FromProtocolMessage(wire), message);
  wire.properties["ttl"] = "soon";
  EXPECT_EQ(FromProtocolMessage(wire).ttl_ms, 0);
}

}  // namespace
}  // namespace eventmesh::sdk
