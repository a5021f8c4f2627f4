// nvrtc_check.cpp — the skeletons compile under NVRTC with no CUDA toolkit header: only the
// project's include directories are on the path, as in the runtime's JIT. Needs no GPU.
//
//   ssm_nvrtc_check <repo root> [arch ...]      (default archs: sm_80 sm_90)
//
// The source below is what ssmc emits for a layer: the layer struct (here from layers.cuh) and
// the `extern "C" __global__` wrappers that instantiate the skeletons.
#include <nvrtc.h>

#include <cstdio>
#include <string>
#include <vector>

static const char* kSource = R"(
#include "layers.cuh"
using S6F = layers::MambaS6<float, 1536, 16>;
using S6B = layers::MambaS6<ssm::bf16, 1536, 16, int>;
using S6X = layers::MambaS6Exact<float, 200, 16>;
using SSD = layers::Mamba2SSD<ssm::bf16, 24, 64, 128, int>;
extern "C" __global__ void __launch_bounds__(64) s6_f32_fwd(ssm_launch_args a) {
  ssm::diag_lane_forward<S6F, ssm::LaneCfg<8, 16, 2>>(a);
}
extern "C" __global__ void __launch_bounds__(64) s6_bf16_fwd(ssm_launch_args a) {
  ssm::diag_lane_forward<S6B, ssm::LaneCfg<8, 16, 2, 2>>(a);
}
extern "C" __global__ void __launch_bounds__(64) s6x_fwd(ssm_launch_args a) {
  ssm::diag_lane_forward<S6X, ssm::LaneCfg<4, 16, 2>>(a);
}
extern "C" __global__ void __launch_bounds__(64) s6_bf16_sum(ssm_launch_args a) {
  ssm::diag_chunk_summary<S6B, ssm::LaneCfg<8, 16, 2, 0, 1024>>(a);
}
extern "C" __global__ void __launch_bounds__(64) s6_bf16_chunk(ssm_launch_args a) {
  ssm::diag_chunk_forward<S6B, ssm::LaneCfg<8, 16, 2, 0, 1024>>(a);
}
extern "C" __global__ void __launch_bounds__(128) s6_bf16_step(ssm_launch_args a) {
  ssm::diag_step<S6B, ssm::StepCfg<4, 4>>(a);
}
extern "C" __global__ void __launch_bounds__(128) ssd_bf16_fwd(ssm_launch_args a) {
  ssm::diag_lane_forward<SSD, ssm::LaneCfg<16, 8, 4>>(a);
}
extern "C" __global__ void __launch_bounds__(128) ssd_bf16_step(ssm_launch_args a) {
  ssm::diag_step<SSD, ssm::StepCfg<16, 4>>(a);
}
)";

static bool compile(const std::string& root, const std::string& arch) {
  nvrtcProgram prog;
  if (nvrtcCreateProgram(&prog, kSource, "layer.cu", 0, nullptr, nullptr) != NVRTC_SUCCESS) {
    fprintf(stderr, "nvrtcCreateProgram failed\n");
    return false;
  }
  std::vector<std::string> opts = {"-std=c++17", "--gpu-architecture=" + arch,
                                   "-I" + root + "/runtime/device/include",
                                   "-I" + root + "/runtime/include", "-I" + root + "/tests/gpu"};
  std::vector<const char*> copts;
  for (auto& o : opts) copts.push_back(o.c_str());
  nvrtcResult r = nvrtcCompileProgram(prog, int(copts.size()), copts.data());
  size_t n = 0;
  nvrtcGetProgramLogSize(prog, &n);
  std::string log(n, '\0');
  if (n) nvrtcGetProgramLog(prog, &log[0]);
  size_t cubin = 0;
  if (r == NVRTC_SUCCESS) nvrtcGetCUBINSize(prog, &cubin);
  printf("%-4s nvrtc %s: %s, cubin %zu bytes\n", r == NVRTC_SUCCESS ? "ok" : "FAIL", arch.c_str(),
         nvrtcGetErrorString(r), cubin);
  if (log.size() > 1) printf("%s\n", log.c_str());
  nvrtcDestroyProgram(&prog);
  return r == NVRTC_SUCCESS && cubin > 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <repo root> [arch ...]\n", argv[0]);
    return 2;
  }
  std::vector<std::string> archs;
  for (int i = 2; i < argc; ++i) archs.push_back(argv[i]);
  if (archs.empty()) archs = {"sm_80", "sm_90"};
  bool ok = true;
  for (auto& a : archs) ok = compile(argv[1], a) && ok;
  return ok ? 0 : 1;
}
