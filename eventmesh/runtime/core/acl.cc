#include "eventmesh/runtime/core/acl.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventmesh/protocol/json/json.h"
#include "openssl/crypto.h"
#include "openssl/evp.h"

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

// Equal without an early exit on the first differing byte.
bool ConstantTimeEqual(absl::string_view a, absl::string_view b) {
  unsigned diff = a.size() != b.size();
  for (size_t i = 0; i < b.size(); ++i) {
    diff |= static_cast<unsigned char>(b[i]) ^ static_cast<unsigned char>(i < a.size() ? a[i] : 0);
  }
  return diff == 0;
}

absl::StatusOr<std::string> FromHex(absl::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c != ':') clean.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  if (clean.empty() || clean.size() % 2 != 0 ||
      clean.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return absl::InvalidArgumentError("not hexadecimal");
  }
  return absl::HexStringToBytes(clean);
}

absl::Status ParseHash(absl::string_view text, AclUser* user) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '$');
  int64_t iterations = 0;
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256" ||
      !absl::SimpleAtoi(parts[1], &iterations) || iterations < 1 || iterations > 100'000'000) {
    return absl::InvalidArgumentError(
        "\"passwordHash\" must be \"pbkdf2-sha256$<iterations>$<salt hex>$<derived key hex>\"");
  }
  auto salt = FromHex(parts[2]);
  auto derived = FromHex(parts[3]);
  if (!salt.ok() || !derived.ok() || salt->size() < 8 || derived->size() < 16) {
    return absl::InvalidArgumentError(
        "\"passwordHash\": the salt (at least 8 bytes) and the derived key (at least 16 bytes) "
        "must be hexadecimal");
  }
  user->iterations = iterations;
  user->salt = *std::move(salt);
  user->derived = *std::move(derived);
  return absl::OkStatus();
}

bool Verify(const AclUser& user, absl::string_view password) {
  if (user.iterations == 0) return ConstantTimeEqual(user.password, password);
  std::string out(user.derived.size(), '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(user.salt.data()),
                        static_cast<int>(user.salt.size()), static_cast<int>(user.iterations),
                        EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    return false;
  }
  return CRYPTO_memcmp(out.data(), user.derived.data(), out.size()) == 0;
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
    auto hash = json::GetString(entry, "passwordHash");
    if (!name.has_value() || name->empty() || (password.has_value() && hash.has_value())) {
      return absl::InvalidArgumentError(
          absl::StrCat(what,
                       ": every user needs a non-empty \"username\" and at most one of "
                       "\"password\" and \"passwordHash\""));
    }
    user.username = std::string(*name);
    if (!password.has_value() && !hash.has_value()) {
      user.token_only = true;
    } else if (password.has_value()) {
      user.password = std::string(*password);
    } else if (absl::Status s = ParseHash(*hash, &user); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": user \"", user.username, "\": ", s.message()));
    }
    if (auto s = ReadPatterns(entry, "publish", what, &user.publish); !s.ok()) return s;
    if (auto s = ReadPatterns(entry, "subscribe", what, &user.subscribe); !s.ok()) return s;
    user.groups_restricted = entry.HasMember("groups");
    if (auto s = ReadPatterns(entry, "groups", what, &user.groups); !s.ok()) return s;
    if (entry.HasMember("admin")) {
      if (!entry["admin"].IsBool()) {
        return absl::InvalidArgumentError(
            absl::StrCat(what, ": user \"", user.username, "\": \"admin\" must be true or false"));
      }
      user.admin = entry["admin"].GetBool();
    }
    std::string key = user.username;
    if (!acl.users_.emplace(key, std::move(user)).second) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": duplicate user \"", key, "\""));
    }
  }
  // The stand-in for unknown users: the costliest credential of the file, never matching.
  for (const auto& [name, user] : acl.users_) {
    if (user.token_only) continue;
    if (user.iterations > acl.stand_in_.iterations ||
        (acl.stand_in_.iterations == 0 && user.password.size() > acl.stand_in_.password.size())) {
      acl.stand_in_ = user;
    }
  }
  acl.stand_in_.username.clear();
  acl.stand_in_.admin = false;
  acl.stand_in_.token_only = false;
  acl.stand_in_.password.append("\x01 never");  // cannot equal what a client sends as well
  return acl;
}

const AclUser* Acl::Authenticate(absl::string_view username, absl::string_view password) const {
  auto it = users_.find(username);
  // An unknown user is checked against a stand-in with the same kind of credential, so the
  // answer takes as long as for a known user with a wrong password.
  const AclUser& user = it != users_.end() ? it->second : stand_in_;
  const bool matches = Verify(user, password);
  return it != users_.end() && matches && !user.token_only ? &it->second : nullptr;
}

const AclUser* Acl::Find(absl::string_view username) const {
  auto it = users_.find(username);
  return it != users_.end() ? &it->second : nullptr;
}

bool Acl::CanUseGroup(const AclUser& user, absl::string_view group) {
  return !user.groups_restricted || Matches(user.groups, group);
}

bool Acl::CanPublish(const AclUser& user, absl::string_view topic) {
  return Matches(user.publish, topic);
}

bool Acl::CanSubscribe(const AclUser& user, absl::string_view topic) {
  return Matches(user.subscribe, topic);
}

}  // namespace eventmesh::runtime::core
