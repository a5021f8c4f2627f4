// FNV-1a hashes: 64-bit for the .ssmpack and cache-entry checksums, 128-bit for cache keys.
//
// FNV-1a is what runtime/FORMAT.md names; it is simple enough that a pack can be checked by
// a ten-line script in any language. It detects damage, not tampering. Cache keys use the
// 128-bit variant so that a key collision (which would load the wrong binary) is out of reach.
#ifndef SSMRT_HASH_H
#define SSMRT_HASH_H

#include <cstdint>
#include <string>
#include <string_view>

#include "ssmrt/ssmrt.h"

namespace ssmrt {

constexpr uint64_t kFnv64Offset = 0xcbf29ce484222325ull;

// Hash of bytes, continuing from `seed` (pass the previous result to hash in pieces).
SSMRT_API uint64_t fnv1a64(std::string_view bytes, uint64_t seed = kFnv64Offset);

// Incremental FNV-1a 128. Each piece added with addField is preceded by its length, so
// ("ab", "c") and ("a", "bc") hash differently.
class SSMRT_API Fnv128 {
 public:
  Fnv128();
  void add(std::string_view bytes);
  void addField(std::string_view bytes);
  std::string hex() const;  // 32 lowercase hex digits
  std::string bytes() const;  // 16 bytes, most significant first

 private:
  uint64_t hi_, lo_;
};

// "%016x" of a 64-bit value.
SSMRT_API std::string hex64(uint64_t value);

}  // namespace ssmrt

#endif  // SSMRT_HASH_H
