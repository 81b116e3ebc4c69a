#include "data-plane/config/last_good_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/governance.h"
#include "common/provider_json.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

absl::Status WriteAll(int fd, const std::string& data) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(StrCat("write failed: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status LastGoodCache::Save(const RoutingTable& table) {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::InternalError(StrCat("cannot create ", dir_, ": ", std::strerror(errno)));
  }
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& [name, entry] : table.providers()) {
    providers.push_back(
        nlohmann::json::parse(common::ProviderToJson(entry->config, common::JsonView::kResponse)));
  }
  nlohmann::json governance = nlohmann::json::array();
  if (table.governance() != nullptr) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    for (const auto& [key, object] : table.governance()->objects()) {
      std::string json;
      (void)google::protobuf::util::MessageToJsonString(object, &json, options);
      governance.push_back(std::move(json));
    }
  }
  const std::string text = box_.Seal(nlohmann::json{{"revision", table.revision()},
                                                    {"table_hash", table.table_hash()},
                                                    {"providers", providers},
                                                    {"governance", governance}}
                                         .dump());
  const std::string temporary = path() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::InternalError(StrCat("cannot write ", temporary, ": ", std::strerror(errno)));
  }
  ::fchmod(fd, 0600);  // an older file of ours may have been created with other bits
  absl::Status status = WriteAll(fd, text);
  if (status.ok() && ::fsync(fd) != 0) status = absl::InternalError("fsync failed");
  ::close(fd);
  if (status.ok() && ::rename(temporary.c_str(), path().c_str()) != 0) {
    status = absl::InternalError(StrCat("cannot replace ", path(), ": ", std::strerror(errno)));
  }
  if (!status.ok()) {
    ::unlink(temporary.c_str());
    return status;
  }
  const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);  // make the rename itself durable
    ::close(dir_fd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const RoutingTable>> LastGoodCache::Load(const KeyEnvironment& env,
                                                                         UsageCounters* counters) {
  std::ifstream in(path(), std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("no cache at ", path()));
  std::stringstream sealed;
  sealed << in.rdbuf();
  absl::StatusOr<std::string> text = box_.Open(sealed.str());
  if (!text.ok()) {
    return absl::DataLossError(StrCat(path(), " does not open: ", text.status().message()));
  }
  nlohmann::json cache = nlohmann::json::parse(*text, nullptr, false);
  if (!cache.is_object() || !cache["revision"].is_number_integer() ||
      !cache["table_hash"].is_string() || !cache["providers"].is_array()) {
    return absl::DataLossError(StrCat(path(), " is not a last-good cache"));
  }
  std::vector<v1::ProviderConfig> configs;
  for (const nlohmann::json& entry : cache["providers"]) {
    absl::StatusOr<v1::ProviderConfig> config = common::ProviderFromJson(entry.dump());
    if (!config.ok() || !entry.contains("config_hash") || !entry["config_hash"].is_string()) {
      return absl::DataLossError(StrCat(path(), " holds an unreadable provider"));
    }
    config->set_config_hash(entry["config_hash"].get<std::string>());
    configs.push_back(*std::move(config));
  }
  GovernanceTable::Objects objects;
  if (cache.contains("governance") && cache["governance"].is_array()) {
    for (const nlohmann::json& entry : cache["governance"]) {
      v1::GovernanceObject object;
      if (!entry.is_string() ||
          !google::protobuf::util::JsonStringToMessage(entry.get<std::string>(), &object).ok()) {
        return absl::DataLossError(StrCat(path(), " holds an unreadable governance object"));
      }
      objects[{std::string(common::KindOf(object)), common::IdOf(object)}] = std::move(object);
    }
  }
  std::shared_ptr<const RoutingTable> table = RoutingTable::Build(
      cache["revision"].get<int64_t>(), configs, env,
      objects.empty() ? nullptr : GovernanceTable::Build(std::move(objects), counters));
  if (table->table_hash() != cache["table_hash"].get<std::string>()) {
    return absl::DataLossError(StrCat(path(), " does not match its table hash"));
  }
  return table;
}

}  // namespace switchyard::dp
