// Issue 18 point 6: a test that waits on another process's output acts on complete lines only.
#include "tests/support/process.h"

#include <gtest/gtest.h>

namespace switchyard::testing {
namespace {

// The line arrives in two writes, as a logger's may: "addr=127.0.0.1:" first, the port 300 ms
// later. Taking the first part as the line gave an address without a port (and skipped a suite).
TEST(ProcessTest, WaitForLineReturnsOnlyCompleteLines) {
  Process child = Process::Start(
      "/bin/sh", {"-c", "printf 'msg=listening addr=127.0.0.1:'; sleep 0.3; printf '4242\\n'; "
                        "sleep 30"});
  EXPECT_EQ(child.WaitForLine("msg=listening"), "msg=listening addr=127.0.0.1:4242");
  EXPECT_EQ(child.Lines(), std::vector<std::string>{"msg=listening addr=127.0.0.1:4242"});
}

// A last line without a newline counts once the process has exited: it will not grow.
TEST(ProcessTest, AnUnterminatedLastLineCountsAfterExit) {
  Process child = Process::Start("/bin/sh", {"-c", "printf 'done without newline'"});
  EXPECT_EQ(child.WaitForLine("done"), "done without newline");
  EXPECT_TRUE(child.Lines().empty());
}

}  // namespace
}  // namespace switchyard::testing
