#include "eventmesh/runtime/discovery/registry_agent.h"

#include <algorithm>
#include <utility>

#include "eventmesh/common/backoff.h"
#include "glog/logging.h"

namespace eventmesh::runtime::discovery {

absl::StatusOr<std::unique_ptr<RegistryAgent>> RegistryAgent::Start(
    registry::Registry* registry, RegistryAgentOptions options,
    std::function<RuntimeReport()> report) {
  if (options.lease <= absl::ZeroDuration() || options.report_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the registry lease and report interval must be positive");
  }
  std::unique_ptr<RegistryAgent> agent(
      new RegistryAgent(registry, std::move(options), std::move(report)));
  const registry::Instance first = agent->Current();
  if (auto s = registry::Validate(first); !s.ok()) return s;
  absl::Status registered = agent->RegisterNow(first);
  if (absl::IsInvalidArgument(registered) || absl::IsPermissionDenied(registered)) {
    return registered;
  }
  if (!registered.ok()) {
    LOG(WARNING) << "registry not reachable yet (" << registered
                 << "); this runtime keeps trying to register";
  } else {
    LOG(INFO) << "registered in the registry as " << first.mesh << "/" << first.id;
  }
  agent->thread_ = std::thread([a = agent.get()] { a->Loop(); });
  return agent;
}

RegistryAgent::RegistryAgent(registry::Registry* registry, RegistryAgentOptions options,
                             std::function<RuntimeReport()> report)
    : registry_(registry), options_(std::move(options)), report_(std::move(report)) {}

RegistryAgent::~RegistryAgent() { Stop(); }

registry::Instance RegistryAgent::Current() {
  registry::Instance instance = options_.identity;
  if (report_) {
    RuntimeReport r = report_();
    instance.load = r.load;
    instance.topics = std::move(r.topics);
    for (auto& [key, value] : r.metadata) instance.metadata[key] = std::move(value);
  }
  return instance;
}

absl::Status RegistryAgent::RegisterNow(const registry::Instance& instance) {
  auto granted = registry_->Register(instance, options_.lease);
  absl::MutexLock lock(&mu_);
  if (!granted.ok()) {
    ++stats_.failures;
    stats_.registered = false;
    return granted.status();
  }
  ++stats_.registrations;
  stats_.registered = true;
  last_registered_ = instance;
  return absl::OkStatus();
}

void RegistryAgent::Loop() {
  const absl::Duration renew_every = options_.lease / 3;
  const absl::Duration tick = std::min(renew_every, options_.report_interval);
  Backoff backoff(absl::Milliseconds(200), tick, Backoff::Jitter::kEqual);
  absl::Time last_renew = absl::Now();
  absl::Time last_report = absl::Now();
  absl::Duration wait = tick;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait)) break;
    }
    wait = tick;
    const absl::Time now = absl::Now();
    bool registered;
    {
      absl::MutexLock lock(&mu_);
      registered = stats_.registered;
    }
    absl::Status s;
    if (!registered) {
      s = RegisterNow(Current());
      last_report = last_renew = now;
    } else if (now - last_report >= options_.report_interval) {
      last_report = now;
      registry::Instance current = Current();
      if (!current.SameReport(last_registered_)) {
        s = RegisterNow(current);
        last_renew = now;
      }
    }
    if (s.ok() && registered && now - last_renew >= renew_every) {
      s = registry_->Renew(options_.identity.mesh, options_.identity.id);
      last_renew = now;
      absl::MutexLock lock(&mu_);
      if (s.ok()) {
        ++stats_.renewals;
      } else {
        ++stats_.failures;
        // NotFound: the registry lost us; anything else: unknown, so register afresh too.
        stats_.registered = false;
      }
    }
    if (!s.ok()) {
      wait = backoff.Next();
      LOG_EVERY_N(WARNING, 10) << "registry: " << s << " (retrying in " << wait << ")";
    } else {
      backoff.Reset();
    }
  }
}

void RegistryAgent::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (auto s = registry_->Deregister(options_.identity.mesh, options_.identity.id); !s.ok()) {
    LOG(WARNING) << "registry: deregistering " << options_.identity.mesh << "/"
                 << options_.identity.id << ": " << s;
  }
}

RegistryAgentStats RegistryAgent::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace eventmesh::runtime::discovery
