#ifndef EVENTMESH_COMMON_UTF8_H_
#define EVENTMESH_COMMON_UTF8_H_

// UTF-8 validation (RFC 3629): rejects overlong forms, surrogates, code points above
// U+10FFFF and truncated sequences. Protobuf string fields and CloudEvents text must be
// valid UTF-8. Pure function, thread-safe; an ASCII fast path checks 8 bytes at a time.

#include "absl/strings/string_view.h"

namespace eventmesh {

bool IsValidUtf8(absl::string_view text);

}  // namespace eventmesh

#endif  // EVENTMESH_COMMON_UTF8_H_
