#ifndef EVENTMESH_SDK_MESSAGE_H_
#define EVENTMESH_SDK_MESSAGE_H_

// The SDK's one message model, shared by EventMeshTcpClient, EventMeshHttpClient and
// HttpSubscriber:
//   * Message: an EventMesh message (Java `EventMeshMessage`): topic, content, properties and
//     the optional fields the HTTP protocol carries (biz_seq_no, unique_id, tag, ttl_ms);
//   * Event = std::variant<Message, CloudEvent>: what a client sends;
//   * ReceivedEvent: what a client receives (a TCP push or reply, an HTTP webhook push), with
//     the same Message / CloudEvent payload;
//   * SubscriptionItem (topic, mode, type) for Subscribe calls of both protocols.
// How the fields travel on each protocol is stated per field. Value types; no protocol types.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "eventmesh/protocol/cloudevents/cloud_event.h"

namespace eventmesh::sdk {

using cloudevents::CloudEvent;

// An EventMesh message. On TCP it travels as the EventMeshMessage JSON
// {"topic","body","properties","headers"}; on HTTP as the form fields of codes 101-107.
struct Message {
  std::string topic;    // Required to send. TCP: `topic`; HTTP: `topic`.
  std::string content;  // The payload (may be empty). TCP: `body`; HTTP: `content`.
  // User properties; they become CloudEvent extensions in the runtime (keys [a-z0-9]).
  // TCP: `properties`; HTTP: `extFields`.
  std::map<std::string, std::string> properties;
  // Business sequence number. HTTP: `bizseqno` (empty = 30 random digits); TCP: the property
  // "bizseqno" (only when set). Received TCP events fill it from that property.
  std::string biz_seq_no;
  // Unique id. HTTP: `uniqueid` (empty = 30 random digits); TCP: the property "uniqueid".
  std::string unique_id;
  // Optional tag. HTTP: `tag`; TCP: the property "tag".
  std::string tag;
  // Time to live in ms; 0 = the protocol default (HTTP publishes: 4 h; Request uses its
  // timeout). HTTP: `ttl`; TCP: the property "ttl".
  int64_t ttl_ms = 0;
  // Content type of `content`; empty = none. TCP: headers.datacontenttype; not sent on HTTP.
  std::string content_type;

  bool operator==(const Message& o) const {
    return topic == o.topic && content == o.content && properties == o.properties &&
           biz_seq_no == o.biz_seq_no && unique_id == o.unique_id && tag == o.tag &&
           ttl_ms == o.ttl_ms && content_type == o.content_type;
  }
};

// What a client sends: a Message (protocoltype eventmeshmessage) or a CloudEvent
// (protocoltype cloudevents; its subject is the topic).
using Event = std::variant<Message, CloudEvent>;

// The topic of an event: the message's topic or the CloudEvent's subject (empty if none).
std::string TopicOf(const Event& event);

// How a consumer group shares a topic's events.
enum class SubscriptionMode {
  kClustering,    // each event goes to one member of the group
  kBroadcasting,  // each event goes to every member
};

// How events are delivered.
enum class SubscriptionType {
  kAsync,  // plain pushes
  kSync,   // request-reply: pushes are requests to answer with Reply
};

// One subscribed topic.
struct SubscriptionItem {
  std::string topic;
  SubscriptionMode mode = SubscriptionMode::kClustering;
  SubscriptionType type = SubscriptionType::kAsync;

  bool operator==(const SubscriptionItem& o) const {
    return topic == o.topic && mode == o.mode && type == o.type;
  }
};

// What a received event is.
enum class EventKind {
  kAsync,      // a push of an ASYNC subscription (TCP ASYNC_MESSAGE_TO_CLIENT, HTTP code 105,
               // every CloudEvents webhook push)
  kBroadcast,  // a broadcast push (TCP BROADCAST_MESSAGE_TO_CLIENT)
  kRequest,    // a request to answer with Reply (TCP REQUEST_TO_CLIENT, HTTP code 106)
  kResponse,   // the reply to this client's request (TCP RESPONSE_TO_CLIENT)
};

// How a received event reached the client.
enum class Transport {
  kTcp,              // an EventMesh TCP package
  kHttpForm,         // an EventMesh form push to a webhook (codes 105 / 106)
  kHttpCloudEvents,  // a CloudEvents HTTP binding push (binary, structured or batch)
  kGrpc,             // a gRPC subscribeStream push or requestReply answer
};

// An event received from the runtime. A value type.
struct ReceivedEvent {
  EventKind kind = EventKind::kAsync;
  Transport transport = Transport::kTcp;
  std::string protocol_type;  // "eventmeshmessage" or "cloudevents".
  std::string seq;            // TCP: the runtime's seq (acks echo it); HTTP: empty.
  std::string random_no;      // HTTP form pushes: `randomNo`; otherwise empty.
  // HTTP pushes: the push's HTTP headers; TCP: empty.
  std::vector<std::pair<std::string, std::string>> headers;
  Event payload;

  // The topic: the message's topic or the CloudEvent's subject.
  std::string topic() const;
  // The payload bytes: the message content or the CloudEvent's data.
  const std::string& data() const;
  // The named message property or CloudEvent extension; nullptr when absent.
  const std::string* property(absl::string_view name) const;
  const Message* message() const { return std::get_if<Message>(&payload); }
  const CloudEvent* cloud_event() const { return std::get_if<CloudEvent>(&payload); }
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_MESSAGE_H_
