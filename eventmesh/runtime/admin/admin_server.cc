#include "eventmesh/runtime/admin/admin_server.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "eventmesh/common/metrics/prometheus_text.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/runtime/admin/dashboard/dashboard_assets.h"
#include "eventmesh/runtime/core/publish_service.h"
#include "glog/logging.h"

namespace eventmesh::runtime::admin {
namespace {

using net::ServerRequest;
using net::ServerResponse;

constexpr char kMaskedValue[] = "******";
// Dead-letter topics are "<group>.DLQ" (core::DeadLetterTopic).
constexpr absl::string_view kDeadLetterSuffix = ".DLQ";

ServerResponse JsonError(int status, absl::string_view message) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "error");
  json::WriteString(w, message);
  w.EndObject();
  return ServerResponse::Json(status, buffer.GetString());
}

int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

ServerResponse StatusError(const absl::Status& status) {
  return JsonError(HttpStatusOf(status), status.message());
}

ServerResponse Redirect(absl::string_view location) {
  ServerResponse response;
  response.status = 302;
  response.headers.emplace_back("Location", std::string(location));
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = absl::StrCat("see ", location, "\n");
  return response;
}

// The dashboard's files (open without the token: they hold no data; the page asks the API with
// the token the user enters). `name` is what follows "/dashboard/".
ServerResponse DashboardFile(absl::string_view name) {
  const DashboardAsset* asset = FindDashboardAsset(name.empty() ? "index.html" : name);
  if (asset == nullptr) {
    ServerResponse response;
    response.status = 404;
    response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    response.body = absl::StrCat("no dashboard file \"", name, "\"\n");
    return response;
  }
  ServerResponse response;
  response.headers.emplace_back("Content-Type", std::string(asset->content_type));
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
  response.body = std::string(asset->body);
  return response;
}

ServerResponse Text(int status, std::string body) {
  ServerResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  response.body = std::move(body);
  return response;
}

ServerResponse MethodNotAllowed(absl::string_view method, absl::string_view path,
                                absl::string_view allowed) {
  ServerResponse response = JsonError(405, absl::StrCat("method ", method, " is not allowed on ",
                                                        path, " (allowed: ", allowed, ")"));
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding ('+' is a space in queries). Errors: InvalidArgument on a bad escape.
absl::StatusOr<std::string> UrlDecode(absl::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad percent-escape at offset ", i, " of \"", text, "\""));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(absl::string_view query) {
  std::map<std::string, std::string> out;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t eq = part.find('=');
    auto name = UrlDecode(part.substr(0, eq), true);
    if (!name.ok()) return name.status();
    std::string value;
    if (eq != absl::string_view::npos) {
      auto decoded = UrlDecode(part.substr(eq + 1), true);
      if (!decoded.ok()) return decoded.status();
      value = std::move(*decoded);
    }
    out[*name] = std::move(value);
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

void WriteStringArray(json::Writer& w, const std::vector<std::string>& values) {
  w.StartArray();
  for (const auto& v : values) json::WriteString(w, v);
  w.EndArray();
}

// Lag of one partition: events after the group's committed position (0 when never committed).
int64_t LagOf(const connectors::PartitionOffsets& p) {
  if (p.committed < 0) return 0;
  return std::max<int64_t>(0, p.end - std::max(p.committed, p.earliest));
}

}  // namespace

bool IsSecretKey(const std::string& key) {
  const std::string lower = absl::AsciiStrToLower(key);
  for (const char* word : {"password", "passwd", "token", "secret", "credential"}) {
    if (absl::StrContains(lower, word)) return true;
  }
  return absl::EndsWith(lower, "key");
}

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const AdminOptions& options,
                                                                AdminContext context) {
  auto server = std::unique_ptr<AdminServer>(new AdminServer(std::move(context)));
  if (absl::Status s = server->RegisterGauges(); !s.ok()) return s;
  net::HttpServerOptions http;
  http.address = options.address;
  http.port = options.port;
  http.threads = std::max(1, options.threads);
  http.max_body_bytes = 64 * 1024;
  http.max_connections = 256;
  http.tls = options.tls;
  AdminServer* self = server.get();
  auto started = net::HttpServer::Start(
      http, [self](const ServerRequest& request) { return self->Handle(request); });
  if (!started.ok()) {
    return absl::Status(started.status().code(),
                        absl::StrCat("admin port (eventMesh.server.admin.http.port): ",
                                     started.status().message()));
  }
  server->http_ = std::move(*started);
  return server;
}

AdminServer::~AdminServer() { Stop(); }

int AdminServer::port() const { return http_ != nullptr ? http_->port() : 0; }

void AdminServer::Stop() {
  if (http_ != nullptr) http_->Stop();
  if (gauges_registered_) {
    context_.metrics->RemoveCallbacks(this);
    gauges_registered_ = false;
  }
}

absl::Status AdminServer::RegisterGauges() {
  metrics::Registry* registry = context_.metrics;
  const AdminContext* c = &context_;
  const size_t max_groups = static_cast<size_t>(c->config->admin.max_group_series);
  gauges_registered_ = true;  // RemoveCallbacks in Stop also undoes a partial registration
  absl::Status s = registry->AddGaugeCallback(
      "eventmesh_build_info", "Always 1; the labels name this runtime's version and id.",
      {"version", "runtime_id"},
      [c](metrics::SampleSink& sink) {
        sink.Add({kRuntimeVersion, c->runtime_id}, 1);
      },
      this);
  if (!s.ok()) return s;
  s = registry->AddGaugeCallback(
      "eventmesh_sessions", "Connected clients per protocol (TCP sessions; 0 for HTTP).",
      {"protocol"},
      [c](metrics::SampleSink& sink) {
        if (!c->sessions_by_protocol) return;
        for (auto& [protocol, count] : c->sessions_by_protocol()) {
          sink.Add({protocol}, static_cast<double>(count));
        }
      },
      this);
  if (!s.ok()) return s;
  s = registry->AddGaugeCallback(
      "eventmesh_delivery_unacked",
      "Events pushed to subscribers and not acknowledged yet (every consumer of this runtime).", {},
      [c](metrics::SampleSink& sink) {
        double total = 0;
        for (const auto& consumer : c->consumers->Consumers()) total += consumer.stats.in_flight;
        sink.Add({}, total);
      },
      this);
  if (!s.ok()) return s;
  s = registry->AddGaugeCallback(
      "eventmesh_delivery_pending",
      "Events read from the store and waiting for a subscriber with a free window slot.", {},
      [c](metrics::SampleSink& sink) {
        double total = 0;
        for (const auto& consumer : c->consumers->Consumers()) total += consumer.stats.pending;
        sink.Add({}, total);
      },
      this);
  if (!s.ok()) return s;
  s = registry->AddGaugeCallback(
      "eventmesh_consumer_groups", "Clustering consumer groups with a consumer in this runtime.",
      {},
      [c](metrics::SampleSink& sink) {
        std::set<std::string> groups;
        for (const auto& consumer : c->consumers->Consumers()) {
          if (!consumer.broadcasting) groups.insert(consumer.group);
        }
        sink.Add({}, static_cast<double>(groups.size()));
      },
      this);
  if (!s.ok()) return s;
  return registry->AddGaugeCallback(
      "eventmesh_consumer_group_lag",
      "Events published after the group's committed position, summed over the topics and "
      "partitions the group consumes in this runtime (groups beyond "
      "eventMesh.server.admin.maxGroupSeries are summed into group=\"other\").",
      {"group"},
      [c](metrics::SampleSink& sink) {
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& consumer : c->consumers->Consumers()) {
          if (consumer.broadcasting || core::IsReservedTopic(consumer.topic)) continue;
          if (!seen.emplace(consumer.group, consumer.topic).second) continue;
          auto offsets = c->connector->Offsets(consumer.topic, consumer.group);
          if (!offsets.ok()) continue;
          int64_t lag = 0;
          for (const auto& p : *offsets) lag += LagOf(p);
          sink.Add({consumer.group}, static_cast<double>(lag));
        }
      },
      this, max_groups);
}

namespace {

// The JSON API, one function per resource.
class Api {
 public:
  explicit Api(const AdminContext& context) : c_(context) {}

  ServerResponse Info() {
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, "version");
    json::WriteString(w, kRuntimeVersion);
    json::WriteKey(w, "runtimeId");
    json::WriteString(w, c_.runtime_id);
    json::WriteKey(w, "connector");
    json::WriteString(w, c_.connector->name());
    json::WriteKey(w, "cluster");
    json::WriteString(w, c_.config->server_cluster);
    json::WriteKey(w, "idc");
    json::WriteString(w, c_.config->server_idc);
    json::WriteKey(w, "protocols");
    WriteStringArray(w, c_.config->protocols);
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse Config() {
    std::map<std::string, std::string> effective;
    for (const auto& key : RuntimeKeyTable().keys()) effective[key.name] = key.default_text;
    for (const auto& [key, value] : c_.config->properties) effective[key] = value;
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    for (const auto& [key, value] : effective) {
      json::WriteKey(w, key);
      json::WriteString(
          w, IsSecretKey(key) && !value.empty() && value != "\"\"" ? kMaskedValue : value);
    }
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse Clients(const std::map<std::string, std::string>& query) {
    const auto protocol = Find(query, "protocol");
    const auto group = Find(query, "group");
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const ClientInfo& client : AllClients()) {
      if (protocol.has_value() && client.protocol != *protocol) continue;
      if (group.has_value() && client.group != *group) continue;
      w.StartObject();
      json::WriteKey(w, "protocol");
      json::WriteString(w, client.protocol);
      json::WriteKey(w, "id");
      json::WriteString(w, client.id);
      json::WriteKey(w, "group");
      json::WriteString(w, client.group);
      json::WriteKey(w, "purpose");
      json::WriteString(w, client.purpose);
      json::WriteKey(w, "address");
      json::WriteString(w, client.address);
      json::WriteKey(w, "subsystem");
      json::WriteString(w, client.subsystem);
      json::WriteKey(w, "env");
      json::WriteString(w, client.env);
      json::WriteKey(w, "idc");
      json::WriteString(w, client.idc);
      json::WriteKey(w, "path");
      json::WriteString(w, client.path);
      json::WriteKey(w, "version");
      json::WriteString(w, client.version);
      json::WriteKey(w, "pid");
      w.Int(client.pid);
      json::WriteKey(w, "topics");
      WriteStringArray(w, client.topics);
      json::WriteKey(w, "unacked");
      w.Int64(client.unacked);
      json::WriteKey(w, "ageMs");
      w.Int64(client.age_ms);
      w.EndObject();
    }
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse ListTopics() {
    auto topics = c_.connector->ListTopics();
    if (!topics.ok()) return StatusError(topics.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const std::string& topic : *topics) {
      auto offsets = c_.connector->Offsets(topic, "");
      if (!offsets.ok()) continue;  // deleted meanwhile
      WriteTopic(w, topic, *offsets);
    }
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse GetTopic(const std::string& topic) {
    auto offsets = c_.connector->Offsets(topic, "");
    if (!offsets.ok()) return StatusError(offsets.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    WriteTopic(w, topic, *offsets);
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse CreateTopic(const std::string& body) {
    auto doc = json::ParseJson(body, "topic creation body");
    if (!doc.ok()) return JsonError(400, doc.status().message());
    if (!doc->IsObject()) return JsonError(400, "the body must be a JSON object {\"name\": ...}");
    const auto name = json::GetString(*doc, "name");
    if (!name.has_value() || name->empty()) {
      return JsonError(400, "field \"name\" (a non-empty string) is required");
    }
    int64_t partitions = c_.config->topic_default_partitions;
    if (doc->HasMember("partitions")) {
      const auto given = json::GetInt64(*doc, "partitions");
      if (!given.has_value() || *given < 1 || *given > 4096) {
        return JsonError(400, "field \"partitions\" must be an integer in [1, 4096]");
      }
      partitions = *given;
    }
    const std::string topic(*name);
    if (core::IsReservedTopic(topic)) return ReservedTopic(topic);
    absl::Status created = c_.connector->CreateTopic(topic, static_cast<int32_t>(partitions));
    if (!created.ok()) return StatusError(created);
    return Created(topic);
  }

  ServerResponse DeleteTopic(const std::string& topic) {
    if (core::IsReservedTopic(topic)) return ReservedTopic(topic);
    absl::Status deleted = c_.connector->DeleteTopic(topic);
    if (!deleted.ok()) return StatusError(deleted);
    c_.topics->Forget(topic);
    ServerResponse response;
    response.status = 204;
    return response;
  }

  // Every clustering group with a consumer in this runtime (or only `only`).
  ServerResponse Groups(const std::optional<std::string>& only) {
    std::map<std::string, std::vector<core::ConsumerManager::ConsumerSummary>> groups;
    for (auto& consumer : c_.consumers->Consumers()) {
      if (consumer.broadcasting || core::IsReservedTopic(consumer.topic)) continue;
      if (only.has_value() && consumer.group != *only) continue;
      groups[consumer.group].push_back(std::move(consumer));
    }
    if (only.has_value() && groups.empty()) {
      return JsonError(404, absl::StrCat("no consumer of group \"", *only,
                                         "\" in this runtime (groups are listed while a "
                                         "subscriber of theirs is connected or lingering)"));
    }
    std::map<std::string, std::vector<ClientInfo>> members;
    for (ClientInfo& client : AllClients()) {
      if (client.purpose == "sub") members[client.group].push_back(std::move(client));
    }
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    if (!only.has_value()) w.StartArray();
    for (const auto& [group, consumers] : groups) {
      w.StartObject();
      json::WriteKey(w, "group");
      json::WriteString(w, group);
      json::WriteKey(w, "members");
      w.StartArray();
      for (const ClientInfo& member : members[group]) {
        w.StartObject();
        json::WriteKey(w, "protocol");
        json::WriteString(w, member.protocol);
        json::WriteKey(w, "id");
        json::WriteString(w, member.id);
        json::WriteKey(w, "address");
        json::WriteString(w, member.address);
        json::WriteKey(w, "unacked");
        w.Int64(member.unacked);
        w.EndObject();
      }
      w.EndArray();
      int64_t group_lag = 0;
      json::WriteKey(w, "topics");
      w.StartArray();
      for (const auto& consumer : consumers) {
        w.StartObject();
        json::WriteKey(w, "topic");
        json::WriteString(w, consumer.topic);
        json::WriteKey(w, "lingering");
        w.Bool(consumer.lingering);
        json::WriteKey(w, "unacked");
        w.Int64(consumer.stats.in_flight);
        json::WriteKey(w, "pending");
        w.Int64(consumer.stats.pending);
        json::WriteKey(w, "delivered");
        w.Int64(consumer.stats.delivered);
        json::WriteKey(w, "acked");
        w.Int64(consumer.stats.acked);
        json::WriteKey(w, "redelivered");
        w.Int64(consumer.stats.redelivered);
        json::WriteKey(w, "deadLettered");
        w.Int64(consumer.stats.dead_lettered);
        auto offsets = c_.connector->Offsets(consumer.topic, group);
        int64_t topic_lag = 0;
        if (offsets.ok()) {
          json::WriteKey(w, "partitions");
          w.StartArray();
          for (const auto& p : *offsets) {
            w.StartObject();
            json::WriteKey(w, "partition");
            w.Int(p.partition);
            json::WriteKey(w, "committed");
            if (p.committed < 0) {
              w.Null();
            } else {
              w.Int64(p.committed);
            }
            json::WriteKey(w, "endOffset");
            w.Int64(p.end);
            json::WriteKey(w, "earliestOffset");
            w.Int64(p.earliest);
            json::WriteKey(w, "lag");
            w.Int64(LagOf(p));
            w.EndObject();
            topic_lag += LagOf(p);
          }
          w.EndArray();
          json::WriteKey(w, "lag");
          w.Int64(topic_lag);
        } else {
          json::WriteKey(w, "offsetsError");
          json::WriteString(w, offsets.status().ToString());
        }
        group_lag += topic_lag;
        w.EndObject();
      }
      w.EndArray();
      json::WriteKey(w, "lag");
      w.Int64(group_lag);
      w.EndObject();
    }
    if (!only.has_value()) w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse ResetGroup(const std::string& group, const std::string& body) {
    auto doc = json::ParseJson(body, "group reset body");
    if (!doc.ok()) return JsonError(400, doc.status().message());
    if (!doc->IsObject()) {
      return JsonError(400,
                       "the body must be a JSON object {\"topic\": ..., \"to\": "
                       "\"earliest\"|\"latest\"|\"offset\"|\"time\", \"offset\": N, "
                       "\"timestampMs\": T}");
    }
    const auto topic = json::GetString(*doc, "topic");
    if (!topic.has_value() || topic->empty()) {
      return JsonError(400, "field \"topic\" (a non-empty string) is required");
    }
    const auto to = json::GetString(*doc, "to");
    connectors::OffsetReset reset;
    if (to == absl::string_view("earliest")) {
      reset.kind = connectors::OffsetReset::Kind::kEarliest;
    } else if (to == absl::string_view("latest")) {
      reset.kind = connectors::OffsetReset::Kind::kLatest;
    } else if (to == absl::string_view("offset")) {
      const auto offset = json::GetInt64(*doc, "offset");
      if (!offset.has_value() || *offset < 0) {
        return JsonError(400,
                         "field \"offset\" (an integer >= 0) is required with \"to\": \"offset\"");
      }
      reset.kind = connectors::OffsetReset::Kind::kOffset;
      reset.offset = *offset;
    } else if (to == absl::string_view("time")) {
      const auto timestamp = json::GetInt64(*doc, "timestampMs");
      if (!timestamp.has_value() || *timestamp < 0) {
        return JsonError(400,
                         "field \"timestampMs\" (milliseconds since the epoch, >= 0) is required "
                         "with \"to\": \"time\"");
      }
      reset.kind = connectors::OffsetReset::Kind::kTimestamp;
      reset.timestamp_ms = *timestamp;
    } else {
      return JsonError(400,
                       "field \"to\" must be \"earliest\", \"latest\", \"offset\" or \"time\"");
    }
    absl::Status done = c_.connector->ResetGroupOffsets(group, std::string(*topic), reset);
    if (!done.ok()) {
      if (done.code() == absl::StatusCode::kFailedPrecondition) {
        return JsonError(409, absl::StrCat(done.message(),
                                           " (disconnect the group's subscribers and wait "
                                           "eventMesh.server.delivery.lingerMs first)"));
      }
      return StatusError(done);
    }
    auto offsets = c_.connector->Offsets(std::string(*topic), group);
    if (!offsets.ok()) return StatusError(offsets.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, "group");
    json::WriteString(w, group);
    json::WriteKey(w, "topic");
    json::WriteString(w, *topic);
    json::WriteKey(w, "committed");
    w.StartArray();
    for (const auto& p : *offsets) w.Int64(p.committed);
    w.EndArray();
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // GET /v1/topics/{topic}/events?partition=P&from=O&count=N: up to N events (default 20, at
  // most 1000) from offset O (default 0 = the earliest retained) of partition P, or of every
  // partition (N each) when P is not given.
  ServerResponse ReadEvents(const std::string& topic,
                            const std::map<std::string, std::string>& query) {
    auto partition = IntParam(query, "partition", -1, 0, 4095);
    if (!partition.ok()) return JsonError(400, partition.status().message());
    auto from = IntParam(query, "from", 0, 0, INT64_MAX);
    if (!from.ok()) return JsonError(400, from.status().message());
    auto count = IntParam(query, "count", 20, 1, 1000);
    if (!count.ok()) return JsonError(400, count.status().message());
    auto offsets = c_.connector->Offsets(topic, "");
    if (!offsets.ok()) return StatusError(offsets.status());
    std::vector<connectors::StoredEvent> events;
    for (const auto& p : *offsets) {
      if (*partition >= 0 && p.partition != *partition) continue;
      auto read = c_.connector->ReadEvents(topic, p.partition, *from, static_cast<int32_t>(*count));
      if (!read.ok()) return StatusError(read.status());
      for (auto& e : *read) events.push_back(std::move(e));
    }
    if (*partition >= static_cast<int64_t>(offsets->size())) {
      return JsonError(400, absl::StrCat("topic \"", topic, "\" has no partition ", *partition,
                                         " (it has ", offsets->size(), ")"));
    }
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, "topic");
    json::WriteString(w, topic);
    json::WriteKey(w, "events");
    w.StartArray();
    for (const auto& e : events) {
      w.StartObject();
      json::WriteKey(w, "partition");
      w.Int(e.partition);
      json::WriteKey(w, "offset");
      w.Int64(e.offset);
      json::WriteKey(w, "storedMs");
      w.Int64(e.stored_ms);
      json::WriteKey(w, "event");
      cloudevents::WriteJsonEvent(e.event, w);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // GET /v1/dlq: the dead-letter topics ("<group>.DLQ") with their event counts.
  ServerResponse DeadLetterTopics() {
    auto topics = c_.connector->ListTopics();
    if (!topics.ok()) return StatusError(topics.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const std::string& topic : *topics) {
      if (!absl::EndsWith(topic, kDeadLetterSuffix)) continue;
      auto offsets = c_.connector->Offsets(topic, "");
      if (!offsets.ok()) continue;  // deleted meanwhile
      int64_t events = 0;
      for (const auto& p : *offsets) events += p.end - p.earliest;
      w.StartObject();
      json::WriteKey(w, "topic");
      json::WriteString(w, topic);
      json::WriteKey(w, "group");
      json::WriteString(w, topic.substr(0, topic.size() - kDeadLetterSuffix.size()));
      json::WriteKey(w, "messageCount");
      w.Int64(events);
      w.EndObject();
    }
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // POST /v1/dlq/republish {"topic": "<group>.DLQ", "partition": P, "offset": O, "count": N}:
  // publishes N (default 1, at most 1000) dead letters from O on to their original topics
  // ("dlqtopic"), without the dead-letter extensions, through the runtime's publish path. The
  // dead-letter topic keeps them (it is a log).
  ServerResponse Republish(const std::string& body) {
    if (c_.publisher == nullptr) {
      return JsonError(501, "this runtime has no publish path for the admin port");
    }
    auto doc = json::ParseJson(body, "republish body");
    if (!doc.ok()) return JsonError(400, doc.status().message());
    if (!doc->IsObject()) {
      return JsonError(400,
                       "the body must be a JSON object {\"topic\": \"<group>.DLQ\", "
                       "\"partition\": P, \"offset\": O, \"count\": N}");
    }
    const auto topic = json::GetString(*doc, "topic");
    if (!topic.has_value() || topic->empty()) {
      return JsonError(400, "field \"topic\" (a dead-letter topic, \"<group>.DLQ\") is required");
    }
    if (!absl::EndsWith(*topic, kDeadLetterSuffix)) {
      return JsonError(400, absl::StrCat("topic \"", *topic,
                                         "\" is not a dead-letter topic (they end in \".DLQ\")"));
    }
    const auto partition =
        doc->HasMember("partition") ? json::GetInt64(*doc, "partition") : std::optional<int64_t>(0);
    if (!partition.has_value() || *partition < 0 || *partition > 4095) {
      return JsonError(400, "field \"partition\" must be an integer in [0, 4095]");
    }
    const auto offset = json::GetInt64(*doc, "offset");
    if (!offset.has_value() || *offset < 0) {
      return JsonError(400, "field \"offset\" (an integer >= 0) is required");
    }
    const auto count =
        doc->HasMember("count") ? json::GetInt64(*doc, "count") : std::optional<int64_t>(1);
    if (!count.has_value() || *count < 1 || *count > 1000) {
      return JsonError(400, "field \"count\" must be an integer in [1, 1000]");
    }
    auto read = c_.connector->ReadEvents(std::string(*topic), static_cast<int32_t>(*partition),
                                         *offset, static_cast<int32_t>(*count));
    if (!read.ok()) return StatusError(read.status());
    if (read->empty() || read->front().offset != *offset) {
      return JsonError(404, absl::StrCat("no event at ", *topic, " partition ", *partition,
                                         " offset ", *offset));
    }
    std::vector<cloudevents::CloudEvent> events;
    for (auto& stored : *read) {
      cloudevents::CloudEvent event = std::move(stored.event);
      const std::string* original = event.FindExtension("dlqtopic");
      if (original == nullptr || original->empty()) {
        return JsonError(
            400, absl::StrCat("the event at ", *topic, " partition ", *partition, " offset ",
                              stored.offset, " has no \"dlqtopic\" extension (not a dead letter)"));
      }
      event.set_subject(*original);
      for (const char* name : {"dlqtopic", "dlqdeliveries", "dlqreason"}) {
        event.RemoveExtension(name);
      }
      events.push_back(std::move(event));
    }
    core::Publisher admin;  // no ACL user, no rate limits: the admin credential was checked
    absl::Status admitted = c_.publisher->AdmitAll(admin, events);
    if (!admitted.ok()) return StatusError(admitted);
    auto done = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> outcome = done->get_future();
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, "republished");
    w.StartArray();
    for (size_t k = 0; k < events.size(); ++k) {
      w.StartObject();
      json::WriteKey(w, "id");
      json::WriteString(w, events[k].id());
      json::WriteKey(w, "topic");
      json::WriteString(w, events[k].subject().value_or(""));
      json::WriteKey(w, "deadLetterOffset");
      w.Int64((*read)[k].offset);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    c_.publisher->Publish(std::move(events), [done](absl::Status s) { done->set_value(s); });
    if (outcome.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      return JsonError(504, "the store did not confirm the republished events within 30 s");
    }
    absl::Status published = outcome.get();
    if (!published.ok()) return StatusError(published);
    return ServerResponse::Json(200, buffer.GetString());
  }

  // POST /v1/clients/reject and /v1/clients/redirect: the TCP clients matching every given
  // filter ("id", "address" ip or ip:port, "subsystem", "group", "path"; at least one) are told
  // to leave, or to reconnect to {"ip", "port"}.
  ServerResponse ActOnClients(const std::string& body, bool redirect) {
    auto doc = json::ParseJson(body, redirect ? "redirect body" : "reject body");
    if (!doc.ok()) return JsonError(400, doc.status().message());
    if (!doc->IsObject()) return JsonError(400, "the body must be a JSON object");
    ClientFilter filter;
    for (auto [key, field] : {std::pair{"id", &filter.id}, std::pair{"address", &filter.address},
                              std::pair{"subsystem", &filter.subsystem},
                              std::pair{"group", &filter.group}, std::pair{"path", &filter.path}}) {
      if (!doc->HasMember(key)) continue;
      const auto value = json::GetString(*doc, key);
      if (!value.has_value() || value->empty()) {
        return JsonError(400, absl::StrCat("field \"", key, "\" must be a non-empty string"));
      }
      *field = std::string(*value);
    }
    if (filter.empty()) {
      return JsonError(400,
                       "give at least one of \"id\", \"address\", \"subsystem\", \"group\", "
                       "\"path\" (rejectAllClient is /clientManage/rejectAllClient)");
    }
    std::string ip;
    int port = 0;
    if (redirect) {
      const auto given_ip = json::GetString(*doc, "ip");
      const auto given_port = json::GetInt64(*doc, "port");
      if (!given_ip.has_value() || given_ip->empty()) {
        return JsonError(400, "field \"ip\" (the runtime to reconnect to) is required");
      }
      if (!given_port.has_value() || *given_port < 1 || *given_port > 65535) {
        return JsonError(400, "field \"port\" must be an integer in [1, 65535]");
      }
      ip = std::string(*given_ip);
      port = static_cast<int>(*given_port);
    }
    auto acted = Act(filter, redirect, ip, port);
    if (!acted.ok()) return StatusError(acted.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, redirect ? "redirected" : "rejected");
    WriteStringArray(w, *acted);
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // Apache's /clientManage/{reject,redirect}ClientBy{IpPort,SubSystem,Path}.
  ServerResponse ClientManageAct(const std::string& name,
                                 const std::map<std::string, std::string>& query) {
    const bool redirect = absl::StartsWith(name, "redirect");
    ClientFilter filter;
    std::vector<const char*> required;
    if (absl::EndsWith(name, "ByIpPort")) {
      required = {"ip", "port"};
    } else if (absl::EndsWith(name, "BySubSystem")) {
      required = {"subsystem"};
    } else {
      required = {"path"};
    }
    if (redirect) {
      required.push_back("desteventmeshIp");
      required.push_back("desteventmeshport");
    }
    for (const char* param : required) {
      const auto value = Find(query, param);
      if (!value.has_value() || value->empty()) {
        return Text(400, absl::StrCat("query parameter ", param, " is required\n"));
      }
    }
    if (absl::EndsWith(name, "ByIpPort")) {
      filter.address = absl::StrCat(*Find(query, "ip"), ":", *Find(query, "port"));
    } else if (absl::EndsWith(name, "BySubSystem")) {
      filter.subsystem = *Find(query, "subsystem");
    } else {
      filter.path = *Find(query, "path");
    }
    int port = 0;
    if (redirect &&
        (!absl::SimpleAtoi(*Find(query, "desteventmeshport"), &port) || port < 1 || port > 65535)) {
      return Text(400, "query parameter desteventmeshport must be a port number in [1, 65535]\n");
    }
    auto acted = Act(filter, redirect, redirect ? *Find(query, "desteventmeshIp") : "", port);
    if (!acted.ok()) return Text(HttpStatusOf(acted.status()), acted.status().ToString() + "\n");
    return Text(200, absl::StrCat(name, " success, ", acted->size(), " clients ",
                                  redirect ? "redirected" : "told to leave", "\n"));
  }

  // Apache's /clientManage/showListenClientByTopic?topic=T.
  ServerResponse ShowListenClientByTopic(const std::map<std::string, std::string>& query) {
    const auto topic = Find(query, "topic");
    if (!topic.has_value() || topic->empty())
      return Text(400, "query parameter topic is required\n");
    std::string out =
        absl::StrCat("================listen clients of topic ", *topic, "================\n");
    for (const ClientInfo& client : TcpClients()) {
      if (std::find(client.topics.begin(), client.topics.end(), *topic) == client.topics.end()) {
        continue;
      }
      absl::StrAppend(&out, "group=", client.group, " | subsystem=", client.subsystem,
                      " | address=", client.address, " | path=", client.path, " | pid=", client.pid,
                      "\n");
    }
    return Text(200, std::move(out));
  }

  // Apache's /clientManage/showClient: TCP sessions counted per subsystem.
  ServerResponse ShowClient() {
    std::map<std::string, int> by_subsystem;
    std::vector<ClientInfo> tcp = TcpClients();
    for (const ClientInfo& client : tcp) ++by_subsystem[client.subsystem];
    std::string out = "================eventMesh client info================\n";
    absl::StrAppend(&out, "total tcp clients: ", tcp.size(), "\n");
    for (const auto& [subsystem, count] : by_subsystem) {
      absl::StrAppend(&out, "subsystem=", subsystem, " | clients=", count, "\n");
    }
    return Text(200, std::move(out));
  }

  // Apache's /clientManage/showClientBySystem?subsystem=S.
  ServerResponse ShowClientBySystem(const std::map<std::string, std::string>& query) {
    const auto subsystem = Find(query, "subsystem");
    if (!subsystem.has_value() || subsystem->empty()) {
      return Text(400, "query parameter subsystem is required\n");
    }
    std::string out =
        absl::StrCat("================clients of subsystem ", *subsystem, "================\n");
    for (const ClientInfo& client : TcpClients()) {
      if (client.subsystem != *subsystem) continue;
      const size_t colon = client.address.rfind(':');
      absl::StrAppend(
          &out, "pid=", client.pid, " | ip=", client.address.substr(0, colon),
          " | port=", colon == std::string::npos ? "" : client.address.substr(colon + 1),
          " | path=", client.path, " | purpose=", client.purpose, " | group=", client.group, "\n");
    }
    return Text(200, std::move(out));
  }

  ServerResponse RejectAllClient() {
    const size_t told = c_.reject_all_clients ? c_.reject_all_clients() : 0;
    return Text(200, absl::StrCat("rejectAllClient success, ", told, " clients told to leave\n"));
  }

 private:
  struct ClientFilter {
    std::optional<std::string> id, address, subsystem, group, path;
    bool empty() const { return !id && !address && !subsystem && !group && !path; }
    bool Matches(const ClientInfo& c) const {
      if (id && c.id != *id) return false;
      if (address) {
        const bool with_port = address->find(':') != std::string::npos;
        const std::string ip = c.address.substr(0, c.address.rfind(':'));
        if (with_port ? c.address != *address : ip != *address) return false;
      }
      if (subsystem && c.subsystem != *subsystem) return false;
      if (group && c.group != *group) return false;
      if (path && c.path != *path) return false;
      return true;
    }
  };
  // Tells the matching TCP clients to leave (or to reconnect to ip:port); returns their ids.
  // Clients that closed meanwhile are skipped.
  absl::StatusOr<std::vector<std::string>> Act(const ClientFilter& filter, bool redirect,
                                               const std::string& ip, int port) {
    if (redirect ? !c_.redirect_client : !c_.reject_client) {
      return absl::UnimplementedError("this runtime cannot act on single clients");
    }
    std::vector<std::string> acted;
    for (const ClientInfo& client : TcpClients()) {
      if (!filter.Matches(client)) continue;
      absl::Status s =
          redirect ? c_.redirect_client(client.id, ip, port) : c_.reject_client(client.id);
      if (s.ok()) {
        acted.push_back(client.id);
      } else if (s.code() != absl::StatusCode::kNotFound) {
        return s;
      }
    }
    LOG(INFO) << "admin: "
              << (redirect ? absl::StrCat("redirected to ", ip, ":", port, " ")
                           : std::string("rejected "))
              << acted.size() << " client(s)";
    return acted;
  }
  // An integer query parameter in [min, max], or `absent` when not given.
  static absl::StatusOr<int64_t> IntParam(const std::map<std::string, std::string>& query,
                                          const std::string& name, int64_t absent, int64_t min,
                                          int64_t max) {
    auto it = query.find(name);
    if (it == query.end()) return absent;
    int64_t value = 0;
    if (!absl::SimpleAtoi(it->second, &value) || value < min || value > max) {
      return absl::InvalidArgumentError(absl::StrCat("query parameter ", name,
                                                     " must be an integer in [", min, ", ", max,
                                                     "], not \"", it->second, "\""));
    }
    return value;
  }
  static std::optional<std::string> Find(const std::map<std::string, std::string>& query,
                                         const std::string& name) {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
  std::vector<ClientInfo> AllClients() {
    return c_.clients ? c_.clients() : std::vector<ClientInfo>{};
  }
  std::vector<ClientInfo> TcpClients() {
    std::vector<ClientInfo> out;
    for (ClientInfo& client : AllClients()) {
      if (client.protocol == "tcp") out.push_back(std::move(client));
    }
    return out;
  }
  static ServerResponse ReservedTopic(const std::string& topic) {
    return JsonError(400, absl::StrCat("topic \"", topic,
                                       "\" is reserved for the mesh (topics "
                                       "starting with \"",
                                       core::kReservedTopicPrefix, "\")"));
  }
  ServerResponse Created(const std::string& topic) {
    ServerResponse response = GetTopic(topic);
    if (response.status == 200) {
      response.status = 201;
      response.headers.emplace_back("Location", absl::StrCat("/v1/topics/", topic));
    }
    return response;
  }
  static void WriteTopic(json::Writer& w, const std::string& topic,
                         const std::vector<connectors::PartitionOffsets>& offsets) {
    int64_t events = 0;
    w.StartObject();
    json::WriteKey(w, "name");
    json::WriteString(w, topic);
    json::WriteKey(w, "partitions");
    w.StartArray();
    for (const auto& p : offsets) {
      w.StartObject();
      json::WriteKey(w, "partition");
      w.Int(p.partition);
      json::WriteKey(w, "earliestOffset");
      w.Int64(p.earliest);
      json::WriteKey(w, "endOffset");
      w.Int64(p.end);
      w.EndObject();
      events += p.end - p.earliest;
    }
    w.EndArray();
    json::WriteKey(w, "messageCount");
    w.Int64(events);
    w.EndObject();
  }

  const AdminContext& c_;
};

}  // namespace

ServerResponse AdminServer::Handle(const ServerRequest& request) {
  ServerResponse response = Route(request);
  const bool changes = request.method != "GET" && request.method != "HEAD";
  const bool refused = response.status == 401 || response.status == 403;
  if (changes || refused) {
    const absl::string_view ip = absl::string_view(request.peer).substr(0, request.peer.rfind(':'));
    if (auto dropped = log_limiter_.Admit(ip)) {
      LOG(INFO) << "admin: " << request.method << " " << request.path() << " from " << request.peer
                << " -> " << response.status
                << (response.status >= 400 ? absl::StrCat(" ", response.body) : "")
                << common::LogLimiter::DroppedNote(*dropped);
    }
  }
  return response;
}

ServerResponse AdminServer::Route(const ServerRequest& request) {
  const std::string path(request.path());
  const std::string& method = request.method;
  const bool get = method == "GET";
  if (path == "/health") {
    if (!get) return MethodNotAllowed(method, path, "GET");
    return ServerResponse::Json(200, "{\"status\":\"UP\"}");
  }
  if (path == "/ready") {
    if (!get) return MethodNotAllowed(method, path, "GET");
    if (context_.ready && context_.ready()) {
      return ServerResponse::Json(200, "{\"status\":\"READY\"}");
    }
    return ServerResponse::Json(
        503, "{\"status\":\"NOT_READY\",\"reason\":\"frontends or connector not started\"}");
  }
  if (path == "/" || path == "/dashboard") {
    if (!get) return MethodNotAllowed(method, path, "GET");
    return Redirect("/dashboard/");
  }
  if (absl::StartsWith(path, "/dashboard/")) {
    if (!get) return MethodNotAllowed(method, path, "GET");
    return DashboardFile(absl::string_view(path).substr(11));
  }
  // Everything else may need the admin credential.
  const std::string& token = context_.config->admin.token;
  if (!token.empty()) {
    const std::string* header = request.Header("Authorization");
    const absl::string_view given =
        header != nullptr && absl::StartsWithIgnoreCase(*header, "Bearer ")
            ? absl::StripAsciiWhitespace(absl::string_view(*header).substr(7))
            : absl::string_view();
    if (!ConstantTimeEquals(given, token)) {
      ServerResponse response = JsonError(
          401, header == nullptr ? "authentication required: Authorization: Bearer <token>"
                                 : "invalid admin token");
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"eventmesh-admin\"");
      return response;
    }
  } else if (context_.config->security_enabled) {
    return JsonError(403,
                     "the admin API needs eventMesh.server.admin.token when "
                     "eventMesh.server.security.enabled=true");
  }
  auto query = ParseQuery(request.query());
  if (!query.ok()) return JsonError(400, query.status().message());
  Api api(context_);
  if (path == "/metrics") {
    if (!get) return MethodNotAllowed(method, path, "GET");
    ServerResponse response;
    response.headers.emplace_back("Content-Type", metrics::kPrometheusTextContentType);
    metrics::AppendPrometheusText(*context_.metrics, &response.body);
    return response;
  }
  if (path == "/v1/info") return get ? api.Info() : MethodNotAllowed(method, path, "GET");
  if (path == "/v1/config") return get ? api.Config() : MethodNotAllowed(method, path, "GET");
  if (path == "/v1/clients") {
    return get ? api.Clients(*query) : MethodNotAllowed(method, path, "GET");
  }
  if (path == "/v1/clients/reject" || path == "/v1/clients/redirect") {
    return method == "POST" ? api.ActOnClients(request.body, path == "/v1/clients/redirect")
                            : MethodNotAllowed(method, path, "POST");
  }
  if (path == "/v1/dlq")
    return get ? api.DeadLetterTopics() : MethodNotAllowed(method, path, "GET");
  if (path == "/v1/dlq/republish") {
    return method == "POST" ? api.Republish(request.body) : MethodNotAllowed(method, path, "POST");
  }
  if (path == "/v1/topics" || path == "/v1/topics/") {
    if (get) return api.ListTopics();
    if (method == "POST") return api.CreateTopic(request.body);
    return MethodNotAllowed(method, path, "GET, POST");
  }
  if (absl::StartsWith(path, "/v1/topics/")) {
    absl::string_view rest = absl::string_view(path).substr(11);
    const bool events = absl::ConsumeSuffix(&rest, "/events");
    auto topic = UrlDecode(rest, false);
    if (!topic.ok()) return JsonError(400, topic.status().message());
    if (topic->empty() || topic->find('/') != std::string::npos) {
      return JsonError(404, "no such resource");
    }
    if (events) return get ? api.ReadEvents(*topic, *query) : MethodNotAllowed(method, path, "GET");
    if (get) return api.GetTopic(*topic);
    if (method == "DELETE") return api.DeleteTopic(*topic);
    return MethodNotAllowed(method, path, "GET, DELETE");
  }
  if (path == "/v1/groups" || path == "/v1/groups/") {
    return get ? api.Groups(std::nullopt) : MethodNotAllowed(method, path, "GET");
  }
  if (absl::StartsWith(path, "/v1/groups/")) {
    absl::string_view rest = absl::string_view(path).substr(11);
    const bool reset = absl::ConsumeSuffix(&rest, "/reset");
    auto group = UrlDecode(rest, false);
    if (!group.ok()) return JsonError(400, group.status().message());
    if (group->empty() || group->find('/') != std::string::npos) {
      return JsonError(404, "no such resource");
    }
    if (reset) {
      return method == "POST" ? api.ResetGroup(*group, request.body)
                              : MethodNotAllowed(method, path, "POST");
    }
    return get ? api.Groups(*group) : MethodNotAllowed(method, path, "GET");
  }
  if (path == "/clientManage/showClient") {
    return get ? api.ShowClient() : MethodNotAllowed(method, path, "GET");
  }
  if (path == "/clientManage/showClientBySystem") {
    return get ? api.ShowClientBySystem(*query) : MethodNotAllowed(method, path, "GET");
  }
  if (path == "/clientManage/rejectAllClient") {
    return method == "POST" ? api.RejectAllClient() : MethodNotAllowed(method, path, "POST");
  }
  if (path == "/clientManage/showListenClientByTopic") {
    return get ? api.ShowListenClientByTopic(*query) : MethodNotAllowed(method, path, "GET");
  }
  for (const char* action :
       {"rejectClientByIpPort", "rejectClientBySubSystem", "redirectClientByIpPort",
        "redirectClientBySubSystem", "redirectClientByPath"}) {
    if (path == absl::StrCat("/clientManage/", action)) {
      return method == "POST" ? api.ClientManageAct(action, *query)
                              : MethodNotAllowed(method, path, "POST");
    }
  }
  return JsonError(404, absl::StrCat("no such resource: ", path));
}

}  // namespace eventmesh::runtime::admin
