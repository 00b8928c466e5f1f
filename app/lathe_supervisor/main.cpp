// lathe-supervisor: the small parent of every detached run. It outlives the studio or CLI that
// started it and records how the trainer ended, even when the trainer was killed and could not
// (core/launch/supervisor.h, docs/launch.md).
#include "core/launch/control.h"
#include "core/launch/supervisor.h"

int main(int argc, char** argv) {
    bool handled = false;
    const int code = lathe::core::launch::run_control_command(argc, argv, &handled);
    return handled ? code : lathe::core::launch::run_supervisor(argc, argv);
}
