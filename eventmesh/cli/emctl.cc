#include "eventmesh/cli/emctl.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/cli/admin_client.h"
#include "eventmesh/cli/bench.h"
#include "eventmesh/cli/messaging.h"
#include "eventmesh/cli/table.h"
#include "eventmesh/protocol/json/json.h"

namespace eventmesh::cli {

const char kEmctlUsage[] = R"(usage: emctl [global flags] <command> [arguments] [flags]

Global flags (also after the command):
  --admin=HOST:PORT|URL   the runtime's admin port (env EMCTL_ADMIN; default 127.0.0.1:10106)
  --token=TOKEN           eventMesh.server.admin.token (env EMCTL_TOKEN); for pub, sub, request
                          and bench: the runtime's access token (ACL)
  --ca-file=PEM           CA bundle for an https:// admin or runtime address (and --tls)
  --json, --output=json   JSON instead of tables: the admin API's answer, or one object per
                          event or result
  --timeout=DURATION      per request (default 30s; pub 10s; request: the reply's wait, 10s;
                          sub: stop after it)

Messaging (over the runtime's TCP or HTTP port, with the C++ SDK):
  pub <topic> [data] [--count=N]            publish data N times ({{n}} in it = 1..N), or each
                                            line of stdin; waits for each acknowledgement
  sub <topic>... [--count=N] [--mode=clustering|broadcasting] [--ack=false]
                                            print events as they arrive until Ctrl-C, --count
                                            or --timeout; each printed event is acknowledged
                                            (--ack=false: not, so it is delivered again)
                                            http: [--listen=HOST:PORT] [--advertise=HOST] for
                                            the webhook this process serves
  request <topic> [data]                    send a request, wait for the reply, print it
  bench [topic] [--rate=N] [--duration=5s] [--warmup=1s] [--drain=10s] [--publishers=1]
        [--subscribers=1] [--size=256] [--mode=...] [--max-in-flight=90]
                                            a load run (tools/loadgen): rates, latency
                                            p50/p99/p99.9, lost events (tcp or grpc)
  Their flags:
  --protocol=tcp|http     (bench: tcp|grpc) default tcp
  --server=HOST:PORT      the runtime (env EMCTL_SERVER; default 127.0.0.1:10000 for tcp,
                          10105 for http, 10205 for grpc); http also takes an http(s):// URL
  --registry=HOST:PORT[,...] [--mesh=LS] [--idc=IDC] [--registry-type=eventmesh|etcd]
                          instead of --server: a runtime of the mesh, found in the registry
  --group=G               producer or consumer group (default emctl-publishers, emctl,
                          emctl-requesters)
  --user=U --password=P   login, or --token=T
  --tls                   TLS to the TCP port (trusting --ca-file)
  --type=T --source=S --id=I   send a CloudEvent with these attributes (its subject is the
                          topic) instead of an EventMesh message
  --property KEY=VALUE    a message property / CloudEvent extension (repeatable)

Admin commands (over the admin port):
  status                                    runtime info, health, readiness, sessions, counts
  topics list
  topics describe <topic>                   partitions with earliest and end offsets
  topics create <topic> [--partitions=N] [--retention=DURATION|none] [--retention-bytes=N|none]
  topics delete <topic>
  groups list                               groups with a subscriber here, with their lag
  groups describe <group>                   members, committed offsets and lag per partition
  groups reset <group> --topic=T --to=earliest|latest|offset=N|time=WHEN
                                            replay or skip (the group's subscribers must be
                                            gone); WHEN: RFC 3339 (2026-12-03T10:00:00Z),
                                            milliseconds since the epoch, or -DURATION (-15m)
  clients list [--protocol=tcp|http] [--group=G]
  clients reject  [--id=ID] [--address=IP[:PORT]] [--subsystem=S] [--group=G] [--path=P]
  clients redirect --to=HOST:PORT [same filters]
  events read <topic> [--partition=P] [--from=OFFSET] [--count=N]
  dlq list                                  dead-letter topics (<group>.DLQ)
  dlq republish <group>.DLQ --offset=O [--partition=P] [--count=N]
                                            publish dead letters again to their original topic

Exit status: 0 done, 1 the runtime refused or could not be reached, 2 bad usage.
)";

namespace {

constexpr int kOk = kExitOk;
constexpr int kFailed = kExitFailed;
constexpr int kUsage = kExitUsage;

std::string UrlEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string JsonText(absl::string_view s) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  json::WriteString(w, s);
  return buffer.GetString();
}

std::string Str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject() || !obj.HasMember(key)) return "";
  const auto& v = obj[key];
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsNull()) return "-";
  return json::ToJsonString(v);
}

// One command run: its flags, the API client and the streams.
class Command {
 public:
  Command(ParsedArgs parsed, AdminClient* client, std::ostream& out, std::ostream& err)
      : p_(std::move(parsed)), client_(client), out_(out), err_(err) {}

  int Run() {
    const std::vector<std::string>& a = p_.positional;
    const std::string noun = a.empty() ? "" : a[0];
    const std::string verb = a.size() > 1 ? a[1] : "";
    if (noun == "status") return Status();
    if (noun == "topics" && verb == "list") return TopicsList();
    if (noun == "topics" && verb == "describe") return TopicsDescribe();
    if (noun == "topics" && verb == "create") return TopicsCreate();
    if (noun == "topics" && verb == "delete") return TopicsDelete();
    if (noun == "groups" && verb == "list") return GroupsList();
    if (noun == "groups" && verb == "describe") return GroupsDescribe();
    if (noun == "groups" && verb == "reset") return GroupsReset();
    if (noun == "clients" && verb == "list") return ClientsList();
    if (noun == "clients" && (verb == "reject" || verb == "redirect")) return ClientsAct(verb);
    if (noun == "events" && verb == "read") return EventsRead();
    if (noun == "dlq" && verb == "list") return DlqList();
    if (noun == "dlq" && verb == "republish") return DlqRepublish();
    if (noun.empty()) {
      err_ << kEmctlUsage;
      return kUsage;
    }
    const std::set<std::string> nouns = {"topics", "groups", "clients", "events", "dlq"};
    if (nouns.count(noun) > 0) {
      return Usage(verb.empty() ? absl::StrCat("\"", noun, "\" needs a subcommand")
                                : absl::StrCat("unknown subcommand \"", noun, " ", verb, "\""));
    }
    return Usage(absl::StrCat("unknown command \"", noun, "\""));
  }

 private:
  int Usage(const std::string& message) { return cli::Usage(err_, message); }
  int Fail(const absl::Status& status) { return cli::Fail(err_, std::string(status.message())); }
  bool json() const { return p_.JsonOutput(); }

  // The positional argument `index` (after noun and verb), or a usage error naming `what`.
  std::optional<std::string> Arg(size_t index, const std::string& what) {
    if (p_.positional.size() <= index + 2) return std::nullopt;
    return p_.positional[index + 2];
  }
  int MissingArg(const std::string& what) {
    return Usage(absl::StrCat(p_.positional[0], " ", p_.positional[1], " needs ", what));
  }
  int TooManyArgs(size_t allowed) {
    if (p_.positional.size() > allowed + 2) {
      return Usage(absl::StrCat("unexpected argument \"", p_.positional[allowed + 2], "\""));
    }
    return kOk;
  }
  // An integer flag in [min, max]; nullopt when absent; a usage error sets *bad.
  std::optional<int64_t> IntFlag(const std::string& name, int64_t min, int64_t max, int* bad) {
    auto value = p_.Get(name);
    if (!value.has_value()) return std::nullopt;
    int64_t n = 0;
    if (!absl::SimpleAtoi(*value, &n) || n < min || n > max) {
      *bad = Usage(absl::StrCat("--", name, " must be an integer in [", min, ", ", max, "], not \"",
                                *value, "\""));
      return std::nullopt;
    }
    return n;
  }

  absl::StatusOr<rapidjson::Document> GetJson(const std::string& path) {
    auto body = client_->Call("GET", path);
    if (!body.ok()) return body.status();
    last_body_ = *body;
    return json::ParseJson(*body, "admin API answer");
  }
  // Prints the raw JSON answer of the last call (with --json).
  int PrintJson() {
    out_ << last_body_ << "\n";
    return kOk;
  }

  int Status() {
    if (p_.positional.size() > 1) {
      return Usage(absl::StrCat("unexpected argument \"", p_.positional[1], "\""));
    }
    auto info = GetJson("/v1/info");
    if (!info.ok()) return Fail(info.status());
    const std::string info_body = last_body_;
    auto ready = client_->Call("GET", "/ready");
    auto metrics = client_->Call("GET", "/metrics");
    if (!metrics.ok()) return Fail(metrics.status());
    // Sessions and a few totals from the metrics page.
    std::map<std::string, double> sessions;
    double published = 0, delivered = 0, dead = 0, unacked = 0, lag = 0;
    for (absl::string_view line : absl::StrSplit(*metrics, '\n')) {
      if (line.empty() || line[0] == '#') continue;
      const size_t space = line.rfind(' ');
      if (space == absl::string_view::npos) continue;
      double value = 0;
      if (!absl::SimpleAtod(line.substr(space + 1), &value)) continue;
      const absl::string_view series = line.substr(0, space);
      if (absl::StartsWith(series, "eventmesh_sessions{protocol=\"")) {
        const absl::string_view rest = series.substr(29);
        sessions[std::string(rest.substr(0, rest.find('"')))] = value;
      } else if (absl::StartsWith(series, "eventmesh_publish_total{") &&
                 absl::StrContains(series, "result=\"ok\"")) {
        published += value;
      } else if (series == "eventmesh_delivery_pushes_total") {
        delivered = value;
      } else if (series == "eventmesh_delivery_dead_letters_total") {
        dead = value;
      } else if (series == "eventmesh_delivery_unacked") {
        unacked = value;
      } else if (absl::StartsWith(series, "eventmesh_consumer_group_lag{")) {
        lag += value;
      }
    }
    if (json()) {
      out_ << "{\"info\":" << info_body << ",\"ready\":" << (ready.ok() ? "true" : "false")
           << ",\"sessions\":{";
      bool first = true;
      for (const auto& [protocol, n] : sessions) {
        out_ << (first ? "" : ",") << JsonText(protocol) << ":" << n;
        first = false;
      }
      out_ << "},\"published\":" << published << ",\"delivered\":" << delivered
           << ",\"deadLettered\":" << dead << ",\"unacked\":" << unacked << ",\"lag\":" << lag
           << "}\n";
      return kOk;
    }
    std::vector<std::string> protocols;
    for (const auto& [protocol, n] : sessions) {
      protocols.push_back(absl::StrCat(protocol, "=", n));
    }
    Table t({"FIELD", "VALUE"});
    t.AddRow({"admin", client_->base_url()});
    t.AddRow({"version", Str(*info, "version")});
    t.AddRow({"runtime id", Str(*info, "runtimeId")});
    t.AddRow({"connector", Str(*info, "connector")});
    t.AddRow({"cluster / idc", absl::StrCat(Str(*info, "cluster"), " / ", Str(*info, "idc"))});
    t.AddRow({"ready", ready.ok() ? "yes" : absl::StrCat("no (", ready.status().message(), ")")});
    t.AddRow({"sessions", protocols.empty() ? "-" : absl::StrJoin(protocols, " ")});
    t.AddRow({"published (durable)", absl::StrCat(published)});
    t.AddRow({"delivered (pushes)", absl::StrCat(delivered)});
    t.AddRow({"dead-lettered", absl::StrCat(dead)});
    t.AddRow({"unacked now", absl::StrCat(unacked)});
    t.AddRow({"consumer lag", absl::StrCat(lag)});
    t.Print(out_, "");
    return kOk;
  }

  static std::string EndOffsets(const rapidjson::Value& topic) {
    std::vector<std::string> parts;
    for (const auto& p : topic["partitions"].GetArray()) {
      parts.push_back(absl::StrCat(p["partition"].GetInt(), ":", p["endOffset"].GetInt64()));
    }
    return absl::StrJoin(parts, " ");
  }

  int TopicsList() {
    if (int bad = TooManyArgs(0); bad != kOk) return bad;
    auto topics = GetJson("/v1/topics");
    if (!topics.ok()) return Fail(topics.status());
    if (json()) return PrintJson();
    Table t({"TOPIC", "PARTITIONS#", "EVENTS#", "END OFFSETS (partition:offset)"}, 200);
    for (const auto& topic : topics->GetArray()) {
      t.AddRow({Str(topic, "name"), absl::StrCat(topic["partitions"].Size()),
                Str(topic, "messageCount"), EndOffsets(topic)});
    }
    t.Print(out_, "no topics");
    return kOk;
  }

  int TopicsDescribe() {
    auto name = Arg(0, "a topic");
    if (!name.has_value()) return MissingArg("a topic name");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    auto topic = GetJson(absl::StrCat("/v1/topics/", UrlEncode(*name)));
    if (!topic.ok()) return Fail(topic.status());
    if (json()) return PrintJson();
    out_ << "topic " << *name << ": " << (*topic)["partitions"].Size() << " partition(s), "
         << Str(*topic, "messageCount") << " event(s) retained";
    if (topic->HasMember("retentionMs") && (*topic)["retentionMs"].IsInt64()) {
      const int64_t ms = (*topic)["retentionMs"].GetInt64();
      const int64_t bytes = (*topic)["retentionBytes"].GetInt64();
      out_ << "; retention "
           << (ms < 0 ? std::string("no age limit") : absl::FormatDuration(absl::Milliseconds(ms)))
           << ", " << (bytes < 0 ? std::string("no size limit") : absl::StrCat(bytes, " bytes"))
           << " per partition";
    }
    out_ << "\n";
    Table t({"PARTITION#", "EARLIEST#", "END#", "EVENTS#", "BYTES#"});
    for (const auto& p : (*topic)["partitions"].GetArray()) {
      t.AddRow({Str(p, "partition"), Str(p, "earliestOffset"), Str(p, "endOffset"),
                absl::StrCat(p["endOffset"].GetInt64() - p["earliestOffset"].GetInt64()),
                p.HasMember("bytes") ? Str(p, "bytes") : std::string("-")});
    }
    t.Print(out_, "no partitions");
    return kOk;
  }

  int TopicsCreate() {
    auto name = Arg(0, "a topic");
    if (!name.has_value()) return MissingArg("a topic name");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    int bad = kOk;
    auto partitions = IntFlag("partitions", 1, 4096, &bad);
    if (bad != kOk) return bad;
    std::string body = absl::StrCat("{\"name\":", JsonText(*name));
    if (partitions.has_value()) absl::StrAppend(&body, ",\"partitions\":", *partitions);
    // --retention=7d|12h|none, --retention-bytes=N|none ("none" = no limit).
    if (auto retention = p_.Get("retention"); retention.has_value()) {
      absl::Duration age;
      std::string text = *retention;
      if (absl::EndsWith(text, "d")) {  // days, which absl::ParseDuration does not take
        int64_t days = 0;
        if (absl::SimpleAtoi(text.substr(0, text.size() - 1), &days)) {
          text = absl::StrCat(days * 24, "h");
        }
      }
      if (*retention == "none") {
        body += ",\"retentionMs\":-1";
      } else if (absl::ParseDuration(text, &age) && age >= absl::Milliseconds(1)) {
        absl::StrAppend(&body, ",\"retentionMs\":", absl::ToInt64Milliseconds(age));
      } else {
        return Usage(absl::StrCat(
            "--retention must be a duration such as 7d or 12h, or none, not \"", *retention, "\""));
      }
    }
    if (auto bytes = p_.Get("retention-bytes"); bytes.has_value() && *bytes == "none") {
      body += ",\"retentionBytes\":-1";
    } else {
      auto limit = IntFlag("retention-bytes", 1, INT64_MAX, &bad);
      if (bad != kOk) return bad;
      if (limit.has_value()) absl::StrAppend(&body, ",\"retentionBytes\":", *limit);
    }
    body += "}";
    auto created = client_->Call("POST", "/v1/topics", body);
    if (!created.ok()) return Fail(created.status());
    if (json()) {
      out_ << *created << "\n";
      return kOk;
    }
    auto doc = json::ParseJson(*created, "topic");
    out_ << "created topic " << *name << " with " << (doc.ok() ? (*doc)["partitions"].Size() : 0)
         << " partition(s)\n";
    return kOk;
  }

  int TopicsDelete() {
    auto name = Arg(0, "a topic");
    if (!name.has_value()) return MissingArg("a topic name");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    auto deleted = client_->Call("DELETE", absl::StrCat("/v1/topics/", UrlEncode(*name)));
    if (!deleted.ok()) return Fail(deleted.status());
    if (json()) {
      out_ << "{\"deleted\":" << JsonText(*name) << "}\n";
      return kOk;
    }
    out_ << "deleted topic " << *name << "\n";
    return kOk;
  }

  int GroupsList() {
    if (int bad = TooManyArgs(0); bad != kOk) return bad;
    auto groups = GetJson("/v1/groups");
    if (!groups.ok()) return Fail(groups.status());
    if (json()) return PrintJson();
    Table t({"GROUP", "MEMBERS#", "TOPICS", "LAG#"}, 200);
    for (const auto& g : groups->GetArray()) {
      std::vector<std::string> topics;
      for (const auto& topic : g["topics"].GetArray()) topics.push_back(Str(topic, "topic"));
      t.AddRow({Str(g, "group"), absl::StrCat(g["members"].Size()), absl::StrJoin(topics, ","),
                Str(g, "lag")});
    }
    t.Print(out_, "no consumer group has a subscriber in this runtime");
    return kOk;
  }

  int GroupsDescribe() {
    auto name = Arg(0, "a group");
    if (!name.has_value()) return MissingArg("a group name");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    auto g = GetJson(absl::StrCat("/v1/groups/", UrlEncode(*name)));
    if (!g.ok()) return Fail(g.status());
    if (json()) return PrintJson();
    out_ << "group " << *name << ": lag " << Str(*g, "lag") << ", " << (*g)["members"].Size()
         << " member(s)\n";
    Table members({"MEMBER", "PROTOCOL", "ADDRESS", "UNACKED#"});
    for (const auto& m : (*g)["members"].GetArray()) {
      members.AddRow({Str(m, "id"), Str(m, "protocol"), Str(m, "address"), Str(m, "unacked")});
    }
    members.Print(out_, "no connected member");
    out_ << "\n";
    Table t({"TOPIC", "PARTITION#", "COMMITTED#", "END#", "LAG#"});
    for (const auto& topic : (*g)["topics"].GetArray()) {
      if (!topic.HasMember("partitions")) {
        t.AddRow({Str(topic, "topic"), "-", "-", "-", Str(topic, "offsetsError")});
        continue;
      }
      for (const auto& p : topic["partitions"].GetArray()) {
        t.AddRow({Str(topic, "topic"), Str(p, "partition"), Str(p, "committed"),
                  Str(p, "endOffset"), Str(p, "lag")});
      }
    }
    t.Print(out_, "no topics");
    return kOk;
  }

  // --to=earliest|latest|offset=N|time=WHEN as the reset endpoint's fields.
  absl::StatusOr<std::string> ResetFields(const std::string& to) {
    if (to == "earliest" || to == "latest") return absl::StrCat("\"to\":\"", to, "\"");
    if (absl::StartsWith(to, "offset=")) {
      int64_t offset = 0;
      if (!absl::SimpleAtoi(to.substr(7), &offset) || offset < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--to=offset=N needs an integer N >= 0, not \"", to.substr(7), "\""));
      }
      return absl::StrCat("\"to\":\"offset\",\"offset\":", offset);
    }
    if (absl::StartsWith(to, "time=")) {
      const std::string when = to.substr(5);
      int64_t ms = 0;
      absl::Time time;
      absl::Duration ago;
      std::string parse_error;
      if (absl::SimpleAtoi(when, &ms) && ms >= 0) {
        // milliseconds since the epoch
      } else if (absl::StartsWith(when, "-") && absl::ParseDuration(when.substr(1), &ago) &&
                 ago >= absl::ZeroDuration()) {
        ms = absl::ToUnixMillis(absl::Now() - ago);
      } else if (absl::ParseTime(absl::RFC3339_full, when, &time, &parse_error)) {
        ms = absl::ToUnixMillis(time);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "--to=time=WHEN: \"", when,
            "\" is neither RFC 3339 (2026-12-03T10:00:00Z), milliseconds since the epoch, nor "
            "-DURATION (-15m)"));
      }
      return absl::StrCat("\"to\":\"time\",\"timestampMs\":", ms);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("--to must be earliest, latest, offset=N or time=WHEN, not \"", to, "\""));
  }

  int GroupsReset() {
    auto name = Arg(0, "a group");
    if (!name.has_value()) return MissingArg("a group name");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    auto topic = p_.Get("topic");
    if (!topic.has_value() || topic->empty()) return Usage("groups reset needs --topic=T");
    auto to = p_.Get("to");
    if (!to.has_value()) return Usage("groups reset needs --to=earliest|latest|offset=N|time=WHEN");
    auto fields = ResetFields(*to);
    if (!fields.ok()) return Usage(std::string(fields.status().message()));
    auto reset = client_->Call("POST", absl::StrCat("/v1/groups/", UrlEncode(*name), "/reset"),
                               absl::StrCat("{\"topic\":", JsonText(*topic), ",", *fields, "}"));
    if (!reset.ok()) return Fail(reset.status());
    if (json()) {
      out_ << *reset << "\n";
      return kOk;
    }
    auto doc = json::ParseJson(*reset, "reset answer");
    std::vector<std::string> committed;
    if (doc.ok() && doc->HasMember("committed")) {
      int partition = 0;
      for (const auto& c : (*doc)["committed"].GetArray()) {
        committed.push_back(absl::StrCat(partition++, ":", json::ToJsonString(c)));
      }
    }
    out_ << "group " << *name << " on " << *topic << " now at " << absl::StrJoin(committed, " ")
         << " (partition:next offset)\n";
    return kOk;
  }

  int ClientsList() {
    if (int bad = TooManyArgs(0); bad != kOk) return bad;
    std::vector<std::string> query;
    if (auto protocol = p_.Get("protocol")) query.push_back("protocol=" + UrlEncode(*protocol));
    if (auto group = p_.Get("group")) query.push_back("group=" + UrlEncode(*group));
    auto clients =
        GetJson(absl::StrCat("/v1/clients", query.empty() ? "" : "?", absl::StrJoin(query, "&")));
    if (!clients.ok()) return Fail(clients.status());
    if (json()) return PrintJson();
    Table t({"PROTOCOL", "ID", "GROUP", "PURPOSE", "ADDRESS", "SUBSYSTEM", "TOPICS", "UNACKED#"});
    for (const auto& c : clients->GetArray()) {
      std::vector<std::string> topics;
      for (const auto& topic : c["topics"].GetArray()) topics.push_back(topic.GetString());
      t.AddRow({Str(c, "protocol"), Str(c, "id"), Str(c, "group"), Str(c, "purpose"),
                Str(c, "address"), Str(c, "subsystem"), absl::StrJoin(topics, ","),
                Str(c, "unacked")});
    }
    t.Print(out_, "no clients");
    return kOk;
  }

  int ClientsAct(const std::string& verb) {
    if (int bad = TooManyArgs(0); bad != kOk) return bad;
    std::vector<std::string> fields;
    for (const char* filter : {"id", "address", "subsystem", "group", "path"}) {
      if (auto value = p_.Get(filter)) {
        fields.push_back(absl::StrCat("\"", filter, "\":", JsonText(*value)));
      }
    }
    if (fields.empty()) {
      return Usage(absl::StrCat("clients ", verb,
                                " needs at least one of --id, --address, --subsystem, --group, "
                                "--path"));
    }
    if (verb == "redirect") {
      auto to = p_.Get("to");
      const size_t colon = to.has_value() ? to->rfind(':') : std::string::npos;
      int port = 0;
      if (colon == std::string::npos || colon == 0 ||
          !absl::SimpleAtoi(to->substr(colon + 1), &port)) {
        return Usage("clients redirect needs --to=HOST:PORT");
      }
      fields.push_back(absl::StrCat("\"ip\":", JsonText(to->substr(0, colon))));
      fields.push_back(absl::StrCat("\"port\":", port));
    }
    auto answer = client_->Call("POST", absl::StrCat("/v1/clients/", verb),
                                absl::StrCat("{", absl::StrJoin(fields, ","), "}"));
    if (!answer.ok()) return Fail(answer.status());
    if (json()) {
      out_ << *answer << "\n";
      return kOk;
    }
    auto doc = json::ParseJson(*answer, "answer");
    const char* key = verb == "reject" ? "rejected" : "redirected";
    std::vector<std::string> ids;
    if (doc.ok() && doc->HasMember(key)) {
      for (const auto& id : (*doc)[key].GetArray()) ids.push_back(id.GetString());
    }
    out_ << key << " " << ids.size() << " client(s)"
         << (ids.empty() ? "" : absl::StrCat(": ", absl::StrJoin(ids, ", "))) << "\n";
    return kOk;
  }

  int EventsRead() {
    auto topic = Arg(0, "a topic");
    if (!topic.has_value()) return MissingArg("a topic name");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    int bad = kOk;
    auto partition = IntFlag("partition", 0, 4095, &bad);
    auto from = IntFlag("from", 0, INT64_MAX, &bad);
    auto count = IntFlag("count", 1, 1000, &bad);
    if (bad != kOk) return bad;
    std::vector<std::string> query;
    if (partition) query.push_back(absl::StrCat("partition=", *partition));
    if (from) query.push_back(absl::StrCat("from=", *from));
    if (count) query.push_back(absl::StrCat("count=", *count));
    auto read = GetJson(absl::StrCat("/v1/topics/", UrlEncode(*topic), "/events",
                                     query.empty() ? "" : "?", absl::StrJoin(query, "&")));
    if (!read.ok()) return Fail(read.status());
    if (json()) return PrintJson();
    Table t({"PARTITION#", "OFFSET#", "STORED", "ID", "TYPE", "SOURCE", "DATA"});
    for (const auto& e : (*read)["events"].GetArray()) {
      const auto& event = e["event"];
      std::string data = event.HasMember("data") ? Str(event, "data")
                         : event.HasMember("data_base64")
                             ? absl::StrCat("base64:", Str(event, "data_base64"))
                             : "";
      const int64_t stored = e["storedMs"].GetInt64();
      t.AddRow({Str(e, "partition"), Str(e, "offset"),
                stored > 0 ? absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(stored),
                                              absl::UTCTimeZone())
                           : "",
                Str(event, "id"), Str(event, "type"), Str(event, "source"), data});
    }
    t.Print(out_, absl::StrCat("no events in ", *topic, " at that position"));
    return kOk;
  }

  int DlqList() {
    if (int bad = TooManyArgs(0); bad != kOk) return bad;
    auto dlqs = GetJson("/v1/dlq");
    if (!dlqs.ok()) return Fail(dlqs.status());
    if (json()) return PrintJson();
    Table t({"DEAD-LETTER TOPIC", "GROUP", "EVENTS#"});
    for (const auto& d : dlqs->GetArray()) {
      t.AddRow({Str(d, "topic"), Str(d, "group"), Str(d, "messageCount")});
    }
    t.Print(out_, "no dead-letter topics");
    return kOk;
  }

  int DlqRepublish() {
    auto topic = Arg(0, "a dead-letter topic");
    if (!topic.has_value()) return MissingArg("a dead-letter topic (<group>.DLQ)");
    if (int bad = TooManyArgs(1); bad != kOk) return bad;
    int bad = kOk;
    auto offset = IntFlag("offset", 0, INT64_MAX, &bad);
    auto partition = IntFlag("partition", 0, 4095, &bad);
    auto count = IntFlag("count", 1, 1000, &bad);
    if (bad != kOk) return bad;
    if (!offset.has_value()) return Usage("dlq republish needs --offset=O (see emctl events read)");
    std::string body = absl::StrCat("{\"topic\":", JsonText(*topic), ",\"offset\":", *offset);
    if (partition) absl::StrAppend(&body, ",\"partition\":", *partition);
    if (count) absl::StrAppend(&body, ",\"count\":", *count);
    body += "}";
    auto answer = client_->Call("POST", "/v1/dlq/republish", body);
    if (!answer.ok()) return Fail(answer.status());
    if (json()) {
      out_ << *answer << "\n";
      return kOk;
    }
    auto doc = json::ParseJson(*answer, "answer");
    Table t({"DEAD-LETTER OFFSET#", "EVENT ID", "REPUBLISHED TO"});
    if (doc.ok() && doc->HasMember("republished")) {
      for (const auto& r : (*doc)["republished"].GetArray()) {
        t.AddRow({Str(r, "deadLetterOffset"), Str(r, "id"), Str(r, "topic")});
      }
    }
    out_ << "republished " << t.rows() << " event(s)\n";
    t.Print(out_, "");
    return kOk;
  }

  ParsedArgs p_;
  AdminClient* client_;
  std::ostream& out_;
  std::ostream& err_;
  std::string last_body_;
};

}  // namespace

int RunEmctl(const std::vector<std::string>& args, const EmctlEnvironment& env, std::ostream& out,
             std::ostream& err) {
  ParsedArgs parsed = ParseArgs(args);
  if (parsed.error.has_value()) return Usage(err, *parsed.error);
  if (auto output = parsed.Get("output");
      output.has_value() && *output != "json" && *output != "table") {
    return Usage(err, absl::StrCat("--output must be json or table, not \"", *output, "\""));
  }
  if (parsed.Bool("help") || (!parsed.positional.empty() && parsed.positional[0] == "help")) {
    out << kEmctlUsage;
    return kOk;
  }
  // The messaging commands talk to the runtime's TCP / HTTP port, not to the admin API.
  const std::string command = parsed.positional.empty() ? "" : parsed.positional[0];
  if (command == "pub") return RunPub(parsed, env, out, err);
  if (command == "sub") return RunSub(parsed, env, out, err);
  if (command == "request") return RunRequest(parsed, env, out, err);
  if (command == "bench") return RunBench(parsed, env, out, err);
  AdminClientOptions options;
  options.address = parsed.Get("admin").value_or(env.admin.empty() ? options.address : env.admin);
  options.token = parsed.Get("token").value_or(env.token);
  options.ca_file = parsed.Get("ca-file").value_or("");
  if (auto timeout = parsed.Get("timeout")) {
    if (!absl::ParseDuration(*timeout, &options.timeout) ||
        options.timeout <= absl::ZeroDuration()) {
      err << "emctl: --timeout must be a duration such as 10s, not \"" << *timeout << "\"\n";
      return kUsage;
    }
  }
  auto client = AdminClient::Create(options);
  if (!client.ok()) {
    err << "emctl: " << client.status().message() << "\n";
    return kUsage;
  }
  return Command(std::move(parsed), client->get(), out, err).Run();
}

}  // namespace eventmesh::cli
