#include "control-plane/api/grpc/admin_service.h"

#include "common/grpc_status.h"
#include "control-plane/api/grpc/auth.h"
#include "common/governance.h"
#include "common/log.h"

namespace switchyard::cp {
namespace {

using common::ToGrpcStatus;

void Fill(ProviderResult result, v1::ProviderResponse* response) {
  *response->mutable_provider() = std::move(result.provider);
  response->set_revision(result.revision);
  response->set_created(result.created);
}

void LogGrpcWrite(std::string_view what, const v1::ProviderResponse& response,
                  const common::AdminCaller& caller) {
  common::LogInfo(what, {{"provider", response.provider().name()},
                         {"revision", std::to_string(response.revision())},
                         {"config_hash", response.provider().config_hash()},
                         {"actor", caller.actor},
                         {"api", "grpc"}});
}

}  // namespace

grpc::Status AdminService::CreateProvider(grpc::ServerContext* context,
                                          const v1::CreateProviderRequest* request,
                                          v1::ProviderResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, true, &caller); !auth.ok()) return auth;
  auto result = service_->Create(request->provider(), caller.actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  Fill(*std::move(result), response);
  LogGrpcWrite("provider created", *response, caller);
  return grpc::Status::OK;
}

grpc::Status AdminService::GetProvider(grpc::ServerContext* context,
                                       const v1::GetProviderRequest* request,
                                       v1::ProviderResponse* response) {
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false); !auth.ok()) return auth;
  auto result = service_->Get(request->name());
  if (!result.ok()) return ToGrpcStatus(result.status());
  Fill(*std::move(result), response);
  return grpc::Status::OK;
}

grpc::Status AdminService::ListProviders(grpc::ServerContext* context,
                                         const v1::ListProvidersRequest* /*request*/,
                                         v1::ListProvidersResponse* response) {
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false); !auth.ok()) return auth;
  auto providers = service_->List();
  if (!providers.ok()) return ToGrpcStatus(providers.status());
  for (ProviderResult& result : *providers) *response->add_providers() = std::move(result.provider);
  response->set_total(response->providers_size());
  return grpc::Status::OK;
}

grpc::Status AdminService::UpdateProvider(grpc::ServerContext* context,
                                          const v1::UpdateProviderRequest* request,
                                          v1::ProviderResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, true, &caller); !auth.ok()) return auth;
  auto result = service_->Update(request->name(), request->provider(),
                                 request->expected_config_hash(), caller.actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  Fill(*std::move(result), response);
  LogGrpcWrite(response->created() ? "provider created" : "provider replaced", *response, caller);
  return grpc::Status::OK;
}

grpc::Status AdminService::DeleteProvider(grpc::ServerContext* context,
                                          const v1::DeleteProviderRequest* request,
                                          v1::DeleteProviderResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, true, &caller); !auth.ok()) return auth;
  auto result = service_->Delete(request->name(), request->expected_config_hash(), caller.actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_revision(result->revision);
  common::LogInfo("provider deleted", {{"provider", request->name()},
                                       {"revision", std::to_string(result->revision)},
                                       {"actor", caller.actor},
                                       {"api", "grpc"}});
  return grpc::Status::OK;
}

namespace {

void FillObject(ObjectResult result, v1::ObjectResponse* response) {
  *response->mutable_object() = std::move(result.object);
  response->set_revision(result.revision);
  *response->mutable_usage() = std::move(result.usage);
}

void LogObject(std::string_view what, const v1::ObjectResponse& response,
               const common::AdminCaller& caller) {
  common::LogInfo(what, {{"kind", std::string(common::KindOf(response.object()))},
                         {"id", common::IdOf(response.object())},
                         {"revision", std::to_string(response.revision())},
                         {"actor", caller.actor},
                         {"api", "grpc"}});
}

}  // namespace

grpc::Status GovernanceAdminService::CreateObject(grpc::ServerContext* context,
                                                  const v1::CreateObjectRequest* request,
                                                  v1::ObjectResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, true, &caller); !auth.ok()) return auth;
  auto result = service_->Create(request->object(), caller.actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  FillObject(*std::move(result), response);
  LogObject("governance object created", *response, caller);
  return grpc::Status::OK;
}

grpc::Status GovernanceAdminService::GetObject(grpc::ServerContext* context,
                                               const v1::ObjectRef* request,
                                               v1::ObjectResponse* response) {
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false); !auth.ok()) return auth;
  auto result = service_->Get(request->kind(), request->id());
  if (!result.ok()) return ToGrpcStatus(result.status());
  FillObject(*std::move(result), response);
  return grpc::Status::OK;
}

grpc::Status GovernanceAdminService::ListObjects(grpc::ServerContext* context,
                                                 const v1::ListObjectsRequest* request,
                                                 v1::ListObjectsResponse* response) {
  if (grpc::Status auth = CheckAdmin(*context, *auth_, false); !auth.ok()) return auth;
  auto objects = service_->List(request->kind());
  if (!objects.ok()) return ToGrpcStatus(objects.status());
  for (auto& object : *objects) *response->add_objects() = std::move(object);
  response->set_total(response->objects_size());
  return grpc::Status::OK;
}

grpc::Status GovernanceAdminService::UpdateObject(grpc::ServerContext* context,
                                                  const v1::UpdateObjectRequest* request,
                                                  v1::ObjectResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, true, &caller); !auth.ok()) return auth;
  v1::GovernanceObject incoming = request->object();
  // A client cannot set what the control plane owns (as REST drops it from the body).
  if (incoming.has_virtual_key()) {
    incoming.mutable_virtual_key()->clear_value();
    incoming.mutable_virtual_key()->clear_value_sha256();
  }
  auto result = service_->Update(common::KindOf(incoming), request->id(), std::move(incoming),
                                 request->expected_config_hash(), caller.actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  FillObject(*std::move(result), response);
  LogObject("governance object replaced", *response, caller);
  return grpc::Status::OK;
}

grpc::Status GovernanceAdminService::DeleteObject(grpc::ServerContext* context,
                                                  const v1::DeleteObjectRequest* request,
                                                  v1::ObjectResponse* response) {
  common::AdminCaller caller;
  if (grpc::Status auth = CheckAdmin(*context, *auth_, true, &caller); !auth.ok()) return auth;
  auto result = service_->Delete(request->ref().kind(), request->ref().id(),
                                 request->expected_config_hash(), caller.actor);
  if (!result.ok()) return ToGrpcStatus(result.status());
  FillObject(*std::move(result), response);
  LogObject("governance object deleted", *response, caller);
  return grpc::Status::OK;
}

}  // namespace switchyard::cp
