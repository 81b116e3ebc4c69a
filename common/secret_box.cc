#include "common/secret_box.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/strings.h"

namespace switchyard::common {
namespace {

constexpr std::string_view kPrefix = "sy1:";
constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

absl::StatusOr<SecretBox> SecretBox::FromKeys(std::string_view text) {
  SecretBox box;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(ToAbsl(text), '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::string bytes;
    if (!absl::Base64Unescape(line, &bytes) || bytes.size() != 32) {
      return absl::InvalidArgumentError(
          StrCat("encryption key on line ", line_number, " is not 32 bytes of base64"));
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(Bytes(bytes), bytes.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    for (int i = 0; i < 4; ++i) {
      id.push_back(kHex[digest[i] >> 4]);
      id.push_back(kHex[digest[i] & 15]);
    }
    box.keys_.push_back({std::move(id), std::move(bytes)});
  }
  if (box.keys_.empty()) return absl::InvalidArgumentError("no encryption key given");
  return box;
}

absl::StatusOr<SecretBox> SecretBox::FromKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(StrCat("cannot read the key file ", path));
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<SecretBox> box = FromKeys(text.str());
  if (!box.ok()) return absl::InvalidArgumentError(StrCat(path, ": ", box.status().message()));
  return box;
}

bool SecretBox::IsSealed(std::string_view text) { return text.starts_with(kPrefix); }

std::string SecretBox::Seal(std::string_view plaintext) const {
  const Key& key = keys_.front();
  unsigned char nonce[kNonce];
  RAND_bytes(nonce, sizeof(nonce));
  std::string out(plaintext.size() + kTag, '\0');
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  Ctx ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  int total = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key.bytes), nonce);
  EVP_EncryptUpdate(ctx.get(), data, &length, Bytes(plaintext), static_cast<int>(plaintext.size()));
  total = length;
  EVP_EncryptFinal_ex(ctx.get(), data + total, &length);
  total += length;
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, data + total);
  out.resize(static_cast<size_t>(total) + kTag);
  return StrCat(kPrefix, key.id, ":",
                absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(nonce), kNonce)), ":",
                absl::Base64Escape(out));
}

absl::StatusOr<std::string> SecretBox::Open(std::string_view sealed) const {
  if (!IsSealed(sealed)) return absl::InvalidArgumentError("not a sealed secret");
  std::vector<absl::string_view> parts = absl::StrSplit(ToAbsl(sealed.substr(kPrefix.size())), ':');
  std::string nonce;
  std::string data;
  if (parts.size() != 3 || !absl::Base64Unescape(parts[1], &nonce) || nonce.size() != kNonce ||
      !absl::Base64Unescape(parts[2], &data) || data.size() < kTag) {
    return absl::InvalidArgumentError("a sealed secret is malformed");
  }
  const Key* key = nullptr;
  for (const Key& candidate : keys_) {
    if (candidate.id == parts[0]) key = &candidate;
  }
  if (key == nullptr) {
    return absl::FailedPreconditionError(
        StrCat("a secret is sealed with key ", ToStd(parts[0]), ", which is not among the keys given"));
  }
  const size_t length = data.size() - kTag;
  std::string out(length, '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int written = 0;
  int final_length = 0;
  const bool ok =
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key->bytes), Bytes(nonce)) == 1 &&
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &written,
                        Bytes(data), static_cast<int>(length)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag,
                          const_cast<char*>(data.data() + length)) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written,
                          &final_length) == 1;
  if (!ok) return absl::DataLossError("a sealed secret does not verify (tampered, or a wrong key)");
  return out;
}

}  // namespace switchyard::common
