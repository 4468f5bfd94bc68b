#include "eventmesh/runtime/core/group_consumer.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace eventmesh::runtime::core {

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

GroupConsumer::GroupConsumer(std::string group, std::string topic, connectors::ConsumeMode mode,
                             DeliverySettings settings, SeqBlockGenerator seq_blocks,
                             DeadLetterSink dead_letter)
    : group_(std::move(group)),
      topic_(std::move(topic)),
      mode_(mode),
      settings_(settings),
      next_seq_block_(std::move(seq_blocks)),
      dead_letter_(std::move(dead_letter)) {}

GroupConsumer::~GroupConsumer() { Close(); }

absl::Status GroupConsumer::Open(connectors::Connector* connector, int32_t max_unacked,
                                 connectors::StartPosition start, int64_t max_unacked_bytes) {
  connectors::SubscribeOptions options;
  options.start = start;
  options.group = group_;
  options.topic = topic_;
  options.mode = mode_;
  options.max_unacked = max_unacked;
  options.max_unacked_bytes = max_unacked_bytes;
  // Targets that write events from their stored bytes (TCP pushes) then never decode them; the
  // others get the event decoded once per delivered event (DispatchLocked).
  options.accepts_stored_bytes = true;
  std::weak_ptr<GroupConsumer> weak = weak_from_this();
  auto subscription =
      connector->Subscribe(options, [weak](std::vector<connectors::DeliveredEvent>* events) {
        if (auto self = weak.lock()) self->OnEvents(events);
      });
  if (!subscription.ok()) return subscription.status();
  std::lock_guard<std::mutex> lock(mu_);
  subscription_ = std::move(*subscription);
  return absl::OkStatus();
}

void GroupConsumer::AddTarget(std::shared_ptr<DeliveryTarget> target, PushKind kind,
                              TargetSettings settings) {
  FlushList flush;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : targets_) {
      if (t.target->target_id() == target->target_id()) {
        t.kind = kind;
        t.settings = settings;
        return;
      }
    }
    targets_.push_back(Target{std::move(target), kind, settings});
    DispatchLocked(&flush);
  }
  Flush(flush);
}

size_t GroupConsumer::RemoveTarget(uint64_t target_id) {
  Outcome outcome;
  size_t remaining = 0;
  FlushList flush;
  {
    std::lock_guard<std::mutex> lock(mu_);
    RemoveTargetByIdLocked(target_id);
    remaining = targets_.size();
    std::vector<std::pair<uint64_t, std::shared_ptr<Entry>>> moved;
    in_flight_.EraseIf([&](uint64_t seq, InFlight& flight) {
      if (flight.target->target_id() != target_id) return false;
      outcome.release.push_back(flight.target);
      moved.emplace_back(seq, std::move(flight.entry));
      return true;
    });
    Requeue(moved, outcome);
    DispatchLocked(&flush);
  }
  Flush(flush);
  Finish(outcome);
  return remaining;
}

// Puts entries back at the front of the queue in their original push order; entries pushed
// max_delivery_count times go to the dead-letter sink instead.
void GroupConsumer::Requeue(std::vector<std::pair<uint64_t, std::shared_ptr<Entry>>>& entries,
                            Outcome& outcome) {
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [seq, entry] : entries) {
    if (entry->delivery_count >= settings_.max_delivery_count) {
      outcome.dead.push_back(std::move(entry));
    } else {
      outcome.notes.emplace_back(entry->delivered.position, entry->delivery_count);
      ++stats_.redelivered;
      if (settings_.metrics != nullptr) settings_.metrics->Redelivered();
      pending_.push_front(std::move(entry));
    }
  }
}

void GroupConsumer::OnEvents(std::vector<connectors::DeliveredEvent>* events) {
  FlushList flush;
  Outcome outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    for (auto& delivered : *events) {
      std::shared_ptr<Entry> entry = NewEntryLocked(delivered);
      if (entry->delivery_count >= settings_.max_delivery_count) {
        // Delivered that often already by an earlier holder (a restarted runtime, another
        // runtime before a rebalance): no further attempt.
        outcome.dead.push_back(std::move(entry));
        continue;
      }
      pending_.push_back(std::move(entry));
    }
    DispatchLocked(&flush);
  }
  Flush(flush);
  if (!outcome.dead.empty()) Finish(outcome);
}

std::shared_ptr<GroupConsumer::Entry> GroupConsumer::NewEntryLocked(
    connectors::DeliveredEvent& delivered) {
  std::shared_ptr<Entry> entry;
  if (spare_entries_.empty()) {
    entry = std::make_shared<Entry>();
  } else {
    entry = std::move(spare_entries_.back());
    spare_entries_.pop_back();
  }
  entry->delivery_count = std::max(0, delivered.previous_deliveries);
  entry->delivered = std::move(delivered);
  return entry;
}

void GroupConsumer::RecycleEntryLocked(std::shared_ptr<Entry> entry) {
  if (entry.use_count() != 1 || spare_entries_.size() >= kSpareEntries) return;
  // The event's bytes go now, not when the entry is reused; the rest of `delivered` is replaced
  // whole by NewEntryLocked.
  entry->delivered.event.reset();
  entry->delivered.stored.reset();
  entry->delivery_count = 0;
  entry->last_target = 0;
  entry->reject_reason.clear();
  entry->reject_attempts = 0;
  spare_entries_.push_back(std::move(entry));
}

void GroupConsumer::Dispatch() {
  FlushList flush;
  {
    std::lock_guard<std::mutex> lock(mu_);
    DispatchLocked(&flush);
  }
  Flush(flush);
}

void GroupConsumer::Flush(FlushList& flush) {
  for (auto& target : flush) target->FlushPushes();
  Outcome outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    outcome.dead.swap(undeliverable_);
  }
  if (!outcome.dead.empty()) Finish(outcome);
}

void GroupConsumer::RemoveTargetByIdLocked(uint64_t target_id) {
  targets_.erase(
      std::remove_if(targets_.begin(), targets_.end(),
                     [&](const Target& t) { return t.target->target_id() == target_id; }),
      targets_.end());
}

int GroupConsumer::ChooseTargetLocked(const Entry& entry) {
  // Round robin over targets with a free slot; a redelivery avoids its previous target when
  // another one can take it.
  const size_t n = targets_.size();
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < n; ++i) {
      const size_t index = (next_target_ + i) % n;
      Target& candidate = targets_[index];
      if (pass == 0 && n > 1 && entry.last_target != 0 &&
          candidate.target->target_id() == entry.last_target) {
        continue;
      }
      if (candidate.target->TryAcquireSlot()) {
        next_target_ = (index + 1) % n;
        return static_cast<int>(index);
      }
    }
    if (entry.last_target == 0) break;  // first delivery: one pass covers every target
  }
  return -1;
}

void GroupConsumer::DispatchLocked(FlushList* flush) {
  if (closed_ || targets_.empty()) return;
  auto self = shared_from_this();
  // One clock reading per burst (its pushes leave within microseconds): ack deadlines and the
  // ack-latency metric count from it.
  const int64_t now_ns = SteadyNowNs();
  // When every target writes events from their stored bytes (TCP sessions), stored events go
  // out in runs: each target takes its locks once per run (DispatchRunsLocked). Removing a
  // closed target below keeps this true.
  const bool stored_runs = std::all_of(targets_.begin(), targets_.end(), [](const Target& t) {
    return t.target->TakesStoredBytes();
  });
  while (!pending_.empty()) {
    std::shared_ptr<Entry>& entry = pending_.front();
    const int chosen_index = ChooseTargetLocked(*entry);
    if (chosen_index < 0) return;  // every window is full
    if (stored_runs && entry->delivered.event == nullptr) {
      if (!DispatchRunsLocked(chosen_index, now_ns, self, flush)) return;
      continue;
    }
    Target* chosen = &targets_[static_cast<size_t>(chosen_index)];
    const uint64_t seq = TakeSeqLocked();
    const std::string seq_text = absl::StrCat(seq);
    connectors::DeliveredEvent& delivered = entry->delivered;
    PushResult pushed;
    if (delivered.event == nullptr && chosen->target->TakesStoredBytes()) {
      pushed = chosen->target->PushStored(delivered.stored, delivered.stored_validated,
                                          delivered.stored_hints, chosen->kind, seq_text, self);
    } else if (absl::Status decoded = delivered.Materialize(); !decoded.ok()) {
      pushed = PushResult::Undeliverable(std::string(decoded.message()));
    } else {
      pushed = chosen->target->Push(*delivered.event, chosen->kind, seq_text, self);
    }
    if (pushed.code == PushResult::Code::kUndeliverable) {
      // The target cannot carry this event at all (not a transient failure): dead-letter it
      // with the reason instead of dropping a healthy target or stalling the queue.
      chosen->target->ReleaseSlot();
      entry->reject_reason = std::move(pushed.reason);
      entry->reject_attempts = entry->delivery_count + 1;
      undeliverable_.push_back(std::move(entry));
      pending_.pop_front();
      continue;
    }
    if (pushed.code == PushResult::Code::kClosed) {
      chosen->target->ReleaseSlot();
      RemoveTargetByIdLocked(chosen->target->target_id());
      if (targets_.empty()) return;
      continue;
    }
    RecordPushLocked(std::move(entry), *chosen, seq, now_ns, flush);
    pending_.pop_front();
  }
}

void GroupConsumer::RecordPushLocked(std::shared_ptr<Entry> entry, const Target& chosen,
                                     uint64_t seq, int64_t now_ns, FlushList* flush) {
  if (flush->empty() || flush->back() != chosen.target) {
    if (std::find(flush->begin(), flush->end(), chosen.target) == flush->end()) {
      flush->push_back(chosen.target);
    }
  }
  ++entry->delivery_count;
  entry->last_target = chosen.target->target_id();
  ++stats_.delivered;
  if (settings_.metrics != nullptr) settings_.metrics->Pushed();
  // Without an ack timeout: settled by the target (OnAck / Reject) or by RemoveTarget; never
  // by Tick.
  const int64_t deadline = chosen.settings.ack_timeout
                               ? now_ns / 1'000'000 + settings_.ack_timeout_ms
                               : std::numeric_limits<int64_t>::max();
  InFlight& flight = in_flight_.Insert(seq, deadline);
  flight.entry = std::move(entry);
  flight.target = chosen.target;
  flight.pushed_ns = now_ns;
}

bool GroupConsumer::DispatchRunsLocked(int first_target, int64_t now_ns,
                                       const std::shared_ptr<GroupConsumer>& self,
                                       FlushList* flush) {
  // The front entry has its slot at `first_target`; the next ones (also stored bytes) are
  // assigned as DispatchLocked would assign them one by one, as far as the windows allow.
  constexpr size_t kMaxRun = 64;
  const size_t n = targets_.size();
  run_seqs_.clear();
  run_targets_.clear();
  size_t size = 0;
  while (size < kMaxRun && size < pending_.size()) {
    int target = first_target;
    if (size > 0) {
      const Entry& next = *pending_[size];
      if (next.delivered.event != nullptr) break;
      // (ChooseTargetLocked for one target: its slot or none.)
      target = n == 1 ? (targets_[0].target->TryAcquireSlot() ? 0 : -1) : ChooseTargetLocked(next);
      if (target < 0) break;
    }
    run_seqs_.emplace_back(TakeSeqLocked(), std::string());
    run_targets_.push_back(static_cast<uint32_t>(target));
    ++size;
  }
  // The pushes grouped by target, each group in queue order: event i is run_pushes_[slot[i]].
  absl::InlinedVector<uint32_t, 8> begin(n + 1, 0);
  for (size_t i = 0; i < size; ++i) ++begin[run_targets_[i] + 1];
  for (size_t t = 0; t < n; ++t) begin[t + 1] += begin[t];
  absl::InlinedVector<uint32_t, 8> next_slot(begin.begin(), begin.end() - 1);
  run_slots_.resize(size);
  run_pushes_.resize(size);
  for (size_t i = 0; i < size; ++i) {
    const uint32_t slot = n == 1 ? static_cast<uint32_t>(i) : next_slot[run_targets_[i]]++;
    run_slots_[i] = slot;
    connectors::DeliveredEvent& delivered = pending_[i]->delivered;
    run_seqs_[i].second = absl::StrCat(run_seqs_[i].first);
    DeliveryTarget::StoredPush& push = run_pushes_[slot];
    push.stored = &delivered.stored;
    push.validated = delivered.stored_validated;
    push.hints = &delivered.stored_hints;
    push.seq = &run_seqs_[i].second;
    push.seq_number = run_seqs_[i].first;
  }
  for (size_t t = 0; t < n; ++t) {
    if (begin[t + 1] == begin[t]) continue;
    targets_[t].target->PushStoredRun(targets_[t].kind, self, run_pushes_.data() + begin[t],
                                      begin[t + 1] - begin[t]);
  }
  // Results in queue order. A target closed for a push is closed for the rest of its run: those
  // entries keep their place at the front of the queue (in order) for the other targets, their
  // slots go back, and the target goes after the loop (the loop refers to targets_).
  absl::InlinedVector<uint32_t, 8> closed(n, 0);
  run_kept_.clear();
  for (size_t i = 0; i < size; ++i) {
    std::shared_ptr<Entry> entry = std::move(pending_.front());
    pending_.pop_front();
    const uint32_t t = run_targets_[i];
    PushResult& pushed = run_pushes_[run_slots_[i]].result;
    if (pushed.code == PushResult::Code::kClosed) {
      ++closed[t];
      run_kept_.push_back(std::move(entry));
      continue;
    }
    if (pushed.code == PushResult::Code::kUndeliverable) {
      targets_[t].target->ReleaseSlot();
      entry->reject_reason = std::move(pushed.reason);
      entry->reject_attempts = entry->delivery_count + 1;
      undeliverable_.push_back(std::move(entry));
      continue;
    }
    RecordPushLocked(std::move(entry), targets_[t], run_seqs_[i].first, now_ns, flush);
  }
  for (auto it = run_kept_.rbegin(); it != run_kept_.rend(); ++it) {
    pending_.push_front(std::move(*it));
  }
  run_kept_.clear();
  std::vector<uint64_t> closed_ids;
  for (size_t t = 0; t < n; ++t) {
    if (closed[t] == 0) continue;
    targets_[t].target->ReleaseSlots(closed[t]);
    closed_ids.push_back(targets_[t].target->target_id());
  }
  for (uint64_t id : closed_ids) RemoveTargetByIdLocked(id);
  return !targets_.empty();
}

void GroupConsumer::OnAcks(const uint64_t* seqs, size_t count) {
  Outcome outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    outcome.acks.reserve(count);
    outcome.release.reserve(count);
    const int64_t now_ns = settings_.metrics != nullptr ? SteadyNowNs() : 0;
    for (size_t i = 0; i < count; ++i) {
      InFlight* flight = in_flight_.Find(seqs[i]);
      if (flight == nullptr) continue;  // late ack: the event moved on
      if (settings_.metrics != nullptr) settings_.metrics->Acked(flight->pushed_ns, now_ns);
      // The entry ends here (it is in no queue while in flight): its position moves out.
      outcome.acks.push_back(std::move(flight->entry->delivered.position));
      outcome.release.push_back(std::move(flight->target));
      RecycleEntryLocked(std::move(flight->entry));
      in_flight_.Erase(seqs[i]);
      ++stats_.acked;
    }
    if (outcome.acks.empty()) return;
  }
  Finish(outcome);
  Dispatch();
}

void GroupConsumer::Reject(uint64_t seq, const std::string& reason, int32_t attempts) {
  Outcome outcome;
  {
    std::lock_guard<std::mutex> lock(mu_);
    InFlight* flight = in_flight_.Find(seq);
    if (flight == nullptr) return;  // settled or moved already
    std::shared_ptr<Entry> entry = std::move(flight->entry);
    outcome.release.push_back(std::move(flight->target));
    in_flight_.Erase(seq);
    entry->reject_reason = reason;
    entry->reject_attempts = attempts;
    outcome.dead.push_back(std::move(entry));
  }
  Finish(outcome);
  Dispatch();
}

void GroupConsumer::Tick(int64_t now_ms) {
  Outcome outcome;
  FlushList flush;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<uint64_t, std::shared_ptr<Entry>>> expired;
    in_flight_.EraseDue(now_ms, [&](uint64_t seq, InFlight& flight) {
      outcome.release.push_back(flight.target);
      outcome.forget.emplace_back(flight.target, absl::StrCat(seq));
      expired.emplace_back(seq, std::move(flight.entry));
    });
    if (expired.empty()) {
      // Windows that opened through another consumer's ack are picked up here.
      if (!pending_.empty()) DispatchLocked(&flush);
    } else {
      Requeue(expired, outcome);
    }
  }
  Flush(flush);
  if (outcome.release.empty() && outcome.dead.empty()) return;
  Finish(outcome);
  Dispatch();
}

void GroupConsumer::Finish(Outcome& outcome) {
  for (auto& [target, seq] : outcome.forget) target->Forget(seq);
  // Runs of one target (the acks of one read, usually) give their slots back at once.
  for (size_t i = 0; i < outcome.release.size();) {
    size_t end = i + 1;
    while (end < outcome.release.size() && outcome.release[end] == outcome.release[i]) ++end;
    outcome.release[i]->ReleaseSlots(static_cast<int64_t>(end - i));
    i = end;
  }
  std::shared_ptr<connectors::Subscription> subscription;
  if (!outcome.acks.empty() || !outcome.dead.empty() || !outcome.notes.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    subscription = subscription_;
  }
  if (subscription) {
    for (const auto& [position, deliveries] : outcome.notes) {
      subscription->NoteDeliveries(position, deliveries);
    }
    if (!outcome.acks.empty()) subscription->AckAll(outcome.acks);
  }
  for (auto& entry : outcome.dead) {
    if (absl::Status decoded = entry->delivered.Materialize(); !decoded.ok()) {
      // Nothing to write to the dead-letter topic: dropped, as a connector that decodes drops
      // what it cannot decode.
      const connectors::Position& position = entry->delivered.position;
      LOG(ERROR) << "dropping event " << position.topic << "/" << position.partition << "@"
                 << position.offset << " (group " << group_ << "): " << decoded.message();
      std::shared_ptr<connectors::Subscription> sub;
      {
        std::lock_guard<std::mutex> lock(mu_);
        sub = subscription_;
      }
      if (sub) sub->Ack(position);
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.dead_lettered;
    }
    if (settings_.metrics != nullptr) settings_.metrics->DeadLettered();
    cloudevents::CloudEvent event = *entry->delivered.event;
    if (!entry->reject_reason.empty()) {
      LOG(WARNING) << "dead-lettering event " << event.id() << " of topic " << topic_ << " (group "
                   << group_ << "): " << entry->reject_reason;
      event.SetExtension("dlqreason", entry->reject_reason);
      event.SetExtension("dlqdeliveries", std::to_string(entry->reject_attempts));
      entry->reject_reason.clear();
    } else {
      LOG(WARNING) << "dead-lettering event " << event.id() << " of topic " << topic_ << " (group "
                   << group_ << ") after " << entry->delivery_count << " deliveries";
    }
    std::weak_ptr<GroupConsumer> weak = weak_from_this();
    dead_letter_(std::move(event), [weak, entry](absl::Status status) {
      auto self = weak.lock();
      if (!self) return;
      if (status.ok()) {
        std::shared_ptr<connectors::Subscription> sub;
        {
          std::lock_guard<std::mutex> lock(self->mu_);
          sub = self->subscription_;
        }
        if (sub) sub->Ack(entry->delivered.position);
        return;
      }
      LOG(ERROR) << "dead-letter write failed (" << status
                 << "); the event stays pending: " << entry->delivered.event->id();
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        entry->delivery_count = self->settings_.max_delivery_count - 1;
        self->pending_.push_back(entry);
      }
      self->Dispatch();
    });
  }
}

void GroupConsumer::Close() {
  std::shared_ptr<connectors::Subscription> subscription;
  std::vector<std::pair<std::shared_ptr<DeliveryTarget>, std::string>> forget;
  std::vector<std::pair<connectors::Position, int32_t>> notes;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
    subscription = std::move(subscription_);
    in_flight_.EraseIf([&](uint64_t seq, InFlight& flight) {
      forget.emplace_back(flight.target, absl::StrCat(seq));
      // Delivered and never acknowledged: it comes again, to whoever holds the partition next.
      notes.emplace_back(flight.entry->delivered.position, flight.entry->delivery_count);
      return true;
    });
    in_flight_.Clear();
    pending_.clear();
    spare_entries_.clear();
    targets_.clear();
  }
  for (auto& [target, seq] : forget) {
    target->Forget(seq);
    target->ReleaseSlot();
  }
  if (subscription) {
    for (const auto& [position, deliveries] : notes) {
      subscription->NoteDeliveries(position, deliveries);
    }
    subscription->Close();
  }
}

ConsumerStats GroupConsumer::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  ConsumerStats stats = stats_;
  stats.pending = static_cast<int64_t>(pending_.size());
  stats.in_flight = static_cast<int64_t>(in_flight_.size());
  return stats;
}

size_t GroupConsumer::target_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return targets_.size();
}

}  // namespace eventmesh::runtime::core
