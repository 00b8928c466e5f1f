#include "app/lathe/remote_access.h"

#include <memory>

#include "remote/runs/cli_prompts.h"
#include "remote/runs/ssh_launcher.h"

namespace lathe::app {

remote::runs::SessionPool& session_pool() {
    // Never destroyed: libssh finalizes itself in a library destructor that may run before a
    // static's, and an ssh_free after that crashes. Exiting closes the sockets anyway.
    static auto* pool = new remote::runs::SessionPool(remote::runs::terminal_prompts());
    return *pool;
}

void enable_remote_targets(core::run_manager::RunManager& manager) {
    manager.set_target_launcher(std::make_shared<remote::runs::SshLauncher>(session_pool()));
}

}  // namespace lathe::app
