// The compiler's storage dtypes as the runtime's (manifest, tensor descriptors).
#ifndef SSMC_RUNTIMETYPES_H
#define SSMC_RUNTIMETYPES_H

#include "ssmc/Sema.h"
#include "ssmrt/ssmrt.h"

namespace ssmc {

inline ssmrt_dtype runtimeDtype(sema::DType t) {
  switch (t) {
  case sema::DType::BF16:
    return SSMRT_DTYPE_BF16;
  case sema::DType::F16:
    return SSMRT_DTYPE_F16;
  case sema::DType::C64:
    return SSMRT_DTYPE_C64;
  default:
    return SSMRT_DTYPE_F32;
  }
}

} // namespace ssmc

#endif
