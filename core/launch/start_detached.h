#pragma once

#include "core/launch/launch_spec.h"

namespace lathe::core::launch {

// Starts `spec.command` under lathe-supervisor, detached from the caller: the supervisor is in a
// new session, reparented to init (the caller never has to reap it), with stdin, stdout and
// stderr on /dev/null until it opens the run's log files; the caller may exit or be killed
// (even with SIGKILL) without affecting the run. Inherited descriptors are closed at exec.
//
// Returns once the supervisor program has been exec'd, with its pid. Throws Error naming the path
// when run_dir is not a directory or a program is missing, not absolute (commands) or not
// executable, and Error with the reason (errno text) when fork or the supervisor's exec fails.
// A trainer that cannot be exec'd after all is not an error here: the supervisor records it as
// exit code 127 (read_exit_record).
LaunchResult start_detached(const LaunchSpec& spec);

}  // namespace lathe::core::launch
