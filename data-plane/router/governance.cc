#include "data-plane/router/governance.h"

#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "common/governance.h"
#include "common/log.h"
#include "common/sha256.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using common::ApiError;
using common::StrCat;

std::atomic<int64_t> auth_failures{0};
std::atomic<int64_t> last_summary_s{0};
std::atomic<int64_t> failures_at_summary{0};

// Bad keys are counted, and logged as one summary line a minute at most (never one line per
// request: a client trying random keys cannot fill the log).
void CountFailure() {
  const int64_t total = auth_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t last = last_summary_s.load(std::memory_order_relaxed);
  if (last != 0 && now - last < 60) return;
  if (!last_summary_s.compare_exchange_strong(last, now)) return;
  const int64_t before = failures_at_summary.exchange(total);
  common::LogWarning("requests refused for a missing or unknown virtual key",
                     {{"since_last_summary", std::to_string(total - before)},
                      {"total", std::to_string(total)}});
}

// A refusal; `retry_after_s` > 0 is sent as Retry-After.
Refusal Refuse(int status, std::string type, std::string code, std::string message,
               int64_t retry_after_s = 0) {
  Refusal refusal{common::MakeApiError(status, std::move(type), std::move(code), std::move(message))};
  refusal.error.retry_after_s = retry_after_s;
  return refusal;
}

Refusal Unauthenticated(std::string message) {
  return Refuse(401, "authentication_error", "invalid_virtual_key", std::move(message));
}

// The refusal counted on the key's metrics, by reason.
void CountRefusal(const CompiledKey& key, const Refusal& refusal) {
  (refusal.error.http_status == 402 ? key.counters->refused_budget
                                    : key.counters->refused_rate_limit)
      .fetch_add(1, std::memory_order_relaxed);
}

// The window of `limit` holding now: rolled over first when it has passed.
WindowCounter& Current(WindowCounter& counter, const WindowLimit& limit, int64_t now_s,
                       int64_t* start) {
  *start = now_s - now_s % std::max<int64_t>(1, limit.length_s);
  int64_t seen = counter.start.load(std::memory_order_relaxed);
  if (seen < *start && counter.start.compare_exchange_strong(seen, *start)) {
    counter.count.store(0, std::memory_order_relaxed);
  }
  return counter;
}

std::string_view What(const GovernanceLevel& level) {
  if (level.kind == "team") return "team";
  if (level.kind == "customer") return "customer";
  if (level.kind == "virtual_key_provider") return "virtual key provider";
  return "virtual key";
}

Refusal RateLimited(const GovernanceLevel& level, std::string_view unit, const WindowLimit& limit,
                    int64_t start, int64_t now_s) {
  const int64_t retry = std::max<int64_t>(1, start + limit.length_s - now_s);
  return Refuse(429, "rate_limit_error", "rate_limit_exceeded",
                StrCat(What(level), " \"", level.name, "\" reached its limit of ", limit.max, " ",
                       unit, " per ", limit.length_s, " s; the window resets in ", retry, " s"),
                retry);
}

std::optional<Refusal> BudgetExhausted(const GovernanceLevel& level, int64_t now_s) {
  if (!level.has_budget || level.exhausted_until_s <= now_s) return std::nullopt;
  return Refuse(402, "budget_exceeded", "budget_exceeded",
                StrCat("the budget of ", What(level), " \"", level.name, "\" ($", level.budget_max,
                       " per ", level.budget_reset, ") is used up; it resets at ",
                       level.exhausted_until),
                level.exhausted_until_s - now_s);
}

// Counts one request in the level's window; a refusal (and nothing counted) when full.
std::optional<Refusal> CountRequest(const GovernanceLevel& level, int64_t now_s) {
  if (std::optional<Refusal> budget = BudgetExhausted(level, now_s)) return budget;
  if (level.tokens) {
    int64_t start = 0;
    WindowCounter& tokens = Current(level.counters->tokens, *level.tokens, now_s, &start);
    if (tokens.count.load(std::memory_order_relaxed) >= level.tokens->max) {
      return RateLimited(level, "tokens", *level.tokens, start, now_s);
    }
  }
  if (!level.requests) return std::nullopt;
  int64_t start = 0;
  WindowCounter& requests = Current(level.counters->requests, *level.requests, now_s, &start);
  if (requests.count.fetch_add(1, std::memory_order_relaxed) >= level.requests->max) {
    requests.count.fetch_sub(1, std::memory_order_relaxed);
    return RateLimited(level, "requests", *level.requests, start, now_s);
  }
  return std::nullopt;
}

void Uncount(const GovernanceLevel& level) {
  if (level.requests) level.counters->requests.count.fetch_sub(1, std::memory_order_relaxed);
}

void ChargeLevel(const GovernanceLevel& level, int64_t tokens, int64_t nanodollars, int64_t now_s) {
  LevelCounters& counters = *level.counters;
  counters.unreported_requests.fetch_add(1, std::memory_order_relaxed);
  counters.unreported_tokens.fetch_add(tokens, std::memory_order_relaxed);
  if (level.has_budget && nanodollars > 0) {
    counters.unreported_spend_nanodollars.fetch_add(nanodollars, std::memory_order_relaxed);
  }
  if (level.tokens && tokens > 0) {
    int64_t start = 0;
    Current(counters.tokens, *level.tokens, now_s, &start)
        .count.fetch_add(tokens, std::memory_order_relaxed);
  }
}

struct UsageField {
  std::string_view name;  // with its quotes
  int64_t TokenUsage::*slot;
};

constexpr std::array<UsageField, 12> kUsageFields = {{
    {"\"prompt_tokens\"", &TokenUsage::input},
    {"\"input_tokens\"", &TokenUsage::input},
    {"\"promptTokenCount\"", &TokenUsage::input},
    {"\"inputTokens\"", &TokenUsage::input},
    {"\"completion_tokens\"", &TokenUsage::output},
    {"\"output_tokens\"", &TokenUsage::output},
    {"\"candidatesTokenCount\"", &TokenUsage::output},
    {"\"outputTokens\"", &TokenUsage::output},
    {"\"cached_tokens\"", &TokenUsage::cached},
    {"\"cache_read_input_tokens\"", &TokenUsage::cached},
    {"\"cachedContentTokenCount\"", &TokenUsage::cached},
    {"\"cacheReadInputTokens\"", &TokenUsage::cached},
}};

}  // namespace

bool IsCredentialHeader(std::string_view name) {
  return name == "authorization" || name == "x-api-key" || name == "x-goog-api-key" ||
         name == "api-key";
}

PresentedKey FindPresentedKey(const std::vector<std::pair<std::string, std::string>>& headers,
                              std::string_view query) {
  auto header = [&](std::string_view wanted) -> std::string_view {
    for (const auto& [name, value] : headers) {
      if (absl::EqualsIgnoreCase(common::ToAbsl(name), common::ToAbsl(wanted))) return value;
    }
    return {};
  };
  auto marked = [](std::string_view value) {
    return PresentedKey{value, value.starts_with(common::kVirtualKeyPrefix)};
  };
  if (std::string_view vk = header("x-bf-vk"); !vk.empty()) return {vk, true};
  if (std::string_view auth = header("authorization"); !auth.empty()) {
    if (auth.size() > 7 && absl::StartsWithIgnoreCase(common::ToAbsl(auth), "bearer ")) {
      return marked(auth.substr(7));
    }
  }
  for (std::string_view name : {"x-api-key", "x-goog-api-key", "api-key"}) {
    if (std::string_view value = header(name); !value.empty()) return marked(value);
  }
  // ?key=… (Google's GenAI clients may put the key in the query).
  for (size_t at = 0; at < query.size();) {
    size_t end = query.find('&', at);
    if (end == std::string_view::npos) end = query.size();
    if (std::string_view pair = query.substr(at, end - at); pair.starts_with("key=")) {
      return marked(pair.substr(4));
    }
    at = end + 1;
  }
  return {};
}

Authentication Authenticate(const GovernanceTable* table, PresentedKey presented, bool required) {
  if (!required && !presented.marked) return {};
  if (presented.value.empty()) {
    CountFailure();
    return {nullptr, Unauthenticated("a virtual key is required: send it as x-bf-vk, "
                                     "Authorization: Bearer sk-bf-…, x-api-key, x-goog-api-key "
                                     "or api-key")};
  }
  const CompiledKey* key =
      table != nullptr ? table->FindKey(common::Sha256(presented.value)) : nullptr;
  if (key == nullptr) {
    CountFailure();
    return {nullptr, Unauthenticated("the virtual key is not valid")};
  }
  if (!key->active) {
    key->counters->refused_inactive.fetch_add(1, std::memory_order_relaxed);
    return {nullptr, Unauthenticated(StrCat("the virtual key \"", key->name, "\" is inactive"))};
  }
  return {key, std::nullopt};
}

std::optional<Refusal> AdmitRequest(const CompiledKey& key, int64_t now_s) {
  for (size_t i = 0; i < key.levels.size(); ++i) {
    if (std::optional<Refusal> refused = CountRequest(*key.levels[i], now_s)) {
      for (size_t j = 0; j < i; ++j) Uncount(*key.levels[j]);
      CountRefusal(key, *refused);
      return refused;
    }
  }
  return std::nullopt;
}

std::optional<Refusal> AdmitProvider(const CompiledKey& key, std::string_view provider,
                                     std::string_view model, int64_t now_s,
                                     const GovernanceLevel** level) {
  *level = nullptr;
  if (key.AllowsAllProviders()) return std::nullopt;
  const ProviderGrant* grant = key.Grant(provider);
  if (grant == nullptr || !grant->Allows(model)) {
    key.counters->refused_model.fetch_add(1, std::memory_order_relaxed);
    return Refuse(403, "permission_error", "model_not_allowed",
                  StrCat("the virtual key \"", key.name, "\" may not use ", provider, "/", model));
  }
  if (grant->level == nullptr) return std::nullopt;
  if (std::optional<Refusal> refused = CountRequest(*grant->level, now_s)) {
    CountRefusal(key, *refused);
    return refused;
  }
  *level = grant->level.get();
  return std::nullopt;
}

void UsageScanner::Feed(std::string_view data) {
  if (tail_length_ > 0) {
    // Only the seam needs a copy: the previous piece's end and this one's start.
    char seam[2 * kTail];
    std::memcpy(seam, tail_, tail_length_);
    const size_t head = std::min(data.size(), kTail);
    std::memcpy(seam + tail_length_, data.data(), head);
    Scan(std::string_view(seam, tail_length_ + head));
  }
  Scan(data);
  tail_length_ = std::min(data.size(), kTail);
  std::memcpy(tail_, data.data() + data.size() - tail_length_, tail_length_);
}

void UsageScanner::Scan(std::string_view text) {
  // Every usage field's name has "oken" in it, and 'k' is rare in JSON: find each 'k'
  // (memchr), keep those inside "oken", look back for the name's opening quote and match
  // the names there. An answer has a handful.
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  const char* at = begin;
  while (at < end) {
    const char* k = static_cast<const char*>(std::memchr(at, 'k', static_cast<size_t>(end - at)));
    if (k == nullptr) return;
    at = k + 1;
    if (k == begin || k[-1] != 'o' || end - k < 3 || k[1] != 'e' || k[2] != 'n') continue;
    // The quote that opens the name: at most 24 characters before.
    const char* quote = k;
    while (quote > begin && k - quote < 24 && *quote != '"') --quote;
    if (*quote != '"') continue;
    const std::string_view rest(quote, static_cast<size_t>(end - quote));
    for (const UsageField& field : kUsageFields) {
      if (!rest.starts_with(field.name)) continue;
      size_t i = field.name.size();
      while (i < rest.size() && (rest[i] == ' ' || rest[i] == ':')) ++i;
      int64_t value = 0;
      size_t digits = 0;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9' && digits < 15) {
        value = value * 10 + (rest[i++] - '0');
        ++digits;
      }
      if (digits > 0) usage_.*field.slot = std::max(usage_.*field.slot, value);
      at = quote + i;
      break;
    }
  }
}

double Cost(const ModelPrice& price, const TokenUsage& usage) {
  const int64_t cached = std::min(usage.cached, usage.input);
  return (static_cast<double>(usage.input - cached) * price.input_per_million +
          static_cast<double>(cached) * price.cached_input_per_million +
          static_cast<double>(usage.output) * price.output_per_million) /
         1e6;
}

void Charge(const CompiledKey& key, const GovernanceLevel* provider_level, const TokenUsage& usage,
            const ModelPrice* price, int64_t now_s) {
  int64_t nanodollars = 0;
  if (price != nullptr) nanodollars = static_cast<int64_t>(std::llround(Cost(*price, usage) * 1e9));
  LevelCounters& totals = *key.counters;
  totals.total_requests.fetch_add(1, std::memory_order_relaxed);
  if (price == nullptr) totals.unpriced_requests.fetch_add(1, std::memory_order_relaxed);
  totals.total_tokens.fetch_add(usage.total(), std::memory_order_relaxed);
  totals.total_spend_nanodollars.fetch_add(nanodollars, std::memory_order_relaxed);
  for (const auto& level : key.levels) ChargeLevel(*level, usage.total(), nanodollars, now_s);
  if (provider_level != nullptr) ChargeLevel(*provider_level, usage.total(), nanodollars, now_s);
}

int64_t AuthenticationFailures() { return auth_failures.load(std::memory_order_relaxed); }

std::string RenderGovernanceMetrics(const GovernanceTable* table) {
  std::string out =
      StrCat("# HELP switchyard_virtual_key_auth_failures_total Requests refused for a missing or "
             "unknown virtual key.\n# TYPE switchyard_virtual_key_auth_failures_total counter\n"
             "switchyard_virtual_key_auth_failures_total ",
             AuthenticationFailures(), "\n");
  if (table == nullptr) return out;
  std::vector<const CompiledKey*> keys;
  table->ForEachKey([&](const CompiledKey& key) { keys.push_back(&key); });
  std::sort(keys.begin(), keys.end(),
            [](const CompiledKey* a, const CompiledKey* b) { return a->name < b->name; });
  auto label = [](const std::string& name) {
    std::string escaped;
    for (char c : name) {
      if (c == '\\' || c == '"') escaped.push_back('\\');
      if (c == '\n') {
        escaped += "\\n";
        continue;
      }
      escaped.push_back(c);
    }
    return escaped;
  };
  out += "# HELP switchyard_virtual_key_requests_total Requests answered for each virtual key.\n"
         "# TYPE switchyard_virtual_key_requests_total counter\n";
  for (const CompiledKey* key : keys) {
    out += StrCat("switchyard_virtual_key_requests_total{virtual_key=\"", label(key->name), "\"} ",
                  key->counters->total_requests.load(), "\n");
  }
  out += "# HELP switchyard_virtual_key_tokens_total Tokens (in and out) used by each virtual key.\n"
         "# TYPE switchyard_virtual_key_tokens_total counter\n";
  for (const CompiledKey* key : keys) {
    out += StrCat("switchyard_virtual_key_tokens_total{virtual_key=\"", label(key->name), "\"} ",
                  key->counters->total_tokens.load(), "\n");
  }
  out += "# HELP switchyard_virtual_key_spend_dollars_total Cost of each virtual key's requests "
         "at the configured prices.\n# TYPE switchyard_virtual_key_spend_dollars_total counter\n";
  for (const CompiledKey* key : keys) {
    out += StrCat("switchyard_virtual_key_spend_dollars_total{virtual_key=\"", label(key->name),
                  "\"} ", static_cast<double>(key->counters->total_spend_nanodollars.load()) / 1e9,
                  "\n");
  }
  out += "# HELP switchyard_virtual_key_unpriced_requests_total Requests of each virtual key "
         "answered by a model without a price (counted in tokens, not dollars).\n"
         "# TYPE switchyard_virtual_key_unpriced_requests_total counter\n";
  for (const CompiledKey* key : keys) {
    out += StrCat("switchyard_virtual_key_unpriced_requests_total{virtual_key=\"", label(key->name),
                  "\"} ", key->counters->unpriced_requests.load(), "\n");
  }
  out += "# HELP switchyard_virtual_key_refused_total Requests refused for each virtual key, by "
         "reason.\n# TYPE switchyard_virtual_key_refused_total counter\n";
  for (const CompiledKey* key : keys) {
    const LevelCounters& c = *key->counters;
    for (const auto& [reason, value] :
         {std::pair<const char*, int64_t>{"rate_limit", c.refused_rate_limit.load()},
          {"budget", c.refused_budget.load()},
          {"model", c.refused_model.load()},
          {"inactive", c.refused_inactive.load()}}) {
      out += StrCat("switchyard_virtual_key_refused_total{virtual_key=\"", label(key->name),
                    "\",reason=\"", reason, "\"} ", value, "\n");
    }
  }
  return out;
}

namespace {

std::string WindowKey(const GovernanceLevel& level, char unit, const WindowLimit& limit,
                      int64_t now_s) {
  return StrCat("sy:", std::string_view(&unit, 1), ":", level.kind, "/", level.id, ":",
                now_s - now_s % std::max<int64_t>(1, limit.length_s));
}

// The Redis windows of `levels`: each level's token window (checked), then its request
// window (counted); `owners` names the level and unit of each.
void RedisWindows(const std::vector<const GovernanceLevel*>& levels, int64_t now_s,
                  std::vector<RedisCounter::Window>* windows,
                  std::vector<std::pair<const GovernanceLevel*, bool>>* owners) {
  for (const GovernanceLevel* level : levels) {
    if (level->tokens) {
      windows->push_back({WindowKey(*level, 't', *level->tokens, now_s), level->tokens->max,
                          level->tokens->length_s, true});
      owners->emplace_back(level, true);
    }
    if (level->requests) {
      // Leases: exact (one unit a call) for small limits, up to 100 units for large ones.
      const int64_t lease = std::clamp<int64_t>(level->requests->max / 1000, 1, 100);
      windows->push_back({WindowKey(*level, 'r', *level->requests, now_s), level->requests->max,
                          level->requests->length_s, false, lease});
      owners->emplace_back(level, false);
    }
  }
}

}  // namespace

asio::awaitable<std::optional<Refusal>> GovernanceCounting::AdmitLevels(
    const std::vector<const GovernanceLevel*>& levels, int64_t now_s) {
  for (const GovernanceLevel* level : levels) {
    if (std::optional<Refusal> budget = BudgetExhausted(*level, now_s)) co_return budget;
  }
  std::vector<RedisCounter::Window> windows;
  std::vector<std::pair<const GovernanceLevel*, bool>> owners;
  RedisWindows(levels, now_s, &windows, &owners);
  absl::StatusOr<int> full = co_await redis_->Admit(windows);
  if (!full.ok()) {
    if (fail_open_) co_return std::nullopt;
    co_return Refuse(503, "service_unavailable_error", "rate_limit_unavailable",
                     "the rate-limit store (Redis) did not answer; requests are refused until it "
                     "does (fail closed)",
                     1);
  }
  if (*full < 0 || *full >= static_cast<int>(owners.size())) co_return std::nullopt;
  const GovernanceLevel& level = *owners[*full].first;
  const bool tokens = owners[*full].second;
  const WindowLimit& limit = tokens ? *level.tokens : *level.requests;
  Refusal refusal = RateLimited(level, tokens ? "tokens" : "requests", limit,
                                now_s - now_s % std::max<int64_t>(1, limit.length_s), now_s);
  co_return refusal;
}

asio::awaitable<std::optional<Refusal>> GovernanceCounting::AdmitRequest(const CompiledKey& key,
                                                                         int64_t now_s) {
  if (redis_ == nullptr) co_return dp::AdmitRequest(key, now_s);
  std::vector<const GovernanceLevel*> levels;
  for (const auto& level : key.levels) levels.push_back(level.get());
  std::optional<Refusal> refused = co_await AdmitLevels(levels, now_s);
  if (refused) CountRefusal(key, *refused);
  co_return refused;
}

asio::awaitable<std::optional<Refusal>> GovernanceCounting::AdmitProvider(
    const CompiledKey& key, std::string_view provider, std::string_view model, int64_t now_s,
    const GovernanceLevel** level) {
  if (redis_ == nullptr) co_return dp::AdmitProvider(key, provider, model, now_s, level);
  *level = nullptr;
  const ProviderGrant* grant = key.AllowsAllProviders() ? nullptr : key.Grant(provider);
  if (!key.AllowsAllProviders() && (grant == nullptr || !grant->Allows(model))) {
    // The access rule is configuration, the same under both policies.
    co_return dp::AdmitProvider(key, provider, model, now_s, level);
  }
  if (grant == nullptr || grant->level == nullptr) co_return std::nullopt;
  // (Built first: GCC 12 mishandles braced lists inside co_await.)
  const std::vector<const GovernanceLevel*> levels{grant->level.get()};
  std::optional<Refusal> refused = co_await AdmitLevels(levels, now_s);
  if (refused) {
    CountRefusal(key, *refused);
    co_return refused;
  }
  *level = grant->level.get();
  co_return std::nullopt;
}

void GovernanceCounting::Charge(const CompiledKey& key, const GovernanceLevel* provider_level,
                                const TokenUsage& usage, const ModelPrice* price, int64_t now_s) {
  dp::Charge(key, provider_level, usage, price, now_s);  // totals, reports (and local windows)
  if (redis_ == nullptr) return;
  std::vector<RedisCounter::Window> windows;
  auto add = [&](const GovernanceLevel& level) {
    if (level.tokens) {
      windows.push_back({WindowKey(level, 't', *level.tokens, now_s), level.tokens->max,
                         level.tokens->length_s, true});
    }
  };
  for (const auto& level : key.levels) add(*level);
  if (provider_level != nullptr) add(*provider_level);
  redis_->Add(windows, usage.total());
}

}  // namespace switchyard::dp
