#ifndef EVENTMESH_RUNTIME_CORE_DELIVERY_TARGET_H_
#define EVENTMESH_RUNTIME_CORE_DELIVERY_TARGET_H_

// A receiver of pushed events (a client session of any protocol, a webhook endpoint), as the
// delivery core sees it. The core says what kind of push it is (PushKind); each protocol's
// target turns that into its own frame or request.
//
// Each target has a bounded window of unacknowledged events: a consumer takes a slot with
// TryAcquireSlot before pushing and gives it back (ReleaseSlot) when the event is acknowledged,
// timed out or reassigned. A full window stops feeding the target.
// Thread-safe: all methods may be called from any thread. Push must not call back into the
// consumer that calls it (it only queues bytes for the socket).

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "eventmesh/protocol/cloudevents/cloud_event.h"
#include "eventmesh/protocol/cloudevents/stored_hints.h"

namespace eventmesh::runtime::core {

class GroupConsumer;

// What a push is, independent of the protocol that carries it.
enum class PushKind {
  kUnicast,    // one member of a clustering group (TCP ASYNC_MESSAGE_TO_CLIENT)
  kBroadcast,  // every member of the group (TCP BROADCAST_MESSAGE_TO_CLIENT)
  kRequest,    // a request awaiting the subscriber's reply (TCP REQUEST_TO_CLIENT)
};

// What became of one Push.
struct PushResult {
  enum class Code {
    kQueued,         // on its way; an ack (or a timeout) settles it
    kClosed,         // the target is gone: the event goes to another target
    kUndeliverable,  // this target cannot carry this event (e.g. a frame over its limit): the event
                     // is dead-lettered with `reason`; the target stays
  };
  Code code = Code::kQueued;
  std::string reason;

  static PushResult Queued() { return {}; }
  static PushResult Closed() { return {Code::kClosed, ""}; }
  static PushResult Undeliverable(std::string why) {
    return {Code::kUndeliverable, std::move(why)};
  }
};

class DeliveryTarget {
 public:
  virtual ~DeliveryTarget() = default;
  // Unique per runtime process.
  virtual uint64_t target_id() const = 0;
  // Takes one window slot; false when the window is full or the target is closed.
  virtual bool TryAcquireSlot() = 0;
  // Returns a slot taken by TryAcquireSlot.
  virtual void ReleaseSlot() = 0;
  // Returns `n` slots at once (the acknowledgements of a read): one update of a shared counter
  // instead of n.
  virtual void ReleaseSlots(int64_t n) {
    for (int64_t i = 0; i < n; ++i) ReleaseSlot();
  }
  // Queues `event` as a `kind` push with sequence number `seq`; acks for `seq` are routed to
  // `consumer`. Nothing is queued unless the result is kQueued.
  virtual PushResult Push(const cloudevents::CloudEvent& event, PushKind kind,
                          const std::string& seq,
                          const std::shared_ptr<GroupConsumer>& consumer) = 0;
  // Whether PushStored can write an event from its stored bytes without decoding them; the
  // consumer then hands over events it holds as bytes that way.
  virtual bool TakesStoredBytes() const { return false; }
  // Push for an event given as its stored bytes (CloudEvents protobuf format, never null; the
  // target may keep the pointer); only called when TakesStoredBytes(). `validated`: the bytes
  // encode an event that passed CloudEvent::Validate (connectors::DeliveredEvent::
  // stored_validated), so their strings need no re-checking; `hints`: what their writer knew
  // about them (DeliveredEvent::stored_hints). Undeliverable when the bytes do not decode (and
  // the target needs them decoded).
  virtual PushResult PushStored(const std::shared_ptr<const std::string>& stored, bool validated,
                                const cloudevents::StoredEventHints& hints, PushKind kind,
                                const std::string& seq,
                                const std::shared_ptr<GroupConsumer>& consumer) {
    return PushResult::Undeliverable("this target does not take stored events");
  }
  // One push of PushStoredRun: its arguments as PushStored takes them, and its result.
  struct StoredPush {
    const std::shared_ptr<const std::string>* stored = nullptr;
    bool validated = false;
    const cloudevents::StoredEventHints* hints = nullptr;
    const std::string* seq = nullptr;
    uint64_t seq_number = 0;  // `seq` as a number
    PushResult result;
  };
  // PushStored of each of `pushes` in order (one slot taken for each), the results set in
  // place: what a burst of pushes to one target does. A target may do it in fewer steps (one
  // lock for the burst instead of one per push); the results are those the calls one by one
  // would give, except that once one is kClosed the rest are kClosed too (nothing after it is
  // queued).
  virtual void PushStoredRun(PushKind kind, const std::shared_ptr<GroupConsumer>& consumer,
                             StoredPush* pushes, size_t count) {
    bool closed = false;
    for (size_t i = 0; i < count; ++i) {
      StoredPush& push = pushes[i];
      push.result =
          closed ? PushResult::Closed()
                 : PushStored(*push.stored, push.validated, *push.hints, kind, *push.seq, consumer);
      closed = push.result.code == PushResult::Code::kClosed;
    }
  }
  // Drops the ack route of `seq` (the delivery timed out or moved elsewhere).
  virtual void Forget(const std::string& seq) = 0;
  // Sends what Push queued. Push may hold the bytes back so that a burst of pushes goes out in
  // one write; the consumer calls FlushPushes (outside its lock) after every burst.
  virtual void FlushPushes() {}

 protected:
  // For a PushStored that cannot write `stored` as it is: the bytes decoded, then Push;
  // Undeliverable "stored event does not decode: ..." when they do not decode.
  PushResult PushDecoded(const std::string& stored, PushKind kind, const std::string& seq,
                         const std::shared_ptr<GroupConsumer>& consumer);
};

}  // namespace eventmesh::runtime::core

#endif  // EVENTMESH_RUNTIME_CORE_DELIVERY_TARGET_H_
