// Process-level plumbing both binaries' main() share: the default node name and orderly
// shutdown on SIGINT / SIGTERM.
//
//   common::TerminationSignals signals;   // before any thread starts
//   ... start servers ...
//   signals.Wait();                       // logs which signal, then returns
#ifndef SWITCHYARD_COMMON_PROCESS_H_
#define SWITCHYARD_COMMON_PROCESS_H_

#include <signal.h>

#include <string>

namespace switchyard::common {

// This machine's host name (a pod's name on Kubernetes): the default node / replica id.
std::string HostName();

// Blocks SIGINT and SIGTERM in this thread, so that threads started afterwards inherit the
// mask and Wait() receives them synchronously. Construct before any thread starts.
class TerminationSignals {
 public:
  TerminationSignals();
  // Returns the signal number once one arrives, after logging "shutting down".
  int Wait();

 private:
  sigset_t signals_;
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_PROCESS_H_
