#include "eventmesh/protocol/tcp/header.h"

#include <climits>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {
namespace {

constexpr absl::string_view kWhat = "package header";

// Headers are small (~100-300 bytes); parse them without touching the heap.
using StackDocument =
    rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                               rapidjson::MemoryPoolAllocator<>>;

}  // namespace

absl::string_view OpStatusDesc(int code) {
  switch (code) {
    case OpStatus::kSuccess:
      return "success";
    case OpStatus::kFail:
      return "fail";
    case OpStatus::kAclFail:
      return "aclFail";
    case OpStatus::kTpsOverload:
      return "tpsOverload";
    default:
      return "";
  }
}

absl::StatusOr<Header> Header::FromJson(absl::string_view json) {
  char value_buffer[4096];
  char parse_buffer[1024];
  char reader_buffer[512];
  char text_buffer[2048];
  std::string heap_text;
  rapidjson::MemoryPoolAllocator<> value_allocator(value_buffer, sizeof(value_buffer));
  rapidjson::MemoryPoolAllocator<> parse_allocator(parse_buffer, sizeof(parse_buffer));
  rapidjson::MemoryPoolAllocator<> reader_allocator(reader_buffer, sizeof(reader_buffer));
  StackDocument doc(&value_allocator, sizeof(parse_buffer), &parse_allocator);
  absl::Status parse_status =
      json.size() + kJsonScratchPadding <= sizeof(text_buffer)
          ? ParseLenientInto(json, kWhat, text_buffer, &doc, &reader_allocator)
          : ParseLenient(json, kWhat, &heap_text, &doc);
  if (!parse_status.ok()) return parse_status;
  if (!doc.IsObject()) return absl::InvalidArgumentError("package header is not a JSON object");

  Header h;
  const rapidjson::Value* cmd = nullptr;
  const rapidjson::Value* command = nullptr;
  const rapidjson::Value* desc = nullptr;
  const rapidjson::Value* msg = nullptr;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    const absl::string_view key = View(it->name);
    const rapidjson::Value& v = it->value;
    if (key == "cmd") {
      cmd = &v;
    } else if (key == "command") {
      command = &v;
    } else if (key == "code") {
      if (v.IsNull()) continue;
      int64_t code = 0;
      if (!v.IsString() || !absl::SimpleAtoi(View(v), &code) || code < INT_MIN || code > INT_MAX) {
        return absl::InvalidArgumentError("package header code is not an int");
      }
      h.code = static_cast<int>(code);
    } else if (key == "desc") {
      desc = &v;
    } else if (key == "msg") {
      msg = &v;
    } else if (key == "seq") {
      if (auto text = ScalarText(v)) h.seq = std::move(*text);
    } else if (key == "properties") {
      if (v.IsNull()) continue;
      if (!v.IsObject()) {
        return absl::InvalidArgumentError("package header properties is not a JSON object");
      }
      for (auto p = v.MemberBegin(); p != v.MemberEnd(); ++p) {
        if (auto text = ScalarText(p->value)) {
          h.properties.insert_or_assign(std::string(View(p->name)), std::move(*text));
        }
      }
    }
  }

  if (cmd == nullptr || cmd->IsNull()) cmd = command;
  if (cmd == nullptr || cmd->IsNull()) {
    return absl::InvalidArgumentError("package header has no cmd");
  }
  if (!cmd->IsString()) {
    return absl::InvalidArgumentError(
        absl::StrCat("package header cmd is not a string: ", ScalarText(*cmd).value_or("null")));
  }
  std::optional<Command> parsed = ParseCommand(View(*cmd));
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown cmd \"", absl::CHexEscape(View(*cmd)), "\" in package header"));
  }
  h.cmd = *parsed;

  if (desc == nullptr || desc->IsNull()) desc = msg;
  if (desc != nullptr) {
    if (auto text = ScalarText(*desc)) h.desc = std::move(*text);
  }
  return h;
}

void Header::AppendJson(std::string* out) const {
  StringAppendStream stream(out);
  AppendWriter w(stream);
  const absl::string_view name = CommandName(cmd);
  w.StartObject();
  WriteKey(w, "cmd");
  WriteString(w, name);
  WriteKey(w, "command");
  WriteString(w, name);
  WriteKey(w, "code");
  w.Int(code);
  if (!desc.empty()) {
    WriteKey(w, "desc");
    WriteString(w, desc);
  }
  if (seq.has_value()) {
    WriteKey(w, "seq");
    WriteString(w, *seq);
  }
  WriteKey(w, "properties");
  w.StartObject();
  for (const auto& [key, value] : properties) {
    WriteKey(w, key);
    WriteString(w, value);
  }
  w.EndObject();
  w.EndObject();
}

std::string Header::ToJson() const {
  std::string out;
  out.reserve(96 + desc.size() + (seq ? seq->size() : 0) + properties.size() * 32);
  AppendJson(&out);
  return out;
}

}  // namespace eventmesh::protocol::tcp
