#include "eventmesh/runtime/mqtt/event_mapping.h"

#include <atomic>
#include <random>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/mqtt/codec.h"

namespace eventmesh::runtime::mqtt {
namespace {

using cloudevents::CloudEvent;
using cloudevents::DataEncoding;
namespace mq = protocol::mqtt;

absl::Status PayloadInvalid(absl::string_view why) {
  return mq::WithReasonCode(absl::InvalidArgumentError(why), mq::reason::kPayloadFormatInvalid);
}

bool IsExtensionName(absl::string_view name) {
  if (name.empty() || name.size() > 20) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string PercentEncode(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// Text stays text in every format only with a content type saying so (the JSON format reads
// "data" without datacontenttype as JSON).
void SetData(CloudEvent* event, const std::string& payload) {
  if (payload.empty()) return;
  const bool text = IsValidUtf8(payload);
  event->set_data(payload, text ? DataEncoding::kText : DataEncoding::kBinary);
  if (!event->data_content_type().has_value()) {
    event->set_data_content_type(text ? "text/plain" : "application/octet-stream");
  }
}

}  // namespace

std::string NewEventId() {
  static const std::string prefix = [] {
    std::random_device rd;
    return absl::StrCat("mqtt-", absl::Hex((uint64_t{rd()} << 32) | rd(), absl::kZeroPad16));
  }();
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(prefix, "-", counter.fetch_add(1) + 1);
}

absl::StatusOr<CloudEvent> PublishToEvent(const mq::Publish& publish, mq::Version version,
                                          absl::string_view client_id, int64_t now_ms) {
  const mq::Properties& props = publish.properties;
  CloudEvent event;
  bool structured = props.content_type.has_value() &&
                    absl::AsciiStrToLower(*props.content_type) == kStructuredContentType;
  if (!structured && !publish.payload.empty() && publish.payload[0] == '{' &&
      (!props.content_type.has_value() || props.content_type->find("json") != std::string::npos)) {
    // A JSON payload that is a whole CloudEvent is structured mode; any other JSON is a plain
    // message.
    auto parsed = cloudevents::ParseJsonEvent(publish.payload);
    if (parsed.ok()) {
      event = *std::move(parsed);
      structured = true;
    }
  } else if (structured) {
    auto parsed = cloudevents::ParseJsonEvent(publish.payload);
    if (!parsed.ok()) {
      return PayloadInvalid(absl::StrCat("structured-mode message: ", parsed.status().message()));
    }
    event = *std::move(parsed);
  }
  bool binary = false;
  if (!structured && version == mq::Version::kV5) {
    for (const auto& [key, value] : props.user_properties) {
      if (key == "specversion") binary = true;
    }
  }
  if (!structured) {
    event.set_spec_version(std::string(cloudevents::kSpecVersion10));
    // A packet may carry any number of user properties, in any order; of equal names the last
    // counts.
    SortedVectorMapFiller<cloudevents::AttributeValue> extensions(
        event.mutable_extensions(), cloudevents::CloudEvent::Extensions::Duplicates::kKeepLast);
    for (const auto& [key, value] : props.user_properties) {
      if (binary && key == "specversion") {
        event.set_spec_version(value);
      } else if (binary && key == "id") {
        event.set_id(value);
      } else if (binary && key == "source") {
        event.set_source(value);
      } else if (binary && key == "type") {
        event.set_type(value);
      } else if (binary && key == "dataschema") {
        event.set_data_schema(value);
      } else if (binary && key == "time") {
        event.set_time(value);
      } else if (key == "subject" || key == "datacontenttype" || key == kExpiryExtension ||
                 key == "specversion" || key == "id" || key == "source" || key == "type") {
        continue;  // set from the topic / the content type / this runtime
      } else if (IsExtensionName(key)) {
        extensions.Add(key, cloudevents::AttributeValue::String(value));
      }
    }
    extensions.Finish();
    if (!binary) {
      event.set_id(NewEventId());
      event.set_source(absl::StrCat("/mqtt/", PercentEncode(client_id)));
      event.set_type(kPlainEventType);
    }
    if (props.content_type.has_value()) event.set_data_content_type(*props.content_type);
    SetData(&event, publish.payload);
  }
  event.set_subject(publish.topic);
  event.RemoveExtension(kExpiryExtension);
  if (props.message_expiry_interval.has_value()) {
    event.SetExtension(kExpiryExtension,
                       absl::StrCat(now_ms + int64_t{*props.message_expiry_interval} * 1000));
  }
  if (absl::Status valid = event.Validate(); !valid.ok()) {
    return PayloadInvalid(absl::StrCat(binary ? "binary-mode" : "structured-mode",
                                       " message is not a valid CloudEvent: ", valid.message()));
  }
  return event;
}

mq::Publish EventToPublish(const CloudEvent& event, mq::Version version, int64_t now_ms,
                           bool* expired) {
  *expired = false;
  mq::Publish p;
  p.topic = event.subject().value_or("");
  std::optional<uint32_t> remaining_s;
  if (const std::string* at = event.FindExtension(kExpiryExtension)) {
    int64_t expires_ms = 0;
    if (absl::SimpleAtoi(*at, &expires_ms)) {
      if (expires_ms <= now_ms) {
        *expired = true;
        return p;
      }
      remaining_s = static_cast<uint32_t>((expires_ms - now_ms + 999) / 1000);
    }
  }
  if (version == mq::Version::kV311) {
    if (event.type() == kPlainEventType) {
      p.payload = event.data();
    } else {
      CloudEvent copy = event;
      copy.RemoveExtension(kExpiryExtension);
      if (copy.data_encoding() == DataEncoding::kText && !copy.data_content_type().has_value()) {
        copy.set_data_content_type("text/plain");  // else JSON readers take "data" as JSON
      }
      p.payload = cloudevents::SerializeJsonEvent(copy);
    }
    return p;
  }
  p.properties.message_expiry_interval = remaining_s;
  auto& user = p.properties.user_properties;
  user.emplace_back("specversion", event.spec_version());
  user.emplace_back("id", event.id());
  user.emplace_back("source", event.source());
  user.emplace_back("type", event.type());
  if (event.data_schema()) user.emplace_back("dataschema", *event.data_schema());
  if (event.time()) user.emplace_back("time", *event.time());
  for (const auto& [name, value] : event.extensions()) {
    if (name == kExpiryExtension) continue;
    user.emplace_back(name, value.text);
  }
  if (event.data_content_type()) {
    p.properties.content_type = *event.data_content_type();
  } else if (event.data_encoding() == DataEncoding::kJson) {
    p.properties.content_type = "application/json";
  }
  if (event.data_encoding() == DataEncoding::kText) p.properties.payload_format_indicator = 1;
  p.payload = event.data();
  return p;
}

}  // namespace eventmesh::runtime::mqtt
