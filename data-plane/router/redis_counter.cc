#include "data-plane/router/redis_counter.h"

#include <hiredis/hiredis.h>
#include <openssl/sha.h>

#include <boost/asio.hpp>
#include <optional>
#include <boost/asio/experimental/as_tuple.hpp>

#include "absl/strings/numbers.h"
#include "common/log.h"
#include "common/net/as_tuple.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

namespace asio = boost::asio;
using common::kTuple;
using common::StrCat;

// Checks every token window, then takes units for the request windows, atomically.
// KEYS: the windows; ARGV per window: max, ttl, tokens (1/0), want (request windows: units
// to take, a lease; 0 = the caller still holds some). Returns {refused, v_1..v_n}: refused is
// -1 or the 0-based index of the first full window (what this call took is given back), v_i
// the token window's count or the units granted to the request window.
constexpr char kAdmitScript[] = R"lua(
local out = {-1}
for i = 1, #KEYS do
  out[i + 1] = 0
  if ARGV[4*i-1] == '1' then
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    out[i + 1] = used
    if used >= tonumber(ARGV[4*i-3]) then
      out[1] = i - 1
      return out
    end
  end
end
for i = 1, #KEYS do
  local want = tonumber(ARGV[4*i])
  if ARGV[4*i-1] == '0' and want > 0 then
    local used = tonumber(redis.call('GET', KEYS[i]) or '0')
    local grant = math.min(want, tonumber(ARGV[4*i-3]) - used)
    if grant <= 0 then
      for j = 1, i - 1 do
        if ARGV[4*j-1] == '0' and out[j + 1] > 0 then redis.call('DECRBY', KEYS[j], out[j + 1]) end
      end
      out[1] = i - 1
      return out
    end
    if redis.call('INCRBY', KEYS[i], grant) == grant then
      redis.call('EXPIRE', KEYS[i], ARGV[4*i-2])
    end
    out[i + 1] = grant
  end
end
return out
)lua";

// Adds ARGV[2i-1] to window i; a window it creates expires after its ttl (ARGV[2i]).
constexpr char kAddScript[] = R"lua(
for i = 1, #KEYS do
  local count = redis.call('INCRBY', KEYS[i], ARGV[2*i-1])
  if count == tonumber(ARGV[2*i-1]) then redis.call('EXPIRE', KEYS[i], ARGV[2*i]) end
end
return 0
)lua";
constexpr auto kChargeDelay = std::chrono::milliseconds(20);

std::string Sha1Hex(std::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

const std::string& AdmitSha() {
  static const std::string sha = Sha1Hex(kAdmitScript);
  return sha;
}
const std::string& AddSha() {
  static const std::string sha = Sha1Hex(kAddScript);
  return sha;
}

void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  out += StrCat("*", args.size(), "\r\n");
  for (const std::string& arg : args) out += StrCat("$", arg.size(), "\r\n", arg, "\r\n");
}

}  // namespace

struct RedisCounter::Waiter {
  explicit Waiter(asio::any_io_executor executor) : timer(executor) {}
  asio::steady_timer timer;
  // An integer reply, or an array of integers.
  std::optional<absl::StatusOr<std::vector<int64_t>>> result;
};

constexpr auto kTokenFreshness = std::chrono::milliseconds(20);
constexpr size_t kMaxCached = 4096;

absl::StatusOr<RedisOptions> ParseRedisUrl(std::string_view url) {
  RedisOptions options;
  if (!url.starts_with("redis://")) {
    return absl::InvalidArgumentError("--redis-url must look like redis://host:port[/db]");
  }
  url.remove_prefix(8);
  if (const size_t slash = url.find('/'); slash != std::string_view::npos) {
    if (!absl::SimpleAtoi(common::ToAbsl(url.substr(slash + 1)), &options.database) ||
        options.database < 0) {
      return absl::InvalidArgumentError("--redis-url: the database must be a number");
    }
    url = url.substr(0, slash);
  }
  if (const size_t colon = url.rfind(':'); colon != std::string_view::npos) {
    int port = 0;
    if (!absl::SimpleAtoi(common::ToAbsl(url.substr(colon + 1)), &port) || port <= 0 ||
        port > 65535) {
      return absl::InvalidArgumentError("--redis-url: bad port");
    }
    options.port = static_cast<uint16_t>(port);
    url = url.substr(0, colon);
  }
  if (url.empty()) return absl::InvalidArgumentError("--redis-url: no host");
  options.host = std::string(url);
  return options;
}

RedisCounter::RedisCounter(asio::any_io_executor executor, RedisOptions options)
    : executor_(executor), options_(std::move(options)), socket_(executor) {
  asio::co_spawn(executor_, Connect(), asio::detached);  // ready before the first request
}

RedisCounter::~RedisCounter() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

asio::awaitable<void> RedisCounter::Connect() {
  if (state_ != State::kDisconnected) co_return;
  state_ = State::kConnecting;
  const uint64_t generation = ++generation_;
  asio::ip::tcp::resolver resolver(executor_);
  auto [resolve_error, endpoints] = co_await resolver.async_resolve(
      options_.host, std::to_string(options_.port), kTuple);
  if (generation != generation_) co_return;
  boost::system::error_code error = resolve_error;
  if (!error) {
    socket_ = asio::ip::tcp::socket(executor_);
    asio::steady_timer deadline(executor_, options_.timeout * 4);
    deadline.async_wait([this, generation](boost::system::error_code ec) {
      if (!ec && generation == generation_ && state_ == State::kConnecting) {
        boost::system::error_code ignored;
        socket_.close(ignored);
      }
    });
    auto [connect_error, endpoint] = co_await asio::async_connect(socket_, endpoints, kTuple);
    deadline.cancel();
    error = connect_error;
  }
  if (generation != generation_) co_return;
  if (error) {
    state_ = State::kDisconnected;
    retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    co_return;
  }
  socket_.set_option(asio::ip::tcp::no_delay(true));
  state_ = State::kConnected;
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  if (options_.database != 0) Send({"SELECT", std::to_string(options_.database)}, nullptr);
  Send({"SCRIPT", "LOAD", kAdmitScript}, nullptr);
  Send({"SCRIPT", "LOAD", kAddScript}, nullptr);
  asio::co_spawn(executor_, ReadReplies(), asio::detached);
}

void RedisCounter::Send(std::vector<std::string> command, std::shared_ptr<Waiter> waiter) {
  AppendCommand(outgoing_, command);
  pending_.push_back(std::move(waiter));
  if (!flushing_) asio::co_spawn(executor_, Flush(), asio::detached);
}

asio::awaitable<void> RedisCounter::Flush() {
  flushing_ = true;
  const uint64_t generation = generation_;
  while (!outgoing_.empty() && generation == generation_) {
    std::string data;
    data.swap(outgoing_);
    auto [error, written] = co_await asio::async_write(socket_, asio::buffer(data), kTuple);
    if (generation != generation_) co_return;  // a reconnect owns the flag now
    if (error) {
      Fail("write failed");
      break;
    }
  }
  flushing_ = false;
}

asio::awaitable<void> RedisCounter::ReadReplies() {
  const uint64_t generation = generation_;
  char buffer[16384];
  for (;;) {
    auto [error, read] = co_await socket_.async_read_some(asio::buffer(buffer), kTuple);
    if (generation != generation_) co_return;
    if (error) {
      Fail("connection closed");
      co_return;
    }
    redisReaderFeed(reader_, buffer, read);
    void* raw = nullptr;
    while (redisReaderGetReply(reader_, &raw) == REDIS_OK && raw != nullptr) {
      auto* reply = static_cast<redisReply*>(raw);
      std::shared_ptr<Waiter> waiter;
      if (!pending_.empty()) {
        waiter = std::move(pending_.front());
        pending_.pop_front();
      }
      if (reply->type == REDIS_REPLY_ERROR) {
        ++failures_;
        common::LogWarning("redis answered an error",
                           {{"error", std::string(reply->str, reply->len)}});
      }
      if (waiter != nullptr && !waiter->result) {
        if (reply->type == REDIS_REPLY_INTEGER) {
          waiter->result = std::vector<int64_t>{static_cast<int64_t>(reply->integer)};
        } else if (reply->type == REDIS_REPLY_ARRAY) {
          std::vector<int64_t> values;
          for (size_t i = 0; i < reply->elements; ++i) {
            values.push_back(reply->element[i]->type == REDIS_REPLY_INTEGER
                                 ? static_cast<int64_t>(reply->element[i]->integer)
                                 : 0);
          }
          waiter->result = std::move(values);
        } else {
          waiter->result = absl::InternalError("redis answered an error");
        }
        waiter->timer.cancel();
      }
      freeReplyObject(reply);
      raw = nullptr;
    }
  }
}

void RedisCounter::Fail(const std::string& why) {
  ++generation_;
  boost::system::error_code ignored;
  socket_.close(ignored);
  state_ = State::kDisconnected;
  retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  outgoing_.clear();
  flushing_ = false;
  for (const std::shared_ptr<Waiter>& waiter : pending_) {
    if (waiter != nullptr && !waiter->result) {
      waiter->result = absl::UnavailableError(StrCat("redis: ", why));
      waiter->timer.cancel();
    }
  }
  pending_.clear();
}

asio::awaitable<absl::StatusOr<int>> RedisCounter::Admit(const std::vector<Window>& windows) {
  if (windows.empty()) co_return -1;
  const auto now = std::chrono::steady_clock::now();
  // Without Redis when every request window holds leased units and every token window was
  // seen under its limit a moment ago.
  bool local = true;
  for (const Window& window : windows) {
    if (window.tokens) {
      auto seen = tokens_seen_.find(window.key);
      local = seen != tokens_seen_.end() && now - seen->second.second < kTokenFreshness &&
              seen->second.first < window.max;
    } else {
      auto lease = leases_.find(window.key);
      local = lease != leases_.end() && lease->second > 0;
    }
    if (!local) break;
  }
  if (local) {
    for (const Window& window : windows) {
      if (!window.tokens) --leases_[window.key];
    }
    co_return -1;
  }
  if (state_ == State::kDisconnected && now >= retry_at_) co_await Connect();
  if (state_ != State::kConnected) {
    ++failures_;
    co_return absl::UnavailableError("redis is not connected");
  }
  if (leases_.size() > kMaxCached) leases_.clear();  // old windows' leftovers: never over-admits
  if (tokens_seen_.size() > kMaxCached) tokens_seen_.clear();
  std::vector<std::string> command{"EVALSHA", AdmitSha(), std::to_string(windows.size())};
  for (const Window& window : windows) command.push_back(window.key);
  std::vector<int64_t> wanted;
  for (const Window& window : windows) {
    int64_t want = 0;
    if (!window.tokens) {
      auto lease = leases_.find(window.key);
      want = lease != leases_.end() && lease->second > 0 ? 0 : std::max<int64_t>(1, window.lease);
    }
    wanted.push_back(want);
    command.push_back(std::to_string(window.max));
    command.push_back(std::to_string(std::max<int64_t>(1, window.ttl_s)));
    command.push_back(window.tokens ? "1" : "0");
    command.push_back(std::to_string(want));
  }
  auto waiter = std::make_shared<Waiter>(executor_);
  waiter->timer.expires_after(options_.timeout);
  Send(std::move(command), waiter);
  co_await waiter->timer.async_wait(kTuple);
  if (!waiter->result) {
    waiter->result = absl::DeadlineExceededError("redis did not answer in time");
    ++failures_;
    // A Redis that stopped answering: start over rather than queue behind it.
    if (pending_.size() > 1000) Fail("too many unanswered calls");
  }
  if (!waiter->result->ok()) co_return waiter->result->status();
  const std::vector<int64_t>& reply = **waiter->result;
  if (reply.size() != windows.size() + 1) co_return absl::InternalError("redis: unexpected reply");
  const int refused = static_cast<int>(reply[0]);
  const auto answered = std::chrono::steady_clock::now();
  for (size_t i = 0; i < windows.size(); ++i) {
    if (windows[i].tokens) {
      tokens_seen_[windows[i].key] = {reply[i + 1], answered};
    } else if (refused < 0) {
      int64_t& units = leases_[windows[i].key];
      units += reply[i + 1] - 1;  // the units granted (if it asked), less this request
    }
  }
  co_return refused;
}

void RedisCounter::Add(const std::vector<Window>& windows, int64_t amount) {
  if (windows.empty() || amount <= 0) return;
  for (const Window& window : windows) {
    auto& [total, ttl] = charges_[window.key];
    total += amount;
    ttl = std::max<int64_t>(1, window.ttl_s);
    // This worker's view of the window includes its own charges at once.
    if (auto seen = tokens_seen_.find(window.key); seen != tokens_seen_.end()) {
      seen->second.first += amount;
    }
  }
  if (!charges_pending_) {
    charges_pending_ = true;
    asio::co_spawn(executor_, FlushCharges(), asio::detached);
  }
}

asio::awaitable<void> RedisCounter::FlushCharges() {
  // Charges gather for a moment and leave as one script: a worker's answers cost Redis one
  // call per 20 ms, not one each.
  asio::steady_timer timer(executor_, kChargeDelay);
  co_await timer.async_wait(kTuple);
  charges_pending_ = false;
  if (charges_.empty()) co_return;
  if (state_ != State::kConnected) {
    ++failures_;
    charges_.clear();
    co_return;
  }
  std::vector<std::string> command{"EVALSHA", AddSha(), std::to_string(charges_.size())};
  for (const auto& [key, charge] : charges_) command.push_back(key);
  for (const auto& [key, charge] : charges_) {
    command.push_back(std::to_string(charge.first));
    command.push_back(std::to_string(charge.second));
  }
  charges_.clear();
  Send(std::move(command), nullptr);
}

}  // namespace switchyard::dp
