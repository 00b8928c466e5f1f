#pragma once

#include <stdexcept>
#include <string>

namespace lathe::app {

// An error with the exit code it maps to (exit_codes.h). Engine errors (core::Error) that reach
// main() without one exit with kCliFailure.
class CliError : public std::runtime_error {
  public:
    CliError(int exit_code, const std::string& message)
        : std::runtime_error(message), exit_code_(exit_code) {}
    int exit_code() const { return exit_code_; }

  private:
    int exit_code_;
};

}  // namespace lathe::app
