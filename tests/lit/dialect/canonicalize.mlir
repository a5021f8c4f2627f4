// Canonicalization: chains of maps merge into one, repeated and unused operands go,
// a map that forwards an operand folds away, unused fused inputs are dropped.
// RUN: ssm-opt %s --split-input-file --canonicalize | FileCheck %s

// MLIRGen's one-map-per-node output for softplus(dt + bias) * x merges into one map.
// CHECK-LABEL: ssm.layer @chain
// CHECK: %[[M:.*]] = ssm.map %arg2, %arg0, %arg1 : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4xf32, #ssm.dims<["D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[DT:.*]]: f32, %[[B:.*]]: f32):
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[DT]], %[[B]] : f32
// CHECK-NEXT:   %[[SP:.*]] = ssm.softplus %[[S]] : f32
// CHECK-NEXT:   %[[P:.*]] = arith.mulf %[[SP]], %[[X]] : f32
// CHECK-NEXT:   ssm.yield %[[P]] : f32
// CHECK-NEXT: }
// CHECK-NEXT: ssm.return %[[M]]
ssm.layer @chain(
    %dt: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "dt"},
    %bias: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "bias"},
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 4>} {
  %0 = ssm.map %dt, %bias : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4xf32, #ssm.dims<["D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    ssm.yield %s : f32
  }
  %1 = ssm.map %0 : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %s = ssm.softplus %a : f32
    ssm.yield %s : f32
  }
  %2 = ssm.map %1, %x : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  ssm.return %2 : tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}

// -----

// A map used twice is not merged (that would compute it twice); its users are.
// CHECK-LABEL: ssm.layer @shared
// CHECK-COUNT-3: ssm.map
// CHECK-NOT: ssm.map
ssm.layer @shared(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "z"})
    attributes {dims = #ssm.sizes<D = 4>} {
  %e = ssm.map %x : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %s = math.exp %a : f32
    ssm.yield %s : f32
  }
  %y = ssm.map %e : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %s = arith.addf %a, %a : f32
    ssm.yield %s : f32
  }
  %z = ssm.map %e : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    %s = arith.mulf %a, %a : f32
    ssm.yield %s : f32
  }
  ssm.return %y, %z : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}

// -----

// Repeated and unused operands are dropped; a map that yields its operand unchanged is that operand.
// CHECK-LABEL: ssm.layer @prune
// CHECK: %[[M:.*]] = ssm.map %arg0 : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32):
// CHECK-NEXT:   arith.mulf %[[A]], %[[A]] : f32
// CHECK: ssm.return %[[M]], %arg0
ssm.layer @prune(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %w: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "w"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"},
        tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "same"})
    attributes {dims = #ssm.sizes<D = 4>} {
  %y = ssm.map %x, %x, %w : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4xf32, #ssm.dims<["D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    ssm.yield %m : f32
  }
  %same = ssm.map %x : (tensor<?x4xf32, #ssm.dims<["L", "D"]>>) -> tensor<?x4xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%a: f32):
    ssm.yield %a : f32
  }
  ssm.return %y, %same : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}

// -----

// Fused inputs that no region reads are dropped from the operands and from every region.
// CHECK-LABEL: ssm.layer @fused_prune
// CHECK: ssm.fused "h" rows ["D"] inner "N" ins(%arg0 : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs
// CHECK-NEXT: ^bb0(%{{.*}}: f32):
// CHECK: } elem {
// CHECK-NEXT: ^bb0(%{{.*}}: f32):
// CHECK: } contrib {
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: f32):
// CHECK: } out {
// CHECK-NEXT: ^bb0(%{{.*}}: f32, %{{.*}}: f32):
ssm.layer @fused_prune(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %w: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "w"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x, %w : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<4xf32, #ssm.dims<["D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32, %u: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32, %u: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %u: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %u: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return %y : tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}
