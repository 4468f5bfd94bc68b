#include "eventmesh/runtime/admin/admin_server.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <tuple>
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
// Values (scalars, containers, keys) an admin request body may have: the bodies are small
// objects, and a DOM costs 16 bytes or more per value.
constexpr size_t kMaxBodyJsonValues = 65536;
// Events one answer reads at most (/v1/topics/{name}/events count, /event length), and the bytes
// of event data one answer carries at most (at least one event is always returned).
constexpr int64_t kMaxEventsPerAnswer = 1000;
constexpr size_t kMaxEventBytesPerAnswer = 8 << 20;
// How long a publish through the admin port waits for the store's confirmation.
constexpr auto kPublishTimeout = std::chrono::seconds(30);
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
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

ServerResponse StatusError(const absl::Status& status) {
  return JsonError(HttpStatusOf(status), status.message());
}

// Apache's error shape on its JSON admin paths: Result {"data": null, "message": "..."}.
ServerResponse ApacheError(int status, absl::string_view message) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "data");
  w.Null();
  json::WriteKey(w, "message");
  json::WriteString(w, message);
  w.EndObject();
  return ServerResponse::Json(status, buffer.GetString());
}

ServerResponse ApacheStatusError(const absl::Status& status) {
  return ApacheError(HttpStatusOf(status), status.message());
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

// Events a topic retains: the sum of its partitions' ranges.
int64_t RetainedEvents(const std::vector<connectors::PartitionOffsets>& offsets) {
  int64_t events = 0;
  for (const auto& p : offsets) events += p.end - p.earliest;
  return events;
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
  s = registry->AddGaugeCallback(
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
  if (!s.ok()) return s;
  // The connector's own gauges, by the names it reports.
  if (c->connector == nullptr) return absl::OkStatus();
  for (const connectors::ConnectorGauge& gauge : c->connector->Gauges()) {
    auto read = [c, name = gauge.name](metrics::SampleSink& sink) {
      for (const connectors::ConnectorGauge& now : c->connector->Gauges()) {
        if (now.name == name) sink.Add({}, now.value);
      }
    };
    s = gauge.counter ? registry->AddCounterCallback(gauge.name, gauge.help, {}, read, this)
                      : registry->AddGaugeCallback(gauge.name, gauge.help, {}, read, this);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
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
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    for (const auto& [key, value] : EffectiveConfig()) {
      json::WriteKey(w, key);
      json::WriteString(w, value);
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
    auto retention = c_.connector->GetTopicRetention(topic);
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    WriteTopic(w, topic, *offsets, retention.ok() ? &*retention : nullptr);
    return ServerResponse::Json(200, buffer.GetString());
  }

  ServerResponse CreateTopic(const std::string& body) {
    auto topic = CreateTopicFrom(body);
    if (!topic.ok()) return StatusError(topic.status());
    return Created(*topic);
  }

  ServerResponse DeleteTopic(const std::string& topic) {
    absl::Status deleted = RemoveTopic(topic);
    if (!deleted.ok()) return StatusError(deleted);
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
    auto doc = json::ParseJson(body, "group reset body", kMaxBodyJsonValues);
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
    auto count = IntParam(query, "count", 20, 1, kMaxEventsPerAnswer);
    if (!count.ok()) return JsonError(400, count.status().message());
    auto events =
        CollectEvents(topic, static_cast<int32_t>(*partition), *from, static_cast<int32_t>(*count));
    if (!events.ok()) return StatusError(events.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, "topic");
    json::WriteString(w, topic);
    json::WriteKey(w, "events");
    w.StartArray();
    for (const auto& e : *events) {
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
    auto topics = TopicCounts(
        [](const std::string& topic) { return absl::EndsWith(topic, kDeadLetterSuffix); });
    if (!topics.ok()) return StatusError(topics.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const auto& [topic, events] : *topics) {
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
    auto doc = json::ParseJson(body, "republish body", kMaxBodyJsonValues);
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
    absl::Status published = PublishAndWait(std::move(events));
    if (!published.ok()) return StatusError(published);
    return ServerResponse::Json(200, buffer.GetString());
  }

  // POST /v1/clients/reject and /v1/clients/redirect: the TCP clients matching every given
  // filter ("id", "address" ip or ip:port, "subsystem", "group", "path"; at least one) are told
  // to leave, or to reconnect to {"ip", "port"}.
  ServerResponse ActOnClients(const std::string& body, bool redirect) {
    auto doc =
        json::ParseJson(body, redirect ? "redirect body" : "reject body", kMaxBodyJsonValues);
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

  // ---- Apache EventMesh's admin endpoints (its v1/v2 handlers), on the implementations above.

  // GET /client/{tcp,http,grpc}: Apache's GetClientResponse list of one protocol, sorted by host
  // and port. `label` is Apache's protocol value ("TCP", "HTTP", "gRPC").
  ServerResponse ApacheClients(const std::string& protocol, absl::string_view label) {
    struct Row {
      std::string host;
      int port = 0;
      const ClientInfo* client = nullptr;
    };
    std::vector<ClientInfo> clients = AllClients();
    std::vector<Row> rows;
    for (const ClientInfo& client : clients) {
      if (client.protocol != protocol) continue;
      Row row{"", 0, &client};
      if (protocol != "http") {  // a webhook subscriber's address is its URL
        const size_t colon = client.address.rfind(':');
        row.host = client.address.substr(0, colon);
        if (colon != std::string::npos) {
          (void)absl::SimpleAtoi(client.address.substr(colon + 1), &row.port);
        }
      }
      rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      return std::tie(a.host, a.port) < std::tie(b.host, b.port);
    });
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const Row& row : rows) {
      const ClientInfo& c = *row.client;
      // Apache's url: the TCP UserAgent's path, a webhook's URL, nothing for a gRPC stream.
      const std::string& url = protocol == "tcp"    ? c.path
                               : protocol == "http" ? c.address
                                                    : std::string();
      w.StartObject();
      for (auto [key, value] : {std::pair<const char*, const std::string*>{"env", &c.env},
                                {"subsystem", &c.subsystem},
                                {"url", &url}}) {
        json::WriteKey(w, key);
        json::WriteString(w, *value);
      }
      json::WriteKey(w, "pid");
      json::WriteString(w, absl::StrCat(c.pid));
      json::WriteKey(w, "host");
      json::WriteString(w, row.host);
      json::WriteKey(w, "port");
      w.Int(row.port);
      const std::string purpose = protocol == "tcp" ? c.purpose : "";  // Apache: TCP only
      for (auto [key, value] : {std::pair<const char*, const std::string*>{"version", &c.version},
                                {"idc", &c.idc},
                                {"group", &c.group},
                                {"purpose", &purpose}}) {
        json::WriteKey(w, key);
        json::WriteString(w, *value);
      }
      json::WriteKey(w, "protocol");
      json::WriteString(w, label);
      w.EndObject();
    }
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // DELETE /client/tcp {"host": H, "port": P}: SERVER_GOODBYE to the TCP clients connected from
  // H:P (what /v1/clients/reject does with {"address": "H:P"}). 200 with an empty body, like
  // Apache, also when nobody matched.
  ServerResponse ApacheDeleteTcpClient(const std::string& body) {
    auto doc = ApacheBody(body, "{\"host\": \"<ip>\", \"port\": <port>}");
    if (!doc.ok()) return ApacheStatusError(doc.status());
    const auto host = json::GetString(*doc, "host");
    if (!host.has_value() || host->empty()) {
      return ApacheError(400, "field \"host\" (the client's IP address) is required");
    }
    const auto port = json::GetInt64(*doc, "port");
    if (!port.has_value() || *port < 1 || *port > 65535) {
      return ApacheError(400, "field \"port\" must be an integer in [1, 65535]");
    }
    ClientFilter filter;
    filter.address = absl::StrCat(*host, ":", *port);
    auto acted = Act(filter, /*redirect=*/false, "", 0);
    if (!acted.ok()) return ApacheStatusError(acted.status());
    return Text(200, "");
  }

  // DELETE /client/http {"url": U} and /client/grpc {"url": U}: removes every webhook
  // registration of U (every group and topic). gRPC's webhook-style subscriptions (subscribe with
  // a URL) are registered in the same webhook registry as HTTP's, as Apache's url-bearing gRPC
  // clients are. A gRPC stream has no URL: /client/grpc {"host": H} closes the streams from H.
  ServerResponse ApacheDeleteUrlClient(const std::string& body, bool grpc) {
    auto doc = ApacheBody(body, grpc ? "{\"url\": \"<subscriber URL>\"} or {\"host\": \"<IP>\"}"
                                     : "{\"url\": \"<subscriber URL>\"}");
    if (!doc.ok()) return ApacheStatusError(doc.status());
    if (grpc && doc->HasMember("host") && !doc->HasMember("url")) return CloseGrpcStreams(*doc);
    const auto url = json::GetString(*doc, "url");
    if (!url.has_value() || url->empty()) {
      return ApacheError(400, "field \"url\" (the subscriber's URL) is required");
    }
    if (grpc && *url == "grpc_stream") {
      return ApacheError(422,
                         "gRPC stream subscribers (url \"grpc_stream\") have no URL of their own: "
                         "close them by peer address with {\"host\": \"<IP>\"} (GET /client/grpc "
                         "lists their hosts); url removes webhook-style gRPC subscriptions only");
    }
    if (c_.webhooks == nullptr) {
      return ApacheError(501,
                         "webhook subscriptions are disabled "
                         "(eventMesh.server.http.webhook.enabled=false)");
    }
    std::set<std::string> groups;
    for (const webhook::WebhookSubscriptionInfo& info : c_.webhooks->List()) {
      if (info.url == *url) groups.insert(info.consumer_group);
    }
    for (const std::string& group : groups) {
      absl::Status removed = c_.webhooks->Unsubscribe(group, std::string(*url), {});
      if (!removed.ok() && removed.code() != absl::StatusCode::kNotFound) {
        return ApacheStatusError(removed);
      }
    }
    LOG(INFO) << "admin: removed the webhook registrations of " << *url << " (" << groups.size()
              << " group(s))";
    return Text(200, "");
  }

  // DELETE /client/grpc {"host": H}: ends every gRPC stream whose peer is H (the host GET
  // /client/grpc shows); their subscriptions close with them. 200, empty body.
  ServerResponse CloseGrpcStreams(const rapidjson::Document& doc) {
    const auto host = json::GetString(doc, "host");
    if (!host.has_value() || host->empty()) {
      return ApacheError(400,
                         "field \"host\" (the stream's peer IP address) must be a non-empty "
                         "string");
    }
    if (!c_.disconnect_client) {
      return ApacheError(501, "this runtime cannot close gRPC streams from the admin port");
    }
    size_t closed = 0;
    for (const ClientInfo& client : AllClients()) {
      if (client.protocol != "grpc" || client.address != *host) continue;
      absl::Status s = c_.disconnect_client(client.protocol, client.id);
      if (s.ok()) {
        ++closed;
      } else if (s.code() != absl::StatusCode::kNotFound) {
        return ApacheStatusError(s);
      }
    }
    LOG(INFO) << "admin: closed " << closed << " gRPC stream(s) from " << *host;
    return Text(200, "");
  }

  // GET /topic: Apache's TopicProperties list [{"name", "messageCount"}].
  ServerResponse ApacheTopics() {
    auto topics = TopicCounts([](const std::string&) { return true; });
    if (!topics.ok()) return ApacheStatusError(topics.status());
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const auto& [topic, events] : *topics) {
      w.StartObject();
      json::WriteKey(w, "name");
      json::WriteString(w, topic);
      json::WriteKey(w, "messageCount");
      w.Int64(events);
      w.EndObject();
    }
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // POST /topic {"name": T} (POST /v1/topics; "partitions" is accepted too). 200, empty body.
  ServerResponse ApacheCreateTopic(const std::string& body) {
    auto topic = CreateTopicFrom(body);
    if (!topic.ok()) return ApacheStatusError(topic.status());
    return Text(200, "");
  }

  // DELETE /topic {"name": T} (DELETE /v1/topics/T). 200, empty body.
  ServerResponse ApacheDeleteTopic(const std::string& body) {
    auto doc = ApacheBody(body, "{\"name\": \"<topic>\"}");
    if (!doc.ok()) return ApacheStatusError(doc.status());
    const auto name = json::GetString(*doc, "name");
    if (!name.has_value() || name->empty()) {
      return ApacheError(400, "field \"name\" (a non-empty string) is required");
    }
    absl::Status deleted = RemoveTopic(std::string(*name));
    if (!deleted.ok()) return ApacheStatusError(deleted);
    return Text(200, "");
  }

  // GET /event?topicName=T&offset=O&length=N: up to N events (at most 1000) from offset O of
  // every partition, oldest first, as Apache answers: a JSON array of strings, each one event in
  // structured CloudEvents JSON.
  ServerResponse ApacheEvents(const std::map<std::string, std::string>& query) {
    const auto topic = Find(query, "topicName");
    if (!topic.has_value() || topic->empty()) {
      return ApacheError(400, "query parameter topicName is required");
    }
    auto offset = IntParam(query, "offset", -1, 0, INT64_MAX);
    if (!offset.ok()) return ApacheError(400, offset.status().message());
    auto length = IntParam(query, "length", -1, 1, kMaxEventsPerAnswer);
    if (!length.ok()) return ApacheError(400, length.status().message());
    if (*offset < 0 || *length < 0) {
      return ApacheError(400, "query parameters offset and length are required");
    }
    auto events = CollectEvents(*topic, -1, *offset, static_cast<int32_t>(*length));
    if (!events.ok()) return ApacheStatusError(events.status());
    std::stable_sort(events->begin(), events->end(),
                     [](const connectors::StoredEvent& a, const connectors::StoredEvent& b) {
                       return a.stored_ms < b.stored_ms;
                     });
    if (events->size() > static_cast<size_t>(*length)) events->resize(*length);
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const auto& e : *events) json::WriteString(w, cloudevents::SerializeJsonEvent(e.event));
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // POST /event with one structured-mode CloudEvent (its subject is the topic): published through
  // the runtime's publish path like a dead-letter republish; 200 with an empty body once the
  // store confirmed it.
  ServerResponse ApachePublish(const std::string& body) {
    if (c_.publisher == nullptr) {
      return ApacheError(501, "this runtime has no publish path for the admin port");
    }
    auto event = cloudevents::ParseJsonEvent(body);
    if (!event.ok()) {
      return ApacheError(400, absl::StrCat("the body must be one structured-mode CloudEvent: ",
                                           event.status().message()));
    }
    if (!event->subject().has_value() || event->subject()->empty()) {
      return ApacheError(400, "the event's \"subject\" (its topic) is required");
    }
    std::vector<cloudevents::CloudEvent> events;
    events.push_back(*std::move(event));
    absl::Status published = PublishAndWait(std::move(events));
    if (!published.ok()) return ApacheStatusError(published);
    return Text(200, "");
  }

  // GET /meta: Apache's GetRegistryResponse list, sorted by cluster name.
  ServerResponse ApacheMeta() {
    std::vector<MeshInstance> instances;
    if (c_.mesh_instances) {
      auto listed = c_.mesh_instances();
      if (!listed.ok()) return ApacheStatusError(listed.status());
      instances = *std::move(listed);
    }
    std::stable_sort(instances.begin(), instances.end(),
                     [](const MeshInstance& a, const MeshInstance& b) {
                       return std::tie(a.cluster, a.name) < std::tie(b.cluster, b.name);
                     });
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartArray();
    for (const MeshInstance& instance : instances) {
      w.StartObject();
      json::WriteKey(w, "eventMeshClusterName");
      json::WriteString(w, instance.cluster);
      json::WriteKey(w, "eventMeshName");
      json::WriteString(w, instance.name);
      json::WriteKey(w, "endpoint");
      json::WriteString(w, instance.endpoint);
      json::WriteKey(w, "lastUpdateTimestamp");
      w.Int64(instance.last_update_ms);
      // Apache writes its metadata map's toString(): {key=value, key=value}.
      std::vector<std::string> pairs;
      for (const auto& [key, value] : instance.metadata) {
        pairs.push_back(absl::StrCat(key, "=", value));
      }
      json::WriteKey(w, "metadata");
      json::WriteString(w, absl::StrCat("{", absl::StrJoin(pairs, ", "), "}"));
      w.EndObject();
    }
    w.EndArray();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // GET /configuration: Apache's v1 GetConfigurationResponse, from the effective (masked)
  // configuration /v1/config shows.
  ServerResponse ApacheConfigurationV1() {
    const std::map<std::string, std::string> config = EffectiveConfig();
    auto text = [&config](const std::string& key) {
      auto it = config.find(key);
      return it == config.end() || it->second == "\"\"" ? std::string() : it->second;
    };
    auto number = [&text](const std::string& key) {
      int64_t value = 0;
      return absl::SimpleAtoi(text(key), &value) ? value : 0;
    };
    auto flag = [&text](const std::string& key) {
      return absl::AsciiStrToLower(text(key)) == "true";
    };
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    for (auto [field, key] : {std::pair<const char*, const char*>{"sysID", "eventMesh.sysid"},
                              {"namesrvAddr", "eventMesh.registry.plugin.server-addr"},
                              {"eventMeshEnv", "eventMesh.server.env"},
                              {"eventMeshIDC", "eventMesh.server.idc"},
                              {"eventMeshCluster", "eventMesh.server.cluster"},
                              {"eventMeshServerIp", "eventMesh.server.hostIp"},
                              {"eventMeshName", "eventMesh.server.name"}}) {
      json::WriteKey(w, field);
      json::WriteString(w, text(key));
    }
    for (auto [field, key] :
         {std::pair<const char*, const char*>{"eventMeshServerSecurityEnable",
                                              "eventMesh.server.security.enabled"},
          {"eventMeshServerRegistryEnable", "eventMesh.registry.plugin.enabled"}}) {
      json::WriteKey(w, field);
      w.Bool(flag(key));
    }
    json::WriteKey(w, "eventMeshTcpServerPort");
    w.Int64(number("eventMesh.server.tcp.port"));
    json::WriteKey(w, "eventMeshHttpServerPort");
    w.Int64(number("eventMesh.server.http.port"));
    json::WriteKey(w, "eventMeshHttpServerUseTls");
    w.Bool(flag("eventMesh.server.useTls.enabled"));
    json::WriteKey(w, "eventMeshGrpcServerPort");
    w.Int64(number("eventMesh.server.grpc.port"));
    json::WriteKey(w, "eventMeshGrpcServerUseTls");
    w.Bool(flag("eventMesh.server.grpc.tls.enabled"));
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // GET /v2/configuration[?format=properties&configs=exclusive|all]: Apache's v2 answer,
  // {"data": {"commonConfiguration": {...}, "eventMeshTCPConfiguration": {...},
  // "eventMeshHTTPConfiguration": {...}, "eventMeshGrpcConfiguration": {...},
  // "eventMeshVersion": V}, "message": "Success"}, each section keyed by property name (the
  // effective, masked configuration of /v1/config split by protocol; "all" repeats the common
  // keys in every protocol section, as Apache's subclasses inherit them). Apache's "bean" format
  // names Java fields this runtime does not have: 400.
  ServerResponse ApacheConfigurationV2(const std::map<std::string, std::string>& query) {
    const std::string format = Find(query, "format").value_or("properties");
    const std::string configs = Find(query, "configs").value_or("exclusive");
    if (configs != "exclusive" && configs != "all") {
      return ApacheError(400,
                         absl::StrCat("Invalid param 'configs': ", configs, " (exclusive or all)"));
    }
    if (format != "properties") {
      return ApacheError(
          400, absl::StrCat("Invalid param 'format': ", format,
                            format == "bean" ? " (this runtime's configuration has no Java "
                                               "bean fields; use format=properties)"
                                             : " (properties)"));
    }
    enum Section { kCommon, kTcp, kHttp, kGrpc };
    auto section_of = [](const std::string& key) {
      for (const char* prefix : {"eventMesh.server.tcp.", "eventMesh.server.session."}) {
        if (absl::StartsWith(key, prefix)) return kTcp;
      }
      for (const char* prefix : {"eventMesh.server.http.", "eventMesh.server.useTls."}) {
        if (absl::StartsWith(key, prefix)) return kHttp;
      }
      if (absl::StartsWith(key, "eventMesh.server.grpc.")) return kGrpc;
      return kCommon;
    };
    const std::map<std::string, std::string> config = EffectiveConfig();
    rapidjson::StringBuffer buffer;
    json::Writer w(buffer);
    w.StartObject();
    json::WriteKey(w, "data");
    w.StartObject();
    for (auto [section, name] :
         {std::pair{kCommon, "commonConfiguration"}, std::pair{kTcp, "eventMeshTCPConfiguration"},
          std::pair{kHttp, "eventMeshHTTPConfiguration"},
          std::pair{kGrpc, "eventMeshGrpcConfiguration"}}) {
      json::WriteKey(w, name);
      w.StartObject();
      for (const auto& [key, value] : config) {
        const Section of = section_of(key);
        if (of != section && !(configs == "all" && of == kCommon)) continue;
        json::WriteKey(w, key);
        WriteTypedValue(w, value);
      }
      w.EndObject();
    }
    json::WriteKey(w, "eventMeshVersion");
    json::WriteString(w, kRuntimeVersion);
    w.EndObject();
    json::WriteKey(w, "message");
    json::WriteString(w, "Success");
    w.EndObject();
    return ServerResponse::Json(200, buffer.GetString());
  }

  // GET /eventMesh/recommend?group=G&purpose=pub|sub: the "ip:port" (plain text) a client of
  // (G, purpose) should connect to, as RECOMMEND_REQUEST answers it.
  ServerResponse ApacheRecommend(const std::map<std::string, std::string>& query) {
    const std::string group = Find(query, "group").value_or("");
    const std::string purpose = Find(query, "purpose").value_or("");
    if (absl::StripAsciiWhitespace(group).empty() || absl::StripAsciiWhitespace(purpose).empty()) {
      return Text(400, "params illegal! (query parameters group and purpose are required)\n");
    }
    if (purpose != "pub" && purpose != "sub") {
      return Text(400, absl::StrCat("params illegal! (purpose must be pub or sub, not \"", purpose,
                                    "\")\n"));
    }
    if (!c_.recommend) return Text(501, "this runtime cannot recommend a runtime\n");
    const std::string recommended = c_.recommend(group, purpose);
    if (recommended.empty()) return Text(503, "null");
    return Text(200, recommended);
  }

 private:
  // The topics `keep` accepts with the events each retains (topics deleted meanwhile are left
  // out). Errors: the connector's.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TopicCounts(
      const std::function<bool(const std::string&)>& keep) {
    auto topics = c_.connector->ListTopics();
    if (!topics.ok()) return topics.status();
    std::vector<std::pair<std::string, int64_t>> out;
    for (const std::string& topic : *topics) {
      if (!keep(topic)) continue;
      auto offsets = c_.connector->Offsets(topic, "");
      if (offsets.ok()) out.emplace_back(topic, RetainedEvents(*offsets));
    }
    return out;
  }
  // The effective configuration: every key of the reference with its default, overridden by the
  // file and flags; secret-looking values (IsSecretKey) masked.
  std::map<std::string, std::string> EffectiveConfig() const {
    std::map<std::string, std::string> effective;
    for (const auto& key : RuntimeKeyTable().keys()) effective[key.name] = key.default_text;
    for (const auto& [key, value] : c_.config->properties) effective[key] = value;
    for (auto& [key, value] : effective) {
      if (IsSecretKey(key) && !value.empty() && value != "\"\"") value = kMaskedValue;
    }
    return effective;
  }
  // A configuration value as JSON: true/false as booleans, integers as numbers, the reference's
  // "" as an empty string, anything else as a string.
  static void WriteTypedValue(json::Writer& w, const std::string& value) {
    int64_t number = 0;
    if (value == "true" || value == "false") {
      w.Bool(value == "true");
    } else if (absl::SimpleAtoi(value, &number)) {
      w.Int64(number);
    } else {
      json::WriteString(w, value == "\"\"" ? "" : value);
    }
  }
  // A JSON object body of an Apache endpoint. Errors: InvalidArgument naming `shape`.
  static absl::StatusOr<rapidjson::Document> ApacheBody(const std::string& body,
                                                        absl::string_view shape) {
    if (absl::StripAsciiWhitespace(body).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("a JSON body ", shape, " is required"));
    }
    auto doc = json::ParseJson(body, "request body", kMaxBodyJsonValues);
    if (!doc.ok()) return doc.status();
    if (!doc->IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat("the body must be a JSON object ", shape));
    }
    return doc;
  }
  // Creates the topic a {"name": T, "partitions": N} body names; returns T.
  // Errors: InvalidArgument (bad body, reserved topic), the connector's (AlreadyExists, ...).
  absl::StatusOr<std::string> CreateTopicFrom(const std::string& body) {
    auto doc = ApacheBody(body, "{\"name\": ...}");
    if (!doc.ok()) return doc.status();
    const auto name = json::GetString(*doc, "name");
    if (!name.has_value() || name->empty()) {
      return absl::InvalidArgumentError("field \"name\" (a non-empty string) is required");
    }
    int64_t partitions = c_.config->topic_default_partitions;
    if (doc->HasMember("partitions")) {
      const auto given = json::GetInt64(*doc, "partitions");
      if (!given.has_value() || *given < 1 || *given > 4096) {
        return absl::InvalidArgumentError("field \"partitions\" must be an integer in [1, 4096]");
      }
      partitions = *given;
    }
    connectors::TopicRetention retention;
    for (const auto& [field, target] :
         {std::pair<const char*, int64_t*>{"retentionMs", &retention.max_age_ms},
          std::pair<const char*, int64_t*>{"retentionBytes", &retention.max_bytes}}) {
      if (!doc->HasMember(field)) continue;
      const auto given = json::GetInt64(*doc, field);
      if (!given.has_value() || *given < -1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "field \"", field, "\" must be an integer: > 0 a limit, -1 none, 0 the default"));
      }
      *target = *given;
    }
    std::string topic(*name);
    if (core::IsReservedTopic(topic)) return ReservedTopic(topic);
    absl::Status created =
        c_.connector->CreateTopicWithRetention(topic, static_cast<int32_t>(partitions), retention);
    if (!created.ok()) return created;
    return topic;
  }
  // Errors: InvalidArgument (reserved topic), the connector's (NotFound, ...).
  absl::Status RemoveTopic(const std::string& topic) {
    if (core::IsReservedTopic(topic)) return ReservedTopic(topic);
    absl::Status deleted = c_.connector->DeleteTopic(topic);
    if (!deleted.ok()) return deleted;
    c_.topics->Forget(topic);
    return absl::OkStatus();
  }
  // Up to `count` events from offset `from` of partition `partition`, or of every partition
  // (`count` each) when it is negative; event data up to kMaxEventBytesPerAnswer in all.
  // Errors: the connector's (NotFound for an unknown topic), InvalidArgument (no such partition).
  absl::StatusOr<std::vector<connectors::StoredEvent>> CollectEvents(const std::string& topic,
                                                                     int32_t partition,
                                                                     int64_t from, int32_t count) {
    auto offsets = c_.connector->Offsets(topic, "");
    if (!offsets.ok()) return offsets.status();
    if (partition >= static_cast<int64_t>(offsets->size())) {
      return absl::InvalidArgumentError(absl::StrCat("topic \"", topic, "\" has no partition ",
                                                     partition, " (it has ", offsets->size(), ")"));
    }
    std::vector<connectors::StoredEvent> events;
    size_t bytes = 0;
    for (const auto& p : *offsets) {
      if (partition >= 0 && p.partition != partition) continue;
      auto read = c_.connector->ReadEvents(topic, p.partition, from, count);
      if (!read.ok()) return read.status();
      for (auto& e : *read) {
        bytes += e.event.data().size();
        if (!events.empty() && bytes > kMaxEventBytesPerAnswer) return events;
        events.push_back(std::move(e));
      }
    }
    return events;
  }
  // Admits `events` under the publish policy (reserved topics, size, the topic's existence or
  // auto-creation; the admin has no ACL user and no rate limit: its credential was checked) and
  // publishes them, waiting for the store's confirmation. REQUIRES: c_.publisher != nullptr.
  // Errors: the policy's, the connector's, DeadlineExceeded after kPublishTimeout.
  absl::Status PublishAndWait(std::vector<cloudevents::CloudEvent> events) {
    core::Publisher admin;
    if (absl::Status admitted = c_.publisher->AdmitAll(admin, events); !admitted.ok()) {
      return admitted;
    }
    auto done = std::make_shared<std::promise<absl::Status>>();
    std::future<absl::Status> outcome = done->get_future();
    c_.publisher->Publish(std::move(events), [done](absl::Status s) { done->set_value(s); });
    if (outcome.wait_for(kPublishTimeout) != std::future_status::ready) {
      return absl::DeadlineExceededError("the store did not confirm the events within 30 s");
    }
    return outcome.get();
  }
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
  static absl::Status ReservedTopic(const std::string& topic) {
    return absl::InvalidArgumentError(absl::StrCat("topic \"", topic,
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
  // `retention`: written when the connector reports it (retentionMs / retentionBytes, -1 = no
  // limit).
  static void WriteTopic(json::Writer& w, const std::string& topic,
                         const std::vector<connectors::PartitionOffsets>& offsets,
                         const connectors::TopicRetention* retention = nullptr) {
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
      if (p.bytes >= 0) {
        json::WriteKey(w, "bytes");
        w.Int64(p.bytes);
      }
      w.EndObject();
    }
    w.EndArray();
    json::WriteKey(w, "messageCount");
    w.Int64(RetainedEvents(offsets));
    if (retention != nullptr) {
      json::WriteKey(w, "retentionMs");
      w.Int64(retention->max_age_ms);
      json::WriteKey(w, "retentionBytes");
      w.Int64(retention->max_bytes);
    }
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
  // Apache EventMesh's JSON admin endpoints (its AdminHandlerManager's paths).
  const bool del = method == "DELETE";
  for (auto [name, label] :
       {std::pair<const char*, const char*>{"tcp", "TCP"}, {"http", "HTTP"}, {"grpc", "gRPC"}}) {
    if (path != absl::StrCat("/client/", name)) continue;
    if (get) return api.ApacheClients(name, label);
    if (!del) return MethodNotAllowed(method, path, "GET, DELETE");
    if (path == "/client/tcp") return api.ApacheDeleteTcpClient(request.body);
    return api.ApacheDeleteUrlClient(request.body, path == "/client/grpc");
  }
  if (path == "/topic") {
    if (get) return api.ApacheTopics();
    if (method == "POST") return api.ApacheCreateTopic(request.body);
    if (del) return api.ApacheDeleteTopic(request.body);
    return MethodNotAllowed(method, path, "GET, POST, DELETE");
  }
  if (path == "/event") {
    if (get) return api.ApacheEvents(*query);
    if (method == "POST") return api.ApachePublish(request.body);
    return MethodNotAllowed(method, path, "GET, POST");
  }
  if (path == "/meta") return get ? api.ApacheMeta() : MethodNotAllowed(method, path, "GET");
  if (path == "/configuration") {
    return get ? api.ApacheConfigurationV1() : MethodNotAllowed(method, path, "GET");
  }
  if (path == "/v2/configuration") {
    return get ? api.ApacheConfigurationV2(*query) : MethodNotAllowed(method, path, "GET");
  }
  if (path == "/eventMesh/recommend") {
    return get ? api.ApacheRecommend(*query) : MethodNotAllowed(method, path, "GET");
  }
  return JsonError(404, absl::StrCat("no such resource: ", path));
}

}  // namespace eventmesh::runtime::admin
