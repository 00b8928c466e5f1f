#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/launch/launch_spec.h"

namespace lathe::core::launch {

// What lathe-supervisor is told on its command line:
//
//   lathe-supervisor --run-dir DIR [--env NAME=VALUE]... [--then ARG]... -- PROGRAM [ARG]...
//
// Every option takes exactly the one argv element after it, verbatim, so values may be empty or
// start with "--"; the first bare "--" ends the options and everything after it is the trainer's
// argv. `--then` is repeated once per element of then_command, in order.
struct SupervisorArgs {
    std::string run_dir;
    std::vector<std::string> command;
    std::vector<std::string> then_command;
    std::vector<std::pair<std::string, std::string>> extra_env;
};

// The arguments after argv[0], in the format above. Throws Error for an env name that is empty
// or holds '='.
std::vector<std::string> encode_supervisor_args(const SupervisorArgs& args);

// The inverse of encode_supervisor_args; argv[0] is skipped. Throws Error saying what is wrong
// (unknown option, missing value, no "--", empty command).
SupervisorArgs parse_supervisor_args(int argc, const char* const* argv);

}  // namespace lathe::core::launch
