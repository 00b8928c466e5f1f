#!/usr/bin/env bash
# Configures a build of Lathe against the libtorch inside a pip-installed torch 2.x (with CUDA
# where the wheel has it) instead of Debian's libtorch 1.13. Used by scripts/check-libtorch2.sh
# and bench/run-gpu-bench.sh.
#
#   scripts/configure-libtorch2.sh PYTHON BUILD_DIR [CMAKE_ARGS...]
#
# Without CMAKE_ARGS only core/, remote/ and lathe-train are configured (no UI, tests or benches).
# The configure log is BUILD_DIR.configure.log; its libtorch, Gloo and NCCL lines are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:?usage: scripts/configure-libtorch2.sh PYTHON BUILD_DIR [CMAKE_ARGS...]}
BUILD_DIR=${2:?usage: scripts/configure-libtorch2.sh PYTHON BUILD_DIR [CMAKE_ARGS...]}
shift 2
prefix=$("$PYTHON" -c 'import torch; print(torch.utils.cmake_prefix_path)')
abi=$("$PYTHON" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')
# /usr/local/cuda when it is there (the toolkit the system chose), else the newest versioned one.
cuda_root=/usr/local/cuda
[ -d "$cuda_root" ] || cuda_root=$(ls -d /usr/local/cuda-* 2>/dev/null | sort -V | tail -1 || true)
# The whole build takes torch's C++ ABI: pip wheels before torch 2.7 use the pre-C++11 one.
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLATHE_BUILD_UI=OFF \
  -DLATHE_BUILD_TESTS=OFF -DLATHE_BUILD_BENCH=OFF -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_FLAGS="-D_GLIBCXX_USE_CXX11_ABI=$abi" \
  ${cuda_root:+"-DCUDAToolkit_ROOT=$cuda_root"} \
  -DCMAKE_PROJECT_INCLUDE="$PWD/cmake/torch2_nvtx_shim.cmake" "$@" >"$BUILD_DIR.configure.log"
grep -E "libtorch|c10d" "$BUILD_DIR.configure.log" || true
