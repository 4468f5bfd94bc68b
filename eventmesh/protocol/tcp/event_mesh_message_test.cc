#include "eventmesh/protocol/tcp/event_mesh_message.h"

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

TEST(EventMeshMessageTest, ParsesJavaBody) {
  auto m = EventMeshMessage::FromJson(
      R"({"topic":"TEST-TOPIC","properties":{"ttl":"30000","keys":"k1","n":5},)"
      R"("body":"hello \"world\"","headers":{"datacontenttype":"text/plain"}})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->topic, "TEST-TOPIC");
  EXPECT_EQ(m->body, "hello \"world\"");
  EXPECT_EQ(m->properties.at("ttl"), "30000");
  EXPECT_EQ(m->properties.at("n"), "5");
  EXPECT_EQ(m->headers.at("datacontenttype"), "text/plain");
}

TEST(EventMeshMessageTest, RoundTripAndExactJson) {
  EventMeshMessage m;
  m.topic = "t";
  m.body = "b";
  m.properties = {{"ttl", "3000"}};
  EXPECT_EQ(m.ToJson(), R"({"topic":"t","body":"b","properties":{"ttl":"3000"},"headers":{}})");
  auto back = EventMeshMessage::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, m);
}

TEST(EventMeshMessageTest, OldBodiesWithoutMaps) {
  auto m = EventMeshMessage::FromJson(R"({"topic":"t","body":"x","properties":null})");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->properties.empty());
  EXPECT_TRUE(m->headers.empty());
}

TEST(EventMeshMessageTest, Errors) {
  auto bad = EventMeshMessage::FromJson(R"({"topic":)");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("malformed JSON in EventMeshMessage"));
  EXPECT_THAT(std::string(EventMeshMessage::FromJson("\"x\"").status().message()),
              HasSubstr("EventMeshMessage is not a JSON object"));
  EXPECT_THAT(std::string(EventMeshMessage::FromJson(R"({"properties":[]})").status().message()),
              HasSubstr("EventMeshMessage field properties is not an object"));
  EXPECT_THAT(std::string(EventMeshMessage::FromJson(R"({"headers":"x"})").status().message()),
              HasSubstr("EventMeshMessage field headers is not an object"));
}

// Deep nesting (small, and 2 MB that used to overflow the parser's stack) is refused.
TEST(EventMeshMessageTest, DeepNestingIsRefused) {
  for (const int levels : {129, 1 << 20}) {
    const std::string nested = std::string(levels, '[') + std::string(levels, ']');
    for (const std::string& text : {nested, "{\"a\":" + nested + "}"}) {
      auto parsed = EventMeshMessage::FromJson(text);
      ASSERT_FALSE(parsed.ok());
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("nesting deeper than"));
    }
  }
}

// A body becomes a DOM only up to kMaxJsonValues values (16 bytes or more each): a 4 MiB frame of
// small values would be over 60 MB. Large property maps leave the compact scanner for the DOM
// reader, which bounds them.
TEST(EventMeshMessageTest, BodiesOfTooManyValuesAreRefused) {
  std::string zeros = "[0";
  for (int i = 1; i < 2'000'000; ++i) zeros += ",0";
  zeros += "]";
  auto parsed = EventMeshMessage::FromJson(R"({"topic":"t","body":"b","x":)" + zeros + "}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(parsed.status().message(), "JSON in EventMeshMessage has more than 65536 values");

  // {"topic":"t","properties":{...}}: 1 + 2 + 2 values, then 2 per property.
  auto with_properties = [](int count) {
    std::string json = R"({"topic":"t","properties":{)";
    for (int i = 0; i < count; ++i) {
      absl::StrAppend(&json, i == 0 ? "" : ",", "\"k", i, "\":\"v\"");
    }
    return json + "}}";
  };
  const int most = static_cast<int>(kMaxJsonValues - 5) / 2;
  auto many = EventMeshMessage::FromJson(with_properties(most));
  ASSERT_TRUE(many.ok()) << many.status();
  EXPECT_EQ(many->properties.size(), static_cast<size_t>(most));
  EXPECT_EQ(many->properties.at("k7"), "v");
  auto too_many = EventMeshMessage::FromJson(with_properties(most + 1));
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kOutOfRange);
}

// What a reader gave: its status and an owned copy of the view it visited.
struct Read {
  absl::Status status;
  bool visited = false;
  std::string topic, body;
  std::vector<std::pair<std::string, std::string>> properties, headers;
  bool operator==(const Read& o) const {
    return status == o.status && visited == o.visited && topic == o.topic && body == o.body &&
           properties == o.properties && headers == o.headers;
  }
};

template <typename Reader>
Read ReadWith(Reader reader, absl::string_view json, bool* answered = nullptr) {
  Read r;
  auto visit = [&r](const EventMeshMessageView& m) {
    r.visited = true;
    r.topic = std::string(m.topic);
    r.body = std::string(m.body);
    for (const auto& f : m.properties) r.properties.emplace_back(f.name, f.text);
    for (const auto& f : m.headers) r.headers.emplace_back(f.name, f.text);
    return absl::OkStatus();
  };
  if constexpr (std::is_same_v<decltype(reader(json, visit)), std::optional<absl::Status>>) {
    std::optional<absl::Status> s = reader(json, visit);
    if (answered != nullptr) *answered = s.has_value();
    if (s.has_value()) r.status = *s;
  } else {
    r.status = reader(json, visit);
  }
  return r;
}

Read Simple(absl::string_view json, bool* answered) {
  return ReadWith(
      [](absl::string_view j, auto& v) {
        return event_mesh_message_internal::VisitSimpleEventMeshMessage(j, v);
      },
      json, answered);
}

Read Document(absl::string_view json) {
  return ReadWith(
      [](absl::string_view j, auto& v) {
        return event_mesh_message_internal::VisitEventMeshMessageDocument(j, v);
      },
      json);
}

// Where the scanner answers, it answers as the document reader does; what it declines, the
// document reader reads (VisitEventMeshMessage gives the document reader's answer either way).
void ExpectAgreement(absl::string_view json, bool expect_answered) {
  bool answered = false;
  const Read simple = Simple(json, &answered);
  const Read document = Document(json);
  EXPECT_EQ(answered, expect_answered) << json;
  if (answered) {
    EXPECT_TRUE(simple == document) << json;
  }
  const Read both =
      ReadWith([](absl::string_view j, auto& v) { return VisitEventMeshMessage(j, v); }, json);
  EXPECT_TRUE(both == document) << json;
}

TEST(EventMeshMessageTest, SimpleScannerAgreesWithTheDocumentReader) {
  const std::vector<std::string> answered = {
      R"({"topic":"T","body":"0123abcdxxxx","properties":{"ttl":"600000"},"headers":{}})",
      R"({"topic":"T","properties":{"a":"1","a":"2","b":null},"headers":{"datacontenttype":"text/plain"}})",
      R"( { "topic" : "T" , "body" : null , "properties" : null , "headers" : null } )",
      "{\"topic\":\"T\",\n\t\"body\":\"b\"\r}",
      R"({"body":"only a body"})",
      R"({"topic":"T","other":"ignored","more":null})",
      R"({"topic":"","body":""})",
      R"({"topic":"T","properties":{"":"empty name"}})",
      R"({})",
      R"({"topic":"T","body":"a/b, slashes need no escape"})",
      R"({"topicx":"ignored","topi":"ignored","topic":"T","bodyy":null,"body":"b"})",
      R"({"headers" :{},"properties" :{"k":"v"}})",
  };
  for (const std::string& json : answered) ExpectAgreement(json, true);
  const std::vector<std::string> declined = {
      "",
      "42",
      "[]",
      "{",
      R"({"topic":"T"} x)",
      R"({"top\u0069c":"T"})",
      R"({"topic":"T","topic":null})",
      R"({"topic)",
      R"({"topic")",
      R"({"topic":"T","topic":"U"})",
      R"({"topic":"T","properties":{},"properties":{}})",
      R"({"topic":"T","body":"with \"escapes\""})",
      R"({"topic":"T","body":"a backslash \\ escaped"})",
      R"({"topic":"T","body":"caf)"
      "\xc3\xa9"
      R"("})",
      R"({"topic":"T","properties":{"n":5}})",
      R"({"topic":"T","properties":{"b":true}})",
      R"({"topic":"T","properties":{"o":{"x":"y"}}})",
      R"({"topic":"T","properties":[]})",
      R"({"topic":"T","properties":"text"})",
      R"({"topic":5})",
      R"({"topic":"T","other":{"nested":"x"}})",
      R"({"topic":"T",})",
      R"({"topic":"T","properties":{"a":"1",}})",
      R"({"topic":"T")",
      R"({"topic":"T","body":nul})",
      R"({"topic":"T","body":nullx})",
      std::string("{\"topic\":\"T\"}\0", 14),
      std::string("{\"topic\":\"T\0U\"}", 14),
      "{\"topic\":\"T\",\"body\":\"a\tb\"}",
  };
  for (const std::string& json : declined) ExpectAgreement(json, false);
}

TEST(EventMeshMessageTest, OnlyTheCompactReadersViewsArePlainAscii) {
  const auto plain = [](absl::string_view json) {
    std::optional<bool> seen;
    const absl::Status s = VisitEventMeshMessage(json, [&](const EventMeshMessageView& m) {
      seen = m.plain_ascii;
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << json << ": " << s;
    return seen.value_or(false);
  };
  EXPECT_TRUE(plain(R"({"topic":"T","body":"b","properties":{"k":"v"},"headers":{"h":"x"}})"));
  EXPECT_TRUE(plain(R"({})"));
  // Escapes, non-ASCII text and other values go to the document reader: not marked.
  EXPECT_FALSE(plain(R"({"topic":"T","body":"with \"escapes\""})"));
  EXPECT_FALSE(plain("{\"topic\":\"T\",\"body\":\"caf\xc3\xa9\"}"));
  EXPECT_FALSE(plain(R"({"topic":"T","properties":{"n":5}})"));
  bool document_plain = true;
  ASSERT_TRUE(event_mesh_message_internal::VisitEventMeshMessageDocument(
                  R"({"topic":"T","body":"b"})",
                  [&](const EventMeshMessageView& m) {
                    document_plain = m.plain_ascii;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_FALSE(document_plain);
}

// Every prefix of typical messages, and random byte changes to them: the scanner never answers
// differently from the document reader.
TEST(EventMeshMessageTest, SimpleScannerAgreesOnPrefixesAndMutations) {
  const std::vector<std::string> typical = {
      R"({"topic":"TEST-TOPIC","body":"0123456789abcdefxxxxxxxx","properties":{"ttl":"600000","keys":"k"},"headers":{"datacontenttype":"text/plain"}})",
      R"( {"topic" : "t", "properties" : {"a" : null, "b" : "c"}, "body" : null} )",
  };
  std::mt19937 rng(7);
  const char kBytes[] = {'"', '\\', '{', '}', ':', ',', ' ', 'n', 'u', 'l', '0', 'x', '\0', '\x80'};
  for (const std::string& json : typical) {
    for (size_t n = 0; n <= json.size(); ++n) {
      const std::string prefix = json.substr(0, n);
      bool answered = false;
      const Read simple = Simple(prefix, &answered);
      if (answered) {
        EXPECT_TRUE(simple == Document(prefix)) << prefix;
      }
    }
    for (int round = 0; round < 3000; ++round) {
      std::string mutated = json;
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
        mutated[rng() % mutated.size()] = kBytes[rng() % sizeof(kBytes)];
      }
      bool answered = false;
      const Read simple = Simple(mutated, &answered);
      if (answered) {
        EXPECT_TRUE(simple == Document(mutated)) << mutated;
      }
    }
  }
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
