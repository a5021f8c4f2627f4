// The CUDA target: for each fused layer, a struct of device functions (runtime/device/CONTRACT.md)
// around the EmitC-printed region functions, the extern "C" kernels that instantiate the
// skeletons with it, and the manifest's launch rules, checked against the skeletons' own
// traits by static_asserts in the generated source.
#include "ssmc/CudaTarget.h"
#include "ssmc/MLIRGen.h"
#include "ssmc/RuntimeTypes.h"

#include "ssm/EmitC.h"
#include "ssm/SsmOps.h"
#include "ssmrt/hash.h"
#include "ssmrt/nvrtc.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace ssmc {
namespace {

using namespace mlir;

enum class Slot { RowConst, ElemConst, RowIn, NStep, Dense };

struct Input {
  int slot = 0;               // ABI tensor slot
  std::string name;
  Slot kind;
  bool complex = false;
  bool rowLevel = false;      // available in the row and out regions
  bool perElement = true;     // read by the elem or contrib region
  sema::DType dtype;
  std::vector<std::string> declDims; // the tensor's dims as declared (manifest order)
  std::string setupFn;        // dense form: a time-invariant value read through this element function
  std::string field() const { return "v" + std::to_string(slot); }
};

std::string cppType(Type t) { return isa<ComplexType>(t) ? "ssm::cfloat" : "float"; }

std::string storageName(sema::DType t) {
  switch (t) {
  case sema::DType::BF16:
    return "ssm::bf16";
  case sema::DType::F16:
    return "ssm::f16";
  default:
    return "float";
  }
}

/// Tiling of the lane skeleton, from the H100 measurements in runtime/device/CONTRACT.md
/// ("Configuration rules"): 4 states per lane and 4 warps for N = 16, 8 states and 2 warps for
/// N = 64, N / 8 states with 2 rows per lane for the scalar-decay (Mamba-2) form; complex
/// states at most 4 per lane (twice the registers). The batch is unknown at compile time, so
/// the batch-1 pick (<4, 32, 2>) is not taken. The N = 64 pick of 2 warps was measured with
/// 32-bit offsets (index32); the 64-bit entry keeps 4 warps there: with 2 warps each thread
/// issues twice the per-(t, n) loads of a tile, each with a 64-bit offset (SASS: 2877 against
/// 2484 instructions per tile at 4 warps; measured 0.2959 against 0.2581 ms, PERF.md).
struct LaneChoice {
  int states, g, tile, warps, rows;
};

LaneChoice chooseLane(int64_t n, bool complex, bool rowForm, bool index32) {
  auto pow2 = [](int64_t g) { return g >= 1 && g <= 32 && (g & (g - 1)) == 0; };
  if (rowForm && n % 8 == 0 && n / 8 >= 1)
    return {static_cast<int>(n / 8), 8, 8, 4, 2};
  int want = complex ? 4 : n <= 16 ? 4 : 8;
  for (int s = want; s >= 1; s /= 2)
    if (n % s == 0 && pow2(n / s)) {
      int g = static_cast<int>(n / s);
      return {s, g, std::max(g, 16), n <= 16 || (!index32 && !complex) ? 4 : 2, 1};
    }
  for (int g : {1, 2, 4, 8, 16, 32}) // N not a multiple of the preferred state count
    if (n % g == 0 && n / g <= 32)
      return {static_cast<int>(n / g), g, std::max(g, 16), 4, 1};
  return {0, 0, 0, 0, 0};
}

class LayerEmitter {
public:
  LayerEmitter(ssm::LayerOp layer, ssm::FusedOp fused, const sema::Layer &L, const SourceManager &sm,
               std::ostringstream &src, std::string &error, bool decayLog2, bool jit)
      : layer_(layer), fused_(fused), L(L), sm_(sm), os(src), error_(error), decayLog2_(decayLog2), jit_(jit) {}

  bool run(ssmrt::ManifestLayer &ml) {
    name_ = layer_.getSymName().str();
    dense_ = fused_.getDenseDecay().has_value();
    const sema::State *state = nullptr;
    for (const sema::State &s : L.states)
      if (s.name == fused_.getState())
        state = &s;
    if (!state || L.states.size() != 1)
      return fail("layer " + name_ + ": the CUDA target handles layers with exactly one state");
    complex_ = state->complex;
    for (Attribute a : fused_.getRows())
      rows_.push_back(cast<StringAttr>(a).str());
    if (auto g = fused_.getGroupsAttr())
      for (NamedAttribute na : g)
        groups_[na.getName().str()] = cast<StringAttr>(na.getValue()).str();
    inner_ = fused_.getInner().str();
    for (const std::string &r : rows_)
      kRows_ *= size(r);
    kN_ = size(inner_);
    if (!classifyInputs())
      return false;

    auto terminatorTypes = [&](Region &r) {
      return r.front().getTerminator()->getOperandTypes();
    };
    for (Type t : terminatorTypes(fused_.getRow()))
      rowTypes_.push_back(cppType(t));
    for (Type t : terminatorTypes(fused_.getContrib()))
      redTypes_.push_back(cppType(t));
    if (redTypes_.empty())
      return fail("layer " + name_ + ": no reduction over " + inner_ + " reads the state");
    redType_ = redTypes_[0];
    for (auto &t : redTypes_)
      if (t != redType_)
        return fail("layer " + name_ + ": reductions of both real and complex values are not supported yet");
    for (const sema::Tensor &t : L.tensors)
      if (t.role == ast::Role::Out)
        outs_.push_back(&t);

    if (dense_) {
      if (complex_)
        return fail("layer " + name_ + ": a dense update of a complex state is not supported");
      if (kN_ > 128)
        return fail("layer " + name_ + ": the dense kernel keeps a row of the " + inner_ + " x " + inner_ +
                    " matrix in registers; " + inner_ + " = " + std::to_string(kN_) +
                    " is over its limit of 128");
      std::ostringstream setup;
      if (!emitSetup(setup))
        return false;
      emitStruct(setup.str());
      emitDenseKernels(ml);
      return true;
    }
    detectRowForm();
    lane_ = chooseLane(kN_, complex_, rowForm_, false);
    lane32_ = chooseLane(kN_, complex_, rowForm_, true);
    // SSMC_LANE32=States,Tile,Warps,Rows[,Poly] overrides the index32 configuration, for
    // measurements (the skeleton's static_asserts reject an invalid one).
    if (const char *e = std::getenv("SSMC_LANE32")) {
      LaneChoice c{};
      int poly = 0;
      if (std::sscanf(e, "%d,%d,%d,%d,%d", &c.states, &c.tile, &c.warps, &c.rows, &poly) >= 4 && c.states > 0 &&
          kN_ % c.states == 0) {
        c.g = static_cast<int>(kN_ / c.states);
        lane32_ = c;
        poly32_ = poly;
      }
    }
    if (!lane_.states)
      return fail("layer " + name_ + ": the inner dim " + inner_ + " = " + std::to_string(kN_) +
                  " cannot be split into a power-of-two number of lanes");
    detectSsdForm();
    emitStruct();
    emitKernels(ml);
    if (ssd_)
      emitSsdKernels(ml);
    return true;
  }

private:
  bool fail(const std::string &m) {
    error_ = m;
    return false;
  }

  int64_t size(const std::string &dim) {
    for (auto &d : L.dims)
      if (d.name == dim)
        return *d.size;
    return 1;
  }

  bool classifyInputs() {
    std::map<std::string, int> slotOf;
    for (size_t i = 0; i < L.tensors.size(); ++i)
      slotOf[L.tensors[i].name] = static_cast<int>(i);
    for (Value v : fused_.getInputs()) {
      auto arg = dyn_cast<BlockArgument>(v);
      unsigned idx = static_cast<unsigned>(inputs_.size());
      if (dense_ && (idx == *fused_.getDenseDecay() || !arg)) {
        // The dense form's time-invariant values: the decay matrix (read by the skeleton
        // through decay_elem) and others, read through their setup element functions.
        Input in;
        in.slot = 1000 + static_cast<int>(idx); // no ABI slot: a field name only
        in.name = "setup value";
        in.dtype = sema::DType::F32;
        in.setupFn = elementFn(v);
        bool hasInner = false;
        for (StringAttr d : cast<ssm::DimsAttr>(cast<RankedTensorType>(v.getType()).getEncoding()).getNames())
          hasInner |= d.getValue() == inner_;
        in.rowLevel = !hasInner;
        in.kind = idx == *fused_.getDenseDecay() ? Slot::Dense : hasInner ? Slot::ElemConst : Slot::RowConst;
        in.perElement = in.kind != Slot::Dense &&
                        (!fused_.getElem().front().getArgument(idx).use_empty() ||
                         !fused_.getContrib().front().getArgument(idx).use_empty());
        inputs_.push_back(in);
        continue;
      }
      if (!arg || arg.getOwner()->getParentOp() != layer_.getOperation())
        return fail("layer " + name_ + ": a fused input is not a layer argument");
      std::string n = layer_.getArgName(arg.getArgNumber()).str();
      bool param = layer_.getArgRole(arg.getArgNumber()) == "param";
      auto it = slotOf.find(n);
      if (it == slotOf.end())
        return fail("layer " + name_ + ": unknown tensor " + n);
      const sema::Tensor &t = L.tensors[it->second];
      Input in;
      in.slot = it->second;
      in.name = n;
      in.dtype = t.dtype;
      in.complex = t.dtype == sema::DType::C64;
      for (int d : t.dims)
        in.declDims.push_back(L.dims[d].name);
      auto ty = cast<RankedTensorType>(v.getType());
      auto names = cast<ssm::DimsAttr>(ty.getEncoding()).getNames();
      bool hasInner = false, hasRow = false;
      for (StringAttr s : names) {
        if (s.getValue() == "L")
          continue;
        if (groups_.count(s.str())) {
          if (size(s.str()) == 1)
            continue; // one group: every head reads index 0, no per-row data
          s = StringAttr::get(s.getContext(), groups_[s.str()]); // a group axis counts as its head
        }
        if (s.getValue() == inner_)
          hasInner = true;
        else
          hasRow = true;
      }
      in.rowLevel = !hasInner;
      if (param)
        in.kind = hasInner ? Slot::ElemConst : Slot::RowConst;
      else if (!hasInner)
        in.kind = Slot::RowIn;
      else if (!hasRow)
        in.kind = Slot::NStep;
      else
        return fail("layer " + name_ + ": in " + n + " varies per step over both a row dim and " + inner_ +
                    "; the lane skeleton loads such values only as params (for Mamba-2 groups: G = 1 is supported, G > 1 not yet)");
      in.perElement = !fused_.getElem().front().getArgument(idx).use_empty() ||
                      !fused_.getContrib().front().getArgument(idx).use_empty();
      inputs_.push_back(in);
    }
    return true;
  }

  // ------------------------------------------------------------------ the dense form

  /// The name of the element function of a time-invariant value of the dense setup:
  /// `float <name>(a, row, sh, i, j)` gives its element at (row, i[, j]).
  std::string elementFn(Value v) {
    auto it = elementFns_.find(v);
    if (it != elementFns_.end())
      return it->second;
    std::string name = isa<BlockArgument>(v) ? "ea" + std::to_string(cast<BlockArgument>(v).getArgNumber())
                                             : "e" + std::to_string(elementFns_.size());
    elementFns_[v] = name;
    setupOrder_.push_back(v);
    return name;
  }

  /// How many times a value's dims name the inner dim (0: per row, 1: a vector, 2: a matrix),
  /// or -1 (with the error set) when it has a dim the setup cannot index.
  int innerCount(Value v, Location where) {
    int count = 0;
    for (StringAttr d : cast<ssm::DimsAttr>(cast<RankedTensorType>(v.getType()).getEncoding()).getNames()) {
      if (d.getValue() == inner_)
        ++count;
      else if (std::find(rows_.begin(), rows_.end(), d.str()) == rows_.end()) {
        fail(formatLocation(where) + ": the dense setup of layer " + name_ + " computes a value over " + d.str() +
             ", which is not a row dim of the state; it must be time-invariant and per row");
        return -1;
      }
    }
    return count;
  }


  /// The setup of the dense form: the element functions of the ops before the fused op (from
  /// params: ssm.eye, ssm.map through its EmitC setup function, ssm.inv and ssm.matmul
  /// materialized in shared memory), the Setup struct and `setup`, which fills it with the block.
  bool emitSetup(std::ostringstream &o) {
    const char *F = "  static __device__ __forceinline__ ";
    const std::string sig = "(const ssm_launch_args& a, int row, const Setup& sh, int i, int j) {\n";
    std::ostringstream fns, code, bufs;
    int64_t bytes = 0;
    unsigned mapIndex = 0;
    auto at = [&](Value operand, int count, int resultCount, const std::string &i, const std::string &j,
                  Location where) -> std::string {
      int c = innerCount(operand, where);
      if (c < 0)
        return "";
      std::string idx = c == 0 ? "0, 0" : c == 2 ? i + ", " + j : resultCount == 1 || count == 1 ? i + ", 0" : "";
      if (idx.empty()) {
        fail(formatLocation(where) + ": a vector over " + inner_ + " against a matrix over " + inner_ + ", " + inner_ +
             " is ambiguous in the dense setup of layer " + name_);
        return "";
      }
      return elementFn(operand) + "(a, row, sh, " + idx + ")";
    };
    for (Operation &op : layer_.getBody().front()) {
      if (&op == fused_.getOperation() || isa<ssm::ReturnOp>(op))
        continue;
      if (op.getNumResults() != 1 || !cast<RankedTensorType>(op.getResult(0).getType()).getElementType().isF32())
        return fail(formatLocation(op.getLoc()) + ": " + op.getName().getStringRef().str() +
                    " cannot be part of the dense setup of layer " + name_ + " (one f32 result expected)");
      Value v = op.getResult(0);
      int count = innerCount(v, op.getLoc());
      if (count < 0)
        return false;
      std::string fn = elementFn(v), id = fn.substr(1);
      fns << F << "float " << fn << sig;
      if (isa<ssm::EyeOp>(op)) {
        fns << "    (void)a; (void)row; (void)sh;\n    return i == j ? 1.0f : 0.0f;\n";
      } else if (auto map = dyn_cast<ssm::MapOp>(op)) {
        std::string args;
        for (Value in : map.getInputs()) {
          std::string e = at(in, 0, count, "i", "j", op.getLoc());
          if (e.empty())
            return false;
          args += e + ", ";
        }
        fns << "    float r0;\n    " << ssm::getSetupFunctionName(name_, mapIndex++) << "(" << args << "&r0);\n"
            << "    return r0;\n";
      } else if (auto inv = dyn_cast<ssm::InvOp>(op)) {
        std::string e = at(inv.getInput(), 2, 2, "i", "j", op.getLoc());
        if (e.empty())
          return false;
        bufs << " float m" << id << "[kN * kN];";
        bytes += kN_ * kN_ * 4;
        fns << "    (void)a; (void)row;\n    return sh.m" << id << "[i * kN + j];\n";
        code << "    SSM_DENSE_FOR(e_, kN * kN) {\n      const int i = e_ / kN, j = e_ % kN;\n      sh.m" << id
             << "[e_] = " << e << ";\n    }\n    __syncthreads();\n    ssm::dense_invert<kN>(sh.m" << id
             << ", sh.col, sh.piv);\n";
      } else if (auto mm = dyn_cast<ssm::MatMulOp>(op)) {
        std::string lhs = at(mm.getLhs(), 2, 2, "i", "k", op.getLoc());
        std::string rhs = at(mm.getRhs(), count, count, "k", "j", op.getLoc());
        if (lhs.empty() || rhs.empty())
          return false;
        bool matrix = count == 2;
        bufs << " float m" << id << (matrix ? "[kN * kN];" : "[kN];");
        bytes += (matrix ? kN_ * kN_ : kN_) * 4;
        fns << "    (void)a; (void)row; (void)j;\n    return sh.m" << id << (matrix ? "[i * kN + j]" : "[i]")
            << ";\n";
        code << "    SSM_DENSE_FOR(e_, " << (matrix ? "kN * kN" : "kN") << ") {\n      const int i = "
             << (matrix ? "e_ / kN, j = e_ % kN;" : "e_, j = 0;") << "\n      float acc = 0.0f;\n"
             << "      for (int k = 0; k < kN; ++k) acc = fmaf(" << lhs << ", " << rhs << ", acc);\n"
             << "      sh.m" << id << "[e_] = acc;\n      (void)j;\n    }\n    __syncthreads();\n";
      } else {
        return fail(formatLocation(op.getLoc()) + ": " + op.getName().getStringRef().str() +
                    " cannot be part of the dense setup of layer " + name_ +
                    " (eye, inv, @ and elementwise math of params are supported)");
      }
      fns << "  }\n";
    }
    // Params the setup reads: loaded (and widened) where they are used.
    std::map<std::string, int> slotOf;
    for (size_t k = 0; k < L.tensors.size(); ++k)
      slotOf[L.tensors[k].name] = static_cast<int>(k);
    for (Value v : setupOrder_) {
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg)
        continue;
      std::string n = layer_.getArgName(arg.getArgNumber()).str();
      if (layer_.getArgRole(arg.getArgNumber()) != "param" || !slotOf.count(n))
        return fail("layer " + name_ + ": the dense setup reads " + n + ", which is not a param");
      if (innerCount(v, layer_.getLoc()) < 0)
        return false;
      const sema::Tensor &t = L.tensors[slotOf[n]];
      int slot = slotOf[n], occ = 0, axis = 0;
      std::string off = "0";
      for (int d : t.dims) {
        const std::string &dn = L.dims[d].name;
        std::string idx = dn == inner_ ? (occ++ == 0 ? "i" : "j") : "i_" + dn;
        off += " + (long long)" + idx + " * a.tensors[" + std::to_string(slot) + "].strides[" +
               std::to_string(axis++) + "]";
      }
      fns << F << "float " << elementFn(v) << sig << rowIndices() << "    (void)sh; (void)i; (void)j;\n"
          << "    return ssm::load<" << storageName(t.dtype) << ">(a.tensors[" << slot << "].data, " << off
          << ");\n  }\n";
    }
    bytes += kN_ * 8 + 2 * kN_ * 4 + 2 * 4 * 4 * static_cast<int64_t>(redTypes_.size());
    if (bytes > 48 * 1024)
      return fail("layer " + name_ + ": the dense kernel needs " + std::to_string(bytes) +
                  " bytes of shared memory for its setup (matrices of " + inner_ + " x " + inner_ + " = " +
                  std::to_string(kN_) + " x " + std::to_string(kN_) + " floats); the limit is 49152");
    o << "  struct Setup {" << bufs.str() << " float col[kN]; int piv[kN]; };\n";
    o << fns.str();
    o << F << "void setup(const ssm_launch_args& a, int row, Setup& sh) {\n"
      << code.str() << "    __syncthreads();\n    (void)a; (void)row; (void)sh;\n  }\n";
    const Input &decay = inputs_[*fused_.getDenseDecay()];
    o << F << "float decay_elem" << sig << "    return " << decay.setupFn << "(a, row, sh, i, j);\n  }\n";
    return true;
  }

  void emitDenseKernels(ssmrt::ManifestLayer &ml) {
    std::string ns = "ssmc_" + name_;
    int block = 32 * std::max<int>(4, static_cast<int>((kN_ + 31) / 32));
    os << "static_assert(ssm::DenseTraits<" << ns << "::L>::kBlock == " << block << ", \"launch rule of " << name_
       << " disagrees with the skeleton\");\n";
    std::string fwd = "ssm_" + name_ + "_fwd", step = "ssm_" + name_ + "_step";
    for (const std::string &k : {fwd, step})
      os << "extern \"C\" __global__ void __launch_bounds__(" << block << ") " << k
         << "(ssm_launch_args a) { ssm::dense_forward<" << ns << "::L>(a); }\n";
    ssmrt::ManifestLaunch f;
    f.kernel = fwd;
    f.block[0] = static_cast<uint32_t>(block);
    f.grid[0] = {kRows_, true, 0, 1};
    ml.forward.push_back(f);
    f.kernel = step;
    ml.step.push_back(f);
    ml.strategy = "dense";
  }

  /// The Mamba-2 form: the decay is a row value (yield of `elem` is a row block argument), the
  /// input is a row value times one per-n input, and each contrib term is h times a value that
  /// does not depend on h. Real states only.
  void detectRowForm() {
    if (complex_ || redType_ != "float")
      return;
    Block &elem = fused_.getElem().front();
    Block &contrib = fused_.getContrib().front();
    unsigned numInputs = inputs_.size(), numR = rowTypes_.size();
    Operation *y = elem.getTerminator();
    auto rowValue = [&](Value v) -> int {
      auto a = dyn_cast<BlockArgument>(v);
      if (!a || a.getOwner() != &elem || a.getArgNumber() < numInputs || a.getArgNumber() >= numInputs + numR)
        return -1;
      return static_cast<int>(a.getArgNumber() - numInputs);
    };
    rowDecayR_ = rowValue(y->getOperand(0));
    auto nInput = [&](Value v) -> int {
      auto a = dyn_cast<BlockArgument>(v);
      if (!a || a.getOwner() != &elem || a.getArgNumber() >= numInputs)
        return -1;
      const Input &in = inputs_[a.getArgNumber()];
      return in.kind == Slot::NStep || in.kind == Slot::ElemConst ? static_cast<int>(a.getArgNumber()) : -1;
    };
    int d = rowValue(y->getOperand(0));
    auto mul = y->getOperand(1).getDefiningOp<arith::MulFOp>();
    if (d < 0 || !mul)
      return;
    int r = rowValue(mul.getLhs()), n = nInput(mul.getRhs());
    if (r < 0 || n < 0) {
      r = rowValue(mul.getRhs());
      n = nInput(mul.getLhs());
    }
    if (r < 0 || n < 0)
      return;
    Value h = contrib.getArgument(numInputs + numR);
    for (Value t : contrib.getTerminator()->getOperands()) {
      auto m = t.getDefiningOp<arith::MulFOp>();
      if (!m || (m.getLhs() != h && m.getRhs() != h))
        return;
      Value other = m.getLhs() == h ? m.getRhs() : m.getLhs();
      if (other == h || !isa<BlockArgument>(other))
        return;
    }
    rowForm_ = true;
    decayR_ = d;
    inputR_ = r;
    inputN_ = n;
  }

  /// Element offset of tensor `in` (or an out) at the current (b, t, row indices, n). The lane
  /// form's struct is a template on its index type `I` (CONTRACT.md, "Index width"): `int` for
  /// the index32 entries, whose offsets and strides the runtime guarantees below 2^31.
  /// The index expression of dim d in an element offset: "n" for the inner dim, i_<row> for a
  /// row dim, the head's group for a group dim, "0" for the rest (and a group of size 1).
  std::string dimIndex(const std::string &d) {
    std::string idx = d == inner_ ? "n" : std::find(rows_.begin(), rows_.end(), d) != rows_.end() ? "i_" + d : "0";
    auto g = groups_.find(d);
    if (g != groups_.end() && size(d) == 1)
      idx = "0";
    else if (g != groups_.end()) // head h reads group h / (H / G)
      idx = "(i_" + g->second + " / " + std::to_string(size(g->second) / size(d)) + ")";
    return idx;
  }

  std::string offset(int slot, const std::vector<std::string> &dims, bool step) {
    std::ostringstream o;
    std::string s = (dense_ ? "" : "(I)") + std::string("a.tensors[") + std::to_string(slot) + "].strides[";
    const char *cast = dense_ ? " + (long long)" : " + (I)";
    // Layers with the SSD form put the step's term last: the SSD skeleton's staging loads many
    // steps of one row per thread, and the sum before the step's term stays out of its loops.
    // The lane form keeps b, t first: with the step last, its bf16 small-grid forward rose from
    // 168 to 208 registers (PERF.md s7).
    const bool stepLast = step && ssd_;
    int axis = step ? 2 : 0;
    o << "0";
    if (step) {
      o << cast << "b * " << s << "0]";
      if (!stepLast)
        o << cast << "t * " << s << "1]";
    }
    for (const std::string &d : dims) {
      std::string idx = dimIndex(d);
      if (idx != "0")
        o << cast << idx << " * " << s << axis << "]";
      ++axis;
    }
    if (stepLast)
      o << cast << "t * " << s << "1]";
    return o.str();
  }

  /// The head factor's members (detectHeadFactor; CONTRACT.md, kHeadFactor): HeadIn and
  /// head_load (the per-head inputs of one step), head_step (the decay and the head's factor of
  /// the input, from the row function with the per-row inputs at 1), row_load_rows (row_load
  /// without the per-head inputs that only the row region reads) and row_step_head (row_step
  /// from the row's inputs and the head's step).
  void emitHeadFactor(const char *F) {
    if (!headFactor_)
      return;
    Block &out = fused_.getOut().front();
    auto onlyRowRegion = [&](int i) {
      return isIn(headIns_, i) && !inputs_[i].perElement && out.getArgument(i).use_empty();
    };
    os << "  static constexpr bool kHeadFactor = true;\n";
    structFields("HeadIn", Slot::RowIn, {}, true, &headIns_);
    os << "  struct HeadStep { float decay; float scale; };\n";
    os << F << "void head_load(const ssm_launch_args& a, int b, int t, int row, HeadIn& hi) {\n" << rowIndices();
    for (int i : headIns_)
      os << "    hi." << inputs_[i].field() << " = " << load(inputs_[i], true) << ";\n";
    os << "    (void)a; (void)b; (void)t; (void)hi;\n  }\n";
    // The row function's arguments as in row_step, but the per-head inputs from HeadIn and the
    // per-row ones at 1 (the input's row factors; the others the row region does not read).
    std::string call = regionArgs(true, true, false, [&](int i) -> std::string {
      if (isIn(headIns_, i))
        return widened("hi." + inputs_[i].field(), inputs_[i]);
      return isIn(headLeaves_, i) ? "1.0f" : "0.0f";
    });
    std::string outs;
    for (size_t j = 0; j < rowTypes_.size(); ++j)
      outs += ", &r" + std::to_string(j);
    bool ex2 = rowDecayR_ >= 0 && decayLog2_;
    os << F << "void head_step(const RowConst& rc, const HeadIn& hi, HeadStep& hs) {\n";
    os << "    float r0, r1;\n    " << name_ << "_row(" << join(call, outs) << ");\n";
    os << "    hs.decay = " << (ex2 ? "ssm::ex2_acc(r" : "(r") << decayR_ << ");\n";
    os << "    hs.scale = r" << inputR_ << ";\n    (void)rc; (void)hi;\n  }\n";
    os << F << "void row_load_rows(const ssm_launch_args& a, int b, int t, int row, RowIn& ri) {\n" << rowIndices();
    for (unsigned i = 0; i < inputs_.size(); ++i)
      if (inputs_[i].kind == Slot::RowIn)
        os << "    ri." << inputs_[i].field() << " = "
           << (onlyRowRegion(static_cast<int>(i)) ? "{}" : load(inputs_[i], true)) << ";\n";
    os << "    (void)a; (void)b; (void)t; (void)ri;\n  }\n";
    os << F << "void row_step_head(const RowConst& rc, const RowIn& ri, const HeadStep& hs, RowStep& rs) {\n";
    for (const Input &in : inputs_)
      if (in.kind == Slot::RowIn && in.perElement)
        os << "    rs." << in.field() << " = " << widened("ri." + in.field(), in) << ";\n";
    os << "    rs.r" << decayR_ << " = hs.decay;\n    rs.r" << inputR_ << " = ";
    for (int i : headLeaves_)
      os << widened("ri." + inputs_[i].field(), inputs_[i]) << " * ";
    os << "hs.scale;\n    (void)rc;\n  }\n";
  }

  /// For the SSD skeleton's staging: when input_n and n_coef are NStep fields read unchanged from
  /// two tensors of one storage type, their raw bits are the tensor-core operands, so the skeleton
  /// copies them to shared memory with cp.async (16 bytes, no registers). n_direct(a) says whether
  /// this call's tensors allow it: unit stride along n, strides of the other axes the offset uses
  /// multiples of 16 bytes, pointers 16-byte aligned.
  void emitNDirect(const char *F) {
    if (!ssd_ || inputs_[inputN_].kind != Slot::NStep)
      return;
    const Input &bi = inputs_[inputN_], &ci = inputs_[coefN_];
    if (bi.complex || ci.complex || bi.dtype != ci.dtype)
      return;
    for (const Input *in : {&bi, &ci})
      if (std::find(in->declDims.begin(), in->declDims.end(), inner_) == in->declDims.end())
        return;
    int64_t per16 = 16 / (bi.dtype == sema::DType::F32 ? 4 : 2);
    if (kN_ % per16 != 0)
      return;
    os << "  using NDirect = " << storageName(bi.dtype) << ";\n";
    os << F << "bool n_direct(const ssm_launch_args& a) {\n    return true";
    for (const Input *in : {&bi, &ci}) {
      std::string t = "a.tensors[" + std::to_string(in->slot) + "]";
      os << "\n      && ssm::aligned16(" << t << ".data) && " << t << ".strides[0] % " << per16 << " == 0 && " << t
         << ".strides[1] % " << per16 << " == 0";
      for (size_t k = 0; k < in->declDims.size(); ++k) { // the axes offset() uses
        std::string idx = dimIndex(in->declDims[k]), st = t + ".strides[" + std::to_string(k + 2) + "]";
        if (idx == "n")
          os << " && " << st << " == 1";
        else if (idx != "0")
          os << " && " << st << " % " << per16 << " == 0";
      }
    }
    os << ";\n  }\n";
    for (auto [fn, in] : {std::pair<const char *, const Input *>{"n_in_ptr", &bi}, {"n_coef_ptr", &ci}})
      os << F << "const void* " << fn << "(const ssm_launch_args& a, int b, int t, int n) {\n    return static_cast<const "
         << (in->dtype == sema::DType::F32 ? "float" : "unsigned short") << "*>(a.tensors[" << in->slot
         << "].data) + (" << offset(in->slot, in->declDims, true) << ");\n  }\n";
  }

  std::string load(const Input &in, bool step) {
    if (!in.setupFn.empty()) // dense setup value: the element at (n) or the row's scalar
      return in.setupFn + "(a, row, sh, " + std::string(in.rowLevel ? "0" : "n") + ", 0)";
    std::string off = offset(in.slot, in.declDims, step);
    std::string ptr = "a.tensors[" + std::to_string(in.slot) + "].data";
    if (in.complex)
      return "ssm::load_c64(" + ptr + ", " + off + ")";
    if (raw(in))
      return "ssm::load_raw<" + storageName(in.dtype) + ">(" + ptr + ", " + off + ")";
    return "ssm::load<" + storageName(in.dtype) + ">(" + ptr + ", " + off + ")";
  }

  /// Per-step inputs are loaded as raw storage bits (the skeleton prefetches them a tile ahead)
  /// and widened only where they are used, so the conversion does not wait on the load.
  static bool raw(const Input &in) { return !in.complex && (in.kind == Slot::RowIn || in.kind == Slot::NStep); }

  /// A raw RowIn/NIn field as the f32 the region functions take.
  std::string widened(const std::string &access, const Input &in) {
    return raw(in) ? "ssm::to_f32(" + access + ")" : access;
  }

  std::string rowIndices() {
    std::ostringstream o;
    if (!dense_) {
      // The lane skeletons pass 0 <= row < kRows (< 2^31): 32-bit unsigned arithmetic, and the
      // outermost row dim is what is left (no modulo).
      if (rows_.size() <= 1)
        return rows_.empty() ? "" : "    const int i_" + rows_[0] + " = row;\n";
      o << "    unsigned rem_ = static_cast<unsigned>(row);\n";
      for (size_t k = rows_.size(); k-- > 1;)
        o << "    const int i_" << rows_[k] << " = int(rem_ % " << size(rows_[k]) << "u); rem_ /= " << size(rows_[k])
          << "u;\n";
      o << "    const int i_" << rows_[0] << " = int(rem_);\n";
      return o.str();
    }
    o << "    long long rem_ = row;\n";
    for (size_t k = rows_.size(); k-- > 0;) {
      o << "    const long long i_" << rows_[k] << " = rem_ % " << size(rows_[k]) << "; rem_ /= "
        << size(rows_[k]) << ";\n";
    }
    o << "    (void)rem_;\n";
    return o.str();
  }

  static bool isIn(const std::vector<int> &v, int i) { return std::find(v.begin(), v.end(), i) != v.end(); }

  std::string valueType(const Input &in) { return in.complex ? "ssm::cfloat" : "float"; }

  /// Argument list of the region function `region` for the given context: inputs available
  /// at its level read from where that context keeps them. `rowIn`, when given, supplies the
  /// RowIn arguments instead (head_step).
  std::string regionArgs(bool rowLevelOnly, bool inRowStep /* row_step: rc, ri */,
                         bool inOut /* row_out: rc, ri, rs */,
                         const std::function<std::string(int)> &rowIn = nullptr) {
    std::vector<std::string> a;
    for (const Input &in : inputs_) {
      if (in.kind == Slot::Dense || (rowLevelOnly && !in.rowLevel))
        continue;
      switch (in.kind) {
      case Slot::Dense:
        break;
      case Slot::RowConst:
        a.push_back("rc." + in.field());
        break;
      case Slot::ElemConst:
        a.push_back("ec." + in.field());
        break;
      case Slot::RowIn:
        if (rowIn)
          a.push_back(rowIn(static_cast<int>(&in - inputs_.data())));
        else if (inRowStep || inOut)
          a.push_back(widened("ri." + in.field(), in));
        else // per element: from RowStep, where only the inputs those regions read are kept
          a.push_back(in.perElement ? "rs." + in.field() : std::string(in.complex ? "ssm::cfloat{}" : "0.0f"));
        break;
      case Slot::NStep:
        a.push_back("ns." + in.field());
        break;
      }
    }
    std::string s;
    for (size_t i = 0; i < a.size(); ++i)
      s += (i ? ", " : "") + a[i];
    return s;
  }

  std::string rowValues() {
    std::string s;
    for (size_t j = 0; j < rowTypes_.size(); ++j)
      s += ", rs.r" + std::to_string(j);
    return s;
  }

  static std::string join(const std::string &a, const std::string &b) {
    if (a.empty())
      return b.size() >= 2 && b[0] == ',' ? b.substr(2) : b;
    return a + b;
  }

  void structFields(const char *name, Slot kind, const std::vector<std::string> &extra, bool rawFields = false,
                    const std::vector<int> *only = nullptr) {
    os << "  struct " << name << " {";
    int words = 0;
    for (size_t i = 0; i < inputs_.size(); ++i)
      if (const Input &in = inputs_[i]; in.kind == kind && (!only || isIn(*only, static_cast<int>(i)))) {
        std::string ty = rawFields && raw(in) ? "ssm::raw_t<" + storageName(in.dtype) + ">" : valueType(in);
        os << " " << ty << " " << in.field() << ";";
        ++words;
      }
    for (const std::string &e : extra) {
      os << " " << e << ";";
      ++words;
    }
    if (!words)
      os << " float unused_;";
    os << " };\n";
  }

  void emitStruct(const std::string &setup = "") {
    std::string S = complex_ ? "ssm::cfloat" : "float";
    os << "\n// ---- layer " << name_ << " (" << sm_.path(L.loc.file) << ":" << L.loc.line << ")\n";
    os << "namespace ssmc_" << name_ << " {\n";
    if (dense_)
      os << "struct L {\n";
    else // L: 64-bit element offsets; L32: 32-bit, for the index32 entries
      os << "template <class I>\nstruct LT {\n";
    os << "  using S = " << S << ";\n  using Red = " << redType_ << ";\n";
    os << "  static constexpr long long kRows = " << kRows_ << ";\n";
    os << "  static constexpr int kN = " << kN_ << ";\n";
    os << "  static constexpr int kRed = " << redTypes_.size() << ";\n";
    structFields("RowConst", Slot::RowConst, {});
    structFields("ElemConst", Slot::ElemConst, {});
    structFields("RowIn", Slot::RowIn, {}, true);
    std::vector<std::string> rsExtra;
    for (const Input &in : inputs_)
      if (in.kind == Slot::RowIn && in.perElement)
        rsExtra.push_back(valueType(in) + " " + in.field());
    for (size_t j = 0; j < rowTypes_.size(); ++j)
      rsExtra.push_back(rowTypes_[j] + " r" + std::to_string(j));
    os << "  struct RowStep {";
    for (auto &e : rsExtra)
      os << " " << e << ";";
    if (rsExtra.empty())
      os << " float unused_;";
    os << " };\n";
    structFields("NStep", Slot::NStep, {});
    // The skeleton stages per-(t, n) values through shared memory as NIn (raw storage bits)
    // and widens them with n_step.
    structFields("NIn", Slot::NStep, {}, true);
    os << setup;

    const char *F = "  static __device__ __forceinline__ ";
    // row_const / elem_const: params, once per row (and n); the dense form also reads the
    // setup values it computed in shared memory.
    std::string sh = dense_ ? "const Setup& sh, " : "";
    os << F << "void row_const(const ssm_launch_args& a, int row, " << sh << "RowConst& rc) {\n" << rowIndices();
    for (const Input &in : inputs_)
      if (in.kind == Slot::RowConst)
        os << "    rc." << in.field() << " = " << load(in, false) << ";\n";
    os << "    (void)a; (void)rc;" << (dense_ ? " (void)sh;" : "") << "\n  }\n";
    os << F << "void elem_const(const ssm_launch_args& a, int row, int n, " << sh
       << "const RowConst&, ElemConst& ec) {\n"
       << rowIndices();
    for (const Input &in : inputs_)
      if (in.kind == Slot::ElemConst)
        os << "    ec." << in.field() << " = " << load(in, false) << ";\n";
    os << "    (void)a; (void)n; (void)ec;" << (dense_ ? " (void)sh;" : "") << "\n  }\n";
    os << F << "void row_load(const ssm_launch_args& a, int b, int t, int row, RowIn& ri) {\n" << rowIndices();
    for (const Input &in : inputs_)
      if (in.kind == Slot::RowIn)
        os << "    ri." << in.field() << " = " << load(in, true) << ";\n";
    os << "    (void)a; (void)b; (void)t; (void)ri;\n  }\n";
    os << F << "void row_step(const RowConst& rc, const RowIn& ri, RowStep& rs) {\n";
    for (const Input &in : inputs_)
      if (in.kind == Slot::RowIn && in.perElement)
        os << "    rs." << in.field() << " = " << widened("ri." + in.field(), in) << ";\n";
    if (!rowTypes_.empty()) {
      std::string outs;
      for (size_t j = 0; j < rowTypes_.size(); ++j)
        outs += ", &rs.r" + std::to_string(j);
      os << "    " << name_ << "_row(" << join(regionArgs(true, true, false), outs) << ");\n";
      if (rowDecayR_ >= 0 && decayLog2_)
        os << "    rs.r" << rowDecayR_ << " = ssm::ex2_acc(rs.r" << rowDecayR_ << ");\n";
    }
    os << "    (void)rc; (void)ri; (void)rs;\n  }\n";
    os << F << "void n_load(const ssm_launch_args& a, int b, int t, int n, NIn& ns) {\n";
    for (const Input &in : inputs_)
      if (in.kind == Slot::NStep)
        os << "    ns." << in.field() << " = " << load(in, true) << ";\n";
    os << "    (void)a; (void)b; (void)t; (void)n; (void)ns;\n  }\n";
    os << F << "void n_step(const NIn& ni, NStep& ns) {\n";
    for (const Input &in : inputs_)
      if (in.kind == Slot::NStep)
        os << "    ns." << in.field() << " = " << widened("ni." + in.field(), in) << ";\n";
    os << "    (void)ni; (void)ns;\n  }\n";
    std::string elemArgs = join(regionArgs(false, false, false), rowValues());
    if (rowForm_) {
      // The decay is a row value: computed once per (row, step), with the accurate 2^x when it
      // was given as log2 (a decay shared by the whole row compounds any bias of ex2.approx).
      os << "  static constexpr bool kDecayPerRow = true;\n";
      std::string dr = "rs.r" + std::to_string(decayR_);
      os << F << "float row_decay(const RowConst&, const RowStep& rs) { return " << dr << "; }\n";
      os << F << "float input_row(const RowConst&, const RowStep& rs) { return rs.r" << inputR_ << "; }\n";
      const Input &nin = inputs_[inputN_];
      os << F << "float input_n(const ElemConst& ec, const NStep& ns) { (void)ec; (void)ns; return "
         << (nin.kind == Slot::NStep ? "ns." : "ec.") << nin.field() << "; }\n";
      os << F << "S decay(const RowConst&, const ElemConst&, const RowStep& rs, const NStep&) { return " << dr
         << "; }\n";
      os << F << "S input(const RowConst& rc, const ElemConst& ec, const RowStep& rs, const NStep& ns) {\n"
         << "    return input_row(rc, rs) * input_n(ec, ns);\n  }\n";
      if (ssd_) {
        os << "  static constexpr long long kDecayRows = " << ssdRows_ << ";\n";
        os << F << "float n_coef(const NStep& ns) { return ns." << inputs_[coefN_].field() << "; }\n";
        emitNDirect(F);
        emitHeadFactor(F);
      }
    }
    if (dense_) // h = A @ h + input: the skeleton reads A through decay_elem
      os << F << "S input(const RowConst& rc, const ElemConst& ec, const RowStep& rs, const NStep& ns) {\n"
         << "    S i_;\n    " << name_ << "_elem(" << join(elemArgs, ", &i_") << ");\n"
         << "    (void)rc; (void)ec; (void)rs; (void)ns;\n    return i_;\n  }\n";
    for (const char *which : {"decay", "input"}) {
      if (rowForm_ || dense_)
        break;
      bool isDecay = std::string(which) == "decay";
      if (isDecay && decayLog2_ && rowDecayR_ < 0) // a row-value decay is already 2^x (row_step)
        which = "decay_log2";
      os << F << "S " << which
         << "(const RowConst& rc, const ElemConst& ec, const RowStep& rs, const NStep& ns) {\n";
      os << "    S d_, i_;\n    " << name_ << "_elem(" << join(elemArgs, ", &d_, &i_") << ");\n";
      os << "    (void)rc; (void)ec; (void)rs; (void)ns;\n";
      os << "    return " << (isDecay ? "d_" : "i_") << ";\n  }\n";
    }
    os << F
       << "void contrib(const RowConst& rc, const ElemConst& ec, const RowStep& rs, const NStep& ns, S h, Red red[kRed]) {\n";
    std::string tOuts;
    for (size_t k = 0; k < redTypes_.size(); ++k) {
      os << "    Red t" << k << ";\n";
      tOuts += ", &t" + std::to_string(k);
    }
    os << "    " << name_ << "_contrib(" << join(join(elemArgs, ", h"), tOuts) << ");\n";
    for (size_t k = 0; k < redTypes_.size(); ++k)
      os << "    red[" << k << "] += t" << k << ";\n";
    os << "    (void)rc; (void)ec; (void)rs; (void)ns;\n  }\n";
    os << F
       << "void row_out(const ssm_launch_args& a, int b, int t, int row, const RowConst& rc, const RowIn& ri, const RowStep& rs, const Red red[kRed]) {\n"
       << rowIndices();
    std::string reds, oOuts;
    for (size_t k = 0; k < redTypes_.size(); ++k)
      reds += ", red[" + std::to_string(k) + "]";
    for (size_t k = 0; k < outs_.size(); ++k) {
      bool cx = outs_[k]->dtype == sema::DType::C64;
      os << "    " << (cx ? "ssm::cfloat" : "float") << " o" << k << ";\n";
      oOuts += ", &o" + std::to_string(k);
    }
    os << "    " << name_ << "_out(" << join(join(join(regionArgs(true, false, true), rowValues()), reds), oOuts)
       << ");\n";
    for (size_t k = 0; k < outs_.size(); ++k) {
      const sema::Tensor &t = *outs_[k];
      int slot = static_cast<int>(std::find_if(L.tensors.begin(), L.tensors.end(),
                                               [&](const sema::Tensor &x) { return &x == &t; }) -
                                  L.tensors.begin());
      std::vector<std::string> dims;
      for (int d : t.dims)
        dims.push_back(L.dims[d].name);
      std::string ptr = "a.tensors[" + std::to_string(slot) + "].data";
      std::string off = offset(slot, dims, true);
      if (t.dtype == sema::DType::C64)
        os << "    ssm::store_c64(" << ptr << ", " << off << ", o" << k << ");\n";
      else
        os << "    ssm::store<" << storageName(t.dtype) << ">(" << ptr << ", " << off << ", o" << k << ");\n";
    }
    os << "    (void)rc; (void)ri; (void)rs;\n  }\n";
    os << "};\n";
    if (dense_) {
      os << "}  // namespace ssmc_" << name_ << "\n";
      return;
    }
    os << "using L = LT<long long>;\nusing L32 = LT<int>;\n";
    for (const auto &[cfg, c] : {std::pair<const char *, const LaneChoice &>{"Cfg", lane_}, {"Cfg32", lane32_}})
      os << "using " << cfg << " = ssm::LaneCfg<" << c.states << ", " << c.tile << ", " << c.warps << ", "
         << (&c == &lane32_ ? poly32_ : 0) << ", 0, " << c.rows << ">;\n";
    // Decode: 4 states per thread, 8 warps at N = 16 (CONTRACT.md); N / 4 threads per row else.
    int stepStates = kN_ % 4 == 0 && (kN_ / 4 & (kN_ / 4 - 1)) == 0 && kN_ / 4 <= 32 ? 4 : lane_.states;
    os << "using StepCfg = ssm::StepCfg<" << stepStates << ", " << (kN_ <= 16 ? 8 : 4) << ">;\n";
    if (smallForward())
      os << "using Cfg32Small = ssm::LaneCfg<" << lane32_.states << ", 32, " << lane32_.warps << ", " << poly32_
         << ", 0, " << lane32_.rows << ">;\n";
    stepStates_ = stepStates;
    os << "}  // namespace ssmc_" << name_ << "\n";
  }

  /// The chunked matrix form (Mamba-2's SSD on tensor cores, runtime/device/include/ssm/ssd.cuh):
  /// the row form, one reduction whose coefficient is a per-(t, n) input (contrib = C * h), an
  /// input_n that is per-(t, n) too, a decay that is exp of something (so log2 exists) and
  /// depends on a prefix of the row dims only (one scalar per head: the trailing row dims share
  /// it), and N a multiple of 16. Taken when --ssm-select-strategy chose "ssd" (bf16 per-step
  /// inputs); other shapes keep the lane form, and the manifest says which one was emitted.
  /// SSMC_SSD=1 / SSMC_SSD=0 in the environment of ssmc force it on / off, for measurements.
  void detectSsdForm() {
    const char *e = std::getenv("SSMC_SSD");
    bool want = fused_.getStrategy() == "ssd";
    if (e && std::string(e) == "1")
      want = true;
    else if (e && std::string(e) == "0")
      want = false;
    if (!want)
      return;
    if (!rowForm_ || redTypes_.size() != 1 || kN_ % 16 != 0 || inputs_[inputN_].kind != Slot::NStep)
      return;
    unsigned numInputs = inputs_.size(), numR = rowTypes_.size();
    Block &contrib = fused_.getContrib().front();
    Value h = contrib.getArgument(numInputs + numR);
    auto m = contrib.getTerminator()->getOperand(0).getDefiningOp<arith::MulFOp>();
    if (!m)
      return;
    auto coef = dyn_cast<BlockArgument>(m.getLhs() == h ? m.getRhs() : m.getLhs());
    if (!coef || coef.getOwner() != &contrib || coef.getArgNumber() >= numInputs ||
        inputs_[coef.getArgNumber()].kind != Slot::NStep)
      return;
    Block &row = fused_.getRow().front();
    if (row.getNumArguments() != numInputs)
      return;
    Value d = row.getTerminator()->getOperand(decayR_);
    if (!decayLog2_ && !d.getDefiningOp<math::ExpOp>())
      return;
    // The dims the decay depends on: those of the inputs it reads (a group dim counts as its head).
    std::set<std::string> dims;
    llvm::DenseSet<Value> seen;
    bool ok = true;
    std::function<void(Value)> walk = [&](Value v) {
      if (!ok || !seen.insert(v).second)
        return;
      if (auto a = dyn_cast<BlockArgument>(v)) {
        if (a.getOwner() != &row) {
          ok = false;
          return;
        }
        for (const std::string &dn : inputs_[a.getArgNumber()].declDims) {
          dims.insert(dn);
          if (groups_.count(dn))
            dims.insert(groups_[dn]);
        }
        return;
      }
      Operation *op = v.getDefiningOp();
      if (!op || op->getNumRegions()) {
        ok = false;
        return;
      }
      for (Value o : op->getOperands())
        walk(o);
    };
    walk(d);
    if (!ok)
      return;
    int64_t group = 1;
    std::set<std::string> groupDims;
    for (size_t i = rows_.size(); i-- > 0;) {
      if (dims.count(rows_[i]))
        break;
      group *= size(rows_[i]);
      groupDims.insert(rows_[i]);
    }
    if (group < 8) // mostly idle tensor-core columns: the lane form
      return;
    ssd_ = true;
    ssdRows_ = group;
    coefN_ = static_cast<int>(coef.getArgNumber());
    detectHeadFactor(groupDims);
  }

  /// The head factor of the SSD form: when the row region's input value is a product of raw
  /// per-row inputs (Mamba-2's x) and a value that depends on per-head inputs alone (delta =
  /// softplus(dt + dt_bias)), and nothing else in the row region reads a per-row input, the
  /// skeleton computes the head's part once per (head, step) and each row multiplies it in
  /// (CONTRACT.md, kHeadFactor): the softplus and the dt load leave the per-(row, step) work.
  /// head_step calls the row function with every per-row input set to 1, which leaves the
  /// decay (per head: the SSD condition) and turns the input into the head's factor.
  void detectHeadFactor(const std::set<std::string> &groupDims) {
    if (rowTypes_.size() != 2 || decayR_ == inputR_)
      return;
    unsigned numInputs = inputs_.size();
    auto headLevel = [&](unsigned i) {
      const Input &in = inputs_[i];
      if (in.complex || (in.kind != Slot::RowIn && in.kind != Slot::RowConst))
        return false;
      for (const std::string &d : in.declDims)
        if (groupDims.count(d))
          return false;
      return true;
    };
    Block &row = fused_.getRow().front();
    std::function<bool(Value)> isHead = [&](Value v) -> bool {
      if (auto a = dyn_cast<BlockArgument>(v))
        return a.getOwner() == &row && a.getArgNumber() < numInputs && headLevel(a.getArgNumber());
      Operation *def = v.getDefiningOp();
      if (!def || def->getBlock() != &row || def->getNumRegions() || !isPure(def))
        return false;
      return llvm::all_of(def->getOperands(), isHead);
    };
    Operation *yield = row.getTerminator();
    if (!isHead(yield->getOperand(decayR_)))
      return;
    // Flatten the input's product tree (single-use interior products).
    Value root = yield->getOperand(inputR_);
    SmallVector<Value> work{root};
    llvm::DenseSet<Operation *> interior;
    std::vector<int> rowLeaves;
    bool headLeaf = false;
    while (!work.empty()) {
      Value v = work.pop_back_val();
      auto m = v.getDefiningOp<arith::MulFOp>();
      if (m && m->getBlock() == &row && (v == root || v.hasOneUse())) {
        interior.insert(m);
        work.push_back(m.getLhs());
        work.push_back(m.getRhs());
      } else if (isHead(v)) {
        headLeaf = true;
      } else if (auto a = dyn_cast<BlockArgument>(v); a && a.getOwner() == &row && a.getArgNumber() < numInputs &&
                                                      inputs_[a.getArgNumber()].kind == Slot::RowIn &&
                                                      !inputs_[a.getArgNumber()].complex) {
        rowLeaves.push_back(static_cast<int>(a.getArgNumber()));
      } else {
        return;
      }
    }
    if (rowLeaves.empty() || !headLeaf)
      return;
    // Every per-row value the row region reads is one of those leaves, read by the tree alone.
    for (unsigned i = 0; i < numInputs; ++i) {
      if (headLevel(i))
        continue;
      for (Operation *user : row.getArgument(i).getUsers())
        if (!interior.count(user))
          return;
    }
    headFactor_ = true;
    headLeaves_ = rowLeaves;
    for (unsigned i = 0; i < numInputs; ++i) {
      bool rowRegionReads = !row.getArgument(i).use_empty();
      if (headLevel(i) && inputs_[i].kind == Slot::RowIn && rowRegionReads)
        headIns_.push_back(static_cast<int>(i));
    }
  }

  /// The forward entries of the SSD form replace the lane form's (the decode step stays the lane
  /// skeleton's), with 64-bit offsets (`L`, forward) and 32-bit ones (`L32`, forward_index32).
  /// Launch rules (CONTRACT.md, "The SSD skeleton"): block 128, dynamic shared memory; one
  /// segment: `ssd_forward`, grid.x {units: heads x slices, batch: true}, no workspace; segments
  /// of kSeg steps: `ssd_segment_summary` then `ssd_segment_forward`, grid.x {units, batch: true,
  /// seq_chunk: kSeg}, workspace {kRows * N * 8 bytes, batch: true, seq_chunk: kSeg}.
  void emitSsdKernels(ssmrt::ManifestLayer &ml) {
    std::string ns = "ssmc_" + name_;
    int cols = ssdRows_ <= 8 ? 8 : ssdRows_ <= 16 ? 16 : 32;
    bool precise = false; // f32 storage: tf32x3 products (the 1e-5 check); else bf16
    for (const sema::Tensor &t : L.tensors)
      precise |= t.role != ast::Role::Param && t.dtype == sema::DType::F32;
    int64_t slices = (ssdRows_ + cols - 1) / cols, units = kRows_ / ssdRows_ * slices;
    // Segments give blocks to batch-1 layers; a sequence no longer than one segment runs as one
    // (the summary launch returns at once). 4096 steps: one segment at 4x4096x32 (two took 1.3x
    // as long), four at 1x16384x80 (2.1 -> 1.7 ms; 2048 and 8192 within 3 %), PERF.md s3.
    // SSMC_SSD_SEG overrides (0: never), for measurements.
    int64_t seg = 4096;
    if (const char *e = std::getenv("SSMC_SSD_SEG"))
      seg = std::max<int64_t>(0, std::atoll(e)) / 64 * 64;
    const int64_t q = 64, ldN = kN_ + 8, ldQ = q + 8, es = precise ? 4 : 2;
    // SsdTraits: per-warp scans, log2 decays, decays and head factors, the C, B, u and h_prev
    // tiles, and for bf16 operands the sequential fallback's f32 state (f32 operands reuse the
    // h_prev tile); the outputs (f32, rows padded by 8) and the scaled u tile go in the C tile
    // where they fit.
    // h_prev is [n][p] for bf16 operands (rows of cols + 8, 24 at 8 columns), [p][n] for f32.
    const int64_t ldP = cols == 8 ? 24 : cols + 8, hElems = es == 2 ? kN_ * ldP : cols * ldN;
    const int64_t tiles = 4 * q * (8 + 4 + 4) + 3 * 4 * q + es * (2 * q * ldN + cols * ldQ + hElems) +
                          (es == 2 ? cols * kN_ * 4 : 0);
    const int64_t yBytes = q * (cols + 8) * 4 + cols * ldQ * es;
    const int64_t smem = yBytes <= q * ldN * es ? tiles : tiles + yBytes;
    // Per (batch item, segment): the summary's state (total decay and state per row and n, f32)
    // and C B^T of each chunk (20 causal m16n8 tiles of f32, computed once for all heads).
    const int64_t wsBytes = kRows_ * kN_ * 8 + seg / q * 20 * 32 * 16;
    os << "namespace " << ns << " { using SsdC = ssm::SsdCfg<" << cols << ", " << (precise ? "true" : "false")
       << ", " << seg << ">; }\n";
    for (bool narrow : {false, true}) {
      std::string Lt = ns + (narrow ? "::L32" : "::L"), suffix = narrow ? "_i32" : "";
      std::string T = "ssm::SsdTraits<" + Lt + ", " + ns + "::SsdC>";
      std::string base = "ssm_" + name_ + "_ssd" + suffix;
      os << "static_assert(" << T << "::kUnits == " << units << ", \"launch rule of " << base
         << " disagrees with the skeleton\");\n";
      os << "static_assert(" << T << "::kBlock == 128 && " << T << "::kSmemBytes == " << smem
         << ", \"block / shared memory of " << base << "\");\n";
      if (seg > 0)
        os << "static_assert(" << T << "::kWorkspacePerSeg == " << wsBytes << ", \"workspace of " << base << "\");\n";
      std::vector<ssmrt::ManifestLaunch> &list = narrow ? ml.forwardIndex32 : ml.forward;
      auto entry = [&](const std::string &kernel, const char *fn) {
        // 3 blocks of 4 warps per SM for bf16 operands (68 KB of shared memory each), 2 for f32.
        os << "extern \"C\" __global__ void __launch_bounds__(128, " << (precise ? 2 : 3) << ") " << kernel
           << "(ssm_launch_args a) { ssm::" << fn
           << "<" << Lt << ", " << ns << "::SsdC>(a); }\n";
        ssmrt::ManifestLaunch f;
        f.kernel = kernel;
        f.block[0] = 128;
        f.smem = static_cast<uint32_t>(smem);
        f.grid[0] = {units, true, seg, 1};
        if (seg > 0)
          f.workspace = {wsBytes, true, seg};
        list.push_back(f);
      };
      if (seg == 0) {
        entry(base, "ssd_forward");
      } else {
        entry(base + "_sum", "ssd_segment_summary");
        entry(base, "ssd_segment_forward");
      }
    }
    ml.strategy = "ssd";
  }

  /// The index32 forward's variant for grids the GPU holds at once (the manifest's
  /// small_grid_kernel): tiles of 32 steps instead of 16, the same geometry (rows per block and
  /// block). More independent work per warp where warps are few; more registers (168 against
  /// 128 for S6 N 16: 3 blocks of 4 warps per SM), which the runtime's wave rule counts.
  /// Measured for S6's pick S4 T16 W4 (PERF.md g12); other configurations have none, and
  /// neither does a source compiled on first use (CudaOptions::jit: it doubles the NVRTC time).
  bool smallForward() const {
    return !jit_ && !complex_ && !rowForm_ && lane32_.states == 4 && lane32_.tile == 16 && lane32_.warps == 4 &&
           lane32_.rows == 1;
  }

  /// The forward and step entries, each twice: with 64-bit element offsets (`L`, the manifest's
  /// forward/step) and with 32-bit ones (`L32`, forward_index32/step_index32, which the runtime
  /// takes when every offset of the call is below 2^31).
  void emitKernels(ssmrt::ManifestLayer &ml) {
    std::string ns = "ssmc_" + name_;
    int stepG = static_cast<int>(kN_ / stepStates_), stepBlock = 32 * (kN_ <= 16 ? 8 : 4);
    for (bool narrow : {false, true}) {
      const LaneChoice &lane = narrow ? lane32_ : lane_;
      std::string Lt = ns + (narrow ? "::L32" : "::L"), cfg = ns + (narrow ? "::Cfg32" : "::Cfg");
      std::string suffix = narrow ? "_i32" : "";
      int rpw = 32 / lane.g;
      int64_t rowsPerBlock = static_cast<int64_t>(rpw) * lane.rows * lane.warps;
      int64_t rowBlocks = (kRows_ + rowsPerBlock - 1) / rowsPerBlock;
      int block = 32 * lane.warps;
      std::string fwd = "ssm_" + name_ + "_fwd" + suffix, step = "ssm_" + name_ + "_step" + suffix;
      // The manifest's numbers and the skeleton's traits must agree: checked when NVRTC compiles.
      // The SSD form replaces the lane form's forward entries (emitSsdKernels): not compiled.
      if (!ssd_) {
        os << "static_assert(ssm::DiagLane<" << Lt << ", " << cfg << ">::kRowBlocks == " << rowBlocks
           << ", \"launch rule of " << fwd << " disagrees with the skeleton\");\n";
        os << "static_assert(ssm::DiagLane<" << Lt << ", " << cfg << ">::kBlock == " << block << ", \"block\");\n";
      }
      os << "static_assert(ssm::DiagStepTraits<" << Lt << ", " << ns << "::StepCfg>::kUnits == " << kRows_ * stepG
         << ", \"launch rule of " << step << " disagrees with the skeleton\");\n";
      os << "static_assert(ssm::DiagStepTraits<" << Lt << ", " << ns << "::StepCfg>::kBlock == " << stepBlock
         << ", \"step block\");\n";
      if (!ssd_)
        os << "extern \"C\" __global__ void __launch_bounds__(" << block << ") " << fwd
           << "(ssm_launch_args a) { ssm::diag_lane_forward<" << Lt << ", " << cfg << ">(a); }\n";
      std::string fwdSmall = "ssm_" + name_ + "_fwd_small" + suffix;
      bool small = narrow && !ssd_ && smallForward();
      if (small) {
        os << "static_assert(ssm::DiagLane<" << Lt << ", " << ns << "::Cfg32Small>::kRowBlocks == " << rowBlocks
           << " && ssm::DiagLane<" << Lt << ", " << ns << "::Cfg32Small>::kBlock == " << block
           << ", \"the small-grid forward's geometry\");\n";
        os << "extern \"C\" __global__ void __launch_bounds__(" << block << ") " << fwdSmall
           << "(ssm_launch_args a) { ssm::diag_lane_forward<" << Lt << ", " << ns << "::Cfg32Small>(a); }\n";
      }
      os << "extern \"C\" __global__ void __launch_bounds__(" << stepBlock << ") " << step
         << "(ssm_launch_args a) { ssm::diag_step<" << Lt << ", " << ns << "::StepCfg>(a); }\n";
      // The same step for grids the GPU runs in one wave (decode at small batch: latency-bound).
      // Told that one block per multiprocessor is enough, ptxas takes the registers to issue every
      // load of the step before the first use (one round trip after the wait); the plain entry,
      // which it keeps at full occupancy (32 registers for S6), interleaves them with the
      // softplus (PERF.md g9). Index32 only: a step needing 64-bit offsets has a large grid.
      std::string stepSmall = "ssm_" + name_ + "_step_small" + suffix;
      if (narrow)
        os << "extern \"C\" __global__ void __launch_bounds__(" << stepBlock << ", 1) " << stepSmall
           << "(ssm_launch_args a) { ssm::diag_step<" << Lt << ", " << ns << "::StepCfg>(a); }\n";

      if (!ssd_) {
        ssmrt::ManifestLaunch f;
        f.kernel = fwd;
        if (small)
          f.smallGridKernel = fwdSmall;
        f.block[0] = static_cast<uint32_t>(block);
        f.grid[0] = {rowBlocks, true, 0, 1};
        (narrow ? ml.forwardIndex32 : ml.forward).push_back(f);
      }
      ssmrt::ManifestLaunch s;
      s.kernel = step;
      if (narrow)
        s.smallGridKernel = stepSmall;
      s.block[0] = static_cast<uint32_t>(stepBlock);
      s.grid[0] = {kRows_ * stepG, true, 0, stepBlock};
      (narrow ? ml.stepIndex32 : ml.step).push_back(s);
    }
    ml.strategy = "lane";
  }

  ssm::LayerOp layer_;
  ssm::FusedOp fused_;
  const sema::Layer &L;
  const SourceManager &sm_;
  std::ostringstream &os;
  std::string &error_;
  bool decayLog2_ = false;
  bool jit_ = false; // CudaOptions::jit
  std::string name_, inner_;
  std::vector<std::string> rows_;
  std::map<std::string, std::string> groups_; // group dim -> head dim
  int64_t kRows_ = 1, kN_ = 1;
  bool complex_ = false;
  std::vector<Input> inputs_;
  std::vector<std::string> rowTypes_, redTypes_;
  std::string redType_;
  std::vector<const sema::Tensor *> outs_;
  LaneChoice lane_{}, lane32_{}; // configurations of the 64-bit and the index32 entries
  int poly32_ = 0;                // the index32 entry's Poly (SSMC_LANE32 only)
  int stepStates_ = 1;
  // The scalar-decay (Mamba-2) form: decay a row value, input = row value x per-n input,
  // contrib linear in h (CONTRACT.md, kDecayPerRow).
  bool rowForm_ = false;
  bool dense_ = false; // h = A @ h + b: ssm::dense_forward with a setup
  llvm::DenseMap<Value, std::string> elementFns_;
  std::vector<Value> setupOrder_;
  int decayR_ = -1, inputR_ = -1, inputN_ = -1; // row value indices / input index
  int rowDecayR_ = -1; // the row value elem yields as its decay, if any (any form)
  // The chunked matrix (SSD) form on tensor cores (ssm/ssd.cuh): rows sharing one decay, the
  // input whose value is contrib's coefficient (contrib = n_coef * h).
  bool ssd_ = false;
  int64_t ssdRows_ = 0;
  int coefN_ = -1;
  // Its head factor (detectHeadFactor): the per-row inputs whose product with the head's value
  // is the input, and the per-head inputs (RowIn) the row region reads.
  bool headFactor_ = false;
  std::vector<int> headLeaves_, headIns_;
};

} // namespace

/// When a real decay is exp(x), the elem regions yield x * log2(e) instead and the layer gets
/// `decay_log2`: the skeleton then takes 2^y with one special-function instruction (ex2.approx,
/// about 2 ulp; checked against the float64 reference on long sequences) instead of expf's
/// range reduction. Returns the layers rewritten.
std::set<std::string> exposeLog2Decay(ModuleOp module) {
  std::set<std::string> layers;
  module.walk([&](Operation *op) {
    if (!isa<ssm::FusedOp, ssm::StepOp>(op))
      return;
    Region &elem = op->getRegion(1);
    Operation *yield = elem.front().getTerminator();
    if (yield->getNumOperands() != 2) // the dense form yields no decay
      return;
    auto exp = yield->getOperand(0).getDefiningOp<math::ExpOp>();
    if (!exp || !exp.getType().isF32())
      return;
    OpBuilder b(yield);
    Value log2e = arith::ConstantOp::create(b, exp.getLoc(), b.getF32FloatAttr(1.4426950408889634f));
    Value scaled = arith::MulFOp::create(b, exp.getLoc(), exp.getOperand(), log2e);
    yield->setOperand(0, scaled);
    if (exp->use_empty())
      exp->erase();
    if (auto layer = op->getParentOfType<ssm::LayerOp>())
      layers.insert(layer.getSymName().str());
  });
  return layers;
}

/// When the decay is a row value (elem yields a row block argument) computed as exp(x) in the
/// row region and read by nothing else, the row region yields x * log2(e) instead and the
/// layer is marked as giving its decay as log2: the struct's row_step then takes 2^y with
/// ssm::ex2_acc, once per (row, step). A decay shared by a whole row (Mamba-2's per-head
/// decay) must not take a biased exp (CONTRACT.md); expf's range reduction also costs more
/// instructions than the polynomial's FMAs. Returns the layers rewritten.
std::set<std::string> exposeRowLog2Decay(ModuleOp module) {
  std::set<std::string> layers;
  module.walk([&](ssm::FusedOp op) {
    auto view = ssm::KernelView::get(op);
    if (!view || view->denseDecay)
      return;
    unsigned numInputs = view->inputs.size(), numR = view->numRowValues();
    Block &elem = view->region(ssm::KernelRegion::Elem).front();
    Operation *yield = elem.getTerminator();
    if (yield->getNumOperands() != 2)
      return;
    auto arg = dyn_cast<BlockArgument>(yield->getOperand(0));
    if (!arg || arg.getOwner() != &elem || arg.getArgNumber() < numInputs || arg.getArgNumber() >= numInputs + numR)
      return;
    unsigned j = arg.getArgNumber() - numInputs;
    if (!arg.hasOneUse())
      return;
    for (ssm::KernelRegion k : {ssm::KernelRegion::Contrib, ssm::KernelRegion::Out})
      if (!view->region(k).front().getArgument(numInputs + j).use_empty())
        return;
    Operation *rowYield = view->region(ssm::KernelRegion::Row).front().getTerminator();
    auto exp = rowYield->getOperand(j).getDefiningOp<math::ExpOp>();
    if (!exp || !exp.getType().isF32())
      return;
    OpBuilder b(rowYield);
    Value log2e = arith::ConstantOp::create(b, exp.getLoc(), b.getF32FloatAttr(1.4426950408889634f));
    rowYield->setOperand(j, arith::MulFOp::create(b, exp.getLoc(), exp.getOperand(), log2e));
    if (exp->use_empty())
      exp->erase();
    if (auto layer = op->getParentOfType<ssm::LayerOp>())
      layers.insert(layer.getSymName().str());
  });
  return layers;
}

/// Hoists row-level factors out of the per-element regions. A product in `elem` or `contrib`
/// whose factors split into row-level ones (constants, row values, inputs available per row)
/// and per-element ones is rewritten so the row-level part is one new row value, computed once
/// per (row, step) instead of once per state element: Mamba's input delta * B * x becomes
/// (delta * x) * B, and exp's log2(e) scale joins delta. Returns the number of products hoisted.
int hoistRowFactors(Operation *op) {
  auto view = ssm::KernelView::get(op);
  if (!view)
    return 0;
  unsigned numInputs = view->inputs.size();
  std::set<unsigned> rowInputs;
  for (unsigned i : view->availableInputs(ssm::KernelRegion::Row))
    rowInputs.insert(i);
  Region &rowR = view->region(ssm::KernelRegion::Row);
  int hoisted = 0;
  for (ssm::KernelRegion kind : {ssm::KernelRegion::Elem, ssm::KernelRegion::Contrib}) {
    Region &region = view->region(kind);
    Block &block = region.front();
    Operation *yield = block.getTerminator();
    for (unsigned y = 0; y < yield->getNumOperands(); ++y) {
      unsigned numR = view->numRowValues();
      // Row-level: computable from constants, row values and inputs available per row alone.
      std::function<bool(Value)> isRowLevel = [&](Value v) -> bool {
        if (auto arg = dyn_cast<BlockArgument>(v)) {
          if (arg.getOwner() != &block)
            return false;
          unsigned n = arg.getArgNumber();
          return (n < numInputs && rowInputs.count(n)) || (n >= numInputs && n < numInputs + numR);
        }
        Operation *def = v.getDefiningOp();
        if (!def || def->getBlock() != &block || def->getNumRegions() || !isPure(def))
          return false;
        return llvm::all_of(def->getOperands(), isRowLevel);
      };
      auto mul = yield->getOperand(y).getDefiningOp<arith::MulFOp>();
      if (!mul)
        continue;
      // Flatten the product tree (single-use interior products only).
      SmallVector<Value> leaves, work{mul.getResult()};
      SmallVector<Operation *> interior;
      while (!work.empty()) {
        Value v = work.pop_back_val();
        auto m = v.getDefiningOp<arith::MulFOp>();
        if (m && (v == mul.getResult() || v.hasOneUse())) {
          interior.push_back(m);
          work.push_back(m.getLhs());
          work.push_back(m.getRhs());
        } else {
          leaves.push_back(v);
        }
      }
      SmallVector<Value> rowLeaves, elemLeaves;
      for (Value v : leaves)
        (isRowLevel(v) ? rowLeaves : elemLeaves).push_back(v);
      if (rowLeaves.size() < 2)
        continue;
      // The row product, computed in the row region: row-level values are cloned there, with
      // block arguments mapped to the row region's own (inputs) or to its yields (row values).
      Block &rb = rowR.front();
      Operation *rowYield = rb.getTerminator();
      OpBuilder b(rowYield);
      IRMapping map;
      for (unsigned i = 0; i < numInputs; ++i)
        map.map(block.getArgument(i), rb.getArgument(i));
      for (unsigned j = 0; j < numR; ++j)
        map.map(block.getArgument(numInputs + j), rowYield->getOperand(j));
      std::function<Value(Value)> cloneRow = [&](Value v) -> Value {
        if (Value m = map.lookupOrNull(v))
          return m;
        Operation *def = v.getDefiningOp();
        for (Value o : def->getOperands())
          cloneRow(o);
        Operation *c = b.clone(*def, map);
        return c->getResult(cast<OpResult>(v).getResultNumber());
      };
      Value prod;
      for (Value v : rowLeaves) {
        Value w = cloneRow(v);
        prod = prod ? Value(arith::MulFOp::create(b, mul.getLoc(), prod, w)) : w;
      }
      SmallVector<Value> yields(rowYield->getOperands());
      yields.push_back(prod);
      rowYield->setOperands(yields);
      // Every region that takes the row values gets the new one after the existing ones.
      for (ssm::KernelRegion k : {ssm::KernelRegion::Elem, ssm::KernelRegion::Contrib, ssm::KernelRegion::Out})
        view->region(k).front().insertArgument(numInputs + numR, b.getF32Type(), mul.getLoc());
      Value r = block.getArgument(numInputs + numR);
      OpBuilder eb(mul);
      Value acc = r;
      for (Value v : elemLeaves)
        acc = arith::MulFOp::create(eb, mul.getLoc(), acc, v);
      mul.getResult().replaceAllUsesWith(acc);
      for (Operation *o : interior)
        if (o->use_empty())
          o->erase();
      ++hoisted;
    }
  }
  return hoisted;
}

/// Drops row values that no region reads any more (after hoisting): each costs a register and
/// a shuffle per step in the skeleton.
void dropDeadRowValues(Operation *op) {
  auto view = ssm::KernelView::get(op);
  if (!view)
    return;
  unsigned numInputs = view->inputs.size();
  Operation *rowYield = view->region(ssm::KernelRegion::Row).front().getTerminator();
  for (unsigned j = view->numRowValues(); j-- > 0;) {
    bool used = false;
    for (ssm::KernelRegion k : {ssm::KernelRegion::Elem, ssm::KernelRegion::Contrib, ssm::KernelRegion::Out})
      used |= !view->region(k).front().getArgument(numInputs + j).use_empty();
    if (used)
      continue;
    rowYield->eraseOperand(j);
    for (ssm::KernelRegion k : {ssm::KernelRegion::Elem, ssm::KernelRegion::Contrib, ssm::KernelRegion::Out})
      view->region(k).front().eraseArgument(numInputs + j);
  }
}

// --split-compile=0: NVRTC optimizes the kernels of one source in as many threads as the host
// has (cold JIT of Mamba S6 on the H100 host: 1330 -> 772 ms; PERF.md g10).
std::vector<std::string> nvrtcOptions() { return {"-std=c++17", "--split-compile=0"}; }

bool emitCuda(mlir::ModuleOp module, const sema::Program &prog, const SourceManager &sm, CudaOutput &out,
              std::string &error, const CudaOptions &options) {
  std::set<std::string> log2Layers = exposeLog2Decay(module);
  module.walk([&](Operation *op) {
    if (isa<ssm::FusedOp, ssm::StepOp>(op))
    {
      while (hoistRowFactors(op) > 0) {
      }
      dropDeadRowValues(op);
    }
  });
  {
    // Clean up what hoisting left (dead per-element code, row values computed twice) so the
    // structs carry only what is read.
    PassManager pm(module.getContext());
    pm.addPass(createCSEPass());
    pm.addPass(createCanonicalizerPass());
    if (failed(pm.run(module))) {
      error = "cleaning up the fused regions failed";
      return false;
    }
    module.walk([&](Operation *op) {
      if (isa<ssm::FusedOp, ssm::StepOp>(op))
        dropDeadRowValues(op);
    });
  }
  for (const std::string &l : exposeRowLog2Decay(module))
    log2Layers.insert(l);
  std::string regions;
  {
    llvm::raw_string_ostream rs(regions);
    if (failed(ssm::emitRegionFunctions(module, rs))) {
      error = "printing the fused regions as C++ failed";
      return false;
    }
  }
  std::ostringstream src;
  src << "// Generated by ssmc 0.1.0. The layer structs follow runtime/device/CONTRACT.md.\n";
  src << "#include \"ssmrt/abi.h\"\n#include \"ssm/diag.cuh\"\n#include \"ssm/dense.cuh\"\n#include \"ssm/gen.cuh\"\n#include \"ssm/ssd.cuh\"\n\n";
  src << "// ---- per-element region functions (EmitC)\n" << regions;
  out.manifest = ssmrt::Manifest();
  out.manifest.compiler = "ssmc 0.1.0";
  out.manifest.nvrtcOptions = nvrtcOptions();
  for (ssm::LayerOp layer : module.getOps<ssm::LayerOp>()) {
    if (layer.getStepOf())
      continue;
    const sema::Layer *L = nullptr;
    for (const sema::Layer &l : prog.layers)
      if (l.name == layer.getSymName())
        L = &l;
    ssm::FusedOp fused;
    int count = 0;
    layer.walk([&](ssm::FusedOp f) {
      fused = f;
      ++count;
    });
    if (!L || count != 1) {
      error = "layer " + layer.getSymName().str() + " was not fused into one kernel (see the remarks of --emit=fused)";
      return false;
    }
    ssmrt::ManifestLayer ml;
    ml.name = L->name;
    ml.source = {sm.path(L->loc.file), L->loc.line, L->loc.col};
    for (auto &d : L->dims)
      ml.dims.push_back({d.name, *d.size});
    for (const sema::Tensor &t : L->tensors) {
      ssmrt::ManifestTensor mt;
      mt.name = t.name;
      mt.role = t.role == ast::Role::In ? SSMRT_ROLE_IN : t.role == ast::Role::Param ? SSMRT_ROLE_PARAM : SSMRT_ROLE_OUT;
      mt.dtype = runtimeDtype(t.dtype);
      for (int d : t.dims)
        mt.dims.push_back(L->dims[d].name);
      ml.tensors.push_back(mt);
    }
    for (const sema::State &s : L->states) {
      ssmrt::ManifestState ms;
      ms.name = s.name;
      ms.dtype = s.complex ? SSMRT_DTYPE_C64 : SSMRT_DTYPE_F32;
      for (int d : s.dims)
        ms.dims.push_back(L->dims[d].name);
      ml.states.push_back(ms);
    }
    ml.facts = {{"selective", L->facts.selective}, {"lti", L->facts.lti}, {"scalar_decay", L->facts.scalarDecay}};
    LayerEmitter e(layer, fused, *L, sm, src, error, log2Layers.count(L->name) > 0, options.jit);
    if (!e.run(ml))
      return false;
    out.manifest.layers.push_back(std::move(ml));
  }
  out.source = src.str();
  return true;
}

bool buildPackEntries(const CudaOutput &out, const std::vector<std::string> &archs,
                      std::vector<ssmrt::PackEntry> &entries, std::string &error) {
  entries.clear();
  entries.push_back({"manifest.json", ssmrt::writeManifest(out.manifest)});
  entries.push_back({"source.cu", out.source});
  // One NVRTC call per output; a failure keeps the generated source on disk for the user.
  auto compile = [&](const std::string &arch, ssmrt::NvrtcOutput kind, const std::string &entry) {
    ssmrt::NvrtcRequest req;
    req.source = out.source;
    req.name = "ssmc_generated.cu";
    req.options = nvrtcOptions();
    req.arch = arch;
    req.output = kind;
    ssmrt::NvrtcResult res;
    ssmrt::Status st = ssmrt::compileCuda(req, &res);
    if (!st.isOk()) {
      std::string path = "/tmp/ssmc-" + std::to_string(ssmrt::fnv1a64(out.source)) + ".cu";
      std::ofstream(path) << out.source;
      error = "NVRTC failed for " + entry + ": " + st.message() + "\n" + res.log + "\nthe generated source is " + path;
      return false;
    }
    entries.push_back({entry, res.binary});
    return true;
  };
  std::string newest;
  auto archNum = [](const std::string &a) { return std::atoi(a.c_str() + 3); };
  for (const std::string &arch : archs) {
    if (!compile(arch, ssmrt::NvrtcOutput::Cubin, "cubin." + arch))
      return false;
    if (newest.empty() || archNum(arch) > archNum(newest))
      newest = arch;
  }
  if (!newest.empty() && !compile(newest, ssmrt::NvrtcOutput::Ptx, "ptx." + newest))
    return false;
  return true;
}

} // namespace ssmc
