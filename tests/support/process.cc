#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace switchyard::testing {

Process Process::Start(const std::string& binary, const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  std::string log_path = std::filesystem::temp_directory_path() / "switchyard-proc-XXXXXX";
  const int log_fd = mkstemp(log_path.data());
  if (log_fd < 0) {
    std::perror("mkstemp");
    std::abort();
  }
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::map<std::string, std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) environment[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : env) {
    if (value.empty()) {
      environment.erase(name);
    } else {
      environment[name] = value;
    }
  }
  std::vector<std::string> env_storage;
  for (const auto& [name, value] : environment) env_storage.push_back(name + "=" + value);

  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid == 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& arg : argv_storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  return Process(pid, log_path);
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_), log_path_(std::move(other.log_path_)), exit_code_(other.exit_code_) {
  other.pid_ = -1;
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    this->~Process();
    pid_ = other.pid_;
    log_path_ = std::move(other.log_path_);
    exit_code_ = other.exit_code_;
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0) {
    if (Running()) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (std::getenv("SWITCHYARD_TEST_KEEP_LOGS") == nullptr) {
      std::filesystem::remove(log_path_);
    } else {
      std::fprintf(stderr, "kept log %s\n", log_path_.c_str());
    }
  }
  pid_ = -1;
}

std::string Process::Log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Process::Lines() const {
  // A line counts once its newline is written: another process's write may land in two parts
  // ("msg=listening addr=127.0.0.1:" first, the port a moment later), and a reader that took
  // the first part as the line would act on half of it.
  const std::string text = Log();
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

std::string Process::WaitForLine(const std::string& needle,
                                 std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Whether it had exited is read before the log: an exit seen first means the log read
    // after it is the last one, and a final unterminated line is as complete as it will get.
    const bool exited = !const_cast<Process*>(this)->Running();
    std::vector<std::string> lines = Lines();
    if (exited) {
      const std::string text = Log();
      const size_t last = text.rfind('\n');
      const std::string tail = text.substr(last == std::string::npos ? 0 : last + 1);
      if (!tail.empty()) lines.push_back(tail);
    }
    for (const std::string& line : lines) {
      if (line.find(needle) != std::string::npos) return line;
    }
    if (exited || std::chrono::steady_clock::now() >= deadline) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Process::Signal(int signal_number) {
  if (pid_ > 0) kill(pid_, signal_number);
}

bool Process::Running() {
  if (pid_ <= 0 || exit_code_ != -1) return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == 0) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

int Process::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  pclose(pipe);
  return output;
}

}  // namespace switchyard::testing
