#ifndef EVENTMESH_PROTOCOL_CLOUDEVENTS_STORED_HINTS_H_
#define EVENTMESH_PROTOCOL_CLOUDEVENTS_STORED_HINTS_H_

// What the code that wrote an event's stored bytes (its CloudEvents protobuf form,
// proto_format.h) knows about them, carried beside the bytes inside one process (never stored,
// never sent), so that code writing the event onward need not find it out again. The TCP publish
// path sets them (protocol::adaptor::EncodeStoredPublish); the event store connector keeps them
// with the bytes it keeps in memory; the TCP push path reads them
// (protocol::adaptor::AppendStoredEventFrame). Bytes read back from a store, or made any other
// way, have the default: nothing known.

#include <cstddef>
#include <cstdint>

namespace eventmesh::cloudevents {

struct StoredEventHints {
  // The data is ASCII text without quotes, backslashes or control characters: a JSON writer
  // copies it as it is.
  bool plain_data = false;
  // The subject, the datacontenttype and every extension's value are ASCII without quotes,
  // backslashes or control characters (extension names always are): a JSON writer copies them
  // as they are.
  bool plain_attributes = false;
  // Nonzero: the bytes end with the event's data (its last `data_size` bytes), and the event's
  // subject, datacontenttype and extensions are those of every other event whose bytes were
  // written with the same id. Ids come from NewStoredAttributesId.
  uint64_t attributes_id = 0;
  size_t data_size = 0;
};

// An id for one set of attributes (see StoredEventHints::attributes_id): never 0, never given
// twice in the process. Thread-safe.
uint64_t NewStoredAttributesId();

}  // namespace eventmesh::cloudevents

#endif  // EVENTMESH_PROTOCOL_CLOUDEVENTS_STORED_HINTS_H_
