#include "control-plane/service/governance_service.h"

#include "absl/time/time.h"
#include "common/barndoor.h"
#include "common/governance.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "control-plane/service/config_links.h"

namespace switchyard::cp {
namespace {

using common::Rfc3339;
using common::StrCat;
using v1::Budget;
using v1::GovernanceObject;

std::string_view Noun(std::string_view kind) {
  if (kind == common::kVirtualKeyKind) return "virtual key";
  if (kind == common::kPriceKind) return "price";
  if (kind == common::kModelRouteKind) return "model route";
  return kind;
}

absl::Status ObjectNotFound(std::string_view kind, std::string_view id) {
  return absl::NotFoundError(StrCat(Noun(kind), " \"", id, "\" not found"));
}

absl::Status CheckObjectHash(std::string_view kind, std::string_view id, std::string_view expected,
                             const std::optional<StoredObject>& current) {
  if (expected.empty()) return absl::OkStatus();
  if (!current) {
    return absl::FailedPreconditionError(
        StrCat(Noun(kind), " \"", id, "\" does not exist, so it cannot match the expected hash"));
  }
  const std::string& hash = common::HashOf(current->object);
  if (expected != "*" && expected != hash) {
    return absl::FailedPreconditionError(StrCat(Noun(kind), " \"", id, "\" has config hash ",
                                                hash, ", not the expected one; read it again"));
  }
  return absl::OkStatus();
}

// The budget an object holds for `provider` ("" = the object's own), or null.
Budget* MutableBudget(GovernanceObject& object, std::string_view provider) {
  switch (object.kind_case()) {
    case GovernanceObject::kVirtualKey: {
      v1::VirtualKey& key = *object.mutable_virtual_key();
      if (provider.empty()) return key.has_budget() ? key.mutable_budget() : nullptr;
      for (auto& config : *key.mutable_provider_configs()) {
        if (config.provider() == provider) {
          return config.has_budget() ? config.mutable_budget() : nullptr;
        }
      }
      return nullptr;
    }
    case GovernanceObject::kTeam:
      return object.team().has_budget() ? object.mutable_team()->mutable_budget() : nullptr;
    case GovernanceObject::kCustomer:
      return object.customer().has_budget() ? object.mutable_customer()->mutable_budget()
                                            : nullptr;
    default:
      return nullptr;
  }
}

// The rate limit an object holds for `provider` ("" = the object's own), or null.
const v1::RateLimit* RateLimitOf(const GovernanceObject& object, std::string_view provider) {
  switch (object.kind_case()) {
    case GovernanceObject::kVirtualKey:
      if (provider.empty()) {
        return object.virtual_key().has_rate_limit() ? &object.virtual_key().rate_limit() : nullptr;
      }
      for (const auto& config : object.virtual_key().provider_configs()) {
        if (config.provider() == provider) {
          return config.has_rate_limit() ? &config.rate_limit() : nullptr;
        }
      }
      return nullptr;
    case GovernanceObject::kTeam:
      return object.team().has_rate_limit() ? &object.team().rate_limit() : nullptr;
    case GovernanceObject::kCustomer:
      return object.customer().has_rate_limit() ? &object.customer().rate_limit() : nullptr;
    default:
      return nullptr;
  }
}

int64_t WindowOf(const std::string& duration, std::chrono::system_clock::time_point now) {
  absl::StatusOr<std::chrono::seconds> length = common::ParseResetDuration(duration);
  if (!length.ok()) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(
             common::WindowStart(now, *length).time_since_epoch())
      .count();
}

// Copies the exhausted marks of `from` into `to` where the budget is the same.
void KeepExhausted(const GovernanceObject& from, GovernanceObject& to) {
  GovernanceObject source = from;
  auto keep = [&](std::string_view provider) {
    Budget* old_budget = MutableBudget(source, provider);
    Budget* new_budget = MutableBudget(to, provider);
    if (old_budget != nullptr && new_budget != nullptr &&
        old_budget->max_limit() == new_budget->max_limit() &&
        old_budget->reset_duration() == new_budget->reset_duration()) {
      new_budget->set_exhausted_until(old_budget->exhausted_until());
    }
  };
  keep("");
  if (to.has_virtual_key()) {
    for (const auto& config : to.virtual_key().provider_configs()) keep(config.provider());
  }
}

std::string_view IdPrefix(std::string_view kind) {
  if (kind == common::kVirtualKeyKind) return "vk";
  if (kind == common::kTeamKind) return "team";
  if (kind == common::kCredentialKind) return "cred";
  if (kind == common::kModelRouteKind) return "route";
  return "cust";
}

// The references an object makes must exist; its name must be free.
absl::Status CheckReferences(const GovernanceObject& object, GovernanceReader& reader) {
  const std::string_view kind = common::KindOf(object);
  if (object.has_model_route()) return CheckRoute(object.model_route(), reader);
  ASSIGN_OR_RETURN(std::vector<StoredObject> same_kind, reader.List(kind));
  for (const StoredObject& other : same_kind) {
    if (common::NameOf(other.object) == common::NameOf(object) &&
        common::IdOf(other.object) != common::IdOf(object)) {
      return absl::AlreadyExistsError(
          StrCat("a ", Noun(kind), " named \"", common::NameOf(object), "\" already exists"));
    }
  }
  auto must_exist = [&](std::string_view field, std::string_view ref_kind,
                        const std::string& id) -> absl::Status {
    if (id.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(std::optional<StoredObject> found, reader.Get(ref_kind, id));
    if (!found) {
      return absl::InvalidArgumentError(StrCat(field, ": no ", Noun(ref_kind), " \"", id, "\""));
    }
    return absl::OkStatus();
  };
  if (object.has_virtual_key()) {
    RETURN_IF_ERROR(must_exist("team_id", common::kTeamKind, object.virtual_key().team_id()));
    RETURN_IF_ERROR(
        must_exist("customer_id", common::kCustomerKind, object.virtual_key().customer_id()));
  }
  if (object.has_team()) {
    RETURN_IF_ERROR(must_exist("customer_id", common::kCustomerKind, object.team().customer_id()));
  }
  return absl::OkStatus();
}

// Deleting a team or customer that keys or teams still name would leave them dangling.
absl::Status CheckUnreferenced(std::string_view kind, std::string_view id,
                               GovernanceReader& reader) {
  RETURN_IF_ERROR(CheckUnlinked(kind, id, reader));
  if (kind != common::kTeamKind && kind != common::kCustomerKind) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<StoredObject> keys, reader.List(common::kVirtualKeyKind));
  for (const StoredObject& key : keys) {
    const v1::VirtualKey& k = key.object.virtual_key();
    if ((kind == common::kTeamKind ? k.team_id() : k.customer_id()) == id) {
      return absl::AbortedError(StrCat(Noun(kind), " \"", id, "\" is still used by the virtual key \"",
                                       k.name(), "\"; move or delete the key first"));
    }
  }
  if (kind == common::kCustomerKind) {
    ASSIGN_OR_RETURN(std::vector<StoredObject> teams, reader.List(common::kTeamKind));
    for (const StoredObject& team : teams) {
      if (team.object.team().customer_id() == id) {
        return absl::AbortedError(StrCat("customer \"", id, "\" is still used by the team \"",
                                         team.object.team().name(), "\""));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<GovernanceObject> Canonical(GovernanceObject object) {
  ASSIGN_OR_RETURN(GovernanceObject canonical, common::CanonicalizeGovernance(std::move(object)));
  common::SetHash(canonical, common::GovernanceHash(canonical));
  return canonical;
}

// What an answer shows: a credential's secrets redacted.
GovernanceObject Shown(GovernanceObject object) {
  if (object.has_credential()) common::RedactCredential(object.mutable_credential());
  return object;
}

}  // namespace

absl::StatusOr<WriteResult> GovernanceService::WriteObject(std::string_view kind,
                                                           std::string_view id,
                                                           const GovernanceDecision& decide) {
  std::optional<int64_t> current_revision;
  ASSIGN_OR_RETURN(
      WriteResult result,
      store_->WriteConfig([&](GovernanceReader& reader) -> absl::StatusOr<ConfigChanges> {
        ASSIGN_OR_RETURN(std::optional<StoredObject> current, reader.Get(kind, id));
        if (current) current_revision = current->revision;
        ASSIGN_OR_RETURN(std::optional<GovernanceChange> change, decide(current, reader));
        ConfigChanges changes;
        if (!change) return changes;
        // A credential's new secret reaches the providers that use it in the same revision.
        if (change->op == GovernanceChange::Op::kUpsert && change->object.has_credential()) {
          RETURN_IF_ERROR(
              FollowCredential(change->object.credential(), change->actor, reader, &changes));
        }
        changes.objects.push_back({std::string(kind), std::string(id), *std::move(change)});
        return changes;
      }));
  if (!result.written) result.revision = current_revision.value_or(0);
  return result;
}

absl::StatusOr<ObjectResult> GovernanceService::Create(GovernanceObject incoming,
                                                       std::string_view actor) {
  const std::string_view kind = common::KindOf(incoming);
  RETURN_IF_ERROR(common::ValidateKind(kind));
  std::string value;
  if (kind != common::kPriceKind) common::SetId(incoming, common::NewObjectId(IdPrefix(kind)));
  if (incoming.has_virtual_key()) {
    value = common::NewVirtualKeyValue();
    incoming.mutable_virtual_key()->set_value_sha256(common::Sha256Hex(value));
  }
  ASSIGN_OR_RETURN(GovernanceObject canonical, Canonical(std::move(incoming)));
  const std::string id = common::IdOf(canonical);
  ASSIGN_OR_RETURN(
      WriteResult write,
      WriteObject(kind, id, [&](const std::optional<StoredObject>& current,
                                        GovernanceReader& reader)
                                        -> absl::StatusOr<std::optional<GovernanceChange>> {
        if (current) {
          return absl::AlreadyExistsError(
              StrCat(Noun(kind), " \"", id, "\" already exists; use PUT to replace it"));
        }
        RETURN_IF_ERROR(CheckReferences(canonical, reader));
        return GovernanceChange{GovernanceChange::Op::kUpsert, canonical, std::string(actor)};
      }));
  ASSIGN_OR_RETURN(ObjectResult result, Get(kind, id));
  result.revision = write.revision;
  if (result.object.has_virtual_key()) result.object.mutable_virtual_key()->set_value(value);
  return result;
}

absl::StatusOr<ObjectResult> GovernanceService::Get(std::string_view kind, std::string_view id) {
  RETURN_IF_ERROR(common::ValidateKind(kind));
  ASSIGN_OR_RETURN(std::optional<StoredObject> stored, store_->GetObject(kind, id));
  if (!stored) return ObjectNotFound(kind, id);
  ObjectResult result{Shown(stored->object), stored->revision, {}};
  if (const Budget* budget = MutableBudget(result.object, ""); budget != nullptr) {
    ASSIGN_OR_RETURN(std::chrono::seconds length,
                     common::ParseResetDuration(budget->reset_duration()));
    const auto start = common::WindowStart(Clock::now(), length);
    ASSIGN_OR_RETURN(double spend, store_->GetSpend(kind, id, start));
    result.usage.set_spend(spend);
    result.usage.set_budget_period_start(Rfc3339(start));
  }
  if (const v1::RateLimit* limit = RateLimitOf(result.object, ""); limit != nullptr) {
    const auto now = Clock::now();
    std::lock_guard lock(counts_mu_);
    if (auto it = counts_.find({std::string(kind), std::string(id)}); it != counts_.end()) {
      if (it->second.request_window == WindowOf(limit->request_reset_duration(), now)) {
        result.usage.set_requests(it->second.requests);
      }
      if (it->second.token_window == WindowOf(limit->token_reset_duration(), now)) {
        result.usage.set_tokens(it->second.tokens);
      }
    }
  }
  return result;
}

absl::StatusOr<std::vector<GovernanceObject>> GovernanceService::List(std::string_view kind) {
  RETURN_IF_ERROR(common::ValidateKind(kind));
  ASSIGN_OR_RETURN(std::vector<StoredObject> stored, store_->ListObjects(kind));
  std::vector<GovernanceObject> objects;
  objects.reserve(stored.size());
  for (StoredObject& object : stored) objects.push_back(Shown(std::move(object.object)));
  return objects;
}

absl::StatusOr<ObjectResult> GovernanceService::Update(std::string_view kind, std::string_view id,
                                                       GovernanceObject incoming,
                                                       std::string_view expected_hash,
                                                       std::string_view actor) {
  RETURN_IF_ERROR(common::ValidateKind(kind));
  if (common::KindOf(incoming) != kind) {
    return absl::InvalidArgumentError(StrCat("the body is not a ", Noun(kind)));
  }
  if (!common::IdOf(incoming).empty() && common::IdOf(incoming) != id && kind != common::kPriceKind) {
    return absl::InvalidArgumentError(
        StrCat("id: the body names \"", common::IdOf(incoming), "\", the path \"", id, "\""));
  }
  common::SetId(incoming, std::string(id));
  ASSIGN_OR_RETURN(
      WriteResult write,
      WriteObject(kind, id, [&](const std::optional<StoredObject>& current,
                                        GovernanceReader& reader)
                                        -> absl::StatusOr<std::optional<GovernanceChange>> {
        if (!current) return ObjectNotFound(kind, id);
        RETURN_IF_ERROR(CheckObjectHash(kind, id, expected_hash, current));
        GovernanceObject next = incoming;
        if (next.has_credential()) {
          common::RestoreCredentialSecrets(current->object.credential(),
                                           next.mutable_credential());
        }
        if (next.has_virtual_key()) {
          next.mutable_virtual_key()->set_value_sha256(current->object.virtual_key().value_sha256());
          next.mutable_virtual_key()->clear_value();
        }
        KeepExhausted(current->object, next);
        ASSIGN_OR_RETURN(GovernanceObject canonical, Canonical(std::move(next)));
        if (common::IdOf(canonical) != id) {
          return absl::InvalidArgumentError(
              StrCat("a price's provider and model make its id; the path names \"", id, "\""));
        }
        if (common::HashOf(canonical) == common::HashOf(current->object)) return std::nullopt;
        RETURN_IF_ERROR(CheckReferences(canonical, reader));
        return GovernanceChange{GovernanceChange::Op::kUpsert, std::move(canonical),
                                std::string(actor)};
      }));
  ASSIGN_OR_RETURN(ObjectResult result, Get(kind, id));
  result.revision = write.revision;
  return result;
}

absl::StatusOr<ObjectResult> GovernanceService::Delete(std::string_view kind, std::string_view id,
                                                       std::string_view expected_hash,
                                                       std::string_view actor) {
  RETURN_IF_ERROR(common::ValidateKind(kind));
  std::optional<StoredObject> deleted;
  ASSIGN_OR_RETURN(
      WriteResult write,
      WriteObject(kind, id, [&](const std::optional<StoredObject>& current,
                                        GovernanceReader& reader)
                                        -> absl::StatusOr<std::optional<GovernanceChange>> {
        if (!current) return ObjectNotFound(kind, id);
        RETURN_IF_ERROR(CheckObjectHash(kind, id, expected_hash, current));
        RETURN_IF_ERROR(CheckUnreferenced(kind, id, reader));
        deleted = current;
        return GovernanceChange{GovernanceChange::Op::kDelete, {}, std::string(actor)};
      }));
  return ObjectResult{Shown(deleted->object), write.revision, {}};
}

absl::Status GovernanceService::SetExhausted(std::string_view kind, std::string_view id,
                                             std::string_view provider, const std::string& until) {
  return WriteObject(kind, id,
                    [&](const std::optional<StoredObject>& current, GovernanceReader&)
                        -> absl::StatusOr<std::optional<GovernanceChange>> {
                      if (!current) return std::nullopt;
                      GovernanceObject next = current->object;
                      Budget* budget = MutableBudget(next, provider);
                      if (budget == nullptr || budget->exhausted_until() == until) {
                        return std::nullopt;
                      }
                      budget->set_exhausted_until(until);
                      ASSIGN_OR_RETURN(GovernanceObject canonical, Canonical(std::move(next)));
                      return GovernanceChange{GovernanceChange::Op::kUpsert, std::move(canonical),
                                              "budget"};
                    })
      .status();
}

absl::Status GovernanceService::RecordSpend(const v1::UsageReport& report, Clock::time_point now) {
  for (const v1::UsageReport::Entry& entry : report.entries()) {
    std::string kind = entry.kind();
    std::string id = entry.id();
    std::string provider;
    if (kind == "virtual_key_provider") {
      const size_t slash = id.find('/');
      if (slash == std::string::npos) continue;
      provider = id.substr(slash + 1);
      id.resize(slash);
      kind = common::kVirtualKeyKind;
    }
    if (kind != common::kVirtualKeyKind && kind != common::kTeamKind &&
        kind != common::kCustomerKind) {
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<StoredObject> stored, store_->GetObject(kind, id));
    if (!stored) continue;
    if (provider.empty()) CountWindows(*stored, entry, now);
    const Budget* budget = MutableBudget(stored->object, provider);
    if (budget == nullptr || !(entry.spend() > 0)) continue;
    ASSIGN_OR_RETURN(std::chrono::seconds length,
                     common::ParseResetDuration(budget->reset_duration()));
    const auto start = common::WindowStart(now, length);
    ASSIGN_OR_RETURN(double total,
                     store_->AddSpend(BudgetSpend{entry.kind(), entry.id(), start, entry.spend()}));
    if (total >= budget->max_limit()) {
      RETURN_IF_ERROR(SetExhausted(kind, id, provider, Rfc3339(start + length)));
    }
  }
  return absl::OkStatus();
}

void GovernanceService::CountWindows(const StoredObject& stored,
                                     const v1::UsageReport::Entry& entry, Clock::time_point now) {
  const v1::RateLimit* limit = RateLimitOf(stored.object, "");
  if (limit == nullptr) return;
  const int64_t request_window = WindowOf(limit->request_reset_duration(), now);
  const int64_t token_window = WindowOf(limit->token_reset_duration(), now);
  std::lock_guard lock(counts_mu_);
  WindowCounts& counts =
      counts_[{std::string(common::KindOf(stored.object)), common::IdOf(stored.object)}];
  if (counts.request_window != request_window) counts = {request_window, 0, counts.token_window, counts.tokens};
  if (counts.token_window != token_window) {
    counts.token_window = token_window;
    counts.tokens = 0;
  }
  counts.requests += entry.requests();
  counts.tokens += entry.tokens();
}

absl::Status GovernanceService::Refresh(Clock::time_point now) {
  const std::string now_text = Rfc3339(now);
  for (std::string_view kind : {common::kVirtualKeyKind, common::kTeamKind, common::kCustomerKind}) {
    ASSIGN_OR_RETURN(std::vector<StoredObject> objects, store_->ListObjects(kind));
    for (StoredObject& stored : objects) {
      std::vector<std::string> providers{""};
      if (stored.object.has_virtual_key()) {
        for (const auto& config : stored.object.virtual_key().provider_configs()) {
          providers.push_back(config.provider());
        }
      }
      for (const std::string& provider : providers) {
        const Budget* budget = MutableBudget(stored.object, provider);
        // RFC 3339 UTC strings of one format order as their times do.
        if (budget != nullptr && !budget->exhausted_until().empty() &&
            budget->exhausted_until() <= now_text) {
          RETURN_IF_ERROR(SetExhausted(kind, common::IdOf(stored.object), provider, ""));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace switchyard::cp
