#include "eventmesh/protocol/tcp/subscription.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {

absl::string_view SubscriptionModeName(SubscriptionMode mode) {
  switch (mode) {
    case SubscriptionMode::kClustering:
      return "CLUSTERING";
    case SubscriptionMode::kBroadcasting:
      return "BROADCASTING";
    default:
      return "UNRECOGNIZED";
  }
}

absl::string_view SubscriptionTypeName(SubscriptionType type) {
  switch (type) {
    case SubscriptionType::kAsync:
      return "ASYNC";
    case SubscriptionType::kSync:
      return "SYNC";
    default:
      return "UNRECOGNIZED";
  }
}

absl::StatusOr<SubscriptionMode> ParseSubscriptionMode(absl::string_view name) {
  if (name == "CLUSTERING") return SubscriptionMode::kClustering;
  if (name == "BROADCASTING") return SubscriptionMode::kBroadcasting;
  if (name == "UNRECOGNIZED") return SubscriptionMode::kUnrecognized;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown subscription mode \"", absl::CHexEscape(name), "\""));
}

absl::StatusOr<SubscriptionType> ParseSubscriptionType(absl::string_view name) {
  if (name == "ASYNC") return SubscriptionType::kAsync;
  if (name == "SYNC") return SubscriptionType::kSync;
  if (name == "UNRECOGNIZED") return SubscriptionType::kUnrecognized;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown subscription type \"", absl::CHexEscape(name), "\""));
}

absl::StatusOr<Subscription> Subscription::FromJson(absl::string_view json) {
  rapidjson::Document doc;
  std::string scratch;
  if (absl::Status s = ParseLenient(json, "Subscription", &scratch, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return absl::InvalidArgumentError("Subscription is not a JSON object");
  Subscription sub;
  auto list = doc.FindMember("topicList");
  if (list == doc.MemberEnd() || list->value.IsNull()) return sub;
  if (!list->value.IsArray()) {
    return absl::InvalidArgumentError("Subscription topicList is not an array");
  }
  sub.topic_list.reserve(list->value.Size());
  for (rapidjson::SizeType i = 0; i < list->value.Size(); ++i) {
    const rapidjson::Value& item = list->value[i];
    const std::string where = absl::StrCat("Subscription topicList[", i, "]");
    if (!item.IsObject()) return absl::InvalidArgumentError(where + " is not an object");
    SubscriptionItem out;
    std::optional<std::string> topic = StringMember(item, "topic");
    if (!topic) return absl::InvalidArgumentError(where + " has no topic");
    out.topic = std::move(*topic);
    std::optional<std::string> mode = StringMember(item, "mode");
    if (!mode) return absl::InvalidArgumentError(where + " has no mode");
    absl::StatusOr<SubscriptionMode> m = ParseSubscriptionMode(*mode);
    if (!m.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", m.status().message()));
    out.mode = *m;
    std::optional<std::string> type = StringMember(item, "type");
    if (!type) return absl::InvalidArgumentError(where + " has no type");
    absl::StatusOr<SubscriptionType> t = ParseSubscriptionType(*type);
    if (!t.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", t.status().message()));
    out.type = *t;
    sub.topic_list.push_back(std::move(out));
  }
  return sub;
}

std::string Subscription::ToJson() const {
  std::string out;
  StringAppendStream stream(&out);
  AppendWriter w(stream);
  w.StartObject();
  WriteKey(w, "topicList");
  w.StartArray();
  for (const SubscriptionItem& item : topic_list) {
    w.StartObject();
    WriteKey(w, "topic");
    WriteString(w, item.topic);
    WriteKey(w, "mode");
    WriteString(w, SubscriptionModeName(item.mode));
    WriteKey(w, "type");
    WriteString(w, SubscriptionTypeName(item.type));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

}  // namespace eventmesh::protocol::tcp
