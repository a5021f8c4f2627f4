// Layers --ssm-fuse cannot fuse: each is left as it is, with a remark that says why.
// RUN: ssm-opt %s --split-input-file --verify-diagnostics --ssm-fuse | FileCheck %s

// CHECK-LABEL: ssm.layer @two_states
// CHECK-COUNT-2: ssm.scan
// CHECK-NOT: ssm.fused
ssm.layer @two_states(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"},
        tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "g"})
    attributes {dims = #ssm.sizes<N = 2>} {
  %hs, %hT = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  // expected-remark @+1 {{not fused: layer @two_states has 2 states ('h', 'g'); the diagonal kernel family carries one state}}
  %gs, %gT = ssm.scan "g" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return %hT, %gT : tensor<2xf32, #ssm.dims<["N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
}

// -----

// A matrix op feeding a diagonal decay: matrix ops are setup for a dense decay only.
// CHECK-LABEL: ssm.layer @matrix_for_diagonal
// CHECK: ssm.scan "h" decay
ssm.layer @matrix_for_diagonal(
    %b: tensor<?x3xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<3x3xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %v: tensor<3xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "v"})
    -> (tensor<3xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<N = 3>} {
  // expected-remark @+1 {{not fused: ssm.matmul computes a matrix, but state 'h' has a diagonal decay; matrix ops are supported for a dense decay (A @ h) only}}
  %a = ssm.matmul %A, %v : tensor<3x3xf32, #ssm.dims<["N", "N"]>>, tensor<3xf32, #ssm.dims<["N"]>> -> tensor<3xf32, #ssm.dims<["N"]>>
  %hs, %hT = ssm.scan "h" decay(%a : tensor<3xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x3xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x3xf32, #ssm.dims<["L", "N"]>>, tensor<3xf32, #ssm.dims<["N"]>>
  ssm.return %hT : tensor<3xf32, #ssm.dims<["N"]>>
}

// -----

// CHECK-LABEL: ssm.layer @keeps_inner_dim
// CHECK: ssm.scan
ssm.layer @keeps_inner_dim(
    %b: tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {ssm.role = "out", ssm.name = "hs"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %hs = ssm.scan "h" decay(%A : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) input(%b : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>
  // expected-remark @+1 {{not fused: out 'hs' keeps the inner dim N of state 'h' (it is never reduced)}}
  ssm.return %hs : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>
}

// -----

// CHECK-LABEL: ssm.layer @reduces_row_dim
// CHECK: ssm.project
ssm.layer @reduces_row_dim(
    %b: tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %C: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "C"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %hs = ssm.scan "h" decay(%A : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) input(%b : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>
  // expected-remark @+1 {{not fused: reduction over D, which is not the last dim N of state 'h' [D, N]}}
  %y = ssm.project %hs, %C over "D" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>> -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return %y : tensor<?x2xf32, #ssm.dims<["L", "N"]>>
}

// -----

// CHECK-LABEL: ssm.layer @final_state_reused
ssm.layer @final_state_reused(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<N = 2>} {
  %hs, %hT = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  // expected-remark @+1 {{not fused: the final value of state 'h' is used by ssm.map; it can only be a result}}
  %twice = ssm.map %hT : (tensor<2xf32, #ssm.dims<["N"]>>) -> tensor<2xf32, #ssm.dims<["N"]>> {
  ^bb0(%v: f32):
    %m = arith.addf %v, %v : f32
    ssm.yield %m : f32
  }
  ssm.return %twice : tensor<2xf32, #ssm.dims<["N"]>>
}

// -----

// CHECK-LABEL: ssm.layer @computed_init
ssm.layer @computed_init(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<N = 2>} {
  // expected-remark @+1 {{not fused: the initial value of state 'h' is computed; it must be a state_init argument}}
  %hs, %hT = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) init(%A : tensor<2xf32, #ssm.dims<["N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return %hT : tensor<2xf32, #ssm.dims<["N"]>>
}

// -----

// CHECK-LABEL: ssm.layer @foreign_dim
ssm.layer @foreign_dim(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %k: tensor<3xf32, #ssm.dims<["K"]>> {ssm.role = "param", ssm.name = "k"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<K = 3, N = 2>} {
  %hs, %hT = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  // expected-remark @+1 {{not fused: ssm.map computes a value with dims [K, N]; the fused kernel only indexes L and the dims of state 'h' [N]}}
  %kn = ssm.map %k, %A : (tensor<3xf32, #ssm.dims<["K"]>>, tensor<2xf32, #ssm.dims<["N"]>>) -> tensor<3x2xf32, #ssm.dims<["K", "N"]>> {
  ^bb0(%u: f32, %v: f32):
    %m = arith.mulf %u, %v : f32
    ssm.yield %m : f32
  }
  ssm.return %hT : tensor<2xf32, #ssm.dims<["N"]>>
}

// -----

// CHECK-LABEL: ssm.layer @out_without_row_dim
ssm.layer @out_without_row_dim(
    %b: tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %g: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "g"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "gate"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %hs = ssm.scan "h" decay(%A : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) input(%b : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>
  // expected-remark @+1 {{not fused: out 'gate' has dims [L] but the fused kernel writes one value per row and step [L, D]}}
  ssm.return %g : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// CHECK-LABEL: ssm.layer @sum_feeds_state
ssm.layer @sum_feeds_state(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<N = 2>} {
  %hs = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  %s = ssm.reduce %hs over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  // expected-remark @+1 {{not fused: a value combines a sum over N with the state 'h' again; the kernel sums over N after all terms are known}}
  %t = ssm.map %hs, %s : (tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>> {
  ^bb0(%h: f32, %v: f32):
    %m = arith.mulf %h, %v : f32
    ssm.yield %m : f32
  }
  %y = ssm.reduce %t over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// CHECK-LABEL: ssm.layer @reduce_before_scan
ssm.layer @reduce_before_scan(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"},
        tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "norm"})
    attributes {dims = #ssm.sizes<N = 2>} {
  %hs, %hT = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  // expected-remark @+1 {{not fused: a reduction over N before the scan (of values that do not depend on the state) is not fusable}}
  %n = ssm.reduce %b over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return %hT, %n : tensor<2xf32, #ssm.dims<["N"]>>, tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// CHECK-LABEL: ssm.layer @quadratic
ssm.layer @quadratic(
    %b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<N = 2>} {
  %hs = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  // expected-remark @+1 {{not fused: both operands of the contraction depend on the state 'h'}}
  %y = ssm.project %hs, %hs over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// CHECK-LABEL: ssm.layer @stateless
// expected-remark @+1 {{not fused: layer @stateless has no state (no ssm.scan)}}
ssm.layer @stateless(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<>} {
  ssm.return %x : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// CHECK-LABEL: ssm.layer @group_to_inner_dim
ssm.layer @group_to_inner_dim(
    %b: tensor<?x2x4xf32, #ssm.dims<["L", "H", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %c: tensor<?x2xf32, #ssm.dims<["L", "G"]>> {ssm.role = "in", ssm.name = "c"},
    %A: tensor<2x4xf32, #ssm.dims<["H", "N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<?x2xf32, #ssm.dims<["L", "H"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<G = 2, H = 2, N = 4>} {
  %hs = ssm.scan "h" decay(%A : tensor<2x4xf32, #ssm.dims<["H", "N"]>>) input(%b : tensor<?x2x4xf32, #ssm.dims<["L", "H", "N"]>>) -> tensor<?x2x4xf32, #ssm.dims<["L", "H", "N"]>>
  // expected-remark @+1 {{not fused: ssm.group maps G to N, which is not a row dim of state 'h' [H]}}
  %cn = ssm.group %c, "G" -> "N" : tensor<?x2xf32, #ssm.dims<["L", "G"]>> -> tensor<?x4xf32, #ssm.dims<["L", "N"]>>
  %y = ssm.project %hs, %cn over "N" : tensor<?x2x4xf32, #ssm.dims<["L", "H", "N"]>>, tensor<?x4xf32, #ssm.dims<["L", "N"]>> -> tensor<?x2xf32, #ssm.dims<["L", "H"]>>
  ssm.return %y : tensor<?x2xf32, #ssm.dims<["L", "H"]>>
}
