// Unit tests of the float64 reference evaluator: each stdlib layer against a direct loop written
// here in plain C++, closed forms, state carry-over, default params, errors and speed.
#include "ssmc/Reference.h"
#include "ssmc/Sema.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <complex>

using namespace ssmc;
using namespace ssmc::sema;
using ref::HostTensor;
using ref::TensorMap;

namespace {

using cd = std::complex<double>;

struct Analyzed {
  SourceManager sm;
  std::unique_ptr<DiagEngine> diags;
  Program prog;
  const Layer &layer() const { return prog.layers.at(0); }
  std::string messages() const {
    std::string s;
    for (auto &d : diags->all())
      s += diags->format(d);
    return s;
  }
};

std::unique_ptr<Analyzed> analyzeText(const std::string &text, std::map<std::string, int64_t> dims = {}) {
  auto r = std::make_unique<Analyzed>();
  r->diags = std::make_unique<DiagEngine>(r->sm);
  Options opts;
  opts.includeDirs.push_back(SSMC_STDLIB_DIR);
  opts.dimOverrides = std::move(dims);
  r->prog = analyze("test.ssm", text, opts, r->sm, *r->diags);
  return r;
}

std::unique_ptr<Analyzed> analyzeStdlib(const std::string &file, std::map<std::string, int64_t> dims = {}) {
  auto r = std::make_unique<Analyzed>();
  r->diags = std::make_unique<DiagEngine>(r->sm);
  Options opts;
  opts.dimOverrides = std::move(dims);
  r->prog = analyze(std::string(SSMC_STDLIB_DIR) + "/" + file, std::nullopt, opts, r->sm, *r->diags);
  return r;
}

#define ASSERT_ANALYZED(r)                                                                                           \
  ASSERT_FALSE((r)->diags->hasErrors()) << (r)->messages();                                                          \
  ASSERT_EQ((r)->prog.layers.size(), 1u)

/// Row-major offset of `idx` in `t`.
int64_t off(const HostTensor &t, std::initializer_list<int64_t> idx) {
  EXPECT_EQ(idx.size(), t.shape.size());
  int64_t o = 0, a = 0;
  for (int64_t i : idx)
    o = o * t.shape[a++] + i;
  return o;
}
double re(const HostTensor &t, std::initializer_list<int64_t> idx) { return t.re[off(t, idx)]; }
cd cx(const HostTensor &t, std::initializer_list<int64_t> idx) {
  int64_t o = off(t, idx);
  return {t.re[o], t.im.empty() ? 0.0 : t.im[o]};
}

HostTensor filled(std::vector<int64_t> shape, std::vector<double> values) {
  HostTensor t(std::move(shape), false);
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.numel());
  t.re = std::move(values);
  return t;
}

/// Uniform values from a fixed LCG, independent of the evaluator's own generator.
HostTensor randomTensor(std::vector<int64_t> shape, double lo, double hi, uint64_t seed, bool complex = false) {
  HostTensor t(std::move(shape), complex);
  uint64_t s = seed * 2654435761u + 1;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * static_cast<double>(s >> 11) / 9007199254740992.0;
  };
  for (double &v : t.re)
    v = next();
  for (double &v : t.im)
    v = next();
  return t;
}

/// Steps [t0, t1) of an in [batch, seq, ...].
HostTensor sliceSeq(const HostTensor &t, int64_t t0, int64_t t1) {
  std::vector<int64_t> shape = t.shape;
  shape[1] = t1 - t0;
  HostTensor s(shape, t.isComplex());
  int64_t inner = 1;
  for (size_t a = 2; a < t.shape.size(); ++a)
    inner *= t.shape[a];
  for (int64_t b = 0; b < t.shape[0]; ++b)
    for (int64_t k = t0; k < t1; ++k)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t from = (b * t.shape[1] + k) * inner + i, to = (b * shape[1] + (k - t0)) * inner + i;
        s.re[to] = t.re[from];
        if (t.isComplex())
          s.im[to] = t.im[from];
      }
  return s;
}

double maxRelDiff(const HostTensor &a, const HostTensor &b) {
  EXPECT_EQ(a.shape, b.shape);
  double worst = 0;
  for (size_t i = 0; i < a.re.size() && i < b.re.size(); ++i) {
    double d = std::fabs(a.re[i] - b.re[i]) / std::max(1.0, std::fabs(b.re[i]));
    if (i < a.im.size() && i < b.im.size())
      d = std::max(d, std::fabs(a.im[i] - b.im[i]) / std::max(1.0, std::fabs(b.im[i])));
    worst = std::max(worst, std::isnan(d) ? INFINITY : d);
  }
  return worst;
}

double softplusRef(double x) { return std::log(1 + std::exp(x)); }
double siluRef(double x) { return x / (1 + std::exp(-x)); }

struct Outcome {
  TensorMap outs, hT;
  std::string error;
  bool ok = false;
};

Outcome runLayer(const Layer &l, const TensorMap &in, int64_t batch, int64_t seqlen, const TensorMap *h0 = nullptr) {
  Outcome r;
  r.ok = ref::evaluate(l, in, batch, seqlen, h0, r.outs, &r.hT, &r.error);
  return r;
}

} // namespace

TEST(Reference, ScalarRecurrenceMatchesClosedForm) {
  // h_t = a h_{t-1} + 1 from h_{-1} = c is a^(t+1) c + (1 - a^(t+1)) / (1 - a).
  auto r = analyzeText(R"(layer l(dims D = 2) {
    in x: [D]
    param a: [D]
    state h: [D] = a * h + x
    out y: [D] = h
  })");
  ASSERT_ANALYZED(r);
  const int64_t B = 1, L = 6;
  TensorMap in{{"x", filled({B, L, 2}, std::vector<double>(L * 2, 1.0))}, {"a", filled({2}, {0.5, -0.25})}};
  TensorMap h0{{"h", filled({B, 2}, {3.0, -2.0})}};
  Outcome run = runLayer(r->layer(), in, B, L, &h0);
  ASSERT_TRUE(run.ok) << run.error;
  const double a[2] = {0.5, -0.25}, c[2] = {3.0, -2.0};
  for (int64_t t = 0; t < L; ++t)
    for (int d = 0; d < 2; ++d) {
      double p = std::pow(a[d], static_cast<double>(t + 1));
      EXPECT_NEAR(re(run.outs.at("y"), {0, t, d}), p * c[d] + (1 - p) / (1 - a[d]), 1e-14) << "t " << t << " d " << d;
    }
  EXPECT_EQ(run.hT.at("h").shape, (std::vector<int64_t>{1, 2}));
  EXPECT_DOUBLE_EQ(run.hT.at("h").re[1], re(run.outs.at("y"), {0, L - 1, 1}));
}

TEST(Reference, MambaS6MatchesDirectLoop) {
  auto r = analyzeStdlib("mamba_s6.ssm", {{"D", 3}, {"N", 4}});
  ASSERT_ANALYZED(r);
  const int64_t B = 2, L = 5, D = 3, N = 4;
  TensorMap in;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), B, L, 7, in, &err)) << err;
  in["A"] = randomTensor({D, N}, -3, -0.5, 1);
  in["Dskip"] = randomTensor({D}, -1, 1, 2);
  in["dt_bias"] = randomTensor({D}, -0.5, 0.5, 3);
  Outcome run = runLayer(r->layer(), in, B, L);
  ASSERT_TRUE(run.ok) << run.error;

  const HostTensor &x = in["x"], &dt = in["dt"], &Bm = in["B"], &C = in["C"], &z = in["z"], &A = in["A"],
                   &Ds = in["Dskip"], &db = in["dt_bias"];
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(D * N, 0.0);
    for (int64_t t = 0; t < L; ++t)
      for (int64_t d = 0; d < D; ++d) {
        double delta = softplusRef(re(dt, {b, t, d}) + re(db, {d})), acc = 0;
        for (int64_t n = 0; n < N; ++n) {
          double &hv = h[d * N + n];
          hv = std::exp(delta * re(A, {d, n})) * hv + delta * re(Bm, {b, t, n}) * re(x, {b, t, d});
          acc += re(C, {b, t, n}) * hv;
        }
        double want = (acc + re(Ds, {d}) * re(x, {b, t, d})) * siluRef(re(z, {b, t, d}));
        EXPECT_NEAR(re(run.outs.at("y"), {b, t, d}), want, 1e-12) << "b " << b << " t " << t << " d " << d;
      }
    for (int64_t i = 0; i < D * N; ++i)
      EXPECT_NEAR(run.hT.at("h").re[b * D * N + i], h[i], 1e-12);
  }
}

TEST(Reference, S4DComplexMatchesDirectLoop) {
  auto r = analyzeStdlib("s4d_complex.ssm", {{"D", 2}, {"N", 3}});
  ASSERT_ANALYZED(r);
  const int64_t Bt = 2, L = 7, D = 2, N = 3;
  TensorMap in;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), Bt, L, 11, in, &err)) << err;
  // A keeps its S4D-Lin default; B and C are random complex, dt per channel.
  in["B"] = randomTensor({D, N}, -1, 1, 4, true);
  in["C"] = randomTensor({D, N}, -1, 1, 5, true);
  in["dt"] = filled({D}, {0.1, 0.03});
  Outcome run = runLayer(r->layer(), in, Bt, L);
  ASSERT_TRUE(run.ok) << run.error;
  ASSERT_FALSE(run.outs.at("y").isComplex());
  ASSERT_TRUE(run.hT.at("h").isComplex());

  const double pi = std::acos(-1.0);
  for (int64_t b = 0; b < Bt; ++b) {
    std::vector<cd> h(D * N, 0.0);
    for (int64_t t = 0; t < L; ++t)
      for (int64_t d = 0; d < D; ++d) {
        double dtv = re(in["dt"], {d}), u = re(in["u"], {b, t, d});
        cd acc = 0;
        for (int64_t n = 0; n < N; ++n) {
          cd A(-0.5, pi * static_cast<double>(n));
          cd Ab = std::exp(dtv * A), Bb = (Ab - 1.0) / A * cx(in["B"], {d, n});
          h[d * N + n] = Ab * h[d * N + n] + Bb * u;
          acc += cx(in["C"], {d, n}) * h[d * N + n];
        }
        EXPECT_NEAR(re(run.outs.at("y"), {b, t, d}), 2 * acc.real() + u, 1e-12) << "b " << b << " t " << t;
      }
    for (int64_t i = 0; i < D * N; ++i) {
      EXPECT_NEAR(run.hT.at("h").re[b * D * N + i], h[i].real(), 1e-12);
      EXPECT_NEAR(run.hT.at("h").im[b * D * N + i], h[i].imag(), 1e-12);
    }
  }
}

namespace {

using M3 = std::array<std::array<double, 3>, 3>;

/// The inverse of a 3x3 matrix by its adjugate (independent of the evaluator's Gauss-Jordan).
M3 inverse3(const M3 &m) {
  M3 adj;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
      adj[i][j] = m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    }
  double det = m[0][0] * adj[0][0] + m[0][1] * adj[1][0] + m[0][2] * adj[2][0];
  for (auto &row : adj)
    for (double &v : row)
      v /= det;
  return adj;
}

} // namespace

TEST(Reference, DenseS4MatchesDirectLoop) {
  auto r = analyzeStdlib("s4_legs.ssm", {{"D", 2}, {"N", 3}});
  ASSERT_ANALYZED(r);
  ASSERT_TRUE(r->layer().states[0].dense);
  const int64_t Bt = 1, L = 6, D = 2, N = 3;
  TensorMap in;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), Bt, L, 3, in, &err)) << err;
  in["dt"] = filled({D}, {0.5, 0.2});
  in["C"] = randomTensor({D, N}, -1, 1, 6);
  Outcome run = runLayer(r->layer(), in, Bt, L);
  ASSERT_TRUE(run.ok) << run.error;

  // HiPPO-LegS A and B, written out.
  M3 A{};
  double Bv[3];
  for (int n = 0; n < 3; ++n) {
    Bv[n] = std::sqrt(2.0 * n + 1);
    for (int k = 0; k < 3; ++k)
      A[n][k] = n > k ? -std::sqrt((2.0 * n + 1) * (2.0 * k + 1)) : n == k ? -(n + 1.0) : 0.0;
  }
  for (int64_t d = 0; d < D; ++d) {
    double dtv = re(in["dt"], {d});
    M3 lhs, rhs;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        lhs[i][j] = (i == j) - dtv / 2 * A[i][j];
        rhs[i][j] = (i == j) + dtv / 2 * A[i][j];
      }
    M3 M = inverse3(lhs), Ab{};
    double Bb[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        Bb[i] += M[i][j] * dtv * Bv[j];
        for (int k = 0; k < 3; ++k)
          Ab[i][j] += M[i][k] * rhs[k][j];
      }
    double h[3] = {0, 0, 0};
    for (int64_t t = 0; t < L; ++t) {
      double u = re(in["u"], {0, t, d}), nh[3], y = u; // Dskip = 1 by default
      for (int i = 0; i < 3; ++i) {
        nh[i] = Bb[i] * u;
        for (int k = 0; k < 3; ++k)
          nh[i] += Ab[i][k] * h[k];
      }
      for (int i = 0; i < 3; ++i) {
        h[i] = nh[i];
        y += re(in["C"], {d, i}) * h[i];
      }
      EXPECT_NEAR(re(run.outs.at("y"), {0, t, d}), y, 1e-12) << "t " << t << " d " << d;
    }
  }
}

TEST(Reference, SsdGroupsShareBAndC) {
  auto r = analyzeStdlib("mamba2_ssd.ssm", {{"H", 4}, {"P", 2}, {"N", 3}, {"G", 2}});
  ASSERT_ANALYZED(r);
  const int64_t Bt = 2, L = 4, H = 4, P = 2, N = 3, G = 2;
  TensorMap in;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), Bt, L, 5, in, &err)) << err;
  in["Dskip"] = randomTensor({H}, -1, 1, 8);
  Outcome run = runLayer(r->layer(), in, Bt, L);
  ASSERT_TRUE(run.ok) << run.error;

  for (int64_t b = 0; b < Bt; ++b) {
    std::vector<double> h(H * P * N, 0.0);
    for (int64_t t = 0; t < L; ++t)
      for (int64_t hd = 0; hd < H; ++hd) {
        int64_t g = hd / (H / G);
        double A = -(hd + 1.0); // mamba2_a
        double delta = softplusRef(re(in["dt"], {b, t, hd}));
        for (int64_t p = 0; p < P; ++p) {
          double xv = re(in["x"], {b, t, hd, p}), acc = 0;
          for (int64_t n = 0; n < N; ++n) {
            double &hv = h[(hd * P + p) * N + n];
            hv = std::exp(delta * A) * hv + delta * re(in["B"], {b, t, g, n}) * xv;
            acc += re(in["C"], {b, t, g, n}) * hv;
          }
          double want = (acc + re(in["Dskip"], {hd}) * xv) * siluRef(re(in["z"], {b, t, hd, p}));
          EXPECT_NEAR(re(run.outs.at("y"), {b, t, hd, p}), want, 1e-12) << "b " << b << " t " << t << " h " << hd;
        }
      }
  }
}

TEST(Reference, CarriedStateSplitsTheSequence) {
  // [0, L) in one call equals [0, k) then [k, L) from the carried state, for a real selective
  // layer, a complex one and a dense one.
  struct Case {
    const char *file;
    std::map<std::string, int64_t> dims;
  } cases[] = {{"mamba_s6.ssm", {{"D", 3}, {"N", 4}}},
               {"s4d_complex.ssm", {{"D", 2}, {"N", 3}}},
               {"s4_legs.ssm", {{"D", 2}, {"N", 4}}},
               {"mamba2_ssd.ssm", {{"H", 2}, {"P", 2}, {"N", 3}, {"G", 1}}}};
  for (const Case &c : cases) {
    auto r = analyzeStdlib(c.file, c.dims);
    ASSERT_ANALYZED(r);
    const int64_t B = 2, L = 9, k = 4;
    TensorMap in, first, second;
    std::string err;
    ASSERT_TRUE(ref::randomInputs(r->layer(), B, L, 21, in, &err)) << err;
    for (auto &[name, t] : in) {
      first[name] = sliceSeq(t, 0, k);
      second[name] = sliceSeq(t, k, L);
    }
    Outcome whole = runLayer(r->layer(), in, B, L);
    Outcome a = runLayer(r->layer(), first, B, k);
    ASSERT_TRUE(whole.ok && a.ok) << c.file << ": " << whole.error << a.error;
    Outcome b = runLayer(r->layer(), second, B, L - k, &a.hT);
    ASSERT_TRUE(b.ok) << c.file << ": " << b.error;
    for (auto &[name, y] : whole.outs) {
      EXPECT_LT(maxRelDiff(a.outs.at(name), sliceSeq(y, 0, k)), 1e-14) << c.file;
      EXPECT_LT(maxRelDiff(b.outs.at(name), sliceSeq(y, k, L)), 1e-13) << c.file;
    }
    for (auto &[name, h] : whole.hT)
      EXPECT_LT(maxRelDiff(b.hT.at(name), h), 1e-13) << c.file;
    // seqlen 0 hands the initial state back unchanged.
    TensorMap empty;
    for (auto &[name, t] : in)
      empty[name] = sliceSeq(t, 0, 0);
    Outcome none = runLayer(r->layer(), empty, B, 0, &a.hT);
    ASSERT_TRUE(none.ok) << none.error;
    for (auto &[name, h] : a.hT)
      EXPECT_EQ(maxRelDiff(none.hT.at(name), h), 0.0);
  }
}

TEST(Reference, DefaultParamsFollowTheInits) {
  auto r = analyzeStdlib("s4_legs.ssm", {{"D", 3}, {"N", 5}});
  ASSERT_ANALYZED(r);
  TensorMap p;
  std::string err;
  ASSERT_TRUE(ref::defaultParams(r->layer(), p, &err)) << err;
  const HostTensor &A = p.at("A"), &Bv = p.at("B");
  ASSERT_EQ(A.shape, (std::vector<int64_t>{5, 5}));
  for (int64_t n = 0; n < 5; ++n) {
    EXPECT_DOUBLE_EQ(re(Bv, {n}), std::sqrt(2.0 * n + 1));
    for (int64_t k = 0; k < 5; ++k) {
      double want = n > k ? -std::sqrt((2.0 * n + 1) * (2.0 * k + 1)) : n == k ? -(n + 1.0) : 0.0;
      EXPECT_DOUBLE_EQ(re(A, {n, k}), want) << n << "," << k;
    }
  }
  EXPECT_EQ(p.at("C").re, std::vector<double>(15, 1.0));
  EXPECT_EQ(p.at("dt").re, std::vector<double>(3, 0.01));

  // S4D-Inv, a complex init reading size(n).
  auto c = analyzeText(R"(import "init.ssm"
  layer l(dims D = 2, N = 4) {
    in u: [D]
    param A: c64[D, N] = s4d_inv
    param A2: c64[D, N] = 2 * A
    state h: c64[D, N] = exp(A2) * h + u
    out y: [D] = re(sum[N](h))
  })");
  ASSERT_ANALYZED(c);
  TensorMap q;
  ASSERT_TRUE(ref::defaultParams(c->layer(), q, &err)) << err;
  const double pi = std::acos(-1.0);
  for (int64_t d = 0; d < 2; ++d)
    for (int64_t n = 0; n < 4; ++n) {
      cd want(-0.5, 4 / pi * (4.0 / (2.0 * n + 1) - 1));
      EXPECT_NEAR(std::abs(cx(q.at("A"), {d, n}) - want), 0, 1e-15);
      EXPECT_NEAR(std::abs(cx(q.at("A2"), {d, n}) - 2.0 * want), 0, 1e-15);
    }
  // A param already given feeds the ones after it; evaluate() fills missing params the same way.
  TensorMap givenA{{"A", randomTensor({2, 4}, -1, 0, 9, true)}};
  ASSERT_TRUE(ref::defaultParams(c->layer(), givenA, &err)) << err;
  EXPECT_EQ(givenA.at("A2").im[5], 2 * givenA.at("A").im[5]);
  TensorMap in{{"u", filled({1, 2, 2}, {1, 1, 1, 1})}, {"A", givenA.at("A")}}, outs, hT;
  ASSERT_TRUE(ref::evaluate(c->layer(), in, 1, 2, nullptr, outs, &hT, &err)) << err;
  for (int64_t i = 0; i < 8; ++i) { // two steps from zero: h = exp(2 A) * 1 + 1
    cd want = std::exp(2.0 * cd(givenA.at("A").re[i], givenA.at("A").im[i])) + 1.0;
    EXPECT_NEAR(std::abs(cd(hT.at("h").re[i], hT.at("h").im[i]) - want), 0, 1e-14) << i;
  }
  TensorMap wrong{{"A", HostTensor({3}, true)}};
  EXPECT_FALSE(ref::defaultParams(c->layer(), wrong, &err));
  EXPECT_NE(err.find("reads param A, given with 3 values where its dims hold 8"), std::string::npos) << err;
}

TEST(Reference, MatrixConventions) {
  // eye, inv and @ on a 2x2 matrix, with rows and columns kept apart: M @ v with
  // M = inv([[2, 1], [0, 4]]) = [[0.5, -0.125], [0, 0.25]].
  auto r = analyzeText(R"(init upper[i, j] = if i == j then 2 * (i + 1) else if i < j then 1 else 0
  init ramp[n] = 1 + 9 * n
  layer l(dims N = 2) {
    in x: [N]
    param A: [N, N] = upper
    param v: [N] = ramp
    state h: [N] = inv(A) @ h + x
    out y: [N] = h
    out rows: [N] = sum[N](A + eye(A))
    out scaled: [N] = sum[N](A * v)
  })");
  ASSERT_ANALYZED(r);
  TensorMap in{{"x", filled({1, 2, 2}, {1, 2, 0, 0})}};
  Outcome run = runLayer(r->layer(), in, 1, 2);
  ASSERT_TRUE(run.ok) << run.error;
  // Step 0: h = x = [1, 2]; step 1: h = M @ [1, 2] = [0.5 - 0.25, 0.5].
  EXPECT_DOUBLE_EQ(re(run.outs.at("y"), {0, 1, 0}), 0.25);
  EXPECT_DOUBLE_EQ(re(run.outs.at("y"), {0, 1, 1}), 0.5);
  // sum[N] over a matrix sums along its rows (the last occurrence): [2+1+1, 0+4+1].
  EXPECT_DOUBLE_EQ(re(run.outs.at("rows"), {0, 0, 0}), 4);
  EXPECT_DOUBLE_EQ(re(run.outs.at("rows"), {0, 0, 1}), 5);
  // A [N] operand of an [N, N] value is indexed by the row: (A * v)[n, k] = A[n, k] v[n], so
  // the row sums are [3 * 1, 4 * 10] (by column it would be [2 + 10, 40]).
  EXPECT_DOUBLE_EQ(re(run.outs.at("scaled"), {0, 0, 0}), 3);
  EXPECT_DOUBLE_EQ(re(run.outs.at("scaled"), {0, 0, 1}), 40);
}

TEST(Reference, Errors) {
  std::string err;
  TensorMap outs, p;
  {
    auto r = analyzeText("layer l(dims D = 2) { in x: [D]\n param w: [D]\n out y: [D] = w * x }");
    ASSERT_ANALYZED(r);
    EXPECT_FALSE(ref::defaultParams(r->layer(), p, &err));
    EXPECT_NE(err.find("param w has no initializer"), std::string::npos) << err;
    TensorMap in{{"x", HostTensor({1, 3, 2}, false)}};
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 1, 3, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("param w is not given"), std::string::npos) << err;
    in["w"] = HostTensor({3}, false);
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 1, 3, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("param w has shape [3] but the layer expects [2]"), std::string::npos) << err;
    in["w"] = HostTensor({2}, false);
    in["q"] = HostTensor({2}, false);
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 1, 3, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("'q' is not an in or a param"), std::string::npos) << err;
    in.erase("q");
    TensorMap noX{{"w", in["w"]}};
    EXPECT_FALSE(ref::evaluate(r->layer(), noX, 1, 3, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("in x of layer l is not given (its shape is [batch, seqlen, D])"), std::string::npos) << err;
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 2, 3, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("in x has shape [1, 3, 2] but the layer expects [2, 3, 2]"), std::string::npos) << err;
    in["x"].im.assign(6, 0.0);
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 1, 3, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("imaginary part"), std::string::npos) << err;
  }
  {
    auto r = analyzeText("layer l(dims D, N = 2) { in x: [D]\n out y: [D] = x }");
    ASSERT_ANALYZED(r);
    EXPECT_FALSE(ref::randomInputs(r->layer(), 1, 1, 0, p, &err));
    EXPECT_NE(err.find("dim D of layer l has no size"), std::string::npos) << err;
  }
  {
    auto r = analyzeText(R"(layer l(dims N = 2) {
      in x: [N]
      param A: [N, N] = 1
      state h: [N] = inv(A) @ h + x
      out y: [N] = h
    })");
    ASSERT_ANALYZED(r);
    TensorMap in{{"x", HostTensor({1, 1, 2}, false)}};
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 1, 1, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("singular"), std::string::npos) << err;
  }
  {
    // A layer sema rejected: no crash, an error.
    auto r = analyzeText("layer l(dims D = 2) { in x: [D]\n out y: [D] = nope(x) }");
    ASSERT_TRUE(r->diags->hasErrors());
    ASSERT_EQ(r->prog.layers.size(), 1u);
    TensorMap in{{"x", HostTensor({1, 1, 2}, false)}};
    EXPECT_FALSE(ref::evaluate(r->layer(), in, 1, 1, nullptr, outs, nullptr, &err));
    EXPECT_NE(err.find("has no value"), std::string::npos) << err;
  }
}

TEST(Reference, NeverCrashesOnCutLayers) {
  // Every prefix of a layer: whatever sema makes of it, with or without errors, the evaluator
  // answers with values or an error.
  std::string text = R"(import "discretize.ssm"
  init tri[n, k] = if n >= k then 1 else 0
  layer l(dims D = 2, N = 3, G = 1) {
    in x: [D]
    in Bg: [G, N]
    param A: [N, N] = tri
    param c: c64[D, N] = complex(1, 2)
    let (Ab, Bb) = bilinear_dense(0.1, -A, group(Bg, G, D))
    state h: [D, N] = Ab @ h + Bb * x
    state g: c64[D, N] = exp(-c) * g + x
    out y: [D] = sum[N](h) + re(sum[N](g))
  })";
  int evaluated = 0;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    auto r = analyzeText(text.substr(0, cut));
    for (const Layer &l : r->prog.layers) {
      TensorMap in, p, outs, hT;
      std::string err;
      ref::defaultParams(l, p, &err);
      ref::randomInputs(l, 1, 2, 0, in, &err);
      evaluated += ref::evaluate(l, in, 1, 2, nullptr, outs, &hT, &err);
      ref::summarize(l, outs);
    }
  }
  EXPECT_GT(evaluated, 0); // the whole text, at least
}

TEST(Reference, RandomInputsAreDeterministicAndInRange) {
  auto r = analyzeStdlib("mamba_s6.ssm", {{"D", 8}, {"N", 4}});
  ASSERT_ANALYZED(r);
  TensorMap a, b, c;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), 2, 3, 42, a, &err)) << err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), 2, 3, 42, b, &err)) << err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), 2, 3, 43, c, &err)) << err;
  EXPECT_EQ(a.size(), 5u);
  EXPECT_EQ(a.at("x").shape, (std::vector<int64_t>{2, 3, 8}));
  EXPECT_EQ(a.at("x").re, b.at("x").re);
  EXPECT_NE(a.at("x").re, c.at("x").re);
  EXPECT_NE(a.at("x").re, a.at("z").re);
  for (double v : a.at("dt").re) {
    EXPECT_GE(v, -4.0);
    EXPECT_LT(v, -1.0);
  }
  for (double v : a.at("B").re) {
    EXPECT_GE(v, -1.0);
    EXPECT_LT(v, 1.0);
  }
}

TEST(Reference, SummaryNamesShapesAndStats) {
  auto r = analyzeStdlib("s4d_complex.ssm", {{"D", 2}, {"N", 3}});
  ASSERT_ANALYZED(r);
  TensorMap in;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), 1, 4, 1, in, &err)) << err;
  Outcome run = runLayer(r->layer(), in, 1, 4);
  ASSERT_TRUE(run.ok) << run.error;
  run.outs.at("y").re[3] = NAN;
  TensorMap all = run.outs;
  all["h"] = run.hT.at("h");
  std::string s = ref::summarize(r->layer(), all, 3);
  EXPECT_NE(s.find("out y f32 [batch=1, seq=4, D=2]  min "), std::string::npos) << s;
  EXPECT_NE(s.find("  1 NaN\n    first "), std::string::npos) << s;
  EXPECT_NE(s.find("... (8 values)"), std::string::npos) << s;
  EXPECT_NE(s.find("state h c64 [batch=1, D=2, N=3]  |z| min "), std::string::npos) << s;
}

TEST(ReferenceEdges, SoftplusSigmoidSiluAreStableAtTheExtremes) {
  // A naive log(1 + exp(x)) is inf at x = 1000 (and loses everything below 1e-16 at x = -40);
  // the GPU check compares kernels against these values at dt = +-100, so they must be exact.
  auto r = analyzeText(R"(layer l(dims D = 10) {
    in x: [D]
    state h: [D] = 0 * h + x
    out sp: [D] = softplus(x)
    out sg: [D] = sigmoid(x)
    out si: [D] = silu(x)
  })");
  ASSERT_ANALYZED(r);
  const double inf = INFINITY;
  std::vector<double> xs = {-1000, -100, -20, 0, 20, 100, 1000, inf, -inf, NAN};
  TensorMap in{{"x", filled({1, 1, 10}, xs)}};
  Outcome run = runLayer(r->layer(), in, 1, 1);
  ASSERT_TRUE(run.ok) << run.error;
  const auto &sp = run.outs.at("sp").re, &sg = run.outs.at("sg").re, &si = run.outs.at("si").re;
  EXPECT_EQ(sp[0], 0.0);                                        // exp(-1000) underflows to 0
  EXPECT_NEAR(sp[1] / std::exp(-100.0), 1.0, 1e-15);            // log1p(e^-100) = e^-100
  EXPECT_NEAR(sp[2] / std::log1p(std::exp(-20.0)), 1.0, 1e-15);
  EXPECT_DOUBLE_EQ(sp[3], std::log(2.0));
  EXPECT_NEAR(sp[4], 20.0 + std::exp(-20.0), 1e-15);
  EXPECT_EQ(sp[5], 100.0);                                      // 100 + 3.7e-44 rounds to 100
  EXPECT_EQ(sp[6], 1000.0);                                     // not inf
  EXPECT_EQ(sp[7], inf);
  EXPECT_EQ(sp[8], 0.0);
  EXPECT_TRUE(std::isnan(sp[9]));
  EXPECT_EQ(sg[0], 0.0);
  EXPECT_NEAR(sg[1] / std::exp(-100.0), 1.0, 1e-15);
  EXPECT_EQ(sg[5], 1.0);
  EXPECT_EQ(sg[6], 1.0);
  EXPECT_EQ(sg[7], 1.0);
  EXPECT_EQ(sg[8], 0.0);
  EXPECT_TRUE(std::isnan(sg[9]));
  for (size_t i = 0; i < 7; ++i)
    EXPECT_TRUE(std::isfinite(si[i])) << "silu(" << xs[i] << ") = " << si[i];
  EXPECT_EQ(si[6], 1000.0);
  EXPECT_EQ(si[7], inf);
  // -inf * sigmoid(-inf) = -inf * 0: NaN in IEEE arithmetic (the kernels' silu gives the same).
  EXPECT_TRUE(std::isnan(si[8]));
  EXPECT_TRUE(std::isnan(si[9]));
}

TEST(ReferenceEdges, MinMaxPropagateNaNFromEitherSide) {
  auto r = analyzeText(R"(layer l(dims D = 3) {
    in x: [D]
    state h: [D] = 0 * h + x
    out a: [D] = max(x, 0)
    out b: [D] = max(0, x)
    out c: [D] = min(x, 0)
    out d: [D] = min(0, x)
  })");
  ASSERT_ANALYZED(r);
  TensorMap in{{"x", filled({1, 1, 3}, {NAN, -2.0, 5.0})}};
  Outcome run = runLayer(r->layer(), in, 1, 1);
  ASSERT_TRUE(run.ok) << run.error;
  for (const char *o : {"a", "b", "c", "d"})
    EXPECT_TRUE(std::isnan(run.outs.at(o).re[0])) << o;
  EXPECT_EQ(run.outs.at("a").re[1], 0.0);
  EXPECT_EQ(run.outs.at("b").re[2], 5.0);
  EXPECT_EQ(run.outs.at("c").re[1], -2.0);
  EXPECT_EQ(run.outs.at("d").re[2], 0.0);
}

TEST(ReferenceEdges, S6NaNStaysInItsChannelAndUnderflowResetsTheState) {
  // Mamba S6, D 2, N 3, batch 2: a NaN in x at (b 0, t 2, d 1) makes channel 1 of batch 0 NaN
  // from t 2 on and nothing else; dt = 1e4 at t 4 of batch 1 makes exp(delta A) exactly 0 in
  // float64, so the state after it is delta B x of that step alone; dt = +-100 stays finite.
  auto r = analyzeStdlib("mamba_s6.ssm", {{"D", 2}, {"N", 3}});
  ASSERT_ANALYZED(r);
  const int64_t B = 2, L = 6, D = 2, N = 3;
  TensorMap in;
  std::string err;
  ASSERT_TRUE(ref::randomInputs(r->layer(), B, L, 11, in, &err)) << err;
  in["A"] = randomTensor({D, N}, -3, -0.5, 5);
  auto at = [&](const char *name, int64_t b, int64_t t, int64_t d) -> double & {
    HostTensor &h = in.at(name);
    return h.re[off(h, {b, t, d})];
  };
  at("x", 0, 2, 1) = NAN;
  at("dt", 1, 4, 0) = 1e4;
  at("dt", 1, 4, 1) = 1e4;
  at("dt", 1, 1, 0) = 100;
  at("dt", 1, 2, 0) = -100;
  Outcome run = runLayer(r->layer(), in, B, L);
  ASSERT_TRUE(run.ok) << run.error;
  const HostTensor &y = run.outs.at("y"), &h = run.hT.at("h");
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < L; ++t)
      for (int64_t d = 0; d < D; ++d) {
        bool nan = b == 0 && d == 1 && t >= 2;
        EXPECT_EQ(std::isnan(re(y, {b, t, d})), nan) << "b " << b << " t " << t << " d " << d;
        if (!nan) {
          EXPECT_TRUE(std::isfinite(re(y, {b, t, d}))) << "b " << b << " t " << t << " d " << d;
        }
      }
  for (int64_t n = 0; n < N; ++n) {
    EXPECT_TRUE(std::isnan(re(h, {0, 1, n})));
    EXPECT_TRUE(std::isfinite(re(h, {0, 0, n})));
  }
  // batch 1: after the reset at t 4, only steps 4 and 5 shape the state.
  std::vector<double> want(D * N);
  for (int64_t d = 0; d < D; ++d)
    for (int64_t n = 0; n < N; ++n) {
      double A = re(in.at("A"), {d, n}), hv = 0;
      for (int64_t t = 4; t < L; ++t) {
        double dl = at("dt", 1, t, d) > 30 ? at("dt", 1, t, d) : std::log1p(std::exp(at("dt", 1, t, d)));
        hv = std::exp(dl * A) * hv + dl * re(in.at("B"), {1, t, n}) * at("x", 1, t, d);
      }
      EXPECT_NEAR(re(h, {1, d, n}), hv, 1e-9 * std::max(1.0, std::fabs(hv))) << "d " << d << " n " << n;
    }
}

TEST(ReferenceSpeed, StdlibLayers) {
#ifdef SSMC_SANITIZED
  GTEST_SKIP() << "timing is not meaningful in the sanitizer build";
#endif
  // Default dims, batch 1, seqlen 64: prints each time. Mamba S6 (D 1536, N 16) must take under
  // a second even in an unoptimized build (about 60 ms at -O3).
  for (const char *f : {"mamba_s6.ssm", "mamba2_ssd.ssm", "s4d_real.ssm", "s4d_complex.ssm", "s4_legs.ssm"}) {
    auto r = analyzeStdlib(f);
    ASSERT_ANALYZED(r);
    TensorMap in, outs;
    std::string err;
    ASSERT_TRUE(ref::randomInputs(r->layer(), 1, 64, 1, in, &err)) << err;
    auto t0 = std::chrono::steady_clock::now();
    bool ok = ref::evaluate(r->layer(), in, 1, 64, nullptr, outs, nullptr, &err);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(ok) << f << ": " << err;
    std::string dims;
    for (auto &d : r->layer().dims)
      dims += " " + d.name + "=" + std::to_string(*d.size);
    std::printf("[ reference ] %-16s%s  batch 1  seqlen 64: %.1f ms\n", f, dims.c_str(), ms);
    if (std::string(f) == "mamba_s6.ssm") {
      EXPECT_LT(ms, 1000.0);
    }
  }
}
