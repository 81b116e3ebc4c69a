// A blocking HTTP/1.1 client for tests (Beast), one connection per request.
//
//   HttpResult r = HttpCall("POST", "127.0.0.1:8081", "/api/providers", body,
//                           {{"Authorization", "Bearer t"}});
//   EXPECT_EQ(r.status, 201);
#ifndef SWITCHYARD_TESTS_SUPPORT_HTTP_CLIENT_H_
#define SWITCHYARD_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <map>
#include <memory>
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

// One kept-alive HTTP/1.1 connection (plain only): requests in order, each after the last
// answer. What a server does at the end of a request (a log record queued, a token charge)
// is done before it reads the next one on the same connection, so tests that need that
// order use this rather than a connection per request.
class HttpConnection {
 public:
  explicit HttpConnection(const std::string& address);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // status 0: no response (the connection failed; later calls fail too).
  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  struct State;
  std::string address_;
  std::unique_ptr<State> state_;
};

// Sends `raw` bytes as they are and returns the raw response text (for malformed input).
std::string RawHttp(const std::string& address, const std::string& raw);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_HTTP_CLIENT_H_
