#include "eventmesh/protocol/tcp/package_decoder.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/common/bytes_equal.h"
#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {
namespace {

// Consumed bytes are dropped from the front only when at least this many have
// accumulated and they outnumber the unconsumed ones (amortised O(1) per byte).
constexpr size_t kCompactThreshold = 64 * 1024;

constexpr int64_t kCurrentOverhead = 8;  // total = L + 8
constexpr int64_t kLegacyOverhead = 13;  // total = L + 13

int64_t Total(LengthConvention c, int64_t package_length) {
  return package_length + (c == LengthConvention::kCurrent ? kCurrentOverhead : kLegacyOverhead);
}

std::string Escaped(const char* p, size_t n) { return absl::CHexEscape(absl::string_view(p, n)); }

constexpr absl::string_view kMagicAndVersion = "EventMesh0000";
static_assert(kMagicAndVersion.substr(0, kMagicSize) == kMagic &&
              kMagicAndVersion.substr(kMagicSize) == kVersion);

// Magic and version as far as they have arrived (avail bytes at p): an error for the first
// part that differs.
absl::Status CheckPartialMagic(const char* p, size_t avail) {
  const size_t magic_seen = std::min(avail, kMagicSize);
  if (std::memcmp(p, kMagic.data(), magic_seen) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad magic: expected \"EventMesh\", got \"", Escaped(p, magic_seen), "\""));
  }
  if (avail <= kMagicSize) return absl::OkStatus();
  const size_t version_seen = std::min(avail - kMagicSize, kVersionSize);
  if (std::memcmp(p + kMagicSize, kVersion.data(), version_seen) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad version: expected \"0000\", got \"",
                                                   Escaped(p + kMagicSize, version_seen), "\""));
  }
  return absl::OkStatus();
}

}  // namespace

PackageDecoder::PackageDecoder(std::optional<LengthConvention> convention, size_t max_frame_size)
    : convention_(convention), max_frame_size_(max_frame_size) {}

void PackageDecoder::Compact() {
  if (pos_ == 0) return;
  if (pos_ == size_) {
    size_ = 0;
    pos_ = 0;
  } else if (pos_ >= kCompactThreshold && pos_ >= size_ - pos_) {
    std::memmove(data_.get(), data_.get() + pos_, size_ - pos_);
    size_ -= pos_;
    pos_ = 0;
  }
}

void PackageDecoder::Reserve(size_t needed) {
  if (needed <= capacity_) return;
  // Doubling keeps appends amortised O(1); the unconsumed bytes move to the front.
  const size_t capacity = std::max(needed, capacity_ * 2);
  std::unique_ptr<char[]> grown(new char[capacity]);  // uninitialised: written before read
  if (size_ > pos_) std::memcpy(grown.get(), data_.get() + pos_, size_ - pos_);
  size_ -= pos_;
  pos_ = 0;
  data_ = std::move(grown);
  capacity_ = capacity;
}

void PackageDecoder::Feed(const char* data, size_t size) {
  if (!status_.ok() || size == 0) return;
  Compact();
  Reserve(size_ + size);
  std::memcpy(data_.get() + size_, data, size);
  size_ += size;
}

char* PackageDecoder::PrepareAppend(size_t size) {
  Compact();
  Reserve(size_ + size);
  prepared_ = size;
  return data_.get() + size_;
}

void PackageDecoder::CommitAppend(size_t written) {
  if (!status_.ok()) {  // Input after a failure is discarded.
    size_ = 0;
    pos_ = 0;
    prepared_ = 0;
    return;
  }
  size_ += std::min(written, prepared_);
  prepared_ = 0;
}

bool PackageDecoder::ReleaseIfEmpty() {
  if (pos_ != size_) return false;
  data_.reset();
  capacity_ = 0;
  size_ = 0;
  pos_ = 0;
  header_reader_.Forget();
  return true;
}

absl::Status PackageDecoder::Fail(absl::Status status) {
  status_ = std::move(status);
  data_.reset();
  capacity_ = 0;
  size_ = 0;
  pos_ = 0;
  return status_;
}

absl::StatusOr<std::optional<DecodedPackage>> PackageDecoder::Next() {
  return Next([](Command) { return false; });
}

absl::StatusOr<std::optional<DecodedPackage>> PackageDecoder::Next(
    absl::FunctionRef<bool(Command)> borrow_body) {
  DecodedPackage out;
  absl::StatusOr<bool> decoded = NextInto(&out, borrow_body);
  if (!decoded.ok()) return decoded.status();
  if (!*decoded) return std::nullopt;
  return out;
}

absl::StatusOr<bool> PackageDecoder::NextInto(DecodedPackage* out,
                                              absl::FunctionRef<bool(Command)> borrow_body) {
  if (!status_.ok()) return status_;
  const char* p = data_.get() + pos_;
  const size_t avail = size_ - pos_;
  if (avail == 0) return false;

  // Magic and version are checked on whatever part of them has arrived, so garbage
  // (e.g. an HTTP request on the TCP port) is rejected at once. Nearly always all 13 bytes
  // are there: one inlined compare of them, without the library's memcmp.
  if (avail >= kMagicSize + kVersionSize &&
      BytesEqual(absl::string_view(p, kMagicSize + kVersionSize), kMagicAndVersion)) {
    // Checked; the length follows.
  } else if (absl::Status bad = CheckPartialMagic(p, avail); !bad.ok()) {
    return Fail(std::move(bad));
  } else if (avail < kMagicSize + kVersionSize) {
    return false;
  }
  if (avail < kMagicSize + kVersionSize + 4) return false;

  const int64_t max = static_cast<int64_t>(max_frame_size_);
  const int64_t length = static_cast<int32_t>(LoadBigEndian32(p + 13));
  if (length < 0) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("negative package length ", length)));
  }
  // The smallest possible frame for this length is the kCurrent one.
  const int64_t min_total = convention_ ? Total(*convention_, length) : length + kCurrentOverhead;
  if (min_total > max) {
    return Fail(
        absl::ResourceExhaustedError(absl::StrCat("frame of ", min_total, " bytes (package length ",
                                                  length, ") exceeds the ", max, "-byte limit")));
  }
  if (avail < kPrefixSize) return false;

  const int64_t header_size = static_cast<int32_t>(LoadBigEndian32(p + 17));
  if (header_size < 0) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("negative header length ", header_size)));
  }
  if (header_size == 0) {
    return Fail(absl::InvalidArgumentError("package does not have a header (header length 0)"));
  }
  if (header_size > length) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("header length ", header_size, " exceeds package length ", length)));
  }
  if (length < 8 + header_size) {
    return Fail(absl::InvalidArgumentError(absl::StrCat("impossible package length ", length,
                                                        " for header length ", header_size,
                                                        " (at least 8 + header length)")));
  }
  if (convention_ == LengthConvention::kCurrent && length < 13 + header_size) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "impossible package length ", length, " for header length ", header_size,
        " under the current (>= 1.9) length convention (at least 13 + header length)")));
  }

  LengthConvention convention;
  if (convention_) {
    convention = *convention_;
  } else if (length < 13 + header_size) {
    convention = LengthConvention::kLegacy;
  } else if (length == 13 + header_size) {
    convention = LengthConvention::kCurrent;
  } else {
    const int64_t current_total = length + kCurrentOverhead;
    if (static_cast<int64_t>(avail) < current_total) return false;
    const char* body = p + kPrefixSize + header_size;
    const size_t body_size = static_cast<size_t>(current_total - kPrefixSize - header_size);
    convention = IsCompleteJson(absl::string_view(body, body_size)) ? LengthConvention::kCurrent
                                                                    : LengthConvention::kLegacy;
  }
  const int64_t total = Total(convention, length);
  if (total > max) {
    return Fail(absl::ResourceExhaustedError(absl::StrCat(
        "frame of ", total, " bytes (package length ", length, ", ",
        LengthConventionName(convention), " convention) exceeds the ", max, "-byte limit")));
  }
  if (static_cast<int64_t>(avail) < total) return false;

  // The framing is the protocol's: the peer speaks it even if its header turns out unreadable,
  // so the session can tell it why it is closed.
  convention_ = convention;
  absl::Status header = header_reader_.Read(
      absl::string_view(p + kPrefixSize, static_cast<size_t>(header_size)), &out->package.header);
  if (!header.ok()) return Fail(std::move(header));

  const size_t body_offset = kPrefixSize + static_cast<size_t>(header_size);
  const absl::string_view body(p + body_offset, static_cast<size_t>(total) - body_offset);
  if (borrow_body(out->package.header.cmd)) {
    out->borrowed_body = body;  // the bytes stay where they are until the next Feed / append
    out->package.body.clear();
  } else {
    out->borrowed_body.reset();
    out->package.body.assign(body.data(), body.size());
  }
  out->convention = convention;
  out->frame_size = static_cast<size_t>(total);
  out->header_shape = header_reader_.last_shape();
  convention_ = convention;
  pos_ += static_cast<size_t>(total);
  if (pos_ == size_) {  // Everything consumed: reuse the buffer from the start.
    size_ = 0;
    pos_ = 0;
  }
  return true;
}

}  // namespace eventmesh::protocol::tcp
