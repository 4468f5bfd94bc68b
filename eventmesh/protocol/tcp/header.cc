#include "eventmesh/protocol/tcp/header.h"

#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/bytes_equal.h"
#include "eventmesh/protocol/json/string_scan.h"
#include "eventmesh/protocol/tcp/compact_json_scanner.h"
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

namespace header_internal {
namespace {

// Reads a header with the lenient rules once its fields are known: cmd (else command) must name
// a command, desc (else msg) gives the description. Absent and null fields are nullopt.
absl::Status FinishSimpleHeader(std::optional<absl::string_view> cmd,
                                std::optional<absl::string_view> command,
                                std::optional<absl::string_view> desc,
                                std::optional<absl::string_view> msg, Header* h) {
  if (!cmd.has_value()) cmd = command;
  if (!cmd.has_value()) return absl::InvalidArgumentError("package header has no cmd");
  std::optional<Command> parsed = ParseCommand(*cmd);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown cmd \"", absl::CHexEscape(*cmd), "\" in package header"));
  }
  h->cmd = *parsed;
  if (!desc.has_value()) desc = msg;
  if (desc.has_value()) h->desc.assign(desc->data(), desc->size());
  return absl::OkStatus();
}

// The keys the simple reader knows, one bit each (a key seen twice sends the text to the
// general reader).
enum HeaderKey : unsigned {
  kUnknownKey = 0,
  kCmdKey = 1,
  kCommandKey = 2,
  kDescKey = 4,
  kMsgKey = 8,
  kCodeKey = 16,
  kSeqKey = 32,
  kPropertiesKey = 64,
};

// The key whose text follows (the opening quote taken) when it is one the simple reader
// knows, written plainly: it is then taken with its closing quote. kUnknownKey (nothing taken)
// for every other key, escaped spellings included.
HeaderKey TakeKnownKey(CompactJsonScanner& in) {
  switch (in.Peek()) {
    case 'c':
      if (in.Literal("cmd\"")) return kCmdKey;
      if (in.Literal("command\"")) return kCommandKey;
      if (in.Literal("code\"")) return kCodeKey;
      break;
    case 's':
      if (in.Literal("seq\"")) return kSeqKey;
      break;
    case 'p':
      if (in.Literal("properties\"")) return kPropertiesKey;
      break;
    case 'd':
      if (in.Literal("desc\"")) return kDescKey;
      break;
    case 'm':
      if (in.Literal("msg\"")) return kMsgKey;
      break;
    default:
      break;
  }
  return kUnknownKey;
}

// The value of a code of at most 9 digits (optionally negative), the form every client sends;
// nullopt for any other text, which absl::SimpleAtoi then reads.
std::optional<int> ShortDecimal(absl::string_view v) {
  size_t i = !v.empty() && v[0] == '-' ? 1 : 0;
  if (v.size() == i || v.size() - i > 9) return std::nullopt;
  int value = 0;
  for (size_t k = i; k < v.size(); ++k) {
    if (v[k] < '0' || v[k] > '9') return std::nullopt;
    value = value * 10 + (v[k] - '0');
  }
  return i == 1 ? -value : value;
}

}  // namespace

std::optional<absl::Status> ParseSimpleHeaderInto(absl::string_view json, Header* out,
                                                  absl::string_view* seq_text) {
  Header& h = *out;
  CompactJsonScanner in(json);
  std::optional<absl::string_view> cmd, command, desc, msg;
  bool bad_code = false;
  unsigned seen = 0;
  if (!in.Take('{')) return std::nullopt;
  if (!in.Take('}')) {
    do {
      // Unknown keys may hold any value, and a repeated key must keep Jackson's last-wins rule
      // for every field: both go to the general reader.
      if (!in.Take('"')) return std::nullopt;
      const HeaderKey bit = TakeKnownKey(in);
      if (bit == kUnknownKey || (seen & bit) != 0 || !in.Take(':')) return std::nullopt;
      seen |= bit;
      switch (bit) {
        case kCmdKey:
          if (!in.Text(&cmd)) return std::nullopt;
          break;
        case kCommandKey:
          if (!in.Text(&command)) return std::nullopt;
          break;
        case kDescKey:
          if (!in.Text(&desc)) return std::nullopt;
          break;
        case kMsgKey:
          if (!in.Text(&msg)) return std::nullopt;
          break;
        case kCodeKey:
          if (!in.Null()) {
            absl::string_view v;
            if (!in.Scalar(&v)) return std::nullopt;
            if (std::optional<int> code = ShortDecimal(v)) {
              h.code = *code;
              break;
            }
            int64_t code = 0;
            if (!absl::SimpleAtoi(v, &code) || code < INT_MIN || code > INT_MAX) {
              bad_code = true;  // reported once the whole text is known to be well-formed
            } else {
              h.code = static_cast<int>(code);
            }
          }
          break;
        case kSeqKey:
          if (!in.Null()) {
            absl::string_view v;
            if (!in.Scalar(&v)) return std::nullopt;
            h.seq.emplace(v.data(), v.size());
            if (seq_text != nullptr) *seq_text = v;
          }
          break;
        case kPropertiesKey: {
          // A header may carry any number of properties in any order.
          SortedVectorMapFiller<std::string> properties(&h.properties,
                                                        Header::Properties::Duplicates::kKeepLast);
          if (!in.Fields([&properties](absl::string_view name, absl::string_view value) {
                properties.Add(name, value.data(), value.size());
              })) {
            return std::nullopt;
          }
          properties.Finish();
          break;
        }
        case kUnknownKey:
          return std::nullopt;
      }
    } while (in.Take(','));
    if (!in.Take('}')) return std::nullopt;
  }
  if (!in.AtEnd()) return std::nullopt;
  if (bad_code) return absl::InvalidArgumentError("package header code is not an int");
  return FinishSimpleHeader(cmd, command, desc, msg, &h);
}

std::optional<absl::StatusOr<Header>> ParseSimpleHeader(absl::string_view json) {
  Header h;
  std::optional<absl::Status> status = ParseSimpleHeaderInto(json, &h);
  if (!status.has_value()) return std::nullopt;
  if (!status->ok()) return absl::StatusOr<Header>(*std::move(status));
  return absl::StatusOr<Header>(std::move(h));
}

absl::StatusOr<Header> ParseHeaderDocument(absl::string_view json) {
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
      SortedVectorMapFiller<std::string> properties(&h.properties,
                                                    Header::Properties::Duplicates::kKeepLast);
      for (auto p = v.MemberBegin(); p != v.MemberEnd(); ++p) {
        if (auto text = ScalarText(p->value)) {
          properties.Add(View(p->name), std::move(*text));
        }
      }
      properties.Finish();
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

}  // namespace header_internal

absl::StatusOr<Header> Header::FromJson(absl::string_view json) {
  // Nearly every client sends compact headers of plain strings: read those without building a
  // document; anything else goes to the general parser.
  // The header is built in the result (no moves of it on the way out).
  absl::StatusOr<Header> result(absl::in_place);
  if (std::optional<absl::Status> simple = header_internal::ParseSimpleHeaderInto(json, &*result)) {
    if (!simple->ok()) return *std::move(simple);
    return result;
  }
  return header_internal::ParseHeaderDocument(json);
}

namespace {

// What a plain JSON string may hold for the simple reader: printable ASCII without a quote or a
// backslash (so the text around it reads the same whatever it is).
// (The scan goes 8 or 16 bytes per step: a seq is read this way from every frame.)
bool IsPlainStringText(absl::string_view text) {
  return json::FindJsonSpecialByte(text.data(), text.size(), /*stop_on_non_ascii=*/true) ==
             text.size() &&
         std::memchr(text.data(), 0x7f, text.size()) == nullptr;
}

// What the simple reader takes as an integer (CompactJsonScanner::Integer): an optional minus,
// 1-18 digits, no leading zero.
bool IsPlainInteger(absl::string_view text) {
  if (!text.empty() && text[0] == '-') text.remove_prefix(1);
  if (text.empty() || text.size() > 18 || (text.size() > 1 && text[0] == '0')) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

absl::Status HeaderReader::Read(absl::string_view json, Header* out) {
  if (remembered_ != nullptr && !remembered_->text.empty()) {
    const Remembered& r = *remembered_;
    const size_t suffix = r.text.size() - r.seq_end;
    if (json.size() >= r.seq_begin + suffix &&
        std::memcmp(json.data(), r.text.data(), r.seq_begin) == 0 &&
        std::memcmp(json.data() + json.size() - suffix, r.text.data() + r.seq_end, suffix) == 0) {
      const absl::string_view seq = json.substr(r.seq_begin, json.size() - r.seq_begin - suffix);
      if (r.seq_quoted ? IsPlainStringText(seq) : IsPlainInteger(seq)) {
        out->cmd = r.header.cmd;
        out->code = r.header.code;
        // A reused header usually holds these already (the frame before had the same shape):
        // comparing costs less than copying.
        if (!BytesEqual(out->desc, r.header.desc)) out->desc = r.header.desc;
        if (!PairsEqual(out->properties, r.header.properties)) {
          out->properties = r.header.properties;
        }
        if (out->seq.has_value()) {
          // clear + append: a plain copy (assign would first check whether seq overlaps it).
          out->seq->clear();
          out->seq->append(seq.data(), seq.size());
        } else {
          out->seq.emplace(seq.data(), seq.size());
        }
        ++remembered_reads_;
        last_shape_ = r.shape;
        return absl::OkStatus();
      }
    }
  }
  last_shape_ = 0;
  Header parsed;
  absl::string_view seq;
  std::optional<absl::Status> simple = header_internal::ParseSimpleHeaderInto(json, &parsed, &seq);
  if (!simple.has_value()) {
    absl::StatusOr<Header> general = header_internal::ParseHeaderDocument(json);
    if (!general.ok()) return general.status();
    *out = *std::move(general);
    return absl::OkStatus();
  }
  if (!simple->ok()) return *std::move(simple);
  Remember(json, seq, parsed);
  *out = std::move(parsed);
  return absl::OkStatus();
}

void HeaderReader::Forget() { remembered_.reset(); }

void HeaderReader::Remember(absl::string_view json, absl::string_view seq, const Header& header) {
  // The seq's text as the simple reader took it: the contents of a plain string (between its
  // quotes) or an integer. Whatever replaces it in the same form leaves the text around it
  // reading the same.
  if (!ComesInRuns(header.cmd)) return;  // a heartbeat between publishes leaves their memory
  const bool inside = header.seq.has_value() && seq.data() > json.data() &&
                      seq.data() + seq.size() < json.data() + json.size();
  const bool quoted = inside && seq.data()[-1] == '"';
  if (!inside || json.size() > kMaxRemembered ||
      (quoted ? seq.data()[seq.size()] != '"' || !IsPlainStringText(seq) : !IsPlainInteger(seq))) {
    if (remembered_ != nullptr) remembered_->text.clear();
    return;
  }
  if (remembered_ == nullptr) remembered_ = std::make_unique<Remembered>();
  Remembered& r = *remembered_;
  r.text.assign(json.data(), json.size());
  r.seq_begin = static_cast<size_t>(seq.data() - json.data());
  r.seq_end = r.seq_begin + seq.size();
  r.seq_quoted = quoted;
  r.header = header;
  // A new shape for every remembered text (the text may differ from the last one in more than
  // its seq).
  static std::atomic<uint64_t> last_shape{0};
  r.shape = last_shape.fetch_add(1, std::memory_order_relaxed) + 1;
  last_shape_ = r.shape;
}

namespace {

// {"cmd":"<name>","command":"<name>","code": (the value comes next).
void StartHeaderObject(DirectJsonWriter& w, absl::string_view name) {
  w.StartObject();
  w.PlainKey("cmd");
  w.PlainString(name);
  w.PlainKey("command");
  w.PlainString(name);
  w.PlainKey("code");
}

// The members every header starts with, in Header::AppendJson's order: cmd, command, code, desc
// (when not empty), seq (when given). The caller writes properties and closes the object.
void StartHeaderJson(DirectJsonWriter& w, Command cmd, int code, absl::string_view desc,
                     const absl::string_view* seq) {
  // StartHeaderObject of every command, written once: one copy per header instead of five
  // pieces.
  static const std::array<std::string, kCommandCount>* const kStarts = [] {
    auto* starts = new std::array<std::string, kCommandCount>();
    for (int i = 0; i < kCommandCount; ++i) {
      DirectJsonWriter start(&(*starts)[i]);
      StartHeaderObject(start, CommandName(static_cast<Command>(i)));
    }
    return starts;
  }();
  const auto index = static_cast<size_t>(cmd);
  if (index < kStarts->size()) {
    w.RawKeyPrefix((*kStarts)[index]);
  } else {
    StartHeaderObject(w, CommandName(cmd));
  }
  w.Int(code);
  if (!desc.empty()) {
    w.PlainKey("desc");
    w.String(desc);
  }
  if (seq != nullptr) {
    w.PlainKey("seq");
    w.String(*seq);
  }
  w.PlainKey("properties");
}

}  // namespace

void Header::AppendJson(std::string* out) const {
  // Written directly (DirectJsonWriter): every frame the runtime sends has a header.
  DirectJsonWriter w(out);
  const absl::string_view seq_text = seq.has_value() ? absl::string_view(*seq) : "";
  StartHeaderJson(w, cmd, code, desc, seq.has_value() ? &seq_text : nullptr);
  w.StringMap(properties);
  w.EndObject();
}

namespace {

// {"cmd":"<name>","command":"<name>","code":0,"seq":" of every command (the start of a push's
// header up to its seq's text), written once with the general writer.
const std::array<std::string, kCommandCount>& SuccessHeaderStarts() {
  static const std::array<std::string, kCommandCount>* const starts = [] {
    auto* all = new std::array<std::string, kCommandCount>();
    const absl::string_view mark = "SEQ";
    for (int i = 0; i < kCommandCount; ++i) {
      std::string json;
      {
        DirectJsonWriter w(&json);  // its output is complete once it is gone
        StartHeaderJson(w, static_cast<Command>(i), OpStatus::kSuccess, /*desc=*/"", &mark);
      }
      (*all)[i] = json.substr(0, json.rfind("\"SEQ\"") + 1);
    }
    return all;
  }();
  return *starts;
}

}  // namespace

bool PushHeaderAroundSeq(Command cmd, absl::string_view protocol_type, absl::string_view* start,
                         absl::string_view* end) {
  const auto index = static_cast<size_t>(cmd);
  if (index >= static_cast<size_t>(kCommandCount)) return false;
  // The header every push carries: its end after the seq written once per protocol type.
  static const std::string* const kMessageEnd =
      new std::string(absl::StrCat("\",\"properties\":{\"", kPropertyProtocolType, "\":\"",
                                   kProtocolTypeEventMeshMessage, "\"}}"));
  static const std::string* const kCloudEventsEnd = new std::string(absl::StrCat(
      "\",\"properties\":{\"", kPropertyProtocolType, "\":\"", kProtocolTypeCloudEvents, "\"}}"));
  if (protocol_type == kProtocolTypeEventMeshMessage) {
    *end = *kMessageEnd;
  } else if (protocol_type == kProtocolTypeCloudEvents) {
    *end = *kCloudEventsEnd;
  } else {
    return false;
  }
  *start = SuccessHeaderStarts()[index];
  return true;
}

void AppendHeaderJson(Command cmd, int code, absl::string_view seq, absl::string_view property_name,
                      absl::string_view property_value, std::string* out) {
  // A push's header (code 0, texts that need no escaping): copies around the seq and the
  // property, the bytes the writer below gives.
  const auto index = static_cast<size_t>(cmd);
  if (code == OpStatus::kSuccess && index < static_cast<size_t>(kCommandCount) &&
      !json::NeedsJsonEscape(seq.data(), seq.size())) {
    absl::string_view start, end;
    if (property_name == kPropertyProtocolType &&
        PushHeaderAroundSeq(cmd, property_value, &start, &end)) {
      AppendPieces(out, {start, seq, end});
      return;
    }
    if (!json::NeedsJsonEscape(property_name.data(), property_name.size()) &&
        !json::NeedsJsonEscape(property_value.data(), property_value.size())) {
      AppendPieces(out, {SuccessHeaderStarts()[index], seq, "\",\"properties\":{\"", property_name,
                         "\":\"", property_value, "\"}}"});
      return;
    }
  }
  DirectJsonWriter w(out);
  StartHeaderJson(w, cmd, code, /*desc=*/"", &seq);
  w.StartObject();
  w.Key(property_name);
  w.String(property_value);
  w.EndObject();
  w.EndObject();
}

void AppendReplyHeaderJson(Command cmd, int code, absl::string_view desc,
                           std::optional<absl::string_view> seq, std::string* out) {
  DirectJsonWriter w(out);
  StartHeaderJson(w, cmd, code, desc, seq.has_value() ? &*seq : nullptr);
  w.StartObject();
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
