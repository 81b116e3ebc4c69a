// AdminClient: the command-line client's HTTP(S) calls to the control plane's REST admin API,
// blocking, one connection per call (Beast; TLS through asio::ssl, verified against the
// system's CAs or --ca-file).
#ifndef SWITCHYARD_CONTROL_PLANE_CLI_ADMIN_CLIENT_H_
#define SWITCHYARD_CONTROL_PLANE_CLI_ADMIN_CLIENT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/url.h"

namespace switchyard::cli {

struct AdminResponse {
  int status = 0;
  std::string etag;  // without quotes
  std::string body;
};

class AdminClient {
 public:
  // `url`: http(s)://host[:port]; `token`: the admin token or JWT ("" for none).
  static absl::StatusOr<AdminClient> Create(std::string_view url, std::string token,
                                            std::string ca_file);

  // Unavailable when the control plane cannot be reached (or TLS fails); otherwise its answer.
  absl::StatusOr<AdminResponse> Call(
      std::string_view method, std::string_view target, std::string_view body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {}) const;

 private:
  AdminClient(common::ServiceUrl url, std::string token, std::string ca_file)
      : url_(std::move(url)), token_(std::move(token)), ca_file_(std::move(ca_file)) {}

  common::ServiceUrl url_;
  std::string token_;
  std::string ca_file_;
  std::chrono::seconds timeout_{30};
};

}  // namespace switchyard::cli

#endif  // SWITCHYARD_CONTROL_PLANE_CLI_ADMIN_CLIENT_H_
