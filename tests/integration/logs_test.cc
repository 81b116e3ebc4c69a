// Request logs end to end (issue 20): real data planes record every request, ship the records
// over gRPC to a real control plane, which stores them in PostgreSQL's day partitions and
// answers /api/logs (and LogsAdmin) with them. Providers are the mock provider.
#include <gtest/gtest.h>
#include <grpcpp/grpcpp.h>

#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <set>
#include <thread>

#include "switchyard/v1/distribution.grpc.pb.h"
#include "switchyard/v1/logs.grpc.pb.h"
#include "tests/integration/control_plane_fixture.h"
#include "tests/support/jwt_signer.h"

namespace switchyard::testing {
namespace {

using nlohmann::json;

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kKeyValue[] = "sk-logs-secret-value-123";

class LogsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    postgres_ = PostgresServer::Start();
    // (Per process: another run of the suite must not rewrite this one's keys.)
    jwks_ = (std::filesystem::temp_directory_path() /
             ("switchyard-logs-jwks-" + std::to_string(getpid()) + ".json"))
                .string();
    std::ofstream(jwks_) << Jwks({&jwt_key_});
    control_plane_ = std::make_unique<ControlPlane>(ControlPlane::Start(
        postgres_->dsn(), {"--admin-jwks-file=" + jwks_, "--admin-jwt-issuer=https://idp.example",
                           "--admin-jwt-audience=switchyard-admin", "--admin-jwt-role-claim=roles"}));
    ASSERT_TRUE(control_plane_->listening()) << control_plane_->process.Log();
    mock_ = std::make_unique<Process>(Process::Start(SWITCHYARD_MOCK_PROVIDER_BIN, {}));
    mock_address_ = AddressIn(mock_->WaitForLine("msg=listening"));
    plane_ = std::make_unique<DataPlane>(
        DataPlane::Start(control_plane_->grpc, "dp-logs", {}, {{"KEY_A", kKeyValue}}));
    ASSERT_FALSE(plane_->http.empty()) << plane_->process.Log();
    PutProvider(json::object());
  }
  static void TearDownTestSuite() {
    std::filesystem::remove(jwks_);
    plane_.reset();
    mock_.reset();
    control_plane_.reset();
    postgres_.reset();
  }
  void SetUp() override { HttpCall("DELETE", mock_address_, "/_mock/requests"); }

  // The openai provider on the mock, with `extra` fields (and max_retries 2).
  static void PutProvider(const json& extra) {
    json body{{"keys", json::array({{{"name", "key-a"}, {"value", "env.KEY_A"}, {"models", {"*"}}}})},
              {"network_config",
               {{"base_url", "http://" + mock_address_}, {"max_retries", 2},
                {"retry_backoff_initial", 1}, {"retry_backoff_max", 2}}}};
    body.update(extra);
    HttpResult put = Admin(*control_plane_, "PUT", "/api/providers/openai", body.dump());
    ASSERT_LT(put.status, 300) << put.body;
    const int64_t revision = std::stoll(put.Header("x-switchyard-revision"));
    ASSERT_TRUE(Eventually([&] {
      return plane_->Config().value("revision", int64_t{0}) >= revision;
    }));
  }

  static HttpResult Post(const std::string& path, const json& body,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    return HttpCall("POST", plane_->http, path, body.dump(), headers);
  }
  static json Chat(const std::string& model, const std::string& content = "hi") {
    return {{"model", model}, {"messages", json::array({{{"role", "user"}, {"content", content}}})}};
  }
  static HttpResult Logs(const std::string& query, const std::string& authorization = "") {
    return HttpCall("GET", control_plane_->rest, "/api/logs" + query, "",
                    {{"Authorization", authorization.empty()
                                           ? std::string("Bearer ") + kAdminToken
                                           : authorization}});
  }
  // The record of request `id`, once it arrived (discarded value when it never did).
  static json Record(const std::string& id, const std::string& authorization = "") {
    json found;
    Eventually([&] {
      HttpResult result = Logs("/" + id, authorization);
      if (result.status != 200) return false;
      found = JsonOf(result);
      return true;
    });
    return found;
  }
  // The number of matching records (-1 when the API does not answer one).
  static int Count(const std::string& query) {
    const HttpResult result = Logs(query);
    if (result.status != 200) return -1;
    return JsonOf(result)["pagination"].value("total_count", -1);
  }
  static std::string Viewer() {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return "Bearer " + jwt_key_.Sign({{"iss", "https://idp.example"}, {"aud", "switchyard-admin"},
                                      {"sub", "vera"}, {"iat", now}, {"exp", now + 600},
                                      {"roles", {"viewer"}}});
  }

  static inline std::unique_ptr<PostgresServer> postgres_;
  static inline std::unique_ptr<ControlPlane> control_plane_;
  static inline std::unique_ptr<Process> mock_;
  static inline std::string mock_address_;
  static inline std::unique_ptr<DataPlane> plane_;
  static inline const TestJwtKey jwt_key_ = TestJwtKey::Ec("logs");
  static inline std::string jwks_;
};

// Points 1 and 4: a record per request on every surface, with what the issue lists; the id
// is the response's x-request-id (the client's own kept); the caller's trace continues
// upstream and finds the record.
TEST_F(LogsTest, EverySurfaceRecordsItsRequestsWithTheirTrace) {
  const std::string traceparent = std::string("00-") + kTraceId + "-00f067aa0ba902b7-01";
  HttpResult plain = Post("/v1/chat/completions", Chat("openai/gpt-4o"),
                          {{"x-request-id", "client-id-1"}, {"traceparent", traceparent},
                           {"tracestate", "vendor=1"}});
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(plain.Header("x-request-id"), "client-id-1");
  json record = Record("client-id-1");
  ASSERT_TRUE(record.is_object());
  EXPECT_EQ(record["route"], "/v1/chat/completions");
  EXPECT_EQ(record["surface"], "openai");
  EXPECT_EQ(record["request_type"], "chat_completion");
  EXPECT_EQ(record["requested_provider"], "openai");
  EXPECT_EQ(record["provider"], "openai");
  EXPECT_EQ(record["model"], "gpt-4o");
  EXPECT_EQ(record["fallback_index"], 0);
  EXPECT_EQ(record["selected_key_name"], "key-a");
  EXPECT_EQ(record["status"], "success");
  EXPECT_EQ(record["status_code"], 200);
  EXPECT_EQ(record["attempts"], 1);
  EXPECT_EQ(record["number_of_retries"], 0);
  EXPECT_EQ(record["token_usage"]["prompt_tokens"], 5);
  EXPECT_EQ(record["token_usage"]["completion_tokens"], 4);
  EXPECT_EQ(record["token_usage"]["total_tokens"], 9);
  EXPECT_FALSE(record.contains("cost"));  // no price configured
  EXPECT_EQ(record["stream"], false);
  EXPECT_EQ(record["node_id"], "dp-logs");
  EXPECT_TRUE(record["client_address"].get<std::string>().starts_with("127.0.0.1:"));
  EXPECT_GT(record["latency"].get<double>(), 0);
  EXPECT_GT(record["time_to_first_byte"].get<double>(), 0);
  EXPECT_LE(record["time_to_first_byte"].get<double>(), record["latency"].get<double>());
  EXPECT_EQ(record["trace_id"], kTraceId);
  EXPECT_EQ(record["tracestate"], "vendor=1");
  EXPECT_EQ(record["raw_request"], "");  // store_raw_request_response is off
  EXPECT_TRUE(record["timestamp"].get<std::string>().ends_with("Z"));
  // Upstream got the same trace with this gateway's span.
  const json received = JsonOf(HttpCall("GET", mock_address_, "/_mock/requests"))["requests"];
  ASSERT_EQ(received.size(), 1u);
  const std::string upstream = received[0]["headers"].value("traceparent", "");
  EXPECT_EQ(upstream, record["traceparent"]);
  EXPECT_TRUE(upstream.starts_with(std::string("00-") + kTraceId + "-")) << upstream;
  EXPECT_EQ(upstream.find("00f067aa0ba902b7"), std::string::npos);  // a span of our own
  EXPECT_EQ(received[0]["headers"].value("tracestate", ""), "vendor=1");
  // The caller's trace id finds it.
  const json by_trace = JsonOf(Logs(std::string("?trace_id=") + kTraceId));
  ASSERT_EQ(by_trace["logs"].size(), 1u);
  EXPECT_EQ(by_trace["logs"][0]["id"], "client-id-1");

  // Without a traceparent a trace starts; without an x-request-id one is made.
  json stream_body = Chat("openai/gpt-4o");
  stream_body["stream"] = true;
  stream_body["stream_options"] = {{"include_usage", true}};
  HttpResult streamed = Post("/v1/chat/completions", stream_body);
  ASSERT_EQ(streamed.status, 200);
  const std::string stream_id = streamed.Header("x-request-id");
  ASSERT_EQ(stream_id.size(), 36u) << stream_id;  // a UUID
  record = Record(stream_id);
  EXPECT_EQ(record["request_type"], "chat_completion_stream");
  EXPECT_EQ(record["stream"], true);
  EXPECT_EQ(record["status"], "success");
  EXPECT_EQ(record["token_usage"]["prompt_tokens"], 5);
  EXPECT_EQ(record["trace_id"].get<std::string>().size(), 32u);
  EXPECT_NE(record["trace_id"], kTraceId);

  // The native surfaces, each through its translating route to the same provider.
  struct Native {
    std::string path;
    json body;
    std::string surface;
  };
  const std::vector<Native> natives = {
      {"/anthropic/v1/messages",
       {{"model", "openai/gpt-4o"}, {"max_tokens", 16},
        {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}},
       "anthropic"},
      {"/genai/v1beta/models/openai%2Fgpt-4o:generateContent",
       {{"contents", json::array({{{"role", "user"}, {"parts", json::array({{{"text", "hi"}}})}}})}},
       "genai"},
      {"/bedrock/model/openai%2Fgpt-4o/converse",
       {{"messages", json::array({{{"role", "user"}, {"content", json::array({{{"text", "hi"}}})}}})}},
       "bedrock"},
      {"/cohere/v2/chat", Chat("openai/gpt-4o"), "cohere"},
  };
  for (const Native& native : natives) {
    HttpResult answer = Post(native.path, native.body);
    ASSERT_EQ(answer.status, 200) << native.path << " " << answer.body;
    record = Record(answer.Header("x-request-id"));
    ASSERT_TRUE(record.is_object()) << native.path;
    EXPECT_EQ(record["surface"], native.surface);
    EXPECT_EQ(record["route"], native.path);
    EXPECT_EQ(record["provider"], "openai") << native.path;
    EXPECT_EQ(record["model"], "gpt-4o") << native.path;
    EXPECT_EQ(record["status"], "success") << native.path;
    EXPECT_EQ(record["token_usage"]["total_tokens"], 9) << native.path;
  }
}

// Point 1: failed, retried and fallback requests carry what happened.
TEST_F(LogsTest, FailedRetriedAndFallbackRequestsSayWhatHappened) {
  // Retried: two 500s, then an answer.
  HttpCall("POST", mock_address_, "/_mock/script",
           json{{"responses", json::array({{{"status", 500}}, {{"status", 500}}})}}.dump());
  HttpResult retried = Post("/v1/chat/completions", Chat("openai/gpt-4o"));
  ASSERT_EQ(retried.status, 200) << retried.body;
  json record = Record(retried.Header("x-request-id"));
  EXPECT_EQ(record["attempts"], 3);
  EXPECT_EQ(record["number_of_retries"], 2);
  EXPECT_EQ(record["status"], "success");

  // Failed: the provider refuses (not retried), the record has the client's error.
  HttpResult failed = Post("/v1/chat/completions", Chat("openai/gpt-4o"),
                           {{"x-bf-eh-x-mock-status", "400"}});
  ASSERT_EQ(failed.status, 400);
  record = Record(failed.Header("x-request-id"));
  EXPECT_EQ(record["status"], "error");
  EXPECT_EQ(record["status_code"], 400);
  EXPECT_FALSE(record["error_details"]["message"].get<std::string>().empty()) << record.dump();
  EXPECT_EQ(record["provider"], "openai");

  // Fallback: the first model's provider does not exist; the first fallback answers.
  json body = Chat("missing/gpt-x");
  body["fallbacks"] = {"openai/gpt-4o-mini"};
  HttpResult fallback = Post("/v1/chat/completions", body);
  ASSERT_EQ(fallback.status, 200) << fallback.body;
  record = Record(fallback.Header("x-request-id"));
  EXPECT_EQ(record["requested_provider"], "missing");
  EXPECT_EQ(record["requested_model"], "gpt-x");
  EXPECT_EQ(record["provider"], "openai");
  EXPECT_EQ(record["model"], "gpt-4o-mini");
  EXPECT_EQ(record["fallback_index"], 1);

  // Refused before any provider: a malformed body.
  HttpResult bad = HttpCall("POST", plane_->http, "/v1/chat/completions", "{not json");
  ASSERT_EQ(bad.status, 400);
  record = Record(bad.Header("x-request-id"));
  EXPECT_EQ(record["status"], "error");
  EXPECT_EQ(record["error_details"]["type"], "invalid_request_error");

  // A stream cut by the provider midway: an error in a 200 stream.
  json stream_body = Chat("openai/gpt-4o");
  stream_body["stream"] = true;
  HttpResult cut = Post("/v1/chat/completions", stream_body, {{"x-bf-eh-x-mock-fail-after", "1"}});
  ASSERT_EQ(cut.status, 200);
  record = Record(cut.Header("x-request-id"));
  EXPECT_EQ(record["status"], "error");
  EXPECT_EQ(record["status_code"], 200);
  EXPECT_NE(record["error_details"]["message"].get<std::string>().find("interrupted"),
            std::string::npos)
      << record.dump();
}

// Point 1: raw bodies only with store_raw_request_response (or its header), secrets
// redacted, capped at raw_log_max_bytes; only the admin role reads them.
TEST_F(LogsTest, RawBodiesOnlyWhenAskedRedactedAndForAdminsOnly) {
  const std::string leaky = std::string("my key is ") + kKeyValue;
  HttpResult off = Post("/v1/chat/completions", Chat("openai/gpt-4o", leaky));
  ASSERT_EQ(off.status, 200);
  json record = Record(off.Header("x-request-id"));
  EXPECT_EQ(record["raw_request"], "");
  EXPECT_EQ(record["raw_response"], "");
  EXPECT_EQ(Count("?content_search=my%20key"), 0);  // nothing kept to search

  PutProvider({{"store_raw_request_response", true}});
  HttpResult on = Post("/v1/chat/completions", Chat("openai/gpt-4o", leaky));
  ASSERT_EQ(on.status, 200);
  const std::string id = on.Header("x-request-id");
  record = Record(id);
  const std::string raw_request = record["raw_request"];
  EXPECT_NE(raw_request.find("my key is <REDACTED>"), std::string::npos) << raw_request;
  EXPECT_EQ(raw_request.find(kKeyValue), std::string::npos);
  EXPECT_NE(record["raw_response"].get<std::string>().find("Hello from the mock"), std::string::npos);
  EXPECT_EQ(record["raw_truncated"], false);
  EXPECT_EQ(JsonOf(Logs("?content_search=my%20key%20is"))["logs"][0]["id"], id);
  // A stream's answer: its events joined, as the provider sent them.
  json stream_body = Chat("openai/gpt-4o", leaky);
  stream_body["stream"] = true;
  HttpResult streamed = Post("/v1/chat/completions", stream_body);
  ASSERT_EQ(streamed.status, 200);
  const json stream_record = Record(streamed.Header("x-request-id"));
  const std::string raw_stream = stream_record["raw_response"];
  EXPECT_NE(raw_stream.find("data: {"), std::string::npos) << raw_stream;
  EXPECT_NE(raw_stream.find("data: [DONE]"), std::string::npos) << raw_stream;
  EXPECT_NE(stream_record["raw_request"].get<std::string>().find("<REDACTED>"), std::string::npos);
  // The whole record never holds the secret, through any API.
  EXPECT_EQ(Logs("?limit=1000").body.find(kKeyValue), std::string::npos);
  // A viewer reads the record, not its bodies.
  const json as_viewer = Record(id, Viewer());
  EXPECT_EQ(as_viewer["id"], id);
  EXPECT_EQ(as_viewer["raw_request"], "");
  EXPECT_EQ(as_viewer["raw_response"], "");

  // A per-request "false" wins over the provider; a small cap truncates.
  HttpResult skipped = Post("/v1/chat/completions", Chat("openai/gpt-4o"),
                            {{"x-bf-store-raw-request-response", "false"}});
  EXPECT_EQ(Record(skipped.Header("x-request-id"))["raw_request"], "");
  PutProvider({{"store_raw_request_response", true}, {"raw_log_max_bytes", 20}});
  HttpResult capped = Post("/v1/chat/completions", Chat("openai/gpt-4o", leaky));
  record = Record(capped.Header("x-request-id"));
  EXPECT_EQ(record["raw_request"].get<std::string>().size(), 20u);
  EXPECT_EQ(record["raw_truncated"], true);
  HttpResult refused = Admin(*control_plane_, "PUT", "/api/providers/openai",
                             json{{"keys", json::array({{{"name", "k"}, {"value", "env.KEY_A"}}})},
                                  {"raw_log_max_bytes", 0}}
                                 .dump());
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("raw_log_max_bytes"), std::string::npos);
  PutProvider(json::object());
}

// Point 1: the virtual key's name (never its value) and the cost at the configured price;
// a client that leaves mid-stream still leaves a record; a failed request's warning in the
// data plane's log names the request id and trace id (point 4).
TEST_F(LogsTest, KeysCostsDepartedClientsAndFailureLines) {
  HttpResult key = Admin(*control_plane_, "POST", "/api/governance/virtual-keys",
                         json{{"name", "team-ml"}}.dump());
  ASSERT_EQ(key.status, 201) << key.body;
  const std::string value = JsonOf(key)["value"];
  HttpResult price = Admin(*control_plane_, "POST", "/api/governance/pricing",
                           json{{"provider", "openai"}, {"model", "gpt-priced"},
                                {"input_per_million", 1000000}, {"output_per_million", 2000000}}
                               .dump());
  ASSERT_EQ(price.status, 201) << price.body;
  const int64_t revision = std::stoll(price.Header("x-switchyard-revision"));
  ASSERT_TRUE(Eventually([&] { return plane_->Config().value("revision", int64_t{0}) >= revision; }));
  ASSERT_EQ(Post("/v1/chat/completions", Chat("openai/gpt-priced"), {{"x-bf-vk", value}}).status, 200);
  HttpResult priced = Post("/v1/chat/completions", Chat("openai/gpt-priced"), {{"x-bf-vk", value}});
  json record = Record(priced.Header("x-request-id"));
  EXPECT_EQ(record["virtual_key_name"], "team-ml");
  EXPECT_EQ(record["virtual_key_id"], JsonOf(key)["id"]);
  EXPECT_DOUBLE_EQ(record["cost"].get<double>(), 5 * 1.0 + 4 * 2.0);  // 5 in, 4 out, $ per token
  EXPECT_EQ(Logs("?limit=1000").body.find(value), std::string::npos);
  EXPECT_GE(Count("?virtual_key_names=team-ml"), 2);
  EXPECT_EQ(Count("?virtual_key_names=team-ml&models=gpt-4o"), 0);
  EXPECT_GE(Count("?virtual_key_ids=" + JsonOf(key)["id"].get<std::string>()), 2);
  EXPECT_GE(Count("?min_cost=12.5&max_cost=13.5"), 1);

  // A client that reads the first event of a slow stream and hangs up.
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    const size_t colon = plane_->http.rfind(':');
    socket.connect({boost::asio::ip::make_address(plane_->http.substr(0, colon)),
                    static_cast<uint16_t>(std::stoi(plane_->http.substr(colon + 1)))});
    json body = Chat("openai/gpt-departed");
    body["stream"] = true;
    const std::string text = body.dump();
    const std::string request =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "x-request-id: departed-1\r\nx-bf-eh-x-mock-chunks: 50\r\nx-bf-eh-x-mock-gap-ms: 100\r\n"
        "Content-Length: " + std::to_string(text.size()) + "\r\n\r\n" + text;
    boost::asio::write(socket, boost::asio::buffer(request));
    char some[256];
    socket.read_some(boost::asio::buffer(some));  // the head and the first event
  }
  record = Record("departed-1");
  ASSERT_TRUE(record.is_object());
  EXPECT_EQ(record["status"], "error");
  EXPECT_EQ(record["status_code"], 200);
  EXPECT_EQ(record["stream"], true);
  EXPECT_EQ(record["error_details"]["type"], "client_closed_request") << record.dump();
  EXPECT_LT(record["latency"].get<double>(), 3000);  // not the 5 s the whole stream takes

  // A failed request's warning names it and its trace.
  const std::string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  HttpResult failed = Post("/v1/chat/completions", Chat("openai/gpt-4o"),
                           {{"traceparent", traceparent}, {"x-bf-eh-x-mock-status", "503"}});
  ASSERT_GE(failed.status, 500);
  const std::string line = plane_->process.WaitForLine("trace_id=0af7651916cd43dd8448eb211c80319c");
  EXPECT_NE(line.find("request failed"), std::string::npos) << line;
  EXPECT_NE(line.find("request_id=" + failed.Header("x-request-id")), std::string::npos) << line;
}

// Point 3: Bifrost's filters, cursor and offset paging, stats; bad filters are refused with
// a message naming them; the gRPC API answers the same.
TEST_F(LogsTest, FiltersPagesAndStats) {
  const std::string start = JsonOf(Logs("?limit=1"))["logs"].empty()
                                ? "1970-01-01T00:00:00Z"
                                : "1970-01-01T00:00:00Z";
  std::set<std::string> mine;
  for (int i = 0; i < 12; ++i) {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"x-request-id", "page-" + std::to_string(i)}};
    if (i % 4 == 0) headers.emplace_back("x-bf-eh-x-mock-status", "400");
    HttpResult result = Post("/v1/chat/completions", Chat("openai/gpt-page"), headers);
    ASSERT_EQ(result.status, i % 4 == 0 ? 400 : 200);
    mine.insert("page-" + std::to_string(i));
  }
  ASSERT_TRUE(Eventually([] { return Count("?models=gpt-page") == 12; }));
  // Pages of 5 by cursor: every record once, newest first.
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 4; ++page) {
    const json body = JsonOf(Logs("?models=gpt-page&limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor)));
    EXPECT_EQ(body["pagination"]["total_count"], 12);
    for (const json& log : body["logs"]) seen.push_back(log["id"]);
    cursor = body["next_cursor"];
    if (cursor.empty()) break;
  }
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), mine);
  EXPECT_EQ(seen.front(), "page-11");
  EXPECT_EQ(seen.back(), "page-0");
  // Bifrost's offset paging.
  EXPECT_EQ(JsonOf(Logs("?models=gpt-page&limit=2&offset=10"))["logs"][1]["id"], "page-0");
  // Filters.
  EXPECT_EQ(Count("?models=gpt-page&status=error"), 3);
  EXPECT_EQ(Count("?models=gpt-page,other&status=success"), 9);
  EXPECT_EQ(Count("?models=gpt-page&providers=openai&min_tokens=9&max_tokens=9"), 9);
  EXPECT_EQ(Count("?models=gpt-page&providers=anthropic"), 0);
  EXPECT_EQ(Count("?models=gpt-page&min_latency=0&max_latency=600000"), 12);
  EXPECT_EQ(Count("?models=gpt-page&max_latency=0"), 0);
  EXPECT_EQ(Count("?models=gpt-page&node_ids=dp-logs"), 12);
  EXPECT_EQ(Count("?models=gpt-page&start_time=" + start + "&end_time=2999-01-01T00:00:00Z"), 12);
  EXPECT_EQ(Count("?models=gpt-page&end_time=2000-01-01T00:00:00Z"), 0);
  const json stats = JsonOf(Logs("/stats?models=gpt-page"));
  EXPECT_EQ(stats["total_requests"], 12);
  EXPECT_EQ(stats["errors"], 3);
  EXPECT_DOUBLE_EQ(stats["error_rate"].get<double>(), 25.0);
  EXPECT_GT(stats["latency_p99"].get<double>(), 0);
  EXPECT_EQ(stats["prompt_tokens"], 45);
  ASSERT_EQ(stats["by_provider_model"].size(), 1u);
  EXPECT_EQ(stats["by_provider_model"][0]["requests"], 12);
  // Bad input: 400 in Bifrost's envelope, naming the field.
  for (const std::string& bad : {"?limit=0", "?limit=5000", "?start_time=yesterday",
                                 "?status=maybe", "?min_latency=fast", "?cursor=nope",
                                 "?sort_by=cost", "?colour=red"}) {
    HttpResult result = Logs(bad);
    EXPECT_EQ(result.status, 400) << bad << " " << result.body;
    const std::string field = bad.substr(1, bad.find('=') - 1);
    EXPECT_NE(JsonOf(result)["error"]["message"].get<std::string>().find(field), std::string::npos)
        << bad << " " << result.body;
  }
  EXPECT_EQ(Logs("/no-such-id").status, 404);
  EXPECT_EQ(HttpCall("GET", control_plane_->rest, "/api/logs").status, 401);

  // gRPC: the same search, and the viewer may call it.
  auto stub = v1::LogsAdmin::NewStub(
      grpc::CreateChannel(control_plane_->grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", Viewer());
  v1::SearchLogsRequest search;
  search.mutable_filter()->add_models("gpt-page");
  search.mutable_filter()->add_status("error");
  v1::SearchLogsResponse found;
  ASSERT_TRUE(stub->SearchLogs(&context, search, &found).ok());
  EXPECT_EQ(found.total_count(), 3);
  ASSERT_EQ(found.logs_size(), 3);
  EXPECT_EQ(found.logs(0).id(), "page-8");
  grpc::ClientContext get_context;
  get_context.AddMetadata("authorization", Viewer());
  v1::GetLogRequest get;
  get.set_id("page-4");
  v1::RequestLog one;
  ASSERT_TRUE(stub->GetLog(&get_context, get, &one).ok());
  EXPECT_EQ(one.status_code(), 400);
  grpc::ClientContext stats_context;
  stats_context.AddMetadata("authorization", Viewer());
  v1::LogStatsRequest stats_request;
  stats_request.mutable_filter()->add_models("gpt-page");
  v1::LogStatsResponse grpc_stats;
  ASSERT_TRUE(stub->GetLogStats(&stats_context, stats_request, &grpc_stats).ok());
  EXPECT_EQ(grpc_stats.total_requests(), 12);
  EXPECT_EQ(grpc_stats.errors(), 3);
  grpc::ClientContext missing_context;
  missing_context.AddMetadata("authorization", Viewer());
  get.set_id("no-such-id");
  EXPECT_EQ(stub->GetLog(&missing_context, get, &one).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext bad_context;
  bad_context.AddMetadata("authorization", std::string("Bearer ") + kAdminToken);
  search.set_limit(-1);
  EXPECT_EQ(stub->SearchLogs(&bad_context, search, &found).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Point 2: a control plane that stops reading costs at most the data plane's queue; the
// data plane keeps serving, memory stays bounded, and the backlog arrives once it reads
// again. SIGTERM flushes what is queued.
TEST_F(LogsTest, AStalledControlPlaneCostsAtMostTheQueueAndSigtermFlushes) {
  DataPlane small = DataPlane::Start(control_plane_->grpc, "dp-small",
                                     {"--log-queue-records=40"}, {{"KEY_A", kKeyValue}});
  ASSERT_FALSE(small.http.empty()) << small.process.Log();
  ASSERT_TRUE(Eventually([&] { return small.Config().value("ready", false); }));
  ASSERT_EQ(HttpCall("POST", small.http, "/v1/chat/completions", Chat("openai/gpt-warm").dump()).status,
            200);
  ASSERT_TRUE(Eventually([] { return Count("?models=gpt-warm") == 1; }));

  control_plane_->process.Signal(SIGSTOP);
  // Requests in batches until records are dropped (at least 400, at most 4,000): beyond the
  // queue, records first fill the gRPC stream's buffers (its flow-control window and the
  // sockets', sized by what the stream carried before), so the count it takes varies by run;
  // 400 were not enough in a sanitizer run beside a build.
  constexpr int kBatch = 200;
  constexpr int kMaxRequests = 4000;
  int requests = 0;
  double dropped = 0;
  HttpConnection connection(small.http);  // (records queued in the requests' order)
  while (requests < kMaxRequests && (requests < 400 || dropped == 0)) {
    for (int i = 0; i < kBatch; ++i, ++requests) {
      HttpResult result = connection.Call("POST", "/v1/chat/completions",
                                          Chat("openai/gpt-stalled").dump(),
                                          {{"x-request-id", "stalled-" + std::to_string(requests)}});
      ASSERT_EQ(result.status, 200) << requests << " " << result.body;  // serving goes on
    }
    dropped = small.Metric("switchyard_log_records_dropped_total");
  }
  EXPECT_GT(dropped, 0);
  EXPECT_LE(small.Metric("switchyard_log_records_queued"), 40);
  control_plane_->process.Signal(SIGCONT);
  // Everything not dropped arrives (the gRPC buffers held a few beyond the queue).
  ASSERT_TRUE(Eventually([&] {
    return Count("?models=gpt-stalled") == requests - static_cast<int>(
                                                       small.Metric("switchyard_log_records_dropped_total"));
  }, std::chrono::seconds(30)))
      << Count("?models=gpt-stalled") << " stored, "
      << small.Metric("switchyard_log_records_dropped_total") << " dropped";
  EXPECT_GE(Count("?models=gpt-stalled"), 40);
  // In order: the records went into the table (heap order: appended) in the order the
  // requests were made, the first one (queued while the queue was empty) among them.
  const auto rows = Sql(postgres_->dsn(),
                        "SELECT id FROM request_logs WHERE model = 'gpt-stalled' ORDER BY ctid");
  std::vector<int> inserted;
  for (const auto& row : rows) inserted.push_back(std::stoi(row[0].substr(8)));
  ASSERT_FALSE(inserted.empty());
  EXPECT_EQ(inserted.front(), 0);
  EXPECT_TRUE(std::is_sorted(inserted.begin(), inserted.end()));

  // SIGTERM right after a burst: every record still arrives.
  for (int i = 0; i < 30; ++i) {
    ASSERT_EQ(HttpCall("POST", small.http, "/v1/chat/completions", Chat("openai/gpt-last").dump()).status,
              200);
  }
  small.process.Signal(SIGTERM);
  EXPECT_EQ(small.process.Wait(), 0);
  EXPECT_EQ(Count("?models=gpt-last"), 30) << small.process.Log();
}

// Point 2: records made while the control plane is gone wait in the queue and arrive, in
// order, when it is back (a new process on the same address: the stream reconnects).
TEST_F(LogsTest, TheBacklogDrainsInOrderWhenTheControlPlaneIsBack) {
  auto replica = std::make_unique<ControlPlane>(ControlPlane::Start(postgres_->dsn()));
  ASSERT_TRUE(replica->listening()) << replica->process.Log();
  const std::string grpc_address = replica->grpc;
  DataPlane plane = DataPlane::Start(grpc_address, "dp-reconnect", {}, {{"KEY_A", kKeyValue}});
  ASSERT_FALSE(plane.http.empty()) << plane.process.Log();
  ASSERT_TRUE(Eventually([&] { return plane.Config().value("ready", false); }));
  replica->process.Signal(SIGKILL);
  replica->process.Wait();
  constexpr int kRequests = 50;
  // One connection: a record is queued when its answer is done, and the next request on the
  // same connection is read after that, so the queue's order is the requests' order.
  HttpConnection connection(plane.http);
  for (int i = 0; i < kRequests; ++i) {
    HttpResult result = connection.Call("POST", "/v1/chat/completions",
                                        Chat("openai/gpt-backlog").dump(),
                                        {{"x-request-id", "backlog-" + std::to_string(i)}});
    ASSERT_EQ(result.status, 200) << result.body;  // served from the last table meanwhile
  }
  EXPECT_EQ(Count("?models=gpt-backlog"), 0);
  EXPECT_LE(plane.Metric("switchyard_log_records_queued"), kRequests);  // (the rest: a batch held)
  replica = std::make_unique<ControlPlane>(
      ControlPlane::Start(postgres_->dsn(), {"--grpc-listen=" + grpc_address}));
  ASSERT_TRUE(replica->listening()) << replica->process.Log();
  ASSERT_TRUE(Eventually([] { return Count("?models=gpt-backlog") == kRequests; },
                         std::chrono::seconds(30)))
      << Count("?models=gpt-backlog") << "\n" << plane.process.Log();
  EXPECT_EQ(plane.Metric("switchyard_log_records_dropped_total"), 0);
  const auto rows = Sql(postgres_->dsn(),
                        "SELECT id FROM request_logs WHERE model = 'gpt-backlog' ORDER BY ctid");
  std::vector<int> inserted;
  for (const auto& row : rows) inserted.push_back(std::stoi(row[0].substr(8)));
  ASSERT_EQ(inserted.size(), static_cast<size_t>(kRequests));
  EXPECT_TRUE(std::is_sorted(inserted.begin(), inserted.end()));
}

// Point 2: a database that is down holds the records back (the control plane retries, the
// data plane's stream waits); nothing queued is lost, and they arrive once it is back.
TEST_F(LogsTest, ADatabaseThatIsDownDelaysRecordsWithoutLosingThem) {
  postgres_->Stop();
  constexpr int kRequests = 30;
  for (int i = 0; i < kRequests; ++i) {
    HttpResult result = Post("/v1/chat/completions", Chat("openai/gpt-dbdown"));
    ASSERT_EQ(result.status, 200) << result.body;  // inference never needs the database
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // (the writer fails and waits)
  postgres_->Restart();
  ASSERT_TRUE(Eventually([] { return Count("?models=gpt-dbdown") == kRequests; },
                         std::chrono::seconds(30)))
      << Count("?models=gpt-dbdown") << "\n" << control_plane_->process.Log();
  EXPECT_EQ(plane_->Metric("switchyard_log_records_dropped_total"), 0);
  EXPECT_FALSE(control_plane_->process.WaitForLine("request logs cannot be stored; retrying").empty());
}

// Point 3: retention drops whole day partitions older than --log-retention-days.
TEST_F(LogsTest, RetentionDropsOldPartitions) {
  // Records of five days ago, shipped as a data plane would.
  auto stub = v1::ConfigDistribution::NewStub(
      grpc::CreateChannel(control_plane_->grpc, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Bearer ") + kDataPlaneToken);
  v1::ShipLogsSummary summary;
  auto writer = stub->ShipLogs(&context, &summary);
  v1::LogBatch batch;
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (int i = 0; i < 3; ++i) {
    v1::RequestLog old;
    old.set_id("old-" + std::to_string(i));
    old.set_timestamp_unix_us(now_us - int64_t{5} * 86400 * 1000000);
    old.set_status("success");
    batch.add_records(old.SerializeAsString());
  }
  // Beyond the retention: not stored; from a clock ten days ahead: stored as of now.
  v1::RequestLog ancient;
  ancient.set_id("ancient");
  ancient.set_timestamp_unix_us(now_us - int64_t{30} * 86400 * 1000000);
  batch.add_records(ancient.SerializeAsString());
  v1::RequestLog future;
  future.set_id("future");
  future.set_timestamp_unix_us(now_us + int64_t{10} * 86400 * 1000000);
  batch.add_records(future.SerializeAsString());
  batch.add_records("\xff not a record");
  ASSERT_TRUE(writer->Write(batch));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(summary.received(), 6);  // every record of the batch, stored or not
  ASSERT_TRUE(Record("old-0").is_object());
  const json future_record = Record("future");
  ASSERT_TRUE(future_record.is_object());
  EXPECT_LT(future_record["timestamp_unix_us"].get<int64_t>(), now_us + int64_t{3600} * 1000000);
  EXPECT_EQ(Logs("/ancient").status, 404);
  auto partitions = [&] {
    return Sql(postgres_->dsn(),
               "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
               "WHERE p.relname = 'request_logs'")[0][0];
  };
  const int before = std::stoi(partitions());
  ASSERT_GE(before, 2);  // five days ago, and today's
  // A control plane with a 3-day retention drops the old day at start.
  ControlPlane short_lived = ControlPlane::Start(postgres_->dsn(), {"--log-retention-days=3"});
  ASSERT_TRUE(short_lived.listening()) << short_lived.process.Log();
  ASSERT_TRUE(Eventually([&] { return std::stoi(partitions()) == before - 1; }));
  EXPECT_EQ(Logs("/old-0").status, 404);
  EXPECT_EQ(Logs("/future").status, 200);  // today's records stay
  // Refused: an unauthenticated stream.
  grpc::ClientContext anonymous;
  auto refused = stub->ShipLogs(&anonymous, &summary);
  refused->Write(batch);
  refused->WritesDone();
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace switchyard::testing
