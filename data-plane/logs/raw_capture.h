// Raw bodies for request logs (store_raw_request_response): a copy of the text with every
// secret of the provider replaced by "<REDACTED>", then capped at the provider's
// raw_log_max_bytes. Secrets are the provider's key values (as resolved here, environment
// references included), the secret fields of its keys' family configs, sensitive extra
// header values and the attempt's OAuth access token. Redacted before capping, so a cap
// never leaves half a secret behind.
#ifndef SWITCHYARD_DATA_PLANE_LOGS_RAW_CAPTURE_H_
#define SWITCHYARD_DATA_PLANE_LOGS_RAW_CAPTURE_H_

#include <string>
#include <string_view>

#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

// `truncated` is set when the text was longer than the cap (left alone otherwise).
std::string RedactedCapture(std::string_view text, const ProviderEntry& entry,
                            std::string_view access_token, bool* truncated);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_LOGS_RAW_CAPTURE_H_
