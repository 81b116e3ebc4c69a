#include "tests/fakes/mock_aws.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <cstdint>
#include <sstream>
#include <vector>

namespace mock {
namespace {

std::string ToHex(const unsigned char* data, size_t size) {
  std::string out;
  char buffer[3];
  for (size_t i = 0; i < size; ++i) {
    std::snprintf(buffer, sizeof(buffer), "%02x", data[i]);
    out += buffer;
  }
  return out;
}

std::string HashHex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return ToHex(digest, SHA256_DIGEST_LENGTH);
}

std::string KeyedHash(const std::string& key, const std::string& data) {
  unsigned int size = 0;
  unsigned char out[EVP_MAX_MD_SIZE];
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

// RFC 3986: unreserved characters stay, every other byte is %XX.
std::string Encode(std::string_view segment) {
  std::string out;
  char buffer[4];
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

// "k1=v1, k2=v2" fields of the Authorization header after the algorithm.
std::map<std::string, std::string> AuthFields(std::string_view value) {
  std::map<std::string, std::string> fields;
  std::stringstream in{std::string(value)};
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t start = item.find_first_not_of(' ');
    const size_t equals = item.find('=');
    if (start == std::string::npos || equals == std::string::npos) continue;
    fields[item.substr(start, equals - start)] = item.substr(equals + 1);
  }
  return fields;
}

void BigEndian(std::vector<unsigned char>& out, uint32_t value) {
  out.push_back(value >> 24 & 0xff);
  out.push_back(value >> 16 & 0xff);
  out.push_back(value >> 8 & 0xff);
  out.push_back(value & 0xff);
}

}  // namespace

std::string VerifySigV4(std::string_view method, std::string_view target,
                        const std::map<std::string, std::string>& headers, std::string_view body) {
  auto header = [&](const std::string& name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  const std::string authorization = header("authorization");
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (!authorization.starts_with(kAlgorithm)) return "Missing Authentication Token";
  std::map<std::string, std::string> fields = AuthFields(authorization.substr(kAlgorithm.size()));
  const std::string credential = fields["Credential"];
  const size_t slash = credential.find('/');
  if (slash == std::string::npos) return "Authorization header requires 'Credential' parameter.";
  const std::string access_key = credential.substr(0, slash);
  const std::string scope = credential.substr(slash + 1);  // date/region/service/aws4_request
  std::vector<std::string> parts;
  std::stringstream scope_in(scope);
  for (std::string part; std::getline(scope_in, part, '/');) parts.push_back(part);
  if (parts.size() != 4 || parts[2] != "bedrock" || parts[3] != "aws4_request") {
    return "Credential should be scoped to correct service: 'bedrock'.";
  }
  const std::string amz_date = header("x-amz-date");
  if (amz_date.substr(0, 8) != parts[0]) return "Date in Credential scope does not match";
  // The canonical request, rebuilt from what arrived.
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  std::string canonical_uri;
  size_t start = 0;
  for (;;) {
    const size_t end = path.find('/', start);
    canonical_uri += Encode(path.substr(start, end - start));
    if (end == std::string_view::npos) break;
    canonical_uri += '/';
    start = end + 1;
  }
  std::string canonical_headers;
  std::stringstream names_in(fields["SignedHeaders"]);
  for (std::string name; std::getline(names_in, name, ';');) {
    canonical_headers += name + ":" + header(name) + "\n";
  }
  if (!authorization.empty() && header("x-amz-security-token").size() > 0 &&
      fields["SignedHeaders"].find("x-amz-security-token") == std::string::npos) {
    return "The security token included in the request is not signed";
  }
  const std::string canonical = std::string(method) + "\n" + canonical_uri + "\n" +
                                std::string(question == std::string_view::npos ? "" : target.substr(question + 1)) +
                                "\n" + canonical_headers + "\n" + fields["SignedHeaders"] + "\n" +
                                HashHex(body);
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + HashHex(canonical);
  std::string key = KeyedHash("AWS4secret-" + access_key, parts[0]);
  for (const std::string& part : {parts[1], parts[2], parts[3]}) key = KeyedHash(key, part);
  const std::string mac = KeyedHash(key, to_sign);
  if (ToHex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()) != fields["Signature"]) {
    return "The request signature we calculated does not match the signature you provided. "
           "Check your AWS Secret Access Key and signing method.";
  }
  return "";
}

std::string EventFrame(std::string_view event_type, std::string_view json_payload,
                       bool exception) {
  std::vector<unsigned char> headers;
  auto add = [&](std::string_view name, std::string_view value) {
    headers.push_back(static_cast<unsigned char>(name.size()));
    headers.insert(headers.end(), name.begin(), name.end());
    headers.push_back(7);  // string
    headers.push_back(value.size() >> 8 & 0xff);
    headers.push_back(value.size() & 0xff);
    headers.insert(headers.end(), value.begin(), value.end());
  };
  add(":message-type", exception ? "exception" : "event");
  add(exception ? ":exception-type" : ":event-type", event_type);
  add(":content-type", "application/json");
  std::vector<unsigned char> frame;
  BigEndian(frame, static_cast<uint32_t>(16 + headers.size() + json_payload.size()));
  BigEndian(frame, static_cast<uint32_t>(headers.size()));
  BigEndian(frame, static_cast<uint32_t>(crc32(0, frame.data(), 8)));
  frame.insert(frame.end(), headers.begin(), headers.end());
  frame.insert(frame.end(), json_payload.begin(), json_payload.end());
  BigEndian(frame, static_cast<uint32_t>(crc32(0, frame.data(), static_cast<uInt>(frame.size()))));
  return std::string(frame.begin(), frame.end());
}

}  // namespace mock
