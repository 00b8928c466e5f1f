# Warnings stay at zero: every Lathe target gets these; third-party headers come in as SYSTEM.
add_library(lathe_warnings INTERFACE)
target_compile_options(lathe_warnings INTERFACE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
if(DEFINED ENV{CI} OR LATHE_WERROR)
  target_compile_options(lathe_warnings INTERFACE -Werror)
endif()
