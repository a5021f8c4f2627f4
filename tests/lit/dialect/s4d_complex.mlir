// S4D with complex (c64) diagonal state: LTI, time-invariant complex decay, real output
// 2 * re(sum[N](C * h)) + Dskip * u. One ssm.fused with a complex<f32> state, and a step layer.
// RUN: ssm-opt %s --ssm-pipeline | FileCheck %s --implicit-check-not=ssm.fused --implicit-check-not=ssm.scan --implicit-check-not=ssm.map --implicit-check-not='#ssm.dims<["L", "D", "N"]>'
// RUN: ssm-opt %s --ssm-pipeline | ssm-opt --ssm-print-cpp -o /dev/null | FileCheck %s --check-prefix=CPP

// CHECK-LABEL: ssm.layer @s4d(
// CHECK-SAME: facts = #ssm.facts<lti>
// CHECK-NEXT: ssm.fused "h" rows ["D"] inner "N"
// CHECK-SAME: final(tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>) attributes {facts = #ssm.facts<lti>, strategy = "chunked"}
// CHECK: } elem {
// CHECK: complex.exp
// CHECK: ssm.yield %{{.*}}, %{{.*}} : complex<f32>, complex<f32>
// CHECK: } contrib {
// CHECK-NEXT: ^bb0({{.*}}, %[[H:.*]]: complex<f32>):
// CHECK-NEXT: complex.mul %[[H]]
// CHECK: } out {
// CHECK: complex.re
// CHECK-LABEL: ssm.layer @s4d_step(
// CHECK-NEXT: ssm.step "h" rows ["D"] inner "N"

// CPP: void s4d_elem({{.*}}ssm::cfloat* {{v[0-9]+}}, ssm::cfloat* {{v[0-9]+}})
// CPP: ssm::cexp(
// CPP: void s4d_contrib(
// CPP: ssm::cmul(
// CPP: void s4d_out(
// CPP: ssm::creal(

ssm.layer @s4d(
    %u: tensor<?x256xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "u"},
    %log_dt: tensor<256xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "log_dt"},
    %A: tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %C: tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "C"},
    %Dskip: tensor<256xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "Dskip"},
    %h0: tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x256xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 256, N = 32>} {
  %dt = ssm.map %log_dt : (tensor<256xf32, #ssm.dims<["D"]>>) -> tensor<256xf32, #ssm.dims<["D"]>> {
  ^bb0(%a: f32):
    %e = math.exp %a : f32
    ssm.yield %e : f32
  }
  %dA, %dB = ssm.discretize "zoh" %dt, %A : (tensor<256xf32, #ssm.dims<["D"]>>, tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>) -> (tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>, tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>) {
  ^bb0(%d: f32, %a: complex<f32>):
    %zero = arith.constant 0.0 : f32
    %dc = complex.create %d, %zero : complex<f32>
    %da = complex.mul %dc, %a : complex<f32>
    %e = complex.exp %da : complex<f32>
    %one = complex.constant [1.0 : f32, 0.0 : f32] : complex<f32>
    %em1 = complex.sub %e, %one : complex<f32>
    %q = complex.div %em1, %a : complex<f32>
    ssm.yield %e, %q : complex<f32>, complex<f32>
  }
  %bu = ssm.map %dB, %u : (tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>, tensor<?x256xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x256x32xcomplex<f32>, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%b: complex<f32>, %x: f32):
    %zero = arith.constant 0.0 : f32
    %xc = complex.create %x, %zero : complex<f32>
    %m = complex.mul %b, %xc : complex<f32>
    ssm.yield %m : complex<f32>
  }
  %hs, %hT = ssm.scan "h" decay(%dA : tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>) input(%bu : tensor<?x256x32xcomplex<f32>, #ssm.dims<["L", "D", "N"]>>) init(%h0 : tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>) -> tensor<?x256x32xcomplex<f32>, #ssm.dims<["L", "D", "N"]>>, tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>
  %yc = ssm.project %hs, %C over "N" : tensor<?x256x32xcomplex<f32>, #ssm.dims<["L", "D", "N"]>>, tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>> -> tensor<?x256xcomplex<f32>, #ssm.dims<["L", "D"]>>
  %y = ssm.map %yc, %Dskip, %u : (tensor<?x256xcomplex<f32>, #ssm.dims<["L", "D"]>>, tensor<256xf32, #ssm.dims<["D"]>>, tensor<?x256xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x256xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%s: complex<f32>, %dk: f32, %x: f32):
    %re = complex.re %s : complex<f32>
    %two = arith.constant 2.0 : f32
    %r2 = arith.mulf %re, %two : f32
    %dx = arith.mulf %dk, %x : f32
    %o = arith.addf %r2, %dx : f32
    ssm.yield %o : f32
  }
  ssm.return %y, %hT : tensor<?x256xf32, #ssm.dims<["L", "D"]>>, tensor<256x32xcomplex<f32>, #ssm.dims<["D", "N"]>>
}
