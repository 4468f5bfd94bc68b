#include "eventmesh/protocol/json/json.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/error/en.h"

namespace eventmesh::json {

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text, absl::string_view what) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON in ", what, ": ",
                                                   rapidjson::GetParseError_En(doc.GetParseError()),
                                                   " at offset ", doc.GetErrorOffset()));
  }
  return doc;
}

std::optional<absl::string_view> GetString(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return ToStringView(it->value);
}

std::optional<int64_t> GetInt64(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return std::nullopt;
  const rapidjson::Value& v = it->value;
  if (v.IsInt64()) return v.GetInt64();
  if (v.IsString()) {
    int64_t out;
    if (absl::SimpleAtoi(ToStringView(v), &out)) return out;
  }
  return std::nullopt;
}

std::string ToJsonString(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  value.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace eventmesh::json
