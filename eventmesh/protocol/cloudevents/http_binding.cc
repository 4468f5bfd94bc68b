#include "eventmesh/protocol/cloudevents/http_binding.h"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"

namespace eventmesh::cloudevents {
namespace {

constexpr absl::string_view kPrefix = "ce-";

absl::string_view MediaType(absl::string_view content_type) {
  return absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';')));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AddHeader(HttpMessage& m, absl::string_view attribute, absl::string_view value) {
  m.headers.emplace_back(absl::StrCat(kPrefix, attribute), PercentEncodeHeaderValue(value));
}

}  // namespace

std::string PercentEncodeHeaderValue(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c < 0x21 || c > 0x7E || c == '"' || c == '%') {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

absl::StatusOr<std::string> DecodeHeaderValue(absl::string_view raw, absl::string_view header) {
  absl::string_view value = absl::StripAsciiWhitespace(raw);
  std::string unquoted;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    // RFC 7230 quoted-string: backslash escapes the next character.
    const absl::string_view inner = value.substr(1, value.size() - 2);
    unquoted.reserve(inner.size());
    for (size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\\') {
        if (++i == inner.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat("invalid quoted-string in header '", header, "'"));
        }
      } else if (inner[i] == '"') {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid quoted-string in header '", header, "'"));
      }
      unquoted.push_back(inner[i]);
    }
    value = unquoted;
  }
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out.push_back(value[i]);
      continue;
    }
    const int hi = i + 2 < value.size() ? HexValue(value[i + 1]) : -1;
    const int lo = hi >= 0 ? HexValue(value[i + 2]) : -1;
    if (lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid percent-encoding in header '", header, "'"));
    }
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  if (!IsValidUtf8(out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("header '", header, "' is not valid UTF-8 after percent-decoding"));
  }
  return out;
}

const std::string* FindHttpHeader(absl::Span<const HttpHeader> headers, absl::string_view name) {
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.first, name)) return &h.second;
  }
  return nullptr;
}

ContentMode DetectContentMode(absl::Span<const HttpHeader> headers) {
  if (const std::string* ct = FindHttpHeader(headers, "content-type")) {
    const absl::string_view media = MediaType(*ct);
    if (absl::StartsWithIgnoreCase(media, "application/cloudevents-batch")) {
      return ContentMode::kBatch;
    }
    if (absl::StartsWithIgnoreCase(media, "application/cloudevents")) {
      return ContentMode::kStructured;
    }
  }
  if (FindHttpHeader(headers, "ce-specversion") != nullptr) return ContentMode::kBinary;
  return ContentMode::kNone;
}

namespace {

// `E` is CloudEvent or ProtoEventView; `encoding` is the data's.
template <typename E>
HttpMessage ToBinary(const E& e, DataEncoding encoding) {
  HttpMessage m;
  m.headers.reserve(8 + e.extensions().size());
  AddHeader(m, "specversion", e.spec_version());
  AddHeader(m, "id", e.id());
  AddHeader(m, "source", e.source());
  AddHeader(m, "type", e.type());
  if (e.subject()) AddHeader(m, "subject", *e.subject());
  if (e.time()) AddHeader(m, "time", *e.time());
  if (e.data_schema()) {
    AddHeader(m, e.spec_version() == kSpecVersion03 ? "schemaurl" : "dataschema", *e.data_schema());
  }
  for (const auto& [name, value] : e.extensions()) AddHeader(m, name, value.text);
  if (e.data_content_type()) {
    m.headers.emplace_back("Content-Type", std::string(*e.data_content_type()));
  } else if (encoding == DataEncoding::kJson) {
    m.headers.emplace_back("Content-Type", "application/json");
  }
  m.body = std::string(e.data());
  return m;
}

}  // namespace

HttpMessage ToBinaryHttp(const CloudEvent& e) { return ToBinary(e, e.data_encoding()); }

HttpMessage ToBinaryHttp(const ProtoEventView& e) { return ToBinary(e, DecodedDataEncoding(e)); }

absl::StatusOr<CloudEvent> FromBinaryHttp(absl::Span<const HttpHeader> headers,
                                          absl::string_view body) {
  CloudEvent e;
  e.set_spec_version("");
  bool v03 = false;
  if (const std::string* sv = FindHttpHeader(headers, "ce-specversion")) {
    absl::StatusOr<std::string> value = DecodeHeaderValue(*sv, "ce-specversion");
    if (!value.ok()) return value.status();
    v03 = *value == kSpecVersion03;
  }

  uint32_t seen = 0;
  bool base64_body = false;
  const std::string* content_type = nullptr;
  // A request may carry thousands of extension headers, in any order.
  SortedVectorMapFiller<AttributeValue> extensions(e.mutable_extensions(),
                                                   CloudEvent::Extensions::Duplicates::kKeepFirst);
  for (const HttpHeader& h : headers) {
    if (absl::EqualsIgnoreCase(h.first, "content-type")) {
      if (content_type != nullptr) {
        return absl::InvalidArgumentError("duplicate header 'content-type'");
      }
      content_type = &h.second;
      continue;
    }
    if (h.first.size() <= kPrefix.size() || !absl::StartsWithIgnoreCase(h.first, kPrefix)) {
      continue;
    }
    const std::string header = absl::AsciiStrToLower(h.first);
    const absl::string_view name = absl::string_view(header).substr(kPrefix.size());
    absl::StatusOr<std::string> value = DecodeHeaderValue(h.second, header);
    if (!value.ok()) return value.status();

    uint32_t bit = 0;
    void (CloudEvent::*setter)(std::string) = nullptr;
    if (name == "specversion") {
      bit = 1u << 0;
      setter = &CloudEvent::set_spec_version;
    } else if (name == "id") {
      bit = 1u << 1;
      setter = &CloudEvent::set_id;
    } else if (name == "source") {
      bit = 1u << 2;
      setter = &CloudEvent::set_source;
    } else if (name == "type") {
      bit = 1u << 3;
      setter = &CloudEvent::set_type;
    } else if (name == "subject") {
      bit = 1u << 4;
      setter = &CloudEvent::set_subject;
    } else if (name == "time") {
      bit = 1u << 5;
      setter = &CloudEvent::set_time;
    } else if (name == (v03 ? "schemaurl" : "dataschema")) {
      bit = 1u << 6;
      setter = &CloudEvent::set_data_schema;
    } else if (name == "datacontenttype") {
      return absl::InvalidArgumentError(
          "header 'ce-datacontenttype' must not be present in binary mode; the content type "
          "is the Content-Type header");
    } else if (v03 && name == "datacontentencoding") {
      bit = 1u << 7;
      if (*value != "base64") {
        return absl::InvalidArgumentError(
            "header 'ce-datacontentencoding' must be \"base64\" when present");
      }
      base64_body = true;
    }
    if (bit == 0) {
      extensions.Add(name, AttributeValue::String(*std::move(value)));
      continue;
    }
    if (seen & bit)
      return absl::InvalidArgumentError(absl::StrCat("duplicate header '", header, "'"));
    seen |= bit;
    if (setter != nullptr) (e.*setter)(*std::move(value));
  }

  if (std::optional<std::string> duplicate = extensions.Finish()) {
    return absl::InvalidArgumentError(absl::StrCat("duplicate header '", kPrefix, *duplicate, "'"));
  }
  if (content_type != nullptr) {
    e.set_data_content_type(std::string(absl::StripAsciiWhitespace(*content_type)));
  }
  if (!body.empty()) {
    const absl::string_view media = content_type ? MediaType(*content_type) : "";
    if (base64_body) {
      std::string bytes;
      if (!absl::Base64Unescape(body, &bytes)) {
        return absl::InvalidArgumentError(
            "body is not valid base64 although ce-datacontentencoding is base64");
      }
      e.set_data(std::move(bytes), DataEncoding::kBinary);
    } else if (!media.empty() && IsJsonContentType(media)) {
      absl::Status json = CheckJsonText(body, "body with a JSON Content-Type");
      if (!json.ok()) return json;
      e.set_data(std::string(body), DataEncoding::kJson);
    } else if (absl::StartsWithIgnoreCase(media, "text/") && IsValidUtf8(body)) {
      e.set_data(std::string(body), DataEncoding::kText);
    } else {
      e.set_data(std::string(body), DataEncoding::kBinary);
    }
  }
  absl::Status valid = e.Validate();
  if (!valid.ok()) return valid;
  return e;
}

HttpMessage ToStructuredHttp(const CloudEvent& event) {
  HttpMessage m;
  m.headers.emplace_back("Content-Type", std::string(kJsonEventMediaType));
  m.body = SerializeJsonEvent(event);
  return m;
}

HttpMessage ToStructuredHttp(const ProtoEventView& event) {
  HttpMessage m;
  m.headers.emplace_back("Content-Type", std::string(kJsonEventMediaType));
  AppendJsonEvent(event, &m.body);
  return m;
}

HttpMessage ToBatchHttp(const std::vector<CloudEvent>& events) {
  HttpMessage m;
  m.headers.emplace_back("Content-Type", std::string(kJsonBatchMediaType));
  m.body = SerializeJsonBatch(events);
  return m;
}

absl::StatusOr<std::vector<CloudEvent>> FromHttp(absl::Span<const HttpHeader> headers,
                                                 absl::string_view body) {
  const std::string* ct = FindHttpHeader(headers, "content-type");
  const absl::string_view media = ct != nullptr ? MediaType(*ct) : "";
  switch (DetectContentMode(headers)) {
    case ContentMode::kNone:
      return absl::InvalidArgumentError(
          "not a CloudEvents HTTP message: no CloudEvents Content-Type and no ce-specversion "
          "header");
    case ContentMode::kBinary: {
      absl::StatusOr<CloudEvent> e = FromBinaryHttp(headers, body);
      if (!e.ok()) return e.status();
      std::vector<CloudEvent> out;
      out.push_back(*std::move(e));
      return out;
    }
    case ContentMode::kStructured: {
      if (!absl::EqualsIgnoreCase(media, kJsonEventMediaType)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unsupported CloudEvents event format '", media, "'"));
      }
      absl::StatusOr<CloudEvent> e = ParseJsonEvent(body);
      if (!e.ok()) return e.status();
      std::vector<CloudEvent> out;
      out.push_back(*std::move(e));
      return out;
    }
    case ContentMode::kBatch:
      if (!absl::EqualsIgnoreCase(media, kJsonBatchMediaType)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unsupported CloudEvents event format '", media, "'"));
      }
      return ParseJsonBatch(body);
  }
  return absl::InternalError("unreachable content mode");
}

}  // namespace eventmesh::cloudevents
