// FNV-1a 64 and 128 (see ssmrt/hash.h for why these).
#include "ssmrt/hash.h"

#include <cstdio>

namespace ssmrt {

uint64_t fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// FNV-1a 128: offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b.
Fnv128::Fnv128() : hi_(0x6c62272e07bb0142ull), lo_(0x62b821756295c58dull) {}

void Fnv128::add(std::string_view bytes) {
  using u128 = unsigned __int128;
  u128 h = (u128(hi_) << 64) | lo_;
  const u128 prime = (u128(1) << 88) | 0x13b;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= prime;
  }
  hi_ = uint64_t(h >> 64);
  lo_ = uint64_t(h);
}

void Fnv128::addField(std::string_view bytes) {
  char len[8];
  uint64_t n = bytes.size();
  for (int i = 0; i < 8; ++i) len[i] = char((n >> (8 * i)) & 0xff);
  add(std::string_view(len, 8));
  add(bytes);
}

std::string Fnv128::hex() const { return hex64(hi_) + hex64(lo_); }

std::string Fnv128::bytes() const {
  std::string out(16, '\0');
  for (int i = 0; i < 8; ++i) {
    out[i] = char((hi_ >> (56 - 8 * i)) & 0xff);
    out[8 + i] = char((lo_ >> (56 - 8 * i)) & 0xff);
  }
  return out;
}

std::string hex64(uint64_t value) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(value));
  return buf;
}

}  // namespace ssmrt
