#include "remote/runs/cli_prompts.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "core/util/unique_fd.h"

namespace lathe::remote::runs {

namespace {

std::optional<std::string> ask(const std::string& question, bool echo) {
    const core::util::UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC));
    if (tty.get() < 0) {
        return std::nullopt;
    }
    if (::write(tty.get(), question.data(), question.size()) < 0) {
        return std::nullopt;
    }
    termios saved{};
    const bool restore = !echo && ::tcgetattr(tty.get(), &saved) == 0;
    if (restore) {
        termios quiet = saved;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
    }
    std::string answer;
    char c = 0;
    while (::read(tty.get(), &c, 1) == 1 && c != '\n') {
        answer += c;
    }
    if (restore) {
        ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
        (void)!::write(tty.get(), "\n", 1);
    }
    return answer;
}

}  // namespace

ssh::Prompts terminal_prompts() {
    ssh::Prompts prompts;
    prompts.accept_new_host = [](const std::string& host, const std::string& fingerprint) {
        const auto answer =
            ask("The authenticity of host " + host +
                    " can't be established.\nIts key fingerprint is " + fingerprint +
                    ".\nTrust it and record it in known_hosts "
                    "(yes/no)? ",
                true);
        return answer && *answer == "yes";
    };
    prompts.passphrase = [](const std::string& key_path) {
        return ask("Passphrase for " + key_path + ": ", false);
    };
    prompts.password = [](const std::string& prompt, bool echo) { return ask(prompt + " ", echo); };
    return prompts;
}

}  // namespace lathe::remote::runs
