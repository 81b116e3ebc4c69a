#include "data-plane/providers/bedrock/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/strings.h"
#include "data-plane/providers/family_neutral.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

std::string Hex(const unsigned char* bytes, size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (size_t i = 0; i < length; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof(digest));
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

// Each segment of the path as sent encoded once more, joined by '/'.
std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  std::string out;
  bool first = true;
  for (const absl::string_view segment : absl::StrSplit(common::ToAbsl(path), '/')) {
    if (!first) out.push_back('/');
    first = false;
    out += AwsUriEncode(common::ToStd(segment));
  }
  return out;
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::string> pairs;
  for (const absl::string_view pair : absl::StrSplit(common::ToAbsl(query), '&', absl::SkipEmpty())) {
    pairs.emplace_back(pair.find('=') == absl::string_view::npos ? StrCat(pair, "=") : std::string(pair));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const std::string& pair : pairs) {
    if (!out.empty()) out.push_back('&');
    out += pair;
  }
  return out;
}

}  // namespace

std::string AwsUriEncode(std::string_view text) { return PercentEncode(text); }

std::vector<std::pair<std::string, std::string>> SignV4(const SigV4Request& request,
                                                         const AwsCredentials& credentials) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(request.now);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[17];
  std::strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &utc);
  const std::string amz_date(stamp);
  const std::string date = amz_date.substr(0, 8);

  std::vector<std::pair<std::string, std::string>> signed_headers;
  for (const auto& [name, value] : request.headers) {
    signed_headers.emplace_back(absl::AsciiStrToLower(name),
                                std::string(absl::StripAsciiWhitespace(value)));
  }
  signed_headers.emplace_back("host", std::string(request.host));
  signed_headers.emplace_back("x-amz-date", amz_date);
  if (!credentials.session_token.empty()) {
    signed_headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  std::string canonical_headers;
  std::string names;
  for (const auto& [name, value] : signed_headers) {
    common::StrAppend(&canonical_headers, name, ":", value, "\n");
    if (!names.empty()) names.push_back(';');
    names += name;
  }
  const std::string canonical_request =
      StrCat(request.method, "\n", CanonicalUri(request.path), "\n", CanonicalQuery(request.query),
             "\n", canonical_headers, "\n", names, "\n", Sha256Hex(request.body));
  const std::string scope =
      StrCat(date, "/", request.region, "/", request.service, "/aws4_request");
  const std::string string_to_sign =
      StrCat("AWS4-HMAC-SHA256\n", amz_date, "\n", scope, "\n", Sha256Hex(canonical_request));
  std::string key = Hmac(StrCat("AWS4", credentials.secret_key), date);
  key = Hmac(key, request.region);
  key = Hmac(key, request.service);
  key = Hmac(key, "aws4_request");
  const std::string signature = Hmac(key, string_to_sign);

  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("x-amz-date", amz_date);
  if (!credentials.session_token.empty()) {
    out.emplace_back("x-amz-security-token", credentials.session_token);
  }
  out.emplace_back(
      "authorization",
      StrCat("AWS4-HMAC-SHA256 Credential=", credentials.access_key, "/", scope,
             ", SignedHeaders=", names, ", Signature=",
             Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size())));
  return out;
}

}  // namespace switchyard::dp
