// Ops of the ssm dialect: builders, custom assembly of ssm.layer, and verifiers.
#include "ssm/SsmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::ssm;

/// `T1, T2` or nothing: a type list that may be empty (the outs of a kernel).
static ParseResult parseOptionalTypeList(OpAsmParser &parser,
                                         SmallVectorImpl<Type> &types) {
  Type type;
  OptionalParseResult first = parser.parseOptionalType(type);
  if (!first.has_value())
    return success();
  if (failed(*first))
    return failure();
  types.push_back(type);
  while (succeeded(parser.parseOptionalComma())) {
    if (parser.parseType(type))
      return failure();
    types.push_back(type);
  }
  return success();
}

static void printOptionalTypeList(OpAsmPrinter &printer, Operation *,
                                  TypeRange types) {
  llvm::interleaveComma(types, printer);
}

#define GET_OP_CLASSES
#include "ssm/SsmOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

static StringAttr seqAttr(MLIRContext *ctx) { return StringAttr::get(ctx, kSeqDim); }

/// For every value of `block`, the block arguments it depends on (through the
/// ops of the block and the values their nested regions use from above).
DenseMap<Value, llvm::BitVector> mlir::ssm::computeBlockArgDeps(Block &block) {
  DenseMap<Value, llvm::BitVector> deps;
  unsigned n = block.getNumArguments();
  for (BlockArgument arg : block.getArguments()) {
    llvm::BitVector bits(n);
    bits.set(arg.getArgNumber());
    deps[arg] = bits;
  }
  for (Operation &op : block) {
    llvm::BitVector bits(n);
    auto addValue = [&](Value v) {
      auto it = deps.find(v);
      if (it != deps.end())
        bits |= it->second;
    };
    for (Value v : op.getOperands())
      addValue(v);
    op.walk([&](Operation *nested) {
      if (nested != &op)
        for (Value v : nested->getOperands())
          addValue(v);
    });
    for (Value r : op.getResults())
      deps[r] = bits;
  }
  return deps;
}

/// The terminator of a single-block region, if it is an ssm.yield.
static YieldOp getYield(Region &region) {
  if (region.empty())
    return {};
  return dyn_cast<YieldOp>(region.front().getTerminator());
}

/// Checks block `block` takes `expected` arguments of the given types.
static LogicalResult verifyBlockArgs(Operation *op, StringRef regionName,
                                     Block &block, ArrayRef<Type> expected,
                                     function_ref<std::string(unsigned)> describe) {
  if (block.getNumArguments() != expected.size())
    return op->emitOpError() << "region '" << regionName << "' takes "
                             << block.getNumArguments()
                             << " block arguments but " << expected.size()
                             << " are expected";
  for (auto [i, arg] : llvm::enumerate(block.getArguments()))
    if (arg.getType() != expected[i])
      return op->emitOpError()
             << "region '" << regionName << "' block argument #" << i << " ("
             << describe(i) << ") has type " << arg.getType() << ", expected "
             << expected[i];
  return success();
}

/// Checks the region's yield has the given types.
static LogicalResult verifyYield(Operation *op, StringRef regionName,
                                 Region &region, ArrayRef<Type> expected,
                                 function_ref<std::string(unsigned)> describe) {
  YieldOp yield = getYield(region);
  if (!yield)
    return op->emitOpError() << "region '" << regionName
                             << "' must end with ssm.yield";
  if (yield.getValues().size() != expected.size())
    return yield.emitOpError()
           << "yields " << yield.getValues().size() << " values but region '"
           << regionName << "' of " << op->getName() << " must yield "
           << expected.size();
  for (auto [i, v] : llvm::enumerate(yield.getValues()))
    if (v.getType() != expected[i])
      return yield.emitOpError() << "value #" << i << " (" << describe(i)
                                 << ") has type " << v.getType()
                                 << ", expected " << expected[i];
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.layer
//===----------------------------------------------------------------------===//

ParseResult LayerOp::parse(OpAsmParser &parser, OperationState &result) {
  auto buildFuncType = [](Builder &builder, ArrayRef<Type> argTypes,
                          ArrayRef<Type> results,
                          function_interface_impl::VariadicFlag,
                          std::string &) {
    return builder.getFunctionType(argTypes, results);
  };
  return function_interface_impl::parseFunctionOp(
      parser, result, /*allowVariadic=*/false,
      getFunctionTypeAttrName(result.name), buildFuncType,
      getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void LayerOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(
      p, *this, /*isVariadic=*/false, getFunctionTypeAttrName(),
      getArgAttrsAttrName(), getResAttrsAttrName());
}

static StringRef stringOf(DictionaryAttr dict, StringRef name) {
  if (!dict)
    return {};
  if (auto s = dyn_cast_or_null<StringAttr>(dict.get(name)))
    return s.getValue();
  return {};
}

StringRef LayerOp::getArgRole(unsigned i) {
  return stringOf(getArgAttrDict(i), kRoleAttr);
}
StringRef LayerOp::getArgName(unsigned i) {
  return stringOf(getArgAttrDict(i), kNameAttr);
}
StringRef LayerOp::getResultRole(unsigned i) {
  return stringOf(getResultAttrDict(i), kRoleAttr);
}
StringRef LayerOp::getResultName(unsigned i) {
  return stringOf(getResultAttrDict(i), kNameAttr);
}

std::optional<int64_t> LayerOp::getDimSize(StringRef name) {
  if (name == kSeqDim)
    return ShapedType::kDynamic;
  return getDims().lookup(name);
}

RankedTensorType LayerOp::getTensorType(ArrayRef<StringAttr> dims,
                                        Type elementType) {
  SmallVector<int64_t> shape;
  for (StringAttr d : dims)
    shape.push_back(getDimSize(d.getValue()).value_or(ShapedType::kDynamic));
  return RankedTensorType::get(shape, elementType,
                               DimsAttr::get(getContext(), dims));
}

/// Checks a tensor type of the layer against the layer's dims.
static LogicalResult checkAgainstDims(LayerOp layer, Type type,
                                      function_ref<InFlightDiagnostic()> emitError) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  DimsAttr dims = getDims(type);
  if (!tensor || !dims)
    return success(); // scalars of regions, checked by their ops
  for (auto [name, size] : llvm::zip(dims.getNames(), tensor.getShape())) {
    if (name.getValue() == kSeqDim)
      continue;
    std::optional<int64_t> declared = layer.getDims().lookup(name.getValue());
    if (!declared)
      return emitError() << "dim " << name.getValue()
                         << " is not a dim of layer @" << layer.getSymName()
                         << " (dims " << layer.getDims() << ")";
    if (*declared != size)
      return emitError() << "dim " << name.getValue() << " is " << size
                         << " here but " << *declared << " in the dims of layer @"
                         << layer.getSymName();
  }
  return success();
}

LogicalResult LayerOp::verify() {
  bool isStep = getStepOf().has_value();
  auto checkTensor = [&](Type type, StringRef what, unsigned i, StringRef role,
                         bool wantSeq, bool stateBuffer) -> LogicalResult {
    auto err = [&]() {
      return emitOpError() << what << " #" << i << " (" << role << ") ";
    };
    if (!ssm::getDims(type))
      return err() << "must be a tensor with #ssm.dims encoding, got " << type;
    bool seq = ssm::getDims(type).hasSeq();
    if (seq && !wantSeq)
      return err() << "must not have the sequence dim L: " << type;
    if (!seq && wantSeq)
      return err() << "must have the sequence dim L first: " << type;
    if (stateBuffer && cast<ShapedType>(type).getElementType() !=
                           getElementComputeType(type))
      return err() << "is a state buffer and must hold f32 or complex<f32>, got "
                   << cast<ShapedType>(type).getElementType();
    return checkAgainstDims(*this, type, [&] { return err(); });
  };

  for (auto [i, type] : llvm::enumerate(getArgumentTypes())) {
    StringRef role = getArgRole(i);
    if (role.empty())
      return emitOpError() << "argument #" << i << " has no '" << kRoleAttr
                           << "' (in, param or state_init)";
    if (getArgName(i).empty())
      return emitOpError() << "argument #" << i << " has no '" << kNameAttr
                           << "'";
    bool wantSeq = role == kRoleIn && !isStep;
    if (failed(checkTensor(type, "argument", i, role, wantSeq,
                           role == kRoleStateInit)))
      return failure();
  }
  for (auto [i, type] : llvm::enumerate(getResultTypes())) {
    StringRef role = getResultRole(i);
    if (role.empty())
      return emitOpError() << "result #" << i << " has no '" << kRoleAttr
                           << "' (out or state_final)";
    if (getResultName(i).empty())
      return emitOpError() << "result #" << i << " has no '" << kNameAttr
                           << "'";
    bool wantSeq = role == kRoleOut && !isStep;
    if (failed(checkTensor(type, "result", i, role, wantSeq,
                           role == kRoleStateFinal)))
      return failure();
  }
  return success();
}

LogicalResult LayerOp::verifyRegions() {
  WalkResult walk = getBody().walk([&](Operation *op) {
    for (Value v : op->getResults())
      if (failed(checkAgainstDims(*this, v.getType(),
                                  [&] { return op->emitOpError(); })))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

//===----------------------------------------------------------------------===//
// ssm.return
//===----------------------------------------------------------------------===//

LogicalResult ReturnOp::verify() {
  auto layer = cast<LayerOp>((*this)->getParentOp());
  ArrayRef<Type> results = layer.getResultTypes();
  if (getOperands().size() != results.size())
    return emitOpError() << "returns " << getOperands().size()
                         << " values but layer @" << layer.getSymName()
                         << " has " << results.size() << " results";
  for (auto [i, v] : llvm::enumerate(getOperands())) {
    Type got = v.getType();
    if (got == results[i])
      continue;
    auto gotT = cast<RankedTensorType>(got);
    auto wantT = cast<RankedTensorType>(results[i]);
    bool narrows = gotT.getElementType().isF32() &&
                   (wantT.getElementType().isF16() ||
                    wantT.getElementType().isBF16()) &&
                   gotT.clone(wantT.getElementType()) == wantT;
    if (!narrows)
      return emitOpError() << "operand #" << i << " has type " << got
                           << " but result #" << i << " of layer @"
                           << layer.getSymName() << " is " << results[i];
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.map and ssm.discretize
//===----------------------------------------------------------------------===//

void MapOp::build(OpBuilder &builder, OperationState &state,
                  TypeRange resultTypes, ValueRange inputs) {
  state.addOperands(inputs);
  state.addTypes(resultTypes);
  Region *region = state.addRegion();
  Block *block = new Block();
  region->push_back(block);
  for (Value v : inputs)
    block->addArgument(getElementComputeType(v.getType()), v.getLoc());
}

/// Operand/result checks shared by ssm.map and ssm.discretize.
static LogicalResult verifyElementwise(Operation *op, ValueRange inputs,
                                       TypeRange results) {
  if (results.empty())
    return op->emitOpError() << "must have at least one result";
  // The widest result is the iteration space; every other dim set lies in it.
  unsigned widest = 0;
  for (auto [i, t] : llvm::enumerate(results))
    if (getDimNames(t).size() > getDimNames(results[widest]).size())
      widest = i;
  SmallVector<StringAttr> space = getDimNames(results[widest]);
  // A repeated dim (a square matrix's row and column) broadcasts by position
  // among its occurrences: every value that has it has it as often as the
  // iteration space (a vector against a matrix would be ambiguous).
  auto count = [](ArrayRef<StringAttr> dims, StringAttr d) {
    return llvm::count(dims, d);
  };
  auto repeated = [&](Type t, StringRef what, unsigned i) -> LogicalResult {
    SmallVector<StringAttr> dims = getDimNames(t);
    for (StringAttr d : dims) {
      auto cs = count(space, d), cd = count(dims, d);
      if (cs > 1 && cd != cs)
        return op->emitOpError()
               << what << " #" << i << " has dims " << formatDims(t)
               << "; against " << formatDims(space) << " the repeated dim "
               << d.getValue() << " cannot be broadcast by name";
      if (cd > 1 && cs == 1) // (cs == 0: the subset check below says it)
        return op->emitOpError() << what << " #" << i << " has dims "
                                 << formatDims(t)
                                 << "; a repeated dim cannot be broadcast by name";
    }
    return success();
  };
  for (auto [i, t] : llvm::enumerate(results))
    if (failed(repeated(t, "result", i)))
      return failure();
  for (auto [i, v] : llvm::enumerate(inputs))
    if (failed(repeated(v.getType(), "operand", i)))
      return failure();
  for (auto [i, t] : llvm::enumerate(results)) {
    Type elem = cast<ShapedType>(t).getElementType();
    if (!elem.isF32() && !isComplexF32(elem))
      return op->emitOpError()
             << "result #" << i << " has element type " << elem
             << "; computed values are f32 or complex<f32> (ssm.return "
                "narrows an out to its storage type)";
    if (!isSubset(getDimNames(t), space))
      return op->emitOpError()
             << "result #" << i << " has dims " << formatDims(t)
             << ", not within the dims of result #" << widest << " "
             << formatDims(space);
  }
  for (auto [i, v] : llvm::enumerate(inputs))
    if (!isSubset(getDimNames(v.getType()), space))
      return op->emitOpError()
             << "operand #" << i << " has dims " << formatDims(v.getType())
             << ", not within the result dims " << formatDims(space)
             << " (operands broadcast by name, they cannot add dims)";
  return success();
}

static LogicalResult verifyElementwiseRegion(Operation *op, ValueRange inputs,
                                             TypeRange results, Region &body) {
  Block &block = body.front();
  SmallVector<Type> argTypes;
  for (Value v : inputs)
    argTypes.push_back(getElementComputeType(v.getType()));
  if (failed(verifyBlockArgs(op, "body", block, argTypes, [&](unsigned i) {
        return "element of operand #" + std::to_string(i);
      })))
    return failure();
  SmallVector<Type> yieldTypes;
  for (Type t : results)
    yieldTypes.push_back(cast<ShapedType>(t).getElementType());
  if (failed(verifyYield(op, "body", body, yieldTypes, [&](unsigned i) {
        return "element of result #" + std::to_string(i);
      })))
    return failure();
  // A result with fewer dims than the iteration space must not vary along the
  // missing ones: its value may only use operands whose dims it has.
  DenseMap<Value, llvm::BitVector> deps = computeBlockArgDeps(block);
  YieldOp yield = getYield(body);
  for (auto [r, v] : llvm::enumerate(yield.getValues())) {
    SmallVector<StringAttr> rdims = getDimNames(results[r]);
    auto it = deps.find(v);
    if (it == deps.end())
      continue;
    for (unsigned a : it->second.set_bits()) {
      SmallVector<StringAttr> adims = getDimNames(inputs[a].getType());
      if (!isSubset(adims, rdims))
        return op->emitOpError()
               << "result #" << r << " has dims " << formatDims(rdims)
               << " but its value depends on operand #" << a << " with dims "
               << formatDims(adims);
    }
  }
  return success();
}

LogicalResult MapOp::verify() {
  return verifyElementwise(*this, getInputs(), getResultTypes());
}
LogicalResult MapOp::verifyRegions() {
  return verifyElementwiseRegion(*this, getInputs(), getResultTypes(), getBody());
}
LogicalResult DiscretizeOp::verify() {
  if (getRule().empty())
    return emitOpError() << "needs a non-empty rule name";
  return verifyElementwise(*this, getInputs(), getResultTypes());
}
LogicalResult DiscretizeOp::verifyRegions() {
  return verifyElementwiseRegion(*this, getInputs(), getResultTypes(), getBody());
}

//===----------------------------------------------------------------------===//
// ssm.scan
//===----------------------------------------------------------------------===//

SmallVector<StringAttr> ScanOp::getStateDims() {
  return without(getDimNames(getStates().getType()), kSeqDim);
}

LogicalResult ScanOp::verify() {
  StringRef name = getState();
  SmallVector<StringAttr> seqDims = getDimNames(getStates().getType());
  if (seqDims.size() < 2 || seqDims.front().getValue() != kSeqDim)
    return emitOpError() << "state sequence of '" << name
                         << "' must have L first and at least one state dim, got "
                         << formatDims(seqDims);
  SmallVector<StringAttr> stateDims = getStateDims();
  StringAttr inner = stateDims.back();
  Type stateElem = getStates().getType().getElementType();
  if (!stateElem.isF32() && !isComplexF32(stateElem))
    return emitOpError() << "state '" << name
                         << "' must be f32 or complex<f32>, got " << stateElem;

  auto inputT = getInput().getType();
  if (getDimNames(inputT) != seqDims)
    return emitOpError() << "input of '" << name << "' has dims "
                         << formatDims(inputT) << " but the state sequence has "
                         << formatDims(seqDims);
  if (inputT.getElementType() != stateElem)
    return emitOpError() << "input of '" << name << "' is "
                         << inputT.getElementType() << " but the state is "
                         << stateElem;

  auto decayT = getDecay().getType();
  Type decayElem = decayT.getElementType();
  if (decayElem != stateElem && !decayElem.isF32())
    return emitOpError() << "decay of '" << name << "' is " << decayElem
                         << "; it must be f32"
                         << (isComplexF32(stateElem) ? " or complex<f32>" : "");
  SmallVector<StringAttr> decayDims = getDimNames(decayT);
  if (!getDense()) {
    if (!isSubset(decayDims, seqDims))
      return emitOpError() << "decay of '" << name << "' has dims "
                           << formatDims(decayDims)
                           << ", not within the state sequence dims "
                           << formatDims(seqDims);
  } else {
    if (getDims(decayT).hasSeq())
      return emitOpError() << "dense decay of '" << name
                           << "' must be time-invariant (no L), got "
                           << formatDims(decayDims);
    if (decayDims.size() < 2 || decayDims.back() != inner ||
        decayDims[decayDims.size() - 2] != inner)
      return emitOpError() << "dense decay of '" << name
                           << "' must end with two axes of the inner dim ["
                           << inner.getValue() << ", " << inner.getValue()
                           << "], got " << formatDims(decayDims);
    // The axes before the last two are batch-like (per head etc.).
    ArrayRef<StringAttr> lead = ArrayRef(decayDims).drop_back(2);
    if (!isSubset(lead, ArrayRef(stateDims).drop_back()))
      return emitOpError() << "dense decay of '" << name << "' has leading dims "
                           << formatDims(lead)
                           << ", not within the state's leading dims "
                           << formatDims(ArrayRef(stateDims).drop_back());
  }
  auto checkStateTensor = [&](Value v, StringRef what) -> LogicalResult {
    if (!v)
      return success();
    auto t = cast<RankedTensorType>(v.getType());
    if (getDimNames(t) != stateDims)
      return emitOpError() << what << " of '" << name << "' has dims "
                           << formatDims(t) << " but the state has "
                           << formatDims(stateDims);
    if (t.getElementType() != stateElem)
      return emitOpError() << what << " of '" << name << "' is "
                           << t.getElementType() << " but the state is "
                           << stateElem;
    return success();
  };
  if (failed(checkStateTensor(getInit(), "init")) ||
      failed(checkStateTensor(getFinal(), "final state")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.project and ssm.reduce
//===----------------------------------------------------------------------===//

LogicalResult ProjectOp::verify() {
  StringRef dim = getDim();
  auto stateT = getState().getType();
  auto coeffT = getCoeff().getType();
  for (Type t : {Type(stateT), Type(coeffT)})
    if (hasRepeatedDim(t))
      return emitOpError() << "operand dims " << formatDims(t)
                           << " repeat a dim; contraction is by name";
  if (!hasDim(stateT, dim))
    return emitOpError() << "contracts over " << dim
                         << " but the state operand has dims "
                         << formatDims(stateT);
  if (!hasDim(coeffT, dim))
    return emitOpError() << "contracts over " << dim
                         << " but the coefficient has dims "
                         << formatDims(coeffT);
  SmallVector<StringAttr> expected = without(getDimNames(stateT), dim);
  for (StringAttr d : without(getDimNames(coeffT), dim))
    if (!llvm::is_contained(expected, d))
      expected.push_back(d);
  SmallVector<StringAttr> got = getDimNames(getResult().getType());
  if (!isSameSet(got, expected))
    return emitOpError() << "result has dims " << formatDims(got)
                         << " but contracting " << formatDims(stateT)
                         << " with " << formatDims(coeffT) << " over " << dim
                         << " gives " << formatDims(expected);
  Type se = stateT.getElementType(), ce = getElementComputeType(coeffT);
  Type want = (isComplexF32(se) || isComplexF32(ce)) ? (isComplexF32(se) ? se : ce)
                                                    : Float32Type::get(getContext());
  if (!se.isF32() && !isComplexF32(se))
    return emitOpError() << "state operand must be f32 or complex<f32>, got "
                         << se;
  if (getResult().getType().getElementType() != want)
    return emitOpError() << "result is " << getResult().getType().getElementType()
                         << " but the product of " << se << " and "
                         << coeffT.getElementType() << " is " << want;
  return success();
}

LogicalResult ReduceOp::verify() {
  StringRef dim = getDim();
  auto inT = getInput().getType();
  if (hasRepeatedDim(inT))
    return emitOpError() << "operand dims " << formatDims(inT)
                         << " repeat a dim; reduction is by name";
  if (!hasDim(inT, dim))
    return emitOpError() << "sums over " << dim << " but the operand has dims "
                         << formatDims(inT);
  if (dim == kSeqDim)
    return emitOpError() << "cannot sum over the sequence dim L";
  SmallVector<StringAttr> expected = without(getDimNames(inT), dim);
  SmallVector<StringAttr> got = getDimNames(getResult().getType());
  if (got != expected)
    return emitOpError() << "result has dims " << formatDims(got)
                         << " but summing " << formatDims(inT) << " over "
                         << dim << " gives " << formatDims(expected);
  Type ie = inT.getElementType();
  if (!ie.isF32() && !isComplexF32(ie))
    return emitOpError() << "operand must be f32 or complex<f32>, got " << ie;
  if (getResult().getType().getElementType() != ie)
    return emitOpError() << "result is " << getResult().getType().getElementType()
                         << " but the operand is " << ie;
  return success();
}

/// `[.., d, d]`: the name of the repeated last two dims, or null.
static StringAttr squareDim(Type t) {
  SmallVector<StringAttr> d = getDimNames(t);
  if (d.size() < 2 || d[d.size() - 1] != d[d.size() - 2])
    return {};
  return d.back();
}

LogicalResult EyeOp::verify() {
  auto t = getResult().getType();
  if (getDimNames(t).size() != 2 || !squareDim(t))
    return emitOpError() << "result has dims " << formatDims(t)
                         << "; expected one dim twice, [N, N]";
  if (!t.getElementType().isF32())
    return emitOpError() << "result element type must be f32";
  return success();
}

LogicalResult InvOp::verify() {
  auto t = getResult().getType();
  StringAttr n = squareDim(t);
  if (!n)
    return emitOpError() << "operand has dims " << formatDims(t)
                         << "; its last two dims must name the same dim";
  if (hasDim(t, kSeqDim))
    return emitOpError() << "operand has the sequence dim L; matrix ops are "
                            "time-invariant setup";
  if (!t.getElementType().isF32())
    return emitOpError() << "element type must be f32";
  return success();
}

LogicalResult MatMulOp::verify() {
  auto lt = getLhs().getType(), rt = getRhs().getType(), ot = getResult().getType();
  StringAttr n = squareDim(lt);
  if (!n)
    return emitOpError() << "lhs has dims " << formatDims(lt)
                         << "; its last two dims must name the same dim";
  for (auto t : {lt, rt, ot}) {
    if (hasDim(t, kSeqDim))
      return emitOpError() << "a value with the sequence dim L; matrix ops are "
                              "time-invariant setup";
    if (!t.getElementType().isF32())
      return emitOpError() << "element types must be f32";
  }
  SmallVector<StringAttr> rd = getDimNames(rt);
  bool matrix = squareDim(rt) == n;
  if (!matrix && (rd.empty() || rd.back() != n))
    return emitOpError() << "rhs has dims " << formatDims(rt)
                         << "; expected [.., " << n.getValue() << ", "
                         << n.getValue() << "] or [.., " << n.getValue() << "]";
  SmallVector<StringAttr> ll = getDimNames(lt), rl = rd, ol = getDimNames(ot);
  ll.resize(ll.size() - 2);
  rl.resize(rl.size() - (matrix ? 2 : 1));
  for (StringAttr d : llvm::concat<StringAttr>(ll, rl))
    if (d == n)
      return emitOpError() << "the contracted dim " << n.getValue()
                           << " appears among the leading dims";
  unsigned tail = matrix ? 2 : 1;
  if (ol.size() < tail || (matrix ? squareDim(ot) != n : ol.back() != n) ||
      (!matrix && ol.size() >= 2 && ol[ol.size() - 2] == n))
    return emitOpError() << "result has dims " << formatDims(ot) << "; expected [.., "
                         << n.getValue() << (matrix ? ", " + n.getValue().str() : "") << "]";
  SmallVector<StringAttr> lead(ol.begin(), ol.end() - tail), both(ll);
  both.append(rl);
  if (!isSameSet(lead, both))
    return emitOpError() << "result leading dims " << formatDims(lead)
                         << " must be the union of the operands' "
                         << formatDims(both);
  return success();
}

LogicalResult GroupOp::verify() {
  StringRef group = getGroup(), head = getHead();
  auto inT = getInput().getType();
  auto outT = getResult().getType();
  int64_t g = getDims(inT).indexOf(group);
  if (g < 0)
    return emitOpError() << "groups over " << group
                         << " but the operand has dims " << formatDims(inT);
  if (group == kSeqDim || head == kSeqDim)
    return emitOpError() << "the sequence dim L cannot be a group or head dim";
  if (hasDim(inT, head))
    return emitOpError() << "the operand " << formatDims(inT)
                         << " already has the head dim " << head;
  SmallVector<StringAttr> expected = getDimNames(inT);
  expected[g] = StringAttr::get(getContext(), head);
  if (getDimNames(outT) != expected)
    return emitOpError() << "result has dims " << formatDims(outT)
                         << " but grouping " << formatDims(inT) << " from "
                         << group << " to " << head << " gives "
                         << formatDims(expected);
  if (outT.getElementType() != inT.getElementType())
    return emitOpError() << "result is " << outT.getElementType()
                         << " but the operand is " << inT.getElementType();
  int64_t groups = inT.getDimSize(g), heads = outT.getDimSize(g);
  if (heads % groups != 0)
    return emitOpError() << head << " = " << heads
                         << " is not a multiple of " << group << " = " << groups;
  return success();
}

//===----------------------------------------------------------------------===//
// ssm.fused and ssm.step
//===----------------------------------------------------------------------===//

StringRef mlir::ssm::getKernelRegionName(KernelRegion kind) {
  switch (kind) {
  case KernelRegion::Row:
    return "row";
  case KernelRegion::Elem:
    return "elem";
  case KernelRegion::Contrib:
    return "contrib";
  case KernelRegion::Out:
    return "out";
  }
  llvm_unreachable("unknown region kind");
}

static SmallVector<StringAttr> toDims(ArrayAttr arr) {
  SmallVector<StringAttr> dims;
  for (Attribute a : arr)
    dims.push_back(cast<StringAttr>(a));
  return dims;
}

std::optional<KernelView> KernelView::get(Operation *op) {
  auto dense = [](std::optional<uint64_t> k) -> std::optional<unsigned> {
    if (!k)
      return std::nullopt;
    return static_cast<unsigned>(*k);
  };
  if (auto f = dyn_cast<FusedOp>(op))
    return KernelView{op, f.getStateAttr(), toDims(f.getRows()),
                      f.getInnerAttr(), f.getInputs(), f.getGroupsAttr(),
                      dense(f.getDenseDecay())};
  if (auto s = dyn_cast<StepOp>(op))
    return KernelView{op, s.getStateAttr(), toDims(s.getRows()),
                      s.getInnerAttr(), s.getInputs(), s.getGroupsAttr(),
                      dense(s.getDenseDecay())};
  return std::nullopt;
}

SmallVector<StringAttr> KernelView::inputDims(unsigned i) const {
  SmallVector<StringAttr> dims = getDimNames(inputs[i].getType());
  if (groups)
    for (StringAttr &d : dims)
      if (auto head = dyn_cast_or_null<StringAttr>(groups.get(d)))
        d = head;
  return dims;
}

Region &KernelView::region(KernelRegion kind) const {
  return op->getRegion(static_cast<unsigned>(kind));
}

SmallVector<StringAttr> KernelView::levelDims(KernelRegion kind) const {
  SmallVector<StringAttr> dims{seqAttr(op->getContext())};
  dims.append(rows.begin(), rows.end());
  if (isPerElement(kind))
    dims.push_back(inner);
  return dims;
}

SmallVector<unsigned> KernelView::availableInputs(KernelRegion kind) const {
  SmallVector<StringAttr> level = levelDims(kind);
  SmallVector<unsigned> result;
  for (unsigned i = 0, e = inputs.size(); i < e; ++i)
    if (i != denseDecay && isSubset(inputDims(i), level))
      result.push_back(i);
  return result;
}

unsigned KernelView::numRowValues() const {
  YieldOp y = getYield(region(KernelRegion::Row));
  return y ? y.getValues().size() : 0;
}

unsigned KernelView::numTerms() const {
  YieldOp y = getYield(region(KernelRegion::Contrib));
  return y ? y.getValues().size() : 0;
}

Type KernelView::stateElementType() const {
  YieldOp y = getYield(region(KernelRegion::Elem));
  if (!y || y.getValues().size() != (denseDecay ? 1u : 2u))
    return {};
  return y.getValues().back().getType();
}

/// Attribute and type checks shared by ssm.fused and ssm.step.
static LogicalResult verifyKernelTypes(const KernelView &k, bool isStep,
                                       TypeRange outs,
                                       ArrayRef<std::pair<Value, StringRef>> states) {
  Operation *op = k.op;
  llvm::StringSet<> seen;
  if (k.inner.getValue().empty() || k.inner.getValue() == kSeqDim)
    return op->emitOpError() << "inner dim must name a state dim, got \""
                             << k.inner.getValue() << "\"";
  for (StringAttr r : k.rows) {
    if (r.getValue() == kSeqDim || r == k.inner || !seen.insert(r.getValue()).second)
      return op->emitOpError() << "row dims " << formatDims(k.rows)
                               << " must be distinct state dims other than L "
                                  "and the inner dim "
                               << k.inner.getValue();
  }
  SmallVector<StringAttr> stateDims(k.rows);
  stateDims.push_back(k.inner);
  SmallVector<StringAttr> all{seqAttr(op->getContext())};
  all.append(stateDims);
  if (k.groups) {
    for (NamedAttribute g : k.groups) {
      auto head = dyn_cast<StringAttr>(g.getValue());
      if (!head || !llvm::is_contained(k.rows, head) ||
          g.getName().getValue() == kSeqDim ||
          llvm::is_contained(stateDims, g.getName()))
        return op->emitOpError()
               << "groups entry " << g.getName().getValue() << " = "
               << g.getValue()
               << " must map a dim outside the state to a row dim "
               << formatDims(k.rows);
    }
  }
  if (k.denseDecay && *k.denseDecay >= k.inputs.size())
    return op->emitOpError() << "dense_decay = " << *k.denseDecay << " but there are "
                             << k.inputs.size() << " inputs";
  for (auto [i, v] : llvm::enumerate(k.inputs)) {
    SmallVector<StringAttr> d = getDimNames(v.getType());
    if (k.groups)
      for (StringAttr name : d)
        if (auto head = dyn_cast_or_null<StringAttr>(k.groups.get(name)))
          if (llvm::is_contained(d, head))
            return op->emitOpError()
                   << "input #" << i << " has dims " << formatDims(d)
                   << ": both the group dim " << name.getValue()
                   << " and its head dim " << head.getValue();
    d = k.inputDims(i);
    if (isStep && getDims(v.getType()).hasSeq())
      return op->emitOpError() << "input #" << i << " has the sequence dim L; "
                               << "ssm.step works on a single step";
    if (k.denseDecay && i == *k.denseDecay) {
      SmallVector<StringAttr> lead = getDimNames(v.getType());
      if (lead.size() < 2 || lead.back() != k.inner || lead[lead.size() - 2] != k.inner)
        return op->emitOpError() << "dense decay (input #" << i << ") has dims "
                                 << formatDims(v.getType()) << "; expected [.., "
                                 << k.inner.getValue() << ", " << k.inner.getValue() << "]";
      lead.resize(lead.size() - 2);
      if (!isSubset(lead, k.rows))
        return op->emitOpError() << "dense decay (input #" << i << ") has leading dims "
                                 << formatDims(lead) << ", not within the row dims "
                                 << formatDims(k.rows);
      if (!cast<ShapedType>(v.getType()).getElementType().isF32())
        return op->emitOpError() << "dense decay (input #" << i << ") must be f32";
      continue;
    }
    if (hasRepeatedDim(v.getType()))
      return op->emitOpError() << "input #" << i << " has dims " << formatDims(d)
                               << "; a repeated dim cannot be indexed by name";
    if (!isSubset(d, all))
      return op->emitOpError()
             << "input #" << i << " has dims " << formatDims(v.getType())
             << "; the kernel only indexes L and the state dims "
             << formatDims(stateDims);
  }
  SmallVector<StringAttr> outDims(k.rows);
  if (!isStep)
    outDims.insert(outDims.begin(), seqAttr(op->getContext()));
  for (auto [i, t] : llvm::enumerate(outs))
    if (!isSameSet(getDimNames(t), outDims))
      return op->emitOpError()
             << "out #" << i << " has dims " << formatDims(t)
             << " but the kernel writes one value per row"
             << (isStep ? "" : " and step") << ": " << formatDims(outDims);
  for (auto [v, what] : states) {
    if (!v)
      continue;
    if (getDimNames(v.getType()) != stateDims)
      return op->emitOpError() << what << " has dims " << formatDims(v.getType())
                               << " but the state '" << k.state.getValue()
                               << "' has " << formatDims(stateDims);
  }
  return success();
}

/// Region checks shared by ssm.fused and ssm.step (see the op description).
static LogicalResult verifyKernelRegions(const KernelView &k, TypeRange outs,
                                         ArrayRef<Value> states) {
  Operation *op = k.op;
  SmallVector<Type> inputTypes;
  for (Value v : k.inputs)
    inputTypes.push_back(getElementComputeType(v.getType()));
  unsigned nIn = inputTypes.size();
  auto describeArg = [&](unsigned i, ArrayRef<StringRef> extras) -> std::string {
    if (i < nIn)
      return "element of input #" + std::to_string(i);
    return extras[std::min<size_t>(i - nIn, extras.size() - 1)].str();
  };

  for (unsigned r = 0; r < kNumKernelRegions; ++r)
    if (!getYield(k.region(static_cast<KernelRegion>(r))))
      return op->emitOpError() << "region '"
                               << getKernelRegionName(static_cast<KernelRegion>(r))
                               << "' must end with ssm.yield";

  // row: inputs -> row values.
  Region &row = k.region(KernelRegion::Row);
  if (failed(verifyBlockArgs(op, "row", row.front(), inputTypes,
                             [&](unsigned i) { return describeArg(i, {""}); })))
    return failure();
  SmallVector<Type> rowTypes(getYield(row).getValues().getTypes());
  for (auto [i, t] : llvm::enumerate(rowTypes))
    if (!t.isF32() && !isComplexF32(t))
      return op->emitOpError() << "row value #" << i << " has type " << t
                               << ", expected f32 or complex<f32>";

  // elem: inputs, row values -> decay, input (the state's type).
  Region &elem = k.region(KernelRegion::Elem);
  SmallVector<Type> elemArgs(inputTypes);
  elemArgs.append(rowTypes);
  if (failed(verifyBlockArgs(op, "elem", elem.front(), elemArgs, [&](unsigned i) {
        return describeArg(i, {"row value"});
      })))
    return failure();
  YieldOp elemYield = getYield(elem);
  if (k.denseDecay && elemYield.getValues().size() != 1)
    return elemYield.emitOpError()
           << "yields " << elemYield.getValues().size()
           << " values but region 'elem' of the dense form must yield the input";
  if (!k.denseDecay && elemYield.getValues().size() != 2)
    return elemYield.emitOpError()
           << "yields " << elemYield.getValues().size()
           << " values but region 'elem' must yield the decay and the input";
  Type stateType = elemYield.getValues().back().getType();
  if (!stateType.isF32() && !isComplexF32(stateType))
    return elemYield.emitOpError() << "state element type must be f32 or "
                                      "complex<f32>, got "
                                   << stateType;
  if (k.denseDecay && !stateType.isF32())
    return elemYield.emitOpError() << "the dense form needs an f32 state, got "
                                   << stateType;
  if (elemYield.getValues()[0].getType() != stateType)
    return elemYield.emitOpError()
           << "decay has type " << elemYield.getValues()[0].getType()
           << " but the state element is " << stateType;
  for (Value s : states)
    if (s && cast<ShapedType>(s.getType()).getElementType() != stateType)
      return op->emitOpError() << "state tensor " << s.getType()
                               << " does not hold the state element type "
                               << stateType;

  // contrib: inputs, row values, h -> terms.
  Region &contrib = k.region(KernelRegion::Contrib);
  SmallVector<Type> contribArgs(elemArgs);
  contribArgs.push_back(stateType);
  if (failed(verifyBlockArgs(op, "contrib", contrib.front(), contribArgs,
                             [&](unsigned i) {
                               return i == contribArgs.size() - 1
                                          ? std::string("state element")
                                          : describeArg(i, {"row value"});
                             })))
    return failure();
  SmallVector<Type> termTypes(getYield(contrib).getValues().getTypes());
  for (auto [i, t] : llvm::enumerate(termTypes))
    if (!t.isF32() && !isComplexF32(t))
      return op->emitOpError() << "term #" << i << " has type " << t
                               << ", expected f32 or complex<f32>";

  // out: inputs, row values, sums -> outs.
  Region &out = k.region(KernelRegion::Out);
  SmallVector<Type> outArgs(elemArgs);
  outArgs.append(termTypes);
  if (failed(verifyBlockArgs(op, "out", out.front(), outArgs, [&](unsigned i) {
        return i >= nIn + rowTypes.size() ? std::string("sum")
                                          : describeArg(i, {"row value"});
      })))
    return failure();
  SmallVector<Type> outTypes;
  for (Type t : outs)
    outTypes.push_back(getElementComputeType(t));
  if (failed(verifyYield(op, "out", out, outTypes, [&](unsigned i) {
        return "out #" + std::to_string(i);
      })))
    return failure();

  // An input that is not available at a region's level must not be used there.
  for (unsigned r = 0; r < kNumKernelRegions; ++r) {
    auto kind = static_cast<KernelRegion>(r);
    SmallVector<StringAttr> level = k.levelDims(kind);
    Block &block = k.region(kind).front();
    for (auto [i, v] : llvm::enumerate(k.inputs)) {
      if (block.getArgument(i).use_empty() ||
          (i != k.denseDecay && isSubset(k.inputDims(i), level)))
        continue;
      return op->emitOpError()
             << "region '" << getKernelRegionName(kind) << "' uses input #" << i
             << " with dims " << formatDims(v.getType())
             << "; only inputs within " << formatDims(level)
             << " are available there";
    }
  }
  return success();
}

static LogicalResult verifyStrategy(Operation *op, std::optional<StringRef> s,
                                    std::optional<FactsAttr> facts) {
  if (!s)
    return success();
  if (*s != "lane" && *s != "chunked" && *s != "ssd" && *s != "dense")
    return op->emitOpError() << "unknown strategy \"" << *s
                             << "\", expected lane, chunked, ssd or dense";
  if (*s == "ssd" && !(facts && facts->getScalarDecay()))
    return op->emitOpError()
           << "strategy \"ssd\" needs the scalar_decay fact";
  return success();
}

LogicalResult FusedOp::verify() {
  KernelView k = *KernelView::get(*this);
  if (failed(verifyStrategy(*this, getStrategy(), getFacts())))
    return failure();
  if (getStrategy() && (*getStrategy() == "dense") != getDenseDecay().has_value())
    return emitOpError() << "strategy \"dense\" is the one and only strategy of "
                            "the dense form (dense_decay)";
  return verifyKernelTypes(k, /*isStep=*/false, getOuts().getTypes(),
                           {{getInit(), "init"}, {getFinal(), "final state"}});
}

LogicalResult FusedOp::verifyRegions() {
  KernelView k = *KernelView::get(*this);
  return verifyKernelRegions(k, getOuts().getTypes(), {getInit(), getFinal()});
}

LogicalResult StepOp::verify() {
  KernelView k = *KernelView::get(*this);
  return verifyKernelTypes(k, /*isStep=*/true, getOuts().getTypes(),
                           {{getH(), "state"}, {getHNext(), "next state"}});
}

LogicalResult StepOp::verifyRegions() {
  KernelView k = *KernelView::get(*this);
  return verifyKernelRegions(k, getOuts().getTypes(), {getH(), getHNext()});
}
