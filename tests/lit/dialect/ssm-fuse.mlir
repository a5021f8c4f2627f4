// --ssm-fuse: discretize -> scan -> project and the maps around them become one ssm.fused.
// RUN: ssm-opt %s --split-input-file --ssm-fuse | FileCheck %s

// Mamba S6 (hand-written MLIRGen output). Row values: delta = softplus(dt + dt_bias),
// computed once per row and step; elem: exp(delta * A) and the input term;
// contrib: C * h; out: (sum + Dskip * x) * silu(z).
// CHECK-LABEL: ssm.layer @selective_scan
// CHECK-NOT: ssm.map
// CHECK-NOT: ssm.scan
// CHECK: %[[Y:.*]], %[[HT:.*]] = ssm.fused "h" rows ["D"] inner "N"
// CHECK-SAME: ins(%arg0, %arg1, %arg2, %arg3, %arg4, %arg5, %arg6, %arg7 :
// CHECK-SAME: init(%arg8 : tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
// CHECK-SAME: outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
// CHECK-SAME: row {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[DT:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32, %[[Z:.*]]: f32, %[[A:.*]]: f32, %[[DS:.*]]: f32, %[[DTB:.*]]: f32):
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[DT]], %[[DTB]] : f32
// CHECK-NEXT:   %[[DELTA:.*]] = ssm.softplus %[[S]] : f32
// CHECK-NEXT:   ssm.yield %[[DELTA]] : f32
// CHECK-NEXT: } elem {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32, %[[B:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %[[A:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %[[DELTA:.*]]: f32):
// CHECK:        %[[DA:.*]] = arith.mulf %[[DELTA]], %[[A]] : f32
// CHECK-NEXT:   %[[E:.*]] = math.exp %[[DA]] : f32
// CHECK:        %[[BB:.*]] = arith.mulf %{{.*}}, %[[B]] : f32
// CHECK-NEXT:   %[[BX:.*]] = arith.mulf %[[BB]], %[[X]] : f32
// CHECK-NEXT:   ssm.yield %[[E]], %[[BX]] : f32, f32
// CHECK-NEXT: } contrib {
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %[[C:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %[[H:.*]]: f32):
// CHECK-NEXT:   %[[T:.*]] = arith.mulf %[[H]], %[[C]] : f32
// CHECK-NEXT:   ssm.yield %[[T]] : f32
// CHECK-NEXT: } out {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32, %[[Z:.*]]: f32, %{{.*}}: f32, %[[DS:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %[[SUM:.*]]: f32):
// CHECK-NEXT:   %[[DX:.*]] = arith.mulf %[[DS]], %[[X]] : f32
// CHECK-NEXT:   %[[Y0:.*]] = arith.addf %[[SUM]], %[[DX]] : f32
// CHECK-NEXT:   %[[G:.*]] = ssm.silu %[[Z]] : f32
// CHECK-NEXT:   %[[Y1:.*]] = arith.mulf %[[Y0]], %[[G]] : f32
// CHECK-NEXT:   ssm.yield %[[Y1]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: ssm.return %[[Y]], %[[HT]]
ssm.layer @selective_scan(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %dt: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "dt"},
    %B: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %C: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "C"},
    %z: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "z"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %Dskip: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "Dskip"},
    %dt_bias: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "dt_bias"},
    %h0: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %0 = ssm.map %dt, %dt_bias : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4xf32, #ssm.dims<["D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    ssm.yield %s : f32
  }
  %delta = ssm.map %0 : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %s = ssm.softplus %a : f32
    ssm.yield %s : f32
  }
  %Ab, %Bb = ssm.discretize "zoh" %delta, %A, %B : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> (tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) {
  ^bb0(%d: f32, %a: f32, %b: f32):
    %da = arith.mulf %d, %a : f32
    %e = math.exp %da : f32
    %one = arith.constant 1.0 : f32
    %em1 = arith.subf %e, %one : f32
    %q = arith.divf %em1, %a : f32
    %bb = arith.mulf %q, %b : f32
    ssm.yield %e, %bb : f32, f32
  }
  %bx = ssm.map %Bb, %x : (tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%Ab : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) input(%bx : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) init(%h0 : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  %yc = ssm.project %hs, %C over "N" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "D"]>>
  %dx = ssm.map %Dskip, %x : (tensor<4xf32, #ssm.dims<["D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  %y0 = ssm.map %yc, %dx : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.addf %a, %b : f32
    ssm.yield %m : f32
  }
  %sz = ssm.map %z : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %m = ssm.silu %a : f32
    ssm.yield %m : f32
  }
  %y = ssm.map %y0, %sz : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  ssm.return %y, %hT : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// -----

// A reduction written as sum[N](map(h, C)), two outs, no initial or final
// state, and an unused param: the unused input is dropped.
// CHECK-LABEL: ssm.layer @two_outs
// CHECK: %[[O:.*]]:2 = ssm.fused "h" rows ["D"] inner "N" ins(%arg0, %arg1, %arg2 : {{.*}}) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) row {
// CHECK: } contrib {
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %[[C:.*]]: f32, %{{.*}}: f32, %[[H:.*]]: f32):
// CHECK-NEXT:   %[[SQ:.*]] = arith.mulf %[[H]], %[[H]] : f32
// CHECK-NEXT:   %[[T:.*]] = arith.mulf %[[SQ]], %[[C]] : f32
// CHECK-NEXT:   ssm.yield %[[T]] : f32
// CHECK-NEXT: } out {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %[[S:.*]]: f32):
// CHECK-NEXT:   ssm.yield %[[S]], %[[X]] : f32, f32
// CHECK: ssm.return %[[O]]#0, %[[O]]#1
ssm.layer @two_outs(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %C: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "C"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %unused: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "unused"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "skip"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %b = ssm.map %x : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%v: f32):
    ssm.yield %v : f32
  }
  %hs = ssm.scan "h" decay(%A : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) input(%b : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>
  %t = ssm.map %hs, %C : (tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> {
  ^bb0(%h: f32, %c: f32):
    %sq = arith.mulf %h, %h : f32
    %m = arith.mulf %sq, %c : f32
    ssm.yield %m : f32
  }
  %y = ssm.reduce %t over "N" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "D"]>>
  ssm.return %y, %x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}

// -----

// Mamba-2 with 2 groups of B shared by 4 heads: B keeps its group axis G in the
// fused op, and `groups = {G = "H"}` tells the kernel to index it with h / 2.
// CHECK-LABEL: ssm.layer @ssd_groups
// CHECK-NOT: ssm.group
// CHECK: ssm.fused "h" rows ["H", "P"] inner "N" ins(%arg0, %arg1, %arg2, %arg3 : tensor<?x4x3xf32, #ssm.dims<["L", "H", "P"]>>, tensor<?x4xf32, #ssm.dims<["L", "H"]>>, tensor<?x2x8xf32, #ssm.dims<["L", "G", "N"]>>, tensor<4xf32, #ssm.dims<["H"]>>)
// CHECK-SAME: outs() final(tensor<4x3x8xf32, #ssm.dims<["H", "P", "N"]>>) attributes {groups = {G = "H"}} row {
// CHECK: } elem {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[DT:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32, %[[DECAY:.*]]: f32):
// CHECK-NEXT:   %[[DB:.*]] = arith.mulf %[[DT]], %[[B]] : f32
// CHECK-NEXT:   %[[IN:.*]] = arith.mulf %[[DB]], %[[X]] : f32
// CHECK-NEXT:   ssm.yield %[[DECAY]], %[[IN]] : f32, f32
ssm.layer @ssd_groups(
    %x: tensor<?x4x3xf32, #ssm.dims<["L", "H", "P"]>> {ssm.role = "in", ssm.name = "x"},
    %dt: tensor<?x4xf32, #ssm.dims<["L", "H"]>> {ssm.role = "in", ssm.name = "dt"},
    %B: tensor<?x2x8xf32, #ssm.dims<["L", "G", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %A: tensor<4xf32, #ssm.dims<["H"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<4x3x8xf32, #ssm.dims<["H", "P", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<H = 4, P = 3, N = 8, G = 2>} {
  %Bh = ssm.group %B, "G" -> "H" : tensor<?x2x8xf32, #ssm.dims<["L", "G", "N"]>> -> tensor<?x4x8xf32, #ssm.dims<["L", "H", "N"]>>
  %dA, %dB = ssm.discretize "zoh_euler" %dt, %A, %Bh : (tensor<?x4xf32, #ssm.dims<["L", "H"]>>, tensor<4xf32, #ssm.dims<["H"]>>, tensor<?x4x8xf32, #ssm.dims<["L", "H", "N"]>>) -> (tensor<?x4xf32, #ssm.dims<["L", "H"]>>, tensor<?x4x8xf32, #ssm.dims<["L", "H", "N"]>>) {
  ^bb0(%d: f32, %a: f32, %b: f32):
    %da = arith.mulf %d, %a : f32
    %e = math.exp %da : f32
    %db = arith.mulf %d, %b : f32
    ssm.yield %e, %db : f32, f32
  }
  %bx = ssm.map %dB, %x : (tensor<?x4x8xf32, #ssm.dims<["L", "H", "N"]>>, tensor<?x4x3xf32, #ssm.dims<["L", "H", "P"]>>) -> tensor<?x4x3x8xf32, #ssm.dims<["L", "H", "P", "N"]>> {
  ^bb0(%b: f32, %v: f32):
    %m = arith.mulf %b, %v : f32
    ssm.yield %m : f32
  }
  %hs, %hT = ssm.scan "h" decay(%dA : tensor<?x4xf32, #ssm.dims<["L", "H"]>>) input(%bx : tensor<?x4x3x8xf32, #ssm.dims<["L", "H", "P", "N"]>>) -> tensor<?x4x3x8xf32, #ssm.dims<["L", "H", "P", "N"]>>, tensor<4x3x8xf32, #ssm.dims<["H", "P", "N"]>>
  ssm.return %hT : tensor<4x3x8xf32, #ssm.dims<["H", "P", "N"]>>
}
