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
# pip's libtorch.so (torch 2.11's wheels at least, built with a newer GCC) defines its own copies
# of std::filesystem functions (remove_all, permissions, ...) that call libstdc++ symbols missing
# from older systems' libstdc++ (Debian 12's GCC 12) through weak references. An executable that
# lists libtorch.so before libstdc++.so.6 binds its own std::filesystem::remove_all calls to that
# copy, which jumps to address 0 (seen as a crash in checkpoint rotation). Listing libstdc++ first
# makes the dynamic linker take the system's definitions.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_link_options(lathe_torch INTERFACE "LINKER:--push-state,--no-as-needed" "-lstdc++"
                      "LINKER:--pop-state")
endif()
