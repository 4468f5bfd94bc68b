#include "eventmesh/runtime/core/acl.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::runtime::core {
namespace {

bool Matches(const std::vector<std::string>& patterns, absl::string_view topic) {
  for (const auto& pattern : patterns) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (absl::StartsWith(topic, absl::string_view(pattern).substr(0, pattern.size() - 1))) {
        return true;
      }
    } else if (pattern == topic) {
      return true;
    }
  }
  return false;
}

absl::Status ReadPatterns(const rapidjson::Value& user, const char* key, absl::string_view what,
                          std::vector<std::string>* out) {
  if (!user.HasMember(key)) return absl::OkStatus();
  const rapidjson::Value& list = user[key];
  if (!list.IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": \"", key, "\" must be an array"));
  }
  for (const auto& item : list.GetArray()) {
    if (!item.IsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": \"", key, "\" entries must be strings"));
    }
    out->emplace_back(json::ToStringView(item));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Acl> Acl::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read credentials file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), absl::StrCat("credentials file ", path));
}

absl::StatusOr<Acl> Acl::Parse(absl::string_view text, absl::string_view what) {
  auto doc = json::ParseJson(text, what);
  if (!doc.ok()) return doc.status();
  if (!doc->IsObject() || !doc->HasMember("users") || !(*doc)["users"].IsArray()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected an object with a \"users\" array"));
  }
  Acl acl;
  for (const auto& entry : (*doc)["users"].GetArray()) {
    if (!entry.IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": every user must be an object"));
    }
    AclUser user;
    auto name = json::GetString(entry, "username");
    auto password = json::GetString(entry, "password");
    if (!name.has_value() || name->empty() || !password.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": every user needs a non-empty \"username\" and a \"password\""));
    }
    user.username = std::string(*name);
    user.password = std::string(*password);
    if (auto s = ReadPatterns(entry, "publish", what, &user.publish); !s.ok()) return s;
    if (auto s = ReadPatterns(entry, "subscribe", what, &user.subscribe); !s.ok()) return s;
    std::string key = user.username;
    if (!acl.users_.emplace(key, std::move(user)).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": duplicate user \"", key, "\""));
    }
  }
  return acl;
}

const AclUser* Acl::Authenticate(absl::string_view username, absl::string_view password) const {
  auto it = users_.find(username);
  if (it == users_.end()) return nullptr;
  // Compare without an early exit on the first differing byte.
  const std::string& expected = it->second.password;
  unsigned diff = expected.size() != password.size();
  for (size_t i = 0; i < password.size(); ++i) {
    diff |= static_cast<unsigned char>(password[i]) ^
            static_cast<unsigned char>(i < expected.size() ? expected[i] : 0);
  }
  return diff == 0 ? &it->second : nullptr;
}

bool Acl::CanPublish(const AclUser& user, absl::string_view topic) {
  return Matches(user.publish, topic);
}

bool Acl::CanSubscribe(const AclUser& user, absl::string_view topic) {
  return Matches(user.subscribe, topic);
}

}  // namespace eventmesh::runtime::core
