// switchyard-data-plane: wiring only. Watches the control plane for provider configs, keeps
// them as an in-memory routing table (and on disk with --cache-dir), serves the
// OpenAI-compatible inference API (--http-listen) and the admin listener.
//
//   SWITCHYARD_DATA_PLANE_TOKEN=... switchyard-data-plane --control-plane=cp:50051
//       [--node-id=NAME] [--http-listen=0.0.0.0:8080] [--admin-listen=127.0.0.1:9901]
//       [--cache-dir=DIR] [--key-env-allow=PREFIX[,PREFIX...]] [--drain-timeout-ms=25000]

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/flags.h"
#include "common/http/http_server.h"
#include "common/log.h"
#include "common/process.h"
#include "common/strings.h"
#include "data-plane/config/config_applier.h"
#include <unistd.h>

#include "data-plane/config/last_good_cache.h"
#include "data-plane/config/metrics.h"
#include "data-plane/config/watch_client.h"
#include "data-plane/http/admin_api.h"
#include "data-plane/http/inference_server.h"
#include "data-plane/logs/log_shipper.h"
#include "data-plane/table/table_slot.h"

namespace switchyard::dp {
namespace {

using common::LogError;
using common::LogInfo;

int Run(int argc, char** argv) {
  common::Flags flags;
  flags.Define("control-plane", "", "control plane gRPC address (host:port)");
  flags.Define("node-id", "", "this data plane's name in fleet status (default: host name)");
  flags.Define("http-listen", "0.0.0.0:8080", "inference listener address");
  flags.Define("admin-listen", "127.0.0.1:9901", "admin listener address (health, metrics)");
  flags.Define("cache-dir", "", "directory for the last good table (start without a control "
                                "plane)");
  flags.Define("control-plane-ca", "",
               "PEM CA that signed the control plane's certificate: watch over TLS");
  flags.Define("control-plane-cert", "", "PEM client certificate for mutual TLS");
  flags.Define("control-plane-key", "", "PEM private key of --control-plane-cert");
  flags.Define("tls-reload-interval-s", "60",
               "how often the control-plane CA and client certificate files are re-read");
  flags.Define("cache-key-file", "",
               "AES-256 keys (base64, one per line; the first seals) for the disk cache: it holds "
               "provider secrets, so without a key no cache is written");
  flags.Define("reconnect-max-ms", "30000", "longest wait between reconnect attempts");
  flags.Define("workers", "0", "inference worker threads (0: one per core)");
  flags.Define("header-timeout-ms", "10000",
               "time a client has to send a request's headers (slow clients are cut off)");
  flags.Define("idle-timeout-ms", "120000", "keep-alive connections idle this long are closed");
  flags.Define("write-timeout-ms", "60000",
               "a client that reads nothing of a response for this long is disconnected");
  flags.Define("tls-cert", "", "PEM certificate chain: serve the inference API over TLS");
  flags.Define("tls-key", "", "PEM private key for --tls-cert");
  flags.Define("key-env-allow", "",
               "comma-separated prefixes: keys may read only environment variables starting "
               "with one of them (SWITCHYARD_* is never readable)");
  flags.Define("request-deadline-ms", "300000",
               "overall deadline of one inference request up to its response head (retries, "
               "backoff and fallbacks included)");
  flags.Define("upstream-idle-timeout-ms", "30000",
               "pooled provider connections unused this long are closed (keep it below the "
               "providers' keep-alive)");
  flags.Define("max-upload-bytes", "536870912",
               "the largest file upload (POST /v1/files over HTTP/1.1), streamed through to the "
               "provider, never held in memory (past it: 413)");
  flags.Define("max-audio-upload-bytes", "26214400",
               "the largest audio upload (transcriptions, translations; past it: 413)");
  flags.Define("upload-spool-dir", "",
               "where audio uploads and image edits are spooled while they are read (unlinked "
               "files; default: $TMPDIR, else /tmp)");
  flags.Define("h2-max-buffered-bytes", "67108864",
               "request body bytes one HTTP/2 connection may hold at once, over all its streams "
               "(past it: 413)");
  flags.Define("drain-timeout-ms", "25000",
               "on SIGTERM, how long in-flight requests and streams may take to finish");
  flags.Define("models-wait-ms", "2000",
               "longest a model listing waits for providers whose model list is not cached yet");
  flags.Define("models-refresh-s", "300",
               "cached provider model lists older than this are refreshed in the background");
  flags.Define("rate-limit-policy", "local",
               "how virtual-key rate limits are counted: local (each data plane alone) or redis "
               "(fleet-wide, --redis-url)");
  flags.Define("redis-url", "", "redis://host:port[/db] for --rate-limit-policy=redis");
  flags.Define("redis-timeout-ms", "50", "longest wait for Redis per request");
  flags.Define("redis-failure", "open",
               "when Redis does not answer: open (requests pass) or closed (503)");
  flags.DefineSwitch("require-virtual-key",
                     "every inference request must present a virtual key (401 otherwise)");
  flags.Define("request-logs", "on",
               "on: a record of every inference request goes to the control plane (/api/logs); "
               "off: none");
  flags.Define("log-queue-records", "10000",
               "request log records held while the control plane is slow or away; more are "
               "dropped and counted");
  flags.Define("log-queue-bytes", "67108864", "the same bound in bytes (raw bodies included)");
  flags.DefineSwitch("help", "print this help");
  if (absl::Status parsed = flags.Parse(argc, argv); !parsed.ok()) {
    std::cerr << parsed.message() << "\n" << flags.Usage(argv[0]);
    return 2;
  }
  if (flags.IsSet("help")) {
    std::cout << flags.Usage(argv[0]);
    return 0;
  }
  if (flags.Get("control-plane").empty()) {
    std::cerr << "--control-plane is required\n" << flags.Usage(argv[0]);
    return 2;
  }
  int64_t reconnect_max_ms = 0;
  if (!absl::SimpleAtoi(flags.Get("reconnect-max-ms"), &reconnect_max_ms) ||
      reconnect_max_ms < 10) {
    std::cerr << "--reconnect-max-ms must be a number >= 10\n";
    return 2;
  }
  int workers = 0;
  int64_t header_timeout_ms = 0;
  int64_t idle_timeout_ms = 0;
  if (!absl::SimpleAtoi(flags.Get("workers"), &workers) || workers < 0 ||
      !absl::SimpleAtoi(flags.Get("header-timeout-ms"), &header_timeout_ms) ||
      header_timeout_ms < 1 || !absl::SimpleAtoi(flags.Get("idle-timeout-ms"), &idle_timeout_ms) ||
      idle_timeout_ms < 1) {
    std::cerr << "--workers must be >= 0, --header-timeout-ms and --idle-timeout-ms >= 1\n";
    return 2;
  }
  // A numeric flag of at least `minimum`; false (after saying which) when it is not.
  auto number_flag = [&flags](const char* name, int64_t minimum, int64_t* out) {
    if (absl::SimpleAtoi(flags.Get(name), out) && *out >= minimum) return true;
    std::cerr << "--" << name << " must be a number >= " << minimum << "\n";
    return false;
  };
  int64_t deadline_ms = 0;
  int64_t drain_ms = 0;
  int64_t upstream_idle_ms = 0;
  int64_t write_timeout_ms = 0;
  int64_t h2_buffered = 0;
  int64_t max_upload = 0;
  int64_t max_audio_upload = 0;
  int64_t models_wait_ms = 0;
  int64_t models_refresh_s = 0;
  if (!number_flag("h2-max-buffered-bytes", 1, &h2_buffered) ||
      !number_flag("max-upload-bytes", 1, &max_upload) ||
      !number_flag("max-audio-upload-bytes", 1, &max_audio_upload) ||
      !number_flag("write-timeout-ms", 1, &write_timeout_ms) ||
      !number_flag("upstream-idle-timeout-ms", 10, &upstream_idle_ms) ||
      !number_flag("request-deadline-ms", 1, &deadline_ms) ||
      !number_flag("drain-timeout-ms", 0, &drain_ms) ||
      !number_flag("models-wait-ms", 0, &models_wait_ms) ||
      !number_flag("models-refresh-s", 1, &models_refresh_s)) {
    return 2;
  }
  std::vector<std::string> env_allow;
  for (absl::string_view prefix :
       absl::StrSplit(flags.Get("key-env-allow"), ',', absl::SkipWhitespace())) {
    env_allow.emplace_back(absl::StripAsciiWhitespace(prefix));
  }
  std::string node_id = flags.Get("node-id");
  if (node_id.empty()) node_id = common::HostName();
  const char* token = std::getenv("SWITCHYARD_DATA_PLANE_TOKEN");

  common::TerminationSignals signals;  // before any thread starts

  int64_t tls_reload_s = 0;
  if (!absl::SimpleAtoi(flags.Get("tls-reload-interval-s"), &tls_reload_s) || tls_reload_s < 1) {
    LogError("--tls-reload-interval-s must be >= 1");
    return 2;
  }
  if (flags.Get("control-plane-cert").empty() != flags.Get("control-plane-key").empty() ||
      (!flags.Get("control-plane-cert").empty() && flags.Get("control-plane-ca").empty())) {
    LogError("--control-plane-cert and --control-plane-key go together, and need "
             "--control-plane-ca");
    return 2;
  }
  if (flags.Get("control-plane-ca").empty()) {
    common::LogWarning("no --control-plane-ca: the config stream (provider secrets included) is "
               "plaintext");
  }

  TableSlot slot;
  ConfigMetrics metrics;
  std::unique_ptr<LastGoodCache> cache;
  if (const std::string dir = flags.Get("cache-dir"); !dir.empty()) {
    if (flags.Get("cache-key-file").empty()) {
      // Secrets never rest on disk in clear: no key, no cache (and an old clear one goes).
      common::LogWarning("not writing the disk cache: --cache-key-file is not set and the cache "
                         "would hold provider secrets in clear",
                         {{"cache_dir", dir}});
      ::unlink((dir + "/last-good.json").c_str());
    } else {
      absl::StatusOr<common::SecretBox> box = common::SecretBox::FromKeyFile(flags.Get("cache-key-file"));
      if (!box.ok()) {
        common::LogError("bad --cache-key-file", {{"error", common::ToStd(box.status().message())}});
        return 2;
      }
      cache = std::make_unique<LastGoodCache>(dir, *std::move(box));
    }
  }
  UsageCounters usage_counters;  // governance windows and unreported spend, across tables
  ConfigApplier applier(&slot, cache.get(), &metrics, KeyEnvironment::Process(env_allow),
                        &usage_counters);
  if (cache != nullptr) {
    if (absl::Status loaded = applier.LoadCache(); !loaded.ok() && !absl::IsNotFound(loaded)) {
      common::LogWarning("ignoring the disk cache", {{"error", common::ToStd(loaded.message())}});
    }
  }

  std::atomic<InferenceServer*> inference{nullptr};  // set once the listener runs
  std::function<std::string()> logs_metrics;  // set before the admin listener reads it
  AdminApi admin_api(
      &slot, &metrics,
      [&inference] {
        InferenceServer* server = inference.load();
        return server != nullptr ? server->Counters() : RequestCounters();
      },
      [&logs_metrics, &inference] {
        return inference.load() != nullptr && logs_metrics ? logs_metrics() : std::string();
      });
  common::HttpServerOptions admin_options;
  admin_options.listen = flags.Get("admin-listen");
  admin_options.threads = 1;
  auto admin_server = common::HttpServer::Start(
      admin_options, [&admin_api](const common::HttpRequest& r) { return admin_api.Handle(r); });
  if (!admin_server.ok()) {
    LogError("cannot listen for admin", {{"error", common::ToStd(admin_server.status().message())}});
    return 1;
  }
  LogInfo("listening", {{"api", "admin"}, {"addr", (*admin_server)->address()}});

  InferenceServerOptions http_options;
  http_options.listen = flags.Get("http-listen");
  http_options.workers = workers;
  http_options.header_timeout = std::chrono::milliseconds(header_timeout_ms);
  http_options.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  http_options.tls_cert_file = flags.Get("tls-cert");
  http_options.tls_key_file = flags.Get("tls-key");
  http_options.router.request_deadline = std::chrono::milliseconds(deadline_ms);
  http_options.upstream_idle_timeout = std::chrono::milliseconds(upstream_idle_ms);
  http_options.write_timeout = std::chrono::milliseconds(write_timeout_ms);
  http_options.h2_max_buffered_bytes = static_cast<size_t>(h2_buffered);
  http_options.max_upload_bytes = static_cast<uint64_t>(max_upload);
  http_options.max_audio_upload_bytes = static_cast<uint64_t>(max_audio_upload);
  http_options.upload_spool_dir = flags.Get("upload-spool-dir");
  if (http_options.upload_spool_dir.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    http_options.upload_spool_dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  }
  http_options.model_lists.wait = std::chrono::milliseconds(models_wait_ms);
  http_options.model_lists.refresh = std::chrono::seconds(models_refresh_s);
  http_options.require_virtual_key = flags.IsSet("require-virtual-key");
  if (flags.Get("rate-limit-policy") == "redis") {
    absl::StatusOr<RedisOptions> redis = ParseRedisUrl(flags.Get("redis-url"));
    int64_t redis_timeout_ms = 0;
    if (!redis.ok() || !absl::SimpleAtoi(flags.Get("redis-timeout-ms"), &redis_timeout_ms) ||
        redis_timeout_ms < 1 ||
        (flags.Get("redis-failure") != "open" && flags.Get("redis-failure") != "closed")) {
      std::cerr << (redis.ok() ? std::string("--redis-timeout-ms must be a positive number and "
                                             "--redis-failure open or closed")
                               : std::string(redis.status().message()))
                << "\n";
      return 2;
    }
    redis->timeout = std::chrono::milliseconds(redis_timeout_ms);
    http_options.redis = *redis;
    http_options.redis_fail_open = flags.Get("redis-failure") == "open";
  } else if (flags.Get("rate-limit-policy") != "local") {
    std::cerr << "--rate-limit-policy must be local or redis\n";
    return 2;
  }
  if (http_options.tls_cert_file.empty() != http_options.tls_key_file.empty()) {
    std::cerr << "--tls-cert and --tls-key go together\n";
    return 2;
  }
  WatchClient watch({.control_plane = flags.Get("control-plane"),
                     .node_id = node_id,
                     .token = token == nullptr ? "" : token,
                     .max_backoff = std::chrono::milliseconds(reconnect_max_ms),
                     .ca_file = flags.Get("control-plane-ca"),
                     .cert_file = flags.Get("control-plane-cert"),
                     .key_file = flags.Get("control-plane-key"),
                     .tls_reload_interval = std::chrono::seconds(tls_reload_s)},
                    &applier, &slot, &metrics, &usage_counters);
  std::unique_ptr<LogShipper> logs;
  if (flags.Get("request-logs") == "on") {
    int64_t queue_records = 0;
    int64_t queue_bytes = 0;
    if (!absl::SimpleAtoi(flags.Get("log-queue-records"), &queue_records) || queue_records < 1 ||
        !absl::SimpleAtoi(flags.Get("log-queue-bytes"), &queue_bytes) || queue_bytes < 1) {
      std::cerr << "--log-queue-records and --log-queue-bytes must be positive numbers\n";
      return 2;
    }
    logs = std::make_unique<LogShipper>(watch.channel(),
                                        LogShipperOptions{.max_records = queue_records,
                                                          .max_bytes = queue_bytes,
                                                          .token = token == nullptr ? "" : token});
    http_options.logs = logs.get();
    http_options.node_id = node_id;
    logs_metrics = [shipper = logs.get()] { return shipper->RenderMetrics(); };
  } else if (flags.Get("request-logs") != "off") {
    std::cerr << "--request-logs must be on or off\n";
    return 2;
  }
  auto http_server = InferenceServer::Start(http_options, &slot);
  if (!http_server.ok()) {
    LogError("cannot listen for inference",
             {{"error", common::ToStd(http_server.status().message())}});
    return 1;
  }
  inference = http_server->get();
  LogInfo("listening", {{"api", "http"}, {"addr", (*http_server)->address()}});

  watch.Start();
  if (logs != nullptr) logs->Start();
  LogInfo("data plane started", {{"node", node_id}, {"control_plane", flags.Get("control-plane")}});

  signals.Wait();
  // Drain: fail readiness (load balancers stop sending), stop accepting, let in-flight
  // requests and streams finish, then stop.
  admin_api.SetDraining();
  LogInfo("draining", {{"timeout_ms", std::to_string(drain_ms)}});
  const auto drain_start = std::chrono::steady_clock::now();
  const bool drained = (*http_server)->Drain(std::chrono::milliseconds(drain_ms));
  LogInfo(drained ? "drained" : "drain timeout: closing the requests still in flight");
  if (logs != nullptr) {
    // The records of the last requests leave within what is left of the drain timeout (at
    // least a second).
    const auto left = std::chrono::milliseconds(drain_ms) -
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - drain_start);
    logs->Stop(std::max(left, std::chrono::milliseconds(1000)));
    LogInfo("request logs flushed", {{"shipped", std::to_string(logs->shipped())},
                                     {"dropped", std::to_string(logs->dropped())}});
  }
  watch.Stop();
  inference = nullptr;
  (*http_server)->Stop();
  (*admin_server)->Stop();
  return 0;
}

}  // namespace
}  // namespace switchyard::dp

int main(int argc, char** argv) { return switchyard::dp::Run(argc, argv); }
