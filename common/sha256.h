// SHA-256 helpers over OpenSSL's EVP API. Pure functions; any thread.
#ifndef SWITCHYARD_COMMON_SHA256_H_
#define SWITCHYARD_COMMON_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::common {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);

// Lower-case hex of SHA-256(data): 64 characters.
std::string Sha256Hex(std::string_view data);

// Compares two strings in time that depends only on their lengths' digests, never on where
// they differ: both are hashed first, then the digests compared with CRYPTO_memcmp.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_SHA256_H_
