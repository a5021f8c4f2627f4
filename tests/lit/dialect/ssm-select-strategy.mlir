// --ssm-select-strategy: ssd for a scalar decay with bf16 per-step inputs and N a multiple of 16; lane when
// batch * rows * inner lanes fill the GPU, else chunked.
// RUN: ssm-opt %s --ssm-select-strategy | FileCheck %s --check-prefix=DEFAULT
// RUN: ssm-opt %s --ssm-select-strategy=batch=16 | FileCheck %s --check-prefix=BATCH16
// RUN: ssm-opt %s --ssm-select-strategy=lanes=1024 | FileCheck %s --check-prefix=SMALLGPU
// RUN: ssm-opt %s --ssm-select-strategy=force=lane | FileCheck %s --check-prefix=FORCE
// RUN: not ssm-opt %s --ssm-select-strategy=force=ssd 2>&1 | FileCheck %s --check-prefix=SSD
// RUN: not ssm-opt %s --ssm-select-strategy=force=warp 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// Mamba-1 sized: D = 1536, N = 16 -> 24576 lanes per batch element.
// DEFAULT-LABEL: ssm.layer @s6
// DEFAULT: strategy = "chunked"
// BATCH16-LABEL: ssm.layer @s6
// BATCH16: strategy = "lane"
// SMALLGPU-LABEL: ssm.layer @s6
// SMALLGPU: strategy = "lane"
// FORCE-LABEL: ssm.layer @s6
// FORCE: strategy = "lane"
// SSD: error: strategy "ssd" was forced but state 'h' does not have a scalar decay per head
// UNKNOWN: error: --ssm-select-strategy: unknown strategy "warp", expected lane, chunked, ssd or dense
ssm.layer @s6(%x: tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x1536xf32, #ssm.dims<["L", "D"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<D = 1536, N = 16>, facts = #ssm.facts<selective>} {
  %y = ssm.fused "h" rows ["D"] inner "N" ins(%x : tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) outs(tensor<?x1536xf32, #ssm.dims<["L", "D"]>>) attributes {facts = #ssm.facts<selective>}
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
  ssm.return %y : tensor<?x1536xf32, #ssm.dims<["L", "D"]>>
}

// Big enough on its own: H * P * N = 64 * 64 * 128 = 524288 lanes.
// DEFAULT-LABEL: ssm.layer @ssd
// DEFAULT: strategy = "lane"
// FORCE-LABEL: ssm.layer @ssd
// FORCE: strategy = "lane"
ssm.layer @ssd(%x: tensor<?x64x64xf32, #ssm.dims<["L", "H", "P"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x64x64xf32, #ssm.dims<["L", "H", "P"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<H = 64, P = 64, N = 128>, facts = #ssm.facts<selective, scalar_decay>} {
  %y = ssm.fused "h" rows ["H", "P"] inner "N" ins(%x : tensor<?x64x64xf32, #ssm.dims<["L", "H", "P"]>>) outs(tensor<?x64x64xf32, #ssm.dims<["L", "H", "P"]>>) attributes {facts = #ssm.facts<selective, scalar_decay>}
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
  ssm.return %y : tensor<?x64x64xf32, #ssm.dims<["L", "H", "P"]>>
}

// The same with bf16 per-step inputs: the tensor-core form. With N = 8 (not a multiple of 16)
// it takes the lane family's rule (chunked: 32768 lanes per batch element).
// DEFAULT-LABEL: ssm.layer @ssd_bf16
// DEFAULT: strategy = "ssd"
// FORCE-LABEL: ssm.layer @ssd_bf16
// FORCE: strategy = "lane"
ssm.layer @ssd_bf16(%x: tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<H = 64, P = 64, N = 128>, facts = #ssm.facts<selective, scalar_decay>} {
  %y = ssm.fused "h" rows ["H", "P"] inner "N" ins(%x : tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>>) outs(tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>>) attributes {facts = #ssm.facts<selective, scalar_decay>}
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
  ssm.return %y : tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>>
}

// DEFAULT-LABEL: ssm.layer @ssd_bf16_n8
// DEFAULT: strategy = "chunked"
ssm.layer @ssd_bf16_n8(%x: tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>> {ssm.role = "in", ssm.name = "x"})
    -> (tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>> {ssm.role = "out", ssm.name = "y"})
    attributes {dims = #ssm.sizes<H = 64, P = 64, N = 8>, facts = #ssm.facts<selective, scalar_decay>} {
  %y = ssm.fused "h" rows ["H", "P"] inner "N" ins(%x : tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>>) outs(tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>>) attributes {facts = #ssm.facts<selective, scalar_decay>}
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
  ssm.return %y : tensor<?x64x64xbf16, #ssm.dims<["L", "H", "P"]>>
}
