// The dense family (S4 with a full state matrix): h_t = A h_{t-1} + b_t, A time-invariant.
//
// One block per (batch, row). The layer struct's `setup` computes the row's time-invariant
// values (the discretized matrix, Bb, ...) into the shared `Setup` struct with the whole block;
// then thread i < N keeps row i of A in registers and state element h_i, and every step
//   h_i = input_i + sum_j A[i][j] h_j        (h_j read back from shared memory)
//   red = sum_i contrib(h_i)                 (warp shuffles, one partial per warp)
// with one barrier per step: h and the partials are double-buffered, and the step's outputs
// are written by thread 0 after the next step's barrier. CONTRACT.md ("The dense family")
// lists the struct's members; the decode step runs the same entry with seqlen 1.
#ifndef SSM_DENSE_CUH
#define SSM_DENSE_CUH

#include "ssm/diag.cuh"

namespace ssm {

template <class L>
struct DenseTraits {
  static constexpr int kN = L::kN;
  static constexpr int kStateWarps = (kN + 31) / 32;             // warps holding a state element
  static constexpr int kWarps = kStateWarps < 4 ? 4 : kStateWarps;  // more hands for the setup
  static constexpr int kBlock = 32 * kWarps;
  static_assert(kN >= 1 && kN <= 128, "the dense skeleton keeps a row of A in registers: N <= 128");
};

// Block-wide loop over the elements of an n-element buffer.
#define SSM_DENSE_FOR(e, count) for (int e = int(threadIdx.x); e < (count); e += int(blockDim.x))

// In-place Gauss-Jordan inversion with partial pivoting of the N x N row-major matrix `m`, by
// the whole block. `col` (N floats) and `piv` (N ints) are shared scratch. A singular matrix
// gives non-finite entries, as the float64 reference's division by a zero pivot does.
template <int N>
__device__ void dense_invert(float* m, float* col, int* piv) {
  for (int k = 0; k < N; ++k) {
    if (threadIdx.x < 32) {  // pivot: the largest |m[r][k]|, r >= k (lowest r on ties)
      float best = -1.0f;
      int bi = k;
      for (int r = k + int(threadIdx.x); r < N; r += 32) {
        const float v = fabsf(m[r * N + k]);
        if (v > best) {
          best = v;
          bi = r;
        }
      }
#pragma unroll
      for (int o = 16; o > 0; o >>= 1) {
        const float ob = __shfl_xor_sync(0xffffffffu, best, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (ob > best || (ob == best && oi < bi)) {
          best = ob;
          bi = oi;
        }
      }
      if (threadIdx.x == 0) piv[k] = bi;
    }
    __syncthreads();
    const int p = piv[k];
    if (p != k) {
      SSM_DENSE_FOR(j, N) {
        const float t = m[k * N + j];
        m[k * N + j] = m[p * N + j];
        m[p * N + j] = t;
      }
    }
    __syncthreads();
    SSM_DENSE_FOR(r, N) col[r] = m[r * N + k];
    __syncthreads();
    const float inv = 1.0f / col[k];
    SSM_DENSE_FOR(j, N) m[k * N + j] = (j == k ? 1.0f : m[k * N + j]) * inv;
    __syncthreads();
    SSM_DENSE_FOR(e, N * N) {
      const int r = e / N, j = e - (e / N) * N;
      if (r != k) m[e] = (j == k ? 0.0f : m[e]) - col[r] * m[k * N + j];
    }
    __syncthreads();
  }
  for (int k = N - 1; k >= 0; --k) {  // the row swaps of A are column swaps of A^-1
    const int p = piv[k];
    if (p != k) {
      SSM_DENSE_FOR(r, N) {
        const float t = m[r * N + k];
        m[r * N + k] = m[r * N + p];
        m[r * N + p] = t;
      }
    }
    __syncthreads();
  }
}

// Prefill over the whole sequence (and the decode step, with seqlen 1 and h0 == hT):
// grid.x = kRows * batch, block DenseTraits<L>::kBlock.
template <class L>
__device__ __forceinline__ void dense_forward(const ssm_launch_args& a) {
  using T = DenseTraits<L>;
  using Red = typename L::Red;
  constexpr int kN = L::kN, kW = T::kStateWarps;
  __shared__ typename L::Setup sh;
  __shared__ float hbuf[2][kN];
  __shared__ Red part[2][kW][L::kRed];
  const int row = int(blockIdx.x % L::kRows);
  const int b = int(blockIdx.x / L::kRows);
  const int i = int(threadIdx.x), lane = i & 31, warp = i >> 5;
  const bool act = i < kN;
  const int n = act ? i : 0;

  grid_dependency_wait();
  L::setup(a, row, sh);  // the whole block; ends with a barrier
  float arow[kN];
#pragma unroll
  for (int j = 0; j < kN; ++j) arow[j] = L::decay_elem(a, row, sh, n, j);
  typename L::RowConst rc;
  L::row_const(a, row, sh, rc);
  typename L::ElemConst ec;
  L::elem_const(a, row, n, sh, rc, ec);

  const long long base = ((long long)b * L::kRows + row) * kN + n;
  float h = 0.0f;
  if (act && (a.flags & SSM_FLAG_HAS_H0)) h = static_cast<const float*>(a.h0[0])[base];
  typename L::RowIn ri, ri_prev;
  typename L::RowStep rs, rs_prev;
  auto write_out = [&](int t, int buf) {  // thread 0: the outputs of step t
    Red red[L::kRed];
#pragma unroll
    for (int k = 0; k < L::kRed; ++k) {
      red[k] = Red{};
#pragma unroll
      for (int w = 0; w < kW; ++w) red[k] += part[buf][w][k];
    }
    L::row_out(a, b, t, row, rc, ri_prev, rs_prev, red);
  };
  const int seqlen = int(a.seqlen);
  for (int t = 0; t < seqlen; ++t) {
    L::row_load(a, b, t, row, ri);
    typename L::NIn ni;
    L::n_load(a, b, t, n, ni);
    L::row_step(rc, ri, rs);
    typename L::NStep ns;
    L::n_step(ni, ns);
    if (act) hbuf[t & 1][i] = h;
    __syncthreads();
    if (t > 0 && i == 0) write_out(t - 1, (t - 1) & 1);
    float acc = L::input(rc, ec, rs, ns);
#pragma unroll
    for (int j = 0; j < kN; ++j) acc = fmaf(arow[j], hbuf[t & 1][j], acc);
    h = act ? acc : 0.0f;
    Red red[L::kRed];
#pragma unroll
    for (int k = 0; k < L::kRed; ++k) red[k] = Red{};
    if (act) L::contrib(rc, ec, rs, ns, h, red);
#pragma unroll
    for (int m = 16; m > 0; m >>= 1) {
#pragma unroll
      for (int k = 0; k < L::kRed; ++k) red[k] += shfl_xor(red[k], m);
    }
    if (lane == 0 && warp < kW) {
#pragma unroll
      for (int k = 0; k < L::kRed; ++k) part[t & 1][warp][k] = red[k];
    }
    ri_prev = ri;
    rs_prev = rs;
  }
  __syncthreads();
  if (seqlen > 0 && i == 0) write_out(seqlen - 1, (seqlen - 1) & 1);
  if (act && (a.flags & SSM_FLAG_WRITE_HT)) static_cast<float*>(a.hT[0])[base] = h;
}

}  // namespace ssm

#endif  // SSM_DENSE_CUH
