#include "eventmesh/protocol/tcp/json_text.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace eventmesh::protocol::tcp {

absl::Status JsonNulError(absl::string_view text, absl::string_view what) {
  auto parsed = json::ParseJson(text, what);
  if (!parsed.ok()) return parsed.status();
  return absl::InvalidArgumentError(absl::StrCat("malformed JSON in ", what));
}

std::optional<std::string> ScalarText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(View(v));
  if (v.IsBool()) return std::string(v.GetBool() ? "true" : "false");
  if (v.IsNull()) return std::nullopt;
  if (v.IsNumber()) {  // Only when not parsed leniently.
    return v.IsInt64() ? std::to_string(v.GetInt64()) : std::to_string(v.GetDouble());
  }
  std::string out;
  StringAppendStream stream(&out);
  AppendWriter w(stream);
  v.Accept(w);
  return out;
}

bool IsCompleteJson(absl::string_view text) {
  if (text.empty()) return false;
  // SAX validation: no DOM is built.
  const json::ParseOutcome outcome = json::Validate<rapidjson::kParseNumbersAsStringsFlag>(text);
  return outcome.ok() || outcome.too_deep;
}

std::optional<std::string> StringMember(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd()) return std::nullopt;
  return ScalarText(it->value);
}

absl::Status IntMember(const rapidjson::Value& obj, const char* key, absl::string_view model,
                       int* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  int value = 0;
  if (!it->value.IsString() || !absl::SimpleAtoi(View(it->value), &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(model, " field ", key,
                     " is not an int: ", absl::CHexEscape(ScalarText(it->value).value_or("null"))));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status StringMapMember(const rapidjson::Value& obj, const char* key, absl::string_view model,
                             std::map<std::string, std::string>* out) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return absl::OkStatus();
  if (!it->value.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat(model, " field ", key, " is not an object"));
  }
  for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
    if (auto text = ScalarText(m->value)) {
      out->insert_or_assign(std::string(View(m->name)), std::move(*text));
    }
  }
  return absl::OkStatus();
}

void WriteStringMap(AppendWriter& w, const std::map<std::string, std::string>& map) {
  w.StartObject();
  for (const auto& [k, v] : map) {
    WriteKey(w, k);
    WriteString(w, v);
  }
  w.EndObject();
}

}  // namespace eventmesh::protocol::tcp
