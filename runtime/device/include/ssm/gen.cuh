// ssm/gen.cuh — names the compiler's generated code calls that the skeleton headers do not
// define: the complex helpers EmitC prints (dialect/README.md lists them) and c64 loads/stores.
#ifndef SSM_GEN_CUH
#define SSM_GEN_CUH

#include "ssm/core.cuh"

namespace ssm {

// arith.maximumf / minimumf: a NaN in either operand gives NaN (fmaxf / fminf drop it).
SSM_DEV float fmax_nan(float a, float b) { return (a != a || b != b) ? a + b : fmaxf(a, b); }
SSM_DEV float fmin_nan(float a, float b) { return (a != a || b != b) ? a + b : fminf(a, b); }

SSM_DEV cfloat cadd(cfloat a, cfloat b) { return a + b; }
SSM_DEV cfloat csub(cfloat a, cfloat b) { return a - b; }
SSM_DEV cfloat cmul(cfloat a, cfloat b) { return a * b; }
SSM_DEV cfloat cdiv(cfloat a, cfloat b) {
  // Smith's algorithm: no overflow from squaring large denominators.
  if (fabsf(b.re) >= fabsf(b.im)) {
    float r = b.im / b.re, d = b.re + b.im * r;
    return cfloat{(a.re + a.im * r) / d, (a.im - a.re * r) / d};
  }
  float r = b.re / b.im, d = b.im + b.re * r;
  return cfloat{(a.re * r + a.im) / d, (a.im * r - a.re) / d};
}
SSM_DEV cfloat cneg(cfloat a) { return cfloat{-a.re, -a.im}; }
SSM_DEV cfloat cconj(cfloat a) { return cfloat{a.re, -a.im}; }
SSM_DEV float creal(cfloat a) { return a.re; }
SSM_DEV float cimag(cfloat a) { return a.im; }
SSM_DEV float cabs(cfloat a) { return hypotf(a.re, a.im); }
// e^z - 1 without cancellation for small |z|: expm1(x) cos y - 2 sin^2(y/2) + i e^x sin y.
SSM_DEV cfloat cexpm1(cfloat z) {
  float s = sinf(0.5f * z.im);
  return cfloat{expm1f(z.re) * cosf(z.im) - 2.0f * s * s, expf(z.re) * sinf(z.im)};
}
SSM_DEV cfloat clog(cfloat a) { return cfloat{logf(hypotf(a.re, a.im)), atan2f(a.im, a.re)}; }

// c64 tensors hold interleaved (re, im) f32 pairs; `i` counts complex elements.
SSM_DEV cfloat load_c64(const void* p, long long i) {
  const float* f = static_cast<const float*>(p) + 2 * i;
  return cfloat{__ldg(f), __ldg(f + 1)};
}
SSM_DEV void store_c64(void* p, long long i, cfloat v) {
  float* f = static_cast<float*>(p) + 2 * i;
  f[0] = v.re;
  f[1] = v.im;
}

}  // namespace ssm

#endif
