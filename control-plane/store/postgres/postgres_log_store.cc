#include "control-plane/store/postgres/postgres_log_store.h"

#include <array>
#include <ctime>
#include <pqxx/pqxx>

#include "common/strings.h"
#include "control-plane/store/postgres/guard.h"

namespace switchyard::cp {
namespace {

// One field of a COPY row: text, or NULL.
struct CopyField {
  std::string text;
  bool null = false;
};

}  // namespace
}  // namespace switchyard::cp

namespace pqxx {
template <>
struct string_traits<switchyard::cp::CopyField> {
  static constexpr const char* name() noexcept { return "CopyField"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const switchyard::cp::CopyField& field) { return field.null; }
  static switchyard::cp::CopyField null() { return {"", true}; }
  static void from_string(const char text[], switchyard::cp::CopyField& field) {
    field = {text, false};
  }
  static std::string to_string(const switchyard::cp::CopyField& field) { return field.text; }
};
}  // namespace pqxx

namespace switchyard::cp {
namespace {

using common::StrCat;
constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;

const std::vector<std::string>& Columns() {
  static const auto* columns = new std::vector<std::string>{
      "ts", "id", "node_id", "route", "surface", "request_type", "requested_provider",
      "requested_model", "provider", "model", "fallback_index", "selected_key_name",
      "virtual_key_id", "virtual_key_name", "status", "status_code", "error_type",
      "error_message", "attempts", "retries", "latency_ms", "ttfb_ms", "prompt_tokens",
      "completion_tokens", "total_tokens", "cached_tokens", "cost", "stream", "client_address",
      "traceparent", "trace_id", "tracestate", "raw_request", "raw_response", "raw_truncated"};
  return *columns;
}

int64_t DayOf(int64_t micros) {
  return micros >= 0 ? micros / kMicrosPerDay : (micros - kMicrosPerDay + 1) / kMicrosPerDay;
}

// "2026-12-07" of a day number (days since the epoch, UTC).
std::string DayText(int64_t day, const char* format = "%Y-%m-%d") {
  const std::time_t seconds = static_cast<std::time_t>(day * 86400);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, format, &tm);
  return out;
}

std::string PartitionName(int64_t day) { return "request_logs_p" + DayText(day, "%Y%m%d"); }

// Microseconds since the epoch as a timestamptz literal PostgreSQL reads exactly.
std::string TimestampText(int64_t micros) {
  const int64_t day = DayOf(micros);
  const int64_t in_day = micros - day * kMicrosPerDay;
  char out[64];
  std::snprintf(out, sizeof out, "%s %02lld:%02lld:%02lld.%06lld+00", DayText(day).c_str(),
                static_cast<long long>(in_day / 3600000000), static_cast<long long>(in_day / 60000000 % 60),
                static_cast<long long>(in_day / 1000000 % 60), static_cast<long long>(in_day % 1000000));
  return out;
}

CopyField Text(const std::string& text) { return {text, false}; }
template <typename N>
CopyField Number(N n) {
  return {std::to_string(n), false};
}
CopyField Double(double d) {
  char out[40];
  std::snprintf(out, sizeof out, "%.17g", d);
  return {out, false};
}

// (An array: libpqxx 6 streams tuple-like rows only.)
std::array<CopyField, 35> Row(const v1::RequestLog& r) {
  return {Text(TimestampText(r.timestamp_unix_us())),
          Text(r.id()),
          Text(r.node_id()),
          Text(r.route()),
          Text(r.surface()),
          Text(r.request_type()),
          Text(r.requested_provider()),
          Text(r.requested_model()),
          // (The candidate that answered; the one asked for when none did.)
          Text(r.provider().empty() ? r.requested_provider() : r.provider()),
          Text(r.provider().empty() ? r.requested_model() : r.model()),
          Number(r.fallback_index()),
          Text(r.selected_key_name()),
          Text(r.virtual_key_id()),
          Text(r.virtual_key_name()),
          Text(r.status()),
          Number(r.status_code()),
          Text(r.error_details().type()),
          Text(r.error_details().message()),
          Number(r.attempts()),
          Number(r.number_of_retries()),
          Double(r.latency()),
          Double(r.time_to_first_byte()),
          Number(r.token_usage().prompt_tokens()),
          Number(r.token_usage().completion_tokens()),
          Number(r.token_usage().total_tokens()),
          Number(r.token_usage().cached_tokens()),
          r.has_cost() ? Double(r.cost()) : CopyField{"", true},
          Text(r.stream() ? "t" : "f"),
          Text(r.client_address()),
          Text(r.traceparent()),
          Text(r.trace_id()),
          Text(r.tracestate()),
          r.raw_request().empty() ? CopyField{"", true} : Text(r.raw_request()),
          r.raw_response().empty() ? CopyField{"", true} : Text(r.raw_response()),
          Text(r.raw_truncated() ? "t" : "f")};
}

// The WHERE clause of a query's filter, with its parameters.
class Where {
 public:
  explicit Where(const LogQuery& query) {
    const v1::LogFilter& f = query.filter;
    AnyOf("provider", f.providers());
    AnyOf("model", f.models());
    AnyOf("status", f.status());
    AnyOf("virtual_key_id", f.virtual_key_ids());
    AnyOf("virtual_key_name", f.virtual_key_names());
    AnyOf("selected_key_name", f.selected_key_names());
    AnyOf("request_type", f.request_types());
    AnyOf("node_id", f.node_ids());
    if (query.start_us) And(StrCat("ts >= ", Param(TimestampText(*query.start_us)), "::timestamptz"));
    if (query.end_us) And(StrCat("ts < ", Param(TimestampText(*query.end_us)), "::timestamptz"));
    if (f.has_min_latency()) And(StrCat("latency_ms >= ", Param(f.min_latency()), "::float8"));
    if (f.has_max_latency()) And(StrCat("latency_ms <= ", Param(f.max_latency()), "::float8"));
    if (f.has_min_tokens()) And(StrCat("total_tokens >= ", Param(f.min_tokens()), "::bigint"));
    if (f.has_max_tokens()) And(StrCat("total_tokens <= ", Param(f.max_tokens()), "::bigint"));
    if (f.has_min_cost()) And(StrCat("cost >= ", Param(f.min_cost()), "::float8"));
    if (f.has_max_cost()) And(StrCat("cost <= ", Param(f.max_cost()), "::float8"));
    if (!f.trace_id().empty()) And(StrCat("trace_id = ", Param(f.trace_id())));
    if (!f.content_search().empty()) {
      std::string pattern = "%";
      for (const char c : f.content_search()) {
        if (c == '%' || c == '_' || c == '\\') pattern.push_back('\\');
        pattern.push_back(c);
      }
      pattern.push_back('%');
      const std::string p = Param(pattern);
      And(StrCat("(raw_request ILIKE ", p, " OR raw_response ILIKE ", p, " OR error_message ILIKE ",
                 p, ")"));
    }
  }

  void And(const std::string& condition) {
    sql_ += sql_.empty() ? " WHERE " : " AND ";
    sql_ += condition;
  }
  std::string Param(std::string value) {
    params_.push_back(std::move(value));
    return StrCat("$", params_.size());
  }
  std::string Param(double value) { return Param(Double(value).text); }
  std::string Param(int64_t value) { return Param(std::to_string(value)); }

  const std::string& sql() const { return sql_; }
  const std::vector<std::string>& params() const { return params_; }

 private:
  template <typename Values>
  void AnyOf(const char* column, const Values& values) {
    if (values.empty()) return;
    std::string list;
    for (const std::string& value : values) {
      list += StrCat(list.empty() ? "" : ", ", Param(value));
    }
    And(StrCat(column, " IN (", list, ")"));
  }

  std::string sql_;
  std::vector<std::string> params_;
};

std::string SelectColumns(bool with_raw) {
  return StrCat(
      "SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "
      "(extract(epoch FROM ts) * 1000000)::bigint, id, node_id, route, surface, request_type, "
      "requested_provider, requested_model, provider, model, fallback_index, selected_key_name, "
      "virtual_key_id, virtual_key_name, status, status_code, error_type, error_message, "
      "attempts, retries, latency_ms, ttfb_ms, prompt_tokens, completion_tokens, total_tokens, "
      "cached_tokens, cost, stream, client_address, traceparent, trace_id, tracestate, "
      "raw_truncated, ",
      with_raw ? "coalesce(raw_request, ''), coalesce(raw_response, '')" : "'', ''",
      " FROM request_logs");
}

v1::RequestLog RowToLog(const pqxx::row& row) {
  v1::RequestLog r;
  int i = 0;
  auto text = [&] { return row[i++].as<std::string>(); };
  r.set_timestamp(text());
  r.set_timestamp_unix_us(row[i++].as<int64_t>());
  r.set_id(text());
  r.set_node_id(text());
  r.set_route(text());
  r.set_surface(text());
  r.set_request_type(text());
  r.set_requested_provider(text());
  r.set_requested_model(text());
  r.set_provider(text());
  r.set_model(text());
  r.set_fallback_index(row[i++].as<int>());
  r.set_selected_key_name(text());
  r.set_virtual_key_id(text());
  r.set_virtual_key_name(text());
  r.set_status(text());
  r.set_status_code(row[i++].as<int>());
  r.mutable_error_details()->set_type(text());
  r.mutable_error_details()->set_message(text());
  r.set_attempts(row[i++].as<int>());
  r.set_number_of_retries(row[i++].as<int>());
  r.set_latency(row[i++].as<double>());
  r.set_time_to_first_byte(row[i++].as<double>());
  r.mutable_token_usage()->set_prompt_tokens(row[i++].as<int>());
  r.mutable_token_usage()->set_completion_tokens(row[i++].as<int>());
  r.mutable_token_usage()->set_total_tokens(row[i++].as<int>());
  r.mutable_token_usage()->set_cached_tokens(row[i++].as<int>());
  if (!row[i].is_null()) r.set_cost(row[i].as<double>());
  ++i;
  r.set_stream(row[i++].as<bool>());
  r.set_client_address(text());
  r.set_traceparent(text());
  r.set_trace_id(text());
  r.set_tracestate(text());
  r.set_raw_truncated(row[i++].as<bool>());
  r.set_raw_request(text());
  r.set_raw_response(text());
  return r;
}

double OrZero(const pqxx::field& field) { return field.is_null() ? 0 : field.as<double>(); }
double Percent(int64_t part, int64_t total) {
  return total == 0 ? 0 : 100.0 * static_cast<double>(part) / static_cast<double>(total);
}
int64_t CountOrZero(const pqxx::field& field) { return field.is_null() ? 0 : field.as<int64_t>(); }

}  // namespace

struct PostgresLogStore::Connection {
  Connection(const std::string& dsn, std::chrono::milliseconds statement_timeout)
      : dsn(dsn), statement_timeout(statement_timeout) {}
  // Open (reopened when it was closed or broke).
  pqxx::connection& Get() {
    if (connection == nullptr || !connection->is_open()) {
      connection.reset();
      auto fresh = std::make_unique<pqxx::connection>(dsn);
      pqxx::nontransaction tx(*fresh);
      tx.exec(StrCat("SET statement_timeout = ", statement_timeout.count()));
      connection = std::move(fresh);
    }
    return *connection;
  }
  void Reset() { connection.reset(); }

  const std::string dsn;
  const std::chrono::milliseconds statement_timeout;
  std::unique_ptr<pqxx::connection> connection;
};

PostgresLogStore::PostgresLogStore(std::string dsn, std::chrono::milliseconds statement_timeout)
    : dsn_(std::move(dsn)),
      statement_timeout_(statement_timeout),
      writer_(std::make_unique<Connection>(dsn_, statement_timeout_)),
      reader_(std::make_unique<Connection>(dsn_, statement_timeout_)) {}

PostgresLogStore::~PostgresLogStore() = default;

absl::Status PostgresLogStore::AppendLogs(const std::vector<const v1::RequestLog*>& records) {
  if (records.empty()) return absl::OkStatus();
  std::lock_guard lock(write_mu_);
  absl::Status status = Guard("request log append", [&]() -> absl::Status {
    pqxx::connection& connection = writer_->Get();
    for (const v1::RequestLog* record : records) {
      const int64_t day = DayOf(record->timestamp_unix_us());
      if (partitions_.contains(day)) continue;
      pqxx::nontransaction tx(connection);
      try {
        tx.exec(StrCat("CREATE TABLE IF NOT EXISTS ", PartitionName(day),
                       " PARTITION OF request_logs FOR VALUES FROM ('", DayText(day),
                       " 00:00:00+00') TO ('", DayText(day + 1), " 00:00:00+00')"));
      } catch (const pqxx::unique_violation&) {
        // Another control plane created it at the same moment.
      }
      partitions_.insert(day);
    }
    pqxx::work tx(connection);
    pqxx::stream_to stream(tx, "request_logs", Columns());
    for (const v1::RequestLog* record : records) stream << Row(*record);
    stream.complete();
    tx.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) {
    writer_->Reset();  // a COPY that failed midway leaves the connection unusable
    partitions_.clear();
  }
  return status;
}

absl::StatusOr<v1::SearchLogsResponse> PostgresLogStore::SearchLogs(const LogQuery& query) {
  std::lock_guard lock(read_mu_);
  return Guard("request log search", [&]() -> absl::StatusOr<v1::SearchLogsResponse> {
    v1::SearchLogsResponse out;
    pqxx::work tx(reader_->Get());
    Where where(query);
    {
      const pqxx::result totals = tx.exec_params(
          StrCat("SELECT count(*), count(*) FILTER (WHERE status = 'success'), avg(latency_ms), "
                 "sum(total_tokens), sum(cost) FROM request_logs",
                 where.sql()),
          pqxx::prepare::make_dynamic_params(where.params()));
      const pqxx::row row = totals[0];
      out.set_total_count(row[0].as<int64_t>());
      v1::LogStatsSummary* stats = out.mutable_stats();
      stats->set_total_requests(out.total_count());
      stats->set_success_rate(Percent(row[1].as<int64_t>(), out.total_count()));
      stats->set_average_latency(OrZero(row[2]));
      stats->set_total_tokens(CountOrZero(row[3]));
      stats->set_total_cost(OrZero(row[4]));
    }
    if (query.after) {
      const std::string ts = where.Param(TimestampText(query.after->first));
      const std::string id = where.Param(query.after->second);
      where.And(StrCat("(ts, id) < (", ts, "::timestamptz, ", id, ")"));
    }
    std::string sql = StrCat(SelectColumns(query.with_raw), where.sql(),
                             " ORDER BY ts DESC, id DESC LIMIT ", query.limit + 1);
    if (!query.after && query.offset > 0) sql += StrCat(" OFFSET ", query.offset);
    const pqxx::result rows = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(where.params()));
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < query.limit; ++i) {
      *out.add_logs() = RowToLog(rows[i]);
    }
    if (static_cast<int>(rows.size()) > query.limit) {
      const v1::RequestLog& last = out.logs(out.logs_size() - 1);
      out.set_next_cursor(StrCat(last.timestamp_unix_us(), ":", last.id()));
    }
    return out;
  });
}

absl::StatusOr<std::optional<v1::RequestLog>> PostgresLogStore::GetLog(std::string_view id,
                                                                       bool with_raw) {
  std::lock_guard lock(read_mu_);
  return Guard("request log read", [&]() -> absl::StatusOr<std::optional<v1::RequestLog>> {
    pqxx::work tx(reader_->Get());
    const pqxx::result rows = tx.exec_params(
        StrCat(SelectColumns(with_raw), " WHERE id = $1 ORDER BY ts DESC LIMIT 1"),
        std::string(id));
    if (rows.empty()) return std::nullopt;
    return RowToLog(rows[0]);
  });
}

absl::StatusOr<v1::LogStatsResponse> PostgresLogStore::LogStats(const LogQuery& query) {
  std::lock_guard lock(read_mu_);
  return Guard("request log stats", [&]() -> absl::StatusOr<v1::LogStatsResponse> {
    v1::LogStatsResponse out;
    pqxx::work tx(reader_->Get());
    const Where where(query);
    const auto params = pqxx::prepare::make_dynamic_params(where.params());
    const pqxx::row row = tx.exec_params(
        StrCat("SELECT count(*), count(*) FILTER (WHERE status = 'error'), "
               "percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), "
               "percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms), "
               "percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms), avg(latency_ms), "
               "percentile_cont(0.5) WITHIN GROUP (ORDER BY ttfb_ms), sum(prompt_tokens), "
               "sum(completion_tokens), sum(total_tokens), sum(cost) FROM request_logs",
               where.sql()),
        params)[0];
    out.set_total_requests(row[0].as<int64_t>());
    out.set_errors(row[1].as<int64_t>());
    out.set_error_rate(Percent(out.errors(), out.total_requests()));
    out.set_latency_p50(OrZero(row[2]));
    out.set_latency_p90(OrZero(row[3]));
    out.set_latency_p99(OrZero(row[4]));
    out.set_average_latency(OrZero(row[5]));
    out.set_ttfb_p50(OrZero(row[6]));
    out.set_prompt_tokens(CountOrZero(row[7]));
    out.set_completion_tokens(CountOrZero(row[8]));
    out.set_total_tokens(CountOrZero(row[9]));
    out.set_total_cost(OrZero(row[10]));
    const pqxx::result groups = tx.exec_params(
        StrCat("SELECT provider, model, count(*), count(*) FILTER (WHERE status = 'error'), "
               "sum(prompt_tokens), sum(completion_tokens), coalesce(sum(cost), 0), "
               "avg(latency_ms) FROM request_logs",
               where.sql(), " GROUP BY provider, model ORDER BY count(*) DESC, provider, model "
               "LIMIT 1000"),
        params);
    for (const pqxx::row& group : groups) {
      v1::LogGroupStats* stats = out.add_by_provider_model();
      stats->set_provider(group[0].as<std::string>());
      stats->set_model(group[1].as<std::string>());
      stats->set_requests(group[2].as<int64_t>());
      stats->set_errors(group[3].as<int64_t>());
      stats->set_prompt_tokens(CountOrZero(group[4]));
      stats->set_completion_tokens(CountOrZero(group[5]));
      stats->set_cost(OrZero(group[6]));
      stats->set_average_latency(OrZero(group[7]));
    }
    return out;
  });
}

absl::StatusOr<int> PostgresLogStore::DropLogsBefore(std::chrono::system_clock::time_point before) {
  const int64_t before_us =
      std::chrono::duration_cast<std::chrono::microseconds>(before.time_since_epoch()).count();
  std::lock_guard lock(write_mu_);
  return Guard("request log retention", [&]() -> absl::StatusOr<int> {
    pqxx::connection& connection = writer_->Get();
    std::vector<std::string> doomed;
    {
      pqxx::nontransaction tx(connection);
      const pqxx::result rows = tx.exec(
          "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
          "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'request_logs'");
      for (const pqxx::row& row : rows) {
        const std::string name = row[0].as<std::string>();
        constexpr std::string_view kPrefix = "request_logs_p";
        if (name.size() != kPrefix.size() + 8 || !name.starts_with(kPrefix)) continue;
        std::tm tm{};
        if (strptime(name.c_str() + kPrefix.size(), "%Y%m%d", &tm) == nullptr) continue;
        const int64_t day = static_cast<int64_t>(timegm(&tm)) / 86400;
        if ((day + 1) * kMicrosPerDay <= before_us) doomed.push_back(name);
      }
    }
    for (const std::string& name : doomed) {
      pqxx::nontransaction tx(connection);
      tx.exec(StrCat("DROP TABLE IF EXISTS ", name));
    }
    partitions_.clear();
    return static_cast<int>(doomed.size());
  });
}

}  // namespace switchyard::cp
