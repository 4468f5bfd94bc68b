"""gRPC service stubs from a .proto, with Debian's protoc and grpc_cpp_plugin.

The messages come from the native cc_proto_library (as for every other .proto of the project);
this macro adds the services: a genrule runs /usr/bin/protoc (through //third_party/shims:protoc)
with /usr/bin/grpc_cpp_plugin (Debian package protobuf-compiler-grpc) and a cc_library compiles
the generated <file>.grpc.pb.{h,cc} against //third_party:grpc.
"""

def eventmesh_cc_grpc_library(
        name,
        src,
        cc_proto,
        proto_srcs = [],
        header_includes = [],
        header_deps = [],
        **kwargs):
    """Creates cc_library `name` with the gRPC stubs of the services in `src`.

    Args:
      name: the cc_library.
      src: the .proto with the services (in this package).
      cc_proto: the cc_proto_library of `src` (the messages).
      proto_srcs: the .proto files `src` imports from this workspace.
      header_includes: headers (workspace paths) the generated .grpc.pb.h includes first, e.g.
        gRPC SerializationTraits specializations every stub and service must see.
      header_deps: the libraries of those headers.
      **kwargs: passed to the cc_library (visibility, ...).
    """
    base = src[:-len(".proto")]
    outs = [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    options = ""
    if header_includes:
        options = "additional_header_includes=" + ";".join(header_includes) + ":"
    native.genrule(
        name = name + "_gen",
        srcs = [src] + proto_srcs,
        outs = outs,
        tools = ["//third_party/shims:protoc"],
        cmd = ("$(location //third_party/shims:protoc) " +
               "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin " +
               "--grpc_out=%s$(GENDIR) -I. -I/usr/include $(location %s)") % (options, src),
    )
    native.cc_library(
        name = name,
        srcs = [base + ".grpc.pb.cc"],
        hdrs = [base + ".grpc.pb.h"],
        # gRPC's headers lock with absl::Mutex.
        deps = [cc_proto, "//third_party:grpc", "//third_party/absl:synchronization"] +
               header_deps,
        **kwargs
    )
