// Request log ingestion (`make bench-logs`): how many records per second a control plane
// stores when data planes ship them as fast as they can. Two ShipLogs streams (two "data
// planes") send `records` records in batches of 500 (the data plane's batch), each record
// shaped like a real one (no raw bodies); the time runs from the first write to the moment
// PostgreSQL holds them all (polled with count(*)).
//
//   log_ingest_bench <control-plane grpc host:port> <dsn> <records> <data-plane token>
// Prints "<records> <seconds> <records per second>".
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <iostream>
#include <pqxx/pqxx>
#include <thread>

#include "switchyard/v1/distribution.grpc.pb.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: log_ingest_bench <grpc> <dsn> <records> <token>\n";
    return 2;
  }
  const std::string address = argv[1];
  const std::string dsn = argv[2];
  const int64_t total = std::stoll(argv[3]);
  const std::string token = argv[4];
  constexpr int kBatch = 500;
  constexpr int kStreams = 2;
  auto count = [&] {
    pqxx::connection connection(dsn);
    pqxx::nontransaction tx(connection);
    return tx.exec("SELECT count(*) FROM request_logs")[0][0].as<int64_t>();
  };
  const int64_t before = count();
  const auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> streams;
  for (int s = 0; s < kStreams; ++s) {
    streams.emplace_back([&, s] {
      auto stub = switchyard::v1::ConfigDistribution::NewStub(channel);
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + token);
      switchyard::v1::ShipLogsSummary summary;
      auto writer = stub->ShipLogs(&context, &summary);
      const int64_t mine = total / kStreams;
      const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      for (int64_t sent = 0; sent < mine;) {
        switchyard::v1::LogBatch batch;
        for (int i = 0; i < kBatch && sent < mine; ++i, ++sent) {
          switchyard::v1::RequestLog record;
          switchyard::v1::RequestLog* r = &record;
          r->set_id("bench-" + std::to_string(s) + "-" + std::to_string(sent));
          r->set_timestamp_unix_us(now_us + sent);
          r->set_node_id("bench-" + std::to_string(s));
          r->set_route("/v1/chat/completions");
          r->set_surface("openai");
          r->set_request_type("chat_completion");
          r->set_requested_provider("openai");
          r->set_requested_model("gpt-4o-mini");
          r->set_provider("openai");
          r->set_model("gpt-4o-mini");
          r->set_selected_key_name("prod");
          r->set_virtual_key_id("vk-0123456789");
          r->set_virtual_key_name("team-app");
          r->set_status("success");
          r->set_status_code(200);
          r->set_attempts(1);
          r->set_latency(312.5);
          r->set_time_to_first_byte(120.25);
          r->mutable_token_usage()->set_prompt_tokens(120);
          r->mutable_token_usage()->set_completion_tokens(48);
          r->mutable_token_usage()->set_total_tokens(168);
          r->set_cost(0.000123);
          r->set_client_address("10.0.0.12:51234");
          r->set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
          r->set_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
          batch.add_records(record.SerializeAsString());
        }
        if (!writer->Write(batch)) {
          std::cerr << "stream failed\n";
          std::exit(1);
        }
      }
      writer->WritesDone();
      const grpc::Status status = writer->Finish();
      if (!status.ok()) {
        std::cerr << "stream ended: " << status.error_message() << "\n";
        std::exit(1);
      }
    });
  }
  for (std::thread& t : streams) t.join();
  const int64_t expected = before + (total / kStreams) * kStreams;
  while (count() < expected) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << expected - before << " " << seconds << " "
            << static_cast<int64_t>((expected - before) / seconds) << "\n";
  return 0;
}
