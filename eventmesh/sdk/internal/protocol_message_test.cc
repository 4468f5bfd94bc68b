#include "eventmesh/sdk/internal/protocol_message.h"

#include <map>
#include <string>
#include <vector>

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

// Messages whose set fields land before, between, on and after the names of their properties
// (so the writer's merge sees every order), with text that needs JSON escaping.
std::vector<Message> WriterCases() {
  std::vector<Message> cases;
  Message plain;
  plain.topic = "orders";
  plain.content = std::string(300, 'x');
  plain.properties = {{"loadgenpub", "0"}, {"loadgenseq", "17"}, {"loadgents", "1796588277"}};
  cases.push_back(plain);
  Message empty;  // no topic, no content, no properties
  cases.push_back(empty);
  Message all = plain;
  all.biz_seq_no = "b-1";
  all.unique_id = "u-1";
  all.tag = "t";
  all.ttl_ms = 3000;
  all.content_type = "application/json";
  cases.push_back(all);
  Message around = all;
  around.properties = {{"a", "1"},  {"bizseqno", "old"}, {"c", "2"},        {"tag", "old"},
                       {"tb", "3"}, {"ttl", "old"},      {"tu", "4"},       {"uniqueid", "old"},
                       {"zz", "5"}, {"\xc3\xa9", "é"},   {"", "empty name"}};
  cases.push_back(around);
  Message some = around;
  some.biz_seq_no.clear();
  some.ttl_ms = -5;  // not sent: the property "ttl" stays
  some.tag = "quote\" back\\slash \x01 tab\t";
  some.topic = "t\"opic\n";
  some.content = "line\nbreak \xe2\x82\xac";
  cases.push_back(some);
  Message only_set;
  only_set.topic = "x";
  only_set.unique_id = "u";
  only_set.ttl_ms = 1;
  cases.push_back(only_set);
  return cases;
}

TEST(ProtocolMessageTest, WriterMatchesTheProtocolMessagesJson) {
  for (const Message& message : WriterCases()) {
    std::string direct = "prefix";
    AppendProtocolMessageJson(message, &direct);
    EXPECT_EQ(direct, "prefix" + ToProtocolMessage(message).ToJson());
  }
}

TEST(ProtocolMessageTest, ReaderMatchesTheProtocolMessagesParse) {
  std::vector<std::string> inputs;
  for (const Message& message : WriterCases())
    inputs.push_back(ToProtocolMessage(message).ToJson());
  inputs.push_back(
      R"({"topic":"t","body":"b","properties":{"ttl":"9","ttl":"10","bizseqno":"x","bizseqno":null},"headers":{"datacontenttype":"a","datacontenttype":"b"}})");
  inputs.push_back(R"({ "properties" : { "z":1, "a":true, "uniqueid": "u" }, "topic" : "t" })");
  inputs.push_back(R"({"topic":"t","properties":{"ttl":"soon","tag":"\u00e9"},"headers":null})");
  inputs.push_back(R"({"topic":"t","properties":{"ttl":"-3"}})");
  inputs.push_back(R"({"topic":1})");
  inputs.push_back(R"({"topic":"t","properties":[]})");
  inputs.push_back("not json");
  inputs.push_back("");
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input);
    auto reference = protocol::tcp::EventMeshMessage::FromJson(input);
    Message direct;
    direct.properties["stale"] = "from before";  // replaced, not merged
    direct.tag = "stale";
    const absl::Status status = ParseProtocolMessage(input, &direct);
    ASSERT_EQ(status, reference.status());
    if (status.ok()) {
      EXPECT_EQ(direct, FromProtocolMessage(*reference));
    }
  }
}

}  // namespace
}  // namespace eventmesh::sdk
