#include "eventmesh/common/status_macros.h"

#include <string>

#include "gtest/gtest.h"

namespace eventmesh {
namespace {

absl::StatusOr<int> Parse(bool ok) {
  if (!ok) return absl::InvalidArgumentError("bad input");
  return 7;
}

absl::StatusOr<int> Twice(bool ok) {
  EM_ASSIGN_OR_RETURN(int v, Parse(ok));
  return v * 2;
}

absl::Status Check(bool ok, int* calls) {
  EM_RETURN_IF_ERROR(Parse(ok).status());
  ++*calls;
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnAssignsValueOrPropagatesError) {
  EXPECT_EQ(*Twice(true), 14);
  absl::StatusOr<int> err = Twice(false);
  EXPECT_EQ(err.status(), absl::InvalidArgumentError("bad input"));
}

TEST(StatusMacrosTest, ReturnIfErrorStopsOnlyOnError) {
  int calls = 0;
  EXPECT_TRUE(Check(true, &calls).ok());
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Check(false, &calls).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace eventmesh
