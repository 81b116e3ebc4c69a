#include "data-plane/router/token_cache.h"

#include <boost/asio.hpp>

#include "common/strings.h"
#include "data-plane/providers/vertex/service_account.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using common::StrCat;

constexpr std::chrono::minutes kMaxRefreshMargin{5};
constexpr std::chrono::seconds kMaxExpiryMargin{30};
constexpr std::chrono::seconds kBackgroundTimeout{30};

// One exchange at the credential's token endpoint (RFC 7523 JWT bearer grant).
asio::awaitable<absl::StatusOr<AccessToken>> Fetch(const OAuthCredential& credential,
                                                   UpstreamClient& client,
                                                   std::chrono::milliseconds timeout) {
  const ServiceAccount& account = credential.account;
  UpstreamRequest request;
  if (credential.grant == OAuthCredential::Grant::kClientCredentials) {
    request.body = ClientCredentialsBody(credential);
  } else {
    absl::StatusOr<std::string> assertion =
        SignedJwt(account, credential.scope, std::chrono::system_clock::now());
    if (!assertion.ok()) {
      co_return absl::UnauthenticatedError(
          StrCat("service account ", account.client_email, ": ", assertion.status().message()));
    }
    request.body = TokenRequestBody(*assertion);
  }
  request.endpoint = &credential.token_endpoint;
  request.proxy = &credential.proxy;
  request.target = credential.token_target;
  request.headers = {{"content-type", "application/x-www-form-urlencoded"},
                     {"accept", "application/json"}};
  request.timeout = timeout;
  absl::StatusOr<UpstreamResponse> response = co_await client.Send(request);
  if (!response.ok()) {
    const std::string message = StrCat("the token endpoint ", account.token_uri,
                                       " could not be reached: ", response.status().message());
    co_return absl::IsDeadlineExceeded(response.status()) ? absl::DeadlineExceededError(message)
                                                          : absl::UnavailableError(message);
  }
  absl::StatusOr<AccessToken> token = ParseTokenResponse(response->body);
  if (response->status < 400 && token.ok()) co_return token;
  const std::string message =
      StrCat("the token endpoint ", account.token_uri, " answered ", response->status,
             " for ", account.client_email,
             token.ok() ? "" : StrCat(": ", token.status().message()));
  co_return response->status >= 400 && response->status < 500
      ? absl::UnauthenticatedError(message)
      : absl::UnavailableError(message);
}

}  // namespace

asio::awaitable<absl::StatusOr<std::string>> TokenCache::Token(
    std::shared_ptr<const OAuthCredential> credential, UpstreamClient& client,
    std::chrono::milliseconds timeout) {
  std::shared_ptr<Entry> entry;
  std::string cached;
  bool refresh = false;
  {
    std::lock_guard lock(mu_);
    std::shared_ptr<Entry>& slot = entries_[credential->cache_key];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    entry = slot;
    const Clock::time_point now = Clock::now();
    if (!entry->token.empty() && now < entry->usable_until) {
      cached = entry->token;
      refresh = now >= entry->refresh_at && !entry->exchanging;
      entry->exchanging |= refresh;
    }
  }
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  if (!cached.empty()) {
    if (refresh) {
      asio::co_spawn(executor, Exchange(entry, credential, client, kBackgroundTimeout),
                     asio::detached);
    }
    co_return cached;
  }
  // No usable token: wait for the exchange in flight, or start it. The decision is taken
  // again under the lock, together with joining the waiters, so no result can slip between.
  auto initiate = [this, &entry, &credential, &client, timeout, executor](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    Waiter waiter = [shared, executor](absl::StatusOr<std::string> result) {
      asio::post(executor, [shared, result = std::move(result)]() mutable {
        (*shared)(std::move(result));
      });
    };
    bool start = false;
    std::string ready;
    {
      std::lock_guard lock(mu_);
      if (!entry->token.empty() && Clock::now() < entry->usable_until) {
        ready = entry->token;
      } else {
        entry->waiters.push_back(std::move(waiter));
        start = !entry->exchanging;
        entry->exchanging = true;
      }
    }
    if (!ready.empty()) {
      waiter(std::move(ready));
    } else if (start) {
      asio::co_spawn(executor, Exchange(entry, credential, client, timeout), asio::detached);
    }
  };
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                          void(absl::StatusOr<std::string>)>(initiate,
                                                                             asio::use_awaitable);
}

void TokenCache::Invalidate(const OAuthCredential& credential, std::string_view token) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(credential.cache_key);
  if (it != entries_.end() && it->second->token == token) it->second->token.clear();
}

asio::awaitable<void> TokenCache::Exchange(std::shared_ptr<Entry> entry,
                                           std::shared_ptr<const OAuthCredential> credential,
                                           UpstreamClient& client,
                                           std::chrono::milliseconds timeout) {
  exchanges_.fetch_add(1, std::memory_order_relaxed);
  const Clock::time_point started = Clock::now();
  absl::StatusOr<AccessToken> token = co_await Fetch(*credential, client, timeout);
  absl::StatusOr<std::string> result =
      token.ok() ? absl::StatusOr<std::string>(token->value) : token.status();
  std::vector<Waiter> waiters;
  {
    std::lock_guard lock(mu_);
    entry->exchanging = false;
    if (token.ok()) {
      const auto lifetime = std::chrono::duration_cast<Clock::duration>(token->expires_in);
      entry->token = token->value;
      entry->refresh_at =
          started + lifetime - std::min<Clock::duration>(kMaxRefreshMargin, lifetime / 4);
      entry->usable_until =
          started + lifetime - std::min<Clock::duration>(kMaxExpiryMargin, lifetime / 10);
    }
    waiters.swap(entry->waiters);
  }
  for (Waiter& waiter : waiters) waiter(result);
}

}  // namespace switchyard::dp
