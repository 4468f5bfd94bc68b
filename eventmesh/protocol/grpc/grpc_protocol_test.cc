#include "eventmesh/protocol/grpc/grpc_protocol.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "eventmesh/protocol/proto/deterministic.h"
#include "gtest/gtest.h"

namespace eventmesh::protocol::grpc {
namespace {

pb::CloudEvent Valid() {
  pb::CloudEvent event;
  event.set_id("id-1");
  event.set_source("/");
  event.set_spec_version("1.0");
  event.set_type("org.apache.eventmesh");
  for (const char* name : {key::kEnv, key::kIdc, key::kIp, key::kSys, key::kUsername, key::kPasswd,
                           key::kLanguage, key::kUniqueId, key::kProducerGroup, key::kSeqNum}) {
    SetAttr(&event, name, "x");
  }
  SetAttr(&event, key::kPid, "123");
  SetAttr(&event, key::kSubject, "orders");
  SetAttr(&event, key::kTtl, "4000");
  SetAttr(&event, key::kDataContentType, "text/plain");
  SetAttr(&event, key::kProtocolType, "eventmeshmessage");
  event.set_text_data("hello");
  return event;
}

TEST(GrpcProtocolTest, CodeTextsAreApaches) {
  EXPECT_EQ(CodeText(Code::kProtocolHeaderErr), "eventMesh CloudEvent[header] err, ");
  EXPECT_EQ(CodeText(Code::kSpeedOverLimitErr), "eventMesh send message speed over the limit err.");
  EXPECT_EQ(CodeText(Code::kClientResubscribe), "client needs to resubscribe.");
  EXPECT_EQ(CodeText(Code::kAclErr), "eventMesh acl err");
}

TEST(GrpcProtocolTest, FreshAndCopyShapes) {
  pb::CloudEvent fresh = FreshResponse(Code::kSuccess, "subscribe success");
  EXPECT_EQ(fresh.spec_version(), "1.0");
  EXPECT_FALSE(fresh.id().empty());
  EXPECT_EQ(Attr(fresh, key::kStatusCode), "0");
  EXPECT_EQ(Attr(fresh, key::kResponseMessage), "success subscribe success");
  EXPECT_TRUE(fresh.attributes().at(key::kTime).has_ce_timestamp());
  EXPECT_TRUE(FreshResponse(Code::kProtocolHeaderErr).id().empty());

  pb::CloudEvent copy = CopyResponse(Valid(), Code::kRequestReplyMsgErr);
  EXPECT_EQ(copy.id(), "id-1");
  EXPECT_EQ(copy.text_data(), "hello");
  EXPECT_EQ(ResponseCode(copy), 22);
  EXPECT_EQ(Attr(copy, key::kResponseMessage), "eventMesh request reply msg err, ");
}

TEST(GrpcProtocolTest, HeaderAndDataChecks) {
  EXPECT_TRUE(HeaderValid(Valid()));
  pb::CloudEvent bad_pid = Valid();
  SetAttr(&bad_pid, key::kPid, "12a");
  EXPECT_FALSE(HeaderValid(bad_pid));
  pb::CloudEvent no_env = Valid();
  no_env.mutable_attributes()->erase(key::kEnv);
  EXPECT_FALSE(HeaderValid(no_env));
  pb::CloudEvent typed = Valid();  // a non-string value reads as absent, as Apache reads it
  (*typed.mutable_attributes())[key::kIdc].set_ce_integer(3);
  EXPECT_FALSE(HeaderValid(typed));

  EXPECT_TRUE(CheckData(Valid()).ok());
  pb::CloudEvent no_subject = Valid();
  no_subject.mutable_attributes()->erase(key::kSubject);
  EXPECT_EQ(CheckData(no_subject).message(), "attribute subject is required");
  pb::CloudEvent empty_text = Valid();
  empty_text.set_text_data("");
  EXPECT_FALSE(CheckData(empty_text).ok());
  pb::CloudEvent binary = Valid();
  binary.mutable_attributes()->erase(key::kDataContentType);
  EXPECT_FALSE(CheckData(binary).ok());  // no content type -> binary_data required
  binary.set_binary_data(std::string("\x00\x01", 2));
  EXPECT_TRUE(CheckData(binary).ok());
}

TEST(GrpcProtocolTest, Subscriptions) {
  pb::CloudEvent event = Valid();
  SetAttr(&event, key::kConsumerGroup, "g");
  event.set_text_data(SubscriptionJson({{"a", false, false}, {"b", true, true}}));
  auto parsed = ParseSubscription(event, /*need_url=*/false);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->items.size(), 2u);
  EXPECT_EQ(parsed->items[1].topic, "b");
  EXPECT_TRUE(parsed->items[1].broadcasting);
  EXPECT_TRUE(parsed->items[1].sync);
  EXPECT_EQ(ParseSubscription(event, /*need_url=*/true).status().code(),
            absl::StatusCode::kInvalidArgument);

  event.set_text_data("[{\"topic\":\"a\",\"mode\":\"SOMETIMES\"}]");
  EXPECT_EQ(ParseSubscription(event, false).status().code(), absl::StatusCode::kFailedPrecondition);
  event.set_text_data("not json");
  EXPECT_EQ(ParseSubscription(event, false).status().code(), absl::StatusCode::kFailedPrecondition);
  event.set_text_data("[]");
  EXPECT_EQ(ParseSubscription(event, false).status().code(), absl::StatusCode::kInvalidArgument);
  event.set_text_data("[{\"mode\":\"CLUSTERING\"}]");
  EXPECT_EQ(ParseSubscription(event, false).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GrpcProtocolTest, AppendStringAttrSetsOrReplacesAnAttribute) {
  pb::CloudEvent event;
  event.set_id("id-1");
  event.set_text_data("text");
  SetAttr(&event, "seqnum", "old");
  SetAttr(&event, "color", "blue");
  std::string bytes = event.SerializeAsString();
  AppendStringAttr("seqnum", "new", &bytes);
  AppendStringAttr("pushseq", "12345", &bytes);
  const std::string long_value(300, 'v');  // lengths of two varint bytes
  AppendStringAttr("long", long_value, &bytes);
  AppendStringAttr("empty", "", &bytes);
  pb::CloudEvent parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.id(), "id-1");
  EXPECT_EQ(parsed.text_data(), "text");
  EXPECT_EQ(Attr(parsed, "seqnum"), "new");
  EXPECT_EQ(Attr(parsed, "pushseq"), "12345");
  EXPECT_EQ(Attr(parsed, "color"), "blue");
  EXPECT_EQ(Attr(parsed, "long"), long_value);
  ASSERT_EQ(parsed.attributes().count("empty"), 1u);
  EXPECT_TRUE(parsed.attributes().at("empty").has_ce_string());
  EXPECT_EQ(parsed.attributes_size(), 5);

  // The same bytes as SetAttr gives, once parsed.
  SetAttr(&event, "seqnum", "new");
  SetAttr(&event, "pushseq", "12345");
  SetAttr(&event, "long", long_value);
  SetAttr(&event, "empty", "");
  EXPECT_EQ(wire::DeterministicBytes(parsed), wire::DeterministicBytes(event));
}

// The checks and the conversion read from the bytes agree with those of the parsed message.
TEST(GrpcProtocolTest, WireEventViewReadsWhatTheMessageHolds) {
  std::vector<pb::CloudEvent> events;
  events.push_back(Valid());
  pb::CloudEvent no_pid = Valid();
  no_pid.mutable_attributes()->erase(key::kPid);
  events.push_back(no_pid);
  pb::CloudEvent letters_pid = Valid();
  SetAttr(&letters_pid, key::kPid, "12a");
  events.push_back(letters_pid);
  pb::CloudEvent no_ttl = Valid();
  no_ttl.mutable_attributes()->erase(key::kTtl);
  events.push_back(no_ttl);
  pb::CloudEvent binary_type = Valid();
  SetAttr(&binary_type, key::kDataContentType, "application/octet-stream");
  events.push_back(binary_type);
  pb::CloudEvent binary = binary_type;
  binary.set_binary_data(std::string("\x00\xff", 2));
  events.push_back(binary);
  pb::CloudEvent protobuf_type = Valid();
  SetAttr(&protobuf_type, key::kDataContentType, "application/protobuf");
  events.push_back(protobuf_type);
  pb::CloudEvent proto_data = protobuf_type;
  proto_data.mutable_proto_data()->set_type_url("type.googleapis.com/x");
  events.push_back(proto_data);
  pb::CloudEvent bad_source = Valid();
  bad_source.set_source("not a uri reference: \x01");
  events.push_back(bad_source);
  for (const pb::CloudEvent& event : events) {
    const std::string bytes = event.SerializeAsString();
    const std::optional<WireEventView> view = WireEventView::Read(bytes);
    ASSERT_TRUE(view.has_value()) << event.DebugString();
    for (const auto& [name, value] : event.attributes()) {
      EXPECT_EQ(view->Attr(name), Attr(event, name)) << name;
    }
    EXPECT_EQ(view->Attr("absent"), "");
    EXPECT_EQ(HeaderValid(*view), HeaderValid(event)) << event.DebugString();
    EXPECT_EQ(CheckData(*view), CheckData(event)) << event.DebugString();
    EXPECT_EQ(view->has_proto_data(), event.has_proto_data());
    auto from_bytes = ToMeshEvent(bytes, *view);
    auto from_message = ToMeshEvent(event);
    ASSERT_EQ(from_bytes.ok(), from_message.ok()) << event.DebugString();
    if (from_bytes.ok()) {
      EXPECT_EQ(*from_bytes, *from_message);
    } else {
      EXPECT_EQ(from_bytes.status(), from_message.status());
    }
  }
  // A name's last entry wins, as in a parsed map.
  std::string bytes = Valid().SerializeAsString();
  AppendStringAttr(key::kSubject, "replaced", &bytes);
  std::optional<WireEventView> view = WireEventView::Read(bytes);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->Attr(key::kSubject), "replaced");
  auto mesh = ToMeshEvent(bytes, *view);
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->subject().value_or(""), "replaced");
  // Every name the checks look up (kept by slot as the view reads), and names of the same
  // lengths (looked up by a scan): the last entry, or "" when the name is absent.
  for (const char* name : {key::kIp,
                           key::kIdc,
                           key::kEnv,
                           key::kPid,
                           key::kSys,
                           key::kTtl,
                           key::kToken,
                           key::kPasswd,
                           key::kSubject,
                           key::kUsername,
                           key::kLanguage,
                           key::kUniqueId,
                           key::kProducerGroup,
                           key::kDataContentType,
                           "iq",
                           "idd",
                           "toke_",
                           "passw_",
                           "subjec_",
                           "uniqueix",
                           "producergroux",
                           "datacontenttypf"}) {
    std::string twice = pb::CloudEvent().SerializeAsString();
    const std::optional<WireEventView> empty = WireEventView::Read(twice);
    ASSERT_TRUE(empty.has_value());
    EXPECT_EQ(empty->Attr(name), "") << name;
    AppendStringAttr(name, "first", &twice);
    AppendStringAttr("other", "x", &twice);
    AppendStringAttr(name, "second", &twice);
    const std::optional<WireEventView> read = WireEventView::Read(twice);
    ASSERT_TRUE(read.has_value()) << name;
    EXPECT_EQ(read->Attr(name), "second") << name;
    EXPECT_EQ(read->Attr("other"), "x") << name;
    pb::CloudEvent parsed;
    ASSERT_TRUE(parsed.ParseFromString(twice));
    EXPECT_EQ(read->Attr(name), Attr(parsed, name)) << name;
  }
  // A known name whose last entry has no value: "" (as the parsed message's default value).
  std::string ip_without_value = Valid().SerializeAsString();
  ip_without_value += std::string("\x2a\x04\x0a\x02ip", 6);
  const std::optional<WireEventView> without = WireEventView::Read(ip_without_value);
  ASSERT_TRUE(without.has_value());
  EXPECT_EQ(without->Attr(key::kIp), "");
  // Kinds other than ce_string, and bytes that are not a message, are left to the parser.
  pb::CloudEvent typed = Valid();
  (*typed.mutable_attributes())["priority"].set_ce_integer(3);
  EXPECT_FALSE(WireEventView::Read(typed.SerializeAsString()).has_value());
  EXPECT_FALSE(WireEventView::Read(std::string("\x0a\x64"
                                               "abc",
                                               5))
                   .has_value());
  // Groups are left to the parser too (their nesting counts against its depth limit).
  std::string grouped = Valid().SerializeAsString();
  grouped += std::string(3, '\x4b') + std::string(3, '\x4c');  // field 9: three nested groups
  EXPECT_FALSE(WireEventView::Read(grouped).has_value());
  pb::CloudEvent reparsed;
  EXPECT_TRUE(reparsed.ParseFromString(grouped));  // (protobuf reads it)
}

// EncodeStoredEvent against the general path: SerializeProto(ToMeshEvent(bytes, view)) when it
// writes the bytes; when it declines, the general path decides (accepts or refuses).
void ExpectStoredLikeTheGeneralPath(const std::string& bytes, bool expect_encoded) {
  const std::optional<WireEventView> view = WireEventView::Read(bytes);
  ASSERT_TRUE(view.has_value()) << absl::CEscape(bytes);
  StoredEvent stored;
  const bool encoded = EncodeStoredEvent(*view, "eventmeshorigin", &stored);
  EXPECT_EQ(encoded, expect_encoded);
  if (!encoded) return;
  auto mesh = ToMeshEvent(bytes, *view);
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  auto serialized = cloudevents::SerializeProto(*mesh);
  ASSERT_TRUE(serialized.ok());
  EXPECT_EQ(stored.bytes, *serialized);
  EXPECT_EQ(stored.topic, mesh->subject().value_or(""));
  EXPECT_EQ(stored.id, mesh->id());
  EXPECT_EQ(stored.data_size, mesh->data().size());
  EXPECT_EQ(stored.has_marker, mesh->FindExtension("eventmeshorigin") != nullptr);
}

// Attributes in any order (names sharing their first 8 bytes among them), a name twice: the
// bytes the general path stores.
TEST(GrpcProtocolTest, EncodeStoredEventSortsAnyAttributeOrder) {
  std::vector<std::string> events;
  pb::CloudEvent first = Valid();
  SetAttr(&first, "zeta", "1");
  SetAttr(&first, "alpha", "2");
  SetAttr(&first, "protocolx", "3");  // the first 8 bytes of protocoltype, protocolversion...
  SetAttr(&first, "protocol", "4");
  SetAttr(&first, "proto", "5");
  events.push_back(first.SerializeAsString());  // the protobuf library's order
  // Names in reverse order.
  pb::CloudEvent other = Valid();
  SetAttr(&other, "beta", "3");
  SetAttr(&other, "omega", "4");
  std::string reordered;
  {
    std::vector<std::pair<std::string, std::string>> attrs;
    for (const auto& [name, value] : other.attributes())
      attrs.emplace_back(name, value.ce_string());
    std::sort(attrs.begin(), attrs.end());
    std::reverse(attrs.begin(), attrs.end());
    pb::CloudEvent base = other;
    base.clear_attributes();
    reordered = base.SerializeAsString();
    for (const auto& [name, value] : attrs) AppendStringAttr(name, value, &reordered);
  }
  events.push_back(reordered);
  // A name twice (the later entry wins), then the names in order.
  std::string twice = Valid().SerializeAsString();
  AppendStringAttr("alpha", "5", &twice);
  AppendStringAttr(key::kSubject, "replaced", &twice);
  events.push_back(twice);
  events.push_back(wire::DeterministicBytes(first));
  events.push_back(first.SerializeAsString());
  for (const std::string& bytes : events) {
    ExpectStoredLikeTheGeneralPath(bytes, true);
  }
}

TEST(GrpcProtocolTest, EncodeStoredEventWritesWhatTheGeneralPathStores) {
  ExpectStoredLikeTheGeneralPath(Valid().SerializeAsString(), true);
  pb::CloudEvent json = Valid();
  SetAttr(&json, key::kDataContentType, "application/json");
  json.set_text_data("{\"a\":[1,2]}");
  ExpectStoredLikeTheGeneralPath(json.SerializeAsString(), true);
  pb::CloudEvent not_json = json;
  not_json.set_text_data("{not json");
  ExpectStoredLikeTheGeneralPath(not_json.SerializeAsString(), true);
  pb::CloudEvent binary = Valid();
  SetAttr(&binary, key::kDataContentType, "application/octet-stream");
  binary.set_binary_data(std::string("\x00\xff", 2));
  ExpectStoredLikeTheGeneralPath(binary.SerializeAsString(), true);
  pb::CloudEvent no_data = Valid();
  no_data.clear_text_data();
  ExpectStoredLikeTheGeneralPath(no_data.SerializeAsString(), true);
  pb::CloudEvent empty_text = Valid();
  empty_text.set_text_data("");
  ExpectStoredLikeTheGeneralPath(empty_text.SerializeAsString(), true);
  // Dropped attributes, the default protocoldesc (also for an empty one), the marker.
  pb::CloudEvent response_attrs = Valid();
  for (const char* name : {key::kToken, key::kStatusCode, key::kResponseMessage,
                           key::kSubMessageType, key::kPushSeq, key::kAckMode}) {
    SetAttr(&response_attrs, name, "1");
  }
  SetAttr(&response_attrs, key::kProtocolDesc, "");
  SetAttr(&response_attrs, "eventmeshorigin", "mesh-a");
  ExpectStoredLikeTheGeneralPath(response_attrs.SerializeAsString(), true);
  // The default protocoldesc in its place in name order: after every other extension, before
  // the first, or between.
  for (const std::vector<const char*>& names :
       std::vector<std::vector<const char*>>{{"aaa"}, {"zzz"}, {}, {"aaa", "protocoldesd"}}) {
    pb::CloudEvent few;
    few.set_id("id-1");
    few.set_source("/");
    few.set_spec_version("1.0");
    few.set_type("t");
    SetAttr(&few, key::kSubject, "orders");
    for (const char* name : names) SetAttr(&few, name, "v");
    ExpectStoredLikeTheGeneralPath(few.SerializeAsString(), true);
  }
  pb::CloudEvent own_desc = Valid();
  SetAttr(&own_desc, key::kProtocolDesc, "grpc");
  ExpectStoredLikeTheGeneralPath(own_desc.SerializeAsString(), true);
  // A name's last entry wins, whatever the order of the entries.
  std::string replaced = Valid().SerializeAsString();
  AppendStringAttr(key::kSubject, "replaced", &replaced);
  AppendStringAttr("aaa", "first", &replaced);
  AppendStringAttr("aaa", "second", &replaced);
  ExpectStoredLikeTheGeneralPath(replaced, true);

  // Declined: the general path decides (each of these it refuses or converts differently).
  pb::CloudEvent spec03 = Valid();
  spec03.set_spec_version("0.3");
  ExpectStoredLikeTheGeneralPath(spec03.SerializeAsString(), false);
  pb::CloudEvent bad_spec = Valid();
  bad_spec.set_spec_version("2.0");
  ExpectStoredLikeTheGeneralPath(bad_spec.SerializeAsString(), false);
  for (const char* core : {"id", "source", "type"}) {
    pb::CloudEvent missing = Valid();
    if (std::string(core) == "id") missing.clear_id();
    if (std::string(core) == "source") missing.clear_source();
    if (std::string(core) == "type") missing.clear_type();
    ExpectStoredLikeTheGeneralPath(missing.SerializeAsString(), false);
  }
  pb::CloudEvent bad_source = Valid();
  bad_source.set_source("not a uri reference: \x01");
  ExpectStoredLikeTheGeneralPath(bad_source.SerializeAsString(), false);
  for (const char* name : {"time", "dataschema", "specversion", "Upper", "with-dash"}) {
    pb::CloudEvent odd = Valid();
    SetAttr(&odd, name, "2024-02-29T08:00:00Z");
    ExpectStoredLikeTheGeneralPath(odd.SerializeAsString(), false);
  }
  pb::CloudEvent empty_subject = Valid();
  SetAttr(&empty_subject, key::kSubject, "");
  ExpectStoredLikeTheGeneralPath(empty_subject.SerializeAsString(), false);
  pb::CloudEvent proto_data = Valid();
  proto_data.mutable_proto_data()->set_type_url("type.googleapis.com/x");
  ExpectStoredLikeTheGeneralPath(proto_data.SerializeAsString(), false);
  // Not UTF-8: in a replaced entry too (the parser reads every entry).
  std::string bad_utf8 = Valid().SerializeAsString();
  AppendStringAttr("note", "\xff", &bad_utf8);
  AppendStringAttr("note", "fine", &bad_utf8);
  ExpectStoredLikeTheGeneralPath(bad_utf8, false);
  pb::CloudEvent bad_text = Valid();
  bad_text.set_text_data("\xc3");
  ExpectStoredLikeTheGeneralPath(bad_text.SerializeAsString(), false);
  // A field that comes twice (the parser checks the earlier occurrence too).
  std::string two_ids = Valid().SerializeAsString() + std::string("\x0a\x04id-9", 6);
  ExpectStoredLikeTheGeneralPath(two_ids, false);
  std::string two_data = Valid().SerializeAsString() + std::string("\x32\x01z", 3);
  ExpectStoredLikeTheGeneralPath(two_data, false);
  // An entry whose key, value message or ce_string comes twice (the parser checks the earlier
  // one too: here it is not UTF-8).
  for (const std::string& entry :
       {std::string("\x2a\x0f\x0a\x04note\x12\x07\x1a\x01\xff\x1a\x02ok", 17),
        std::string("\x2a\x0f\x0a\x01\xff\x0a\x04note\x12\x04\x1a\x02ok", 17),
        std::string("\x2a\x11\x0a\x04note\x12\x03\x1a\x01\xff\x12\x04\x1a\x02ok", 19)}) {
    ExpectStoredLikeTheGeneralPath(Valid().SerializeAsString() + entry, false);
  }
  // An entry without a value.
  std::string no_value = Valid().SerializeAsString() + std::string("\x2a\x03\x0a\x01z", 5);
  ExpectStoredLikeTheGeneralPath(no_value, false);
  // An entry without a key (the parser's key is "", not an attribute name).
  std::string no_key = Valid().SerializeAsString() + std::string("\x2a\x05\x12\x03\x1a\x01z", 7);
  ExpectStoredLikeTheGeneralPath(no_key, false);
  // More than 64 entries.
  pb::CloudEvent many = Valid();
  for (int i = 0; i < 60; ++i) SetAttr(&many, "x" + std::to_string(i), "v");
  ExpectStoredLikeTheGeneralPath(many.SerializeAsString(), false);
}

TEST(GrpcProtocolTest, BatchEventBytesListsTheEvents) {
  pb::CloudEventBatch batch;
  *batch.add_events() = Valid();
  pb::CloudEvent second = Valid();
  second.set_id("id-2");
  *batch.add_events() = second;
  const std::string bytes = batch.SerializeAsString();
  const auto events = BatchEventBytes(bytes);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 2u);
  pb::CloudEvent first_read, second_read;  // (map order differs between serializations)
  ASSERT_TRUE(first_read.ParseFromArray((*events)[0].data(), (*events)[0].size()));
  ASSERT_TRUE(second_read.ParseFromArray((*events)[1].data(), (*events)[1].size()));
  EXPECT_EQ(wire::DeterministicBytes(first_read), wire::DeterministicBytes(batch.events(0)));
  EXPECT_EQ(wire::DeterministicBytes(second_read), wire::DeterministicBytes(second));
  EXPECT_TRUE(BatchEventBytes("")->empty());
  EXPECT_FALSE(BatchEventBytes(bytes + std::string(2, '\x0b')).has_value());     // a group
  EXPECT_FALSE(BatchEventBytes(bytes.substr(0, bytes.size() - 1)).has_value());  // truncated
}

TEST(GrpcProtocolTest, MeshEventRoundTripDropsCredentials) {
  pb::CloudEvent with_token = Valid();
  SetAttr(&with_token, key::kToken, "signed.access.token");
  auto mesh = ToMeshEvent(with_token);
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->subject().value_or(""), "orders");
  EXPECT_EQ(mesh->data(), "hello");
  EXPECT_EQ(mesh->FindExtension(key::kPasswd), nullptr);
  EXPECT_EQ(mesh->FindExtension(key::kToken), nullptr);  // a credential, never stored
  ASSERT_NE(mesh->FindExtension(key::kProtocolDesc), nullptr);
  EXPECT_EQ(*mesh->FindExtension(key::kProtocolDesc), kProtocolDescGrpc);
  auto wire = FromMeshEvent(*mesh);
  ASSERT_TRUE(wire.ok()) << wire.status();
  EXPECT_EQ(wire->text_data(), "hello");
  EXPECT_EQ(Attr(*wire, key::kSubject), "orders");
  EXPECT_EQ(Attr(*wire, key::kUniqueId), "x");

  pb::CloudEvent bad_spec = Valid();
  bad_spec.set_spec_version("2.0");
  EXPECT_EQ(ToMeshEvent(bad_spec).status().code(), absl::StatusCode::kInvalidArgument);
  pb::CloudEvent bad_name = Valid();
  SetAttr(&bad_name, "Bad_Name", "v");
  EXPECT_EQ(ToMeshEvent(bad_name).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace eventmesh::protocol::grpc
