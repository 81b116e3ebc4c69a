// A real, throwaway PostgreSQL server for tests (DESIGN.md "Testing").
//
// The first server in a process runs initdb into a template directory; every server copies
// that template, so each costs only a pg_ctl start (~0.5 s). As root, the server binaries run
// as the postgres user (initdb refuses root). Servers listen on 127.0.0.1 on a free port with
// fsync off, and are stopped with `pg_ctl -m immediate` when destroyed.
//
//   auto pg = PostgresServer::Start();
//   std::string dsn = pg->dsn();
//   pg->Stop(); pg->Restart();   // to test behaviour while the database is down
#ifndef SWITCHYARD_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define SWITCHYARD_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <memory>
#include <string>

namespace switchyard::testing {

class PostgresServer {
 public:
  // Aborts the test binary with a message when the server cannot start.
  static std::unique_ptr<PostgresServer> Start();
  ~PostgresServer();

  const std::string& dsn() const { return dsn_; }
  int port() const { return port_; }

  void Stop();     // immediate shutdown; data kept
  void Restart();  // start again on the same port and data
  // A hung database: every server process stopped (SIGSTOP) with its connections open, so
  // clients wait instead of failing. Thaw() resumes them.
  void Freeze();
  void Thaw();

 private:
  PostgresServer(std::string dir, int port);
  void StartServer();

  std::string dir_;
  int port_;
  std::string dsn_;
  bool running_ = false;
};

// A TCP port that was free a moment ago on 127.0.0.1.
int FreePort();

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_POSTGRES_SERVER_H_
