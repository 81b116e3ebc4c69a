#include "tests/support/postgres_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <vector>

namespace switchyard::testing {
namespace {

constexpr char kBin[] = "/usr/lib/postgresql/15/bin/";

bool IsRoot() { return geteuid() == 0; }

std::string AsOwner(const std::string& command) {
  return IsRoot() ? "runuser -u postgres -- " + command : command;
}

void Run(const std::string& command) {
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "command failed: %s\n", command.c_str());
    std::abort();
  }
}

std::string MakeTempDir(const char* prefix) {
  std::string pattern = std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  if (IsRoot()) Run("chown postgres:postgres " + pattern);
  return pattern;
}

// initdb once per process.
const std::string& TemplateDir() {
  static std::once_flag once;
  static std::string dir;
  std::call_once(once, [] {
    dir = MakeTempDir("switchyard-pg-template-");
    Run(AsOwner(std::string(kBin) + "initdb -D " + dir +
                "/data -A trust -U postgres --no-sync > /dev/null"));
  });
  return dir;
}

}  // namespace

namespace {

// The postmaster (first line of postmaster.pid) and its children (the backends).
std::vector<pid_t> ServerProcesses(const std::string& data_dir) {
  std::vector<pid_t> pids;
  std::ifstream pid_file(data_dir + "/postmaster.pid");
  pid_t postmaster = 0;
  if (!(pid_file >> postmaster) || postmaster <= 0) return pids;
  pids.push_back(postmaster);
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    char state;
    pid_t parent = 0;
    if (fields >> state >> parent && parent == postmaster) pids.push_back(std::stoi(name));
  }
  return pids;
}

}  // namespace

void PostgresServer::Freeze() {
  for (pid_t pid : ServerProcesses(dir_ + "/data")) ::kill(pid, SIGSTOP);
}

void PostgresServer::Thaw() {
  for (pid_t pid : ServerProcesses(dir_ + "/data")) ::kill(pid, SIGCONT);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  const int port = ntohs(address.sin_port);
  close(fd);
  return port;
}

std::unique_ptr<PostgresServer> PostgresServer::Start() {
  const std::string dir = MakeTempDir("switchyard-pg-");
  Run(AsOwner("cp -a " + TemplateDir() + "/data " + dir + "/data"));
  auto server = std::unique_ptr<PostgresServer>(new PostgresServer(dir, FreePort()));
  server->StartServer();
  return server;
}

PostgresServer::PostgresServer(std::string dir, int port)
    : dir_(std::move(dir)),
      port_(port),
      dsn_("host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=postgres") {}

PostgresServer::~PostgresServer() {
  Stop();
  std::filesystem::remove_all(dir_);
}

void PostgresServer::StartServer() {
  Run(AsOwner(std::string(kBin) + "pg_ctl -D " + dir_ + "/data -l " + dir_ +
              "/server.log -w -o \"-p " + std::to_string(port_) +
              " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir_ +
              " -c fsync=off -c full_page_writes=off"
              " -c max_connections=200\" start > /dev/null"));
  running_ = true;
}

void PostgresServer::Stop() {
  if (!running_) return;
  Run(AsOwner(std::string(kBin) + "pg_ctl -D " + dir_ + "/data -m immediate -w stop > /dev/null"));
  running_ = false;
}

void PostgresServer::Restart() {
  Stop();
  StartServer();
}

}  // namespace switchyard::testing
