#include "eventmesh/protocol/tcp/redirect_info.h"

#include "eventmesh/protocol/tcp/json_text.h"

namespace eventmesh::protocol::tcp {

absl::StatusOr<RedirectInfo> RedirectInfo::FromJson(absl::string_view json) {
  constexpr absl::string_view kModel = "RedirectInfo";
  rapidjson::Document doc;
  std::string scratch;
  if (absl::Status s = ParseLenient(json, kModel, &scratch, &doc); !s.ok()) return s;
  if (!doc.IsObject()) return absl::InvalidArgumentError("RedirectInfo is not a JSON object");
  RedirectInfo r;
  if (auto v = StringMember(doc, "ip")) r.ip = std::move(*v);
  if (absl::Status s = IntMember(doc, "port", kModel, &r.port); !s.ok()) return s;
  return r;
}

std::string RedirectInfo::ToJson() const {
  std::string out;
  StringAppendStream stream(&out);
  AppendWriter w(stream);
  w.StartObject();
  if (!ip.empty()) {
    WriteKey(w, "ip");
    WriteString(w, ip);
  }
  WriteKey(w, "port");
  w.Int(port);
  w.EndObject();
  return out;
}

}  // namespace eventmesh::protocol::tcp
