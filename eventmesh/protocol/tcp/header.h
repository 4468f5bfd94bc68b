#ifndef EVENTMESH_PROTOCOL_TCP_HEADER_H_
#define EVENTMESH_PROTOCOL_TCP_HEADER_H_

// The JSON header of an EventMesh TCP package (Java `Header`).
//
// Reading is lenient like Jackson with FAIL_ON_UNKNOWN_PROPERTIES off:
//   - the command comes from `cmd`, else from `command` (v1.0-v1.2 clients); a name
//     ("HELLO_REQUEST") or an ordinal (2 or "2");
//   - `desc`, else legacy `msg`; `seq` as a string or a number (kept as its text);
//   - `code` as a number or a decimal string; missing -> 0;
//   - `properties` may be missing or null; values that are strings, numbers or
//     booleans keep their text, nested objects/arrays keep their compact JSON text,
//     null values are dropped;
//   - unknown keys are ignored.
// Writing emits, in this order: cmd, command (same value, as Java's extra getter
// does), code, desc (only when non-empty), seq (only when set), properties (always, an
// object of strings, possibly {}). Key order does not matter to any reader.
//
// A value type; not thread-safe for concurrent mutation. Errors: InvalidArgument.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/common/sorted_vector_map.h"
#include "eventmesh/protocol/tcp/command.h"

namespace eventmesh::protocol::tcp {

// Status codes carried in Header::code (Java `OPStatus`).
struct OpStatus {
  static constexpr int kSuccess = 0;      // "success"
  static constexpr int kFail = 1;         // "fail"
  static constexpr int kAclFail = 2;      // "aclFail"
  static constexpr int kTpsOverload = 3;  // "tpsOverload"
};

// The Java OPStatus description text for a code ("success", "fail", ...); empty for an
// unknown code.
absl::string_view OpStatusDesc(int code);

// Well-known header property keys (reference 1.7).
inline constexpr absl::string_view kPropertyProtocolType = "protocoltype";
inline constexpr absl::string_view kPropertyProtocolVersion = "protocolversion";
inline constexpr absl::string_view kPropertyProtocolDesc = "protocoldesc";
inline constexpr absl::string_view kProtocolTypeEventMeshMessage = "eventmeshmessage";
inline constexpr absl::string_view kProtocolTypeCloudEvents = "cloudevents";
inline constexpr absl::string_view kProtocolTypeOpenMessage = "openmessage";

struct Header {
  Command cmd = Command::kHeartbeatRequest;
  int code = OpStatus::kSuccess;
  std::string desc;  // Empty means absent (Java null).
  std::optional<std::string> seq;
  // By name (a sorted vector: a header carries a handful).
  using Properties = SortedVectorMap<std::string>;
  Properties properties;

  // Parses header JSON. Errors (InvalidArgument): malformed JSON ("malformed JSON in
  // package header: <reason> at offset N"), not an object, no cmd, unknown cmd, code
  // not an int.
  static absl::StatusOr<Header> FromJson(absl::string_view json);

  // Appends the header JSON to `out`.
  void AppendJson(std::string* out) const;
  std::string ToJson() const;

  bool operator==(const Header& o) const {
    return cmd == o.cmd && code == o.code && desc == o.desc && seq == o.seq &&
           properties == o.properties;
  }
  bool operator!=(const Header& o) const { return !(*this == o); }
};

// Appends the JSON of the header {cmd, code, seq, properties {property_name: property_value}}
// (no desc) to `out`: byte for byte what Header::AppendJson writes for that header, without
// building one (the delivery path writes one per pushed event).
void AppendHeaderJson(Command cmd, int code, absl::string_view seq, absl::string_view property_name,
                      absl::string_view property_value, std::string* out);

// The header AppendHeaderJson(cmd, OpStatus::kSuccess, seq, kPropertyProtocolType,
// protocol_type) writes for a seq that needs no JSON escaping, in the two parts around the seq's
// text: true with *start and *end set (texts that live as long as the process), false when `cmd`
// is not a known command or `protocol_type` is neither eventmeshmessage nor cloudevents.
bool PushHeaderAroundSeq(Command cmd, absl::string_view protocol_type, absl::string_view* start,
                         absl::string_view* end);

// Appends the JSON of a header without properties {cmd, code, desc (when not empty), seq (when
// given), properties {}}: byte for byte what Header::AppendJson writes for that header, without
// building one (every publish is acknowledged with one).
void AppendReplyHeaderJson(Command cmd, int code, absl::string_view desc,
                           std::optional<absl::string_view> seq, std::string* out);

// Reads the headers of one connection. A client's headers nearly always differ from the one
// before only in their seq (Java, Go and C++ clients write the same keys, command and properties
// for every publish or acknowledgement), so the reader remembers the last compact header's text
// around its seq's value, with its parse, and reads a header that has the same bytes before and
// after a seq of the same form (the contents of a plain string: printable ASCII without a quote
// or a backslash; or an integer of up to 18 digits) by comparing them instead of parsing. The
// result is always what Header::FromJson gives for the text: the remembered text was read by the
// simple reader, which reads the new text the same way byte for byte. Headers of up to
// kMaxRemembered bytes of the commands that come in runs (publishes, requests, responses,
// acknowledgements of deliveries) are remembered. Not thread-safe: one per connection.
class HeaderReader {
 public:
  static constexpr size_t kMaxRemembered = 1024;

  // Header::FromJson(json) into `*out`, whose storage is reused where it can be (a caller that
  // keeps one Header for a connection reads its headers without allocating).
  absl::Status Read(absl::string_view json, Header* out);

  // Frees the remembered header (an idle connection keeps no memory for it); the next Read
  // parses.
  void Forget();

  // How many reads compared instead of parsing (for tests and benchmarks).
  uint64_t remembered_reads() const { return remembered_reads_; }

  // The shape of the header the last Read gave: nonzero when it was read as the remembered
  // header's text (all of it but the seq the same) or became the remembered one. Headers given
  // the same nonzero shape have equal cmd, code, desc and properties (they differ at most in
  // their seq), so a caller may compare shapes instead of properties. Shapes are unique in the
  // process; 0 when unknown.
  uint64_t last_shape() const { return last_shape_; }

 private:
  void Remember(absl::string_view json, absl::string_view seq, const Header& header);

  // The remembered header, allocated when one is first remembered (a connection that never
  // sends a run of commands holds 16 bytes for the reader).
  struct Remembered {
    std::string text;      // its text; empty when there is none
    size_t seq_begin = 0;  // its seq's text: text[seq_begin, seq_end)
    size_t seq_end = 0;
    bool seq_quoted = false;  // a string's contents, else an integer
    Header header;            // its parse (seq as read then)
    uint64_t shape = 0;       // last_shape() of the reads that match it
  };
  std::unique_ptr<Remembered> remembered_;
  uint64_t remembered_reads_ = 0;
  uint64_t last_shape_ = 0;
};

// The two readers behind Header::FromJson, exposed for tests. ParseSimpleHeader reads the compact
// headers clients send (keys cmd, command, code, desc, msg, seq, properties, each at most once;
// strings of printable ASCII without escapes, integers, null; properties an object of such
// strings) without building a JSON document, and returns nullopt for any other text.
// ParseHeaderDocument is the general reader. Where ParseSimpleHeader answers, both give the same
// result.
namespace header_internal {
std::optional<absl::StatusOr<Header>> ParseSimpleHeader(absl::string_view json);
// ParseSimpleHeader into `*out`, a default-constructed header: nullopt when the text is not for
// the simple reader (`*out` then holds whatever was read before it declined), else the status.
// With `seq_text`, the seq's text as it stands in `json` (a view into it) when there is one.
std::optional<absl::Status> ParseSimpleHeaderInto(absl::string_view json, Header* out,
                                                  absl::string_view* seq_text = nullptr);
absl::StatusOr<Header> ParseHeaderDocument(absl::string_view json);
}  // namespace header_internal

}  // namespace eventmesh::protocol::tcp

#endif  // EVENTMESH_PROTOCOL_TCP_HEADER_H_
