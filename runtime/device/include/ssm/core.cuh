// ssm/core.cuh — storage types, loads/stores, f32/complex math and warp helpers for the skeletons.
//
// Compiled by NVRTC with no CUDA toolkit header on the include path: f16/bf16 conversions are
// inline PTX, bit casts are `mov.b32`, and the only names taken from NVRTC's built-ins are the
// math functions (expf, log1pf, sincosf), the shuffles and the thread/block indices.
#ifndef SSM_CORE_CUH
#define SSM_CORE_CUH

#include "ssmrt/abi.h"

#define SSM_DEV static __device__ __forceinline__

namespace ssm {

// ---------------------------------------------------------------------------------------------
// Compile-time helpers (no <type_traits> under NVRTC).

template <class...> struct make_void { typedef void type; };
template <bool B, class T = void> struct enable_if {};
template <class T> struct enable_if<true, T> { typedef T type; };
template <class A, class B> struct is_same { static constexpr bool value = false; };
template <class A> struct is_same<A, A> { static constexpr bool value = true; };

__host__ __device__ constexpr long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }
__host__ __device__ constexpr bool is_pow2(long long x) { return x > 0 && (x & (x - 1)) == 0; }

// ---------------------------------------------------------------------------------------------
// Storage types. Tensors hold f32, f16 or bf16; every computation is f32. `f16` and `bf16` are
// tags with the 16-bit pattern inside, never used for arithmetic.

struct f16 { unsigned short bits; };
struct bf16 { unsigned short bits; };

__device__ __forceinline__ float bits_to_float(unsigned u) {
  float f;
  asm("mov.b32 %0, %1;" : "=f"(f) : "r"(u));
  return f;
}
__device__ __forceinline__ unsigned float_to_bits(float f) {
  unsigned u;
  asm("mov.b32 %0, %1;" : "=r"(u) : "f"(f));
  return u;
}

__device__ __forceinline__ float bf16_to_float(unsigned short h) {
  return bits_to_float(static_cast<unsigned>(h) << 16);
}
__device__ __forceinline__ unsigned short float_to_bf16(float f) {
  unsigned short h;  // round to nearest even; NaN stays NaN
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
}
__device__ __forceinline__ float f16_to_float(unsigned short h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
}
__device__ __forceinline__ unsigned short float_to_f16(float f) {
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
}

// Element loads from tensors the kernel only reads (`in` and `param` slots): through the
// read-only path. `i` is an element index (strides are in elements, see abi.h).
template <class T> struct Storage;
template <> struct Storage<float> {
  SSM_DEV float load(const void* p, long long i) { return __ldg(static_cast<const float*>(p) + i); }
  SSM_DEV void store(void* p, long long i, float v) { static_cast<float*>(p)[i] = v; }
};
template <> struct Storage<bf16> {
  SSM_DEV float load(const void* p, long long i) {
    return bf16_to_float(__ldg(static_cast<const unsigned short*>(p) + i));
  }
  SSM_DEV void store(void* p, long long i, float v) {
    static_cast<unsigned short*>(p)[i] = float_to_bf16(v);
  }
};
template <> struct Storage<f16> {
  SSM_DEV float load(const void* p, long long i) {
    return f16_to_float(__ldg(static_cast<const unsigned short*>(p) + i));
  }
  SSM_DEV void store(void* p, long long i, float v) {
    static_cast<unsigned short*>(p)[i] = float_to_f16(v);
  }
};

template <class T> __device__ __forceinline__ float load(const void* p, long long i) {
  return Storage<T>::load(p, i);
}

// Raw loads: the storage bits, converted later with to_f32. The skeletons prefetch a tile ahead;
// a conversion written next to its load would make the warp wait for the load right there
// (ptxas keeps it in the load's basic block), so the contract's *_load functions only load and
// the *_step functions convert.
template <class T> struct RawOf { typedef T type; };
template <class T> using raw_t = typename RawOf<T>::type;
template <class T> __device__ __forceinline__ raw_t<T> load_raw(const void* p, long long i);
template <> __device__ __forceinline__ float load_raw<float>(const void* p, long long i) {
  return __ldg(static_cast<const float*>(p) + i);
}
template <> __device__ __forceinline__ bf16 load_raw<bf16>(const void* p, long long i) {
  return bf16{__ldg(static_cast<const unsigned short*>(p) + i)};
}
template <> __device__ __forceinline__ f16 load_raw<f16>(const void* p, long long i) {
  return f16{__ldg(static_cast<const unsigned short*>(p) + i)};
}
// Asynchronous 16-byte copies global -> shared (sm_80+), L2 only; `bytes` < 16 fills the rest
// with zeros (0: all zeros, nothing read). The caller commits and waits (cp_async_wait_all).
SSM_DEV void cp_async16(void* smem, const void* gmem, int bytes) {
  unsigned long long s;
  asm("cvta.to.shared.u64 %0, %1;" : "=l"(s) : "l"(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(static_cast<unsigned>(s)), "l"(gmem),
               "r"(bytes)
               : "memory");
}
// The same copy to a 32-bit shared-memory address (cvta.to.shared once, outside the loops) and
// always 16 bytes.
SSM_DEV void cp_async16_s(unsigned smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"(smem), "l"(gmem) : "memory");
}
SSM_DEV void cp_async_wait_all() { asm volatile("cp.async.wait_all;" ::: "memory"); }
SSM_DEV bool aligned16(const void* p) { return (reinterpret_cast<unsigned long long>(p) & 15u) == 0; }
SSM_DEV float to_f32(float v) { return v; }
SSM_DEV float to_f32(bf16 v) { return bf16_to_float(v.bits); }
SSM_DEV float to_f32(f16 v) { return f16_to_float(v.bits); }
template <class T> __device__ __forceinline__ void store(void* p, long long i, float v) {
  Storage<T>::store(p, i, v);
}

// Element offsets from the strides of a tensor argument. `I` is the index type the layer was
// compiled for: `long long` in general, `int` when the runtime guarantees every offset of every
// tensor of the call is below 2^31 (CONTRACT.md, "index32"), which saves the 64-bit multiplies.
template <class I>
SSM_DEV I offset(const ssm_tensor_arg& x, int i0) {
  return I(i0) * I(x.strides[0]);
}
template <class I>
SSM_DEV I offset(const ssm_tensor_arg& x, int i0, int i1) {
  return I(i0) * I(x.strides[0]) + I(i1) * I(x.strides[1]);
}
template <class I>
SSM_DEV I offset(const ssm_tensor_arg& x, int i0, int i1, int i2) {
  return I(i0) * I(x.strides[0]) + I(i1) * I(x.strides[1]) + I(i2) * I(x.strides[2]);
}
template <class I>
SSM_DEV I offset(const ssm_tensor_arg& x, int i0, int i1, int i2,
                 int i3) {
  return I(i0) * I(x.strides[0]) + I(i1) * I(x.strides[1]) + I(i2) * I(x.strides[2]) +
         I(i3) * I(x.strides[3]);
}

// ---------------------------------------------------------------------------------------------
// Math. `*_fast` use the special-function unit's approximations (ex2/lg2/rcp.approx, about
// 2 ulp); the plain names are accurate to a few ulp over the whole range.

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

SSM_DEV float ex2_fast(float x) {  // 2^x, SFU, flushes subnormal results to zero
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
SSM_DEV float lg2_fast(float x) {
  float y;
  asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}
SSM_DEV float rcp_fast(float x) {
  float y;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// 2^x on the FMA pipe (no SFU): round-to-nearest split, degree-6 minimax polynomial on
// [-1/2, 1/2] (under 1e-7 relative once evaluated in f32), exponent added as an integer. Arguments are
// clamped to [-125, 125]: the recurrences use it for decays, where 2^-125 is as good as zero.
SSM_DEV float ex2_poly(float x) {
  x = fminf(fmaxf(x, -125.0f), 125.0f);
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low bits
  float j = x + magic;
  float r = j - magic;
  float f = x - r;  // in [-0.5, 0.5]
  float p = 1.5345811e-4f;
  p = fmaf(p, f, 1.3399931e-3f);
  p = fmaf(p, f, 9.6184891e-3f);
  p = fmaf(p, f, 5.5503286e-2f);
  p = fmaf(p, f, 2.4022646e-1f);
  p = fmaf(p, f, 6.9314718e-1f);
  p = fmaf(p, f, 1.0f);
  unsigned e = float_to_bits(j) << 23;  // low bits of j hold the integer (two's complement)
  return bits_to_float(float_to_bits(p) + e);
}

// 2^x for decays computed once per (row, step) (Mamba-2's per-head decay): the FMA-pipe
// polynomial, whose rounding errors have no sign preference. A decay multiplies the state at
// every step, so a biased error compounds over the memory length; run 3 saw 1.04e-5 relative
// error on a bf16 SSD final state with ex2.approx here (PERF.md). The per-element decays of S6
// keep ex2.approx: checked to 6e-7 over 65536 steps, and there it is the cost that matters.
SSM_DEV float ex2_acc(float x) { return ex2_poly(x); }

// Loads that stay in program order before a griddepcontrol.wait (params of the step entry).
SSM_DEV float load_param_early(const float* p) {
  float v;
  asm volatile("ld.global.nc.f32 %0, [%1];" : "=f"(v) : "l"(p));
  return v;
}

SSM_DEV float exp_fast(float x) { return ex2_fast(x * kLog2e); }
SSM_DEV float exp_acc(float x) { return expf(x); }

// log(1 + e) for e in [0, 1], branch-free, about 1 ulp: for e > 1/2 use
// log(1 + e) = ln 2 + log1p((e - 1) / 2) (both steps exact), so the argument f of the
// polynomial log1p(f) = f + f^2 P(f) (degree-7 minimax, relative error 1e-7 in f32) stays in
// [-1/4, 1/2].
SSM_DEV float log1p_unit(float e) {
  const bool big = e > 0.5f;
  const float f = big ? (e - 1.0f) * 0.5f : e;
  float p = 5.4132428e-2f;
  p = fmaf(p, f, -1.2067364e-1f);
  p = fmaf(p, f, 1.4983916e-1f);
  p = fmaf(p, f, -1.6822812e-1f);
  p = fmaf(p, f, 1.9977078e-1f);
  p = fmaf(p, f, -2.4993442e-1f);
  p = fmaf(p, f, 3.3333549e-1f);
  p = fmaf(p, f, -5.0000060e-1f);
  const float l = fmaf(f, f * p, f);
  return big ? l + kLn2 : l;
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|). Accurate enough for f32 outputs where
// Mamba's deltas live (x near -5: e^x small, where log(1 + e^x) from a rounded 1 + e^x would
// lose 1e-5 of relative accuracy), and branch-free, so the scheduler can interleave it.
SSM_DEV float softplus(float x) {
  return fmaxf(x, 0.0f) + log1p_unit(ex2_fast(-fabsf(x) * kLog2e));
}
SSM_DEV float softplus_fast(float x) {
  return x > 20.0f ? x : lg2_fast(1.0f + ex2_fast(x * kLog2e)) * kLn2;
}
SSM_DEV float sigmoid(float x) { return rcp_fast(1.0f + ex2_fast(-x * kLog2e)); }
SSM_DEV float silu(float x) { return x * sigmoid(x); }

// ---------------------------------------------------------------------------------------------
// Complex f32 (c64 states: S4D). Interleaved (re, im) in memory, like the state buffers.

struct cfloat {
  float re, im;
};
SSM_DEV cfloat cmake(float re, float im) { return cfloat{re, im}; }
SSM_DEV cfloat operator+(cfloat a, cfloat b) { return cfloat{a.re + b.re, a.im + b.im}; }
SSM_DEV cfloat operator-(cfloat a, cfloat b) { return cfloat{a.re - b.re, a.im - b.im}; }
SSM_DEV cfloat operator*(cfloat a, cfloat b) {
  return cfloat{fmaf(a.re, b.re, -a.im * b.im), fmaf(a.re, b.im, a.im * b.re)};
}
SSM_DEV cfloat operator*(float s, cfloat a) { return cfloat{s * a.re, s * a.im}; }
SSM_DEV cfloat operator*(cfloat a, float s) { return cfloat{s * a.re, s * a.im}; }
SSM_DEV cfloat& operator+=(cfloat& a, cfloat b) { a = a + b; return a; }
SSM_DEV cfloat& operator*=(cfloat& a, cfloat b) { a = a * b; return a; }
SSM_DEV cfloat conj(cfloat a) { return cfloat{a.re, -a.im}; }
SSM_DEV cfloat cexp(cfloat z) {  // accurate
  float s, c;
  sincosf(z.im, &s, &c);
  float m = expf(z.re);
  return cfloat{m * c, m * s};
}
SSM_DEV cfloat cexp_fast(cfloat z) {
  float m = exp_fast(z.re);
  return cfloat{m * __cosf(z.im), m * __sinf(z.im)};
}

// State arithmetic shared by real and complex states: h = d * h + x.
SSM_DEV float state_fma(float d, float h, float x) { return fmaf(d, h, x); }
SSM_DEV cfloat state_fma(cfloat d, cfloat h, cfloat x) { return d * h + x; }
template <class S> SSM_DEV S state_zero() { return S{}; }
template <class S> SSM_DEV S state_one();
template <> __device__ __forceinline__ float state_one<float>() { return 1.0f; }
template <> __device__ __forceinline__ cfloat state_one<cfloat>() { return cfloat{1.0f, 0.0f}; }

// ---------------------------------------------------------------------------------------------
// Warp helpers over any trivially copyable struct of 32-bit words.

// Applies op (a __shfl_*_sync on one 32-bit word) to every word of v.
template <class T, class Op> SSM_DEV T shfl_words(const T& v, Op op) {
  static_assert(sizeof(T) % 4 == 0, "shuffled structs are made of 32-bit words");
  T out;
  const unsigned* in = reinterpret_cast<const unsigned*>(&v);
  unsigned* o = reinterpret_cast<unsigned*>(&out);
#pragma unroll
  for (int k = 0; k < int(sizeof(T) / 4); ++k) o[k] = op(in[k]);
  return out;
}
template <class T> SSM_DEV T shfl(const T& v, int src) {
  return shfl_words(v, [src](unsigned w) { return __shfl_sync(0xffffffffu, w, src); });
}
template <class T> SSM_DEV T shfl_up(const T& v, int delta) {
  return shfl_words(v, [delta](unsigned w) { return __shfl_up_sync(0xffffffffu, w, delta); });
}
template <class T> SSM_DEV T shfl_xor(const T& v, int mask) {
  return shfl_words(v, [mask](unsigned w) { return __shfl_xor_sync(0xffffffffu, w, mask); });
}

// Plain (coherent) f32 accesses for state buffers and workspace, which a kernel may also write.
SSM_DEV float ld_state(const float* p) { return *p; }
SSM_DEV void st_state(float* p, float v) { *p = v; }

}  // namespace ssm

#endif  // SSM_CORE_CUH
