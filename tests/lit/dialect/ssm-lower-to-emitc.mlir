// --ssm-lower-to-emitc: one emitc.func per region, inputs available at the region's level by value,
// then the region's extra arguments, then one pointer per result. Also the C++ it prints.
// RUN: ssm-opt %s --ssm-lower-to-emitc | FileCheck %s
// RUN: ssm-opt %s --ssm-print-cpp -o /dev/null | FileCheck %s --check-prefix=CPP
// RUN: ssm-opt %s --ssm-lower-to-emitc=specifiers=__device__ | FileCheck %s --check-prefix=SPEC

// The ssm ops stay for the CUDA target.
// CHECK-LABEL: ssm.layer @k
// CHECK: ssm.fused

// row: only x (dims [L, D]) is available; B, A, C are not passed.
// CHECK: emitc.verbatim "// k_row(x) -> (r0, r1)"
// CHECK-LABEL: emitc.func @k_row(%arg0: f32, %arg1: !emitc.ptr<f32>, %arg2: !emitc.ptr<f32>) attributes {specifiers = ["static", "__device__", "__forceinline__"]}
// CHECK-DAG: call_opaque "logf"
// CHECK-DAG: call_opaque "log1pf"
// CHECK-DAG: call_opaque "expm1f"
// CHECK-DAG: call_opaque "exp2f"
// CHECK-DAG: call_opaque "log2f"
// CHECK-DAG: call_opaque "tanhf"
// CHECK-DAG: call_opaque "sqrtf"
// CHECK-DAG: call_opaque "rsqrtf"
// CHECK-DAG: call_opaque "erff"
// CHECK-DAG: call_opaque "fmaf"
// CHECK-DAG: call_opaque "fabsf"
// CHECK-DAG: call_opaque "powf"
// CHECK-DAG: call_opaque "expf"
// CHECK-DAG: call_opaque "fmaxf"
// CHECK-DAG: call_opaque "fminf"
// CHECK-DAG: call_opaque "ssm::fmax_nan"
// CHECK-DAG: call_opaque "ssm::fmin_nan"
// CHECK-DAG: call_opaque "ssm::softplus"
// CHECK-DAG: call_opaque "ssm::silu"
// CHECK-DAG: call_opaque "ssm::sigmoid"
// CHECK-DAG: conditional
// CHECK: %[[P0:.*]] = dereference %arg1 : !emitc.ptr<f32>
// CHECK: assign %{{.*}} : f32 to %[[P0]]
// CHECK: %[[P1:.*]] = dereference %arg2 : !emitc.ptr<f32>
// CHECK: assign %{{.*}} : f32 to %[[P1]]
// CHECK: return

// elem: x, B, A, C (A and C complex), then the two row values; decay and input out.
// CHECK-LABEL: emitc.func @k_elem(%arg0: f32, %arg1: f32, %arg2: !emitc.opaque<"ssm::cfloat">, %arg3: !emitc.opaque<"ssm::cfloat">, %arg4: f32, %arg5: f32, %arg6: !emitc.ptr<!emitc.opaque<"ssm::cfloat">>, %arg7: !emitc.ptr<!emitc.opaque<"ssm::cfloat">>)
// CHECK-DAG: call_opaque "ssm::cmake"
// CHECK-DAG: call_opaque "ssm::cmul"
// CHECK-DAG: call_opaque "ssm::cadd"
// CHECK-DAG: call_opaque "ssm::csub"
// CHECK-DAG: call_opaque "ssm::cdiv"
// CHECK-DAG: call_opaque "ssm::cneg"
// CHECK-DAG: call_opaque "ssm::cconj"
// CHECK-DAG: call_opaque "ssm::cexp"
// CHECK-DAG: call_opaque "ssm::cexpm1"
// CHECK-DAG: call_opaque "ssm::clog"
// CHECK: return

// contrib: the state element comes after the row values.
// CHECK-LABEL: emitc.func @k_contrib(%arg0: f32, %arg1: f32, %arg2: !emitc.opaque<"ssm::cfloat">, %arg3: !emitc.opaque<"ssm::cfloat">, %arg4: f32, %arg5: f32, %arg6: !emitc.opaque<"ssm::cfloat">, %arg7: !emitc.ptr<!emitc.opaque<"ssm::cfloat">>)
// CHECK: call_opaque "ssm::cmul"(%arg6, %arg3)

// out: x, the row values and the sum; the real output.
// CHECK-LABEL: emitc.func @k_out(%arg0: f32, %arg1: f32, %arg2: f32, %arg3: !emitc.opaque<"ssm::cfloat">, %arg4: !emitc.ptr<f32>)
// CHECK-DAG: call_opaque "ssm::creal"
// CHECK-DAG: call_opaque "ssm::cimag"
// CHECK-DAG: call_opaque "ssm::cabs"

// Each function is preceded by its parameters and results by script name.
// CPP: // k_row(x) -> (r0, r1)
// CPP-NEXT: static __device__ __forceinline__ void k_row(float [[X:v[0-9]+]], float* [[R0:v[0-9]+]], float* [[R1:v[0-9]+]]) {
// CPP: logf([[X]])
// CPP: *[[R0]] =
// CPP: *[[R1]] =
// CPP: // k_elem(x, B, A, C, r0, r1) -> (decay, input)
// CPP-NEXT: static __device__ __forceinline__ void k_elem(float {{v[0-9]+}}, float {{v[0-9]+}}, ssm::cfloat {{v[0-9]+}}, ssm::cfloat {{v[0-9]+}}, float {{v[0-9]+}}, float {{v[0-9]+}}, ssm::cfloat* {{v[0-9]+}}, ssm::cfloat* {{v[0-9]+}}) {
// CPP: ssm::cexp(
// CPP: // k_contrib(x, B, A, C, r0, r1, h) -> (t0)
// CPP-NEXT: static __device__ __forceinline__ void k_contrib(
// CPP: ssm::cmul(
// CPP: // k_out(x, r0, r1, s0) -> (y)
// CPP-NEXT: static __device__ __forceinline__ void k_out(float {{v[0-9]+}}, float {{v[0-9]+}}, float {{v[0-9]+}}, ssm::cfloat [[S:v[0-9]+]], float* [[Y:v[0-9]+]]) {
// CPP: ssm::creal([[S]])
// CPP: *[[Y]] =

// SPEC: emitc.func @k_row({{.*}}) attributes {specifiers = ["__device__"]}

ssm.layer @k(
    %x: tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"},
    %B: tensor<?x2xf32, #ssm.dims<["L", "N"]>> {ssm.role = "in", ssm.name = "B"},
    %A: tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "A"},
    %C: tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>> {ssm.role = "param", ssm.name = "C"})
    -> (tensor<?x4xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 4, N = 2>} {
  %y = ssm.fused "h" rows ["D"] inner "N"
      ins(%x, %B, %A, %C : tensor<?x4xf32, #ssm.dims<["L", "D"]>>, tensor<?x2xf32, #ssm.dims<["L", "N"]>>, tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>>, tensor<4x2xcomplex<f32>, #ssm.dims<["D", "N"]>>)
      outs(tensor<?x4xf32, #ssm.dims<["L", "D"]>>)
  row {
  ^bb0(%v: f32, %b: f32, %a: complex<f32>, %c: complex<f32>):
    %0 = math.log %v : f32
    %1 = math.log1p %0 : f32
    %2 = math.expm1 %1 : f32
    %3 = math.exp2 %2 : f32
    %4 = math.log2 %3 : f32
    %5 = math.tanh %4 : f32
    %6 = math.sqrt %5 : f32
    %7 = math.rsqrt %6 : f32
    %8 = math.erf %7 : f32
    %9 = math.fma %8, %v, %v : f32
    %10 = math.absf %9 : f32
    %11 = math.powf %10, %v : f32
    %12 = math.exp %11 : f32
    %13 = arith.maximumf %12, %v : f32
    %14 = arith.minimumf %13, %v : f32
    %15 = arith.maxnumf %14, %v : f32
    %16 = arith.minnumf %15, %v : f32
    %17 = ssm.softplus %16 : f32
    %18 = ssm.silu %17 : f32
    %19 = ssm.sigmoid %18 : f32
    %20 = arith.cmpf olt, %19, %v : f32
    %21 = arith.select %20, %19, %v : f32
    %22 = arith.negf %21 : f32
    %23 = arith.divf %22, %v : f32
    ssm.yield %23, %v : f32, f32
  } elem {
  ^bb0(%v: f32, %b: f32, %a: complex<f32>, %c: complex<f32>, %r0: f32, %r1: f32):
    %zero = arith.constant 0.0 : f32
    %rc = complex.create %r0, %zero : complex<f32>
    %0 = complex.mul %rc, %a : complex<f32>
    %1 = complex.exp %0 : complex<f32>
    %one = complex.constant [1.0 : f32, 0.0 : f32] : complex<f32>
    %2 = complex.sub %1, %one : complex<f32>
    %3 = complex.div %2, %a : complex<f32>
    %4 = complex.neg %3 : complex<f32>
    %5 = complex.conj %4 : complex<f32>
    %6 = complex.expm1 %5 : complex<f32>
    %7 = complex.log %6 : complex<f32>
    %bc = complex.create %b, %r1 : complex<f32>
    %8 = complex.add %7, %bc : complex<f32>
    ssm.yield %1, %8 : complex<f32>, complex<f32>
  } contrib {
  ^bb0(%v: f32, %b: f32, %a: complex<f32>, %c: complex<f32>, %r0: f32, %r1: f32, %h: complex<f32>):
    %t = complex.mul %h, %c : complex<f32>
    ssm.yield %t : complex<f32>
  } out {
  ^bb0(%v: f32, %b: f32, %a: complex<f32>, %c: complex<f32>, %r0: f32, %r1: f32, %s: complex<f32>):
    %re = complex.re %s : complex<f32>
    %im = complex.im %s : complex<f32>
    %ab = complex.abs %s : complex<f32>
    %0 = arith.addf %re, %im : f32
    %1 = arith.mulf %0, %ab : f32
    %2 = arith.subf %1, %v : f32
    ssm.yield %2 : f32
  }
  ssm.return %y : tensor<?x4xf32, #ssm.dims<["L", "D"]>>
}

// The rest of the math MLIR's own conversion covers, and arith.remf.
// CHECK-LABEL: emitc.func @m_row(
// CHECK-DAG: call_opaque "floorf"
// CHECK-DAG: call_opaque "ceilf"
// CHECK-DAG: call_opaque "roundf"
// CHECK-DAG: call_opaque "sinf"
// CHECK-DAG: call_opaque "cosf"
// CHECK-DAG: call_opaque "asinf"
// CHECK-DAG: call_opaque "acosf"
// CHECK-DAG: call_opaque "atan2f"
// CHECK-DAG: call_opaque "fmodf"
// CHECK: return
ssm.layer @m(%x: tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "in", ssm.name = "x"}) -> (tensor<?xf32, #ssm.dims<["L"]>> {ssm.role = "out", ssm.name = "y"}) attributes {dims = #ssm.sizes<N = 2>} {
  %y = ssm.fused "h" rows [] inner "N" ins(%x : tensor<?xf32, #ssm.dims<["L"]>>) outs(tensor<?xf32, #ssm.dims<["L"]>>)
  row {
  ^bb0(%v: f32):
    %0 = math.floor %v : f32
    %1 = math.ceil %0 : f32
    %2 = math.round %1 : f32
    %3 = math.sin %2 : f32
    %4 = math.cos %3 : f32
    %5 = math.asin %4 : f32
    %6 = math.acos %5 : f32
    %7 = math.atan2 %6, %v : f32
    %8 = arith.remf %7, %v : f32
    ssm.yield %8 : f32
  } elem {
  ^bb0(%v: f32, %r: f32):
    ssm.yield %v, %r : f32, f32
  } contrib {
  ^bb0(%v: f32, %r: f32, %h: f32):
    ssm.yield %h : f32
  } out {
  ^bb0(%v: f32, %r: f32, %s: f32):
    ssm.yield %s : f32
  }
  ssm.return %y : tensor<?xf32, #ssm.dims<["L"]>>
}
