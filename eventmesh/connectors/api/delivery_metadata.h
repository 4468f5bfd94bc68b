#ifndef EVENTMESH_CONNECTORS_API_DELIVERY_METADATA_H_
#define EVENTMESH_CONNECTORS_API_DELIVERY_METADATA_H_

// The commit metadata with which connectors keep a delivery count (Subscription::NoteDeliveries,
// Capabilities::durable_delivery_counts): "deliveries=<offset>:<count>", stored beside a
// group's committed offset (the store's CommittedOffset::metadata, Kafka's offset commit
// metadata). Shared so every connector writes and reads the same text.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace eventmesh::connectors {

// The metadata recording `deliveries` for the event at `offset`.
std::string EncodeDeliveriesMetadata(int64_t offset, int32_t deliveries);

// The count EncodeDeliveriesMetadata stored for `offset`; 0 for empty or other metadata, a
// malformed value, or a count recorded for another offset.
int32_t DecodeDeliveriesMetadata(absl::string_view metadata, int64_t offset);

}  // namespace eventmesh::connectors

#endif  // EVENTMESH_CONNECTORS_API_DELIVERY_METADATA_H_
