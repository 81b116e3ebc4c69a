// Command-line flags in the `--name=value` / `--name value` / `--switch` form the binaries
// document (absl's flag library cannot spell names with '-').
//
//   Flags flags;
//   flags.Define("grpc-listen", "0.0.0.0:50051", "gRPC admin address");
//   flags.DefineSwitch("dev", "development mode");
//   if (auto s = flags.Parse(argc, argv); !s.ok()) { ... print s and flags.Usage() ... }
//   std::string address = flags.Get("grpc-listen");
#ifndef SWITCHYARD_COMMON_FLAGS_H_
#define SWITCHYARD_COMMON_FLAGS_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace switchyard::common {

class Flags {
 public:
  void Define(std::string name, std::string default_value, std::string help);
  void DefineSwitch(std::string name, std::string help);

  // Unknown flags, missing values and positional arguments are errors.
  absl::Status Parse(int argc, char** argv);

  const std::string& Get(std::string_view name) const;
  bool IsSet(std::string_view name) const;  // a switch was given, or a flag explicitly set
  std::string Usage(std::string_view program) const;

 private:
  struct Flag {
    std::string value;
    std::string help;
    bool is_switch = false;
    bool set = false;
  };
  std::map<std::string, Flag, std::less<>> flags_;
};

}  // namespace switchyard::common

#endif  // SWITCHYARD_COMMON_FLAGS_H_
