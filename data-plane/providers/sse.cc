#include "data-plane/providers/sse.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include <simdjson.h>

#include "data-plane/providers/json_util.h"

namespace switchyard::dp {

void SseReader::Append(std::string_view bytes) {
  if (start_ > 0 && start_ == pending_.size()) {
    pending_.clear();
    start_ = scan_ = 0;
  } else if (start_ > 4096 && start_ * 2 > pending_.size()) {
    pending_.erase(0, start_);
    scan_ -= std::min(scan_, start_);
    start_ = 0;
  }
  // (Room for the padding past the last event, so no event's data ends at the allocation's end.)
  if (pending_.capacity() < pending_.size() + bytes.size() + kSsePadding) {
    pending_.reserve(std::max(pending_.size() + bytes.size() + kSsePadding, 2 * pending_.capacity()));
  }
  pending_.append(bytes);
}

bool SseReader::Next(std::string_view* data) {
  for (;;) {
    // The first blank line: a line feed followed by another ("\n\n") or by "\r\n". Each byte
    // is looked at once: scan_ remembers how far an incomplete event was searched.
    size_t end = std::string::npos;
    size_t next = 0;
    // The line feeds inside the event, as this search meets them: when it searched the whole
    // event (not resumed) and met at most kMaxBreaks, its lines are split below without
    // searching again (the common events: one line, or an event line and a data line).
    constexpr int kMaxBreaks = 4;
    size_t breaks[kMaxBreaks];
    int break_count = 0;
    bool breaks_known = scan_ <= start_;
    for (size_t at = std::max(scan_, start_); (at = pending_.find('\n', at)) != std::string::npos;
         ++at) {
      if (at + 1 >= pending_.size() || (pending_[at + 1] == '\r' && at + 2 >= pending_.size())) {
        break;  // the next bytes decide: wait for them
      }
      if (pending_[at + 1] == '\n') {
        end = at;
        next = at + 2;
        break;
      }
      if (pending_[at + 1] == '\r' && pending_[at + 2] == '\n') {
        end = at;
        next = at + 3;
        break;
      }
      if (break_count == kMaxBreaks) {
        breaks_known = false;
      } else {
        breaks[break_count++] = at;
      }
    }
    if (end == std::string::npos) {
      // Resume at the last line feed seen (its successors were missing).
      const size_t last = pending_.rfind('\n');
      scan_ = last == std::string::npos || last < start_ ? pending_.size() : last;
      return false;
    }
    const size_t event_start = start_;
    event_start_ = start_;
    std::string_view event = std::string_view(pending_).substr(start_, end - start_);
    if (!event.empty() && event.back() == '\r') event.remove_suffix(1);
    start_ = next;
    scan_ = next;
    // One data line (the common case) is returned in place; several are joined.
    int lines = 0;
    int line_index = 0;
    size_t at = 0;
    while (at < event.size()) {
      size_t line_end;
      if (breaks_known) {
        line_end = line_index < break_count ? breaks[line_index++] - event_start : event.size();
      } else {
        line_end = event.find('\n', at);
        if (line_end == std::string_view::npos) line_end = event.size();
      }
      std::string_view line = event.substr(at, line_end - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (line.starts_with(" ")) line.remove_prefix(1);
        if (lines == 1) joined_.assign(*data);
        if (lines >= 1) joined_.append("\n").append(line);
        *data = line;
        ++lines;
      }
      at = line_end + 1;
    }
    if (lines > 1) {
      joined_.reserve(joined_.size() + kSsePadding);
      *data = joined_;
    }
    if (lines > 0) return true;
  }
}

void SseReader::Skip(size_t n) {
  start_ += n;
  scan_ = std::max(scan_, start_);
}

void SseStreamTranslator::RepeatText(std::string_view data, std::string_view text,
                                     std::string_view frame, std::string_view tail,
                                     bool skip_empty) {
  const std::string_view event = reader_.last_event();
  std::less_equal<const char*> at_or_before;
  if (!at_or_before(event.data(), data.data()) ||
      !at_or_before(data.data() + data.size(), event.data() + event.size()) ||
      !at_or_before(data.data(), text.data()) ||
      !at_or_before(text.data() + text.size(), data.data() + data.size()) || text.size() < 2) {
    return;  // data joined from several lines
  }
  const size_t text_begin = static_cast<size_t>(text.data() - event.data());
  repeat_.before.assign(event.substr(0, text_begin));
  repeat_.after.assign(event.substr(text_begin + text.size()));
  repeat_.tail_frame.assign(tail).append(frame);
  repeat_.tail_size = tail.size();
  repeat_.skip_empty = skip_empty;
  repeat_.active = true;
}

void SseStreamTranslator::TakeRepeated(std::string* client) {
  const std::string_view before = repeat_.before;
  const std::string_view after = repeat_.after;
  const size_t open = before.size();
  // A chunk's tail and the next chunk's frame are written together (tail_frame): two appends
  // per event.
  const std::string_view tail_frame = repeat_.tail_frame;
  const std::string_view frame = tail_frame.substr(repeat_.tail_size);
  bool tail_owed = false;
  for (;;) {
    const std::string_view bytes = reader_.unread();
    if (bytes.size() < open + 2 + after.size() || bytes[open] != '"' ||
        std::memcmp(bytes.data(), before.data(), open) != 0) {
      break;
    }
    bool ascii;
    const size_t close = CopyableJsonStringEnd(bytes, open, &ascii);
    if (close == std::string_view::npos || bytes.size() - close - 1 < after.size() ||
        std::memcmp(bytes.data() + close + 1, after.data(), after.size()) != 0) {
      break;
    }
    const std::string_view text = bytes.substr(open, close + 1 - open);
    if (!ascii && !simdjson::validate_utf8(text.data(), text.size())) break;
    if (text.size() > 2 || !repeat_.skip_empty) {
      client->append(tail_owed ? tail_frame : frame).append(text);
      tail_owed = true;
    }
    reader_.Skip(close + 1 + after.size());
  }
  if (tail_owed) client->append(tail_frame.substr(0, repeat_.tail_size));
}

absl::Status SseStreamTranslator::Feed(std::string_view upstream, std::string* client) {
  reader_.Append(upstream);
  std::string_view data;
  while (!done_) {
    if (repeat_.active) TakeRepeated(client);
    if (!reader_.Next(&data)) break;
    repeat_.active = false;  // the template is the last event only
    if (absl::Status status = OnEvent(data, client); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace switchyard::dp
