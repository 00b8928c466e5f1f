#pragma once

namespace lathe::app {

// `lathe` exit codes (docs/lathe-cli.md).
inline constexpr int kCliSuccess = 0;
inline constexpr int kCliFailure = 1;       // I/O, registry, process errors
inline constexpr int kCliInvalidInput = 2;  // bad arguments or run configuration
inline constexpr int kCliNotFound = 3;      // no such run, checkpoint or folder
inline constexpr int kCliWrongState = 4;    // the run's status does not allow it

}  // namespace lathe::app
