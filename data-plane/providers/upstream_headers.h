// The request headers every family sends the same way: the entry's compiled lines
// (content-type, network_config.extra_headers), the chosen key's auth headers, Accept for
// streams, and the client's x-bf-eh-<name> headers (Bifrost's per-request extra headers)
// minus the security denylist and the auth headers (a request may not swap the configured
// key). Adapters add their own family headers on top.
#ifndef SWITCHYARD_DATA_PLANE_PROVIDERS_UPSTREAM_HEADERS_H_
#define SWITCHYARD_DATA_PLANE_PROVIDERS_UPSTREAM_HEADERS_H_

#include "data-plane/providers/provider_adapter.h"

namespace switchyard::dp {

// Fills out->header_lines (the common case: every line compiled with the table) or, when the
// client sent x-bf-eh-* headers, out->headers.
void ComposeUpstreamHeaders(const InferenceRequest& request, const AttemptTarget& target,
                            UpstreamRequest* out);

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_PROVIDERS_UPSTREAM_HEADERS_H_
