#ifndef EVENTMESH_PROTOCOL_HTTP_URL_ENCODING_H_
#define EVENTMESH_PROTOCOL_HTTP_URL_ENCODING_H_

// application/x-www-form-urlencoded coding, as Java's URLEncoder/URLDecoder (UTF-8) use
// it for EventMesh form bodies and query strings:
//   * encode: A-Z a-z 0-9 and `.-*_` stay, space becomes '+', every other byte %XX
//     (uppercase hex);
//   * decode: '+' becomes space, %XX (either hex case) becomes the byte; bytes are passed
//     through unchanged otherwise (no UTF-8 validation).
// Pure functions / value types; thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace eventmesh::protocol::http {

std::string UrlEncode(absl::string_view text);

// Errors: InvalidArgument "invalid percent-escape '%4G' at position 3" (a '%' not
// followed by two hex digits; position = byte offset of the '%').
absl::StatusOr<std::string> UrlDecode(absl::string_view text);

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Fields one form may have. Each costs 64 bytes or more in memory however short its text
// (`a&a&...` is 2 bytes a field); the forms of the EventMesh HTTP protocol have about ten.
inline constexpr size_t kMaxFormFields = 4096;

// Parses `k1=v1&k2=v2...`: fields in order, duplicates kept, empty segments skipped, a
// segment without '=' is a key with an empty value. Errors: as UrlDecode, with the
// position counted from the start of `body`; OutOfRange "form with more than 4096 fields".
absl::StatusOr<FormFields> ParseForm(absl::string_view body);

// Encodes fields in order as `k1=v1&k2=v2`.
std::string EncodeForm(const FormFields& fields);

// A parsed form with lookups. Keys are compared exactly (case-sensitive).
class Form {
 public:
  Form() = default;
  explicit Form(FormFields fields) : fields_(std::move(fields)) {}

  // Errors: as ParseForm.
  static absl::StatusOr<Form> Parse(absl::string_view body);

  void Add(absl::string_view key, absl::string_view value) {
    fields_.emplace_back(std::string(key), std::string(value));
  }
  // The first value of `key`; nullopt when absent.
  std::optional<absl::string_view> Get(absl::string_view key) const;
  // Every value of `key`, in order.
  std::vector<absl::string_view> GetAll(absl::string_view key) const;
  const FormFields& fields() const { return fields_; }
  std::string Encode() const { return EncodeForm(fields_); }

 private:
  FormFields fields_;
};

}  // namespace eventmesh::protocol::http

#endif  // EVENTMESH_PROTOCOL_HTTP_URL_ENCODING_H_
