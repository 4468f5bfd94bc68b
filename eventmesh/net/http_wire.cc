#include "eventmesh/net/http_wire.h"

#include "absl/strings/match.h"

namespace eventmesh::net {
namespace {

// Appends `text` with CR and LF written as spaces.
void AppendFieldText(absl::string_view text, std::string* out) {
  const size_t start = out->size();
  out->append(text.data(), text.size());
  for (size_t i = start; i < out->size(); ++i) {
    char& c = (*out)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
}

}  // namespace

void AppendHttpField(absl::string_view name, absl::string_view value, std::string* out) {
  AppendFieldText(name, out);
  out->append(": ");
  AppendFieldText(value, out);
  out->append("\r\n");
}

void AppendDecimal(uint64_t value, std::string* out) {
  char digits[20];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) out->push_back(digits[--n]);
}

void SerializeRequest(absl::string_view method, absl::string_view target, absl::string_view host,
                      absl::string_view user_agent,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      absl::string_view body, std::string* out) {
  out->clear();
  out->reserve(96 + target.size() + host.size() + user_agent.size() + 64 * headers.size() +
               body.size());
  AppendFieldText(method, out);
  out->push_back(' ');
  AppendFieldText(target, out);
  out->append(" HTTP/1.1\r\n");
  AppendHttpField("Host", host, out);
  bool own_user_agent = false;
  for (const auto& [name, value] : headers) {
    if (absl::EqualsIgnoreCase(name, "User-Agent")) own_user_agent = true;
  }
  if (!own_user_agent) AppendHttpField("User-Agent", user_agent, out);
  for (const auto& [name, value] : headers) {
    if (absl::EqualsIgnoreCase(name, "Host") || absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding") ||
        absl::EqualsIgnoreCase(name, "Connection")) {
      continue;  // the serializer's
    }
    AppendHttpField(name, value, out);
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    out->append("Content-Length: ");
    AppendDecimal(body.size(), out);
    out->append("\r\n");
  }
  out->append("\r\n");
  out->append(body.data(), body.size());
}

}  // namespace eventmesh::net
