// SseReader: splits a server-sent-events byte stream, arriving in any split, into the data of
// each complete event (WHATWG EventSource framing: events end at a blank line, LF or CRLF;
// several data lines join with "\n"; other fields and comments are skipped).
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_SSE_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_SSE_H_

#include <string>
#include <string_view>

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// Bytes after every event's data that can be read (not its content): what simdjson's On Demand
// parser needs past a document, so events are parsed where they lie.
inline constexpr size_t kSsePadding = 64;

class SseReader {
 public:
  void Append(std::string_view bytes);

  // The next complete event's data; false when no complete event is buffered. Events
  // without a data field are skipped. `data` views the reader's buffer (or, for an event of
  // several data lines, their join): valid until the next Append() or Next(); kSsePadding
  // bytes after it are readable.
  bool Next(std::string_view* data);

  // Bytes of an event not complete yet.
  bool has_partial() const { return start_ < pending_.size(); }

 private:
  std::string pending_;
  std::string joined_;  // an event's data lines joined with "\n"
  size_t start_ = 0;  // consumed prefix of pending_
  size_t scan_ = 0;   // where the search for the current event's end resumes
};

// A StreamTranslator whose upstream speaks SSE: Feed() splits the bytes into events and hands
// each event's data to OnEvent() until the translator calls Done(); what follows is ignored.
class SseStreamTranslator : public StreamTranslator {
 public:
  absl::Status Feed(std::string_view upstream, std::string* client) final;

 protected:
  // `data` as SseReader::Next() gives it (kSsePadding readable bytes after it).
  virtual absl::Status OnEvent(std::string_view data, std::string* client) = 0;
  void Done() { done_ = true; }
  bool done() const { return done_; }

 private:
  SseReader reader_;
  bool done_ = false;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_SSE_H_
