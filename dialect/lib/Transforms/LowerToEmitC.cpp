// --ssm-lower-to-emitc: each region of ssm.fused / ssm.step becomes an emitc.func; C++ printing.
//
// A region function takes, by value, the inputs available at its level (in
// operand order) and the region's extra arguments, then one pointer per yielded
// value, through which it writes the results:
//   void <layer>_<region>(<inputs>..., <extras>..., T0* r0, T1* r1, ...);
// The region body goes through MLIR's arith and math conversions; complex ops
// and the ssm scalar ops become calls to the device headers' ssm:: functions.
#include "ssm/EmitC.h"
#include "ssm/Passes.h"
#include "ssm/SsmOps.h"

#include "mlir/Conversion/ArithToEmitC/ArithToEmitC.h"
#include "mlir/Conversion/MathToEmitC/MathToEmitC.h"
#include "mlir/Conversion/SCFToEmitC/SCFToEmitC.h"
#include "mlir/Dialect/EmitC/IR/EmitC.h"
#include "mlir/Dialect/EmitC/Transforms/TypeConversions.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Target/Cpp/CppEmitter.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::ssm {
#define GEN_PASS_DEF_SSMLOWERTOEMITC
#include "ssm/Passes.h.inc"
} // namespace mlir::ssm

using namespace mlir;
using namespace mlir::ssm;

namespace {

constexpr llvm::StringLiteral kComplexCppType = "ssm::cfloat";

/// op -> emitc.call_opaque "<callee>"(converted operands).
template <typename OpT>
struct CallOpaqueLowering : public OpConversionPattern<OpT> {
  CallOpaqueLowering(const TypeConverter &converter, MLIRContext *ctx,
                     StringRef callee)
      : OpConversionPattern<OpT>(converter, ctx), callee(callee.str()) {}

  LogicalResult
  matchAndRewrite(OpT op, typename OpConversionPattern<OpT>::OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> resultTypes;
    if (failed(this->getTypeConverter()->convertTypes(op->getResultTypes(),
                                                      resultTypes)))
      return rewriter.notifyMatchFailure(op, "result type not convertible");
    if (llvm::any_of(op->getOperandTypes(), [](Type t) {
          return !t.isF32() && !isa<ComplexType>(t);
        }))
      return rewriter.notifyMatchFailure(op, "only f32 and complex<f32> operands");
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(
        op, resultTypes, callee, adaptor.getOperands());
    return success();
  }

  std::string callee;
};

/// complex.constant [re, im] -> ssm::cmake(re, im).
struct ComplexConstantLowering : public OpConversionPattern<complex::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(complex::ConstantOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayAttr parts = op.getValue();
    SmallVector<Value> operands;
    for (Attribute part : parts) {
      auto f = dyn_cast<FloatAttr>(part);
      if (!f || !f.getType().isF32())
        return rewriter.notifyMatchFailure(op, "expected f32 parts");
      operands.push_back(emitc::ConstantOp::create(rewriter, op.getLoc(),
                                                   f.getType(), f));
    }
    rewriter.replaceOpWithNewOp<emitc::CallOpaqueOp>(
        op, getTypeConverter()->convertType(op.getType()), "ssm::cmake",
        operands);
    return success();
  }
};

/// ssm.yield inside a region function -> stores through the trailing pointer
/// arguments, then return.
struct YieldLowering : public OpConversionPattern<YieldOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(YieldOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<emitc::FuncOp>(op->getParentOp()))
      return rewriter.notifyMatchFailure(op, "not in a region function");
    Block *block = op->getBlock();
    unsigned n = adaptor.getValues().size();
    unsigned first = block->getNumArguments() - n;
    for (auto [i, v] : llvm::enumerate(adaptor.getValues())) {
      Value ptr = block->getArgument(first + i);
      auto pointee = cast<emitc::PointerType>(ptr.getType()).getPointee();
      Value place = emitc::DereferenceOp::create(
          rewriter, op.getLoc(), emitc::LValueType::get(pointee), ptr);
      emitc::AssignOp::create(rewriter, op.getLoc(), place, v);
    }
    rewriter.replaceOpWithNewOp<emitc::ReturnOp>(op, Value());
    return success();
  }
};

/// "// <name>(x, dt, r0, h) -> (t0)": the parameters by script name, for
/// whoever reads or writes the code that calls it.
std::string describeSignature(const KernelView &k, KernelRegion kind,
                              StringRef name) {
  auto layer = k.op->getParentOfType<LayerOp>();
  auto nameOf = [&](Value v) -> std::string {
    if (auto arg = dyn_cast<BlockArgument>(v))
      if (arg.getOwner()->getParentOp() == layer.getOperation())
        return layer.getArgName(arg.getArgNumber()).str();
    if (Operation *def = v.getDefiningOp()) // the dense form's setup values
      return def->getName().getStringRef().str();
    return "?";
  };
  SmallVector<std::string> params, results;
  for (unsigned i : k.availableInputs(kind))
    params.push_back(nameOf(k.inputs[i]));
  unsigned nRow = k.numRowValues(), nTerms = k.numTerms();
  auto numbered = [](StringRef prefix, unsigned n, SmallVector<std::string> &out) {
    for (unsigned i = 0; i < n; ++i)
      out.push_back((prefix + Twine(i)).str());
  };
  switch (kind) {
  case KernelRegion::Row:
    numbered("r", nRow, results);
    break;
  case KernelRegion::Elem:
    numbered("r", nRow, params);
    if (k.denseDecay)
      results = {"input"};
    else
      results = {"decay", "input"};
    break;
  case KernelRegion::Contrib:
    numbered("r", nRow, params);
    params.push_back("h");
    numbered("t", nTerms, results);
    break;
  case KernelRegion::Out: {
    numbered("r", nRow, params);
    numbered("s", nTerms, params);
    // Out i is the layer result the layer's return takes from result i.
    auto ret = cast<ReturnOp>(layer.getBody().front().getTerminator());
    for (Value out : k.op->getResults())
      for (auto [i, v] : llvm::enumerate(ret.getOperands()))
        if (v == out && layer.getResultRole(i) == kRoleOut) {
          results.push_back(layer.getResultName(i).str());
          break;
        }
    break;
  }
  }
  return ("// " + name + "(" + llvm::join(params, ", ") + ") -> (" +
          llvm::join(results, ", ") + ")")
      .str();
}

/// `void <name>(<params>..., T0* r0, ...)` at `b`, preceded by the comment
/// `describe`: a copy of `src`'s ops with `params` (block arguments of `src`)
/// as its arguments, then one out-pointer per value `src` yields.
emitc::FuncOp outlineBlock(OpBuilder &b, Location loc, Block &src,
                           ArrayRef<Value> params, const std::string &name,
                           const std::string &describe,
                           ArrayRef<std::string> specifiers,
                           const TypeConverter &converter) {
  SmallVector<Type> argTypes;
  for (Value v : params)
    argTypes.push_back(v.getType()); // converted with the signature below
  auto yield = cast<YieldOp>(src.getTerminator());
  for (Type t : yield.getValues().getTypes())
    argTypes.push_back(emitc::PointerType::get(converter.convertType(t)));

  emitc::VerbatimOp::create(b, loc, b.getStringAttr(describe));
  auto func = emitc::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  SmallVector<StringRef> specs(specifiers.begin(), specifiers.end());
  func.setSpecifiersAttr(b.getStrArrayAttr(specs));
  Block *entry = func.addEntryBlock();
  IRMapping mapping;
  for (auto [i, v] : llvm::enumerate(params))
    mapping.map(v, entry->getArgument(i));
  OpBuilder bodyBuilder = OpBuilder::atBlockEnd(entry);
  for (Operation &op : src)
    bodyBuilder.clone(op, mapping);
  return func;
}

/// The region function's body: the region's ops, with the available inputs and
/// the extras as arguments and one out-pointer per yielded value.
emitc::FuncOp outlineRegion(OpBuilder &b, const KernelView &k, KernelRegion kind,
                            StringRef layerName, ArrayRef<std::string> specifiers,
                            const TypeConverter &converter) {
  Block &src = k.region(kind).front();
  unsigned nIn = k.inputs.size();
  SmallVector<Value> params;
  for (unsigned i : k.availableInputs(kind))
    params.push_back(src.getArgument(i));
  for (unsigned i = nIn; i < src.getNumArguments(); ++i)
    params.push_back(src.getArgument(i));
  std::string name = getRegionFunctionName(layerName, getKernelRegionName(kind));
  return outlineBlock(b, k.op->getLoc(), src, params, name,
                      describeSignature(k, kind, name), specifiers, converter);
}

/// The setup maps of a dense layer (ssm.map ops left beside its fused or step
/// op, computing time-invariant values from params), each outlined as
/// `<layer>_setup<k>(operand elements..., T* r...)`, k in body order.
emitc::FuncOp outlineSetupMap(OpBuilder &b, MapOp map, const std::string &name,
                              ArrayRef<std::string> specifiers,
                              const TypeConverter &converter) {
  Block &src = map.getBody().front();
  auto layer = map->getParentOfType<LayerOp>();
  SmallVector<std::string> names;
  for (Value v : map.getInputs()) {
    auto arg = dyn_cast<BlockArgument>(v);
    names.push_back(arg ? layer.getArgName(arg.getArgNumber()).str()
                        : v.getDefiningOp()->getName().getStringRef().str());
  }
  SmallVector<Value> params(src.getArguments());
  return outlineBlock(b, map.getLoc(), src, params, name,
                      "// " + name + "(" + llvm::join(names, ", ") + ") -> (r0)",
                      specifiers, converter);
}

/// Lowers every ssm.fused / ssm.step region of `module` (and the setup maps of
/// dense layers) to an emitc.func at the end of the module.
LogicalResult lowerRegions(ModuleOp module, ArrayRef<std::string> specifiers) {
  MLIRContext *ctx = module.getContext();
  TypeConverter converter;
  converter.addConversion([](Type t) { return t; });
  converter.addConversion([ctx](ComplexType t) -> Type {
    return emitc::OpaqueType::get(ctx, kComplexCppType);
  });
  populateEmitCSizeTTypeConversions(converter);

  SmallVector<Operation *> kernels;
  module.walk([&](Operation *op) {
    if (isa<FusedOp, StepOp>(op))
      kernels.push_back(op);
  });
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  SmallVector<Operation *> funcs;
  for (Operation *op : kernels) {
    KernelView k = *KernelView::get(op);
    StringRef layerName = op->getParentOfType<LayerOp>().getSymName();
    for (unsigned r = 0; r < kNumKernelRegions; ++r) {
      auto kind = static_cast<KernelRegion>(r);
      std::string name = getRegionFunctionName(layerName, getKernelRegionName(kind));
      if (SymbolTable::lookupSymbolIn(module, name))
        return op->emitError() << "cannot emit region function @" << name
                               << ": the module already has a symbol of that name";
      funcs.push_back(outlineRegion(b, k, kind, layerName, specifiers, converter));
    }
    if (!k.denseDecay)
      continue;
    unsigned index = 0;
    for (MapOp map : op->getBlock()->getOps<MapOp>()) {
      std::string name = getSetupFunctionName(layerName, index++);
      if (SymbolTable::lookupSymbolIn(module, name))
        return op->emitError() << "cannot emit setup function @" << name
                               << ": the module already has a symbol of that name";
      funcs.push_back(outlineSetupMap(b, map, name, specifiers, converter));
    }
  }
  if (funcs.empty())
    return success();

  RewritePatternSet patterns(ctx);
  populateArithToEmitCPatterns(converter, patterns);
  populateConvertMathToEmitCPatterns(patterns, emitc::LanguageTarget::c99);
  populateSCFToEmitCConversionPatterns(patterns, converter);
  populateFunctionOpInterfaceTypeConversionPattern<emitc::FuncOp>(patterns,
                                                                  converter);
  // Math ops MLIR's conversion does not cover; C99 / CUDA names.
  patterns.add<CallOpaqueLowering<math::LogOp>>(converter, ctx, "logf");
  patterns.add<CallOpaqueLowering<math::Log1pOp>>(converter, ctx, "log1pf");
  patterns.add<CallOpaqueLowering<math::Log2Op>>(converter, ctx, "log2f");
  patterns.add<CallOpaqueLowering<math::ExpM1Op>>(converter, ctx, "expm1f");
  patterns.add<CallOpaqueLowering<math::Exp2Op>>(converter, ctx, "exp2f");
  patterns.add<CallOpaqueLowering<math::TanhOp>>(converter, ctx, "tanhf");
  patterns.add<CallOpaqueLowering<math::SqrtOp>>(converter, ctx, "sqrtf");
  patterns.add<CallOpaqueLowering<math::RsqrtOp>>(converter, ctx, "rsqrtf");
  patterns.add<CallOpaqueLowering<math::ErfOp>>(converter, ctx, "erff");
  patterns.add<CallOpaqueLowering<math::FmaOp>>(converter, ctx, "fmaf");
  patterns.add<CallOpaqueLowering<arith::RemFOp>>(converter, ctx, "fmodf");
  // maximumf/minimumf pass a NaN on (IEEE 754-2019 maximum); fmaxf/fminf would drop it.
  patterns.add<CallOpaqueLowering<arith::MaximumFOp>>(converter, ctx, "ssm::fmax_nan");
  patterns.add<CallOpaqueLowering<arith::MaxNumFOp>>(converter, ctx, "fmaxf");
  patterns.add<CallOpaqueLowering<arith::MinimumFOp>>(converter, ctx, "ssm::fmin_nan");
  patterns.add<CallOpaqueLowering<arith::MinNumFOp>>(converter, ctx, "fminf");
  // The ssm scalar ops and complex arithmetic: the device headers' ssm:: names.
  patterns.add<CallOpaqueLowering<SoftplusOp>>(converter, ctx, "ssm::softplus");
  patterns.add<CallOpaqueLowering<SiluOp>>(converter, ctx, "ssm::silu");
  patterns.add<CallOpaqueLowering<SigmoidOp>>(converter, ctx, "ssm::sigmoid");
  patterns.add<CallOpaqueLowering<complex::CreateOp>>(converter, ctx, "ssm::cmake");
  patterns.add<CallOpaqueLowering<complex::ReOp>>(converter, ctx, "ssm::creal");
  patterns.add<CallOpaqueLowering<complex::ImOp>>(converter, ctx, "ssm::cimag");
  patterns.add<CallOpaqueLowering<complex::AddOp>>(converter, ctx, "ssm::cadd");
  patterns.add<CallOpaqueLowering<complex::SubOp>>(converter, ctx, "ssm::csub");
  patterns.add<CallOpaqueLowering<complex::MulOp>>(converter, ctx, "ssm::cmul");
  patterns.add<CallOpaqueLowering<complex::DivOp>>(converter, ctx, "ssm::cdiv");
  patterns.add<CallOpaqueLowering<complex::NegOp>>(converter, ctx, "ssm::cneg");
  patterns.add<CallOpaqueLowering<complex::ConjOp>>(converter, ctx, "ssm::cconj");
  patterns.add<CallOpaqueLowering<complex::AbsOp>>(converter, ctx, "ssm::cabs");
  patterns.add<CallOpaqueLowering<complex::ExpOp>>(converter, ctx, "ssm::cexp");
  patterns.add<CallOpaqueLowering<complex::Expm1Op>>(converter, ctx, "ssm::cexpm1");
  patterns.add<CallOpaqueLowering<complex::LogOp>>(converter, ctx, "ssm::clog");
  patterns.add<ComplexConstantLowering, YieldLowering>(converter, ctx);

  ConversionTarget target(*ctx);
  target.addLegalDialect<emitc::EmitCDialect>();
  target.addIllegalDialect<arith::ArithDialect, math::MathDialect,
                           complex::ComplexDialect, scf::SCFDialect>();
  target.addIllegalOp<SoftplusOp, SiluOp, SigmoidOp, YieldOp>();
  target.addDynamicallyLegalOp<emitc::FuncOp>([&](emitc::FuncOp f) {
    return converter.isSignatureLegal(f.getFunctionType()) &&
           converter.isLegal(&f.getBody());
  });
  return applyPartialConversion(funcs, target, std::move(patterns));
}

SmallVector<std::string> effectiveSpecifiers(ArrayRef<std::string> given) {
  if (!given.empty())
    return SmallVector<std::string>(given.begin(), given.end());
  return {"static", "__device__", "__forceinline__"};
}

struct SsmLowerToEmitCPass
    : public ssm::impl::SsmLowerToEmitCBase<SsmLowerToEmitCPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(lowerRegions(getOperation(), effectiveSpecifiers(specifiers))))
      signalPassFailure();
  }
};

} // namespace

std::string mlir::ssm::getRegionFunctionName(StringRef layer, StringRef regionName) {
  return (layer + "_" + regionName).str();
}

std::string mlir::ssm::getSetupFunctionName(StringRef layer, unsigned index) {
  return (layer + "_setup" + Twine(index)).str();
}

LogicalResult mlir::ssm::emitRegionFunctions(ModuleOp module, llvm::raw_ostream &os) {
  MLIRContext *ctx = module.getContext();
  if (!ctx->getLoadedDialect<emitc::EmitCDialect>())
    ctx->getOrLoadDialect<emitc::EmitCDialect>();
  OwningOpRef<ModuleOp> clone = module.clone();
  if (failed(lowerRegions(*clone, effectiveSpecifiers({}))))
    return failure();
  for (Operation &op : clone->getBody()->getOperations())
    if (isa<emitc::FuncOp, emitc::VerbatimOp>(op))
      if (failed(emitc::translateToCpp(&op, os)))
        return failure();
  return success();
}
