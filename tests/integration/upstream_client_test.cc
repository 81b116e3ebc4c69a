// One test suite for both UpstreamClient implementations (Beast pool and libcurl multi),
// against the mock provider over real sockets; then libcurl's proxy support against real
// proxies from Debian (tinyproxy for http CONNECT, microsocks for socks5 with credentials).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "data-plane/upstream/beast_upstream_client.h"
#include "data-plane/upstream/curl_upstream_client.h"
#include "tests/integration/control_plane_fixture.h"
#include "tests/support/http_client.h"
#include "tests/support/postgres_server.h"
#include "tests/support/process.h"

namespace switchyard::testing {
namespace {

namespace asio = boost::asio;
using dp::UpstreamClient;
using dp::UpstreamRequest;
using nlohmann::json;

json JsonOfBody(const std::string& body) { return json::parse(body, nullptr, false); }

bool CanConnect(int port) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)}, ec);
  return !ec;
}

dp::UpstreamEndpoint Endpoint(const std::string& address) {
  auto endpoint = dp::ParseBaseUrl("http://" + address);
  EXPECT_TRUE(endpoint.ok());
  endpoint->pool_key = dp::PoolKey(*endpoint);
  return *endpoint;
}

// Runs one coroutine on `io` to completion.
template <typename T>
T RunOn(asio::io_context& io, asio::awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.restart();
  // Until the work is done, not until the loop is idle: the pool's sweep timer keeps it busy.
  while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) io.run_one();
  return future.get();
}

class CollectingSink : public dp::UpstreamSink {
 public:
  explicit CollectingSink(int stop_after = -1) : stop_after_(stop_after) {}
  asio::awaitable<bool> OnHead(int status, const dp::HeaderList& headers,
                               std::string_view first_data) override {
    if (!first_data.empty()) {
      data_.append(first_data);
      ++pieces_;
    }
    status_ = status;
    for (const auto& [name, value] : headers) {
      if (name == "content-type") content_type_ = value;
    }
    co_return true;
  }
  asio::awaitable<bool> OnData(std::string_view data) override {
    data_.append(data);
    ++pieces_;
    co_return stop_after_ < 0 || pieces_ < stop_after_;
  }
  int status_ = 0;
  std::string content_type_;
  std::string data_;
  int pieces_ = 0;

 private:
  int stop_after_;
};

class UpstreamClientTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    mock_ = std::make_unique<Process>(Process::Start(SWITCHYARD_MOCK_PROVIDER_BIN, {}));
    mock_address_ = AddressIn(mock_->WaitForLine("msg=listening"));
    ASSERT_FALSE(mock_address_.empty());
  }
  static void TearDownTestSuite() { mock_.reset(); }
  void SetUp() override {
    HttpCall("DELETE", mock_address_, "/_mock/requests");
    endpoint_ = Endpoint(mock_address_);
    if (GetParam() == "beast") {
      client_ = std::make_unique<dp::BeastUpstreamClient>(io_.get_executor());
    } else {
      client_ = std::make_unique<dp::CurlUpstreamClient>(io_.get_executor());
    }
  }

  UpstreamRequest Request(const std::string& body = R"({"model":"m"})") {
    UpstreamRequest request;
    request.endpoint = &endpoint_;
    request.target = "/v1/chat/completions";
    request.header_lines[0] = "content-type: application/json\r\nx-compiled: yes\r\n";
    request.body = body;
    request.timeout = std::chrono::seconds(5);
    return request;
  }

  static std::unique_ptr<Process> mock_;
  static std::string mock_address_;
  asio::io_context io_;
  dp::UpstreamEndpoint endpoint_;
  std::unique_ptr<UpstreamClient> client_;
};

std::unique_ptr<Process> UpstreamClientTest::mock_;
std::string UpstreamClientTest::mock_address_;

// A client's upload as the servers hand it over: pieces, each after a turn of the event loop;
// an error in place of piece `fail_at` when set.
class PiecesSource : public dp::BodySource {
 public:
  PiecesSource(std::string body, size_t piece, bool declare_length, int fail_at = -1)
      : body_(std::move(body)), piece_(piece), declare_length_(declare_length), fail_at_(fail_at) {}
  asio::awaitable<absl::StatusOr<std::string_view>> Next() override {
    started_ = true;
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    if (fail_at_ >= 0 && at_ / piece_ == static_cast<size_t>(fail_at_)) {
      co_return absl::InvalidArgumentError("the multipart body has no closing boundary");
    }
    const std::string_view next = std::string_view(body_).substr(std::min(at_, body_.size()), piece_);
    at_ += next.size();
    co_return next;
  }
  std::optional<uint64_t> length() const override {
    return declare_length_ ? std::optional<uint64_t>(body_.size()) : std::nullopt;
  }
  bool started() const override { return started_; }

 private:
  std::string body_;
  size_t piece_;
  bool declare_length_;
  int fail_at_;
  size_t at_ = 0;
  bool started_ = false;
};

// A file upload of `size` bytes, as POST /v1/files takes it.
std::string FileUpload(size_t size) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.jsonl\"\r\n\r\n";
  body.append(size, 'z');
  return body + "\r\n--b--\r\n";
}

UpstreamRequest UploadRequest(const dp::UpstreamEndpoint* endpoint, dp::BodySource* source) {
  UpstreamRequest request;
  request.endpoint = endpoint;
  request.target = "/v1/files";
  request.headers.emplace_back("content-type", "multipart/form-data; boundary=b");
  request.body_source = source;
  request.timeout = std::chrono::seconds(5);
  return request;
}

// A keep-alive HTTP/1.1 server on a thread that answers every request with {} and counts
// connections; with close_second_request it closes the first connection when the second
// request arrives on it, without answering (a server dropping an idle connection just as a
// request reaches it).
class CountingServer {
 public:
  explicit CountingServer(bool close_second_request) : close_second_(close_second_request) {
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~CountingServer() {
    stopping_ = true;
    boost::system::error_code ignored;
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  int connections() const { return connections_; }

 private:
  void Serve() {
    std::vector<std::thread> sessions;
    while (!stopping_) {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      const int index = ++connections_;
      sessions.emplace_back([this, index, s = std::move(socket)]() mutable {
        std::string buffer;
        for (int request = 1;; ++request) {
          char chunk[4096];
          boost::system::error_code read_ec;
          while (buffer.find(R"("m"})") == std::string::npos) {
            const size_t n = s.read_some(asio::buffer(chunk), read_ec);
            if (read_ec) return;
            buffer.append(chunk, n);
          }
          buffer.erase(0, buffer.find(R"("m"})") + 5);
          if (close_second_ && index == 1 && request == 2) return;  // closes, no answer
          asio::write(
              s, asio::buffer(std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")),
              read_ec);
        }
      });
    }
    for (std::thread& session : sessions) session.join();
  }

  const bool close_second_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Issue 8 (k): a request after a quiet period leans on the stale-connection retry; it must
// keep working even with max_retries 0 (the router is not involved).
TEST(BeastUpstreamPoolTest, AConnectionClosedAsTheRequestArrivesIsRetriedOnAFreshOne) {
  CountingServer server(/*close_second_request=*/true);
  asio::io_context io;
  dp::BeastUpstreamClient client(io.get_executor());
  dp::UpstreamEndpoint endpoint = Endpoint(server.address());
  UpstreamRequest request;
  request.endpoint = &endpoint;
  request.target = "/v1/chat/completions";
  request.body = R"({"model":"m"})";
  for (int i = 0; i < 3; ++i) {
    auto response = RunOn(io, client.Send(request));
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    EXPECT_EQ(response->status, 200);
  }
  EXPECT_EQ(server.connections(), 2);  // the dropped one, then one reused
}

// Issue 8 (k): idle pooled connections expire.
TEST(BeastUpstreamPoolTest, IdleConnectionsExpire) {
  CountingServer server(/*close_second_request=*/false);
  asio::io_context io;
  dp::BeastUpstreamClient client(io.get_executor(), 512, std::chrono::milliseconds(200));
  dp::UpstreamEndpoint endpoint = Endpoint(server.address());
  UpstreamRequest request;
  request.endpoint = &endpoint;
  request.target = "/v1/chat/completions";
  request.body = R"({"model":"m"})";
  ASSERT_TRUE(RunOn(io, client.Send(request)).ok());
  ASSERT_TRUE(RunOn(io, client.Send(request)).ok());
  EXPECT_EQ(server.connections(), 1);  // reused while fresh
  // Let the sweep run: the connection is closed after 200 ms unused.
  asio::steady_timer wait(io, std::chrono::milliseconds(450));
  RunOn(io, [&]() -> asio::awaitable<void> { co_await wait.async_wait(asio::use_awaitable); }());
  ASSERT_TRUE(RunOn(io, client.Send(request)).ok());
  EXPECT_EQ(server.connections(), 2);
}

TEST_P(UpstreamClientTest, SendsTheRequestAndReturnsTheResponse) {
  UpstreamRequest request = Request();
  request.headers.emplace_back("authorization", "Bearer sk-test");
  for (int i = 0; i < 3; ++i) {  // the second and third reuse the connection
    auto response = RunOn(io_, client_->Send(request));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("content-type"), "application/json");
    EXPECT_EQ(json::parse(response->body)["model"], "m");
  }
  const json received = JsonOfBody(HttpCall("GET", mock_address_, "/_mock/requests").body);
  ASSERT_EQ(received["requests"].size(), 3u);
  EXPECT_EQ(received["requests"][0]["headers"]["authorization"], "Bearer sk-test");
  EXPECT_EQ(received["requests"][0]["headers"]["x-compiled"], "yes");
  EXPECT_EQ(received["requests"][0]["body"], R"({"model":"m"})");
}

TEST_P(UpstreamClientTest, PassesErrorStatusesAndRetryAfter) {
  UpstreamRequest request = Request();
  request.headers.emplace_back("x-mock-status", "429");
  request.headers.emplace_back("x-mock-retry-after", "3");
  auto response = RunOn(io_, client_->Send(request));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->Header("retry-after"), "3");
  EXPECT_NE(response->body.find("mock error 429"), std::string::npos);
}

TEST_P(UpstreamClientTest, StreamsPiecesAsTheyArrive) {
  UpstreamRequest request = Request(R"({"model":"m","stream":true})");
  request.headers.emplace_back("x-mock-chunks", "4");
  request.headers.emplace_back("x-mock-gap-ms", "30");
  CollectingSink sink;
  const absl::Status status = RunOn(io_, client_->Stream(request, sink));
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(sink.status_, 200);
  EXPECT_EQ(sink.content_type_, "text/event-stream");
  EXPECT_GE(sink.pieces_, 4);  // the gaps keep pieces apart
  EXPECT_NE(sink.data_.find("tok3"), std::string::npos);
  EXPECT_NE(sink.data_.find("data: [DONE]\n\n"), std::string::npos);
}

TEST_P(UpstreamClientTest, AStoppedSinkAbortsTheTransfer) {
  UpstreamRequest request = Request(R"({"model":"m","stream":true})");
  request.headers.emplace_back("x-mock-chunks", "100");
  request.headers.emplace_back("x-mock-gap-ms", "20");
  CollectingSink sink(/*stop_after=*/1);
  const absl::Status status = RunOn(io_, client_->Stream(request, sink));
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  json stats;
  do {
    stats = JsonOfBody(HttpCall("GET", mock_address_, "/_mock/stats").body);
  } while (stats["streams_aborted"] != 1 && std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(stats["streams_aborted"], 1);
}

TEST_P(UpstreamClientTest, TimeoutIsDeadlineExceeded) {
  UpstreamRequest request = Request();
  request.headers.emplace_back("x-mock-latency-ms", "2000");
  request.timeout = std::chrono::milliseconds(300);
  auto response = RunOn(io_, client_->Send(request));
  EXPECT_TRUE(absl::IsDeadlineExceeded(response.status())) << response.status();
}

TEST_P(UpstreamClientTest, UnreachableIsUnavailable) {
  dp::UpstreamEndpoint dead = Endpoint("127.0.0.1:" + std::to_string(FreePort()));
  UpstreamRequest request = Request();
  request.endpoint = &dead;
  auto response = RunOn(io_, client_->Send(request));
  EXPECT_TRUE(absl::IsUnavailable(response.status())) << response.status();
}

// An upload read from the client as it is sent, with its length or chunked, and streamed
// answers too: the provider gets every byte.
TEST_P(UpstreamClientTest, StreamedUploadsArriveWhole) {
  for (const bool declared : {true, false}) {
    PiecesSource source(FileUpload(3 * 1024 * 1024 + 7), 64 * 1024, declared);
    const UpstreamRequest request = UploadRequest(&endpoint_, &source);
    auto response = RunOn(io_, client_->Send(request));
    ASSERT_TRUE(response.ok()) << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(JsonOfBody(response->body)["bytes"], 3 * 1024 * 1024 + 7) << declared;

    PiecesSource again(FileUpload(100 * 1024), 4096, declared);
    const UpstreamRequest streamed = UploadRequest(&endpoint_, &again);
    CollectingSink sink;
    const absl::Status status = RunOn(io_, client_->Stream(streamed, sink));
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(sink.status_, 200);
    EXPECT_EQ(JsonOfBody(sink.data_)["bytes"], 100 * 1024) << declared;
  }
}

// The client's body broke off (or was malformed) midway: the source's error is the answer,
// and the provider never takes the incomplete body.
TEST_P(UpstreamClientTest, AnUploadThatFailsMidwayIsAbandoned) {
  const int before =
      static_cast<int>(JsonOfBody(HttpCall("GET", mock_address_, "/v1/files").body)["data"].size());
  PiecesSource source(FileUpload(1024 * 1024), 64 * 1024, true, /*fail_at=*/5);
  const UpstreamRequest request = UploadRequest(&endpoint_, &source);
  auto response = RunOn(io_, client_->Send(request));
  EXPECT_TRUE(absl::IsInvalidArgument(response.status())) << response.status();
  const int after =
      static_cast<int>(JsonOfBody(HttpCall("GET", mock_address_, "/v1/files").body)["data"].size());
  EXPECT_EQ(after, before);
}

INSTANTIATE_TEST_SUITE_P(BothClients, UpstreamClientTest, ::testing::Values("beast", "curl"),
                         [](const auto& info) { return info.param; });

// ---- proxies (libcurl) ----------------------------------------------------------------------

class ProxyTest : public UpstreamClientTest {
 protected:
  static void SetUpTestSuite() {
    UpstreamClientTest::SetUpTestSuite();
    tinyproxy_port_ = FreePort();
    config_ = std::filesystem::temp_directory_path() /
              ("switchyard-tinyproxy-" + std::to_string(tinyproxy_port_) + ".conf");
    std::ofstream(config_) << "Port " << tinyproxy_port_
                           << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\n"
                              "Allow 127.0.0.1\nBasicAuth proxyuser proxypass\n";
    tinyproxy_ = std::make_unique<Process>(Process::Start("/usr/bin/tinyproxy", {"-d", "-c", config_}));
    socks_port_ = FreePort();
    socks_ = std::make_unique<Process>(Process::Start(
        "/usr/bin/microsocks",
        {"-i", "127.0.0.1", "-p", std::to_string(socks_port_), "-u", "socksuser", "-P",
         "sockspass"}));
    for (int port : {tinyproxy_port_, socks_port_}) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!CanConnect(port) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
  static void TearDownTestSuite() {
    tinyproxy_.reset();
    socks_.reset();
    std::filesystem::remove(config_);
    UpstreamClientTest::TearDownTestSuite();
  }
  absl::StatusOr<dp::UpstreamResponse> Through(dp::ProxySettings proxy) {
    UpstreamRequest request = Request();
    request.proxy = &proxy;
    return RunOn(io_, client_->Send(request));
  }

  static int tinyproxy_port_;
  static int socks_port_;
  static std::string config_;
  static std::unique_ptr<Process> tinyproxy_;
  static std::unique_ptr<Process> socks_;
};

int ProxyTest::tinyproxy_port_ = 0;
int ProxyTest::socks_port_ = 0;
std::string ProxyTest::config_;
std::unique_ptr<Process> ProxyTest::tinyproxy_;
std::unique_ptr<Process> ProxyTest::socks_;

TEST_P(ProxyTest, HttpConnectWithCredentials) {
  const std::string url = "http://127.0.0.1:" + std::to_string(tinyproxy_port_);
  auto ok = Through({"http", url, "proxyuser", "proxypass", ""});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  // Wrong credentials: the proxy refuses the tunnel, proving the request went through it.
  auto refused = Through({"http", url, "proxyuser", "wrong", ""});
  EXPECT_FALSE(refused.ok() && refused->status == 200);
}

TEST_P(ProxyTest, Socks5WithCredentials) {
  // Seed 002 writes a socks5 proxy with an http:// URL; the type decides.
  const std::string url = "http://127.0.0.1:" + std::to_string(socks_port_);
  auto ok = Through({"socks5", url, "socksuser", "sockspass", ""});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status, 200);
  auto refused = Through({"socks5", url, "socksuser", "wrong", ""});
  EXPECT_TRUE(absl::IsUnavailable(refused.status())) << refused.status();
}

TEST_P(ProxyTest, EnvironmentProxyVariables) {
  const char* saved = std::getenv("http_proxy");
  ::setenv("http_proxy", ("http://127.0.0.1:" + std::to_string(FreePort())).c_str(), 1);
  auto via_dead_proxy = Through({"environment", "", "", "", ""});
  auto ignoring_environment = Through({"none", "", "", "", ""});
  if (saved != nullptr) {
    ::setenv("http_proxy", saved, 1);
  } else {
    ::unsetenv("http_proxy");
  }
  EXPECT_TRUE(absl::IsUnavailable(via_dead_proxy.status())) << via_dead_proxy.status();
  ASSERT_TRUE(ignoring_environment.ok()) << ignoring_environment.status();
  EXPECT_EQ(ignoring_environment->status, 200);
}

// Uploads streamed from the client go through proxies too.
TEST_P(ProxyTest, StreamedUploadsGoThroughProxies) {
  const dp::ProxySettings http{"http", "http://127.0.0.1:" + std::to_string(tinyproxy_port_),
                               "proxyuser", "proxypass", ""};
  const dp::ProxySettings socks{"socks5", "http://127.0.0.1:" + std::to_string(socks_port_),
                                "socksuser", "sockspass", ""};
  for (const dp::ProxySettings* proxy : {&http, &socks}) {
    PiecesSource source(FileUpload(2 * 1024 * 1024), 64 * 1024, true);
    UpstreamRequest request = UploadRequest(&endpoint_, &source);
    request.proxy = proxy;
    auto response = RunOn(io_, client_->Send(request));
    ASSERT_TRUE(response.ok()) << proxy->type << ": " << response.status();
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(JsonOfBody(response->body)["bytes"], 2 * 1024 * 1024) << proxy->type;
  }
}

INSTANTIATE_TEST_SUITE_P(Curl, ProxyTest, ::testing::Values("curl"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace switchyard::testing
