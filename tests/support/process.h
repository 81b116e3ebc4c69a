// A child process for tests about processes (kill, restart): its stdout and stderr go to a
// log file that tests can wait on. Destroying it kills it (SIGKILL) and reaps it.
//
//   Process cp = Process::Start(bin, {"--dev"}, {{"SWITCHYARD_ADMIN_TOKEN", "t"}});
//   std::string line = cp.WaitForLine("msg=listening api=rest");
//   cp.Signal(SIGTERM); int code = cp.Wait();
#ifndef SWITCHYARD_TESTS_SUPPORT_PROCESS_H_
#define SWITCHYARD_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace switchyard::testing {

class Process {
 public:
  // `env` entries are added to (or replace those of) this process's environment; an entry
  // with an empty value removes the variable.
  static Process Start(const std::string& binary, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {});
  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  ~Process();

  // The first complete log line containing `needle`, waiting up to `timeout`; "" on timeout
  // or when the process exits first.
  std::string WaitForLine(const std::string& needle,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  // Everything written so far, and its complete (newline-terminated) lines.
  std::string Log() const;
  std::vector<std::string> Lines() const;

  void Signal(int signal_number);
  // Waits for exit and returns the exit code (128 + signal when killed); -1 on timeout.
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool Running();
  pid_t pid() const { return pid_; }

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_ = -1;
  std::string log_path_;
  int exit_code_ = -1;
};

// Runs a shell command to its end (real clients: curl, nghttp2's h2load and nghttp) and
// returns what it printed (stdout and stderr).
std::string RunCommand(const std::string& command);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_PROCESS_H_
