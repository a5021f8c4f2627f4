// Passes over the ssm dialect: classify, fuse, derive-step, select-strategy, lower-to-emitc.
#ifndef SSM_PASSES_TD
#define SSM_PASSES_TD

include "mlir/Pass/PassBase.td"

def SsmClassify : Pass<"ssm-classify", "::mlir::ModuleOp"> {
  let summary = "Compute the facts of each layer (selective, lti, scalar_decay)";
  let description = [{
    For every `ssm.layer` with a scan, computes:

    - `selective`: the decay depends on an `in` tensor, or the scan input has an
      in-dependent factor with a dim outside `L` and the row dims (the input
      `b_t` is split into multiplicative factors through `arith.mulf` /
      `complex.mul` across map and discretize regions; factors free of `in` are
      the input coefficient, the rest the driving signal). `B_t * x_t` with
      `B_t: [L, N]` is selective; `Bbar * x_t` with a param `Bbar: [D, N]` and
      `x: [L, D]` is not.
    - `lti`: has a state and is not selective.
    - `scalar_decay`: every scan's decay has no dim other than `L` and the
      state's dims before the last two (one value per head: `[L, H]` for a state
      `[H, P, N]`).

    Before: `ssm.layer @s6(...) attributes {dims = #ssm.sizes<D = 4, N = 2>}`.
    After: `... attributes {dims = ..., facts = #ssm.facts<selective>}`.

    Facts already on the layer (from the front end) are confirmed: a
    disagreement is an error that names the fact. A layer without a scan gets
    no facts.
  }];
}

def SsmFuse : Pass<"ssm-fuse", "::mlir::ModuleOp"> {
  let summary = "Fuse discretize -> scan -> project and the elementwise ops into one ssm.fused";
  let description = [{
    Rewrites a layer whose one diagonal scan feeds only contractions over the
    state's last (inner) dim into a single `ssm.fused` op: values computed per
    row and step go to the `row` region, the scan's decay and input to `elem`,
    the terms of each `ssm.project`/`ssm.reduce` over the inner dim to
    `contrib`, and what the outs compute from the sums to `out`. The state
    sequence is never materialized.

    A dense scan (`A @ h`) gives the dense form (`dense_decay`): its
    time-invariant setup (`ssm.eye`, `ssm.inv`, `ssm.matmul` and maps of
    params) stays before the fused op, which takes the results as inputs.

    A layer that does not fit is left as it is with a remark
    `not fused: <why>`: more than one state; a matrix op with a diagonal
    decay or on a value that depends on the state; a reduction over a dim other than the state's inner dim; an out that keeps
    the inner dim or lacks a row dim; a value with a dim the state does not
    have; the final state used other than as a result; a computed initial
    state.
  }];
}

def SsmDeriveStep : Pass<"ssm-derive-step", "::mlir::ModuleOp"> {
  let summary = "Add the single-step (decode) layer of each fused layer";
  let description = [{
    For each layer `@name` holding an `ssm.fused`, adds a layer `@name_step`
    (with `step_of = @name`) whose `in` and `out` tensors lack `L`, which takes
    the state as a `state_init` argument and returns the next state, and whose
    body is one `ssm.step` with the fused op's regions. Layers that are not
    fused, or already have a step layer, are skipped.
  }];
}

def SsmSelectStrategy : Pass<"ssm-select-strategy", "::mlir::ModuleOp"> {
  let summary = "Pick the kernel strategy of each ssm.fused from a cost model over its dims";
  let description = [{
    The lane strategy gives one GPU lane to each (batch, row, n) and walks the
    whole sequence with the state in a register; it has no second pass, so it
    is best whenever it fills the GPU. `L` is unknown at compile time and so is
    the batch: with `batch` (assumed batch size) the lane count is
    `batch * rows * inner`, where `rows` is the product of the row dims. If it
    reaches `lanes` (default 132 SMs x 2048 resident threads of an H100 =
    270336) the strategy is `lane`; otherwise `chunked` (the sequence is cut
    into chunks scanned in parallel and a second pass carries the chunk-boundary
    states). `ssd` (tensor-core chunked form) is only taken when forced and
    needs `scalar_decay`.

    Before: `ssm.fused "h" rows ["D"] inner "N" ...` (D = 1536, N = 16).
    After: `ssm.fused ... attributes {strategy = "chunked"}` (24576 lanes).
  }];
  let options = [
    Option<"force", "force", "std::string", /*default=*/"\"\"",
           "Use this strategy for every fused op: lane, chunked or ssd">,
    Option<"batch", "batch", "int64_t", /*default=*/"1",
           "Batch size assumed by the cost model">,
    Option<"lanes", "lanes", "int64_t", /*default=*/"270336",
           "Lanes that fill the GPU (H100: 132 SMs x 2048 threads)">
  ];
}

def SsmLowerToEmitC : Pass<"ssm-lower-to-emitc", "::mlir::ModuleOp"> {
  let summary = "Turn each region of ssm.fused / ssm.step into an emitc.func";
  let description = [{
    For each `ssm.fused` / `ssm.step` in layer `@L`, adds at module level
    `emitc.func @L_row`, `@L_elem`, `@L_contrib`, `@L_out` (the step layer's
    name for `ssm.step`). Each takes, by value, the region's inputs that are
    available at its level (operand order), then the region's extra arguments
    (row values, state element, sums), then one `!emitc.ptr` per yielded value
    through which it writes the result. f32 prints as `float`, complex<f32> as
    `ssm::cfloat`. The ssm ops are left in place for the CUDA target.

    `arith` and `math` go through MLIR's conversions (C99 names such as
    `expf`); `complex` and the ssm scalar ops become calls to `ssm::` functions
    of the device headers (see dialect/README.md for the list).
  }];
  let options = [
    ListOption<"specifiers", "specifiers", "std::string",
               "Specifiers of every emitted function (default: static __device__ __forceinline__)">
  ];
  let dependentDialects = ["::mlir::emitc::EmitCDialect"];
}

#endif // SSM_PASSES_TD
