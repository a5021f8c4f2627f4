// ssm/diag.cuh — kernel skeletons for diagonal state-space layers (S4D, Mamba S6, Mamba-2 SSD).
//
// A generated layer struct `L` (runtime/device/CONTRACT.md) says what is computed per element;
// these templates say how it is tiled: one lane owns `kStates` consecutive states of one row of
// one batch item and walks the sequence with the recurrence in registers. The `kG = N/kStates`
// lanes of a row sit `kRPW` lanes apart in one warp; a warp holds `kRPW` rows. Per tile of
// `kTile` steps:
//   * the row-level work (loads of x/dt/z, softplus, ...) of step t is done once, by lane
//     g = t mod kG of the row, and handed to the other lanes of the row by shuffle;
//   * the per-(t, n) inputs shared by every row of a batch item (B, C) are loaded once per block
//     into shared memory and read back as 16-byte vectors;
//   * each lane keeps its partial sums over n for every step of the tile, and one transposed
//     shuffle reduction leaves lane g with the complete sums of steps t = g mod kG, which it
//     turns into outputs — so row outputs, too, are computed once;
//   * the next tile's global loads are issued before this tile's arithmetic;
//   * with Rows > 1 a lane holds several rows, so each B/C value read from shared memory (whose
//     return bandwidth bounds large-N layers) serves all of them.
// Layers whose decay is one scalar per (row, step) (kDecayPerRow: Mamba-2) run a rescaled form
// with two FMAs per element on every tile whose decay products stay in range.
#ifndef SSM_DIAG_CUH
#define SSM_DIAG_CUH

#include "ssm/core.cuh"

namespace ssm {

// ---------------------------------------------------------------------------------------------
// Optional members of a layer struct (CONTRACT.md, "Optional members").

template <class L, class = void> struct has_decay_log2 { static constexpr bool value = false; };
template <class L>
struct has_decay_log2<L, typename make_void<decltype(&L::decay_log2)>::type> {
  static constexpr bool value = true;
};

template <class L, class = void> struct decay_per_row { static constexpr bool value = false; };
template <class L>
struct decay_per_row<L, typename make_void<decltype(L::kDecayPerRow), decltype(&L::row_decay),
                                           decltype(&L::input_row), decltype(&L::input_n)>::type> {
  static constexpr bool value = L::kDecayPerRow;
};

// ---------------------------------------------------------------------------------------------
// Launch configurations (template arguments the compiler picks; CONTRACT.md lists the rules).

// States: states per lane (divides N; N / States is a power of two <= 32).
// Tile: steps per tile (a multiple of N / States). Warps: warps per block.
// Poly: how many of a lane's states take 2^x on the FMA pipe (ex2_poly) instead of the
//   special-function unit, to balance the two when the exps bound the kernel (real states with
//   decay_log2 only). Chunk: sequence chunk of the chunked variant (0: not chunked).
// Rows: rows per lane. Shared memory returns one 32-bit register per thread per cycle for the
//   whole SM, and every element needs its (B, C) from there: a lane with Rows rows uses each
//   value it reads Rows times. Worth it when N is large (SSD); it divides the lanes by Rows.
template <int States, int Tile, int Warps, int Poly = 0, int Chunk = 0, int Rows = 1>
struct LaneCfg {
  static constexpr int kStates = States;
  static constexpr int kTile = Tile;
  static constexpr int kWarps = Warps;
  static constexpr int kPoly = Poly;
  static constexpr int kChunk = Chunk;
  static constexpr int kRows = Rows;
};

template <class L, class Cfg>
struct DiagLane {
  using S = typename L::S;
  using Red = typename L::Red;
  static constexpr int kN = L::kN;
  static constexpr int kS = Cfg::kStates;
  static constexpr int kR = Cfg::kRows;
  static constexpr int kG = kN / kS;  // lanes per row
  static constexpr int kRPW = 32 / kG;  // lane positions per warp; a warp holds kRPW * kR rows
  static constexpr int kWarps = Cfg::kWarps;
  static constexpr int kT = Cfg::kTile;
  static constexpr int kOwn = kT / kG;  // row-steps a lane computes per tile and row
  static constexpr int kPoly = Cfg::kPoly;
  static constexpr int kChunk = Cfg::kChunk;
  static constexpr bool kRowForm = decay_per_row<L>::value;
  static constexpr int kRedWords = int(L::kRed * sizeof(Red) / 4);
  static constexpr int kNItems = kT * kN;  // NStep values per tile
  // Shared-memory layout of one tile's NStep values: [kT][kG groups of kS], each group padded
  // by 16 bytes so that the groups a warp reads at once fall in different banks.
  static constexpr int kGroupBytes = int(kS * sizeof(typename L::NStep)) + (kG > 1 ? 16 : 0);
  static constexpr int kTileRowBytes = kG * kGroupBytes;
  static constexpr int kBufBytes = kT * kTileRowBytes;

  // ---- launch traits (CONTRACT.md "Launch rules") ----
  static constexpr int kBlock = 32 * kWarps;
  static constexpr int kRowsPerBlock = kRPW * kR * kWarps;
  static constexpr long long kRowBlocks = ceil_div(L::kRows, kRowsPerBlock);  // grid units
  static constexpr int kSmemDynamic = 0;  // static shared memory only
  static constexpr int kSmemStatic = 2 * kBufBytes;
  // chunked variant: workspace per (batch item, chunk): (decay product, local state) per state
  static constexpr long long kWorkspacePerChunk = L::kRows * kN * 2 * (long long)sizeof(S);

  static_assert(kN % kS == 0, "States must divide N");
  static_assert(is_pow2(kG) && kG <= 32, "N / States must be a power of two <= 32");
  static_assert(kT % kG == 0, "Tile must be a multiple of N / States");
  static_assert(kR >= 1, "Rows >= 1");
  static_assert(sizeof(Red) % 4 == 0 && sizeof(typename L::NStep) % 4 == 0 &&
                    sizeof(typename L::RowStep) % 4 == 0,
                "Red, NStep and RowStep are structs of 32-bit words");
  static_assert(kPoly == 0 || (is_same<S, float>::value && has_decay_log2<L>::value),
                "Poly needs real states and decay_log2");
  static_assert(kPoly <= kS, "Poly <= States");
  static_assert(!kRowForm || (is_same<S, float>::value && is_same<Red, float>::value),
                "kDecayPerRow needs real states and reductions");
};

template <class L, class Cfg>
struct DiagStepTraits {
  static constexpr int kN = L::kN;
  static constexpr int kS = Cfg::kStates;
  static constexpr int kG = kN / kS;
  static constexpr int kBlock = 32 * Cfg::kWarps;
  static constexpr long long kUnits = L::kRows * kG;  // threads per batch item
  static_assert(kN % kS == 0 && is_pow2(kG) && kG <= 32, "States must split N into 2^k lanes");
};

// State buffers are 16-byte aligned (CONTRACT.md) and a lane's states are consecutive: move
// them 16 bytes at a time (explicit vector accesses: the compiler cannot prove the alignment).
__device__ __forceinline__ void ld_f32x4(const float* p, float& a, float& b, float& c, float& d) {
  asm volatile("ld.global.v4.f32 {%0, %1, %2, %3}, [%4];"
               : "=f"(a), "=f"(b), "=f"(c), "=f"(d) : "l"(p));
}
__device__ __forceinline__ void st_f32x4(float* p, float a, float b, float c, float d) {
  asm volatile("st.global.v4.f32 [%0], {%1, %2, %3, %4};" ::"l"(p), "f"(a), "f"(b), "f"(c), "f"(d)
               : "memory");
}
template <int K, class S>
__device__ __forceinline__ void load_states(const S* p, S (&h)[K]) {
  constexpr int kWords = int(K * sizeof(S) / 4);
  const float* f = reinterpret_cast<const float*>(p);
  float* o = reinterpret_cast<float*>(h);
  if constexpr (kWords % 4 == 0) {
#pragma unroll
    for (int q = 0; q < kWords; q += 4) ld_f32x4(f + q, o[q], o[q + 1], o[q + 2], o[q + 3]);
  } else {
#pragma unroll
    for (int q = 0; q < kWords; ++q) o[q] = f[q];
  }
}
template <int K, class S>
__device__ __forceinline__ void store_states(S* p, const S (&h)[K]) {
  constexpr int kWords = int(K * sizeof(S) / 4);
  float* f = reinterpret_cast<float*>(p);
  const float* o = reinterpret_cast<const float*>(h);
  if constexpr (kWords % 4 == 0) {
#pragma unroll
    for (int q = 0; q < kWords; q += 4) st_f32x4(f + q, o[q], o[q + 1], o[q + 2], o[q + 3]);
  } else {
#pragma unroll
    for (int q = 0; q < kWords; ++q) f[q] = o[q];
  }
}

// Programmatic dependent launch (sm_90): no-ops unless the runtime launches with the
// programmatic-stream-serialization attribute (CONTRACT.md).
__device__ __forceinline__ void grid_dependency_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}
__device__ __forceinline__ void grid_launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}

namespace detail {

enum Mode { kModeForward = 0, kModeSummary = 1, kModeChunkForward = 2 };

struct alignas(16) u32x4 {
  unsigned x, y, z, w;
};

// Lane `g` holds v[tt] (its partial sums over its states) for every step tt of a tile. Sum over
// the kG lanes of the row, leaving lane g the complete sums of steps tt = g + kG * k in
// v[kG * k]. One shuffle per surviving pair per round: kT * (1 - 1/kG) shuffles per word.
template <int kG, int kRPW, int kT, int kW>
__device__ __forceinline__ void transpose_reduce(float (&v)[kT][kW], int g) {
#pragma unroll
  for (int m = 1; m < kG; m <<= 1) {
    const bool hi = (g & m) != 0;
#pragma unroll
    for (int j = 0; j < kT; j += 2 * m) {
#pragma unroll
      for (int w = 0; w < kW; ++w) {
        float lo_v = v[j][w], hi_v = v[j + m][w];
        float keep = hi ? hi_v : lo_v;
        float send = hi ? lo_v : hi_v;
        v[j][w] = keep + __shfl_xor_sync(0xffffffffu, send, m * kRPW);
      }
    }
  }
}

template <class L, class Cfg, int kMode>
struct Walker {
  using T = DiagLane<L, Cfg>;
  using S = typename L::S;
  using Red = typename L::Red;
  using RowConst = typename L::RowConst;
  using ElemConst = typename L::ElemConst;
  using RowIn = typename L::RowIn;
  using RowStep = typename L::RowStep;
  using NIn = typename L::NIn;
  using NStep = typename L::NStep;
  static constexpr int kS = T::kS, kG = T::kG, kRPW = T::kRPW, kT = T::kT, kOwn = T::kOwn;
  static constexpr int kR = T::kR;
  static constexpr int kN = T::kN;
  static constexpr int kW = T::kRedWords;
  static constexpr int kRW = kR * kW;  // reduction words per step and lane
  static constexpr bool kOut = kMode != kModeSummary;
  static constexpr int kNPer = int(ceil_div(T::kNItems, T::kBlock));  // NStep loads per thread
  static constexpr bool kVecN = (kS * sizeof(NStep)) % 16 == 0;
  // Every lane has all its rows: no per-store guard in the loop.
  static constexpr bool kAllActive = L::kRows % T::kRowsPerBlock == 0;
  // Two accumulators per reduction halve the dependent chain of contrib FMAs per step.
  static constexpr int kAcc = kS >= 8 ? 2 : 1;
  // Gather every step's row values at the tile start (hides shuffle latency) when one row per
  // lane leaves the registers for it; with several rows, per step.
  static constexpr bool kGatherTile = kR == 1;
  // With several rows per lane, sum each step over the kG lanes right away (butterfly) and keep
  // only the owned steps' sums, instead of holding kT * kR partial sums for the transposed
  // reduction: fewer registers, a few more shuffles.
  static constexpr bool kButterfly = kR > 1 && (kT * kR * kW > 32);
  static constexpr int kVT = kButterfly ? kOwn : kT;  // rows of the partial-sum array

  const ssm_launch_args& a;
  int b;
  int g, r;
  int row[kR];
  bool active[kR];
  RowConst rc[kR];
  ElemConst ec[kR][kS];
  S h[kR][kS];
  S P[kR][kS];    // summary: product of the decays so far (generic form)
  float Prow[kR];  // summary: same, per row (row-decay form)
  unsigned char* sm;  // [2][kT][kG groups]

  __device__ __forceinline__ Walker(const ssm_launch_args& a_, int b_, int rb, unsigned char* sm_)
      : a(a_), b(b_), sm(sm_) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    g = lane / kRPW;
    r = lane % kRPW;
    const int base = rb * T::kRowsPerBlock + warp * kRPW * kR + r;
#pragma unroll
    for (int j = 0; j < kR; ++j) {
      const int row_raw = base + j * kRPW;
      active[j] = row_raw < L::kRows;
      // inactive rows compute on a valid row and store nothing
      row[j] = active[j] ? row_raw : int(L::kRows - 1);
      L::row_const(a, row[j], rc[j]);
#pragma unroll
      for (int s = 0; s < kS; ++s) L::elem_const(a, row[j], g * kS + s, rc[j], ec[j][s]);
#pragma unroll
      for (int s = 0; s < kS; ++s) {
        h[j][s] = state_zero<S>();
        P[j][s] = state_one<S>();
      }
      Prow[j] = 1.0f;
    }
  }

  __device__ __forceinline__ long long state_index(int j) const {
    return ((long long)b * L::kRows + row[j]) * kN + g * kS;
  }

  // Loads of one tile's inputs (raw storage values; converted when used). kClamp (only near the
  // end of the range) keeps every index at a step that exists; values loaded for steps past the
  // end are never used.
  template <bool kClamp>
  __device__ __forceinline__ void load_rows(int t0, int t_last, RowIn (&ri)[kOwn][kR]) {
#pragma unroll
    for (int k = 0; k < kOwn; ++k) {
      int t = t0 + g + kG * k;
      if (kClamp) t = t < t_last ? t : t_last;
#pragma unroll
      for (int j = 0; j < kR; ++j) L::row_load(a, b, t, row[j], ri[k][j]);
    }
  }

  template <bool kClamp>
  __device__ __forceinline__ void load_n(int t0, int t_last, NIn (&nr)[kNPer]) {
#pragma unroll
    for (int i = 0; i < kNPer; ++i) {
      int item = i * T::kBlock + threadIdx.x;
      if (kNPer * T::kBlock == T::kNItems || item < T::kNItems) {
        int t = t0 + item / kN;
        if (kClamp) t = t < t_last ? t : t_last;
        L::n_load(a, b, t, item % kN, nr[i]);
      }
    }
  }

  __device__ __forceinline__ void load_tile(int t0, int t_end, RowIn (&ri)[kOwn][kR],
                                            NIn (&nr)[kNPer]) {
    if (t0 + kT <= t_end) {
      load_rows<false>(t0, t_end - 1, ri);
      load_n<false>(t0, t_end - 1, nr);
    } else {
      load_rows<true>(t0, t_end - 1, ri);
      load_n<true>(t0, t_end - 1, nr);
    }
  }

  __device__ __forceinline__ void store_n(int buf, const NIn (&nr)[kNPer]) {
#pragma unroll
    for (int i = 0; i < kNPer; ++i) {
      int item = i * T::kBlock + threadIdx.x;
      if (kNPer * T::kBlock == T::kNItems || item < T::kNItems) {
        NStep ns;
        L::n_step(nr[i], ns);
        const int tt = item / kN, n = item % kN;
        *reinterpret_cast<NStep*>(sm + buf * T::kBufBytes + tt * T::kTileRowBytes +
                                  (n / kS) * T::kGroupBytes + (n % kS) * int(sizeof(NStep))) = ns;
      }
    }
  }

  __device__ __forceinline__ void read_n(int buf, int tt, NStep (&ns)[kS]) const {
    const unsigned char* src = sm + buf * T::kBufBytes + tt * T::kTileRowBytes + g * T::kGroupBytes;
    if (kVecN) {
      const u32x4* v = reinterpret_cast<const u32x4*>(src);
      u32x4* d = reinterpret_cast<u32x4*>(ns);
#pragma unroll
      for (int q = 0; q < int(kS * sizeof(NStep) / 16); ++q) d[q] = v[q];
    } else {
      const NStep* p = reinterpret_cast<const NStep*>(src);
#pragma unroll
      for (int s = 0; s < kS; ++s) ns[s] = p[s];
    }
  }

  __device__ __forceinline__ S decay_of(int j, int s, const RowStep& rs, const NStep& ns) const {
    if constexpr (has_decay_log2<L>::value) {
      float x = L::decay_log2(rc[j], ec[j][s], rs, ns);
      return s >= kS - T::kPoly ? ex2_poly(x) : ex2_fast(x);
    } else {
      return L::decay(rc[j], ec[j][s], rs, ns);
    }
  }

  // The row values of step tt for row j: from the lane that computed them.
  __device__ __forceinline__ RowStep row_values(const RowStep (&rs)[kOwn][kR], int tt, int j) const {
    if constexpr (kG == 1) return rs[tt][j];
    else return shfl(rs[tt / kG][j], (tt % kG) * kRPW + r);
  }

  // Record step tt's partial sums of row j (words w[0..kW)): all of them for the transposed
  // reduction, or the full sums of the owned steps after a butterfly.
  __device__ __forceinline__ void keep(float (&v)[kVT][kRW], int tt, int j, float (&w)[kW]) const {
    if constexpr (kButterfly) {
#pragma unroll
      for (int m = 1; m < kG; m <<= 1)
#pragma unroll
        for (int q = 0; q < kW; ++q) w[q] += __shfl_xor_sync(0xffffffffu, w[q], m * kRPW);
      if (g == tt % kG) {
#pragma unroll
        for (int q = 0; q < kW; ++q) v[tt / kG][j * kW + q] = w[q];
      }
    } else {
#pragma unroll
      for (int q = 0; q < kW; ++q) v[tt][j * kW + q] = w[q];
    }
  }

  // Outputs of the steps this lane owns, from the per-step partial sums of every lane.
  template <bool kFull>
  __device__ __forceinline__ void outputs(int t0, int nvalid, float (&v)[kVT][kRW],
                                          const RowIn (&ri)[kOwn][kR],
                                          const RowStep (&rs)[kOwn][kR]) {
    if constexpr (!kButterfly) transpose_reduce<kG, kRPW, kT, kRW>(v, g);
#pragma unroll
    for (int k = 0; k < kOwn; ++k) {
      const int tt = g + kG * k;
#pragma unroll
      for (int j = 0; j < kR; ++j) {
        if ((kAllActive || active[j]) && (kFull || tt < nvalid)) {
          Red red[L::kRed];
          float* rw = reinterpret_cast<float*>(red);
#pragma unroll
          for (int w = 0; w < kW; ++w) rw[w] = v[kButterfly ? k : kG * k][j * kW + w];
          L::row_out(a, b, t0 + tt, row[j], rc[j], ri[k][j], rs[k][j], red);
        }
      }
    }
  }

  // Generic form: h = decay * h + input per element.
  template <bool kFull>
  __device__ __forceinline__ void steps_generic(int nvalid, int buf, const RowStep (&rs)[kOwn][kR],
                                                const RowStep (&rsa)[kGatherTile ? kT : 1][kR],
                                                float (&v)[kVT][kRW]) {
#pragma unroll
    for (int tt = 0; tt < kT; ++tt) {
      NStep ns[kS];
      read_n(buf, tt, ns);
#pragma unroll
      for (int j = 0; j < kR; ++j) {
        RowStep rst;
        if constexpr (kGatherTile) rst = rsa[tt][j];
        else rst = row_values(rs, tt, j);
        Red red[kAcc][L::kRed];
#pragma unroll
        for (int q = 0; q < kAcc; ++q)
#pragma unroll
          for (int k = 0; k < L::kRed; ++k) red[q][k] = Red{};
        if (kFull || tt < nvalid) {
#pragma unroll
          for (int s = 0; s < kS; ++s) {
            S d;
            if constexpr (T::kRowForm) d = L::row_decay(rc[j], rst);
            else d = decay_of(j, s, rst, ns[s]);
            h[j][s] = state_fma(d, h[j][s], L::input(rc[j], ec[j][s], rst, ns[s]));
            if (kMode == kModeSummary) {
              if constexpr (T::kRowForm) { if (s == 0) Prow[j] *= d; }
              else P[j][s] = P[j][s] * d;
            }
            if (kOut) L::contrib(rc[j], ec[j][s], rst, ns[s], h[j][s], red[s % kAcc]);
          }
        }
        if (kOut) {
#pragma unroll
          for (int q = 1; q < kAcc; ++q)
#pragma unroll
            for (int k = 0; k < L::kRed; ++k) red[0][k] += red[q][k];
          float w[kW];
          const float* rw = reinterpret_cast<const float*>(red[0]);
#pragma unroll
          for (int q = 0; q < kW; ++q) w[q] = rw[q];
          keep(v, tt, j, w);
        }
      }
    }
  }

  // Row-decay form (kDecayPerRow): with A_t the product of the tile's decays up to step t,
  // h_t = A_t g_t and g_t = g_{t-1} + (input_row_t / A_t) * input_n: two FMAs per element
  // (g update, C * g) instead of three, and sum_n C h = A_t sum_n C g. g starts as h at each
  // tile, so A stays within the tile; the caller takes this path only when every A_t of the
  // tile is above 2^-30 (u stays finite and accurate), else the generic form.
  template <bool kFull>
  __device__ __forceinline__ void steps_rowform(int nvalid, int buf, const RowStep (&rs)[kOwn][kR],
                                                const RowStep (&rsa)[kGatherTile ? kT : 1][kR],
                                                float (&A)[kR], float (&v)[kVT][kRW]) {
#pragma unroll
    for (int tt = 0; tt < kT; ++tt) {
      NStep ns[kS];
      read_n(buf, tt, ns);
#pragma unroll
      for (int j = 0; j < kR; ++j) {
        RowStep rst;
        if constexpr (kGatherTile) rst = rsa[tt][j];
        else rst = row_values(rs, tt, j);
        float red[kAcc][L::kRed];
#pragma unroll
        for (int q = 0; q < kAcc; ++q)
#pragma unroll
          for (int k = 0; k < L::kRed; ++k) red[q][k] = 0.0f;
        if (kFull || tt < nvalid) {
          A[j] *= L::row_decay(rc[j], rst);
          const float u = L::input_row(rc[j], rst) * rcp_fast(A[j]);
#pragma unroll
          for (int s = 0; s < kS; ++s) {
            h[j][s] = fmaf(u, L::input_n(ec[j][s], ns[s]), h[j][s]);
            if (kOut) L::contrib(rc[j], ec[j][s], rst, ns[s], h[j][s], red[s % kAcc]);
          }
        }
        if (kOut) {
          float w[kW];
#pragma unroll
          for (int k = 0; k < L::kRed; ++k) {
            float acc = red[0][k];
#pragma unroll
            for (int q = 1; q < kAcc; ++q) acc += red[q][k];
            w[k] = acc * A[j];
          }
          keep(v, tt, j, w);
        }
      }
    }
  }

  // One tile of kT steps starting at t0; steps tt >= nvalid (partial last tile) change nothing.
  template <bool kFull>
  __device__ __forceinline__ void tile(int t0, int nvalid, int buf, const RowIn (&ri)[kOwn][kR]) {
    RowStep rs[kOwn][kR];
#pragma unroll
    for (int k = 0; k < kOwn; ++k)
#pragma unroll
      for (int j = 0; j < kR; ++j) L::row_step(rc[j], ri[k][j], rs[k][j]);
    RowStep rsa[kGatherTile ? kT : 1][kR];
    if constexpr (kGatherTile) {
#pragma unroll
      for (int tt = 0; tt < kT; ++tt)
#pragma unroll
        for (int j = 0; j < kR; ++j) rsa[tt][j] = row_values(rs, tt, j);
    }
    float v[kVT][kRW];
    if constexpr (T::kRowForm) {
      // Bounds of every prefix product of the tile's decays: the products of min(d, 1) and of
      // max(d, 1) over the tile, each lane over the steps it owns, then across the kG lanes.
      float A[kR], lo = 1.0f, hi = 1.0f;
#pragma unroll
      for (int j = 0; j < kR; ++j) {
        float pl = 1.0f, ph = 1.0f;
#pragma unroll
        for (int k = 0; k < kOwn; ++k)
          if (kFull || g + kG * k < nvalid) {
            const float d = L::row_decay(rc[j], rs[k][j]);
            pl *= fminf(d, 1.0f);
            ph *= fmaxf(d, 1.0f);
          }
#pragma unroll
        for (int m = 1; m < kG; m <<= 1) {
          pl *= __shfl_xor_sync(0xffffffffu, pl, m * kRPW);
          ph *= __shfl_xor_sync(0xffffffffu, ph, m * kRPW);
        }
        lo = fminf(lo, pl);
        hi = fmaxf(hi, ph);
      }
      // the choice is made per warp, so that the shuffles inside either form stay convergent
      if (__all_sync(0xffffffffu, lo >= 9.3132257e-10f && hi <= 1.07374182e9f)) {  // 2^-30, 2^30
#pragma unroll
        for (int j = 0; j < kR; ++j) A[j] = 1.0f;
        steps_rowform<kFull>(nvalid, buf, rs, rsa, A, v);
#pragma unroll
        for (int j = 0; j < kR; ++j) {
#pragma unroll
          for (int s = 0; s < kS; ++s) h[j][s] *= A[j];
          if (kMode == kModeSummary) Prow[j] *= A[j];
        }
      } else {
        steps_generic<kFull>(nvalid, buf, rs, rsa, v);
      }
    } else {
      steps_generic<kFull>(nvalid, buf, rs, rsa, v);
    }
    if (kOut) outputs<kFull>(t0, nvalid, v, ri, rs);
  }

  // Walk steps [t_begin, t_end) from the state in h[].
  __device__ __forceinline__ void walk(int t_begin, int t_end) {
    if (t_end <= t_begin) return;
    const int ntiles = int(ceil_div(t_end - t_begin, kT));
    RowIn ri[kOwn][kR], rin[kOwn][kR];
    NIn nr[kNPer];
    load_tile(t_begin, t_end, ri, nr);
    store_n(0, nr);
    __syncthreads();
    for (int it = 0; it < ntiles; ++it) {
      const int t0 = t_begin + it * kT;
      const bool has_next = it + 1 < ntiles;
      if (has_next) load_tile(t0 + kT, t_end, rin, nr);
      const int buf = int(it & 1);
      const int nvalid = has_next ? kT : int(t_end - t0);
      if (nvalid == kT) tile<true>(t0, kT, buf, ri);
      else tile<false>(t0, nvalid, buf, ri);
      if (has_next) {
        store_n(buf ^ 1, nr);
#pragma unroll
        for (int k = 0; k < kOwn; ++k)
#pragma unroll
          for (int j = 0; j < kR; ++j) ri[k][j] = rin[k][j];
      }
      __syncthreads();
    }
  }

  __device__ __forceinline__ void load_h0() {
    if (a.flags & SSM_FLAG_HAS_H0) {
#pragma unroll
      for (int j = 0; j < kR; ++j)
        load_states<kS>(static_cast<const S*>(a.h0[0]) + state_index(j), h[j]);
    }
  }
  __device__ __forceinline__ void store_hT() {
    if (a.flags & SSM_FLAG_WRITE_HT) {
#pragma unroll
      for (int j = 0; j < kR; ++j)
        if (active[j]) store_states<kS>(static_cast<S*>(a.hT[0]) + state_index(j), h[j]);
    }
  }
  // Workspace of the chunked variant: (decay product, local final state) per state.
  __device__ __forceinline__ S* ws_pair(int nchunks, int c, int j, int s) const {
    S* ws = static_cast<S*>(a.workspace);
    return ws + (((((long long)b * nchunks + c) * L::kRows + row[j]) * kN + g * kS + s) * 2);
  }
};

template <class L, class Cfg>
__device__ __forceinline__ unsigned char* nstep_smem() {
  using T = DiagLane<L, Cfg>;
  __shared__ alignas(16) unsigned char raw[T::kSmemStatic];
  return raw;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Entry points. Each is called by one `extern "C" __global__` wrapper of the generated source,
// launched with block DiagLane<L, Cfg>::kBlock and the grid that CONTRACT.md gives.

// Prefill over the whole sequence: grid.x = kRowBlocks * batch.
template <class L, class Cfg>
__device__ __forceinline__ void diag_lane_forward(const ssm_launch_args& a) {
  using T = DiagLane<L, Cfg>;
  const int rb = int(blockIdx.x % T::kRowBlocks);
  const int b = int(blockIdx.x / T::kRowBlocks);
  grid_dependency_wait();
  detail::Walker<L, Cfg, detail::kModeForward> w(a, b, rb, detail::nstep_smem<L, Cfg>());
  w.load_h0();
  w.walk(0, int(a.seqlen));
  w.store_hT();
}

// Chunked prefill, launch 1 of 2: the local final state and decay product of every chunk but the
// last, from a zero state, into the workspace. grid.x = kRowBlocks * batch * ceil(seqlen/kChunk).
template <class L, class Cfg>
__device__ __forceinline__ void diag_chunk_summary(const ssm_launch_args& a) {
  using T = DiagLane<L, Cfg>;
  static_assert(T::kChunk > 0 && T::kChunk % T::kT == 0, "Chunk must be a multiple of Tile");
  const int nch = int(ceil_div(a.seqlen, T::kChunk));
  const int rb = int(blockIdx.x % T::kRowBlocks);
  const int bc = int(blockIdx.x / T::kRowBlocks);
  const int c = bc % nch, b = bc / nch;
  if (c == nch - 1) return;  // nobody reads the last chunk's summary
  grid_dependency_wait();
  detail::Walker<L, Cfg, detail::kModeSummary> w(a, b, rb, detail::nstep_smem<L, Cfg>());
  w.walk(c * T::kChunk, c * T::kChunk + T::kChunk);
#pragma unroll
  for (int j = 0; j < T::kR; ++j) {
    if (!w.active[j]) continue;
#pragma unroll
    for (int s = 0; s < T::kS; ++s) {
      typename L::S* p = w.ws_pair(nch, c, j, s);
      if constexpr (T::kRowForm) p[0] = w.Prow[j];
      else p[0] = w.P[j][s];
      p[1] = w.h[j][s];
    }
  }
}

// Chunked prefill, launch 2 of 2: each chunk folds the summaries of the chunks before it into
// its initial state (from h0 when given), then runs its steps with outputs. Same grid.
template <class L, class Cfg>
__device__ __forceinline__ void diag_chunk_forward(const ssm_launch_args& a) {
  using T = DiagLane<L, Cfg>;
  const int nch = int(ceil_div(a.seqlen, T::kChunk));
  const int rb = int(blockIdx.x % T::kRowBlocks);
  const int bc = int(blockIdx.x / T::kRowBlocks);
  const int c = bc % nch, b = bc / nch;
  grid_dependency_wait();
  detail::Walker<L, Cfg, detail::kModeChunkForward> w(a, b, rb, detail::nstep_smem<L, Cfg>());
  w.load_h0();
  for (int cc = 0; cc < c; ++cc) {
#pragma unroll
    for (int j = 0; j < T::kR; ++j)
#pragma unroll
      for (int s = 0; s < T::kS; ++s) {
        const typename L::S* p = w.ws_pair(nch, cc, j, s);
        w.h[j][s] = state_fma(p[0], w.h[j][s], p[1]);
      }
  }
  const int seqlen = int(a.seqlen);
  const int t_end = (c + 1) * T::kChunk < seqlen ? (c + 1) * T::kChunk : seqlen;
  w.walk(c * T::kChunk, t_end);
  if (c == nch - 1) w.store_hT();
}

// One decode step, state updated in place (h0[0] may equal hT[0]): one thread per kStates states
// of one (batch item, row); the kG threads of a row are adjacent lanes.
// grid.x = ceil(batch * kRows * kG / kBlock).
template <int States, int Warps>
struct StepCfg {
  static constexpr int kStates = States;
  static constexpr int kWarps = Warps;
};

template <class L, class Cfg>
__device__ __forceinline__ void diag_step(const ssm_launch_args& a) {
  using T = DiagStepTraits<L, Cfg>;
  using S = typename L::S;
  using Red = typename L::Red;
  constexpr int kS = T::kS, kG = T::kG, kN = L::kN;
  // Programmatic dependent launch: let the next kernel start its prologue now; it waits for
  // this grid's completion before reading what this grid writes.
  grid_launch_dependents();
  const long long total = a.batch * T::kUnits;
  long long idx = (long long)blockIdx.x * T::kBlock + threadIdx.x;
  const bool active = idx < total;
  if (!active) idx = total - 1;
  const int g = int(idx % kG);
  const long long rr = idx / kG;
  const int row = int(rr % L::kRows), b = int(rr / L::kRows);

  // With programmatic dependent launch the previous kernel's writes (a user's kernel updating
  // the params included) are only guaranteed visible after the wait, so loads come after it;
  // params too, unless the runtime says nothing before this kernel writes them
  // (SSM_FLAG_PARAMS_FIXED): then their round trip overlaps the previous kernel's end.
  typename L::RowConst rc;
  typename L::ElemConst ec[kS];
  auto load_params = [&]() {
    L::row_const(a, row, rc);
#pragma unroll
    for (int s = 0; s < kS; ++s) L::elem_const(a, row, g * kS + s, rc, ec[s]);
  };
  const bool early = (a.flags & SSM_FLAG_PARAMS_FIXED) != 0;
  if (early) load_params();
  grid_dependency_wait();
  if (!early) load_params();

  typename L::NIn ni[kS];
#pragma unroll
  for (int s = 0; s < kS; ++s) L::n_load(a, b, 0, g * kS + s, ni[s]);
  typename L::RowIn ri;
  L::row_load(a, b, 0, row, ri);
  const long long base = ((long long)b * L::kRows + row) * kN + g * kS;
  S h[kS];
  if (a.flags & SSM_FLAG_HAS_H0) load_states<kS>(static_cast<const S*>(a.h0[0]) + base, h);
  else {
#pragma unroll
    for (int s = 0; s < kS; ++s) h[s] = state_zero<S>();
  }
  typename L::RowStep rs;
  L::row_step(rc, ri, rs);
  Red red[L::kRed];
#pragma unroll
  for (int k = 0; k < L::kRed; ++k) red[k] = Red{};
#pragma unroll
  for (int s = 0; s < kS; ++s) {
    typename L::NStep ns;
    L::n_step(ni[s], ns);
    S d;
    if constexpr (has_decay_log2<L>::value) d = ex2_fast(L::decay_log2(rc, ec[s], rs, ns));
    else d = L::decay(rc, ec[s], rs, ns);
    h[s] = state_fma(d, h[s], L::input(rc, ec[s], rs, ns));
    L::contrib(rc, ec[s], rs, ns, h[s], red);
  }
#pragma unroll
  for (int m = 1; m < kG; m <<= 1) {
#pragma unroll
    for (int k = 0; k < L::kRed; ++k) red[k] += shfl_xor(red[k], m);
  }
  if (active && g == 0) L::row_out(a, b, 0, row, rc, ri, rs, red);
  if (active && (a.flags & SSM_FLAG_WRITE_HT))
    store_states<kS>(static_cast<S*>(a.hT[0]) + base, h);
}

}  // namespace ssm

#endif  // SSM_DIAG_CUH
