// Fuzz target: a publish package (header properties, seq and body) through EncodeStoredPublish,
// the TCP publish path's encoder, against the general path (TcpPackageToCloudEvent +
// SerializeProto).
//
// Input: lines "name=value" (header properties; they replace the defaults protocoltype
// "eventmeshmessage", protocolversion "1.0", protocoldesc "tcp"), a line "seq=<text>" or "noseq"
// for the seq ("42" otherwise), then an empty line and the body.
//
// Property: when the encoder answers, the general path accepts the package and the encoder's
// bytes, topic, data size and marker are those of the converted event. When the general path
// accepts an EventMeshMessage package the encoder leaves to it, the event's data is binary (the
// message body, once read, is not UTF-8). A StoredPublishMemo changes nothing (also when it was
// built for other values of the same properties). What the hints call plain (the data, the
// attributes) needs no JSON escaping. The push frame
// written from the encoder's bytes, with and without a StoredFrameMemo, is the converted event's.
// Any violation aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/adaptor/tcp_adaptor.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/tcp/package.h"

namespace {

using eventmesh::protocol::adaptor::EncodeStoredPublish;
using eventmesh::protocol::adaptor::StoredPublish;
using eventmesh::protocol::adaptor::TcpPackageToCloudEvent;

[[noreturn]] void Fail(const char* what, absl::string_view input) {
  std::fprintf(stderr, "tcp_publish_encoder_fuzzer: %s\n%.*s\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

eventmesh::protocol::tcp::Package ReadPackage(absl::string_view input) {
  eventmesh::protocol::tcp::Package package;
  package.header.cmd = eventmesh::protocol::tcp::Command::kAsyncMessageToServer;
  package.header.seq = "42";
  package.header.properties["protocoltype"] = "eventmeshmessage";
  package.header.properties["protocolversion"] = "1.0";
  package.header.properties["protocoldesc"] = "tcp";
  while (!input.empty()) {
    const size_t end = input.find('\n');
    const absl::string_view line = input.substr(0, end);
    input = end == absl::string_view::npos ? absl::string_view() : input.substr(end + 1);
    if (line.empty()) break;
    if (line == "noseq") {
      package.header.seq.reset();
      continue;
    }
    const size_t eq = line.find('=');
    const absl::string_view name = line.substr(0, eq);
    const absl::string_view value =
        eq == absl::string_view::npos ? absl::string_view() : line.substr(eq + 1);
    if (name == "seq") {
      package.header.seq = std::string(value);
    } else {
      package.header.properties[std::string(name)] = std::string(value);
    }
  }
  package.body = std::string(input);
  return package;
}

// Text a JSON writer may copy as it is: ASCII without quotes, backslashes or control characters.
bool IsPlain(absl::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const eventmesh::protocol::tcp::Package package = ReadPackage(input);
  StoredPublish stored;
  stored.bytes.assign(size % 100, 'x');  // the encoder replaces what an earlier publish left
  const bool encoded =
      EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &stored);
  // Through a memo, after a package of the default header (which the input's may share) and
  // then after itself: the same answer and bytes (and hints, but for the attributes' id).
  StoredPublish with_memo;
  // Whether any encoding (with or without a memo) said the attributes need no escaping.
  bool claimed_plain_attributes = stored.hints.plain_attributes;
  {
    eventmesh::protocol::adaptor::StoredPublishMemo memo;
    eventmesh::protocol::tcp::Package first = ReadPackage("\n{\"topic\":\"t\",\"body\":\"b\"}");
    StoredPublish ignored;
    (void)EncodeStoredPublish(first.header, first.body, "eventmeshorigin", &ignored, &memo);
    for (int i = 0; i < 2; ++i) {
      StoredPublish through;
      const bool memo_encoded =
          EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &through, &memo);
      if (memo_encoded != encoded) Fail("the memo changes whether the encoder answers", input);
      if (encoded && (through.bytes != stored.bytes || through.topic != stored.topic ||
                      through.has_marker != stored.has_marker ||
                      through.hints.plain_data != stored.hints.plain_data ||
                      through.hints.data_size != stored.hints.data_size)) {
        Fail("the memo changes the encoding", input);
      }
      if (encoded && through.hints.attributes_id == 0) Fail("no attributes id", input);
      if (encoded) claimed_plain_attributes |= through.hints.plain_attributes;
      if (i == 0) with_memo = through;
    }
  }
  // Through a memo rebuilt for other values of the properties "k" and "z" (with the input's
  // header): a body with those names and yet other values is written through the memo's shape.
  {
    eventmesh::protocol::adaptor::StoredPublishMemo memo;
    StoredPublish ignored;
    for (const char* values : {R"("k":"1","z":"2")", R"("k":"3","z":"4")"}) {
      (void)EncodeStoredPublish(
          package.header,
          absl::StrCat(R"({"topic":"t","properties":{)", values, R"(},"body":"b"})"),
          "eventmeshorigin", &ignored, &memo);
    }
    StoredPublish through;
    const bool memo_encoded =
        EncodeStoredPublish(package.header, package.body, "eventmeshorigin", &through, &memo);
    if (memo_encoded != encoded)
      Fail("the memo's shape changes whether the encoder answers", input);
    if (encoded && (through.bytes != stored.bytes || through.topic != stored.topic ||
                    through.has_marker != stored.has_marker ||
                    through.hints.plain_data != stored.hints.plain_data ||
                    through.hints.data_size != stored.hints.data_size)) {
      Fail("the memo's shape changes the encoding", input);
    }
    if (encoded) claimed_plain_attributes |= through.hints.plain_attributes;
  }
  const absl::StatusOr<eventmesh::cloudevents::CloudEvent> event = TcpPackageToCloudEvent(package);
  if (!encoded) {
    const auto type = package.header.properties.find("protocoltype");
    const bool message =
        type != package.header.properties.end() && type->second == "eventmeshmessage";
    if (event.ok() && message &&
        event->data_encoding() != eventmesh::cloudevents::DataEncoding::kBinary) {
      Fail("the encoder left a text package the general path accepts", input);
    }
    return 0;
  }
  if (!event.ok()) Fail("the encoder took a package the general path refuses", input);
  const absl::StatusOr<std::string> expected = eventmesh::cloudevents::SerializeProto(*event);
  if (!expected.ok()) Fail("the converted event does not serialize", input);
  if (stored.bytes != *expected) Fail("the encoded bytes differ from SerializeProto's", input);
  if (!event->subject().has_value() || stored.topic != *event->subject()) {
    Fail("the topic differs from the subject", input);
  }
  if (stored.has_marker != (event->FindExtension("eventmeshorigin") != nullptr)) {
    Fail("the marker differs", input);
  }
  if (stored.hints.data_size != event->data().size() ||
      stored.bytes.compare(stored.bytes.size() - event->data().size(), std::string::npos,
                           event->data()) != 0) {
    Fail("the bytes do not end with the data", input);
  }
  if (claimed_plain_attributes) {
    bool plain = IsPlain(*event->subject()) &&
                 (!event->data_content_type().has_value() || IsPlain(*event->data_content_type()));
    for (const auto& [name, value] : event->extensions()) plain = plain && IsPlain(value.text);
    if (!plain) Fail("attributes marked plain need escaping", input);
  }
  if (stored.hints.plain_data && !IsPlain(event->data())) {
    Fail("data marked plain needs escaping", input);
  }

  // The push written from the stored bytes is the converted event's frame: without a memo,
  // through a fresh one, and through it again (its kept reading and JSON; with the publish's
  // hints as a session passes them on: the last time from the JSON the memo wrote for the
  // attributes' id).
  using eventmesh::protocol::tcp::Command;
  using eventmesh::protocol::tcp::LengthConvention;
  std::string expected_frame;
  if (!eventmesh::protocol::adaptor::AppendCloudEventFrame(
           *event, Command::kAsyncMessageToClient, "7", LengthConvention::kCurrent, &expected_frame)
           .ok()) {
    Fail("the converted event has no push frame", input);
  }
  eventmesh::protocol::adaptor::StoredFrameMemo memo;
  for (int i = 0; i < 4; ++i) {
    std::string frame;
    const std::optional<absl::Status> written =
        eventmesh::protocol::adaptor::AppendStoredEventFrame(
            stored.bytes, Command::kAsyncMessageToClient, "7", LengthConvention::kCurrent, &frame,
            eventmesh::protocol::tcp::kMaxFrameSize,
            eventmesh::cloudevents::ProtoEventView::Checks::kStructure, i == 0 ? nullptr : &memo,
            with_memo.hints);
    if (!written.has_value() || !written->ok() || frame != expected_frame) {
      Fail("the push frame from the stored bytes differs", input);
    }
  }
  return 0;
}
