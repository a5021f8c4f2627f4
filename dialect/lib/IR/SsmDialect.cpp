// The ssm dialect: registration, attributes (dims, sizes, facts) and named-dim helpers.
#include "ssm/SsmDialect.h"
#include "ssm/SsmOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::ssm;

#include "ssm/SsmOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "ssm/SsmAttrs.cpp.inc"

void SsmDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ssm/SsmOps.cpp.inc"
      >();
  registerAttributes();
}

void SsmDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "ssm/SsmAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Argument / result attributes of ssm.layer
//===----------------------------------------------------------------------===//

static LogicalResult verifyRoleOrName(Operation *op, NamedAttribute attr,
                                      ArrayRef<StringRef> roles,
                                      StringRef what) {
  if (attr.getName() == kNameAttr) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << kNameAttr << "' of " << what
                             << " must be a string, got " << attr.getValue();
    return success();
  }
  if (attr.getName() == kRoleAttr) {
    auto role = dyn_cast<StringAttr>(attr.getValue());
    if (!role || !llvm::is_contained(roles, role.getValue())) {
      auto diag = op->emitError() << "'" << kRoleAttr << "' of " << what
                                  << " must be one of";
      for (StringRef r : roles)
        diag << " \"" << r << "\"";
      return diag << ", got " << attr.getValue();
    }
    return success();
  }
  return op->emitError() << "unknown ssm attribute '" << attr.getName().getValue()
                         << "' on " << what;
}

LogicalResult SsmDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                   unsigned argIndex,
                                                   NamedAttribute attr) {
  return verifyRoleOrName(op, attr, {kRoleIn, kRoleParam, kRoleStateInit},
                          "argument #" + std::to_string(argIndex));
}

LogicalResult SsmDialect::verifyRegionResultAttribute(Operation *op, unsigned,
                                                      unsigned resultIndex,
                                                      NamedAttribute attr) {
  return verifyRoleOrName(op, attr, {kRoleOut, kRoleStateFinal},
                          "result #" + std::to_string(resultIndex));
}

//===----------------------------------------------------------------------===//
// #ssm.dims
//===----------------------------------------------------------------------===//

Attribute DimsAttr::parse(AsmParser &parser, Type) {
  SmallVector<StringAttr> names;
  if (parser.parseLess() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&] {
        std::string name;
        if (parser.parseString(&name))
          return failure();
        names.push_back(parser.getBuilder().getStringAttr(name));
        return success();
      }) ||
      parser.parseGreater())
    return {};
  return DimsAttr::get(parser.getContext(), names);
}

void DimsAttr::print(AsmPrinter &printer) const {
  printer << "<[";
  llvm::interleaveComma(getNames(), printer,
                        [&](StringAttr s) { printer.printString(s.getValue()); });
  printer << "]>";
}

bool DimsAttr::contains(StringRef name) const { return indexOf(name) >= 0; }

int64_t DimsAttr::indexOf(StringRef name) const {
  for (auto [i, n] : llvm::enumerate(getNames()))
    if (n.getValue() == name)
      return i;
  return -1;
}

bool DimsAttr::hasSeq() const { return contains(kSeqDim); }

LogicalResult
DimsAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                         function_ref<InFlightDiagnostic()> emitError) const {
  // A repeated name is allowed: the dense scan's matrix is [.., N, N]; the ops
  // that broadcast or reduce by name reject it.
  ArrayRef<StringAttr> names = getNames();
  if (names.size() != shape.size())
    return emitError() << "#ssm.dims names " << names.size()
                       << " axes but the tensor has rank " << shape.size();
  for (auto [i, name] : llvm::enumerate(names)) {
    if (name.getValue().empty())
      return emitError() << "#ssm.dims: axis " << i << " has an empty name";
    if (name.getValue() == kSeqDim) {
      if (i != 0)
        return emitError() << "#ssm.dims: the sequence dim \"L\" must be the "
                              "first axis, found at axis "
                           << i;
      if (!ShapedType::isDynamic(shape[i]))
        return emitError() << "#ssm.dims: the sequence dim \"L\" must have "
                              "size ?, got "
                           << shape[i];
    } else if (ShapedType::isDynamic(shape[i])) {
      return emitError() << "#ssm.dims: dim \"" << name.getValue()
                         << "\" must have a static size";
    }
  }
  if (!isStorageType(elementType))
    return emitError() << "ssm tensors hold f32, f16, bf16 or complex<f32>, got "
                       << elementType;
  return success();
}

//===----------------------------------------------------------------------===//
// #ssm.sizes
//===----------------------------------------------------------------------===//

Attribute SizesAttr::parse(AsmParser &parser, Type) {
  SmallVector<StringAttr> names;
  SmallVector<int64_t> sizes;
  if (parser.parseLess())
    return {};
  if (failed(parser.parseOptionalGreater())) {
    if (parser.parseCommaSeparatedList([&] {
          StringRef name;
          int64_t size;
          if (parser.parseKeyword(&name) || parser.parseEqual() ||
              parser.parseInteger(size))
            return failure();
          names.push_back(parser.getBuilder().getStringAttr(name));
          sizes.push_back(size);
          return success();
        }) ||
        parser.parseGreater())
      return {};
  }
  return SizesAttr::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), names, sizes);
}

void SizesAttr::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleaveComma(llvm::zip(getNames(), getSizes()), printer,
                        [&](auto pair) {
                          printer << std::get<0>(pair).getValue() << " = "
                                  << std::get<1>(pair);
                        });
  printer << ">";
}

LogicalResult SizesAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                ArrayRef<StringAttr> names,
                                ArrayRef<int64_t> sizes) {
  if (names.size() != sizes.size())
    return emitError() << "#ssm.sizes has " << names.size() << " names and "
                       << sizes.size() << " sizes";
  llvm::StringSet<> seen;
  for (auto [name, size] : llvm::zip(names, sizes)) {
    if (name.getValue() == kSeqDim)
      return emitError() << "#ssm.sizes: \"L\" is the sequence dim; its size "
                            "is not fixed by the layer";
    if (!seen.insert(name.getValue()).second)
      return emitError() << "#ssm.sizes: dim " << name.getValue()
                         << " is declared twice";
    if (size <= 0)
      return emitError() << "#ssm.sizes: dim " << name.getValue()
                         << " has size " << size << ", expected > 0";
  }
  return success();
}

std::optional<int64_t> SizesAttr::lookup(StringRef name) const {
  for (auto [n, s] : llvm::zip(getNames(), getSizes()))
    if (n.getValue() == name)
      return s;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// #ssm.facts
//===----------------------------------------------------------------------===//

Attribute FactsAttr::parse(AsmParser &parser, Type) {
  bool selective = false, lti = false, scalarDecay = false;
  if (parser.parseLess())
    return {};
  if (failed(parser.parseOptionalGreater())) {
    if (parser.parseCommaSeparatedList([&]() -> ParseResult {
          StringRef key;
          SMLoc loc = parser.getCurrentLocation();
          if (parser.parseKeyword(&key))
            return failure();
          if (key == "selective")
            selective = true;
          else if (key == "lti")
            lti = true;
          else if (key == "scalar_decay")
            scalarDecay = true;
          else
            return parser.emitError(loc)
                   << "unknown fact '" << key
                   << "', expected selective, lti or scalar_decay";
          return success();
        }) ||
        parser.parseGreater())
      return {};
  }
  return FactsAttr::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), selective, lti, scalarDecay);
}

void FactsAttr::print(AsmPrinter &printer) const {
  SmallVector<StringRef> facts;
  if (getSelective())
    facts.push_back("selective");
  if (getLti())
    facts.push_back("lti");
  if (getScalarDecay())
    facts.push_back("scalar_decay");
  printer << "<";
  llvm::interleaveComma(facts, printer);
  printer << ">";
}

LogicalResult FactsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                bool selective, bool lti, bool) {
  if (selective && lti)
    return emitError() << "#ssm.facts: a layer cannot be both selective and lti";
  return success();
}

//===----------------------------------------------------------------------===//
// Named-dim helpers
//===----------------------------------------------------------------------===//

DimsAttr mlir::ssm::getDims(Type type) {
  auto tensor = dyn_cast_or_null<RankedTensorType>(type);
  if (!tensor)
    return {};
  return dyn_cast_or_null<DimsAttr>(tensor.getEncoding());
}

SmallVector<StringAttr> mlir::ssm::getDimNames(Type type) {
  if (DimsAttr dims = getDims(type))
    return SmallVector<StringAttr>(dims.getNames());
  return {};
}

bool mlir::ssm::hasDim(Type type, StringRef name) {
  DimsAttr dims = getDims(type);
  return dims && dims.contains(name);
}

bool mlir::ssm::isSubset(ArrayRef<StringAttr> sub, ArrayRef<StringAttr> super) {
  return llvm::all_of(sub, [&](StringAttr s) { return llvm::is_contained(super, s); });
}

bool mlir::ssm::hasRepeatedDim(Type type) {
  llvm::StringSet<> seen;
  for (StringAttr d : getDimNames(type))
    if (!seen.insert(d.getValue()).second)
      return true;
  return false;
}

bool mlir::ssm::isSameSet(ArrayRef<StringAttr> a, ArrayRef<StringAttr> b) {
  return isSubset(a, b) && isSubset(b, a);
}

SmallVector<StringAttr> mlir::ssm::without(ArrayRef<StringAttr> dims,
                                           StringRef name) {
  SmallVector<StringAttr> result;
  for (StringAttr d : dims)
    if (d.getValue() != name)
      result.push_back(d);
  return result;
}

std::string mlir::ssm::formatDims(ArrayRef<StringAttr> dims) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(dims, os, [&](StringAttr d) { os << d.getValue(); });
  os << "]";
  return s;
}

std::string mlir::ssm::formatDims(Type type) {
  return formatDims(getDimNames(type));
}

bool mlir::ssm::isComplexF32(Type type) {
  auto c = dyn_cast_or_null<ComplexType>(type);
  return c && c.getElementType().isF32();
}

bool mlir::ssm::isStorageType(Type t) {
  return t.isF32() || t.isF16() || t.isBF16() || isComplexF32(t);
}

Type mlir::ssm::getComputeType(Type t) {
  if (t.isF32() || t.isF16() || t.isBF16())
    return Float32Type::get(t.getContext());
  if (isComplexF32(t))
    return t;
  return {};
}

Type mlir::ssm::getElementComputeType(Type tensorType) {
  auto shaped = dyn_cast<ShapedType>(tensorType);
  return shaped ? getComputeType(shaped.getElementType()) : Type();
}
