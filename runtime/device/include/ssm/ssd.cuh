// ssm/ssd.cuh — the chunked matrix ("state-space dual") skeleton for scalar-decay layers
// (Mamba-2), on tensor cores.
//
// The recurrence h_t = d_t h_{t-1} + u_t B_t (one decay per head and step, input = input_row x
// input_n, output = sum_n C_t[n] h_t[n]) is computed per chunk of kQ = 64 steps as matrices
// (Dao & Gu 2024, "Transformers are SSMs", Sec. 6): with c_t the running sum of log2 d over the
// chunk,
//   y_t     = sum_{s <= t} (C_t . B_s) 2^(c_t - c_s) u_s  +  2^(c_t) C_t . h_prev     (outputs)
//   h_chunk = 2^(c_last) h_prev + sum_s B_s^T 2^(c_last - c_s) u_s                  (state)
// One block owns one (batch item, head, slice of kCols rows of the head, segment of the sequence)
// and walks the segment's chunks in order with the state (N x kCols, f32) in the mma accumulators
// of its warps: the sequential dependency is one chunk-sized matrix product per chunk. Warp w owns
// output steps [16w, 16w + 16) of the chunk: it computes its rows of G = C B^T (causal tiles only),
// masks and scales them in registers, and uses them directly as the A operand of G X (the
// accumulator layout of m16n8 equals the A fragment layout of m16k16), then adds its rows of
// C h_prev. The sums go through a shared-memory tile to the threads that staged the same
// (step, row), which call row_out with the row values they loaded then. The state update is
// split over the warps by n.
//
// Segments (Cfg::kSeg > 0 steps, a multiple of kQ) give batch-1 layers enough blocks: launch 1
// (`ssd_segment_summary`) computes C B^T of every chunk once per batch item (the heads of the one
// group share it; the blocks of a segment take its chunks in turn), then walks every segment but
// the last from a zero state without outputs and leaves its final state and total decay in the
// workspace; launch 2 (`ssd_segment_forward`) folds the summaries before its segment into the
// initial state, then walks it with outputs, reading C B^T instead of computing it.
//
// Shared memory holds the tensor-core operands in their product type: bf16 for bf16/f16 storage
// (fragments are 32-bit loads and ldmatrix.trans, no conversion in the product loops), f32 for f32
// storage (three tf32 products per product, hi*hi + hi*lo + lo*hi, about 2^-22 relative, since a
// plain tf32 or bf16 product would miss the 1e-5 check of f32 layers). Row strides are padded by
// 8 elements so that fragment loads are free of bank conflicts. The running sums c_t are f64, so
// 2^(c_t - c_s) is as accurate for steps late in a chunk as for early ones; the chunk decay, which
// multiplies the state once per chunk, uses ex2_acc (no sign preference: CONTRACT.md).
//
// What the layer struct must give (CONTRACT.md, "The SSD skeleton"): kDecayPerRow with
// row_decay > 0 (log2 is taken) the same for the kDecayRows consecutive rows of a head,
// input_n reading only NStep (called with a default ElemConst), and n_coef(NStep): contrib
// is n_coef * h (one reduction).
#ifndef SSM_SSD_CUH
#define SSM_SSD_CUH

#include "ssm/diag.cuh"

namespace ssm {

// Cols: rows of a head per block (8, 16 or 32). Precise: tf32x3 products and f32 operands
// (f32 storage) instead of bf16. Seg: steps per segment (a multiple of 64; 0: one segment).
template <int Cols, bool Precise, int Seg = 0>
struct SsdCfg {
  static constexpr int kCols = Cols;
  static constexpr bool kPrecise = Precise;
  static constexpr int kSeg = Seg;
};

namespace ssd {

template <bool B, class T, class F> struct cond { typedef T type; };
template <class T, class F> struct cond<false, T, F> { typedef F type; };

// Operand elements of one m16n8k16 product as each lane holds them (g = lane / 4, q = lane % 4):
// a[0..7] = A(g, 2q), A(g, 2q+1), A(g+8, 2q), A(g+8, 2q+1), A(g, 2q+8), A(g, 2q+9), A(g+8, 2q+8),
// A(g+8, 2q+9); b[0..3] = B(2q, g), B(2q+1, g), B(2q+8, g), B(2q+9, g); d[0..3] = D(g, 2q),
// D(g, 2q+1), D(g+8, 2q), D(g+8, 2q+1).
//
// Each product type also reads its operands from shared memory tiles of its element type E
// (row-major, `ld` elements per row):
//   a_rm(T, ld, m0, k0):  A(m, k) = T[m0 + m][k0 + k]
//   a_tr(T, ld, m0, k0):  A(m, k) = T[k0 + k][m0 + m]
//   b_nk(T, ld, n0, k0):  B(k, n) = T[n0 + n][k0 + k]
SSM_DEV unsigned smem_addr(const void* p) {
  unsigned long long s;
  asm("cvta.to.shared.u64 %0, %1;" : "=l"(s) : "l"(p));
  return static_cast<unsigned>(s);
}

struct Bf16Mma {
  typedef unsigned short E;
  struct A { unsigned r[4]; };
  struct B { unsigned r[2]; };
  SSM_DEV unsigned pack(float lo, float hi) {
    unsigned u;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(u) : "f"(hi), "f"(lo));
    return u;
  }
  SSM_DEV void store2(E* p, float lo, float hi) { *reinterpret_cast<unsigned*>(p) = pack(lo, hi); }
  SSM_DEV void store1(E* p, float x) { *p = float_to_bf16(x); }
  SSM_DEV float e2f(E x) { return bf16_to_float(x); }
  SSM_DEV float2 load2(const E* p) {  // two adjacent elements, one 32-bit load
    const unsigned u = *reinterpret_cast<const unsigned*>(p);
    return make_float2(bits_to_float(u << 16), bits_to_float(u & 0xffff0000u));
  }
  SSM_DEV A make_a(const float a[8]) {
    A x;
    x.r[0] = pack(a[0], a[1]);
    x.r[1] = pack(a[2], a[3]);
    x.r[2] = pack(a[4], a[5]);
    x.r[3] = pack(a[6], a[7]);
    return x;
  }
  SSM_DEV unsigned word(const E* t, int ld, int r, int c) {
    return *reinterpret_cast<const unsigned*>(t + r * ld + c);
  }
  SSM_DEV A a_rm(const E* t, int ld, int m0, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, q = lane & 3;
    A x;
    x.r[0] = word(t, ld, m0 + g, k0 + 2 * q);
    x.r[1] = word(t, ld, m0 + g + 8, k0 + 2 * q);
    x.r[2] = word(t, ld, m0 + g, k0 + 2 * q + 8);
    x.r[3] = word(t, ld, m0 + g + 8, k0 + 2 * q + 8);
    return x;
  }
  SSM_DEV A a_tr(const E* t, int ld, int m0, int k0) {
    // ldmatrix.trans: lanes 8i..8i+7 address the 8 rows of 8x8 matrix i (rows k, columns m);
    // matrix i covers k0 + 8 (i >> 1) and m0 + 8 (i & 1), the order of r[0..3] above.
    const int lane = threadIdx.x & 31, i = lane >> 3, r = lane & 7;
    const E* p = t + (k0 + 8 * (i >> 1) + r) * ld + m0 + 8 * (i & 1);
    const unsigned addr = smem_addr(p);
    A x;
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(x.r[0]), "=r"(x.r[1]), "=r"(x.r[2]), "=r"(x.r[3])
                 : "r"(addr));
    return x;
  }
  SSM_DEV B b_nk(const E* t, int ld, int n0, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, q = lane & 3;
    B x;
    x.r[0] = word(t, ld, n0 + g, k0 + 2 * q);
    x.r[1] = word(t, ld, n0 + g, k0 + 2 * q + 8);
    return x;
  }
  // b_kn(T, ld, n0, k0): B(k, n) = T[k0 + k][n0 + n] (a k-major tile), by ldmatrix.trans: matrix
  // i covers k0 + 8 (i & 1) and n0 + 8 (i >> 1); x4 gives the n8 tiles n0 and n0 + 8, x2 one.
  SSM_DEV void b_kn2(const E* t, int ld, int n0, int k0, B& lo, B& hi) {
    const int lane = threadIdx.x & 31, i = lane >> 3, r = lane & 7;
    const unsigned addr = smem_addr(t + (k0 + 8 * (i & 1) + r) * ld + n0 + 8 * (i >> 1));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(lo.r[0]), "=r"(lo.r[1]), "=r"(hi.r[0]), "=r"(hi.r[1])
                 : "r"(addr));
  }
  SSM_DEV B b_kn1(const E* t, int ld, int n0, int k0) {
    const int lane = threadIdx.x & 31, i = (lane >> 3) & 1, r = lane & 7;
    const unsigned addr = smem_addr(t + (k0 + 8 * i + r) * ld + n0);
    B x;
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];"
                 : "=r"(x.r[0]), "=r"(x.r[1])
                 : "r"(addr));
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
  typedef float E;
  struct A { unsigned hi[8], lo[8]; };
  struct B { unsigned hi[4], lo[4]; };
  SSM_DEV void store2(E* p, float lo, float hi) {
    float2 v;
    v.x = lo;
    v.y = hi;
    *reinterpret_cast<float2*>(p) = v;
  }
  SSM_DEV void store1(E* p, float x) { *p = x; }
  SSM_DEV float e2f(E x) { return x; }
  SSM_DEV float2 load2(const E* p) { return *reinterpret_cast<const float2*>(p); }
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
  SSM_DEV float2 pair(const E* t, int ld, int r, int c) {
    return *reinterpret_cast<const float2*>(t + r * ld + c);
  }
  SSM_DEV A a_rm(const E* t, int ld, int m0, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, q = lane & 3;
    const float2 u0 = pair(t, ld, m0 + g, k0 + 2 * q), u1 = pair(t, ld, m0 + g + 8, k0 + 2 * q);
    const float2 u2 = pair(t, ld, m0 + g, k0 + 2 * q + 8), u3 = pair(t, ld, m0 + g + 8, k0 + 2 * q + 8);
    const float a[8] = {u0.x, u0.y, u1.x, u1.y, u2.x, u2.y, u3.x, u3.y};
    return make_a(a);
  }
  SSM_DEV A a_tr(const E* t, int ld, int m0, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, q = lane & 3;
    const E* r0 = t + (k0 + 2 * q) * ld + m0 + g;
    const float a[8] = {r0[0],          r0[ld],          r0[8],          r0[ld + 8],
                        r0[8 * ld],     r0[9 * ld],      r0[8 * ld + 8], r0[9 * ld + 8]};
    return make_a(a);
  }
  SSM_DEV B b_nk(const E* t, int ld, int n0, int k0) {
    const int lane = threadIdx.x & 31, g = lane >> 2, q = lane & 3;
    const float2 v0 = pair(t, ld, n0 + g, k0 + 2 * q), v1 = pair(t, ld, n0 + g, k0 + 2 * q + 8);
    const float b[4] = {v0.x, v0.y, v1.x, v1.y};
    return make_b(b);
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

SSM_DEV bool nonfinite(float x) { return (float_to_bits(x) & 0x7f800000u) == 0x7f800000u; }
// acc + 0 * x: NaN once any x was a NaN or an inf, acc otherwise (one FFMA per value; asm, so
// that no fast-math folding drops the 0 * x).
SSM_DEV float finite_acc(float acc, float x) {
  float r;
  asm("fma.rn.f32 %0, %1, 0f00000000, %2;" : "=f"(r) : "f"(x), "f"(acc));
  return r;
}
// finite_acc over v[0..K) in four independent chains, not one chain of K dependent FFMAs.
template <int K>
SSM_DEV float finite_acc_all(float acc, const float* v) {
  float f[4] = {acc, 0.0f, 0.0f, 0.0f};
#pragma unroll
  for (int i = 0; i < K; ++i) f[i % 4] = finite_acc(f[i % 4], v[i]);
  return (f[0] + f[1]) + (f[2] + f[3]);
}

}  // namespace ssd

// Launch traits (CONTRACT.md, "The SSD skeleton"): block kBlock, dynamic shared memory
// kSmemBytes. One segment (kSeg = 0): `ssd_forward`, grid.x {units: kUnits, batch: true}, no
// workspace. Segments: `ssd_segment_summary` then `ssd_segment_forward`, grid.x {units: kUnits,
// batch: true, seq_chunk: kSeg}, workspace {bytes: kWorkspacePerSeg, batch: true, seq_chunk: kSeg}.
template <class L, class Cfg>
struct SsdTraits {
  static constexpr int kQ = 64;      // steps per chunk
  static constexpr int kWarps = 4;   // one per 16 steps of the chunk
  static constexpr int kBlock = 32 * kWarps;
  static constexpr int kN = L::kN;
  static constexpr int kCols = Cfg::kCols;
  static constexpr int kSeg = Cfg::kSeg;
  static constexpr long long kGroupRows = L::kDecayRows;
  static constexpr long long kHeads = L::kRows / kGroupRows;
  static constexpr long long kSlices = ceil_div(kGroupRows, kCols);
  static constexpr long long kUnits = kHeads * kSlices;
  using M = typename ssd::cond<Cfg::kPrecise, ssd::Tf32x3Mma, ssd::Bf16Mma>::type;
  using E = typename M::E;  // operand element in shared memory
  static constexpr int kLdN = kN + 8;  // row strides: fragment loads free of bank conflicts
  static constexpr int kLdQ = kQ + 8;
  static constexpr int kMT = kN / 16;                          // m16 tiles of the state (over n)
  static constexpr int kMTW = int(ceil_div(kMT, kWarps));      // ... per warp
  static constexpr int kNT = kCols / 8;                        // n8 tiles over the block's rows
  // Shared memory, in bytes: per warp the running log2 sums (f64), 2^c_t and 2^(c_last - c_t);
  // log2 of each step's decay and the decay; then the operand tiles (16-byte aligned).
  static constexpr int kOffCum = 0;                                  // double [kWarps][kQ]
  static constexpr int kOffEcum = kOffCum + kWarps * kQ * 8;         // float [kWarps][kQ]
  static constexpr int kOffWcum = kOffEcum + kWarps * kQ * 4;        // float [kWarps][kQ]
  static constexpr int kOffLg = kOffWcum + kWarps * kQ * 4;          // float [kQ]
  static constexpr int kOffD = kOffLg + kQ * 4;                      // float [kQ]: the decays
  static constexpr int kOffHs = kOffD + kQ * 4;                      // float [kQ]: head factors
  static constexpr int kOffC = kOffHs + kQ * 4;                      // E C[t][n]
  static constexpr int kOffB = kOffC + kQ * kLdN * int(sizeof(E));           // E B[t][n] (input_n)
  static constexpr int kOffX = kOffB + kQ * kLdN * int(sizeof(E));           // E u[p][t] (input_row)
  // h_prev, the B operand of C h_prev: bf16 operands [n][p] (k-major: the accumulator pairs
  // (p, p + 1) are one 32-bit store, the fragments ldmatrix.trans; rows padded so that both are
  // free of bank conflicts), f32 operands [p][n].
  static constexpr bool kHtKN = sizeof(E) == 2;
  static constexpr int kLdP = kCols == 8 ? 24 : kCols + 8;
  static constexpr int kOffH = kOffX + kCols * kLdQ * int(sizeof(E));        // E h_prev
  static constexpr int kEnd = kOffH + (kHtKN ? kN * kLdP : kCols * kLdN) * int(sizeof(E));
  // The sequential fallback's f32 state [p][n]: the h_prev tile when that is f32, else its own.
  static constexpr int kOffHf = sizeof(E) == 4 ? kOffH : kEnd;
  static constexpr int kEndHf = sizeof(E) == 4 ? kEnd : kEnd + kCols * kN * 4;
  // Its own tile (bf16 operands) is free unless a chunk takes the fallback, so it also keeps the
  // row values each thread staged ([k][thread] RowIn) for the outputs, which would otherwise
  // load them again (an exposed L2 round trip per chunk, PERF.md s4); the fallback reloads.
  static constexpr bool kStash = sizeof(E) == 2 && kQ * kCols * int(sizeof(typename L::RowIn)) <= kCols * kN * 4;
  // Written once the products that read C are done: the chunk's outputs (f32 [t][p], padded so
  // that the mma-layout stores are free of bank conflicts) and u_t 2^(c_last - c_t) ([p][t],
  // the state update's operand). In the C tile when they fit there (N >= 32), else after it all.
  static constexpr int kLdY = kCols + 8;
  static constexpr int kYBytes = kQ * kLdY * 4 + kCols * kLdQ * int(sizeof(E));
  static constexpr bool kYInC = kYBytes <= kQ * kLdN * int(sizeof(E));
  static constexpr int kOffY = kYInC ? kOffC : kEndHf;               // float [kQ][kLdY]
  static constexpr int kOffXw = kOffY + kQ * kLdY * 4;                // E [kCols][kLdQ]
  static constexpr int kSmemBytes = kYInC ? kEndHf : kEndHf + kYBytes;
  // Per segment and batch item: (total decay, final state) per (row, n), f32; then C B^T of each
  // chunk of the segment (the causal m16n8 tiles, in the accumulator layout: kCBTiles x 32 lanes
  // x 4 floats), which the summary launch computes once for all heads: input_n and n_coef read
  // NStep alone (per batch item, step and n), so the B and C tiles are the same for every head.
  static constexpr int kCBTiles = kWarps * (kWarps + 1);  // warp w: tiles w(w+1) .. w(w+1)+2w+1
  static constexpr long long kStateBytes = L::kRows * kN * 2 * 4;
  static constexpr long long kCBChunkBytes = kCBTiles * 32 * 16;
  static constexpr long long kWorkspacePerSeg = kStateBytes + (kSeg / kQ) * kCBChunkBytes;

  static_assert(decay_per_row<L>::value, "the SSD skeleton needs the kDecayPerRow form");
  static_assert(is_same<typename L::S, float>::value, "the SSD skeleton handles real states");
  static_assert(L::kRed == 1, "the SSD skeleton handles one reduction over n");
  static_assert(kN % 16 == 0 && kN >= 16, "N must be a multiple of 16 (tensor-core tiles)");
  static_assert(kCols == 8 || kCols == 16 || kCols == 32, "Cols: 8, 16 or 32");
  static_assert(kBlock % kCols == 0, "Cols divides the block");
  static_assert(kSeg >= 0 && kSeg % kQ == 0, "Seg: a multiple of 64 steps");
  static_assert(kGroupRows >= 1 && L::kRows % kGroupRows == 0, "kDecayRows divides kRows");
  static_assert((kLdN * int(sizeof(E))) % 16 == 0 && (kLdQ * int(sizeof(E))) % 16 == 0,
                "tile rows 16-byte aligned (ldmatrix)");
  static_assert(kOffC % 16 == 0 && kOffXw % 16 == 0, "operand tiles 16-byte aligned");
  static_assert(kSmemBytes <= 227 * 1024, "shared memory over the sm_90 limit");
};

namespace ssd {

enum Mode { kWhole = 0, kSummary = 1, kSegForward = 2 };

// The layer's head factor (CONTRACT.md, kHeadFactor): the input of a row is its raw per-row
// values times a per-(head, step) value, computed once per step of the head by head_step.
template <class L, class = void> struct head_factor { static constexpr bool value = false; };
template <class L> struct head_factor<L, typename make_void<typename L::HeadStep>::type> {
  static constexpr bool value = L::kHeadFactor;
};
template <class L, bool = head_factor<L>::value> struct head_types {
  struct HeadIn {};
  struct HeadStep { float decay, scale; };
};
template <class L> struct head_types<L, true> {
  typedef typename L::HeadIn HeadIn;
  typedef typename L::HeadStep HeadStep;
};

template <class L, class = void> struct n_direct_type { typedef void type; };
template <class L> struct n_direct_type<L, typename make_void<typename L::NDirect>::type> {
  typedef typename L::NDirect type;
};

// Stage B (input_n) and C (n_coef) of one chunk as operands, [t][n]. Direct: the struct's raw
// bits are the operands (L::NDirect is the operand type): 16-byte cp.async copies, all in flight
// at once, steps past the end filled with zeros; the caller waits before its barrier. Otherwise
// (f16 storage, other layouts) through registers, a few round trips per chunk.
template <class L, class Cfg, bool Direct, bool kOut>
__device__ __forceinline__ void stage_n(const ssm_launch_args& a, int b, int t0, int len,
                                        typename SsdTraits<L, Cfg>::E* Bs,
                                        typename SsdTraits<L, Cfg>::E* Cs) {
  using T = SsdTraits<L, Cfg>;
  using M = typename T::M;
  using E = typename T::E;
  constexpr int kQ = T::kQ, kN = T::kN, kLdN = T::kLdN;
  const int tid = threadIdx.x;
  if constexpr (Direct) {
    constexpr int kV = 16 / int(sizeof(E));  // elements per copy
    constexpr int kRowCopies = kN / kV;        // copies per step
    constexpr int kIt = kQ * kRowCopies / T::kBlock;
    static_assert(kN % kV == 0 && (kQ * kRowCopies) % T::kBlock == 0, "copies per thread");
    if constexpr (T::kBlock % kRowCopies == 0) {
      // A full chunk: each thread copies one n range at steps t, t + kTStep, ...: one source
      // pointer stepped by a stride and one shared-memory address plus constants (PERF.md s7:
      // the general form below spent about 13 integer instructions per copy on its addresses).
      constexpr int kTStep = T::kBlock / kRowCopies;
      if (len == kQ) {
        const int t = int(unsigned(tid) / kRowCopies), n = kV * int(unsigned(tid) % kRowCopies);
        // The source of step tt, index nn: B (input_n) or C (n_coef).
        auto ptr = [&](bool coef, int tt, int nn) {
          return static_cast<const char*>(coef ? L::n_coef_ptr(a, b, tt, nn) : L::n_in_ptr(a, b, tt, nn));
        };
        auto copy = [&](bool coef, E* tile) {
          const long long step = kTStep * (ptr(coef, 1, 0) - ptr(coef, 0, 0));
          const char* src = ptr(coef, t0 + t, n);
          const unsigned dst = smem_addr(tile + t * kLdN + n);
#pragma unroll
          for (int k = 0; k < kIt; ++k) cp_async16_s(dst + k * kTStep * kLdN * int(sizeof(E)), src + k * step);
        };
        copy(false, Bs);
        if (kOut) copy(true, Cs);
        return;
      }
    }
#pragma unroll
    for (int k = 0; k < kIt; ++k) {
      const unsigned i = unsigned(tid) + k * T::kBlock;  // unsigned: shifts, no sign fix-ups
      const int t = int(i / (kN / kV)), n = kV * int(i % (kN / kV));
      const int tt = t0 + min(t, len - 1);
      const int bytes = t < len ? 16 : 0;
      cp_async16(Bs + t * kLdN + n, L::n_in_ptr(a, b, tt, n), bytes);
      if (kOut) cp_async16(Cs + t * kLdN + n, L::n_coef_ptr(a, b, tt, n), bytes);
    }
  } else {
    // Kept small: the registers of a kernel are those of its largest path.
#pragma unroll 4
    for (unsigned i = tid; i < kQ * (kN / 2); i += T::kBlock) {
      const int t = int(i / (kN / 2)), n = 2 * int(i % (kN / 2));
      const int tt = t0 + min(t, len - 1);
      typename L::NIn ni0, ni1;
      typename L::NStep ns0, ns1;
      L::n_load(a, b, tt, n, ni0);
      L::n_load(a, b, tt, n + 1, ni1);
      L::n_step(ni0, ns0);
      L::n_step(ni1, ns1);
      const bool in = t < len;
      M::store2(Bs + t * kLdN + n, in ? L::input_n(typename L::ElemConst{}, ns0) : 0.0f,
                in ? L::input_n(typename L::ElemConst{}, ns1) : 0.0f);
      if (kOut) M::store2(Cs + t * kLdN + n, in ? L::n_coef(ns0) : 0.0f, in ? L::n_coef(ns1) : 0.0f);
    }
  }
}

// Stage B (and C when kOut) of one chunk, raw by cp.async when the layout allows (`direct`).
template <class L, class Cfg, bool kCanDirect, bool kOut>
__device__ __forceinline__ void stage_chunk(const ssm_launch_args& a, int b, int t0, int len,
                                            typename SsdTraits<L, Cfg>::E* Bs,
                                            typename SsdTraits<L, Cfg>::E* Cs, bool direct) {
  if constexpr (kCanDirect) {
    if (direct) stage_n<L, Cfg, true, kOut>(a, b, t0, len, Bs, Cs);
    else stage_n<L, Cfg, false, kOut>(a, b, t0, len, Bs, Cs);
  } else {
    (void)direct;
    stage_n<L, Cfg, false, kOut>(a, b, t0, len, Bs, Cs);
  }
}

// The body of all three entries. Mode kWhole: the whole sequence from h0, outputs, hT.
// kSummary: segment `seg` (not the last) from zero, no outputs; its total decay and final state
// go to the workspace. kSegForward: the summaries of the segments before `seg` folded into h0
// (or zero), then segment `seg` with outputs; hT from the last segment.
template <class L, class Cfg, int kMode>
__device__ __forceinline__ void run(const ssm_launch_args& a) {
  using T = SsdTraits<L, Cfg>;
  using M = typename T::M;
  using E = typename T::E;
  using RowConst = typename L::RowConst;
  using RowIn = typename L::RowIn;
  using RowStep = typename L::RowStep;
  constexpr int kQ = T::kQ, kN = T::kN, kCols = T::kCols, kLdN = T::kLdN, kLdQ = T::kLdQ;
  constexpr int kNT = T::kNT, kMT = T::kMT, kMTW = T::kMTW;
  constexpr bool kOut = kMode != kSummary;
  constexpr bool kHF = head_factor<L>::value;
  using HeadIn = typename head_types<L>::HeadIn;
  using HeadStep = typename head_types<L>::HeadStep;

  extern __shared__ __align__(16) unsigned char ssd_smem[];
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, q = lane & 3;
  double* cum = reinterpret_cast<double*>(ssd_smem + T::kOffCum) + warp * kQ;  // this warp's
  float* ecum = reinterpret_cast<float*>(ssd_smem + T::kOffEcum) + warp * kQ;
  float* wcum = reinterpret_cast<float*>(ssd_smem + T::kOffWcum) + warp * kQ;
  float* lgs = reinterpret_cast<float*>(ssd_smem + T::kOffLg);
  float* dlin = reinterpret_cast<float*>(ssd_smem + T::kOffD);
  float* hscale = reinterpret_cast<float*>(ssd_smem + T::kOffHs);
  float* Hf = reinterpret_cast<float*>(ssd_smem + T::kOffHf);
  RowIn* stash = reinterpret_cast<RowIn*>(ssd_smem + T::kOffHf) + tid;  // [k * kBlock]
  E* Cs = reinterpret_cast<E*>(ssd_smem + T::kOffC);
  E* Bs = reinterpret_cast<E*>(ssd_smem + T::kOffB);
  E* Xt = reinterpret_cast<E*>(ssd_smem + T::kOffX);
  E* Ht = reinterpret_cast<E*>(ssd_smem + T::kOffH);

  const long long unit = blockIdx.x % T::kUnits;
  const int len_all = int(a.seqlen);
  const int nseg = kMode == kWhole ? 1 : int(ceil_div(len_all, T::kSeg));
  const int bs = int(blockIdx.x / T::kUnits);
  const int seg = bs % nseg, b = bs / nseg;
  // The workspace of (batch item, segment): the summary's state, then C B^T of its chunks.
  auto seg_ws = [&](int bb, int k) {
    return static_cast<unsigned char*>(a.workspace) + ((long long)bb * nseg + k) * T::kWorkspacePerSeg;
  };
  const int head = int(unit / T::kSlices), slice = int(unit % T::kSlices);
  const int row0 = int((long long)head * T::kGroupRows);        // the head's first row (decay)
  const int rbase = row0 + slice * kCols;                       // the block's first row
  const int cols = int(T::kGroupRows - (long long)slice * kCols) < kCols
                       ? int(T::kGroupRows - (long long)slice * kCols)
                       : kCols;  // rows of the block inside the head
  const int t_begin = kMode == kWhole ? 0 : seg * T::kSeg;
  const int t_end = kMode == kWhole || t_begin + T::kSeg > len_all ? len_all : t_begin + T::kSeg;

  grid_dependency_wait();

  // B and C copied raw (cp.async) when their storage type is the operand type and the call's
  // layout allows it.
  using ND = typename n_direct_type<L>::type;
  constexpr bool kCanDirect = is_same<ND, E>::value || (is_same<ND, bf16>::value && is_same<E, unsigned short>::value);
  bool direct = false;
  if constexpr (kCanDirect) direct = L::n_direct(a);
  // Warp w's rows of G = C B^T for one chunk (causal n8 tiles j < 2w + 2), from the staged tiles.
  auto cbt = [&](float (&acc)[kQ / 8][4]) {
#pragma unroll
    for (int k0 = 0; k0 < kN; k0 += 16) {
      const typename M::A fa = M::a_rm(Cs, kLdN, 16 * warp, k0);
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j)
        if (j < 2 * warp + 2) M::mma(acc[j], fa, M::b_nk(Bs, kLdN, 8 * j, k0));
    }
  };
  if constexpr (kMode == kSummary) {
    // C B^T of every chunk of this segment, once per (batch item, chunk): every head stages the
    // same B and C (kCBTiles). Chunk ci goes to the blocks' units in turn.
    const int nch = int(ceil_div(t_end - t_begin, kQ));
    for (int ci = int(unit); ci < nch; ci += int(T::kUnits)) {
      const int t0 = t_begin + ci * kQ, len = t_end - t0 < kQ ? t_end - t0 : kQ;
      stage_chunk<L, Cfg, kCanDirect, true>(a, b, t0, len, Bs, Cs, direct);
      cp_async_wait_all();
      __syncthreads();
      float acc[kQ / 8][4];
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[j][e] = 0.0f;
      cbt(acc);
      float4* dst = reinterpret_cast<float4*>(seg_ws(b, seg) + T::kStateBytes + ci * T::kCBChunkBytes) +
                    warp * (warp + 1) * 32 + lane;
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j)
        if (j < 2 * warp + 2) dst[j * 32] = make_float4(acc[j][0], acc[j][1], acc[j][2], acc[j][3]);
      __syncthreads();  // the tiles are staged again
    }
    if (seg == nseg - 1) return;  // nobody reads the last segment's summary
  }

  // The staging layout of the row values (u tile, outputs): thread (px, tx) takes row px of the
  // block at steps tx + k kXStep, k < kXIt. Params of its row.
  constexpr int kXIt = kQ * kCols / T::kBlock, kXStep = T::kBlock / kCols;
  const int px = int(unsigned(tid) % kCols), tx = int(unsigned(tid) / kCols);
  const int rowx = rbase + (px < cols ? px : cols - 1);
  RowConst rcx;
  L::row_const(a, rowx, rcx);

  // The state: warp w holds n tiles w, w + kWarps, ... (16 n each) x all kCols rows.
  float hs[kMTW][kNT][4];
  const bool has_h0 = kMode != kSummary && (a.flags & SSM_FLAG_HAS_H0) != 0;
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
  if (kMode == kSegForward) {
    // Fold the summaries of the segments before this one, in order: h = D_k h + S_k.
    for (int k = 0; k < seg; ++k) {
      const float* w = reinterpret_cast<const float*>(seg_ws(b, k)) + (long long)rbase * kN * 2;
#pragma unroll
      for (int i = 0; i < kMTW; ++i)
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int mt = warp + T::kWarps * i;
            const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
            const int pp = p < cols ? p : cols - 1;  // loads unconditional; lanes past cols unused
            if (mt < kMT) {
              const float2 dv = *reinterpret_cast<const float2*>(w + ((long long)pp * kN + n) * 2);
              hs[i][nt][e] = fmaf(dv.x, hs[i][nt][e], dv.y);
            }
          }
    }
  }
  bool live = has_h0 || (kMode == kSegForward && seg > 0);  // h_prev is zero otherwise
  double seg_log2 = 0.0;  // the segment's total log2 decay (summary)

  for (int t0 = t_begin; t0 < t_end; t0 += kQ) {
    const int len = t_end - t0 < kQ ? t_end - t0 : kQ;
    // A NaN or inf among the chunk's values (or in the state) sends the chunk through the
    // sequential recurrence below: the matrix form would spread it (0 x inf in the masked
    // products) where the recurrence does not, and miss some the recurrence has.
    bool bad = false;
    // NaN once a value checked below is not finite (ssd::finite_acc); first the state.
    float fin = ssd::finite_acc_all<kMTW * kNT * 4>(0.0f, &hs[0][0][0]);

    // ---- stage the chunk: B, C (per t, n pair), u (per t, row) and log2 of the decays, h_prev.
    // Every load is unconditional (steps past the end read the last step and are zeroed after)
    // and the loops that load hold no branch: a load under a branch, or in a loop that cannot be
    // unrolled, waits out its own round trip (PERF.md, s3). The row loads go first, so that their
    // round trip overlaps the n loads'.
    RowIn rx[kXIt];
#pragma unroll
    for (int k = 0; k < kXIt; ++k) {
      if constexpr (kHF) L::row_load_rows(a, b, t0 + min(tx + k * kXStep, len - 1), rowx, rx[k]);
      else L::row_load(a, b, t0 + min(tx + k * kXStep, len - 1), rowx, rx[k]);
    }
    // With a head factor, each thread takes the head's step for its iteration k = px (kXIt <=
    // kCols: lanes px < kXIt of each group of kCols lanes cover the group's steps).
    const int tmine = tx + (px < kXIt ? px : kXIt - 1) * kXStep;
    HeadIn hin;
    if constexpr (kHF) L::head_load(a, b, t0 + min(tmine, len - 1), rowx, hin);
    stage_chunk<L, Cfg, kCanDirect, kOut>(a, b, t0, len, Bs, Cs, direct);
    {
      // Every row of the head has the same decay, so the thread with px == k takes the log2 for
      // the step of its iteration k (kXIt <= kCols: at most one per thread).
      // Only input_row is used in the loop, so the decay's exp is not computed per element; the
      // designated raw inputs are selected (no arithmetic) and stepped once after it. With a
      // head factor, that thread's head step also gives the factor, which the lanes of its group
      // take by a shuffle: one softplus per (head, step) instead of one per (row, step).
      RowIn rmine = rx[0];
      HeadStep hs;
      if constexpr (kHF) L::head_step(rcx, hin, hs);
      const int gbase = lane & ~(kCols < 32 ? kCols - 1 : 31);
#pragma unroll
      for (int k = 0; k < kXIt; ++k) {
        const int t = tx + k * kXStep;
        RowStep rs;
        if constexpr (kHF) {
          HeadStep hk = hs;
          hk.scale = shfl(hs.scale, gbase + k);
          L::row_step_head(rcx, rx[k], hk, rs);
        } else {
          L::row_step(rcx, rx[k], rs);
        }
        const bool in = t < len && px < cols;
        const float u = L::input_row(rcx, rs);
        fin = ssd::finite_acc(fin, u);  // past the end or cols: a copy of a checked value
        M::store1(Xt + px * kLdQ + t, in ? u : 0.0f);
        if (T::kStash && kOut) stash[k * T::kBlock] = rx[k];
        if (!kHF && px == k) rmine = rx[k];
      }
      if (px < kXIt) {
        float d;
        if constexpr (kHF) {
          d = hs.decay;
          hscale[tmine] = hs.scale;
        } else {
          RowStep rs;
          L::row_step(rcx, rmine, rs);
          d = L::row_decay(rcx, rs);
        }
        // Steps past the end: the identity. An underflowed decay: far below 2^-126.
        lgs[tmine] = tmine >= len ? 0.0f : d == 0.0f ? -16384.0f : log2f(d);
        dlin[tmine] = tmine >= len ? 1.0f : d;
        bad |= tmine < len && nonfinite(d);
      }
    }
    if (kOut && live) {
#pragma unroll
      for (int i = 0; i < kMTW; ++i) {
        const int mt = warp + T::kWarps * i;
        if (mt < kMT) {
#pragma unroll
          for (int nt = 0; nt < kNT; ++nt) {
            if constexpr (T::kHtKN) {
              const int n = 16 * mt + g, p = 8 * nt + 2 * q;
              M::store2(Ht + n * T::kLdP + p, hs[i][nt][0], hs[i][nt][1]);
              M::store2(Ht + (n + 8) * T::kLdP + p, hs[i][nt][2], hs[i][nt][3]);
            } else {
#pragma unroll
              for (int e = 0; e < 4; ++e) {
                const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
                M::store1(Ht + p * kLdN + n, hs[i][nt][e]);
              }
            }
          }
        }
      }
    }
    // Warp w's rows of C B^T: from the summary launch (segments), loaded before the barrier so
    // that the round trip overlaps it and the scan; computed below otherwise.
    float gacc[kQ / 8][4];
    if constexpr (kMode == kSegForward) {
      const float4* src = reinterpret_cast<const float4*>(seg_ws(b, seg) + T::kStateBytes +
                                                          ((t0 - t_begin) / kQ) * T::kCBChunkBytes) +
                          warp * (warp + 1) * 32 + lane;
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j) {
        const float4 v = j < 2 * warp + 2 ? src[j * 32] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
        gacc[j][0] = v.x;
        gacc[j][1] = v.y;
        gacc[j][2] = v.z;
        gacc[j][3] = v.w;
      }
    } else {
#pragma unroll
      for (int j = 0; j < kQ / 8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) gacc[j][e] = 0.0f;
    }
    cp_async_wait_all();  // no-op without copies in flight
    __syncthreads();

    // ---- every warp scans the log2 decays (two steps per lane, f64) into its own copies.
    float dch;
    {
      const double s0 = lgs[2 * lane], s1 = s0 + double(lgs[2 * lane + 1]);
      double incl = s1;
#pragma unroll
      for (int off = 1; off < 32; off <<= 1) {
        const double v = shfl_up(incl, off);
        if (lane >= off) incl += v;
      }
      double excl = shfl_up(incl, 1);
      if (lane == 0) excl = 0.0;
      const double tot = shfl(incl, 31);
      const double cs[2] = {excl + s0, excl + s1};
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        cum[2 * lane + e] = cs[e];
        if (kOut) ecum[2 * lane + e] = ex2_acc(float(cs[e]));
        wcum[2 * lane + e] = ex2_acc(float(tot - cs[e]));
      }
      dch = ex2_acc(float(tot));
      seg_log2 += tot;
      __syncwarp();
    }

    bool seq = false;  // this chunk through the sequential recurrence
    float* Ys = reinterpret_cast<float*>(ssd_smem + T::kOffY);
    E* Xw = reinterpret_cast<E*>(ssd_smem + T::kOffXw);
    // u_t 2^(c_last - c_t), the state update's operand, rounded once as the products were before.
    auto scale_u = [&]() {
#pragma unroll
      for (unsigned i = tid; i < kCols * (kQ / 2); i += T::kBlock) {
        const int p = int(i / (kQ / 2)), t = 2 * int(i % (kQ / 2));
        const float2 w = *reinterpret_cast<const float2*>(wcum + t);
        const float2 u = M::load2(Xt + p * kLdQ + t);
        M::store2(Xw + p * kLdQ + t, u.x * w.x, u.y * w.y);
      }
    };
    if (kOut) {
      // ---- outputs of steps [16 warp, 16 warp + 16): G = C B^T (causal tiles), G X, C h_prev.
      const int tr0 = 16 * warp + g, tr1 = tr0 + 8;
      const int nts = 2 * warp + 2;  // n8 tiles of s with s <= 16 warp + 15
      float yi[kNT][4], yv[kNT][4];
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) yi[nt][e] = yv[nt][e] = 0.0f;
      if constexpr (kMode == kWhole) cbt(gacc);
      if (live) {
#pragma unroll
        for (int k0 = 0; k0 < kN; k0 += 16) {
          const typename M::A fa = M::a_rm(Cs, kLdN, 16 * warp, k0);
          if constexpr (T::kHtKN) {
#pragma unroll
            for (int nt = 0; nt + 1 < kNT; nt += 2) {
              typename M::B lo, hi;
              M::b_kn2(Ht, T::kLdP, 8 * nt, k0, lo, hi);
              M::mma(yi[nt], fa, lo);
              M::mma(yi[nt + 1], fa, hi);
            }
            if constexpr (kNT % 2 == 1) M::mma(yi[kNT - 1], fa, M::b_kn1(Ht, T::kLdP, 8 * (kNT - 1), k0));
          } else {
#pragma unroll
            for (int nt = 0; nt < kNT; ++nt) M::mma(yi[nt], fa, M::b_nk(Ht, kLdN, 8 * nt, k0));
          }
        }
      }
      // Non-finite products: some B or C of the chunk (warp 3's rows of G reach every B row;
      // the tiles past nts hold zeros).
      fin = ssd::finite_acc_all<kQ / 8 * 4>(fin, &gacc[0][0]);
      seq = __syncthreads_or(bad || nonfinite(fin)) != 0;  // also: nobody reads C any more
      if (!seq) {
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
          for (int nt = 0; nt < kNT; ++nt) M::mma(yv[nt], fa, M::b_nk(Xt, kLdQ, 8 * nt, 16 * j));
        }
      }
      // y = 2^(c_t) C h_prev + G X, to the Y tile; the row outputs read it in the staging layout.
      {
        const float et[2] = {ecum[tr0], ecum[tr1]};
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int h = 0; h < 2; ++h)
            *reinterpret_cast<float2*>(Ys + (h ? tr1 : tr0) * T::kLdY + 8 * nt + 2 * q) =
                make_float2(fmaf(et[h], yi[nt][2 * h], yv[nt][2 * h]),
                            fmaf(et[h], yi[nt][2 * h + 1], yv[nt][2 * h + 1]));
      }
      scale_u();
      }  // !seq
    } else {
      scale_u();  // C is not staged here: its tile is free
      seq = __syncthreads_or(bad || nonfinite(fin)) != 0;
    }

    if (seq) {
      // ---- the chunk as the recurrence: the state to shared memory as f32 [p][n], then kPer
      // threads per row of the block, kN / kPer states each, step by step.
      constexpr int kPer = T::kBlock / kCols, kNs = kN / kPer;
#pragma unroll
      for (int i = 0; i < kMTW; ++i)
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int mt = warp + T::kWarps * i;
            const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
            if (mt < kMT) Hf[p * kN + n] = hs[i][nt][e];
          }
      __syncthreads();
      {
        const int ps = tid / kPer, n0 = (tid % kPer) * kNs;
        const int rows = rbase + (ps < cols ? ps : cols - 1);
        float h[kNs];
#pragma unroll
        for (int j = 0; j < kNs; ++j) h[j] = Hf[ps * kN + n0 + j];
        RowConst rcs;
        if (kOut) L::row_const(a, rows, rcs);
        for (int t = 0; t < len; ++t) {
          const float d = dlin[t], u = M::e2f(Xt[ps * kLdQ + t]);
          float part = 0.0f;
#pragma unroll
          for (int j = 0; j < kNs; ++j) {
            h[j] = state_fma(d, h[j], u * M::e2f(Bs[t * kLdN + n0 + j]));
            if (kOut) part = fmaf(h[j], M::e2f(Cs[t * kLdN + n0 + j]), part);
          }
          if (kOut) {
#pragma unroll
            for (int m = 1; m < kPer; m <<= 1) part += shfl_xor(part, m);
            if (tid % kPer == 0 && ps < cols) {
              RowIn ri;
              RowStep rs;
              L::row_load(a, b, t0 + t, rows, ri);
              L::row_step(rcs, ri, rs);
              typename L::Red red[L::kRed];
              red[0] = part;
              L::row_out(a, b, t0 + t, rows, rcs, ri, rs, red);
            }
          }
        }
#pragma unroll
        for (int j = 0; j < kNs; ++j) Hf[ps * kN + n0 + j] = h[j];
      }
      __syncthreads();
#pragma unroll
      for (int i = 0; i < kMTW; ++i)
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int mt = warp + T::kWarps * i;
            const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
            if (mt < kMT) hs[i][nt][e] = Hf[p * kN + n];
          }
    } else {
      if (kOut) {
        __syncthreads();  // the Y tile and Xw complete
        // ---- the row outputs: this thread's row, at the steps it staged, with the row values
        // it kept (kStash) or loads again (in registers since staging they spill). Full chunks
        // of whole slices (the usual case) take no per-output branch.
#pragma unroll
        for (int k = 0; k < kXIt; ++k) {
          if (T::kStash) rx[k] = stash[k * T::kBlock];
          else if constexpr (kHF) L::row_load_rows(a, b, t0 + min(tx + k * kXStep, len - 1), rowx, rx[k]);
          else L::row_load(a, b, t0 + min(tx + k * kXStep, len - 1), rowx, rx[k]);
        }
        auto out = [&](int k) {
          const int t = tx + k * kXStep;
          typename L::Red red[L::kRed];
          red[0] = Ys[t * T::kLdY + px];
          RowStep rs;
          if constexpr (kHF) {
            HeadStep hk;
            hk.decay = dlin[t];
            hk.scale = hscale[t];
            L::row_step_head(rcx, rx[k], hk, rs);
          } else {
            L::row_step(rcx, rx[k], rs);
          }
          L::row_out(a, b, t0 + t, rowx, rcx, rx[k], rs, red);
        };
        if (len == kQ && cols == kCols) {
#pragma unroll
          for (int k = 0; k < kXIt; ++k) out(k);
        } else {
#pragma unroll
          for (int k = 0; k < kXIt; ++k)
            if (tx + k * kXStep < len && px < cols) out(k);
        }
      }
      // ---- the state: h = 2^c_last h + sum_t B_t^T (2^(c_last - c_t) u_t), warp w over its n tiles.
#pragma unroll
      for (int i = 0; i < kMTW; ++i)
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
          for (int e = 0; e < 4; ++e) hs[i][nt][e] *= dch;
#pragma unroll
      for (int k0 = 0; k0 < kQ; k0 += 16) {
        if (k0 < len) {
          typename M::B fb[kNT];
#pragma unroll
          for (int nt = 0; nt < kNT; ++nt) fb[nt] = M::b_nk(Xw, kLdQ, 8 * nt, k0);
#pragma unroll
          for (int i = 0; i < kMTW; ++i) {
            const int mt = warp + T::kWarps * i;
            if (mt < kMT) {
              const typename M::A fa = M::a_tr(Bs, kLdN, 16 * mt, k0);
#pragma unroll
              for (int nt = 0; nt < kNT; ++nt) M::mma(hs[i][nt], fa, fb[nt]);
            }
          }
        }
      }
    }
    live = true;
    __syncthreads();  // the next chunk overwrites the tiles
  }

  if (kMode == kSummary) {
    const float dseg = ex2_acc(float(seg_log2));
#pragma unroll
    for (int i = 0; i < kMTW; ++i)
#pragma unroll
      for (int nt = 0; nt < kNT; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int mt = warp + T::kWarps * i;
          const int n = 16 * mt + g + (e >= 2 ? 8 : 0), p = 8 * nt + 2 * q + (e & 1);
          if (mt < kMT && p < cols) {
            float* w = reinterpret_cast<float*>(seg_ws(b, seg)) + ((long long)(rbase + p) * kN + n) * 2;
            w[0] = dseg;
            w[1] = hs[i][nt][e];
          }
        }
  } else if ((a.flags & SSM_FLAG_WRITE_HT) && seg == nseg - 1) {
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

}  // namespace ssd

// Prefill over the whole sequence (Seg = 0): grid.x = kUnits * batch.
template <class L, class Cfg>
__device__ __forceinline__ void ssd_forward(const ssm_launch_args& a) {
  ssd::run<L, Cfg, ssd::kWhole>(a);
}
// Segmented prefill, launch 1 of 2: grid.x = kUnits * batch * ceil(seqlen / kSeg).
template <class L, class Cfg>
__device__ __forceinline__ void ssd_segment_summary(const ssm_launch_args& a) {
  ssd::run<L, Cfg, ssd::kSummary>(a);
}
// Segmented prefill, launch 2 of 2: same grid.
template <class L, class Cfg>
__device__ __forceinline__ void ssd_segment_forward(const ssm_launch_args& a) {
  ssd::run<L, Cfg, ssd::kSegForward>(a);
}

}  // namespace ssm

#endif  // SSM_SSD_CUH
