#ifndef EVENTMESH_RUNTIME_ADMIN_TESTING_HEADLESS_BROWSER_H_
#define EVENTMESH_RUNTIME_ADMIN_TESTING_HEADLESS_BROWSER_H_

// A real headless Chromium (Debian's `chromium`) driven over the DevTools protocol on a loopback
// port, for tests of the dashboard: navigate, evaluate JavaScript in the page (clicks, form
// input, DOM queries), wait for a condition, take screenshots.
//
// Start launches the browser with a fresh profile under `work_dir` and connects to its first
// page; the destructor kills it. Every call has a bounded wait (a browser that stops answering
// gives DeadlineExceeded, never a hang). Test-only. Not thread-safe.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace eventmesh::runtime::admin::testing {

class HeadlessBrowser {
 public:
  // Errors: NotFound (no chromium in PATH), DeadlineExceeded (no DevTools port within 30 s),
  // Unavailable (cannot connect to it).
  static absl::StatusOr<std::unique_ptr<HeadlessBrowser>> Start(const std::string& work_dir);
  ~HeadlessBrowser();

  // Loads `url` and waits until the document finished loading.
  absl::Status Navigate(const std::string& url);
  // Evaluates `expression` in the page (awaiting it when it is a promise); its value as JSON
  // text ("true", "\"text\"", "4", "null" for undefined). Errors: Internal with the page's
  // exception text.
  absl::StatusOr<std::string> Evaluate(const std::string& expression);
  // Polls `condition` (a JavaScript expression) every 50 ms until it evaluates to true.
  // Errors: DeadlineExceeded naming the condition and `describe`'s last value (a JavaScript
  // expression evaluated for the message, e.g. the status line).
  absl::Status WaitFor(const std::string& condition, absl::Duration timeout,
                       const std::string& describe = "document.body.innerText.slice(0, 2000)");
  // Writes a PNG of the page's viewport.
  absl::Status Screenshot(const std::string& png_path);

  // The browser's own log (for failure messages).
  std::string LogTail() const;

 private:
  class Impl;
  explicit HeadlessBrowser(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace eventmesh::runtime::admin::testing

#endif  // EVENTMESH_RUNTIME_ADMIN_TESTING_HEADLESS_BROWSER_H_
