// ssm/ssd.cuh — the chunked matrix ("state-space dual") skeleton for scalar-decay layers
// (Mamba-2), on tensor cores.
//
// The recurrence h_t = d_t h_{t-1} + u_t B_t (one decay per head and step, input = input_row x
// input_n, output = sum_n C_t[n] h_t[n]) is computed per chunk of kQ = 64 steps as matrices
// (Dao & Gu 2024, "Transformers are SSMs", Sec. 6): with c_t the running sum of log2 d over the
// chunk,
//   y_t     = sum_{s <= t} (C_t . B_s) 2^(c_t - c_s) u_s  +  2^(c_t) C_t . h_prev     (outputs)
//   h_chunk = 2^(c_last) h_prev + sum_s B_s^T 2^(c_last - c_s) u_s                  (state)
// One block owns one (batch item, head, slice of kCols rows of the head) and walks the chunks in
// order with the state (N x kCols, f32) in the mma accumulators of its warps, so the state never
// leaves the SM and there is no second pass: the sequential dependency is one chunk-sized
// matrix product per chunk. Warp w owns output steps [16w, 16w + 16) of the chunk: it computes
// its rows of G = C B^T (causal tiles only), masks and scales them in registers, and uses them
// directly as the A operand of G X (the accumulator layout of m16n8 equals the A fragment layout
// of m16k16), then adds its rows of C h_prev. The state update is split over the warps by n.
//
// Precision: bf16 storage uses mma.m16n8k16 bf16 (f32 accumulate); f32 storage uses three tf32
// products per product (hi*hi + hi*lo + lo*hi, about 2^-22 relative), since a plain tf32 or bf16
// product would miss the 1e-5 check of f32 layers. The running sums c_t are f64, so 2^(c_t - c_s)
// is as accurate for steps late in a chunk as for early ones; the chunk decay, which multiplies
// the state once per chunk, uses ex2_acc (no sign preference: CONTRACT.md).
//
// What the layer struct must give (CONTRACT.md, "The SSD skeleton"): kDecayPerRow with
// row_decay > 0 (log2 is taken) the same for the kDecayRows consecutive rows of a head,
// input_n reading only NStep (called with a default ElemConst), and n_coef(NStep): contrib
// is n_coef * h (one reduction).
#ifndef SSM_SSD_CUH
#define SSM_SSD_CUH

#include "ssm/diag.cuh"

namespace ssm {

// Cols: rows of a head per block (8, 16, 32 or 64; divides the block). Precise: tf32x3 products
// (f32 storage) instead of bf16.
template <int Cols, bool Precise>
struct SsdCfg {
  static constexpr int kCols = Cols;
  static constexpr bool kPrecise = Precise;
};

namespace ssd {

template <bool B, class T, class F> struct cond { typedef T type; };
template <class T, class F> struct cond<false, T, F> { typedef F type; };

// Operand elements of one m16n8k16 product as each lane holds them (g = lane / 4, q = lane % 4):
// a[0..7] = A(g, 2q), A(g, 2q+1), A(g+8, 2q), A(g+8, 2q+1), A(g, 2q+8), A(g, 2q+9), A(g+8, 2q+8),
// A(g+8, 2q+9); b[0..3] = B(2q, g), B(2q+1, g), B(2q+8, g), B(2q+9, g); d[0..3] = D(g, 2q),
// D(g, 2q+1), D(g+8, 2q), D(g+8, 2q+1).
struct Bf16Mma {
  struct A { unsigned r[4]; };
  struct B { unsigned r[2]; };
  SSM_DEV unsigned pack(float lo, float hi) {
    unsigned u;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(u) : "f"(hi), "f"(lo));
    return u;
  }
  SSM_DEV A make_a(const float a[8]) {
    A x;
    x.r[0] = pack(a[0], a[1]);
    x.r[1] = pack(a[2], a[3]);
    x.r[2] = pack(a[4], a[5]);
    x.r[3] = pack(a[6], a[7]);
    return x;
  }
  SSM_DEV B make_b(const float b[4]) {
    B x;
    x.r[0] = pack(b[0], b[1]);
    x.r[1] = pack(b[2], b[3]);
    return x;
  }
  SSM_DEV void mma(float d[4], const A& a, const B& b) {
    asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a.r[0]), "r"(a.r[1]), "r"(a.r[2]), "r"(a.r[3]), "r"(b.r[0]), "r"(b.r[1]));
  }
};

// Three tf32 m16n8k8 products per k8 half. k is a summation index, so the halves may take any
// k's as long as A and B agree: half j takes k = 2q + j and 2q + 8 + j (tf32 slots q and q + 4).
struct Tf32x3Mma {
  struct A { unsigned hi[8], lo[8]; };
  struct B { unsigned hi[4], lo[4]; };
  SSM_DEV void split(float x, unsigned& hi, unsigned& lo) {
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(hi) : "f"(x));
    const float r = x - bits_to_float(hi);
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(lo) : "f"(r));
  }
  SSM_DEV A make_a(const float a[8]) {
    A x;
#pragma unroll
    for (int i = 0; i < 8; ++i) split(a[i], x.hi[i], x.lo[i]);
    return x;
  }
  SSM_DEV B make_b(const float b[4]) {
    B x;
#pragma unroll
    for (int i = 0; i < 4; ++i) split(b[i], x.hi[i], x.lo[i]);
    return x;
  }
  SSM_DEV void mma8(float d[4], unsigned a0, unsigned a1, unsigned a2, unsigned a3, unsigned b0,
                    unsigned b1) {
    asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
        "{%0,%1,%2,%3};"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
  }
  SSM_DEV void mma(float d[4], const A& a, const B& b) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {  // small terms first
      mma8(d, a.lo[j], a.lo[j + 2], a.lo[j + 4], a.lo[j + 6], b.hi[j], b.hi[j + 2]);
      mma8(d, a.hi[j], a.hi[j + 2], a.hi[j + 4], a.hi[j + 6], b.lo[j], b.lo[j + 2]);
      mma8(d, a.hi[j], a.hi[j + 2], a.hi[j + 4], a.hi[j + 6], b.hi[j], b.hi[j + 2]);
    }
  }
};

SSM_DEV double shfl_up_f64(double v, int delta) {
  unsigned lo, hi;
  asm("mov.b64 {%0, %1}, %2;" : "=r"(lo), "=r"(hi) : "d"(v));
  lo = __shfl_up_sync(0xffffffffu, lo, delta);
  hi = __shfl_up_sync(0xffffffffu, hi, delta);
  double r;
  asm("mov.b64 %0, {%1, %2};" : "=d"(r) : "r"(lo), "r"(hi));
  return r;
}
SSM_DEV double shfl_f64(double v, int src) {
  unsigned lo, hi;
  asm("mov.b64 {%0, %1}, %2;" : "=r"(lo), "=r"(hi) : "d"(v));
  lo = __shfl_sync(0xffffffffu, lo, src);
  hi = __shfl_sync(0xffffffffu, hi, src);
  double r;
  asm("mov.b64 %0, {%1, %2};" : "=d"(r) : "r"(lo), "r"(hi));
  return r;
}

}  // namespace ssd

// Launch traits (CONTRACT.md, "The SSD skeleton"): block kBlock, grid.x
// {units: kUnits, batch: true}, dynamic shared memory kSmemBytes, no workspace.
template <class L, class Cfg>
struct SsdTraits {
  static constexpr int kQ = 64;      // steps per chunk
  static constexpr int kWarps = 4;   // one per 16 steps of the chunk
  static constexpr int kBlock = 32 * kWarps;
  static constexpr int kN = L::kN;
  static constexpr int kCols = Cfg::kCols;
  static constexpr long long kGroupRows = L::kDecayRows;
  static constexpr long long kHeads = L::kRows / kGroupRows;
  static constexpr long long kSlices = ceil_div(kGroupRows, kCols);
  static constexpr long long kUnits = kHeads * kSlices;
  static constexpr int kLdN = kN + 8;  // float row strides: fragment loads free of bank conflicts
  static constexpr int kLdQ = kQ + 8;
  static constexpr int kMT = kN / 16;                          // m16 tiles of the state (over n)
  static constexpr int kMTW = int(ceil_div(kMT, kWarps));      // ... per warp
  static constexpr int kNT = kCols / 8;                        // n8 tiles over the block's rows
  // Shared memory, in floats after kQ doubles (the running log2 sums).
  static constexpr int kOffC = 0;                              // C[t][n]
  static constexpr int kOffB = kOffC + kQ * kLdN;              // B[t][n] (input_n)
  static constexpr int kOffX = kOffB + kQ * kLdN;              // u[p][t] (input_row), transposed
  static constexpr int kOffH = kOffX + kCols * kLdQ;           // h_prev[p][n], transposed
  static constexpr int kOffE = kOffH + kCols * kLdN;           // 2^c_t
  static constexpr int kOffW = kOffE + kQ;                     // 2^(c_last - c_t)
  static constexpr int kOffD = kOffW + kQ;                     // 2^c_last
  static constexpr int kFloats = kOffD + 4;
  static constexpr int kSmemBytes = kQ * 8 + kFloats * 4;

  static_assert(decay_per_row<L>::value, "the SSD skeleton needs the kDecayPerRow form");
  static_assert(is_same<typename L::S, float>::value, "the SSD skeleton handles real states");
  static_assert(L::kRed == 1, "the SSD skeleton handles one reduction over n");
  static_assert(kN % 16 == 0 && kN >= 16, "N must be a multiple of 16 (tensor-core tiles)");
  static_assert(kCols == 8 || kCols == 16 || kCols == 32 || kCols == 64, "Cols: 8, 16, 32 or 64");
  static_assert(kBlock % kCols == 0, "Cols divides the block");
  static_assert(kGroupRows >= 1 && L::kRows % kGroupRows == 0, "kDecayRows divides kRows");
  static_assert(kSmemBytes <= 227 * 1024, "shared memory over the sm_90 limit");
};

// Prefill over the whole sequence: grid.x = kUnits * batch, dynamic shared memory kSmemBytes.
template <class L, class Cfg>
__device__ __forceinline__ void ssd_forward(const ssm_launch_args& a) {
  using T = SsdTraits<L, Cfg>;
  using M = typename ssd::cond<Cfg::kPrecise, ssd::Tf32x3Mma, ssd::Bf16Mma>::type;
  using RowConst = typename L::RowConst;
  using RowIn = typename L::RowIn;
  using RowStep = typename L::RowStep;
  constexpr int kQ = T::kQ, kN = T::kN, kCols = T::kCols, kLdN = T::kLdN, kLdQ = T::kLdQ;
  constexpr int kNT = T::kNT, kMT = T::kMT, kMTW = T::kMTW;

  extern __shared__ __align__(16) unsigned char ssd_smem[];
  double* cum = reinterpret_cast<double*>(ssd_smem);
  float* sm = reinterpret_cast<float*>(ssd_smem + kQ * 8);
  float* Cs = sm + T::kOffC;
  float* Bs = sm + T::kOffB;
  float* Xt = sm + T::kOffX;
  float* Ht = sm + T::kOffH;
  float* ecum = sm + T::kOffE;
  float* wcum = sm + T::kOffW;
  float* dchunk = sm + T::kOffD;

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, q = lane & 3;
  const long long unit = blockIdx.x % T::kUnits;
  const int b = int(blockIdx.x / T::kUnits);
  const int head = int(unit / T::kSlices), slice = int(unit % T::kSlices);
  const int row0 = int((long long)head * T::kGroupRows);        // the head's first row (decay)
  const int rbase = row0 + slice * kCols;                       // the block's first row
  const int cols = int(T::kGroupRows - (long long)slice * kCols) < kCols
                       ? int(T::kGroupRows - (long long)slice * kCols)
                       : kCols;  // rows of the block inside the head
  const int len_all = int(a.seqlen);

  grid_dependency_wait();

  // Params: the head's row (decay), this thread's row of the u tile, its output columns.
  RowConst rc0, rcx;
  L::row_const(a, row0, rc0);
  const int px = tid % kCols;
  const int rowx = rbase + (px < cols ? px : cols - 1);
  L::row_const(a, rowx, rcx);
  RowConst rcy[kNT][2];
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int p = 8 * nt + 2 * q + e;
      L::row_const(a, rbase + (p < cols ? p : cols - 1), rcy[nt][e]);
    }

  // The state: warp w holds n tiles w, w + kWarps, ... (16 n each) x all kCols rows.
  float hs[kMTW][kNT][4];
  const bool has_h0 = (a.flags & SSM_FLAG_HAS_H0) != 0;
#pragma unroll
  for (int i = 0; i < kMTW; ++i)
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int mt = warp + T::kWarps * i;
        const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
        float v = 0.0f;
        if (has_h0 && mt < kMT && p < cols)
          v = ld_state(static_cast<const float*>(a.h0[0]) +
                       (((long long)b * L::kRows + rbase + p) * kN + n));
        hs[i][nt][e] = v;
      }

  const int nchunks = int(ceil_div(len_all, kQ));
  for (int c = 0; c < nchunks; ++c) {
    const int t0 = c * kQ;
    const int len = len_all - t0 < kQ ? len_all - t0 : kQ;

    // ---- stage the chunk: B, C (per t, n), u (per t, row), h_prev; decays and their sums.
    // Unrolled, and every load unconditional (steps past the end read the last step and are
    // zeroed after): a load under a branch stays in its basic block, and the first version,
    // which guarded them, waited out one L2 round trip per element (2.7 ms at shape 1, PERF.md).
#pragma unroll 16
    for (int i = tid; i < kQ * kN; i += T::kBlock) {
      const int t = i / kN, n = i % kN;
      typename L::NIn ni;
      typename L::NStep ns;
      L::n_load(a, b, t0 + (t < len ? t : len - 1), n, ni);
      L::n_step(ni, ns);
      const bool in = t < len;
      Bs[t * kLdN + n] = in ? L::input_n(typename L::ElemConst{}, ns) : 0.0f;
      Cs[t * kLdN + n] = in ? L::n_coef(ns) : 0.0f;
    }
#pragma unroll 16
    for (int i = tid; i < kQ * kCols; i += T::kBlock) {
      const int t = i / kCols;
      RowIn ri;
      RowStep rs;
      L::row_load(a, b, t0 + (t < len ? t : len - 1), rowx, ri);
      L::row_step(rcx, ri, rs);
      const float u = L::input_row(rcx, rs);
      Xt[px * kLdQ + t] = t < len && px < cols ? u : 0.0f;
    }
#pragma unroll
    for (int i = 0; i < kMTW; ++i) {
      const int mt = warp + T::kWarps * i;
      if (mt < kMT) {
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
            Ht[p * kLdN + n] = hs[i][nt][e];
          }
      }
    }
    if (warp == 0) {
      // log2 of the decay of steps 2 lane and 2 lane + 1 (0 past the end: the identity), then an
      // inclusive f64 scan over the warp.
      float lg[2];
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int t = 2 * lane + e;
        RowIn ri;
        RowStep rs;
        L::row_load(a, b, t0 + (t < len ? t : len - 1), row0, ri);
        L::row_step(rc0, ri, rs);
        const float d = L::row_decay(rc0, rs);
        // An underflowed decay: far below 2^-126. Steps past the end: the identity.
        lg[e] = t < len ? (d == 0.0f ? -16384.0f : log2f(d)) : 0.0f;
      }
      const double s0 = lg[0], s1 = s0 + double(lg[1]);
      double incl = s1;
#pragma unroll
      for (int off = 1; off < 32; off <<= 1) {
        const double v = ssd::shfl_up_f64(incl, off);
        if (lane >= off) incl += v;
      }
      double excl = ssd::shfl_up_f64(incl, 1);
      if (lane == 0) excl = 0.0;
      const double tot = ssd::shfl_f64(incl, 31);
      const double cs[2] = {excl + s0, excl + s1};
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        cum[2 * lane + e] = cs[e];
        ecum[2 * lane + e] = ex2_acc(float(cs[e]));
        wcum[2 * lane + e] = ex2_acc(float(tot - cs[e]));
      }
      if (lane == 0) dchunk[0] = ex2_acc(float(tot));
    }
    __syncthreads();

    // ---- outputs of steps [16 warp, 16 warp + 16): G = C B^T (causal tiles), G X, C h_prev.
    const bool live = c > 0 || has_h0;  // h_prev is zero otherwise
    const int tr0 = 16 * warp + g, tr1 = tr0 + 8;
    // The row loads of this warp's outputs, issued now so that the products below hide them.
    RowIn ro[kNT][4];
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int t = e < 2 ? tr0 : tr1, p = 8 * nt + 2 * q + (e & 1);
        L::row_load(a, b, t0 + (t < len ? t : len - 1), rbase + (p < cols ? p : cols - 1), ro[nt][e]);
      }
    const int nts = 2 * warp + 2;  // n8 tiles of s with s <= 16 warp + 15
    float gacc[kQ / 8][4];
    float yi[kNT][4], yv[kNT][4];
#pragma unroll
    for (int j = 0; j < kQ / 8; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) gacc[j][e] = 0.0f;
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
      for (int e = 0; e < 4; ++e) yi[nt][e] = yv[nt][e] = 0.0f;
#pragma unroll 2
    for (int k0 = 0; k0 < kN; k0 += 16) {
      float af[8];
      {
        const float2 u0 = *reinterpret_cast<const float2*>(Cs + tr0 * kLdN + k0 + 2 * q);
        const float2 u1 = *reinterpret_cast<const float2*>(Cs + tr1 * kLdN + k0 + 2 * q);
        const float2 u2 = *reinterpret_cast<const float2*>(Cs + tr0 * kLdN + k0 + 2 * q + 8);
        const float2 u3 = *reinterpret_cast<const float2*>(Cs + tr1 * kLdN + k0 + 2 * q + 8);
        af[0] = u0.x, af[1] = u0.y, af[2] = u1.x, af[3] = u1.y;
        af[4] = u2.x, af[5] = u2.y, af[6] = u3.x, af[7] = u3.y;
      }
      const typename M::A fa = M::make_a(af);
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j) {
        if (j < nts) {
          const int s = 8 * j + g;
          const float2 v0 = *reinterpret_cast<const float2*>(Bs + s * kLdN + k0 + 2 * q);
          const float2 v1 = *reinterpret_cast<const float2*>(Bs + s * kLdN + k0 + 2 * q + 8);
          const float bf[4] = {v0.x, v0.y, v1.x, v1.y};
          M::mma(gacc[j], fa, M::make_b(bf));
        }
      }
      if (live) {
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt) {
          const int p = 8 * nt + g;
          const float2 v0 = *reinterpret_cast<const float2*>(Ht + p * kLdN + k0 + 2 * q);
          const float2 v1 = *reinterpret_cast<const float2*>(Ht + p * kLdN + k0 + 2 * q + 8);
          const float bf[4] = {v0.x, v0.y, v1.x, v1.y};
          M::mma(yi[nt], fa, M::make_b(bf));
        }
      }
    }
    // Mask (s <= t) and scale by 2^(c_t - c_s), in place: gacc becomes the A operand of G X.
    {
      const double ct[2] = {cum[tr0], cum[tr1]};
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j) {
        if (j < nts) {
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int s = 8 * j + 2 * q + (e & 1), t = e < 2 ? tr0 : tr1;
            const float f = ex2_fast(float(ct[e >> 1] - cum[s]));
            gacc[j][e] = s <= t ? gacc[j][e] * f : 0.0f;
          }
        }
      }
    }
#pragma unroll
    for (int j = 0; j < kQ / 16; ++j) {
      if (j <= warp) {
        const float af[8] = {gacc[2 * j][0],     gacc[2 * j][1],     gacc[2 * j][2],
                             gacc[2 * j][3],     gacc[2 * j + 1][0], gacc[2 * j + 1][1],
                             gacc[2 * j + 1][2], gacc[2 * j + 1][3]};
        const typename M::A fa = M::make_a(af);
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt) {
          const int p = 8 * nt + g;
          const float2 v0 = *reinterpret_cast<const float2*>(Xt + p * kLdQ + 16 * j + 2 * q);
          const float2 v1 = *reinterpret_cast<const float2*>(Xt + p * kLdQ + 16 * j + 2 * q + 8);
          const float bf[4] = {v0.x, v0.y, v1.x, v1.y};
          M::mma(yv[nt], fa, M::make_b(bf));
        }
      }
    }
    {
      const float et[2] = {ecum[tr0], ecum[tr1]};
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int t = e < 2 ? tr0 : tr1, p = 8 * nt + 2 * q + (e & 1);
          if (t < len && p < cols) {
            typename L::Red red[L::kRed];
            red[0] = fmaf(et[e >> 1], yi[nt][e], yv[nt][e]);
            RowStep rs;
            L::row_step(rcy[nt][e & 1], ro[nt][e], rs);
            L::row_out(a, b, t0 + t, rbase + p, rcy[nt][e & 1], ro[nt][e], rs, red);
          }
        }
    }

    // ---- the state: h = 2^c_last h + sum_t B_t^T (2^(c_last - c_t) u_t), warp w over its n tiles.
    {
      const float dch = dchunk[0];
#pragma unroll
      for (int i = 0; i < kMTW; ++i)
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) hs[i][nt][e] *= dch;
#pragma unroll
      for (int k0 = 0; k0 < kQ; k0 += 16) {
        if (k0 < len) {
          const float w0 = wcum[k0 + 2 * q], w1 = wcum[k0 + 2 * q + 1];
          const float w2 = wcum[k0 + 2 * q + 8], w3 = wcum[k0 + 2 * q + 9];
          typename M::B fb[kNT];
#pragma unroll
          for (int nt = 0; nt < kNT; ++nt) {
            const int p = 8 * nt + g;
            const float2 v0 = *reinterpret_cast<const float2*>(Xt + p * kLdQ + k0 + 2 * q);
            const float2 v1 = *reinterpret_cast<const float2*>(Xt + p * kLdQ + k0 + 2 * q + 8);
            const float bf[4] = {v0.x * w0, v0.y * w1, v1.x * w2, v1.y * w3};
            fb[nt] = M::make_b(bf);
          }
#pragma unroll
          for (int i = 0; i < kMTW; ++i) {
            const int mt = warp + T::kWarps * i;
            if (mt < kMT) {
              const int n = 16 * mt + g;
              const float* r0 = Bs + (k0 + 2 * q) * kLdN + n;
              const float af[8] = {r0[0],           r0[kLdN],         r0[8],
                                   r0[kLdN + 8],    r0[8 * kLdN],     r0[9 * kLdN],
                                   r0[8 * kLdN + 8], r0[9 * kLdN + 8]};
              const typename M::A fa = M::make_a(af);
#pragma unroll
              for (int nt = 0; nt < kNT; ++nt) M::mma(hs[i][nt], fa, fb[nt]);
            }
          }
        }
      }
    }
    __syncthreads();  // the next chunk overwrites the tiles
  }

  if (a.flags & SSM_FLAG_WRITE_HT) {
#pragma unroll
    for (int i = 0; i < kMTW; ++i)
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int mt = warp + T::kWarps * i;
          const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
          if (mt < kMT && p < cols)
            st_state(static_cast<float*>(a.hT[0]) + (((long long)b * L::kRows + rbase + p) * kN + n),
                     hs[i][nt][e]);
        }
  }
}

}  // namespace ssm

#endif  // SSM_SSD_CUH
