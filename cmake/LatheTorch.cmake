# libtorch: Debian's 1.13.1 (CPU) by default; a 2.x with CUDA through CMAKE_PREFIX_PATH or Torch_DIR.
find_package(Torch REQUIRED)
# TorchConfig puts its include dirs on the target as non-SYSTEM: re-export them as SYSTEM so that
# libtorch's own warnings do not count against ours.
add_library(lathe_torch INTERFACE)
target_link_libraries(lathe_torch INTERFACE ${TORCH_LIBRARIES})
get_target_property(_torch_inc torch INTERFACE_INCLUDE_DIRECTORIES)
if(_torch_inc)
  target_include_directories(lathe_torch SYSTEM INTERFACE ${_torch_inc})
endif()
target_include_directories(lathe_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
message(STATUS "libtorch ${Torch_VERSION} at ${Torch_DIR}")
