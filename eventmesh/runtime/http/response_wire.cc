#include "eventmesh/runtime/http/response_wire.h"

#include <cstddef>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "boost/beast/http/status.hpp"
#include "eventmesh/net/http_wire.h"

namespace eventmesh::runtime::http {
namespace {

using net::AppendDecimal;
using net::AppendHttpField;

bool SameName(absl::string_view a, absl::string_view b) { return absl::EqualsIgnoreCase(a, b); }

}  // namespace

void SerializeResponse(const HttpResponse& response, bool keep_alive, bool head_request,
                       std::string* out) {
  const auto& headers = response.headers;
  out->clear();
  out->reserve(128 + response.content_type.size() + response.body.size() + 64 * headers.size());
  out->append("HTTP/1.1 ");
  AppendDecimal(static_cast<uint64_t>(response.status), out);
  out->push_back(' ');
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  out->append(reason.data(), reason.size());
  out->append("\r\n");

  // A header is written where the last one of its name stands (Beast's set(): replace = erase
  // the earlier ones, append the new one).
  auto replaced_later = [&](size_t i) {
    for (size_t j = i + 1; j < headers.size(); ++j) {
      if (SameName(headers[i].first, headers[j].first)) return true;
    }
    return false;
  };
  bool content_type_replaced = false;
  for (const auto& [name, value] : headers) {
    if (SameName(name, "Content-Type")) content_type_replaced = true;
  }
  if (!content_type_replaced) AppendHttpField("Content-Type", response.content_type, out);
  for (size_t i = 0; i < headers.size(); ++i) {
    const auto& [name, value] = headers[i];
    if (SameName(name, "Content-Length") || SameName(name, "Connection") || replaced_later(i)) {
      continue;  // framing is the connection's
    }
    AppendHttpField(name, value, out);
  }
  const int status = response.status;
  const bool body_allowed = !(status / 100 == 1 || status == 204 || status == 304);
  if (!keep_alive) out->append("Connection: close\r\n");
  if (body_allowed) {
    out->append("Content-Length: ");
    AppendDecimal(response.body.size(), out);
    out->append("\r\n");
  }
  out->append("\r\n");
  if (body_allowed && !head_request) out->append(response.body);
}

}  // namespace eventmesh::runtime::http
