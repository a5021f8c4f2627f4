// Whole-file reads and atomic whole-file writes (temporary file in the same directory, then
// rename), shared by the pack writer and the disk cache.
#ifndef SSMRT_LIB_FILE_IO_H
#define SSMRT_LIB_FILE_IO_H

#include <string>
#include <string_view>

#include "ssmrt/status.h"

namespace ssmrt {

// Writes bytes to path so that no reader ever sees a partial file: the data goes to a
// uniquely named temporary file beside path (unique per process and per call), is flushed,
// and is renamed over path. The temporary file is removed on every failure path.
Status writeFileAtomic(const std::string &path, std::string_view bytes);

// mkdir -p; OK when the directory exists afterwards.
Status makeDirectories(const std::string &dir);

}  // namespace ssmrt

#endif  // SSMRT_LIB_FILE_IO_H
