#pragma once

#include "remote/ssh/ssh_target.h"

namespace lathe::remote::runs {

// Prompts answered on the controlling terminal (/dev/tty), for command-line tools: an unknown
// host key is shown with its fingerprint and accepted only on "yes"; passphrases and passwords
// are read without echo. Without a terminal every question is answered "no", so scripts fail
// with the error that names the host instead of hanging.
ssh::Prompts terminal_prompts();

}  // namespace lathe::remote::runs
