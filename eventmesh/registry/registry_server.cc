#include "eventmesh/registry/registry_server.h"

#include <openssl/crypto.h>

#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventmesh/net/metrics_endpoint.h"
#include "eventmesh/protocol/http/url_encoding.h"
#include "eventmesh/protocol/json/json.h"
#include "glog/logging.h"

namespace eventmesh::registry {

namespace {

using net::Responder;
using net::ServerRequest;
using net::ServerResponse;

ServerResponse Error(int status, absl::string_view message) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "error");
  json::WriteString(w, message);
  w.EndObject();
  return ServerResponse::Json(status, std::string(buffer.GetString(), buffer.GetSize()));
}

ServerResponse FromStatus(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return Error(400, s.message());
    case absl::StatusCode::kNotFound:
      return Error(404, s.message());
    case absl::StatusCode::kResourceExhausted:
      return Error(429, s.message());
    default:
      return Error(500, s.message());
  }
}

ServerResponse WithIndex(ServerResponse r, uint64_t index) {
  r.headers.emplace_back("X-Eventmesh-Index", absl::StrCat(index));
  return r;
}

// The snapshot of a read: instances (ordered for `idc`) with their index.
ServerResponse InstancesResponse(Snapshot snapshot, absl::string_view idc) {
  std::string body = absl::StrCat("{\"index\":", snapshot.index, ",\"instances\":[");
  bool first = true;
  for (const Instance& in : OrderForClient(std::move(snapshot.instances), idc)) {
    if (!first) body.push_back(',');
    first = false;
    AppendJson(in, &body);
  }
  body.append("]}");
  return WithIndex(ServerResponse::Json(200, std::move(body)), snapshot.index);
}

bool TokenMatches(const std::string* header, const std::string& token) {
  if (header == nullptr) return false;
  const std::string expected = absl::StrCat("Bearer ", token);
  return header->size() == expected.size() &&
         CRYPTO_memcmp(header->data(), expected.data(), expected.size()) == 0;
}

}  // namespace

// The HTTP API. Owned by the server through a shared_ptr so parked watches can hold it weakly.
class RegistryServer::Api : public std::enable_shared_from_this<RegistryServer::Api> {
 public:
  Api(RegistryState* state, const RegistryServerOptions& options)
      : state_(state),
        token_(options.token),
        max_wait_(options.max_wait),
        sweep_interval_(options.sweep_interval) {}

  void StartSweeper() {
    sweeper_ = std::thread([this] { Sweep(); });
  }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    if (sweeper_.joinable()) sweeper_.join();
    std::map<uint64_t, Parked> parked;
    {
      absl::MutexLock lock(&mu_);
      parked.swap(parked_);
    }
    for (auto& [handle, p] : parked) {
      state_->CancelWatch(handle);
      p.respond(Error(503, "the registry is shutting down"));
    }
  }

  void Handle(ServerRequest request, Responder respond) {
    const absl::string_view path = request.path();
    std::vector<absl::string_view> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
    auto query = protocol::http::ParseForm(request.query());
    if (!query.ok()) return respond(Error(400, query.status().message()));
    auto param = [&](absl::string_view name) -> std::string {
      for (const auto& [k, v] : *query) {
        if (k == name) return v;
      }
      return "";
    };
    if (parts.empty() || parts[0] != "v1") {
      return respond(Error(404, absl::StrCat("no such endpoint: ", path)));
    }
    const std::string& method = request.method;
    auto only = [&](absl::string_view allowed) {
      ServerResponse r = Error(
          405, absl::StrCat(method, " is not allowed on ", path, " (allowed: ", allowed, ")"));
      r.headers.emplace_back("Allow", std::string(allowed));
      respond(std::move(r));
    };
    // /v1/health
    if (parts.size() == 2 && parts[1] == "health") {
      if (method != "GET") return only("GET");
      return respond(WithIndex(
          ServerResponse::Json(200, absl::StrCat("{\"status\":\"ok\",\"index\":", state_->index(),
                                                 ",\"watchers\":", state_->watchers(), "}")),
          state_->index()));
    }
    // /v1/meshes
    if (parts.size() == 2 && parts[1] == "meshes") {
      if (method != "GET") return only("GET");
      const uint64_t index = state_->index();
      std::string body = absl::StrCat("{\"index\":", index, ",\"meshes\":[");
      bool first = true;
      for (const auto& [mesh, count] : state_->Meshes()) {
        if (!first) body.push_back(',');
        first = false;
        absl::StrAppend(&body, "{\"name\":\"", mesh, "\",\"instances\":", count, "}");
      }
      body.append("]}");
      return respond(WithIndex(ServerResponse::Json(200, std::move(body)), index));
    }
    // /v1/instances (every mesh)
    if (parts.size() == 2 && parts[1] == "instances") {
      if (method != "GET") return only("GET");
      return Read(std::string(param("mesh")), param("idc"), param("index"), param("waitMs"),
                  /*require_mesh=*/false, std::move(respond));
    }
    // /v1/routes
    if (parts.size() == 2 && parts[1] == "routes") {
      if (method != "GET") return only("GET");
      Snapshot snapshot = state_->List("");
      return respond(WithIndex(
          ServerResponse::Json(
              200, absl::StrCat("{\"index\":", snapshot.index, ",\"routes\":",
                                RoutesToJson(RoutesOf(snapshot.instances, param("topic"))), "}")),
          snapshot.index));
    }
    // /v1/meshes/{mesh}/instances[/{id}[/lease]]
    if (parts.size() >= 4 && parts[1] == "meshes" && parts[3] == "instances") {
      const std::string mesh(parts[2]);
      if (auto s = ValidateName(mesh, "mesh"); !s.ok()) return respond(FromStatus(s));
      if (parts.size() == 4) {
        if (method != "GET") return only("GET");
        return Read(mesh, param("idc"), param("index"), param("waitMs"), /*require_mesh=*/true,
                    std::move(respond));
      }
      const std::string id(parts[4]);
      if (auto s = ValidateName(id, "instance id"); !s.ok()) return respond(FromStatus(s));
      if (parts.size() == 5) {
        if (method == "GET") {
          for (Instance& in : state_->List(mesh).instances) {
            if (in.id == id) return respond(ServerResponse::Json(200, ToJson(in)));
          }
          return respond(Error(404, absl::StrCat("no instance '", id, "' in mesh '", mesh, "'")));
        }
        if (method == "PUT") {
          if (!Authorized(request)) return respond(Unauthorized());
          return respond(Put(mesh, id, request.body, param("ttlMs")));
        }
        if (method == "DELETE") {
          if (!Authorized(request)) return respond(Unauthorized());
          if (auto s = state_->Remove(mesh, id); !s.ok()) return respond(FromStatus(s));
          return respond(WithIndex(
              ServerResponse::Json(200, absl::StrCat("{\"index\":", state_->index(), "}")),
              state_->index()));
        }
        return only("GET, PUT, DELETE");
      }
      if (parts.size() == 6 && parts[5] == "lease") {
        if (method != "PUT") return only("PUT");
        if (!Authorized(request)) return respond(Unauthorized());
        if (auto s = state_->Renew(mesh, id, absl::Now()); !s.ok()) return respond(FromStatus(s));
        return respond(ServerResponse::Json(200, "{\"renewed\":true}"));
      }
    }
    respond(Error(404, absl::StrCat("no such endpoint: ", path)));
  }

 private:
  struct Parked {
    absl::Time deadline;
    std::string mesh;
    std::string idc;
    Responder respond;
  };

  bool Authorized(const ServerRequest& request) const {
    return token_.empty() || TokenMatches(request.Header("Authorization"), token_);
  }
  static ServerResponse Unauthorized() {
    ServerResponse r =
        Error(401, "this registry needs \"Authorization: Bearer <token>\" to change it");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }

  ServerResponse Put(const std::string& mesh, const std::string& id, const std::string& body,
                     const std::string& ttl_param) {
    auto instance = InstanceFromJson(body);
    if (!instance.ok()) return FromStatus(instance.status());
    if (!instance->mesh.empty() && instance->mesh != mesh) {
      return Error(400, absl::StrCat("body mesh '", instance->mesh, "' differs from the path's '",
                                     mesh, "'"));
    }
    if (!instance->id.empty() && instance->id != id) {
      return Error(400,
                   absl::StrCat("body id '", instance->id, "' differs from the path's '", id, "'"));
    }
    instance->mesh = mesh;
    instance->id = id;
    int64_t ttl_ms = instance->lease_ttl_ms;
    if (!ttl_param.empty() && (!absl::SimpleAtoi(ttl_param, &ttl_ms) || ttl_ms < 0)) {
      return Error(400,
                   absl::StrCat("ttlMs must be a non-negative integer, got '", ttl_param, "'"));
    }
    instance->modify_index = 0;
    auto stored = state_->Put(*std::move(instance), absl::Milliseconds(ttl_ms), absl::Now());
    if (!stored.ok()) return FromStatus(stored.status());
    return WithIndex(
        ServerResponse::Json(200, absl::StrCat("{\"index\":", stored->modify_index,
                                               ",\"leaseTtlMs\":", stored->lease_ttl_ms, "}")),
        stored->modify_index);
  }

  void Read(const std::string& mesh, const std::string& idc, const std::string& index_param,
            const std::string& wait_param, bool require_mesh, Responder respond) {
    uint64_t after = 0;
    const bool watch = !index_param.empty();
    if (watch && !absl::SimpleAtoi(index_param, &after)) {
      return respond(Error(
          400, absl::StrCat("index must be a non-negative integer, got '", index_param, "'")));
    }
    int64_t wait_ms = 30'000;
    if (!wait_param.empty() && (!absl::SimpleAtoi(wait_param, &wait_ms) || wait_ms < 0)) {
      return respond(Error(
          400, absl::StrCat("waitMs must be a non-negative integer, got '", wait_param, "'")));
    }
    if (!watch || state_->index() > after || wait_ms == 0) {
      Snapshot snapshot = state_->List(mesh);
      if (require_mesh && snapshot.instances.empty() && !watch) {
        return respond(
            Error(404, absl::StrCat("unknown mesh '", mesh, "' (no instance registered in it)")));
      }
      return respond(InstancesResponse(std::move(snapshot), idc));
    }
    const absl::Time deadline = absl::Now() + std::min(absl::Milliseconds(wait_ms), max_wait_);
    absl::MutexLock lock(&mu_);
    if (stopping_) return respond(Error(503, "the registry is shutting down"));
    std::weak_ptr<Api> weak = weak_from_this();
    // The handle is known only after AddWatch returns; the notify looks the watch up by it.
    auto handle_cell = std::make_shared<uint64_t>(0);
    auto added = state_->AddWatch(after, [weak, handle_cell] {
      if (auto api = weak.lock()) api->Fire(handle_cell);
    });
    if (!added.ok()) return respond(FromStatus(added.status()));
    if (*added == 0) {  // the index moved meanwhile: answer at once
      return respond(InstancesResponse(state_->List(mesh), idc));
    }
    *handle_cell = *added;
    parked_[*added] = Parked{deadline, mesh, idc, std::move(respond)};
  }

  // A watch fired (outside the state's lock).
  void Fire(const std::shared_ptr<uint64_t>& handle) {
    Parked p;
    {
      absl::MutexLock lock(&mu_);  // Read() sets *handle under this lock
      auto it = parked_.find(*handle);
      if (it == parked_.end()) return;
      p = std::move(it->second);
      parked_.erase(it);
    }
    p.respond(InstancesResponse(state_->List(p.mesh), p.idc));
  }

  void Sweep() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), sweep_interval_)) return;
      }
      state_->Expire(absl::Now());
      const absl::Time now = absl::Now();
      std::vector<Parked> timed_out;
      {
        absl::MutexLock lock(&mu_);
        for (auto it = parked_.begin(); it != parked_.end();) {
          if (it->second.deadline <= now && state_->CancelWatch(it->first)) {
            timed_out.push_back(std::move(it->second));
            it = parked_.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (Parked& p : timed_out) p.respond(InstancesResponse(state_->List(p.mesh), p.idc));
    }
  }

  RegistryState* const state_;
  const std::string token_;
  const absl::Duration max_wait_;
  const absl::Duration sweep_interval_;
  std::thread sweeper_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, Parked> parked_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(
    RegistryServerOptions options) {
  if (options.max_wait <= absl::ZeroDuration() || options.sweep_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("max_wait and sweep_interval must be positive");
  }
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  auto state = RegistryState::Open(options.state, absl::Now());
  if (!state.ok()) return state.status();
  server->state_ = *std::move(state);
  server->api_ = std::make_shared<Api>(server->state_.get(), options);
  if (absl::Status s = server->RegisterMetrics(); !s.ok()) return s;
  std::weak_ptr<Api> weak = server->api_;
  RegistryServer* self = server.get();
  auto http =
      net::HttpServer::StartAsync(options.http, [weak, self](ServerRequest r, Responder respond) {
        const std::string& method = r.method;
        const int slot = method == "GET"      ? 0
                         : method == "PUT"    ? 1
                         : method == "DELETE" ? 2
                         : method == "POST"   ? 3
                                              : 4;
        self->requests_[slot]->Increment();
        if (r.path() == "/metrics") {
          return respond(net::HandleMetricsRequest(r, self->metrics_, ""));
        }
        auto api = weak.lock();
        if (!api) return respond(Error(503, "the registry is shutting down"));
        api->Handle(std::move(r), std::move(respond));
      });
  if (!http.ok()) return http.status();
  server->http_ = *std::move(http);
  server->api_->StartSweeper();
  LOG(INFO) << "registry listening on " << server->url();
  return server;
}

absl::Status RegistryServer::RegisterMetrics() {
  auto requests = metrics_.AddCounter("eventmesh_registry_requests_total",
                                      "HTTP requests received, by method.", {"method"});
  if (!requests.ok()) return requests.status();
  const char* const methods[] = {"GET", "PUT", "DELETE", "POST", "other"};
  for (size_t i = 0; i < requests_.size(); ++i)
    requests_[i] = (*requests)->WithLabels({methods[i]});
  RegistryState* state = state_.get();
  absl::Status s = metrics_.AddGaugeCallback(
      "eventmesh_registry_instances", "Registered instances per mesh (at most 100 meshes shown).",
      {"mesh"}, [state](metrics::SampleSink& sink) {
        for (const auto& [mesh, count] : state->Meshes()) {
          sink.Add({mesh}, static_cast<double>(count));
        }
      });
  if (!s.ok()) return s;
  s = metrics_.AddGaugeCallback(
      "eventmesh_registry_watches", "Watches (long polls) waiting.", {},
      [state](metrics::SampleSink& sink) { sink.Add({}, static_cast<double>(state->watchers())); });
  if (!s.ok()) return s;
  return metrics_.AddGaugeCallback(
      "eventmesh_registry_index", "The registry's change index (rises with every change).", {},
      [state](metrics::SampleSink& sink) { sink.Add({}, static_cast<double>(state->index())); });
}

RegistryServer::~RegistryServer() { Stop(); }

void RegistryServer::Stop() {
  if (api_) api_->Stop();
  if (http_) http_->Stop();
}

int RegistryServer::port() const { return http_->port(); }

std::string RegistryServer::url() const {
  return absl::StrCat("http://", http_->address(), ":", http_->port());
}

}  // namespace eventmesh::registry
