// Little-endian integer encoding for the .ssmpack container and the cache entry header.
#ifndef SSMRT_LIB_BYTES_H
#define SSMRT_LIB_BYTES_H

#include <cstdint>
#include <string>
#include <string_view>

namespace ssmrt {

inline void putU32(std::string &out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

inline void putU64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(char((v >> (8 * i)) & 0xff));
}

// Callers check the bounds first: these read 4 or 8 bytes at pos.
inline uint32_t getU32(std::string_view in, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  return v;
}

inline uint64_t getU64(std::string_view in, size_t pos) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  return v;
}

}  // namespace ssmrt

#endif  // SSMRT_LIB_BYTES_H
