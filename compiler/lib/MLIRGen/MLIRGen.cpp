// MLIRGen: the typed layer model -> ssm dialect. One emitter per kind of node; elementwise trees
// become ssm.map regions, discretization calls ssm.discretize, states ssm.scan, reductions of a
// state against a coefficient ssm.project.
#include "ssmc/MLIRGen.h"

#include "ssm/SsmDialect.h"
#include "ssm/SsmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Complex/IR/Complex.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace ssmc {

void loadDialects(mlir::MLIRContext &ctx) {
  ctx.loadDialect<mlir::ssm::SsmDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::complex::ComplexDialect>();
}

namespace {

using namespace mlir;
using sema::Node;
using sema::NodeRef;
using sema::Op;

class Gen {
public:
  Gen(MLIRContext &ctx, const sema::Layer &L, const SourceManager &sm, DiagEngine &diags)
      : ctx_(ctx), b_(&ctx), L(L), sm_(sm), diags_(diags) {}

  bool run(ModuleOp module) {
    for (const sema::DimInfo &d : L.dims)
      if (!d.size) {
        diags_.error(d.loc, "dim " + d.name + " of layer " + L.name +
                                " has no size; give one in the layer (dims " + d.name + " = ...) or with --dim " +
                                d.name + "=...");
        return false;
      }

    // Arguments: ins, params (in the manifest's order), then each state's initial value.
    SmallVector<Type> argTypes, resTypes;
    SmallVector<Attribute> argAttrs, resAttrs;
    std::vector<std::string> argNames;
    for (const sema::Tensor &t : L.tensors) {
      if (t.role == ast::Role::Out)
        continue;
      argTypes.push_back(tensorType(t.dims, t.role == ast::Role::In, storageType(t.dtype), t.loc));
      argAttrs.push_back(roleAttr(t.role == ast::Role::In ? "in" : "param", t.name));
      argNames.push_back(t.name);
    }
    for (const sema::State &s : L.states) {
      argTypes.push_back(tensorType(s.dims, false, computeType(s.complex), s.loc));
      argAttrs.push_back(roleAttr("state_init", s.name));
      argNames.push_back("\x01" + s.name);
    }
    for (const sema::Tensor &t : L.tensors)
      if (t.role == ast::Role::Out) {
        resTypes.push_back(tensorType(t.dims, true, storageType(t.dtype), t.loc));
        resAttrs.push_back(roleAttr("out", t.name));
      }
    for (const sema::State &s : L.states) {
      resTypes.push_back(tensorType(s.dims, false, computeType(s.complex), s.loc));
      resAttrs.push_back(roleAttr("state_final", s.name));
    }
    if (failed_)
      return false;

    SmallVector<StringAttr> dimNames;
    SmallVector<int64_t> dimSizes;
    for (const sema::DimInfo &d : L.dims) {
      dimNames.push_back(b_.getStringAttr(d.name));
      dimSizes.push_back(*d.size);
    }
    b_.setInsertionPointToEnd(module.getBody());
    auto layer = ssm::LayerOp::create(
        b_, loc(L.loc), b_.getStringAttr(L.name), TypeAttr::get(b_.getFunctionType(argTypes, resTypes)),
        ssm::SizesAttr::get(&ctx_, dimNames, dimSizes),
        ssm::FactsAttr::get(&ctx_, L.facts.selective, L.facts.lti, L.facts.scalarDecay), nullptr,
        b_.getArrayAttr(argAttrs), b_.getArrayAttr(resAttrs));
    Block *body = new Block();
    layer.getBody().push_back(body);
    for (size_t i = 0; i < argTypes.size(); ++i) {
      Value a = body->addArgument(argTypes[i], layer.getLoc());
      args_[argNames[i]] = a;
    }
    b_.setInsertionPointToEnd(body);

    SmallVector<Value> results;
    for (const sema::Tensor &t : L.tensors) {
      if (t.role != ast::Role::Out || !t.value)
        continue;
      Value v = emitTensor(t.value);
      if (!v)
        return false;
      Type want = tensorType(t.dims, true, computeType(t.dtype == sema::DType::C64), t.loc);
      results.push_back(coerce(v, want, t.value->loc));
    }
    for (const sema::State &s : L.states) {
      if (!emitScan(s))
        return false;
      results.push_back(stateFinal_[s.name]);
    }
    if (failed_)
      return false;
    ssm::ReturnOp::create(b_, loc(L.loc), results);
    return !failed_;
  }

private:
  // ------------------------------------------------------------------ types and locations
  Location loc(const Loc &l) {
    if (!l.valid())
      return UnknownLoc::get(&ctx_);
    return FileLineColLoc::get(&ctx_, sm_.path(l.file), l.line, l.col);
  }

  void error(const Loc &l, const std::string &msg) {
    if (!failed_)
      diags_.error(l, msg);
    failed_ = true;
  }

  DictionaryAttr roleAttr(StringRef role, StringRef name) {
    return b_.getDictionaryAttr({b_.getNamedAttr("ssm.role", b_.getStringAttr(role)),
                                 b_.getNamedAttr("ssm.name", b_.getStringAttr(name))});
  }

  Type storageType(sema::DType t) {
    switch (t) {
    case sema::DType::F16:
      return b_.getF16Type();
    case sema::DType::BF16:
      return b_.getBF16Type();
    case sema::DType::C64:
      return ComplexType::get(b_.getF32Type());
    default:
      return b_.getF32Type();
    }
  }
  Type computeType(bool complex) {
    return complex ? Type(ComplexType::get(b_.getF32Type())) : Type(b_.getF32Type());
  }

  RankedTensorType tensorType(const sema::Dims &dims, bool step, Type elem, const Loc &where) {
    SmallVector<int64_t> shape;
    SmallVector<StringAttr> names;
    if (step) {
      shape.push_back(ShapedType::kDynamic);
      names.push_back(b_.getStringAttr("L"));
    }
    // A square matrix's repeated dim goes last, row then column (the order the
    // matrix ops expect); the other dims keep their order.
    std::vector<int> order, pair;
    for (int d : dims)
      (std::count(dims.begin(), dims.end(), d) > 1 ? pair : order).push_back(d);
    if (pair.size() > 2 || (pair.size() == 2 && pair[0] != pair[1])) {
      error(where, "a value over the dims " + L.dimsString(dims) +
                       " repeats a dim more than once; only square matrices [N, N] are supported");
      return RankedTensorType::get({}, elem, ssm::DimsAttr::get(&ctx_, {}));
    }
    order.insert(order.end(), pair.begin(), pair.end());
    for (int d : order) {
      shape.push_back(*L.dims[d].size);
      names.push_back(b_.getStringAttr(L.dims[d].name));
    }
    return RankedTensorType::get(shape, elem, ssm::DimsAttr::get(&ctx_, names));
  }

  /// `v`'s type with element type f32 (params may be stored as f16/bf16).
  RankedTensorType f32Of(Value v) {
    auto t = cast<RankedTensorType>(v.getType());
    return RankedTensorType::get(t.getShape(), b_.getF32Type(), t.getEncoding());
  }

  RankedTensorType typeOf(const NodeRef &n) { return tensorType(n->dims, n->step, computeType(n->complex), n->loc); }

  // ------------------------------------------------------------------ tensors
  static bool isElementwise(const Node &n) {
    switch (n.op) {
    case Op::Const:
    case Op::Neg:
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Cmp:
    case Op::Select:
      return true;
    case Op::Builtin:
      return n.name != "group" && n.name != "eye" && n.name != "inv";
    case Op::CallResult:
      return !n.call->discretization;
    default:
      return false;
    }
  }

  Value emitTensor(const NodeRef &n) {
    if (failed_ || !n)
      return nullptr;
    auto it = tensors_.find(n.get());
    if (it != tensors_.end())
      return it->second;
    Value v;
    switch (n->op) {
    case Op::In:
    case Op::Param:
      v = args_.at(n->name);
      break;
    case Op::StateCur: {
      const sema::State *s = nullptr;
      for (const sema::State &st : L.states)
        if (st.name == n->name)
          s = &st;
      if (!s || !emitScan(*s))
        return nullptr;
      v = stateSeq_[n->name];
      break;
    }
    case Op::Reduce:
      v = emitReduce(n);
      break;
    case Op::CallResult:
      if (n->call->discretization) {
        v = emitDiscretize(*n->call, n->resultIndex);
        break;
      }
      v = emitTensor(n->operands[0]);
      break;
    case Op::MatMul: {
      // A @ X between time-invariant values (the dense setup); A @ h itself is
      // the dense scan's decay, emitted by emitScan.
      Value lhs = emitTensor(n->operands[0]), rhs = emitTensor(n->operands[1]);
      if (!lhs || !rhs)
        return nullptr;
      if (n->step) {
        error(n->loc, "a matrix product of values that vary per step is not supported; matrix products "
                      "compute time-invariant setup (from params)");
        return nullptr;
      }
      lhs = coerce(lhs, f32Of(lhs), n->operands[0]->loc);
      rhs = coerce(rhs, f32Of(rhs), n->operands[1]->loc);
      v = ssm::MatMulOp::create(b_, loc(n->loc), typeOf(n), lhs, rhs).getResult();
      break;
    }
    case Op::StatePrev:
    case Op::IndexVar:
    case Op::DimSize:
      error(n->loc, "internal error: " + std::string(n->op == Op::StatePrev ? "previous state" : "index") +
                        " outside its context");
      return nullptr;
    case Op::Builtin:
      if (n->name == "group") {
        Value x = emitTensor(n->operands[0]);
        if (!x)
          return nullptr;
        // A gather keeps its operand's element type (storage dtypes widen in the maps).
        Type elem = cast<RankedTensorType>(x.getType()).getElementType();
        v = ssm::GroupOp::create(b_, loc(n->loc), tensorType(n->dims, n->step, elem, n->loc), x,
                                 L.dims[n->reduceDim].name,
                                 L.dims[static_cast<int>(n->value)].name)
                .getResult();
        break;
      }
      if (n->name == "eye") {
        v = ssm::EyeOp::create(b_, loc(n->loc), typeOf(n)).getResult();
        break;
      }
      if (n->name == "inv") {
        Value x = emitTensor(n->operands[0]);
        if (!x)
          return nullptr;
        if (n->step) {
          error(n->loc, "inv() of a value that varies per step is not supported; matrix ops compute "
                        "time-invariant setup (from params)");
          return nullptr;
        }
        x = coerce(x, typeOf(n), n->operands[0]->loc);
        v = ssm::InvOp::create(b_, loc(n->loc), x).getResult();
        break;
      }
      v = emitMap(n);
      break;
    default:
      v = emitMap(n);
      break;
    }
    if (v)
      tensors_[n.get()] = v;
    return v;
  }

  /// The tensors an elementwise tree reads: the first non-elementwise nodes below it.
  void collectLeaves(const NodeRef &n, std::vector<NodeRef> &leaves, std::set<const Node *> &seen) {
    if (!seen.insert(n.get()).second)
      return;
    if (n->op == Op::Const)
      return;
    if (!isElementwise(*n)) {
      leaves.push_back(n);
      return;
    }
    if (n->op == Op::CallResult) {
      collectLeaves(n->operands[0], leaves, seen);
      return;
    }
    for (auto &o : n->operands)
      collectLeaves(o, leaves, seen);
  }

  Value emitMap(const NodeRef &n) { return emitMapTo(n, typeOf(n)); }

  Value emitMapTo(const NodeRef &n, RankedTensorType resultType) {
    std::vector<NodeRef> leaves;
    std::set<const Node *> seen;
    collectLeaves(n, leaves, seen);
    SmallVector<Value> inputs;
    for (auto &l : leaves) {
      Value t = emitTensor(l);
      if (!t)
        return nullptr;
      inputs.push_back(t);
    }
    OpBuilder::InsertionGuard g(b_);
    auto map = ssm::MapOp::create(b_, loc(n->loc), TypeRange{resultType}, inputs);
    Block &block = map.getBody().front();
    b_.setInsertionPointToEnd(&block);
    std::map<const Node *, Value> env;
    for (size_t i = 0; i < leaves.size(); ++i)
      env[leaves[i].get()] = block.getArgument(i);
    Value r = emitScalar(n, env);
    if (!r)
      return nullptr;
    r = castScalar(r, resultType.getElementType(), n->loc);
    ssm::YieldOp::create(b_, loc(n->loc), ValueRange{r});
    return map.getResult(0);
  }

  /// `v` as a tensor of exactly type `want` (adds an identity map that broadcasts or promotes).
  Value coerce(Value v, Type want, const Loc &where) {
    if (!v || v.getType() == want)
      return v;
    OpBuilder::InsertionGuard g(b_);
    auto map = ssm::MapOp::create(b_, loc(where), TypeRange{want}, ValueRange{v});
    Block &block = map.getBody().front();
    b_.setInsertionPointToEnd(&block);
    Value r = castScalar(block.getArgument(0), cast<RankedTensorType>(want).getElementType(), where);
    ssm::YieldOp::create(b_, loc(where), ValueRange{r});
    return map.getResult(0);
  }

  Value emitReduce(const NodeRef &n) {
    const NodeRef &arg = n->operands[0];
    StringRef dim = L.dims[n->reduceDim].name;
    Type resultType = typeOf(n);
    // sum[N](C * h) with h a state: the contraction the fuse pass folds into the kernel.
    if (arg->op == Op::Mul) {
      for (int side = 0; side < 2; ++side) {
        const NodeRef &h = arg->operands[side], &c = arg->operands[1 - side];
        if (h->op == Op::StateCur && std::count(c->dims.begin(), c->dims.end(), n->reduceDim)) {
          Value hs = emitTensor(h), cv = emitTensor(c);
          if (!hs || !cv)
            return nullptr;
          return ssm::ProjectOp::create(b_, loc(n->loc), resultType, hs, cv, dim).getResult();
        }
      }
    }
    Value v = emitTensor(arg);
    if (!v)
      return nullptr;
    return ssm::ReduceOp::create(b_, loc(n->loc), resultType, v, dim).getResult();
  }

  bool elementwiseOver(const NodeRef &n, const std::set<const Node *> &args) {
    if (args.count(n.get()) || n->op == Op::Const)
      return true;
    if (!isElementwise(*n))
      return false;
    for (auto &o : n->operands)
      if (!elementwiseOver(o, args))
        return false;
    return true;
  }

  Value emitDiscretize(const sema::CallSite &site, int index) {
    auto it = discretized_.find(&site);
    if (it != discretized_.end())
      return it->second->getResult(index);
    std::set<const Node *> argSet;
    for (auto &a : site.args)
      argSet.insert(a.get());
    for (auto &r : site.results)
      if (!elementwiseOver(r, argSet))
        return emitTensor(site.results[index]); // not a plain rule: emit its math as it is
    SmallVector<Value> inputs;
    for (auto &a : site.args) {
      Value t = emitTensor(a);
      if (!t)
        return nullptr;
      inputs.push_back(t);
    }
    SmallVector<Type> resultTypes;
    for (auto &r : site.results)
      resultTypes.push_back(typeOf(r));
    OpBuilder::InsertionGuard g(b_);
    auto op = ssm::DiscretizeOp::create(b_, loc(site.loc), resultTypes, b_.getStringAttr(site.fn), inputs);
    Block *block = new Block();
    op.getBody().push_back(block);
    std::map<const Node *, Value> env;
    for (size_t i = 0; i < inputs.size(); ++i) {
      Type elem = cast<RankedTensorType>(inputs[i].getType()).getElementType();
      Type compute = isa<ComplexType>(elem) ? elem : Type(b_.getF32Type());
      env[site.args[i].get()] = block->addArgument(compute, loc(site.loc));
    }
    b_.setInsertionPointToEnd(block);
    SmallVector<Value> yields;
    for (size_t i = 0; i < site.results.size(); ++i) {
      Value r = emitScalar(site.results[i], env);
      if (!r)
        return nullptr;
      yields.push_back(castScalar(r, cast<RankedTensorType>(resultTypes[i]).getElementType(), site.loc));
    }
    ssm::YieldOp::create(b_, loc(site.loc), yields);
    discretized_[&site] = op.getOperation();
    return op.getResult(index);
  }

  bool emitScan(const sema::State &s) {
    if (stateSeq_.count(s.name))
      return true;
    if (s.dense && s.complex) {
      error(s.loc, "state " + s.name + " is complex with a dense update (A @ " + s.name +
                       "); dense updates of real states are supported");
      return false;
    }
    Type elem = computeType(s.complex);
    RankedTensorType statesT = tensorType(s.dims, true, elem, s.loc);
    RankedTensorType finalT = tensorType(s.dims, false, elem, s.loc);
    Value decay = emitTensor(s.decay);
    Value input = emitTensor(s.input);
    if (!decay || !input)
      return false;
    input = coerce(input, statesT, s.input->loc);
    if (s.dense) {
      if (s.decay->step) {
        error(s.decay->loc, "the matrix of " + s.name + "'s dense update varies per step; a dense decay "
                            "must be time-invariant (computed from params)");
        return false;
      }
      decay = coerce(decay, f32Of(decay), s.decay->loc);
    }
    Value init = args_.at("\x01" + s.name);
    auto scan = ssm::ScanOp::create(b_, loc(s.loc), statesT, finalT, b_.getStringAttr(s.name),
                                    s.dense ? b_.getUnitAttr() : nullptr, decay, input, init);
    stateSeq_[s.name] = scan.getStates();
    stateFinal_[s.name] = scan.getFinal();
    return true;
  }

  // ------------------------------------------------------------------ scalars
  Value f32(double v, Location l) { return arith::ConstantOp::create(b_, l, b_.getF32FloatAttr(static_cast<float>(v))); }

  Value toComplex(Value v, Location l) {
    if (isa<ComplexType>(v.getType()))
      return v;
    return complex::CreateOp::create(b_, l, ComplexType::get(b_.getF32Type()), v, f32(0, l));
  }

  Value castScalar(Value v, Type want, const Loc &where) {
    if (v.getType() == want)
      return v;
    if (isa<ComplexType>(want))
      return toComplex(v, loc(where));
    if (isa<ComplexType>(v.getType()))
      return complex::ReOp::create(b_, loc(where), v);
    return v;
  }

  Value emitScalar(const NodeRef &n, std::map<const Node *, Value> &env) {
    auto it = env.find(n.get());
    if (it != env.end())
      return it->second;
    Location l = loc(n->loc);
    Value r;
    auto operand = [&](size_t i) { return emitScalar(n->operands[i], env); };
    switch (n->op) {
    case Op::Const:
      r = f32(n->value, l);
      break;
    case Op::Neg: {
      Value a = operand(0);
      if (!a)
        return nullptr;
      r = isa<ComplexType>(a.getType()) ? Value(complex::NegOp::create(b_, l, a)) : Value(arith::NegFOp::create(b_, l, a));
      break;
    }
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div: {
      Value a = operand(0), c = operand(1);
      if (!a || !c)
        return nullptr;
      if (isa<ComplexType>(a.getType()) || isa<ComplexType>(c.getType())) {
        a = toComplex(a, l);
        c = toComplex(c, l);
        r = n->op == Op::Add   ? Value(complex::AddOp::create(b_, l, a, c))
            : n->op == Op::Sub ? Value(complex::SubOp::create(b_, l, a, c))
            : n->op == Op::Mul ? Value(complex::MulOp::create(b_, l, a, c))
                               : Value(complex::DivOp::create(b_, l, a, c));
      } else {
        r = n->op == Op::Add   ? Value(arith::AddFOp::create(b_, l, a, c))
            : n->op == Op::Sub ? Value(arith::SubFOp::create(b_, l, a, c))
            : n->op == Op::Mul ? Value(arith::MulFOp::create(b_, l, a, c))
                               : Value(arith::DivFOp::create(b_, l, a, c));
      }
      break;
    }
    case Op::Cmp: {
      Value a = operand(0), c = operand(1);
      if (!a || !c)
        return nullptr;
      using P = arith::CmpFPredicate;
      P p = P::OLT;
      switch (n->cmp) {
      case ast::BinOp::Le:
        p = P::OLE;
        break;
      case ast::BinOp::Gt:
        p = P::OGT;
        break;
      case ast::BinOp::Ge:
        p = P::OGE;
        break;
      case ast::BinOp::Eq:
        p = P::OEQ;
        break;
      case ast::BinOp::Ne:
        p = P::UNE;
        break;
      default:
        break;
      }
      r = arith::CmpFOp::create(b_, l, p, a, c);
      break;
    }
    case Op::Select: {
      Value c = operand(0), t = operand(1), f = operand(2);
      if (!c || !t || !f)
        return nullptr;
      if (isa<ComplexType>(t.getType()) || isa<ComplexType>(f.getType())) {
        t = toComplex(t, l);
        f = toComplex(f, l);
      }
      r = arith::SelectOp::create(b_, l, c, t, f);
      break;
    }
    case Op::CallResult:
      r = operand(0);
      break;
    case Op::Builtin:
      r = emitBuiltin(n, env, l);
      break;
    default:
      error(n->loc, "internal error: MLIRGen found no value for this expression inside a region");
      return nullptr;
    }
    if (r)
      env[n.get()] = r;
    return r;
  }

  Value emitBuiltin(const NodeRef &n, std::map<const Node *, Value> &env, Location l) {
    SmallVector<Value> a;
    for (auto &o : n->operands) {
      Value v = emitScalar(o, env);
      if (!v)
        return nullptr;
      a.push_back(v);
    }
    const std::string &f = n->name;
    bool cx = !a.empty() && isa<ComplexType>(a[0].getType());
    if (f == "exp")
      return cx ? Value(complex::ExpOp::create(b_, l, a[0])) : Value(math::ExpOp::create(b_, l, a[0]));
    if (f == "log")
      return math::LogOp::create(b_, l, a[0]);
    if (f == "log1p")
      return math::Log1pOp::create(b_, l, a[0]);
    if (f == "sqrt")
      return math::SqrtOp::create(b_, l, a[0]);
    if (f == "abs")
      return math::AbsFOp::create(b_, l, a[0]);
    if (f == "tanh")
      return math::TanhOp::create(b_, l, a[0]);
    if (f == "min")
      return arith::MinimumFOp::create(b_, l, a[0], a[1]);
    if (f == "max")
      return arith::MaximumFOp::create(b_, l, a[0], a[1]);
    if (f == "softplus")
      return ssm::SoftplusOp::create(b_, l, a[0]);
    if (f == "silu")
      return ssm::SiluOp::create(b_, l, a[0]);
    if (f == "sigmoid")
      return ssm::SigmoidOp::create(b_, l, a[0]);
    if (f == "re")
      return cx ? Value(complex::ReOp::create(b_, l, a[0])) : a[0];
    if (f == "im")
      return cx ? Value(complex::ImOp::create(b_, l, a[0])) : f32(0, l);
    if (f == "conj")
      return cx ? Value(complex::ConjOp::create(b_, l, a[0])) : a[0];
    if (f == "complex")
      return complex::CreateOp::create(b_, l, ComplexType::get(b_.getF32Type()), a[0], a[1]);
    error(n->loc, f + "() is not supported inside the MLIR pipeline yet");
    return nullptr;
  }

  MLIRContext &ctx_;
  OpBuilder b_;
  const sema::Layer &L;
  const SourceManager &sm_;
  DiagEngine &diags_;
  bool failed_ = false;
  std::map<std::string, Value> args_;
  std::map<const Node *, Value> tensors_;
  std::map<const sema::CallSite *, Operation *> discretized_;
  std::map<std::string, Value> stateSeq_, stateFinal_;
};

} // namespace

std::string formatLocation(mlir::Location loc) {
  mlir::FileLineColLoc f;
  loc->walk([&](mlir::Location l) {
    if (auto fl = mlir::dyn_cast<mlir::FileLineColLoc>(l)) {
      f = fl;
      return mlir::WalkResult::interrupt();
    }
    return mlir::WalkResult::advance();
  });
  if (!f)
    return "<unknown location>";
  return f.getFilename().str() + ":" + std::to_string(f.getLine()) + ":" + std::to_string(f.getColumn());
}

mlir::OwningOpRef<mlir::ModuleOp> mlirGen(mlir::MLIRContext &ctx, const sema::Program &prog,
                                          const SourceManager &sm, DiagEngine &diags) {
  loadDialects(ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(mlir::UnknownLoc::get(&ctx));
  bool ok = true;
  for (const sema::Layer &l : prog.layers) {
    Gen g(ctx, l, sm, diags);
    ok = g.run(*module) && ok;
  }
  if (!ok)
    return nullptr;
  // A verifier failure here is a compiler bug, but the user still gets it as a located error.
  std::string msg;
  {
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      msg += d.str() + "\n";
      return mlir::success();
    });
    if (mlir::failed(mlir::verify(*module))) {
      Loc none;
      diags.error(none, "internal error: the generated ssm IR does not verify:\n" + msg);
      return nullptr;
    }
  }
  return module;
}

} // namespace ssmc
