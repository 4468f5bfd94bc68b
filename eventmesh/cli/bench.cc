#include "eventmesh/cli/bench.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/cli/mesh_target.h"
#include "eventmesh/protocol/json/json.h"
#include "tools/loadgen/load_run.h"

namespace eventmesh::cli {
namespace {

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string ReportJson(const loadgen::LoadOptions& options, const loadgen::LoadReport& r) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  json::WriteKey(w, "protocol");
  json::WriteString(w, options.protocol);
  json::WriteKey(w, "topic");
  json::WriteString(w, r.topic);
  json::WriteKey(w, "publishers");
  w.Int(options.publishers);
  json::WriteKey(w, "subscribers");
  w.Int(options.subscribers);
  json::WriteKey(w, "mode");
  json::WriteString(w, options.mode);
  json::WriteKey(w, "size");
  w.Int(options.size);
  json::WriteKey(w, "measuredSeconds");
  w.Double(r.measured_seconds);
  for (const auto& [key, value] : {std::pair<const char*, uint64_t>{"sent", r.sent},
                                   {"acked", r.acked},
                                   {"errors", r.errors},
                                   {"delivered", r.delivered},
                                   {"duplicates", r.duplicates},
                                   {"lost", r.lost}}) {
    json::WriteKey(w, key);
    w.Uint64(value);
  }
  json::WriteKey(w, "rates");
  w.StartObject();
  json::WriteKey(w, "sent");
  w.Double(r.sent_rate());
  json::WriteKey(w, "acked");
  w.Double(r.acked_rate());
  json::WriteKey(w, "delivered");
  w.Double(r.delivered_rate());
  w.EndObject();
  json::WriteKey(w, "latencyMs");
  w.StartObject();
  json::WriteKey(w, "count");
  w.Uint64(r.latency.count);
  json::WriteKey(w, "p50");
  w.Double(Ms(r.latency.p50));
  json::WriteKey(w, "p99");
  w.Double(Ms(r.latency.p99));
  json::WriteKey(w, "p999");
  w.Double(Ms(r.latency.p999));
  json::WriteKey(w, "max");
  w.Double(Ms(r.latency.max));
  w.EndObject();
  json::WriteKey(w, "errorTexts");
  w.StartObject();
  for (const auto& [text, count] : r.error_texts) {
    json::WriteKey(w, text);
    w.Uint64(count);
  }
  w.EndObject();
  json::WriteKey(w, "stillArriving");
  w.Bool(r.still_arriving);
  json::WriteKey(w, "result");
  json::WriteString(w, !r.delivery_checked ? "unchecked" : r.lost > 0 ? "lost" : "ok");
  w.EndObject();
  return buffer.GetString();
}

}  // namespace

int RunBench(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
             std::ostream& err) {
  const std::vector<std::string>& a = args.positional;
  if (a.size() > 2) return Usage(err, absl::StrCat("unexpected argument \"", a[2], "\""));
  auto target = MeshTargetFromArgs(args, env, "tcp|grpc", "loadgen");
  if (!target.ok()) return Usage(err, std::string(target.status().message()));
  if (args.Has("group")) return Usage(err, "bench uses its own groups (loadgen-*); drop --group");

  loadgen::LoadOptions options;
  options.protocol = target->protocol_name();
  options.host = target->host;
  options.port = target->port;
  options.registry = target->registry;
  options.username = target->username;
  options.password = target->password;
  options.token = target->token;
  options.topic =
      a.size() == 2 ? a[1] : absl::StrCat("emctl-bench-", absl::ToUnixSeconds(absl::Now()));
  struct IntField {
    const char* flag;
    int* field;
    int min;
  };
  for (const IntField& f :
       {IntField{"publishers", &options.publishers, 1},
        IntField{"subscribers", &options.subscribers, 0}, IntField{"size", &options.size, 0},
        IntField{"max-in-flight", &options.max_in_flight, 1}}) {
    if (auto value = args.Get(f.flag)) {
      if (!absl::SimpleAtoi(*value, f.field) || *f.field < f.min) {
        return Usage(err, absl::StrCat("--", f.flag, " must be an integer >= ", f.min, ", not \"",
                                       *value, "\""));
      }
    }
  }
  if (auto rate = args.Get("rate")) {
    if (!absl::SimpleAtod(*rate, &options.rate) || options.rate < 0) {
      return Usage(err, absl::StrCat("--rate must be events/s >= 0 (0 = as fast as possible), "
                                     "not \"",
                                     *rate, "\""));
    }
  }
  options.duration = absl::Seconds(5);
  options.warmup = absl::Seconds(1);
  struct DurationField {
    const char* flag;
    absl::Duration* field;
  };
  for (const DurationField& f :
       {DurationField{"duration", &options.duration}, DurationField{"warmup", &options.warmup},
        DurationField{"drain", &options.drain}}) {
    if (auto value = args.Get(f.flag)) {
      if (!absl::ParseDuration(*value, f.field) || *f.field < absl::ZeroDuration() ||
          (f.field == &options.duration && *f.field == absl::ZeroDuration())) {
        return Usage(err, absl::StrCat("--", f.flag, " must be a duration such as 5s, not \"",
                                       *value, "\""));
      }
    }
  }
  options.mode = args.Get("mode").value_or("clustering");
  if (options.mode == "broadcast") options.mode = "broadcasting";
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    return Usage(err, std::string(valid.message()));
  }
  const bool json = args.JsonOutput();
  if (!json) out << DescribeLoad(options) << std::flush;
  if (env.catch_interrupts) options.cancel = env.catch_interrupts();

  loadgen::ProgressCallback progress;
  if (env.progress) {
    options.progress_interval = absl::Milliseconds(500);
    progress = [&err](const loadgen::LoadProgress& p) {
      err << absl::StrFormat("\r%-9s %5.1fs  sent %d  acked %d  delivered %d  errors %d\033[K",
                             p.phase, absl::ToDoubleSeconds(p.elapsed), p.sent, p.acked,
                             p.delivered, p.errors)
          << std::flush;
    };
  }
  absl::StatusOr<loadgen::LoadReport> report = loadgen::RunLoad(options, progress);
  if (env.progress) err << "\r\033[K" << std::flush;
  if (!report.ok()) return Fail(err, target->ConnectError(report.status()));
  if (json) {
    out << ReportJson(options, *report) << "\n";
  } else {
    out << FormatLoadReport(options, *report);
  }
  if (report->delivery_checked && report->lost > 0) {
    return Fail(err, absl::StrCat(report->lost, " acknowledged event(s) not delivered after the ",
                                  absl::FormatDuration(options.drain), " drain"));
  }
  return kExitOk;
}

}  // namespace eventmesh::cli
