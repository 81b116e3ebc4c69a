#include "common/flags.h"

#include "common/strings.h"

namespace switchyard::common {

void Flags::Define(std::string name, std::string default_value, std::string help) {
  flags_[std::move(name)] = Flag{std::move(default_value), std::move(help), false, false};
}

void Flags::DefineSwitch(std::string name, std::string help) {
  flags_[std::move(name)] = Flag{"false", std::move(help), true, false};
}

absl::Status Flags::Parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(StrCat("unexpected argument ", arg));
    }
    arg.remove_prefix(2);
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) return absl::InvalidArgumentError(StrCat("unknown flag --", name));
    Flag& flag = it->second;
    if (flag.is_switch) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(StrCat("--", name, " takes no value"));
      }
      flag.value = has_value ? std::string(value) : "true";
    } else {
      if (!has_value) {
        if (i + 1 >= argc) return absl::InvalidArgumentError(StrCat("--", name, " needs a value"));
        value = argv[++i];
      }
      flag.value = std::string(value);
    }
    flag.set = true;
  }
  return absl::OkStatus();
}

const std::string& Flags::Get(std::string_view name) const {
  static const std::string kEmpty;
  auto it = flags_.find(name);
  return it == flags_.end() ? kEmpty : it->second.value;
}

bool Flags::IsSet(std::string_view name) const {
  auto it = flags_.find(name);
  if (it == flags_.end()) return false;
  return it->second.is_switch ? it->second.value == "true" : it->second.set;
}

std::string Flags::Usage(std::string_view program) const {
  std::string usage = StrCat("usage: ", program, " [flags]\n");
  for (const auto& [name, flag] : flags_) {
    StrAppend(&usage, "  --", name, flag.is_switch ? "" : "=<value>", "  ", flag.help,
                    flag.is_switch || flag.value.empty() ? "" : StrCat(" (default ", flag.value, ")"),
                    "\n");
  }
  return usage;
}

}  // namespace switchyard::common
