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

  // The whole event (every line, its blank line included) whose data Next() gave last; valid
  // as long as that data.
  std::string_view last_event() const {
    return std::string_view(pending_).substr(event_start_, start_ - event_start_);
  }
  // The bytes not split into events yet, from the first byte of the next event on; valid until
  // the next Append() or Next(). Skip(n) consumes n of them, which must be whole events.
  std::string_view unread() const { return std::string_view(pending_).substr(start_); }
  void Skip(size_t n);

 private:
  std::string pending_;
  std::string joined_;  // an event's data lines joined with "\n"
  size_t start_ = 0;  // consumed prefix of pending_
  size_t scan_ = 0;   // where the search for the current event's end resumes
  size_t event_start_ = 0;  // last_event()'s first byte
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

  // Called by OnEvent() for an event it wrote as one chunk of text: `text`, a JSON string
  // token inside `data` copied as it is (CopyableJsonStringEnd), written as `frame` + text +
  // `tail`. The events that follow it and are its bytes but for that token, SSE framing
  // included (how providers stream text: the same envelope around each new piece), are then
  // written the same way around their own token without being split or read, up to the first
  // that differs (issue 18 point 4). Their token too is one copyable JSON string in valid
  // UTF-8 (without CR or LF, so the event's lines are the template's): every other token of
  // the event, and so its reading, is the template's, and reading it changes nothing the
  // template's reading did not (a condition on the caller: what it writes for such an event
  // is frame + token + tail, whatever it read before). With `skip_empty`, an empty text ("")
  // writes nothing. Nothing is recorded when `data` was not one line in the upstream bytes.
  void RepeatText(std::string_view data, std::string_view text, std::string_view frame,
                  std::string_view tail, bool skip_empty);

 private:
  // The events RepeatText() describes, taken from the reader and written.
  void TakeRepeated(std::string* client);

  // The last event's bytes before and after its text, and what was written around it.
  struct Repeat {
    bool active = false;
    bool skip_empty = false;
    std::string before;
    std::string after;
    std::string tail_frame;  // what was written after the text, then what was written before it
    size_t tail_size = 0;
  };

  SseReader reader_;
  Repeat repeat_;
  bool done_ = false;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_SSE_H_
