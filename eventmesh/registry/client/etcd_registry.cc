#include "eventmesh/registry/client/etcd_registry.h"

#include <future>
#include <optional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace eventmesh::registry {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

std::string B64(absl::string_view s) { return absl::Base64Escape(s); }

// The key range of every key starting with `prefix` (etcd's range_end: prefix with its last
// byte incremented).
std::string RangeEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

// etcd's JSON gateway writes int64 fields as strings.
std::optional<int64_t> Int64Field(const rapidjson::Value& obj, const char* key) {
  return json::GetInt64(obj, key);
}

const rapidjson::Value* Member(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EtcdRegistry>> EtcdRegistry::Create(EtcdRegistryOptions options) {
  if (options.endpoints.empty()) {
    return absl::InvalidArgumentError("at least one etcd endpoint is required");
  }
  std::vector<net::Url> endpoints;
  for (const std::string& endpoint : options.endpoints) {
    const std::string url =
        absl::StrContains(endpoint, "://") ? endpoint : absl::StrCat("http://", endpoint);
    auto parsed = net::ParseUrl(url);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoint '", endpoint, "': ", parsed.status().message()));
    }
    if (parsed->tls()) {
      return absl::InvalidArgumentError(
          absl::StrCat("etcd endpoint '", endpoint, "': only http endpoints are supported"));
    }
    endpoints.push_back(*std::move(parsed));
  }
  net::HttpClientOptions http_options;
  http_options.threads = 1;
  auto http = net::HttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  return std::unique_ptr<EtcdRegistry>(
      new EtcdRegistry(std::move(options), std::move(endpoints), *std::move(http)));
}

EtcdRegistry::EtcdRegistry(EtcdRegistryOptions options, std::vector<net::Url> endpoints,
                           std::unique_ptr<net::HttpClient> http)
    : options_(std::move(options)), endpoints_(std::move(endpoints)), http_(std::move(http)) {}

EtcdRegistry::~EtcdRegistry() { calls_.Shutdown(); }

void EtcdRegistry::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (asio::io_context* io : watching_) io->stop();
  }
  calls_.Shutdown();
}

std::string EtcdRegistry::KeyOf(absl::string_view mesh, absl::string_view id) const {
  return absl::StrCat(options_.prefix, mesh, "/", id);
}

std::string EtcdRegistry::MeshPrefix(absl::string_view mesh) const {
  return mesh.empty() ? options_.prefix : absl::StrCat(options_.prefix, mesh, "/");
}

absl::StatusOr<rapidjson::Document> EtcdRegistry::Post(const std::string& path,
                                                       const std::string& body) {
  absl::Status last;
  for (const net::Url& endpoint : endpoints_) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = absl::StrCat(endpoint.Origin(), path);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body;
    auto response = calls_.Send(std::move(request), options_.timeout);
    if (!response.ok()) {
      last = absl::Status(response.status().code(), absl::StrCat("etcd ", endpoint.Origin(), ": ",
                                                                 response.status().message()));
      if (absl::IsUnavailable(response.status()) || absl::IsDeadlineExceeded(response.status())) {
        continue;
      }
      return last;
    }
    auto doc = json::ParseJson(response->body, "etcd answer");
    if (!doc.ok()) return doc.status();
    if (response->status != 200) {
      std::string message = response->body;
      if (const auto* m = Member(*doc, "message"); m != nullptr && m->IsString()) {
        message = std::string(json::ToStringView(*m));
      } else if (const auto* e = Member(*doc, "error"); e != nullptr && e->IsString()) {
        message = std::string(json::ToStringView(*e));
      }
      if (absl::StrContains(message, "lease not found")) {
        return absl::NotFoundError(absl::StrCat("etcd: ", message));
      }
      if (response->status == 503) {
        last = absl::UnavailableError(absl::StrCat("etcd ", endpoint.Origin(), ": ", message));
        continue;
      }
      return absl::InternalError(
          absl::StrCat("etcd ", path, " answered HTTP ", response->status, ": ", message));
    }
    return doc;
  }
  return last;
}

absl::StatusOr<EtcdRegistry::Lease> EtcdRegistry::Grant(int64_t ttl_s) {
  auto doc = Post("/v3/lease/grant", absl::StrCat("{\"TTL\":", ttl_s, "}"));
  if (!doc.ok()) return doc.status();
  const auto id = Int64Field(*doc, "ID");
  const auto ttl = Int64Field(*doc, "TTL");
  if (!id.has_value() || !ttl.has_value() || *id == 0) {
    return absl::InternalError("etcd lease grant answered without an ID and TTL");
  }
  return Lease{*id, *ttl};
}

absl::StatusOr<absl::Duration> EtcdRegistry::Register(const Instance& instance,
                                                      absl::Duration ttl) {
  if (auto s = Validate(instance); !s.ok()) return s;
  const int64_t ttl_s =
      std::max<int64_t>(1, (absl::ToInt64Milliseconds(ttl) + 999) / 1000);  // whole seconds
  const std::string key = KeyOf(instance.mesh, instance.id);
  std::optional<Lease> lease;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = leases_.find(key); it != leases_.end() && it->second.ttl_s == ttl_s) {
      lease = it->second;
    }
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!lease.has_value()) {
      auto granted = Grant(ttl_s);
      if (!granted.ok()) return granted.status();
      lease = *granted;
    }
    Instance stored = instance;
    stored.lease_ttl_ms = lease->ttl_s * 1000;
    stored.modify_index = 0;
    auto put =
        Post("/v3/kv/put", absl::StrCat("{\"key\":\"", B64(key), "\",\"value\":\"",
                                        B64(ToJson(stored)), "\",\"lease\":\"", lease->id, "\"}"));
    if (absl::IsNotFound(put.status())) {  // the lease ran out meanwhile: grant a new one
      lease.reset();
      continue;
    }
    if (!put.ok()) return put.status();
    std::optional<int64_t> replaced;
    {
      absl::MutexLock lock(&mu_);
      auto [it, inserted] = leases_.try_emplace(key, *lease);
      if (!inserted && it->second.id != lease->id) {
        replaced = it->second.id;
        it->second = *lease;
      }
    }
    if (replaced.has_value()) {
      (void)Post("/v3/lease/revoke", absl::StrCat("{\"ID\":\"", *replaced, "\"}"));
    }
    return absl::Seconds(lease->ttl_s);
  }
  return absl::UnavailableError("etcd kept refusing the lease for " + key);
}

absl::Status EtcdRegistry::Renew(absl::string_view mesh, absl::string_view id) {
  const std::string key = KeyOf(mesh, id);
  Lease lease;
  {
    absl::MutexLock lock(&mu_);
    auto it = leases_.find(key);
    if (it == leases_.end()) {
      return absl::NotFoundError(
          absl::StrCat("no instance '", id, "' in mesh '", mesh, "' registered by this client"));
    }
    lease = it->second;
  }
  auto doc = Post("/v3/lease/keepalive", absl::StrCat("{\"ID\":\"", lease.id, "\"}"));
  if (!doc.ok()) return doc.status();
  const rapidjson::Value* result = Member(*doc, "result");
  const auto ttl = result != nullptr ? Int64Field(*result, "TTL") : std::nullopt;
  if (!ttl.has_value() || *ttl <= 0) {
    absl::MutexLock lock(&mu_);
    leases_.erase(key);
    return absl::NotFoundError(
        absl::StrCat("no instance '", id, "' in mesh '", mesh, "' (its etcd lease expired)"));
  }
  return absl::OkStatus();
}

absl::Status EtcdRegistry::Deregister(absl::string_view mesh, absl::string_view id) {
  const std::string key = KeyOf(mesh, id);
  auto doc = Post("/v3/kv/deleterange", absl::StrCat("{\"key\":\"", B64(key), "\"}"));
  if (!doc.ok()) return doc.status();
  std::optional<Lease> lease;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = leases_.find(key); it != leases_.end()) {
      lease = it->second;
      leases_.erase(it);
    }
  }
  if (lease.has_value()) {
    (void)Post("/v3/lease/revoke", absl::StrCat("{\"ID\":\"", lease->id, "\"}"));
  }
  const auto deleted = Int64Field(*doc, "deleted");
  if (!deleted.has_value() || *deleted == 0) {
    return absl::NotFoundError(absl::StrCat("no instance '", id, "' in mesh '", mesh, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Snapshot> EtcdRegistry::List(absl::string_view mesh) {
  const std::string prefix = MeshPrefix(mesh);
  auto doc = Post("/v3/kv/range", absl::StrCat("{\"key\":\"", B64(prefix), "\",\"range_end\":\"",
                                               B64(RangeEnd(prefix)), "\"}"));
  if (!doc.ok()) return doc.status();
  Snapshot snapshot;
  const rapidjson::Value* header = Member(*doc, "header");
  const auto revision = header != nullptr ? Int64Field(*header, "revision") : std::nullopt;
  if (!revision.has_value()) return absl::InternalError("etcd range answered without a revision");
  snapshot.index = static_cast<uint64_t>(*revision);
  if (const rapidjson::Value* kvs = Member(*doc, "kvs"); kvs != nullptr && kvs->IsArray()) {
    for (const auto& kv : kvs->GetArray()) {
      const rapidjson::Value* value = Member(kv, "value");
      std::string text;
      if (value == nullptr || !value->IsString() ||
          !absl::Base64Unescape(json::ToStringView(*value), &text)) {
        continue;
      }
      auto instance = InstanceFromJson(text);
      if (!instance.ok()) continue;  // not ours: skip rather than fail every reader
      instance->modify_index = static_cast<uint64_t>(Int64Field(kv, "mod_revision").value_or(0));
      snapshot.instances.push_back(*std::move(instance));
    }
  }
  return snapshot;
}

absl::StatusOr<bool> EtcdRegistry::WaitForEvent(const std::string& key,
                                                const std::string& range_end,
                                                int64_t start_revision, absl::Time deadline) {
  const std::string body =
      absl::StrCat("{\"create_request\":{\"key\":\"", B64(key), "\",\"range_end\":\"",
                   B64(range_end), "\",\"start_revision\":\"", start_revision, "\"}}");
  absl::Status last = absl::UnavailableError("no etcd endpoint");
  for (const net::Url& endpoint : endpoints_) {
    asio::io_context io;
    {
      absl::MutexLock lock(&mu_);
      if (shut_down_) return absl::CancelledError("etcd registry client shut down");
      watching_.insert(&io);
    }
    struct Unwatch {
      EtcdRegistry* self;
      asio::io_context* io;
      ~Unwatch() {
        absl::MutexLock lock(&self->mu_);
        self->watching_.erase(io);
      }
    } unwatch{this, &io};
    beast::tcp_stream stream(io);
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/v3/watch", 11};
    request.set(bhttp::field::host, endpoint.HostHeader());
    request.set(bhttp::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    bhttp::response_parser<bhttp::buffer_body> parser;
    parser.body_limit(boost::none);
    std::string pending;  // streamed bytes not yet split into lines
    char chunk[8192];
    bool event = false;
    beast::error_code failure;
    bool connected = false;
    std::function<void()> read_more;
    // One JSON message per line; true when one carries events (or a compaction).
    auto consume = [&]() {
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        const std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        auto doc = json::ParseJson(line, "etcd watch message");
        if (!doc.ok()) continue;
        const rapidjson::Value* result = Member(*doc, "result");
        if (result == nullptr) continue;
        const rapidjson::Value* events = Member(*result, "events");
        if ((events != nullptr && events->IsArray() && !events->Empty()) ||
            Int64Field(*result, "compact_revision").value_or(0) > 0 ||
            Member(*result, "canceled") != nullptr) {
          event = true;
        }
      }
    };
    read_more = [&]() {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof(chunk);
      bhttp::async_read_some(stream, buffer, parser, [&](beast::error_code ec, size_t) {
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec) {
          failure = ec;
          return;
        }
        pending.append(chunk, sizeof(chunk) - parser.get().body().size);
        consume();
        if (event || parser.is_done()) return;
        read_more();
      });
    };
    const auto remaining = std::chrono::nanoseconds(
        std::max<int64_t>(1, absl::ToInt64Nanoseconds(deadline - absl::Now())));
    stream.expires_after(remaining);
    asio::ip::tcp::resolver resolver(io);
    resolver.async_resolve(
        endpoint.host, absl::StrCat(endpoint.port),
        [&](beast::error_code ec, asio::ip::tcp::resolver::results_type results) {
          if (ec) {
            failure = ec;
            return;
          }
          stream.async_connect(results, [&](beast::error_code ec2, const auto&) {
            if (ec2) {
              failure = ec2;
              return;
            }
            connected = true;
            bhttp::async_write(stream, request, [&](beast::error_code ec3, size_t) {
              if (ec3) {
                failure = ec3;
                return;
              }
              read_more();
            });
          });
        });
    io.run();
    {
      absl::MutexLock lock(&mu_);
      if (shut_down_) return absl::CancelledError("etcd registry client shut down");
    }
    if (event) return true;
    if (failure == beast::error::timeout && connected) return false;  // the wait ran out
    if (!failure) return false;
    last = absl::UnavailableError(
        absl::StrCat("etcd ", endpoint.Origin(), " watch: ", failure.message()));
    if (absl::Now() >= deadline) return false;
  }
  return last;
}

absl::StatusOr<Snapshot> EtcdRegistry::Watch(absl::string_view mesh, uint64_t after_index,
                                             absl::Duration wait) {
  const absl::Time deadline = absl::Now() + std::max(wait, absl::ZeroDuration());
  const std::string prefix = MeshPrefix(mesh);
  if (wait > absl::ZeroDuration()) {
    auto changed =
        WaitForEvent(prefix, RangeEnd(prefix), static_cast<int64_t>(after_index) + 1, deadline);
    if (!changed.ok()) return changed.status();
  }
  return List(mesh);
}

}  // namespace eventmesh::registry
