#ifndef EVENTMESH_PROTOCOL_ADAPTOR_TCP_ADAPTOR_H_
#define EVENTMESH_PROTOCOL_ADAPTOR_TCP_ADAPTOR_H_

// Converts between EventMesh TCP packages and the canonical CloudEvent, as Apache
// EventMesh's protocol adaptors do (reference 1.6, 1.7).
//
// Inbound (publish, request, reply packages):
//   protocoltype "eventmeshmessage": the body is EventMeshMessage JSON. The event gets
//     id = header seq, source "/", type "eventmeshmessage", subject = topic, data = body,
//     datacontenttype = headers["datacontenttype"], and extensions = header properties
//     followed by message properties (a message property wins on a name clash).
//   protocoltype "cloudevents": the body is a structured-mode CloudEvent (JSON); header
//     properties are added as extensions (the event's own extensions win).
//   The three header properties protocoltype, protocolversion ("1.0" | "0.3") and
//   protocoldesc are required, as in Apache EventMesh.
// Outbound (push to a subscriber): an event published as a structured CloudEvent (its
//   "protocoltype" extension is "cloudevents") is written as one, with the header properties
//   {"protocoltype": "cloudevents"}; every other event as an EventMeshMessage, with
//   {"protocoltype": "eventmeshmessage"}: events that arrived over another transport (HTTP, gRPC,
//   MQTT) and events whose protocoltype extension names no TCP format (a publisher may set it
//   as a message property) alike, the extension kept among the message's properties.
//
// The topic of an event is its subject. All functions are pure and thread-safe.
// Errors: InvalidArgument with the reason (the runtime sends it as the reply's desc).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/proto_event_view.h"
#include "eventmesh/protocol/cloudevents/stored_hints.h"
#include "eventmesh/protocol/tcp/command.h"
#include "eventmesh/protocol/tcp/event_mesh_message.h"
#include "eventmesh/protocol/tcp/package.h"
#include "eventmesh/protocol/tcp/package_codec.h"

namespace eventmesh::protocol::adaptor {

// Source and type of events converted from EventMeshMessage.
inline constexpr absl::string_view kEventMeshMessageSource = "/";
inline constexpr absl::string_view kEventMeshMessageType = "eventmeshmessage";
inline constexpr absl::string_view kDataContentTypeKey = "datacontenttype";

// The canonical event carried by a message package (ASYNC_MESSAGE_TO_SERVER,
// BROADCAST_MESSAGE_TO_SERVER, REQUEST_TO_SERVER, RESPONSE_TO_SERVER). The result is
// validated (CloudEvent::Validate) and has a non-empty subject (the topic).
absl::StatusOr<cloudevents::CloudEvent> TcpPackageToCloudEvent(const tcp::Package& package);
// The same, built in place into `*out`, which must be a default-constructed event (the
// publish path builds it where it is queued instead of moving it there). On error `*out`
// holds whatever was converted before the error.
absl::Status TcpPackageToCloudEvent(const tcp::Package& package, cloudevents::CloudEvent* out);
// The same for a package whose body is held elsewhere (a body borrowed from the decoder's
// buffer, see tcp::PackageDecoder::Next).
absl::Status TcpPackageToCloudEvent(const tcp::Header& header, absl::string_view body,
                                    cloudevents::CloudEvent* out);

// A publish package's event in its stored form, written straight from the package.
struct StoredPublish {
  std::string bytes;        // cloudevents::SerializeProto of TcpPackageToCloudEvent's event
  std::string topic;        // the event's subject
  bool has_marker = false;  // it carries the extension named by EncodeStoredPublish's `marker`
  // What the writer knows about `bytes` (AppendStoredEventFrame's `hints`): the size of the data
  // (the message body), which ends the bytes; plain_data when the data is ASCII without quotes,
  // backslashes or control characters, so JSON holds it as it is; through a StoredPublishMemo,
  // the id of the attributes the memo wrote (one per set of topic, content type and properties);
  // plain_attributes when the message's strings and the header's property values are such text.
  cloudevents::StoredEventHints hints;
};

// TcpPackageToCloudEvent + SerializeProto in one step, without building the CloudEvent, for the
// packages clients usually send: protocoltype "eventmeshmessage", protocolversion "1.0" or "0.3",
// a seq, a topic, valid property names, and UTF-8 throughout. Returns false for any other
// package (nothing is decided: the caller takes the general path, which accepts it or refuses it
// with its reason). When it returns true, TcpPackageToCloudEvent accepts the package and
// SerializeProto of its event is out->bytes (tcp_adaptor_test and tcp_publish_encoder_fuzzer
// check this). `marker`: an extension name the caller wants to know about. *out's fields are
// replaced (its buffers reused).
bool EncodeStoredPublish(const tcp::Header& header, absl::string_view body,
                         absl::string_view marker, StoredPublish* out);

// What EncodeStoredPublish keeps between the packages one publisher sends (a session's): the
// stored form of the last event's attributes (subject, datacontenttype, the extensions from the
// properties) with what they were made from. A publisher sends one topic with the same
// properties over and over; for a package with the same header properties (the protocol version
// among them), message properties, topic, content type and marker as the last one, the entries are
// copied instead of sorted, checked and written again. The bytes are the same as without the memo.
// Thread-compatible: used by one writer at a time.
class StoredPublishMemo {
 public:
  // Forgets everything and frees the storage.
  void Clear();

 private:
  friend bool EncodeStoredPublish(const tcp::Header&, absl::string_view, absl::string_view,
                                  StoredPublish*, StoredPublishMemo*, uint64_t);
  // The package of the last one the memo remembers the body of, but for its seq and its data
  // (a plain ASCII string between the body's remembered start and end): out written from the
  // memo, true. False (nothing written, nothing decided) for anything else.
  bool EncodeLikeLast(const tcp::Header& header, uint64_t header_shape, absl::string_view body,
                      absl::string_view marker, StoredPublish* out);
  // The header's properties are header_properties_: by shape when both are known, else by
  // comparing them (and then the header's shape is the memo's).
  bool SameHeaderProperties(const tcp::Header& header, uint64_t header_shape);
  // Remembers `body` (of the package just encoded through the memo, read as `message`) around
  // its data, when the compact reader read it and the data stands in it between quotes.
  void RememberBody(absl::string_view body, const tcp::EventMeshMessageView& message);
  using Texts = std::vector<std::pair<std::string, std::string>>;
  bool valid_ = false;
  Texts header_properties_;    // in the header's (name) order
  uint64_t header_shape_ = 0;  // the shape of the header they were taken from (0: unknown)
  Texts message_properties_;   // in the message's order
  std::string topic_, content_type_, marker_;
  std::string attributes_;      // cloudevents::AppendPlainAttributes of the event
  uint64_t attributes_id_ = 0;  // cloudevents::NewStoredAttributesId for attributes_
  bool has_marker_ = false;
  // The header's properties' values need no JSON escaping (PlainHeaderValues); the attributes'
  // values all need none (StoredEventHints::plain_attributes).
  bool header_plain_ = false;
  bool plain_attributes_ = false;
  // cloudevents::AppendPlainAfterId of the event (the fields after the id: the source, the
  // protocol version of the header properties, the type, then attributes_).
  std::string after_id_;
  // The order of the attributes' extensions: indexes into the header's properties (in the map's
  // order) followed by the message's. Kept (shape_valid_) for up to 32 properties.
  bool shape_valid_ = false;
  std::vector<uint8_t> order_;
  // The memo was rebuilt for other values of the same properties (its last package changed
  // them): the next package with yet other values is written through its shape without
  // rebuilding it, up to kShapeRun - 1 in a row (shape_run_).
  bool values_changed_ = false;
  static constexpr int kShapeRun = 16;
  int shape_run_ = 0;
  // The last body remembered (RememberBody): its bytes before and after its data.
  bool body_valid_ = false;
  std::string body_head_, body_tail_;
};

// EncodeStoredPublish through `memo` (see StoredPublishMemo): the same result. `header_shape`:
// the header's tcp::HeaderReader::last_shape as decoded (0 when unknown or when the header was
// changed since), which lets the memo tell a header with its last one's properties without
// comparing them.
bool EncodeStoredPublish(const tcp::Header& header, absl::string_view body,
                         absl::string_view marker, StoredPublish* out, StoredPublishMemo* memo,
                         uint64_t header_shape = 0);

// The package that delivers `event` to a TCP client with command `cmd` (e.g.
// ASYNC_MESSAGE_TO_CLIENT) and sequence number `seq`; header code 0.
absl::StatusOr<tcp::Package> CloudEventToTcpPackage(const cloudevents::CloudEvent& event,
                                                    tcp::Command cmd, std::string seq);

// Appends to *out the frame of CloudEventToTcpPackage(event, cmd, seq) encoded with
// `convention`: the same bytes as EncodePackage of that package, written straight into *out
// without building the package (the push path). On error *out is left as it was. Errors:
// ResourceExhausted when the frame would exceed `max_frame_size`.
absl::Status AppendCloudEventFrame(const cloudevents::CloudEvent& event, tcp::Command cmd,
                                   absl::string_view seq, tcp::LengthConvention convention,
                                   std::string* out, size_t max_frame_size = tcp::kMaxFrameSize);

// AppendCloudEventFrame of the event whose CloudEvents protobuf form is `stored`, written
// straight from those bytes without decoding them into a CloudEvent (the push path for events
// kept as stored bytes): the same frame, byte for byte, as AppendCloudEventFrame of
// cloudevents::ParseProto(stored). Handles the plain events cloudevents::ProtoEventView reads
// (String extensions, subject, datacontenttype, time, text or binary data); returns nullopt,
// with *out unchanged, for anything else (typed extensions, dataschema, bytes that do not parse
// or would not validate): the caller then decodes the event and calls
// AppendCloudEventFrame. Errors: ResourceExhausted as AppendCloudEventFrame.
// `checks`: how the bytes are read (kStructure for bytes of a validated event, see
// cloudevents::ProtoEventView::Checks).
std::optional<absl::Status> AppendStoredEventFrame(
    absl::string_view stored, tcp::Command cmd, absl::string_view seq,
    tcp::LengthConvention convention, std::string* out, size_t max_frame_size = tcp::kMaxFrameSize,
    cloudevents::ProtoEventView::Checks checks = cloudevents::ProtoEventView::Checks::kAll);

// What AppendStoredEventFrame keeps between the frames it writes for one writer (a session's
// pushes): the reading of the events' attributes (cloudevents::ProtoEventView::AttributeMemo)
// and the EventMeshMessage JSON written from them (the topic before the data; the properties
// and headers after it). The events of one topic from one publisher carry the same attributes,
// so each frame after the first writes only its id and data afresh. The frames are the same
// bytes as without the memo. Thread-compatible: used by one writer at a time.
class StoredFrameMemo {
 public:
  // Forgets everything and frees the storage.
  void Clear();

 private:
  friend std::optional<absl::Status> AppendStoredEventFrame(
      absl::string_view, tcp::Command, absl::string_view, tcp::LengthConvention, std::string*,
      size_t, cloudevents::ProtoEventView::Checks, StoredFrameMemo*,
      const cloudevents::StoredEventHints&);
  // The frame of an eventmeshmessage event with the attributes head_ and tail_ were written for
  // and data `data` (`plain`: ASCII needing no escapes).
  absl::Status AppendFrameAround(tcp::Command cmd, absl::string_view seq,
                                 tcp::LengthConvention convention, std::string* out,
                                 size_t max_frame_size, absl::string_view data, bool plain) const;
  cloudevents::ProtoEventView::AttributeMemo attributes_;
  // The JSON below belongs to the attributes of this generation of attributes_ (none when it
  // differs): the body's start up to the data ('{' and the topic) and its end after it (the
  // properties, the headers and the closing '}', without a leading ',').
  uint64_t json_generation_ = 0;
  bool has_json_ = false;
  bool json_has_topic_ = false;  // head_ holds a topic
  // StoredEventHints::attributes_id of an event head_ and tail_ were written for (0: none).
  uint64_t json_attributes_id_ = 0;
  std::string head_, tail_;
  // head_ and tail_ joined with what surrounds them in a push frame with data (the header's end
  // before head_, the data's key and quotes): a frame is then five copies.
  std::string frame_mid_;  // the header's end after the seq, head_, `"body":"`
  std::string frame_end_;  // `",` and tail_
};

// AppendStoredEventFrame through `memo` (see StoredFrameMemo): the same result. `hints`: what the
// writer of `stored` knew about them (StoredPublish::hints, carried with the bytes). With
// plain_data the data is copied into the frame without a scan for bytes to escape; with the
// attributes_id of the last frame the memo wrote JSON for (and its data_size), the frame is
// written from that JSON and the bytes' last data_size bytes without reading the rest. Hints that
// break their promise make a frame that is not JSON, or not the event's.
std::optional<absl::Status> AppendStoredEventFrame(absl::string_view stored, tcp::Command cmd,
                                                   absl::string_view seq,
                                                   tcp::LengthConvention convention,
                                                   std::string* out, size_t max_frame_size,
                                                   cloudevents::ProtoEventView::Checks checks,
                                                   StoredFrameMemo* memo,
                                                   const cloudevents::StoredEventHints& hints = {});

// The topic of an event: its subject, or empty when it has none.
absl::string_view EventTopic(const cloudevents::CloudEvent& event);

}  // namespace eventmesh::protocol::adaptor

#endif  // EVENTMESH_PROTOCOL_ADAPTOR_TCP_ADAPTOR_H_
