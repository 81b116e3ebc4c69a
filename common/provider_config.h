// Normalization, validation and hashing of provider configs: the rules both planes share.
//
// Canonicalize() turns what an admin sent into the one form that is stored, hashed and
// distributed:
//   - defaults filled in (timeout 30 s, stream idle 60 s, max_retries 0, backoff 500 ->
//     5000 ms, concurrency 1000, buffer 5000, key weight 1.0, key enabled, raw flags false,
//     proxy type "none");
//   - key values split into literal or environment reference ("env.NAME");
//   - key names generated when omitted ("key-<position>"), key ids derived from provider and
//     key name when omitted, keys ordered by name, models sorted, [] and ["*"] both ["*"];
//   - allowed_requests, when present, spelled out for all 25 request types;
//   - status fields set and config_hash computed.
// It is idempotent: Canonicalize(Canonicalize(x)) == Canonicalize(x), so equal configs hash
// equal in every process and after restarts, while any change of behaviour changes the hash.
// It rejects invalid input with InvalidArgument whose message names the field.
//
//   ASSIGN_OR_RETURN(ProviderConfig config, Canonicalize(std::move(parsed)));
//   store.Put(config.name(), config, config.config_hash());
//
// Pure functions; any thread.
#ifndef SWITCHYARD_COMMON_PROVIDER_CONFIG_H_
#define SWITCHYARD_COMMON_PROVIDER_CONFIG_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "switchyard/v1/provider.pb.h"

namespace switchyard::common {

inline constexpr int64_t kDefaultTimeoutSeconds = 30;
inline constexpr int64_t kDefaultMaxRetries = 0;
inline constexpr int64_t kDefaultStreamIdleTimeoutSeconds = 60;
inline constexpr int64_t kDefaultBackoffInitialMs = 500;
inline constexpr int64_t kDefaultBackoffMaxMs = 5000;
inline constexpr int64_t kDefaultConcurrency = 1000;
inline constexpr int64_t kDefaultBufferSize = 5000;
inline constexpr double kDefaultKeyWeight = 1.0;
inline constexpr int64_t kDefaultRawLogBytes = 64 * 1024;
inline constexpr int64_t kMaxRawLogBytes = 16 * 1024 * 1024;

// The cap on each raw body a request log keeps for this provider (raw_log_max_bytes).
inline int64_t RawLogMaxBytes(const switchyard::v1::ProviderConfig& config) {
  return config.has_raw_log_max_bytes() ? config.raw_log_max_bytes() : kDefaultRawLogBytes;
}

absl::StatusOr<switchyard::v1::ProviderConfig> Canonicalize(switchyard::v1::ProviderConfig config);

// InvalidArgument (field "name") unless `name` is 1-64 characters of [A-Za-z0-9._-] starting
// with a letter or digit. Checked before a name from a path or RPC is used or echoed.
absl::Status ValidateProviderName(std::string_view name);

// The hashed text: compact JSON with sorted object keys of a canonical config, without
// config_hash and the status fields.
std::string CanonicalJson(const switchyard::v1::ProviderConfig& canonical);

// SHA-256 hex of CanonicalJson().
std::string ConfigHash(const switchyard::v1::ProviderConfig& canonical);

// SHA-256 hex over the sorted "name:config_hash\n" lines of a whole table; what a data plane
// reports after applying a revision.
std::string TableHash(std::vector<std::pair<std::string, std::string>> name_and_hash);

// The same hash, fed line by line in name order (no copy of the table).
class TableHasher {
 public:
  TableHasher();
  ~TableHasher();
  TableHasher(const TableHasher&) = delete;
  TableHasher& operator=(const TableHasher&) = delete;
  void Add(std::string_view name, std::string_view config_hash);
  std::string Finish();  // lower-case hex

 private:
  struct State;
  State* state_;
};

// The provider family a config speaks: its own name for a standard provider, else
// custom_provider_config.base_provider_type.
std::string_view BaseProviderType(const switchyard::v1::ProviderConfig& config);

// A URL as the data plane will compile it (InvalidArgument naming `path` otherwise).
absl::Status ValidateUrl(std::string_view path, std::string_view url,
                         std::initializer_list<std::string_view> schemes);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_PROVIDER_CONFIG_H_
