#include "data-plane/providers/sse.h"

namespace switchyard::dp {

void SseReader::Append(std::string_view bytes) {
  if (start_ > 0 && start_ == pending_.size()) {
    pending_.clear();
    start_ = 0;
  } else if (start_ > 4096 && start_ * 2 > pending_.size()) {
    pending_.erase(0, start_);
    start_ = 0;
  }
  pending_.append(bytes);
}

bool SseReader::Next(std::string* data) {
  for (;;) {
    const std::string_view rest = std::string_view(pending_).substr(start_);
    // The first blank line: "\n\n" or "\r\n\r\n" (a lone "\r" line ending is not produced by
    // any provider we speak to).
    size_t end = rest.find("\n\n");
    size_t separator = 2;
    if (const size_t crlf = rest.find("\r\n\r\n");
        crlf != std::string_view::npos && (end == std::string_view::npos || crlf < end)) {
      end = crlf;
      separator = 4;
    }
    if (end == std::string_view::npos) return false;
    const std::string_view event = rest.substr(0, end);
    start_ += end + separator;
    data->clear();
    bool has_data = false;
    size_t at = 0;
    while (at < event.size()) {
      size_t line_end = event.find('\n', at);
      if (line_end == std::string_view::npos) line_end = event.size();
      std::string_view line = event.substr(at, line_end - at);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (line.starts_with(" ")) line.remove_prefix(1);
        if (has_data) data->push_back('\n');
        data->append(line);
        has_data = true;
      }
      at = line_end + 1;
    }
    if (has_data) return true;
  }
}

}  // namespace switchyard::dp
