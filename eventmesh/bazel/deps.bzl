"""The external repositories EventMesh-cpp needs, declared by one call.

EventMesh-cpp builds offline against Debian's system libraries. Bazel 4.2.3 still references a
few external repositories (@rules_cc, @rules_java, @remote_coverage_tools, @com_google_protobuf,
@platforms); each is satisfied by a small local shim under third_party/shims or by a Debian
package. Both this repository's WORKSPACE and the WORKSPACE of any repository that depends on it
call eventmesh_dependencies(): Bazel does not evaluate the WORKSPACE file of an external
repository, so a consumer must declare these itself, and this macro keeps the list in one place.

In another repository:

    local_repository(name = "eventmesh", path = "/path/to/EventMesh-cpp")
    load("@eventmesh//eventmesh/bazel:deps.bzl", "eventmesh_dependencies")
    eventmesh_dependencies()

The shims are found through a label of this repository, so the macro works however the
"eventmesh" repository itself was declared (local_repository, git_repository, ...).
"""

def _shim_repository_impl(repository_ctx):
    # third_party/shims of the repository this file belongs to (the main one, or @eventmesh).
    shims = repository_ctx.path(repository_ctx.attr._shims_build).dirname
    source = shims.get_child(repository_ctx.attr.shim)
    if not source.exists:
        fail("no shim %s under %s" % (repository_ctx.attr.shim, shims))
    for child in source.readdir():
        repository_ctx.symlink(child, child.basename)

# A repository whose files are those of third_party/shims/<shim> (symlinked).
_shim_repository = repository_rule(
    implementation = _shim_repository_impl,
    attrs = {
        "shim": attr.string(mandatory = True),
        "_shims_build": attr.label(default = Label("//third_party/shims:BUILD.bazel")),
    },
)

def eventmesh_dependencies():
    """Declares every external repository EventMesh-cpp's targets and Bazel's tools need."""

    # @bazel_tools//tools/cpp loads cc_library & co. from @rules_cc//cc:defs.bzl.
    _shim_repository(name = "rules_cc", shim = "rules_cc")

    # The registered Java toolchains load @rules_java//java:defs.bzl.
    _shim_repository(name = "rules_java", shim = "rules_java")

    # `bazel test` resolves the coverage tools even when coverage is not collected.
    _shim_repository(name = "remote_coverage_tools", shim = "remote_coverage_tools")

    # proto_library / cc_proto_library: protoc, the C++ runtime and the well-known types,
    # from Debian's protobuf-compiler and libprotobuf-dev (/usr/include).
    native.new_local_repository(
        name = "com_google_protobuf",
        build_file = str(Label("//third_party/shims:com_google_protobuf.BUILD")),
        path = "/usr/include",
    )

    # Toolchain constraints, from Debian's bazel-platforms package.
    native.local_repository(
        name = "platforms",
        path = "/usr/share/bazel/tools/platforms",
    )
