#include "eventmesh/runtime/core/delivery_target.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "eventmesh/protocol/cloudevents/proto_format.h"

namespace eventmesh::runtime::core {

PushResult DeliveryTarget::PushDecoded(const std::string& stored, PushKind kind,
                                       const std::string& seq,
                                       const std::shared_ptr<GroupConsumer>& consumer) {
  absl::StatusOr<cloudevents::CloudEvent> event = cloudevents::ParseProto(stored);
  if (!event.ok()) {
    return PushResult::Undeliverable(
        absl::StrCat("stored event does not decode: ", event.status().message()));
  }
  return Push(*event, kind, seq, consumer);
}

}  // namespace eventmesh::runtime::core
