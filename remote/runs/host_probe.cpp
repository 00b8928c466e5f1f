#include "remote/runs/host_probe.h"

#include "core/util/error.h"
#include "remote/runs/ssh_launcher.h"
#include "remote/ssh/session.h"
#include "remote/ssh/shell_quote.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::remote::runs {

hosts::HostFacts probe_host(ssh::Session& session, const RemoteHost& host) {
    const std::string script = hosts::probe_script(
        ssh::shell_quote(remote_absolute(session, host.runs_dir)), host.worker_command);
    const auto result = session.run("sh -c " + ssh::shell_quote(script), 120000);
    try {
        return hosts::parse_probe_output(result.out);
    } catch (const core::Error& e) {
        throw ssh::SshError(ssh::SshError::Kind::remote_failure,
                            "host " + host.name + ": " + e.what());
    }
}

}  // namespace lathe::remote::runs
