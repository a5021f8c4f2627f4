// Every verifier message of the ssm dialect.
// RUN: ssm-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{#ssm.dims names 1 axes but the tensor has rank 2}}
func.func private @f(tensor<?x4xf32, #ssm.dims<["L"]>>)

// -----

// expected-error @+1 {{#ssm.dims: axis 1 has an empty name}}
func.func private @f(tensor<?x4xf32, #ssm.dims<["L", ""]>>)

// -----

// expected-error @+1 {{#ssm.dims: the sequence dim "L" must be the first axis, found at axis 1}}
func.func private @f(tensor<4x?xf32, #ssm.dims<["D", "L"]>>)

// -----

// expected-error @+1 {{#ssm.dims: the sequence dim "L" must have size ?, got 8}}
func.func private @f(tensor<8x4xf32, #ssm.dims<["L", "D"]>>)

// -----

// expected-error @+1 {{#ssm.dims: dim "D" must have a static size}}
func.func private @f(tensor<?x?xf32, #ssm.dims<["L", "D"]>>)

// -----

// expected-error @+1 {{ssm tensors hold f32, f16, bf16 or complex<f32>, got 'i32'}}
func.func private @f(tensor<?xi32, #ssm.dims<["L"]>>)

// -----

// expected-error @+1 {{#ssm.sizes: "L" is the sequence dim; its size is not fixed by the layer}}
func.func private @f() attributes {d = #ssm.sizes<L = 4>}

// -----

// expected-error @+1 {{#ssm.sizes: dim D is declared twice}}
func.func private @f() attributes {d = #ssm.sizes<D = 4, D = 8>}

// -----

// expected-error @+1 {{#ssm.sizes: dim D has size 0, expected > 0}}
func.func private @f() attributes {d = #ssm.sizes<D = 0>}

// -----

// expected-error @+1 {{unknown fact 'fast', expected selective, lti or scalar_decay}}
func.func private @f() attributes {d = #ssm.facts<fast>}

// -----

// expected-error @+1 {{#ssm.facts: a layer cannot be both selective and lti}}
func.func private @f() attributes {d = #ssm.facts<selective, lti>}

// -----

// expected-error @+1 {{'ssm.role' of argument #0 must be one of "in" "param" "state_init", got "out"}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.name' of argument #0 must be a string, got 3}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = 3}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{unknown ssm attribute 'ssm.kind' on argument #0}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x", ssm.kind = 1}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.role' of result #0 must be one of "out" "state_final", got "in"}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "y"}) attributes {dims = #ssm.sizes<>} {
  ssm.return %x : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 has no 'ssm.role' (in, param or state_init)}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 has no 'ssm.name'}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in"}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.layer' op result #0 has no 'ssm.role' (out or state_final)}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.name = "y"}) attributes {dims = #ssm.sizes<>} {
  ssm.return %x : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// expected-error @+1 {{'ssm.layer' op result #0 has no 'ssm.name'}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out"}) attributes {dims = #ssm.sizes<>} {
  ssm.return %x : tensor<?xf32, #ssm.dims<["L"]>>
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 (in) must be a tensor with #ssm.dims encoding, got 'tensor<?xf32>'}}
ssm.layer @l(%x: tensor<?xf32> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 (param) must not have the sequence dim L}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "param", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 (in) must have the sequence dim L first}}
ssm.layer @l(%x: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.layer' op result #0 (state_final) is a state buffer and must hold f32 or complex<f32>, got 'f16'}}
ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<4xf16, #ssm.dims<["N"]>> {ssm.role = "state_final", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 4>} {
  %c = ssm.map : () -> tensor<4xf32, #ssm.dims<["N"]>> {
    %k = arith.constant 0.0 : f32
    ssm.yield %k : f32
  }
  ssm.return %c : tensor<4xf32, #ssm.dims<["N"]>>
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 (in) dim D is not a dim of layer @l (dims #ssm.sizes<N = 4>)}}
ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<N = 4>} {
  ssm.return
}

// -----

// expected-error @+1 {{'ssm.layer' op argument #0 (in) dim D is 4 here but 8 in the dims of layer @l}}
ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 8>} {
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 8>} {
  // expected-error @+1 {{'ssm.map' op dim D is 4 here but 8 in the dims of layer @l}}
  %c = ssm.map : () -> tensor<4xf32, #ssm.dims<["D"]>> {
    %k = arith.constant 0.0 : f32
    ssm.yield %k : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.return' op returns 0 values but layer @l has 1 results}}
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf16, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.return' op operand #0 has type 'tensor<?xf16, #ssm.dims<["L"]>>' but result #0 of layer @l is 'tensor<?xf32, #ssm.dims<["L"]>>'}}
  ssm.return %x : tensor<?xf16, #ssm.dims<["L"]>>
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.map' op must have at least one result}}
  ssm.map %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> () {
  ^bb0(%v: f32):
    ssm.yield
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.map' op result #0 has element type 'f16'; computed values are f32 or complex<f32>}}
  %y = ssm.map %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xf16, #ssm.dims<["L"]>> {
  ^bb0(%v: f32):
    %t = arith.truncf %v : f32 to f16
    ssm.yield %t : f16
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 2, N = 2>} {
  // expected-error @+1 {{'ssm.map' op result #1 has dims [N], not within the dims of result #0 [L, D]}}
  %y:2 = ssm.map %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> (tensor<?x2xf32, #ssm.dims<["L", "D"]>>, tensor<2xf32, #ssm.dims<["N"]>>) {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 2, N = 2>} {
  // expected-error @+1 {{'ssm.map' op operand #0 has dims [L, N], not within the result dims [L, D] (operands broadcast by name, they cannot add dims)}}
  %y = ssm.map %x : (tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "D"]>> {
  ^bb0(%v: f32):
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.map' op operand #0 has dims [N, N]; a repeated dim cannot be broadcast by name}}
  %y = ssm.map %A : (tensor<2x2xf32, #ssm.dims<["N", "N"]>>) -> tensor<2xf32, #ssm.dims<["N"]>> {
  ^bb0(%v: f32):
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.map' op region 'body' takes 2 block arguments but 1 are expected}}
  %y = ssm.map %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xf32, #ssm.dims<["L"]>> {
  ^bb0(%v: f32, %w: f32):
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf16, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.map' op region 'body' block argument #0 (element of operand #0) has type 'f16', expected 'f32'}}
  %y = ssm.map %x : (tensor<?xf16, #ssm.dims<["L"]>>) -> tensor<?xf32, #ssm.dims<["L"]>> {
  ^bb0(%v: f16):
    %e = arith.extf %v : f16 to f32
    ssm.yield %e : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  %y = ssm.map %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xf32, #ssm.dims<["L"]>> {
  ^bb0(%v: f32):
    // expected-error @+1 {{'ssm.yield' op yields 2 values but region 'body' of ssm.map must yield 1}}
    ssm.yield %v, %v : f32, f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  %y = ssm.map %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xcomplex<f32>, #ssm.dims<["L"]>> {
  ^bb0(%v: f32):
    // expected-error @+1 {{'ssm.yield' op value #0 (element of result #0) has type 'f32', expected 'complex<f32>'}}
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}, %a: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "a"}) attributes {dims = #ssm.sizes<D = 4>} {
  // expected-error @+1 {{'ssm.discretize' op result #0 has dims [D] but its value depends on operand #0 with dims [L]}}
  %d, %b = ssm.discretize "zoh" %x, %a : (tensor<?xf32, #ssm.dims<["L"]>>, tensor<4xf32, #ssm.dims<["D"]>>) -> (tensor<4xf32, #ssm.dims<["D"]>>, tensor<?x4xf32, #ssm.dims<["L", "D"]>>) {
  ^bb0(%v: f32, %w: f32):
    %m = arith.mulf %v, %w : f32
    ssm.yield %m, %m : f32, f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.discretize' op needs a non-empty rule name}}
  %d = ssm.discretize "" %x : (tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xf32, #ssm.dims<["L"]>> {
  ^bb0(%v: f32):
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "b"}) attributes {dims = #ssm.sizes<>} {
  // expected-error @+1 {{'ssm.scan' op state sequence of 'h' must have L first and at least one state dim, got [L]}}
  %hs = ssm.scan "h" decay(%b : tensor<?xf32, #ssm.dims<["L"]>>) input(%b : tensor<?xf32, #ssm.dims<["L"]>>) -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf16, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.scan' op state 'h' must be f32 or complex<f32>, got 'f16'}}
  %hs = ssm.scan "h" decay(%b : tensor<?x2xf16, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf16, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf16, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.scan' op input of 'h' has dims [L, N] but the state sequence has [L, D, N]}}
  %hs = ssm.scan "h" decay(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x3x2xf32, #ssm.dims<["L", "D", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.scan' op input of 'h' is 'f32' but the state is 'complex<f32>'}}
  %hs = ssm.scan "h" decay(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xcomplex<f32>, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}, %a: tensor<2xf16, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "a"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.scan' op decay of 'h' is 'f16'; it must be f32}}
  %hs = ssm.scan "h" decay(%a : tensor<2xf16, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}, %a: tensor<3xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "a"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.scan' op decay of 'h' has dims [D], not within the state sequence dims [L, N]}}
  %hs = ssm.scan "h" decay(%a : tensor<3xf32, #ssm.dims<["D"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.scan' op dense decay of 'h' must be time-invariant (no L), got [L, N]}}
  %hs = ssm.scan "h" dense decay(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}, %a: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "a"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.scan' op dense decay of 'h' must end with two axes of the inner dim [N, N], got [N]}}
  %hs = ssm.scan "h" dense decay(%a : tensor<2xf32, #ssm.dims<["N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}, %a: tensor<3x2x2xf32, #ssm.dims<["D", "N", "N"]>> {ssm.role = "param", ssm.name = "a"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.scan' op dense decay of 'h' has leading dims [D], not within the state's leading dims []}}
  %hs = ssm.scan "h" dense decay(%a : tensor<3x2x2xf32, #ssm.dims<["D", "N", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}, %h0: tensor<3xf32, #ssm.dims<["D"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.scan' op init of 'h' has dims [D] but the state has [N]}}
  %hs = ssm.scan "h" decay(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) init(%h0 : tensor<3xf32, #ssm.dims<["D"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}, %h0: tensor<2xcomplex<f32>, #ssm.dims<["N"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.scan' op init of 'h' is 'complex<f32>' but the state is 'f32'}}
  %hs = ssm.scan "h" decay(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) init(%h0 : tensor<2xcomplex<f32>, #ssm.dims<["N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%b: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "b"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.scan' op final state of 'h' has dims [D] but the state has [N]}}
  %hs, %hT = ssm.scan "h" decay(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) input(%b : tensor<?x2xf32, #ssm.dims<["L", "N"]>>) -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<3xf32, #ssm.dims<["D"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}, %c: tensor<3xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "c"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.project' op contracts over D but the state operand has dims [L, N]}}
  %y = ssm.project %h, %c over "D" : tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<3xf32, #ssm.dims<["D"]>> -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}, %c: tensor<3xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "c"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.project' op contracts over N but the coefficient has dims [D]}}
  %y = ssm.project %h, %c over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<3xf32, #ssm.dims<["D"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}, %c: tensor<3x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "c"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.project' op result has dims [L] but contracting [L, N] with [D, N] over N gives [L, D]}}
  %y = ssm.project %h, %c over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<3x2xf32, #ssm.dims<["D", "N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}, %c: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "c"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.project' op operand dims [N, N] repeat a dim; contraction is by name}}
  %y = ssm.project %h, %c over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2x2xf32, #ssm.dims<["N", "N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf16, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}, %c: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "c"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.project' op state operand must be f32 or complex<f32>, got 'f16'}}
  %y = ssm.project %h, %c over "N" : tensor<?x2xf16, #ssm.dims<["L", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}, %c: tensor<2xcomplex<f32>, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "c"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.project' op result is 'f32' but the product of 'f32' and 'complex<f32>' is 'complex<f32>'}}
  %y = ssm.project %h, %c over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<2xcomplex<f32>, #ssm.dims<["N"]>> -> tensor<?xf32, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 3, N = 2>} {
  // expected-error @+1 {{'ssm.reduce' op sums over D but the operand has dims [L, N]}}
  %y = ssm.reduce %h over "D" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.reduce' op cannot sum over the sequence dim L}}
  %y = ssm.reduce %h over "L" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.reduce' op result has dims [L, N] but summing [L, N] over N gives [L]}}
  %y = ssm.reduce %h over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?x2xf32, #ssm.dims<["L", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.reduce' op operand dims [N, N] repeat a dim; reduction is by name}}
  %y = ssm.reduce %h over "N" : tensor<2x2xf32, #ssm.dims<["N", "N"]>> -> tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xbf16, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.reduce' op operand must be f32 or complex<f32>, got 'bf16'}}
  %y = ssm.reduce %h over "N" : tensor<?x2xbf16, #ssm.dims<["L", "N"]>> -> tensor<?xbf16, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%h: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "h"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.reduce' op result is 'complex<f32>' but the operand is 'f32'}}
  %y = ssm.reduce %h over "N" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?xcomplex<f32>, #ssm.dims<["L"]>>
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op inner dim must name a state dim, got "L"}}
  %y = ssm.fused "h" rows ["D"] inner "L" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op row dims [D, N] must be distinct state dims other than L and the inner dim N}}
  %y = ssm.fused "h" rows ["D", "N"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x3xf32, #ssm.dims<["L", "K"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, K = 3, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op input #0 has dims [L, K]; the kernel only indexes L and the state dims [D, N]}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x3xf32, #ssm.dims<["L", "K"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op input #0 has dims [N, N]; a repeated dim cannot be indexed by name}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%A : tensor<2x2xf32, #ssm.dims<["N", "N"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op out #0 has dims [L] but the kernel writes one value per row and step: [L, D]}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}, %h0: tensor<2x4xf32, #ssm.dims<["N", "D"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op init has dims [N, D] but the state 'h' has [D, N]}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) init(%h0 : tensor<2x4xf32, #ssm.dims<["N", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op unknown strategy "warp", expected lane, chunked, ssd or dense}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) attributes {strategy = "warp"}
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op strategy "ssd" needs the scalar_decay fact}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) attributes {facts = #ssm.facts<selective>, strategy = "ssd"}
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op region 'row' takes 0 block arguments but 1 are expected}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op row value #0 has type 'i1', expected f32 or complex<f32>}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    %t = arith.constant true
    ssm.yield %t : i1
  } elem {
  ^bb0(%v: f32, %r: i1):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %r: i1, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %r: i1, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op region 'elem' block argument #1 (row value) has type 'complex<f32>', expected 'f32'}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield %v : f32
  } elem {
  ^bb0(%v: f32, %r: complex<f32>):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %r: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %r: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    // expected-error @+1 {{'ssm.yield' op yields 1 values but region 'elem' must yield the decay and the input}}
    ssm.yield %v : f32
  } contrib {
  ^bb0(%v: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    %t = arith.constant true
    // expected-error @+1 {{'ssm.yield' op state element type must be f32 or complex<f32>, got 'i1'}}
    ssm.yield %t, %t : i1, i1
  } contrib {
  ^bb0(%v: f32, %h: i1):
    ssm.yield %v : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    %z = arith.constant 0.0 : f32
    %c = complex.create %v, %z : complex<f32>
    // expected-error @+1 {{'ssm.yield' op decay has type 'f32' but the state element is 'complex<f32>'}}
    ssm.yield %v, %c : f32, complex<f32>
  } contrib {
  ^bb0(%v: f32, %h: complex<f32>):
    ssm.yield %h : complex<f32>
  } out {
  ^bb0(%v: f32, %s: complex<f32>):
    %r = complex.re %s : complex<f32>
    ssm.yield %r : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}, %h0: tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op state tensor 'tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>>' does not hold the state element type 'f32'}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) init(%h0 : tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
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
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op region 'contrib' block argument #1 (state element) has type 'complex<f32>', expected 'f32'}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %h: complex<f32>):
    ssm.yield %v : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op term #0 has type 'i1', expected f32 or complex<f32>}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %h: f32):
    %t = arith.constant true
    ssm.yield %t : i1
  } out {
  ^bb0(%v: f32, %s: i1):
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op region 'out' block argument #1 (sum) has type 'complex<f32>', expected 'f32'}}
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
  ^bb0(%v: f32, %s: complex<f32>):
    ssm.yield %v : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
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
    // expected-error @+1 {{'ssm.yield' op yields 2 values but region 'out' of ssm.fused must yield 1}}
    ssm.yield %s, %s : f32, f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}, %B: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op region 'out' uses input #1 with dims [L, N]; only inputs within [L, D] are available there}}
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x, %B : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32, %b: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32, %b: f32):
    ssm.yield %v, %b : f32, f32
  } contrib {
  ^bb0(%v: f32, %b: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %b: f32, %s: f32):
    %o = arith.addf %s, %b : f32
    ssm.yield %o : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"}, %h: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  // expected-error @+1 {{'ssm.step' op input #0 has the sequence dim L; ssm.step works on a single step}}
  %y, %h1 = ssm.step "h" rows ["D"] inner "N" ins(%x : tensor<?x4xf32, #ssm.dims<["L", "D"]>>) state(%h : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) outs(tensor<4xf32, #ssm.dims<["D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %hv: f32):
    ssm.yield %hv : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "in", ssm.name = "x"}, %h: tensor<4x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 4, N = 2>, step_of = @m} {
  // expected-error @+1 {{'ssm.step' op out #0 has dims [L, D] but the kernel writes one value per row: [D]}}
  %y, %h1 = ssm.step "h" rows ["D"] inner "N" ins(%x : tensor<4xf32, #ssm.dims<["D"]>>) state(%h : tensor<4x2xf32, #ssm.dims<["D", "N"]>>) outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %hv: f32):
    ssm.yield %hv : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%x: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "in", ssm.name = "x"}, %h: tensor<4xf32, #ssm.dims<["D"]>> {ssm.role = "state_init", ssm.name = "h"}) attributes {dims = #ssm.sizes<D = 4, N = 2>, step_of = @m} {
  // expected-error @+1 {{'ssm.step' op state has dims [D] but the state 'h' has [D, N]}}
  %y, %h1 = ssm.step "h" rows ["D"] inner "N" ins(%x : tensor<4xf32, #ssm.dims<["D"]>>) state(%h : tensor<4xf32, #ssm.dims<["D"]>>) outs(tensor<4xf32, #ssm.dims<["D"]>>) final(tensor<4x2xf32, #ssm.dims<["D", "N"]>>)
  row {
  ^bb0(%v: f32):
    ssm.yield
  } elem {
  ^bb0(%v: f32):
    ssm.yield %v, %v : f32, f32
  } contrib {
  ^bb0(%v: f32, %hv: f32):
    ssm.yield %hv : f32
  } out {
  ^bb0(%v: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4, N = 2>} {
  // expected-error @+1 {{'ssm.group' op groups over G but the operand has dims [L, N]}}
  %Bh = ssm.group %B, "G" -> "H" : tensor<?x2xf32, #ssm.dims<["L", "N"]>> -> tensor<?x4xf32, #ssm.dims<["L", "H"]>>
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<?x2xf32, #ssm.dims<["L", "G"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4>} {
  // expected-error @+1 {{'ssm.group' op the sequence dim L cannot be a group or head dim}}
  %Bh = ssm.group %B, "L" -> "H" : tensor<?x2xf32, #ssm.dims<["L", "G"]>> -> tensor<4x2xf32, #ssm.dims<["H", "G"]>>
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<2x4xf32, #ssm.dims<["G", "H"]>> {ssm.role = "param", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4>} {
  // expected-error @+1 {{'ssm.group' op the operand [G, H] already has the head dim H}}
  %Bh = ssm.group %B, "G" -> "H" : tensor<2x4xf32, #ssm.dims<["G", "H"]>> -> tensor<4x4xf32, #ssm.dims<["H", "H"]>>
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<?x2x8xf32, #ssm.dims<["L", "G", "N"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4, N = 8>} {
  // expected-error @+1 {{'ssm.group' op result has dims [L, N, H] but grouping [L, G, N] from G to H gives [L, H, N]}}
  %Bh = ssm.group %B, "G" -> "H" : tensor<?x2x8xf32, #ssm.dims<["L", "G", "N"]>> -> tensor<?x8x4xf32, #ssm.dims<["L", "N", "H"]>>
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<?x2xbf16, #ssm.dims<["L", "G"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4>} {
  // expected-error @+1 {{'ssm.group' op result is 'f32' but the operand is 'bf16'}}
  %Bh = ssm.group %B, "G" -> "H" : tensor<?x2xbf16, #ssm.dims<["L", "G"]>> -> tensor<?x4xf32, #ssm.dims<["L", "H"]>>
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<?x2xf32, #ssm.dims<["L", "G"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 5>} {
  // expected-error @+1 {{'ssm.group' op H = 5 is not a multiple of G = 2}}
  %Bh = ssm.group %B, "G" -> "H" : tensor<?x2xf32, #ssm.dims<["L", "G"]>> -> tensor<?x5xf32, #ssm.dims<["L", "H"]>>
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<?x2xf32, #ssm.dims<["L", "G"]>> {ssm.role = "in", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op groups entry G = "N" must map a dim outside the state to a row dim [H]}}
  ssm.fused "h" rows ["H"] inner "N" ins(%B : tensor<?x2xf32, #ssm.dims<["L", "G"]>>) outs() attributes {groups = {G = "N"}}
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
  ssm.return
}

// -----

ssm.layer @l(%B: tensor<2x4xf32, #ssm.dims<["G", "H"]>> {ssm.role = "param", ssm.name = "B"}) attributes {dims = #ssm.sizes<G = 2, H = 4, N = 2>} {
  // expected-error @+1 {{'ssm.fused' op input #0 has dims [G, H]: both the group dim G and its head dim H}}
  ssm.fused "h" rows ["H"] inner "N" ins(%B : tensor<2x4xf32, #ssm.dims<["G", "H"]>>) outs() attributes {groups = {G = "H"}}
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
  ssm.return
}

// -----

ssm.layer @l() attributes {dims = #ssm.sizes<N = 2, D = 3>} {
  // expected-error @+1 {{'ssm.eye' op result has dims [D, N]; expected one dim twice, [N, N]}}
  %i = ssm.eye : tensor<3x2xf32, #ssm.dims<["D", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<2x3xf32, #ssm.dims<["N", "D"]>> {ssm.role = "param", ssm.name = "A"}) attributes {dims = #ssm.sizes<N = 2, D = 3>} {
  // expected-error @+1 {{'ssm.inv' op operand has dims [N, D]; its last two dims must name the same dim}}
  %m = ssm.inv %A : tensor<2x3xf32, #ssm.dims<["N", "D"]>>
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<?x2x2xf32, #ssm.dims<["L", "N", "N"]>> {ssm.role = "in", ssm.name = "A"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.inv' op operand has the sequence dim L; matrix ops are time-invariant setup}}
  %m = ssm.inv %A : tensor<?x2x2xf32, #ssm.dims<["L", "N", "N"]>>
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
             %v: tensor<3xf32, #ssm.dims<["D"]>> {ssm.role = "param", ssm.name = "v"}) attributes {dims = #ssm.sizes<N = 2, D = 3>} {
  // expected-error @+1 {{'ssm.matmul' op rhs has dims [D]; expected [.., N, N] or [.., N]}}
  %m = ssm.matmul %A, %v : tensor<2x2xf32, #ssm.dims<["N", "N"]>>, tensor<3xf32, #ssm.dims<["D"]>> -> tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
             %v: tensor<3x2xf32, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "v"}) attributes {dims = #ssm.sizes<N = 2, D = 3>} {
  // expected-error @+1 {{'ssm.matmul' op result leading dims [] must be the union of the operands' [D]}}
  %m = ssm.matmul %A, %v : tensor<2x2xf32, #ssm.dims<["N", "N"]>>, tensor<3x2xf32, #ssm.dims<["D", "N"]>> -> tensor<2xf32, #ssm.dims<["N"]>>
  ssm.return
}

// -----

ssm.layer @l(%A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"},
             %v: tensor<2xf32, #ssm.dims<["N"]>> {ssm.role = "param", ssm.name = "v"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.map' op operand #1 has dims [N]; against [N, N] the repeated dim N cannot be broadcast by name}}
  %m = ssm.map %A, %v : (tensor<2x2xf32, #ssm.dims<["N", "N"]>>, tensor<2xf32, #ssm.dims<["N"]>>) -> tensor<2x2xf32, #ssm.dims<["N", "N"]>> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
             %A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.fused' op dense_decay = 2 but there are 2 inputs}}
  %y = ssm.fused "h" rows [] inner "N" ins(%u, %A : tensor<?xf32, #ssm.dims<["L"]>>, tensor<2x2xf32, #ssm.dims<["N", "N"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>) attributes {dense_decay = 2 : i64}
  row {
  ^bb0(%a: f32, %b: f32):
    ssm.yield
  } elem {
  ^bb0(%a: f32, %b: f32):
    ssm.yield %a : f32
  } contrib {
  ^bb0(%a: f32, %b: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%a: f32, %b: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
             %A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"}) attributes {dims = #ssm.sizes<N = 2>} {
  %y = ssm.fused "h" rows [] inner "N" ins(%u, %A : tensor<?xf32, #ssm.dims<["L"]>>, tensor<2x2xf32, #ssm.dims<["N", "N"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>) attributes {dense_decay = 1 : i64}
  row {
  ^bb0(%a: f32, %b: f32):
    ssm.yield
  } elem {
  ^bb0(%a: f32, %b: f32):
    // expected-error @+1 {{'ssm.yield' op yields 2 values but region 'elem' of the dense form must yield the input}}
    ssm.yield %a, %a : f32, f32
  } contrib {
  ^bb0(%a: f32, %b: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%a: f32, %b: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}

// -----

ssm.layer @l(%u: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "u"},
             %A: tensor<2x2xf32, #ssm.dims<["N", "N"]>> {ssm.role = "param", ssm.name = "A"}) attributes {dims = #ssm.sizes<N = 2>} {
  // expected-error @+1 {{'ssm.fused' op region 'elem' uses input #1 with dims [N, N]}}
  %y = ssm.fused "h" rows [] inner "N" ins(%u, %A : tensor<?xf32, #ssm.dims<["L"]>>, tensor<2x2xf32, #ssm.dims<["N", "N"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>) attributes {dense_decay = 1 : i64}
  row {
  ^bb0(%a: f32, %b: f32):
    ssm.yield
  } elem {
  ^bb0(%a: f32, %b: f32):
    ssm.yield %b : f32
  } contrib {
  ^bb0(%a: f32, %b: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%a: f32, %b: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return
}
