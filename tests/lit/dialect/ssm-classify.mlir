// --ssm-classify records selective / lti / scalar_decay on each layer.
// RUN: ssm-opt %s --split-input-file --verify-diagnostics --ssm-classify | FileCheck %s

// The decay depends on the in `dt`: selective.
// CHECK-LABEL: ssm.layer @decay_from_in
// CHECK-SAME: facts = #ssm.facts<selective>
ssm.layer @decay_from_in(
    %dt: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "dt"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %b: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "b"})
    -> (tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %a = ssm.map %dt, %A : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%d: f32, %x: f32):
    %m = arith.mulf %d, %x : f32
    %e = math.exp %m : f32
    ssm.yield %e : f32
  }
  %in = ssm.map %b : (tensor<4x2xf32, #ssm.dims<["D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%v: f32):
    ssm.yield %v : f32
  }
  %hs, %hT = ssm.scan "h" decay(%a : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) input(%in : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  ssm.return %hT : tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// -----

// The input is Bbar * x with a param Bbar [D, N] and x [L, D]: the in only
// drives the system, the layer is LTI (convolution mode possible).
// CHECK-LABEL: ssm.layer @lti
// CHECK-SAME: facts = #ssm.facts<lti>
ssm.layer @lti(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %B: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "B"})
    -> (tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %dA, %dB = ssm.discretize "euler" %A, %B : (tensor<4x2xf32, #ssm.dims<["D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>) -> (tensor<4x2xf32, #ssm.dims<["D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>) {
  ^bb0(%a: f32, %b: f32):
    %one = arith.constant 1.0 : f32
    %e = arith.addf %one, %a : f32
    ssm.yield %e, %b : f32, f32
  }
  %bx = ssm.map %dB, %x : (tensor<4x2xf32, #ssm.dims<["D", "N"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%b: f32, %v: f32):
    %m = arith.mulf %b, %v : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%dA : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) input(%bx : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  ssm.return %hT : tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// -----

// Same decay, but the input coefficient B [L, N] is an in: selective.
// CHECK-LABEL: ssm.layer @input_coefficient_from_in
// CHECK-SAME: facts = #ssm.facts<selective>
ssm.layer @input_coefficient_from_in(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %B: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %bx = ssm.map %B, %x : (tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%b: f32, %v: f32):
    %m = arith.mulf %b, %v : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%A : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) input(%bx : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  ssm.return %hT : tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// -----

// One decay per head and step ([L, H] for a state [H, P, N]): scalar_decay.
// CHECK-LABEL: ssm.layer @per_head
// CHECK-SAME: facts = #ssm.facts<selective, scalar_decay>
ssm.layer @per_head(
    %dt: tensor<?x2xf32, #ssm.dims<["L", "H"]>> {ssm.role = "in", ssm.name = "dt"},
    %b: tensor<?x2x4x8xf32, #ssm.dims<["L", "H", "P", "N"]>> {ssm.role = "in", ssm.name = "b"})
    -> (tensor<2x4x8xf32, #ssm.dims<["H", "P", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<H = 2, P = 4, N = 8>} {
  %hs, %hT = ssm.scan "h" decay(%dt : tensor<?x2xf32, #ssm.dims<["L", "H"]>>) input(%b : tensor<?x2x4x8xf32, #ssm.dims<["L", "H", "P", "N"]>>) -> tensor<?x2x4x8xf32, #ssm.dims<["L", "H", "P", "N"]>>, tensor<2x4x8xf32, #ssm.dims<["H", "P", "N"]>>
  ssm.return %hT : tensor<2x4x8xf32, #ssm.dims<["H", "P", "N"]>>
}

// -----

// No state: no facts.
// CHECK-LABEL: ssm.layer @stateless
// CHECK-NOT: facts
ssm.layer @stateless(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<>} {
  ssm.return %x : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// Facts from the front end that classification contradicts are an error.
// expected-error @+1 {{layer @claimed_lti is not marked selective but classification finds it is: the decay of state 'h' depends on in 'dt'}}
ssm.layer @claimed_lti(
    %dt: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "dt"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<N = 2>, facts = #ssm.facts<lti>} {
  %hs, %hT = ssm.scan "h" decay(%dt : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%dt : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return %hT : tensor<2xf32, #ssm.dims<["N"]>>
}

// -----

// expected-error @+1 {{layer @claimed_scalar is marked scalar_decay but classification finds it is not}}
ssm.layer @claimed_scalar(
    %u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
    %A: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<N = 2>, facts = #ssm.facts<lti, scalar_decay>} {
  %b = ssm.map %A, %u : (tensor<2xf32, #ssm.dims<["N"]>>, tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>> {
  ^bb0(%a: f32, %v: f32):
    %m = arith.mulf %a, %v : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%A : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return %hT : tensor<2xf32, #ssm.dims<["N"]>>
}
