#include "eventmesh/cli/messaging.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "eventmesh/cli/mesh_target.h"
#include "eventmesh/common/utf8.h"
#include "eventmesh/protocol/cloudevents/json_format.h"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/sdk/http/http_client.h"
#include "eventmesh/sdk/http/http_subscriber.h"
#include "eventmesh/sdk/tcp_client.h"

namespace eventmesh::cli {
namespace {

constexpr absl::Duration kDefaultTimeout = absl::Seconds(10);

// What every messaging command reads from the command line besides the target.
struct CommonFlags {
  MeshTarget target;
  absl::Duration timeout = kDefaultTimeout;
  std::optional<absl::Duration> timeout_given;
  std::map<std::string, std::string> properties;
  bool json = false;
};

// Parses the target, --timeout, --property and the output mode; a usage error sets *exit_code.
std::optional<CommonFlags> ParseCommon(const ParsedArgs& args, const EmctlEnvironment& env,
                                       const std::string& default_group, std::ostream& err,
                                       int* exit_code) {
  CommonFlags flags;
  auto target = MeshTargetFromArgs(args, env, "tcp|http", default_group);
  if (!target.ok()) {
    *exit_code = Usage(err, std::string(target.status().message()));
    return std::nullopt;
  }
  flags.target = std::move(*target);
  if (auto timeout = args.Get("timeout")) {
    absl::Duration d;
    if (!absl::ParseDuration(*timeout, &d) || d <= absl::ZeroDuration()) {
      *exit_code = Usage(
          err, absl::StrCat("--timeout must be a duration such as 10s, not \"", *timeout, "\""));
      return std::nullopt;
    }
    flags.timeout = d;
    flags.timeout_given = d;
  }
  for (const std::string& property : args.All("property")) {
    const size_t eq = property.find('=');
    if (eq == std::string::npos || eq == 0) {
      *exit_code = Usage(err, absl::StrCat("--property must be KEY=VALUE, not \"", property, "\""));
      return std::nullopt;
    }
    flags.properties[property.substr(0, eq)] = property.substr(eq + 1);
  }
  flags.json = args.JsonOutput();
  return flags;
}

// Builds what `pub` and `request` send: a Message, or a CloudEvent when --type, --source or
// --id is given (its subject is the topic, the properties are its extensions).
absl::StatusOr<sdk::Event> BuildEvent(const ParsedArgs& args, const std::string& topic,
                                      const std::string& data,
                                      const std::map<std::string, std::string>& properties, int n) {
  if (!args.Has("type") && !args.Has("source") && !args.Has("id")) {
    sdk::Message message;
    message.topic = topic;
    message.content = data;
    message.properties = properties;
    return message;
  }
  sdk::CloudEvent event;
  event.set_id(
      args.Get("id").value_or(absl::StrCat("emctl-", absl::GetCurrentTimeNanos(), "-", n)));
  event.set_source(args.Get("source").value_or("emctl"));
  event.set_type(args.Get("type").value_or("emctl.event"));
  event.set_subject(topic);
  // The data's content type says how it is to be read back: without one a CloudEvents reader
  // takes the data as JSON, and text would arrive as a quoted JSON string.
  if (cloudevents::IsJsonText(data)) {
    event.set_data_content_type("application/json");
    event.set_data(data, cloudevents::DataEncoding::kJson);
  } else if (IsValidUtf8(data)) {
    event.set_data_content_type("text/plain");
    event.set_data(data, cloudevents::DataEncoding::kText);
  } else {
    event.set_data_content_type("application/octet-stream");
    event.set_data(data, cloudevents::DataEncoding::kBinary);
  }
  for (const auto& [key, value] : properties) event.SetExtension(key, value);
  if (absl::Status valid = event.Validate(); !valid.ok()) return valid;
  return event;
}

std::string JsonString(absl::string_view s) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  json::WriteString(w, s);
  return buffer.GetString();
}

const char* KindName(sdk::EventKind kind) {
  switch (kind) {
    case sdk::EventKind::kAsync:
      return "async";
    case sdk::EventKind::kBroadcast:
      return "broadcast";
    case sdk::EventKind::kRequest:
      return "request";
    case sdk::EventKind::kResponse:
      return "response";
  }
  return "";
}

// One received event as a JSON object: n, topic, kind, protocolType, the CloudEvent's id, type
// and source, properties (message properties or extensions), and data (or dataBase64-free
// escaped text when it is not UTF-8: "dataHex").
std::string EventJson(int n, const sdk::ReceivedEvent& event) {
  rapidjson::StringBuffer buffer;
  json::Writer w(buffer);
  w.StartObject();
  if (n > 0) {
    json::WriteKey(w, "n");
    w.Int(n);
  }
  json::WriteKey(w, "topic");
  json::WriteString(w, event.topic());
  json::WriteKey(w, "kind");
  json::WriteString(w, KindName(event.kind));
  json::WriteKey(w, "protocolType");
  json::WriteString(w, event.protocol_type);
  json::WriteKey(w, "properties");
  w.StartObject();
  if (const sdk::Message* message = event.message()) {
    for (const auto& [key, value] : message->properties) {
      json::WriteKey(w, key);
      json::WriteString(w, value);
    }
  } else if (const sdk::CloudEvent* ce = event.cloud_event()) {
    for (const auto& [key, value] : ce->extensions()) {
      json::WriteKey(w, key);
      json::WriteString(w, value.text);
    }
  }
  w.EndObject();
  if (const sdk::CloudEvent* ce = event.cloud_event()) {
    json::WriteKey(w, "id");
    json::WriteString(w, ce->id());
    json::WriteKey(w, "type");
    json::WriteString(w, ce->type());
    json::WriteKey(w, "source");
    json::WriteString(w, ce->source());
  }
  const std::string& data = event.data();
  if (IsValidUtf8(data)) {
    json::WriteKey(w, "data");
    json::WriteString(w, data);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : data) {
      hex.push_back(kHex[c >> 4]);
      hex.push_back(kHex[c & 15]);
    }
    json::WriteKey(w, "dataHex");
    json::WriteString(w, hex);
  }
  w.EndObject();
  return buffer.GetString();
}

// "[#1] demo: hello", with "(id=… type=… source=…)" for a CloudEvent.
std::string EventLine(int n, const sdk::ReceivedEvent& event) {
  std::string line = absl::StrCat("[#", n, "] ", event.topic());
  if (const sdk::CloudEvent* ce = event.cloud_event()) {
    absl::StrAppend(&line, " (id=", ce->id(), " type=", ce->type(), " source=", ce->source(), ")");
  }
  absl::StrAppend(&line, ": ", event.data());
  return line;
}

// Prints received events until `count` were printed; thread-safe (handlers run on client
// threads).
class EventPrinter {
 public:
  EventPrinter(std::ostream& out, bool json, int count) : out_(out), json_(json), count_(count) {}

  // Prints the event; false (nothing printed) once `count` events were printed.
  bool Print(const sdk::ReceivedEvent& event) {
    absl::MutexLock lock(&mu_);
    if (count_ > 0 && printed_ >= count_) return false;
    ++printed_;
    out_ << (json_ ? EventJson(printed_, event) : EventLine(printed_, event)) << "\n";
    out_.flush();
    return true;
  }

  // Waits until `count` events were printed, `interrupted` is set or `deadline` passed.
  // True when the count was reached.
  bool Wait(const std::atomic<bool>* interrupted, absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto done = [this] { return count_ > 0 && printed_ >= count_; };
    while (!done()) {
      if (interrupted != nullptr && interrupted->load()) return false;
      const absl::Time now = absl::Now();
      if (now >= deadline) return false;
      mu_.AwaitWithTimeout(absl::Condition(&done),
                           std::min(deadline - now, absl::Milliseconds(100)));
    }
    return true;
  }

  int printed() const {
    absl::MutexLock lock(&mu_);
    return printed_;
  }

 private:
  std::ostream& out_;
  const bool json_;
  const int count_;
  mutable absl::Mutex mu_;
  int printed_ ABSL_GUARDED_BY(mu_) = 0;
};

// An integer flag >= min; nullopt when absent; a usage error sets *exit_code.
std::optional<int> IntFlag(const ParsedArgs& args, const std::string& name, int min,
                           std::ostream& err, int* exit_code) {
  auto value = args.Get(name);
  if (!value.has_value()) return std::nullopt;
  int n = 0;
  if (!absl::SimpleAtoi(*value, &n) || n < min) {
    *exit_code = Usage(
        err, absl::StrCat("--", name, " must be an integer >= ", min, ", not \"", *value, "\""));
    return std::nullopt;
  }
  return n;
}

// A client that sends events (pub, request) over either protocol.
class Sender {
 public:
  static absl::StatusOr<std::unique_ptr<Sender>> Connect(const CommonFlags& flags,
                                                         sdk::ClientPurpose purpose) {
    auto sender = std::unique_ptr<Sender>(new Sender());
    if (flags.target.protocol == MeshProtocol::kTcp) {
      sdk::TcpClientOptions options = flags.target.TcpOptions(purpose);
      options.request_timeout = flags.timeout;
      options.auto_reconnect = false;
      auto client = sdk::EventMeshTcpClient::Connect(options);
      if (!client.ok()) return client.status();
      sender->tcp_ = std::move(*client);
    } else {
      sdk::http::HttpClientOptions options = flags.target.HttpOptions();
      options.request_timeout = flags.timeout;
      auto client = sdk::http::EventMeshHttpClient::Create(options);
      if (!client.ok()) return client.status();
      sender->http_ = std::move(*client);
    }
    return sender;
  }

  ~Sender() {
    if (tcp_ != nullptr) (void)tcp_->Close();
    if (http_ != nullptr) http_->Close();
  }

  absl::Status Publish(const sdk::Event& event) {
    if (tcp_ != nullptr) return tcp_->Publish(event).get();
    if (const auto* message = std::get_if<sdk::Message>(&event)) return http_->Publish(*message);
    return http_->Publish(std::get<sdk::CloudEvent>(event));
  }

  // The reply's event (HTTP replies are Messages).
  absl::StatusOr<sdk::ReceivedEvent> Request(const sdk::Event& event, absl::Duration timeout) {
    if (tcp_ != nullptr) return tcp_->Request(event, timeout);
    const auto* message = std::get_if<sdk::Message>(&event);
    if (message == nullptr) {
      return absl::InvalidArgumentError(
          "request over http sends a message: --type, --source and --id are for tcp");
    }
    auto reply = http_->Request(*message, timeout);
    if (!reply.ok()) return reply.status();
    sdk::ReceivedEvent received;
    received.kind = sdk::EventKind::kResponse;
    received.transport = sdk::Transport::kHttpForm;
    received.protocol_type = "eventmeshmessage";
    received.payload = std::move(*reply);
    return received;
  }

 private:
  Sender() = default;
  std::unique_ptr<sdk::EventMeshTcpClient> tcp_;
  std::unique_ptr<sdk::http::EventMeshHttpClient> http_;
};

bool IsUnreachable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable;
}

}  // namespace

int RunPub(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
           std::ostream& err) {
  const std::vector<std::string>& a = args.positional;
  if (a.size() < 2) return Usage(err, "pub needs a topic: emctl pub <topic> [data]");
  if (a.size() > 3) return Usage(err, absl::StrCat("unexpected argument \"", a[3], "\""));
  const std::string topic = a[1];
  int bad = kExitOk;
  auto flags = ParseCommon(args, env, "emctl-publishers", err, &bad);
  if (!flags.has_value()) return bad;
  auto count = IntFlag(args, "count", 1, err, &bad);
  if (bad != kExitOk) return bad;
  const bool from_stdin = a.size() < 3;
  if (from_stdin && env.in == nullptr) {
    return Usage(err, "pub needs data: an argument or lines on stdin");
  }
  if (from_stdin && count.has_value()) {
    return Usage(err, "--count repeats the data argument; stdin publishes one event per line");
  }
  // Checked before connecting: the first event's attributes.
  if (auto first = BuildEvent(args, topic, "", flags->properties, 1); !first.ok()) {
    return Usage(err, std::string(first.status().message()));
  }

  auto sender = Sender::Connect(*flags, sdk::ClientPurpose::kPublish);
  if (!sender.ok()) return Fail(err, flags->target.ConnectError(sender.status()));

  int published = 0;
  auto publish_one = [&](const std::string& data) -> int {
    const int n = published + 1;
    auto event = BuildEvent(args, topic, data, flags->properties, n);
    if (!event.ok()) return Usage(err, std::string(event.status().message()));
    absl::Status status = (*sender)->Publish(*event);
    if (!status.ok()) {
      if (published == 0 && IsUnreachable(status)) {
        return Fail(err, flags->target.ConnectError(status));
      }
      return Fail(err,
                  absl::StrCat("publishing event ", n, " to ", topic, " failed: ", status.message(),
                               " (", published, " event(s) published before)"));
    }
    published = n;
    if (flags->json) {
      out << "{\"published\":" << n << ",\"topic\":" << JsonString(topic)
          << ",\"bytes\":" << data.size();
      if (const auto* ce = std::get_if<sdk::CloudEvent>(&*event)) {
        out << ",\"id\":" << JsonString(ce->id());
      }
      out << "}\n";
      out.flush();
    }
    return kExitOk;
  };
  if (!from_stdin) {
    for (int i = 1; i <= count.value_or(1); ++i) {
      const std::string data = absl::StrReplaceAll(a[2], {{"{{n}}", absl::StrCat(i)}});
      if (int code = publish_one(data); code != kExitOk) return code;
    }
  } else {
    std::string line;
    while (std::getline(*env.in, line)) {
      if (int code = publish_one(line); code != kExitOk) return code;
    }
  }
  if (!flags->json) {
    out << "published " << published << " event(s) to " << topic << " (" << flags->target.Describe()
        << ")\n";
  }
  return kExitOk;
}

int RunSub(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
           std::ostream& err) {
  const std::vector<std::string> topics(args.positional.begin() + 1, args.positional.end());
  if (topics.empty()) return Usage(err, "sub needs a topic: emctl sub <topic>...");
  int bad = kExitOk;
  auto flags = ParseCommon(args, env, "emctl", err, &bad);
  if (!flags.has_value()) return bad;
  auto count = IntFlag(args, "count", 1, err, &bad);
  if (bad != kExitOk) return bad;
  const std::string mode_name = args.Get("mode").value_or("clustering");
  sdk::SubscriptionMode mode;
  if (mode_name == "clustering") {
    mode = sdk::SubscriptionMode::kClustering;
  } else if (mode_name == "broadcasting" || mode_name == "broadcast") {
    mode = sdk::SubscriptionMode::kBroadcasting;
  } else {
    return Usage(
        err, absl::StrCat("--mode must be clustering or broadcasting, not \"", mode_name, "\""));
  }
  const bool ack = args.Bool("ack", true);
  const MeshTarget& target = flags->target;
  if (target.protocol != MeshProtocol::kHttp && (args.Has("listen") || args.Has("advertise"))) {
    return Usage(err, "--listen and --advertise are for --protocol=http (the webhook)");
  }

  EventPrinter printer(out, flags->json, count.value_or(0));
  std::unique_ptr<sdk::EventMeshTcpClient> tcp;
  std::unique_ptr<sdk::http::HttpSubscriber> http;
  std::string where;
  if (target.protocol == MeshProtocol::kTcp) {
    sdk::TcpClientOptions options = target.TcpOptions(sdk::ClientPurpose::kSubscribe);
    options.ack_mode = sdk::AckMode::kManual;
    auto client = sdk::EventMeshTcpClient::Connect(options);
    if (!client.ok()) return Fail(err, target.ConnectError(client.status()));
    tcp = std::move(*client);
    // Unprinted events (past --count) stay unacknowledged: the runtime delivers them again.
    tcp->SetHandler([&printer, ack](std::shared_ptr<sdk::Delivery> delivery) {
      if (printer.Print(delivery->event()) && ack) delivery->Ack();
    });
    for (const std::string& topic : topics) {
      absl::Status subscribed = tcp->Subscribe(topic, mode, sdk::SubscriptionType::kAsync);
      if (!subscribed.ok()) {
        return Fail(err, absl::StrCat("subscribing to ", topic, " failed: ", subscribed.message()));
      }
    }
    if (absl::Status listening = tcp->Listen(); !listening.ok()) {
      return Fail(err, absl::StrCat("listen failed: ", listening.message()));
    }
    where = tcp->server_address();
  } else {
    sdk::http::HttpSubscriberOptions options;
    options.client = target.HttpOptions();
    options.client.request_timeout = kDefaultTimeout;
    if (auto listen = args.Get("listen")) {
      const size_t colon = listen->rfind(':');
      int port = -1;
      if (colon == std::string::npos || !absl::SimpleAtoi(listen->substr(colon + 1), &port) ||
          port < 0 || port > 65535) {
        return Usage(
            err, absl::StrCat("--listen must be HOST:PORT (port 0 = any), not \"", *listen, "\""));
      }
      options.server.address = colon == 0 ? "127.0.0.1" : listen->substr(0, colon);
      options.server.port = port;
    }
    options.advertised_host = args.Get("advertise").value_or("");
    for (const std::string& topic : topics) {
      sdk::SubscriptionItem item;
      item.topic = topic;
      item.mode = mode;
      options.topics.push_back(item);
    }
    auto subscriber =
        sdk::http::HttpSubscriber::Start(options, [&printer, ack](const sdk::ReceivedEvent& event) {
          return printer.Print(event) && ack ? sdk::http::HandlerResult::kSuccess
                                             : sdk::http::HandlerResult::kRetry;
        });
    if (!subscriber.ok()) {
      if (IsUnreachable(subscriber.status()) ||
          subscriber.status().code() == absl::StatusCode::kDeadlineExceeded) {
        return Fail(err, target.ConnectError(subscriber.status()));
      }
      return Fail(err,
                  absl::StrCat("subscribing the webhook failed: ", subscriber.status().message(),
                               " (a runtime refuses loopback webhooks unless started with "
                               "--eventMesh.server.http.webhook.allow=127.0.0.1)"));
    }
    http = std::move(*subscriber);
    where = absl::StrCat(target.Describe(), ", webhook ", http->url());
  }
  if (env.progress) {
    err << "emctl: listening on " << absl::StrJoin(topics, ",") << " at " << where
        << (count ? absl::StrCat(" for ", *count, " event(s)") : "") << " (Ctrl-C to stop)\n";
  }
  const std::atomic<bool>* interrupted = env.catch_interrupts ? env.catch_interrupts() : nullptr;
  const absl::Time deadline =
      flags->timeout_given ? absl::Now() + *flags->timeout_given : absl::InfiniteFuture();
  const bool reached = printer.Wait(interrupted, deadline);
  if (tcp != nullptr) (void)tcp->Close();
  if (http != nullptr) (void)http->Stop();
  if (count.has_value() && !reached && !(interrupted != nullptr && interrupted->load())) {
    return Fail(err, absl::StrCat("received ", printer.printed(), " of ", *count,
                                  " event(s) within --timeout=",
                                  absl::FormatDuration(*flags->timeout_given)));
  }
  return kExitOk;
}

int RunRequest(const ParsedArgs& args, const EmctlEnvironment& env, std::ostream& out,
               std::ostream& err) {
  const std::vector<std::string>& a = args.positional;
  if (a.size() < 2) return Usage(err, "request needs a topic: emctl request <topic> [data]");
  if (a.size() > 3) return Usage(err, absl::StrCat("unexpected argument \"", a[3], "\""));
  const std::string topic = a[1];
  int bad = kExitOk;
  auto flags = ParseCommon(args, env, "emctl-requesters", err, &bad);
  if (!flags.has_value()) return bad;
  std::string data;
  if (a.size() == 3) {
    data = a[2];
  } else if (env.in != nullptr) {
    std::ostringstream all;
    all << env.in->rdbuf();
    data = all.str();
  } else {
    return Usage(err, "request needs data: an argument or stdin");
  }
  auto event = BuildEvent(args, topic, data, flags->properties, 1);
  if (!event.ok()) return Usage(err, std::string(event.status().message()));
  if (flags->target.protocol == MeshProtocol::kHttp &&
      std::holds_alternative<sdk::CloudEvent>(*event)) {
    return Usage(err, "request over http sends a message: --type, --source and --id are for tcp");
  }

  auto sender = Sender::Connect(*flags, sdk::ClientPurpose::kPublish);
  if (!sender.ok()) return Fail(err, flags->target.ConnectError(sender.status()));
  const absl::Time start = absl::Now();
  auto reply = (*sender)->Request(*event, flags->timeout);
  const absl::Duration rtt = absl::Now() - start;
  if (!reply.ok()) {
    if (reply.status().code() == absl::StatusCode::kDeadlineExceeded) {
      return Fail(err,
                  absl::StrCat("no reply to the request on ", topic, " within ",
                               absl::FormatDuration(flags->timeout), ": ", reply.status().message(),
                               " (is a responder subscribed to it? set --timeout)"));
    }
    if (IsUnreachable(reply.status())) return Fail(err, flags->target.ConnectError(reply.status()));
    return Fail(err, absl::StrCat("request on ", topic, " failed: ", reply.status().message()));
  }
  if (flags->json) {
    std::string object = EventJson(0, *reply);
    object.pop_back();  // the closing brace: add the round trip
    out << object << ",\"rttMs\":" << absl::ToDoubleMilliseconds(rtt) << "}\n";
  } else {
    out << reply->data() << "\n";
  }
  return kExitOk;
}

}  // namespace eventmesh::cli
