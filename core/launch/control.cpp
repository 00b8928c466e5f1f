#include "core/launch/control.h"

#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/launch/probe.h"
#include "core/util/error.h"
#include "core/util/version.h"

namespace lathe::core::launch {

namespace {

int signal_from_name(std::string name) {
    if (name.rfind("SIG", 0) == 0) {
        name = name.substr(3);
    }
    if (name == "TERM")
        return SIGTERM;
    if (name == "INT")
        return SIGINT;
    if (name == "USR1")
        return SIGUSR1;
    if (name == "KILL")
        return SIGKILL;
    return 0;
}

}  // namespace

int run_control_command(int argc, char** argv, bool* handled) {
    *handled = false;
    if (argc < 2) {
        return 0;
    }
    const std::string command = argv[1];
    if (command == "--version") {
        *handled = true;
        std::printf("lathe-supervisor %s\n", util::kLatheVersion);
        return 0;
    }
    if (command != "--probe" && command != "--signal") {
        return 0;
    }
    *handled = true;
    try {
        if (command == "--probe") {
            if (argc != 3) {
                throw Error("usage: lathe-supervisor --probe RUN_DIR");
            }
            std::printf("%s\n", to_json(probe(argv[2])).dump().c_str());
            return 0;
        }
        if (argc != 4) {
            throw Error("usage: lathe-supervisor --signal TERM|INT|USR1|KILL RUN_DIR");
        }
        const int sig = signal_from_name(argv[2]);
        if (sig == 0) {
            throw Error(std::string("--signal: unknown signal '") + argv[2] +
                        "' (TERM, INT, USR1 or KILL)");
        }
        try {
            send_to_trainer(argv[3], sig);
        } catch (const Error& e) {
            std::fprintf(stderr, "lathe-supervisor: %s\n", e.what());
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "lathe-supervisor: %s\n", e.what());
        return 2;
    }
}

}  // namespace lathe::core::launch
