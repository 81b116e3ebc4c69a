#include "data-plane/table/routing_table.h"

#include "common/governance.h"

#include <algorithm>
#include <cstdlib>

#include "common/provider_config.h"
#include "common/strings.h"
#include "data-plane/providers/registry.h"

namespace switchyard::dp {

using common::StrAppend;
using common::StrCat;

namespace {

constexpr std::string_view kReservedEnvPrefix = "SWITCHYARD_";

// The deployments (model -> deployment) of the key's family config.
const google::protobuf::Map<std::string, std::string>& FamilyDeployments(const v1::Key& key) {
  if (key.has_azure_key_config()) return key.azure_key_config().deployments();
  if (key.has_vertex_key_config()) return key.vertex_key_config().deployments();
  if (key.has_bedrock_key_config()) return key.bedrock_key_config().deployments();
  return key.huggingface_key_config().deployments();
}

// The key's family config (vertex_key_config, ...), or null.
const google::protobuf::Message* FamilyKeyConfig(const v1::Key& key) {
  if (key.has_azure_key_config()) return &key.azure_key_config();
  if (key.has_vertex_key_config()) return &key.vertex_key_config();
  if (key.has_bedrock_key_config()) return &key.bedrock_key_config();
  if (key.has_huggingface_key_config()) return &key.huggingface_key_config();
  return nullptr;
}

// Every key's value and family-config fields, resolved; a key with a missing or refused
// variable is disabled and counted.
void ResolveKeys(const v1::ProviderConfig& config, const KeyEnvironment& env,
                 ProviderEntry* entry) {
  for (const v1::Key& key : config.keys()) {
    ResolvedKey resolved;
    resolved.id = key.id();
    resolved.name = key.name();
    resolved.weight = key.weight();
    resolved.models.assign(key.models().begin(), key.models().end());
    resolved.enabled = key.enabled();
    // One value: false (and the key marked) when its variable is missing or refused.
    auto resolve = [&](const v1::EnvValue& value, std::string* out) {
      if (!value.from_env()) {
        *out = value.value();
        return true;
      }
      const KeyEnvironment::Result result = env.Resolve(value.env_var().substr(4), out);  // "env."
      if (result == KeyEnvironment::Result::kFound && !out->empty()) return true;
      out->clear();
      if (!resolved.env_missing) resolved.env_var = value.env_var();
      resolved.env_missing = true;
      resolved.env_refused |= result == KeyEnvironment::Result::kRefused;
      return false;
    };
    if (key.value().from_env()) resolved.env_var = key.value().env_var();
    resolve(key.value(), &resolved.secret);
    if (const google::protobuf::Message* family = FamilyKeyConfig(key); family != nullptr) {
      const google::protobuf::Descriptor* descriptor = family->GetDescriptor();
      const google::protobuf::Reflection* reflection = family->GetReflection();
      for (int i = 0; i < descriptor->field_count(); ++i) {
        const google::protobuf::FieldDescriptor* field = descriptor->field(i);
        if (field->is_map() && field->name() == "deployments") {
          for (const auto& [model, deployment] : FamilyDeployments(key)) {
            resolved.deployments.emplace(model, deployment);
          }
        }
        if (field->message_type() != v1::EnvValue::descriptor() || field->is_repeated() ||
            !reflection->HasField(*family, field)) {
          continue;
        }
        std::string value;
        resolve(static_cast<const v1::EnvValue&>(reflection->GetMessage(*family, field)), &value);
        resolved.config_fields.emplace_back(field->name(), std::move(value));
      }
    }
    if (resolved.env_missing) {
      resolved.enabled = false;
      ++entry->missing_env_keys;
    }
    entry->keys.push_back(std::move(resolved));
  }
}

// The family-neutral parts of an entry: limits, timeouts, headers, proxy.
void CompileCommon(const v1::ProviderConfig& config, ProviderEntry* entry) {
  const v1::NetworkConfig& network = config.network_config();
  entry->timeout = std::chrono::seconds(network.default_request_timeout_in_seconds());
  entry->stream_idle_timeout = std::chrono::seconds(network.stream_idle_timeout_in_seconds());
  entry->limiter = std::make_shared<ProviderLimiter>(
      config.concurrency_and_buffer_size().concurrency(),
      config.concurrency_and_buffer_size().buffer_size());
  bool extra_sets_content_type = false;
  for (const auto& [header, value] : network.extra_headers()) {
    entry->extra_headers.emplace_back(header, value);
    entry->extra_header_names.push_back(header);
    StrAppend(&entry->static_header_lines, header, ": ", value, "\r\n");
    extra_sets_content_type |= header == "content-type";
  }
  if (!extra_sets_content_type) {
    entry->static_header_lines.insert(0, "content-type: application/json\r\n");
  }
  const v1::ProxyConfig& proxy = config.proxy_config();
  entry->proxy = {proxy.type(), proxy.url(), proxy.username(), proxy.password(),
                  proxy.ca_cert_pem()};
  entry->key_less =
      config.has_custom_provider_config() && config.custom_provider_config().is_key_less();
}

}  // namespace

KeyEnvironment KeyEnvironment::Process(std::vector<std::string> allow_prefixes) {
  return KeyEnvironment(
      [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      std::move(allow_prefixes));
}

KeyEnvironment::Result KeyEnvironment::Resolve(const std::string& name, std::string* value) const {
  if (name.starts_with(kReservedEnvPrefix)) return Result::kRefused;
  if (!allow_prefixes_.empty()) {
    bool allowed = false;
    for (const std::string& prefix : allow_prefixes_) allowed |= name.starts_with(prefix);
    if (!allowed) return Result::kRefused;
  }
  std::optional<std::string> found = lookup_(name);
  if (!found) return Result::kMissing;
  *value = *std::move(found);
  return Result::kFound;
}

ProviderMap::const_iterator ProviderMap::find(std::string_view name) const {
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), name,
      [](const value_type& entry, std::string_view wanted) { return entry.first < wanted; });
  return it != entries_.end() && it->first == name ? it : entries_.end();
}

std::vector<ProviderMap::value_type>::iterator ProviderMap::LowerBound(std::string_view name) {
  return std::lower_bound(
      entries_.begin(), entries_.end(), name,
      [](const value_type& entry, std::string_view wanted) { return entry.first < wanted; });
}

ProviderMap::Hash ProviderMap::HashOf(const ProviderEntry& entry) {
  Hash hash;
  const std::string& text = entry.config.config_hash();
  hash.length = static_cast<uint8_t>(std::min(text.size(), hash.text.size()));
  std::copy_n(text.data(), hash.length, hash.text.data());
  return hash;
}

void ProviderMap::Count(const ProviderEntry& entry, int sign) {
  missing_env_keys_ += sign * entry.missing_env_keys;
  broken_ += sign * (entry.state == ProviderEntry::State::kBroken ? 1 : 0);
}

void ProviderMap::Set(std::string name, std::shared_ptr<const ProviderEntry> entry) {
  auto it = LowerBound(name);
  const auto index = it - entries_.begin();
  Count(*entry, +1);
  if (it != entries_.end() && it->first == name) {
    Count(*it->second, -1);
    hashes_[static_cast<size_t>(index)] = HashOf(*entry);
    it->second = std::move(entry);
  } else {
    hashes_.insert(hashes_.begin() + index, HashOf(*entry));
    entries_.insert(it, {std::move(name), std::move(entry)});
  }
}

void ProviderMap::Erase(std::string_view name) {
  auto it = LowerBound(name);
  if (it == entries_.end() || it->first != name) return;
  Count(*it->second, -1);
  hashes_.erase(hashes_.begin() + (it - entries_.begin()));
  entries_.erase(it);
}

void ProviderMap::Assign(std::vector<value_type> entries) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const value_type& a, const value_type& b) { return a.first < b.first; });
  entries_.clear();
  hashes_.clear();
  missing_env_keys_ = 0;
  broken_ = 0;
  entries_.reserve(entries.size());
  // Later duplicates win: keep the last of each run of equal names.
  for (auto& entry : entries) {
    if (!entries_.empty() && entries_.back().first == entry.first) {
      entries_.back() = std::move(entry);
    } else {
      entries_.push_back(std::move(entry));
    }
  }
  hashes_.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    hashes_.push_back(HashOf(*entry));
    Count(*entry, +1);
  }
}

std::string_view ResolvedKey::ConfigField(std::string_view name) const {
  for (const auto& [field, value] : config_fields) {
    if (field == name) return value;
  }
  return {};
}

bool ProviderEntry::HasExtraHeader(std::string_view lower_case_name) const {
  for (const std::string& name : extra_header_names) {
    if (name == lower_case_name) return true;
  }
  return false;
}

bool ProviderEntry::Allows(std::string_view request_type) const {
  if (!config.has_custom_provider_config() ||
      !config.custom_provider_config().has_allowed_requests()) {
    return true;  // omitted: everything allowed (seed 003)
  }
  const v1::AllowedRequests& allowed = config.custom_provider_config().allowed_requests();
  const auto* field = allowed.GetDescriptor()->FindFieldByName(std::string(request_type));
  return field != nullptr && allowed.GetReflection()->GetBool(allowed, field);
}

std::shared_ptr<const ProviderEntry> CompileProvider(const v1::ProviderConfig& config,
                                                     const KeyEnvironment& env) {
  auto entry = std::make_shared<ProviderEntry>();
  entry->config = config;  // as distributed, until it verifies
  auto isolate = [&](std::string reason) {
    entry->state = ProviderEntry::State::kBroken;
    entry->unserved_reason = std::move(reason);
    return entry;
  };
  // Re-derive the canonical form: the same rules as the control plane, so the same hash.
  absl::StatusOr<v1::ProviderConfig> canonical = common::Canonicalize(config);
  if (!canonical.ok()) {
    return isolate(StrCat("provider ", config.name(),
                          " is invalid on this data plane: ", canonical.status().message()));
  }
  if (canonical->config_hash() != config.config_hash()) {
    return isolate(StrCat("provider ", config.name(), " has config_hash ", config.config_hash(),
                          " but its config hashes to ", canonical->config_hash(),
                          " on this data plane"));
  }
  entry->config = *std::move(canonical);
  entry->base_type = std::string(common::BaseProviderType(entry->config));
  ResolveKeys(entry->config, env, entry.get());
  CompileCommon(entry->config, entry.get());
  const ProviderAdapter* adapter = AdapterFor(entry->base_type);
  if (adapter == nullptr) {
    entry->state = ProviderEntry::State::kUnsupported;
    entry->unserved_reason = StrCat("the ", entry->base_type,
                                    " provider family is not supported by this data plane yet");
    return entry;
  }
  if (absl::Status compiled = adapter->Compile(entry->config, entry.get()); !compiled.ok()) {
    return isolate(StrCat("provider ", config.name(), " cannot be served: ", compiled.message()));
  }
  entry->adapter = adapter;
  entry->state = ProviderEntry::State::kServed;
  return entry;
}

std::shared_ptr<const RoutingTable> RoutingTable::Build(
    int64_t revision, const std::vector<v1::ProviderConfig>& configs, const KeyEnvironment& env,
    std::shared_ptr<const GovernanceTable> governance) {
  auto table = std::shared_ptr<RoutingTable>(new RoutingTable());
  table->revision_ = revision;
  table->governance_ = std::move(governance);
  std::vector<ProviderMap::value_type> entries;
  entries.reserve(configs.size());
  for (const v1::ProviderConfig& config : configs) {
    entries.emplace_back(config.name(), CompileProvider(config, env));
  }
  table->providers_.Assign(std::move(entries));
  table->Finish();
  return table;
}

std::shared_ptr<const RoutingTable> RoutingTable::Apply(
    const RoutingTable& base, int64_t revision, const std::vector<v1::ProviderConfig>& upserts,
    const std::vector<std::string>& deletes, const KeyEnvironment& env,
    std::shared_ptr<const GovernanceTable> governance) {
  auto table = std::shared_ptr<RoutingTable>(new RoutingTable());
  table->revision_ = revision;
  table->governance_ = std::move(governance);
  table->providers_ = base.providers_;  // shared entries: pointers, not compiles
  for (const std::string& name : deletes) table->providers_.Erase(name);
  for (const v1::ProviderConfig& config : upserts) {
    auto it = table->providers_.find(config.name());
    // Unchanged config (same verified hash): keep the entry and its counters.
    if (it != table->providers_.end() && it->second->state != ProviderEntry::State::kBroken &&
        it->second->config.config_hash() == config.config_hash()) {
      continue;
    }
    table->providers_.Set(config.name(), CompileProvider(config, env));
  }
  table->Finish();
  return table;
}

std::shared_ptr<const RoutingTable> RoutingTable::FromEntries(int64_t revision,
                                                              ProviderMap entries) {
  auto table = std::shared_ptr<RoutingTable>(new RoutingTable());
  table->revision_ = revision;
  table->providers_ = std::move(entries);
  table->Finish();
  return table;
}

void RoutingTable::Finish() {
  common::TableHasher hasher;
  size_t i = 0;
  for (const auto& [name, entry] : providers_) hasher.Add(name, providers_.hash(i++));
  table_hash_ = common::CombineTableHash(hasher.Finish(),
                                        governance_ != nullptr ? governance_->hash() : "");
  missing_env_keys_ = providers_.missing_env_keys();
  broken_providers_ = providers_.broken();
}

const ProviderEntry* RoutingTable::Find(std::string_view name) const {
  auto it = providers_.find(name);
  return it == providers_.end() ? nullptr : it->second.get();
}

}  // namespace switchyard::dp
