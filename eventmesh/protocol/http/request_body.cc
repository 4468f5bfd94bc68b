#include "eventmesh/protocol/http/request_body.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/status_macros.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::protocol::http {
namespace {

using json::Writer;

bool IsBlank(absl::string_view s) { return absl::StripAsciiWhitespace(s).empty(); }

absl::Status MissingField(absl::string_view key) {
  return absl::InvalidArgumentError(absl::StrCat("missing body field '", key, "'"));
}

// A required field: present and not blank.
absl::StatusOr<std::string> Required(const BodyFields& f, absl::string_view key) {
  std::optional<absl::string_view> v = f.Get(key);
  if (!v.has_value() || IsBlank(*v)) return MissingField(key);
  return std::string(*v);
}

// A required field that may be empty but must be present.
absl::StatusOr<std::string> Present(const BodyFields& f, absl::string_view key) {
  std::optional<absl::string_view> v = f.Get(key);
  if (!v.has_value()) return MissingField(key);
  return std::string(*v);
}

std::string Optional(const BodyFields& f, absl::string_view key) {
  return std::string(f.Get(key).value_or(""));
}

absl::StatusOr<int64_t> ParseNonNegative(absl::string_view key, absl::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(text);
  int64_t v = 0;
  bool digits = !t.empty();
  for (char c : t) digits = digits && c >= '0' && c <= '9';
  if (!digits || !absl::SimpleAtoi(t, &v)) {
    return absl::InvalidArgumentError(
        absl::StrCat("body field '", key, "' must be a non-negative integer, got '", text, "'"));
  }
  return v;
}

// `ttl`: required when `required`, else `fallback` when absent or blank.
absl::StatusOr<int64_t> Ttl(const BodyFields& f, absl::string_view key, bool required,
                            int64_t fallback) {
  std::optional<absl::string_view> v = f.Get(key);
  if (!v.has_value() || IsBlank(*v)) {
    if (required) return MissingField(key);
    return fallback;
  }
  return ParseNonNegative(key, *v);
}

// Parses the JSON text of field `key` and checks it is an array.
absl::StatusOr<rapidjson::Document> JsonArrayField(absl::string_view key, absl::string_view text,
                                                   bool non_empty) {
  absl::StatusOr<rapidjson::Document> doc =
      json::ParseJson(text, absl::StrCat("body field '", key, "'"), kMaxJsonBodyValues);
  if (!doc.ok()) return doc.status();
  if (!doc->IsArray() || (non_empty && doc->Empty())) {
    return absl::InvalidArgumentError(absl::StrCat("body field '", key, "' must be a ",
                                                   non_empty ? "non-empty " : "", "JSON array"));
  }
  return doc;
}

absl::Status ItemError(absl::string_view key, size_t index, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("body field '", key, "'[", index, "]: ", what));
}

// An optional JSON object of string values (numbers and booleans are taken as their text,
// as Jackson does for Map<String, String>).
absl::StatusOr<StringMap> StringMapField(const BodyFields& f, absl::string_view key) {
  StringMap out;
  std::optional<absl::string_view> text = f.Get(key);
  if (!text.has_value() || IsBlank(*text)) return out;
  absl::StatusOr<rapidjson::Document> doc =
      json::ParseJson(*text, absl::StrCat("body field '", key, "'"), kMaxJsonBodyValues);
  if (!doc.ok()) return doc.status();
  if (!doc->IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat("body field '", key, "' must be a JSON object"));
  }
  for (const auto& m : doc->GetObject()) {
    std::string name(json::ToStringView(m.name));
    if (m.value.IsString()) {
      out[name] = std::string(json::ToStringView(m.value));
    } else if (m.value.IsNumber() || m.value.IsBool()) {
      out[name] = json::ToJsonString(m.value);
    } else if (!m.value.IsNull()) {
      return absl::InvalidArgumentError(
          absl::StrCat("body field '", key, "' value of '", name, "' must be a string"));
    }
  }
  return out;
}

std::string StringMapJson(const StringMap& map) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (const auto& [k, v] : map) {
    json::WriteKey(w, k);
    json::WriteString(w, v);
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// A string member of a JSON array item; "" when absent; error when not a string.
absl::StatusOr<std::string> ItemString(const rapidjson::Value& item, const char* member,
                                       absl::string_view key, size_t index, bool required) {
  auto it = item.FindMember(member);
  if (it == item.MemberEnd() || it->value.IsNull()) {
    if (required) return ItemError(key, index, absl::StrCat("missing '", member, "'"));
    return std::string();
  }
  if (!it->value.IsString()) {
    return ItemError(key, index, absl::StrCat("'", member, "' must be a string"));
  }
  std::string v(json::ToStringView(it->value));
  if (required && IsBlank(v)) {
    return ItemError(key, index, absl::StrCat("missing '", member, "'"));
  }
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// BodyFields

absl::StatusOr<BodyFields> BodyFields::FromForm(absl::string_view body) {
  absl::StatusOr<FormFields> fields = ParseForm(body);
  if (!fields.ok()) return fields.status();
  return BodyFields(*std::move(fields));
}

absl::StatusOr<BodyFields> BodyFields::FromJson(absl::string_view body) {
  absl::StatusOr<rapidjson::Document> doc =
      json::ParseJson(body, "request body", kMaxJsonBodyValues);
  if (!doc.ok()) return doc.status();
  if (!doc->IsObject()) return absl::InvalidArgumentError("request body must be a JSON object");
  FormFields fields;
  for (const auto& m : doc->GetObject()) {
    if (m.value.IsNull()) continue;
    fields.emplace_back(std::string(json::ToStringView(m.name)),
                        m.value.IsString() ? std::string(json::ToStringView(m.value))
                                           : json::ToJsonString(m.value));
  }
  return BodyFields(std::move(fields));
}

absl::StatusOr<BodyFields> BodyFields::Parse(absl::string_view content_type,
                                             absl::string_view body) {
  if (absl::StrContains(absl::AsciiStrToLower(content_type), "application/json")) {
    return FromJson(body);
  }
  return FromForm(body);
}

std::optional<absl::string_view> BodyFields::Get(absl::string_view key) const {
  for (const auto& [k, v] : fields_) {
    if (k == key) return absl::string_view(v);
  }
  for (const auto& [k, v] : fields_) {
    if (absl::EqualsIgnoreCase(k, key)) return absl::string_view(v);
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------
// 101 / 104

absl::StatusOr<SendMessageRequestBody> SendMessageRequestBody::Parse(
    const BodyFields& fields, RequestCode code, absl::string_view protocol_type) {
  if (code != RequestCode::kMsgSendSync && code != RequestCode::kMsgSendAsync) {
    return absl::InvalidArgumentError(
        absl::StrCat("request code ", RequestCodeValue(code), " has no send-message body"));
  }
  SendMessageRequestBody b;
  const bool cloudevents = absl::EqualsIgnoreCase(protocol_type, "cloudevents");
  if (cloudevents) {
    // id, subject and type come from the structured CloudEvent in `content`.
    b.topic = Optional(fields, "topic");
    b.biz_seq_no = Optional(fields, "bizseqno");
    b.unique_id = Optional(fields, "uniqueid");
    EM_ASSIGN_OR_RETURN(b.content, Required(fields, "content"));
    EM_ASSIGN_OR_RETURN(b.producer_group, Required(fields, "producergroup"));
  } else {
    EM_ASSIGN_OR_RETURN(b.topic, Required(fields, "topic"));
    EM_ASSIGN_OR_RETURN(b.content, Present(fields, "content"));
    EM_ASSIGN_OR_RETURN(b.biz_seq_no, Required(fields, "bizseqno"));
    EM_ASSIGN_OR_RETURN(b.unique_id, Required(fields, "uniqueid"));
    EM_ASSIGN_OR_RETURN(b.producer_group, Required(fields, "producergroup"));
  }
  EM_ASSIGN_OR_RETURN(b.ttl_ms,
                      Ttl(fields, "ttl", code == RequestCode::kMsgSendSync, kDefaultMessageTtlMs));
  b.tag = Optional(fields, "tag");
  EM_ASSIGN_OR_RETURN(b.ext_fields, StringMapField(fields, "extFields"));
  return b;
}

FormFields SendMessageRequestBody::ToForm() const {
  FormFields f = {{"topic", topic},
                  {"content", content},
                  {"bizseqno", biz_seq_no},
                  {"uniqueid", unique_id},
                  {"producergroup", producer_group},
                  {"ttl", absl::StrCat(ttl_ms)}};
  if (!tag.empty()) f.emplace_back("tag", tag);
  if (!ext_fields.empty()) f.emplace_back("extFields", StringMapJson(ext_fields));
  return f;
}

// ---------------------------------------------------------------------------------------
// 102

absl::StatusOr<BatchSendRequestBody> BatchSendRequestBody::Parse(const BodyFields& fields) {
  BatchSendRequestBody b;
  EM_ASSIGN_OR_RETURN(b.batch_id, Required(fields, "batchId"));
  EM_ASSIGN_OR_RETURN(std::string size_text, Required(fields, "size"));
  EM_ASSIGN_OR_RETURN(int64_t size, ParseNonNegative("size", size_text));
  EM_ASSIGN_OR_RETURN(b.producer_group, Required(fields, "producerGroup"));
  EM_ASSIGN_OR_RETURN(std::string contents_text, Required(fields, "contents"));
  EM_ASSIGN_OR_RETURN(rapidjson::Document contents,
                      JsonArrayField("contents", contents_text, /*non_empty=*/true));
  size_t i = 0;
  for (const rapidjson::Value& item : contents.GetArray()) {
    if (!item.IsObject()) return ItemError("contents", i, "must be a JSON object");
    BatchMessageItem m;
    EM_ASSIGN_OR_RETURN(m.biz_seq_no, ItemString(item, "bizSeqNo", "contents", i, false));
    EM_ASSIGN_OR_RETURN(m.topic, ItemString(item, "topic", "contents", i, true));
    EM_ASSIGN_OR_RETURN(m.msg, ItemString(item, "msg", "contents", i, true));
    EM_ASSIGN_OR_RETURN(m.tag, ItemString(item, "tag", "contents", i, false));
    auto ttl = item.FindMember("ttl");
    if (ttl != item.MemberEnd() && !ttl->value.IsNull() &&
        !(ttl->value.IsString() && IsBlank(json::ToStringView(ttl->value)))) {
      std::optional<int64_t> v = json::GetInt64(item, "ttl");
      if (!v.has_value() || *v < 0) {
        return ItemError("contents", i, "'ttl' must be a non-negative integer");
      }
      m.ttl_ms = *v;
    }
    b.contents.push_back(std::move(m));
    ++i;
  }
  if (static_cast<uint64_t>(size) != b.contents.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "body field 'size' is ", size, " but 'contents' has ", b.contents.size(), " entries"));
  }
  return b;
}

FormFields BatchSendRequestBody::ToForm() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const BatchMessageItem& m : contents) {
    w.StartObject();
    w.Key("bizSeqNo");
    json::WriteString(w, m.biz_seq_no);
    w.Key("topic");
    json::WriteString(w, m.topic);
    w.Key("msg");
    json::WriteString(w, m.msg);
    w.Key("tag");
    json::WriteString(w, m.tag);
    if (m.ttl_ms.has_value()) {
      w.Key("ttl");
      json::WriteString(w, absl::StrCat(*m.ttl_ms));
    }
    w.EndObject();
  }
  w.EndArray();
  return {{"batchId", batch_id},
          {"size", absl::StrCat(contents.size())},
          {"producerGroup", producer_group},
          {"contents", std::string(buf.GetString(), buf.GetSize())}};
}

// ---------------------------------------------------------------------------------------
// 107

absl::StatusOr<BatchSendV2RequestBody> BatchSendV2RequestBody::Parse(const BodyFields& fields) {
  BatchSendV2RequestBody b;
  EM_ASSIGN_OR_RETURN(b.biz_seq_no, Required(fields, "bizseqno"));
  EM_ASSIGN_OR_RETURN(b.topic, Required(fields, "topic"));
  EM_ASSIGN_OR_RETURN(b.msg, Present(fields, "msg"));
  b.tag = Optional(fields, "tag");
  EM_ASSIGN_OR_RETURN(b.ttl_ms, Ttl(fields, "ttl", false, kDefaultMessageTtlMs));
  EM_ASSIGN_OR_RETURN(b.producer_group, Required(fields, "producergroup"));
  return b;
}

FormFields BatchSendV2RequestBody::ToForm() const {
  FormFields f = {{"bizseqno", biz_seq_no},
                  {"topic", topic},
                  {"msg", msg},
                  {"ttl", absl::StrCat(ttl_ms)},
                  {"producergroup", producer_group}};
  if (!tag.empty()) f.emplace_back("tag", tag);
  return f;
}

// ---------------------------------------------------------------------------------------
// 203

absl::string_view ClientTypeName(ClientType type) {
  return type == ClientType::kPub ? "PUB" : "SUB";
}

absl::StatusOr<HeartbeatRequestBody> HeartbeatRequestBody::Parse(const BodyFields& fields) {
  HeartbeatRequestBody b;
  EM_ASSIGN_OR_RETURN(std::string client_type, Required(fields, "clientType"));
  if (client_type == "PUB") {
    b.client_type = ClientType::kPub;
  } else if (client_type == "SUB") {
    b.client_type = ClientType::kSub;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("body field 'clientType' must be PUB or SUB, got '", client_type, "'"));
  }
  b.consumer_group = Optional(fields, "consumerGroup");
  b.producer_group = Optional(fields, "producerGroup");
  if (b.client_type == ClientType::kSub && IsBlank(b.consumer_group)) {
    return MissingField("consumerGroup");
  }
  if (b.client_type == ClientType::kPub && IsBlank(b.producer_group)) {
    return MissingField("producerGroup");
  }
  EM_ASSIGN_OR_RETURN(std::string entities_text, Required(fields, "heartbeatEntities"));
  EM_ASSIGN_OR_RETURN(rapidjson::Document entities,
                      JsonArrayField("heartbeatEntities", entities_text, /*non_empty=*/false));
  size_t i = 0;
  for (const rapidjson::Value& item : entities.GetArray()) {
    if (!item.IsObject()) return ItemError("heartbeatEntities", i, "must be a JSON object");
    HeartbeatEntity e;
    EM_ASSIGN_OR_RETURN(e.topic, ItemString(item, "topic", "heartbeatEntities", i, true));
    EM_ASSIGN_OR_RETURN(e.service_id, ItemString(item, "serviceId", "heartbeatEntities", i, false));
    EM_ASSIGN_OR_RETURN(e.url, ItemString(item, "url", "heartbeatEntities", i, true));
    EM_ASSIGN_OR_RETURN(e.instance_id,
                        ItemString(item, "instanceId", "heartbeatEntities", i, false));
    b.entities.push_back(std::move(e));
    ++i;
  }
  return b;
}

FormFields HeartbeatRequestBody::ToForm() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const HeartbeatEntity& e : entities) {
    w.StartObject();
    w.Key("topic");
    json::WriteString(w, e.topic);
    w.Key("serviceId");
    json::WriteString(w, e.service_id);
    w.Key("url");
    json::WriteString(w, e.url);
    w.Key("instanceId");
    json::WriteString(w, e.instance_id);
    w.EndObject();
  }
  w.EndArray();
  FormFields f = {{"clientType", std::string(ClientTypeName(client_type))}};
  if (!consumer_group.empty()) f.emplace_back("consumerGroup", consumer_group);
  if (!producer_group.empty()) f.emplace_back("producerGroup", producer_group);
  f.emplace_back("heartbeatEntities", std::string(buf.GetString(), buf.GetSize()));
  return f;
}

// ---------------------------------------------------------------------------------------
// 206 / 207

absl::string_view SubscriptionModeName(SubscriptionMode mode) {
  return mode == SubscriptionMode::kClustering ? "CLUSTERING" : "BROADCASTING";
}

absl::string_view SubscriptionTypeName(SubscriptionType type) {
  return type == SubscriptionType::kAsync ? "ASYNC" : "SYNC";
}

absl::StatusOr<SubscribeRequestBody> SubscribeRequestBody::Parse(const BodyFields& fields) {
  SubscribeRequestBody b;
  EM_ASSIGN_OR_RETURN(b.url, Required(fields, "url"));
  EM_ASSIGN_OR_RETURN(b.consumer_group, Required(fields, "consumerGroup"));
  b.remote_mesh = Optional(fields, "remoteMesh");
  EM_ASSIGN_OR_RETURN(std::string topic_text, Required(fields, "topic"));
  EM_ASSIGN_OR_RETURN(rapidjson::Document topics,
                      JsonArrayField("topic", topic_text, /*non_empty=*/true));
  size_t i = 0;
  for (const rapidjson::Value& item : topics.GetArray()) {
    if (!item.IsObject()) return ItemError("topic", i, "must be a JSON object");
    SubscriptionItem s;
    EM_ASSIGN_OR_RETURN(s.topic, ItemString(item, "topic", "topic", i, true));
    EM_ASSIGN_OR_RETURN(std::string mode, ItemString(item, "mode", "topic", i, false));
    EM_ASSIGN_OR_RETURN(std::string type, ItemString(item, "type", "topic", i, false));
    if (mode == "BROADCASTING") {
      s.mode = SubscriptionMode::kBroadcasting;
    } else if (!mode.empty() && mode != "CLUSTERING") {
      return ItemError("topic", i,
                       absl::StrCat("mode must be CLUSTERING or BROADCASTING, got '", mode, "'"));
    }
    if (type == "SYNC") {
      s.type = SubscriptionType::kSync;
    } else if (!type.empty() && type != "ASYNC") {
      return ItemError("topic", i, absl::StrCat("type must be ASYNC or SYNC, got '", type, "'"));
    }
    b.topics.push_back(std::move(s));
    ++i;
  }
  return b;
}

FormFields SubscribeRequestBody::ToForm() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const SubscriptionItem& s : topics) {
    w.StartObject();
    w.Key("topic");
    json::WriteString(w, s.topic);
    w.Key("mode");
    json::WriteString(w, SubscriptionModeName(s.mode));
    w.Key("type");
    json::WriteString(w, SubscriptionTypeName(s.type));
    w.EndObject();
  }
  w.EndArray();
  FormFields f = {{"topic", std::string(buf.GetString(), buf.GetSize())},
                  {"url", url},
                  {"consumerGroup", consumer_group}};
  if (!remote_mesh.empty()) f.emplace_back("remoteMesh", remote_mesh);
  return f;
}

absl::StatusOr<UnsubscribeRequestBody> UnsubscribeRequestBody::Parse(const BodyFields& fields) {
  UnsubscribeRequestBody b;
  EM_ASSIGN_OR_RETURN(b.url, Required(fields, "url"));
  EM_ASSIGN_OR_RETURN(b.consumer_group, Required(fields, "consumerGroup"));
  b.remote_mesh = Optional(fields, "remoteMesh");
  EM_ASSIGN_OR_RETURN(std::string topic_text, Required(fields, "topic"));
  EM_ASSIGN_OR_RETURN(rapidjson::Document topics,
                      JsonArrayField("topic", topic_text, /*non_empty=*/true));
  size_t i = 0;
  for (const rapidjson::Value& item : topics.GetArray()) {
    std::string topic;
    if (item.IsString()) {
      topic = std::string(json::ToStringView(item));
      if (IsBlank(topic)) return ItemError("topic", i, "must not be blank");
    } else if (item.IsObject()) {
      EM_ASSIGN_OR_RETURN(topic, ItemString(item, "topic", "topic", i, true));
    } else {
      return ItemError("topic", i, "must be a topic name");
    }
    b.topics.push_back(std::move(topic));
    ++i;
  }
  return b;
}

FormFields UnsubscribeRequestBody::ToForm() const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const std::string& t : topics) json::WriteString(w, t);
  w.EndArray();
  FormFields f = {{"topic", std::string(buf.GetString(), buf.GetSize())},
                  {"url", url},
                  {"consumerGroup", consumer_group}};
  if (!remote_mesh.empty()) f.emplace_back("remoteMesh", remote_mesh);
  return f;
}

// ---------------------------------------------------------------------------------------
// 301

absl::StatusOr<ReplyMessageRequestBody> ReplyMessageRequestBody::Parse(const BodyFields& fields) {
  ReplyMessageRequestBody b;
  EM_ASSIGN_OR_RETURN(b.orig_topic, Required(fields, "origtopic"));
  EM_ASSIGN_OR_RETURN(b.biz_seq_no, Required(fields, "bizseqno"));
  EM_ASSIGN_OR_RETURN(b.unique_id, Required(fields, "uniqueid"));
  EM_ASSIGN_OR_RETURN(b.content, Present(fields, "content"));
  EM_ASSIGN_OR_RETURN(b.producer_group, Required(fields, "producergroup"));
  EM_ASSIGN_OR_RETURN(b.ext_fields, StringMapField(fields, "extFields"));
  return b;
}

FormFields ReplyMessageRequestBody::ToForm() const {
  FormFields f = {{"origtopic", orig_topic},
                  {"bizseqno", biz_seq_no},
                  {"uniqueid", unique_id},
                  {"content", content},
                  {"producergroup", producer_group}};
  if (!ext_fields.empty()) f.emplace_back("extFields", StringMapJson(ext_fields));
  return f;
}

// ---------------------------------------------------------------------------------------
// URI endpoints and push

absl::StatusOr<TopicRequestBody> TopicRequestBody::Parse(const BodyFields& fields) {
  TopicRequestBody b;
  EM_ASSIGN_OR_RETURN(b.topic, Required(fields, "topic"));
  return b;
}

FormFields PushMessageForm::ToForm() const {
  return {{"content", content},    {"bizseqno", biz_seq_no},
          {"uniqueId", unique_id}, {"randomNo", random_no},
          {"topic", topic},        {"extFields", StringMapJson(ext_fields)}};
}

absl::StatusOr<PushMessageForm> PushMessageForm::Parse(const BodyFields& fields) {
  PushMessageForm p;
  EM_ASSIGN_OR_RETURN(p.content, Present(fields, "content"));
  EM_ASSIGN_OR_RETURN(p.topic, Required(fields, "topic"));
  p.biz_seq_no = Optional(fields, "bizseqno");
  p.unique_id = Optional(fields, "uniqueId");
  p.random_no = Optional(fields, "randomNo");
  EM_ASSIGN_OR_RETURN(p.ext_fields, StringMapField(fields, "extFields"));
  return p;
}

RequestCode PushRequestCode(SubscriptionType type) {
  return type == SubscriptionType::kSync ? RequestCode::kHttpPushClientSync
                                         : RequestCode::kHttpPushClientAsync;
}

}  // namespace eventmesh::protocol::http
