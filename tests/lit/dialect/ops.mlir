// Round trip of every ssm op and attribute, in custom and in generic form.
// RUN: ssm-opt %s | ssm-opt | FileCheck %s
// RUN: ssm-opt %s --mlir-print-op-generic | ssm-opt | FileCheck %s

// CHECK-LABEL: ssm.layer @per_concept
// CHECK-SAME: {ssm.name = "x", ssm.role = "in"}
// CHECK-SAME: {ssm.name = "A", ssm.role = "param"}
// CHECK-SAME: {ssm.name = "h", ssm.role = "state_init"}
// CHECK-SAME: -> (tensor<?x4xf16, #ssm.dims<["L", "D"]>> {ssm.name = "y", ssm.role = "out"}, tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.name = "h", ssm.role = "state_final"})
// CHECK-SAME: attributes {dims = #ssm.sizes<D = 4, N = 2>, facts = #ssm.facts<selective>}
ssm.layer @per_concept(
    %x: tensor<?x4xf16, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %B: tensor<?x2xbf16, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %h0: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x4xf16, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>, facts = #ssm.facts<selective>} {
  // CHECK: %[[D:.*]] = ssm.map %{{.*}} : (tensor<?x4xf16, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  // CHECK: ^bb0(%[[V:.*]]: f32):
  // CHECK:   %[[S:.*]] = ssm.softplus %[[V]] : f32
  // CHECK:   %[[G:.*]] = ssm.sigmoid %[[S]] : f32
  // CHECK:   %[[W:.*]] = ssm.silu %[[G]] : f32
  // CHECK:   ssm.yield %[[W]] : f32
  %delta = ssm.map %x : (tensor<?x4xf16, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%v: f32):
    %s = ssm.softplus %v : f32
    %g = ssm.sigmoid %s : f32
    %w = ssm.silu %g : f32
    ssm.yield %w : f32
  }
  // CHECK: %[[AB:.*]]:2 = ssm.discretize "zoh" %[[D]], %{{.*}}, %{{.*}} : {{.*}} -> (tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>)
  // CHECK: ssm.yield %{{.*}}, %{{.*}} : f32, f32
  %Ab, %Bb = ssm.discretize "zoh" %delta, %A, %B : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>, tensor<?x2xbf16, #ssm.dims<["L", "N"]>>) -> (tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) {
  ^bb0(%d: f32, %a: f32, %b: f32):
    %da = arith.mulf %d, %a : f32
    %e = math.exp %da : f32
    %db = arith.mulf %d, %b : f32
    ssm.yield %e, %db : f32, f32
  }
  // CHECK: %[[HS:.*]], %[[HT:.*]] = ssm.scan "h" decay(%[[AB]]#0 : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) input(%[[AB]]#1 : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) init(%{{.*}} : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  %hs, %hT = ssm.scan "h" decay(%Ab : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) input(%Bb : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>) init(%h0 : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) -> tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  // CHECK: %[[P:.*]] = ssm.project %[[HS]], %{{.*}} over "N" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x2xbf16, #ssm.dims<["L", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "D"]>>
  %p = ssm.project %hs, %B over "N" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>>, tensor<?x2xbf16, #ssm.dims<["L", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "D"]>>
  // CHECK: %[[R:.*]] = ssm.reduce %[[HS]] over "N" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "D"]>>
  %r = ssm.reduce %hs over "N" : tensor<?x4x2xf32, #ssm.dims<["L", "D", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "D"]>>
  %y = ssm.map %p, %r : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    ssm.yield %s : f32
  }
  // The return narrows the f32 value to the f16 out.
  // CHECK: ssm.return %{{.*}}, %[[HT]] : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
  ssm.return %y, %hT : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// A time-invariant complex decay, a scan without init/final, scalars (rank 0),
// a map with two results of different dims and one without operands.
// CHECK-LABEL: ssm.layer @complex_and_scalars
// CHECK-SAME: facts = #ssm.facts<lti>
ssm.layer @complex_and_scalars(
    %u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
    %A: tensor<2xcomplex<f32>, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "A"},
    %g: tensor<f32, #ssm.dims<[]>> {ssm.role = "param", ssm.name = "g"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<N = 2>, facts = #ssm.facts<lti>} {
  // CHECK: %[[C:.*]] = ssm.map : () -> tensor<f32, #ssm.dims<[]>> {
  %c = ssm.map : () -> tensor<f32, #ssm.dims<[]>> {
    %k = arith.constant 2.0 : f32
    ssm.yield %k : f32
  }
  // CHECK: ssm.map %{{.*}}, %{{.*}}, %[[C]] : {{.*}} -> (tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>, tensor<?xf32, #ssm.dims<["L"]>>)
  %b, %ug = ssm.map %A, %u, %c : (tensor<2xcomplex<f32>, #ssm.dims<["N"]>>, tensor<?xf32, #ssm.dims<["L"]>>, tensor<f32, #ssm.dims<[]>>) -> (tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>, tensor<?xf32, #ssm.dims<["L"]>>) {
  ^bb0(%a: complex<f32>, %v: f32, %k: f32):
    %zero = arith.constant 0.0 : f32
    %vk = arith.mulf %v, %k : f32
    %vc = complex.create %vk, %zero : complex<f32>
    %m = complex.mul %a, %vc : complex<f32>
    ssm.yield %m, %vk : complex<f32>, f32
  }
  // CHECK: ssm.scan "h" decay(%{{.*}} : tensor<2xcomplex<f32>, #ssm.dims<["N"]>>) input(%{{.*}} : tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>) -> tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>{{$}}
  %hs = ssm.scan "h" decay(%A : tensor<2xcomplex<f32>, #ssm.dims<["N"]>>) input(%b : tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>) -> tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>
  // CHECK: ssm.project %{{.*}}, %{{.*}} over "N" : tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>, tensor<2xcomplex<f32>, #ssm.dims<["N"]>> -> tensor<?xcomplex<f32>, #ssm.dims<["L"]>>
  %p = ssm.project %hs, %A over "N" : tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>, tensor<2xcomplex<f32>, #ssm.dims<["N"]>> -> tensor<?xcomplex<f32>, #ssm.dims<["L"]>>
  %y = ssm.map %p, %g, %ug : (tensor<?xcomplex<f32>, #ssm.dims<["L"]>>, tensor<f32, #ssm.dims<[]>>, tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xf32, #ssm.dims<["L"]>> {
  ^bb0(%s: complex<f32>, %k: f32, %w: f32):
    %re = complex.re %s : complex<f32>
    %m = arith.mulf %re, %k : f32
    %a = arith.addf %m, %w : f32
    ssm.yield %a : f32
  }
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}

// A dense, time-invariant transition matrix: its last two axes are both N.
// CHECK-LABEL: ssm.layer @dense
// CHECK: ssm.scan "h" dense decay(%{{.*}} : tensor<3x3xf32, #ssm.dims<["N", "N"]>>)
ssm.layer @dense(
    %b: tensor<?x3xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"},
    %A: tensor<3x3xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"})
    -> (tensor<3xf32, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<N = 3>} {
  %hs, %hT = ssm.scan "h" dense decay(%A : tensor<3x3xf32, #ssm.dims<["N", "N"]>>) input(%b : tensor<?x3xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x3xf32, #ssm.dims<["L", "N"]>>, tensor<3xf32, #ssm.dims<["N"]>>
  ssm.return %hT : tensor<3xf32, #ssm.dims<["N"]>>
}

// The matrix ops of a dense layer's setup.
// CHECK-LABEL: ssm.layer @matrix_setup
// CHECK: %[[I:.*]] = ssm.eye : tensor<3x3xf32, #ssm.dims<["N", "N"]>>
// CHECK: %[[M:.*]] = ssm.inv %{{.*}} : tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>
// CHECK: ssm.matmul %[[M]], %{{.*}} : tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>, tensor<3xf32, #ssm.dims<["N"]>> -> tensor<2x3xf32, #ssm.dims<["D", "N"]>>
// CHECK: ssm.matmul %[[M]], %[[M]] : tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>, tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>> -> tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>
ssm.layer @matrix_setup(
    %A: tensor<3x3xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %dt: tensor<2xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "dt"},
    %B: tensor<3xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "B"})
    attributes {dims = #ssm.sizes<D = 2, N = 3>} {
  %I = ssm.eye : tensor<3x3xf32, #ssm.dims<["N", "N"]>>
  %X = ssm.map %I, %dt, %A : (tensor<3x3xf32, #ssm.dims<["N", "N"]>>, tensor<2xf32, #ssm.dims<["D"]>>, tensor<3x3xf32, #ssm.dims<["N", "N"]>>) -> tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>> {
  ^bb0(%i: f32, %d: f32, %a: f32):
    %m = arith.mulf %d, %a : f32
    %s = arith.subf %i, %m : f32
    ssm.yield %s : f32
  }
  %M = ssm.inv %X : tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>
  %Bb = ssm.matmul %M, %B : tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>, tensor<3xf32, #ssm.dims<["N"]>> -> tensor<2x3xf32, #ssm.dims<["D", "N"]>>
  %M2 = ssm.matmul %M, %M : tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>, tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>> -> tensor<2x3x3xf32, #ssm.dims<["D", "N", "N"]>>
  ssm.return
}

// CHECK-LABEL: ssm.layer @fused
// CHECK: %[[Y:.*]], %[[F:.*]] = ssm.fused "h" rows ["D"] inner "N" ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>) init(%{{.*}} : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>) attributes {facts = #ssm.facts<lti>, strategy = "lane"} row {
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK: } elem {
// CHECK: ssm.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK: } contrib {
// CHECK: } out {
// CHECK: ssm.return %[[Y]], %[[F]]
ssm.layer @fused(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %C: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "C"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %h0: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y, %hT = ssm.fused "h" rows ["D"] inner "N"
      ins(%x, %C, %A : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      init(%h0 : tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      attributes {facts = #ssm.facts<lti>, strategy = "lane"}
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
  ssm.return %y, %hT : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// A fused op without init and final state, with a row value and a complex state.
// CHECK-LABEL: ssm.layer @fused_complex
// CHECK: ssm.fused "h" rows [] inner "N" ins(%{{.*}} : tensor<?xf32, #ssm.dims<["L"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>) row {
// CHECK: ssm.yield %{{.*}} : f32
// CHECK: ssm.yield %{{.*}}, %{{.*}} : complex<f32>, complex<f32>
ssm.layer @fused_complex(
    %u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"})
    -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<N = 2>} {
  %y = ssm.fused "h" rows [] inner "N" ins(%u : tensor<?xf32, #ssm.dims<["L"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>)
  row {
  ^bb0(%v: f32):
    %d = arith.mulf %v, %v : f32
    ssm.yield %d : f32
  } elem {
  ^bb0(%v: f32, %d: f32):
    %z = arith.constant 0.0 : f32
    %c = complex.create %d, %z : complex<f32>
    ssm.yield %c, %c : complex<f32>, complex<f32>
  } contrib {
  ^bb0(%v: f32, %d: f32, %h: complex<f32>):
    ssm.yield %h : complex<f32>
  } out {
  ^bb0(%v: f32, %d: f32, %s: complex<f32>):
    %re = complex.re %s : complex<f32>
    ssm.yield %re : f32
  }
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}

// CHECK-LABEL: ssm.layer @fused_step
// CHECK-SAME: step_of = @fused
// CHECK: %{{.*}}, %{{.*}} = ssm.step "h" rows ["D"] inner "N" ins(%{{.*}}, %{{.*}} : tensor<4xf32, #ssm.dims<["D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>) state(%{{.*}} : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) outs(tensor<4xf32, #ssm.dims<["D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>) row {
// CHECK: } elem {
// CHECK: } contrib {
// CHECK: } out {
ssm.layer @fused_step(
    %x: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "in", ssm.name = "x"},
    %A: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %h: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"})
    -> (tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_final", ssm.name = "h"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>, step_of = @fused} {
  %y, %h1 = ssm.step "h" rows ["D"] inner "N"
      ins(%x, %A : tensor<4xf32, #ssm.dims<["D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      state(%h : tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
      outs(tensor<4xf32, #ssm.dims<["D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
  row {
  ^bb0(%xv: f32, %a: f32):
    ssm.yield
  } elem {
  ^bb0(%xv: f32, %a: f32):
    %e = math.exp %a : f32
    ssm.yield %e, %xv : f32, f32
  } contrib {
  ^bb0(%xv: f32, %a: f32, %hv: f32):
    ssm.yield %hv : f32
  } out {
  ^bb0(%xv: f32, %a: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return %y, %h1 : tensor<4xf32, #ssm.dims<["D"]>>, tensor<4x2xf32, #ssm.dims<["D", "N"]>>
}

// CHECK-LABEL: ssm.layer @grouped
// CHECK: ssm.group %{{.*}}, "G" -> "H" : tensor<?x2x8xbf16, #ssm.dims<["L", "G", "N"]>> -> tensor<?x4x8xbf16, #ssm.dims<["L", "H", "N"]>>
// CHECK: ssm.fused "h" rows ["H"] inner "N" ins(%{{.*}} : tensor<?x2x8xbf16, #ssm.dims<["L", "G", "N"]>>) outs() attributes {groups = {G = "H"}} row {
ssm.layer @grouped(
    %B: tensor<?x2x8xbf16, #ssm.dims<["L", "G", "N"]>> {ssm.role = "in", ssm.name = "B"})
    -> (tensor<?x4x8xbf16, #ssm.dims<["L", "H", "N"]>> {ssm.role = "out", ssm.name = "Bh"})
    attributes {dims = #ssm.sizes<G = 2, H = 4, N = 8>} {
  %Bh = ssm.group %B, "G" -> "H" : tensor<?x2x8xbf16, #ssm.dims<["L", "G", "N"]>> -> tensor<?x4x8xbf16, #ssm.dims<["L", "H", "N"]>>
  ssm.fused "h" rows ["H"] inner "N" ins(%B : tensor<?x2x8xbf16, #ssm.dims<["L", "G", "N"]>>) outs() attributes {groups = {G = "H"}}
  row {
  ^bb0(%b: f32):
    ssm.yield
  } elem {
  ^bb0(%b: f32):
    ssm.yield %b, %b : f32, f32
  } contrib {
  ^bb0(%b: f32, %h: f32):
    ssm.yield
  } out {
  ^bb0(%b: f32):
    ssm.yield
  }
  ssm.return %Bh : tensor<?x4x8xbf16, #ssm.dims<["L", "H", "N"]>>
}
