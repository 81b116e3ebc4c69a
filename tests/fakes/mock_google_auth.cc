#include "tests/fakes/mock_google_auth.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <vector>

namespace mock {
namespace {

using nlohmann::json;

constexpr std::string_view kGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kScope = "https://www.googleapis.com/auth/cloud-platform";

std::string Base64UrlDecode(std::string_view in) {
  std::string text(in);
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text.push_back('=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

std::string UrlDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i] == '+' ? ' ' : in[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> FormFields(std::string_view body) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos) {
      fields[UrlDecode(pair.substr(0, equals))] = UrlDecode(pair.substr(equals + 1));
    }
    start = end + 1;
  }
  return fields;
}

std::pair<int, std::string> Refuse(const std::string& description) {
  return {400, json{{"error", "invalid_grant"}, {"error_description", description}}.dump()};
}

}  // namespace

MockGoogleAuth::MockGoogleAuth() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  key_ = key;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  private_key_pem_.assign(data, static_cast<size_t>(length));
  BIO_free(bio);
}

MockGoogleAuth::~MockGoogleAuth() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

json MockGoogleAuth::IssueServiceAccount(const std::string& host, const std::string& client_email,
                                         int lifetime) {
  std::lock_guard lock(mu_);
  accounts_[client_email].lifetime = lifetime;
  return {{"type", "service_account"},
          {"project_id", "mock-project"},
          {"private_key_id", "mock-key-1"},
          {"private_key", private_key_pem_},
          {"client_email", client_email},
          {"client_id", "100000000000000000001"},
          {"token_uri", "http://" + host + "/token"}};
}

std::pair<int, std::string> MockGoogleAuth::Exchange(const std::string& host,
                                                     std::string_view form_body) {
  std::map<std::string, std::string> form = FormFields(form_body);
  if (form["grant_type"] != kGrantType) {
    return {400, json{{"error", "unsupported_grant_type"},
                      {"error_description", "Invalid grant_type: " + form["grant_type"]}}
                     .dump()};
  }
  const std::string& assertion = form["assertion"];
  const size_t first = assertion.find('.');
  const size_t second = assertion.find('.', first == std::string::npos ? 0 : first + 1);
  if (first == std::string::npos || second == std::string::npos) {
    return Refuse("Invalid JWT: not three segments");
  }
  const json header = json::parse(Base64UrlDecode(assertion.substr(0, first)), nullptr, false);
  const json claims =
      json::parse(Base64UrlDecode(assertion.substr(first + 1, second - first - 1)), nullptr, false);
  const std::string signature = Base64UrlDecode(assertion.substr(second + 1));
  if (!header.is_object() || header.value("alg", "") != "RS256") {
    return Refuse("Invalid JWT: alg must be RS256");
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool verified =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr,
                           static_cast<EVP_PKEY*>(key_)) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(assertion.data()),
                       second) == 1;
  EVP_MD_CTX_free(ctx);
  const std::string issuer = claims.is_object() ? claims.value("iss", "") : "";
  std::lock_guard lock(mu_);
  auto account = accounts_.find(issuer);
  auto refuse = [&](const std::string& description) {
    if (account != accounts_.end()) ++account->second.refused;
    return Refuse(description);
  };
  if (!verified) return refuse("Invalid JWT Signature.");
  if (account == accounts_.end()) return Refuse("Invalid JWT: unknown issuer " + issuer);
  if (claims.value("aud", "") != "http://" + host + "/token") {
    return refuse("Invalid JWT: aud must be this token endpoint");
  }
  if (claims.value("scope", "") != kScope) return refuse("Invalid JWT: scope must be cloud-platform");
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t iat = claims.value("iat", int64_t{0});
  const int64_t exp = claims.value("exp", int64_t{0});
  if (iat > now + 300 || iat < now - 300 || exp <= now || exp - iat > 3600) {
    return refuse("Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                  "reasonable timeframe.");
  }
  return {200, Issue(issuer, account->second.lifetime)};
}

std::string MockGoogleAuth::Issue(const std::string& account, int lifetime) {
  ++accounts_[account].exchanges;
  const std::string token = "ya29.mock." + std::to_string(++issued_);
  tokens_[token] = std::chrono::steady_clock::now() + std::chrono::seconds(lifetime);
  return json{{"access_token", token}, {"expires_in", lifetime}, {"token_type", "Bearer"}}.dump();
}

std::pair<int, std::string> MockGoogleAuth::ExchangeClientCredentials(std::string_view form_body) {
  std::map<std::string, std::string> form = FormFields(form_body);
  const std::string& client = form["client_id"];
  std::lock_guard lock(mu_);
  if (form["grant_type"] != "client_credentials" || client.empty() ||
      form["client_secret"] != "secret-" + client ||
      form["scope"] != "https://cognitiveservices.azure.com/.default") {
    ++accounts_[client].refused;
    return {401, json{{"error", "invalid_client"},
                      {"error_description", "AADSTS7000215: Invalid client secret provided."}}
                     .dump()};
  }
  return {200, Issue(client, 3600)};
}

bool MockGoogleAuth::Authorized(std::string_view authorization) {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer)) return false;
  std::lock_guard lock(mu_);
  auto token = tokens_.find(std::string(authorization.substr(kBearer.size())));
  return token != tokens_.end() && std::chrono::steady_clock::now() < token->second;
}

int MockGoogleAuth::RevokeAll() {
  std::lock_guard lock(mu_);
  int live = 0;
  for (const auto& [token, expiry] : tokens_) live += std::chrono::steady_clock::now() < expiry;
  tokens_.clear();
  return live;
}

json MockGoogleAuth::Counts(const std::string& client_email) {
  std::lock_guard lock(mu_);
  const Account& account = accounts_[client_email];
  return {{"exchanges", account.exchanges}, {"refused", account.refused}};
}

}  // namespace mock
