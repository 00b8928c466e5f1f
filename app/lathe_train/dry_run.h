#pragma once

#include "app/lathe_train/run_setup.h"
#include "core/training_args/training_arguments.h"

namespace lathe::app {

// Validates data and model, prints parameter count, a memory estimate, the step plan and the time
// of one forward/backward pass. Returns the exit code.
int dry_run(const core::run::RunConfig& config, const core::training_args::TrainingArguments& args);

}  // namespace lathe::app
