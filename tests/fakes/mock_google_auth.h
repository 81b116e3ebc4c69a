// MockGoogleAuth: the Google side of Vertex AI's service-account auth, for the mock provider:
// it issues service-account key files (its own RSA key pair), runs the OAuth 2.0 token endpoint
// of the JWT bearer grant (RFC 7523) and checks the access tokens it issued.
//
// The token endpoint verifies what Google's does: grant_type, the assertion's RS256 signature
// against the issued key, iss (a service account issued here), aud (this token endpoint's
// URL), scope (cloud-platform), iat near now and exp at most an hour later. Refusals answer
// 400 {"error":"invalid_grant","error_description":...} as Google does. Tokens live as long as
// the service account's `lifetime` (seconds) says. It also plays Microsoft Entra's token
// endpoint for Azure OpenAI (client credentials grant): the secret of client id X is
// "secret-X", the scope must be https://cognitiveservices.azure.com/.default. Thread-safe.
#ifndef SWITCHYARD_TESTS_FAKES_MOCK_GOOGLE_AUTH_H_
#define SWITCHYARD_TESTS_FAKES_MOCK_GOOGLE_AUTH_H_

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace mock {

class MockGoogleAuth {
 public:
  MockGoogleAuth();
  ~MockGoogleAuth();
  MockGoogleAuth(const MockGoogleAuth&) = delete;
  MockGoogleAuth& operator=(const MockGoogleAuth&) = delete;

  // A key file for `client_email` whose tokens live `lifetime` seconds; token_uri is
  // http://{host}/token.
  nlohmann::json IssueServiceAccount(const std::string& host, const std::string& client_email,
                                     int lifetime);
  // POST /token: status and JSON body.
  std::pair<int, std::string> Exchange(const std::string& host, std::string_view form_body);
  // POST /{tenant}/oauth2/v2.0/token (Entra, client credentials): status and JSON body.
  std::pair<int, std::string> ExchangeClientCredentials(std::string_view form_body);
  // Whether `authorization` is "Bearer <a live token issued here>".
  bool Authorized(std::string_view authorization);
  // Revokes every token issued so far (they answer 401 from now on); how many were live.
  int RevokeAll();
  // {"exchanges": granted, "refused": refused} for one service account (or Entra client id).
  nlohmann::json Counts(const std::string& client_email);

 private:
  struct Account {
    int lifetime = 3600;
    int exchanges = 0;
    int refused = 0;
  };
  std::mutex mu_;
  void* key_ = nullptr;  // EVP_PKEY
  std::string private_key_pem_;
  std::map<std::string, Account> accounts_;
  std::map<std::string, std::chrono::steady_clock::time_point> tokens_;  // -> expiry
  int64_t issued_ = 0;
  std::string Issue(const std::string& account, int lifetime);  // mu_ held
};

}  // namespace mock

#endif  // SWITCHYARD_TESTS_FAKES_MOCK_GOOGLE_AUTH_H_
