#include "control-plane/store/postgres/migrations.h"

#include <string>

#include "common/log.h"

namespace switchyard::cp {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Arbitrary constant naming our advisory lock.
constexpr int64_t kMigrationLock = 0x5377697463680001;

constexpr Migration kMigrations[] = {
    {1, "providers, revision counter, change log", R"sql(
CREATE TABLE providers (
  name        text PRIMARY KEY,
  config      jsonb NOT NULL,
  config_hash text NOT NULL,
  source_hash text,
  revision    bigint NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE config_revision (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  revision  bigint NOT NULL
);
INSERT INTO config_revision (singleton, revision) VALUES (true, 0);
CREATE TABLE provider_changes (
  revision    bigint PRIMARY KEY,
  provider    text NOT NULL,
  op          text NOT NULL CHECK (op IN ('upsert', 'delete')),
  config      jsonb,
  config_hash text,
  at          timestamptz NOT NULL DEFAULT now()
);
)sql"},
    {2, "data-plane fleet status", R"sql(
CREATE TABLE data_planes (
  node_id    text PRIMARY KEY,
  replica    text NOT NULL,
  revision   bigint NOT NULL DEFAULT 0,
  table_hash text NOT NULL DEFAULT '',
  connected  boolean NOT NULL,
  last_error text NOT NULL DEFAULT '',
  last_seen  timestamptz NOT NULL DEFAULT now()
);
)sql"},
    {3, "isolated providers per data plane", R"sql(
ALTER TABLE data_planes ADD COLUMN isolated_providers text[] NOT NULL DEFAULT '{}';
)sql"},
    {4, "who made each change", R"sql(
ALTER TABLE provider_changes ADD COLUMN actor text NOT NULL DEFAULT '';
)sql"},
    {5, "governance objects in the change log, budget spend", R"sql(
CREATE TABLE governance_objects (
  kind        text NOT NULL,
  id          text NOT NULL,
  name        text NOT NULL,
  config      jsonb NOT NULL,
  config_hash text NOT NULL,
  revision    bigint NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id)
);
CREATE UNIQUE INDEX governance_objects_name ON governance_objects (kind, name);
ALTER TABLE provider_changes ADD COLUMN kind text NOT NULL DEFAULT 'provider';
CREATE TABLE budget_spend (
  kind         text NOT NULL,
  id           text NOT NULL,
  period_start timestamptz NOT NULL,
  spend        double precision NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, id)
);
)sql"},
    {6, "request logs, partitioned by day", R"sql(
CREATE TABLE request_logs (
  ts                 timestamptz NOT NULL,
  id                 text NOT NULL,
  node_id            text NOT NULL,
  route              text NOT NULL,
  surface            text NOT NULL,
  request_type       text NOT NULL,
  requested_provider text NOT NULL,
  requested_model    text NOT NULL,
  provider           text NOT NULL,
  model              text NOT NULL,
  fallback_index     integer NOT NULL,
  selected_key_name  text NOT NULL,
  virtual_key_id     text NOT NULL,
  virtual_key_name   text NOT NULL,
  status             text NOT NULL,
  status_code        integer NOT NULL,
  error_type         text NOT NULL,
  error_message      text NOT NULL,
  attempts           integer NOT NULL,
  retries            integer NOT NULL,
  latency_ms         double precision NOT NULL,
  ttfb_ms            double precision NOT NULL,
  prompt_tokens      integer NOT NULL,
  completion_tokens  integer NOT NULL,
  total_tokens       integer NOT NULL,
  cached_tokens      integer NOT NULL,
  cost               double precision,
  stream             boolean NOT NULL,
  client_address     text NOT NULL,
  traceparent        text NOT NULL,
  trace_id           text NOT NULL,
  tracestate         text NOT NULL,
  raw_request        text,
  raw_response       text,
  raw_truncated      boolean NOT NULL
) PARTITION BY RANGE (ts);
CREATE INDEX request_logs_ts ON request_logs (ts DESC, id DESC);
CREATE INDEX request_logs_id ON request_logs (id);
CREATE INDEX request_logs_trace ON request_logs (trace_id);
CREATE INDEX request_logs_provider ON request_logs (provider, ts DESC);
CREATE INDEX request_logs_virtual_key ON request_logs (virtual_key_id, ts DESC);
)sql"},
    // One revision may change several rows (a credential and the providers that use it).
    {7, "change log rows per revision", R"sql(
ALTER TABLE provider_changes DROP CONSTRAINT provider_changes_pkey;
ALTER TABLE provider_changes ADD PRIMARY KEY (revision, kind, provider);
)sql"},
};

}  // namespace

void RunMigrations(pqxx::connection& connection) {
  {
    pqxx::work tx(connection);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }
  for (const Migration& migration : kMigrations) {
    pqxx::work tx(connection);
    tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
    const pqxx::result done =
        tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", migration.version);
    if (!done.empty()) continue;  // the transaction rolls back on scope exit
    tx.exec0(migration.sql);
    tx.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    migration.version, migration.name);
    tx.commit();
    common::LogInfo("schema migration applied",
                    {{"version", std::to_string(migration.version)}, {"name", migration.name}});
  }
}

}  // namespace switchyard::cp
