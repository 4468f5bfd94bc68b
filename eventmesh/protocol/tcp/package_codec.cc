#include "eventmesh/protocol/tcp/package_codec.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/protocol/json/string_scan.h"
#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {

absl::string_view LengthConventionName(LengthConvention c) {
  return c == LengthConvention::kCurrent ? "current" : "legacy";
}

namespace {

// Starts a frame at the end of `out`: the prefix, its two lengths left to PatchLengths.
void StartFrame(std::string* out) {
  out->append(kMagic.data(), kMagic.size());
  out->append(kVersion.data(), kVersion.size());
  out->append(8, '\0');
}

void PatchLengths(size_t start, size_t header_size, size_t body_size, LengthConvention convention,
                  std::string* out) {
  char* prefix = out->data() + start + kMagicSize + kVersionSize;
  StoreBigEndian32(
      prefix, static_cast<uint32_t>(PackageLengthField(
                  convention, static_cast<int64_t>(header_size), static_cast<int64_t>(body_size))));
  StoreBigEndian32(prefix + 4, static_cast<uint32_t>(header_size));
}

// The header of a success reply ({cmd, command, code 0, desc "success", seq, properties {}}) of
// every command, split around its seq's text: written once with the general writer, so that the
// acknowledgement of each publish is three copies instead of a JSON writer's steps.
struct SuccessReply {
  // The frame's prefix (its two lengths zero, patched per reply) and the header up to and
  // including the seq's opening quote.
  std::string frame_head;
  std::string tail;  // from the seq's closing quote
};

const std::array<SuccessReply, kCommandCount>& SuccessReplies() {
  static const std::array<SuccessReply, kCommandCount>* const replies = [] {
    auto* all = new std::array<SuccessReply, kCommandCount>();
    constexpr absl::string_view kMark = "SEQ";
    for (int i = 0; i < kCommandCount; ++i) {
      std::string json;
      AppendReplyHeaderJson(static_cast<Command>(i), OpStatus::kSuccess, "success", kMark, &json);
      const size_t at = json.rfind("\"SEQ\"");
      StartFrame(&(*all)[i].frame_head);
      (*all)[i].frame_head.append(json, 0, at + 1);
      (*all)[i].tail = json.substr(at + 1 + kMark.size());
    }
    return all;
  }();
  return *replies;
}

}  // namespace

absl::Status FrameTooLarge(size_t frame_size, size_t max_frame_size) {
  return absl::ResourceExhaustedError(
      absl::StrCat("frame of ", frame_size, " bytes exceeds the ", max_frame_size, "-byte limit"));
}

absl::Status EncodePackage(const Package& package, LengthConvention convention, std::string* out,
                           size_t max_frame_size) {
  const size_t start = out->size();
  const Header& h = package.header;
  // Reserve once: prefix, a generous header estimate and the body.
  size_t estimate =
      kPrefixSize + 96 + h.desc.size() + (h.seq ? h.seq->size() : 0) + package.body.size();
  for (const auto& [k, v] : h.properties) estimate += k.size() + v.size() + 8;
  out->reserve(start + estimate);

  StartFrame(out);
  const size_t header_start = out->size();
  h.AppendJson(out);
  const size_t header_size = out->size() - header_start;
  const size_t frame_size = kPrefixSize + header_size + package.body.size();
  if (frame_size > max_frame_size) {
    out->resize(start);
    return FrameTooLarge(frame_size, max_frame_size);
  }
  out->append(package.body);
  PatchLengths(start, header_size, package.body.size(), convention, out);
  return absl::OkStatus();
}

absl::Status EncodeReply(Command cmd, int code, absl::string_view desc,
                         std::optional<absl::string_view> seq, LengthConvention convention,
                         std::string* out, size_t max_frame_size) {
  const size_t start = out->size();
  const auto index = static_cast<size_t>(cmd);
  if (code == OpStatus::kSuccess && desc == "success" && seq.has_value() &&
      index < static_cast<size_t>(kCommandCount) &&
      !json::NeedsJsonEscape(seq->data(), seq->size())) {
    const SuccessReply& reply = SuccessReplies()[index];
    const size_t frame_size = reply.frame_head.size() + seq->size() + reply.tail.size();
    if (frame_size <= max_frame_size) {
      AppendPieces(out, {reply.frame_head, *seq, reply.tail});
      PatchLengths(start, frame_size - kPrefixSize, 0, convention, out);
      return absl::OkStatus();
    }
  }
  out->reserve(start + kPrefixSize + 96 + desc.size() + (seq ? seq->size() : 0));
  StartFrame(out);
  const size_t header_start = out->size();
  AppendReplyHeaderJson(cmd, code, desc, seq, out);
  const size_t header_size = out->size() - header_start;
  if (kPrefixSize + header_size > max_frame_size) {
    out->resize(start);
    return FrameTooLarge(kPrefixSize + header_size, max_frame_size);
  }
  PatchLengths(start, header_size, 0, convention, out);
  return absl::OkStatus();
}

absl::Status EncodeFrame(std::initializer_list<absl::string_view> header_parts,
                         absl::FunctionRef<void(std::string*)> append_body,
                         LengthConvention convention, std::string* out, size_t max_frame_size) {
  const size_t start = out->size();
  size_t header_size = 0;
  for (absl::string_view part : header_parts) header_size += part.size();
  StartFrame(out);
  for (absl::string_view part : header_parts) out->append(part.data(), part.size());
  append_body(out);
  const size_t frame_size = out->size() - start;
  if (frame_size > max_frame_size) {
    out->resize(start);
    return FrameTooLarge(frame_size, max_frame_size);
  }
  PatchLengths(start, header_size, frame_size - kPrefixSize - header_size, convention, out);
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodePackage(const Package& package, LengthConvention convention) {
  std::string out;
  if (absl::Status s = EncodePackage(package, convention, &out); !s.ok()) return s;
  return out;
}

}  // namespace eventmesh::protocol::tcp
