// SecretBox: AES-256-GCM sealing of secrets that rest on disk (the data plane's cache; the
// control plane's stored secrets next). Keys are 32 random bytes, written base64, one per line
// of a key file: the first seals, every one opens (rotation: put the new key first, re-seal,
// then drop the old one).
//
//   sealed = "sy1:" key_id ":" base64(nonce 12 bytes) ":" base64(ciphertext || tag 16 bytes)
//   key_id = the first 8 hex digits of SHA-256(key)
//
// Every Seal draws a fresh random nonce (OpenSSL RAND_bytes). Open refuses a text whose key id
// is unknown or whose tag does not verify (tampering, a wrong key). Thread-safe; keys never
// appear in a Status message.
#ifndef SWITCHYARD_COMMON_SECRET_BOX_H_
#define SWITCHYARD_COMMON_SECRET_BOX_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace switchyard::common {

class SecretBox {
 public:
  // From a key file's text: base64 keys, one per line; blank lines and '#' comments skipped.
  static absl::StatusOr<SecretBox> FromKeys(std::string_view text);
  static absl::StatusOr<SecretBox> FromKeyFile(const std::string& path);

  std::string Seal(std::string_view plaintext) const;
  absl::StatusOr<std::string> Open(std::string_view sealed) const;
  // Whether `text` has the sealed form (says nothing about whether it opens).
  static bool IsSealed(std::string_view text);

  const std::string& sealing_key_id() const { return keys_.front().id; }

 private:
  struct Key {
    std::string id;
    std::string bytes;  // 32
  };
  std::vector<Key> keys_;
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_SECRET_BOX_H_
