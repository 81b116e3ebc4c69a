// What the adapters share for Bifrost's list_models: the GET for one page of a provider's own
// model list (the provider's static headers and the key's credentials, no body) and the parse
// of a page, each family naming where its ids and its next-page token are.
//
//   ModelListShape anthropic{"data", "id", "last_id", "has_more"};
//   absl::StatusOr<ModelPage> page = ParseModelPage(body, anthropic);
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_MODEL_LIST_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_MODEL_LIST_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

struct ModelListShape {
  const char* array;     // the member holding the models
  const char* id;        // each model's id member ("models/" in front is dropped)
  const char* next;      // the next page's token (null: one page only)
  const char* has_more;  // a boolean that must be true for `next` to count (null: none)
};

// InvalidArgument when the body is not such a list.
absl::StatusOr<ModelPage> ParseModelPage(std::string_view body, const ModelListShape& shape);

// A GET of `path_and_query` at the entry's endpoint, with its static headers and the key's
// auth header lines.
void ComposeModelsRequest(const AttemptTarget& target, std::string path_and_query,
                          UpstreamRequest* out);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_MODEL_LIST_H_
