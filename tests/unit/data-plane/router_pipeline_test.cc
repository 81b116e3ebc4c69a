// The attempt pipeline (router/) with a fake adapter and a fake upstream: retries, backoff,
// fallbacks, limiter slots, the overall deadline, isolated and unsupported providers, and
// stream endings. Runs the coroutines on a real io_context; no sockets.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <deque>

#include "data-plane/router/router.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// One scripted upstream answer.
struct Outcome {
  int status = 200;
  std::string body = "{}";
  absl::Status transport = absl::OkStatus();   // an error instead of an answer
  std::vector<std::string> chunks;             // streamed body pieces
  absl::Status stream_end = absl::OkStatus();  // how a stream ends after its chunks
};

class FakeUpstream : public UpstreamClient {
 public:
  std::deque<Outcome> script;
  std::vector<UpstreamRequest> seen;

  asio::awaitable<absl::StatusOr<UpstreamResponse>> Send(const UpstreamRequest& request) override {
    const Outcome outcome = Next(request);
    if (!outcome.transport.ok()) co_return outcome.transport;
    UpstreamResponse response;
    response.status = outcome.status;
    response.body = outcome.body;
    co_return response;
  }
  asio::awaitable<absl::Status> Stream(const UpstreamRequest& request,
                                       UpstreamSink& sink) override {
    const Outcome outcome = Next(request);
    if (!outcome.transport.ok()) co_return outcome.transport;
    if (!co_await sink.OnHead(outcome.status, {}, "")) co_return absl::CancelledError("gone");
    for (const std::string& chunk : outcome.chunks) {
      if (!co_await sink.OnData(chunk)) co_return absl::CancelledError("gone");
    }
    co_return outcome.stream_end;
  }

 private:
  Outcome Next(const UpstreamRequest& request) {
    seen.push_back(request);
    if (script.empty()) return Outcome{};
    Outcome outcome = script.front();
    script.pop_front();
    return outcome;
  }
};

// Upper-cases a streamed body; passes whole bodies through; 5xx and 429 retryable.
class FakeAdapter : public ProviderAdapter {
 public:
  bool translate_streams = false;
  std::string_view family() const override { return "fake"; }
  absl::Status Compile(const v1::ProviderConfig&, ProviderEntry*) const override {
    return absl::OkStatus();
  }
  absl::Status BuildRequest(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out) const override {
    out->target = "/fake/" + std::string(target.model);
    out->body = request.body.text;
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> TranslateResponse(const InferenceRequest&, const AttemptTarget&,
                                                std::string body) const override {
    return body;
  }
  class Upper : public StreamTranslator {
   public:
    absl::Status Feed(std::string_view in, std::string* out) override {
      for (char c : in) out->push_back(static_cast<char>(std::toupper(c)));
      return absl::OkStatus();
    }
    absl::Status Finish(std::string* out) override {
      out->append("data: [DONE]\n\n");
      return absl::OkStatus();
    }
  };
  std::unique_ptr<StreamTranslator> NewStreamTranslator(const InferenceRequest&,
                                                        const AttemptTarget&) const override {
    if (!translate_streams) return nullptr;
    return std::make_unique<Upper>();
  }
  UpstreamFailure ClassifyError(int status, std::string_view,
                                std::string_view body) const override {
    UpstreamFailure failure;
    failure.error = common::MakeApiError(status, "upstream_error", "x", std::string(body));
    failure.retryable = status >= 500 || status == 429;
    return failure;
  }
  std::vector<std::string> ListModels(const ProviderEntry&) const override { return {"m"}; }
};

class RecordingWriter : public ResponseWriter {
 public:
  int status = 0;
  std::string body;
  bool begun = false;
  bool ended = false;
  asio::awaitable<bool> Send(int s, HeaderList, std::string b) override {
    status = s;
    body = std::move(b);
    co_return true;
  }
  asio::awaitable<bool> Begin(int s, HeaderList, std::string_view first) override {
    status = s;
    begun = true;
    body.append(first);
    co_return true;
  }
  asio::awaitable<bool> Write(std::string_view data) override {
    body.append(data);
    co_return true;
  }
  asio::awaitable<bool> End(std::string_view last_data) override {
    body.append(last_data);
    ended = true;
    co_return true;
  }
};

class RouterPipelineTest : public ::testing::Test {
 protected:
  std::shared_ptr<ProviderEntry> Entry(std::string name, int max_retries = 0, int backoff_ms = 1,
                                       int concurrency = 10) {
    auto entry = std::make_shared<ProviderEntry>();
    entry->config.set_name(name);
    entry->config.set_config_hash("h-" + name);
    entry->config.mutable_network_config()->set_max_retries(max_retries);
    entry->config.mutable_network_config()->set_retry_backoff_initial(backoff_ms);
    entry->config.mutable_network_config()->set_retry_backoff_max(backoff_ms);
    entry->adapter = &adapter_;
    entry->state = ProviderEntry::State::kServed;
    entry->key_less = true;
    entry->proxy.type = "none";
    entry->timeout = milliseconds(5000);
    entry->limiter = std::make_shared<ProviderLimiter>(concurrency, concurrency);
    return entry;
  }

  void Table(std::vector<std::shared_ptr<ProviderEntry>> entries) {
    ProviderMap map;
    for (auto& entry : entries) map.Set(entry->config.name(), entry);
    table_ = RoutingTable::FromEntries(1, std::move(map));
  }

  RecordingWriter Serve(const std::string& body_json, bool stream = false,
                        milliseconds deadline = milliseconds(60000)) {
    Router router(&upstream_, &upstream_, 1, RouterOptions{deadline}, &metrics_);
    InferenceRequest request;
    request.request_type = stream ? "chat_completion_stream" : "chat_completion";
    request.stream = stream;
    auto parsed = BodyFor(body_json);
    request.body = parsed;
    RecordingWriter writer;
    asio::io_context io;
    asio::co_spawn(io, router.Serve(*table_, request, writer), asio::detached);
    io.run();
    return writer;
  }

  // Minimal body: the router reads only model and fallbacks.
  static RequestBody BodyFor(const std::string& model_and_fallbacks) {
    RequestBody body;
    body.text = model_and_fallbacks;
    const size_t bar = model_and_fallbacks.find('|');
    body.model = model_and_fallbacks.substr(0, bar);
    if (bar != std::string::npos) body.fallbacks.push_back(model_and_fallbacks.substr(bar + 1));
    return body;
  }

  FakeAdapter adapter_;
  FakeUpstream upstream_;
  RequestMetrics metrics_;
  std::shared_ptr<const RoutingTable> table_;
};

TEST_F(RouterPipelineTest, RetriesRetryableFailuresThenAnswers) {
  Table({Entry("p", /*max_retries=*/2)});
  upstream_.script = {{.status = 500},
                      {.transport = absl::UnavailableError("reset")},
                      {.status = 200, .body = "ok"}};
  RecordingWriter writer = Serve("p/m");
  EXPECT_EQ(writer.status, 200);
  EXPECT_EQ(writer.body, "ok");
  ASSERT_EQ(upstream_.seen.size(), 3u);
  EXPECT_EQ(upstream_.seen[0].target, "/fake/m");
  RequestCounters counters;
  metrics_.AddTo(&counters);
  EXPECT_EQ(counters.attempts, 3u);
  EXPECT_EQ(counters.retries, 2u);
}

TEST_F(RouterPipelineTest, DoesNotRetryClientErrorsAndFallsBack) {
  Table({Entry("p", 3), Entry("q")});
  upstream_.script = {{.status = 400, .body = "bad"}, {.status = 200, .body = "from q"}};
  RecordingWriter writer = Serve("p/m|q/n");
  EXPECT_EQ(writer.status, 200);
  EXPECT_EQ(writer.body, "from q");
  EXPECT_EQ(upstream_.seen.size(), 2u);

  // Every candidate failing: the client sees the primary's error.
  upstream_.seen.clear();
  upstream_.script = {{.status = 400, .body = "primary"}, {.status = 404, .body = "fallback"}};
  writer = Serve("p/m|q/n");
  EXPECT_EQ(writer.status, 400);
  EXPECT_NE(writer.body.find("primary"), std::string::npos);
}

TEST_F(RouterPipelineTest, NoSlotIsHeldWhileWaitingToRetry) {
  auto entry = Entry("p", /*max_retries=*/1, /*backoff_ms=*/300, /*concurrency=*/1);
  Table({entry});
  upstream_.script = {{.status = 503}, {.status = 200, .body = "ok"}};
  Router router(&upstream_, &upstream_, 1, RouterOptions{}, &metrics_);
  InferenceRequest request;
  request.request_type = "chat_completion";
  request.body = BodyFor("p/m");
  RecordingWriter writer;
  asio::io_context io;
  int64_t in_flight_during_backoff = -1;
  asio::co_spawn(io, router.Serve(*table_, request, writer), asio::detached);
  asio::steady_timer probe(io, milliseconds(100));
  probe.async_wait([&](auto) { in_flight_during_backoff = entry->limiter->in_flight(); });
  io.run();
  EXPECT_EQ(in_flight_during_backoff, 0);
  EXPECT_EQ(writer.status, 200);
  EXPECT_EQ(entry->limiter->in_flight(), 0);
}

TEST_F(RouterPipelineTest, OneOverallDeadlineBoundsRetriesAndFallbacks) {
  Table({Entry("p", /*max_retries=*/100, /*backoff_ms=*/40), Entry("q", 100, 40)});
  for (int i = 0; i < 1000; ++i) upstream_.script.push_back({.status = 500});
  const auto start = std::chrono::steady_clock::now();
  RecordingWriter writer = Serve("p/m|q/n", false, milliseconds(200));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(writer.status, 500);
  EXPECT_LT(elapsed, milliseconds(1500));
  EXPECT_LT(upstream_.seen.size(), 20u);                        // not 202 attempts
  EXPECT_LE(upstream_.seen.back().timeout, milliseconds(200));  // attempts within the deadline
}

TEST_F(RouterPipelineTest, IsolatedProvidersAre503AndUnsupportedFamilies501) {
  auto broken = Entry("broken");
  broken->state = ProviderEntry::State::kBroken;
  broken->unserved_reason = "network_config.base_url has a bad port";
  auto unsupported = Entry("later");
  unsupported->state = ProviderEntry::State::kUnsupported;
  unsupported->unserved_reason = "not supported yet";
  Table({broken, unsupported, Entry("ok")});
  RecordingWriter writer = Serve("broken/m");
  EXPECT_EQ(writer.status, 503);
  EXPECT_NE(writer.body.find("bad port"), std::string::npos);
  EXPECT_EQ(Serve("later/m").status, 501);
  EXPECT_EQ(Serve("ok/m").status, 200);
  EXPECT_EQ(Serve("broken/m|ok/m").status, 200);  // a fallback still serves
  EXPECT_EQ(Serve("nobody/m").status, 400);
}

TEST_F(RouterPipelineTest, StreamsPassThroughOrTranslateAndEndWithAnErrorEventWhenCut) {
  Table({Entry("p")});
  upstream_.script = {{.chunks = {"data: a\n\n", "data: b\n\n"}}};
  RecordingWriter plain = Serve("p/m", /*stream=*/true);
  EXPECT_TRUE(plain.begun && plain.ended);
  EXPECT_EQ(plain.body, "data: a\n\ndata: b\n\n");

  adapter_.translate_streams = true;
  upstream_.script = {{.chunks = {"data: a\n\n"}}};
  RecordingWriter translated = Serve("p/m", true);
  EXPECT_EQ(translated.body, "DATA: A\n\ndata: [DONE]\n\n");

  // Issue 8 (b): silence past the idle timeout ends the stream with an error event.
  upstream_.script = {{.chunks = {"data: a\n\n"},
                       .stream_end = absl::DeadlineExceededError("stream idle timeout")}};
  RecordingWriter cut = Serve("p/m", true);
  EXPECT_TRUE(cut.ended);
  EXPECT_NE(cut.body.find("stream from provider interrupted"), std::string::npos);
  EXPECT_NE(cut.body.find("stream idle timeout"), std::string::npos);
  EXPECT_NE(cut.body.find("\"status_code\":504"), std::string::npos) << cut.body;
}

}  // namespace
}  // namespace switchyard::dp
