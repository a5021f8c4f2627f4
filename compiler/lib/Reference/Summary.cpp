// summarize(): a few lines per out or state, for `ssmc run` on machines without a GPU.
#include "ssmc/Reference.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace ssmc::ref {

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// "[batch=2, seq=16, D=4]" when the shape matches the layout the layer gives the tensor,
/// the bare shape otherwise.
std::string labeledShape(const sema::Layer &L, const HostTensor &t, const std::vector<std::string> &lead,
                         const sema::Dims &dims) {
  std::vector<std::string> names = lead;
  for (int d : dims)
    names.push_back(d >= 0 && static_cast<size_t>(d) < L.dims.size() ? L.dims[d].name : "?");
  bool match = names.size() == t.shape.size();
  std::string s = "[";
  for (size_t i = 0; i < t.shape.size(); ++i)
    s += (i ? ", " : "") + (match ? names[i] + "=" : std::string()) + std::to_string(t.shape[i]);
  return s + "]";
}

void describe(std::string &out, const std::string &title, const HostTensor &t, int maxValues) {
  const bool c = t.isComplex();
  const size_t n = t.re.size();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sumRe = 0, sumIm = 0;
  size_t nans = 0, infs = 0, finite = 0;
  for (size_t i = 0; i < n; ++i) {
    double re = t.re[i], im = c && i < t.im.size() ? t.im[i] : 0.0;
    if (std::isnan(re) || std::isnan(im)) {
      ++nans;
      continue;
    }
    if (std::isinf(re) || std::isinf(im)) {
      ++infs;
      continue;
    }
    double m = c ? std::hypot(re, im) : re;
    lo = std::min(lo, m);
    hi = std::max(hi, m);
    sumRe += re;
    sumIm += im;
    ++finite;
  }
  out += title;
  if (finite) {
    out += c ? "  |z| min " + num(lo) + "  max " + num(hi) : "  min " + num(lo) + "  max " + num(hi);
    out += "  mean " + num(sumRe / static_cast<double>(finite));
    if (c)
      out += (sumIm < 0 ? " - " : " + ") + num(std::fabs(sumIm) / static_cast<double>(finite)) + "i";
  } else if (n) {
    out += "  no finite values";
  } else {
    out += "  empty";
  }
  if (nans)
    out += "  " + std::to_string(nans) + " NaN";
  if (infs)
    out += "  " + std::to_string(infs) + " Inf";
  out += "\n";
  if (!n || maxValues <= 0)
    return;
  out += "    first";
  size_t shown = std::min(n, static_cast<size_t>(maxValues));
  for (size_t i = 0; i < shown; ++i) {
    out += " " + num(t.re[i]);
    if (c && i < t.im.size())
      out += (t.im[i] < 0 ? "-" : "+") + num(std::fabs(t.im[i])) + "i";
  }
  if (shown < n)
    out += " ... (" + std::to_string(n) + " values)";
  out += "\n";
}

} // namespace

std::string summarize(const sema::Layer &layer, const TensorMap &tensors, int maxValues) {
  std::string out;
  for (const sema::Tensor &t : layer.tensors) {
    auto it = tensors.find(t.name);
    if (t.role != ast::Role::Out || it == tensors.end())
      continue;
    describe(out,
             "out " + t.name + " " + sema::dtypeName(t.dtype) + " " +
                 labeledShape(layer, it->second, {"batch", "seq"}, t.dims),
             it->second, maxValues);
  }
  for (const sema::State &s : layer.states) {
    auto it = tensors.find(s.name);
    if (it == tensors.end())
      continue;
    describe(out,
             "state " + s.name + " " + (s.complex ? "c64" : "f32") + " " +
                 labeledShape(layer, it->second, {"batch"}, s.dims),
             it->second, maxValues);
  }
  return out;
}

} // namespace ssmc::ref
