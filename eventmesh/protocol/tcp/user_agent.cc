#include "eventmesh/protocol/tcp/user_agent.h"

#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {
namespace {

constexpr absl::string_view kModel = "UserAgent";

void ReadString(const rapidjson::Value& obj, const char* key, std::string* out) {
  if (auto v = StringMember(obj, key)) *out = std::move(*v);
}

void WriteIfSet(AppendWriter& w, absl::string_view key, const std::string& value) {
  if (value.empty()) return;
  WriteKey(w, key);
  WriteString(w, value);
}

}  // namespace

absl::StatusOr<UserAgent> UserAgent::FromJson(absl::string_view json) {
  rapidjson::Document doc;
  std::string scratch;
  if (absl::Status s = ParseLenient(json, kModel, &scratch, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return absl::InvalidArgumentError("UserAgent is not a JSON object");
  UserAgent ua;
  ReadString(doc, "env", &ua.env);
  ReadString(doc, "subsystem", &ua.subsystem);
  ReadString(doc, "path", &ua.path);
  ReadString(doc, "host", &ua.host);
  ReadString(doc, "version", &ua.version);
  ReadString(doc, "username", &ua.username);
  ReadString(doc, "password", &ua.password);
  ReadString(doc, "token", &ua.token);
  ReadString(doc, "idc", &ua.idc);
  ReadString(doc, "group", &ua.group);
  ReadString(doc, "purpose", &ua.purpose);
  for (auto [key, field] :
       {std::pair<const char*, int*>{"pid", &ua.pid}, {"port", &ua.port}, {"unack", &ua.unack}}) {
    if (absl::Status s = IntMember(doc, key, kModel, field); !s.ok()) return s;
  }
  if (ua.group.empty()) {
    std::string producer_group, consumer_group;
    ReadString(doc, "producerGroup", &producer_group);
    ReadString(doc, "consumerGroup", &consumer_group);
    if (ua.purpose == kPurposeSub && !consumer_group.empty()) {
      ua.group = std::move(consumer_group);
    } else if (!producer_group.empty()) {
      ua.group = std::move(producer_group);
    } else {
      ua.group = std::move(consumer_group);
    }
  }
  return ua;
}

std::string UserAgent::ToJson() const {
  std::string out;
  out.reserve(256);
  StringAppendStream stream(&out);
  AppendWriter w(stream);
  w.StartObject();
  WriteIfSet(w, "env", env);
  WriteIfSet(w, "subsystem", subsystem);
  WriteIfSet(w, "path", path);
  WriteKey(w, "pid");
  w.Int(pid);
  WriteIfSet(w, "host", host);
  WriteKey(w, "port");
  w.Int(port);
  WriteIfSet(w, "version", version);
  WriteIfSet(w, "username", username);
  WriteIfSet(w, "password", password);
  WriteIfSet(w, "token", token);
  WriteIfSet(w, "idc", idc);
  WriteIfSet(w, "group", group);
  WriteIfSet(w, "purpose", purpose);
  WriteKey(w, "unack");
  w.Int(unack);
  w.EndObject();
  return out;
}

absl::Status UserAgent::Validate() const {
  if (version.empty()) return absl::InvalidArgumentError("UserAgent version is required");
  if (purpose != kPurposePub && purpose != kPurposeSub) {
    return absl::InvalidArgumentError(absl::StrCat(
        "UserAgent purpose must be \"pub\" or \"sub\", got \"", absl::CHexEscape(purpose), "\""));
  }
  if (absl::StripAsciiWhitespace(group).empty()) {
    return absl::InvalidArgumentError("UserAgent group is required (non-blank)");
  }
  return absl::OkStatus();
}

bool UserAgent::operator==(const UserAgent& o) const {
  auto tie = [](const UserAgent& u) {
    return std::tie(u.env, u.subsystem, u.path, u.pid, u.host, u.port, u.version, u.username,
                    u.password, u.token, u.idc, u.group, u.purpose, u.unack);
  };
  return tie(*this) == tie(o);
}

}  // namespace eventmesh::protocol::tcp
