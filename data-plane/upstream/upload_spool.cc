#include "data-plane/upstream/upload_spool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrCat;
constexpr size_t kPieceBytes = 64 * 1024;

absl::Status IoError(std::string_view what) {
  return absl::InternalError(StrCat("upload spool: ", what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<UploadSpool>> UploadSpool::Create(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    // A file system without O_TMPFILE: a named file, removed at once.
    std::string name = StrCat(directory, "/switchyard-upload-XXXXXX");
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return IoError(StrCat("cannot create a file in ", directory));
  return std::unique_ptr<UploadSpool>(new UploadSpool(fd));
}

UploadSpool::~UploadSpool() { ::close(fd_); }

absl::Status UploadSpool::Append(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(size_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("write");
    size_ += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status UploadSpool::Read(uint64_t offset, size_t length, char* out) const {
  if (offset + length > size_) return absl::OutOfRangeError("upload spool: read past its end");
  while (length > 0) {
    const ssize_t n = ::pread(fd_, out, length, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("read");
    out += n;
    offset += static_cast<uint64_t>(n);
    length -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

SpooledBody::SpooledBody(const UploadSpool& spool, std::vector<BodyPiece> pieces)
    : spool_(spool), pieces_(std::move(pieces)) {
  for (const BodyPiece& piece : pieces_) length_ += piece.size();
}

boost::asio::awaitable<absl::StatusOr<std::string_view>> SpooledBody::Next() {
  while (piece_ < pieces_.size() && within_ >= pieces_[piece_].size()) {
    ++piece_;
    within_ = 0;
  }
  if (piece_ == pieces_.size()) co_return std::string_view();
  const BodyPiece& piece = pieces_[piece_];
  const uint64_t left = piece.size() - within_;
  if (!piece.from_upload) {
    within_ = piece.size();
    co_return std::string_view(piece.text).substr(piece.text.size() - left);
  }
  const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kPieceBytes));
  buffer_.resize(kPieceBytes);
  if (absl::Status read = spool_.Read(piece.offset + within_, n, buffer_.data()); !read.ok()) {
    co_return read;
  }
  within_ += n;
  co_return std::string_view(buffer_.data(), n);
}

}  // namespace switchyard::dp
