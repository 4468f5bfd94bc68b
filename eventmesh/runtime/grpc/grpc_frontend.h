#ifndef EVENTMESH_RUNTIME_GRPC_GRPC_FRONTEND_H_
#define EVENTMESH_RUNTIME_GRPC_GRPC_FRONTEND_H_

// Apache EventMesh's gRPC API (v1.9+, CloudEvent-based) as a frontend::Frontend ("grpc", port
// eventMesh.server.grpc.port, default 10205), on the core services only:
//   PublisherService.publish / publishOneWay / batchPublish / batchPublishOneWay
//       -> PublishService (ACL, rate limit eventMesh.server.grpc.msgReqnumPerSecond, sizes,
//          topic existence; answered once durable)
//   PublisherService.requestReply -> RequestReplyService (any connector)
//   ConsumerService.subscribeStream -> ConsumerManager: each stream is a DeliveryTarget with a
//       window of eventMesh.server.grpc.streamWindowSize unacknowledged pushes; an event is
//       acknowledged when written to the stream, or, when the subscription asked for client
//       acks (attribute ackmode=client), when the client sends subscription_ack for its pushseq.
//       Unacknowledged events of a closed stream are redelivered.
//   ConsumerService.subscribe / unsubscribe (webhook url) -> WebhookService
//   HeartbeatService.heartbeat -> refreshes webhook registrations, checks stream ones.
// Responses follow Apache's shapes and status codes (grpc_protocol.h); the gRPC status is OK for
// every in-band error. TLS / mutual TLS with eventMesh.server.grpc.tls.*.
// Threading: gRPC's callback API (no thread per stream); request-reply timers run on one
// internal Asio thread. Lifecycle as frontend::Frontend.

#include <memory>

#include "eventmesh/runtime/frontend/frontend.h"

namespace eventmesh::runtime::grpc {

inline constexpr char kFrontendName[] = "grpc";

// Registers "grpc".
absl::Status RegisterGrpcFrontend(frontend::FrontendRegistry* registry);

// Builds the frontend directly (tests). Errors: InvalidArgument (unreadable TLS files).
absl::StatusOr<std::unique_ptr<frontend::Frontend>> CreateGrpcFrontend(
    const frontend::FrontendServices& services);

}  // namespace eventmesh::runtime::grpc

#endif  // EVENTMESH_RUNTIME_GRPC_GRPC_FRONTEND_H_
