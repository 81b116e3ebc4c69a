#include "data-plane/providers/upstream_headers.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/provider_types.h"
#include "common/strings.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {
namespace {

constexpr std::string_view kDynamicHeaderPrefix = "x-bf-eh-";
constexpr std::string_view kAcceptEventStream = "accept: text/event-stream\r\n";

bool IsDynamicHeader(std::string_view name) {
  return name.size() > kDynamicHeaderPrefix.size() &&
         absl::StartsWithIgnoreCase(common::ToAbsl(name), common::ToAbsl(kDynamicHeaderPrefix));
}

void SetHeader(HeaderList& headers, std::string name, std::string value) {
  for (auto& [existing, old] : headers) {
    if (existing == name) {
      old = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace

void ComposeUpstreamHeaders(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) {
  const ProviderEntry& entry = *target.entry;
  bool dynamic = false;
  for (const auto& [name, value] : request.control_headers) dynamic |= IsDynamicHeader(name);
  dynamic |= !request.content_type.empty();  // the compiled lines say JSON
  if (!dynamic) {
    out->header_lines[0] = entry.static_header_lines;
    if (target.key != nullptr) out->header_lines[1] = target.key->auth_header_lines;
    if (request.stream) out->header_lines[2] = kAcceptEventStream;
    return;
  }
  HeaderList& headers = out->headers;
  if (out->method != "GET" && out->method != "DELETE") {
    headers.emplace_back("content-type", request.content_type.empty() ? "application/json"
                                                                      : request.content_type);
  }
  if (request.stream) headers.emplace_back("accept", "text/event-stream");
  if (target.key != nullptr) {
    for (const auto& [name, value] : target.key->auth_headers) {
      if (!entry.HasExtraHeader(name)) headers.emplace_back(name, value);
    }
  }
  for (const auto& [name, value] : entry.extra_headers) SetHeader(headers, name, value);
  for (const auto& [name, value] : request.control_headers) {
    if (!IsDynamicHeader(name)) continue;
    std::string stripped = absl::AsciiStrToLower(name.substr(kDynamicHeaderPrefix.size()));
    bool auth = stripped == "authorization";
    if (target.key != nullptr) {
      for (const auto& [auth_name, auth_value] : target.key->auth_headers) {
        auth |= stripped == auth_name;
      }
    }
    if (auth || common::IsDeniedHeader(stripped)) continue;
    SetHeader(headers, std::move(stripped), value);
  }
}

}  // namespace switchyard::dp
