#include "eventmesh/protocol/http/headers.h"

#include "eventmesh/protocol/http/ret_code.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::http {
namespace {

HeaderMap ValidHeaders() {
  return HeaderMap{{"code", "104"},
                   {"version", "1.0"},
                   {"language", "JAVA"},
                   {"env", "PRD"},
                   {"idc", "FT"},
                   {"sys", "1234"},
                   {"pid", "4711"},
                   {"ip", "10.0.0.5"},
                   {"username", "eventmesh"},
                   {"passwd", "secret"},
                   {"protocoltype", "eventmeshmessage"},
                   {"protocolversion", "1.0"},
                   {"protocoldesc", "http"}};
}

TEST(HeaderMapTest, CaseInsensitiveLookupKeepsSpelling) {
  HeaderMap m;
  m.Set("Content-Type", "text/plain");
  EXPECT_EQ(m.Get("content-type"), "text/plain");
  EXPECT_EQ(m.Get("CONTENT-TYPE"), "text/plain");
  m.Set("content-TYPE", "application/json");  // replaces, keeps the new spelling
  EXPECT_EQ(m.size(), 1u);
  std::vector<std::string> names;
  m.ForEach([&](const std::string& name, const std::string& value) {
    names.push_back(name + "=" + value);
  });
  EXPECT_THAT(names, testing::ElementsAre("content-TYPE=application/json"));
  EXPECT_TRUE(m.Contains("Content-Type"));
  EXPECT_EQ(m.GetOr("missing", "dflt"), "dflt");
  EXPECT_TRUE(m.Remove("CONTENT-type"));
  EXPECT_FALSE(m.Remove("content-type"));
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Get("content-type"), std::nullopt);
}

TEST(HeaderMapTest, LegacyCapitalisedSpellingsResolve) {
  HeaderMap m{{"Code", "104"},    {"Env", "PRD"},    {"Idc", "FT"},     {"Sys", "5477"},
              {"Pid", "42"},      {"Ip", "1.2.3.4"}, {"Username", "u"}, {"Passwd", "p"},
              {"Language", "GO"}, {"Version", "2.0"}};
  EXPECT_EQ(m.Get(header_key::kCode), "104");
  auto h = RequestHeader::Parse(m, RequestCode::kMsgSendAsync);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, "2.0");
  EXPECT_EQ(h->language, "GO");
  EXPECT_EQ(h->env, "PRD");
  EXPECT_EQ(h->idc, "FT");
  EXPECT_EQ(h->sys, "5477");
  EXPECT_EQ(h->pid, "42");
  EXPECT_EQ(h->ip, "1.2.3.4");
  EXPECT_EQ(h->username, "u");
  EXPECT_EQ(h->passwd, "p");
}

TEST(RequestHeaderTest, ParsesAllFields) {
  auto h = RequestHeader::Parse(ValidHeaders(), RequestCode::kMsgSendAsync);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->code, RequestCode::kMsgSendAsync);
  EXPECT_EQ(h->version, "1.0");
  EXPECT_EQ(h->protocol_type, "eventmeshmessage");
  EXPECT_EQ(h->protocol_version, "1.0");
  EXPECT_EQ(h->protocol_desc, "http");
  // Round trip through ToHeaderMap.
  auto again = RequestHeader::Parse(h->ToHeaderMap(), RequestCode::kMsgSendAsync);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ToHeaderMap().Get("pid"), "4711");
  EXPECT_EQ(again->ToHeaderMap().Get("code"), "104");
}

TEST(RequestHeaderTest, VersionDefaultsAndValidation) {
  HeaderMap m = ValidHeaders();
  m.Remove("version");
  auto h = RequestHeader::Parse(m, RequestCode::kMsgSendAsync);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->version, "1.0");
  m.Set("version", "  ");
  EXPECT_EQ(RequestHeader::Parse(m, RequestCode::kMsgSendAsync)->version, "1.0");
  m.Set("version", "2.0");
  EXPECT_EQ(RequestHeader::Parse(m, RequestCode::kMsgSendAsync)->version, "2.0");
  m.Set("version", "3.0");
  auto bad = RequestHeader::Parse(m, RequestCode::kMsgSendAsync);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "header 'version' must be 1.0 or 2.0, got '3.0'");
  EXPECT_EQ(NormalizeProtocolVersion("1.1").status().message(),
            "header 'version' must be 1.0 or 2.0, got '1.1'");
}

TEST(RequestHeaderTest, LanguageDefaultsToJava) {
  HeaderMap m = ValidHeaders();
  m.Remove("language");
  EXPECT_EQ(RequestHeader::Parse(m, RequestCode::kMsgSendAsync)->language, "JAVA");
}

TEST(RequestHeaderTest, IdentityRequiredPerCode) {
  const RequestCode kRequiring[] = {RequestCode::kMsgSendSync,  RequestCode::kMsgBatchSend,
                                    RequestCode::kMsgSendAsync, RequestCode::kMsgBatchSendV2,
                                    RequestCode::kHeartbeat,    RequestCode::kSubscribe,
                                    RequestCode::kUnsubscribe,  RequestCode::kReplyMessage};
  for (RequestCode code : kRequiring) {
    for (const char* field : {"idc", "sys", "pid"}) {
      HeaderMap m = ValidHeaders();
      m.Set(field, " ");
      auto h = RequestHeader::Parse(m, code);
      ASSERT_FALSE(h.ok()) << field;
      EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(h.status().message(), std::string("missing header '") + field +
                                          "' (required for request code " +
                                          std::to_string(RequestCodeValue(code)) + ")");
      EXPECT_EQ(RetCodeValue(HeaderParseRetCode(h.status())), 6);
      m.Remove(field);
      EXPECT_FALSE(RequestHeader::Parse(m, code).ok());
    }
  }
  // Codes without the requirement accept an empty identity.
  HeaderMap bare{{"code", "603"}};
  EXPECT_TRUE(RequestHeader::Parse(bare, RequestCode::kAdminMetrics).ok());
  EXPECT_TRUE(RequestHeader::Parse(bare, RequestCode::kRegister).ok());
}

TEST(RequestHeaderTest, PidMustBeNumeric) {
  HeaderMap m = ValidHeaders();
  m.Set("pid", "12a");
  auto h = RequestHeader::Parse(m, RequestCode::kSubscribe);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "header 'pid' must be numeric, got '12a'");
  m.Set("pid", "-12");
  EXPECT_EQ(RequestHeader::Parse(m, RequestCode::kSubscribe).status().message(),
            "header 'pid' must be numeric, got '-12'");
}

}  // namespace
}  // namespace eventmesh::protocol::http
