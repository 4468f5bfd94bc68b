#ifndef EVENTMESH_SDK_INTERNAL_WEBHOOK_SERVER_H_
#define EVENTMESH_SDK_INTERNAL_WEBHOOK_SERVER_H_

// The HTTP server an HttpSubscriber runs inside the application to receive the runtime's
// webhook pushes: the mesh's shared inbound server (//eventmesh/net:http_server), under the
// SDK's names.

#include "eventmesh/net/http_server.h"

namespace eventmesh::sdk::http {

using WebhookServer = net::HttpServer;
using WebhookServerOptions = net::HttpServerOptions;
using ServerRequest = net::ServerRequest;
using ServerResponse = net::ServerResponse;
using RequestHandler = net::Handler;

}  // namespace eventmesh::sdk::http

#endif  // EVENTMESH_SDK_INTERNAL_WEBHOOK_SERVER_H_
