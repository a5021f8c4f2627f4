// S4 with a dense state matrix through the whole pipeline: the time-invariant setup (here
// inv(I - A) @ B as Bb, A itself as the decay) stays before one ssm.fused in the dense form
// (dense_decay names the decay input; elem yields the input term only), strategy "dense", and
// the step layer clones the setup beside its ssm.step.
// RUN: ssm-opt %s --ssm-pipeline | FileCheck %s

// CHECK-LABEL: ssm.layer @s4(
// CHECK-SAME: facts = #ssm.facts<lti>
// CHECK: %[[I:.*]] = ssm.eye
// CHECK: %[[X:.*]] = ssm.map %[[I]], %arg1
// CHECK: %[[M:.*]] = ssm.inv %[[X]]
// CHECK: %[[BB:.*]] = ssm.matmul %[[M]], %arg2
// CHECK-NOT: ssm.scan
// CHECK: ssm.fused "h" rows [] inner "N" ins(%arg0, %arg1, %arg3, %[[BB]] :
// CHECK-SAME: dense_decay = 1 : i64
// CHECK-SAME: strategy = "dense"
// CHECK: } elem {
// CHECK: ssm.yield %{{[^,]*}} : f32
// CHECK-NEXT: } contrib {
// CHECK-NOT: ssm.scan
// CHECK-LABEL: ssm.layer @s4_step(
// CHECK: ssm.inv
// CHECK: ssm.matmul
// CHECK: ssm.step "h" rows [] inner "N"
// CHECK-SAME: dense_decay = 1 : i64
ssm.layer @s4(
    %u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
    %A: tensor<4x4xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %B: tensor<4xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "B"},
    %C: tensor<4xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "C"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<N = 4>} {
  %I = ssm.eye : tensor<4x4xf32, #ssm.dims<["N", "N"]>>
  %X = ssm.map %I, %A : (tensor<4x4xf32, #ssm.dims<["N", "N"]>>, tensor<4x4xf32, #ssm.dims<["N", "N"]>>) -> tensor<4x4xf32, #ssm.dims<["N", "N"]>> {
  ^bb0(%i: f32, %a: f32):
    %d = arith.subf %i, %a : f32
    ssm.yield %d : f32
  }
  %M = ssm.inv %X : tensor<4x4xf32, #ssm.dims<["N", "N"]>>
  %Bb = ssm.matmul %M, %B : tensor<4x4xf32, #ssm.dims<["N", "N"]>>, tensor<4xf32, #ssm.dims<["N"]>> -> tensor<4xf32, #ssm.dims<["N"]>>
  %bu = ssm.map %Bb, %u : (tensor<4xf32, #ssm.dims<["N"]>>, tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "N"]>> {
  ^bb0(%b: f32, %x: f32):
    %m = arith.mulf %b, %x : f32
    ssm.yield %m : f32
  }
  %hs = ssm.scan "h" dense decay(%A : tensor<4x4xf32, #ssm.dims<["N", "N"]>>) input(%bu : tensor<?x4xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "N"]>>
  %y = ssm.project %hs, %C over "N" : tensor<?x4xf32, #ssm.dims<["L", "N"]>>, tensor<4xf32, #ssm.dims<["N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}
