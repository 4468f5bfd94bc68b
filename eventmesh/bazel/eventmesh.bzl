"""Project rule macros: every C++ target of EventMesh-cpp goes through these.

They set the language standard and warnings once, add the test and benchmark
dependencies, and define how fuzz targets build in the normal suite (a short run
over the seed corpus) and under --config=fuzz (libFuzzer, coverage-guided).
"""

EVENTMESH_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-unused-parameter",
    "-Wno-missing-field-initializers",
]

# Under --config=fuzz (ASan + UBSan), UBSan skips the third-party headers listed in
# //third_party:ubsan_ignorelist.txt. The list is a declared input of every compile that uses it,
# hence per target rather than a global --copt.
_SANITIZER_COPTS = select({
    "//eventmesh/bazel:fuzzing_libfuzzer": [
        "-fsanitize-ignorelist=third_party/ubsan_ignorelist.txt",
    ],
    "//conditions:default": [],
})

_SANITIZER_DEPS = select({
    "//eventmesh/bazel:fuzzing_libfuzzer": ["//third_party:ubsan_ignorelist"],
    "//conditions:default": [],
}) + select({
    # --config=tsan: Abseil synchronization annotations and the suppressions (third_party/).
    "//eventmesh/bazel:sanitizer_tsan": ["//third_party:tsan_support"],
    # --config=asan: LeakSanitizer's suppressions of system-library leaks (third_party/).
    "//eventmesh/bazel:sanitizer_asan": ["//third_party:lsan_support"],
    "//conditions:default": [],
})

def eventmesh_cc_library(name, copts = [], deps = [], **kwargs):
    native.cc_library(
        name = name,
        copts = EVENTMESH_COPTS + copts + _SANITIZER_COPTS,
        deps = deps + _SANITIZER_DEPS,
        **kwargs
    )

def eventmesh_cc_binary(name, copts = [], deps = [], **kwargs):
    native.cc_binary(
        name = name,
        copts = EVENTMESH_COPTS + copts + _SANITIZER_COPTS,
        deps = deps + _SANITIZER_DEPS,
        **kwargs
    )

def eventmesh_cc_test(name, deps = [], copts = [], **kwargs):
    """A GoogleTest test; the main() comes from gtest_main unless the test brings its own."""
    native.cc_test(
        name = name,
        copts = EVENTMESH_COPTS + copts + _SANITIZER_COPTS,
        deps = deps + ["//third_party:gtest_main"] + _SANITIZER_DEPS,
        **kwargs
    )

def eventmesh_cc_benchmark(name, deps = [], copts = [], tags = [], **kwargs):
    """A Google Benchmark binary. Kept out of `bazel test //...`; run it with `bazel run -c opt`."""
    native.cc_binary(
        name = name,
        copts = EVENTMESH_COPTS + copts + _SANITIZER_COPTS,
        deps = deps + ["//eventmesh/common:benchmark_main"] + _SANITIZER_DEPS,
        tags = tags + ["benchmark"],
        **kwargs
    )

def eventmesh_cc_fuzz_test(name, srcs, corpus, deps = [], copts = [], **kwargs):
    """A libFuzzer-style target (defines LLVMFuzzerTestOneInput).

    Creates:
      <name>:        under --config=fuzz a real libFuzzer binary; otherwise a plain
                     binary that runs the target over files or directories given on the
                     command line (a replay driver), so it builds with gcc too.
      <name>_test:   a test that replays the seed corpus plus a bounded number of
                     generated mutations of it, part of `bazel test //...`.
    """
    native.cc_binary(
        name = name,
        srcs = srcs,
        copts = EVENTMESH_COPTS + copts + _SANITIZER_COPTS,
        deps = deps + _SANITIZER_DEPS + select({
            "//eventmesh/bazel:fuzzing_libfuzzer": [],
            "//conditions:default": ["//eventmesh/bazel:fuzz_replay_main"],
        }),
        linkopts = select({
            "//eventmesh/bazel:fuzzing_libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = True,
        **kwargs
    )
    native.sh_test(
        name = name + "_test",
        srcs = ["//eventmesh/bazel:run_fuzz_seed.sh"],
        args = ["$(location :%s)" % name, "$(locations %s)" % corpus],
        data = [":" + name, corpus],
        size = "small",
    )
