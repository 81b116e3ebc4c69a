// UploadSpool: a client's upload written to an unlinked temporary file as it arrives, so
// that an upload whose fields come after its file (OpenAI's audio and image uploads name
// their model last) is read whole without being held in memory; and SpooledBody, the body an
// adapter composed from it (BodyPieces), read back a piece at a time as it is sent, as often
// as it is sent (retries and fallbacks).
//
// File I/O is synchronous (write and pread on the worker's thread): the spool lives in the
// page cache for as long as the request does.
#ifndef SWITCHYARD_DATA_PLANE_UPSTREAM_UPLOAD_SPOOL_H_
#define SWITCHYARD_DATA_PLANE_UPSTREAM_UPLOAD_SPOOL_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "data-plane/upstream/upstream_client.h"

namespace switchyard::dp {

class UploadSpool {
 public:
  // A new empty spool in `directory` (a file no other process can open; removed on close).
  static absl::StatusOr<std::unique_ptr<UploadSpool>> Create(const std::string& directory);
  ~UploadSpool();
  UploadSpool(const UploadSpool&) = delete;
  UploadSpool& operator=(const UploadSpool&) = delete;

  absl::Status Append(std::string_view data);
  // Reads [offset, offset + length) into `out` (length bytes).
  absl::Status Read(uint64_t offset, size_t length, char* out) const;
  uint64_t size() const { return size_; }

 private:
  explicit UploadSpool(int fd) : fd_(fd) {}
  int fd_;
  uint64_t size_ = 0;
};

class SpooledBody : public BodySource {
 public:
  SpooledBody(const UploadSpool& spool, std::vector<BodyPiece> pieces);

  boost::asio::awaitable<absl::StatusOr<std::string_view>> Next() override;
  std::optional<uint64_t> length() const override { return length_; }
  bool started() const override { return false; }  // it can always be sent again
  void Rewind() override {
    piece_ = 0;
    within_ = 0;
  }

 private:
  const UploadSpool& spool_;
  const std::vector<BodyPiece> pieces_;
  uint64_t length_ = 0;
  size_t piece_ = 0;    // the piece being sent
  uint64_t within_ = 0;  // bytes of it already sent
  std::vector<char> buffer_;
};

}  // namespace switchyard::dp

#endif  // SWITCHYARD_DATA_PLANE_UPSTREAM_UPLOAD_SPOOL_H_
