// switchyard-control-plane: wiring only. Owns provider configuration, serves the REST and
// gRPC admin APIs, stores everything in PostgreSQL.
//
//   switchyard-control-plane --postgres-dsn=postgresql://... [--config=config.json]
//       [--grpc-listen=0.0.0.0:50051] [--http-listen=0.0.0.0:8081]
//       [--admin-token-file=FILE] [--dev]
//
// Admin tokens come from SWITCHYARD_ADMIN_TOKEN (comma-separated) and/or --admin-token-file.
// Without one the process refuses to start, unless --dev: then it binds loopback only and,
// when no token is configured, accepts admin calls without one.
#include <grpcpp/ext/health_check_service_server_builder_option.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "common/admin_auth.h"
#include "common/bearer_tokens.h"
#include "common/flags.h"
#include "common/http/http_server.h"
#include "common/log.h"
#include "common/process.h"
#include "common/strings.h"
#include "control-plane/api/grpc/admin_service.h"
#include "control-plane/api/grpc/fleet_service.h"
#include "control-plane/api/grpc/logs_service.h"
#include "control-plane/api/rest/rest_api.h"
#include "control-plane/bootstrap/config_file.h"
#include "control-plane/feed/change_feed.h"
#include "control-plane/feed/fleet_registry.h"
#include "control-plane/feed/watch_service.h"
#include "control-plane/service/provider_service.h"
#include "control-plane/store/postgres/postgres_log_store.h"
#include "control-plane/store/postgres/postgres_store.h"

namespace switchyard::cp {
namespace {

using common::LogError;
using common::LogInfo;
using common::LogWarning;
using common::StrCat;

constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;

int Fail(std::string_view message, std::string_view detail = {}) {
  LogError(message, {{"error", detail}});
  return kExitFailure;
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// "0.0.0.0:8081" -> "127.0.0.1:8081" in development mode.
std::string Loopback(const std::string& address) {
  auto host_port = common::SplitHostPort(address);
  if (!host_port.ok()) return address;
  return StrCat("127.0.0.1:", host_port->second);
}

int Run(int argc, char** argv) {
  common::Flags flags;
  flags.Define("grpc-listen", "0.0.0.0:50051", "gRPC admin API address (host:port)");
  flags.Define("http-listen", "0.0.0.0:8081", "REST admin API address (host:port)");
  flags.Define("postgres-dsn", "", "PostgreSQL connection string (or SWITCHYARD_POSTGRES_DSN)");
  flags.Define("admin-token-file", "", "file with admin tokens, one per line");
  flags.Define("config", "", "Bifrost-style config.json whose providers are applied at start");
  flags.Define("replica-id", "", "name of this replica in fleet status (default: host name)");
  flags.Define("change-log-depth", "10000",
               "change-log rows kept; a data plane further behind gets a snapshot");
  flags.Define("catch-up-interval-ms", "2000",
               "how often the change feed reads the log without a notification");
  flags.Define("db-timeout-ms", "5000",
               "bound on every database call (connect, statement, waiting for a connection): a "
               "hung or unreachable database answers 503 within it");
  flags.Define("admin-jwks-file", "",
               "JWKS document (RS256, ES256 keys) admin JWTs are verified against; re-read on change");
  flags.Define("admin-jwt-issuer", "", "required iss of admin JWTs");
  flags.Define("admin-jwt-audience", "", "required aud of admin JWTs");
  flags.Define("admin-jwt-role-claim", "",
               "claim that must hold admin (read and write) or viewer (read only); unset: any "
               "valid JWT may read and write");
  flags.Define("tls-cert", "", "PEM certificate chain: serve the gRPC and REST APIs over TLS");
  flags.Define("tls-key", "", "PEM private key of --tls-cert");
  flags.Define("client-ca", "",
               "PEM CA bundle: the gRPC port requires client certificates signed by it (mutual "
               "TLS; the data-plane token is still checked)");
  flags.Define("tls-reload-interval-s", "60",
               "how often certificate, key and CA files are checked for rotation");
  flags.Define("encryption-key-file", "",
               "AES-256 keys sealing stored secrets: base64 of 32 bytes per line, the first seals, "
               "all open (or SWITCHYARD_ENCRYPTION_KEY); without one secrets are stored in clear");
  flags.DefineSwitch("reencrypt",
                     "re-seal every stored secret under the first encryption key, then exit "
                     "(key rotation)");
  flags.Define("log-retention-days", "7",
               "request logs older than this many days are dropped (whole day partitions)");
  flags.DefineSwitch("dev", "development mode: loopback only; no token needed when none is set");
  flags.DefineSwitch("help", "print this help");
  if (absl::Status parsed = flags.Parse(argc, argv); !parsed.ok()) {
    std::cerr << parsed.message() << "\n" << flags.Usage(argv[0]);
    return kExitUsage;
  }
  if (flags.IsSet("help")) {
    std::cout << flags.Usage(argv[0]);
    return 0;
  }
  const bool dev = flags.IsSet("dev");

  std::string token_text = Env("SWITCHYARD_ADMIN_TOKEN");
  if (const std::string& file = flags.Get("admin-token-file"); !file.empty()) {
    std::ifstream in(file);
    if (!in) return Fail("cannot read --admin-token-file", file);
    std::stringstream contents;
    contents << in.rdbuf();
    token_text += "\n" + contents.str();
  }
  common::BearerTokens tokens = common::BearerTokens::Parse(token_text);
  std::optional<common::AdminAuth::JwtConfig> jwt;
  if (const std::string& jwks = flags.Get("admin-jwks-file"); !jwks.empty()) {
    jwt = common::AdminAuth::JwtConfig{jwks,
                                       {.issuer = flags.Get("admin-jwt-issuer"),
                                        .audience = flags.Get("admin-jwt-audience"),
                                        .role_claim = flags.Get("admin-jwt-role-claim")}};
  }
  const bool any_admin_credential = !tokens.empty() || jwt.has_value();
  absl::StatusOr<std::shared_ptr<common::AdminAuth>> admin_auth =
      common::AdminAuth::Create(tokens, std::move(jwt));
  if (!admin_auth.ok()) {
    std::cerr << admin_auth.status().message() << "\n";
    return kExitUsage;
  }
  if (!any_admin_credential && !dev && !flags.IsSet("reencrypt")) {  // (--reencrypt serves nothing)
    std::cerr << "no admin token configured: set SWITCHYARD_ADMIN_TOKEN or --admin-token-file, "
                 "or pass --dev for a loopback-only development server\n";
    return kExitUsage;
  }

  // Data planes authenticate with their own token; in dev mode without one, watches are open.
  common::BearerTokens data_plane_tokens =
      common::BearerTokens::Parse(Env("SWITCHYARD_DATA_PLANE_TOKEN"));
  if (data_plane_tokens.empty() && !dev) {
    LogWarning("no SWITCHYARD_DATA_PLANE_TOKEN configured: every data-plane watch is refused");
  }
  int64_t change_log_depth = 0;
  int64_t catch_up_ms = 0;
  int64_t log_retention_days = 0;
  if (!absl::SimpleAtoi(flags.Get("log-retention-days"), &log_retention_days) ||
      log_retention_days < 1 || log_retention_days > 3650) {
    std::cerr << "--log-retention-days must be between 1 and 3650\n";
    return kExitUsage;
  }
  int64_t db_timeout_ms = 0;
  if (!absl::SimpleAtoi(flags.Get("db-timeout-ms"), &db_timeout_ms) || db_timeout_ms < 100) {
    std::cerr << "--db-timeout-ms must be >= 100\n";
    return kExitUsage;
  }
  if (!absl::SimpleAtoi(flags.Get("change-log-depth"), &change_log_depth) ||
      change_log_depth < 1 || !absl::SimpleAtoi(flags.Get("catch-up-interval-ms"), &catch_up_ms) ||
      catch_up_ms < 10) {
    std::cerr << "--change-log-depth must be >= 1 and --catch-up-interval-ms >= 10\n";
    return kExitUsage;
  }
  std::string replica = flags.Get("replica-id");
  if (replica.empty()) replica = common::HostName();

  std::string grpc_listen = flags.Get("grpc-listen");
  std::string http_listen = flags.Get("http-listen");
  if (dev) {
    grpc_listen = Loopback(grpc_listen);
    http_listen = Loopback(http_listen);
    if (!any_admin_credential) {
      LogWarning("development mode: admin API open without a token, bound to loopback only");
    } else {
      LogWarning("development mode: bound to loopback only");
    }
  }

  std::string dsn = flags.Get("postgres-dsn");
  if (dsn.empty()) dsn = Env("SWITCHYARD_POSTGRES_DSN");
  if (dsn.empty()) {
    std::cerr << "no database: pass --postgres-dsn or set SWITCHYARD_POSTGRES_DSN\n";
    return kExitUsage;
  }

  std::shared_ptr<const common::SecretBox> secrets;
  {
    std::string keys = Env("SWITCHYARD_ENCRYPTION_KEY");
    if (const std::string& file = flags.Get("encryption-key-file"); !file.empty()) {
      absl::StatusOr<common::SecretBox> box = common::SecretBox::FromKeyFile(file);
      if (!box.ok()) return Fail("bad --encryption-key-file", common::ToStd(box.status().message()));
      secrets = std::make_shared<const common::SecretBox>(*std::move(box));
    } else if (!keys.empty()) {
      absl::StatusOr<common::SecretBox> box = common::SecretBox::FromKeys(keys);
      if (!box.ok()) return Fail("bad SWITCHYARD_ENCRYPTION_KEY", common::ToStd(box.status().message()));
      secrets = std::make_shared<const common::SecretBox>(*std::move(box));
    }
  }
  if (flags.IsSet("reencrypt") && secrets == nullptr) {
    std::cerr << "--reencrypt needs the encryption keys (--encryption-key-file or "
                 "SWITCHYARD_ENCRYPTION_KEY), the new one first\n";
    return kExitUsage;
  }

  // TLS (and mutual TLS) on the gRPC port; files re-read for rotation by gRPC's watcher.
  std::shared_ptr<grpc::ServerCredentials> grpc_credentials = grpc::InsecureServerCredentials();
  const std::string tls_cert = flags.Get("tls-cert");
  const std::string tls_key = flags.Get("tls-key");
  const std::string client_ca = flags.Get("client-ca");
  int64_t reload_s = 0;
  if (!absl::SimpleAtoi(flags.Get("tls-reload-interval-s"), &reload_s) || reload_s < 1) {
    std::cerr << "--tls-reload-interval-s must be >= 1\n";
    return kExitUsage;
  }
  if (tls_cert.empty() != tls_key.empty() || (!client_ca.empty() && tls_cert.empty())) {
    std::cerr << "--tls-cert and --tls-key go together; --client-ca needs them\n";
    return kExitUsage;
  }
  for (const std::string& file : {tls_cert, tls_key, client_ca}) {
    if (!file.empty() && !std::ifstream(file)) return Fail("cannot read a TLS file", file);
  }
  if (tls_cert.empty()) {
    LogWarning("no --tls-cert: the gRPC and REST APIs are plaintext, and config distribution "
               "carries provider secrets in clear");
  } else {
    auto provider = client_ca.empty()
                        ? std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                              tls_key, tls_cert, static_cast<unsigned>(reload_s))
                        : std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
                              tls_key, tls_cert, client_ca, static_cast<unsigned>(reload_s));
    grpc::experimental::TlsServerCredentialsOptions tls(provider);
    tls.watch_identity_key_cert_pairs();
    if (client_ca.empty()) {
      tls.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    } else {
      tls.watch_root_certs();
      tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    }
    grpc_credentials = grpc::experimental::TlsServerCredentials(tls);
  }

  common::TerminationSignals signals;  // before any thread starts

  auto store = PostgresStore::Create({.dsn = dsn,
                                      .operation_timeout = std::chrono::milliseconds(db_timeout_ms),
                                      .secrets = secrets});
  if (!store.ok()) return Fail("cannot open the database", common::ToStd(store.status().message()));
  if (secrets == nullptr) {
    LogWarning("secrets are stored in clear in PostgreSQL: give --encryption-key-file or "
               "SWITCHYARD_ENCRYPTION_KEY to seal them (AES-256-GCM)");
  } else {
    // Rows written in clear (before a key was given) are sealed now; --reencrypt re-seals all.
    absl::StatusOr<int> sealed = (*store)->SealStoredSecrets(flags.IsSet("reencrypt"));
    if (!sealed.ok()) return Fail("cannot seal the stored secrets", common::ToStd(sealed.status().message()));
    if (*sealed > 0 || flags.IsSet("reencrypt")) {
      LogInfo("stored secrets sealed", {{"rows", std::to_string(*sealed)},
                                        {"key_id", secrets->sealing_key_id()}});
    }
    if (flags.IsSet("reencrypt")) return 0;
  }
  ProviderService service(store->get(), store->get());
  if (absl::StatusOr<int> upgraded = service.UpgradeStoredConfigs(); !upgraded.ok()) {
    return Fail("cannot upgrade the stored configs", common::ToStd(upgraded.status().message()));
  } else if (*upgraded > 0) {
    LogInfo("stored configs brought to this version's canonical form",
            {{"providers", std::to_string(*upgraded)}});
  }

  if (const std::string& config = flags.Get("config"); !config.empty()) {
    if (absl::Status applied = ApplyConfigFile(config, service); !applied.ok()) {
      return Fail("cannot apply the config file", common::ToStd(applied.message()));
    }
  }

  ChangeFeed feed(store->get(), (*store)->NewNotifier(),
                  {.catch_up_interval = std::chrono::milliseconds(catch_up_ms),
                   .change_log_depth = change_log_depth});
  if (absl::Status started = feed.Start(std::chrono::seconds(30)); !started.ok()) {
    return Fail("cannot start the change feed", common::ToStd(started.message()));
  }
  FleetRegistry fleet(store->get(), &feed, replica);
  fleet.Start();

  GovernanceService governance(store->get());
  SpendLedger ledger(&governance);
  PostgresLogStore log_store(dsn);
  LogIngest log_ingest(&log_store, {.retention = std::chrono::hours(24 * log_retention_days)});
  log_ingest.Start();
  LogService log_service(&log_store);
  LogsAdminService logs_admin_service(&log_service, *admin_auth);
  AdminService admin_service(&service, *admin_auth);
  GovernanceAdminService governance_service(&governance, *admin_auth);
  FleetService fleet_service(&fleet, *admin_auth);
  WatchService watch_service(&feed, &fleet, data_plane_tokens,
                             /*open_without_token=*/dev && data_plane_tokens.empty(), &ledger,
                             &log_ingest);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  builder.AddListeningPort(grpc_listen, grpc_credentials, &grpc_port);
  builder.RegisterService(&admin_service);
  builder.RegisterService(&governance_service);
  builder.RegisterService(&fleet_service);
  builder.RegisterService(&logs_admin_service);
  builder.RegisterService(&watch_service);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (grpc_server == nullptr || grpc_port == 0) {
    return Fail("cannot listen for gRPC", grpc_listen);
  }
  auto grpc_host = common::SplitHostPort(grpc_listen);
  LogInfo("listening", {{"api", "grpc"},
                        {"addr", StrCat(grpc_host.ok() ? grpc_host->first : "0.0.0.0", ":",
                                        grpc_port)}});

  RestApi rest_api(&service, &fleet, *admin_auth, /*secrets_sealed=*/secrets != nullptr,
                   &governance, &log_service);
  common::HttpServerOptions http_options;
  http_options.listen = http_listen;
  http_options.threads = 4;
  http_options.tls_cert_file = tls_cert;
  http_options.tls_key_file = tls_key;
  http_options.tls_reload_interval = std::chrono::seconds(reload_s);
  auto http_server = common::HttpServer::Start(
      http_options, [&rest_api](const common::HttpRequest& request) {
        return rest_api.Handle(request);
      });
  if (!http_server.ok()) {
    return Fail("cannot listen for REST", common::ToStd(http_server.status().message()));
  }
  LogInfo("listening", {{"api", "rest"}, {"addr", (*http_server)->address()}});

  signals.Wait();
  (*http_server)->Stop();
  log_ingest.Stop();  // (first: the ShipLogs streams then end with the server)
  grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  feed.Stop();
  fleet.Stop();
  return 0;
}

}  // namespace
}  // namespace switchyard::cp

int main(int argc, char** argv) { return switchyard::cp::Run(argc, argv); }
