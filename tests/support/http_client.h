// A blocking HTTP/1.1 client for tests (Beast), one connection per request.
//
//   HttpResult r = HttpCall("POST", "127.0.0.1:8081", "/api/providers", body,
//                           {{"Authorization", "Bearer t"}});
//   EXPECT_EQ(r.status, 201);
#ifndef SWITCHYARD_TESTS_SUPPORT_HTTP_CLIENT_H_
#define SWITCHYARD_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::testing {

struct HttpResult {
  int status = 0;  // 0: no response (connection failed)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& lower_case_name) const {
    auto it = headers.find(lower_case_name);
    return it == headers.end() ? "" : it->second;
  }
};

HttpResult HttpCall(const std::string& method, const std::string& address,
                    const std::string& target, const std::string& body = "",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});

// Sends `raw` bytes as they are and returns the raw response text (for malformed input).
std::string RawHttp(const std::string& address, const std::string& raw);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_HTTP_CLIENT_H_
