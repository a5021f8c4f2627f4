// layers.cuh — Mamba S6 and Mamba-2 SSD written by hand the way ssmc emits a layer struct
// (runtime/device/CONTRACT.md). The compiler prints one concrete struct per layer with its dims,
// dtypes and slot numbers as literals; here dims and storage type are template parameters so
// that one text serves every benchmark shape. Everything else is what the compiler emits.
#ifndef SSM_TESTS_GPU_LAYERS_CUH
#define SSM_TESTS_GPU_LAYERS_CUH

#include "ssm/diag.cuh"

namespace layers {

// layer selective_scan(dims D, N) {
//   in x: [D]; in dt: [D]; in B: [N]; in C: [N]; in z: [D]
//   param A: [D, N]; param Dskip: [D]; param dt_bias: [D]
//   let delta = softplus(dt + dt_bias)
//   state h: [D, N] = exp(delta * A) * h + (delta * B) * x
//   out y: [D] = (sum[N](C * h) + Dskip * x) * silu(z)
// }
// Slots: 0 x, 1 dt, 2 B, 3 C, 4 z | 5 A, 6 Dskip, 7 dt_bias | 8 y. Params are f32.
// kExactExp: decay through expf (the compiler's choice when it cannot use the fast exp2).
// I: index type, int when the entry is compiled "index32" (CONTRACT.md), else long long.
template <class T, long long D_, int N_, bool kExactExp, class I>
struct MambaS6Base {
  using S = float;
  using Red = float;
  static constexpr long long kRows = D_;
  static constexpr int kN = N_;
  static constexpr int kRed = 1;
  struct RowConst { float Dskip, dt_bias; };
  struct ElemConst { float A; };  // log2(e) * A on the fast path
  struct RowIn { ssm::raw_t<T> dt, x, z; };
  struct RowStep { float delta, dx; };
  struct NIn { ssm::raw_t<T> B, C; };
  struct NStep { float B, C; };

  static __device__ __forceinline__ void row_const(const ssm_launch_args& a, int row,
                                                   RowConst& rc) {
    rc.Dskip = ssm::load<float>(a.tensors[6].data, ssm::offset<I>(a.tensors[6], row));
    rc.dt_bias = ssm::load<float>(a.tensors[7].data, ssm::offset<I>(a.tensors[7], row));
  }
  static __device__ __forceinline__ void elem_const(const ssm_launch_args& a, int row, int n,
                                                    const RowConst&, ElemConst& ec) {
    float A = ssm::load<float>(a.tensors[5].data, ssm::offset<I>(a.tensors[5], row, n));
    ec.A = kExactExp ? A : A * ssm::kLog2e;
  }
  static __device__ __forceinline__ void row_load(const ssm_launch_args& a, int b,
                                                  int t, int row, RowIn& ri) {
    const ssm_tensor_arg& x = a.tensors[0];
    const ssm_tensor_arg& dt = a.tensors[1];
    const ssm_tensor_arg& z = a.tensors[4];
    ri.x = ssm::load_raw<T>(x.data, ssm::offset<I>(x, b, t, row));
    ri.dt = ssm::load_raw<T>(dt.data, ssm::offset<I>(dt, b, t, row));
    ri.z = ssm::load_raw<T>(z.data, ssm::offset<I>(z, b, t, row));
  }
  static __device__ __forceinline__ void row_step(const RowConst& rc, const RowIn& ri,
                                                  RowStep& rs) {
    rs.delta = ssm::softplus(ssm::to_f32(ri.dt) + rc.dt_bias);
    rs.dx = rs.delta * ssm::to_f32(ri.x);
  }
  static __device__ __forceinline__ void n_load(const ssm_launch_args& a, int b,
                                                int t, int n, NIn& ni) {
    const ssm_tensor_arg& B = a.tensors[2];
    const ssm_tensor_arg& C = a.tensors[3];
    ni.B = ssm::load_raw<T>(B.data, ssm::offset<I>(B, b, t, n));
    ni.C = ssm::load_raw<T>(C.data, ssm::offset<I>(C, b, t, n));
  }
  static __device__ __forceinline__ void n_step(const NIn& ni, NStep& ns) {
    ns.B = ssm::to_f32(ni.B);
    ns.C = ssm::to_f32(ni.C);
  }
  static __device__ __forceinline__ float input(const RowConst&, const ElemConst&,
                                                const RowStep& rs, const NStep& ns) {
    return rs.dx * ns.B;
  }
  static __device__ __forceinline__ void contrib(const RowConst&, const ElemConst&,
                                                 const RowStep&, const NStep& ns, float h,
                                                 float red[1]) {
    red[0] = fmaf(ns.C, h, red[0]);
  }
  static __device__ __forceinline__ void row_out(const ssm_launch_args& a, int b,
                                                 int t, int row, const RowConst& rc,
                                                 const RowIn& ri, const RowStep&,
                                                 const float red[1]) {
    const ssm_tensor_arg& y = a.tensors[8];
    float v = fmaf(rc.Dskip, ssm::to_f32(ri.x), red[0]) * ssm::silu(ssm::to_f32(ri.z));
    ssm::store<T>(y.data, ssm::offset<I>(y, b, t, row), v);
  }
};

// Fast path: the compiler proves decay = exp(delta * A) and emits decay_log2 with A pre-scaled.
template <class T, long long D_, int N_, class I = long long>
struct MambaS6 : MambaS6Base<T, D_, N_, false, I> {
  using B_ = MambaS6Base<T, D_, N_, false, I>;
  static __device__ __forceinline__ float decay_log2(const typename B_::RowConst&,
                                                     const typename B_::ElemConst& ec,
                                                     const typename B_::RowStep& rs,
                                                     const typename B_::NStep&) {
    return rs.delta * ec.A;
  }
};

// Accurate path: decay through expf.
template <class T, long long D_, int N_, class I = long long>
struct MambaS6Exact : MambaS6Base<T, D_, N_, true, I> {
  using B_ = MambaS6Base<T, D_, N_, true, I>;
  static __device__ __forceinline__ float decay(const typename B_::RowConst&,
                                                const typename B_::ElemConst& ec,
                                                const typename B_::RowStep& rs,
                                                const typename B_::NStep&) {
    return expf(rs.delta * ec.A);
  }
};

// layer ssd(dims H, P, N) {
//   in x: [H, P]; in dt: [H]; in B: [N]; in C: [N]; in z: [H, P]
//   param A: [H]; param Dskip: [H]; param dt_bias: [H]
//   let delta = softplus(dt + dt_bias)
//   state h: [H, P, N] = exp(delta * A) * h + (delta * x) * B
//   out y: [H, P] = (sum[N](C * h) + Dskip * x) * silu(z)
// }
// Rows are (h, p) flattened, row = h * P + p. Slots as for S6; params are f32.
// The decay depends on the head and step only, and y is linear in h: the compiler emits
// kDecayPerRow with row_decay / input_row / input_n.
template <class T, int H_, int P_, int N_, class I = long long>
struct Mamba2SSD {
  using S = float;
  using Red = float;
  static constexpr long long kRows = (long long)H_ * P_;
  static constexpr int kN = N_;
  static constexpr int kRed = 1;
  static constexpr bool kDecayPerRow = true;
  struct RowConst { float A, Dskip, dt_bias; };
  struct ElemConst {};
  struct RowIn { ssm::raw_t<T> dt, x, z; };
  struct RowStep { float decay, dx; };
  struct NIn { ssm::raw_t<T> B, C; };
  struct NStep { float B, C; };

  static __device__ __forceinline__ void row_const(const ssm_launch_args& a, int row,
                                                   RowConst& rc) {
    const int hh = row / P_;
    rc.A = ssm::load<float>(a.tensors[5].data, ssm::offset<I>(a.tensors[5], hh)) * ssm::kLog2e;
    rc.Dskip = ssm::load<float>(a.tensors[6].data, ssm::offset<I>(a.tensors[6], hh));
    rc.dt_bias = ssm::load<float>(a.tensors[7].data, ssm::offset<I>(a.tensors[7], hh));
  }
  static __device__ __forceinline__ void elem_const(const ssm_launch_args&, int, int,
                                                    const RowConst&, ElemConst&) {}
  static __device__ __forceinline__ void row_load(const ssm_launch_args& a, int b,
                                                  int t, int row, RowIn& ri) {
    const int hh = row / P_, p = row % P_;
    const ssm_tensor_arg& x = a.tensors[0];
    const ssm_tensor_arg& dt = a.tensors[1];
    const ssm_tensor_arg& z = a.tensors[4];
    ri.x = ssm::load_raw<T>(x.data, ssm::offset<I>(x, b, t, hh, p));
    ri.dt = ssm::load_raw<T>(dt.data, ssm::offset<I>(dt, b, t, hh));
    ri.z = ssm::load_raw<T>(z.data, ssm::offset<I>(z, b, t, hh, p));
  }
  static __device__ __forceinline__ void row_step(const RowConst& rc, const RowIn& ri,
                                                  RowStep& rs) {
    const float delta = ssm::softplus(ssm::to_f32(ri.dt) + rc.dt_bias);
    rs.decay = ssm::ex2_acc(delta * rc.A);
    rs.dx = delta * ssm::to_f32(ri.x);
  }
  static __device__ __forceinline__ void n_load(const ssm_launch_args& a, int b,
                                                int t, int n, NIn& ni) {
    const ssm_tensor_arg& B = a.tensors[2];
    const ssm_tensor_arg& C = a.tensors[3];
    ni.B = ssm::load_raw<T>(B.data, ssm::offset<I>(B, b, t, n));
    ni.C = ssm::load_raw<T>(C.data, ssm::offset<I>(C, b, t, n));
  }
  static __device__ __forceinline__ void n_step(const NIn& ni, NStep& ns) {
    ns.B = ssm::to_f32(ni.B);
    ns.C = ssm::to_f32(ni.C);
  }
  static __device__ __forceinline__ float decay(const RowConst&, const ElemConst&,
                                                const RowStep& rs, const NStep&) {
    return rs.decay;
  }
  static __device__ __forceinline__ float input(const RowConst&, const ElemConst&,
                                                const RowStep& rs, const NStep& ns) {
    return rs.dx * ns.B;
  }
  static __device__ __forceinline__ float row_decay(const RowConst&, const RowStep& rs) {
    return rs.decay;
  }
  static __device__ __forceinline__ float input_row(const RowConst&, const RowStep& rs) {
    return rs.dx;
  }
  static __device__ __forceinline__ float input_n(const ElemConst&, const NStep& ns) {
    return ns.B;
  }
  static __device__ __forceinline__ void contrib(const RowConst&, const ElemConst&,
                                                 const RowStep&, const NStep& ns, float h,
                                                 float red[1]) {
    red[0] = fmaf(ns.C, h, red[0]);
  }
  static __device__ __forceinline__ void row_out(const ssm_launch_args& a, int b,
                                                 int t, int row, const RowConst& rc,
                                                 const RowIn& ri, const RowStep&,
                                                 const float red[1]) {
    const int hh = row / P_, p = row % P_;
    const ssm_tensor_arg& y = a.tensors[8];
    float v = fmaf(rc.Dskip, ssm::to_f32(ri.x), red[0]) * ssm::silu(ssm::to_f32(ri.z));
    ssm::store<T>(y.data, ssm::offset<I>(y, b, t, hh, p), v);
  }
};

}  // namespace layers

#endif  // SSM_TESTS_GPU_LAYERS_CUH
