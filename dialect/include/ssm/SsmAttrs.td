// Attributes of the ssm dialect: axis names, layer dim sizes, layer facts.
#ifndef SSM_ATTRS_TD
#define SSM_ATTRS_TD

include "ssm/SsmDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/TensorEncoding.td"

class Ssm_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Ssm_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Ssm_DimsAttr : Ssm_Attr<"Dims", "dims",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "names of a tensor's axes, used as the tensor encoding";
  let description = [{
    Names each axis of a tensor, in order: `#ssm.dims<["L", "D", "N"]>`. The
    name `L` is the sequence axis: it may only be the first axis and its size is
    always `?`; every other axis has a static size equal to the layer's size for
    that name. A rank-0 tensor has `#ssm.dims<[]>`. Operations broadcast and
    reduce by these names, never by position.

    ```mlir
    %x = ... : tensor<?x1536xf32, #ssm.dims<["L", "D"]>>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"::mlir::StringAttr", "axis names">:$names);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    bool contains(::llvm::StringRef name) const;
    /// Position of `name`, or -1.
    int64_t indexOf(::llvm::StringRef name) const;
    bool hasSeq() const;
  }];
}

def Ssm_SizesAttr : Ssm_Attr<"Sizes", "sizes"> {
  let summary = "the named dims of a layer and their sizes, in declaration order";
  let description = [{
    ```mlir
    ssm.layer @s6(...) attributes {dims = #ssm.sizes<D = 1536, N = 16>} { ... }
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"::mlir::StringAttr", "dim names">:$names,
    ArrayRefParameter<"int64_t", "dim sizes">:$sizes);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The size of `name`, or std::nullopt if the layer has no such dim.
    std::optional<int64_t> lookup(::llvm::StringRef name) const;
  }];
}

def Ssm_FactsAttr : Ssm_Attr<"Facts", "facts"> {
  let summary = "what --ssm-classify found out about a layer";
  let description = [{
    Lists the facts that hold; a fact not listed is false.

    - `selective`: the decay, or the part of the scan input that multiplies the
      driving signal, depends on an `in` tensor (Mamba's S6).
    - `lti`: the layer has a state and neither does (S4, S4D): convolution mode
      is possible.
    - `scalar_decay`: the decay has no dim other than the state's leading
      (head) dims, i.e. one value per head and step (Mamba-2 SSD).

    ```mlir
    #ssm.facts<selective, scalar_decay>
    #ssm.facts<lti>
    ```
  }];
  let parameters = (ins "bool":$selective, "bool":$lti, "bool":$scalar_decay);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // SSM_ATTRS_TD
