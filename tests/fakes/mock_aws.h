// MockAws: the AWS side of Bedrock for the mock provider, written independently of the data
// plane's code so that each checks the other: it verifies SigV4 signatures for real (the
// secret of access key X is "secret-X"; the canonical request is rebuilt from the bytes
// received, the path's segments encoded once more) and frames answers in AWS's event-stream
// encoding (CRC32 from zlib).
#ifndef SWITCHYARD_TESTS_FAKES_MOCK_AWS_H_
#define SWITCHYARD_TESTS_FAKES_MOCK_AWS_H_

#include <map>
#include <string>
#include <string_view>

namespace mock {

// "" when `authorization` signs the request; else why not (AWS's words where it has them).
// `headers` are the received headers, lower-case names.
std::string VerifySigV4(std::string_view method, std::string_view target,
                        const std::map<std::string, std::string>& headers, std::string_view body);

// One event-stream message with :message-type, :event-type (or :exception-type) and
// :content-type application/json.
std::string EventFrame(std::string_view event_type, std::string_view json_payload,
                       bool exception = false);

}  // namespace mock

#endif  // SWITCHYARD_TESTS_FAKES_MOCK_AWS_H_
