// Secret redaction for everything the control plane returns, and the inverse step a full
// replacement needs: a PUT that carries a secret still in its redacted form keeps the stored
// secret, so GET -> edit -> PUT round-trips without the admin re-typing keys.
//
// Redacted forms (Bifrost's):
//   key values and other secret literals: first 4 + 24 '*' + last 4 characters;
//     8 characters or fewer: all '*' (same length);
//   proxy password, network and proxy ca_cert_pem: "<REDACTED>";
//   extra_headers values of sensitive names (IsSensitiveHeader): like key values;
//   the password of a proxy URL's userinfo: "<REDACTED>" in its place.
// Environment references ("env.NAME") are not secrets and are never redacted.
//
// Pure functions; any thread.
#ifndef SWITCHYARD_COMMON_REDACTION_H_
#define SWITCHYARD_COMMON_REDACTION_H_

#include <functional>
#include <string>
#include <string_view>

#include "switchyard/v1/provider.pb.h"

namespace switchyard::common {

inline constexpr std::string_view kRedactedMarker = "<REDACTED>";

std::string RedactSecret(std::string_view secret);

// Header names whose values are secrets: authorization, proxy-authorization, cookie, and any
// name containing "token", "secret" or "key" (x-api-key, api-key, x-goog-api-key, ...).
bool IsSensitiveHeader(std::string_view name);

// True when a URL's userinfo password is the redaction marker.
bool UrlHasRedactedPassword(std::string_view url);

// True when `value` has the shape RedactSecret produces (or is the marker).
bool LooksRedacted(std::string_view value);

// Calls `visit` on every secret that rests in storage as a literal: key values and the
// secret fields of azure/vertex/bedrock key configs (not env. references), the proxy
// password and sensitive extra_headers values. Empty values are skipped.
void VisitStoredSecrets(switchyard::v1::ProviderConfig* config,
                        const std::function<void(std::string*)>& visit);

// A copy of `config` with every secret literal replaced by its redacted form.
switchyard::v1::ProviderConfig RedactSecrets(const switchyard::v1::ProviderConfig& config);

// For each secret in `incoming` that is still redacted, copies the secret from the matching
// part of `stored` (keys matched by id, then by name) when the stored secret redacts to
// exactly that text. Secrets that match nothing are left redacted; validation then rejects
// them with a message naming the field.
void RestoreRedactedSecrets(const switchyard::v1::ProviderConfig& stored,
                            switchyard::v1::ProviderConfig* incoming);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_REDACTION_H_
