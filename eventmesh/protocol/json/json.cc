#include "eventmesh/protocol/json/json.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"

namespace eventmesh::json {

absl::Status ParseError(const ParseOutcome& outcome, absl::string_view what) {
  if (outcome.too_many) {
    return absl::OutOfRangeError(
        absl::StrCat("JSON in ", what, " has more than ", outcome.max_values, " values"));
  }
  if (outcome.too_deep) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON in ", what,
                                                   ": nesting deeper than ", kMaxDepth,
                                                   " levels at offset ", outcome.result.Offset()));
  }
  return absl::InvalidArgumentError(absl::StrCat("malformed JSON in ", what, ": ",
                                                 rapidjson::GetParseError_En(outcome.result.Code()),
                                                 " at offset ", outcome.result.Offset()));
}

absl::StatusOr<rapidjson::Document> ParseJson(absl::string_view text, absl::string_view what,
                                              size_t max_values) {
  rapidjson::Document doc;
  const ParseOutcome outcome = internal::ParseText(text, [&](auto& stream) {
    return ParseInto<rapidjson::kParseFullPrecisionFlag>(
        stream, &doc, static_cast<rapidjson::CrtAllocator*>(nullptr), max_values);
  });
  if (!outcome.ok()) return ParseError(outcome, what);
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
