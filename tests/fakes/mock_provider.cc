// mock_provider: a fake LLM provider speaking the OpenAI API, for tests, `make run` and the
// benchmarks. It is the only thing we mock: it stands for what is outside the product.
//
//   mock_provider [--listen=127.0.0.1:0] [--threads=2] [--latency-ms=0] [--record=true]
//   prints "msg=listening addr=HOST:PORT" when ready.
//
// Inference (any POST path): answers like OpenAI; …/v1/messages answers like Anthropic. /…/chat/completions, /…/completions and
// /…/responses get a completion naming the received model; /…/embeddings an embedding list;
// "stream": true gets server-sent events ending with "data: [DONE]".
// Per-request control through headers (a data plane forwards them as x-bf-eh-<name>):
//   x-mock-latency-ms       wait before answering
//   x-mock-status           answer this status with an OpenAI-style error body
//   x-mock-retry-after      Retry-After header on that error
//   x-mock-chunks           number of stream chunks (default 3)
//   x-mock-gap-ms           wait between stream chunks
//   x-mock-fail-after       close the connection after this many stream chunks
// Scripted answers: POST /_mock/script {"responses":[{"status":500,"retry_after":"1",
//   "body":"..."}, ...]} queues answers used, in order, by the next inference requests.
// Observation: GET /_mock/requests (what was received: method, path, headers, body);
//   GET /_mock/stats ({"total":N,"by_authorization":{...}}); DELETE /_mock/requests resets
//   the log, the stats and the script.
#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;
constexpr auto kTuple = asio::experimental::as_tuple(asio::use_awaitable);

struct Scripted {
  int status = 200;
  std::string retry_after;
  std::string body;
};

struct State {
  std::mutex mu;
  bool record = true;
  int default_latency_ms = 0;
  std::deque<json> requests;
  std::map<std::string, int64_t> by_authorization;
  int64_t total = 0;
  int64_t streams_aborted = 0;  // streams whose client went away before the end
  std::deque<Scripted> script;
};

State state;

int HeaderInt(const http::request<http::string_body>& request, const char* name, int fallback) {
  auto it = request.find(name);
  if (it == request.end()) return fallback;
  try {
    return std::stoi(std::string(it->value()));
  } catch (...) {
    return fallback;
  }
}

std::string Header(const http::request<http::string_body>& request, const char* name) {
  auto it = request.find(name);
  return it == request.end() ? "" : std::string(it->value());
}

// Anthropic's Messages API (POST …/v1/messages): the same answers in Anthropic's dialect.
bool IsAnthropic(const std::string& path) { return path.ends_with("/v1/messages"); }

json AnthropicMessage(const std::string& model) {
  return {{"id", "msg_mock"},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model},
          {"content", json::array({{{"type", "text"}, {"text", "Hello from the mock"}}})},
          {"stop_reason", "end_turn"},
          {"usage", {{"input_tokens", 5}, {"output_tokens", 4}}}};
}

std::string AnthropicEvent(const json& data) {
  return "event: " + data["type"].get<std::string>() + "\ndata: " + data.dump() + "\n\n";
}

json Completion(const std::string& path, const std::string& model) {
  if (IsAnthropic(path)) return AnthropicMessage(model);
  if (path.find("embeddings") != std::string::npos) {
    return {{"object", "list"},
            {"model", model},
            {"data", json::array({{{"object", "embedding"}, {"index", 0},
                                   {"embedding", {0.1, 0.2, 0.3}}}})},
            {"usage", {{"prompt_tokens", 3}, {"total_tokens", 3}}}};
  }
  return {{"id", "chatcmpl-mock"},
          {"object", "chat.completion"},
          {"created", 1700000000},
          {"model", model},
          {"choices", json::array({{{"index", 0},
                                    {"message", {{"role", "assistant"}, {"content", "Hello from the mock"}}},
                                    {"finish_reason", "stop"}}})},
          {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 4}, {"total_tokens", 9}}}};
}

// How OpenAI ends a stream: the finish_reason in its own chunk, with stream_options.include_usage
// a usage chunk with no choices, then [DONE].
std::string OpenAiStreamEnd(const std::string& model, bool include_usage, int chunks) {
  json finish{{"id", "chatcmpl-mock"},
              {"object", "chat.completion.chunk"},
              {"created", 1700000000},
              {"model", model},
              {"choices", json::array({{{"index", 0}, {"delta", json::object()},
                                        {"finish_reason", "stop"}}})}};
  std::string out = "data: " + finish.dump() + "\n\n";
  if (include_usage) {
    json usage{{"id", "chatcmpl-mock"},
               {"object", "chat.completion.chunk"},
               {"created", 1700000000},
               {"model", model},
               {"choices", json::array()},
               {"usage", {{"prompt_tokens", 5}, {"completion_tokens", chunks},
                          {"total_tokens", 5 + chunks}}}};
    out += "data: " + usage.dump() + "\n\n";
  }
  return out + "data: [DONE]\n\n";
}

std::string Chunk(const std::string& path, const std::string& model, int index) {
  if (IsAnthropic(path)) {
    return AnthropicEvent({{"type", "content_block_delta"},
                           {"index", 0},
                           {"delta", {{"type", "text_delta"}, {"text", "tok" + std::to_string(index)}}}});
  }
  json chunk{{"id", "chatcmpl-mock"},
             {"object", "chat.completion.chunk"},
             {"created", 1700000000},
             {"model", model},
             {"choices", json::array({{{"index", 0},
                                       {"delta", {{"content", "tok" + std::to_string(index)}}},
                                       {"finish_reason", nullptr}}})}};
  // As OpenAI does, the first delta names the role.
  if (index == 0) chunk["choices"][0]["delta"]["role"] = "assistant";
  return "data: " + chunk.dump() + "\n\n";
}

template <class Body>
asio::awaitable<bool> Write(beast::tcp_stream& stream, http::response<Body>& response) {
  auto [ec, n] = co_await http::async_write(stream, response, kTuple);
  co_return !ec;
}

asio::awaitable<bool> SendJson(beast::tcp_stream& stream, unsigned version, bool keep_alive,
                               int status, const std::string& body,
                               const std::string& retry_after = "") {
  http::response<http::string_body> response{static_cast<http::status>(status), version};
  response.set(http::field::content_type, "application/json");
  if (!retry_after.empty()) response.set(http::field::retry_after, retry_after);
  response.keep_alive(keep_alive);
  response.body() = body;
  response.prepare_payload();
  co_return co_await Write(stream, response);
}

asio::awaitable<void> Sleep(int ms) {
  if (ms <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(kTuple);
}

// Returns false when the connection must close.
asio::awaitable<bool> Handle(beast::tcp_stream& stream, http::request<http::string_body>& request) {
  const std::string path(request.target());
  const unsigned version = request.version();
  const bool keep_alive = request.keep_alive();

  if (path.rfind("/_mock/", 0) == 0) {
    std::lock_guard lock(state.mu);
    if (path == "/_mock/script" && request.method() == http::verb::post) {
      json script = json::parse(request.body(), nullptr, false);
      for (const json& entry : script.value("responses", json::array())) {
        state.script.push_back({entry.value("status", 200), entry.value("retry_after", ""),
                                entry.value("body", "")});
      }
    } else if (path == "/_mock/requests" && request.method() == http::verb::delete_) {
      state.requests.clear();
      state.by_authorization.clear();
      state.total = 0;
      state.streams_aborted = 0;
      state.script.clear();
    }
    json body;
    if (path == "/_mock/stats") {
      body = {{"total", state.total},
              {"by_authorization", state.by_authorization},
              {"streams_aborted", state.streams_aborted}};
    } else {
      body = {{"requests", json(std::vector<json>(state.requests.begin(), state.requests.end()))}};
    }
    http::response<http::string_body> response{http::status::ok, version};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(keep_alive);
    response.body() = body.dump();
    response.prepare_payload();
    co_return co_await Write(stream, response) && keep_alive;
  }

  const json parsed = json::parse(request.body(), nullptr, false);
  const std::string model = parsed.is_object() && parsed.contains("model") &&
                                    parsed["model"].is_string()
                                ? parsed["model"].get<std::string>()
                                : "";
  const bool streaming = parsed.is_object() && parsed.value("stream", false) == true;
  const bool include_usage = parsed.is_object() && parsed.contains("stream_options") &&
                             parsed["stream_options"].is_object() &&
                             parsed["stream_options"].value("include_usage", false) == true;
  Scripted answer;
  answer.status = HeaderInt(request, "x-mock-status", 200);
  answer.retry_after = Header(request, "x-mock-retry-after");
  int latency = 0;
  {
    std::lock_guard lock(state.mu);
    ++state.total;
    ++state.by_authorization[Header(request, "authorization")];
    if (state.record) {
      json headers = json::object();
      for (const auto& field : request) headers[std::string(field.name_string())] = field.value();
      state.requests.push_back({{"method", std::string(request.method_string())},
                                {"path", path},
                                {"headers", headers},
                                {"body", request.body()}});
      if (state.requests.size() > 2000) state.requests.pop_front();
    }
    if (!state.script.empty()) {
      answer = state.script.front();
      state.script.pop_front();
    }
    latency = HeaderInt(request, "x-mock-latency-ms", state.default_latency_ms);
  }
  co_await Sleep(latency);

  if (answer.status != 200 && answer.body.empty() && IsAnthropic(path)) {
    // Anthropic's error shape and types.
    const std::string type = answer.status == 429   ? "rate_limit_error"
                             : answer.status == 529 ? "overloaded_error"
                             : answer.status >= 500 ? "api_error"
                                                    : "invalid_request_error";
    answer.body = json{{"type", "error"},
                       {"error", {{"type", type},
                                  {"message", "mock error " + std::to_string(answer.status)}}}}
                      .dump();
  }
  if (answer.status != 200) {
    const std::string body =
        answer.body.empty()
            ? json{{"error", {{"message", "mock error " + std::to_string(answer.status)},
                              {"type", "mock_error"},
                              {"code", "mock_" + std::to_string(answer.status)}}}}
                  .dump()
            : answer.body;
    co_return co_await SendJson(stream, version, keep_alive, answer.status, body,
                                answer.retry_after) &&
        keep_alive;
  }
  if (!answer.body.empty()) {
    co_return co_await SendJson(stream, version, keep_alive, 200, answer.body) && keep_alive;
  }
  if (!streaming) {
    co_return co_await SendJson(stream, version, keep_alive, 200, Completion(path, model).dump()) &&
        keep_alive;
  }

  const int chunks = HeaderInt(request, "x-mock-chunks", 3);
  const int gap = HeaderInt(request, "x-mock-gap-ms", 0);
  const int fail_after = HeaderInt(request, "x-mock-fail-after", -1);
  http::response<http::empty_body> head{http::status::ok, version};
  head.set(http::field::content_type, "text/event-stream");
  head.keep_alive(keep_alive);
  head.chunked(true);
  http::response_serializer<http::empty_body> serializer(head);
  auto [head_ec, head_n] = co_await http::async_write_header(stream, serializer, kTuple);
  if (head_ec) co_return false;
  if (IsAnthropic(path)) {
    const std::string start =
        AnthropicEvent({{"type", "message_start"},
                        {"message", {{"id", "msg_mock"}, {"type", "message"},
                                     {"role", "assistant"}, {"content", json::array()},
                                     {"model", model}, {"stop_reason", nullptr},
                                     {"stop_sequence", nullptr},
                                     {"usage", {{"input_tokens", 5}, {"output_tokens", 1}}}}}}) +
        AnthropicEvent({{"type", "content_block_start"}, {"index", 0},
                        {"content_block", {{"type", "text"}, {"text", ""}}}});
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(start)), kTuple);
    if (ec) co_return false;
  }
  for (int i = 0; i < chunks; ++i) {
    if (i > 0) co_await Sleep(gap);
    if (i == fail_after) co_return false;  // drop the connection mid-stream
    const std::string data = Chunk(path, model, i);
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(data)), kTuple);
    if (ec) {
      std::lock_guard lock(state.mu);
      ++state.streams_aborted;
      co_return false;
    }
  }
  if (fail_after == chunks) co_return false;
  const std::string done =
      IsAnthropic(path)
          ? AnthropicEvent({{"type", "content_block_stop"}, {"index", 0}}) +
                AnthropicEvent({{"type", "message_delta"},
                                {"delta", {{"stop_reason", "end_turn"}, {"stop_sequence", nullptr}}},
                                {"usage", {{"output_tokens", chunks}}}}) +
                AnthropicEvent({{"type", "message_stop"}})
          : OpenAiStreamEnd(model, include_usage, chunks);
  auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(done)), kTuple);
  if (ec) co_return false;
  auto [last_ec, last_n] = co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
  co_return !last_ec && keep_alive;
}

asio::awaitable<void> Session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (ec) break;
    http::request<http::string_body> request = parser.release();
    if (!co_await Handle(stream, request)) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (ec) continue;
    socket.set_option(tcp::no_delay(true));
    const auto executor = socket.get_executor();
    asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
  }
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string listen = Flag(argc, argv, "listen", "127.0.0.1:0");
  const int threads = std::stoi(Flag(argc, argv, "threads", "2"));
  state.default_latency_ms = std::stoi(Flag(argc, argv, "latency-ms", "0"));
  state.record = Flag(argc, argv, "record", "true") == "true";
  const size_t colon = listen.rfind(':');
  asio::io_context io(threads);
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::make_address(listen.substr(0, colon)),
                               static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  std::cerr << "msg=listening addr=" << endpoint.address().to_string() << ":"
            << acceptor.local_endpoint().port() << std::endl;
  asio::co_spawn(io, Accept(acceptor), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& thread : pool) thread.join();
  return 0;
}
