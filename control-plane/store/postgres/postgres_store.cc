#include "control-plane/store/postgres/postgres_store.h"

#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "absl/base/thread_annotations.h"
#include <google/protobuf/util/json_util.h>

#include "common/barndoor.h"
#include "common/governance.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/provider_json.h"
#include "common/redaction.h"
#include "common/strings.h"
#include "control-plane/store/postgres/guard.h"
#include "control-plane/store/postgres/migrations.h"

namespace switchyard::cp {
namespace {

using common::StrCat;
using v1::ProviderConfig;

// Each secret opened in place (those not sealed are left as they are).
absl::Status OpenAll(const std::vector<std::string*>& secrets, const common::SecretBox* box) {
  for (std::string* value : secrets) {
    if (!common::SecretBox::IsSealed(*value)) continue;
    if (box == nullptr) {
      return absl::FailedPreconditionError(
          "stored secrets are sealed: start the control plane with its encryption key");
    }
    absl::StatusOr<std::string> opened = box->Open(*value);
    if (!opened.ok()) {
      return absl::InternalError(
          StrCat("a stored secret does not open: ", opened.status().message()));
    }
    *value = *std::move(opened);
  }
  return absl::OkStatus();
}

// The stored secrets of `config` opened in place.
absl::Status OpenSecrets(v1::ProviderConfig* config, const common::SecretBox* box) {
  std::vector<std::string*> secrets;
  common::VisitStoredSecrets(config, [&](std::string* value) { secrets.push_back(value); });
  return OpenAll(secrets, box);
}

// The stored (canonical JSON) form of `config`, its secrets sealed when there is a key.
std::string StoredJson(v1::ProviderConfig config, const common::SecretBox* box) {
  if (box != nullptr) {
    common::VisitStoredSecrets(&config, [&](std::string* value) { *value = box->Seal(*value); });
  }
  return common::ProviderToJson(config, common::JsonView::kCanonical);
}

absl::StatusOr<StoredProvider> RowToProvider(const pqxx::row& row, const common::SecretBox* box) {
  // Columns: config::text, config_hash, source_hash, revision
  auto config = common::ProviderFromJson(row[0].as<std::string>());
  if (!config.ok()) {
    return absl::InternalError(StrCat("stored config is unreadable: ", config.status().message()));
  }
  if (absl::Status opened = OpenSecrets(&*config, box); !opened.ok()) return opened;
  StoredProvider stored;
  stored.config = *std::move(config);
  stored.config.set_config_hash(row[1].as<std::string>());
  stored.config.set_provider_status("active");
  stored.config.set_status("active");
  stored.source_hash = row[2].is_null() ? std::string() : row[2].as<std::string>();
  stored.revision = row[3].as<int64_t>();
  return stored;
}

constexpr char kSelectColumns[] = "SELECT config::text, config_hash, source_hash, revision ";

// A governance object as stored (jsonb): the whole message, value_sha256 included, a
// credential's secrets sealed when there is a key.
std::string ObjectToStoredJson(v1::GovernanceObject object, const common::SecretBox* box) {
  if (box != nullptr) {
    common::VisitCredentialSecrets(&object, [&](std::string* value) { *value = box->Seal(*value); });
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(object, &text, options);
  return text;
}

// The stored object as it is (secrets still sealed).
absl::StatusOr<v1::GovernanceObject> ParseStoredObject(const std::string& text) {
  v1::GovernanceObject object;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a field a later version added
  if (!google::protobuf::util::JsonStringToMessage(text, &object, options).ok()) {
    return absl::InternalError("a stored governance object is unreadable");
  }
  return object;
}

absl::StatusOr<v1::GovernanceObject> ObjectFromStoredJson(const std::string& text,
                                                          const common::SecretBox* box) {
  ASSIGN_OR_RETURN(v1::GovernanceObject object, ParseStoredObject(text));
  std::vector<std::string*> secrets;
  common::VisitCredentialSecrets(&object, [&](std::string* value) { secrets.push_back(value); });
  RETURN_IF_ERROR(OpenAll(secrets, box));
  return object;
}

// Columns: config::text, config_hash, revision, created_at, updated_at (RFC 3339 text)
absl::StatusOr<StoredObject> RowToObject(const pqxx::row& row, const common::SecretBox* box) {
  ASSIGN_OR_RETURN(v1::GovernanceObject object,
                   ObjectFromStoredJson(row[0].as<std::string>(), box));
  StoredObject stored;
  stored.object = std::move(object);
  common::SetTimes(stored.object, row[3].as<std::string>(), row[4].as<std::string>());
  stored.revision = row[2].as<int64_t>();
  return stored;
}

constexpr char kObjectColumns[] =
    "SELECT config::text, config_hash, revision, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') ";

// Columns: revision, provider, config::text (NULL for a delete), config_hash, kind
absl::StatusOr<ChangeRow> RowToChange(const pqxx::row& row, const common::SecretBox* box) {
  ChangeRow change;
  change.revision = row[0].as<int64_t>();
  change.provider = row[1].as<std::string>();
  if (const std::string kind = row[4].as<std::string>(); kind != "provider") {
    change.kind = kind;
    if (!row[2].is_null()) {
      ASSIGN_OR_RETURN(v1::GovernanceObject object,
                       ObjectFromStoredJson(row[2].as<std::string>(), box));
      change.governance = std::move(object);
    }
    return change;
  }
  if (!row[2].is_null()) {
    auto config = common::ProviderFromJson(row[2].as<std::string>());
    if (!config.ok()) {
      return absl::InternalError(
          StrCat("change ", change.revision, " is unreadable: ", config.status().message()));
    }
    if (absl::Status opened = OpenSecrets(&*config, box); !opened.ok()) return opened;
    config->set_config_hash(row[3].is_null() ? "" : row[3].as<std::string>());
    config->set_provider_status("active");
    config->set_status("active");
    change.config = *std::move(config);
  }
  return change;
}

constexpr char kChangeColumns[] = "SELECT revision, provider, config::text, config_hash, kind ";

// LISTEN on a connection of its own; reconnects on the next Wait() after a failure.
class PostgresChangeNotifier : public ChangeNotifier {
 public:
  explicit PostgresChangeNotifier(std::string dsn) : dsn_(std::move(dsn)) {}

  absl::StatusOr<bool> Wait(std::chrono::milliseconds timeout) override {
    return Guard("listen", [&]() -> absl::StatusOr<bool> {
      if (connection_ == nullptr || !connection_->is_open()) {
        receiver_.reset();
        connection_.reset();
        auto connection = std::make_unique<pqxx::connection>(dsn_);
        receiver_ = std::make_unique<Receiver>(*connection, &notified_);
        connection_ = std::move(connection);
        // Anything committed before LISTEN took effect is caught by the caller's query.
        return true;
      }
      try {
        notified_ = false;
        connection_->get_notifs();
        if (!notified_) {
          const auto ms = timeout.count();
          connection_->await_notification(ms / 1000, (ms % 1000) * 1000);
        }
        return notified_;
      } catch (...) {
        receiver_.reset();
        connection_.reset();
        throw;
      }
    });
  }

 private:
  class Receiver : public pqxx::notification_receiver {
   public:
    Receiver(pqxx::connection& connection, bool* notified)
        : pqxx::notification_receiver(connection, "switchyard_changes"), notified_(notified) {}
    void operator()(const std::string&, int) override { *notified_ = true; }

   private:
    bool* notified_;
  };

  const std::string dsn_;
  bool notified_ = false;
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<Receiver> receiver_;
};

}  // namespace

// Bounds every database call in time, whatever the server does. A hung server (stopped,
// partitioned) keeps its connections open and never answers, so a server-side
// statement_timeout cannot fire and libpq would wait forever: past its deadline, a call's
// socket is shut down from here, the call fails with broken_connection (-> Unavailable) and
// the connection is replaced.
class Watchdog {
 public:
  Watchdog() : thread_([this] { Run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  uint64_t Arm(int fd, std::chrono::steady_clock::time_point deadline) {
    std::lock_guard lock(mu_);
    const uint64_t id = ++last_id_;
    armed_[id] = {fd, deadline};
    wake_.notify_one();
    return id;
  }
  void Disarm(uint64_t id) {
    std::lock_guard lock(mu_);
    armed_.erase(id);
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      const auto now = std::chrono::steady_clock::now();
      for (auto it = armed_.begin(); it != armed_.end();) {
        if (it->second.second <= now) {
          ::shutdown(it->second.first, SHUT_RDWR);  // the waiting call fails at once
          it = armed_.erase(it);
        } else {
          next = std::min(next, it->second.second);
          ++it;
        }
      }
      wake_.wait_until(lock, next);
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::map<uint64_t, std::pair<int, std::chrono::steady_clock::time_point>> armed_
      ABSL_GUARDED_BY(mu_);
  uint64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// `dsn` with libpq's connect_timeout added (URI or key=value form), unless it sets one.
std::string WithConnectTimeout(const std::string& dsn, std::chrono::milliseconds timeout) {
  if (dsn.find("connect_timeout") != std::string::npos) return dsn;
  const std::string seconds = std::to_string(std::max<int64_t>(2, timeout.count() / 1000));
  if (dsn.starts_with("postgres://") || dsn.starts_with("postgresql://")) {
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=" + seconds;
  }
  return dsn + " connect_timeout=" + seconds;
}

// A fixed number of connections shared by the request threads. Each Acquire() hands one out
// exclusively, for at most the pool's timeout (the watchdog enforces it); a connection found
// closed is reopened then.
class PostgresStore::Pool {
 public:
  Pool(std::string dsn, int size, std::chrono::milliseconds timeout)
      : dsn_(WithConnectTimeout(dsn, timeout)), timeout_(timeout) {
    for (int i = 0; i < size; ++i) idle_.push_back(nullptr);
  }

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<pqxx::connection> connection,
          std::chrono::milliseconds timeout)
        : pool_(pool),
          connection_(std::move(connection)),
          exceptions_(std::uncaught_exceptions()),
          watch_(pool->watchdog_.Arm(connection_->sock(),
                                     std::chrono::steady_clock::now() + timeout)) {}
    Lease(const Lease&) = delete;
    ~Lease() {
      pool_->watchdog_.Disarm(watch_);
      // Every call tells whether the database answers (a constraint violation leaves the
      // connection open; a dead or hung server does not).
      pool_->healthy_.store(connection_ != nullptr && connection_->is_open());
      // A connection that was in use when an exception left the scope may be broken or
      // mid-transaction: drop it, and the next Acquire() opens a fresh one.
      if (std::uncaught_exceptions() > exceptions_) connection_.reset();
      pool_->Release(std::move(connection_));
    }
    pqxx::connection& operator*() { return *connection_; }

   private:
    Pool* pool_;
    std::unique_ptr<pqxx::connection> connection_;
    const int exceptions_;
    const uint64_t watch_;
  };

  // Throws pqxx::broken_connection when the database cannot be reached or no connection
  // frees up within the pool's timeout. `timeout` overrides the pool's for this call.
  Lease Acquire(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    const std::chrono::milliseconds limit = timeout.value_or(timeout_);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::unique_ptr<pqxx::connection> connection;
    {
      std::unique_lock lock(mu_);
      if (!available_.wait_until(lock, deadline, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return !idle_.empty();
          })) {
        throw pqxx::broken_connection("every database connection is busy");
      }
      connection = std::move(idle_.back());
      idle_.pop_back();
    }
    if (connection == nullptr || !connection->is_open()) {
      try {
        connection = std::make_unique<pqxx::connection>(dsn_);
        // Server-side too: a slow statement or a lock wait ends there as well.
        pqxx::nontransaction tx(*connection);
        tx.exec("SET statement_timeout = " + std::to_string(timeout_.count()));
      } catch (...) {
        healthy_.store(false);
        Release(nullptr);
        throw;
      }
    }
    return {this, std::move(connection),
            std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now())};
  }

  const std::string& dsn() const { return dsn_; }
  // Whether the last call (or connection attempt) reached a working database.
  bool healthy() const { return healthy_.load(); }

 private:
  void Release(std::unique_ptr<pqxx::connection> connection) {
    {
      std::lock_guard lock(mu_);
      idle_.push_back(std::move(connection));
    }
    available_.notify_one();
  }

  const std::string dsn_;
  const std::chrono::milliseconds timeout_;
  std::atomic<bool> healthy_{true};
  Watchdog watchdog_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
};

PostgresStore::PostgresStore(std::unique_ptr<Pool> pool,
                             std::shared_ptr<const common::SecretBox> secrets)
    : pool_(std::move(pool)), secrets_(std::move(secrets)), probe_([this] { ProbeHealth(); }) {}

PostgresStore::~PostgresStore() {
  {
    std::lock_guard lock(probe_mu_);
    probe_stopping_ = true;
  }
  probe_wake_.notify_all();
  probe_.join();
}

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Create(
    PostgresStoreOptions options) {
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    absl::Status status = Guard("migrations", [&]() -> absl::Status {
      pqxx::connection connection(options.dsn);
      RunMigrations(connection);
      return absl::OkStatus();
    });
    if (status.ok()) break;
    if (!absl::IsUnavailable(status) || std::chrono::steady_clock::now() >= deadline) {
      return status;
    }
    common::LogWarning("waiting for the database", {{"error", common::ToStd(status.message())}});
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
  }
  return std::unique_ptr<PostgresStore>(new PostgresStore(
      std::make_unique<Pool>(options.dsn, std::max(1, options.pool_size),
                             options.operation_timeout),
      std::move(options.secrets)));
}

absl::StatusOr<std::optional<StoredProvider>> PostgresStore::Get(std::string_view name) {
  return Guard("get", [&]() -> absl::StatusOr<std::optional<StoredProvider>> {
    auto connection = pool_->Acquire();
    pqxx::read_transaction tx(*connection);
    const pqxx::result rows = tx.exec_params(
        StrCat(kSelectColumns, "FROM providers WHERE name = $1"), std::string(name));
    if (rows.empty()) return std::nullopt;
    auto stored = RowToProvider(rows[0], secrets_.get());
    if (!stored.ok()) return stored.status();
    return std::optional<StoredProvider>(*std::move(stored));
  });
}

absl::StatusOr<std::vector<StoredProvider>> PostgresStore::List() {
  return Guard("list", [&]() -> absl::StatusOr<std::vector<StoredProvider>> {
    auto connection = pool_->Acquire();
    pqxx::read_transaction tx(*connection);
    const pqxx::result rows = tx.exec(StrCat(kSelectColumns, "FROM providers ORDER BY name"));
    std::vector<StoredProvider> providers;
    providers.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      auto stored = RowToProvider(row, secrets_.get());
      if (!stored.ok()) return stored.status();
      providers.push_back(*std::move(stored));
    }
    return providers;
  });
}

absl::StatusOr<WriteResult> PostgresStore::Write(std::string_view name,
                                                 const WriteDecision& decide) {
  std::optional<int64_t> current_revision;
  ASSIGN_OR_RETURN(WriteResult result,
                   WriteConfig([&](GovernanceReader& reader) -> absl::StatusOr<ConfigChanges> {
                     ASSIGN_OR_RETURN(std::optional<StoredProvider> current,
                                      reader.GetProvider(name));
                     if (current) current_revision = current->revision;
                     ASSIGN_OR_RETURN(std::optional<ProviderChange> change, decide(current));
                     ConfigChanges changes;
                     if (change) changes.providers.push_back({std::string(name), *std::move(change)});
                     return changes;
                   }));
  if (!result.written) result.revision = current_revision.value_or(0);
  return result;
}

absl::Status PostgresStore::Ping() {
  // Health checks answer at once from the probe's last result, never waiting on the database.
  const int64_t started = probe_started_ms_.load();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (started != 0 && now - started > 500) {
    return absl::UnavailableError("the database has not answered a health probe for 500 ms");
  }
  if (pool_->healthy()) return absl::OkStatus();
  return absl::UnavailableError("the database did not answer the last call");
}

void PostgresStore::ProbeHealth() {
  std::unique_lock lock(probe_mu_);
  while (!probe_stopping_) {
    lock.unlock();
    probe_started_ms_.store(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count());
    // The outcome lands in the pool's health, like every other call's.
    Guard("ping", [&]() -> absl::Status {
      auto connection = pool_->Acquire();
      pqxx::nontransaction tx(*connection);
      tx.exec1("SELECT 1");
      return absl::OkStatus();
    }).IgnoreError();
    probe_started_ms_.store(0);
    lock.lock();
    probe_wake_.wait_for(lock, std::chrono::milliseconds(500),
                         [this]()
                             ABSL_EXCLUSIVE_LOCKS_REQUIRED(probe_mu_) { return probe_stopping_; });
  }
}

absl::StatusOr<ConfigSnapshot> PostgresStore::LoadSnapshot() {
  return Guard("snapshot", [&]() -> absl::StatusOr<ConfigSnapshot> {
    auto connection = pool_->Acquire();
    // One consistent view of the revision, the providers and the change log.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*connection);
    ConfigSnapshot snapshot;
    snapshot.revision = tx.exec1("SELECT revision FROM config_revision")[0].as<int64_t>();
    for (const pqxx::row& row : tx.exec(StrCat(kSelectColumns, "FROM providers ORDER BY name"))) {
      auto stored = RowToProvider(row, secrets_.get());
      if (!stored.ok()) return stored.status();
      snapshot.providers.push_back(*std::move(stored));
    }
    for (const pqxx::row& row :
         tx.exec(StrCat(kObjectColumns, "FROM governance_objects ORDER BY kind, id"))) {
      ASSIGN_OR_RETURN(StoredObject object, RowToObject(row, secrets_.get()));
      snapshot.governance.push_back(std::move(object));
    }
    const pqxx::row oldest = tx.exec1("SELECT min(revision) FROM provider_changes");
    snapshot.log_floor = oldest[0].is_null() ? snapshot.revision : oldest[0].as<int64_t>() - 1;
    for (const pqxx::row& row : tx.exec(StrCat(kChangeColumns,
                                               "FROM provider_changes WHERE op = 'delete' "
                                               "ORDER BY revision"))) {
      auto change = RowToChange(row, secrets_.get());
      if (!change.ok()) return change.status();
      snapshot.deletes.push_back(*std::move(change));
    }
    return snapshot;
  });
}

absl::StatusOr<ChangeBatch> PostgresStore::ChangesAfter(int64_t revision, int limit) {
  return Guard("changes", [&]() -> absl::StatusOr<ChangeBatch> {
    auto connection = pool_->Acquire();
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(*connection);
    ChangeBatch batch;
    batch.head = tx.exec1("SELECT revision FROM config_revision")[0].as<int64_t>();
    const pqxx::result rows = tx.exec_params(
        // Whole revisions only (one revision may hold several rows).
        StrCat(kChangeColumns, "FROM provider_changes WHERE revision > $1 AND revision <= "
                               "COALESCE((SELECT revision FROM provider_changes WHERE revision > $1 "
                               "ORDER BY revision OFFSET $2 - 1 LIMIT 1), 9223372036854775807) "
                               "ORDER BY revision, kind, provider"),
        revision, limit);
    for (const pqxx::row& row : rows) {
      auto change = RowToChange(row, secrets_.get());
      if (!change.ok()) return change.status();
      batch.rows.push_back(*std::move(change));
    }
    return batch;
  });
}

absl::StatusOr<int> PostgresStore::SealStoredSecrets(bool reseal) {
  if (secrets_ == nullptr) return absl::FailedPreconditionError("no encryption key given");
  const common::SecretBox& box = *secrets_;
  const std::string current = StrCat("sy1:", box.sealing_key_id(), ":");
  // Seals one secret under the first key (re-sealing one sealed under another with
  // `reseal`); false when it stays as it is.
  auto reseal_value = [&](std::string* value) -> absl::StatusOr<bool> {
    if (common::SecretBox::IsSealed(*value)) {
      if (!reseal || value->starts_with(current)) return false;
      ASSIGN_OR_RETURN(*value, box.Open(*value));
    }
    *value = box.Seal(*value);
    return true;
  };
  // The row's stored JSON with every secret sealed; "" when unchanged.
  auto reseal_row = [&](const std::string& text, bool credential) -> absl::StatusOr<std::string> {
    std::vector<std::string*> secrets;
    v1::ProviderConfig config;
    v1::GovernanceObject object;
    if (credential) {
      ASSIGN_OR_RETURN(object, ParseStoredObject(text));
      common::VisitCredentialSecrets(&object, [&](std::string* value) { secrets.push_back(value); });
    } else {
      auto parsed = common::ProviderFromJson(text);
      if (!parsed.ok()) return absl::InternalError("a stored config is unreadable");
      config = *std::move(parsed);
      common::VisitStoredSecrets(&config, [&](std::string* value) { secrets.push_back(value); });
    }
    bool changed = false;
    for (std::string* value : secrets) {
      ASSIGN_OR_RETURN(bool sealed, reseal_value(value));
      changed = changed || sealed;
    }
    if (!changed) return std::string();
    return credential ? ObjectToStoredJson(object, nullptr)
                      : common::ProviderToJson(config, common::JsonView::kCanonical);
  };
  return Guard("seal secrets", [&]() -> absl::StatusOr<int> {
    auto connection = pool_->Acquire();
    pqxx::work tx(*connection);
    int rewritten = 0;
    // Provider configs and credentials (a virtual key's value is never stored), in their
    // tables and in the change log.
    struct Source {
      const char* table;
      const char* key;  // a text expression naming one row
      const char* only;
      bool credential;
    };
    for (const Source& source :
         {Source{"providers", "name", "", false},
          Source{"provider_changes", "revision::text || '/' || kind || '/' || provider",
                 " AND kind = 'provider'", false},
          Source{"governance_objects", "id", " AND kind = 'credential'", true},
          Source{"provider_changes", "revision::text || '/' || kind || '/' || provider",
                 " AND kind = 'credential'", true}}) {
      const pqxx::result rows =
          tx.exec(StrCat("SELECT ", source.key, ", config::text FROM ", source.table,
                         " WHERE config IS NOT NULL", source.only, " FOR UPDATE"));
      for (const pqxx::row& row : rows) {
        ASSIGN_OR_RETURN(std::string sealed,
                         reseal_row(row[1].as<std::string>(), source.credential));
        if (sealed.empty()) continue;
        tx.exec_params0(StrCat("UPDATE ", source.table, " SET config = $2::jsonb WHERE ",
                               source.key, " = $1", source.only),
                        row[0].as<std::string>(), sealed);
        ++rewritten;
      }
    }
    tx.commit();
    return rewritten;
  });
}

absl::Status PostgresStore::PruneChangeLog(int64_t keep) {
  return Guard("prune", [&]() -> absl::Status {
    auto connection = pool_->Acquire();
    pqxx::work tx(*connection);
    tx.exec_params0(
        "DELETE FROM provider_changes WHERE revision <= "
        "(SELECT revision FROM config_revision) - $1",
        keep);
    tx.commit();
    return absl::OkStatus();
  });
}

namespace {

// {"a","b"}: a text[] literal (libpqxx 6.4 has no array parameters).
std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const std::string& value : values) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('"');
    for (char c : value) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

}  // namespace

absl::Status PostgresStore::RecordDataPlane(const DataPlaneRow& row) {
  return Guard("fleet record", [&]() -> absl::Status {
    auto connection = pool_->Acquire();
    pqxx::work tx(*connection);
    if (!row.connected) {
      // Only the replica that holds the stream may mark it gone: the data plane may already
      // be connected to another one.
      tx.exec_params0(
          "UPDATE data_planes SET connected = false, last_seen = now() "
          "WHERE node_id = $1 AND replica = $2",
          row.node_id, row.replica);
      tx.commit();
      return absl::OkStatus();
    }
    tx.exec_params0(
        "INSERT INTO data_planes (node_id, replica, revision, table_hash, connected, last_error, "
        "isolated_providers, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7::text[], now()) "
        "ON CONFLICT (node_id) DO UPDATE SET replica = EXCLUDED.replica, "
        "revision = EXCLUDED.revision, table_hash = EXCLUDED.table_hash, "
        "connected = EXCLUDED.connected, last_error = EXCLUDED.last_error, "
        "isolated_providers = EXCLUDED.isolated_providers, last_seen = now()",
        row.node_id, row.replica, row.revision, row.table_hash, row.connected, row.last_error,
        TextArrayLiteral(row.isolated_providers));
    tx.commit();
    return absl::OkStatus();
  });
}

absl::Status PostgresStore::TouchConnected(const std::string& replica) {
  return Guard("fleet touch", [&]() -> absl::Status {
    auto connection = pool_->Acquire();
    pqxx::work tx(*connection);
    tx.exec_params0("UPDATE data_planes SET last_seen = now() WHERE replica = $1 AND connected",
                    replica);
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<DataPlaneRow>> PostgresStore::ListDataPlanes() {
  return Guard("fleet list", [&]() -> absl::StatusOr<std::vector<DataPlaneRow>> {
    auto connection = pool_->Acquire();
    pqxx::read_transaction tx(*connection);
    std::vector<DataPlaneRow> rows;
    for (const pqxx::row& row :
         tx.exec("SELECT node_id, replica, revision, table_hash, connected, last_error, "
                 "extract(epoch FROM last_seen)::float8, isolated_providers FROM data_planes "
                 "ORDER BY node_id")) {
      DataPlaneRow out;
      out.node_id = row[0].as<std::string>();
      out.replica = row[1].as<std::string>();
      out.revision = row[2].as<int64_t>();
      out.table_hash = row[3].as<std::string>();
      out.connected = row[4].as<bool>();
      out.last_error = row[5].as<std::string>();
      out.last_seen = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::duration<double>(row[6].as<double>())));
      auto array = row[7].as_array();
      for (auto element = array.get_next(); element.first != pqxx::array_parser::done;
           element = array.get_next()) {
        if (element.first == pqxx::array_parser::string_value) {
          out.isolated_providers.push_back(element.second);
        }
      }
      rows.push_back(std::move(out));
    }
    return rows;
  });
}

namespace {

// GovernanceReader over a write's own transaction.
class TransactionReader : public GovernanceReader {
 public:
  TransactionReader(pqxx::work& tx, const common::SecretBox* box) : tx_(tx), box_(box) {}

  absl::StatusOr<std::vector<StoredObject>> List(std::string_view kind) override {
    std::vector<StoredObject> objects;
    for (const pqxx::row& row :
         tx_.exec_params(StrCat(kObjectColumns, "FROM governance_objects WHERE kind = $1 "
                                                "ORDER BY name"),
                         std::string(kind))) {
      ASSIGN_OR_RETURN(StoredObject object, RowToObject(row, box_));
      objects.push_back(std::move(object));
    }
    return objects;
  }

  absl::StatusOr<std::optional<StoredObject>> Get(std::string_view kind,
                                                  std::string_view id) override {
    const pqxx::result rows = tx_.exec_params(
        StrCat(kObjectColumns, "FROM governance_objects WHERE kind = $1 AND id = $2"),
        std::string(kind), std::string(id));
    if (rows.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(StoredObject object, RowToObject(rows[0], box_));
    return std::optional<StoredObject>(std::move(object));
  }

  absl::StatusOr<std::vector<StoredProvider>> ListProviders() override {
    std::vector<StoredProvider> providers;
    for (const pqxx::row& row : tx_.exec(StrCat(kSelectColumns, "FROM providers ORDER BY name"))) {
      ASSIGN_OR_RETURN(StoredProvider provider, RowToProvider(row, box_));
      providers.push_back(std::move(provider));
    }
    return providers;
  }

  absl::StatusOr<std::optional<StoredProvider>> GetProvider(std::string_view name) override {
    const pqxx::result rows = tx_.exec_params(
        StrCat(kSelectColumns, "FROM providers WHERE name = $1"), std::string(name));
    if (rows.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(StoredProvider provider, RowToProvider(rows[0], box_));
    return std::optional<StoredProvider>(std::move(provider));
  }

 private:
  pqxx::work& tx_;
  const common::SecretBox* const box_;
};

void WriteProviderChange(pqxx::work& tx, int64_t revision, const std::string& name,
                         const ProviderChange& c, const common::SecretBox* box) {
  if (c.op == ProviderChange::Op::kDelete) {
    tx.exec_params0("DELETE FROM providers WHERE name = $1", name);
    tx.exec_params0(
        "INSERT INTO provider_changes (revision, provider, op, actor) VALUES ($1, $2, 'delete', $3)",
        revision, name, c.actor);
    return;
  }
  const std::string config = StoredJson(c.config, box);
  const std::string& hash = c.config.config_hash();
  const char* source_hash = c.source_hash.empty() ? nullptr : c.source_hash.c_str();
  tx.exec_params0(
      "INSERT INTO providers (name, config, config_hash, source_hash, revision) "
      "VALUES ($1, $2::jsonb, $3, $4, $5) "
      "ON CONFLICT (name) DO UPDATE SET config = EXCLUDED.config, "
      "config_hash = EXCLUDED.config_hash, source_hash = EXCLUDED.source_hash, "
      "revision = EXCLUDED.revision, updated_at = now()",
      name, config, hash, source_hash, revision);
  tx.exec_params0(
      "INSERT INTO provider_changes (revision, provider, op, config, config_hash, actor) "
      "VALUES ($1, $2, 'upsert', $3::jsonb, $4, $5)",
      revision, name, config, hash, c.actor);
}

void WriteObjectChange(pqxx::work& tx, int64_t revision, const std::string& kind,
                       const std::string& id, const GovernanceChange& c,
                       const common::SecretBox* box) {
  if (c.op == GovernanceChange::Op::kDelete) {
    tx.exec_params0("DELETE FROM governance_objects WHERE kind = $1 AND id = $2", kind, id);
    tx.exec_params0(
        "INSERT INTO provider_changes (revision, provider, op, actor, kind) "
        "VALUES ($1, $2, 'delete', $3, $4)",
        revision, id, c.actor, kind);
    return;
  }
  v1::GovernanceObject stored = c.object;
  common::SetTimes(stored, "", "");
  const std::string config = ObjectToStoredJson(stored, box);
  const std::string& hash = common::HashOf(stored);
  tx.exec_params0(
      "INSERT INTO governance_objects (kind, id, name, config, config_hash, revision) "
      "VALUES ($1, $2, $3, $4::jsonb, $5, $6) "
      "ON CONFLICT (kind, id) DO UPDATE SET name = EXCLUDED.name, config = EXCLUDED.config, "
      "config_hash = EXCLUDED.config_hash, revision = EXCLUDED.revision, updated_at = now()",
      kind, id, common::NameOf(stored), config, hash, revision);
  tx.exec_params0(
      "INSERT INTO provider_changes (revision, provider, op, config, config_hash, actor, kind) "
      "VALUES ($1, $2, 'upsert', $3::jsonb, $4, $5, $6)",
      revision, id, config, hash, c.actor, kind);
}

}  // namespace

absl::StatusOr<std::optional<StoredObject>> PostgresStore::GetObject(std::string_view kind,
                                                                     std::string_view id) {
  return Guard("governance get", [&]() -> absl::StatusOr<std::optional<StoredObject>> {
    auto connection = pool_->Acquire();
    pqxx::read_transaction tx(*connection);
    const pqxx::result rows = tx.exec_params(
        StrCat(kObjectColumns, "FROM governance_objects WHERE kind = $1 AND id = $2"),
        std::string(kind), std::string(id));
    if (rows.empty()) return std::nullopt;
    ASSIGN_OR_RETURN(StoredObject object, RowToObject(rows[0], secrets_.get()));
    return std::optional<StoredObject>(std::move(object));
  });
}

absl::StatusOr<std::vector<StoredObject>> PostgresStore::ListObjects(std::string_view kind) {
  return Guard("governance list", [&]() -> absl::StatusOr<std::vector<StoredObject>> {
    auto connection = pool_->Acquire();
    pqxx::read_transaction tx(*connection);
    std::vector<StoredObject> objects;
    for (const pqxx::row& row : tx.exec_params(
             StrCat(kObjectColumns, "FROM governance_objects WHERE kind = $1 ORDER BY name"),
             std::string(kind))) {
      ASSIGN_OR_RETURN(StoredObject object, RowToObject(row, secrets_.get()));
      objects.push_back(std::move(object));
    }
    return objects;
  });
}

absl::StatusOr<WriteResult> PostgresStore::WriteConfig(const ConfigDecision& decide) {
  return Guard("write", [&]() -> absl::StatusOr<WriteResult> {
    auto connection = pool_->Acquire();
    pqxx::work tx(*connection);
    // Allocating the revision first takes the row lock that serializes writers.
    const int64_t revision =
        tx.exec1("UPDATE config_revision SET revision = revision + 1 RETURNING revision")[0]
            .as<int64_t>();
    TransactionReader reader(tx, secrets_.get());
    ASSIGN_OR_RETURN(ConfigChanges changes, decide(reader));
    if (changes.empty()) return WriteResult{false, 0};  // rolled back on scope exit
    for (const ConfigChanges::Provider& provider : changes.providers) {
      WriteProviderChange(tx, revision, provider.name, provider.change, secrets_.get());
    }
    for (const ConfigChanges::Object& object : changes.objects) {
      WriteObjectChange(tx, revision, object.kind, object.id, object.change, secrets_.get());
    }
    // Delivered by PostgreSQL at commit, never before.
    tx.exec_params("SELECT pg_notify('switchyard_changes', $1)", std::to_string(revision));
    tx.commit();
    return WriteResult{true, revision};
  });
}

namespace {
double EpochSeconds(std::chrono::system_clock::time_point at) {
  return std::chrono::duration<double>(at.time_since_epoch()).count();
}
}  // namespace

absl::StatusOr<double> PostgresStore::AddSpend(const BudgetSpend& spend) {
  return Guard("spend", [&]() -> absl::StatusOr<double> {
    auto connection = pool_->Acquire();
    pqxx::work tx(*connection);
    // A newer period starts from this report; a report of an older period changes nothing.
    const pqxx::row row = tx.exec_params1(
        "INSERT INTO budget_spend (kind, id, period_start, spend) "
        "VALUES ($1, $2, to_timestamp($3), $4) ON CONFLICT (kind, id) DO UPDATE SET "
        "spend = CASE WHEN EXCLUDED.period_start > budget_spend.period_start THEN EXCLUDED.spend "
        "WHEN EXCLUDED.period_start = budget_spend.period_start "
        "THEN budget_spend.spend + EXCLUDED.spend ELSE budget_spend.spend END, "
        "period_start = GREATEST(budget_spend.period_start, EXCLUDED.period_start), "
        "updated_at = now() "
        "RETURNING spend, extract(epoch FROM period_start)::float8",
        spend.kind, spend.id, EpochSeconds(spend.period_start), spend.spend);
    tx.commit();
    if (row[1].as<double>() > EpochSeconds(spend.period_start) + 0.5) return 0.0;
    return row[0].as<double>();
  });
}

absl::StatusOr<double> PostgresStore::GetSpend(std::string_view kind, std::string_view id,
                                               std::chrono::system_clock::time_point period_start) {
  return Guard("spend get", [&]() -> absl::StatusOr<double> {
    auto connection = pool_->Acquire();
    pqxx::read_transaction tx(*connection);
    const pqxx::result rows = tx.exec_params(
        "SELECT spend FROM budget_spend WHERE kind = $1 AND id = $2 "
        "AND period_start = to_timestamp($3)",
        std::string(kind), std::string(id), EpochSeconds(period_start));
    return rows.empty() ? 0.0 : rows[0][0].as<double>();
  });
}

std::unique_ptr<ChangeNotifier> PostgresStore::NewNotifier() const {
  return std::make_unique<PostgresChangeNotifier>(pool_->dsn());
}

}  // namespace switchyard::cp
