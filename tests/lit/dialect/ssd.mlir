// Mamba-2 SSD as in stdlib/mamba2_ssd.ssm: state [H, P, N], one decay per head and step, B and C
// in G = 1 group shared by all heads, bf16 storage. One ssm.fused with rows [H, P] and
// groups = {G = "H"}; the decay is a row value (computed once per row and step); bf16 per-step
// inputs and N = 128 select the tensor-core form ("ssd"); a step layer.
// RUN: ssm-opt %s --ssm-pipeline | FileCheck %s --implicit-check-not=ssm.fused --implicit-check-not=ssm.scan --implicit-check-not=ssm.map --implicit-check-not=ssm.group --implicit-check-not='#ssm.dims<["L", "H", "P", "N"]>'
// RUN: ssm-opt %s --ssm-pipeline | ssm-opt --ssm-print-cpp -o /dev/null | FileCheck %s --check-prefix=CPP

// CHECK-LABEL: ssm.layer @ssd(
// CHECK-SAME: facts = #ssm.facts<selective, scalar_decay>
// CHECK-NEXT: ssm.fused "h" rows ["H", "P"] inner "N"
// CHECK-SAME: outs(tensor<?x80x64xbf16, #ssm.dims<["L", "H", "P"]>>) final(tensor<80x64x128xf32, #ssm.dims<["H", "P", "N"]>>)
// CHECK-SAME: attributes {facts = #ssm.facts<selective, scalar_decay>, groups = {G = "H"}, strategy = "ssd"}
// CHECK: math.exp
// CHECK: ssm.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK-NEXT: } elem {
// CHECK-NEXT: ^bb0({{.*}}, %[[DECAY:.*]]: f32, %{{.*}}: f32):
// CHECK-NOT: math.exp
// CHECK: ssm.yield %[[DECAY]], %{{.*}} : f32, f32
// CHECK-LABEL: ssm.layer @ssd_step(
// CHECK-SAME: -> (tensor<80x64xbf16, #ssm.dims<["H", "P"]>> {ssm.name = "y", ssm.role = "out"}
// CHECK-NEXT: ssm.step "h" rows ["H", "P"] inner "N"
// CHECK-SAME: groups = {G = "H"}

// CPP: void ssd_row(
// CPP: expf(
// CPP: void ssd_elem(
// CPP-NOT: expf(
// CPP: void ssd_contrib(

ssm.layer @ssd(
    %x: tensor<?x80x64xbf16, #ssm.dims<["L", "H", "P"]>> {ssm.role = "in", ssm.name = "x"},
    %dt: tensor<?x80xbf16, #ssm.dims<["L", "H"]>> {ssm.role = "in", ssm.name = "dt"},
    %Bg: tensor<?x1x128xbf16, #ssm.dims<["L", "G", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %Cg: tensor<?x1x128xbf16, #ssm.dims<["L", "G", "N"]>> {ssm.role = "in", ssm.name = "C"},
    %A: tensor<80xf32, #ssm.dims<["H"]>> {ssm.role = "param", ssm.name = "A"},
    %Dskip: tensor<80xf32, #ssm.dims<["H"]>> {ssm.role = "param", ssm.name = "Dskip"},
    %dt_bias: tensor<80xf32, #ssm.dims<["H"]>> {ssm.role = "param", ssm.name = "dt_bias"},
    %h0: tensor<80x64x128xf32, #ssm.dims<["H", "P", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x80x64xbf16, #ssm.dims<["L", "H", "P"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<80x64x128xf32, #ssm.dims<["H", "P", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<H = 80, P = 64, N = 128, G = 1>} {
  %B = ssm.group %Bg, "G" -> "H" : tensor<?x1x128xbf16, #ssm.dims<["L", "G", "N"]>> -> tensor<?x80x128xbf16, #ssm.dims<["L", "H", "N"]>>
  %C = ssm.group %Cg, "G" -> "H" : tensor<?x1x128xbf16, #ssm.dims<["L", "G", "N"]>> -> tensor<?x80x128xbf16, #ssm.dims<["L", "H", "N"]>>
  %delta = ssm.map %dt, %dt_bias : (tensor<?x80xbf16, #ssm.dims<["L", "H"]>>, tensor<80xf32, #ssm.dims<["H"]>>) -> tensor<?x80xf32, #ssm.dims<["L", "H"]>> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    %sp = ssm.softplus %s : f32
    ssm.yield %sp : f32
  }
  %dA, %dB = ssm.discretize "zoh" %delta, %A, %B : (tensor<?x80xf32, #ssm.dims<["L", "H"]>>, tensor<80xf32, #ssm.dims<["H"]>>, tensor<?x80x128xbf16, #ssm.dims<["L", "H", "N"]>>) -> (tensor<?x80xf32, #ssm.dims<["L", "H"]>>, tensor<?x80x128xf32, #ssm.dims<["L", "H", "N"]>>) {
  ^bb0(%d: f32, %a: f32, %b: f32):
    %da = arith.mulf %d, %a : f32
    %e = math.exp %da : f32
    %db = arith.mulf %d, %b : f32
    ssm.yield %e, %db : f32, f32
  }
  %bx = ssm.map %dB, %x : (tensor<?x80x128xf32, #ssm.dims<["L", "H", "N"]>>, tensor<?x80x64xbf16, #ssm.dims<["L", "H", "P"]>>) -> tensor<?x80x64x128xf32, #ssm.dims<["L", "H", "P", "N"]>> {
  ^bb0(%b: f32, %v: f32):
    %m = arith.mulf %b, %v : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%dA : tensor<?x80xf32, #ssm.dims<["L", "H"]>>) input(%bx : tensor<?x80x64x128xf32, #ssm.dims<["L", "H", "P", "N"]>>) init(%h0 : tensor<80x64x128xf32, #ssm.dims<["H", "P", "N"]>>) -> tensor<?x80x64x128xf32, #ssm.dims<["L", "H", "P", "N"]>>, tensor<80x64x128xf32, #ssm.dims<["H", "P", "N"]>>
  %yc = ssm.project %hs, %C over "N" : tensor<?x80x64x128xf32, #ssm.dims<["L", "H", "P", "N"]>>, tensor<?x80x128xbf16, #ssm.dims<["L", "H", "N"]>> -> tensor<?x80x64xf32, #ssm.dims<["L", "H", "P"]>>
  %y = ssm.map %yc, %Dskip, %x : (tensor<?x80x64xf32, #ssm.dims<["L", "H", "P"]>>, tensor<80xf32, #ssm.dims<["H"]>>, tensor<?x80x64xbf16, #ssm.dims<["L", "H", "P"]>>) -> tensor<?x80x64xf32, #ssm.dims<["L", "H", "P"]>> {
  ^bb0(%s: f32, %dk: f32, %v: f32):
    %dx = arith.mulf %dk, %v : f32
    %o = arith.addf %s, %dx : f32
    ssm.yield %o : f32
  }
  ssm.return %y, %hT : tensor<?x80x64xf32, #ssm.dims<["L", "H", "P"]>>, tensor<80x64x128xf32, #ssm.dims<["H", "P", "N"]>>
}
