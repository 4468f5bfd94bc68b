#include "eventmesh/protocol/http/headers.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::protocol::http {

HeaderMap::HeaderMap(
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> entries) {
  for (const auto& [name, value] : entries) Set(name, value);
}

size_t HeaderMap::CaseInsensitiveHash::operator()(absl::string_view name) const {
  char lower[64];
  if (name.size() <= sizeof(lower)) {
    for (size_t i = 0; i < name.size(); ++i) {
      lower[i] = absl::ascii_tolower(static_cast<unsigned char>(name[i]));
    }
    return absl::Hash<absl::string_view>{}(absl::string_view(lower, name.size()));
  }
  return absl::Hash<std::string>{}(absl::AsciiStrToLower(name));
}

bool HeaderMap::CaseInsensitiveEq::operator()(absl::string_view a, absl::string_view b) const {
  return absl::EqualsIgnoreCase(a, b);
}

std::vector<const HeaderMap::Entries::value_type*> HeaderMap::Sorted() const {
  std::vector<const Entries::value_type*> sorted;
  sorted.reserve(entries_.size());
  for (const auto& entry : entries_) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    const absl::string_view x = a->first;
    const absl::string_view y = b->first;
    const size_t n = std::min(x.size(), y.size());
    for (size_t i = 0; i < n; ++i) {
      const unsigned char cx = absl::ascii_tolower(static_cast<unsigned char>(x[i]));
      const unsigned char cy = absl::ascii_tolower(static_cast<unsigned char>(y[i]));
      if (cx != cy) return cx < cy;
    }
    return x.size() < y.size();
  });
  return sorted;
}

void HeaderMap::Set(absl::string_view name, absl::string_view value) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    entries_.emplace(std::string(name), std::string(value));
    return;
  }
  if (it->first != name) {
    // Keep the new spelling: re-key the entry (the same key for the hash and equality).
    auto node = entries_.extract(it);
    node.key() = std::string(name);
    it = entries_.insert(std::move(node)).position;
  }
  it->second.assign(value.data(), value.size());
}

std::optional<absl::string_view> HeaderMap::Get(absl::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return absl::string_view(it->second);
}

std::string HeaderMap::GetOr(absl::string_view name, absl::string_view fallback) const {
  std::optional<absl::string_view> v = Get(name);
  return std::string(v.has_value() ? *v : fallback);
}

bool HeaderMap::Remove(absl::string_view name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

absl::StatusOr<std::string> NormalizeProtocolVersion(absl::string_view version) {
  absl::string_view v = absl::StripAsciiWhitespace(version);
  if (v.empty()) return std::string(kProtocolVersion1);
  if (v == kProtocolVersion1 || v == kProtocolVersion2) return std::string(v);
  return absl::InvalidArgumentError(
      absl::StrCat("header 'version' must be 1.0 or 2.0, got '", version, "'"));
}

absl::StatusOr<RequestHeader> RequestHeader::Parse(const HeaderMap& headers, RequestCode code) {
  RequestHeader h;
  h.code = code;
  absl::StatusOr<std::string> version =
      NormalizeProtocolVersion(headers.GetOr(header_key::kVersion, ""));
  if (!version.ok()) return version.status();
  h.version = *std::move(version);
  // Copies a header's value into the field (left as it is when the header is absent).
  auto copy = [&headers](absl::string_view name, std::string* field) {
    if (std::optional<absl::string_view> value = headers.Get(name)) {
      field->assign(value->data(), value->size());
    }
  };
  copy(header_key::kLanguage, &h.language);
  if (absl::StripAsciiWhitespace(h.language).empty()) h.language = std::string(kDefaultLanguage);
  copy(header_key::kEnv, &h.env);
  copy(header_key::kIdc, &h.idc);
  copy(header_key::kSys, &h.sys);
  copy(header_key::kPid, &h.pid);
  copy(header_key::kIp, &h.ip);
  copy(header_key::kUsername, &h.username);
  copy(header_key::kPasswd, &h.passwd);
  copy(header_key::kProtocolType, &h.protocol_type);
  copy(header_key::kProtocolVersion, &h.protocol_version);
  copy(header_key::kProtocolDesc, &h.protocol_desc);

  if (RequiresClientIdentity(code)) {
    const std::pair<absl::string_view, const std::string*> required[] = {
        {header_key::kIdc, &h.idc}, {header_key::kSys, &h.sys}, {header_key::kPid, &h.pid}};
    for (const auto& [name, value] : required) {
      if (absl::StripAsciiWhitespace(*value).empty()) {
        return absl::InvalidArgumentError(absl::StrCat("missing header '", name,
                                                       "' (required for request code ",
                                                       RequestCodeValue(code), ")"));
      }
    }
    for (char c : h.pid) {
      if (c < '0' || c > '9') {
        return absl::InvalidArgumentError(
            absl::StrCat("header 'pid' must be numeric, got '", h.pid, "'"));
      }
    }
  }
  return h;
}

HeaderMap RequestHeader::ToHeaderMap() const {
  HeaderMap m;
  m.Set(header_key::kCode, absl::StrCat(RequestCodeValue(code)));
  m.Set(header_key::kVersion, version);
  const std::pair<absl::string_view, const std::string*> optional_fields[] = {
      {header_key::kLanguage, &language},
      {header_key::kEnv, &env},
      {header_key::kIdc, &idc},
      {header_key::kSys, &sys},
      {header_key::kPid, &pid},
      {header_key::kIp, &ip},
      {header_key::kUsername, &username},
      {header_key::kPasswd, &passwd},
      {header_key::kProtocolType, &protocol_type},
      {header_key::kProtocolVersion, &protocol_version},
      {header_key::kProtocolDesc, &protocol_desc},
  };
  for (const auto& [name, value] : optional_fields) {
    if (!value->empty()) m.Set(name, *value);
  }
  return m;
}

}  // namespace eventmesh::protocol::http
