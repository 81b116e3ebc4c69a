#include "data-plane/logs/raw_capture.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_replace.h"
#include "common/provider_config.h"
#include "common/redaction.h"

namespace switchyard::dp {
namespace {

constexpr std::string_view kMarker = "<REDACTED>";
constexpr size_t kShortestSecret = 4;  // shorter values are not looked for

bool SecretField(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(absl::string_view(name.data(), name.size()));
  for (const char* word : {"secret", "key", "token", "password", "credential"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string RedactedCapture(std::string_view text, const ProviderEntry& entry,
                            std::string_view access_token, bool* truncated) {
  std::vector<std::string_view> secrets;
  auto add = [&](std::string_view secret) {
    if (secret.size() >= kShortestSecret) secrets.push_back(secret);
  };
  for (const ResolvedKey& key : entry.keys) {
    add(key.secret);
    for (const auto& [name, value] : key.config_fields) {
      if (SecretField(name)) add(value);
    }
  }
  for (const auto& [name, value] : entry.extra_headers) {
    if (common::IsSensitiveHeader(name)) add(value);
  }
  add(access_token);
  const size_t cap = static_cast<size_t>(common::RawLogMaxBytes(entry.config));
  size_t longest = 0;
  for (const std::string_view secret : secrets) longest = std::max(longest, secret.size());
  // Enough to find a secret that starts before the cap.
  std::string out(text.substr(0, cap + longest));
  for (const std::string_view secret : secrets) {
    for (size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at)) {
      out.replace(at, secret.size(), kMarker);
      at += kMarker.size();
    }
  }
  if (text.size() > cap || out.size() > cap) {
    *truncated = true;
    out.resize(std::min(out.size(), cap));
  }
  return out;
}

}  // namespace switchyard::dp
