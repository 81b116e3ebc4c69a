// InferenceHandler: the OpenAI-compatible façade's routes, on one worker.
//
//   POST /v1/chat/completions   (plain, and "stream": true as server-sent events)
//   POST /v1/completions, /v1/embeddings, /v1/responses
//   GET  /v1/models             the models of the live routing table
//   ... and each again under /openai/v1/...
//
// A request's "model" is "provider/model". The handler takes the worker's table once, finds
// the provider, applies every stored setting (base URL and path overrides, allowed request
// types, weighted key choice, extra and x-bf-eh-* headers minus the security denylist,
// concurrency and buffer limits, retries with backoff, fallbacks, raw request/response
// echo, extra-params passthrough), calls the provider through the worker's UpstreamClient
// and answers in the provider's format, or with Bifrost's error envelope.
//
// One per worker; runs only on that worker's event loop.
#ifndef SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_HANDLER_H_
#define SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_HANDLER_H_

#include <boost/asio/awaitable.hpp>
#include <random>
#include <string>
#include <string_view>

#include "common/errors.h"
#include "common/http/http_server.h"
#include "data-plane/http/request_body.h"
#include "data-plane/table/table_slot.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

// Where a response goes. Every call returns false once the client is gone.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // A complete response.
  virtual boost::asio::awaitable<bool> Send(int status, HeaderList headers, std::string body) = 0;
  // A streamed response: Begin once, Write per piece (sent at once, never buffered), End.
  virtual boost::asio::awaitable<bool> Begin(int status, HeaderList headers) = 0;
  virtual boost::asio::awaitable<bool> Write(std::string_view data) = 0;
  virtual boost::asio::awaitable<bool> End() = 0;
};

class InferenceHandler {
 public:
  // `direct` serves providers reached directly; `proxied` those with a proxy_config.
  InferenceHandler(WorkerTable* tables, UpstreamClient* direct, UpstreamClient* proxied,
                   uint64_t seed)
      : tables_(tables), direct_(direct), proxied_(proxied), random_(seed) {}

  // Takes the request body (moved out of `request`).
  boost::asio::awaitable<void> Handle(common::HttpRequest& request,
                                      ResponseWriter& writer);

 private:
  struct Attempt;
  boost::asio::awaitable<bool> TryCandidate(const RoutingTable& table, Attempt& attempt,
                                            std::string_view candidate, ResponseWriter& writer,
                                            common::ApiError* error);
  boost::asio::awaitable<bool> CallProvider(const ProviderEntry& entry, UpstreamClient& client,
                                            Attempt& attempt,
                                            std::string_view provider, std::string_view model,
                                            UpstreamRequest& upstream, ResponseWriter& writer,
                                            common::ApiError* error);
  boost::asio::awaitable<void> ListModels(const RoutingTable& table, ResponseWriter& writer);

  WorkerTable* const tables_;
  UpstreamClient* const direct_;
  UpstreamClient* const proxied_;
  std::mt19937_64 random_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_HTTP_INFERENCE_HANDLER_H_
