#ifndef EVENTMESH_SDK_INTERNAL_PENDING_REQUESTS_H_
#define EVENTMESH_SDK_INTERNAL_PENDING_REQUESTS_H_

// Requests sent to the runtime that await a reply with the same seq, each with a deadline.
// The client takes an entry out when its reply arrives, when its deadline passes, or when
// the connection is lost, and then runs the entry's callback (outside its lock).
// Add is O(log n) and Take O(1) amortised: the deadlines are a binary heap whose entries for
// requests already answered are dropped when they come to the top (or when they outnumber the
// pending ones, in one rebuild), so answering a request touches only the hash map.
// Not thread-safe: the owner serialises access.

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventmesh/protocol/tcp/command.h"
#include "eventmesh/protocol/tcp/package.h"

namespace eventmesh::sdk {

class PendingRequests {
 public:
  // Receives the reply package, or the error that ended the wait.
  using Callback = std::function<void(absl::StatusOr<protocol::tcp::Package>)>;

  struct Entry {
    uint64_t seq = 0;
    protocol::tcp::Command cmd = protocol::tcp::Command::kHeartbeatRequest;  // The request.
    absl::Time deadline;
    Callback done;
  };

  // Registers a request. Returns false (and keeps the existing entry) when `seq` is taken.
  bool Add(uint64_t seq, protocol::tcp::Command cmd, absl::Time deadline, Callback done);

  // Removes and returns the entry for `seq`; nullopt when there is none (already answered,
  // timed out, or never sent).
  std::optional<Entry> Take(uint64_t seq);

  // Removes and returns every entry whose deadline is <= now, earliest first.
  std::vector<Entry> TakeExpired(absl::Time now);

  // Removes and returns every entry, earliest deadline first.
  std::vector<Entry> TakeAll();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  using Deadline = std::pair<absl::Time, uint64_t>;  // deadline, seq
  // Drops heap entries whose request is no longer pending (answered, or taken and added again
  // with another deadline) from the top.
  void PopStale();

  absl::flat_hash_map<uint64_t, Entry> entries_;
  // A min-heap (std::greater) of every pending request's deadline, and of some answered ones'.
  std::vector<Deadline> by_deadline_;
};

}  // namespace eventmesh::sdk

#endif  // EVENTMESH_SDK_INTERNAL_PENDING_REQUESTS_H_
