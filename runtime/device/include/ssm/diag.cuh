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
//   * the next tile's global loads are issued before this tile's arithmetic.
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
template <int States, int Tile, int Warps, int Poly = 0, int Chunk = 0>
struct LaneCfg {
  static constexpr int kStates = States;
  static constexpr int kTile = Tile;
  static constexpr int kWarps = Warps;
  static constexpr int kPoly = Poly;
  static constexpr int kChunk = Chunk;
};

template <class L, class Cfg>
struct DiagLane {
  using S = typename L::S;
  using Red = typename L::Red;
  static constexpr int kN = L::kN;
  static constexpr int kS = Cfg::kStates;
  static constexpr int kG = kN / kS;  // lanes per row
  static constexpr int kRPW = 32 / kG;  // rows per warp
  static constexpr int kWarps = Cfg::kWarps;
  static constexpr int kT = Cfg::kTile;
  static constexpr int kOwn = kT / kG;  // row-steps a lane computes per tile
  static constexpr int kPoly = Cfg::kPoly;
  static constexpr int kChunk = Cfg::kChunk;
  static constexpr bool kRowForm = decay_per_row<L>::value;
  static constexpr int kRedWords = int(L::kRed * sizeof(Red) / 4);
  static constexpr int kNStepWords = int(sizeof(typename L::NStep) / 4);
  static constexpr int kNItems = kT * kN;  // NStep values per tile

  // ---- launch traits (CONTRACT.md "Launch rules") ----
  static constexpr int kBlock = 32 * kWarps;
  static constexpr int kRowsPerBlock = kRPW * kWarps;
  static constexpr long long kRowBlocks = ceil_div(L::kRows, kRowsPerBlock);  // grid units
  static constexpr int kSmemDynamic = 0;  // static shared memory only
  static constexpr int kSmemStatic = int(2 * kNItems * sizeof(typename L::NStep));
  // chunked variant: workspace per (batch item, chunk): (decay product, local state) per state
  static constexpr long long kWorkspacePerChunk = L::kRows * kN * 2 * (long long)sizeof(S);

  static_assert(kN % kS == 0, "States must divide N");
  static_assert(is_pow2(kG) && kG <= 32, "N / States must be a power of two <= 32");
  static_assert(kT % kG == 0, "Tile must be a multiple of N / States");
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
  using NStep = typename L::NStep;
  static constexpr int kS = T::kS, kG = T::kG, kRPW = T::kRPW, kT = T::kT, kOwn = T::kOwn;
  static constexpr int kN = T::kN;
  static constexpr int kW = T::kRedWords;
  static constexpr bool kOut = kMode != kModeSummary;
  static constexpr int kNPer = int(ceil_div(T::kNItems, T::kBlock));  // NStep loads per thread
  static constexpr bool kVecN = (kS * sizeof(NStep)) % 16 == 0;
  // Every lane has a row: no per-store guard in the loop.
  static constexpr bool kAllActive = L::kRows % T::kRowsPerBlock == 0;

  const ssm_launch_args& a;
  int b, row;
  int g, r;
  bool active;
  RowConst rc;
  ElemConst ec[kS];
  S h[kS];
  S P[kS];      // summary: product of the decays so far (generic form)
  float Prow;   // summary: same, per row (row-decay form)
  NStep* sm;    // [2][kT][kN]

  __device__ __forceinline__ Walker(const ssm_launch_args& a_, int b_, int rb, NStep* sm_)
      : a(a_), b(b_), sm(sm_) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    g = lane / kRPW;
    r = lane % kRPW;
    const int row_raw = rb * T::kRowsPerBlock + warp * kRPW + r;
    active = row_raw < L::kRows;
    row = active ? row_raw : int(L::kRows - 1);  // inactive lanes compute on a valid row, store nothing
    L::row_const(a, row, rc);
#pragma unroll
    for (int s = 0; s < kS; ++s) L::elem_const(a, row, g * kS + s, rc, ec[s]);
#pragma unroll
    for (int s = 0; s < kS; ++s) {
      h[s] = state_zero<S>();
      P[s] = state_one<S>();
    }
    Prow = 1.0f;
  }

  __device__ __forceinline__ long long state_index(int s) const {
    return ((long long)b * L::kRows + row) * kN + g * kS + s;
  }

  // Loads of one tile's inputs. kClamp (only near the end of the range) keeps every index at a
  // step that exists; the values loaded for steps past the end are never used.
  template <bool kClamp>
  __device__ __forceinline__ void load_rows(int t0, int t_last, RowIn (&ri)[kOwn]) {
#pragma unroll
    for (int k = 0; k < kOwn; ++k) {
      int t = t0 + g + kG * k;
      if (kClamp) t = t < t_last ? t : t_last;
      L::row_load(a, b, t, row, ri[k]);
    }
  }

  template <bool kClamp>
  __device__ __forceinline__ void load_n(int t0, int t_last, NStep (&nr)[kNPer]) {
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

  __device__ __forceinline__ void load_tile(int t0, int t_end, RowIn (&ri)[kOwn],
                                            NStep (&nr)[kNPer]) {
    if (t0 + kT <= t_end) {
      load_rows<false>(t0, t_end - 1, ri);
      load_n<false>(t0, t_end - 1, nr);
    } else {
      load_rows<true>(t0, t_end - 1, ri);
      load_n<true>(t0, t_end - 1, nr);
    }
  }

  __device__ __forceinline__ void store_n(int buf, const NStep (&nr)[kNPer]) {
#pragma unroll
    for (int i = 0; i < kNPer; ++i) {
      int item = i * T::kBlock + threadIdx.x;
      if (kNPer * T::kBlock == T::kNItems || item < T::kNItems) sm[buf * T::kNItems + item] = nr[i];
    }
  }

  __device__ __forceinline__ void read_n(int buf, int tt, NStep (&ns)[kS]) const {
    const NStep* src = sm + buf * T::kNItems + tt * kN + g * kS;
    if (kVecN) {
      const u32x4* v = reinterpret_cast<const u32x4*>(src);
      u32x4* d = reinterpret_cast<u32x4*>(ns);
#pragma unroll
      for (int q = 0; q < int(kS * sizeof(NStep) / 16); ++q) d[q] = v[q];
    } else {
#pragma unroll
      for (int s = 0; s < kS; ++s) ns[s] = src[s];
    }
  }

  __device__ __forceinline__ S decay_of(int s, const RowStep& rs, const NStep& ns) const {
    if constexpr (has_decay_log2<L>::value) {
      float x = L::decay_log2(rc, ec[s], rs, ns);
      return s >= kS - T::kPoly ? ex2_poly(x) : ex2_fast(x);
    } else {
      return L::decay(rc, ec[s], rs, ns);
    }
  }

  // One tile of kT steps starting at t0; steps tt >= nvalid (partial last tile) change nothing.
  template <bool kFull>
  __device__ __forceinline__ void tile(int t0, int nvalid, int buf, const RowIn (&ri)[kOwn]) {
    RowStep rs[kOwn];
#pragma unroll
    for (int k = 0; k < kOwn; ++k) L::row_step(rc, ri[k], rs[k]);

    float v[kT][kW > 0 ? kW : 1];
    float A = 1.0f;  // row-decay form: h = A * g, g kept in h[]
#pragma unroll
    for (int tt = 0; tt < kT; ++tt) {
      RowStep rst;
      if constexpr (kG == 1) rst = rs[tt];
      else rst = shfl(rs[tt / kG], (tt % kG) * kRPW + r);
      NStep ns[kS];
      read_n(buf, tt, ns);
      Red red[L::kRed];
#pragma unroll
      for (int k = 0; k < L::kRed; ++k) red[k] = Red{};
      if (kFull || tt < nvalid) {
        if constexpr (T::kRowForm) {
          const float d = L::row_decay(rc, rst);
          const float An = A * d;
          if (An < 9.3132257e-10f) {  // 2^-30: fold the decay into the state, restart A
#pragma unroll
            for (int s = 0; s < kS; ++s) h[s] *= An;
            A = 1.0f;
          } else {
            A = An;
          }
          if (kMode == kModeSummary) Prow *= d;
          const float u = L::input_row(rc, rst) * rcp_fast(A);
#pragma unroll
          for (int s = 0; s < kS; ++s) {
            h[s] = fmaf(u, L::input_n(ec[s], ns[s]), h[s]);
            if (kOut) L::contrib(rc, ec[s], rst, ns[s], h[s], red);
          }
          if (kOut) {
#pragma unroll
            for (int k = 0; k < L::kRed; ++k) red[k] *= A;
          }
        } else {
#pragma unroll
          for (int s = 0; s < kS; ++s) {
            const S d = decay_of(s, rst, ns[s]);
            h[s] = state_fma(d, h[s], L::input(rc, ec[s], rst, ns[s]));
            if (kMode == kModeSummary) P[s] = P[s] * d;
            if (kOut) L::contrib(rc, ec[s], rst, ns[s], h[s], red);
          }
        }
      }
      if (kOut) {
        const float* rw = reinterpret_cast<const float*>(red);
#pragma unroll
        for (int w = 0; w < kW; ++w) v[tt][w] = rw[w];
      }
    }
    if constexpr (T::kRowForm) {
#pragma unroll
      for (int s = 0; s < kS; ++s) h[s] *= A;
    }
    if (kOut) {
      transpose_reduce<kG, kRPW, kT, kW>(v, g);
#pragma unroll
      for (int k = 0; k < kOwn; ++k) {
        const int tt = g + kG * k;
        if ((kAllActive || active) && (kFull || tt < nvalid)) {
          Red red[L::kRed];
          float* rw = reinterpret_cast<float*>(red);
#pragma unroll
          for (int w = 0; w < kW; ++w) rw[w] = v[kG * k][w];
          L::row_out(a, b, t0 + tt, row, rc, ri[k], rs[k], red);
        }
      }
    }
  }

  // Walk steps [t_begin, t_end) from the state in h[].
  __device__ __forceinline__ void walk(int t_begin, int t_end) {
    if (t_end <= t_begin) return;
    const int ntiles = int(ceil_div(t_end - t_begin, kT));
    RowIn ri[kOwn], rin[kOwn];
    NStep nr[kNPer];
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
        for (int k = 0; k < kOwn; ++k) ri[k] = rin[k];
      }
      __syncthreads();
    }
  }

  __device__ __forceinline__ void load_h0() {
    if (a.flags & SSM_FLAG_HAS_H0) {
      const S* h0 = static_cast<const S*>(a.h0[0]);
#pragma unroll
      for (int s = 0; s < kS; ++s) h[s] = h0[state_index(s)];
    }
  }
  __device__ __forceinline__ void store_hT() {
    if ((a.flags & SSM_FLAG_WRITE_HT) && active) {
      S* hT = static_cast<S*>(a.hT[0]);
#pragma unroll
      for (int s = 0; s < kS; ++s) hT[state_index(s)] = h[s];
    }
  }
  // Workspace of the chunked variant: (decay product, local final state) per state.
  __device__ __forceinline__ S* ws_pair(int nchunks, int c, int s) const {
    S* ws = static_cast<S*>(a.workspace);
    return ws + (((((long long)b * nchunks + c) * L::kRows + row) * kN + g * kS + s) * 2);
  }
};

template <class L, class Cfg>
__device__ __forceinline__ typename L::NStep* nstep_smem() {
  using T = DiagLane<L, Cfg>;
  __shared__ alignas(16) unsigned char raw[T::kSmemStatic];
  return reinterpret_cast<typename L::NStep*>(raw);
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
  detail::Walker<L, Cfg, detail::kModeSummary> w(a, b, rb, detail::nstep_smem<L, Cfg>());
  w.walk(c * T::kChunk, c * T::kChunk + T::kChunk);
  if (!w.active) return;
#pragma unroll
  for (int s = 0; s < T::kS; ++s) {
    typename L::S* p = w.ws_pair(nch, c, s);
    if constexpr (T::kRowForm) p[0] = w.Prow;
    else p[0] = w.P[s];
    p[1] = w.h[s];
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
  detail::Walker<L, Cfg, detail::kModeChunkForward> w(a, b, rb, detail::nstep_smem<L, Cfg>());
  w.load_h0();
  for (int cc = 0; cc < c; ++cc) {
#pragma unroll
    for (int s = 0; s < T::kS; ++s) {
      const typename L::S* p = w.ws_pair(nch, cc, s);
      w.h[s] = state_fma(p[0], w.h[s], p[1]);
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
  const long long total = a.batch * T::kUnits;
  long long idx = (long long)blockIdx.x * T::kBlock + threadIdx.x;
  const bool active = idx < total;
  if (!active) idx = total - 1;
  const int g = int(idx % kG);
  const long long rr = idx / kG;
  const int row = int(rr % L::kRows), b = int(rr / L::kRows);

  typename L::RowConst rc;
  L::row_const(a, row, rc);
  typename L::ElemConst ec[kS];
  typename L::NStep ns[kS];
#pragma unroll
  for (int s = 0; s < kS; ++s) {
    L::elem_const(a, row, g * kS + s, rc, ec[s]);
    L::n_load(a, b, 0, g * kS + s, ns[s]);
  }
  typename L::RowIn ri;
  L::row_load(a, b, 0, row, ri);
  const long long base = ((long long)b * L::kRows + row) * kN + g * kS;
  S h[kS];
#pragma unroll
  for (int s = 0; s < kS; ++s)
    h[s] = (a.flags & SSM_FLAG_HAS_H0) ? static_cast<const S*>(a.h0[0])[base + s] : state_zero<S>();
  typename L::RowStep rs;
  L::row_step(rc, ri, rs);
  Red red[L::kRed];
#pragma unroll
  for (int k = 0; k < L::kRed; ++k) red[k] = Red{};
#pragma unroll
  for (int s = 0; s < kS; ++s) {
    S d;
    if constexpr (has_decay_log2<L>::value) d = ex2_fast(L::decay_log2(rc, ec[s], rs, ns[s]));
    else d = L::decay(rc, ec[s], rs, ns[s]);
    h[s] = state_fma(d, h[s], L::input(rc, ec[s], rs, ns[s]));
    L::contrib(rc, ec[s], rs, ns[s], h[s], red);
  }
#pragma unroll
  for (int m = 1; m < kG; m <<= 1) {
#pragma unroll
    for (int k = 0; k < L::kRed; ++k) red[k] += shfl_xor(red[k], m);
  }
  if (active && g == 0) L::row_out(a, b, 0, row, rc, ri, rs, red);
  if (active && (a.flags & SSM_FLAG_WRITE_HT)) {
    S* hT = static_cast<S*>(a.hT[0]);
#pragma unroll
    for (int s = 0; s < kS; ++s) hT[base + s] = h[s];
  }
}

}  // namespace ssm

#endif  // SSM_DIAG_CUH
