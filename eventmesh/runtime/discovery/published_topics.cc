#include "eventmesh/runtime/discovery/published_topics.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace eventmesh::runtime::discovery {

absl::StatusOr<std::unique_ptr<PublishedTopics>> PublishedTopics::Open(std::string path,
                                                                       size_t max_topics) {
  std::unique_ptr<PublishedTopics> topics(new PublishedTopics(path, max_topics));
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    if (errno == ENOENT) return topics;
    return absl::InternalError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  const std::string content = text.str();
  size_t start = 0;
  while (start < content.size()) {
    const size_t end = content.find('\n', start);
    if (end == std::string::npos) break;
    if (end > start && topics->topics_.size() < max_topics) {
      topics->topics_.insert(content.substr(start, end - start));
    }
    start = end + 1;
  }
  if (start < content.size()) {
    // A torn last line (a crash mid-append): cut it, so that the next append starts a line.
    LOG(WARNING) << "dropping a torn last line of " << path << " (" << content.size() - start
                 << " bytes)";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content.substr(0, start);
    out.flush();
    if (!out.good()) {
      return absl::InternalError(absl::StrCat("cannot rewrite ", path, ": ", std::strerror(errno)));
    }
  }
  return topics;
}

std::vector<std::string> PublishedTopics::Update(const std::vector<std::string>& topics) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string appended;
  for (const std::string& topic : topics) {
    if (topics_.size() >= max_) break;
    if (topic.empty() || topic.find('\n') != std::string::npos) continue;
    if (topics_.insert(topic).second) absl::StrAppend(&appended, topic, "\n");
  }
  if (!appended.empty()) {
    std::ofstream out(path_, std::ios::binary | std::ios::app);
    out << appended;
    out.flush();
    if (!out.good()) {
      LOG(WARNING) << "cannot record the published topics in " << path_ << ": "
                   << std::strerror(errno);
    }
  }
  return std::vector<std::string>(topics_.begin(), topics_.end());
}

std::vector<std::string> PublishedTopics::Topics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::vector<std::string>(topics_.begin(), topics_.end());
}

}  // namespace eventmesh::runtime::discovery
