#ifndef TOOLS_CHAOS_LEDGER_H_
#define TOOLS_CHAOS_LEDGER_H_

// Ledger: the bookkeeping of a chaos run. The publisher numbers its events 0, 1, 2, ... and
// records which publishes the runtime acknowledged; consumers record every event they processed
// and acknowledged. Check() compares the two:
//   lost        acknowledged to the publisher, never processed by a consumer (must be 0);
//   duplicates  processed more than once (at-least-once delivery allows them; reported);
//   unexpected  processed but never issued by the publisher (must be 0).
// Events that were processed but whose publish was not acknowledged (the ack was lost with a
// connection) are counted apart: they are allowed.
// Thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace eventmesh::chaos {

class Ledger {
 public:
  // The next event number to publish (0, 1, 2, ...).
  uint64_t Issue();
  // The runtime acknowledged the publish of event `id`.
  void Acknowledged(uint64_t id);
  // A consumer processed (and acknowledged) event `id`.
  void Consumed(uint64_t id);
  // A consumer got a body that is not one of ours.
  void Malformed();

  struct Report {
    uint64_t issued = 0;
    uint64_t acknowledged = 0;
    uint64_t consumed = 0;    // distinct events processed
    uint64_t deliveries = 0;  // every processing, duplicates included
    uint64_t lost = 0;
    uint64_t duplicates = 0;  // deliveries beyond the first of each event
    uint64_t unexpected = 0;  // never issued, or not a chaos body
    uint64_t unacknowledged_but_consumed = 0;
    std::vector<uint64_t> lost_examples;  // at most 10
    bool ok() const { return lost == 0 && unexpected == 0; }
    std::string ToString() const;
  };
  Report Check() const;
  // Acknowledged events not yet consumed.
  uint64_t Outstanding() const;

 private:
  mutable absl::Mutex mu_;
  uint64_t issued_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_set<uint64_t> acknowledged_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, uint32_t> consumed_ ABSL_GUARDED_BY(mu_);
  uint64_t outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // acknowledged and not consumed
  uint64_t malformed_ ABSL_GUARDED_BY(mu_) = 0;
};

// The body of event `id` of run `run`, and its inverse (false for anything else).
std::string EventBody(const std::string& run, uint64_t id);
bool ParseEventBody(const std::string& run, const std::string& body, uint64_t* id);

}  // namespace eventmesh::chaos

#endif  // TOOLS_CHAOS_LEDGER_H_
