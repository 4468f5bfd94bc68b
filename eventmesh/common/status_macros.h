#ifndef EVENTMESH_COMMON_STATUS_MACROS_H_
#define EVENTMESH_COMMON_STATUS_MACROS_H_

// Early-return helpers for absl::Status / absl::StatusOr, as used across the mesh.
//
//   EM_RETURN_IF_ERROR(DoThing());              // returns the status when not OK
//   EM_ASSIGN_OR_RETURN(Foo foo, MakeFoo());    // declares/assigns, or returns the status
//
// Both work in functions returning absl::Status or any absl::StatusOr<T>.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define EM_STATUS_MACROS_CONCAT_INNER(a, b) a##b
#define EM_STATUS_MACROS_CONCAT(a, b) EM_STATUS_MACROS_CONCAT_INNER(a, b)

#define EM_RETURN_IF_ERROR(expr)                                       \
  do {                                                                 \
    const ::absl::Status em_status_macros_status = (expr);             \
    if (!em_status_macros_status.ok()) return em_status_macros_status; \
  } while (0)

#define EM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = *std::move(tmp)

#define EM_ASSIGN_OR_RETURN(lhs, expr) \
  EM_ASSIGN_OR_RETURN_IMPL(EM_STATUS_MACROS_CONCAT(em_status_or_, __LINE__), lhs, expr)

#endif  // EVENTMESH_COMMON_STATUS_MACROS_H_
