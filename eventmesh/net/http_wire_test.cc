#include "eventmesh/net/http_wire.h"

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace eventmesh::net {
namespace {

namespace bhttp = boost::beast::http;
using Headers = std::vector<std::pair<std::string, std::string>>;

// What the clients wrote before http_wire: Beast's serializer on the same request.
std::string BeastBytes(bhttp::verb verb, const std::string& target, const Headers& headers,
                       const std::string& body) {
  bhttp::request<bhttp::string_body> request{verb, target, 11};
  request.set(bhttp::field::host, "127.0.0.1:8080");
  request.set(bhttp::field::user_agent, "eventmesh-cpp");
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.body() = body;
  if (!body.empty() || verb == bhttp::verb::post || verb == bhttp::verb::put) {
    request.prepare_payload();
  }
  request.keep_alive(true);
  std::ostringstream out;
  out << request;
  return out.str();
}

std::string Serialized(bhttp::verb verb, const std::string& target, const Headers& headers,
                       const std::string& body) {
  std::string out = "stale bytes of the previous request";
  const auto method = bhttp::to_string(verb);
  SerializeRequest(absl::string_view(method.data(), method.size()), target, "127.0.0.1:8080",
                   "eventmesh-cpp", headers, body, &out);
  return out;
}

TEST(HttpWireTest, RequestsAreByteForByteWhatBeastWrites) {
  const Headers webhook = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"code", "105"},
                           {"eventmeshcluster", "LS"},
                           {"x-dup", "1"},
                           {"x-dup", "2"}};  // duplicates are kept, in order
  for (const auto verb : {bhttp::verb::post, bhttp::verb::put, bhttp::verb::get, bhttp::verb::head,
                          bhttp::verb::options, bhttp::verb::delete_}) {
    for (const std::string& body :
         std::vector<std::string>{"", "topic=t&content=%7B%7D", std::string(70000, 'b')}) {
      EXPECT_EQ(Serialized(verb, "/hook?a=1", webhook, body),
                BeastBytes(verb, "/hook?a=1", webhook, body))
          << bhttp::to_string(verb) << " with " << body.size() << " body bytes";
    }
  }
  EXPECT_EQ(Serialized(bhttp::verb::post, "/", {}, ""),
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: eventmesh-cpp\r\n"
            "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(Serialized(bhttp::verb::get, "/health", {}, ""),
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: eventmesh-cpp\r\n\r\n");
}

TEST(HttpWireTest, FramingAndHostAreTheSerializers) {
  const Headers headers = {{"host", "evil.example"},
                           {"Content-Length", "999"},
                           {"Transfer-Encoding", "chunked"},
                           {"Connection", "close"},
                           {"x-kept", "v"}};
  const std::string bytes = Serialized(bhttp::verb::post, "/p", headers, "abc");
  EXPECT_EQ(bytes,
            "POST /p HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: eventmesh-cpp\r\n"
            "x-kept: v\r\nContent-Length: 3\r\n\r\nabc");
}

TEST(HttpWireTest, ACallersUserAgentReplacesTheDefault) {
  const std::string bytes = Serialized(bhttp::verb::get, "/", {{"user-agent", "my-service/2"}}, "");
  EXPECT_EQ(bytes, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nuser-agent: my-service/2\r\n\r\n");
}

TEST(HttpWireTest, LineBreaksCannotStartAHeaderOrARequest) {
  const std::string bytes =
      Serialized(bhttp::verb::post, "/p\r\nX-Injected: 1",
                 {{"x-echo", "a\r\n\r\nGET /admin HTTP/1.1"}, {"bad\r\nname", "v"}}, "body");
  EXPECT_EQ(bytes,
            "POST /p  X-Injected: 1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "User-Agent: eventmesh-cpp\r\nx-echo: a    GET /admin HTTP/1.1\r\nbad  name: v\r\n"
            "Content-Length: 4\r\n\r\nbody");
}

TEST(HttpWireTest, FieldsAndDecimals) {
  std::string out;
  AppendHttpField("Name", "value with spaces", &out);
  AppendDecimal(0, &out);
  out.push_back(' ');
  AppendDecimal(18446744073709551615ull, &out);
  EXPECT_EQ(out, "Name: value with spaces\r\n0 18446744073709551615");
}

}  // namespace
}  // namespace eventmesh::net
