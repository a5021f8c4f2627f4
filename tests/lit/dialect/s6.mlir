// Mamba S6 (selective, diagonal) as MLIRGen emits it, through the whole ssm pipeline:
// exactly one ssm.fused, no ssm.scan or ssm.map left, no [L, D, N] tensor, and a step layer.
// RUN: ssm-opt %s --ssm-pipeline | FileCheck %s --implicit-check-not=ssm.fused --implicit-check-not=ssm.scan --implicit-check-not=ssm.map --implicit-check-not='#ssm.dims<["L", "D", "N"]>'
// RUN: ssm-opt %s --ssm-pipeline | ssm-opt --ssm-print-cpp -o /dev/null | FileCheck %s --check-prefix=CPP

// CHECK-LABEL: ssm.layer @selective_scan(
// CHECK-SAME: attributes {dims = #ssm.sizes<D = 1536, N = 16>, facts = #ssm.facts<selective>}
// CHECK-NEXT: %[[Y:.*]], %[[HT:.*]] = ssm.fused "h" rows ["D"] inner "N"
// CHECK-SAME: attributes {facts = #ssm.facts<selective>, strategy = "chunked"}
// CHECK: ssm.softplus
// CHECK: math.exp
// CHECK: ssm.silu
// CHECK: ssm.return %[[Y]], %[[HT]]
// CHECK-LABEL: ssm.layer @selective_scan_step(
// CHECK-SAME: step_of = @selective_scan
// CHECK-NEXT: ssm.step "h" rows ["D"] inner "N"
// CHECK: ssm.return

// CPP: void selective_scan_row(
// CPP: ssm::softplus(
// CPP: void selective_scan_elem(
// CPP: expf(
// CPP: void selective_scan_contrib(
// CPP: void selective_scan_out(
// CPP: ssm::silu(
// CPP: void selective_scan_step_row(
// CPP: void selective_scan_step_out(

ssm.layer @selective_scan(
    %x: tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %dt: tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "dt"},
    %B: tensor<?x16xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %C: tensor<?x16xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "C"},
    %z: tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "z"},
    %A: tensor<1536x16xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %Dskip: tensor<1536xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "Dskip"},
    %dt_bias: tensor<1536xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "dt_bias"},
    %h0: tensor<1536x16xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<1536x16xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 1536, N = 16>} {
  %0 = ssm.map %dt, %dt_bias : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<1536xf32, #ssm.dims<["D"]>>) -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    ssm.yield %s : f32
  }
  %delta = ssm.map %0 : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %s = ssm.softplus %a : f32
    ssm.yield %s : f32
  }
  %Ab, %Bb = ssm.discretize "zoh" %delta, %A, %B : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<1536x16xf32, #ssm.dims<["D", "N"]>>, tensor<?x16xf32, #ssm.dims<["L", "N"]>>) -> (tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>) {
  ^bb0(%d: f32, %a: f32, %b: f32):
    %da = arith.mulf %d, %a : f32
    %e = math.exp %da : f32
    %one = arith.constant 1.0 : f32
    %em1 = arith.subf %e, %one : f32
    %q = arith.divf %em1, %a : f32
    %bb = arith.mulf %q, %b : f32
    ssm.yield %e, %bb : f32, f32
  }
  %bx = ssm.map %Bb, %x : (tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%Ab : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>) input(%bx : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>) init(%h0 : tensor<1536x16xf32, #ssm.dims<["D", "N"]>>) -> tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<1536x16xf32, #ssm.dims<["D", "N"]>>
  %yc = ssm.project %hs, %C over "N" : tensor<?x1536x16xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x16xf32, #ssm.dims<["L", "N"]>> -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>>
  %dx = ssm.map %Dskip, %x : (tensor<1536xf32, #ssm.dims<["D"]>>, tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  %y0 = ssm.map %yc, %dx : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.addf %a, %b : f32
    ssm.yield %m : f32
  }
  %sz = ssm.map %z : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %m = ssm.silu %a : f32
    ssm.yield %m : f32
  }
  %y = ssm.map %y0, %sz : (tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  ssm.return %y, %hT : tensor<?x1536xf32, #ssm.dims<["L", "D"]>>, tensor<1536x16xf32, #ssm.dims<["D", "N"]>>
}
