#include "eventmesh/connectors/eventstore/event_store_connector.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <typeinfo>
#include <utility>

#include "absl/strings/str_cat.h"
#include "eventmesh/common/backoff.h"
#include "eventmesh/common/bounded_executor.h"
#include "eventmesh/common/memory_size.h"
#include "eventmesh/common/named_thread.h"
#include "eventmesh/connectors/api/delivery_metadata.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"
#include "glog/logging.h"

namespace eventmesh::connectors {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A published event's stored bytes (its CloudEvents protobuf form), attached to its record
// (see EventStore::KeepsAttachments): the store's tail cache keeps them in one block, and
// deliveries share them instead of copying the record's payload. The publisher's CloudEvent is
// freed as soon as it is serialized, on the publisher's thread.
class PublishedBytes final : public store::RecordAttachment {
 public:
  // `validated`: the bytes came as a PendingPublish::stored (see DeliveredEvent::stored_validated);
  // `hints`: PendingPublish::stored_hints.
  PublishedBytes(std::string bytes, bool validated, const cloudevents::StoredEventHints& hints)
      : bytes_(std::move(bytes)), validated_(validated), hints_(hints) {}
  const std::string& bytes() const { return bytes_; }
  bool validated() const { return validated_; }
  const cloudevents::StoredEventHints& hints() const { return hints_; }
  // The record is appended with an empty payload: the store reads the bytes from here.
  const std::string* Payload() const override { return &bytes_; }
  // One block with make_shared's control block (two counts and a vtable pointer), and the
  // bytes' own heap block.
  int64_t MemoryBytes() const override {
    return static_cast<int64_t>(HeapBlockBytes(sizeof(*this) + 16) + StringHeapBytes(bytes_));
  }

 private:
  const std::string bytes_;
  const bool validated_;
  const cloudevents::StoredEventHints hints_;
};

// The attachment as this connector's PublishedBytes, or nullptr. PublishedBytes is final, so
// comparing the dynamic type is the whole check (cheaper than dynamic_cast's hierarchy walk, on
// every delivered event).
const PublishedBytes* AsPublished(const store::RecordAttachment* attachment) {
  if (attachment == nullptr || typeid(*attachment) != typeid(PublishedBytes)) return nullptr;
  return static_cast<const PublishedBytes*>(attachment);
}

// Hands a publish's stored bytes to what appends them (a PendingAppend or a ProducerRecord, both
// with `payload` and `attachment`): as an attachment when the store keeps them in memory
// (`attach`), else as the record's payload.
template <typename Record>
void TakePayload(std::string* bytes, bool validated, const cloudevents::StoredEventHints& hints,
                 bool attach, Record* record) {
  if (attach) {
    // The cache keeps the buffer as it is: one grown with much room to spare is copied to its
    // size first (as a copy would have been).
    if (bytes->capacity() - bytes->size() > 64 + bytes->size() / 64) bytes->shrink_to_fit();
    record->attachment =
        std::make_shared<const PublishedBytes>(std::move(*bytes), validated, hints);
  } else {
    record->payload = std::move(*bytes);
  }
}

// Sets the delivery's stored bytes: the attached ones when the store kept them with the record
// (shared, not copied, and validated when they were published so), else the payload, taken from
// the record.
void SetStoredBytes(store::EventRecord& record, DeliveredEvent* delivered) {
  if (const PublishedBytes* published = AsPublished(record.attachment.get())) {
    // Aliasing: the bytes live as long as any delivery or the cache holds the attachment.
    delivered->stored = std::shared_ptr<const std::string>(record.attachment, &published->bytes());
    delivered->stored_validated = published->validated();
    delivered->stored_hints = published->hints();
    return;
  }
  delivered->stored = std::make_shared<const std::string>(std::move(record.payload));
}

// The record's event, decoded from its stored bytes.
absl::StatusOr<std::shared_ptr<const cloudevents::CloudEvent>> DecodeRecord(
    const store::EventRecord& record) {
  const PublishedBytes* published = AsPublished(record.attachment.get());
  auto parsed = cloudevents::ParseProto(published != nullptr ? absl::string_view(published->bytes())
                                                             : absl::string_view(record.payload));
  if (!parsed.ok()) return parsed.status();
  return ShareEvent(std::move(*parsed));
}

}  // namespace

// ----- Subscription state ------------------------------------------------------------------

namespace {

// Set while this thread appends a publisher's batch itself (append_on_caller_thread): fetch
// completions the append runs are then a subscriber's delivery riding on a publisher's thread.
thread_local bool t_appending_for_publisher = false;

// A fetch completed inside such an append hands its delivery to the connector's delivery
// thread when it carries at least this many events: under load the publisher's thread then
// keeps reading, converting and appending while another core decodes and pushes. Smaller
// completions (a caught-up subscriber at a moderate rate) are delivered at once on the
// publisher's thread, which saves a thread wake-up per event and keeps their latency low.
constexpr size_t kDeliveryHandOffMinEvents = 64;

}  // namespace

// Shared between the Subscription handle, the connector's maintenance thread and in-flight
// FetchAsync callbacks (which keep it alive through shared_ptr).
class EventStoreSubscriptionState
    : public std::enable_shared_from_this<EventStoreSubscriptionState> {
 public:
  EventStoreSubscriptionState(store::EventStore* store, const EventStoreConnectorOptions& options,
                              SubscribeOptions sub, DeliveryHandler handler,
                              std::shared_ptr<BoundedExecutor> delivery)
      : store_(store),
        delivery_(std::move(delivery)),
        options_(options),
        fetch_backoff_(absl::Milliseconds(options.retry_initial_backoff_ms),
                       absl::Milliseconds(options.retry_max_backoff_ms)),
        sub_(std::move(sub)),
        topic_(sub_.topic),
        handler_(std::move(handler)) {
    threshold_ = std::max<int64_t>(1, sub_.max_unacked / 4);
  }

  absl::Status Start() {
    if (sub_.mode == ConsumeMode::kBroadcasting) {
      auto described = store_->DescribeTopic({sub_.topic});
      if (!described.ok()) return described.status();
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& info : described->partition_info) {
        Partition& p = partitions_[info.partition];
        p.owned = true;
        p.fetch_offset = info.next_offset;
        p.ack_base = info.next_offset;
      }
    } else {
      // The group's start on every partition it never consumed is fixed now, before the
      // subscription is answered: an event published after the answer is delivered whichever
      // member ends up owning its partition.
      // Failing here (store unreachable) is retried when the assignment is applied.
      if (auto positions = GroupPositions({}); !positions.ok()) {
        LOG(WARNING) << "group " << sub_.group << " topic " << sub_.topic
                     << ": cannot fix the group's start yet: " << positions.status();
      }
      store::JoinGroupRequest join;
      join.group = sub_.group;
      join.topics = {sub_.topic};
      join.session_timeout_ms = options_.session_timeout_ms;
      auto assignment = store_->JoinGroup(join);
      if (!assignment.ok()) return assignment.status();
      {
        std::lock_guard<std::mutex> lock(mu_);
        member_id_ = assignment->member_id;
      }
      ApplyAssignment(*assignment);
    }
    PumpAll();
    return absl::OkStatus();
  }

  void Ack(const Position& position) { AckAll(&position, 1); }

  void NoteDeliveries(const Position& position, int32_t deliveries) {
    if (sub_.mode != ConsumeMode::kClustering || position.topic != topic_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    auto it = partitions_.find(position.partition);
    if (it == partitions_.end() || !it->second.owned) return;
    Partition& p = it->second;
    const int64_t index = position.offset - p.ack_base;
    if (index < 0 || index >= static_cast<int64_t>(p.pending.size()) || p.pending[index] == 0) {
      return;  // acknowledged meanwhile, or not from this assignment
    }
    int32_t& noted = p.deliveries[position.offset];
    if (deliveries <= noted) return;
    noted = deliveries;
    if (index == 0) p.dirty = true;  // travels with the committed position
  }

  void AckAll(const Position* positions, size_t count) {
    bool pump = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      const int64_t before = unacked_;
      for (size_t i = 0; i < count; ++i) {
        const Position& position = positions[i];
        auto it = partitions_.find(position.partition);
        if (it == partitions_.end() || position.topic != topic_) continue;
        Partition& p = it->second;
        int64_t index = position.offset - p.ack_base;
        if (index < 0 || index >= static_cast<int64_t>(p.pending.size()) || p.pending[index] == 0) {
          continue;
        }
        unacked_bytes_ -= p.pending[index];
        p.pending[index] = 0;
        while (!p.pending.empty() && p.pending.front() == 0) {
          p.pending.pop_front();
          ++p.ack_base;
          p.dirty = true;
        }
        if (!p.deliveries.empty()) PruneDeliveries(p);
        --unacked_;
      }
      const int64_t low = sub_.max_unacked - threshold_;
      // Pump when the window drains below the low mark, and whenever a partition was left
      // without a fetch for lack of credit (events or bytes): with a window of a few events the
      // low mark may never be crossed, and nothing else would fetch that partition again.
      pump = (before > low && unacked_ <= low) || (starved_ && unacked_ < before);
    }
    if (pump) PumpAll();
  }

  void Close() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
      idle_cv_.wait(lock, [&] { return in_handler_ == 0; });
    }
    if (sub_.mode == ConsumeMode::kClustering) {
      if (Commit().code() == absl::StatusCode::kFailedPrecondition) {
        // A rebalance (e.g. another member left) moved the generation on: learn the new one
        // and commit the partitions this member still owns.
        Heartbeat();
        if (absl::Status again = Commit(); !again.ok()) {
          LOG(WARNING) << "final commit of group " << sub_.group << ": " << again;
        }
      }
      std::string member;
      {
        std::lock_guard<std::mutex> lock(mu_);
        member = member_id_;
      }
      if (!member.empty()) {
        auto left = store_->LeaveGroup({sub_.group, member});
        if (!left.ok()) LOG(WARNING) << "leave group " << sub_.group << ": " << left.status();
      }
    }
  }

  // True while a maintenance worker runs (or has queued) this subscription's Tick.
  std::atomic<bool> ticking{false};

  // Called by a maintenance worker (never twice at once for one subscription).
  void Tick(int64_t now_ms) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
    }
    if (sub_.mode == ConsumeMode::kClustering) {
      if (now_ms >= next_heartbeat_ms_) {
        next_heartbeat_ms_ = now_ms + options_.heartbeat_interval_ms;
        Heartbeat();
      }
      if (now_ms >= next_commit_ms_) {
        next_commit_ms_ = now_ms + options_.commit_interval_ms;
        (void)Commit();
      }
    }
    PumpAll();  // safety net: restarts partitions whose fetch failed or lacked credit
  }

 private:
  struct Partition {
    bool owned = false;
    uint64_t epoch = 0;
    bool fetch_in_flight = false;
    int64_t reserved = 0;        // max_events of the fetch in flight
    int64_t reserved_bytes = 0;  // max_bytes of the fetch in flight
    int64_t fetch_offset = 0;
    int64_t ack_base = 0;  // first delivered-but-unacked offset (or next to deliver)
    // Offsets [ack_base, ack_base + size) delivered: 0 = acknowledged (or skipped), else the
    // event's size in bytes (at least 1) while it awaits its acknowledgement.
    std::deque<int64_t> pending;
    bool dirty = false;  // ack_base (or its noted deliveries) changed since the last commit
    // Deliveries noted for offsets >= ack_base (NoteDeliveries); the count at ack_base is
    // committed with it as metadata, and restored from it when the partition is assigned.
    std::map<int64_t, int32_t> deliveries;
    int64_t failed_fetches = 0;  // in a row; the next fetch waits fetch_backoff_ for it
    int64_t retry_at_ms = 0;
    bool starved = false;  // its last Pump found no credit
  };

  // Runs on the connector thread, and once from Close after a rebalance; heartbeat_mu_ keeps
  // the two from re-joining twice.
  void Heartbeat() {
    std::lock_guard<std::mutex> serial(heartbeat_mu_);
    std::string member;
    {
      std::lock_guard<std::mutex> lock(mu_);
      member = member_id_;
    }
    auto assignment = store_->Heartbeat({sub_.group, member});
    if (!assignment.ok()) {
      if (assignment.status().code() == absl::StatusCode::kFailedPrecondition) {
        // Expired (e.g. a long pause): join again as a new member.
        store::JoinGroupRequest join;
        join.group = sub_.group;
        join.topics = {sub_.topic};
        join.session_timeout_ms = options_.session_timeout_ms;
        assignment = store_->JoinGroup(join);
        if (!assignment.ok()) {
          LOG(WARNING) << "rejoin group " << sub_.group << ": " << assignment.status();
          return;
        }
        std::lock_guard<std::mutex> lock(mu_);
        member_id_ = assignment->member_id;
      } else {
        LOG(WARNING) << "heartbeat group " << sub_.group << ": " << assignment.status();
        return;
      }
    }
    ApplyAssignment(*assignment);
  }

  void ApplyAssignment(const store::MemberAssignment& assignment) {
    std::map<int32_t, int64_t> added;     // partition -> committed offset (-1 unknown)
    std::map<int32_t, int32_t> restored;  // partition -> deliveries of its committed offset
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (assignment.generation == generation_ && !first_assignment_) return;
      first_assignment_ = false;
      generation_ = assignment.generation;
      std::map<int32_t, bool> wanted;
      for (const auto& tp : assignment.partitions) {
        if (tp.topic == sub_.topic) wanted[tp.partition] = true;
      }
      for (auto& [id, p] : partitions_) {
        if (p.owned && !wanted.count(id)) {
          p.owned = false;
          ++p.epoch;
          ForgetDelivered(p);
        }
      }
      for (const auto& [id, unused] : wanted) {
        if (!partitions_[id].owned) added[id] = -1;
      }
    }
    if (added.empty()) return;
    // Each new partition starts at the group's committed position (see GroupPositions). A
    // failure leaves the new partitions unowned and the assignment is applied again at the next
    // heartbeat: guessing a start would skip the acknowledged backlog or redeliver it.
    std::vector<int32_t> ids;
    for (const auto& [id, unused] : added) ids.push_back(id);
    auto positions = GroupPositions(ids);
    if (!positions.ok()) {
      LOG(WARNING) << "group " << sub_.group << " topic " << sub_.topic
                   << ": cannot read the group's positions: " << positions.status()
                   << " (partitions taken at the next heartbeat)";
      std::lock_guard<std::mutex> lock(mu_);
      first_assignment_ = true;  // re-apply the same generation next time
      return;
    }
    for (const auto& c : *positions) {
      added[c.partition] = c.offset;
      if (int32_t deliveries = DecodeDeliveriesMetadata(c.metadata, c.offset); deliveries > 0) {
        restored[c.partition] = deliveries;
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, offset] : added) {
      Partition& p = partitions_[id];
      p.owned = true;
      ++p.epoch;
      p.fetch_offset = offset;
      p.ack_base = offset;
      ForgetDelivered(p);
      p.dirty = false;
      if (auto r = restored.find(id); r != restored.end()) p.deliveries[offset] = r->second;
    }
  }

  // The group's committed position on each of `partitions` (empty: every partition of the
  // topic). Where the group never committed one, the subscription's start (the partition's end,
  // or its earliest retained offset for kEarliest) is committed first with if_absent: the store
  // keeps the first such start any member writes, so the group starts there once, whichever
  // member owns the partition in whichever generation, and a crash resumes there too.
  absl::StatusOr<std::vector<store::CommittedOffset>> GroupPositions(
      const std::vector<int32_t>& partitions) {
    store::FetchOffsetsRequest fetch;
    fetch.group = sub_.group;
    fetch.topic = sub_.topic;
    fetch.partitions = partitions;
    auto committed = store_->FetchOffsets(fetch);
    if (!committed.ok()) return committed.status();
    fetch.partitions.clear();
    for (const auto& c : committed->offsets) {
      if (c.offset < 0) fetch.partitions.push_back(c.partition);
    }
    if (fetch.partitions.empty()) return std::move(committed->offsets);
    store::CommitOffsetsRequest start;
    start.group = sub_.group;
    start.if_absent = true;
    for (int32_t id : fetch.partitions) {
      store::CommittedOffset position;
      position.topic = topic_;
      position.partition = id;
      // A start this member chose before, whose commit failed, stays its choice: reading the
      // end again would skip what was published in between.
      std::optional<int64_t> chosen;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = chosen_starts_.find(id); it != chosen_starts_.end()) chosen = it->second;
      }
      if (!chosen.has_value()) {
        auto offsets = store_->GetOffsets({sub_.topic, id});
        if (!offsets.ok()) return offsets.status();
        chosen = sub_.start == StartPosition::kEarliest ? offsets->earliest_offset
                                                        : offsets->latest_offset;
        std::lock_guard<std::mutex> lock(mu_);
        chosen_starts_[id] = *chosen;
      }
      position.offset = *chosen;
      start.offsets.push_back(std::move(position));
    }
    if (auto done = store_->CommitOffsets(start); !done.ok()) return done.status();
    auto kept = store_->FetchOffsets(fetch);  // the start that won, possibly another member's
    if (!kept.ok()) return kept.status();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int32_t id : fetch.partitions) chosen_starts_.erase(id);
    }
    std::map<int32_t, store::CommittedOffset> by_partition;
    for (auto& c : kept->offsets) {
      if (c.offset < 0) {
        return absl::InternalError(absl::StrCat("the store kept no start position for group ",
                                                sub_.group, " on ", sub_.topic, "/", c.partition));
      }
      by_partition[c.partition] = std::move(c);
    }
    for (auto& c : committed->offsets) {
      if (c.offset < 0) c = std::move(by_partition[c.partition]);
    }
    return std::move(committed->offsets);
  }

  // Commits the acknowledged watermark of every owned partition that moved. A failed commit
  // (store unreachable, stale generation after a rebalance) leaves the partitions dirty, so the
  // next commit tries again.
  absl::Status Commit() {
    // One commit at a time: Close's final commit must wait for a maintenance worker's commit in
    // flight, or it would find nothing dirty, leave the group, and the worker's commit would
    // then be refused (stale member) with no one left to retry it: acknowledged offsets lost.
    std::lock_guard<std::mutex> serial(commit_mu_);
    store::CommitOffsetsRequest request;
    std::vector<std::pair<int32_t, uint64_t>> committed;  // partition, epoch
    {
      std::lock_guard<std::mutex> lock(mu_);
      request.group = sub_.group;
      request.member_id = member_id_;
      request.generation = generation_;
      for (auto& [id, p] : partitions_) {
        if (!p.owned || !p.dirty) continue;
        p.dirty = false;
        committed.emplace_back(id, p.epoch);
        store::CommittedOffset offset;
        offset.topic = sub_.topic;
        offset.partition = id;
        offset.offset = p.ack_base;
        if (!p.deliveries.empty()) offset.metadata = EncodeDeliveries(p);
        request.offsets.push_back(std::move(offset));
      }
    }
    if (request.offsets.empty() || request.member_id.empty()) return absl::OkStatus();
    auto result = store_->CommitOffsets(request);
    if (result.ok()) return absl::OkStatus();
    VLOG(1) << "commit group " << sub_.group << ": " << result.status();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, epoch] : committed) {
      Partition& p = partitions_[id];
      if (p.owned && p.epoch == epoch) p.dirty = true;
    }
    return result.status();
  }

  // Commit metadata carrying the deliveries noted for the partition's first unacknowledged
  // offset (empty when none were noted).
  static std::string EncodeDeliveries(const Partition& p) {
    auto it = p.deliveries.find(p.ack_base);
    return it == p.deliveries.end() ? "" : EncodeDeliveriesMetadata(it->first, it->second);
  }

  // Drops the noted deliveries of offsets below ack_base (acknowledged).
  static void PruneDeliveries(Partition& p) {
    p.deliveries.erase(p.deliveries.begin(), p.deliveries.lower_bound(p.ack_base));
  }

  // Drops a partition's delivered events from the window (they can no longer be acked).
  void ForgetDelivered(Partition& p) {
    p.deliveries.clear();
    for (int64_t bytes : p.pending) {
      if (bytes != 0) {
        --unacked_;
        unacked_bytes_ -= bytes;
      }
    }
    p.pending.clear();
  }

  // What one delivered event counts against max_unacked_bytes (never 0).
  static int64_t RecordBytes(const store::EventRecord& record) {
    const PublishedBytes* published = AsPublished(record.attachment.get());
    int64_t bytes = 1 + static_cast<int64_t>(published != nullptr ? published->bytes().size()
                                                                  : record.payload.size());
    for (const auto& [name, value] : record.headers) bytes += name.size() + value.size();
    return bytes;
  }

  void PumpAll() {
    std::vector<int32_t> ids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Partitions that found no credit first: an idle partition's long-poll must not take the
      // credit an ack freed for them every time.
      for (const auto& [id, p] : partitions_) {
        if (p.starved) ids.push_back(id);
      }
      for (const auto& [id, p] : partitions_) {
        if (!p.starved) ids.push_back(id);
      }
      starved_ = false;  // Pump sets it again for a partition still without credit
    }
    for (int32_t id : ids) Pump(id);
  }

  void Pump(int32_t id) {
    store::FetchRequest request;
    uint64_t epoch = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Partition& p = partitions_[id];
      // Credit = window minus delivered-unacked minus what in-flight fetches may still return.
      int64_t credit = sub_.max_unacked - unacked_ - reserved_;
      if (closed_ || !p.owned || p.fetch_in_flight) return;
      // The byte bound: no new fetch while the delivered-but-unacknowledged events hold
      // max_unacked_bytes; a fetch asks for at most the bytes left (at least one event comes).
      const int64_t byte_credit = sub_.max_unacked_bytes - unacked_bytes_ - reserved_bytes_;
      if (credit <= 0 || (byte_credit <= 0 && unacked_ + reserved_ > 0)) {
        p.starved = starved_ = true;
        return;
      }
      if (p.retry_at_ms != 0 && NowMs() < p.retry_at_ms) return;  // backing off
      // Avoid trickling single events when the window is almost full.
      // Each owned partition may reserve a fair share of the window, so an idle partition's
      // parked long-poll never starves a busy one.
      int64_t owned = 0;
      for (const auto& [unused, q] : partitions_) owned += q.owned ? 1 : 0;
      const int64_t share = std::max<int64_t>(1, sub_.max_unacked / std::max<int64_t>(1, owned));
      if (credit < std::min(threshold_, share) && unacked_ + reserved_ > 0) {
        p.starved = starved_ = true;
        return;
      }
      p.starved = false;
      credit = std::min(credit, share);
      p.fetch_in_flight = true;
      epoch = p.epoch;
      request.read.topic = sub_.topic;
      request.read.partition = id;
      request.read.offset = p.fetch_offset;
      request.read.max_events =
          static_cast<int32_t>(std::min<int64_t>(credit, options_.fetch_max_events));
      request.read.max_bytes = std::max<int64_t>(1, std::min(request.read.max_bytes, byte_credit));
      p.reserved = request.read.max_events;
      reserved_ += p.reserved;
      p.reserved_bytes = request.read.max_bytes;
      reserved_bytes_ += p.reserved_bytes;
      request.max_wait_ms = options_.fetch_wait_ms;
      request.read.attachment_suffices = true;  // the attached bytes are the payload
    }
    auto self = shared_from_this();
    store_->FetchAsync(request, [self, id, epoch](absl::StatusOr<store::ReadResult> result) {
      self->Deliver(id, epoch, std::move(result));
    });
  }

  // A fetch's completion: delivered here, or (a large one that an append on a publisher's thread
  // completed) by the delivery thread. One fetch per partition is in flight, so either way a
  // partition's events are delivered in order.
  void Deliver(int32_t id, uint64_t epoch, absl::StatusOr<store::ReadResult> result) {
    if (delivery_ != nullptr && t_appending_for_publisher && result.ok() &&
        result->records.size() >= kDeliveryHandOffMinEvents) {
      auto held = std::make_shared<absl::StatusOr<store::ReadResult>>(std::move(result));
      if (delivery_->TrySubmit([self = shared_from_this(), id, epoch, held] {
            self->OnFetched(id, epoch, std::move(*held));
          })) {
        return;
      }
      result = std::move(*held);  // shutting down: deliver here
    }
    OnFetched(id, epoch, std::move(result));
  }

  void OnFetched(int32_t id, uint64_t epoch, absl::StatusOr<store::ReadResult> result) {
    // Decode outside the lock (acks and other partitions must not wait for it). A subscriber
    // that accepts stored bytes gets those instead, undecoded.
    const bool deliver_bytes = sub_.accepts_stored_bytes;
    std::vector<absl::StatusOr<std::shared_ptr<const cloudevents::CloudEvent>>> decoded;
    if (result.ok() && !deliver_bytes) {
      decoded.reserve(result->records.size());
      for (const auto& record : result->records) {
        decoded.push_back(DecodeRecord(record));
      }
    }
    std::vector<DeliveredEvent> events;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Partition& p = partitions_[id];
      p.fetch_in_flight = false;
      reserved_ -= p.reserved;
      p.reserved = 0;
      reserved_bytes_ -= p.reserved_bytes;
      p.reserved_bytes = 0;
      if (closed_ || p.epoch != epoch || !p.owned) {
        if (closed_) return;
      } else if (!result.ok()) {
        const absl::Status& status = result.status();
        const auto earliest = store::EarliestOffsetOf(status);
        const auto latest = store::LatestOffsetOf(status);
        if (status.code() == absl::StatusCode::kOutOfRange && latest.has_value() &&
            p.fetch_offset > *latest) {
          // The log is now shorter than this position: the topic was deleted and re-created,
          // or the store lost its tail. Start over at the log's beginning, so every event now
          // in it is delivered (some perhaps again) and none is skipped. Deliveries of the old
          // log can no longer be acknowledged: they leave the window.
          LOG(WARNING) << "topic " << sub_.topic << " partition " << id << ": position "
                       << p.fetch_offset << " is beyond the end of the log (" << *latest
                       << "); the topic was re-created or lost its tail: restarting at offset "
                       << earliest.value_or(0);
          ForgetDelivered(p);
          ++p.epoch;
          p.fetch_offset = earliest.value_or(0);
          p.ack_base = p.fetch_offset;
          p.dirty = true;
          // Fetch again from the maintenance tick, never from here: a store that keeps
          // answering this way must not recurse or spin.
          p.retry_at_ms =
              NowMs() + absl::ToInt64Milliseconds(fetch_backoff_.DelayFor(++p.failed_fetches));
          return;
        } else if (status.code() == absl::StatusCode::kOutOfRange) {
          if (earliest.has_value() && *earliest > p.fetch_offset) {
            LOG(WARNING) << "topic " << sub_.topic << " partition " << id << ": offsets "
                         << p.fetch_offset << ".." << *earliest - 1
                         << " were removed by retention before delivery";
            if (p.pending.empty()) {  // nothing delivered is waiting: jump
              p.ack_base = *earliest;
              p.dirty = true;
            } else {
              for (int64_t o = p.fetch_offset; o < *earliest; ++o) p.pending.push_back(0);
            }
            p.fetch_offset = *earliest;
            while (!p.pending.empty() && p.pending.front() == 0) {
              p.pending.pop_front();
              ++p.ack_base;
              p.dirty = true;
            }
          } else {
            // No position to move to: retry from the maintenance tick (never spin).
            p.retry_at_ms =
                NowMs() + absl::ToInt64Milliseconds(fetch_backoff_.DelayFor(++p.failed_fetches));
            return;
          }
        } else {
          if (p.failed_fetches == 0) {
            LOG(WARNING) << "fetch " << sub_.topic << "/" << id << ": " << status
                         << " (retrying with backoff)";
          }
          p.retry_at_ms =
              NowMs() + absl::ToInt64Milliseconds(fetch_backoff_.DelayFor(++p.failed_fetches));
          return;  // the maintenance tick retries once the backoff passed
        }
      } else {
        p.failed_fetches = 0;
        p.retry_at_ms = 0;
        events.reserve(result->records.size());
        for (size_t i = 0; i < result->records.size(); ++i) {
          store::EventRecord& record = result->records[i];
          while (p.ack_base + static_cast<int64_t>(p.pending.size()) < record.offset) {
            p.pending.push_back(0);  // a gap (should not happen: offsets are dense)
          }
          if (!deliver_bytes && !decoded[i].ok()) {
            LOG(WARNING) << "skipping undecodable event at " << sub_.topic << "/" << id << "@"
                         << record.offset << ": " << decoded[i].status();
            p.pending.push_back(0);
            continue;
          }
          const int64_t bytes = RecordBytes(record);
          p.pending.push_back(bytes);
          ++unacked_;
          unacked_bytes_ += bytes;
          DeliveredEvent delivered;
          if (deliver_bytes) {
            SetStoredBytes(record, &delivered);
          } else {
            delivered.event = *std::move(decoded[i]);
          }
          delivered.position.topic = topic_;
          delivered.position.partition = id;
          delivered.position.offset = record.offset;
          if (!p.deliveries.empty()) {
            if (auto d = p.deliveries.find(record.offset); d != p.deliveries.end()) {
              delivered.previous_deliveries = d->second;
            }
          }
          events.push_back(std::move(delivered));
        }
        p.fetch_offset = result->next_offset;
        while (!p.pending.empty() && p.pending.front() == 0) {
          p.pending.pop_front();
          ++p.ack_base;
          p.dirty = true;
        }
      }
      if (!events.empty()) ++in_handler_;
    }
    if (!events.empty()) {
      handler_(&events);
      std::lock_guard<std::mutex> lock(mu_);
      if (--in_handler_ == 0) idle_cv_.notify_all();
    }
    // This fetch released its reservation: a partition left without credit meanwhile (e.g.
    // while this one long-polled an empty partition) may fetch now.
    bool starved;
    {
      std::lock_guard<std::mutex> lock(mu_);
      starved = starved_;
    }
    if (starved) {
      PumpAll();
    } else {
      Pump(id);
    }
  }

  store::EventStore* const store_;
  const std::shared_ptr<BoundedExecutor> delivery_;  // null: every completion delivered in place
  const EventStoreConnectorOptions options_;
  const Backoff fetch_backoff_;  // no jitter: one connector's partitions
  const SubscribeOptions sub_;
  const TopicName topic_;  // sub_.topic, shared by the positions of every delivered event
  const DeliveryHandler handler_;
  int64_t threshold_ = 1;

  std::mutex heartbeat_mu_;  // held for a whole Heartbeat(), never while taking it elsewhere
  std::mutex commit_mu_;     // held for a whole Commit(); taken before mu_
  std::mutex mu_;
  std::condition_variable idle_cv_;
  bool closed_ = false;
  int in_handler_ = 0;
  int64_t unacked_ = 0;
  int64_t unacked_bytes_ = 0;  // sizes of the delivered-but-unacknowledged events
  int64_t reserved_ = 0;
  int64_t reserved_bytes_ = 0;
  // A Pump found no credit for a partition since the last PumpAll: an ack must pump again.
  bool starved_ = false;
  std::string member_id_;
  int64_t generation_ = -1;
  bool first_assignment_ = true;
  // partition -> start this member chose for a partition the group never committed, kept
  // until a commit of it succeeds (GroupPositions). mu_.
  std::map<int32_t, int64_t> chosen_starts_;
  std::map<int32_t, Partition> partitions_;
  // Maintenance-thread only.
  int64_t next_heartbeat_ms_ = 0;
  int64_t next_commit_ms_ = 0;
};

namespace {

class EventStoreSubscription final : public Subscription {
 public:
  explicit EventStoreSubscription(std::shared_ptr<EventStoreSubscriptionState> state)
      : state_(std::move(state)) {}
  ~EventStoreSubscription() override { state_->Close(); }
  void Ack(const Position& position) override { state_->Ack(position); }
  void AckAll(const std::vector<Position>& positions) override {
    state_->AckAll(positions.data(), positions.size());
  }
  void NoteDeliveries(const Position& position, int32_t deliveries) override {
    state_->NoteDeliveries(position, deliveries);
  }
  void Close() override { state_->Close(); }

 private:
  std::shared_ptr<EventStoreSubscriptionState> state_;
};

}  // namespace

// ----- Connector ---------------------------------------------------------------------------

std::unique_ptr<EventStoreConnector> EventStoreConnector::Create(
    std::unique_ptr<store::EventStore> store, const EventStoreConnectorOptions& options) {
  return std::unique_ptr<EventStoreConnector>(new EventStoreConnector(std::move(store), options));
}

EventStoreConnector::EventStoreConnector(std::unique_ptr<store::EventStore> store,
                                         const EventStoreConnectorOptions& options)
    : options_(options), store_(std::move(store)) {
  // With append_async nothing is ever queued for an appender.
  const int appenders = options_.append_async ? 0 : options_.appender_threads;
  for (int i = 0; i < appenders; ++i) {
    appenders_.push_back(StartNamedThread("em-append", [this] { AppenderLoop(); }));
  }
  if (options_.append_on_caller_thread) {
    // Its queue holds at most one task per partition fetch in flight (one per subscription
    // and owned partition), so the bound is never the limit.
    delivery_ = std::make_shared<BoundedExecutor>(1, SIZE_MAX, "em-deliver");
  }
  maintenance_thread_ = StartNamedThread("em-conn-maint", [this] { MaintenanceLoop(); });
  for (int i = 0; i < kMaintenanceWorkers; ++i) {
    maintenance_workers_.push_back(
        StartNamedThread("em-conn-work", [this] { MaintenanceWorker(); }));
  }
}

EventStoreConnector::~EventStoreConnector() {
  Shutdown();
  store_.reset();
}

Capabilities EventStoreConnector::capabilities() const {
  Capabilities caps;
  caps.durable = options_.durable;
  caps.supports_request_reply = false;
  caps.shared_store = options_.shared;
  caps.supports_consumer_groups = true;
  caps.supports_broadcasting = true;
  caps.durable_delivery_counts = true;
  caps.takes_stored_bytes = true;
  return caps;
}

void EventStoreConnector::Publish(cloudevents::CloudEvent event, PublishCallback done) {
  std::vector<PendingPublish> batch;
  batch.push_back(PendingPublish{std::move(event), std::move(done)});
  PublishBatch(&batch);
}

bool EventStoreConnector::AppendStoredHere(std::vector<PendingPublish>* batch) {
  if (options_.append_async || !options_.append_on_caller_thread || batch->empty()) return false;
  const store::AppendLimits& limits = options_.limits;
  if (static_cast<int64_t>(batch->size()) > limits.max_batch_events) return false;
  const TopicName topic = batch->front().stored_topic;
  if (topic.empty()) return false;
  int64_t bytes = 0;
  for (const PendingPublish& pending : *batch) {
    const auto size = static_cast<int64_t>(pending.stored.size());
    if (size == 0 || size > limits.max_event_bytes || !(pending.stored_topic == topic)) {
      return false;
    }
    bytes += size;
  }
  if (bytes > limits.max_batch_bytes - 64 * 1024) return false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_ || !queue_.empty() || busy_appenders_ != 0) return false;
    ++busy_appenders_;
  }
  TopicAppend append;
  append.topic = topic;
  append.request.topic = topic.str();
  append.request.strategy = store::PartitionStrategy::kRoundRobin;
  append.request.records.resize(batch->size());
  append.dones.reserve(batch->size());
  const bool attach = store_->KeepsAttachments();
  for (size_t k = 0; k < batch->size(); ++k) {
    PendingPublish& pending = (*batch)[k];
    TakePayload(&pending.stored, /*validated=*/true, pending.stored_hints, attach,
                &append.request.records[k]);
    append.dones.push_back(std::move(pending.done));
  }
  batch->clear();
  AppendOnPublisherThread([&] {
    const absl::StatusOr<store::AppendResult> result = store_->Append(append.request);
    CompleteAppended(append.topic, result, &append.dones);
  });
  DoneAppendingHere();
  return true;
}

void EventStoreConnector::AppendOnPublisherThread(absl::FunctionRef<void()> append) {
  const bool outer = t_appending_for_publisher;
  t_appending_for_publisher = true;
  append();
  t_appending_for_publisher = outer;
}

void EventStoreConnector::DoneAppendingHere() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  --busy_appenders_;
  if (queue_.empty() && busy_appenders_ == 0) drained_cv_.notify_all();
}

void EventStoreConnector::PublishBatch(std::vector<PendingPublish>* batch) {
  // The usual batch (a publisher's events in their stored form, one topic, nothing queued or
  // being appended) goes straight into one append request.
  if (AppendStoredHere(batch)) return;
  // Serialize outside the lock; failures are answered at once, the rest is queued in one step
  // (one lock round and at most one wake-up per batch instead of one per event).
  std::vector<PendingAppend> ready;
  ready.reserve(batch->size());
  int64_t bytes = 0;
  const bool attach = store_->KeepsAttachments();
  for (auto& pending : *batch) {
    absl::StatusOr<StoredForm> form = TakeStoredForm(&pending);
    if (!form.ok()) {
      pending.done(form.status());
      continue;
    }
    std::string& payload = form->bytes;
    if (static_cast<int64_t>(payload.size()) > options_.limits.max_event_bytes) {
      pending.done(absl::InvalidArgumentError(
          absl::StrCat("event of ", payload.size(), " bytes exceeds the ",
                       options_.limits.max_event_bytes, "-byte limit")));
      continue;
    }
    bytes += static_cast<int64_t>(payload.size());
    PendingAppend append{std::move(form->topic), std::string(), std::move(pending.done), nullptr,
                         static_cast<int64_t>(payload.size())};
    TakePayload(&payload, form->validated, form->hints, attach, &append);
    ready.push_back(std::move(append));
  }
  batch->clear();
  if (ready.empty()) return;
  bool append_here = false;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!stopping_ && options_.append_async) {
      ++busy_appenders_;  // until every append is issued (AppendBatchAsync counts each own)
      append_here = true;
    } else if (!stopping_) {
      // When appends do not wait for a disk or a network (embedded, syncMode none) and
      // nothing is queued or being appended, append on the caller's thread and save two thread
      // hand-offs (the order of earlier publishes is kept because none is outstanding).
      const int64_t max_events = options_.limits.max_batch_events;
      const int64_t max_bytes = options_.limits.max_batch_bytes - 64 * 1024;
      if (options_.append_on_caller_thread && queue_.empty() && busy_appenders_ == 0 &&
          static_cast<int64_t>(ready.size()) <= max_events && bytes <= max_bytes) {
        ++busy_appenders_;
        append_here = true;
      } else {
        queued_bytes_ += bytes;
        for (auto& pending : ready) queue_.push_back(std::move(pending));
        // A busy appender looks at the queue again before it waits: wake only an idle one.
        if (idle_appenders_ > 0) queue_cv_.notify_one();
        return;
      }
    }
  }
  if (append_here) {
    if (options_.append_async) {
      AppendBatchAsync(&ready);
    } else {
      AppendOnPublisherThread([&] { AppendBatch(&ready); });
    }
    DoneAppendingHere();
    return;
  }
  for (auto& pending : ready) {
    pending.done(
        absl::UnavailableError(absl::StrCat("the ", options_.name, " connector is shutting down")));
  }
}

std::vector<EventStoreConnector::TopicAppend> EventStoreConnector::GroupByTopic(
    std::vector<PendingAppend>* batch) {
  if (batch->empty()) return {};
  // Usually every event has the same topic: one append, in publish order, without a map.
  // (A publisher's events share one TopicName: compared without reading the text.)
  const TopicName& first = batch->front().topic;
  const bool one_topic = std::all_of(batch->begin(), batch->end(),
                                     [&](const PendingAppend& p) { return p.topic == first; });
  std::map<std::string, std::vector<size_t>> by_topic;  // publish order kept per topic
  if (!one_topic) {
    for (size_t i = 0; i < batch->size(); ++i) by_topic[(*batch)[i].topic.str()].push_back(i);
  }
  std::vector<TopicAppend> appends(one_topic ? 1 : by_topic.size());
  const auto fill = [batch](TopicAppend& append, const TopicName& topic, size_t count,
                            auto index_of) {
    append.topic = topic;
    append.request.topic = topic.str();
    append.request.strategy = store::PartitionStrategy::kRoundRobin;
    append.request.records.resize(count);
    append.dones.reserve(count);
    for (size_t k = 0; k < count; ++k) {
      PendingAppend& pending = (*batch)[index_of(k)];
      append.request.records[k].payload = std::move(pending.payload);
      append.request.records[k].attachment = std::move(pending.attachment);
      append.dones.push_back(std::move(pending.done));
    }
  };
  if (one_topic) {
    fill(appends[0], first, batch->size(), [](size_t k) { return k; });
  } else {
    size_t n = 0;
    for (const auto& entry : by_topic) {
      const std::vector<size_t>& indexes = entry.second;
      fill(appends[n++], (*batch)[indexes.front()].topic, indexes.size(),
           [&](size_t k) { return indexes[k]; });
    }
  }
  return appends;
}

void EventStoreConnector::AppendBatch(std::vector<PendingAppend>* batch) {
  for (TopicAppend& append : GroupByTopic(batch)) {
    const absl::StatusOr<store::AppendResult> result = store_->Append(append.request);
    CompleteAppended(append.topic, result, &append.dones);
  }
}

void EventStoreConnector::AppendBatchAsync(std::vector<PendingAppend>* batch) {
  std::vector<TopicAppend> appends = GroupByTopic(batch);
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    busy_appenders_ += static_cast<int32_t>(appends.size());
  }
  for (TopicAppend& append : appends) {
    store_->AppendAsync(append.request,
                        [this, topic = append.topic, dones = std::move(append.dones)](
                            absl::StatusOr<store::AppendResult> result) mutable {
                          CompleteAppended(topic, result, &dones);
                          std::lock_guard<std::mutex> lock(queue_mu_);
                          if (--busy_appenders_ == 0 && queue_.empty()) drained_cv_.notify_all();
                        });
  }
}

void EventStoreConnector::CompleteAppended(const TopicName& topic,
                                           const absl::StatusOr<store::AppendResult>& result,
                                           std::vector<PublishCallback>* dones) {
  if (!result.ok()) {
    absl::Status status = result.status();
    if (status.code() == absl::StatusCode::kDeadlineExceeded) {
      status = absl::UnavailableError(
          absl::StrCat("the store did not confirm the append in time (the events may or may not "
                       "have been stored): ",
                       status.message()));
    }
    for (PublishCallback& done : *dones) done(status);
    return;
  }
  // One result for the batch, its offset set per event.
  absl::StatusOr<PublishResult> published{PublishResult{}};
  published->position.topic = topic;
  published->position.partition = result->partition;
  for (size_t k = 0; k < dones->size(); ++k) {
    published->position.offset = result->base_offset + static_cast<int64_t>(k);
    (*dones)[k](published);
  }
}

void EventStoreConnector::AppenderLoop() {
  const int64_t max_events = options_.limits.max_batch_events;
  const int64_t max_bytes = options_.limits.max_batch_bytes - 64 * 1024;
  std::vector<PendingAppend> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      ++idle_appenders_;
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      --idle_appenders_;
      if (queue_.empty()) return;  // stopping and drained
      int64_t bytes = 0;
      while (!queue_.empty() && static_cast<int64_t>(batch.size()) < max_events &&
             (batch.empty() || bytes + queue_.front().bytes <= max_bytes)) {
        bytes += queue_.front().bytes;
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_bytes_ -= bytes;
      ++busy_appenders_;
    }
    AppendBatch(&batch);
    batch.clear();
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      --busy_appenders_;
      if (queue_.empty() && busy_appenders_ == 0) drained_cv_.notify_all();
    }
  }
}

void EventStoreConnector::MaintenanceLoop() {
  const int64_t tick = std::max<int64_t>(
      10, std::min<int64_t>(100,
                            std::min(options_.heartbeat_interval_ms, options_.commit_interval_ms)));
  std::unique_lock<std::mutex> lock(subs_mu_);
  while (!maintenance_stop_) {
    maintenance_cv_.wait_for(lock, std::chrono::milliseconds(tick));
    if (maintenance_stop_) break;
    std::vector<std::shared_ptr<EventStoreSubscriptionState>> live;
    std::vector<std::weak_ptr<EventStoreSubscriptionState>> kept;
    for (auto& weak : subscriptions_) {
      if (auto strong = weak.lock()) {
        live.push_back(std::move(strong));
        kept.push_back(std::move(weak));
      }
    }
    subscriptions_.swap(kept);
    for (auto& state : live) {
      if (!state->ticking.exchange(true)) tick_queue_.push_back(std::move(state));
    }
    if (!tick_queue_.empty()) tick_cv_.notify_all();
    lock.unlock();
    live.clear();  // a last reference may go here, outside the lock
    lock.lock();
  }
}

void EventStoreConnector::MaintenanceWorker() {
  std::unique_lock<std::mutex> lock(subs_mu_);
  for (;;) {
    tick_cv_.wait(lock, [this] { return maintenance_stop_ || !tick_queue_.empty(); });
    if (maintenance_stop_) return;
    std::shared_ptr<EventStoreSubscriptionState> state = std::move(tick_queue_.front());
    tick_queue_.pop_front();
    lock.unlock();
    state->Tick(NowMs());
    state->ticking.store(false);
    state.reset();
    lock.lock();
  }
}

absl::StatusOr<std::unique_ptr<Subscription>> EventStoreConnector::Subscribe(
    const SubscribeOptions& options, DeliveryHandler handler) {
  if (shut_down_)
    return absl::UnavailableError(absl::StrCat("the ", options_.name, " connector is shut down"));
  if (options.max_unacked < 1) {
    return absl::InvalidArgumentError("SubscribeOptions.max_unacked must be >= 1");
  }
  if (options.mode == ConsumeMode::kClustering) {
    // The group coordinator would take an unknown topic as "no partitions yet": refuse it here,
    // as the interface says (broadcasting finds out through DescribeTopic in Start).
    store::DescribeTopicRequest describe;
    describe.topic = options.topic;
    if (auto described = store_->DescribeTopic(describe); !described.ok()) {
      return described.status();
    }
  }
  auto state = std::make_shared<EventStoreSubscriptionState>(store_.get(), options_, options,
                                                             std::move(handler), delivery_);
  if (auto status = state->Start(); !status.ok()) {
    state->Close();
    return status;
  }
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    subscriptions_.push_back(state);
  }
  return std::unique_ptr<Subscription>(new EventStoreSubscription(std::move(state)));
}

absl::Status EventStoreConnector::CreateTopicWithRetention(const std::string& topic,
                                                           int32_t partitions,
                                                           const TopicRetention& retention) {
  store::CreateTopicRequest request;
  request.topic = topic;
  request.partitions = partitions;
  // The store's RetentionPolicy: <= 0 means no limit; 0 here means the store's default.
  if (retention.max_age_ms != 0) request.retention.max_age_ms = retention.max_age_ms;
  if (retention.max_bytes != 0) request.retention.max_bytes = retention.max_bytes;
  auto created = store_->CreateTopic(request);
  return created.ok() ? absl::OkStatus() : created.status();
}

absl::StatusOr<TopicRetention> EventStoreConnector::GetTopicRetention(const std::string& topic) {
  auto described = store_->DescribeTopic({topic});
  if (!described.ok()) return described.status();
  TopicRetention retention;
  retention.max_age_ms = described->retention.max_age_ms > 0 ? described->retention.max_age_ms : -1;
  retention.max_bytes = described->retention.max_bytes > 0 ? described->retention.max_bytes : -1;
  return retention;
}

absl::Status EventStoreConnector::CreateTopic(const std::string& topic, int32_t partitions) {
  store::CreateTopicRequest request;
  request.topic = topic;
  request.partitions = partitions;
  auto created = store_->CreateTopic(request);
  return created.ok() ? absl::OkStatus() : created.status();
}

absl::StatusOr<bool> EventStoreConnector::TopicExists(const std::string& topic) {
  auto described = store_->DescribeTopic({topic});
  if (described.ok()) return true;
  if (described.status().code() == absl::StatusCode::kNotFound) return false;
  return described.status();
}

absl::Status EventStoreConnector::DeleteTopic(const std::string& topic) {
  auto deleted = store_->DeleteTopic({topic});
  return deleted.ok() ? absl::OkStatus() : deleted.status();
}

absl::StatusOr<std::vector<std::string>> EventStoreConnector::ListTopics() {
  auto listed = store_->ListTopics({});
  if (!listed.ok()) return listed.status();
  return std::move(listed->topics);
}

absl::StatusOr<std::vector<PartitionOffsets>> EventStoreConnector::Offsets(
    const std::string& topic, const std::string& group) {
  auto described = store_->DescribeTopic({topic});
  if (!described.ok()) return described.status();
  std::vector<PartitionOffsets> out;
  out.reserve(described->partition_info.size());
  for (const store::PartitionInfo& info : described->partition_info) {
    PartitionOffsets p;
    p.partition = info.partition;
    p.earliest = info.earliest_offset;
    p.end = info.next_offset;
    p.bytes = info.retained_bytes;
    out.push_back(p);
  }
  if (group.empty()) return out;
  store::FetchOffsetsRequest request;
  request.group = group;
  request.topic = topic;
  auto committed = store_->FetchOffsets(request);
  if (!committed.ok()) return committed.status();
  for (const store::CommittedOffset& c : committed->offsets) {
    if (c.partition >= 0 && static_cast<size_t>(c.partition) < out.size()) {
      out[static_cast<size_t>(c.partition)].committed = c.offset;
    }
  }
  return out;
}

absl::Status EventStoreConnector::ResetGroupOffsets(const std::string& group,
                                                    const std::string& topic, OffsetReset reset) {
  auto partitions = Offsets(topic, "");
  if (!partitions.ok()) return partitions.status();
  store::CommitOffsetsRequest request;
  request.group = group;  // no member, generation -1: refused while the group has live members
  for (const PartitionOffsets& p : *partitions) {
    store::CommittedOffset c;
    c.topic = topic;
    c.partition = p.partition;
    switch (reset.kind) {
      case OffsetReset::Kind::kEarliest:
        c.offset = p.earliest;
        break;
      case OffsetReset::Kind::kLatest:
        c.offset = p.end;
        break;
      case OffsetReset::Kind::kOffset:
        c.offset = std::clamp(reset.offset, p.earliest, p.end);
        break;
      case OffsetReset::Kind::kTimestamp: {
        auto seek = store_->SeekTime({topic, p.partition, reset.timestamp_ms});
        if (!seek.ok()) return seek.status();
        c.offset = seek->found ? std::clamp(seek->offset, p.earliest, p.end) : p.end;
        break;
      }
    }
    request.offsets.push_back(std::move(c));
  }
  auto committed = store_->CommitOffsets(request);
  return committed.ok() ? absl::OkStatus() : committed.status();
}

absl::StatusOr<std::vector<StoredEvent>> EventStoreConnector::ReadEvents(const std::string& topic,
                                                                         int32_t partition,
                                                                         int64_t offset,
                                                                         int32_t max_events) {
  auto partitions = Offsets(topic, "");
  if (!partitions.ok()) return partitions.status();
  if (partition < 0 || static_cast<size_t>(partition) >= partitions->size()) {
    return absl::OutOfRangeError(absl::StrCat("topic \"", topic, "\" has no partition ", partition,
                                              " (it has ", partitions->size(), ")"));
  }
  const PartitionOffsets& p = (*partitions)[static_cast<size_t>(partition)];
  std::vector<StoredEvent> out;
  int64_t next = std::max(offset, p.earliest);
  while (static_cast<int32_t>(out.size()) < max_events && next < p.end) {
    store::ReadRequest request;
    request.topic = topic;
    request.partition = partition;
    request.offset = next;
    request.max_events = std::min(max_events - static_cast<int32_t>(out.size()), 500);
    request.attachment_suffices = true;  // the attached bytes are the payload
    auto read = store_->Read(request);
    if (!read.ok()) return read.status();
    if (read->records.empty()) break;
    for (const store::EventRecord& record : read->records) {
      auto event = DecodeRecord(record);
      if (!event.ok()) {
        return absl::DataLossError(
            absl::StrCat("event at ", topic, "/", partition, "@", record.offset,
                         " is not a CloudEvent: ", event.status().message()));
      }
      out.push_back({**event, partition, record.offset, record.append_time_ms});
      if (static_cast<int32_t>(out.size()) >= max_events) break;
    }
    next = read->next_offset;
  }
  return out;
}

std::vector<ConnectorGauge> EventStoreConnector::Gauges() {
  return options_.gauges ? options_.gauges() : std::vector<ConnectorGauge>();
}

void EventStoreConnector::Shutdown() {
  if (shut_down_.exchange(true)) return;
  {
    std::unique_lock<std::mutex> lock(queue_mu_);
    stopping_ = true;
    queue_cv_.notify_all();
  }
  for (auto& t : appenders_) t.join();
  appenders_.clear();
  {
    // Appends running on publishers' threads finish before the store can go away.
    std::unique_lock<std::mutex> lock(queue_mu_);
    drained_cv_.wait(lock, [&] { return busy_appenders_ == 0; });
  }
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    maintenance_stop_ = true;
    maintenance_cv_.notify_all();
    tick_cv_.notify_all();
  }
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  for (auto& worker : maintenance_workers_) {
    if (worker.joinable()) worker.join();
  }
  maintenance_workers_.clear();
  // Deliveries already handed over run (the store is still open); later ones run in place.
  if (delivery_ != nullptr) delivery_->Shutdown();
  std::deque<std::shared_ptr<EventStoreSubscriptionState>> dropped;
  {
    std::lock_guard<std::mutex> lock(subs_mu_);
    dropped.swap(tick_queue_);
  }
}

}  // namespace eventmesh::connectors
