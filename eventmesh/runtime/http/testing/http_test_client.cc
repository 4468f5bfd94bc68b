#include "eventmesh/runtime/http/testing/http_test_client.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/http/response.h"

namespace eventmesh::runtime::http::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

void ParseRetCode(HttpReply* reply) {
  auto parsed = protocol::http::ParseResponseJson(reply->body);
  if (parsed.ok()) {
    reply->ret_code = parsed->ret_code;
    reply->ret_msg = parsed->ret_msg;
  }
}

HttpReply ToReply(const bhttp::response<bhttp::string_body>& response) {
  HttpReply reply;
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    reply.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
        std::string(field.value());
  }
  reply.body = response.body();
  ParseRetCode(&reply);
  return reply;
}

bhttp::request<bhttp::string_body> MakeRequest(const std::string& method, const std::string& target,
                                               const Headers& headers, const std::string& body) {
  bhttp::request<bhttp::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(bhttp::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.insert(name, value);
  request.body() = body;
  request.prepare_payload();
  return request;
}

absl::StatusOr<std::unique_ptr<HttpConnection>> HttpConnection::Connect(int port) {
  std::unique_ptr<HttpConnection> c(new HttpConnection());
  beast::error_code ec;
  c->stream_.expires_after(std::chrono::seconds(10));
  c->stream_.socket().connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                     static_cast<uint16_t>(port)),
      ec);
  if (ec) return absl::UnavailableError(absl::StrCat("connect: ", ec.message()));
  return c;
}

absl::Status HttpConnection::WriteRaw(const std::string& bytes) {
  beast::error_code ec;
  boost::asio::write(stream_.socket(), boost::asio::buffer(bytes), ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<HttpReply> HttpConnection::Read(bool head_request) {
  // Blocking read with a deadline: run the async read on our io_context.
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(head_request);
  beast::error_code result = boost::asio::error::would_block;
  stream_.expires_after(std::chrono::seconds(10));
  bhttp::async_read(stream_, buffer_, parser,
                    [&result](const beast::error_code& ec, size_t) { result = ec; });
  io_.restart();
  io_.run();
  if (result) return absl::UnavailableError(absl::StrCat("read: ", result.message()));
  return ToReply(parser.get());
}

absl::StatusOr<HttpReply> HttpConnection::Send(const std::string& method, const std::string& target,
                                               const Headers& headers, const std::string& body) {
  auto request = MakeRequest(method, target, headers, body);
  beast::error_code ec;
  bhttp::write(stream_.socket(), request, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("write: ", ec.message()));
  return Read();
}

bool HttpConnection::WaitClosed(int64_t timeout_ms) {
  char byte;
  beast::error_code result = boost::asio::error::would_block;
  stream_.expires_after(std::chrono::milliseconds(timeout_ms));
  stream_.async_read_some(boost::asio::buffer(&byte, 1),
                          [&result](const beast::error_code& ec, size_t) { result = ec; });
  io_.restart();
  io_.run();
  return result && result != beast::error::timeout;
}

absl::StatusOr<HttpReply> HttpCall(int port, const std::string& method, const std::string& target,
                                   const Headers& headers, const std::string& body) {
  auto connection = HttpConnection::Connect(port);
  if (!connection.ok()) return connection.status();
  return (*connection)->Send(method, target, headers, body);
}

Headers CodeHeaders(int code, Headers extra) {
  Headers headers = {
      {"code", std::to_string(code)}, {"idc", "DC1"}, {"sys", "5477"}, {"pid", "123"}};
  for (auto& h : extra) headers.push_back(std::move(h));
  return headers;
}

}  // namespace eventmesh::runtime::http::testing
