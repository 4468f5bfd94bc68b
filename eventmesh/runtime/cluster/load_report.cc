#include "eventmesh/runtime/cluster/load_report.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::runtime::cluster {
namespace {

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("load report: ", what));
}

}  // namespace

std::string LoadReport::ToJson() const {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  std::map<std::string, int64_t> totals;
  std::map<std::string, std::map<std::string, int64_t>> groups;
  for (const auto& [pool, count] : load.sessions) {
    totals[pool.purpose] += count;
    groups[pool.group][pool.purpose] += count;
  }
  w.StartObject();
  json::WriteKey(w, "runtimeId");
  json::WriteString(w, load.runtime_id);
  json::WriteKey(w, "ip");
  json::WriteString(w, load.ip);
  json::WriteKey(w, "port");
  w.Int(load.port);
  json::WriteKey(w, "timestamp");
  w.Int64(timestamp_ms);
  json::WriteKey(w, "intervalMs");
  w.Int64(interval_ms);
  json::WriteKey(w, "leaving");
  w.Bool(leaving);
  json::WriteKey(w, "sessions");
  w.StartObject();
  for (const char* purpose : {kPurposePub, kPurposeSub}) {
    json::WriteKey(w, purpose);
    w.Int64(totals[purpose]);
  }
  w.EndObject();
  json::WriteKey(w, "groups");
  w.StartObject();
  for (const auto& [group, counts] : groups) {
    json::WriteKey(w, group);
    w.StartObject();
    for (const auto& [purpose, count] : counts) {
      json::WriteKey(w, purpose);
      w.Int64(count);
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<LoadReport> LoadReport::FromJson(absl::string_view text) {
  auto parsed = json::ParseJson(text, "load report");
  if (!parsed.ok()) return parsed.status();
  const rapidjson::Document& doc = *parsed;
  if (!doc.IsObject()) return Invalid("not a JSON object");
  LoadReport report;
  auto id = json::GetString(doc, "runtimeId");
  if (!id.has_value() || id->empty()) return Invalid("missing runtimeId");
  report.load.runtime_id = std::string(*id);
  auto ip = json::GetString(doc, "ip");
  if (!ip.has_value() || ip->empty()) return Invalid("missing ip");
  report.load.ip = std::string(*ip);
  auto port = json::GetInt64(doc, "port");
  if (!port.has_value() || *port <= 0 || *port > 65535) return Invalid("missing or invalid port");
  report.load.port = static_cast<int>(*port);
  report.timestamp_ms = json::GetInt64(doc, "timestamp").value_or(0);
  report.interval_ms = json::GetInt64(doc, "intervalMs").value_or(0);
  if (report.interval_ms < 0 || report.interval_ms > kMaxReportIntervalMs) {
    return Invalid(absl::StrCat("\"intervalMs\" ", report.interval_ms, " is out of range 0..",
                                kMaxReportIntervalMs));
  }
  if (auto it = doc.FindMember("leaving"); it != doc.MemberEnd() && it->value.IsBool()) {
    report.leaving = it->value.GetBool();
  }
  if (auto it = doc.FindMember("groups"); it != doc.MemberEnd()) {
    if (!it->value.IsObject()) return Invalid("\"groups\" is not an object");
    for (const auto& group : it->value.GetObject()) {
      if (!group.value.IsObject()) {
        return Invalid(
            absl::StrCat("group \"", json::ToStringView(group.name), "\" is not an object"));
      }
      for (const auto& purpose : group.value.GetObject()) {
        if (!purpose.value.IsInt64() || purpose.value.GetInt64() < 0 ||
            purpose.value.GetInt64() > kMaxReportedSessions) {
          return Invalid(absl::StrCat("group \"", json::ToStringView(group.name), "\" purpose \"",
                                      json::ToStringView(purpose.name),
                                      "\": expected an integer from 0 to ", kMaxReportedSessions));
        }
        if (purpose.value.GetInt64() == 0) continue;
        PoolKey pool{std::string(json::ToStringView(group.name)),
                     std::string(json::ToStringView(purpose.name))};
        report.load.sessions[std::move(pool)] = purpose.value.GetInt64();
      }
    }
  }
  return report;
}

cloudevents::CloudEvent LoadReport::ToCloudEvent(int64_t sequence) const {
  cloudevents::CloudEvent event;
  event.set_id(absl::StrCat(load.runtime_id, "-", sequence));
  event.set_source(absl::StrCat("/eventmesh/runtime/", load.runtime_id));
  event.set_type(kLoadReportType);
  event.set_subject(kLoadTopic);
  event.set_data_content_type("application/json");
  event.set_data(ToJson(), cloudevents::DataEncoding::kJson);
  return event;
}

absl::StatusOr<LoadReport> LoadReport::FromCloudEvent(const cloudevents::CloudEvent& event) {
  if (event.type() != kLoadReportType) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a load report: type \"", event.type(), "\""));
  }
  return FromJson(event.data());
}

}  // namespace eventmesh::runtime::cluster
