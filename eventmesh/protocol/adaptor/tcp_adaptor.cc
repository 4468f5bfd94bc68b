#include "eventmesh/protocol/adaptor/tcp_adaptor.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/big_endian.h"
#include "eventmesh/common/bytes_equal.h"
#include "eventmesh/common/status_macros.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/json/string_scan.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/header.h"
#include "eventmesh/protocol/tcp/json_text.h"
#include "eventmesh/protocol/tcp/package_codec.h"

namespace eventmesh::protocol::adaptor {
namespace {

using cloudevents::AttributeValue;
using cloudevents::CloudEvent;
using cloudevents::DataEncoding;

const std::string* FindProperty(const tcp::Header& header, const std::string& key) {
  auto it = header.properties.find(key);
  return it == header.properties.end() ? nullptr : &it->second;
}

// The header properties every message package names, as map keys made once.
const std::string& ProtocolTypeKey() {
  static const std::string* const key = new std::string(tcp::kPropertyProtocolType);
  return *key;
}
const std::string& ProtocolVersionKey() {
  static const std::string* const key = new std::string(tcp::kPropertyProtocolVersion);
  return *key;
}
const std::string& ProtocolDescKey() {
  static const std::string* const key = new std::string(tcp::kPropertyProtocolDesc);
  return *key;
}

bool IsBlank(const std::string* s) {
  if (s == nullptr) return true;
  // A first byte that is not whitespace settles it (nearly always: "eventmeshmessage", "1.0").
  if (!s->empty() && !absl::ascii_isspace(static_cast<unsigned char>(s->front()))) return false;
  return absl::StripAsciiWhitespace(*s).empty();
}

absl::Status AbnormalPropKey(absl::string_view name) {
  return absl::InvalidArgumentError(
      absl::StrCat("Abnormal propKey: ", name,
                   " (property names must be lower-case letters a-z and digits 0-9 and not a "
                   "CloudEvents attribute name)"));
}

bool IsExtensionName(absl::string_view name) {
  return cloudevents::IsValidAttributeName(name) && !cloudevents::IsCoreAttributeName(name);
}

// The String extensions of a message package: the header's properties, then the message's, a
// later name replacing an earlier one, sorted by name with each name once (the order of
// CloudEvent::extensions()). Every name is checked first (the first bad one in that order is
// reported). Sorting views, instead of inserting the extensions one by one (a string pair built,
// moved, and the entries behind it shifted, per property), lets each surviving one be built once
// in its place.
constexpr size_t kInsertionSortMax = 32;
using PropertyField = std::pair<absl::string_view, absl::string_view>;
using PropertyFields = absl::InlinedVector<PropertyField, 16>;

absl::Status SortedPropertyFields(const tcp::Header& header,
                                  const tcp::EventMeshMessageView& message,
                                  PropertyFields* fields) {
  fields->reserve(header.properties.size() + message.properties.size());
  for (const auto& [name, text] : header.properties) {
    if (!IsExtensionName(name)) return AbnormalPropKey(name);
    fields->emplace_back(name, text);
  }
  for (const auto& field : message.properties) {
    if (!IsExtensionName(field.name)) return AbnormalPropKey(field.name);
    fields->emplace_back(field.name, field.text);
  }
  // Stable (of equal names the later one stays last, and the last one counts). An insertion
  // sort for the dozen properties a message carries (no allocation); past that a merge sort, as a
  // message may carry any number of them in any order.
  const auto by_name = [](const PropertyField& a, const PropertyField& b) {
    return cloudevents::AttributeNameLess(a.first, b.first);
  };
  if (fields->size() > kInsertionSortMax) {
    std::stable_sort(fields->begin(), fields->end(), by_name);
  } else {
    for (size_t i = 1; i < fields->size(); ++i) {
      const PropertyField field = (*fields)[i];
      size_t j = i;
      for (; j > 0 && by_name(field, (*fields)[j - 1]); --j) (*fields)[j] = (*fields)[j - 1];
      (*fields)[j] = field;
    }
  }
  // Keep the last of each name.
  size_t kept = 0;
  for (size_t i = 0; i < fields->size(); ++i) {
    if (i + 1 < fields->size() && (*fields)[i + 1].first == (*fields)[i].first) continue;
    (*fields)[kept++] = (*fields)[i];
  }
  fields->resize(kept);
  return absl::OkStatus();
}

absl::Status AddPropertyExtensions(const tcp::Header& header,
                                   const tcp::EventMeshMessageView& message, CloudEvent* event) {
  PropertyFields fields;
  EM_RETURN_IF_ERROR(SortedPropertyFields(header, message, &fields));
  CloudEvent::Extensions& extensions = *event->mutable_extensions();
  extensions.reserve(extensions.size() + fields.size());
  for (const auto& [name, text] : fields) {
    extensions.insert_or_assign(std::string(name), AttributeValue::String(std::string(text)));
  }
  return absl::OkStatus();
}

// The encoding of an EventMeshMessage body: JSON when the content type says so (or is
// absent) and the body parses as JSON, text when it is UTF-8, raw bytes otherwise. This is
// also the encoding the store's protobuf format restores, so events round-trip exactly.
DataEncoding BodyEncoding(const std::optional<std::string>& content_type, absl::string_view body) {
  const bool json_type = !content_type.has_value() || cloudevents::IsJsonContentType(*content_type);
  if (json_type && cloudevents::IsJsonText(body)) {
    return DataEncoding::kJson;
  }
  return IsValidUtf8(body) ? DataEncoding::kText : DataEncoding::kBinary;
}

// The last datacontenttype header (as in EventMeshMessage::FromJson); empty when none.
absl::string_view MessageContentType(const tcp::EventMeshMessageView& message) {
  absl::string_view content_type;
  for (const auto& [name, text] : message.headers) {
    if (name == kDataContentTypeKey) content_type = text;
  }
  return content_type;
}

absl::Status FromEventMeshMessage(const tcp::Header& header, absl::string_view spec_version,
                                  absl::string_view body, CloudEvent* out) {
  // Read in place: the event is built from views into the parse (no EventMeshMessage maps),
  // straight into the caller's event.
  CloudEvent& event = *out;
  return tcp::VisitEventMeshMessage(
      body, [&](const tcp::EventMeshMessageView& message) -> absl::Status {
        if (message.topic.empty()) {
          return absl::InvalidArgumentError("message has no topic");
        }
        if (!header.seq.has_value() || header.seq->empty()) {
          return absl::InvalidArgumentError("message package has no seq (it becomes the event id)");
        }
        event.set_spec_version(std::string(spec_version));
        event.set_id(*header.seq);
        event.set_source(std::string(kEventMeshMessageSource));
        event.set_type(std::string(kEventMeshMessageType));
        event.set_subject(std::string(message.topic));
        const absl::string_view content_type = MessageContentType(message);
        if (!content_type.empty()) event.set_data_content_type(std::string(content_type));
        const DataEncoding encoding = BodyEncoding(event.data_content_type(), message.body);
        event.set_data(std::string(message.body), encoding);
        return AddPropertyExtensions(header, message, &event);
      });
}

absl::StatusOr<CloudEvent> FromStructuredCloudEvent(const tcp::Header& header,
                                                    absl::string_view body) {
  EM_ASSIGN_OR_RETURN(CloudEvent event, cloudevents::ParseJsonEvent(body));
  // The header's properties (already in name order) join the body's extensions in one merge,
  // without replacing any: both may hold any number of names.
  CloudEvent::Extensions properties;
  properties.reserve(header.properties.size());
  for (const auto& [key, value] : header.properties) {
    if (!IsExtensionName(key)) return AbnormalPropKey(key);
    properties.try_emplace(key, AttributeValue::String(value));
  }
  event.mutable_extensions()->MergeFrom(std::move(properties),
                                        CloudEvent::Extensions::Duplicates::kKeepFirst);
  if (!event.subject().has_value()) {
    return absl::InvalidArgumentError("CloudEvent has no subject (the topic to publish to)");
  }
  return event;
}

}  // namespace

absl::string_view EventTopic(const CloudEvent& event) {
  return event.subject().has_value() ? absl::string_view(*event.subject()) : absl::string_view();
}

absl::StatusOr<CloudEvent> TcpPackageToCloudEvent(const tcp::Package& package) {
  CloudEvent event;
  EM_RETURN_IF_ERROR(TcpPackageToCloudEvent(package, &event));
  return event;
}

absl::Status TcpPackageToCloudEvent(const tcp::Package& package, CloudEvent* out) {
  return TcpPackageToCloudEvent(package.header, package.body, out);
}

absl::Status TcpPackageToCloudEvent(const tcp::Header& header, absl::string_view body,
                                    CloudEvent* out) {
  const std::string* type = FindProperty(header, ProtocolTypeKey());
  const std::string* version = FindProperty(header, ProtocolVersionKey());
  const std::string* desc = FindProperty(header, ProtocolDescKey());
  if (IsBlank(type) || IsBlank(version) || IsBlank(desc)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid protocol params protocolType ", type ? *type : "null", "|protocolVersion ",
        version ? *version : "null", "|protocolDesc ", desc ? *desc : "null",
        " (header properties protocoltype, protocolversion and protocoldesc are required)"));
  }
  if (*version != cloudevents::kSpecVersion10 && *version != cloudevents::kSpecVersion03) {
    return absl::InvalidArgumentError(
        absl::StrCat("Unsupported protocolVersion: ", *version, " (expected 1.0 or 0.3)"));
  }
  if (*type == tcp::kProtocolTypeEventMeshMessage) {
    EM_RETURN_IF_ERROR(FromEventMeshMessage(header, *version, body, out));
  } else if (*type == tcp::kProtocolTypeCloudEvents) {
    EM_ASSIGN_OR_RETURN(*out, FromStructuredCloudEvent(header, body));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("Unsupported protocolType: ", *type,
                                                   " (expected eventmeshmessage or cloudevents)"));
  }
  return out->Validate();
}

bool EncodeStoredPublish(const tcp::Header& header, absl::string_view body,
                         absl::string_view marker, StoredPublish* out) {
  return EncodeStoredPublish(header, body, marker, out, nullptr);
}

namespace {

// Every value of the header's properties is ASCII without quotes, backslashes or control
// characters (the names of a package the encoder takes are extension names).
bool PlainHeaderValues(const tcp::Header& header) {
  for (const auto& [name, text] : header.properties) {
    if (json::FindJsonSpecialByte(text.data(), text.size(), /*stop_on_non_ascii=*/true) !=
        text.size()) {
      return false;
    }
  }
  return true;
}

// The memo's texts equal the header's properties (in the map's order).
bool SameTexts(const std::vector<std::pair<std::string, std::string>>& texts,
               const tcp::Header::Properties& properties) {
  return PairsEqual(properties, texts);
}

// The memo's message property texts equal the message's (SameNames holds).
bool SameValues(const std::vector<std::pair<std::string, std::string>>& texts,
                const absl::InlinedVector<tcp::EventMeshMessageView::Field, 12>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!BytesEqual(texts[i].second, fields[i].text)) return false;
  }
  return true;
}

// The memo's message property names equal the message's (in the message's order).
bool SameNames(const std::vector<std::pair<std::string, std::string>>& texts,
               const absl::InlinedVector<tcp::EventMeshMessageView::Field, 12>& fields) {
  if (texts.size() != fields.size()) return false;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!BytesEqual(texts[i].first, fields[i].name)) return false;
  }
  return true;
}

// Where each of SortedPropertyFields' `fields` (views of the header's and the message's
// properties) stands among the header's properties followed by the message's: false when there
// are more than kInsertionSortMax of them.
bool PropertyOrder(const tcp::Header& header, const tcp::EventMeshMessageView& message,
                   const PropertyFields& fields, std::vector<uint8_t>* order) {
  order->clear();
  if (header.properties.size() + message.properties.size() > kInsertionSortMax) return false;
  for (const auto& [name, text] : fields) {
    // The views point into the properties they came from: found by address.
    size_t index = 0;
    bool found = false;
    for (const auto& property : header.properties) {
      if (property.first.data() == name.data() && property.first.size() == name.size()) {
        found = true;
        break;
      }
      ++index;
    }
    for (size_t i = 0; !found && i < message.properties.size(); ++i, ++index) {
      const absl::string_view field_name = message.properties[i].name;
      if (field_name.data() == name.data() && field_name.size() == name.size()) {
        found = true;
        break;
      }
    }
    if (!found) return false;
    order->push_back(static_cast<uint8_t>(index));
  }
  return true;
}

}  // namespace

bool StoredPublishMemo::SameHeaderProperties(const tcp::Header& header, uint64_t header_shape) {
  if (header_shape != 0 && header_shape == header_shape_) return true;
  if (!SameTexts(header_properties_, header.properties)) return false;
  // Every header of this shape has these properties (the reader remembered an equal header
  // anew): compared by shape from now on. (An unknown shape leaves the memo's as it is.)
  if (header_shape != 0) header_shape_ = header_shape;
  return true;
}

bool StoredPublishMemo::EncodeLikeLast(const tcp::Header& header, uint64_t header_shape,
                                       absl::string_view body, absl::string_view marker,
                                       StoredPublish* out) {
  if (!valid_ || !body_valid_ || body.size() <= body_head_.size() + body_tail_.size() ||
      !absl::StartsWith(body, body_head_) || !absl::EndsWith(body, body_tail_)) {
    return false;
  }
  // The text between: the data, when it holds no quote (which would end the string early),
  // backslash, control character or non-ASCII byte (which need reading).
  const absl::string_view data =
      body.substr(body_head_.size(), body.size() - body_head_.size() - body_tail_.size());
  if (json::FindJsonSpecialByte(data.data(), data.size(), /*stop_on_non_ascii=*/true) !=
      data.size()) {
    return false;
  }
  if (!header.seq.has_value() || header.seq->empty() || !IsValidUtf8(*header.seq) ||
      !BytesEqual(marker, marker_) || !SameHeaderProperties(header, header_shape)) {
    return false;
  }
  out->bytes.clear();
  cloudevents::AppendPlainProtoWithId(*header.seq, after_id_, DataEncoding::kText, data,
                                      &out->bytes);
  out->has_marker = has_marker_;
  // Usually the topic it holds already (the caller reuses *out): comparing costs less than
  // copying.
  if (!BytesEqual(out->topic, topic_)) out->topic.assign(topic_);
  out->hints.plain_data = true;
  out->hints.plain_attributes = plain_attributes_;
  out->hints.attributes_id = attributes_id_;
  out->hints.data_size = data.size();
  values_changed_ = false;
  return true;
}

bool EncodeStoredPublish(const tcp::Header& header, absl::string_view body,
                         absl::string_view marker, StoredPublish* out, StoredPublishMemo* memo,
                         uint64_t header_shape) {
  // A publisher's next package is usually its last one with another seq and other data: the
  // memo writes it without reading the rest again.
  if (memo != nullptr && memo->EncodeLikeLast(header, header_shape, body, marker, out)) {
    return true;
  }
  // Each condition below is one TcpPackageToCloudEvent (and Validate) would otherwise check;
  // failing one leaves the package to that path and its error message.
  const std::string* type = FindProperty(header, ProtocolTypeKey());
  const std::string* version = FindProperty(header, ProtocolVersionKey());
  const std::string* desc = FindProperty(header, ProtocolDescKey());
  if (type == nullptr || *type != tcp::kProtocolTypeEventMeshMessage || version == nullptr ||
      (*version != cloudevents::kSpecVersion10 && *version != cloudevents::kSpecVersion03) ||
      IsBlank(desc)) {
    return false;
  }
  if (!header.seq.has_value() || header.seq->empty() || !IsValidUtf8(*header.seq)) return false;
  const bool v03 = *version == cloudevents::kSpecVersion03;
  bool encoded = false;
  const absl::Status visited = tcp::VisitEventMeshMessage(
      body, [&](const tcp::EventMeshMessageView& message) -> absl::Status {
        if (message.topic.empty()) return absl::OkStatus();
        // Text data only: a body that is not UTF-8 is binary data or, with a JSON content
        // type and JSON-looking text, refused; the general path tells which.
        if (!message.plain_ascii && !IsValidUtf8(message.body)) return absl::OkStatus();
        const absl::string_view content_type = MessageContentType(message);
        cloudevents::PlainEventFields event;
        event.spec_version = *version;
        event.id = *header.seq;
        event.source = kEventMeshMessageSource;
        event.type = kEventMeshMessageType;
        event.data = message.body;
        // kJson and kText data are both text_data: which one BodyEncoding would pick does not
        // change the bytes.
        event.data_encoding = DataEncoding::kText;
        out->bytes.clear();
        out->hints = cloudevents::StoredEventHints();
        // False when the memo stays for other values than these (the names-and-order path).
        bool remember_body = true;
        // The memo's attributes but maybe for the message's property values.
        const bool same_shape =
            memo != nullptr && memo->valid_ && BytesEqual(memo->topic_, message.topic) &&
            BytesEqual(memo->content_type_, content_type) && BytesEqual(memo->marker_, marker) &&
            memo->SameHeaderProperties(header, header_shape) &&
            SameNames(memo->message_properties_, message.properties);
        if (same_shape && SameValues(memo->message_properties_, message.properties)) {
          // The attributes of the last package, checked and written then. (The protocol
          // version, which decides some of the checks, is a header property.)
          cloudevents::AppendPlainProtoWithId(event.id, memo->after_id_, event.data_encoding,
                                              event.data, &out->bytes);
          out->has_marker = memo->has_marker_;
          out->hints.attributes_id = memo->attributes_id_;
          out->hints.plain_attributes = memo->plain_attributes_;
          memo->values_changed_ = false;
        } else if (same_shape && memo->values_changed_ && memo->shape_valid_ &&
                   ++memo->shape_run_ < StoredPublishMemo::kShapeRun) {
          // The message's property values changed again (a key, a timestamp per message): the
          // names, their order and what was checked of them are the memo's, the values are
          // written as they come. The memo stays as it is (it is for the values it was built
          // with), so is its body (RememberBody is for those values too).
          std::array<PropertyField, kInsertionSortMax> all;
          size_t count = 0;
          for (const auto& [name, text] : header.properties) all[count++] = {name, text};
          for (const auto& field : message.properties) all[count++] = {field.name, field.text};
          PropertyFields fields;
          for (const uint8_t index : memo->order_) {
            if (!IsValidUtf8(all[index].second)) return absl::OkStatus();
            fields.push_back(all[index]);
          }
          if (!content_type.empty()) event.data_content_type = content_type;
          event.subject = message.topic;
          event.extensions = fields;
          cloudevents::AppendPlainProto(event, &out->bytes);
          out->has_marker = memo->has_marker_;
          out->hints.attributes_id = cloudevents::NewStoredAttributesId();
          out->hints.plain_attributes = message.plain_ascii && memo->header_plain_;
          remember_body = false;
        } else {
          if (!message.plain_ascii && (!IsValidUtf8(message.topic) || !IsValidUtf8(content_type))) {
            return absl::OkStatus();
          }
          PropertyFields fields;
          if (!SortedPropertyFields(header, message, &fields).ok()) return absl::OkStatus();
          bool has_marker = false;
          for (const auto& [name, text] : fields) {
            if (v03 && (name == "schemaurl" || name == "datacontentencoding")) {
              return absl::OkStatus();
            }
            if (!IsValidUtf8(text)) return absl::OkStatus();
            if (name == marker) has_marker = true;
          }
          if (!content_type.empty()) event.data_content_type = content_type;
          event.subject = message.topic;
          event.extensions = fields;
          // (False when unknown: the header is not looked at for a message that is not plain.)
          const bool header_plain = message.plain_ascii && PlainHeaderValues(header);
          out->hints.plain_attributes = header_plain;
          if (memo == nullptr) {
            cloudevents::AppendPlainProto(event, &out->bytes);
          } else {
            // Kept for the next package with the same attributes.
            memo->valid_ = false;
            memo->attributes_.clear();
            cloudevents::AppendPlainAttributes(event, &memo->attributes_);
            cloudevents::AppendPlainProtoAround(event, memo->attributes_, &out->bytes);
            memo->topic_.assign(message.topic.data(), message.topic.size());
            memo->content_type_.assign(content_type.data(), content_type.size());
            memo->marker_.assign(marker.data(), marker.size());
            memo->header_properties_.assign(header.properties.begin(), header.properties.end());
            memo->header_shape_ = header_shape;
            memo->message_properties_.clear();
            for (const auto& field : message.properties) {
              memo->message_properties_.emplace_back(field.name, field.text);
            }
            memo->has_marker_ = has_marker;
            memo->header_plain_ = header_plain;
            memo->plain_attributes_ = out->hints.plain_attributes;
            memo->after_id_.clear();
            cloudevents::AppendPlainAfterId(event, memo->attributes_, &memo->after_id_);
            memo->attributes_id_ = cloudevents::NewStoredAttributesId();
            memo->shape_valid_ = PropertyOrder(header, message, fields, &memo->order_);
            // Values that changed twice in a row are written through the memo's shape from then
            // on (the path above); every kShapeRun-th package rebuilds the memo, so that values
            // which stop changing come back to the memo's first path.
            memo->values_changed_ = same_shape;
            memo->shape_run_ = 0;
            memo->valid_ = true;
            out->hints.attributes_id = memo->attributes_id_;
          }
          out->has_marker = has_marker;
        }
        out->topic.assign(message.topic.data(), message.topic.size());
        out->hints.plain_data = message.plain_ascii;
        out->hints.data_size = message.body.size();
        if (memo != nullptr && remember_body) memo->RememberBody(body, message);
        encoded = true;
        return absl::OkStatus();
      });
  return visited.ok() && encoded;
}

void StoredPublishMemo::Clear() {
  valid_ = false;
  Texts().swap(header_properties_);
  header_shape_ = 0;
  Texts().swap(message_properties_);
  std::string().swap(topic_);
  std::string().swap(content_type_);
  std::string().swap(marker_);
  std::string().swap(attributes_);
  attributes_id_ = 0;
  std::string().swap(after_id_);
  shape_valid_ = false;
  values_changed_ = false;
  shape_run_ = 0;
  std::vector<uint8_t>().swap(order_);
  body_valid_ = false;
  std::string().swap(body_head_);
  std::string().swap(body_tail_);
}

void StoredPublishMemo::RememberBody(absl::string_view body,
                                     const tcp::EventMeshMessageView& message) {
  body_valid_ = false;
  // Only a message the compact reader read (each of its strings as it stands in the text,
  // "body" once) whose data is a string in the text between quotes.
  const auto text = reinterpret_cast<uintptr_t>(body.data());
  const auto data = reinterpret_cast<uintptr_t>(message.body.data());
  if (!valid_ || !message.plain_ascii || message.body.empty() || data <= text ||
      data + message.body.size() >= text + body.size()) {
    return;
  }
  const size_t start = static_cast<size_t>(data - text);
  const size_t end = start + message.body.size();
  if (body[start - 1] != '"' || body[end] != '"') return;
  body_head_.assign(body.data(), start);
  body_tail_.assign(body.data() + end, body.size() - end);
  body_valid_ = true;
}

namespace {

// The protocol type a push is written in (`type`: the event's protocoltype extension):
// cloudevents for events published as structured CloudEvents, eventmeshmessage for every other.
// Another value (set by a publisher as a message property, a CloudEvent extension or a gRPC
// attribute) names no format a TCP client reads: such an event is pushed as an EventMeshMessage
// that keeps the value among its properties, rather than being undeliverable.
absl::string_view PushProtocolType(const std::string* type) {
  return type != nullptr && *type == tcp::kProtocolTypeCloudEvents
             ? tcp::kProtocolTypeCloudEvents
             : tcp::kProtocolTypeEventMeshMessage;
}

}  // namespace

absl::StatusOr<tcp::Package> CloudEventToTcpPackage(const CloudEvent& event, tcp::Command cmd,
                                                    std::string seq) {
  const absl::string_view protocol_type =
      PushProtocolType(event.FindExtension(tcp::kPropertyProtocolType));
  tcp::Package package;
  package.header.cmd = cmd;
  package.header.code = tcp::OpStatus::kSuccess;
  package.header.seq = std::move(seq);
  if (protocol_type == tcp::kProtocolTypeCloudEvents) {
    package.body = cloudevents::SerializeJsonEvent(event);
  } else {
    tcp::EventMeshMessage message;
    message.topic = std::string(EventTopic(event));
    message.body = event.data();
    for (const auto& [name, value] : event.extensions()) message.properties[name] = value.text;
    if (event.data_content_type().has_value()) {
      message.headers[std::string(kDataContentTypeKey)] = *event.data_content_type();
    }
    message.AppendJson(&package.body);
  }
  package.header.properties[std::string(tcp::kPropertyProtocolType)] = std::string(protocol_type);
  return package;
}

namespace {

// A push frame's prefix (both lengths zero) and its header's start up to the seq's text, per
// command (empty for a command PushHeaderAroundSeq does not know): built once.
absl::string_view PushFrameStart(tcp::Command cmd) {
  static const std::array<std::string, tcp::kCommandCount>* const kStarts = [] {
    auto* starts = new std::array<std::string, tcp::kCommandCount>();
    for (int i = 0; i < tcp::kCommandCount; ++i) {
      absl::string_view header_start, header_end;
      if (!tcp::PushHeaderAroundSeq(static_cast<tcp::Command>(i),
                                    tcp::kProtocolTypeEventMeshMessage, &header_start,
                                    &header_end)) {
        continue;
      }
      tcp::AppendPieces(&(*starts)[i], {tcp::kMagic, tcp::kVersion,
                                        absl::string_view("\0\0\0\0\0\0\0\0", 8), header_start});
    }
    return starts;
  }();
  return (*kStarts)[static_cast<size_t>(cmd)];
}

// What the writer knows needs no escaping (is ASCII without quotes, backslashes or control
// characters), so is copied without a scan for such bytes.
struct PlainParts {
  // Every property name is a valid CloudEvents attribute name (a-z, 0-9, as the extensions of
  // a ProtoEventView are).
  bool names = false;
  // The topic, every property's value and the content type
  // (cloudevents::StoredEventHints::plain_attributes).
  bool attributes = false;
  bool data = false;
};

void WriteString(tcp::DirectJsonWriter& w, absl::string_view text, bool plain) {
  if (plain) {
    w.PlainString(text);
  } else {
    w.String(text);
  }
}

// The EventMeshMessage body CloudEventToTcpPackage builds, written straight from its parts:
// the same key order and content as EventMeshMessage::AppendJson of that message. `properties`
// are (name, text) pairs in name order; no "datacontenttype" header when `content_type` is null.
// In three parts (the object's start and topic, the data, the rest), so that the parts around the
// data can be kept for the next message with the same topic and properties (StoredFrameMemo).
void WriteMessageHead(tcp::DirectJsonWriter& w, absl::string_view topic, bool plain = false) {
  w.StartObject();
  if (!topic.empty()) {
    w.PlainKey("topic");
    WriteString(w, topic, plain);
  }
}

void WriteMessageData(tcp::DirectJsonWriter& w, absl::string_view data, bool plain = false) {
  if (!data.empty()) {
    w.PlainKey("body");
    WriteString(w, data, plain);
  }
}

template <typename Properties>
void WriteMessageTail(tcp::DirectJsonWriter& w, const Properties& properties,
                      const absl::string_view* content_type, PlainParts plain = PlainParts()) {
  w.PlainKey("properties");
  w.StartObject();
  for (const auto& [name, text] : properties) {
    if (plain.names) {
      w.PlainKey(name);
    } else {
      w.Key(name);
    }
    WriteString(w, text, plain.attributes);
  }
  w.EndObject();
  w.PlainKey("headers");
  w.StartObject();
  if (content_type != nullptr) {
    w.PlainKey(kDataContentTypeKey);
    WriteString(w, *content_type, plain.attributes);
  }
  w.EndObject();
  w.EndObject();
}

template <typename Properties>
void AppendEventMeshMessageJson(absl::string_view topic, absl::string_view data,
                                const Properties& properties, const absl::string_view* content_type,
                                std::string* out, PlainParts plain = PlainParts()) {
  tcp::DirectJsonWriter w(out);
  WriteMessageHead(w, topic, plain.attributes);
  WriteMessageData(w, data, plain.data);
  WriteMessageTail(w, properties, content_type, plain);
}

// The extensions of an event (CloudEvent::Extensions, or a ProtoEventView's) as (name, text)
// pairs, in name order.
template <typename Extensions>
class ExtensionTexts {
 public:
  explicit ExtensionTexts(const Extensions& extensions) : extensions_(extensions) {}
  class Iterator {
   public:
    using Inner = typename Extensions::const_iterator;
    explicit Iterator(Inner it) : it_(it) {}
    std::pair<absl::string_view, absl::string_view> operator*() const {
      return {it_->first, it_->second.text};
    }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return it_ != o.it_; }

   private:
    Inner it_;
  };
  Iterator begin() const { return Iterator(extensions_.begin()); }
  Iterator end() const { return Iterator(extensions_.end()); }

 private:
  const Extensions& extensions_;
};

// A seq of printable ASCII without quotes or backslashes (the consumers' seqs are digits): JSON
// holds it as it is.
bool IsPlainSeq(absl::string_view seq) {
  for (const char c : seq) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// Writes a frame: the prefix, the header {cmd, code 0, seq, properties {protocoltype}}, then the
// body `write_body` appends; patches the lengths. On error *out is left as it was.
absl::Status AppendFrame(tcp::Command cmd, absl::string_view seq, absl::string_view protocol_type,
                         tcp::LengthConvention convention, size_t body_estimate,
                         absl::FunctionRef<void(std::string*)> write_body, std::string* out,
                         size_t max_frame_size) {
  const size_t start = out->size();
  out->reserve(start + tcp::kPrefixSize + 160 + seq.size() + body_estimate);
  out->append(tcp::kMagic.data(), tcp::kMagic.size());
  out->append(tcp::kVersion.data(), tcp::kVersion.size());
  out->append(8, '\0');  // L and H, patched below.
  const size_t header_start = out->size();
  tcp::AppendHeaderJson(cmd, tcp::OpStatus::kSuccess, seq, tcp::kPropertyProtocolType,
                        protocol_type, out);
  const size_t header_size = out->size() - header_start;
  write_body(out);
  const size_t body_size = out->size() - header_start - header_size;
  const size_t frame_size = out->size() - start;
  if (frame_size > max_frame_size) {
    out->resize(start);
    return tcp::FrameTooLarge(frame_size, max_frame_size);
  }
  char* prefix = out->data() + start + tcp::kMagicSize + tcp::kVersion.size();
  StoreBigEndian32(
      prefix, static_cast<uint32_t>(tcp::PackageLengthField(
                  convention, static_cast<int64_t>(header_size), static_cast<int64_t>(body_size))));
  StoreBigEndian32(prefix + 4, static_cast<uint32_t>(header_size));
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendCloudEventFrame(const CloudEvent& event, tcp::Command cmd, absl::string_view seq,
                                   tcp::LengthConvention convention, std::string* out,
                                   size_t max_frame_size) {
  const absl::string_view protocol_type =
      PushProtocolType(event.FindExtension(tcp::kPropertyProtocolType));
  const bool cloud_events = protocol_type == tcp::kProtocolTypeCloudEvents;
  size_t estimate = event.data().size();
  for (const auto& [name, value] : event.extensions()) {
    estimate += name.size() + value.text.size() + 8;
  }
  return AppendFrame(
      cmd, seq, protocol_type, convention, estimate,
      [&](std::string* body) {
        if (cloud_events) {
          body->append(cloudevents::SerializeJsonEvent(event));
          return;
        }
        absl::string_view content_type;
        if (event.data_content_type().has_value()) content_type = *event.data_content_type();
        AppendEventMeshMessageJson(
            EventTopic(event), event.data(), ExtensionTexts(event.extensions()),
            event.data_content_type().has_value() ? &content_type : nullptr, body);
      },
      out, max_frame_size);
}

std::optional<absl::Status> AppendStoredEventFrame(absl::string_view stored, tcp::Command cmd,
                                                   absl::string_view seq,
                                                   tcp::LengthConvention convention,
                                                   std::string* out, size_t max_frame_size,
                                                   cloudevents::ProtoEventView::Checks checks) {
  return AppendStoredEventFrame(stored, cmd, seq, convention, out, max_frame_size, checks, nullptr,
                                cloudevents::StoredEventHints());
}

std::optional<absl::Status> AppendStoredEventFrame(absl::string_view stored, tcp::Command cmd,
                                                   absl::string_view seq,
                                                   tcp::LengthConvention convention,
                                                   std::string* out, size_t max_frame_size,
                                                   cloudevents::ProtoEventView::Checks checks,
                                                   StoredFrameMemo* memo,
                                                   const cloudevents::StoredEventHints& hints) {
  if (memo != nullptr && hints.attributes_id != 0 && memo->has_json_ &&
      memo->json_attributes_id_ == hints.attributes_id && hints.data_size <= stored.size()) {
    // The attributes of the event the memo's JSON was written for: only the data is new, and it
    // ends the bytes.
    return memo->AppendFrameAround(cmd, seq, convention, out, max_frame_size,
                                   stored.substr(stored.size() - hints.data_size),
                                   hints.plain_data);
  }
  std::optional<cloudevents::ProtoEventView> event = cloudevents::ProtoEventView::Parse(
      stored, checks, memo != nullptr ? &memo->attributes_ : nullptr);
  if (!event.has_value()) return std::nullopt;
  const absl::string_view* type = event->FindExtension(tcp::kPropertyProtocolType);
  if (type != nullptr && *type == tcp::kProtocolTypeCloudEvents) {
    // A structured CloudEvent body, as AppendCloudEventFrame writes it for the decoded event.
    return AppendFrame(
        cmd, seq, tcp::kProtocolTypeCloudEvents, convention, stored.size() * 2,
        [&](std::string* body) { cloudevents::AppendJsonEvent(*event, body); }, out,
        max_frame_size);
  }
  const auto extensions = event->extensions();
  // The publisher's hints, which the store keeps with the bytes: what needs no escaping.
  PlainParts plain;
  plain.names = true;
  plain.attributes = hints.plain_attributes;
  plain.data = hints.plain_data && event->data_field_encoding() == DataEncoding::kText;
  const absl::string_view topic = event->subject().value_or(absl::string_view());
  const absl::string_view* content_type =
      event->data_content_type().has_value() ? &*event->data_content_type() : nullptr;
  if (memo != nullptr && memo->attributes_.last_hit()) {
    // The attributes are those of an earlier event: so is the JSON around the data (the topic,
    // properties and content type all come from the attributes), written once per generation
    // of their reading. (Events whose attributes change every time never get here.)
    if (!memo->has_json_ || memo->json_generation_ != memo->attributes_.generation()) {
      memo->head_.clear();
      memo->tail_.clear();
      {
        tcp::DirectJsonWriter w(&memo->head_);
        WriteMessageHead(w, topic, plain.attributes);
      }
      {
        tcp::DirectJsonWriter w(&memo->tail_);
        WriteMessageTail(w, ExtensionTexts(extensions), content_type, plain);
      }
      memo->json_generation_ = memo->attributes_.generation();
      memo->json_has_topic_ = !topic.empty();
      memo->has_json_ = true;
      absl::string_view header_start, header_end;
      const bool known =
          tcp::PushHeaderAroundSeq(tcp::Command::kAsyncMessageToClient,
                                   tcp::kProtocolTypeEventMeshMessage, &header_start, &header_end);
      memo->frame_mid_.clear();
      memo->frame_end_.clear();
      if (known) {
        tcp::AppendPieces(&memo->frame_mid_,
                          {header_end, memo->head_,
                           memo->json_has_topic_ ? absl::string_view(",\"body\":\"")
                                                 : absl::string_view("\"body\":\"")});
        tcp::AppendPieces(&memo->frame_end_, {"\",", memo->tail_});
      }
    }
    memo->json_attributes_id_ = hints.attributes_id;
    return memo->AppendFrameAround(cmd, seq, convention, out, max_frame_size, event->data(),
                                   plain.data);
  }
  size_t estimate = event->data().size();
  for (const auto& [name, value] : extensions) estimate += name.size() + value.text.size() + 8;
  return AppendFrame(
      cmd, seq, tcp::kProtocolTypeEventMeshMessage, convention, estimate,
      [&](std::string* body) {
        AppendEventMeshMessageJson(topic, event->data(), ExtensionTexts(extensions), content_type,
                                   body, plain);
      },
      out, max_frame_size);
}

absl::Status StoredFrameMemo::AppendFrameAround(tcp::Command cmd, absl::string_view seq,
                                                tcp::LengthConvention convention, std::string* out,
                                                size_t max_frame_size, absl::string_view data,
                                                bool plain) const {
  absl::string_view header_start, header_end;
  if ((plain || data.empty()) && IsPlainSeq(seq) &&
      tcp::PushHeaderAroundSeq(cmd, tcp::kProtocolTypeEventMeshMessage, &header_start,
                               &header_end)) {
    // Every piece known: the frame in one step, its lengths computed instead of patched.
    const bool with_data = !data.empty();
    if (with_data && !frame_mid_.empty()) {
      // The header's end, head_ and tail_ pre-joined: the prefix with the header's start, the
      // seq, the middle, the data, the end.
      const absl::string_view frame_start = PushFrameStart(cmd);
      const size_t header_size =
          frame_start.size() - tcp::kPrefixSize + seq.size() + header_end.size();
      const size_t frame_size =
          frame_start.size() + seq.size() + frame_mid_.size() + data.size() + frame_end_.size();
      if (frame_size > max_frame_size) return tcp::FrameTooLarge(frame_size, max_frame_size);
      const size_t at = out->size();
      tcp::AppendPieces(out, {frame_start, seq, frame_mid_, data, frame_end_});
      char* lengths = out->data() + at + tcp::kMagicSize + tcp::kVersionSize;
      StoreBigEndian32(lengths,
                       static_cast<uint32_t>(tcp::PackageLengthField(
                           convention, static_cast<int64_t>(header_size),
                           static_cast<int64_t>(frame_size - tcp::kPrefixSize - header_size))));
      StoreBigEndian32(lengths + 4, static_cast<uint32_t>(header_size));
      return absl::OkStatus();
    }
    const absl::string_view before_data = json_has_topic_ && with_data ? ",\"body\":\""
                                          : with_data                  ? "\"body\":\""
                                                                       : "";
    const absl::string_view after_data = with_data ? "\"," : json_has_topic_ ? "," : "";
    const size_t header_size = header_start.size() + seq.size() + header_end.size();
    const size_t body_size =
        head_.size() + before_data.size() + data.size() + after_data.size() + tail_.size();
    const size_t frame_size = tcp::kPrefixSize + header_size + body_size;
    if (frame_size > max_frame_size) return tcp::FrameTooLarge(frame_size, max_frame_size);
    char lengths[8];
    StoreBigEndian32(lengths, static_cast<uint32_t>(tcp::PackageLengthField(
                                  convention, static_cast<int64_t>(header_size),
                                  static_cast<int64_t>(body_size))));
    StoreBigEndian32(lengths + 4, static_cast<uint32_t>(header_size));
    tcp::AppendPieces(out, {tcp::kMagic, tcp::kVersion, absl::string_view(lengths, 8), header_start,
                            seq, header_end, head_, before_data, data, after_data, tail_});
    return absl::OkStatus();
  }
  return AppendFrame(
      cmd, seq, tcp::kProtocolTypeEventMeshMessage, convention,
      head_.size() + tail_.size() + data.size() + 16,
      [&](std::string* body) {
        if (plain || data.empty()) {
          // Data that needs no escaping: the body in one step, as the writer below makes it.
          const bool with_data = !data.empty();
          tcp::AppendPieces(
              body, {head_, json_has_topic_ && with_data ? "," : "", with_data ? "\"body\":\"" : "",
                     data, with_data ? "\"" : "", json_has_topic_ || with_data ? "," : "", tail_});
          return;
        }
        body->append(head_);
        bool members = json_has_topic_;
        if (!data.empty()) {
          if (members) body->push_back(',');
          tcp::DirectJsonWriter w(body);
          WriteMessageData(w, data);
          members = true;
        }
        if (members) body->push_back(',');
        body->append(tail_);
      },
      out, max_frame_size);
}

void StoredFrameMemo::Clear() {
  attributes_.Clear();
  has_json_ = false;
  json_attributes_id_ = 0;
  std::string().swap(head_);
  std::string().swap(tail_);
  std::string().swap(frame_mid_);
  std::string().swap(frame_end_);
}

}  // namespace eventmesh::protocol::adaptor
