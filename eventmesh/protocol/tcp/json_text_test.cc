#include "eventmesh/protocol/tcp/json_text.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "rapidjson/stringbuffer.h"

namespace eventmesh::protocol::tcp {
namespace {

// Strings that take every path: plain, empty, each escaped byte, control bytes, UTF-8, a '/',
// and long ones (SIMD blocks plus a tail) with the special byte at different places.
std::vector<std::string> Samples() {
  std::vector<std::string> samples = {"",
                                      "plain",
                                      "with \"quotes\"",
                                      "back\\slash",
                                      "tab\there",
                                      "new\nline\r\n",
                                      std::string("nul\0byte", 8),
                                      "\x01\x1f\x7f",
                                      "caf\xc3\xa9 \xe2\x82\xac",
                                      "a/b",
                                      "\b\f"};
  for (size_t at : {0, 15, 16, 17, 255}) {
    std::string s(256, 'x');
    s[at] = '"';
    samples.push_back(s);
  }
  samples.push_back(std::string(100000, 'y'));
  return samples;
}

// rapidjson::Writer behind DirectJsonWriter's interface (string_view keys and values).
class RapidJsonAdapter {
 public:
  explicit RapidJsonAdapter(rapidjson::StringBuffer* buffer) : w_(*buffer) {}
  void StartObject() { w_.StartObject(); }
  void EndObject() { w_.EndObject(); }
  void Key(absl::string_view k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
  void String(absl::string_view v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  }
  void Int(int v) { w_.Int(v); }
  void StringMap(const std::map<std::string, std::string>& map) {
    StartObject();
    for (const auto& [k, v] : map) {
      Key(k);
      String(v);
    }
    EndObject();
  }

 private:
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

// {"<v>":"<v>",...,"n":-12,"max":INT_MAX,"min":INT_MIN,"zero":0,"m":{map},"z":{}} through `w`.
template <typename Writer>
void WriteSample(Writer& w, const std::vector<std::string>& values,
                 const std::map<std::string, std::string>& map) {
  w.StartObject();
  for (const std::string& v : values) {
    w.Key(v);
    w.String(v);
  }
  w.Key("n");
  w.Int(-12);
  w.Key("max");
  w.Int(2147483647);
  w.Key("min");
  w.Int(-2147483647 - 1);
  w.Key("zero");
  w.Int(0);
  w.Key("m");
  w.StringMap(map);
  w.Key("z");
  w.StartObject();
  w.EndObject();
  w.EndObject();
}

TEST(DirectJsonWriterTest, WritesWhatRapidJsonWrites) {
  const std::vector<std::string> values = Samples();
  std::map<std::string, std::string> map;
  for (size_t i = 0; i < values.size(); ++i) map[values[i]] = values[(i + 1) % values.size()];
  rapidjson::StringBuffer buffer;
  {
    RapidJsonAdapter w(&buffer);
    WriteSample(w, values, map);
  }
  const std::string expected(buffer.GetString(), buffer.GetSize());

  std::string out = "prefix";  // appends after what is there
  {
    DirectJsonWriter w(&out);  // complete in `out` once destroyed
    WriteSample(w, values, map);
  }
  EXPECT_EQ(out, "prefix" + expected);
  // And it is JSON that parses back to the same strings.
  rapidjson::Document doc;
  doc.Parse(out.data() + 6, out.size() - 6);
  ASSERT_FALSE(doc.HasParseError());
  for (const std::string& v : values) {
    auto it =
        doc.FindMember(rapidjson::Value(v.data(), static_cast<rapidjson::SizeType>(v.size())));
    ASSERT_NE(it, doc.MemberEnd()) << v.substr(0, 20);
    EXPECT_EQ(std::string(it->value.GetString(), it->value.GetStringLength()), v);
  }
}

TEST(DirectJsonWriterTest, AppendJsonStringMatchesAWriterOfOneString) {
  for (const std::string& v : Samples()) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    std::string out = "ab";
    {
      StringAppendStream stream(&out);
      AppendJsonString(stream, v);
    }
    EXPECT_EQ(out, "ab" + std::string(buffer.GetString(), buffer.GetSize())) << v.substr(0, 20);
  }
}

TEST(DirectJsonWriterTest, PlainKeysAndStringsWriteWhatKeyAndStringWrite) {
  const std::vector<std::string> plain = {"", "cmd", "ASYNC_MESSAGE_TO_CLIENT_ACK",
                                          std::string(300, 'k'), "a/b c"};
  for (const std::string& text : plain) {
    std::string expected = "x";
    std::string out = "x";
    {
      DirectJsonWriter w(&expected);
      w.StartObject();
      w.Key(text);
      w.String(text);
      w.Key("n");
      w.Int(1);
      w.Key(text);
      w.StartObject();
      w.EndObject();
      w.EndObject();
    }
    {
      DirectJsonWriter w(&out);
      w.StartObject();
      w.PlainKey(text);
      w.PlainString(text);
      w.PlainKey("n");
      w.Int(1);
      w.PlainKey(text);
      w.StartObject();
      w.EndObject();
      w.EndObject();
    }
    EXPECT_EQ(out, expected);
    EXPECT_EQ(out, "x{\"" + text + "\":\"" + text + "\",\"n\":1,\"" + text + "\":{}}");
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
