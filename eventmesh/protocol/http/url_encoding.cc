#include "eventmesh/protocol/http/url_encoding.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace eventmesh::protocol::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '*' || c == '_';
}

// Decodes `text`, which starts at byte `base` of the caller's input, appending to *out. Runs
// without '+' or '%' are copied in one step; each byte is searched once (memchr), whatever the
// mix of escapes.
absl::Status DecodeInto(absl::string_view text, size_t base, std::string* out) {
  out->reserve(out->size() + text.size());
  const char* const begin = text.data();
  const size_t size = text.size();
  auto next = [&](char c, size_t from) {
    const void* hit = from < size ? std::memchr(begin + from, c, size - from) : nullptr;
    return hit == nullptr ? size : static_cast<size_t>(static_cast<const char*>(hit) - begin);
  };
  size_t next_plus = next('+', 0);
  size_t next_percent = next('%', 0);
  size_t i = 0;
  while (true) {
    const size_t run_end = std::min(next_plus, next_percent);
    out->append(begin + i, run_end - i);
    if (run_end == size) break;
    if (run_end == next_plus) {
      out->push_back(' ');
      i = run_end + 1;
      next_plus = next('+', i);
      continue;
    }
    const int hi = run_end + 1 < size ? HexValue(text[run_end + 1]) : -1;
    const int lo = run_end + 2 < size ? HexValue(text[run_end + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid percent-escape '", text.substr(run_end, 3), "' at position ", base + run_end));
    }
    out->push_back(static_cast<char>(hi * 16 + lo));
    i = run_end + 3;  // the two hex digits are not '+' or '%': next_plus stays valid
    next_percent = next('%', i);
  }
  return absl::OkStatus();
}

void EncodeInto(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->reserve(out->size() + text.size());
  size_t i = 0;
  while (i < text.size()) {
    // A run of bytes that stay as they are is copied in one step.
    size_t run_end = i;
    while (run_end < text.size() && IsUnreserved(static_cast<unsigned char>(text[run_end]))) {
      ++run_end;
    }
    out->append(text.data() + i, run_end - i);
    if (run_end == text.size()) break;
    const auto c = static_cast<unsigned char>(text[run_end]);
    if (c == ' ') {
      out->push_back('+');
    } else {
      const char escape[3] = {'%', kHex[c >> 4], kHex[c & 0xf]};
      out->append(escape, 3);
    }
    i = run_end + 1;
  }
}

}  // namespace

std::string UrlEncode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  EncodeInto(text, &out);
  return out;
}

absl::StatusOr<std::string> UrlDecode(absl::string_view text) {
  std::string out;
  absl::Status s = DecodeInto(text, 0, &out);
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<FormFields> ParseForm(absl::string_view body) {
  FormFields fields;
  fields.reserve(8);  // the usual handful of fields without regrowing
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == absl::string_view::npos) end = body.size();
    absl::string_view segment = body.substr(start, end - start);
    if (!segment.empty()) {
      if (fields.size() == kMaxFormFields) {
        return absl::OutOfRangeError(
            absl::StrCat("form with more than ", kMaxFormFields, " fields"));
      }
      const size_t eq = segment.find('=');
      absl::string_view key = segment.substr(0, eq);
      absl::string_view value =
          eq == absl::string_view::npos ? absl::string_view() : segment.substr(eq + 1);
      std::string k, v;
      absl::Status s = DecodeInto(key, start, &k);
      if (s.ok() && eq != absl::string_view::npos) s = DecodeInto(value, start + eq + 1, &v);
      if (!s.ok()) return s;
      fields.emplace_back(std::move(k), std::move(v));
    }
    start = end + 1;
  }
  return fields;
}

std::string EncodeForm(const FormFields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out.push_back('&');
    EncodeInto(key, &out);
    out.push_back('=');
    EncodeInto(value, &out);
  }
  return out;
}

absl::StatusOr<Form> Form::Parse(absl::string_view body) {
  absl::StatusOr<FormFields> fields = ParseForm(body);
  if (!fields.ok()) return fields.status();
  return Form(*std::move(fields));
}

std::optional<absl::string_view> Form::Get(absl::string_view key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) return absl::string_view(v);
  }
  return std::nullopt;
}

std::vector<absl::string_view> Form::GetAll(absl::string_view key) const {
  std::vector<absl::string_view> out;
  for (const auto& [k, v] : fields_) {
    if (k == key) out.emplace_back(v);
  }
  return out;
}

}  // namespace eventmesh::protocol::http
