#include "eventmesh/runtime/admin/testing/headless_browser.h"

#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/websocket.hpp"
#include "eventmesh/protocol/json/json.h"
#include "eventmesh/testing/child_process.h"

namespace eventmesh::runtime::admin::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

constexpr absl::Duration kCallTimeout = absl::Seconds(30);

}  // namespace

class HeadlessBrowser::Impl {
 public:
  std::unique_ptr<eventmesh::testing::ChildProcess> process;
  asio::io_context io;
  std::optional<beast::websocket::stream<tcp::socket>> ws;
  int port = 0;
  int64_t next_id = 1;

  // Runs `start` (which starts async operations on `io`) until they finish or `timeout`.
  template <typename Start>
  absl::Status RunFor(Start start, absl::Duration timeout, bool* done) {
    io.restart();
    start();
    io.run_for(absl::ToChronoMilliseconds(timeout));
    if (!*done) {
      beast::error_code ignored;
      if (ws.has_value()) beast::get_lowest_layer(*ws).cancel(ignored);
      io.restart();
      io.run_for(std::chrono::milliseconds(500));
      return absl::DeadlineExceededError("the browser did not answer in time");
    }
    return absl::OkStatus();
  }

  // GET http://127.0.0.1:port<target> (the DevTools HTTP endpoints).
  absl::StatusOr<std::string> HttpGet(const std::string& target) {
    tcp::socket socket(io);
    beast::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)}, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("DevTools port: ", ec.message()));
    beast::http::request<beast::http::empty_body> request(beast::http::verb::get, target, 11);
    request.set(beast::http::field::host, absl::StrCat("127.0.0.1:", port));
    beast::http::response<beast::http::string_body> response;
    beast::flat_buffer buffer;
    bool done = false;
    absl::Status status = RunFor(
        [&] {
          beast::http::async_write(socket, request, [&](beast::error_code e, size_t) {
            if (e) {
              ec = e;
              done = true;
              return;
            }
            beast::http::async_read(socket, buffer, response, [&](beast::error_code e2, size_t) {
              ec = e2;
              done = true;
            });
          });
        },
        kCallTimeout, &done);
    if (!status.ok()) return status;
    if (ec)
      return absl::UnavailableError(absl::StrCat("DevTools GET ", target, ": ", ec.message()));
    return response.body();
  }

  // Sends one CDP command and returns its "result" object as JSON text.
  absl::StatusOr<rapidjson::Document> Call(const std::string& method,
                                           const std::function<void(json::Writer&)>& params) {
    const int64_t id = next_id++;
    rapidjson::StringBuffer out;
    json::Writer w(out);
    w.StartObject();
    json::WriteKey(w, "id");
    w.Int64(id);
    json::WriteKey(w, "method");
    json::WriteString(w, method);
    json::WriteKey(w, "params");
    w.StartObject();
    if (params) params(w);
    w.EndObject();
    w.EndObject();
    beast::error_code ec;
    ws->write(asio::buffer(std::string(out.GetString())), ec);
    if (ec) return absl::UnavailableError(absl::StrCat("DevTools write: ", ec.message()));
    const absl::Time deadline = absl::Now() + kCallTimeout;
    while (absl::Now() < deadline) {
      beast::flat_buffer buffer;
      bool done = false;
      absl::Status status = RunFor(
          [&] {
            ws->async_read(buffer, [&](beast::error_code e, size_t) {
              ec = e;
              done = true;
            });
          },
          deadline - absl::Now(), &done);
      if (!status.ok()) return status;
      if (ec) return absl::UnavailableError(absl::StrCat("DevTools read: ", ec.message()));
      auto doc = json::ParseJson(beast::buffers_to_string(buffer.data()), "DevTools message");
      if (!doc.ok()) return doc.status();
      if (!doc->IsObject() || !doc->HasMember("id") || !(*doc)["id"].IsInt64() ||
          (*doc)["id"].GetInt64() != id) {
        continue;  // an event, or another command's answer
      }
      if (doc->HasMember("error")) {
        return absl::InternalError(absl::StrCat(method, ": ", json::ToJsonString((*doc)["error"])));
      }
      rapidjson::Document result;
      result.CopyFrom((*doc)["result"], result.GetAllocator());
      return result;
    }
    return absl::DeadlineExceededError(absl::StrCat(method, ": no answer"));
  }
};

HeadlessBrowser::HeadlessBrowser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HeadlessBrowser::~HeadlessBrowser() {
  if (impl_->ws.has_value()) {
    beast::error_code ignored;
    beast::get_lowest_layer(*impl_->ws).close(ignored);
  }
}

absl::StatusOr<std::unique_ptr<HeadlessBrowser>> HeadlessBrowser::Start(
    const std::string& work_dir) {
  const std::string program = eventmesh::testing::FindProgram("chromium");
  if (program.empty()) {
    return absl::NotFoundError("chromium is not installed (apt-get install chromium)");
  }
  const std::string profile = absl::StrCat(work_dir, "/chromium-profile");
  auto impl = std::make_unique<Impl>();
  auto process = eventmesh::testing::ChildProcess::Start(
      program,
      {"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
       "--no-default-browser-check", "--disable-extensions", "--window-size=1280,2000",
       "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
       absl::StrCat("--user-data-dir=", profile), "about:blank"},
      absl::StrCat(work_dir, "/chromium.log"));
  if (!process.ok()) return process.status();
  impl->process = std::move(*process);
  // Chromium writes the port it bound into <profile>/DevToolsActivePort.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (impl->port == 0 && absl::Now() < deadline) {
    std::ifstream in(absl::StrCat(profile, "/DevToolsActivePort"));
    std::string line;
    if (std::getline(in, line) && absl::SimpleAtoi(line, &impl->port) && impl->port > 0) break;
    impl->port = 0;
    if (impl->process->Wait(absl::Milliseconds(50)) >= 0) {
      return absl::UnavailableError(absl::StrCat("chromium exited: ", impl->process->LogTail()));
    }
  }
  if (impl->port == 0) {
    return absl::DeadlineExceededError(
        absl::StrCat("chromium did not open its DevTools port: ", impl->process->LogTail()));
  }
  // The first page target.
  std::string ws_path;
  while (ws_path.empty() && absl::Now() < deadline) {
    auto list = impl->HttpGet("/json/list");
    if (!list.ok()) return list.status();
    auto doc = json::ParseJson(*list, "DevTools target list");
    if (!doc.ok()) return doc.status();
    if (doc->IsArray()) {
      for (const auto& target : doc->GetArray()) {
        if (json::GetString(target, "type") != absl::string_view("page")) continue;
        const auto url = json::GetString(target, "webSocketDebuggerUrl");
        if (!url.has_value()) continue;
        const size_t slash = url->find("/devtools/");
        if (slash != absl::string_view::npos) ws_path = std::string(url->substr(slash));
        break;
      }
    }
    if (ws_path.empty()) absl::SleepFor(absl::Milliseconds(50));
  }
  if (ws_path.empty()) return absl::DeadlineExceededError("chromium has no page target");
  impl->ws.emplace(impl->io);
  beast::error_code ec;
  beast::get_lowest_layer(*impl->ws).connect(
      {asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(impl->port)}, ec);
  if (!ec) impl->ws->handshake(absl::StrCat("127.0.0.1:", impl->port), ws_path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("DevTools websocket: ", ec.message()));
  impl->ws->read_message_max(64 << 20);  // screenshots
  auto browser = std::unique_ptr<HeadlessBrowser>(new HeadlessBrowser(std::move(impl)));
  if (auto enabled = browser->impl_->Call("Page.enable", nullptr); !enabled.ok()) {
    return enabled.status();
  }
  return browser;
}

absl::Status HeadlessBrowser::Navigate(const std::string& url) {
  auto navigated = impl_->Call("Page.navigate", [&](json::Writer& w) {
    json::WriteKey(w, "url");
    json::WriteString(w, url);
  });
  if (!navigated.ok()) return navigated.status();
  if (navigated->HasMember("errorText")) {
    return absl::UnavailableError(
        absl::StrCat("navigate ", url, ": ", json::ToJsonString((*navigated)["errorText"])));
  }
  return WaitFor(absl::StrCat("document.readyState === 'complete' && location.href === ",
                              json::ToJsonString(
                                  rapidjson::Value(rapidjson::StringRef(url.data(), url.size())))),
                 absl::Seconds(30), "location.href + ' ' + document.readyState");
}

absl::StatusOr<std::string> HeadlessBrowser::Evaluate(const std::string& expression) {
  auto result = impl_->Call("Runtime.evaluate", [&](json::Writer& w) {
    json::WriteKey(w, "expression");
    json::WriteString(w, expression);
    json::WriteKey(w, "returnByValue");
    w.Bool(true);
    json::WriteKey(w, "awaitPromise");
    w.Bool(true);
  });
  if (!result.ok()) return result.status();
  if (result->HasMember("exceptionDetails")) {
    return absl::InternalError(absl::StrCat("evaluating ", expression, ": ",
                                            json::ToJsonString((*result)["exceptionDetails"])));
  }
  const auto& remote = (*result)["result"];
  if (!remote.IsObject() || !remote.HasMember("value")) return std::string("null");
  return json::ToJsonString(remote["value"]);
}

absl::Status HeadlessBrowser::WaitFor(const std::string& condition, absl::Duration timeout,
                                      const std::string& describe) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    auto value = Evaluate(absl::StrCat("!!(", condition, ")"));
    if (!value.ok()) return value.status();
    if (*value == "true") return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  auto described = Evaluate(describe);
  return absl::DeadlineExceededError(absl::StrCat("not true within ", absl::FormatDuration(timeout),
                                                  ": ", condition, "\n  ", describe, " = ",
                                                  described.ok() ? *described : "?"));
}

absl::Status HeadlessBrowser::Screenshot(const std::string& png_path) {
  auto shot = impl_->Call("Page.captureScreenshot", [](json::Writer& w) {
    json::WriteKey(w, "format");
    json::WriteString(w, "png");
    json::WriteKey(w, "captureBeyondViewport");
    w.Bool(true);
  });
  if (!shot.ok()) return shot.status();
  const auto data = json::GetString(*shot, "data");
  std::string png;
  if (!data.has_value() || !absl::Base64Unescape(*data, &png)) {
    return absl::InternalError("the screenshot is not base64");
  }
  std::ofstream out(png_path, std::ios::binary);
  out << png;
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", png_path));
  return absl::OkStatus();
}

std::string HeadlessBrowser::LogTail() const { return impl_->process->LogTail(); }

}  // namespace eventmesh::runtime::admin::testing
