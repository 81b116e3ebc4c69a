// A real, throwaway Redis server for tests (Debian's redis-server), like PostgresServer:
// 127.0.0.1 on a free port, no persistence, its own temporary directory; stopped (SIGKILL
// after SIGTERM) when destroyed. Stop()/Restart() test behaviour while Redis is down.
//
//   auto redis = RedisServer::Start();
//   std::string url = redis->url();   // "redis://127.0.0.1:<port>"
#ifndef SWITCHYARD_TESTS_SUPPORT_REDIS_SERVER_H_
#define SWITCHYARD_TESTS_SUPPORT_REDIS_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>

namespace switchyard::testing {

class RedisServer {
 public:
  // Aborts the test binary with a message when the server cannot start.
  static std::unique_ptr<RedisServer> Start();
  ~RedisServer();

  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void Stop();
  void Restart();  // same port, empty data

 private:
  RedisServer(std::string dir, int port) : dir_(std::move(dir)), port_(port) {}
  void StartServer();

  std::string dir_;
  int port_;
  pid_t pid_ = -1;
};

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_REDIS_SERVER_H_
