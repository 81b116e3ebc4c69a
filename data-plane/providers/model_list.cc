#include "data-plane/providers/model_list.h"

#include <nlohmann/json.hpp>

#include "data-plane/providers/json_util.h"
#include "data-plane/providers/upstream_headers.h"
#include "data-plane/table/routing_table.h"

namespace switchyard::dp {

using json = nlohmann::ordered_json;

absl::StatusOr<ModelPage> ParseModelPage(std::string_view body, const ModelListShape& shape) {
  const json parsed = json::parse(body, nullptr, false);
  const json* models = FindMember(parsed, shape.array);
  if (models == nullptr || !models->is_array()) {
    return Invalid(std::string("the model list has no ") + shape.array + " array");
  }
  ModelPage page;
  for (const json& model : *models) {
    std::string id = StringMember(model, shape.id);
    if (id.starts_with("models/")) id.erase(0, 7);
    if (!id.empty()) page.ids.push_back(std::move(id));
  }
  const json* more = shape.has_more != nullptr ? FindMember(parsed, shape.has_more) : nullptr;
  if (shape.next != nullptr && (shape.has_more == nullptr || (more && more->is_boolean() &&
                                                              more->get<bool>()))) {
    page.next_page_token = StringMember(parsed, shape.next);
  }
  return page;
}

void ComposeModelsRequest(const AttemptTarget& target, std::string path_and_query,
                          UpstreamRequest* out) {
  out->method = "GET";
  out->target = std::move(path_and_query);
  out->body.clear();
  ComposeUpstreamHeaders(InferenceRequest{}, target, out);
}

}  // namespace switchyard::dp
