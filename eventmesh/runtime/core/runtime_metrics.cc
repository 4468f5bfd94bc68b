#include "eventmesh/runtime/core/runtime_metrics.h"

#include <string>

namespace eventmesh::runtime::core {

absl::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kHttp:
      return "http";
    case Protocol::kGrpc:
      return "grpc";
    case Protocol::kMqtt:
      return "mqtt";
    case Protocol::kInternal:
      return "internal";
  }
  return "internal";
}

absl::string_view PublishResultName(PublishResultClass result) {
  switch (result) {
    case PublishResultClass::kOk:
      return "ok";
    case PublishResultClass::kFailed:
      return "failed";
    case PublishResultClass::kDenied:
      return "denied";
    case PublishResultClass::kFlowControl:
      return "flow_control";
    case PublishResultClass::kTooLarge:
      return "too_large";
    case PublishResultClass::kInvalid:
      return "invalid";
    case PublishResultClass::kNoTopic:
      return "no_topic";
  }
  return "failed";
}

PublishResultClass ClassifyRefusal(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
      return PublishResultClass::kDenied;
    case absl::StatusCode::kResourceExhausted:
      return PublishResultClass::kFlowControl;
    case absl::StatusCode::kOutOfRange:
      return PublishResultClass::kTooLarge;
    case absl::StatusCode::kInvalidArgument:
      return PublishResultClass::kInvalid;
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
      return PublishResultClass::kNoTopic;
    default:
      return PublishResultClass::kFailed;
  }
}

absl::StatusOr<std::unique_ptr<RuntimeMetrics>> RuntimeMetrics::Create(
    metrics::Registry* registry) {
  auto m = std::unique_ptr<RuntimeMetrics>(new RuntimeMetrics());
  auto publishes = registry->AddCounter(
      "eventmesh_publish_total",
      "Events clients published, by protocol and result (ok = durable; failed = the store "
      "refused; denied, flow_control, too_large, invalid, no_topic = refused by the runtime).",
      {"protocol", "result"});
  if (!publishes.ok()) return publishes.status();
  auto durable = registry->AddHistogram(
      "eventmesh_publish_durable_latency_seconds",
      "Time from admitting a publish to the store reporting it durable.", {"protocol"});
  if (!durable.ok()) return durable.status();
  for (int p = 0; p < kProtocolCount; ++p) {
    const std::string protocol(ProtocolName(static_cast<Protocol>(p)));
    for (int r = 0; r < kPublishResultCount; ++r) {
      m->publishes_[p][r] =
          (*publishes)
              ->WithLabels(
                  {protocol, std::string(PublishResultName(static_cast<PublishResultClass>(r)))});
    }
    m->durable_latency_[p] = (*durable)->WithLabels({protocol});
  }
  struct CounterSpec {
    const char* name;
    const char* help;
    metrics::Counter** out;
  };
  const CounterSpec counters[] = {
      {"eventmesh_delivery_pushes_total",
       "Events pushed to subscribers (every delivery attempt, redeliveries included).",
       &m->pushes_},
      {"eventmesh_delivery_redeliveries_total",
       "Events queued again for delivery after an ack timeout or their subscriber leaving.",
       &m->redeliveries_},
      {"eventmesh_delivery_acks_total", "Pushes the subscribers acknowledged.", &m->acks_},
      {"eventmesh_delivery_dead_letters_total",
       "Events moved to a dead-letter topic (too many deliveries, or refused by the target).",
       &m->dead_letters_},
  };
  for (const CounterSpec& spec : counters) {
    auto family = registry->AddCounter(spec.name, spec.help);
    if (!family.ok()) return family.status();
    *spec.out = (*family)->Get();
  }
  auto ack_latency =
      registry->AddHistogram("eventmesh_delivery_ack_latency_seconds",
                             "Time from pushing an event to a subscriber to its acknowledgement.");
  if (!ack_latency.ok()) return ack_latency.status();
  m->ack_latency_ = (*ack_latency)->Get();
  return m;
}

}  // namespace eventmesh::runtime::core
