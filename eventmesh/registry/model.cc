#include "eventmesh/registry/model.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::registry {

namespace {

constexpr size_t kMaxTopicUses = 10'000;
constexpr size_t kMaxEndpoints = 16;
constexpr size_t kMaxMetadata = 64;

bool KnownProtocol(absl::string_view p) {
  return p == "tcp" || p == "http" || p == "grpc" || p == "mqtt" || p == "admin";
}

// Reads a typed member; a member of the wrong type is an error naming `path`.
class Reader {
 public:
  explicit Reader(absl::Status* status) : status_(status) {}

  void String(const rapidjson::Value& obj, const char* key, absl::string_view path,
              std::string* out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsString()) return Fail(path, "a string");
    *out = std::string(json::ToStringView(it->value));
  }
  void Int(const rapidjson::Value& obj, const char* key, absl::string_view path, int64_t* out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsInt64()) return Fail(path, "an integer");
    *out = it->value.GetInt64();
  }
  void Double(const rapidjson::Value& obj, const char* key, absl::string_view path, double* out) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsNumber()) return Fail(path, "a number");
    *out = it->value.GetDouble();
  }
  const rapidjson::Value* Array(const rapidjson::Value& obj, const char* key,
                                absl::string_view path) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
    if (!it->value.IsArray()) {
      Fail(path, "an array");
      return nullptr;
    }
    return &it->value;
  }
  const rapidjson::Value* Object(const rapidjson::Value& obj, const char* key,
                                 absl::string_view path) {
    auto it = obj.FindMember(key);
    if (it == obj.MemberEnd() || it->value.IsNull()) return nullptr;
    if (!it->value.IsObject()) {
      Fail(path, "an object");
      return nullptr;
    }
    return &it->value;
  }
  void Fail(absl::string_view path, absl::string_view expected) {
    if (status_->ok()) {
      *status_ = absl::InvalidArgumentError(absl::StrCat(path, " must be ", expected));
    }
  }

 private:
  absl::Status* status_;
};

}  // namespace

const Endpoint* Instance::FindEndpoint(absl::string_view protocol) const {
  for (const Endpoint& e : endpoints) {
    if (e.protocol == protocol) return &e;
  }
  return nullptr;
}

bool Instance::SameReport(const Instance& o) const {
  return mesh == o.mesh && id == o.id && idc == o.idc && version == o.version &&
         endpoints == o.endpoints && load == o.load && topics == o.topics && metadata == o.metadata;
}

absl::Status ValidateName(absl::string_view name, absl::string_view what) {
  if (name.empty() || name.size() > 128) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1..128 characters, got ", name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", name, "' may contain only letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status Validate(const Instance& instance) {
  if (auto s = ValidateName(instance.mesh, "mesh"); !s.ok()) return s;
  if (auto s = ValidateName(instance.id, "instance id"); !s.ok()) return s;
  if (instance.idc.size() > 128) return absl::InvalidArgumentError("idc is longer than 128");
  if (instance.endpoints.empty()) {
    return absl::InvalidArgumentError("at least one endpoint is required");
  }
  if (instance.endpoints.size() > kMaxEndpoints) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxEndpoints, " endpoints"));
  }
  for (size_t i = 0; i < instance.endpoints.size(); ++i) {
    const Endpoint& e = instance.endpoints[i];
    const std::string at = absl::StrCat("endpoints[", i, "]");
    if (!KnownProtocol(e.protocol)) {
      return absl::InvalidArgumentError(absl::StrCat(
          at, ".protocol must be tcp, http, grpc, mqtt or admin, got '", e.protocol, "'"));
    }
    if (e.host.empty() || e.host.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".host must be 1..255 characters"));
    }
    if (e.port < 1 || e.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".port must be in 1..65535, got ", e.port));
    }
  }
  if (instance.topics.size() > kMaxTopicUses) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxTopicUses, " topic uses, got ", instance.topics.size()));
  }
  for (size_t i = 0; i < instance.topics.size(); ++i) {
    const TopicUse& t = instance.topics[i];
    const std::string at = absl::StrCat("topics[", i, "]");
    if (t.topic.empty() || t.topic.size() > 255) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".topic must be 1..255 characters"));
    }
    if (t.role != "pub" && t.role != "sub") {
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".role must be pub or sub, got '", t.role, "'"));
    }
    if (t.role == "sub" && t.group.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(at, ".group is required for role sub"));
    }
  }
  if (instance.metadata.size() > kMaxMetadata) {
    return absl::InvalidArgumentError(absl::StrCat("at most ", kMaxMetadata, " metadata entries"));
  }
  if (instance.load.clients < 0) return absl::InvalidArgumentError("load.clients is negative");
  return absl::OkStatus();
}

void AppendJson(const Instance& in, std::string* out) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "mesh");
  json::WriteString(w, in.mesh);
  json::WriteKey(w, "id");
  json::WriteString(w, in.id);
  json::WriteKey(w, "idc");
  json::WriteString(w, in.idc);
  json::WriteKey(w, "version");
  json::WriteString(w, in.version);
  json::WriteKey(w, "endpoints");
  w.StartArray();
  for (const Endpoint& e : in.endpoints) {
    w.StartObject();
    json::WriteKey(w, "protocol");
    json::WriteString(w, e.protocol);
    json::WriteKey(w, "host");
    json::WriteString(w, e.host);
    json::WriteKey(w, "port");
    w.Int(e.port);
    w.EndObject();
  }
  w.EndArray();
  json::WriteKey(w, "load");
  w.StartObject();
  json::WriteKey(w, "clients");
  w.Int64(in.load.clients);
  json::WriteKey(w, "publishRate");
  w.Double(in.load.publish_rate);
  json::WriteKey(w, "deliveryRate");
  w.Double(in.load.delivery_rate);
  w.EndObject();
  json::WriteKey(w, "topics");
  w.StartArray();
  for (const TopicUse& t : in.topics) {
    w.StartObject();
    json::WriteKey(w, "topic");
    json::WriteString(w, t.topic);
    json::WriteKey(w, "role");
    json::WriteString(w, t.role);
    if (!t.group.empty()) {
      json::WriteKey(w, "group");
      json::WriteString(w, t.group);
    }
    w.EndObject();
  }
  w.EndArray();
  json::WriteKey(w, "metadata");
  w.StartObject();
  for (const auto& [k, v] : in.metadata) {
    json::WriteKey(w, k);
    json::WriteString(w, v);
  }
  w.EndObject();
  if (in.lease_ttl_ms > 0) {
    json::WriteKey(w, "leaseTtlMs");
    w.Int64(in.lease_ttl_ms);
  }
  if (in.modify_index > 0) {
    json::WriteKey(w, "modifyIndex");
    w.Uint64(in.modify_index);
  }
  w.EndObject();
  out->append(buffer.GetString(), buffer.GetSize());
}

std::string ToJson(const Instance& instance) {
  std::string out;
  AppendJson(instance, &out);
  return out;
}

absl::StatusOr<Instance> InstanceFromJson(absl::string_view text) {
  auto doc = json::ParseJson(text, "instance", kMaxInstanceJsonValues);
  if (!doc.ok()) return doc.status();
  return InstanceFromValue(*doc);
}

absl::StatusOr<Instance> InstanceFromValue(const rapidjson::Value& value) {
  const rapidjson::Value* doc = &value;
  if (!doc->IsObject()) return absl::InvalidArgumentError("instance must be a JSON object");
  absl::Status status;
  Reader r(&status);
  Instance in;
  r.String(*doc, "mesh", "mesh", &in.mesh);
  r.String(*doc, "id", "id", &in.id);
  r.String(*doc, "idc", "idc", &in.idc);
  r.String(*doc, "version", "version", &in.version);
  if (const auto* arr = r.Array(*doc, "endpoints", "endpoints")) {
    for (rapidjson::SizeType i = 0; i < arr->Size() && status.ok(); ++i) {
      const std::string at = absl::StrCat("endpoints[", i, "]");
      if (!(*arr)[i].IsObject()) {
        r.Fail(at, "an object");
        break;
      }
      Endpoint e;
      int64_t port = 0;
      r.String((*arr)[i], "protocol", at + ".protocol", &e.protocol);
      r.String((*arr)[i], "host", at + ".host", &e.host);
      r.Int((*arr)[i], "port", at + ".port", &port);
      e.port = port < 0 || port > 1'000'000 ? -1 : static_cast<int>(port);
      in.endpoints.push_back(std::move(e));
    }
  }
  if (const auto* load = r.Object(*doc, "load", "load")) {
    r.Int(*load, "clients", "load.clients", &in.load.clients);
    r.Double(*load, "publishRate", "load.publishRate", &in.load.publish_rate);
    r.Double(*load, "deliveryRate", "load.deliveryRate", &in.load.delivery_rate);
  }
  if (const auto* arr = r.Array(*doc, "topics", "topics")) {
    if (arr->Size() > kMaxTopicUses) {
      return absl::InvalidArgumentError(
          absl::StrCat("at most ", kMaxTopicUses, " topic uses, got ", arr->Size()));
    }
    for (rapidjson::SizeType i = 0; i < arr->Size() && status.ok(); ++i) {
      const std::string at = absl::StrCat("topics[", i, "]");
      if (!(*arr)[i].IsObject()) {
        r.Fail(at, "an object");
        break;
      }
      TopicUse t;
      r.String((*arr)[i], "topic", at + ".topic", &t.topic);
      r.String((*arr)[i], "role", at + ".role", &t.role);
      r.String((*arr)[i], "group", at + ".group", &t.group);
      in.topics.push_back(std::move(t));
    }
  }
  if (const auto* meta = r.Object(*doc, "metadata", "metadata")) {
    for (auto it = meta->MemberBegin(); it != meta->MemberEnd() && status.ok(); ++it) {
      const std::string key(json::ToStringView(it->name));
      if (!it->value.IsString()) {
        r.Fail(absl::StrCat("metadata.", key), "a string");
        break;
      }
      in.metadata[key] = std::string(json::ToStringView(it->value));
    }
  }
  r.Int(*doc, "leaseTtlMs", "leaseTtlMs", &in.lease_ttl_ms);
  int64_t index = 0;
  r.Int(*doc, "modifyIndex", "modifyIndex", &index);
  in.modify_index = index > 0 ? static_cast<uint64_t>(index) : 0;
  if (!status.ok()) return status;
  return in;
}

std::vector<Instance> OrderForClient(std::vector<Instance> instances, absl::string_view idc) {
  std::stable_sort(instances.begin(), instances.end(), [&](const Instance& a, const Instance& b) {
    const bool a_local = !idc.empty() && a.idc == idc;
    const bool b_local = !idc.empty() && b.idc == idc;
    return std::make_tuple(!a_local, a.load.clients, a.id) <
           std::make_tuple(!b_local, b.load.clients, b.id);
  });
  return instances;
}

std::vector<Route> RoutesOf(const std::vector<Instance>& instances, absl::string_view topic) {
  std::map<std::string, std::set<std::string>> producers;
  std::map<std::string, std::map<std::string, std::set<std::string>>> consumers;
  for (const Instance& in : instances) {
    for (const TopicUse& t : in.topics) {
      if (!topic.empty() && t.topic != topic) continue;
      if (t.role == "pub") {
        producers[t.topic].insert(in.mesh);
      } else {
        consumers[t.topic][in.mesh].insert(t.group);
      }
    }
  }
  std::set<std::string> topics;
  for (const auto& [t, _] : producers) topics.insert(t);
  for (const auto& [t, _] : consumers) topics.insert(t);
  std::vector<Route> routes;
  for (const std::string& t : topics) {
    Route route;
    route.topic = t;
    if (auto it = producers.find(t); it != producers.end()) {
      route.producers.assign(it->second.begin(), it->second.end());
    }
    if (auto it = consumers.find(t); it != consumers.end()) {
      for (const auto& [mesh, groups] : it->second) {
        route.consumers.push_back({mesh, std::vector<std::string>(groups.begin(), groups.end())});
      }
    }
    routes.push_back(std::move(route));
  }
  return routes;
}

std::string RoutesToJson(const std::vector<Route>& routes) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartArray();
  for (const Route& r : routes) {
    w.StartObject();
    json::WriteKey(w, "topic");
    json::WriteString(w, r.topic);
    json::WriteKey(w, "producers");
    w.StartArray();
    for (const auto& m : r.producers) json::WriteString(w, m);
    w.EndArray();
    json::WriteKey(w, "consumers");
    w.StartArray();
    for (const auto& c : r.consumers) {
      w.StartObject();
      json::WriteKey(w, "mesh");
      json::WriteString(w, c.mesh);
      json::WriteKey(w, "groups");
      w.StartArray();
      for (const auto& g : c.groups) json::WriteString(w, g);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace eventmesh::registry
