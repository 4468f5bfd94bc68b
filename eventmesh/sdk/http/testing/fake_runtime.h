#ifndef EVENTMESH_SDK_HTTP_TESTING_FAKE_RUNTIME_H_
#define EVENTMESH_SDK_HTTP_TESTING_FAKE_RUNTIME_H_

// A scripted stand-in for the runtime's HTTP port, for SDK tests that check exactly what the
// client sends and how it reads answers: records every request and answers with the response
// the test set for its request code (default {"retCode":0,"retMsg":"success"}).
// Thread-safe. Test-only.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventmesh/net/testing/test_http_server.h"
#include "eventmesh/protocol/http/response.h"

namespace eventmesh::sdk::http::testing {

class FakeRuntime {
 public:
  // Plain HTTP, or TLS with `tls`.
  explicit FakeRuntime(const net::testing::TestTls* tls = nullptr) {
    auto server = net::testing::TestHttpServer::Start(
        [this](const net::testing::TestRequest& r) { return Handle(r); }, tls);
    if (server.ok()) server_ = *std::move(server);
  }

  bool ok() const { return server_ != nullptr; }
  std::string Url() const {
    std::string url = server_->Url("/");
    url.pop_back();  // runtime URLs have no path
    return url;
  }

  // The answer to requests with header code `code` ("" = URI endpoints).
  void SetAnswer(const std::string& code, int http_status, std::string body) {
    absl::MutexLock lock(&mu_);
    answers_[code] = {http_status, std::move(body)};
  }

  std::vector<net::testing::TestRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  // Requests with header code `code`.
  std::vector<net::testing::TestRequest> RequestsWithCode(const std::string& code) {
    absl::MutexLock lock(&mu_);
    std::vector<net::testing::TestRequest> out;
    for (const auto& r : requests_) {
      if (r.header("code") == code) out.push_back(r);
    }
    return out;
  }
  // Waits (bounded by `timeout`) until `n` requests with `code` arrived; returns the count.
  size_t WaitForCode(const std::string& code, size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      size_t count = 0;
      for (const auto& r : requests_) count += r.header("code") == code ? 1 : 0;
      return count >= n;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    size_t count = 0;
    for (const auto& r : requests_) count += r.header("code") == code ? 1 : 0;
    return count;
  }

 private:
  net::testing::TestResponse Handle(const net::testing::TestRequest& r) {
    absl::MutexLock lock(&mu_);
    requests_.push_back(r);
    net::testing::TestResponse response;
    response.headers.emplace_back("Content-Type",
                                  std::string(protocol::http::kResponseContentType));
    auto it = answers_.find(r.header("code"));
    if (it != answers_.end()) {
      response.status = it->second.first;
      response.body = it->second.second;
    } else {
      response.body = protocol::http::MakeResponseJson(0, "success", 1);
    }
    return response;
  }

  absl::Mutex mu_;
  std::vector<net::testing::TestRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::pair<int, std::string>> answers_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<net::testing::TestHttpServer> server_;
};

}  // namespace eventmesh::sdk::http::testing

#endif  // EVENTMESH_SDK_HTTP_TESTING_FAKE_RUNTIME_H_
