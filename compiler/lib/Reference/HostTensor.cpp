// HostTensor: the float64 tensors the reference evaluator reads and writes.
#include "ssmc/Reference.h"

namespace ssmc::ref {

HostTensor::HostTensor(std::vector<int64_t> s, bool complex) : shape(std::move(s)) {
  size_t n = static_cast<size_t>(numel());
  re.assign(n, 0.0);
  if (complex)
    im.assign(n, 0.0);
}

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

} // namespace ssmc::ref
