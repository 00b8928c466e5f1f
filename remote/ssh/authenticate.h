#pragma once

#include <string>

#include "remote/ssh/ssh_target.h"

struct ssh_session_struct;

namespace lathe::remote::ssh {

// Authenticates a connected session whose host key was verified: ssh-agent (when SSH_AUTH_SOCK
// is set), then target.identity_files, then the config's IdentityFile and the default keys
// (passphrases through prompts.passphrase), then password / keyboard-interactive through
// prompts.password. Throws SshError(auth_failed) naming the user, host and what was tried.
void authenticate(ssh_session_struct* session, const std::string& label, const SshTarget& target,
                  const Prompts& prompts);

}  // namespace lathe::remote::ssh
