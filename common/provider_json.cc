#include "common/provider_json.h"

#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/errors.h"
#include "common/provider_config.h"
#include "common/status_macros.h"

namespace switchyard::common {
namespace {

using nlohmann::json;
using v1::AllowedRequests;
using v1::AzureKeyConfig;
using v1::BedrockKeyConfig;
using v1::ConcurrencyAndBufferSize;
using v1::CustomProviderConfig;
using v1::EnvValue;
using v1::HuggingfaceKeyConfig;
using v1::Key;
using v1::NetworkConfig;
using v1::ProviderConfig;
using v1::ProxyConfig;
using v1::VertexKeyConfig;

// ---- parsing ------------------------------------------------------------------------------

std::string Join(std::string_view path, std::string_view field) {
  return path.empty() ? std::string(field) : StrCat(path, ".", field);
}

absl::Status TypeError(std::string_view path, std::string_view expected) {
  return InvalidField(path, StrCat("must be ", expected));
}

absl::Status UnknownField(std::string_view path) {
  return InvalidField(path, "is not a known field");
}

// Visits the non-null members of an object; the visitor returns NotFound for a name it does
// not know, which becomes "unknown field <path>".
using MemberVisitor = std::function<absl::Status(const std::string& name, const json& value,
                                                 const std::string& path)>;

absl::Status VisitObject(const json& j, std::string_view path, const MemberVisitor& visit) {
  if (!j.is_object()) return TypeError(path.empty() ? "body" : path, "an object");
  for (const auto& [name, value] : j.items()) {
    if (value.is_null()) continue;
    const std::string member_path = Join(path, name);
    absl::Status status = visit(name, value, member_path);
    if (absl::IsNotFound(status)) return UnknownField(member_path);
    RETURN_IF_ERROR(status);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> String(const json& j, std::string_view path) {
  if (!j.is_string()) return TypeError(path, "a string");
  // PostgreSQL's jsonb (and most consumers) cannot hold U+0000.
  if (j.get_ref<const std::string&>().find('\0') != std::string::npos) {
    return InvalidField(path, "must not contain NUL characters");
  }
  return j.get<std::string>();
}

absl::StatusOr<bool> Bool(const json& j, std::string_view path) {
  if (!j.is_boolean()) return TypeError(path, "a boolean");
  return j.get<bool>();
}

absl::StatusOr<int64_t> Int(const json& j, std::string_view path) {
  if (j.is_number_integer()) {
    if (j.is_number_unsigned() &&
        j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return TypeError(path, "an integer in the 64-bit range");
    }
    return j.get<int64_t>();
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      return static_cast<int64_t>(d);
    }
  }
  return TypeError(path, "an integer");
}

absl::StatusOr<double> Number(const json& j, std::string_view path) {
  if (!j.is_number()) return TypeError(path, "a number");
  return j.get<double>();
}

absl::Status StringMap(const json& j, std::string_view path,
                       google::protobuf::Map<std::string, std::string>* out) {
  if (!j.is_object()) return TypeError(path, "an object of strings");
  for (const auto& [name, value] : j.items()) {
    ASSIGN_OR_RETURN((*out)[name], String(value, Join(path, name)));
  }
  return absl::OkStatus();
}

absl::Status StringList(const json& j, std::string_view path,
                        google::protobuf::RepeatedPtrField<std::string>* out) {
  if (!j.is_array()) return TypeError(path, "an array of strings");
  for (size_t i = 0; i < j.size(); ++i) {
    ASSIGN_OR_RETURN(*out->Add(), String(j[i], StrCat(path, "[", i, "]")));
  }
  return absl::OkStatus();
}

// A key value: "env.NAME", a literal string, or {value, env_var, from_env}.
absl::Status ParseEnvValue(const json& j, std::string_view path, EnvValue* out) {
  if (j.is_string()) {
    ASSIGN_OR_RETURN(*out->mutable_value(), String(j, path));
    return absl::OkStatus();
  }
  if (!j.is_object()) return TypeError(path, "a string or an object {value, env_var, from_env}");
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "value") {
      ASSIGN_OR_RETURN(*out->mutable_value(), String(v, p));
    } else if (name == "env_var") {
      ASSIGN_OR_RETURN(*out->mutable_env_var(), String(v, p));
    } else if (name == "from_env") {
      ASSIGN_OR_RETURN(bool from_env, Bool(v, p));
      out->set_from_env(from_env);
    } else {
      return absl::NotFoundError("");
    }
    return absl::OkStatus();
  });
}

absl::Status ParseAzure(const json& j, std::string_view path, AzureKeyConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "endpoint") return ParseEnvValue(v, p, out->mutable_endpoint());
    if (name == "deployments") return StringMap(v, p, out->mutable_deployments());
    if (name == "api_version") return ParseEnvValue(v, p, out->mutable_api_version());
    if (name == "client_id") return ParseEnvValue(v, p, out->mutable_client_id());
    if (name == "client_secret") return ParseEnvValue(v, p, out->mutable_client_secret());
    if (name == "tenant_id") return ParseEnvValue(v, p, out->mutable_tenant_id());
    return absl::NotFoundError("");
  });
}

absl::Status ParseVertex(const json& j, std::string_view path, VertexKeyConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "project_id") return ParseEnvValue(v, p, out->mutable_project_id());
    if (name == "project_number") return ParseEnvValue(v, p, out->mutable_project_number());
    if (name == "region") return ParseEnvValue(v, p, out->mutable_region());
    if (name == "auth_credentials") return ParseEnvValue(v, p, out->mutable_auth_credentials());
    if (name == "deployments") return StringMap(v, p, out->mutable_deployments());
    return absl::NotFoundError("");
  });
}

absl::Status ParseBucket(const json& j, std::string_view path, v1::BedrockS3Bucket* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "bucket_name") {
      ASSIGN_OR_RETURN(*out->mutable_bucket_name(), String(v, p));
    } else if (name == "prefix") {
      ASSIGN_OR_RETURN(*out->mutable_prefix(), String(v, p));
    } else if (name == "is_default") {
      ASSIGN_OR_RETURN(bool is_default, Bool(v, p));
      out->set_is_default(is_default);
    } else {
      return absl::NotFoundError("");
    }
    return absl::OkStatus();
  });
}

absl::Status ParseBedrock(const json& j, std::string_view path, BedrockKeyConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "access_key") return ParseEnvValue(v, p, out->mutable_access_key());
    if (name == "secret_key") return ParseEnvValue(v, p, out->mutable_secret_key());
    if (name == "session_token") return ParseEnvValue(v, p, out->mutable_session_token());
    if (name == "region") return ParseEnvValue(v, p, out->mutable_region());
    if (name == "arn") return ParseEnvValue(v, p, out->mutable_arn());
    if (name == "deployments") return StringMap(v, p, out->mutable_deployments());
    if (name == "batch_s3_config") {
      return VisitObject(v, p, [&](const std::string& n, const json& bv,
                                   const std::string& bp) -> absl::Status {
        if (n != "buckets") return absl::NotFoundError("");
        if (!bv.is_array()) return TypeError(bp, "an array");
        for (size_t i = 0; i < bv.size(); ++i) {
          RETURN_IF_ERROR(ParseBucket(bv[i], StrCat(bp, "[", i, "]"),
                                      out->mutable_batch_s3_config()->add_buckets()));
        }
        return absl::OkStatus();
      });
    }
    return absl::NotFoundError("");
  });
}

absl::Status ParseHuggingface(const json& j, std::string_view path, HuggingfaceKeyConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "deployments") return StringMap(v, p, out->mutable_deployments());
    return absl::NotFoundError("");
  });
}

absl::Status ParseKey(const json& j, std::string_view path, Key* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "id") {
      ASSIGN_OR_RETURN(*out->mutable_id(), String(v, p));
    } else if (name == "name") {
      ASSIGN_OR_RETURN(*out->mutable_name(), String(v, p));
    } else if (name == "value") {
      return ParseEnvValue(v, p, out->mutable_value());
    } else if (name == "models") {
      return StringList(v, p, out->mutable_models());
    } else if (name == "weight") {
      ASSIGN_OR_RETURN(double weight, Number(v, p));
      out->set_weight(weight);
    } else if (name == "enabled") {
      ASSIGN_OR_RETURN(bool enabled, Bool(v, p));
      out->set_enabled(enabled);
    } else if (name == "use_for_batch_api") {
      ASSIGN_OR_RETURN(bool batch, Bool(v, p));
      out->set_use_for_batch_api(batch);
    } else if (name == "azure_key_config") {
      return ParseAzure(v, p, out->mutable_azure_key_config());
    } else if (name == "vertex_key_config") {
      return ParseVertex(v, p, out->mutable_vertex_key_config());
    } else if (name == "bedrock_key_config") {
      return ParseBedrock(v, p, out->mutable_bedrock_key_config());
    } else if (name == "huggingface_key_config") {
      return ParseHuggingface(v, p, out->mutable_huggingface_key_config());
    } else {
      return absl::NotFoundError("");
    }
    return absl::OkStatus();
  });
}

absl::Status ParseNetwork(const json& j, std::string_view path, NetworkConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "base_url") {
      ASSIGN_OR_RETURN(*out->mutable_base_url(), String(v, p));
    } else if (name == "extra_headers") {
      return StringMap(v, p, out->mutable_extra_headers());
    } else if (name == "default_request_timeout_in_seconds") {
      ASSIGN_OR_RETURN(int64_t n, Int(v, p));
      out->set_default_request_timeout_in_seconds(n);
    } else if (name == "max_retries") {
      ASSIGN_OR_RETURN(int64_t n, Int(v, p));
      out->set_max_retries(n);
    } else if (name == "retry_backoff_initial") {
      ASSIGN_OR_RETURN(int64_t n, Int(v, p));
      out->set_retry_backoff_initial(n);
    } else if (name == "retry_backoff_max") {
      ASSIGN_OR_RETURN(int64_t n, Int(v, p));
      out->set_retry_backoff_max(n);
    } else if (name == "stream_idle_timeout_in_seconds") {
      ASSIGN_OR_RETURN(int64_t n, Int(v, p));
      out->set_stream_idle_timeout_in_seconds(n);
    } else if (name == "insecure_skip_verify") {
      ASSIGN_OR_RETURN(bool skip, Bool(v, p));
      out->set_insecure_skip_verify(skip);
    } else if (name == "ca_cert_pem") {
      ASSIGN_OR_RETURN(*out->mutable_ca_cert_pem(), String(v, p));
    } else if (name == "beta_header_overrides") {
      if (!v.is_object()) return TypeError(p, "an object of booleans");
      for (const auto& [prefix, enabled] : v.items()) {
        ASSIGN_OR_RETURN((*out->mutable_beta_header_overrides())[prefix],
                         Bool(enabled, Join(p, prefix)));
      }
    } else {
      return absl::NotFoundError("");
    }
    return absl::OkStatus();
  });
}

absl::Status ParseConcurrency(const json& j, std::string_view path,
                              ConcurrencyAndBufferSize* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name != "concurrency" && name != "buffer_size") return absl::NotFoundError("");
    ASSIGN_OR_RETURN(int64_t n, Int(v, p));
    if (name == "concurrency") {
      out->set_concurrency(n);
    } else {
      out->set_buffer_size(n);
    }
    return absl::OkStatus();
  });
}

absl::Status ParseProxy(const json& j, std::string_view path, ProxyConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    std::string* field = nullptr;
    if (name == "type") field = out->mutable_type();
    if (name == "url") field = out->mutable_url();
    if (name == "username") field = out->mutable_username();
    if (name == "password") field = out->mutable_password();
    if (name == "ca_cert_pem") field = out->mutable_ca_cert_pem();
    if (field == nullptr) return absl::NotFoundError("");
    ASSIGN_OR_RETURN(*field, String(v, p));
    return absl::OkStatus();
  });
}

// allowed_requests through reflection: its fields are exactly the 25 request types.
absl::Status ParseAllowedRequests(const json& j, std::string_view path, AllowedRequests* out) {
  const auto* descriptor = out->GetDescriptor();
  const auto* reflection = out->GetReflection();
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    const auto* field = descriptor->FindFieldByName(name);
    if (field == nullptr) return absl::NotFoundError("");
    ASSIGN_OR_RETURN(bool allowed, Bool(v, p));
    reflection->SetBool(out, field, allowed);
    return absl::OkStatus();
  });
}

absl::Status ParseCustom(const json& j, std::string_view path, CustomProviderConfig* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    if (name == "is_key_less") {
      ASSIGN_OR_RETURN(bool key_less, Bool(v, p));
      out->set_is_key_less(key_less);
    } else if (name == "base_provider_type") {
      ASSIGN_OR_RETURN(*out->mutable_base_provider_type(), String(v, p));
    } else if (name == "allowed_requests") {
      return ParseAllowedRequests(v, p, out->mutable_allowed_requests());
    } else if (name == "request_path_overrides") {
      return StringMap(v, p, out->mutable_request_path_overrides());
    } else {
      return absl::NotFoundError("");
    }
    return absl::OkStatus();
  });
}

absl::Status ParseBarndoorProfile(const json& j, std::string_view path,
                                  v1::BarndoorProfile* out) {
  return VisitObject(j, path, [&](const std::string& name, const json& v,
                                  const std::string& p) -> absl::Status {
    std::string* field = nullptr;
    if (name == "id") field = out->mutable_id();
    if (name == "display_name") field = out->mutable_display_name();
    if (name == "model_provider") field = out->mutable_model_provider();
    if (name == "auth_type") field = out->mutable_auth_type();
    if (name == "connection_id") field = out->mutable_connection_id();
    if (name == "catalog_slug") field = out->mutable_catalog_slug();
    if (field == nullptr) return absl::NotFoundError("");
    ASSIGN_OR_RETURN(*field, String(v, p));
    return absl::OkStatus();
  });
}

absl::Status ParseProvider(const json& j, ProviderConfig* out) {
  std::string provider_field;
  RETURN_IF_ERROR(VisitObject(j, "", [&](const std::string& name, const json& v,
                                         const std::string& p) -> absl::Status {
    if (name == "provider") {
      ASSIGN_OR_RETURN(provider_field, String(v, p));
    } else if (name == "name") {
      ASSIGN_OR_RETURN(*out->mutable_name(), String(v, p));
    } else if (name == "keys") {
      if (!v.is_array()) return TypeError(p, "an array");
      for (size_t i = 0; i < v.size(); ++i) {
        RETURN_IF_ERROR(ParseKey(v[i], StrCat("keys[", i, "]"), out->add_keys()));
      }
    } else if (name == "network_config") {
      return ParseNetwork(v, p, out->mutable_network_config());
    } else if (name == "concurrency_and_buffer_size") {
      return ParseConcurrency(v, p, out->mutable_concurrency_and_buffer_size());
    } else if (name == "proxy_config") {
      return ParseProxy(v, p, out->mutable_proxy_config());
    } else if (name == "send_back_raw_request") {
      ASSIGN_OR_RETURN(bool flag, Bool(v, p));
      out->set_send_back_raw_request(flag);
    } else if (name == "send_back_raw_response") {
      ASSIGN_OR_RETURN(bool flag, Bool(v, p));
      out->set_send_back_raw_response(flag);
    } else if (name == "store_raw_request_response") {
      ASSIGN_OR_RETURN(bool flag, Bool(v, p));
      out->set_store_raw_request_response(flag);
    } else if (name == "raw_log_max_bytes") {
      ASSIGN_OR_RETURN(int64_t n, Int(v, p));
      out->set_raw_log_max_bytes(n);
    } else if (name == "custom_provider_config") {
      return ParseCustom(v, p, out->mutable_custom_provider_config());
    } else if (name == "description") {
      ASSIGN_OR_RETURN(*out->mutable_description(), String(v, p));
    } else if (name == "barndoor") {
      return ParseBarndoorProfile(v, p, out->mutable_barndoor());
    } else if (name == "provider_status" || name == "status" || name == "config_hash") {
      // Read-only, maintained by the control plane: accepted so GET output can be PUT back.
      RETURN_IF_ERROR(String(v, p).status());
    } else {
      return absl::NotFoundError("");
    }
    return absl::OkStatus();
  }));
  if (!provider_field.empty()) {
    if (!out->name().empty() && out->name() != provider_field) {
      return InvalidField("name", "differs from provider; send one of them");
    }
    out->set_name(provider_field);
  }
  return absl::OkStatus();
}

// The DOM parser, plus the path of the value being parsed, so that a number too large for a
// double (which the lexer refuses before any field rule runs) is reported against its field.
class PathTrackingSax {
 public:
  explicit PathTrackingSax(json& result) : dom_(result, /*allow_exceptions=*/false) {}

  bool null() { return Value() && dom_.null(); }
  bool boolean(bool v) { return Value() && dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return Value() && dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Value() && dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return Value() && dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return Value() && dom_.string(v); }
  bool binary(json::binary_t& v) { return Value() && dom_.binary(v); }
  bool start_object(std::size_t n) {
    Value();
    levels_.push_back({false, 0, ""});
    return dom_.start_object(n);
  }
  bool key(json::string_t& k) {
    levels_.back().key = k;
    return dom_.key(k);
  }
  bool end_object() {
    levels_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) {
    Value();
    levels_.push_back({true, 0, ""});
    return dom_.start_array(n);
  }
  bool end_array() {
    levels_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& token,
                   const nlohmann::detail::exception& ex) {
    overflow_ = ex.id == 406;  // "number overflow parsing"
    byte_ = position;
    if (overflow_) path_ = Path();
    return dom_.parse_error(position, token, ex);
  }

  bool overflow() const { return overflow_; }
  const std::string& path() const { return path_; }
  size_t byte() const { return byte_; }

 private:
  struct Level {
    bool array;
    size_t started;   // values started so far (arrays)
    std::string key;  // the current member (objects)
  };
  bool Value() {
    if (!levels_.empty() && levels_.back().array) ++levels_.back().started;
    return true;
  }
  // The value being parsed: in the innermost array it has not started yet.
  std::string Path() const {
    std::string path;
    for (size_t i = 0; i < levels_.size(); ++i) {
      const Level& level = levels_[i];
      if (level.array) {
        const size_t index = i + 1 == levels_.size() ? level.started : level.started - 1;
        StrAppend(&path, "[", index, "]");
      } else {
        StrAppend(&path, path.empty() ? "" : ".", level.key);
      }
    }
    return path;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::vector<Level> levels_;
  bool overflow_ = false;
  size_t byte_ = 0;
  std::string path_;
};

absl::StatusOr<json> ParseJson(std::string_view text, std::string_view what) {
  json result;
  PathTrackingSax sax(result);
  // The library's messages quote the input; report only the position or the field.
  if (json::sax_parse(text.begin(), text.end(), &sax, json::input_format_t::json,
                      /*strict=*/true) &&
      !result.is_discarded()) {
    return result;
  }
  if (sax.overflow() && !sax.path().empty()) {
    return InvalidField(sax.path(), "must be a finite number (it overflows a double)");
  }
  return absl::InvalidArgumentError(
      StrCat(what, " is not valid JSON (error at byte ", sax.byte(), ")"));
}

// ---- printing -----------------------------------------------------------------------------

json EnvValueToJson(const EnvValue& value) {
  return json{{"value", value.value()}, {"env_var", value.env_var()},
              {"from_env", value.from_env()}};
}

void PutEnvValue(json& object, const char* name, bool present, const EnvValue& value) {
  if (present) object[name] = EnvValueToJson(value);
}

json MapToJson(const google::protobuf::Map<std::string, std::string>& map) {
  json object = json::object();
  for (const auto& [name, value] : map) object[name] = value;
  return object;
}

json KeyToJson(const Key& key) {
  json out{{"id", key.id()},
           {"name", key.name()},
           {"value", EnvValueToJson(key.value())},
           {"models", json(std::vector<std::string>(key.models().begin(), key.models().end()))},
           {"weight", key.weight()},
           {"enabled", key.enabled()},
           {"use_for_batch_api", key.use_for_batch_api()}};
  if (key.has_azure_key_config()) {
    const AzureKeyConfig& azure = key.azure_key_config();
    json& a = out["azure_key_config"] = json::object();
    PutEnvValue(a, "endpoint", azure.has_endpoint(), azure.endpoint());
    PutEnvValue(a, "api_version", azure.has_api_version(), azure.api_version());
    PutEnvValue(a, "client_id", azure.has_client_id(), azure.client_id());
    PutEnvValue(a, "client_secret", azure.has_client_secret(), azure.client_secret());
    PutEnvValue(a, "tenant_id", azure.has_tenant_id(), azure.tenant_id());
    a["deployments"] = MapToJson(azure.deployments());
  }
  if (key.has_vertex_key_config()) {
    const VertexKeyConfig& vertex = key.vertex_key_config();
    json& o = out["vertex_key_config"] = json::object();
    PutEnvValue(o, "project_id", vertex.has_project_id(), vertex.project_id());
    PutEnvValue(o, "project_number", vertex.has_project_number(), vertex.project_number());
    PutEnvValue(o, "region", vertex.has_region(), vertex.region());
    PutEnvValue(o, "auth_credentials", vertex.has_auth_credentials(), vertex.auth_credentials());
    o["deployments"] = MapToJson(vertex.deployments());
  }
  if (key.has_bedrock_key_config()) {
    const BedrockKeyConfig& bedrock = key.bedrock_key_config();
    json& o = out["bedrock_key_config"] = json::object();
    PutEnvValue(o, "access_key", bedrock.has_access_key(), bedrock.access_key());
    PutEnvValue(o, "secret_key", bedrock.has_secret_key(), bedrock.secret_key());
    PutEnvValue(o, "session_token", bedrock.has_session_token(), bedrock.session_token());
    PutEnvValue(o, "region", bedrock.has_region(), bedrock.region());
    PutEnvValue(o, "arn", bedrock.has_arn(), bedrock.arn());
    o["deployments"] = MapToJson(bedrock.deployments());
    if (bedrock.has_batch_s3_config()) {
      json buckets = json::array();
      for (const auto& bucket : bedrock.batch_s3_config().buckets()) {
        buckets.push_back({{"bucket_name", bucket.bucket_name()},
                           {"prefix", bucket.prefix()},
                           {"is_default", bucket.is_default()}});
      }
      o["batch_s3_config"] = {{"buckets", buckets}};
    }
  }
  if (key.has_huggingface_key_config()) {
    out["huggingface_key_config"] = {
        {"deployments", MapToJson(key.huggingface_key_config().deployments())}};
  }
  return out;
}

json NetworkToJson(const NetworkConfig& network) {
  json out{{"base_url", network.base_url()},
           {"extra_headers", MapToJson(network.extra_headers())},
           {"default_request_timeout_in_seconds", network.default_request_timeout_in_seconds()},
           {"max_retries", network.max_retries()},
           {"retry_backoff_initial", network.retry_backoff_initial()},
           {"retry_backoff_max", network.retry_backoff_max()},
           {"stream_idle_timeout_in_seconds", network.stream_idle_timeout_in_seconds()},
           {"insecure_skip_verify", network.insecure_skip_verify()},
           {"ca_cert_pem", network.ca_cert_pem()}};
  json overrides = json::object();
  for (const auto& [prefix, enabled] : network.beta_header_overrides()) {
    overrides[prefix] = enabled;
  }
  out["beta_header_overrides"] = overrides;
  return out;
}

json CustomToJson(const CustomProviderConfig& custom) {
  json out{{"is_key_less", custom.is_key_less()},
           {"base_provider_type", custom.base_provider_type()},
           {"request_path_overrides", MapToJson(custom.request_path_overrides())}};
  if (custom.has_allowed_requests()) {
    const AllowedRequests& allowed = custom.allowed_requests();
    const auto* descriptor = allowed.GetDescriptor();
    const auto* reflection = allowed.GetReflection();
    json a = json::object();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const auto* field = descriptor->field(i);
      a[field->name()] = reflection->GetBool(allowed, field);
    }
    out["allowed_requests"] = a;
  }
  return out;
}

json ProviderToJsonValue(const ProviderConfig& config, JsonView view) {
  json out{{"name", config.name()},
           {"keys", json::array()},
           {"network_config", NetworkToJson(config.network_config())},
           {"concurrency_and_buffer_size",
            {{"concurrency", config.concurrency_and_buffer_size().concurrency()},
             {"buffer_size", config.concurrency_and_buffer_size().buffer_size()}}},
           {"proxy_config",
            {{"type", config.proxy_config().type()},
             {"url", config.proxy_config().url()},
             {"username", config.proxy_config().username()},
             {"password", config.proxy_config().password()},
             {"ca_cert_pem", config.proxy_config().ca_cert_pem()}}},
           {"send_back_raw_request", config.send_back_raw_request()},
           {"send_back_raw_response", config.send_back_raw_response()},
           {"store_raw_request_response", config.store_raw_request_response()},
           {"description", config.description()}};
  for (const Key& key : config.keys()) out["keys"].push_back(KeyToJson(key));
  if (config.has_custom_provider_config()) {
    out["custom_provider_config"] = CustomToJson(config.custom_provider_config());
  }
  if (config.has_raw_log_max_bytes() || view == JsonView::kResponse) {
    out["raw_log_max_bytes"] = RawLogMaxBytes(config);
  }
  if (config.has_barndoor()) {
    const v1::BarndoorProfile& b = config.barndoor();
    out["barndoor"] = {{"id", b.id()},
                       {"display_name", b.display_name()},
                       {"model_provider", b.model_provider()},
                       {"auth_type", b.auth_type()},
                       {"connection_id", b.connection_id()},
                       {"catalog_slug", b.catalog_slug()}};
  }
  if (view == JsonView::kResponse) {
    out["provider_status"] = config.provider_status();
    out["status"] = config.status();
    out["config_hash"] = config.config_hash();
  }
  return out;
}

}  // namespace

absl::StatusOr<ProviderConfig> ProviderFromJson(std::string_view body) {
  ASSIGN_OR_RETURN(json j, ParseJson(body, "body"));
  ProviderConfig config;
  RETURN_IF_ERROR(ParseProvider(j, &config));
  return config;
}

std::string ProviderToJson(const ProviderConfig& config, JsonView view) {
  return ProviderToJsonValue(config, view).dump();
}

std::string ProviderListToJson(const std::vector<ProviderConfig>& configs,
                               const std::vector<int64_t>& revisions) {
  json list = json::array();
  for (size_t i = 0; i < configs.size(); ++i) {
    list.push_back(ProviderToJsonValue(configs[i], JsonView::kResponse));
    if (i < revisions.size()) list.back()["revision"] = revisions[i];
  }
  return json{{"providers", list}, {"total", configs.size()}}.dump();
}

absl::StatusOr<std::vector<ProviderConfig>> ProvidersFromConfigFile(std::string_view text) {
  ASSIGN_OR_RETURN(json j, ParseJson(text, "config file"));
  if (!j.is_object()) return TypeError("config file", "a JSON object");
  std::vector<ProviderConfig> configs;
  auto providers = j.find("providers");
  if (providers == j.end() || providers->is_null()) return configs;
  if (!providers->is_object()) return TypeError("providers", "an object keyed by provider name");
  for (const auto& [name, entry] : providers->items()) {
    ProviderConfig config;
    absl::Status status = ParseProvider(entry, &config);
    if (status.ok() && !config.name().empty() && config.name() != name) {
      status = absl::InvalidArgumentError("name differs from the entry's key");
    }
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          StrCat("providers.", name, ": ", status.message()));
    }
    config.set_name(name);
    configs.push_back(std::move(config));
  }
  return configs;
}

}  // namespace switchyard::common
