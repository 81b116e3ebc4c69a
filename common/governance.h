// Governance objects (virtual keys, teams, customers, prices, credentials, model routes): the
// rules both planes share (a credential's own rules are in common/barndoor.h).
//
// Canonicalize() checks what an admin sent (InvalidArgument naming the field) and turns it
// into the one form that is stored, hashed and distributed: defaults filled in (is_active
// true), server-owned fields cleared (created_at, updated_at, value, config_hash; a price's
// id derived from provider/model), lists sorted where order means nothing; then config_hash
// is set. Ids, a key's value and its value_sha256 are the caller's (the service's) to set.
//
// The JSON shape (REST, config files) is the proto printed with its field names, limits as
// numbers; value_sha256 is never printed.
//
// Reset durations: Bifrost's "<n><unit>", unit s, m, h, d, w, M (30 days) or Y (365 days).
// Windows and budget periods are aligned to multiples of their duration since the Unix
// epoch, so every data plane (and Redis) agrees on where a window starts without talking.
//
// Pure functions; any thread.
#ifndef SWITCHYARD_COMMON_GOVERNANCE_H_
#define SWITCHYARD_COMMON_GOVERNANCE_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/v1/governance.pb.h"

namespace switchyard::common {

// The kinds, as named in the change log, the stream and the gRPC API.
inline constexpr std::string_view kVirtualKeyKind = "virtual_key";
inline constexpr std::string_view kTeamKind = "team";
inline constexpr std::string_view kCustomerKind = "customer";
inline constexpr std::string_view kPriceKind = "price";
inline constexpr std::string_view kCredentialKind = "credential";
inline constexpr std::string_view kModelRouteKind = "model_route";

// The prefix of every virtual key value.
inline constexpr std::string_view kVirtualKeyPrefix = "sk-bf-";

// "virtual_key" ... for a set object; "" when none is set.
std::string_view KindOf(const switchyard::v1::GovernanceObject& object);
// InvalidArgument unless `kind` is one of the four.
absl::Status ValidateKind(std::string_view kind);
const std::string& IdOf(const switchyard::v1::GovernanceObject& object);
const std::string& NameOf(const switchyard::v1::GovernanceObject& object);
const std::string& HashOf(const switchyard::v1::GovernanceObject& object);
void SetId(switchyard::v1::GovernanceObject& object, std::string id);
void SetHash(switchyard::v1::GovernanceObject& object, std::string hash);
void SetTimes(switchyard::v1::GovernanceObject& object, std::string created, std::string updated);

absl::StatusOr<std::chrono::seconds> ParseResetDuration(std::string_view text);

// The start of the window of length `length` that holds `now` (epoch-aligned).
std::chrono::system_clock::time_point WindowStart(std::chrono::system_clock::time_point now,
                                                  std::chrono::seconds length);

absl::StatusOr<switchyard::v1::GovernanceObject> CanonicalizeGovernance(
    switchyard::v1::GovernanceObject object);

// SHA-256 hex of the canonical object's deterministic serialization without config_hash,
// the times and the value.
std::string GovernanceHash(const switchyard::v1::GovernanceObject& canonical);

// The table hash of the governance part: TableHash over "kind/id:config_hash" lines.
std::string GovernanceTableHash(std::vector<std::pair<std::string, std::string>> key_and_hash);
// What a whole table hashes to: the providers' hash alone when there is no governance object
// (tables of earlier versions hash the same), else SHA-256 of "<providers>:<governance>".
std::string CombineTableHash(const std::string& providers_hash,
                             const std::string& governance_hash);

// "sk-bf-" and 43 characters of URL-safe base64 from 32 random bytes.
std::string NewVirtualKeyValue();
// A new object id: "<prefix>-" and 24 hex characters from random bytes.
std::string NewObjectId(std::string_view prefix);

// JSON (REST). Parsing takes a body for `kind` and ignores the server-owned fields a client
// may echo back (id, value, value_sha256, config_hash, created_at, updated_at, usage);
// unknown fields are refused (InvalidArgument naming them).
absl::StatusOr<switchyard::v1::GovernanceObject> GovernanceFromJson(std::string_view kind,
                                                                    std::string_view text);
std::string GovernanceToJson(const switchyard::v1::GovernanceObject& object);
// {"<plural>":[...],"total":N}
std::string GovernanceListToJson(std::string_view kind,
                                 const std::vector<switchyard::v1::GovernanceObject>& objects);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_GOVERNANCE_H_
