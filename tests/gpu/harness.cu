// harness.cu — GPU numerics and benchmarks for the diagonal skeletons (runtime/device).
//
//   ssm_gpu_harness [--check] [--bench] [--quick] [--out DIR]
//
// --check: every "test" instantiation x batch {1, 3} x seqlen {1, 7, 127, 2048, 2049} against a
//   float64 CPU reference (fresh random inputs, outputs and final state poisoned with NaN before
//   each run), the (batch, D, seq) layout, prefill + continuation == whole, decode steps ==
//   prefill, the exp2 accuracy check over 65536 steps, and every "bench" instantiation on a
//   reduced problem (its own D and N).
// --bench: device-to-device copy bandwidth, then every benchmark shape of shared/ANCHORS.md with
//   each registered variant (median of >= 30 runs after warm-up, inputs rotated among buffer
//   sets so that repeats do not run from L2), decode steps in a CUDA graph. Writes
//   DIR/results.json and prints a table last.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "registry.h"
#include "ssmrt/abi.h"

namespace ssmt {
std::vector<KernelEntry>& registry() {
  static std::vector<KernelEntry> r;
  return r;
}
}  // namespace ssmt

using ssmt::KernelEntry;

static void check_cuda(cudaError_t e, const char* what, const char* file, int line) {
  if (e != cudaSuccess) {
    fprintf(stderr, "%s:%d: %s failed: %s\n", file, line, what, cudaGetErrorString(e));
    exit(2);
  }
}
#define CK(call) check_cuda((call), #call, __FILE__, __LINE__)

static FILE* g_log = nullptr;  // full log under --out
static void logf_(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  if (g_log) {
    va_start(ap, fmt);
    vfprintf(g_log, fmt, ap);
    va_end(ap);
    fflush(g_log);
  }
  fflush(stdout);
}
#define LOG(...) logf_(__VA_ARGS__)

// ---------------------------------------------------------------------------------------------
// Host numerics.

static uint16_t f2bf(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}
static float bf2f(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull) {}
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

static uint64_t g_seed = 0;

static double softplus_d(double x) { return x > 30 ? x : std::log1p(std::exp(x)); }
static double silu_d(double x) { return x / (1.0 + std::exp(-x)); }

// ---------------------------------------------------------------------------------------------
// Problems: a layer (S6 or SSD) with its dims, a batch and a sequence length, logical data in
// double (already rounded to the storage dtype), and the layout the device buffers use.

struct Layer {
  std::string kind;  // "s6" or "ssd"
  long long rows;
  int N, H, P;
  bool bf16;
  int ndt() const { return kind == "ssd" ? H : int(rows); }      // dt width
  int nparam() const { return kind == "ssd" ? H : int(rows); }   // Dskip/dt_bias width
  long long nA() const { return kind == "ssd" ? H : rows * N; }  // A size
  int head(long long row) const { return kind == "ssd" ? int(row / P) : int(row); }
};

static Layer layer_of(const KernelEntry& e) {
  Layer l;
  l.kind = e.layer == "ssd" ? "ssd" : "s6";
  l.rows = e.rows;
  l.N = e.N;
  l.H = e.H;
  l.P = e.P;
  l.bf16 = e.dtype == "bf16";
  return l;
}

struct Data {
  Layer ly;
  int B = 0, L = 0;
  std::vector<double> x, z, dt, Bm, Cm, A, Dsk, dtb, h0;
};

static double round_st(double v, bool bf16) {
  return bf16 ? double(bf2f(f2bf(float(v)))) : double(float(v));
}

static Data make_data(const Layer& ly, int B, int L, uint64_t seed, double dt_shift = 0.0) {
  Rng r(seed);
  Data d;
  d.ly = ly;
  d.B = B;
  d.L = L;
  const long long n_io = (long long)B * L * ly.rows;
  d.x.resize(n_io);
  d.z.resize(n_io);
  for (auto& v : d.x) v = round_st(r.normal(), ly.bf16);
  for (auto& v : d.z) v = round_st(r.normal(), ly.bf16);
  d.dt.resize((long long)B * L * ly.ndt());
  for (auto& v : d.dt) v = round_st(dt_shift + 0.5 * r.normal(), ly.bf16);
  d.Bm.resize((long long)B * L * ly.N);
  d.Cm.resize((long long)B * L * ly.N);
  for (auto& v : d.Bm) v = round_st(r.normal(), ly.bf16);
  for (auto& v : d.Cm) v = round_st(r.normal(), ly.bf16);
  d.A.resize(ly.nA());
  if (ly.kind == "ssd") {
    for (auto& v : d.A) v = double(float(-std::exp(r.uniform() * std::log(16.0))));
  } else {
    for (long long i = 0; i < ly.rows; ++i)
      for (int n = 0; n < ly.N; ++n)
        d.A[i * ly.N + n] = double(float(-(n + 1) * std::exp(r.uniform() - 0.5)));
  }
  d.Dsk.resize(ly.nparam());
  d.dtb.resize(ly.nparam());
  for (auto& v : d.Dsk) v = double(float(0.5 + r.uniform()));
  for (auto& v : d.dtb) {  // Mamba's init: delta = exp(U(log 1e-3, log 1e-1)), bias = softplus^-1
    double dl = std::exp(std::log(1e-3) + r.uniform() * (std::log(1e-1) - std::log(1e-3)));
    v = double(float(dl + std::log(-std::expm1(-dl))));
  }
  d.h0.resize((long long)B * ly.rows * ly.N);
  for (auto& v : d.h0) v = double(float(r.normal()));
  return d;
}

// Float64 reference over steps [t0, t1) from state h (updated in place); y[b][t][row] written.
static void reference(const Data& d, int t0, int t1, std::vector<double>& h, std::vector<double>& y) {
  const Layer& ly = d.ly;
  const int N = ly.N;
  y.resize((long long)d.B * d.L * ly.rows);
  const long long nbr = (long long)d.B * ly.rows;
  const bool ssd = ly.kind == "ssd";
  const int ndt = ly.ndt();
#pragma omp parallel for schedule(dynamic, 4)
  for (long long br = 0; br < nbr; ++br) {
    const int b = int(br / ly.rows);
    const long long row = br % ly.rows;
    double* hr = &h[((long long)b * ly.rows + row) * N];
    const int hd = ssd ? int(row / ly.P) : int(row);
    for (int t = t0; t < t1; ++t) {
      const long long bt = (long long)b * d.L + t;
      const double delta = softplus_d(d.dt[bt * ndt + hd] + d.dtb[hd]);
      const double xv = d.x[bt * ly.rows + row];
      const double* Bt = &d.Bm[bt * N];
      const double* Ct = &d.Cm[bt * N];
      const double dA = ssd ? std::exp(delta * d.A[hd]) : 0.0;
      double acc = 0;
      for (int n = 0; n < N; ++n) {
        const double dec = ssd ? dA : std::exp(delta * d.A[row * N + n]);
        hr[n] = dec * hr[n] + delta * Bt[n] * xv;
        acc += Ct[n] * hr[n];
      }
      y[bt * ly.rows + row] = (acc + d.Dsk[hd] * xv) * silu_d(d.z[bt * ly.rows + row]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Device buffers for one problem. layout 0: [batch, seq, dims] contiguous; layout 1: [batch,
// dims, seq] (mamba_ssm's), expressed through the strides only.

struct DevTensor {
  void* p = nullptr;
  size_t elems = 0;
  int esize = 4;
  long long strides[SSM_MAX_RANK] = {0};
};

struct DevProblem {
  Layer ly;
  int B = 0, L = 0, layout = 0;
  DevTensor t[9];  // slots: x dt B C z | A Dskip dt_bias | y
  float* h0 = nullptr;
  float* hT = nullptr;
  void* ws = nullptr;
  size_t ws_bytes = 0;
};

static void io_strides(int B, int L, const std::vector<long long>& dims, int layout,
                       long long* s) {
  // axes: [batch, seq, dims...]
  long long inner = 1;
  for (long long v : dims) inner *= v;
  (void)B;
  if (layout == 0) {
    s[0] = (long long)L * inner;
    s[1] = inner;
    long long st = 1;
    for (int k = int(dims.size()) - 1; k >= 0; --k) {
      s[2 + k] = st;
      st *= dims[k];
    }
  } else {
    s[0] = (long long)L * inner;
    s[1] = 1;
    long long st = L;
    for (int k = int(dims.size()) - 1; k >= 0; --k) {
      s[2 + k] = st;
      st *= dims[k];
    }
  }
}

static std::vector<long long> io_dims(const Layer& ly, int slot) {
  if (slot == 2 || slot == 3) return {ly.N};
  if (ly.kind == "ssd") {
    if (slot == 1) return {ly.H};
    return {ly.H, ly.P};
  }
  return {ly.rows};
}

static void dev_alloc(DevProblem& p, const Layer& ly, int B, int L, int layout) {
  p.ly = ly;
  p.B = B;
  p.L = L;
  p.layout = layout;
  const int es = ly.bf16 ? 2 : 4;
  const int io_slots[] = {0, 1, 2, 3, 4, 8};
  for (int slot : io_slots) {
    auto dims = io_dims(ly, slot);
    long long n = (long long)B * L;
    for (auto v : dims) n *= v;
    DevTensor& t = p.t[slot];
    t.elems = size_t(n);
    t.esize = es;
    io_strides(B, L, dims, layout, t.strides);
    CK(cudaMalloc(&t.p, std::max<size_t>(t.elems * es, 16)));
  }
  // params (f32)
  {
    DevTensor& A = p.t[5];
    A.elems = size_t(ly.nA());
    A.esize = 4;
    if (ly.kind == "ssd") A.strides[0] = 1;
    else { A.strides[0] = ly.N; A.strides[1] = 1; }
    CK(cudaMalloc(&A.p, A.elems * 4));
    for (int slot : {6, 7}) {
      DevTensor& t = p.t[slot];
      t.elems = size_t(ly.nparam());
      t.esize = 4;
      t.strides[0] = 1;
      CK(cudaMalloc(&t.p, t.elems * 4));
    }
  }
  const size_t ns = (size_t)B * ly.rows * ly.N;
  CK(cudaMalloc(&p.h0, ns * 4));
  CK(cudaMalloc(&p.hT, ns * 4));
}

static void dev_free(DevProblem& p) {
  for (auto& t : p.t) if (t.p) CK(cudaFree(t.p)), t.p = nullptr;
  if (p.h0) CK(cudaFree(p.h0));
  if (p.hT) CK(cudaFree(p.hT));
  if (p.ws) CK(cudaFree(p.ws));
  p.h0 = p.hT = nullptr;
  p.ws = nullptr;
}

// Logical [b][t][dims...] contiguous host vector -> device buffer through the strides.
static void upload_io(DevTensor& t, const std::vector<double>& v, int B, int L,
                      const std::vector<long long>& dims, bool bf16) {
  long long inner = 1;
  for (auto d : dims) inner *= d;
  std::vector<uint16_t> hb(bf16 ? t.elems : 0);
  std::vector<float> hf(bf16 ? 0 : t.elems);
  for (int b = 0; b < B; ++b)
    for (int tt = 0; tt < L; ++tt)
      for (long long i = 0; i < inner; ++i) {
        long long off = b * t.strides[0] + tt * t.strides[1];
        long long rem = i;
        for (int k = int(dims.size()) - 1; k >= 0; --k) {
          off += (rem % dims[k]) * t.strides[2 + k];
          rem /= dims[k];
        }
        double val = v[((long long)b * L + tt) * inner + i];
        if (bf16) hb[off] = f2bf(float(val));
        else hf[off] = float(val);
      }
  if (bf16) CK(cudaMemcpy(t.p, hb.data(), t.elems * 2, cudaMemcpyHostToDevice));
  else CK(cudaMemcpy(t.p, hf.data(), t.elems * 4, cudaMemcpyHostToDevice));
}

static std::vector<double> download_io(const DevTensor& t, int B, int L,
                                       const std::vector<long long>& dims, bool bf16) {
  long long inner = 1;
  for (auto d : dims) inner *= d;
  std::vector<uint16_t> hb(bf16 ? t.elems : 0);
  std::vector<float> hf(bf16 ? 0 : t.elems);
  if (bf16) CK(cudaMemcpy(hb.data(), t.p, t.elems * 2, cudaMemcpyDeviceToHost));
  else CK(cudaMemcpy(hf.data(), t.p, t.elems * 4, cudaMemcpyDeviceToHost));
  std::vector<double> out((long long)B * L * inner);
  for (int b = 0; b < B; ++b)
    for (int tt = 0; tt < L; ++tt)
      for (long long i = 0; i < inner; ++i) {
        long long off = b * t.strides[0] + tt * t.strides[1];
        long long rem = i;
        for (int k = int(dims.size()) - 1; k >= 0; --k) {
          off += (rem % dims[k]) * t.strides[2 + k];
          rem /= dims[k];
        }
        out[((long long)b * L + tt) * inner + i] = bf16 ? bf2f(hb[off]) : hf[off];
      }
  return out;
}

static void upload_f32(void* p, const std::vector<double>& v) {
  std::vector<float> f(v.begin(), v.end());
  CK(cudaMemcpy(p, f.data(), f.size() * 4, cudaMemcpyHostToDevice));
}
static std::vector<double> download_f32(const void* p, size_t n) {
  std::vector<float> f(n);
  CK(cudaMemcpy(f.data(), p, n * 4, cudaMemcpyDeviceToHost));
  return std::vector<double>(f.begin(), f.end());
}

static void upload_data(DevProblem& p, const Data& d) {
  const Layer& ly = d.ly;
  upload_io(p.t[0], d.x, d.B, d.L, io_dims(ly, 0), ly.bf16);
  upload_io(p.t[1], d.dt, d.B, d.L, io_dims(ly, 1), ly.bf16);
  upload_io(p.t[2], d.Bm, d.B, d.L, io_dims(ly, 2), ly.bf16);
  upload_io(p.t[3], d.Cm, d.B, d.L, io_dims(ly, 3), ly.bf16);
  upload_io(p.t[4], d.z, d.B, d.L, io_dims(ly, 4), ly.bf16);
  upload_f32(p.t[5].p, d.A);
  upload_f32(p.t[6].p, d.Dsk);
  upload_f32(p.t[7].p, d.dtb);
  upload_f32(p.h0, d.h0);
}

static void poison(DevProblem& p) {
  CK(cudaMemset(p.t[8].p, 0xff, p.t[8].elems * p.t[8].esize));  // NaN in f32 and bf16
  CK(cudaMemset(p.hT, 0xff, (size_t)p.B * p.ly.rows * p.ly.N * 4));
}

// Launch arguments for steps [t0, t0 + len) of the problem; step=true gives seq stride 0.
static ssm_launch_args make_args(const DevProblem& p, int t0, int len, unsigned flags,
                                 const float* h0, float* hT, bool step = false) {
  ssm_launch_args a;
  memset(&a, 0, sizeof a);
  a.batch = p.B;
  a.seqlen = len;
  a.flags = flags;
  for (int s = 0; s < 9; ++s) {
    const DevTensor& t = p.t[s];
    char* base = static_cast<char*>(t.p);
    bool io = s <= 4 || s == 8;
    if (io) base += (size_t)t0 * t.strides[1] * t.esize;
    a.tensors[s].data = base;
    for (int k = 0; k < SSM_MAX_RANK; ++k) a.tensors[s].strides[k] = t.strides[k];
    if (io && step) a.tensors[s].strides[1] = 0;
  }
  a.h0[0] = const_cast<float*>(h0);
  a.hT[0] = hT;
  a.workspace = p.ws;
  return a;
}

static long long grid_of(const KernelEntry& e, long long B, long long L) {
  long long u = e.units * B * (e.chunk > 0 ? (L + e.chunk - 1) / e.chunk : 1);
  return (u + e.per_block - 1) / e.per_block;
}

static void ensure_ws(DevProblem& p, const KernelEntry& e, int B, int L) {
  if (e.chunk <= 0) return;
  size_t need = size_t(e.ws_per_chunk) * B * ((L + e.chunk - 1) / e.chunk);
  if (need > p.ws_bytes) {
    if (p.ws) CK(cudaFree(p.ws));
    CK(cudaMalloc(&p.ws, need));
    p.ws_bytes = need;
  }
}

static void launch(const KernelEntry& e, ssm_launch_args& a, cudaStream_t st) {
  if (a.seqlen == 0) return;
  long long grid = grid_of(e, a.batch, a.seqlen);
  void* args[] = {&a};
  if (e.kind == "chunk")
    CK(cudaLaunchKernel(e.fn_summary, dim3(unsigned(grid)), dim3(e.block), args, 0, st));
  CK(cudaLaunchKernel(e.fn, dim3(unsigned(grid)), dim3(e.block), args, 0, st));
}

// ---------------------------------------------------------------------------------------------
// Comparison.

struct Err {
  double rel = 0, maxabs = 0;
  long long nonfinite = 0;
};
static Err compare(const std::vector<double>& got, const std::vector<double>& ref) {
  Err e;
  double num = 0, den = 0, refmax = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(got[i])) { e.nonfinite++; continue; }
    double d = got[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
    e.maxabs = std::max(e.maxabs, std::fabs(d));
    refmax = std::max(refmax, std::fabs(ref[i]));
  }
  e.rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  if (refmax > 0) e.maxabs /= refmax;
  return e;
}

static int g_fail = 0, g_pass = 0;
static std::vector<std::string> g_check_json;

static void report(const std::string& what, const Err& ey, double toly, const Err* eh,
                   double tolh) {
  bool ok = ey.nonfinite == 0 && ey.rel <= toly;
  if (eh) ok = ok && eh->nonfinite == 0 && eh->rel <= tolh;
  (ok ? g_pass : g_fail)++;
  char buf[512];
  if (eh)
    snprintf(buf, sizeof buf, "%-4s %-78s y rel %.2e max %.2e nan %lld | hT rel %.2e nan %lld\n",
             ok ? "ok" : "FAIL", what.c_str(), ey.rel, ey.maxabs, ey.nonfinite, eh->rel,
             eh->nonfinite);
  else
    snprintf(buf, sizeof buf, "%-4s %-78s y rel %.2e max %.2e nan %lld\n", ok ? "ok" : "FAIL",
             what.c_str(), ey.rel, ey.maxabs, ey.nonfinite);
  LOG("%s", buf);
  char js[768];
  snprintf(js, sizeof js,
           "{\"case\": \"%s\", \"ok\": %s, \"y_rel\": %.3e, \"y_nonfinite\": %lld, \"hT_rel\": "
           "%.3e}",
           what.c_str(), ok ? "true" : "false", ey.rel, ey.nonfinite, eh ? eh->rel : 0.0);
  g_check_json.push_back(js);
}

static double tol_y(const Layer& ly) { return ly.bf16 ? 1e-2 : 1e-5; }

// The same recurrence in f32 on the CPU (expf, sequential, fused nothing): how far plain f32
// arithmetic lands from the f64 reference on these inputs, reported beside the kernel's error.
static std::vector<float> reference_f32_state(const Data& d, bool with_h0) {
  const Layer& ly = d.ly;
  const int N = ly.N;
  const bool ssd = ly.kind == "ssd";
  std::vector<float> h(d.h0.size(), 0.0f);
  if (with_h0) for (size_t i = 0; i < h.size(); ++i) h[i] = float(d.h0[i]);
  const long long nbr = (long long)d.B * ly.rows;
#pragma omp parallel for schedule(dynamic, 4)
  for (long long br = 0; br < nbr; ++br) {
    const int b = int(br / ly.rows);
    const long long row = br % ly.rows;
    float* hr = &h[((long long)b * ly.rows + row) * N];
    const int hd = ssd ? int(row / ly.P) : int(row);
    for (int t = 0; t < d.L; ++t) {
      const long long bt = (long long)b * d.L + t;
      const float x = float(d.dt[bt * ly.ndt() + hd]) + float(d.dtb[hd]);
      const float delta = x > 20.f ? x : log1pf(expf(x));
      const float xv = float(d.x[bt * ly.rows + row]);
      for (int n = 0; n < N; ++n) {
        const float A = ssd ? float(d.A[hd]) : float(d.A[row * N + n]);
        hr[n] = expf(delta * A) * hr[n] + delta * float(d.Bm[bt * N + n]) * xv;
      }
    }
  }
  return h;
}
static const double kTolH = 1e-5;

static std::vector<double> y_of(const DevProblem& p) {
  return download_io(p.t[8], p.B, p.L, io_dims(p.ly, 8), p.ly.bf16);
}

// One whole-sequence run of entry e (lane / chunk), with or without h0.
static void check_forward(const KernelEntry& e, DevProblem& p, const Data& d, bool with_h0,
                          const std::string& tag) {
  std::vector<double> h = with_h0 ? d.h0 : std::vector<double>(d.h0.size(), 0.0);
  std::vector<double> yref;
  reference(d, 0, d.L, h, yref);
  ensure_ws(p, e, d.B, d.L);
  poison(p);
  unsigned flags = SSM_FLAG_WRITE_HT | (with_h0 ? SSM_FLAG_HAS_H0 : 0u);
  ssm_launch_args a = make_args(p, 0, d.L, flags, p.h0, p.hT);
  launch(e, a, 0);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  Err ey = compare(y_of(p), yref);
  Err eh = compare(download_f32(p.hT, h.size()), h);
  char what[256];
  std::string f32note;
  if (d.ly.kind == "ssd" && d.L >= 2048) {
    auto h32 = reference_f32_state(d, with_h0);
    Err e32 = compare(std::vector<double>(h32.begin(), h32.end()), h);
    char nb[64];
    snprintf(nb, sizeof nb, " (cpu-f32 hT %.1e)", e32.rel);
    f32note = nb;
  }
  snprintf(what, sizeof what, "%s B=%d L=%d %s%s%s", e.name.c_str(), d.B, d.L,
           with_h0 ? "h0" : "zero", tag.c_str(), f32note.c_str());
  report(what, ey, tol_y(d.ly), &eh, kTolH);
}

// First part then the rest from the first part's final state == the whole sequence.
static void check_continuation(const KernelEntry& e, DevProblem& p, const Data& d, int split) {
  std::vector<double> h = d.h0, yref;
  reference(d, 0, d.L, h, yref);
  ensure_ws(p, e, d.B, d.L);
  poison(p);
  float* hmid = nullptr;
  const size_t ns = d.h0.size();
  CK(cudaMalloc(&hmid, ns * 4));
  CK(cudaMemset(hmid, 0xff, ns * 4));
  ssm_launch_args a1 = make_args(p, 0, split, SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT, p.h0, hmid);
  launch(e, a1, 0);
  ssm_launch_args a2 =
      make_args(p, split, d.L - split, SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT, hmid, p.hT);
  launch(e, a2, 0);
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  CK(cudaFree(hmid));
  Err ey = compare(y_of(p), yref);
  Err eh = compare(download_f32(p.hT, ns), h);
  char what[256];
  snprintf(what, sizeof what, "%s B=%d L=%d prefill %d + continuation %d", e.name.c_str(), d.B,
           d.L, split, d.L - split);
  report(what, ey, tol_y(d.ly), &eh, kTolH);
}

// Decode: L single steps in place from h0 == the whole-sequence reference.
static void check_steps(const KernelEntry& e, DevProblem& p, const Data& d) {
  std::vector<double> h = d.h0, yref;
  reference(d, 0, d.L, h, yref);
  poison(p);
  const size_t ns = d.h0.size();
  CK(cudaMemcpy(p.hT, p.h0, ns * 4, cudaMemcpyDeviceToDevice));  // state buffer, in place
  for (int t = 0; t < d.L; ++t) {
    ssm_launch_args a = make_args(p, t, 1, SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT, p.hT, p.hT, true);
    long long grid = grid_of(e, d.B, 1);
    void* args[] = {&a};
    CK(cudaLaunchKernel(e.fn, dim3(unsigned(grid)), dim3(e.block), args, 0, 0));
  }
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());
  Err ey = compare(y_of(p), yref);
  Err eh = compare(download_f32(p.hT, ns), h);
  char what[256];
  snprintf(what, sizeof what, "%s B=%d %d steps in place", e.name.c_str(), d.B, d.L);
  report(what, ey, tol_y(d.ly), &eh, kTolH);
}

static std::string layer_key(const KernelEntry& e) {
  char b[128];
  snprintf(b, sizeof b, "%s/%s/%lld/%d", e.layer.c_str(), e.dtype.c_str(), e.rows, e.N);
  return b;
}

static void run_checks(bool quick) {
  auto& reg = ssmt::registry();
  // group test entries by layer instantiation so one random problem serves its variants
  std::map<std::string, std::vector<const KernelEntry*>> groups;
  for (auto& e : reg)
    if (e.use == "test") groups[layer_key(e)].push_back(&e);
  const int batches[] = {1, 3};
  const int lens[] = {1, 7, 127, 2048, 2049};
  for (auto& [key, ents] : groups) {
    const Layer ly = layer_of(*ents[0]);
    LOG("== %s (rows %lld, N %d)\n", key.c_str(), ly.rows, ly.N);
    for (int B : batches)
      for (int L : lens) {
        if (quick && L > 127) continue;
        Data d = make_data(ly, B, L, ++g_seed);
        DevProblem p;
        dev_alloc(p, ly, B, L, 0);
        upload_data(p, d);
        for (auto* e : ents) {
          if (e->kind == "step") {
            if (L <= 127) check_steps(*e, p, d);
            continue;
          }
          check_forward(*e, p, d, (L % 2) == 1, "");
          if (L == 2049 && B == 3) check_continuation(*e, p, d, 1000);
          if (L == 7) check_continuation(*e, p, d, 3);
        }
        dev_free(p);
      }
    // strong decays (delta near 3: per-step decays down to e^-48): the SSD tiles whose decay
    // product falls under 2^-30 take the generic form instead of the rescaled one
    if (ly.kind == "ssd") {
      Data d = make_data(ly, 2, 301, ++g_seed, 3.0);
      DevProblem p;
      dev_alloc(p, ly, 2, 301, 0);
      upload_data(p, d);
      for (auto* e : ents) {
        if (e->kind == "step") continue;
        check_forward(*e, p, d, true, " strong decay");
        check_continuation(*e, p, d, 150);
      }
      dev_free(p);
    }
    // (batch, dims, seq) layout, through the strides
    if (ly.kind == "s6") {
      Data d = make_data(ly, 2, 301, ++g_seed);
      DevProblem p;
      dev_alloc(p, ly, 2, 301, 1);
      upload_data(p, d);
      for (auto* e : ents)
        if (e->kind != "step") check_forward(*e, p, d, true, " layout (B,D,L)");
      dev_free(p);
    }
  }

  // exp2 accuracy over a long sequence: fast (ex2.approx) vs expf, f32
  {
    const KernelEntry *fast = nullptr, *exact = nullptr;
    for (auto& e : reg) {
      if (e.use != "acc") continue;
      if (e.layer == "s6") fast = &e;
      if (e.layer == "s6exact") exact = &e;
    }
    for (int L : {16384, 65536}) {
      if (quick && L > 16384) continue;
      for (const KernelEntry* e : {fast, exact}) {
        if (!e) continue;
        const Layer ly = layer_of(*e);
        Data d = make_data(ly, 1, L, ++g_seed);
        DevProblem p;
        dev_alloc(p, ly, 1, L, 0);
        upload_data(p, d);
        check_forward(*e, p, d, true, " (long-sequence accuracy)");
        dev_free(p);
      }
    }
  }

  // every benchmark instantiation on a reduced problem with its own D and N
  for (auto& e : reg) {
    if (e.use != "bench") continue;
    const Layer ly = layer_of(e);
    const int B = 2, L = e.kind == "step" ? 5 : (ly.rows * ly.N > 200000 ? 150 : 300);
    Data d = make_data(ly, B, L, ++g_seed);
    DevProblem p;
    dev_alloc(p, ly, B, L, 0);
    upload_data(p, d);
    if (e.kind == "step") check_steps(e, p, d);
    else {
      check_forward(e, p, d, true, "");
      if (e.kind == "chunk") {  // several chunks even at a reduced length
        Data d2 = make_data(ly, 1, 2 * e.chunk + 37, ++g_seed);
        DevProblem p2;
        dev_alloc(p2, ly, 1, d2.L, 0);
        upload_data(p2, d2);
        check_forward(e, p2, d2, true, "");
        dev_free(p2);
      }
    }
    dev_free(p);
  }
}

// ---------------------------------------------------------------------------------------------
// Benchmarks.

__global__ void fill_kernel(void* p, long long n, int bf16, unsigned long long seed, float mean,
                            float scale) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x) {
    unsigned long long z = (seed + i) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    // sum of four 16-bit uniforms: mean 0, variance 4/12 -> scale by sqrt(3)
    float u = 0;
    for (int k = 0; k < 4; ++k) u += float((z >> (16 * k)) & 0xffff) * (1.0f / 65536.0f);
    float v = mean + scale * 1.7320508f * (u - 2.0f);
    if (bf16) {
      unsigned bits = __float_as_uint(v);
      bits += 0x7fffu + ((bits >> 16) & 1u);
      static_cast<unsigned short*>(p)[i] = (unsigned short)(bits >> 16);
    } else {
      static_cast<float*>(p)[i] = v;
    }
  }
}

static void dev_fill(DevTensor& t, float mean, float scale, unsigned long long seed) {
  fill_kernel<<<1024, 256>>>(t.p, (long long)t.elems, t.esize == 2, seed, mean, scale);
  CK(cudaGetLastError());
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Bench {
  double copy_gbs = 0;    // device-to-device, bytes read + written
  double sfu_per_s = 0;   // SFU results per second (16 per SM per clock)
  int sms = 0;
  double clock_ghz = 0;
  std::vector<std::string> json;
  std::vector<std::string> table;
};

static double measure_copy(Bench& bm) {
  const size_t bytes = size_t(1) << 30;
  void *a, *b;
  CK(cudaMalloc(&a, bytes));
  CK(cudaMalloc(&b, bytes));
  CK(cudaMemset(a, 1, bytes));
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0));
  CK(cudaEventCreate(&e1));
  std::vector<double> ts;
  for (int i = 0; i < 13; ++i) {
    CK(cudaEventRecord(e0));
    CK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice));
    CK(cudaEventRecord(e1));
    CK(cudaEventSynchronize(e1));
    float ms;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    if (i >= 3) ts.push_back(ms);
  }
  CK(cudaFree(a));
  CK(cudaFree(b));
  double ms = median(ts);
  bm.copy_gbs = 2.0 * bytes / (ms * 1e-3) / 1e9;
  return bm.copy_gbs;
}

struct Shape {
  std::string layer;  // "s6" or "ssd"
  std::string dtype;
  int B, L;
  long long rows;
  int N, H, P;
  double peer_ms;
  std::string peer;
  double target_speedup;
};

static std::vector<Shape> bench_shapes() {
  std::vector<Shape> s;
  auto s6 = [&](int B, int L, int D, int N, const char* dt, double peer) {
    s.push_back({"s6", dt, B, L, D, N, 0, 0, peer, "mamba_ssm CUDA", 2.0});
  };
  s6(8, 2048, 1536, 16, "f32", 0.888);
  s6(8, 2048, 1536, 16, "bf16", 0.455);
  s6(4, 4096, 2048, 16, "f32", 1.186);
  s6(4, 4096, 2048, 16, "bf16", 0.592);
  s6(1, 16384, 5120, 16, "f32", 3.290);
  s6(1, 16384, 5120, 16, "bf16", 1.946);
  s6(2, 2048, 2048, 64, "f32", 1.081);
  s6(2, 2048, 2048, 64, "bf16", 0.519);
  s6(16, 512, 1536, 16, "f32", 0.457);
  s6(16, 512, 1536, 16, "bf16", 0.212);
  auto ssd = [&](int B, int L, int H, const char* dt, double peer) {
    s.push_back({"ssd", dt, B, L, (long long)H * 64, 128, H, 64, peer, "mamba_ssm Triton", 1.5});
  };
  ssd(8, 2048, 24, "bf16", 0.732);
  ssd(4, 4096, 32, "bf16", 1.410);
  ssd(1, 16384, 80, "bf16", 0.866);
  ssd(8, 2048, 24, "f32", 0.535);
  return s;
}

static size_t io_bytes(const Layer& ly, int B, int L) {
  const int es = ly.bf16 ? 2 : 4;
  double n = (double)B * L * (3.0 * ly.rows + ly.ndt() + 2.0 * ly.N);  // x, z, y + dt + B, C
  return size_t(n * es);
}

static void run_bench(Bench& bm, const std::string& only, const std::string& kfilter) {
  auto& reg = ssmt::registry();
  cudaEvent_t ev[2 * 64];
  for (auto& e : ev) CK(cudaEventCreate(&e));
  for (const Shape& sh : bench_shapes()) {
    if (!only.empty() && sh.layer != only) continue;
    std::vector<const KernelEntry*> cands;
    for (auto& e : reg)
      if (e.use == "bench" && e.kind != "step" && (e.layer == sh.layer) && e.dtype == sh.dtype &&
          e.rows == sh.rows && e.N == sh.N && e.name.find(kfilter) != std::string::npos)
        cands.push_back(&e);
    if (cands.empty()) {
      if (!kfilter.empty()) continue;
      LOG("no instantiation for %s %s rows %lld N %d\n", sh.layer.c_str(), sh.dtype.c_str(),
          sh.rows, sh.N);
      continue;
    }
    Layer ly = layer_of(*cands[0]);
    const size_t set_bytes = io_bytes(ly, sh.B, sh.L);
    const int nsets = int(std::min<size_t>(8, std::max<size_t>(2, (400u << 20) / set_bytes + 1)));
    std::vector<DevProblem> sets(nsets);
    Data params = make_data(ly, 1, 1, ++g_seed);  // A, Dskip, dt_bias from the same init
    for (int s = 0; s < nsets; ++s) {
      dev_alloc(sets[s], ly, sh.B, sh.L, 0);
      unsigned long long sd = (++g_seed) * 1000003ull;
      dev_fill(sets[s].t[0], 0.f, 1.f, sd + 1);
      dev_fill(sets[s].t[1], 0.f, 0.5f, sd + 2);
      dev_fill(sets[s].t[2], 0.f, 1.f, sd + 3);
      dev_fill(sets[s].t[3], 0.f, 1.f, sd + 4);
      dev_fill(sets[s].t[4], 0.f, 1.f, sd + 5);
      upload_f32(sets[s].t[5].p, params.A);
      upload_f32(sets[s].t[6].p, params.Dsk);
      upload_f32(sets[s].t[7].p, params.dtb);
      CK(cudaMemset(sets[s].t[8].p, 0xff, sets[s].t[8].elems * sets[s].t[8].esize));
    }
    CK(cudaDeviceSynchronize());
    const double floor_mem_ms = set_bytes / (bm.copy_gbs * 1e9) * 1e3;
    const double exps = ly.kind == "s6" ? (double)sh.B * sh.L * ly.rows * ly.N
                                        : (double)sh.B * sh.L * ly.rows;
    const double floor_exp_ms = exps / bm.sfu_per_s * 1e3;
    double best = 1e30;
    const KernelEntry* beste = nullptr;
    for (const KernelEntry* e : cands) {
      for (auto& s : sets) ensure_ws(s, *e, sh.B, sh.L);
      std::vector<ssm_launch_args> args;
      for (auto& s : sets) args.push_back(make_args(s, 0, sh.L, 0, nullptr, nullptr));
      for (int w = 0; w < 3; ++w) launch(*e, args[w % nsets], 0);
      CK(cudaGetLastError());
      CK(cudaDeviceSynchronize());
      const int runs = 40;
      std::vector<double> ts;
      for (int r0 = 0; r0 < runs; r0 += 32) {
        int nb = std::min(32, runs - r0);
        for (int r = 0; r < nb; ++r) {
          CK(cudaEventRecord(ev[2 * r]));
          launch(*e, args[(r0 + r) % nsets], 0);
          CK(cudaEventRecord(ev[2 * r + 1]));
        }
        CK(cudaGetLastError());
        CK(cudaDeviceSynchronize());
        for (int r = 0; r < nb; ++r) {
          float ms;
          CK(cudaEventElapsedTime(&ms, ev[2 * r], ev[2 * r + 1]));
          ts.push_back(ms);
        }
      }
      double med = median(ts);
      double mn = *std::min_element(ts.begin(), ts.end());
      LOG("  %-5s %-4s B=%-2d L=%-5d rows=%-5lld N=%-3d %-44s %-6s %8.4f ms (min %.4f) "
          "floor x%.2f\n",
          sh.layer.c_str(), sh.dtype.c_str(), sh.B, sh.L, sh.rows, sh.N, e->name.c_str(),
          e->kind.c_str(), med, mn, med / floor_mem_ms);
      char js[512];
      snprintf(js, sizeof js,
               "{\"layer\": \"%s\", \"dtype\": \"%s\", \"B\": %d, \"L\": %d, \"rows\": %lld, "
               "\"N\": %d, \"kernel\": \"%s\", \"cfg\": \"%s\", \"median_ms\": %.5f, "
               "\"min_ms\": %.5f, \"regs\": %d}",
               sh.layer.c_str(), sh.dtype.c_str(), sh.B, sh.L, sh.rows, sh.N, e->name.c_str(),
               e->cfg.c_str(), med, mn, e->regs);
      bm.json.push_back(js);
      if (med < best) best = med, beste = e;
    }
    char shape[96];
    if (sh.layer == "s6")
      snprintf(shape, sizeof shape, "B%d L%d D%lld N%d", sh.B, sh.L, sh.rows, sh.N);
    else
      snprintf(shape, sizeof shape, "B%d L%d H%d P%d N%d", sh.B, sh.L, sh.H, sh.P, sh.N);
    const double speed = sh.peer_ms / best;
    char row[512];
    snprintf(row, sizeof row,
             "%-4s %-26s %-4s %8.4f %8.4f %6.2fx %8.4f %8.3f %6.2fx %-4s %s",
             sh.layer.c_str(), shape, sh.dtype.c_str(), best, floor_mem_ms, best / floor_mem_ms,
             floor_exp_ms, sh.peer_ms, speed, speed >= sh.target_speedup ? "yes" : "NO",
             beste->name.c_str());
    bm.table.push_back(row);
    for (auto& s : sets) dev_free(s);
  }

  // decode step: channels 5120, N 16, bf16, state f32, in place, in a CUDA graph
  if (only.empty() || only == "step") {
    for (int B : {1, 64}) {
      std::vector<const KernelEntry*> cands;
      for (auto& e : reg)
        if (e.use == "bench" && e.kind == "step" && e.rows == 5120 && e.N == 16 &&
            e.name.find(kfilter) != std::string::npos)
          cands.push_back(&e);
      if (cands.empty()) break;
      Layer ly = layer_of(*cands[0]);
      DevProblem p;
      dev_alloc(p, ly, B, 1, 0);
      Data params = make_data(ly, 1, 1, ++g_seed);
      for (int s : {0, 1, 2, 3, 4}) dev_fill(p.t[s], 0.f, s == 1 ? 0.5f : 1.f, ++g_seed * 77);
      upload_f32(p.t[5].p, params.A);
      upload_f32(p.t[6].p, params.Dsk);
      upload_f32(p.t[7].p, params.dtb);
      CK(cudaMemset(p.hT, 0, (size_t)B * ly.rows * ly.N * 4));
      const double bytes = (double)B * ly.rows * ly.N * 4 * 2 + (double)ly.rows * ly.N * 4 +
                           (double)B * (3 * ly.rows + 2 * ly.N) * 2;
      const double floor_us = bytes / (bm.copy_gbs * 1e9) * 1e6;
      double best = 1e30, best_plain = 0, best_pdl = 1e30;
      const KernelEntry *beste = nullptr, *beste_pdl = nullptr;
      cudaStream_t st;
      CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
      for (const KernelEntry* e : cands) {
        ssm_launch_args a = make_args(p, 0, 1, SSM_FLAG_HAS_H0 | SSM_FLAG_WRITE_HT, p.hT, p.hT, true);
        long long grid = grid_of(*e, B, 1);
        void* args[] = {&a};
        const int K = 100;
        // plain stream launches
        std::vector<double> tp;
        for (int rep = 0; rep < 12; ++rep) {
          CK(cudaEventRecord(ev[0], st));
          for (int k = 0; k < K; ++k)
            CK(cudaLaunchKernel(e->fn, dim3(unsigned(grid)), dim3(e->block), args, 0, st));
          CK(cudaEventRecord(ev[1], st));
          CK(cudaEventSynchronize(ev[1]));
          float ms;
          CK(cudaEventElapsedTime(&ms, ev[0], ev[1]));
          if (rep >= 2) tp.push_back(ms * 1e3 / K);
        }
        // graph of K steps; pdl: each launch with programmatic stream serialization, so a
        // step's launch and prologue overlap the previous step (the skeleton's griddepcontrol)
        double mgs[2] = {0, 0};
        for (int pdl = 0; pdl < 2; ++pdl) {
          cudaGraph_t g;
          cudaGraphExec_t ge;
          CK(cudaStreamBeginCapture(st, cudaStreamCaptureModeGlobal));
          for (int k = 0; k < K; ++k) {
            cudaLaunchConfig_t cfg = {};
            cfg.gridDim = dim3(unsigned(grid));
            cfg.blockDim = dim3(e->block);
            cfg.stream = st;
            cudaLaunchAttribute attr[1];
            attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
            attr[0].val.programmaticStreamSerializationAllowed = 1;
            cfg.attrs = attr;
            cfg.numAttrs = pdl ? 1 : 0;
            CK(cudaLaunchKernelExC(&cfg, e->fn, args));
          }
          CK(cudaStreamEndCapture(st, &g));
          CK(cudaGraphInstantiate(&ge, g, 0));
          std::vector<double> tg;
          for (int rep = 0; rep < 35; ++rep) {
            CK(cudaEventRecord(ev[0], st));
            CK(cudaGraphLaunch(ge, st));
            CK(cudaEventRecord(ev[1], st));
            CK(cudaEventSynchronize(ev[1]));
            float ms;
            CK(cudaEventElapsedTime(&ms, ev[0], ev[1]));
            if (rep >= 5) tg.push_back(ms * 1e3 / K);
          }
          CK(cudaGraphExecDestroy(ge));
          CK(cudaGraphDestroy(g));
          mgs[pdl] = median(tg);
        }
        double mg = mgs[0], mgp = mgs[1], mp = median(tp);
        LOG("  step B=%-2d %-44s graph %.3f us/step, graph+PDL %.3f, stream %.3f, floor %.3f us\n",
            B, e->name.c_str(), mg, mgp, mp, floor_us);
        char js[512];
        snprintf(js, sizeof js,
                 "{\"layer\": \"s6_step\", \"dtype\": \"%s\", \"B\": %d, \"rows\": %lld, \"N\": "
                 "%d, \"kernel\": \"%s\", \"graph_us\": %.4f, \"graph_pdl_us\": %.4f, "
                 "\"stream_us\": %.4f, \"regs\": %d}",
                 e->dtype.c_str(), B, ly.rows, ly.N, e->name.c_str(), mg, mgp, mp, e->regs);
        bm.json.push_back(js);
        if (mg < best) best = mg, best_plain = mp, beste = e;
        if (mgp < best_pdl) best_pdl = mgp, beste_pdl = e;
      }
      CK(cudaStreamDestroy(st));
      const double peer = B == 1 ? 1.9 : 14.0;
      char row[512];
      snprintf(row, sizeof row,
               "step B%-2d D5120 N16 (graph)      bf16 %8.4f %8.4f %6.2fx %8s %8.4f %6.2fx %-4s %s "
               "(us; stream %.2f us)",
               B, best, floor_us, best / floor_us, "-", peer, peer / best,
               best <= peer ? "yes" : "NO", beste->name.c_str(), best_plain);
      bm.table.push_back(row);
      snprintf(row, sizeof row,
               "step B%-2d D5120 N16 (graph+PDL)  bf16 %8.4f %8.4f %6.2fx %8s %8.4f %6.2fx %-4s %s (us)",
               B, best_pdl, floor_us, best_pdl / floor_us, "-", peer, peer / best_pdl,
               best_pdl <= peer ? "yes" : "NO", beste_pdl->name.c_str());
      bm.table.push_back(row);
      dev_free(p);
    }
  }
  for (auto& e : ev) CK(cudaEventDestroy(e));
}

int main(int argc, char** argv) {
  bool do_check = false, do_bench = false, quick = false;
  std::string out = ".", only, kfilter;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--check") do_check = true;
    else if (a == "--bench") do_bench = true;
    else if (a == "--quick") quick = true;
    else if (a == "--out" && i + 1 < argc) out = argv[++i];
    else if (a == "--only" && i + 1 < argc) only = argv[++i];
    else if (a == "--kernel" && i + 1 < argc) kfilter = argv[++i];
    else if (a == "--seed" && i + 1 < argc) g_seed = strtoull(argv[++i], nullptr, 10);
    else {
      fprintf(stderr, "usage: %s [--check] [--bench] [--quick] [--only s6|ssd|step] [--kernel SUBSTR] "
              "[--out DIR]\n",
              argv[0]);
      return 2;
    }
  }
  if (!do_check && !do_bench) do_check = do_bench = true;
  if (g_seed == 0) g_seed = (uint64_t)time(nullptr);
  g_log = fopen((out + "/harness.log").c_str(), "w");

  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  int clock_khz = 0;
  CK(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
  Bench bm;
  bm.sms = prop.multiProcessorCount;
  bm.clock_ghz = clock_khz * 1e-6;
  bm.sfu_per_s = 16.0 * bm.sms * clock_khz * 1e3;
  LOG("device %s, %d SMs, %.2f GHz max clock, L2 %d MB, seed %llu\n", prop.name, bm.sms,
      bm.clock_ghz, prop.l2CacheSize >> 20, (unsigned long long)g_seed);

  auto& reg = ssmt::registry();
  for (auto& e : reg) {
    cudaFuncAttributes fa;
    CK(cudaFuncGetAttributes(&fa, e.fn));
    e.regs = fa.numRegs;
    LOG("kernel %-48s %-5s %-4s %-5s rows %-5lld N %-3d block %-3d regs %-3d spill %zu %s\n",
        e.name.c_str(), e.layer.c_str(), e.dtype.c_str(), e.kind.c_str(), e.rows, e.N, e.block,
        fa.numRegs, fa.localSizeBytes, e.cfg.c_str());
  }

  if (do_check) {
    run_checks(quick);
    LOG("checks: %d passed, %d failed\n", g_pass, g_fail);
  }
  if (do_bench) {
    measure_copy(bm);
    LOG("device-to-device copy: %.0f GB/s (read + write); SFU %.2e exp/s (16/SM/clk at %.2f GHz)\n",
        bm.copy_gbs, bm.sfu_per_s, bm.clock_ghz);
    run_bench(bm, only, kfilter);
  }

  FILE* js = fopen((out + "/results.json").c_str(), "w");
  if (js) {
    fprintf(js, "{\n  \"device\": \"%s\", \"seed\": %llu, \"copy_gbs\": %.1f, \"sfu_per_s\": %.4e,\n",
            prop.name, (unsigned long long)g_seed, bm.copy_gbs, bm.sfu_per_s);
    fprintf(js, "  \"checks_passed\": %d, \"checks_failed\": %d,\n  \"checks\": [\n", g_pass, g_fail);
    for (size_t i = 0; i < g_check_json.size(); ++i)
      fprintf(js, "    %s%s\n", g_check_json[i].c_str(), i + 1 < g_check_json.size() ? "," : "");
    fprintf(js, "  ],\n  \"bench\": [\n");
    for (size_t i = 0; i < bm.json.size(); ++i)
      fprintf(js, "    %s%s\n", bm.json[i].c_str(), i + 1 < bm.json.size() ? "," : "");
    fprintf(js, "  ]\n}\n");
    fclose(js);
  }
  if (do_bench) {
    LOG("\n%-4s %-26s %-4s %8s %8s %7s %8s %8s %7s %-4s %s\n", "layer", "shape", "dt", "ms",
        "floor", "x floor", "exp-flr", "peer ms", "speedup", "met", "kernel");
    for (auto& r : bm.table) LOG("%s\n", r.c_str());
    LOG("copy %.0f GB/s; floor = bytes(x, dt, z, B, C, y) / copy bandwidth; exp-flr = exps / SFU "
        "rate\n", bm.copy_gbs);
  }
  if (do_check) LOG("checks: %d passed, %d failed\n", g_pass, g_fail);
  if (g_log) fclose(g_log);
  return g_fail ? 1 : 0;
}
