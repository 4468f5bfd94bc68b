#ifndef EVENTMESH_RUNTIME_CORE_GROUP_CONSUMER_H_
#define EVENTMESH_RUNTIME_CORE_GROUP_CONSUMER_H_

// Delivers the events of one connector subscription to a set of targets (sessions) and tracks
// them until acknowledged.
//
// CLUSTERING: one GroupConsumer per (group, topic) in this runtime, shared by every listening
// session of the group; each event goes to exactly one target with a free window slot (round
// robin, so the load is balanced; a slow target with a full window is skipped).
// BROADCASTING: one GroupConsumer per (session, topic) with a broadcasting subscription.
//
// Delivery tracking: every push gets a runtime-wide unique sequence number (the consumer takes
// them kSeqBlock at a time, see InFlightTable); the target's ACK of that seq acknowledges the
// position to the connector (which commits it). A push not acknowledged within ack_timeout_ms, or
// held by a target that goes away, is delivered again (preferably to another target); once an event
// has been pushed max_delivery_count times and is still not acknowledged it is handed to the
// dead-letter sink and, after the sink stored it, acknowledged. Each failed delivery is also
// recorded with the connector (Subscription::NoteDeliveries); with a connector that keeps those
// counts, an event arrives with the deliveries an earlier holder made
// (DeliveredEvent::previous_deliveries) and the count goes on from there, so a poison event is
// dead-lettered even when the runtime restarts or the partition moves to another runtime. Events
// are pushed in the order the connector delivered them (per partition), so a target sees each
// partition's events in order except for redeliveries.
//
// Memory: pending events are bounded by the subscription's max_unacked (the connector stops
// reading when it is reached); pushes in flight by the targets' windows.
//
// Thread-safe. Lock order: GroupConsumer::mu_ -> target internals; the connector is never
// called with mu_ held.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "eventmesh/connectors/api/connector.h"
#include "eventmesh/runtime/core/delivery_target.h"
#include "eventmesh/runtime/core/in_flight_table.h"
#include "eventmesh/runtime/core/runtime_metrics.h"

namespace eventmesh::runtime::core {

struct DeliverySettings {
  int64_t ack_timeout_ms = 30'000;
  int32_t max_delivery_count = 5;
  // Counts pushes, acks (with their latency), redeliveries and dead letters; nullptr = none.
  // Must outlive the consumer.
  RuntimeMetrics* metrics = nullptr;
};

// Per-target delivery behaviour, given when the target is added.
struct TargetSettings {
  // false: pushes to this target never time out. The target promises to settle every push
  // itself (OnAck, or Reject after its own retries) or to be removed (its pushes are then
  // delivered again); webhook targets that retry an endpoint for minutes use this so the
  // group's ack timeout does not redeliver an event that is still being retried.
  bool ack_timeout = true;
};

// Stores a dead-lettered event; `done` runs once with the outcome.
using DeadLetterSink =
    std::function<void(cloudevents::CloudEvent event, std::function<void(absl::Status)> done)>;

// Hands out runtime-wide unique push sequence numbers kSeqBlock at a time: returns the first of
// kSeqBlock consecutive seqs, a multiple of kSeqBlock, never 0.
using SeqBlockGenerator = std::function<uint64_t()>;

struct ConsumerStats {
  int64_t pending = 0;
  int64_t in_flight = 0;
  int64_t delivered = 0;
  int64_t acked = 0;
  int64_t redelivered = 0;
  int64_t dead_lettered = 0;
};

class GroupConsumer : public std::enable_shared_from_this<GroupConsumer> {
 public:
  GroupConsumer(std::string group, std::string topic, connectors::ConsumeMode mode,
                DeliverySettings settings, SeqBlockGenerator seq_blocks,
                DeadLetterSink dead_letter);
  ~GroupConsumer();

  // Opens the connector subscription; events start flowing to the targets.
  // `max_unacked` / `max_unacked_bytes` bound the connector's read-ahead (SubscribeOptions).
  absl::Status Open(connectors::Connector* connector, int32_t max_unacked,
                    connectors::StartPosition start = connectors::StartPosition::kLatest,
                    int64_t max_unacked_bytes = int64_t{64} << 20);

  // Adds a target that receives pushes of `kind`. Adding a target twice updates its kind.
  void AddTarget(std::shared_ptr<DeliveryTarget> target, PushKind kind,
                 TargetSettings settings = {});
  // Removes a target; its unacknowledged events are delivered again to the others. Returns the
  // number of remaining targets.
  size_t RemoveTarget(uint64_t target_id);

  // The target acknowledged push `seq`. Unknown seqs (late acks) are ignored.
  void OnAck(uint64_t seq) { OnAcks(&seq, 1); }
  // Several acknowledgements at once (one lock round for a batch read from a socket).
  void OnAcks(const uint64_t* seqs, size_t count);
  // The target gives up on push `seq` (e.g. the endpoint refused it or retries are exhausted):
  // the event goes to the dead-letter sink at once, with extensions "dlqreason" = `reason` and
  // "dlqdeliveries" = `attempts`, and is acknowledged once stored there. Unknown seqs are
  // ignored.
  void Reject(uint64_t seq, const std::string& reason, int32_t attempts);
  // Tries to push pending events (called when a target's window opened).
  void Dispatch();
  // Handles ack timeouts; called periodically.
  void Tick(int64_t now_ms);
  // Closes the subscription (the connector commits what was acknowledged). Idempotent.
  void Close();

  const std::string& group() const { return group_; }
  const std::string& topic() const { return topic_; }
  ConsumerStats stats();
  size_t target_count();

 private:
  struct Entry {
    connectors::DeliveredEvent delivered;
    int32_t delivery_count = 0;
    uint64_t last_target = 0;
    std::string reject_reason;  // set by Reject
    int32_t reject_attempts = 0;
  };
  struct InFlight {  // (its ack deadline is kept by in_flight_)
    std::shared_ptr<Entry> entry;
    std::shared_ptr<DeliveryTarget> target;
    int64_t pushed_ns = 0;  // SteadyNowNs at the push (ack latency)
  };
  struct Target {
    std::shared_ptr<DeliveryTarget> target;
    PushKind kind;
    TargetSettings settings;
  };
  struct Outcome {  // work to do after releasing mu_
    std::vector<connectors::Position> acks;
    std::vector<std::shared_ptr<DeliveryTarget>> release;
    std::vector<std::pair<std::shared_ptr<DeliveryTarget>, std::string>> forget;
    std::vector<std::shared_ptr<Entry>> dead;
    // Failed deliveries to record with the connector (Subscription::NoteDeliveries).
    std::vector<std::pair<connectors::Position, int32_t>> notes;
  };

  void OnEvents(std::vector<connectors::DeliveredEvent>* events);
  // Targets pushed to by DispatchLocked; FlushPushes is called on them after mu_ is released.
  using FlushList = std::vector<std::shared_ptr<DeliveryTarget>>;
  void DispatchLocked(FlushList* flush);
  // The next push's seq (from the block taken last, or a new block).
  uint64_t TakeSeqLocked() {
    if (seq_next_ == seq_end_) {
      seq_next_ = next_seq_block_();
      seq_end_ = seq_next_ + kSeqBlock;
    }
    return seq_next_++;
  }
  // The index of the next target (round robin) with a free slot for `entry`, its slot taken;
  // -1 when every window is full.
  int ChooseTargetLocked(const Entry& entry);
  // DispatchLocked's run of stored-bytes pushes from the queue's front, whose entry has a slot
  // at targets_[first_target]: up to 64 entries, each target's share pushed in one
  // PushStoredRun. False when the targets turned out closed and none is left.
  bool DispatchRunsLocked(int first_target, int64_t now_ns,
                          const std::shared_ptr<GroupConsumer>& self, FlushList* flush);
  void RemoveTargetByIdLocked(uint64_t target_id);
  // A push `chosen` queued: the entry goes in flight under `seq`.
  void RecordPushLocked(std::shared_ptr<Entry> entry, const Target& chosen, uint64_t seq,
                        int64_t now_ns, FlushList* flush);
  // Sends what the targets queued, then dead-letters the events no target could carry.
  void Flush(FlushList& flush);
  void Finish(Outcome& outcome);
  void Requeue(std::vector<std::pair<uint64_t, std::shared_ptr<Entry>>>& entries, Outcome& outcome);
  // An entry for `delivered` (moved in): a spare one when there is one, else a new one.
  std::shared_ptr<Entry> NewEntryLocked(connectors::DeliveredEvent& delivered);
  // Keeps an acknowledged event's entry for the next event, when nothing else holds it.
  void RecycleEntryLocked(std::shared_ptr<Entry> entry);

  const std::string group_;
  const std::string topic_;
  const connectors::ConsumeMode mode_;
  const DeliverySettings settings_;
  const SeqBlockGenerator next_seq_block_;
  const DeadLetterSink dead_letter_;

  std::mutex mu_;
  bool closed_ = false;
  std::shared_ptr<connectors::Subscription> subscription_;
  std::vector<Target> targets_;
  size_t next_target_ = 0;
  std::deque<std::shared_ptr<Entry>> pending_;
  // Events a target could not carry (PushResult::kUndeliverable), dead-lettered by Flush.
  std::vector<std::shared_ptr<Entry>> undeliverable_;
  InFlightTable<InFlight> in_flight_;  // by seq, with each push's ack deadline (ms)
  uint64_t seq_next_ = 0;              // TakeSeqLocked's block: [seq_next_, seq_end_)
  uint64_t seq_end_ = 0;
  // DispatchRunsLocked's buffers, kept between runs. Per event of the run in queue order: its
  // (seq, seq text), its target's index and its push's place in run_pushes_ (grouped by target).
  std::vector<std::pair<uint64_t, std::string>> run_seqs_;
  std::vector<uint32_t> run_targets_;
  std::vector<uint32_t> run_slots_;
  std::vector<DeliveryTarget::StoredPush> run_pushes_;
  std::vector<std::shared_ptr<Entry>> run_kept_;  // entries of a closed target, requeued
  // Entries of acknowledged events, reset, for the next events (at most kSpareEntries): while
  // events flow an event's entry is neither allocated nor freed (nor freed by the thread that
  // handles the acknowledgement, far from the one that allocated it).
  static constexpr size_t kSpareEntries = 1024;
  std::vector<std::shared_ptr<Entry>> spare_entries_;
  ConsumerStats stats_;
};

int64_t SteadyNowMs();

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_GROUP_CONSUMER_H_
