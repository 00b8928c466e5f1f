#include "remote/runs/host_probe.h"

#include "core/util/error.h"
#include "remote/runs/local_command.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/ssh/session.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::remote::runs {

hosts::HostFacts probe_host(ssh::Session& session, const RemoteHost& host, bool with_worker) {
    const std::string script =
        hosts::probe_script(ssh::shell_quote(remote_absolute(session, host.runs_dir)),
                            with_worker ? host.worker_command : std::string());
    const auto result = session.run("sh -c " + ssh::shell_quote(script), 120000);
    try {
        return hosts::parse_probe_output(result.out);
    } catch (const core::Error& e) {
        throw ssh::SshError(ssh::SshError::Kind::remote_failure,
                            "host " + host.name + ": " + e.what());
    }
}

hosts::HostFacts probe_this_machine(const std::string& runs_dir,
                                    const std::string& worker_command) {
    const std::string script = hosts::probe_script(ssh::shell_quote(runs_dir), worker_command);
    const auto result = run_local("sh -c " + ssh::shell_quote(script) + " 2>/dev/null");
    try {
        return hosts::parse_probe_output(result.output);
    } catch (const core::Error& e) {
        throw core::Error(std::string("this machine: ") + e.what());
    }
}

}  // namespace lathe::remote::runs
