# libtorch 2.5's Caffe2 CMake config links torch::nvtoolsext to CUDA::nvToolsExt, which CUDA 12.9+
# no longer ships (NVTX 3 is header-only). An empty imported target lets the config load; nothing
# Lathe builds calls NVTX. Used by scripts/check-libtorch2.sh through CMAKE_PROJECT_INCLUDE.
find_package(CUDAToolkit QUIET)
if(NOT TARGET CUDA::nvToolsExt)
  add_library(CUDA::nvToolsExt INTERFACE IMPORTED)
endif()
