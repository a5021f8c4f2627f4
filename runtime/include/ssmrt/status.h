// The status value of ssmrt's C++ API (pack, manifest, NVRTC, cache): a code and a message.
//
// It carries the same codes as the C API, so the C boundary passes it through unchanged and
// the compiler, which links the same library, reports the same words to its users.
#ifndef SSMRT_STATUS_H
#define SSMRT_STATUS_H

#include <string>
#include <utility>

#include "ssmrt/ssmrt.h"

namespace ssmrt {

class Status {
 public:
  Status() = default;  // OK
  Status(ssmrt_status code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool isOk() const { return code_ == SSMRT_OK; }
  explicit operator bool() const { return isOk(); }
  ssmrt_status code() const { return code_; }
  const std::string &message() const { return message_; }

  // Puts context in front of the message ("module 'a.ssmpack': " + ...), keeping the code.
  Status prefixed(const std::string &context) const {
    return isOk() ? *this : Status(code_, context + message_);
  }

 private:
  ssmrt_status code_ = SSMRT_OK;
  std::string message_;
};

inline Status invalidArgument(std::string m) { return Status(SSMRT_INVALID_ARGUMENT, std::move(m)); }
inline Status formatError(std::string m) { return Status(SSMRT_FORMAT_ERROR, std::move(m)); }
inline Status notFound(std::string m) { return Status(SSMRT_NOT_FOUND, std::move(m)); }
inline Status internalError(std::string m) { return Status(SSMRT_INTERNAL, std::move(m)); }

}  // namespace ssmrt

#endif  // SSMRT_STATUS_H
