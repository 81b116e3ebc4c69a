// switchyard: the command-line client of the control plane's REST admin API.
//
//   switchyard [--control-plane URL] [--token T] [--ca-file F] [-o table|json] COMMAND
//     providers list | get NAME | apply -f FILE | delete NAME
//     fleet
//     logs [--limit N] [--provider P] [--model M] [--status success|error] [--type T]
//
// The token comes from --token or SWITCHYARD_ADMIN_TOKEN; the URL from --control-plane or
// SWITCHYARD_CONTROL_PLANE (default http://127.0.0.1:8081). Exit codes, for CI:
//   0 done (apply: every provider created, updated or unchanged)
//   1 the control plane refused something (invalid config, conflict, not found, auth)
//   2 bad usage
//   3 the control plane could not be reached
//   4 fleet: some data plane is not in sync with the control plane
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/provider_config.h"
#include "common/provider_json.h"
#include "common/strings.h"
#include "control-plane/cli/admin_client.h"

namespace switchyard::cli {
namespace {

using common::StrCat;
using nlohmann::json;

constexpr int kOk = 0;
constexpr int kRefused = 1;
constexpr int kUsage = 2;
constexpr int kUnreachable = 3;
constexpr int kOutOfSync = 4;

constexpr std::string_view kUsageText =
    R"(usage: switchyard [--control-plane URL] [--token TOKEN] [--ca-file FILE] [-o table|json] COMMAND

commands:
  providers list                 every provider: name, base type, status, keys, hash, revision
  providers get NAME             one provider (secrets redacted)
  providers apply -f FILE        create or replace the providers in FILE ("-": stdin): a provider
                                 object, an array of them, or {"providers": [...]}; providers whose
                                 config hash already matches are left alone and reported unchanged
  providers delete NAME
  fleet                          every data plane: revision, table hash, state (exit 4 when any
                                 is not in sync)
  logs [--limit N] [--provider P] [--model M] [--status success|error] [--type REQUEST_TYPE]

The token is --token or $SWITCHYARD_ADMIN_TOKEN; the URL --control-plane or
$SWITCHYARD_CONTROL_PLANE (default http://127.0.0.1:8081).
exit codes: 0 done, 1 refused by the control plane, 2 bad usage, 3 unreachable, 4 fleet not in sync
)";

struct Options {
  std::string url;
  std::string token;
  std::string ca_file;
  bool json_output = false;
  std::vector<std::string> args;  // the command and its own arguments
};

int Usage(std::string_view problem) {
  if (!problem.empty()) std::cerr << "switchyard: " << problem << "\n";
  std::cerr << kUsageText;
  return kUsage;
}

const char* Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// The API's error message from its envelope, or the status.
std::string ErrorOf(const AdminResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    return body["error"].value("message", "");
  }
  return StrCat("HTTP ", response.status);
}

// Prints rows as aligned columns (the first row is the header).
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string Text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

class Cli {
 public:
  Cli(AdminClient client, bool json_output) : client_(std::move(client)), json_(json_output) {}

  int Run(const std::vector<std::string>& args) {
    if (args[0] == "providers" && args.size() >= 2) {
      if (args[1] == "list" && args.size() == 2) return ProvidersList();
      if (args[1] == "get" && args.size() == 3) return ProvidersGet(args[2]);
      if (args[1] == "delete" && args.size() == 3) return ProvidersDelete(args[2]);
      if (args[1] == "apply" && args.size() == 4 && (args[2] == "-f" || args[2] == "--file")) {
        return ProvidersApply(args[3]);
      }
    }
    if (args[0] == "fleet" && args.size() == 1) return Fleet();
    if (args[0] == "logs") return Logs(args);
    return Usage(StrCat("unknown command: ", args[0]));
  }

 private:
  // The call's answer, or the exit code of its failure (reported on stderr).
  std::optional<AdminResponse> Call(std::string_view method, std::string_view target,
                                    std::string_view body, int* exit_code,
                                    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    absl::StatusOr<AdminResponse> response = client_.Call(method, target, body, headers);
    if (!response.ok()) {
      std::cerr << "switchyard: " << response.status().message() << "\n";
      *exit_code = kUnreachable;
      return std::nullopt;
    }
    return *std::move(response);
  }

  // GET `target` as JSON; prints the error and returns nullopt when refused.
  std::optional<json> Get(std::string_view target, int* exit_code) {
    std::optional<AdminResponse> response = Call("GET", target, "", exit_code);
    if (!response) return std::nullopt;
    if (response->status != 200) {
      std::cerr << "switchyard: " << ErrorOf(*response) << "\n";
      *exit_code = kRefused;
      return std::nullopt;
    }
    return json::parse(response->body, nullptr, false);
  }

  int ProvidersList() {
    int code = kOk;
    std::optional<json> list = Get("/api/providers", &code);
    if (!list) return code;
    if (json_) {
      std::cout << list->dump(2) << "\n";
      return kOk;
    }
    std::vector<std::vector<std::string>> rows = {
        {"NAME", "BASE TYPE", "STATUS", "KEYS", "CONFIG HASH", "REVISION"}};
    for (const json& p : (*list)["providers"]) {
      std::string base = p.value("name", "");
      if (p.contains("custom_provider_config")) {
        base = p["custom_provider_config"].value("base_provider_type", base);
      }
      rows.push_back({p.value("name", ""), base, p.value("provider_status", ""),
                      std::to_string(p.contains("keys") ? p["keys"].size() : 0),
                      p.value("config_hash", "").substr(0, 12), Text(p.value("revision", json()))});
    }
    PrintTable(rows);
    return kOk;
  }

  int ProvidersGet(const std::string& name) {
    int code = kOk;
    std::optional<json> provider = Get(StrCat("/api/providers/", name), &code);
    if (!provider) return code;
    std::cout << provider->dump(2) << "\n";
    return kOk;
  }

  int ProvidersDelete(const std::string& name) {
    int code = kOk;
    std::optional<AdminResponse> response = Call("DELETE", StrCat("/api/providers/", name), "", &code);
    if (!response) return code;
    if (response->status >= 300) {
      std::cerr << "switchyard: " << ErrorOf(*response) << "\n";
      return kRefused;
    }
    if (json_) {
      std::cout << json{{"provider", name}, {"action", "deleted"}}.dump() << "\n";
    } else {
      std::cout << "deleted " << name << "\n";
    }
    return kOk;
  }

  int ProvidersApply(const std::string& file) {
    std::stringstream text;
    if (file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(file);
      if (!in) return Usage(StrCat("cannot read ", file));
      text << in.rdbuf();
    }
    const json doc = json::parse(text.str(), nullptr, false);
    std::vector<json> providers;
    if (doc.is_array()) {
      providers.assign(doc.begin(), doc.end());
    } else if (doc.is_object() && doc.contains("providers") && doc["providers"].is_array()) {
      providers.assign(doc["providers"].begin(), doc["providers"].end());
    } else if (doc.is_object()) {
      providers.push_back(doc);
    } else {
      std::cerr << "switchyard: " << file << " is not JSON (a provider, an array of providers, "
                                             "or {\"providers\": [...]})\n";
      return kRefused;
    }
    // Every provider is checked here first: a file with one bad provider changes nothing.
    struct Planned {
      std::string name;
      std::string body;
      std::string hash;
    };
    std::vector<Planned> plan;
    for (json& provider : providers) {
      if (!provider.is_object()) {
        std::cerr << "switchyard: every provider in " << file << " must be a JSON object\n";
        return kRefused;
      }
      if (!provider.contains("provider") && provider.contains("name")) {
        provider["provider"] = provider["name"];
      }
      provider.erase("name");
      provider.erase("config_hash");
      provider.erase("revision");
      const std::string body = provider.dump();
      absl::StatusOr<v1::ProviderConfig> config = common::ProviderFromJson(body);
      absl::StatusOr<v1::ProviderConfig> canonical =
          config.ok() ? common::Canonicalize(*std::move(config)) : config.status();
      if (!canonical.ok()) {
        std::cerr << "switchyard: " << Text(provider.value("provider", json())) << ": "
                  << canonical.status().message() << "\n";
        return kRefused;
      }
      plan.push_back({canonical->name(), body, common::ConfigHash(*canonical)});
    }
    int exit_code = kOk;
    json results = json::array();
    for (const Planned& one : plan) {
      int code = kOk;
      std::optional<AdminResponse> current = Call("GET", StrCat("/api/providers/", one.name), "", &code);
      if (!current) return code;
      std::string action;
      std::optional<AdminResponse> written;
      if (current->status == 404) {
        action = "created";
        written = Call("POST", "/api/providers", one.body, &code);
      } else if (current->status != 200) {
        std::cerr << "switchyard: " << one.name << ": " << ErrorOf(*current) << "\n";
        return kRefused;
      } else if (current->etag == one.hash) {
        action = "unchanged";
      } else {
        action = "updated";
        // Replaced only if nobody changed it since it was read.
        written = Call("PUT", StrCat("/api/providers/", one.name), one.body, &code,
                       {{"If-Match", StrCat("\"", current->etag, "\"")}});
      }
      if (code != kOk) return code;
      json result{{"provider", one.name}, {"action", action}, {"config_hash", one.hash}};
      if (written) {
        if (written->status >= 300) {
          result["action"] = "failed";
          result["error"] = ErrorOf(*written);
          exit_code = kRefused;
        } else {
          const json answer = json::parse(written->body, nullptr, false);
          result["config_hash"] = answer.value("config_hash", one.hash);
        }
      }
      results.push_back(result);
      if (!json_) {
        std::cout << result["action"].get<std::string>() << " " << one.name;
        if (result.contains("error")) std::cout << ": " << result["error"].get<std::string>();
        std::cout << "\n";
      }
    }
    if (json_) std::cout << json{{"results", results}}.dump(2) << "\n";
    return exit_code;
  }

  int Fleet() {
    int code = kOk;
    std::optional<json> fleet = Get("/api/fleet", &code);
    if (!fleet) return code;
    bool in_sync = true;
    for (const json& plane : (*fleet)["data_planes"]) {
      if (plane.value("state", "") != "in_sync") in_sync = false;
    }
    if (json_) {
      std::cout << fleet->dump(2) << "\n";
    } else {
      std::cout << "control plane revision " << Text((*fleet)["revision"]) << ", table hash "
                << Text((*fleet)["table_hash"]).substr(0, 12) << "\n";
      std::vector<std::vector<std::string>> rows = {
          {"DATA PLANE", "REPLICA", "REVISION", "TABLE HASH", "STATE", "ISOLATED", "LAST SEEN"}};
      for (const json& p : (*fleet)["data_planes"]) {
        std::string isolated;
        for (const json& i : p.value("isolated_providers", json::array())) {
          isolated += StrCat(isolated.empty() ? "" : ",", i.is_object() ? i.value("provider", "") : Text(i));
        }
        rows.push_back({p.value("node_id", ""), p.value("replica", ""), Text(p["revision"]),
                        p.value("table_hash", "").substr(0, 12), p.value("state", ""),
                        isolated.empty() ? "-" : isolated, p.value("last_seen", "")});
      }
      PrintTable(rows);
    }
    return in_sync ? kOk : kOutOfSync;
  }

  int Logs(const std::vector<std::string>& args) {
    std::map<std::string, std::string> query = {{"limit", "20"}};
    const std::map<std::string, std::string> flags = {{"--limit", "limit"},
                                                      {"--provider", "providers"},
                                                      {"--model", "models"},
                                                      {"--status", "status"},
                                                      {"--type", "request_types"}};
    for (size_t i = 1; i < args.size(); i += 2) {
      auto flag = flags.find(args[i]);
      if (flag == flags.end() || i + 1 >= args.size()) return Usage(StrCat("logs: bad argument ", args[i]));
      query[flag->second] = args[i + 1];
    }
    std::string target = "/api/logs";
    char separator = '?';
    for (const auto& [name, value] : query) {
      target += StrCat(std::string_view(&separator, 1), name, "=", value);
      separator = '&';
    }
    int code = kOk;
    std::optional<json> logs = Get(target, &code);
    if (!logs) return code;
    if (json_) {
      std::cout << logs->dump(2) << "\n";
      return kOk;
    }
    std::vector<std::vector<std::string>> rows = {
        {"TIME", "PROVIDER", "MODEL", "TYPE", "STATUS", "LATENCY MS", "TOKENS", "ID"}};
    for (const json& l : (*logs)["logs"]) {
      const json usage = l.value("token_usage", json::object());
      rows.push_back({l.value("timestamp", ""), l.value("provider", ""), l.value("model", ""),
                      l.value("request_type", l.value("object", "")), l.value("status", ""),
                      Text(l.value("latency", json())), Text(usage.value("total_tokens", json())),
                      l.value("id", "")});
    }
    PrintTable(rows);
    return kOk;
  }

  AdminClient client_;
  bool json_;
};

int Main(int argc, char** argv) {
  Options options;
  options.url = Env("SWITCHYARD_CONTROL_PLANE") ? Env("SWITCHYARD_CONTROL_PLANE") : "http://127.0.0.1:8081";
  if (Env("SWITCHYARD_ADMIN_TOKEN")) options.token = Env("SWITCHYARD_ADMIN_TOKEN");
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string output;
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsageText;
      return kOk;
    } else if (arg == "--control-plane") {
      if (!value(&options.url)) return Usage("--control-plane needs a URL");
    } else if (arg.starts_with("--control-plane=")) {
      options.url = arg.substr(16);
    } else if (arg == "--token") {
      if (!value(&options.token)) return Usage("--token needs a value");
    } else if (arg == "--ca-file") {
      if (!value(&options.ca_file)) return Usage("--ca-file needs a file");
    } else if (arg == "-o" || arg == "--output") {
      if (!value(&output) || (output != "json" && output != "table")) {
        return Usage("-o takes table or json");
      }
      options.json_output = output == "json";
    } else {
      options.args.push_back(arg);
    }
  }
  if (options.args.empty()) return Usage("");
  absl::StatusOr<AdminClient> client = AdminClient::Create(options.url, options.token, options.ca_file);
  if (!client.ok()) return Usage(std::string(client.status().message()));
  return Cli(*std::move(client), options.json_output).Run(options.args);
}

}  // namespace
}  // namespace switchyard::cli

int main(int argc, char** argv) { return switchyard::cli::Main(argc, argv); }
