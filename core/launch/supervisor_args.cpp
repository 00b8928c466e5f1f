#include "core/launch/supervisor_args.h"

#include "core/util/error.h"

namespace lathe::core::launch {

std::vector<std::string> encode_supervisor_args(const SupervisorArgs& args) {
    std::vector<std::string> out{"--run-dir", args.run_dir};
    for (const auto& [name, value] : args.extra_env) {
        if (name.empty() || name.find('=') != std::string::npos) {
            throw Error("environment variable name \"" + name + "\" is empty or contains '='");
        }
        out.push_back("--env");
        out.push_back(name + "=" + value);
    }
    for (const auto& arg : args.then_command) {
        out.push_back("--then");
        out.push_back(arg);
    }
    out.push_back("--");
    out.insert(out.end(), args.command.begin(), args.command.end());
    return out;
}

SupervisorArgs parse_supervisor_args(int argc, const char* const* argv) {
    SupervisorArgs args;
    bool have_run_dir = false;
    bool have_separator = false;
    int i = 1;
    while (i < argc) {
        const std::string option = argv[i];
        if (option == "--") {
            have_separator = true;
            ++i;
            break;
        }
        if (option != "--run-dir" && option != "--env" && option != "--then") {
            throw Error("unknown option \"" + option +
                        "\" (expected --run-dir, --env, --then, --)");
        }
        if (i + 1 >= argc) {
            throw Error("option " + option + " needs a value");
        }
        const std::string value = argv[i + 1];
        i += 2;
        if (option == "--run-dir") {
            args.run_dir = value;
            have_run_dir = true;
        } else if (option == "--then") {
            args.then_command.push_back(value);
        } else {
            const auto eq = value.find('=');
            if (eq == std::string::npos || eq == 0) {
                throw Error("--env \"" + value + "\" is not NAME=VALUE");
            }
            args.extra_env.emplace_back(value.substr(0, eq), value.substr(eq + 1));
        }
    }
    if (!have_run_dir || args.run_dir.empty()) {
        throw Error("--run-dir is required");
    }
    if (!have_separator) {
        throw Error("\"--\" followed by the trainer command is required");
    }
    for (; i < argc; ++i) {
        args.command.emplace_back(argv[i]);
    }
    if (args.command.empty()) {
        throw Error("the trainer command after \"--\" is empty");
    }
    return args;
}

}  // namespace lathe::core::launch
