// Fuzz target: arbitrary bytes as a registry instance (the body of PUT .../instances/{id}, the
// state file, an etcd value). Parsing must never crash; whatever parses and validates must
// survive a JSON round trip unchanged, and the derived queries must run on it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "eventmesh/registry/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto instance = eventmesh::registry::InstanceFromJson(text);
  if (!instance.ok()) return 0;
  if (!eventmesh::registry::Validate(*instance).ok()) return 0;
  auto again = eventmesh::registry::InstanceFromJson(eventmesh::registry::ToJson(*instance));
  if (!again.ok() || !again->SameReport(*instance)) std::abort();
  (void)eventmesh::registry::RoutesOf({*instance});
  (void)eventmesh::registry::OrderForClient({*instance, *again}, instance->idc);
  return 0;
}
