// Operations of the ssm dialect: the layer, its per-concept ops, the fused and step ops.
#ifndef SSM_OPS_TD
#define SSM_OPS_TD

include "ssm/SsmDialect.td"
include "ssm/SsmAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// A tensor of the layer: its encoding is #ssm.dims (checked by the encoding itself).
def Ssm_Tensor : Type<
    And<[AnyRankedTensor.predicate,
         CPred<"::llvm::isa_and_nonnull<::mlir::ssm::DimsAttr>("
               "::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding())">]>,
    "tensor with #ssm.dims encoding", "::mlir::RankedTensorType">;

// What a region computes with: f32, or complex<f32> for c64 values.
def Ssm_ComputeScalar : AnyTypeOf<[F32, Complex<F32>]>;

//===----------------------------------------------------------------------===//
// The layer and its terminator
//===----------------------------------------------------------------------===//

def Ssm_LayerOp : Ssm_Op<"layer", [
    FunctionOpInterface, IsolatedFromAbove, AutomaticAllocationScope]> {
  let summary = "one SSM layer: its tensors, roles, dims and the ops that compute its outs";
  let description = [{
    A symbol with one region of one block. The block arguments are the layer's
    tensors, each with `ssm.role` (`"in"`, `"param"` or `"state_init"`) and
    `ssm.name` (the name in the script; for `state_init` the state's name). The
    results are the `out` tensors followed by each state's final value
    (`ssm.role = "out"` / `"state_final"`). `dims` gives every named dim's size
    in declaration order; every tensor in the layer agrees with it. `facts` is
    set by `--ssm-classify`; `step_of` marks the single-step layer that
    `--ssm-derive-step` derived from another layer (its `in`/`out` tensors then
    have no `L` axis).

    Storage may be f16/bf16 for ins, outs and params; values computed inside the
    layer are f32 (or complex<f32>): loads widen, and `ssm.return` may narrow
    f32 to the out's storage type.

    ```mlir
    ssm.layer @gate(%x: tensor<?x64xf32, #ssm.dims<["L", "D"]>> {ssm.name = "x", ssm.role = "in"})
        -> (tensor<?x64xf16, #ssm.dims<["L", "D"]>> {ssm.name = "y", ssm.role = "out"})
        attributes {dims = #ssm.sizes<D = 64>} {
      %y = ssm.map %x : (tensor<?x64xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x64xf32, #ssm.dims<["L", "D"]>> {
      ^bb0(%v: f32):
        %s = ssm.silu %v : f32
        ssm.yield %s : f32
      }
      ssm.return %y : tensor<?x64xf32, #ssm.dims<["L", "D"]>>
    }
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<FunctionType>:$function_type,
    Ssm_SizesAttr:$dims,
    OptionalAttr<Ssm_FactsAttr>:$facts,
    OptionalAttr<FlatSymbolRefAttr>:$step_of,
    OptionalAttr<DictArrayAttr>:$arg_attrs,
    OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() { return getFunctionType().getInputs(); }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() { return getFunctionType().getResults(); }

    /// `ssm.role` of argument / result `i` ("" if missing).
    ::llvm::StringRef getArgRole(unsigned i);
    ::llvm::StringRef getArgName(unsigned i);
    ::llvm::StringRef getResultRole(unsigned i);
    ::llvm::StringRef getResultName(unsigned i);
    /// Size of a named dim; ShapedType::kDynamic for "L"; std::nullopt if unknown.
    std::optional<int64_t> getDimSize(::llvm::StringRef name);
    /// A tensor type of this layer with the given axis names and element type.
    ::mlir::RankedTensorType getTensorType(::llvm::ArrayRef<::mlir::StringAttr> dims,
                                           ::mlir::Type elementType);
  }];
}

def Ssm_ReturnOp : Ssm_Op<"return", [Pure, HasParent<"LayerOp">, ReturnLike, Terminator]> {
  let summary = "yields a layer's outs and then each state's final value";
  let description = [{
    Operand `i` is result `i` of the enclosing `ssm.layer`. An f32 operand may
    be returned as an f16/bf16 result (the store narrows); otherwise the types
    match exactly.

    ```mlir
    ssm.return %y, %hT : tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<1536x16xf32, #ssm.dims<["D", "N"]>>
    ```
  }];
  let arguments = (ins Variadic<Ssm_Tensor>:$operands);
  let assemblyFormat = "attr-dict ($operands^ `:` type($operands))?";
  let hasVerifier = 1;
}

def Ssm_YieldOp : Ssm_Op<"yield", [
    Pure, ReturnLike, Terminator,
    ParentOneOf<["MapOp", "DiscretizeOp", "FusedOp", "StepOp"]>]> {
  let summary = "yields the scalar results of an ssm region";
  let description = [{
    Terminates the regions of `ssm.map`, `ssm.discretize`, `ssm.fused` and
    `ssm.step`; the parent op checks count and types.

    ```mlir
    ssm.yield %a, %b : f32, f32
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
}

//===----------------------------------------------------------------------===//
// Per-concept ops emitted by the front end
//===----------------------------------------------------------------------===//

def Ssm_MapOp : Ssm_Op<"map", [Pure, IsolatedFromAbove]> {
  let summary = "elementwise computation with broadcasting by dim name";
  let description = [{
    Computes each result element from the operand elements at the same named
    index. Every operand's dims are a subset of the results' dims (in any
    order): an operand without a dim is broadcast along it. The region has one
    block whose arguments are the operands' elements, widened to the compute
    type (f16/bf16 -> f32), and yields one scalar per result (f32 or
    complex<f32>). With several results, a result with fewer dims may only
    depend on operands whose dims it has. Region ops: `arith`, `math`,
    `complex` and the ssm scalar ops (`ssm.softplus`, `ssm.silu`,
    `ssm.sigmoid`). Canonicalization merges chains of maps into one.

    ```mlir
    %s = ssm.map %dt, %bias : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<1536xf32, #ssm.dims<["D"]>>)
        -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
    ^bb0(%a: f32, %b: f32):
      %0 = arith.addf %a, %b : f32
      %1 = ssm.softplus %0 : f32
      ssm.yield %1 : f32
    }
    ```
  }];
  let arguments = (ins Variadic<Ssm_Tensor>:$inputs);
  let results = (outs Variadic<Ssm_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $results) $body";
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$resultTypes, "::mlir::ValueRange":$inputs)>
  ];
}

def Ssm_DiscretizeOp : Ssm_Op<"discretize", [Pure, IsolatedFromAbove]> {
  let summary = "a discretization rule applied elementwise (decay and input terms)";
  let description = [{
    Names the concept "discretize the continuous-time system with this rule"
    while its region holds the rule's math, inlined from the stdlib function
    (which stays the source of truth). `rule` is `"zoh"`, `"bilinear"`,
    `"euler"` or the name of a user function. Operands, region and results
    follow the rules of `ssm.map`; typically two results, the decay and the
    input coefficient, which may have different dims (Mamba-2: decay `[L, H]`,
    input `[L, H, N]`).

    ```mlir
    %Ab, %Bb = ssm.discretize "zoh" %delta, %A, %B
        : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<1536x16xf32, #ssm.dims<["D", "N"]>>,
           tensor<?x16xf32, #ssm.dims<["L", "N"]>>)
        -> (tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>) {
    ^bb0(%d: f32, %a: f32, %b: f32):
      %da = arith.mulf %d, %a : f32
      %e = math.exp %da : f32
      %bb = arith.mulf %d, %b : f32
      ssm.yield %e, %bb : f32, f32
    }
    ```
  }];
  let arguments = (ins StrAttr:$rule, Variadic<Ssm_Tensor>:$inputs);
  let results = (outs Variadic<Ssm_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$rule $inputs attr-dict `:` functional-type($inputs, $results) $body";
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

def Ssm_ScanOp : Ssm_Op<"scan", [Pure]> {
  let summary = "the linear recurrence along L";
  let description = [{
    Computes the state sequence `h_t = a_t * h_{t-1} + b_t` (diagonal) or,
    with `dense`, `h_t = A @ h_{t-1} + b_t` for a time-invariant `A`.
    `h_{-1}` is `init` when given, else zero.

    - `states` (result): `[L, S...]`, where `S...` are the state's dims; its
      last dim is the inner (contracted) one.
    - `input` `b`: exactly the dims of `states`.
    - `decay` (diagonal): dims within `L` and `S...`; fewer dims broadcast
      (Mamba-2's scalar-per-head decay is `[L, H]` for a state `[H, P, N]`).
    - `decay` (dense): no `L`; its last two dims both name the inner dim
      (`[.., N, N]`, row then column), leading dims within `S...`.
    - `init` and the optional `final` result: the state's dims `S...`.

    Element types: `states`, `input`, `init` and `final` agree (f32 or
    complex<f32>); the decay has that type or f32.

    ```mlir
    %hs, %hT = ssm.scan "h" decay(%Ab : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>)
        input(%bx : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>)
        init(%h0 : tensor<1536x16xf32, #ssm.dims<["D", "N"]>>)
        -> tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<1536x16xf32, #ssm.dims<["D", "N"]>>
    ```
  }];
  let arguments = (ins StrAttr:$state, UnitAttr:$dense, Ssm_Tensor:$decay,
                   Ssm_Tensor:$input, Optional<Ssm_Tensor>:$init);
  let results = (outs Ssm_Tensor:$states, Optional<Ssm_Tensor>:$final);
  let assemblyFormat = [{
    $state (`dense` $dense^)? `decay` `(` $decay `:` type($decay) `)`
    `input` `(` $input `:` type($input) `)`
    (`init` `(` $init^ `:` type($init) `)`)? attr-dict
    `->` type($states) (`,` type($final)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The state's dims: the dims of `states` without L.
    ::llvm::SmallVector<::mlir::StringAttr> getStateDims();
  }];
}

def Ssm_ProjectOp : Ssm_Op<"project", [Pure]> {
  let summary = "contracts a state (or a value built from it) with C over one dim";
  let description = [{
    `sum[dim](state * coeff)`: both operands have `dim`; the result has every
    other dim of either operand. If either operand is complex<f32> the product
    and the result are complex<f32> (a real operand is promoted).

    ```mlir
    %y = ssm.project %hs, %C over "N"
        : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x16xf32, #ssm.dims<["L", "N"]>>
        -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>>
    ```
  }];
  let arguments = (ins Ssm_Tensor:$state, Ssm_Tensor:$coeff, StrAttr:$dim);
  let results = (outs Ssm_Tensor:$result);
  let assemblyFormat = [{
    $state `,` $coeff `over` $dim attr-dict `:` type($state) `,` type($coeff) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ssm_ReduceOp : Ssm_Op<"reduce", [Pure]> {
  let summary = "sum over one named dim";
  let description = [{
    `sum[dim](x)`: the result has the operand's dims without `dim`, in the same
    order, and the operand's element type. `--ssm-fuse` folds a reduction over
    the state's inner dim into the fused op's `contrib` region.

    ```mlir
    %r = ssm.reduce %t over "N"
        : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>> -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>>
    ```
  }];
  let arguments = (ins Ssm_Tensor:$input, StrAttr:$dim);
  let results = (outs Ssm_Tensor:$result);
  let assemblyFormat = "$input `over` $dim attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Ssm_GroupOp : Ssm_Op<"group", [Pure]> {
  let summary = "shares each group's slice among consecutive heads (Mamba-2's ngroups)";
  let description = [{
    `result[.., h, ..] = input[.., h / (size(head) / size(group)), ..]`: the
    axis named `group` is replaced, in place, by the axis named `head`; head
    `h` reads group `h / (H / G)`. The size of `head` must be a multiple of the
    size of `group`. A view, not a computation: the element type is kept.
    `--ssm-fuse` records it in the fused op's `groups` attribute, so the kernel
    indexes the input's group axis with `h / (H / G)`.

    ```mlir
    %Bh = ssm.group %B, "G" -> "H"
        : tensor<?x2x128xbf16, #ssm.dims<["L", "G", "N"]>> -> tensor<?x24x128xbf16, #ssm.dims<["L", "H", "N"]>>
    ```
  }];
  let arguments = (ins Ssm_Tensor:$input, StrAttr:$group, StrAttr:$head);
  let results = (outs Ssm_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $group `->` $head attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Square-matrix ops (the dense family: S4's A, its bilinear discretization)
//===----------------------------------------------------------------------===//

def Ssm_EyeOp : Ssm_Op<"eye", [Pure]> {
  let summary = "the identity matrix over a repeated dim";
  let description = [{
    `result[i, j] = (i == j)`: the result's two dims name the same dim (row,
    then column); element type f32. Produced by `eye(A)` in a script.

    ```mlir
    %I = ssm.eye : tensor<64x64xf32, #ssm.dims<["N", "N"]>>
    ```
  }];
  let results = (outs Ssm_Tensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ssm_InvOp : Ssm_Op<"inv", [Pure, SameOperandsAndResultType]> {
  let summary = "the inverse of each square matrix";
  let description = [{
    The operand's last two dims name the same dim; each matrix over them (one
    per index of the leading dims) is inverted. f32. A singular matrix gives
    non-finite values (no error at run time).

    ```mlir
    %M = ssm.inv %X : tensor<1536x64x64xf32, #ssm.dims<["D", "N", "N"]>>
    ```
  }];
  let arguments = (ins Ssm_Tensor:$input);
  let results = (outs Ssm_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ssm_MatMulOp : Ssm_Op<"matmul", [Pure]> {
  let summary = "matrix product over a repeated dim";
  let description = [{
    `lhs` is a square matrix `[.., N, N]`. With a matrix `rhs` `[.., N, N]`:
    `result[.., i, j] = sum_k lhs[.., i, k] * rhs[.., k, j]`; with a vector
    `rhs` `[.., N]`: `result[.., i] = sum_k lhs[.., i, k] * rhs[.., k]`. The
    leading dims broadcast by name: the result's leading dims are those of
    both operands. f32; no `L` (these ops compute time-invariant setup).

    ```mlir
    %Ab = ssm.matmul %M, %X : tensor<1536x64x64xf32, #ssm.dims<["D", "N", "N"]>>,
        tensor<1536x64x64xf32, #ssm.dims<["D", "N", "N"]>> -> tensor<1536x64x64xf32, #ssm.dims<["D", "N", "N"]>>
    ```
  }];
  let arguments = (ins Ssm_Tensor:$lhs, Ssm_Tensor:$rhs);
  let results = (outs Ssm_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The fused form
//===----------------------------------------------------------------------===//

defvar Ssm_FusedRegionsDoc = [{
    The state has dims `rows ++ [inner]`. A *row* is one index over the row
    dims; the kernel runs, for every batch, row and step `t`:

    ```
    r        = row(inputs at (row, t))                       // row values
    a, b     = elem(inputs at (row, n, t), r)                // for every n
    h[n]     = a * h[n] + b
    s_k      = sum over n of contrib(inputs at (row, n, t), r, h[n])_k
    outs     = out(inputs at (row, t), r, s)
    ```

    Region block arguments, in order (every region first gets one scalar per
    input, in operand order, widened to f32 / complex<f32>):

    | region    | extra block arguments      | yields                         |
    |-----------|----------------------------|--------------------------------|
    | `row`     | -                          | the row values `r...`          |
    | `elem`    | `r...`                     | decay, input (state type)      |
    | `contrib` | `r...`, `h` (state type)   | the terms `t_k` summed over n  |
    | `out`     | `r...`, `s...` (per term)  | one value per out              |

    An input is *available* in a region when its dims are within the region's
    level: `row`/`out`: `L` and the row dims; `elem`/`contrib`: also the inner
    dim. `groups` (optional, `{G = "H"}`) lets an input have a group axis `G`
    that the kernel indexes with `h / (size(H) / size(G))` (see `ssm.group`);
    for availability `G` counts as `H`. The block argument of an input that is not available must be unused
    (the verifier checks). The lowering passes a region function only the
    inputs available at its level.

    The dense form (`dense_decay = k`): input `k` is a time-invariant square
    matrix `[rows..., inner, inner]` (computed before the op by `ssm.eye`,
    `ssm.inv`, `ssm.matmul` and `ssm.map` from params) and the step is
    `h = A @ h + b`: `elem` then yields only the input `b`, and input `k` is
    available in no region (its block arguments are unused). The other inputs
    may also be such time-invariant values, not only layer arguments.
}];

def Ssm_FusedOp : Ssm_Op<"fused", [
    Pure, IsolatedFromAbove, AttrSizedOperandSegments, AttrSizedResultSegments]> {
  let summary = "a whole diagonal SSM layer as one kernel: the state sequence is never materialized";
  let description = !strconcat([{
    Produced by `--ssm-fuse` from discretize -> scan -> project/reduce and the
    elementwise prologue and epilogue. `inputs` are the layer's `in` and
    `param` tensors the regions read; `init` the state's initial value (a
    `state_init` argument). Results: the outs (dims `L` and the row dims) and,
    optionally, the state's final value. `facts` are copied from the layer;
    `strategy` is set by `--ssm-select-strategy` (`"lane"`, `"chunked"`,
    `"ssd"` or, for the dense form, `"dense"`).
  }], Ssm_FusedRegionsDoc, [{

    ```mlir
    %y, %hT = ssm.fused "h" rows ["D"] inner "N"
        ins(%x, %C, %A : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>,
                         tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
        init(%h0 : tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
        outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
        attributes {strategy = "lane"}
    row {
    ^bb0(%x: f32, %c: f32, %a: f32):
      ssm.yield
    } elem {
    ^bb0(%x: f32, %c: f32, %a: f32):
      %e = math.exp %a : f32
      ssm.yield %e, %x : f32, f32
    } contrib {
    ^bb0(%x: f32, %c: f32, %a: f32, %h: f32):
      %t = arith.mulf %c, %h : f32
      ssm.yield %t : f32
    } out {
    ^bb0(%x: f32, %c: f32, %a: f32, %s: f32):
      ssm.yield %s : f32
    }
    ```
  }]);
  let arguments = (ins
    StrAttr:$state, StrArrayAttr:$rows, StrAttr:$inner,
    OptionalAttr<Ssm_FactsAttr>:$facts, OptionalAttr<StrAttr>:$strategy,
    OptionalAttr<DictionaryAttr>:$groups, OptionalAttr<I64Attr>:$dense_decay,
    Variadic<Ssm_Tensor>:$inputs, Optional<Ssm_Tensor>:$init);
  let results = (outs Variadic<Ssm_Tensor>:$outs, Optional<Ssm_Tensor>:$final);
  let regions = (region SizedRegion<1>:$row, SizedRegion<1>:$elem,
                 SizedRegion<1>:$contrib, SizedRegion<1>:$out);
  let assemblyFormat = [{
    $state `rows` $rows `inner` $inner
    `ins` `(` ($inputs^ `:` type($inputs))? `)`
    (`init` `(` $init^ `:` type($init) `)`)?
    `outs` `(` custom<OptionalTypeList>(type($outs)) `)` (`final` `(` type($final)^ `)`)?
    attr-dict-with-keyword
    `row` $row `elem` $elem `contrib` $contrib `out` $out
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
}

def Ssm_StepOp : Ssm_Op<"step", [Pure, IsolatedFromAbove]> {
  let summary = "one time step of a fused layer (decode): state in, outs and state out";
  let description = !strconcat([{
    Produced by `--ssm-derive-step` from `ssm.fused`, with the same regions and
    the same region conventions, for a single step: `inputs` have no `L` axis,
    `h` is the state before the step and `h_next` after it; `outs` have the row
    dims. `contrib` sees the updated state.
  }], Ssm_FusedRegionsDoc, [{

    ```mlir
    %y, %h1 = ssm.step "h" rows ["D"] inner "N"
        ins(%x, %A : tensor<4xf32, #ssm.dims<["D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
        state(%h : tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
        outs(tensor<4xf32, #ssm.dims<["D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
    row {
    ^bb0(%x: f32, %a: f32):
      ssm.yield
    } elem {
    ^bb0(%x: f32, %a: f32):
      %e = math.exp %a : f32
      ssm.yield %e, %x : f32, f32
    } contrib {
    ^bb0(%x: f32, %a: f32, %h: f32):
      ssm.yield %h : f32
    } out {
    ^bb0(%x: f32, %a: f32, %s: f32):
      ssm.yield %s : f32
    }
    ```
  }]);
  let arguments = (ins
    StrAttr:$state, StrArrayAttr:$rows, StrAttr:$inner,
    OptionalAttr<Ssm_FactsAttr>:$facts, OptionalAttr<DictionaryAttr>:$groups,
    OptionalAttr<I64Attr>:$dense_decay,
    Variadic<Ssm_Tensor>:$inputs, Ssm_Tensor:$h);
  let results = (outs Variadic<Ssm_Tensor>:$outs, Ssm_Tensor:$h_next);
  let regions = (region SizedRegion<1>:$row, SizedRegion<1>:$elem,
                 SizedRegion<1>:$contrib, SizedRegion<1>:$out);
  let assemblyFormat = [{
    $state `rows` $rows `inner` $inner
    `ins` `(` ($inputs^ `:` type($inputs))? `)`
    `state` `(` $h `:` type($h) `)`
    `outs` `(` custom<OptionalTypeList>(type($outs)) `)` `final` `(` type($h_next) `)`
    attr-dict-with-keyword
    `row` $row `elem` $elem `contrib` $contrib `out` $out
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scalar ops for region bodies
//===----------------------------------------------------------------------===//

class Ssm_UnaryF32Op<string mnemonic, string formula> : Ssm_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let arguments = (ins F32:$operand);
  let results = (outs F32:$result);
  let assemblyFormat = "$operand attr-dict `:` type($result)";
  let description = !strconcat("`", mnemonic, "(x) = ", formula, "` on an f32 scalar, for region bodies.\n\n",
    "```mlir\n%y = ssm.", mnemonic, " %x : f32\n```\n\n",
    "Lowered to `ssm::", mnemonic, "(x)` from the device headers.");
}

def Ssm_SoftplusOp : Ssm_UnaryF32Op<"softplus", "log(1 + exp(x))"> {
  let summary = "softplus, log(1 + exp(x))";
}
def Ssm_SiluOp : Ssm_UnaryF32Op<"silu", "x * sigmoid(x)"> {
  let summary = "SiLU (swish), x * sigmoid(x)";
}
def Ssm_SigmoidOp : Ssm_UnaryF32Op<"sigmoid", "1 / (1 + exp(-x))"> {
  let summary = "logistic sigmoid, 1 / (1 + exp(-x))";
}

#endif // SSM_OPS_TD
