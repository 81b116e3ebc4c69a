#include "data-plane/router/model_catalog.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <set>

#include "common/log.h"
#include "common/strings.h"
#include "data-plane/providers/provider_adapter.h"
#include "data-plane/router/key_selector.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;

constexpr int kMaxPages = 100;
constexpr std::chrono::milliseconds kMaxFetchTimeout{30000};
constexpr std::chrono::milliseconds kPoll{5};

// Whether some enabled key of `provider` may be used for `model` (key-less providers: all).
bool KeysAllow(const ProviderEntry& provider, std::string_view model) {
  if (provider.key_less) return true;
  return std::any_of(provider.keys.begin(), provider.keys.end(), [&](const ResolvedKey& key) {
    return key.enabled && KeyServes(key, model);
  });
}

// The key a listing uses: the first enabled one with a weight (null for key-less providers).
const ResolvedKey* ListingKey(const ProviderEntry& provider) {
  for (const ResolvedKey& key : provider.keys) {
    if (key.enabled && key.weight > 0) return &key;
  }
  return nullptr;
}

}  // namespace

asio::awaitable<std::vector<ListedModel>> ModelCatalog::Models(const RoutingTable& table,
                                                               UpstreamClient& direct,
                                                               UpstreamClient& proxied) {
  struct Listed {
    std::string_view name;
    const ProviderEntry* provider;
    std::shared_ptr<Entry> entry;
  };
  std::vector<Listed> listed;
  std::vector<Listed> to_fetch;
  std::vector<std::shared_ptr<Entry>> awaited;  // no list yet
  const Clock::time_point now = Clock::now();
  {
    std::lock_guard lock(mu_);
    size_t i = 0;
    for (auto it = table.providers().begin(); it != table.providers().end(); ++it, ++i) {
      const auto& [name, provider] = *it;
      if (provider->state != ProviderEntry::State::kServed || !provider->Allows("list_models")) {
        continue;
      }
      const std::string_view hash = table.providers().hash(i);
      auto slot = entries_.find(name);
      if (slot == entries_.end()) slot = entries_.emplace(name, nullptr).first;
      if (slot->second == nullptr || slot->second->config_hash != hash) {
        slot->second = std::make_shared<Entry>();  // a fetch for the old config lands nowhere
        slot->second->config_hash = std::string(hash);
      }
      const std::shared_ptr<Entry>& entry = slot->second;
      if (!entry->fetching && now >= entry->next_fetch) {
        entry->fetching = true;
        to_fetch.push_back({name, provider.get(), entry});
      }
      if (!entry->listed && entry->fetching) awaited.push_back(entry);
      listed.push_back({name, provider.get(), entry});
    }
    // Providers gone from the table are forgotten.
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = table.Find(it->first) == nullptr ? entries_.erase(it) : std::next(it);
    }
  }
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  for (const Listed& one : to_fetch) {
    std::shared_ptr<const ProviderEntry> provider = table.providers().find(one.name)->second;
    UpstreamClient& client = provider->proxy.type == "none" ? direct : proxied;
    asio::co_spawn(executor, Fetch(one.entry, std::move(provider), std::string(one.name), client),
                   asio::detached);
  }
  // Wait (bounded) for the providers that have no list yet.
  const Clock::time_point deadline = now + options_.wait;
  asio::steady_timer timer(executor);
  for (;;) {
    bool pending = false;
    {
      std::lock_guard lock(mu_);
      for (const auto& entry : awaited) pending |= !entry->listed && entry->fetching;
    }
    if (!pending || Clock::now() >= deadline) break;
    timer.expires_after(std::min<Clock::duration>(kPoll, deadline - Clock::now()));
    co_await timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }

  std::vector<ListedModel> out;
  std::lock_guard lock(mu_);
  for (const Listed& one : listed) {
    std::set<std::string> models;
    for (const std::string& model : one.entry->models) {
      if (KeysAllow(*one.provider, model)) models.insert(model);
    }
    for (std::string& model : one.provider->adapter->ListModels(*one.provider)) {
      models.insert(std::move(model));
    }
    for (const std::string& model : models) {
      out.push_back({common::StrCat(one.name, "/", model), std::string(one.name)});
    }
  }
  co_return out;
}

asio::awaitable<void> ModelCatalog::Fetch(std::shared_ptr<Entry> entry,
                                          std::shared_ptr<const ProviderEntry> provider,
                                          std::string name, UpstreamClient& client) {
  AttemptTarget target;
  target.entry = provider.get();
  target.provider = name;
  target.key = ListingKey(*provider);
  target.now = std::chrono::system_clock::now();
  std::vector<std::string> models;
  std::string token;
  absl::Status status;
  for (int page = 0; page < kMaxPages && status.ok(); ++page) {
    UpstreamRequest request;
    request.endpoint = &provider->endpoint;
    request.proxy = &provider->proxy;
    request.timeout = std::min(provider->timeout, kMaxFetchTimeout);
    status = provider->adapter->BuildModelsRequest(target, token, &request);
    if (absl::IsUnimplemented(status) && page == 0) {
      status = absl::OkStatus();  // nothing to ask: the configured models are the list
      break;
    }
    if (!status.ok()) break;
    if (page == 0) fetches_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<UpstreamResponse> response = co_await client.Send(request);
    if (!response.ok()) {
      status = response.status();
      break;
    }
    if (response->status < 200 || response->status >= 300) {
      status = absl::UnavailableError(common::StrCat("the model list answered ", response->status));
      break;
    }
    absl::StatusOr<ModelPage> parsed = provider->adapter->ParseModelPage(response->body);
    if (!parsed.ok()) {
      status = parsed.status();
      break;
    }
    models.insert(models.end(), parsed->ids.begin(), parsed->ids.end());
    if (parsed->next_page_token.empty() || parsed->next_page_token == token) break;
    token = std::move(parsed->next_page_token);
  }
  if (!status.ok()) {
    common::LogWarning("model list fetch failed; keeping the last good list",
                    {{"provider", name}, {"error", std::string(status.message())}});
  }
  std::sort(models.begin(), models.end());
  models.erase(std::unique(models.begin(), models.end()), models.end());
  std::lock_guard lock(mu_);
  entry->fetching = false;
  if (status.ok()) {
    entry->listed = true;
    entry->models = std::move(models);
    entry->next_fetch = Clock::now() + options_.refresh;
  } else {
    entry->next_fetch = Clock::now() + std::min(options_.retry, options_.refresh);
  }
}

}  // namespace switchyard::dp
