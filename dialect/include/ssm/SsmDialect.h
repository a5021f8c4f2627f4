// The ssm dialect, its attributes, and helpers for named-dim tensor types.
#ifndef SSM_SSMDIALECT_H
#define SSM_SSMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Complex/IR/Complex.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/TensorEncoding.h"

#include "ssm/SsmOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "ssm/SsmAttrs.h.inc"

namespace mlir::ssm {

/// The name of the sequence axis.
inline constexpr llvm::StringLiteral kSeqDim = "L";

/// Roles of a layer's tensors (`ssm.role`) and the attribute names.
inline constexpr llvm::StringLiteral kRoleAttr = "ssm.role";
inline constexpr llvm::StringLiteral kNameAttr = "ssm.name";
inline constexpr llvm::StringLiteral kRoleIn = "in";
inline constexpr llvm::StringLiteral kRoleParam = "param";
inline constexpr llvm::StringLiteral kRoleStateInit = "state_init";
inline constexpr llvm::StringLiteral kRoleOut = "out";
inline constexpr llvm::StringLiteral kRoleStateFinal = "state_final";

/// The axis names of an ssm tensor type, or a null attribute for any other type.
DimsAttr getDims(Type type);
/// The axis names as a vector (empty for a non-ssm type).
SmallVector<StringAttr> getDimNames(Type type);
bool hasDim(Type type, StringRef name);
/// True if every name of `sub` is in `super` (as sets).
bool isSubset(ArrayRef<StringAttr> sub, ArrayRef<StringAttr> super);
bool isSameSet(ArrayRef<StringAttr> a, ArrayRef<StringAttr> b);
/// True if a name labels two axes (only a dense scan's decay may do that).
bool hasRepeatedDim(Type type);
/// `dims` without `name`.
SmallVector<StringAttr> without(ArrayRef<StringAttr> dims, StringRef name);
/// "[L, D, N]".
std::string formatDims(ArrayRef<StringAttr> dims);
std::string formatDims(Type type);

/// The scalar type a region computes with for an element type: f16/bf16/f32 -> f32,
/// complex<f32> stays; null for anything else.
Type getComputeType(Type elementType);
/// The compute type of an ssm tensor's elements.
Type getElementComputeType(Type tensorType);
bool isStorageType(Type elementType);
bool isComplexF32(Type type);

} // namespace mlir::ssm

#endif // SSM_SSMDIALECT_H
