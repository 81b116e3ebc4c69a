#include "control-plane/service/config_links.h"

#include <algorithm>
#include <map>

#include "common/barndoor.h"
#include "common/errors.h"
#include "common/governance.h"
#include "common/provider_config.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace switchyard::cp {
namespace {

using common::StrCat;

bool ServesModel(const v1::ProviderConfig& provider, std::string_view model) {
  if (provider.custom_provider_config().is_key_less()) return true;
  for (const v1::Key& key : provider.keys()) {
    if (key.has_enabled() && !key.enabled()) continue;
    if (key.models().empty()) return true;
    for (const std::string& allowed : key.models()) {
      if (allowed == "*" || allowed == model) return true;
    }
  }
  return false;
}

}  // namespace

absl::Status UseCredential(const v1::Credential& credential, v1::ProviderConfig* provider) {
  v1::BarndoorProfile* profile = provider->mutable_barndoor();
  if (!profile->model_provider().empty() &&
      profile->model_provider() != credential.model_provider()) {
    return common::InvalidField(
        "connection_id", StrCat("names a credential for ", credential.model_provider(),
                                ", and the provider is ", profile->model_provider()));
  }
  profile->set_model_provider(credential.model_provider());
  profile->set_auth_type(credential.auth_type());
  provider->clear_keys();
  *provider->add_keys() = common::KeyFromSecret(common::SecretOf(credential), credential.name());
  if (!credential.base_url().empty() && common::BaseProviderType(*provider) != "azure") {
    provider->mutable_network_config()->set_base_url(credential.base_url());
  }
  return absl::OkStatus();
}

absl::Status LinkCredential(v1::ProviderConfig* provider, GovernanceReader& reader) {
  const std::string id = provider->barndoor().connection_id();
  if (id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<StoredObject> credential,
                   reader.Get(common::kCredentialKind, id));
  if (!credential) {
    return common::InvalidField("connection_id", StrCat("no credential \"", id, "\""));
  }
  return UseCredential(credential->object.credential(), provider);
}

absl::Status FollowCredential(const v1::Credential& credential, std::string_view actor,
                              GovernanceReader& reader, ConfigChanges* changes) {
  ASSIGN_OR_RETURN(std::vector<StoredProvider> providers, reader.ListProviders());
  for (const StoredProvider& stored : providers) {
    if (stored.config.barndoor().connection_id() != credential.id()) continue;
    v1::ProviderConfig next = stored.config;
    RETURN_IF_ERROR(UseCredential(credential, &next));
    absl::StatusOr<v1::ProviderConfig> canonical = common::Canonicalize(std::move(next));
    if (!canonical.ok()) {
      return absl::InvalidArgumentError(StrCat("the provider \"", stored.config.name(),
                                               "\" cannot use this credential: ",
                                               canonical.status().message()));
    }
    if (canonical->config_hash() == stored.config.config_hash()) continue;
    changes->providers.push_back(
        {stored.config.name(), ProviderChange{ProviderChange::Op::kUpsert, *std::move(canonical),
                                              stored.source_hash, std::string(actor)}});
  }
  return absl::OkStatus();
}

absl::Status CheckRoute(const v1::ModelRoute& route, GovernanceReader& reader) {
  ASSIGN_OR_RETURN(std::optional<StoredProvider> provider, reader.GetProvider(route.provider()));
  if (!provider) {
    return common::InvalidField("provider", StrCat("no provider \"", route.provider(), "\""));
  }
  if (!ServesModel(provider->config, route.model())) {
    return common::InvalidField("model", StrCat("no enabled key of provider \"", route.provider(),
                                                "\" serves \"", route.model(), "\""));
  }
  ASSIGN_OR_RETURN(std::vector<StoredObject> stored, reader.List(common::kModelRouteKind));
  std::map<std::string, const v1::ModelRoute*> by_alias;
  for (const StoredObject& object : stored) {
    const v1::ModelRoute& other = object.object.model_route();
    if (other.id() == route.id()) continue;
    if (other.alias() == route.alias()) {
      return common::InvalidField(
          "alias", StrCat("\"", route.alias(), "\" is already the alias of route ", other.id()));
    }
    by_alias[other.alias()] = &other;
  }
  by_alias[route.alias()] = &route;
  for (int i = 0; i < route.failover_aliases_size(); ++i) {
    if (!by_alias.contains(route.failover_aliases(i))) {
      return common::InvalidField(StrCat("failover_aliases[", i, "]"),
                                  StrCat("no route \"", route.failover_aliases(i), "\""));
    }
  }
  // A cycle through this route: walk the failover graph from it, depth first.
  std::vector<std::string> path = {route.alias()};
  std::map<std::string, bool> done;
  std::function<bool(const v1::ModelRoute&)> reaches_back = [&](const v1::ModelRoute& from) {
    for (const std::string& next : from.failover_aliases()) {
      if (next == route.alias()) {
        path.push_back(next);
        return true;
      }
      auto it = by_alias.find(next);
      if (it == by_alias.end() || done[next]) continue;
      done[next] = true;
      path.push_back(next);
      if (reaches_back(*it->second)) return true;
      path.pop_back();
    }
    return false;
  };
  if (reaches_back(route)) {
    std::string cycle;
    for (const std::string& alias : path) cycle += StrCat(cycle.empty() ? "" : " -> ", alias);
    return common::InvalidField("failover_aliases", StrCat("make a failover cycle: ", cycle));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::ModelRoute>> RoutesTo(std::string_view provider,
                                                     GovernanceReader& reader) {
  ASSIGN_OR_RETURN(std::vector<StoredObject> stored, reader.List(common::kModelRouteKind));
  std::vector<v1::ModelRoute> routes;
  for (const StoredObject& object : stored) {
    if (object.object.model_route().provider() == provider) {
      routes.push_back(object.object.model_route());
    }
  }
  return routes;
}

absl::Status CheckUnlinked(std::string_view kind, std::string_view id, GovernanceReader& reader,
                           const std::vector<std::string>& also_deleted) {
  if (kind == common::kCredentialKind) {
    ASSIGN_OR_RETURN(std::vector<StoredProvider> providers, reader.ListProviders());
    std::string users;
    for (const StoredProvider& provider : providers) {
      if (provider.config.barndoor().connection_id() == id) {
        users += StrCat(users.empty() ? "" : ", ", provider.config.name());
      }
    }
    if (!users.empty()) {
      return absl::AbortedError(StrCat("credential \"", id, "\" is still used by the providers ",
                                       users, "; delete them or move them to another credential"));
    }
  }
  if (kind == common::kModelRouteKind) {
    ASSIGN_OR_RETURN(std::optional<StoredObject> route, reader.Get(kind, id));
    if (!route) return absl::OkStatus();
    const std::string& alias = route->object.model_route().alias();
    ASSIGN_OR_RETURN(std::vector<StoredObject> routes, reader.List(common::kModelRouteKind));
    for (const StoredObject& object : routes) {
      const v1::ModelRoute& other = object.object.model_route();
      if (other.id() == id || std::find(also_deleted.begin(), also_deleted.end(), other.id()) !=
                                  also_deleted.end()) {
        continue;
      }
      for (const std::string& failover : other.failover_aliases()) {
        if (failover == alias) {
          return absl::AbortedError(StrCat("the route \"", alias, "\" is a failover of the route \"",
                                           other.alias(), "\"; change that route first"));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace switchyard::cp
