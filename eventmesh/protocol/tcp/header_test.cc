#include "eventmesh/protocol/tcp/header.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::tcp {
namespace {

using ::testing::HasSubstr;

TEST(HeaderTest, ReadsJavaHeader) {
  auto h = Header::FromJson(
      R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","code":0,"desc":"success","seq":"0123456789",)"
      R"("properties":{"protocoltype":"cloudevents","protocolversion":"1.0",)"
      R"("protocoldesc":"tcp","reqc2eventmeshtimestamp":1700000000000,"flag":true,)"
      R"("nothing":null,"nested":{"a":"b"}},"command":"ASYNC_MESSAGE_TO_SERVER","extra":[1]})");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->cmd, Command::kAsyncMessageToServer);
  EXPECT_EQ(h->code, 0);
  EXPECT_EQ(h->desc, "success");
  EXPECT_EQ(h->seq, "0123456789");
  EXPECT_EQ(h->properties.at(std::string(kPropertyProtocolType)), "cloudevents");
  EXPECT_EQ(h->properties.at("reqc2eventmeshtimestamp"), "1700000000000");
  EXPECT_EQ(h->properties.at("flag"), "true");
  EXPECT_EQ(h->properties.count("nothing"), 0u);
  EXPECT_EQ(h->properties.at("nested"), R"({"a":"b"})");
}

TEST(HeaderTest, LegacyKeys) {
  auto h = Header::FromJson(R"({"command":"HELLO_RESPONSE","code":1,"msg":"bad","seq":42})");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->cmd, Command::kHelloResponse);
  EXPECT_EQ(h->code, 1);
  EXPECT_EQ(h->desc, "bad");
  EXPECT_EQ(h->seq, "42");
  EXPECT_TRUE(h->properties.empty());
}

TEST(HeaderTest, CmdWinsOverCommandAndDescOverMsg) {
  auto h = Header::FromJson(
      R"({"command":"HELLO_RESPONSE","cmd":"HELLO_REQUEST","msg":"m","desc":"d"})");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->cmd, Command::kHelloRequest);
  EXPECT_EQ(h->desc, "d");
  EXPECT_EQ(h->seq, std::nullopt);
}

TEST(HeaderTest, NumericCmdAndStringCode) {
  auto h = Header::FromJson(R"({"cmd":20,"code":"3"})");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->cmd, Command::kAsyncMessageToServer);
  EXPECT_EQ(h->code, OpStatus::kTpsOverload);
}

TEST(HeaderTest, WritesDocumentedOrder) {
  Header h;
  h.cmd = Command::kHelloResponse;
  h.code = OpStatus::kSuccess;
  h.desc = "success";
  h.seq = "12";
  h.properties = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(h.ToJson(),
            R"({"cmd":"HELLO_RESPONSE","command":"HELLO_RESPONSE","code":0,"desc":"success",)"
            R"("seq":"12","properties":{"a":"1","b":"2"}})");
  Header bare;
  bare.cmd = Command::kServerGoodbyeRequest;
  EXPECT_EQ(bare.ToJson(),
            R"({"cmd":"SERVER_GOODBYE_REQUEST","command":"SERVER_GOODBYE_REQUEST","code":0,)"
            R"("properties":{}})");
}

// The push path's header writer gives the bytes of the Header it stands for, escapes included.
// Every command, code 0 (copied from a per-command start) and others, the two protocol types (their
// ends written once) and other values, names and values that need escaping.
TEST(HeaderTest, AppendHeaderJsonWritesWhatTheHeaderWould) {
  for (int c = 0; c < kCommandCount; ++c) {
    for (const int code : {0, -7}) {
      for (const std::string& seq :
           {std::string("1"), std::string("seq-\"quoted\"\n"), std::string(300, 's'), std::string(),
            std::string("\x7f\xc3\xa9")}) {
        for (const std::string& name : {std::string("protocoltype"), std::string("na\"me")}) {
          for (const std::string& value :
               {std::string("eventmeshmessage"), std::string("cloudevents"),
                std::string("eventmeshmessagex"), std::string("a\\b\x01"), std::string()}) {
            Header h;
            h.cmd = static_cast<Command>(c);
            h.code = code;
            h.seq = seq;
            h.properties.emplace(name, value);
            std::string want = "prefix";
            h.AppendJson(&want);
            std::string got = "prefix";
            AppendHeaderJson(h.cmd, h.code, seq, name, value, &got);
            EXPECT_EQ(got, want);
            auto parsed = Header::FromJson(absl::string_view(got).substr(6));
            ASSERT_TRUE(parsed.ok()) << parsed.status();
            EXPECT_EQ(*parsed, h);
          }
        }
      }
    }
  }
}

TEST(HeaderTest, RoundTripWithEscapes) {
  Header h;
  h.cmd = Command::kRedirectToClient;
  h.code = -7;
  h.desc = "quote \" backslash \\ newline \n nul " + std::string(1, '\0') + " utf8 \xc3\xa9";
  h.seq = "";
  h.properties = {{"k\"", "v\n"}};
  auto back = Header::FromJson(h.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, h);
}

TEST(HeaderTest, LargeHeaderBeyondStackBuffer) {
  Header h;
  h.cmd = Command::kAsyncMessageToClient;
  for (int i = 0; i < 500; ++i) h.properties["key" + std::to_string(i)] = std::string(20, 'v');
  auto back = Header::FromJson(h.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, h);
}

TEST(HeaderTest, SizesAroundTheStackBuffer) {
  // Header::FromJson parses headers up to ~2 KiB from a stack buffer, larger ones from the
  // heap; both paths (and RapidJSON's SIMD scanning near the end) must agree.
  for (size_t n = 1950; n < 2100; ++n) {
    Header h;
    h.cmd = Command::kHelloResponse;
    h.desc.assign(n, 'd');
    auto back = Header::FromJson(h.ToJson());
    ASSERT_TRUE(back.ok()) << n << back.status();
    EXPECT_EQ(*back, h);
  }
}

// A header becomes a DOM only up to kMaxJsonValues values (16 bytes or more each): a 4 MiB frame
// of small values would be over 60 MB, before any HELLO. Large property maps leave the compact
// scanner for the DOM reader, which bounds them.
TEST(HeaderTest, HeadersOfTooManyValuesAreRefused) {
  std::string zeros = "[0";
  for (int i = 1; i < 2'000'000; ++i) zeros += ",0";
  zeros += "]";
  auto h = Header::FromJson(R"({"cmd":"HELLO_REQUEST","x":)" + zeros + "}");
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(h.status().message(), "JSON in package header has more than 65536 values");

  Header big;
  big.cmd = Command::kHelloRequest;
  // {"cmd":..,"code":..,"desc":..,"seq":..,"properties":{...}}: 11 values, then 2 per property.
  for (size_t i = 0; i < (kMaxJsonValues - 16) / 2; ++i) {
    big.properties["k" + std::to_string(i)] = "v";
  }
  auto back = Header::FromJson(big.ToJson());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->properties.size(), big.properties.size());
  for (size_t i = 0; i < 16; ++i) big.properties["more" + std::to_string(i)] = "v";
  EXPECT_EQ(Header::FromJson(big.ToJson()).status().code(), absl::StatusCode::kOutOfRange);
}

void ExpectInvalid(absl::string_view json, absl::string_view substr) {
  auto h = Header::FromJson(json);
  ASSERT_FALSE(h.ok()) << json;
  EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(h.status().message()), HasSubstr(std::string(substr)));
}

TEST(HeaderTest, Errors) {
  ExpectInvalid("{", "malformed JSON in package header: ");
  ExpectInvalid(R"({"cmd":"HELLO_REQUEST"} x)", "at offset 24");
  ExpectInvalid("42", "package header is not a JSON object");
  ExpectInvalid(R"({"code":0})", "package header has no cmd");
  ExpectInvalid(R"({"cmd":null})", "package header has no cmd");
  ExpectInvalid(R"({"cmd":"NOPE"})", "unknown cmd \"NOPE\" in package header");
  ExpectInvalid(R"({"cmd":true})", "package header cmd is not a string: true");
  ExpectInvalid(R"({"cmd":"HELLO_REQUEST","code":"x"})", "package header code is not an int");
  ExpectInvalid(R"({"cmd":"HELLO_REQUEST","code":1.5})", "package header code is not an int");
  ExpectInvalid(R"({"cmd":"HELLO_REQUEST","properties":[]})",
                "package header properties is not a JSON object");
}

TEST(HeaderTest, OpStatusDesc) {
  EXPECT_EQ(OpStatusDesc(OpStatus::kSuccess), "success");
  EXPECT_EQ(OpStatusDesc(OpStatus::kFail), "fail");
  EXPECT_EQ(OpStatusDesc(OpStatus::kAclFail), "aclFail");
  EXPECT_EQ(OpStatusDesc(OpStatus::kTpsOverload), "tpsOverload");
  EXPECT_EQ(OpStatusDesc(9), "");
}

// Deep nesting (small, and 2 MB that used to overflow the parser's stack) is refused.
TEST(HeaderTest, DeepNestingIsRefused) {
  for (const int levels : {129, 1 << 20}) {
    const std::string nested = std::string(levels, '[') + std::string(levels, ']');
    for (const std::string& text : {nested, "{\"a\":" + nested + "}"}) {
      auto parsed = Header::FromJson(text);
      ASSERT_FALSE(parsed.ok());
      EXPECT_THAT(std::string(parsed.status().message()),
                  ::testing::HasSubstr("nesting deeper than"));
    }
  }
}

// The scanner for simple headers answers the headers clients send, and wherever it answers it
// agrees with the general reader (same header, or the same error).
TEST(HeaderTest, SimpleHeaderScannerAgreesWithTheDocumentReader) {
  const std::vector<std::string> answered = {
      R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","command":"ASYNC_MESSAGE_TO_SERVER","code":0,"seq":"12","properties":{"protocoltype":"eventmeshmessage","protocolversion":"1.0","protocoldesc":"tcp"}})",
      R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","command":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":"99","properties":{}})",
      R"( { "cmd" : "HELLO_REQUEST" , "code" : "7" , "seq" : 123 , "desc" : null , "msg" : "m" } )",
      R"({"command":"HEARTBEAT_REQUEST","code":-3,"properties":null})",
      R"({"cmd":null,"command":"2"})",
      R"({"cmd":"HELLO_REQUEST","properties":{"a":"1","a":"2","b":null}})",
      R"({"cmd":"HELLO_REQUEST","desc":"d","msg":"m"})",
      R"({"cmd":"NOPE"})",
      R"({"code":0})",
      R"({})",
      R"({"cmd":"HELLO_REQUEST","code":"x"})",
      R"({"cmd":"HELLO_REQUEST","code":"99999999999"})",
      R"({"cmd":"HELLO_REQUEST","code":-0,"seq":-0})",
      R"({"cmd":"HELLO_REQUEST","code":"+5"})",
      R"({"cmd":"HELLO_REQUEST","code":"-123456789"})",
      R"({"cmd":"HELLO_REQUEST","code":"1234567890"})",
      R"({"cmd":"HELLO_REQUEST","code":2147483647})",
      R"({"cmd":"HELLO_REQUEST","code":-2147483648})",
      R"({"cmd":"HELLO_REQUEST","code":2147483648})",
      R"({"cmd":"HELLO_REQUEST","code":"007"})",
      R"({"cmd":"HELLO_REQUEST","code":"-"})",
      R"({"cmd":"HELLO_REQUEST","code":""})",
  };
  for (const std::string& json : answered) {
    auto simple = header_internal::ParseSimpleHeader(json);
    ASSERT_TRUE(simple.has_value()) << json;
    auto general = header_internal::ParseHeaderDocument(json);
    ASSERT_EQ(simple->status(), general.status()) << json;
    if (general.ok()) {
      EXPECT_EQ(**simple, *general) << json;
    }
    auto read = Header::FromJson(json);
    ASSERT_EQ(read.status(), general.status()) << json;
  }
  // Outside the scanner's subset: left to the general reader.
  const std::vector<std::string> declined = {
      "",
      "42",
      "{",
      R"({"cmd":"HELLO_REQUEST"} x)",
      R"({"cmd":"HELLO_REQUEST","cmd":"HEARTBEAT_REQUEST"})",
      R"({"cmd":"HELLO_REQUEST","other":1})",
      R"({"cmd":"HELLO_\u0052EQUEST"})",
      R"({"cmd":"HELLO_REQUEST","desc":"caf)"
      "\xc3\xa9"
      R"("})",
      R"({"cmd":"HELLO_REQUEST","code":1.5})",
      R"({"cmd":"HELLO_REQUEST","code":1e2})",
      R"({"cmd":"HELLO_REQUEST","code":01})",
      R"({"cmd":"HELLO_REQUEST","code":12345678901234567890})",
      R"({"cmd":"HELLO_REQUEST","code":true})",
      R"({"cmd":true})",
      R"({"cmd":"HELLO_REQUEST","seq":false})",
      R"({"cmd":"HELLO_REQUEST","properties":[]})",
      R"({"cmd":"HELLO_REQUEST","properties":{"a":1}})",
      R"({"cmd":"HELLO_REQUEST","properties":{"a":{"b":"c"}}})",
      R"({"cmd":"HELLO_REQUEST",})",
      R"({"cmd":"HELLO_REQUEST")",
      std::string("{\"cmd\":\"HELLO_REQUEST\"}\0", 24),
      std::string("{\"cmd\":\"HELLO\0REQUEST\"}", 23),
      "{\"cmd\":\"HELLO_REQUEST\",\"desc\":\"a\tb\"}",
      R"({"c\u006dd":"HELLO_REQUEST"})",
      R"({"cmdx":"HELLO_REQUEST"})",
      R"({"cm":"HELLO_REQUEST"})",
      R"({"":"HELLO_REQUEST"})",
      R"({cmd:"HELLO_REQUEST"})",
  };
  for (const std::string& json : declined) {
    EXPECT_FALSE(header_internal::ParseSimpleHeader(json).has_value()) << json;
  }
  // Every prefix of a typical header: never a different answer than the general reader.
  const std::string typical = answered[0];
  for (size_t n = 0; n <= typical.size(); ++n) {
    const std::string prefix = typical.substr(0, n);
    auto simple = header_internal::ParseSimpleHeader(prefix);
    if (!simple.has_value()) continue;
    auto general = header_internal::ParseHeaderDocument(prefix);
    ASSERT_EQ(simple->status(), general.status()) << prefix;
    if (general.ok()) {
      EXPECT_EQ(**simple, *general) << prefix;
    }
  }
}

// Wherever the scanner answers a damaged header (each byte replaced by a byte that matters to
// JSON, or removed), it agrees with the general reader.
TEST(HeaderTest, SimpleHeaderScannerAgreesOnMutations) {
  const std::vector<std::string> headers = {
      R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","command":"ASYNC_MESSAGE_TO_SERVER","code":0,"seq":"12","properties":{"protocoltype":"eventmeshmessage","protocolversion":"1.0","protocoldesc":"tcp"}})",
      R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","command":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":99,"properties":{}})",
      R"({"desc":"d","msg":"m","code":"12","cmd":"HELLO_REQUEST","properties":null,"seq":null})",
  };
  const std::string replacements = std::string("\"\\{}[]:, 0-9aenlux\t") + '\0' + '\x80';
  size_t answered = 0;
  const auto check = [&](const std::string& text) {
    auto simple = header_internal::ParseSimpleHeader(text);
    if (!simple.has_value()) return;
    ++answered;
    auto general = header_internal::ParseHeaderDocument(text);
    ASSERT_EQ(simple->status(), general.status()) << text;
    if (general.ok()) {
      EXPECT_EQ(**simple, *general) << text;
    }
  };
  for (const std::string& header : headers) {
    for (size_t at = 0; at < header.size(); ++at) {
      for (char c : replacements) {
        std::string changed = header;
        changed[at] = c;
        check(changed);
      }
      std::string removed = header;
      removed.erase(at, 1);
      check(removed);
    }
  }
  EXPECT_GT(answered, 100u);  // the scanner saw many of them, not only declined them
}

// A header may carry any number of properties in any order: they are sorted once, not inserted
// one by one (a shift of the entries behind each, minutes for this many in reverse order: the
// test's timeout catches that). Both readers.
TEST(HeaderTest, ManyPropertiesInReverseOrderAreReadInOneSort) {
  for (const bool simple : {true, false}) {
    // As many as each reader takes: the compact scanner's most fields, and for the document
    // reader the value limit ({"cmd":..,"properties":{...}} is 5 values, then 2 a property).
    const int kCount = simple ? 1024 : static_cast<int>(kMaxJsonValues - 5) / 2;
    std::string json = R"({"cmd":"HELLO_REQUEST","properties":{)";
    for (int i = kCount; i > 0; --i) {
      json += "\"p" + std::to_string(i) + (simple ? "\":\"v\"" : "\":1");
      json += i > 1 ? "," : "";
    }
    json += "}}";
    absl::StatusOr<Header> h = Header::FromJson(json);
    ASSERT_TRUE(h.ok()) << h.status();
    ASSERT_EQ(h->properties.size(), static_cast<size_t>(kCount));
    EXPECT_EQ(h->properties.begin()->first, "p1");
    EXPECT_EQ(h->properties.at("p777"), simple ? "v" : "1");
  }
}

// HeaderReader answers every text as Header::FromJson does, into one reused Header, and compares
// instead of parsing only where the text differs from the remembered one in a plain seq.
TEST(HeaderReaderTest, ReadsEveryHeaderAsFromJsonDoes) {
  const std::string publish =
      R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","command":"ASYNC_MESSAGE_TO_SERVER","code":0,"seq":")";
  const std::string props =
      R"(","properties":{"protocoltype":"eventmeshmessage","protocolversion":"1.0",)"
      R"("protocoldesc":"tcp"}})";
  struct Case {
    std::string text;
    bool remembered;  // read by comparison with the text before
  };
  const std::vector<Case> cases = {
      {publish + "1" + props, false},
      {publish + "2" + props, true},
      {publish + "123456789012345678901234567890" + props, true},  // longer than inline
      {publish + "" + props, true},                                // empty seq
      {publish + "a b~!" + props, true},
      {publish + R"(1\"2)" + props, false},  // an escape: parsed
      {publish + "7" + props, true},         // a text the simple reader declines leaves the memory
      {publish + "8" + props, true},
      {publish + "\xc3\xa9" + props, false},                 // non-ASCII: the general reader
      {publish + R"(1","code":5,"seq":"2)" + props, false},  // a quote: parsed (repeated keys)
      {publish + R"(1","extra":"x)" + props, false},         // an unknown key: the general reader
      {publish + "9" + props, true},
      // DEL, the last byte of an 8-byte step: read, not remembered (the memory is left).
      {publish + "1234567890123456789\x7f" + props, false},
      {publish + "12345678901234567890" + props, false},
      {publish + "12345678901234567891" + props, true},
      // A control character: the general reader's error, the memory stays.
      {publish + "12345678901234\x01" + props, false},
      {publish + "12345678901234567892" + props, true},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":"5","properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":"6","properties":{}})", true},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":"6","properties":{"a":"b"}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":7,"properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":8,"properties":{}})", true},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":-123456789012345678,"properties":{}})",
       true},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":08,"properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":1234567890123456789,"properties":{}})",
       false},  // 19 digits: the general reader
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":"9","properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":10,"properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":1.5,"properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":-,"properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":"x","properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":11,"properties":{}})", false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":12,"properties":{}})", true},
      {R"({"cmd":"HEARTBEAT_REQUEST","code":0,"seq":"1"})", false},
      {R"({"cmd":"HEARTBEAT_REQUEST","code":0,"seq":"2"})", false},  // not a command in runs
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT_ACK","code":0,"seq":13,"properties":{}})",
       true},  // heartbeats left the acknowledgement remembered
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"1"})", false},
      {R"({"cmd":"NO_SUCH_COMMAND","code":0,"seq":"1"})", false},  // an error
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"2"})", true},
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"2"} )", false},
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"2"})", false},
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"3"})", true},
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"3)", false},  // malformed
      {R"({"cmd":"REQUEST_TO_SERVER","code":0,"seq":"3","desc":"x"})", false},
      // What a client reads in runs: pushes and acknowledgements of its publishes.
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT","command":"ASYNC_MESSAGE_TO_CLIENT","code":0,"seq":"1",)"
       R"("properties":{"protocoltype":"eventmeshmessage"}})",
       false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT","command":"ASYNC_MESSAGE_TO_CLIENT","code":0,"seq":"2",)"
       R"("properties":{"protocoltype":"eventmeshmessage"}})",
       true},
      {R"({"cmd":"ASYNC_MESSAGE_TO_CLIENT","command":"ASYNC_MESSAGE_TO_CLIENT","code":0,"seq":"3",)"
       R"("properties":{"protocoltype":"cloudevents"}})",
       false},  // another protocol type: parsed (and remembered)
      {R"({"cmd":"ASYNC_MESSAGE_TO_SERVER_ACK","command":"ASYNC_MESSAGE_TO_SERVER_ACK","code":0,)"
       R"("desc":"success","seq":"1000000017","properties":{}})",
       false},
      {R"({"cmd":"ASYNC_MESSAGE_TO_SERVER_ACK","command":"ASYNC_MESSAGE_TO_SERVER_ACK","code":0,)"
       R"("desc":"success","seq":"1000000018","properties":{}})",
       true},
      {R"({"cmd":"ASYNC_MESSAGE_TO_SERVER_ACK","command":"ASYNC_MESSAGE_TO_SERVER_ACK","code":1,)"
       R"("desc":"fail","seq":"1000000019","properties":{}})",
       false},  // an error: read in full
  };
  HeaderReader reader;
  Header reused;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const uint64_t before = reader.remembered_reads();
    const absl::StatusOr<Header> expected = Header::FromJson(c.text);
    const absl::Status got = reader.Read(c.text, &reused);
    EXPECT_EQ(got, expected.status());
    if (expected.ok()) {
      EXPECT_EQ(reused, *expected);
    }
    EXPECT_EQ(reader.remembered_reads() - before, c.remembered ? 1u : 0u);
  }
}

// After Forget the next header is parsed (and remembered again).
TEST(HeaderReaderTest, ForgetDropsTheRememberedHeader) {
  HeaderReader reader;
  Header header;
  const auto text = [](int seq) {
    return R"({"cmd":"REQUEST_TO_SERVER","seq":")" + std::to_string(seq) + R"("})";
  };
  ASSERT_TRUE(reader.Read(text(1), &header).ok());
  ASSERT_TRUE(reader.Read(text(2), &header).ok());
  EXPECT_EQ(reader.remembered_reads(), 1u);
  reader.Forget();
  ASSERT_TRUE(reader.Read(text(3), &header).ok());
  EXPECT_EQ(header.seq, "3");
  EXPECT_EQ(reader.remembered_reads(), 1u);
  ASSERT_TRUE(reader.Read(text(4), &header).ok());
  EXPECT_EQ(header.seq, "4");
  EXPECT_EQ(reader.remembered_reads(), 2u);
}

// A header read as the remembered one's text, or remembered, has that text's shape; another
// text (other properties, or read by the general parser) has another shape or none, and no two
// readers give the same shape.
TEST(HeaderReaderTest, HeadersOfOneTextShareAShape) {
  const auto text = [](int seq, absl::string_view version) {
    return absl::StrCat(R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","seq":")", seq,
                        R"(","properties":{"protocoltype":"eventmeshmessage",)",
                        R"("protocolversion":")", version, R"("}})");
  };
  HeaderReader reader;
  Header header;
  ASSERT_TRUE(reader.Read(text(1, "1.0"), &header).ok());
  const uint64_t first = reader.last_shape();
  EXPECT_NE(first, 0u);
  ASSERT_TRUE(reader.Read(text(2, "1.0"), &header).ok());
  EXPECT_EQ(reader.last_shape(), first);
  ASSERT_TRUE(reader.Read(text(3, "0.3"), &header).ok());  // other properties: remembered anew
  const uint64_t second = reader.last_shape();
  EXPECT_NE(second, 0u);
  EXPECT_NE(second, first);
  EXPECT_EQ(header.properties.find("protocolversion")->second, "0.3");
  ASSERT_TRUE(reader.Read(text(4, "1.0"), &header).ok());  // back: a new shape, not the first
  EXPECT_NE(reader.last_shape(), first);
  EXPECT_NE(reader.last_shape(), second);
  // Escapes: the general parser's, not remembered.
  ASSERT_TRUE(
      reader.Read(R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","seq":"5","desc":"a\nb"})", &header).ok());
  EXPECT_EQ(reader.last_shape(), 0u);
  HeaderReader other;
  ASSERT_TRUE(other.Read(text(6, "1.0"), &header).ok());
  EXPECT_NE(other.last_shape(), 0u);
  EXPECT_NE(other.last_shape(), first);
  // After Forget the text is remembered anew, with a new shape.
  const uint64_t before_forget = other.last_shape();
  other.Forget();
  ASSERT_TRUE(other.Read(text(7, "1.0"), &header).ok());
  EXPECT_NE(other.last_shape(), 0u);
  EXPECT_NE(other.last_shape(), before_forget);
  // Too large to remember, or not a command that comes in runs: no shape.
  ASSERT_TRUE(other
                  .Read(absl::StrCat(R"({"cmd":"ASYNC_MESSAGE_TO_SERVER","seq":"8","desc":")",
                                     std::string(HeaderReader::kMaxRemembered, 'd'), R"("})"),
                        &header)
                  .ok());
  EXPECT_EQ(other.last_shape(), 0u);
  ASSERT_TRUE(other.Read(R"({"cmd":"HELLO_REQUEST","seq":"9"})", &header).ok());
  EXPECT_EQ(other.last_shape(), 0u);
}

// Headers larger than HeaderReader::kMaxRemembered are parsed every time, and read right.
TEST(HeaderReaderTest, LargeHeadersAreParsedEachTime) {
  const std::string big(HeaderReader::kMaxRemembered, 'v');
  HeaderReader reader;
  Header reused;
  for (int seq = 0; seq < 3; ++seq) {
    const std::string text = R"({"cmd":"HEARTBEAT_REQUEST","seq":")" + std::to_string(seq) +
                             R"(","properties":{"p":")" + big + R"("}})";
    ASSERT_TRUE(reader.Read(text, &reused).ok());
    EXPECT_EQ(reused.seq, std::to_string(seq));
    EXPECT_EQ(reused.properties.at("p"), big);
  }
  EXPECT_EQ(reader.remembered_reads(), 0u);
}

}  // namespace
}  // namespace eventmesh::protocol::tcp
