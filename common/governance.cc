#include "common/governance.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cmath>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "common/barndoor.h"
#include "common/errors.h"
#include "common/provider_config.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

using v1::Budget;
using v1::GovernanceObject;
using v1::RateLimit;

constexpr size_t kMaxName = 128;
const std::string kEmpty;

// The set message of `object` (null when none is), and one of its string fields by name:
// every kind has id, config_hash, created_at and updated_at; the name is `name`, a route's
// `alias` and a price's `id`.
const google::protobuf::Message* MessageOf(const GovernanceObject& object) {
  const google::protobuf::FieldDescriptor* field =
      GovernanceObject::descriptor()->FindFieldByNumber(static_cast<int>(object.kind_case()));
  return field == nullptr ? nullptr : &object.GetReflection()->GetMessage(object, field);
}

google::protobuf::Message* MutableMessageOf(GovernanceObject& object) {
  const google::protobuf::FieldDescriptor* field =
      GovernanceObject::descriptor()->FindFieldByNumber(static_cast<int>(object.kind_case()));
  return field == nullptr ? nullptr : object.GetReflection()->MutableMessage(&object, field);
}

const std::string& StringField(const GovernanceObject& object, const char* name) {
  const google::protobuf::Message* message = MessageOf(object);
  if (message == nullptr) return kEmpty;
  const google::protobuf::FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(name);
  if (field == nullptr) return kEmpty;
  std::string scratch;
  return message->GetReflection()->GetStringReference(*message, field, &scratch);
}

void SetStringField(GovernanceObject& object, const char* name, std::string value) {
  google::protobuf::Message* message = MutableMessageOf(object);
  if (message == nullptr) return;
  const google::protobuf::FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(name);
  if (field != nullptr) message->GetReflection()->SetString(message, field, std::move(value));
}


absl::Status ValidateName(std::string_view name) {
  if (name.empty()) return InvalidField("name", "is required");
  if (name.size() > kMaxName) return InvalidField("name", "is longer than 128 characters");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return InvalidField("name", "has a control character");
  }
  return absl::OkStatus();
}

absl::Status ValidateDuration(std::string_view field, std::string_view text) {
  if (absl::StatusOr<std::chrono::seconds> parsed = ParseResetDuration(text); !parsed.ok()) {
    return InvalidField(field, ToStd(parsed.status().message()));
  }
  return absl::OkStatus();
}

absl::Status ValidateRateLimit(std::string_view path, RateLimit* limit) {
  if (limit->has_request_max_limit()) {
    if (limit->request_max_limit() <= 0) {
      return InvalidField(StrCat(path, ".request_max_limit"), "must be positive");
    }
    RETURN_IF_ERROR(ValidateDuration(StrCat(path, ".request_reset_duration"),
                                     limit->request_reset_duration()));
  } else if (!limit->request_reset_duration().empty()) {
    return InvalidField(StrCat(path, ".request_reset_duration"),
                        "is set without request_max_limit");
  }
  if (limit->has_token_max_limit()) {
    if (limit->token_max_limit() <= 0) {
      return InvalidField(StrCat(path, ".token_max_limit"), "must be positive");
    }
    RETURN_IF_ERROR(
        ValidateDuration(StrCat(path, ".token_reset_duration"), limit->token_reset_duration()));
  } else if (!limit->token_reset_duration().empty()) {
    return InvalidField(StrCat(path, ".token_reset_duration"), "is set without token_max_limit");
  }
  return absl::OkStatus();
}

// A message field left empty is cleared, so that {} and an absent field hash alike.
template <typename Message, typename Has, typename Clear, typename Get>
absl::Status NormalizeRateLimit(std::string_view path, Message* owner, Has has, Clear clear,
                                Get mutable_get) {
  if (!(owner->*has)()) return absl::OkStatus();
  RateLimit* limit = (owner->*mutable_get)();
  RETURN_IF_ERROR(ValidateRateLimit(path, limit));
  if (!limit->has_request_max_limit() && !limit->has_token_max_limit()) (owner->*clear)();
  return absl::OkStatus();
}

absl::Status ValidateBudget(std::string_view path, const Budget& budget) {
  if (!(budget.max_limit() > 0) || !std::isfinite(budget.max_limit())) {
    return InvalidField(StrCat(path, ".max_limit"), "must be a positive number of dollars");
  }
  return ValidateDuration(StrCat(path, ".reset_duration"), budget.reset_duration());
}

absl::Status CheckPrice(std::string_view field, double value) {
  if (!(value >= 0) || !std::isfinite(value)) {
    return InvalidField(field, "must be a number of dollars, zero or more");
  }
  return absl::OkStatus();
}

absl::Status CanonicalKey(v1::VirtualKey& key) {
  RETURN_IF_ERROR(ValidateName(key.name()));
  if (!key.has_is_active()) key.set_is_active(true);
  if (!key.team_id().empty() && !key.customer_id().empty()) {
    return InvalidField("customer_id",
                        "a virtual key belongs to one team or one customer, not both");
  }
  RETURN_IF_ERROR(NormalizeRateLimit("rate_limit", &key, &v1::VirtualKey::has_rate_limit,
                                     &v1::VirtualKey::clear_rate_limit,
                                     &v1::VirtualKey::mutable_rate_limit));
  if (key.has_budget()) RETURN_IF_ERROR(ValidateBudget("budget", key.budget()));
  auto* configs = key.mutable_provider_configs();
  for (int i = 0; i < configs->size(); ++i) {
    v1::VirtualKeyProviderConfig& config = (*configs)[i];
    const std::string path = StrCat("provider_configs[", i, "]");
    if (absl::Status name = ValidateProviderName(config.provider()); !name.ok()) {
      return InvalidField(StrCat(path, ".provider"), ToStd(name.message()));
    }
    std::vector<std::string> models(config.allowed_models().begin(),
                                    config.allowed_models().end());
    for (const std::string& model : models) {
      if (model.empty()) return InvalidField(StrCat(path, ".allowed_models"), "has an empty name");
    }
    std::sort(models.begin(), models.end());
    models.erase(std::unique(models.begin(), models.end()), models.end());
    if (std::find(models.begin(), models.end(), "*") != models.end()) models.clear();
    config.clear_allowed_models();
    for (std::string& model : models) config.add_allowed_models(std::move(model));
    if (config.weight() < 0 || !std::isfinite(config.weight())) {
      return InvalidField(StrCat(path, ".weight"), "must be zero or more");
    }
    if (config.weight() == 0) config.set_weight(1.0);
    RETURN_IF_ERROR(NormalizeRateLimit(
        StrCat(path, ".rate_limit"), &config, &v1::VirtualKeyProviderConfig::has_rate_limit,
        &v1::VirtualKeyProviderConfig::clear_rate_limit,
        &v1::VirtualKeyProviderConfig::mutable_rate_limit));
    if (config.has_budget()) RETURN_IF_ERROR(ValidateBudget(StrCat(path, ".budget"), config.budget()));
  }
  std::sort(configs->begin(), configs->end(),
            [](const auto& a, const auto& b) { return a.provider() < b.provider(); });
  for (int i = 1; i < configs->size(); ++i) {
    if ((*configs)[i].provider() == (*configs)[i - 1].provider()) {
      return InvalidField("provider_configs",
                          StrCat("names the provider ", (*configs)[i].provider(), " twice"));
    }
  }
  return absl::OkStatus();
}

std::string_view Plural(std::string_view kind) {
  if (kind == kVirtualKeyKind) return "virtual_keys";
  if (kind == kTeamKind) return "teams";
  if (kind == kCustomerKind) return "customers";
  if (kind == kCredentialKind) return "credentials";
  if (kind == kModelRouteKind) return "model_routes";
  return "pricing";
}

absl::Status CheckRouteTimeout(std::string_view field, bool has, int64_t value, int64_t max) {
  if (has && (value < 1 || value > max)) {
    return InvalidField(field, StrCat("must be between 1 and ", max, " seconds, or null"));
  }
  return absl::OkStatus();
}

// An alias is a bare name ("smart") or "<provider>/<model>" of the route's own target.
absl::Status CanonicalRoute(v1::ModelRoute& route) {
  const std::string& alias = route.alias();
  if (alias.empty()) return InvalidField("alias", "is required");
  if (alias.size() > kMaxName) return InvalidField("alias", "is longer than 128 characters");
  for (unsigned char c : alias) {
    if (c <= 0x20 || c == 0x7f) return InvalidField("alias", "has a space or control character");
  }
  if (absl::Status name = ValidateProviderName(route.provider()); !name.ok()) {
    return InvalidField("provider", ToStd(name.message()));
  }
  if (route.model().empty()) return InvalidField("model", "is required");
  if (alias.find('/') != std::string::npos && alias != StrCat(route.provider(), "/", route.model())) {
    return InvalidField("alias", StrCat("\"", alias, "\" has a '/': it must be \"",
                                        route.provider(), "/", route.model(),
                                        "\" (its own target) or a bare name"));
  }
  RETURN_IF_ERROR(CheckRouteTimeout("request_timeout_seconds", route.has_request_timeout_seconds(),
                                    route.request_timeout_seconds(), 3600));
  RETURN_IF_ERROR(CheckRouteTimeout("stream_idle_timeout_seconds",
                                    route.has_stream_idle_timeout_seconds(),
                                    route.stream_idle_timeout_seconds(), 1800));
  if (route.failover_aliases_size() > 10) {
    return InvalidField("failover_aliases", "has more than 10 routes");
  }
  for (int i = 0; i < route.failover_aliases_size(); ++i) {
    const std::string& failover = route.failover_aliases(i);
    const std::string field = StrCat("failover_aliases[", i, "]");
    if (failover.empty()) return InvalidField(field, "is empty");
    if (failover == alias) return InvalidField(field, "is the route itself (a failover cycle)");
    for (int j = 0; j < i; ++j) {
      if (route.failover_aliases(j) == failover) {
        return InvalidField(field, StrCat("names \"", failover, "\" twice"));
      }
    }
  }
  return absl::OkStatus();
}

// Limits print as numbers (protobuf's JSON prints 64-bit integers as strings).
void LimitsAsNumbers(nlohmann::ordered_json& json) {
  if (json.is_array()) {
    for (auto& item : json) LimitsAsNumbers(item);
    return;
  }
  if (!json.is_object()) return;
  for (auto& [key, value] : json.items()) {
    if (value.is_string() && (key.ends_with("_max_limit") || key.ends_with("_seconds"))) {
      value = std::stoll(value.get<std::string>());
    } else {
      LimitsAsNumbers(value);
    }
  }
}

nlohmann::ordered_json ToJsonValue(const GovernanceObject& object) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string text;
  const google::protobuf::Message* message = MessageOf(object);
  if (message == nullptr) return nlohmann::ordered_json::object();
  (void)google::protobuf::util::MessageToJsonString(*message, &text, options);
  nlohmann::ordered_json json = nlohmann::ordered_json::parse(text);
  json.erase("value_sha256");
  if (json.contains("value") && json["value"] == "") json.erase("value");
  LimitsAsNumbers(json);
  return json;
}

}  // namespace

std::string_view KindOf(const GovernanceObject& object) {
  switch (object.kind_case()) {
    case GovernanceObject::kVirtualKey: return kVirtualKeyKind;
    case GovernanceObject::kTeam: return kTeamKind;
    case GovernanceObject::kCustomer: return kCustomerKind;
    case GovernanceObject::kPrice: return kPriceKind;
    case GovernanceObject::kCredential: return kCredentialKind;
    case GovernanceObject::kModelRoute: return kModelRouteKind;
    default: return "";
  }
}

absl::Status ValidateKind(std::string_view kind) {
  if (kind == kVirtualKeyKind || kind == kTeamKind || kind == kCustomerKind ||
      kind == kPriceKind || kind == kCredentialKind || kind == kModelRouteKind) {
    return absl::OkStatus();
  }
  return InvalidField("kind",
                      "must be virtual_key, team, customer, price, credential or model_route");
}

const std::string& IdOf(const GovernanceObject& object) { return StringField(object, "id"); }

const std::string& NameOf(const GovernanceObject& object) {
  if (object.has_price()) return object.price().id();
  if (object.has_model_route()) return object.model_route().alias();
  return StringField(object, "name");
}

const std::string& HashOf(const GovernanceObject& object) {
  return StringField(object, "config_hash");
}

void SetId(GovernanceObject& object, std::string id) {
  SetStringField(object, "id", std::move(id));
}

void SetHash(GovernanceObject& object, std::string hash) {
  SetStringField(object, "config_hash", std::move(hash));
}

void SetTimes(GovernanceObject& object, std::string created, std::string updated) {
  SetStringField(object, "created_at", std::move(created));
  SetStringField(object, "updated_at", std::move(updated));
}

absl::StatusOr<std::chrono::seconds> ParseResetDuration(std::string_view text) {
  if (text.size() < 2) {
    return absl::InvalidArgumentError(
        StrCat("\"", text, "\" is not a duration (a number and s, m, h, d, w, M or Y: \"1h\")"));
  }
  int64_t count = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9' || count > 1'000'000) {
      return absl::InvalidArgumentError(StrCat("\"", text, "\" is not a duration"));
    }
    count = count * 10 + (c - '0');
  }
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    case 'M': unit = 30 * 86400; break;
    case 'Y': unit = 365 * 86400; break;
    default:
      return absl::InvalidArgumentError(
          StrCat("\"", text, "\" has no unit: s, m, h, d, w, M or Y"));
  }
  if (count <= 0) return absl::InvalidArgumentError(StrCat("\"", text, "\" must be positive"));
  return std::chrono::seconds(count * unit);
}

std::chrono::system_clock::time_point WindowStart(std::chrono::system_clock::time_point now,
                                                  std::chrono::seconds length) {
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const int64_t span = std::max<int64_t>(1, length.count());
  return std::chrono::system_clock::time_point(std::chrono::seconds(seconds - seconds % span));
}

absl::StatusOr<GovernanceObject> CanonicalizeGovernance(GovernanceObject object) {
  switch (object.kind_case()) {
    case GovernanceObject::kVirtualKey:
      RETURN_IF_ERROR(CanonicalKey(*object.mutable_virtual_key()));
      break;
    case GovernanceObject::kTeam: {
      v1::Team& team = *object.mutable_team();
      RETURN_IF_ERROR(ValidateName(team.name()));
      if (team.has_budget()) RETURN_IF_ERROR(ValidateBudget("budget", team.budget()));
      RETURN_IF_ERROR(NormalizeRateLimit("rate_limit", &team, &v1::Team::has_rate_limit,
                                         &v1::Team::clear_rate_limit,
                                         &v1::Team::mutable_rate_limit));
      break;
    }
    case GovernanceObject::kCustomer: {
      v1::Customer& customer = *object.mutable_customer();
      RETURN_IF_ERROR(ValidateName(customer.name()));
      if (customer.has_budget()) RETURN_IF_ERROR(ValidateBudget("budget", customer.budget()));
      RETURN_IF_ERROR(NormalizeRateLimit("rate_limit", &customer, &v1::Customer::has_rate_limit,
                                         &v1::Customer::clear_rate_limit,
                                         &v1::Customer::mutable_rate_limit));
      break;
    }
    case GovernanceObject::kPrice: {
      v1::ModelPrice& price = *object.mutable_price();
      if (absl::Status name = ValidateProviderName(price.provider()); !name.ok()) {
        return InvalidField("provider", ToStd(name.message()));
      }
      if (price.model().empty()) return InvalidField("model", "is required");
      RETURN_IF_ERROR(CheckPrice("input_per_million", price.input_per_million()));
      RETURN_IF_ERROR(CheckPrice("output_per_million", price.output_per_million()));
      if (price.has_cached_input_per_million()) {
        RETURN_IF_ERROR(CheckPrice("cached_input_per_million", price.cached_input_per_million()));
      }
      price.set_id(StrCat(price.provider(), "/", price.model()));
      break;
    }
    case GovernanceObject::kCredential:
      RETURN_IF_ERROR(CanonicalizeCredential(object.mutable_credential()));
      break;
    case GovernanceObject::kModelRoute:
      RETURN_IF_ERROR(CanonicalRoute(*object.mutable_model_route()));
      break;
    default:
      return InvalidField("kind", "no governance object given");
  }
  return object;
}

std::string GovernanceHash(const GovernanceObject& canonical) {
  GovernanceObject copy = canonical;
  SetTimes(copy, "", "");
  SetHash(copy, "");
  if (copy.has_virtual_key()) copy.mutable_virtual_key()->clear_value();
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  {
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

std::string GovernanceTableHash(std::vector<std::pair<std::string, std::string>> key_and_hash) {
  if (key_and_hash.empty()) return "";
  return TableHash(std::move(key_and_hash));
}

std::string CombineTableHash(const std::string& providers_hash,
                             const std::string& governance_hash) {
  if (governance_hash.empty()) return providers_hash;
  return Sha256Hex(StrCat(providers_hash, ":", governance_hash));
}

std::string NewVirtualKeyValue() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();  // no entropy: nothing is safe
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string value(kVirtualKeyPrefix);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      value.push_back(kAlphabet[(buffer >> (bits - 6)) & 63]);
      bits -= 6;
    }
  }
  if (bits > 0) value.push_back(kAlphabet[(buffer << (6 - bits)) & 63]);
  return value;
}

std::string NewObjectId(std::string_view prefix) {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = StrCat(prefix, "-");
  for (unsigned char byte : bytes) {
    id.push_back(kHex[byte >> 4]);
    id.push_back(kHex[byte & 15]);
  }
  return id;
}

absl::StatusOr<GovernanceObject> GovernanceFromJson(std::string_view kind, std::string_view text) {
  RETURN_IF_ERROR(ValidateKind(kind));
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  for (const char* owned :
       {"id", "value", "value_sha256", "config_hash", "created_at", "updated_at", "usage"}) {
    json.erase(owned);
  }
  // A client cannot mark a budget exhausted; the control plane does.
  auto drop_exhausted = [](nlohmann::json& owner) {
    if (owner.contains("budget") && owner["budget"].is_object()) {
      owner["budget"].erase("exhausted_until");
    }
  };
  drop_exhausted(json);
  if (json.contains("provider_configs") && json["provider_configs"].is_array()) {
    for (auto& config : json["provider_configs"]) {
      if (config.is_object()) drop_exhausted(config);
    }
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (kind == kCredentialKind && json.contains("credentials") && json["credentials"].is_object()) {
    // A structured secret may be an object (a service-account key file): kept as its text.
    for (auto& [name, value] : json["credentials"].items()) {
      if (value.is_object()) value = value.dump();
    }
  }
  GovernanceObject object;
  // The kinds are the names of GovernanceObject's fields.
  google::protobuf::Message* message = object.GetReflection()->MutableMessage(
      &object, GovernanceObject::descriptor()->FindFieldByName(std::string(kind)));
  const auto parsed = google::protobuf::util::JsonStringToMessage(json.dump(), message, options);
  if (!parsed.ok()) {
    const auto message_text = parsed.message();
    return absl::InvalidArgumentError(StrCat(
        "invalid ", kind, ": ", std::string_view(message_text.data(), message_text.size())));
  }
  return object;
}

std::string GovernanceToJson(const GovernanceObject& object) {
  return ToJsonValue(object).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string GovernanceListToJson(std::string_view kind, const std::vector<GovernanceObject>& objects) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const GovernanceObject& object : objects) list.push_back(ToJsonValue(object));
  nlohmann::ordered_json body;
  body[std::string(Plural(kind))] = std::move(list);
  body["total"] = objects.size();
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace switchyard::common
