#include "control-plane/service/provider_service.h"

#include "common/provider_config.h"
#include "common/redaction.h"
#include "common/status_macros.h"
#include "common/strings.h"

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
  ASSIGN_OR_RETURN(ProviderConfig canonical, common::Canonicalize(std::move(incoming)));
  const std::string name = canonical.name();
  ASSIGN_OR_RETURN(
      WriteResult write,
      store_->Write(name, [&](const std::optional<StoredProvider>& current)
                              -> absl::StatusOr<std::optional<ProviderChange>> {
        if (current) {
          return absl::AlreadyExistsError(
              StrCat("provider \"", name, "\" already exists; use PUT to replace it"));
        }
        return ProviderChange{ProviderChange::Op::kUpsert, canonical, "", std::string(actor)};
      }));
  return ProviderResult{common::RedactSecrets(canonical), write.revision, true};
}

absl::StatusOr<ProviderResult> ProviderService::Get(std::string_view name) {
  RETURN_IF_ERROR(common::ValidateProviderName(name));
  ASSIGN_OR_RETURN(std::optional<StoredProvider> stored, store_->Get(name));
  if (!stored) return NotFound(name);
  return ProviderResult{common::RedactSecrets(stored->config), stored->revision, false};
}

absl::StatusOr<std::vector<ProviderConfig>> ProviderService::List() {
  ASSIGN_OR_RETURN(std::vector<StoredProvider> stored, store_->List());
  std::vector<ProviderConfig> providers;
  providers.reserve(stored.size());
  for (const StoredProvider& provider : stored) {
    providers.push_back(common::RedactSecrets(provider.config));
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
      store_->Write(name, [&](const std::optional<StoredProvider>& current)
                              -> absl::StatusOr<std::optional<ProviderChange>> {
        RETURN_IF_ERROR(CheckExpectedHash(name, expected_hash, current));
        ProviderConfig config = incoming;
        if (current) common::RestoreRedactedSecrets(current->config, &config);
        ASSIGN_OR_RETURN(ProviderConfig canonical, common::Canonicalize(std::move(config)));
        result.provider = common::RedactSecrets(canonical);
        result.created = !current;
        if (current && current->config.config_hash() == canonical.config_hash()) {
          return std::nullopt;  // same config: nothing to write or distribute
        }
        return ProviderChange{ProviderChange::Op::kUpsert, std::move(canonical),
                              current ? current->source_hash : "", std::string(actor)};
      }));
  result.revision = write.revision;
  return result;
}

absl::StatusOr<ProviderResult> ProviderService::Delete(std::string_view name,
                                                       std::string_view expected_hash,
                                                       std::string_view actor) {
  RETURN_IF_ERROR(common::ValidateProviderName(name));
  ProviderResult result;
  ASSIGN_OR_RETURN(
      WriteResult write,
      store_->Write(name, [&](const std::optional<StoredProvider>& current)
                              -> absl::StatusOr<std::optional<ProviderChange>> {
        if (!current) return NotFound(name);
        RETURN_IF_ERROR(CheckExpectedHash(name, expected_hash, current));
        result.provider = common::RedactSecrets(current->config);
        return ProviderChange{ProviderChange::Op::kDelete, {}, "", std::string(actor)};
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
