#pragma once

#include "core/run_manager/run_manager.h"
#include "remote/runs/session_pool.h"

namespace lathe::app {

// The SSH connections of this `lathe` process (one per host, reused by every command it runs),
// with prompts on the terminal (remote/runs/cli_prompts.h).
remote::runs::SessionPool& session_pool();

// Lets `manager` start and signal runs on "ssh:HOST" targets.
void enable_remote_targets(core::run_manager::RunManager& manager);

}  // namespace lathe::app
