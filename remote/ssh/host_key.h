#pragma once

#include <string>

#include "remote/ssh/ssh_target.h"

struct ssh_session_struct;

namespace lathe::remote::ssh {

// Checks the server's host key of a connected (not yet authenticated) session against
// known_hosts. Known: returns. Changed (or another key type for a known host): throws
// SshError(host_key_changed) with the new fingerprint and the known_hosts line to remove; never
// asks. Unknown: asks prompts.accept_new_host, records the key on "yes", else throws
// SshError(host_key_unknown) with the fingerprint. Returns the "SHA256:..." fingerprint.
std::string verify_host_key(ssh_session_struct* session, const std::string& label,
                            const std::string& known_hosts_path, const Prompts& prompts);

}  // namespace lathe::remote::ssh
