// Structured logging to stderr, one logfmt line per event:
//   ts=2026-11-21T10:00:00.123Z level=info msg="provider created" provider=openai revision=7
//
// Thread-safe: each line is formatted first and written with one write(2).
// Never pass a secret as a field: callers log names, hashes and revisions, not configs.
//
//   LogInfo("listening", {{"api", "rest"}, {"addr", address}});
#ifndef SWITCHYARD_COMMON_LOG_H_
#define SWITCHYARD_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace switchyard::common {

using LogField = std::pair<std::string_view, std::string_view>;

void LogInfo(std::string_view message, std::initializer_list<LogField> fields = {});
void LogWarning(std::string_view message, std::initializer_list<LogField> fields = {});
void LogError(std::string_view message, std::initializer_list<LogField> fields = {});

// The logfmt line for one event, without the trailing newline (exposed for tests).
std::string FormatLogLine(std::string_view level, std::string_view message,
                          std::initializer_list<LogField> fields);

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_LOG_H_
