// Reading enum values that come from callers. A C caller may store any int in an
// ssmrt_dtype / ssmrt_entry / ssmrt_status; in C++, loading a value outside the enum's range
// as the enum type is undefined (UBSan: "not a valid value for type"). These read the bits
// as an int, so a hostile value is checked instead of being undefined behaviour.
#ifndef SSMRT_LIB_ENUMS_H
#define SSMRT_LIB_ENUMS_H

#include <cstdint>
#include <cstring>

namespace ssmrt {

template <class Enum>
int32_t rawEnum(const Enum &value) {
  static_assert(sizeof(Enum) == sizeof(int32_t), "C enums are int-sized");
  int32_t raw;
  std::memcpy(&raw, &value, sizeof raw);
  return raw;
}

}  // namespace ssmrt

#endif  // SSMRT_LIB_ENUMS_H
