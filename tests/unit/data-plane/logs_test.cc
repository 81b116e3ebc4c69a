// Request log pieces of the data plane that need no process: W3C trace context, request ids,
// error answers read back, raw body redaction, and the shipper's bounded queue.
#include <gtest/gtest.h>

#include "data-plane/logs/log_shipper.h"
#include "data-plane/logs/raw_capture.h"
#include "data-plane/logs/request_context.h"

namespace switchyard::dp {
namespace {

TEST(TraceContext, ContinuesAValidTraceWithASpanOfItsOwn) {
  const TraceContext trace =
      ContinueTrace("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_TRUE(trace.continued);
  EXPECT_EQ(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(trace.flags(), "01");
  EXPECT_EQ(trace.span_id().size(), 16u);
  EXPECT_NE(trace.span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(trace.traceparent(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-" + std::string(trace.span_id()) + "-01");
  EXPECT_EQ(std::string_view(trace.line, sizeof trace.line),
            "traceparent: " + std::string(trace.traceparent()) + "\r\n");
  // A later version with more fields: the known part is read, the answer is version 00.
  const TraceContext later =
      ContinueTrace("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra");
  EXPECT_EQ(later.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_TRUE(later.traceparent().starts_with("00-"));
}

TEST(TraceContext, StartsANewTraceForAnythingMalformed) {
  for (const char* bad : {"", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"}) {
    const TraceContext trace = ContinueTrace(bad);
    EXPECT_FALSE(trace.continued) << bad;
    EXPECT_NE(trace.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736") << bad;
    EXPECT_EQ(trace.trace_id().find_first_not_of("0123456789abcdef"), std::string::npos) << bad;
    EXPECT_EQ(trace.flags(), "01") << bad;
  }
  EXPECT_NE(ContinueTrace("").trace_id(), ContinueTrace("").trace_id());
}

TEST(LogRecord, WritesWhatProtobufReadsTheLastOccurrenceWinning) {
  LogRecord record;
  record.Text(LogRecord::kId, "id-1");
  record.Int(LogRecord::kTimestampUnixUs, 1765000000123456);
  record.Text(LogRecord::kSelectedKeyName, "first");
  record.Text(LogRecord::kSelectedKeyName, "second");
  record.Int(LogRecord::kFallbackIndex, 2);
  record.Int(LogRecord::kStatusCode, 503);
  record.Double(LogRecord::kLatency, 12.5);
  record.Double(LogRecord::kCost, 0.25);
  record.Bool(LogRecord::kStream, true);
  record.Tokens(300, 20, 7);
  record.Error("upstream_error", "first");
  LogRecord::AppendError(&record.wire(), "rate_limit_error", std::string(200, 'x'));
  record.Text(LogRecord::kRawRequest, std::string(1000, 'r'));
  v1::RequestLog parsed;
  ASSERT_TRUE(parsed.ParseFromString(record.wire()));
  EXPECT_EQ(parsed.id(), "id-1");
  EXPECT_EQ(parsed.timestamp_unix_us(), 1765000000123456);
  EXPECT_EQ(parsed.selected_key_name(), "second");
  EXPECT_EQ(parsed.fallback_index(), 2);
  EXPECT_EQ(parsed.status_code(), 503);
  EXPECT_DOUBLE_EQ(parsed.latency(), 12.5);
  ASSERT_TRUE(parsed.has_cost());
  EXPECT_DOUBLE_EQ(parsed.cost(), 0.25);
  EXPECT_TRUE(parsed.stream());
  EXPECT_EQ(parsed.token_usage().prompt_tokens(), 300);
  EXPECT_EQ(parsed.token_usage().completion_tokens(), 20);
  EXPECT_EQ(parsed.token_usage().total_tokens(), 320);
  EXPECT_EQ(parsed.token_usage().cached_tokens(), 7);
  EXPECT_EQ(parsed.error_details().type(), "rate_limit_error");
  EXPECT_EQ(parsed.error_details().message(), std::string(200, 'x'));
  EXPECT_EQ(parsed.raw_request().size(), 1000u);
  EXPECT_FALSE(parsed.has_cost() && parsed.cost() < 0);
}

TEST(RequestId, IsAUuidV4OrTheClientsOwn) {
  const std::string id = NewRequestId();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '4');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
  EXPECT_NE(NewRequestId(), id);
  EXPECT_TRUE(IsUsableRequestId("client-id-1"));
  EXPECT_FALSE(IsUsableRequestId(""));
  EXPECT_FALSE(IsUsableRequestId("has space"));
  EXPECT_FALSE(IsUsableRequestId(std::string(129, 'a')));
}

TEST(ReadErrorBody, ReadsEverySurfacesEnvelope) {
  v1::LogError error;
  ReadErrorBody(R"({"is_bifrost_error":true,"error":{"type":"rate_limit_error","message":"slow down"}})",
                &error);
  EXPECT_EQ(error.type(), "rate_limit_error");
  EXPECT_EQ(error.message(), "slow down");
  error.Clear();
  ReadErrorBody(R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})", &error);
  EXPECT_EQ(error.type(), "overloaded_error");
  error.Clear();
  ReadErrorBody(R"({"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}})", &error);
  EXPECT_EQ(error.type(), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(error.message(), "quota");
  error.Clear();
  ReadErrorBody(R"({"message":"bad","__type":"ValidationException"})", &error);
  EXPECT_EQ(error.type(), "ValidationException");
  EXPECT_EQ(error.message(), "bad");
  error.Clear();
  ReadErrorBody("not json", &error);
  EXPECT_TRUE(error.message().empty());
}

TEST(RedactedCapture, RemovesEverySecretBeforeCapping) {
  ProviderEntry entry;
  ResolvedKey key;
  key.secret = "sk-secret-0123456789";
  key.config_fields = {{"secret_key", "aws-secret-abcdef"}, {"region", "us-east-1"}};
  entry.keys.push_back(key);
  entry.extra_headers = {{"x-api-key", "header-secret-1"}, {"x-team", "blue"}};
  bool truncated = false;
  const std::string text = "a sk-secret-0123456789 b aws-secret-abcdef c header-secret-1 d token-xyz "
                           "us-east-1 blue";
  const std::string out = RedactedCapture(text, entry, "token-xyz", &truncated);
  EXPECT_EQ(out, "a <REDACTED> b <REDACTED> c <REDACTED> d <REDACTED> us-east-1 blue");
  EXPECT_FALSE(truncated);
  // A secret across the cap is still removed, then the text is cut at the cap.
  entry.config.set_raw_log_max_bytes(10);
  const std::string capped = RedactedCapture("0123456sk-secret-0123456789", entry, "", &truncated);
  EXPECT_EQ(capped, "0123456<RE");
  EXPECT_TRUE(truncated);
}

TEST(LogShipper, AQueueWithoutAControlPlaneDropsAndCounts) {
  LogShipper shipper(nullptr, {.max_records = 2});
  for (int i = 0; i < 5; ++i) shipper.Push(std::make_unique<LogEntry>());
  EXPECT_EQ(shipper.dropped(), 5);
  EXPECT_NE(shipper.RenderMetrics().find("switchyard_log_records_dropped_total 5"),
            std::string::npos);
}

}  // namespace
}  // namespace switchyard::dp
