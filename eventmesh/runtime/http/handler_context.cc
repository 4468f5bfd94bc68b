#include "eventmesh/runtime/http/handler_context.h"

#include <chrono>

#include "eventmesh/protocol/http/response.h"
#include "glog/logging.h"

namespace eventmesh::runtime::http {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HttpRequest ResponseMeta(const HttpRequest& request) {
  HttpRequest meta;
  meta.path = request.path;
  meta.local_ip = request.local_ip;
  meta.peer_ip = request.peer_ip;
  meta.method_name = request.method_name;
  return meta;
}

HttpResponse RetCodeResponse(const HttpServices& services, const HttpRequest& request,
                             int http_status, int ret_code, absl::string_view ret_msg,
                             std::pair<std::string, std::string> extra_header) {
  namespace key = protocol::http::header_key;
  if (ret_code != 0 && services.log_limiter != nullptr) {
    if (auto dropped = services.log_limiter->Admit(request.peer_ip)) {
      LOG(WARNING) << "http " << request.peer_ip << ": " << request.method_name << " "
                   << request.path << " refused, HTTP " << http_status << " retCode " << ret_code
                   << ": " << ret_msg << common::LogLimiter::DroppedNote(*dropped);
    }
  }
  HttpResponse response;
  response.status = http_status;
  response.body = protocol::http::MakeResponseJson(ret_code, ret_msg, NowMs());
  if (!extra_header.first.empty()) response.headers.push_back(std::move(extra_header));
  const RuntimeConfig& config = *services.config;
  response.headers.emplace_back(std::string(key::kEventMeshCluster), config.server_cluster);
  response.headers.emplace_back(std::string(key::kEventMeshIp),
                                config.host_ip.empty() ? request.local_ip : config.host_ip);
  response.headers.emplace_back(std::string(key::kEventMeshEnv), config.server_env);
  response.headers.emplace_back(std::string(key::kEventMeshIdc), config.server_idc);
  return response;
}

}  // namespace eventmesh::runtime::http
