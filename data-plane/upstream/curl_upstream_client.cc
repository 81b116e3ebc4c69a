#include "data-plane/upstream/curl_upstream_client.h"

#include <curl/curl.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <cstring>
#include <map>
#include <vector>

#include "common/net/as_tuple.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using common::kTuple;
using common::StrCat;
constexpr size_t kMaxPendingBytes = 1024 * 1024;  // past this a stream pauses its transfer

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// One transfer in flight, owned by the coroutine that awaits it.
struct Transfer {
  explicit Transfer(asio::any_io_executor executor) : event(executor) {}
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string url;
  bool streaming = false;
  std::string body;      // whole response (Send) or not yet delivered data (Stream)
  bool too_large = false;
  bool paused = false;
  bool done = false;
  // A body read as it is sent (UpstreamRequest::body_source): the bytes of its current piece
  // not yet taken by curl; OnRead pauses the send when it needs the next one.
  BodySource* upload = nullptr;
  std::string_view upload_piece;
  bool upload_wanted = false;
  bool upload_ended = false;
  CURLcode result = CURLE_OK;
  char error[CURL_ERROR_SIZE] = {};
  asio::steady_timer event;  // cancelled to wake the awaiting coroutine

  void Wake() { event.cancel(); }
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->streaming) {
    if (transfer->body.size() > kMaxPendingBytes) {
      transfer->paused = true;  // the client reads slowly: hold the provider back
      return CURL_WRITEFUNC_PAUSE;
    }
    transfer->body.append(data, bytes);
    transfer->Wake();
    return bytes;
  }
  if (transfer->body.size() + bytes > kMaxUpstreamResponseBytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  if (!transfer->upload_piece.empty()) {
    const size_t n = std::min(size * count, transfer->upload_piece.size());
    std::memcpy(buffer, transfer->upload_piece.data(), n);
    transfer->upload_piece.remove_prefix(n);
    return n;
  }
  if (transfer->upload_ended) return 0;
  transfer->upload_wanted = true;  // the awaiting coroutine fetches the next piece
  transfer->Wake();
  return CURL_READFUNC_PAUSE;
}

// "socks5://h:p" or "http://h:p" -> "h:p": with a scheme in the string curl would pick the
// proxy type from it, and seed 002 writes socks5 proxies with an http:// URL.
std::string ProxyAddress(const std::string& url) {
  const size_t scheme = url.find("://");
  return scheme == std::string::npos ? url : url.substr(scheme + 3);
}

absl::Status TransferStatus(const Transfer& transfer) {
  if (transfer.result == CURLE_OK) return absl::OkStatus();
  const std::string detail = transfer.error[0] != '\0' ? std::string(transfer.error)
                                                       : curl_easy_strerror(transfer.result);
  if (transfer.result == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(StrCat("provider did not answer in time (", detail, ")"));
  }
  if (transfer.too_large) return absl::UnavailableError("provider response too large");
  return absl::UnavailableError(StrCat("provider unreachable (", detail, ")"));
}

}  // namespace

struct CurlUpstreamClient::Impl {
  struct Watch {
    Watch(asio::any_io_executor executor, curl_socket_t fd) : descriptor(executor, fd) {}
    ~Watch() {
      boost::system::error_code ignored;
      descriptor.cancel(ignored);
      descriptor.release();  // curl owns and closes the socket
    }
    asio::posix::stream_descriptor descriptor;
    int what = 0;  // CURL_POLL_IN / OUT / INOUT
    bool reading = false;
    bool writing = false;
  };

  explicit Impl(asio::any_io_executor executor_in)
      : executor(std::move(executor_in)), timer(executor) {
    static GlobalInit init;
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::OnSocket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::OnTimer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, 1024L);
  }
  ~Impl() {
    sockets.clear();
    for (CURL* easy : idle) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
  }

  static int OnSocket(CURL*, curl_socket_t fd, int what, void* user, void*) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      self->sockets.erase(fd);
      return 0;
    }
    auto& watch = self->sockets[fd];
    if (watch == nullptr) watch = std::make_shared<Watch>(self->executor, fd);
    watch->what = what;
    self->Arm(fd, watch);
    return 0;
  }

  static int OnTimer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    self->timer.cancel();
    if (timeout_ms < 0) return 0;
    self->timer.expires_after(std::chrono::milliseconds(timeout_ms));
    self->timer.async_wait([self](const boost::system::error_code& ec) {
      if (ec) return;
      self->Act(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  // Waits for the readiness curl asked for, then hands it to curl.
  void Arm(curl_socket_t fd, const std::shared_ptr<Watch>& watch) {
    if (watch->what & CURL_POLL_IN) Await(fd, watch, /*write=*/false);
    if (watch->what & CURL_POLL_OUT) Await(fd, watch, /*write=*/true);
  }

  // One pending wait per direction; when it fires, curl acts, then the wait is renewed if
  // curl still wants it (the watch may be gone by then: curl removed the socket).
  void Await(curl_socket_t fd, const std::shared_ptr<Watch>& watch, bool write) {
    bool& waiting = write ? watch->writing : watch->reading;
    if (waiting) return;
    waiting = true;
    std::weak_ptr<Watch> weak = watch;
    watch->descriptor.async_wait(
        write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
        [this, fd, weak, write](const boost::system::error_code& ec) {
          auto live = weak.lock();
          if (!live) return;
          (write ? live->writing : live->reading) = false;
          if (ec) return;
          Act(fd, write ? CURL_CSELECT_OUT : CURL_CSELECT_IN);
          Rearm(fd, weak);
        });
  }

  void Rearm(curl_socket_t fd, const std::weak_ptr<Watch>& weak) {
    auto live = weak.lock();
    if (live) Arm(fd, live);
  }

  void Act(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(multi, fd, events, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* transfer = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
      curl_multi_remove_handle(multi, message->easy_handle);
      if (transfer != nullptr) {
        transfer->result = message->data.result;
        transfer->done = true;
        transfer->Wake();
      }
    }
  }

  void Start(Transfer& transfer, const UpstreamRequest& request) {
    CURL* easy = nullptr;
    if (!idle.empty()) {
      easy = idle.back();
      idle.pop_back();
      curl_easy_reset(easy);
    } else {
      easy = curl_easy_init();
    }
    transfer.easy = easy;
    const UpstreamEndpoint& endpoint = *request.endpoint;
    const bool v6 = endpoint.host.find(':') != std::string::npos;
    transfer.url = StrCat(endpoint.tls ? "https://" : "http://", v6 ? "[" : "", endpoint.host,
                          v6 ? "]" : "", ":", endpoint.port, request.target);
    curl_easy_setopt(easy, CURLOPT_URL, transfer.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnWrite);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    if (request.body_source != nullptr) {
      // An upload takes as long as it takes: any silence (the provider not reading, or not
      // answering once it has the body) is bounded by the request timeout instead.
      curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                       static_cast<long>((request.timeout.count() + 999) / 1000));
    } else if (transfer.streaming) {
      // The head is bounded by our own timer (Stream); the body only by silence.
      curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
      curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                       static_cast<long>((request.stream_idle_timeout.count() + 999) / 1000));
    } else {
      curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    }
    if (request.body_source != nullptr) {
      transfer.upload = request.body_source;
      transfer.upload->Rewind();
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
      if (std::optional<uint64_t> length = transfer.upload->length()) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(*length));
      } else {
        transfer.headers = curl_slist_append(transfer.headers, "Transfer-Encoding: chunked");
      }
      if (request.method != "POST") {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    } else if (request.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    } else {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
    for (std::string_view lines : request.header_lines) {
      while (!lines.empty()) {
        const size_t end = lines.find("\r\n");
        transfer.headers = curl_slist_append(transfer.headers,
                                             std::string(lines.substr(0, end)).c_str());
        lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 2);
      }
    }
    for (const auto& [name, value] : request.headers) {
      transfer.headers = curl_slist_append(transfer.headers, StrCat(name, ": ", value).c_str());
    }
    transfer.headers = curl_slist_append(transfer.headers, "Expect:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.headers);

    if (endpoint.tls) {
      if (endpoint.insecure_skip_verify) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
      } else if (!endpoint.ca_cert_pem.empty()) {
        curl_blob blob{const_cast<char*>(endpoint.ca_cert_pem.data()),
                       endpoint.ca_cert_pem.size(), CURL_BLOB_COPY};
        curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
      }
    }
    static const ProxySettings kNoProxy;
    const ProxySettings& proxy = request.proxy != nullptr ? *request.proxy : kNoProxy;
    if (proxy.type == "http" || proxy.type == "socks5") {
      curl_easy_setopt(easy, CURLOPT_PROXY, ProxyAddress(proxy.url).c_str());
      if (proxy.type == "http") {
        curl_easy_setopt(easy, CURLOPT_PROXYTYPE,
                         static_cast<long>(proxy.url.starts_with("https://") ? CURLPROXY_HTTPS
                                                                             : CURLPROXY_HTTP));
        curl_easy_setopt(easy, CURLOPT_HTTPPROXYTUNNEL, 1L);  // always CONNECT
      } else {
        curl_easy_setopt(easy, CURLOPT_PROXYTYPE, static_cast<long>(CURLPROXY_SOCKS5_HOSTNAME));
      }
      if (!proxy.username.empty()) {
        curl_easy_setopt(easy, CURLOPT_PROXYUSERNAME, proxy.username.c_str());
        curl_easy_setopt(easy, CURLOPT_PROXYPASSWORD, proxy.password.c_str());
      }
      if (!proxy.ca_cert_pem.empty()) {
        curl_blob blob{const_cast<char*>(proxy.ca_cert_pem.data()), proxy.ca_cert_pem.size(),
                       CURL_BLOB_COPY};
        curl_easy_setopt(easy, CURLOPT_PROXY_CAINFO_BLOB, &blob);
      }
    } else if (proxy.type != "environment") {
      curl_easy_setopt(easy, CURLOPT_PROXY, "");  // no proxy, whatever the environment says
    }  // "environment": curl reads http_proxy, https_proxy and no_proxy itself
    curl_multi_add_handle(multi, easy);
  }

  // Returns the easy handle to the pool, aborting the transfer if it is still running.
  void Finish(Transfer& transfer) {
    if (transfer.easy == nullptr) return;
    if (!transfer.done) curl_multi_remove_handle(multi, transfer.easy);
    curl_slist_free_all(transfer.headers);
    transfer.headers = nullptr;
    idle.push_back(transfer.easy);
    transfer.easy = nullptr;
  }

  // Gives a paused upload its next piece (OnRead asked for it) and lets curl go on. The
  // source's error is returned as it is: the transfer is then abandoned, its body incomplete.
  asio::awaitable<absl::Status> FeedUpload(Transfer& transfer) {
    transfer.upload_wanted = false;
    absl::StatusOr<std::string_view> piece = co_await transfer.upload->Next();
    if (!piece.ok()) co_return piece.status();
    transfer.upload_piece = *piece;
    if (piece->empty()) transfer.upload_ended = true;
    curl_easy_pause(transfer.easy, transfer.paused ? CURLPAUSE_RECV : CURLPAUSE_CONT);
    co_return absl::OkStatus();
  }

  // Waits for curl to deliver something; false when `until` passed first.
  asio::awaitable<bool> WaitForEvent(
      Transfer& transfer,
      asio::steady_timer::time_point until = asio::steady_timer::time_point::max()) {
    transfer.event.expires_at(until);
    auto [ec] = co_await transfer.event.async_wait(kTuple);
    co_return ec == asio::error::operation_aborted ||
        until == asio::steady_timer::time_point::max();
  }

  asio::any_io_executor executor;
  CURLM* multi = nullptr;
  asio::steady_timer timer;
  std::map<curl_socket_t, std::shared_ptr<Watch>> sockets;
  std::vector<CURL*> idle;
};

CurlUpstreamClient::CurlUpstreamClient(asio::any_io_executor executor)
    : impl_(std::make_unique<Impl>(std::move(executor))) {}

CurlUpstreamClient::~CurlUpstreamClient() = default;

asio::awaitable<absl::StatusOr<UpstreamResponse>> CurlUpstreamClient::Send(
    const UpstreamRequest& request) {
  Transfer transfer(impl_->executor);
  impl_->Start(transfer, request);
  while (!transfer.done) {
    if (transfer.upload_wanted) {
      if (absl::Status fed = co_await impl_->FeedUpload(transfer); !fed.ok()) {
        impl_->Finish(transfer);
        co_return fed;
      }
      continue;
    }
    co_await impl_->WaitForEvent(transfer);
  }
  absl::Status status = TransferStatus(transfer);
  UpstreamResponse response;
  if (status.ok()) {
    long code = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &code);
    response.status = static_cast<int>(code);
    char* content_type = nullptr;
    curl_easy_getinfo(transfer.easy, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type != nullptr) response.headers.emplace_back("content-type", content_type);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(transfer.easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
        retry_after > 0) {
      response.headers.emplace_back("retry-after", std::to_string(retry_after));
    }
    response.body = std::move(transfer.body);
  }
  impl_->Finish(transfer);
  if (!status.ok()) co_return status;
  co_return response;
}

asio::awaitable<absl::Status> CurlUpstreamClient::Stream(const UpstreamRequest& request,
                                                         UpstreamSink& sink) {
  Transfer transfer(impl_->executor);
  transfer.streaming = true;
  impl_->Start(transfer, request);
  // (An upload's head is awaited once its body was sent.)
  auto head_deadline = std::chrono::steady_clock::now() + request.timeout;
  bool head_sent = false;
  // The head goes with the body bytes already received (moved out of transfer.body).
  auto send_head = [&]() -> asio::awaitable<bool> {
    long code = 0;
    curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &code);
    HeaderList headers;
    char* content_type = nullptr;
    curl_easy_getinfo(transfer.easy, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type != nullptr) headers.emplace_back("content-type", content_type);
    head_sent = true;
    std::string first;
    first.swap(transfer.body);
    if (transfer.paused) {
      transfer.paused = false;
      curl_easy_pause(transfer.easy, CURLPAUSE_CONT);
    }
    co_return co_await sink.OnHead(static_cast<int>(code), headers, first);
  };
  for (;;) {
    if (transfer.upload_wanted) {
      if (absl::Status fed = co_await impl_->FeedUpload(transfer); !fed.ok()) {
        impl_->Finish(transfer);
        co_return fed;
      }
      if (transfer.upload_ended) head_deadline = std::chrono::steady_clock::now() + request.timeout;
      continue;
    }
    if (!transfer.body.empty()) {
      if (!head_sent) {
        if (!co_await send_head()) break;
        continue;  // the head carried the data
      }
      std::string data;
      data.swap(transfer.body);
      if (transfer.paused) {
        transfer.paused = false;
        curl_easy_pause(transfer.easy, CURLPAUSE_CONT);
      }
      if (!co_await sink.OnData(data)) break;
      continue;
    }
    if (transfer.done) {
      absl::Status status = TransferStatus(transfer);
      if (status.ok() && !head_sent && !co_await send_head()) break;
      impl_->Finish(transfer);
      co_return status;
    }
    if (head_sent) {
      co_await impl_->WaitForEvent(transfer);
    } else if (transfer.upload != nullptr && !transfer.upload_ended) {
      co_await impl_->WaitForEvent(transfer);  // still sending: each stall bounded by curl
    } else if (!co_await impl_->WaitForEvent(transfer, head_deadline) && transfer.body.empty() &&
               !transfer.done && !transfer.upload_wanted) {
      impl_->Finish(transfer);
      co_return absl::DeadlineExceededError("provider did not answer in time (response head)");
    }
  }
  impl_->Finish(transfer);  // the client went away: abort the transfer
  co_return absl::CancelledError("client went away");
}

}  // namespace switchyard::dp
