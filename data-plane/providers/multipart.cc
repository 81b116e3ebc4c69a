#include "data-plane/providers/multipart.h"

#include "absl/strings/ascii.h"
#include "data-plane/providers/inference_request.h"
#include "data-plane/providers/provider_adapter.h"
#include "absl/strings/match.h"
#include "common/strings.h"

namespace switchyard::dp {
namespace {

using common::StrCat;

// The value of parameter `name` in a header value ("form-data; name=\"file\"; filename=\"a\"").
std::string Parameter(std::string_view header, std::string_view name) {
  size_t at = 0;
  while ((at = header.find(name, at)) != std::string_view::npos) {
    const bool starts = at == 0 || header[at - 1] == ';' || header[at - 1] == ' ';
    const size_t eq = at + name.size();
    if (starts && eq < header.size() && header[eq] == '=') {
      std::string_view value = header.substr(eq + 1);
      if (value.starts_with('"')) {
        const size_t close = value.find('"', 1);
        return std::string(value.substr(1, close == std::string_view::npos ? value.size() - 1
                                                                           : close - 1));
      }
      return std::string(value.substr(0, value.find(';')));
    }
    at = eq;
  }
  return "";
}

// Reads a part's header (its lines, without the blank line) into `part`: name and filename.
void ReadPartHeader(std::string_view headers, FormPart* part) {
  while (!headers.empty()) {
    const size_t eol = headers.find("\r\n");
    const std::string_view line = headers.substr(0, eol);
    if (absl::StartsWithIgnoreCase(common::ToAbsl(line), "content-disposition:")) {
      part->name = Parameter(line, "name");
      part->filename = Parameter(line, "filename");
    }
    if (eol == std::string_view::npos) break;
    headers.remove_prefix(eol + 2);
  }
}

const absl::Status kNoName = absl::InvalidArgumentError("a multipart part has no form-data name");

}  // namespace

std::string_view MultipartBoundary(std::string_view content_type) {
  const size_t at = content_type.find("boundary=");
  if (at == std::string_view::npos) return "";
  std::string_view value = content_type.substr(at + 9);
  value = value.substr(0, value.find(';'));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  return value;
}

absl::StatusOr<std::vector<FormPart>> ParseMultipart(std::string_view body,
                                                     std::string_view boundary) {
  if (boundary.empty() || boundary.size() > 70) {
    return absl::InvalidArgumentError("the multipart Content-Type has no valid boundary");
  }
  const std::string delimiter = StrCat("--", boundary);
  size_t at = body.starts_with(delimiter) ? 0 : body.find(StrCat("\r\n", delimiter));
  if (at == std::string_view::npos) {
    return absl::InvalidArgumentError("the multipart body has no boundary line");
  }
  if (at != 0) at += 2;
  std::vector<FormPart> parts;
  for (;;) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") return parts;  // the closing boundary
    if (body.substr(at, 2) != "\r\n") {
      return absl::InvalidArgumentError("a multipart boundary line is malformed");
    }
    at += 2;
    const size_t header_end = body.find("\r\n\r\n", at);
    if (header_end == std::string_view::npos || header_end - at > 16 * 1024) {
      return absl::InvalidArgumentError("a multipart part's header never ends");
    }
    FormPart part;
    part.part_offset = at;
    ReadPartHeader(body.substr(at, header_end - at), &part);
    if (part.name.empty()) return kNoName;
    part.value_offset = header_end + 4;
    const size_t next = body.find(StrCat("\r\n", delimiter), part.value_offset);
    if (next == std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("the multipart body ends inside the part \"", part.name,
                 "\" (no closing boundary)"));
    }
    part.value_length = next - part.value_offset;
    if (part.filename.empty() && part.value_length <= kMaxHeldValue) {
      part.value = body.substr(part.value_offset, part.value_length);
    }
    parts.push_back(std::move(part));
    at = next + 2;
  }
}

std::string_view FormValue(const std::vector<FormPart>& parts, std::string_view name) {
  for (const FormPart& part : parts) {
    if (part.name == name) return part.value;
  }
  return "";
}

const FormPart* UploadForm::Find(std::string_view name) const {
  for (const FormPart& part : parts) {
    if (part.name == name) return &part;
  }
  return nullptr;
}

BodyPiece UploadRange(uint64_t offset, uint64_t length) {
  BodyPiece piece;
  piece.from_upload = true;
  piece.offset = offset;
  piece.length = length;
  return piece;
}

std::vector<BodyPiece> WithFieldReplaced(const UploadForm& form, std::string_view name,
                                         std::string_view value) {
  const FormPart* part = form.Find(name);
  if (part == nullptr) return {UploadRange(0, form.size)};
  const uint64_t end = part->value_offset + part->value_length;
  return {UploadRange(0, part->value_offset), BodyPiece{std::string(value)},
          UploadRange(end, form.size - end)};
}

std::string Concatenate(const std::vector<BodyPiece>& pieces, std::string_view upload) {
  size_t size = 0;
  for (const BodyPiece& piece : pieces) size += piece.size();
  std::string out;
  out.reserve(size);
  for (const BodyPiece& piece : pieces) {
    if (piece.from_upload) {
      out.append(upload.substr(piece.offset, piece.length));
    } else {
      out.append(piece.text);
    }
  }
  return out;
}

MultipartChecker::MultipartChecker(std::string_view boundary, bool index)
    : delimiter_(StrCat("\r\n--", boundary)), carry_("\r\n"), index_(index) {}

absl::Status MultipartChecker::Feed(std::string_view piece) {
  if (state_ == State::kDone) return absl::OkStatus();  // the epilogue
  // (Into a buffer kept across pieces: no allocation per piece once it has grown.)
  text_.assign(carry_);
  text_.append(piece);
  const std::string& text = text_;
  carry_.clear();
  size_t at = 0;
  // Where text[0] is in the whole body (the carry came before; the first one, "\r\n", is
  // not part of the body, so the body's first byte is text[2]).
  fed_ += piece.size();
  const int64_t base = static_cast<int64_t>(fed_) - static_cast<int64_t>(text.size());
  auto body_offset = [base](size_t i) { return static_cast<uint64_t>(base + static_cast<int64_t>(i)); };
  // Indexing a text field's value as it passes (up to kMaxHeldValue).
  auto hold = [&](size_t from, size_t to) {
    if (!index_ || parts_.empty() || !parts_.back().filename.empty()) return;
    FormPart& part = parts_.back();
    if (part.value_length == 0 && part.value.size() + (to - from) <= kMaxHeldValue) {
      part.value.append(text, from, to - from);
    } else {
      part.value_length = 1;  // (marks it too long to hold; its length is set at its end)
      part.value.clear();
    }
  };
  for (;;) {
    switch (state_) {
      case State::kPreamble:
      case State::kBody: {
        const size_t found = text.find(delimiter_, at);
        if (found == std::string::npos) {
          const size_t keep = std::min(text.size() - at, delimiter_.size() - 1);
          if (state_ == State::kBody) hold(at, text.size() - keep);
          if (state_ == State::kPreamble) {
            preamble_bytes_ += text.size() - at - keep;
            if (preamble_bytes_ > 16 * 1024) {
              return absl::InvalidArgumentError("the multipart body does not start with its boundary");
            }
          }
          carry_.assign(text, text.size() - keep, keep);
          return absl::OkStatus();
        }
        if (state_ == State::kBody && index_) {
          hold(at, found);
          FormPart& part = parts_.back();
          part.value_length = body_offset(found) - part.value_offset;
        }
        at = found + delimiter_.size();
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter:
        if (text.size() - at < 2) {
          carry_.assign(text, at, std::string::npos);
          return absl::OkStatus();
        }
        if (text.compare(at, 2, "--") == 0) {
          state_ = State::kDone;
          return absl::OkStatus();
        }
        if (text.compare(at, 2, "\r\n") != 0) {
          return absl::InvalidArgumentError("a multipart boundary line is malformed");
        }
        at += 2;
        header_bytes_ = 0;
        if (index_) {
          if (parts_.size() == kMaxIndexedParts) {
            return absl::InvalidArgumentError(
                StrCat("the upload has more than ", kMaxIndexedParts, " parts"));
          }
          parts_.emplace_back().part_offset = body_offset(at);
          header_.clear();
        }
        state_ = State::kHeader;
        break;
      case State::kHeader: {
        const size_t found = text.find("\r\n\r\n", at);
        if (found == std::string::npos) {
          const size_t keep = std::min<size_t>(text.size() - at, 3);
          header_bytes_ += text.size() - at - keep;
          if (header_bytes_ > 16 * 1024) {
            return absl::InvalidArgumentError("a multipart part's header never ends");
          }
          if (index_) header_.append(text, at, text.size() - at - keep);
          carry_.assign(text, text.size() - keep, keep);
          return absl::OkStatus();
        }
        if (header_bytes_ + (found - at) > 16 * 1024) {
          return absl::InvalidArgumentError("a multipart part's header never ends");
        }
        if (index_) {
          header_.append(text, at, found - at);
          FormPart& part = parts_.back();
          ReadPartHeader(header_, &part);
          if (part.name.empty()) return kNoName;
          part.value_offset = body_offset(found + 4);
        }
        at = found + 4;
        state_ = State::kBody;
        break;
      }
      case State::kDone:
        return absl::OkStatus();
    }
  }
}

absl::Status MultipartChecker::Finish() const {
  switch (state_) {
    case State::kDone: return absl::OkStatus();
    case State::kHeader: return absl::InvalidArgumentError("a multipart part's header never ends");
    case State::kPreamble:
      return absl::InvalidArgumentError("the multipart body has no boundary line");
    default:
      return absl::InvalidArgumentError("the multipart body has no closing boundary");
  }
}

void ResourceBody(const InferenceRequest& request, const AttemptTarget& target,
                  UpstreamRequest* out) {
  out->body_source = request.body_source;  // a file upload, streamed as it comes
  if (request.form != nullptr && !target.model.empty()) {
    out->pieces = WithFieldReplaced(*request.form, "model", target.model);
  } else if (request.form != nullptr) {
    out->pieces = {UploadRange(0, request.form->size)};
  } else {
    out->body = request.body.text;
  }
}

}  // namespace switchyard::dp
