#include "eventmesh/protocol/http/headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace eventmesh::protocol::http {

HeaderMap::HeaderMap(
    std::initializer_list<std::pair<absl::string_view, absl::string_view>> entries) {
  for (const auto& [name, value] : entries) Set(name, value);
}

void HeaderMap::Set(absl::string_view name, absl::string_view value) {
  entries_[absl::AsciiStrToLower(name)] = {std::string(name), std::string(value)};
}

std::optional<absl::string_view> HeaderMap::Get(absl::string_view name) const {
  auto it = entries_.find(absl::AsciiStrToLower(name));
  if (it == entries_.end()) return std::nullopt;
  return absl::string_view(it->second.second);
}

std::string HeaderMap::GetOr(absl::string_view name, absl::string_view fallback) const {
  std::optional<absl::string_view> v = Get(name);
  return std::string(v.has_value() ? *v : fallback);
}

bool HeaderMap::Remove(absl::string_view name) {
  return entries_.erase(absl::AsciiStrToLower(name)) > 0;
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
  h.language = headers.GetOr(header_key::kLanguage, "");
  if (absl::StripAsciiWhitespace(h.language).empty()) h.language = std::string(kDefaultLanguage);
  h.env = headers.GetOr(header_key::kEnv, "");
  h.idc = headers.GetOr(header_key::kIdc, "");
  h.sys = headers.GetOr(header_key::kSys, "");
  h.pid = headers.GetOr(header_key::kPid, "");
  h.ip = headers.GetOr(header_key::kIp, "");
  h.username = headers.GetOr(header_key::kUsername, "");
  h.passwd = headers.GetOr(header_key::kPasswd, "");
  h.protocol_type = headers.GetOr(header_key::kProtocolType, "");
  h.protocol_version = headers.GetOr(header_key::kProtocolVersion, "");
  h.protocol_desc = headers.GetOr(header_key::kProtocolDesc, "");

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
