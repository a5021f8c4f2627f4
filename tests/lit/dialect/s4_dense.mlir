// S4 with a dense (HiPPO-LegS) state matrix through the pipeline: not fusable by the diagonal
// kernel family, so it stays unfused with remarks, and gets no step layer. Classification still runs.
// RUN: ssm-opt %s --ssm-pipeline --verify-diagnostics | FileCheck %s

// CHECK-LABEL: ssm.layer @s4(
// CHECK-SAME: facts = #ssm.facts<lti>
// CHECK: ssm.scan "h" dense
// CHECK: ssm.project
// CHECK-NOT: ssm.fused
// CHECK-NOT: ssm.layer @s4_step
// expected-remark @+1 {{no step layer for @s4: it is not fused}}
ssm.layer @s4(
    %u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
    %A: tensor<4x4xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %B: tensor<4xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "B"},
    %C: tensor<4xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "C"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<N = 4>} {
  %bu = ssm.map %B, %u : (tensor<4xf32, #ssm.dims<["N"]>>, tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "N"]>> {
  ^bb0(%b: f32, %x: f32):
    %m = arith.mulf %b, %x : f32
    ssm.yield %m : f32
  }
  // expected-remark @+1 {{not fused: state 'h' has a dense decay (A @ h); the fused kernels are diagonal (the dense and convolution paths are not implemented yet)}}
  %hs = ssm.scan "h" dense decay(%A : tensor<4x4xf32, #ssm.dims<["N", "N"]>>) input(%bu : tensor<?x4xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "N"]>>
  %y = ssm.project %hs, %C over "N" : tensor<?x4xf32, #ssm.dims<["L", "N"]>>, tensor<4xf32, #ssm.dims<["N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}
