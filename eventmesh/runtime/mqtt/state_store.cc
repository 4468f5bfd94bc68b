#include "eventmesh/runtime/mqtt/state_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/json/json.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace eventmesh::runtime::mqtt {
namespace {

absl::Status MakeDirs(const std::string& dir) {
  std::string path;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || (dir[i] == '/' && i > 0)) {
      path = dir.substr(0, i);
      if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
        return absl::InternalError(
            absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot fsync ", tmp, ": ", std::strerror(err)));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// The file's text; "" when it does not exist.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::DataLossError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool Expired(const PersistedSession& s, int64_t now_ms) {
  if (s.disconnected_ms == 0 || s.expiry_s >= 0xFFFFFFFFLL) return false;
  return now_ms >= s.disconnected_ms + s.expiry_s * 1000;
}

}  // namespace

absl::Status StateStore::Load() {
  if (absl::Status s = MakeDirs(dir_); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  const std::string sessions_path = dir_ + "/sessions.json";
  auto text = ReadFile(sessions_path);
  if (!text.ok()) return text.status();
  if (!text->empty()) {
    auto doc = json::ParseJson(*text, sessions_path);
    if (!doc.ok()) return absl::DataLossError(doc.status().message());
    if (!doc->IsObject() || !doc->HasMember("sessions") || !(*doc)["sessions"].IsObject()) {
      return absl::DataLossError(absl::StrCat(sessions_path, ": expected {\"sessions\": {...}}"));
    }
    for (auto& member : (*doc)["sessions"].GetObject()) {
      const rapidjson::Value& v = member.value;
      if (!v.IsObject()) return absl::DataLossError(absl::StrCat(sessions_path, ": bad session"));
      PersistedSession session;
      session.expiry_s = json::GetInt64(v, "expiry").value_or(0);
      session.disconnected_ms = json::GetInt64(v, "disconnectedMs").value_or(0);
      if (v.HasMember("subscriptions") && v["subscriptions"].IsArray()) {
        for (const auto& sub : v["subscriptions"].GetArray()) {
          auto filter = json::GetString(sub, "filter");
          if (!filter) return absl::DataLossError(absl::StrCat(sessions_path, ": bad filter"));
          session.subscriptions.push_back(
              {std::string(*filter),
               static_cast<uint8_t>(json::GetInt64(sub, "qos").value_or(0) > 0 ? 1 : 0)});
        }
      }
      if (v.HasMember("topics") && v["topics"].IsArray()) {
        for (const auto& topic : v["topics"].GetArray()) {
          if (topic.IsString()) session.topics.emplace_back(topic.GetString());
        }
      }
      sessions_[member.name.GetString()] = std::move(session);
    }
  }
  const std::string retained_path = dir_ + "/retained.json";
  text = ReadFile(retained_path);
  if (!text.ok()) return text.status();
  if (!text->empty()) {
    auto doc = json::ParseJson(*text, retained_path);
    if (!doc.ok()) return absl::DataLossError(doc.status().message());
    if (!doc->IsObject() || !doc->HasMember("retained") || !(*doc)["retained"].IsArray()) {
      return absl::DataLossError(absl::StrCat(retained_path, ": expected {\"retained\": [...]}"));
    }
    for (const auto& item : (*doc)["retained"].GetArray()) {
      if (!item.IsObject() || !item.HasMember("event")) {
        return absl::DataLossError(absl::StrCat(retained_path, ": bad entry"));
      }
      auto event = cloudevents::JsonValueToEvent(item["event"]);
      if (!event.ok()) {
        return absl::DataLossError(absl::StrCat(retained_path, ": ", event.status().message()));
      }
      RetainedMessage message;
      message.qos = json::GetInt64(item, "qos").value_or(0) > 0 ? 1 : 0;
      message.event = *std::move(event);
      const std::string topic = message.event.subject().value_or("");
      retained_[topic] = std::move(message);
    }
  }
  return absl::OkStatus();
}

std::optional<PersistedSession> StateStore::FindSession(const std::string& client_id,
                                                        int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(client_id);
  if (it == sessions_.end()) return std::nullopt;
  if (Expired(it->second, now_ms)) {
    sessions_.erase(it);
    (void)WriteSessionsLocked();
    return std::nullopt;
  }
  return it->second;
}

absl::Status StateStore::PutSession(const std::string& client_id, const PersistedSession& session) {
  absl::MutexLock lock(&mu_);
  sessions_[client_id] = session;
  return WriteSessionsLocked();
}

absl::Status StateStore::RemoveSession(const std::string& client_id) {
  absl::MutexLock lock(&mu_);
  if (sessions_.erase(client_id) == 0) return absl::OkStatus();
  return WriteSessionsLocked();
}

std::vector<std::string> StateStore::ExpireSessions(int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> expired;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (Expired(it->second, now_ms)) {
      expired.push_back(it->first);
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  if (!expired.empty()) (void)WriteSessionsLocked();
  return expired;
}

size_t StateStore::session_count() {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

absl::Status StateStore::Retain(const std::string& topic, const RetainedMessage& message,
                                bool clear) {
  absl::MutexLock lock(&mu_);
  if (clear) {
    if (retained_.erase(topic) == 0) return absl::OkStatus();
  } else {
    retained_[topic] = message;
  }
  return WriteRetainedLocked();
}

absl::Status StateStore::WriteSessionsLocked() {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("sessions");
  w.StartObject();
  for (const auto& [client_id, session] : sessions_) {
    w.Key(client_id.data(), static_cast<rapidjson::SizeType>(client_id.size()));
    w.StartObject();
    w.Key("expiry");
    w.Int64(session.expiry_s);
    w.Key("disconnectedMs");
    w.Int64(session.disconnected_ms);
    w.Key("subscriptions");
    w.StartArray();
    for (const auto& sub : session.subscriptions) {
      w.StartObject();
      w.Key("filter");
      w.String(sub.filter.data(), static_cast<rapidjson::SizeType>(sub.filter.size()));
      w.Key("qos");
      w.Int(sub.qos);
      w.EndObject();
    }
    w.EndArray();
    w.Key("topics");
    w.StartArray();
    for (const auto& topic : session.topics) {
      w.String(topic.data(), static_cast<rapidjson::SizeType>(topic.size()));
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return WriteFileAtomically(dir_ + "/sessions.json", buffer.GetString());
}

absl::Status StateStore::WriteRetainedLocked() {
  std::string out = "{\"retained\":[";
  bool first = true;
  for (const auto& [topic, message] : retained_) {
    if (!first) out += ",";
    first = false;
    absl::StrAppend(&out, "{\"qos\":", message.qos, ",\"event\":");
    cloudevents::AppendJsonEvent(message.event, &out);
    out += "}";
  }
  out += "]}";
  return WriteFileAtomically(dir_ + "/retained.json", out);
}

}  // namespace eventmesh::runtime::mqtt
