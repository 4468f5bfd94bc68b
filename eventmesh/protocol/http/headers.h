#ifndef EVENTMESH_PROTOCOL_HTTP_HEADERS_H_
#define EVENTMESH_PROTOCOL_HTTP_HEADERS_H_

// HTTP headers of the EventMesh HTTP protocol.
//
// HeaderMap keeps each header with the sender's spelling and matches names
// case-insensitively, so v1.3+ lowercase keys (`code`, `idc`) and the v1.0-v1.2
// capitalised ones (`Code`, `Idc`, `Username`, ...) both resolve. RequestHeader is the
// validated protocol header of one code-based request.
//
// Value types; not thread-safe for concurrent mutation.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventmesh/protocol/http/request_code.h"

namespace eventmesh::protocol::http {

// Protocol header keys (v1.3+ spelling; ProtocolKey.java).
namespace header_key {
inline constexpr absl::string_view kCode = "code";
inline constexpr absl::string_view kVersion = "version";
inline constexpr absl::string_view kLanguage = "language";
inline constexpr absl::string_view kEnv = "env";
inline constexpr absl::string_view kIdc = "idc";
inline constexpr absl::string_view kSys = "sys";
inline constexpr absl::string_view kPid = "pid";
inline constexpr absl::string_view kIp = "ip";
inline constexpr absl::string_view kUsername = "username";
inline constexpr absl::string_view kPasswd = "passwd";
inline constexpr absl::string_view kProtocolType = "protocoltype";
inline constexpr absl::string_view kProtocolVersion = "protocolversion";
inline constexpr absl::string_view kProtocolDesc = "protocoldesc";
inline constexpr absl::string_view kBizSeqNo = "bizseqno";
inline constexpr absl::string_view kUniqueId = "uniqueid";
inline constexpr absl::string_view kProducerGroup = "producergroup";
inline constexpr absl::string_view kConsumerGroup = "consumergroup";
inline constexpr absl::string_view kToken = "token";
inline constexpr absl::string_view kTtl = "ttl";
inline constexpr absl::string_view kSource = "source";
inline constexpr absl::string_view kType = "type";
inline constexpr absl::string_view kSubject = "subject";
inline constexpr absl::string_view kDataContentType = "datacontenttype";
// Response headers the runtime adds.
inline constexpr absl::string_view kEventMeshCluster = "eventmeshcluster";
inline constexpr absl::string_view kEventMeshIp = "eventmeship";
inline constexpr absl::string_view kEventMeshEnv = "eventmeshenv";
inline constexpr absl::string_view kEventMeshIdc = "eventmeshidc";
inline constexpr absl::string_view kUri = "uri";
// Request header of a sender that pipelines an ordered stream of requests on one connection
// (cross-mesh forwarding): the runtime closes the connection after answering such a request
// with an error, so no request behind it on that connection is handled before it is sent again.
inline constexpr absl::string_view kOrdered = "eventmesh-ordered";
}  // namespace header_key

// Protocol versions of the `version` header.
inline constexpr absl::string_view kProtocolVersion1 = "1.0";
inline constexpr absl::string_view kProtocolVersion2 = "2.0";
// Default of the `language` header.
inline constexpr absl::string_view kDefaultLanguage = "JAVA";

// Single-valued header map with case-insensitive names.
class HeaderMap {
 public:
  HeaderMap() = default;
  HeaderMap(std::initializer_list<std::pair<absl::string_view, absl::string_view>> entries);

  // Sets `name` (replacing a value stored under any spelling; the new spelling is kept).
  void Set(absl::string_view name, absl::string_view value);
  // The value stored under any spelling of `name`; nullopt when absent.
  std::optional<absl::string_view> Get(absl::string_view name) const;
  // The value, or `fallback` when absent.
  std::string GetOr(absl::string_view name, absl::string_view fallback) const;
  bool Contains(absl::string_view name) const { return Get(name).has_value(); }
  // Removes `name`; false when absent.
  bool Remove(absl::string_view name);
  // Makes room for `n` names (no rehashing while they are set).
  void Reserve(size_t n) { entries_.reserve(n); }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // Visits (original name, value) pairs in order of lowercase name.
  template <typename F>
  void ForEach(F&& f) const {
    for (const auto* entry : Sorted()) f(entry->first, entry->second);
  }

 private:
  // Hash and equality of names ignoring ASCII case (lookups build no lowercase copy). The hash
  // is absl::Hash of the lowercase name, seeded per process, so chosen names do not collide.
  struct CaseInsensitiveHash {
    using is_transparent = void;
    size_t operator()(absl::string_view name) const;
  };
  struct CaseInsensitiveEq {
    using is_transparent = void;
    bool operator()(absl::string_view a, absl::string_view b) const;
  };
  using Entries =
      absl::flat_hash_map<std::string, std::string, CaseInsensitiveHash, CaseInsensitiveEq>;

  std::vector<const Entries::value_type*> Sorted() const;

  // Name as last set -> value.
  Entries entries_;
};

// `version` header normalisation: blank -> "1.0"; "1.0" and "2.0" are kept.
// Errors: InvalidArgument "header 'version' must be 1.0 or 2.0, got '<v>'" (the Java
// runtime answers such requests with HTTP 400).
absl::StatusOr<std::string> NormalizeProtocolVersion(absl::string_view version);

// The validated protocol header of one code-based request.
struct RequestHeader {
  RequestCode code = RequestCode::kUnknown;
  std::string version = std::string(kProtocolVersion1);  // "1.0" or "2.0"
  std::string language = std::string(kDefaultLanguage);  // default "JAVA"
  std::string env;
  std::string idc;
  std::string sys;
  std::string pid;  // decimal digits when RequiresClientIdentity(code)
  std::string ip;   // as sent; the runtime overwrites it with the peer address
  std::string username;
  std::string passwd;
  std::string protocol_type;     // eventmeshmessage / cloudevents / http
  std::string protocol_version;  // CloudEvents spec version 1.0 / 0.3
  std::string protocol_desc;     // "http"

  // Reads the header of a request with `code` (already resolved from the `code` header or
  // query parameter). For codes with RequiresClientIdentity, `idc`, `sys` and `pid` must
  // be non-blank and `pid` all digits.
  // Errors (InvalidArgument; map to retCode 6 with HeaderParseRetCode):
  //   "header 'version' must be 1.0 or 2.0, got '<v>'"
  //   "missing header '<idc|sys|pid>' (required for request code <n>)"
  //   "header 'pid' must be numeric, got '<v>'"
  static absl::StatusOr<RequestHeader> Parse(const HeaderMap& headers, RequestCode code);

  // Writes the header back (lowercase keys; empty fields omitted; code and version
  // always present). Used by clients and tests.
  HeaderMap ToHeaderMap() const;
};

}  // namespace eventmesh::protocol::http

#endif  // EVENTMESH_PROTOCOL_HTTP_HEADERS_H_
