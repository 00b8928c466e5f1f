// lathe train, lathe runs resume|fork|continue|import.
#include <filesystem>
#include <iostream>

#include "app/lathe/cli_error.h"
#include "app/lathe/commands.h"
#include "app/lathe/exit_codes.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace lathe::app {

using core::run_manager::PreparedRun;
using core::run_manager::RunManager;

namespace {

void report_started(const CliContext& ctx, const core::registry::RunRecord& run) {
    if (ctx.json) {
        print_json(run_to_json(run));
        return;
    }
    // The id alone on stdout, for scripts: id=$(lathe train run.json).
    std::cout << run.id << "\n";
    std::cerr << "lathe: run " << run.id << " " << status_text(run) << " in " << run.run_dir
              << "\n";
}

}  // namespace

int train_command(const CliContext& ctx, const TrainCommand& cmd) {
    PreparedRun prepared;
    try {
        prepared = core::run_manager::prepare_run(cmd.config_path, cmd.overrides);
    } catch (const core::Error& e) {
        throw CliError(kCliInvalidInput, std::string("invalid configuration: ") + e.what());
    }
    print_warnings(prepared.warnings);
    RunManager manager = open_manager(ctx);
    core::run_manager::SubmitOptions options;
    options.name = !cmd.name.empty() ? cmd.name
                   : !prepared.config.name.empty()
                       ? prepared.config.name
                       : (cmd.config_path.empty() ? "embedded-default"
                                                  : fs::path(cmd.config_path).stem().string());
    options.tags = cmd.tags;
    // --host A,B,...: one run spanning the hosts, A holding rank 0.
    std::vector<std::string> hosts;
    std::string current;
    for (char c : cmd.host + ",") {
        if (c != ',') {
            current += c;
        } else if (!current.empty()) {
            hosts.push_back(current);
            current.clear();
        }
    }
    if (!hosts.empty()) {
        options.target = "ssh:" + hosts.front();
        options.extra_hosts.assign(hosts.begin() + 1, hosts.end());
    }
    auto whole_number = [](const std::string& option, const std::string& text,
                           std::int64_t minimum) {
        try {
            std::size_t used = 0;
            const auto value = std::stoll(text, &used);
            if (used != text.size() || value < minimum)
                throw std::invalid_argument(text);
            return static_cast<std::int64_t>(value);
        } catch (const std::exception&) {
            throw CliError(kCliInvalidInput,
                           option + " = \"" + text +
                               "\" must be a whole number >= " + std::to_string(minimum));
        }
    };
    if (!cmd.processes.empty())
        options.processes = whole_number("--nproc", cmd.processes, 1);
    if (!cmd.max_failures.empty())
        options.max_failures = whole_number("--max-failures", cmd.max_failures, 0);
    options.gpus = cmd.gpus;
    if (!cmd.slurm_host.empty()) {
        if (!cmd.host.empty())
            throw CliError(kCliInvalidInput, "--slurm and --host exclude each other");
        options.target = "slurm:" + cmd.slurm_host;
        nlohmann::json slurm = nlohmann::json::object();
        if (!cmd.nodes.empty())
            slurm["nodes"] = whole_number("--nodes", cmd.nodes, 1);
        if (!cmd.gpus_per_node.empty())
            slurm["gpus_per_node"] = whole_number("--gpus-per-node", cmd.gpus_per_node, 0);
        for (const auto& [key, value] :
             {std::pair{"time_limit", cmd.time_limit}, std::pair{"partition", cmd.partition},
              std::pair{"account", cmd.account}, std::pair{"command_prefix", cmd.slurm_prefix}}) {
            if (!value.empty())
                slurm[key] = value;
        }
        if (!cmd.sbatch_line.empty())
            slurm["extra_sbatch_lines"] = {cmd.sbatch_line};
        options.slurm = slurm;
    } else if (!cmd.nodes.empty() || !cmd.gpus_per_node.empty() || !cmd.time_limit.empty() ||
               !cmd.partition.empty() || !cmd.account.empty() || !cmd.sbatch_line.empty()) {
        throw CliError(kCliInvalidInput,
                       "--nodes, --gpus-per-node, --time, --partition, --account and --sbatch "
                       "are for SLURM jobs: add --slurm LOGIN_HOST");
    }
    report_started(ctx, manager.submit(prepared, options));
    return kCliSuccess;
}

int child_command(const CliContext& ctx, const ChildCommand& cmd) {
    RunManager manager = open_manager(ctx);
    std::string parent;
    try {
        parent = manager.resolve(cmd.run);
    } catch (const core::Error& e) {
        throw CliError(kCliNotFound, e.what());
    }
    RunManager::ChildOptions options;
    options.checkpoint.step = cmd.checkpoint_step;
    options.overrides = cmd.overrides;
    options.config_path = cmd.config_path;
    options.submit.name = cmd.name;
    options.submit.target = "";
    if (cmd.kind == ChildKind::continue_) {
        if (cmd.extra_steps <= 0)
            throw CliError(kCliInvalidInput, "--steps must be a positive number of steps");
        const auto run = manager.registry().get_run(parent);
        if (!core::registry::is_terminal(run.status))
            throw CliError(kCliWrongState, "run " + parent + " is " +
                                               core::registry::to_string(run.status) +
                                               "; continue it once it has ended");
        options.extra_steps = cmd.extra_steps;
    }
    if (cmd.kind == ChildKind::resume && !cmd.overrides.empty())
        throw CliError(kCliInvalidInput,
                       "resume continues with the same arguments; use `lathe runs fork` to "
                       "change them");
    std::vector<std::string> warnings;
    core::registry::RunRecord child;
    try {
        child = manager.resume(parent, options, &warnings);
    } catch (const core::Error& e) {
        const std::string what = e.what();
        const bool missing = what.find("no checkpoint") != std::string::npos ||
                             what.find("no complete checkpoint") != std::string::npos;
        throw CliError(missing ? kCliNotFound : kCliInvalidInput, what);
    }
    print_warnings(warnings);
    report_started(ctx, child);
    return kCliSuccess;
}

int import_command(const CliContext& ctx, const std::string& folder, const std::string& name) {
    RunManager manager = open_manager(ctx);
    if (!fs::exists(folder))
        throw CliError(kCliNotFound, folder + ": no such folder");
    core::registry::RunRecord run;
    try {
        run = manager.import_hf_folder(folder, name);
    } catch (const core::Error& e) {
        throw CliError(kCliInvalidInput, e.what());
    }
    if (ctx.json) {
        print_json(run_to_json(run));
    } else {
        std::cout << run.id << "\n";
        std::cerr << "lathe: imported " << folder << " as run " << run.id << " (step "
                  << run.global_step << ", " << manager.registry().checkpoints(run.id).size()
                  << " checkpoints)\n";
    }
    return kCliSuccess;
}

}  // namespace lathe::app
