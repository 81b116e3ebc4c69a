// SseReader: events split out of a byte stream however it arrives (whole, byte by byte), events of
// one or two lines (split where the search for their end met their line feeds) beside events of
// more lines.
#include "data-plane/providers/sse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchyard::dp {
namespace {

std::vector<std::string> Events(std::string_view stream, size_t piece) {
  SseReader reader;
  std::vector<std::string> events;
  for (size_t at = 0; at < stream.size(); at += piece) {
    reader.Append(stream.substr(at, piece));
    std::string_view data;
    while (reader.Next(&data)) events.emplace_back(data);
  }
  return events;
}

TEST(SseReaderTest, OneLineAndSeveralLineEventsInAnySplit) {
  const std::string stream =
      ": a comment, not an event\n\n"
      "data: one line\n\n"
      "data:no space\r\n\r\n"
      "event: named\ndata: after its name\n\n"
      "data: first\r\ndata: second\r\n\r\n"
      "id: 7\n\n"
      "event: many\nid: 8\nretry: 5\n: note\ndata: a\r\ndata: b\n\n"
      "data: {\"json\":true}\n\n"
      "data: incomplete";
  const std::vector<std::string> expected = {"one line",      "no space", "after its name",
                                             "first\nsecond", "a\nb",     "{\"json\":true}"};
  for (size_t piece : {stream.size(), size_t{1}, size_t{2}, size_t{5}, size_t{16}}) {
    EXPECT_EQ(Events(stream, piece), expected) << "pieces of " << piece;
  }
}

}  // namespace
}  // namespace switchyard::dp
