#include "control-plane/service/provider_service.h"

#include <algorithm>

#include "common/errors.h"
#include "common/governance.h"
#include "common/provider_config.h"
#include "common/redaction.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "control-plane/service/config_links.h"

namespace switchyard::cp {
namespace {

using common::StrCat;
using v1::ProviderConfig;

absl::Status NotFound(std::string_view name) {
  return absl::NotFoundError(StrCat("provider \"", name, "\" not found"));
}

// "" = no condition; "*" = the provider must exist; else its config_hash must match.
absl::Status CheckExpectedHash(std::string_view name, std::string_view expected,
                               const std::optional<StoredProvider>& current) {
  if (expected.empty()) return absl::OkStatus();
  if (!current) {
    return absl::FailedPreconditionError(
        StrCat("provider \"", name, "\" does not exist, so it cannot match the expected "
                                    "config hash"));
  }
  if (expected != "*" && expected != current->config.config_hash()) {
    return absl::FailedPreconditionError(StrCat("provider \"", name, "\" has config hash ",
                                                current->config.config_hash(),
                                                ", not the expected one; read it again and retry"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProviderResult> ProviderService::Create(ProviderConfig incoming,
                                                       std::string_view actor) {
  RETURN_IF_ERROR(common::ValidateProviderName(incoming.name()));
  const std::string name = incoming.name();
  ProviderResult result;
  result.created = true;
  ASSIGN_OR_RETURN(
      WriteResult write,
      config_->WriteConfig([&](GovernanceReader& reader) -> absl::StatusOr<ConfigChanges> {
        ASSIGN_OR_RETURN(std::optional<StoredProvider> current, reader.GetProvider(name));
        if (current) {
          return absl::AlreadyExistsError(
              StrCat("provider \"", name, "\" already exists; use PUT to replace it"));
        }
        ProviderConfig config = incoming;
        if (config.has_barndoor()) config.mutable_barndoor()->set_id(common::NewObjectId("prv"));
        RETURN_IF_ERROR(LinkCredential(&config, reader));
        ASSIGN_OR_RETURN(ProviderConfig canonical, common::Canonicalize(std::move(config)));
        result.provider = common::RedactSecrets(canonical);
        ConfigChanges changes;
        changes.providers.push_back(
            {name, ProviderChange{ProviderChange::Op::kUpsert, std::move(canonical), "",
                                  std::string(actor)}});
        return changes;
      }));
  result.revision = write.revision;
  return result;
}

absl::StatusOr<std::string> ProviderService::NameOf(std::string_view name_or_id) {
  if (name_or_id.starts_with("prv-")) {
    ASSIGN_OR_RETURN(std::vector<StoredProvider> stored, store_->List());
    for (const StoredProvider& provider : stored) {
      if (provider.config.barndoor().id() == name_or_id) return provider.config.name();
    }
    return NotFound(name_or_id);
  }
  RETURN_IF_ERROR(common::ValidateProviderName(name_or_id));
  return std::string(name_or_id);
}

absl::StatusOr<std::vector<std::string>> ProviderService::ModelsOf(std::string_view name) {
  ASSIGN_OR_RETURN(std::vector<StoredObject> routes, config_->ListObjects(common::kModelRouteKind));
  std::vector<std::string> models;
  for (const StoredObject& route : routes) {
    if (route.object.model_route().provider() == name) {
      models.push_back(route.object.model_route().model());
    }
  }
  std::sort(models.begin(), models.end());
  models.erase(std::unique(models.begin(), models.end()), models.end());
  return models;
}

absl::StatusOr<ProviderResult> ProviderService::Get(std::string_view name_or_id) {
  ASSIGN_OR_RETURN(const std::string name, NameOf(name_or_id));
  ASSIGN_OR_RETURN(std::optional<StoredProvider> stored, store_->Get(name));
  if (!stored) return NotFound(name);
  ASSIGN_OR_RETURN(std::vector<std::string> models, ModelsOf(name));
  return ProviderResult{common::RedactSecrets(stored->config), stored->revision, false,
                        std::move(models)};
}

absl::StatusOr<std::vector<ProviderResult>> ProviderService::List() {
  ASSIGN_OR_RETURN(std::vector<StoredProvider> stored, store_->List());
  std::vector<ProviderResult> providers;
  providers.reserve(stored.size());
  for (const StoredProvider& provider : stored) {
    ProviderResult& result = providers.emplace_back();
    result.provider = common::RedactSecrets(provider.config);
    result.revision = provider.revision;
  }
  return providers;
}

absl::StatusOr<ProviderResult> ProviderService::Update(std::string_view name,
                                                       ProviderConfig incoming,
                                                       std::string_view expected_hash,
                                                       std::string_view actor) {
  RETURN_IF_ERROR(common::ValidateProviderName(name));
  if (incoming.name().empty()) {
    incoming.set_name(std::string(name));
  } else if (incoming.name() != name) {
    RETURN_IF_ERROR(common::ValidateProviderName(incoming.name()));
    return absl::InvalidArgumentError(
        StrCat("name \"", incoming.name(), "\" in the body differs from \"", name,
               "\" in the path; a provider cannot be renamed"));
  }
  ProviderResult result;
  ASSIGN_OR_RETURN(
      WriteResult write,
      config_->WriteConfig([&](GovernanceReader& reader) -> absl::StatusOr<ConfigChanges> {
        ASSIGN_OR_RETURN(std::optional<StoredProvider> current, reader.GetProvider(name));
        RETURN_IF_ERROR(CheckExpectedHash(name, expected_hash, current));
        ProviderConfig config = incoming;
        if (current) {
          common::RestoreRedactedSecrets(current->config, &config);
          // Barndoor's description of the provider is not Bifrost's to drop.
          if (!config.has_barndoor() && current->config.has_barndoor()) {
            *config.mutable_barndoor() = current->config.barndoor();
          }
          if (config.has_barndoor()) {
            config.mutable_barndoor()->set_id(current->config.barndoor().id());
          }
        }
        if (config.has_barndoor() && config.barndoor().id().empty()) {
          config.mutable_barndoor()->set_id(common::NewObjectId("prv"));
        }
        RETURN_IF_ERROR(LinkCredential(&config, reader));
        ASSIGN_OR_RETURN(ProviderConfig canonical, common::Canonicalize(std::move(config)));
        result.provider = common::RedactSecrets(canonical);
        result.created = !current;
        ConfigChanges changes;
        if (current && current->config.config_hash() == canonical.config_hash()) {
          result.revision = current->revision;
          return changes;  // same config: nothing to write or distribute
        }
        changes.providers.push_back(
            {std::string(name),
             ProviderChange{ProviderChange::Op::kUpsert, std::move(canonical),
                            current ? current->source_hash : "", std::string(actor)}});
        return changes;
      }));
  if (write.written) result.revision = write.revision;
  return result;
}

absl::StatusOr<ProviderResult> ProviderService::WriteBarndoor(
    const common::BarndoorProviderRequest& request, std::string_view path_name,
    std::string_view expected_hash, std::string_view actor) {
  std::string name;
  if (path_name.empty()) {
    name = common::ProviderNameFor(request.display_name);
  } else {
    ASSIGN_OR_RETURN(name, NameOf(path_name));
  }
  ProviderResult result;
  ASSIGN_OR_RETURN(
      WriteResult write,
      config_->WriteConfig([&](GovernanceReader& reader) -> absl::StatusOr<ConfigChanges> {
        ASSIGN_OR_RETURN(std::optional<StoredProvider> current, reader.GetProvider(name));
        if (path_name.empty() && current) {
          return absl::AlreadyExistsError(StrCat("provider \"", name, "\" already exists"));
        }
        RETURN_IF_ERROR(CheckExpectedHash(name, expected_hash, current));
        std::optional<StoredObject> credential;
        if (const std::string& id = request.profile.connection_id(); !id.empty()) {
          ASSIGN_OR_RETURN(credential, reader.Get(common::kCredentialKind, id));
          if (!credential) {
            return common::InvalidField("connection_id", StrCat("no credential \"", id, "\""));
          }
        }
        ASSIGN_OR_RETURN(ProviderConfig config,
                         common::ProviderFromBarndoor(
                             request, name, credential ? &credential->object.credential() : nullptr));
        config.mutable_barndoor()->set_id(current && current->config.barndoor().id().size() > 0
                                              ? current->config.barndoor().id()
                                              : common::NewObjectId("prv"));
        if (current && !request.has_inline_secret && request.profile.connection_id().empty()) {
          *config.mutable_keys() = current->config.keys();
        }
        ASSIGN_OR_RETURN(ProviderConfig canonical, common::Canonicalize(std::move(config)));
        result.provider = common::RedactSecrets(canonical);
        result.created = !current;
        ConfigChanges changes;
        if (!current || current->config.config_hash() != canonical.config_hash()) {
          changes.providers.push_back(
              {name, ProviderChange{ProviderChange::Op::kUpsert, std::move(canonical),
                                    current ? current->source_hash : "", std::string(actor)}});
        }
        // One route per model, alias "<provider>/<model>" (those that exist are kept).
        ASSIGN_OR_RETURN(std::vector<StoredObject> routes, reader.List(common::kModelRouteKind));
        for (size_t i = 0; i < request.models.size(); ++i) {
          v1::GovernanceObject route;
          v1::ModelRoute& r = *route.mutable_model_route();
          r.set_alias(StrCat(name, "/", request.models[i]));
          r.set_provider(name);
          r.set_model(request.models[i]);
          bool exists = false;
          for (const StoredObject& other : routes) {
            const v1::ModelRoute& o = other.object.model_route();
            if (o.alias() != r.alias()) continue;
            if (o.provider() != name || o.model() != r.model()) {
              return common::InvalidField(StrCat("models[", i, "]"),
                                          StrCat("the alias \"", r.alias(),
                                                 "\" is already a route to another model"));
            }
            exists = true;
          }
          for (const ConfigChanges::Object& made : changes.objects) {
            exists = exists || made.change.object.model_route().alias() == r.alias();
          }
          if (exists) continue;
          r.set_id(common::NewObjectId("route"));
          absl::StatusOr<v1::GovernanceObject> canonical_route =
              common::CanonicalizeGovernance(std::move(route));
          if (!canonical_route.ok()) {
            return common::InvalidField(StrCat("models[", i, "]"),
                                        common::ToStd(canonical_route.status().message()));
          }
          common::SetHash(*canonical_route, common::GovernanceHash(*canonical_route));
          const std::string id = canonical_route->model_route().id();
          changes.objects.push_back(
              {std::string(common::kModelRouteKind), id,
               GovernanceChange{GovernanceChange::Op::kUpsert, *std::move(canonical_route),
                                std::string(actor)}});
        }
        if (changes.empty() && current) result.revision = current->revision;
        return changes;
      }));
  if (write.written) result.revision = write.revision;
  ASSIGN_OR_RETURN(result.models, ModelsOf(name));
  return result;
}

absl::StatusOr<ProviderResult> ProviderService::Delete(std::string_view name_or_id,
                                                       std::string_view expected_hash,
                                                       std::string_view actor) {
  ASSIGN_OR_RETURN(const std::string name, NameOf(name_or_id));
  ProviderResult result;
  ASSIGN_OR_RETURN(
      WriteResult write,
      config_->WriteConfig([&](GovernanceReader& reader) -> absl::StatusOr<ConfigChanges> {
        ASSIGN_OR_RETURN(std::optional<StoredProvider> current, reader.GetProvider(name));
        if (!current) return NotFound(name);
        RETURN_IF_ERROR(CheckExpectedHash(name, expected_hash, current));
        result.provider = common::RedactSecrets(current->config);
        ConfigChanges changes;
        changes.providers.push_back(
            {name, ProviderChange{ProviderChange::Op::kDelete, {}, "", std::string(actor)}});
        // Its routes go with it, unless another route still fails over to one of them.
        ASSIGN_OR_RETURN(std::vector<v1::ModelRoute> routes, RoutesTo(name, reader));
        std::vector<std::string> ids;
        for (const v1::ModelRoute& route : routes) ids.push_back(route.id());
        for (const v1::ModelRoute& route : routes) {
          RETURN_IF_ERROR(CheckUnlinked(common::kModelRouteKind, route.id(), reader, ids));
          changes.objects.push_back({std::string(common::kModelRouteKind), route.id(),
                                     GovernanceChange{GovernanceChange::Op::kDelete, {},
                                                      std::string(actor)}});
        }
        return changes;
      }));
  result.revision = write.revision;
  return result;
}

absl::StatusOr<int> ProviderService::UpgradeStoredConfigs() {
  ASSIGN_OR_RETURN(std::vector<StoredProvider> stored, store_->List());
  int rewritten = 0;
  for (const StoredProvider& provider : stored) {
    absl::StatusOr<ProviderConfig> canonical = common::Canonicalize(provider.config);
    if (!canonical.ok() || canonical->config_hash() == provider.config.config_hash()) continue;
    bool wrote = false;
    RETURN_IF_ERROR(store_
                        ->Write(canonical->name(),
                                [&](const std::optional<StoredProvider>& current)
                                    -> absl::StatusOr<std::optional<ProviderChange>> {
                                  // Another replica (or an admin) may have rewritten it meanwhile.
                                  if (!current || current->config.config_hash() !=
                                                      provider.config.config_hash()) {
                                    return std::nullopt;
                                  }
                                  wrote = true;
                                  return ProviderChange{ProviderChange::Op::kUpsert, *canonical,
                                                        current->source_hash, "upgrade"};
                                })
                        .status());
    rewritten += wrote ? 1 : 0;
  }
  return rewritten;
}

absl::StatusOr<BootstrapAction> ProviderService::ApplyBootstrapEntry(ProviderConfig entry) {
  ASSIGN_OR_RETURN(ProviderConfig canonical, common::Canonicalize(std::move(entry)));
  // The entry's own hash marks which version of the file entry the row came from.
  const std::string source_hash = canonical.config_hash();
  BootstrapAction action = BootstrapAction::kUnchanged;
  RETURN_IF_ERROR(
      store_
          ->Write(canonical.name(),
                  [&](const std::optional<StoredProvider>& current)
                      -> absl::StatusOr<std::optional<ProviderChange>> {
                    if (current && current->source_hash == source_hash) return std::nullopt;
                    action = current ? BootstrapAction::kReplaced : BootstrapAction::kCreated;
                    return ProviderChange{ProviderChange::Op::kUpsert, canonical, source_hash,
                                          "config-file"};
                  })
          .status());
  return action;
}

}  // namespace switchyard::cp
