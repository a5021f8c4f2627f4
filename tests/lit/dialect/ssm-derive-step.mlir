// --ssm-derive-step adds @<layer>_step: ins/outs without L, the state in and out, one ssm.step.
// RUN: ssm-opt %s --verify-diagnostics --ssm-derive-step | FileCheck %s

// CHECK-LABEL: ssm.layer @s(
// CHECK: ssm.fused
// CHECK-LABEL: ssm.layer @s_step(
// CHECK-SAME: %[[X:.*]]: tensor<4xf16, #ssm.dims<["D"]>> {ssm.name = "x", ssm.role = "in"}
// CHECK-SAME: %[[C:.*]]: tensor<2xf32, #ssm.dims<["N"]>> {ssm.name = "C", ssm.role = "in"}
// CHECK-SAME: %[[A:.*]]: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.name = "A", ssm.role = "param"}
// CHECK-SAME: %[[H:.*]]: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.name = "h", ssm.role = "state_init"}
// CHECK-SAME: -> (tensor<4xf16, #ssm.dims<["D"]>> {ssm.name = "y", ssm.role = "out"}, tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.name = "h", ssm.role = "state_final"})
// CHECK-SAME: attributes {dims = #ssm.sizes<D = 4, N = 2>, facts = #ssm.facts<lti>, step_of = @s}
// CHECK-NEXT: %[[Y:.*]], %[[H1:.*]] = ssm.step "h" rows ["D"] inner "N" ins(%[[X]], %[[C]], %[[A]] : tensor<4xf16, #ssm.dims<["D"]>>, tensor<2xf32, #ssm.dims<["N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>) state(%[[H]] : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) outs(tensor<4xf16, #ssm.dims<["D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>) attributes {facts = #ssm.facts<lti>} row {
// CHECK:      } elem {
// CHECK:        %[[E:.*]] = math.exp
// CHECK-NEXT:   ssm.yield %[[E]], %{{.*}} : f32, f32
// CHECK:      } contrib {
// CHECK:        arith.mulf
// CHECK:      } out {
// CHECK:      ssm.return %[[Y]], %[[H1]] : tensor<4xf16, #ssm.dims<["D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
ssm.layer @s(
    %x: tensor<?x4xf16, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %C: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "C"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %h0: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x4xf16, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>, facts = #ssm.facts<lti>} {
  %y, %hT = ssm.fused "h" rows ["D"] inner "N"
      ins(%x, %C, %A : tensor<?x4xf16, #ssm.dims<["L", "D"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      init(%h0 : tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      outs(tensor<?x4xf16, #ssm.dims<["L", "D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      attributes {facts = #ssm.facts<lti>}
  row {
  ^bb0(%xv: f32, %c: f32, %a: f32):
    ssm.yield
  } elem {
  ^bb0(%xv: f32, %c: f32, %a: f32):
    %e = math.exp %a : f32
    ssm.yield %e, %xv : f32, f32
  } contrib {
  ^bb0(%xv: f32, %c: f32, %a: f32, %h: f32):
    %t = arith.mulf %c, %h : f32
    ssm.yield %t : f32
  } out {
  ^bb0(%xv: f32, %c: f32, %a: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return %y, %hT : tensor<?x4xf16, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// A layer that already has its step layer gets no second one.
// CHECK-LABEL: ssm.layer @has_step(
// CHECK-LABEL: ssm.layer @has_step_step(
// CHECK-NOT: ssm.layer @has_step_step_
ssm.layer @has_step(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return %y : tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}
ssm.layer @has_step_step(
    %x: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>, step_of = @has_step} {
  ssm.return %x : tensor<4xf32, #ssm.dims<["D"]>>
}

// CHECK-LABEL: ssm.layer @unfused(
// expected-remark @+1 {{no step layer for @unfused: it is not fused}}
ssm.layer @unfused(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<>} {
  ssm.return %x : tensor<?xf32, #ssm.dims<["L"]>>
}
// CHECK-NOT: @unfused_step
