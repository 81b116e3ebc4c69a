#include "common/process.h"

#include <pthread.h>
#include <unistd.h>

#include "common/log.h"

namespace switchyard::common {

std::string HostName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host;
}

TerminationSignals::TerminationSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

int TerminationSignals::Wait() {
  int signal_number = 0;
  sigwait(&signals_, &signal_number);
  LogInfo("shutting down", {{"signal", std::to_string(signal_number)}});
  return signal_number;
}

}  // namespace switchyard::common
