// InferenceServer: the data plane's inference listener (--http-listen).
//
// N workers, each one thread running one event loop that owns its acceptor (SO_REUSEPORT:
// the kernel spreads connections), its connections, its upstream connection pools and its
// view of the routing table; a request never crosses threads. HTTP/1.1 through Beast with
// keep-alive and chunked bodies, and HTTP/2 through nghttp2 on the same port (cleartext
// with prior knowledge, or ALPN "h2" under TLS with tls_cert_file / tls_key_file);
// streamed responses are written as the provider sends them.
//
// Limits, answered in Bifrost's envelope: request headers (431), body (413, default
// 32 MiB), and header / body / idle timeouts against slow clients.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_SERVER_H_
#define SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_SERVER_H_

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data-plane/router/request_metrics.h"
#include "data-plane/router/redis_counter.h"
#include "data-plane/router/router.h"
#include "data-plane/table/table_slot.h"

namespace switchyard::dp {

class LogShipper;  // logs/log_shipper.h


struct InferenceServerOptions {
  std::string listen = "0.0.0.0:8080";
  int workers = 0;  // 0: one per core
  size_t max_header_bytes = 64 * 1024;
  size_t max_body_bytes = 32 * 1024 * 1024;
  // File uploads (StreamsBody) are streamed through up to this size, never held whole.
  uint64_t max_upload_bytes = 512ull * 1024 * 1024;
  // Audio uploads (IsAudioUpload) are held to this (OpenAI's own limit is 25 MB).
  uint64_t max_audio_upload_bytes = 25ull * 1024 * 1024;
  // Where audio uploads and image edits are spooled while they are read (StreamsBody).
  std::string upload_spool_dir = "/tmp";
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
  std::chrono::milliseconds idle_timeout{120000};
  // A response write (or a streamed piece) that makes no progress this long closes the
  // connection: a client that stops reading cannot hold a worker's table and slot forever.
  std::chrono::milliseconds write_timeout{60000};
  uint32_t max_concurrent_streams = 128;  // HTTP/2, per connection
  size_t h2_max_buffered_bytes = 64 * 1024 * 1024;  // HTTP/2 request bytes held per connection
  std::string tls_cert_file;  // with tls_key_file: TLS, ALPN h2 / http/1.1
  std::string tls_key_file;
  RouterOptions router;
  ModelCatalogOptions model_lists;
  std::chrono::milliseconds upstream_idle_timeout{30000};  // pooled provider connections
  // Every inference request must present a virtual key (router/governance.h).
  bool require_virtual_key = false;
  // The `redis` counting policy (router/redis_counter.h); unset: `local`. When Redis does not
  // answer within its timeout, governed requests pass (fail open) or get 503.
  std::optional<RedisOptions> redis;
  bool redis_fail_open = true;
  // Request logs (logs/log_shipper.h): null when off. `node_id` names this data plane in them.
  LogShipper* logs = nullptr;
  std::string node_id;
};

class InferenceServer {
 public:
  // Starts the workers; each follows `slot` for the live routing table.
  static absl::StatusOr<std::unique_ptr<InferenceServer>> Start(InferenceServerOptions options,
                                                                TableSlot* slot);
  ~InferenceServer();

  const std::string& address() const { return address_; }

  // Graceful shutdown: stops accepting, answers further requests on open connections with
  // "Connection: close", and waits until no request is in flight or `timeout` passed.
  // True when everything finished. Then call Stop().
  bool Drain(std::chrono::milliseconds timeout);
  void Stop();

  // Every worker's request counters, summed (any thread).
  RequestCounters Counters() const;

  class Worker;

 private:
  InferenceServer() = default;
  std::shared_ptr<InferenceServerOptions> options_holder_;  // outlives the workers
  std::unique_ptr<boost::asio::ssl::context> tls_;          // null: cleartext
  TokenCache tokens_;                                        // every worker's; outlives them
  std::unique_ptr<ModelCatalog> models_;                     // the same
  std::vector<std::unique_ptr<Worker>> workers_;
  std::string address_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_SERVER_H_
