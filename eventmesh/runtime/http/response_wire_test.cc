#include "eventmesh/runtime/http/response_wire.h"

#include <sstream>
#include <string>

#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"

namespace eventmesh::runtime::http {
namespace {

namespace bhttp = boost::beast::http;

// What the connection wrote before response_wire: Beast's serializer on the same answer.
std::string BeastBytes(const HttpResponse& response, bool keep_alive) {
  bhttp::response<bhttp::string_body> message;
  message.version(11);
  message.result(static_cast<unsigned>(response.status));
  message.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) message.set(name, value);
  message.body() = response.body;
  message.keep_alive(keep_alive);
  message.prepare_payload();
  std::ostringstream out;
  out << message;
  return out.str();
}

std::string Serialized(const HttpResponse& response, bool keep_alive) {
  std::string out = "stale bytes of the previous answer";
  SerializeResponse(response, keep_alive, /*head_request=*/false, &out);
  return out;
}

HttpResponse Typical() {
  HttpResponse response;
  response.status = 200;
  response.headers = {{"eventmeshcluster", "LS"},
                      {"eventmeship", "127.0.0.1"},
                      {"eventmeshenv", "PRD"},
                      {"eventmeshidc", "DC1"},
                      {"code", "104"}};
  response.body = R"({"retCode":0,"retMsg":"success","resTime":1764800000000})";
  return response;
}

TEST(ResponseWireTest, TypicalAnswerIsByteForByteWhatBeastWrites) {
  const HttpResponse response = Typical();
  EXPECT_EQ(Serialized(response, true), BeastBytes(response, true));
  EXPECT_EQ(Serialized(response, false), BeastBytes(response, false));
  EXPECT_EQ(Serialized(response, true).rfind("HTTP/1.1 200 OK\r\nContent-Type: ", 0), 0u);
}

TEST(ResponseWireTest, StatusesAndBodiesLikeBeast) {
  for (int status : {200, 201, 400, 401, 403, 404, 413, 429, 431, 500, 503, 599}) {
    HttpResponse response = Typical();
    response.status = status;
    EXPECT_EQ(Serialized(response, true), BeastBytes(response, true)) << status;
  }
  HttpResponse empty;
  empty.content_type = "text/plain";
  EXPECT_EQ(Serialized(empty, true), BeastBytes(empty, true));
  HttpResponse large = Typical();
  large.body.assign(1 << 20, 'x');
  EXPECT_EQ(Serialized(large, false), BeastBytes(large, false));
}

TEST(ResponseWireTest, NoContentCarriesNoBodyAndNoLength) {
  HttpResponse response;
  response.status = 204;
  response.content_type = "application/json";
  // Beast writes "Content-Length: 0" here; RFC 9110 8.6 says a 204 has none.
  EXPECT_EQ(Serialized(response, true),
            "HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n");
  response.body = "dropped";  // Beast refuses such a response; it is sent without the body
  EXPECT_EQ(Serialized(response, true),
            "HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n");
  response.status = 304;
  EXPECT_EQ(Serialized(response, false),
            "HTTP/1.1 304 Not Modified\r\nContent-Type: application/json\r\n"
            "Connection: close\r\n\r\n");
}

TEST(ResponseWireTest, AnswerToHeadHasTheLengthButNoBody) {
  HttpResponse response = Typical();
  response.status = 405;
  std::string out;
  SerializeResponse(response, true, /*head_request=*/true, &out);
  const std::string full = Serialized(response, true);
  EXPECT_EQ(out, full.substr(0, full.size() - response.body.size()));
  EXPECT_NE(out.find("Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n"),
            std::string::npos);
}

TEST(ResponseWireTest, LaterHeaderReplacesEarlierOfTheSameNameLikeBeast) {
  HttpResponse response = Typical();
  response.headers.emplace_back("CODE", "105");                 // replaces "code"
  response.headers.emplace_back("content-type", "text/plain");  // replaces the content type
  EXPECT_EQ(Serialized(response, true), BeastBytes(response, true));
  const std::string bytes = Serialized(response, true);
  EXPECT_EQ(bytes.find("code: 104"), std::string::npos);
  EXPECT_NE(bytes.find("CODE: 105\r\n"), std::string::npos);
  EXPECT_EQ(bytes.find("application/json"), std::string::npos);
}

TEST(ResponseWireTest, FramingHeadersAreTheConnections) {
  HttpResponse response = Typical();
  response.headers.emplace_back("Content-Length", "999");
  response.headers.emplace_back("Connection", "keep-alive");
  const std::string bytes = Serialized(response, false);
  EXPECT_EQ(bytes.find("999"), std::string::npos);
  EXPECT_EQ(bytes.find("keep-alive"), std::string::npos);
  EXPECT_NE(bytes.find("Content-Length: " + std::to_string(response.body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(bytes.find("Connection: close\r\nContent-Length: "), std::string::npos);
}

TEST(ResponseWireTest, LineBreaksInHeadersCannotSplitTheResponse) {
  HttpResponse response = Typical();
  response.headers.emplace_back("x-echo", "a\r\n\r\nHTTP/1.1 200 OK\r\nx: y");
  response.headers.emplace_back("bad\nname", "v");
  response.content_type = "text/plain\r\nSet-Cookie: s=1";
  const std::string bytes = Serialized(response, true);
  EXPECT_NE(bytes.find("x-echo: a    HTTP/1.1 200 OK  x: y\r\n"), std::string::npos);
  EXPECT_NE(bytes.find("bad name: v\r\n"), std::string::npos);
  EXPECT_NE(bytes.find("Content-Type: text/plain  Set-Cookie: s=1\r\n"), std::string::npos);
  // One header block: the only blank line is the one before the body.
  EXPECT_EQ(bytes.find("\r\n\r\n"), bytes.size() - response.body.size() - 4);
}

}  // namespace
}  // namespace eventmesh::runtime::http
