#include "remote/slurm/sbatch_script.h"

#include <algorithm>
#include <regex>

#include "core/util/error.h"
#include "remote/ssh/shell_quote.h"

namespace lathe::remote::slurm {

namespace {

void single_line(const std::string& field, const std::string& value) {
    if (value.find_first_of("\n\r") != std::string::npos)
        throw core::Error("slurm." + field + " holds a line break: \"" + value + "\"");
}

void plain_word(const std::string& field, const std::string& value) {
    single_line(field, value);
    if (value.find_first_of(" \t'\"\\$`") != std::string::npos)
        throw core::Error("slurm." + field + " = \"" + value +
                          "\" must be one word (no spaces, quotes or $)");
}

bool valid_time(const std::string& t) {
    // SLURM's forms: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS.
    static const std::regex form(
        R"(^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+(:\d{1,2}){0,2})$)");
    return std::regex_match(t, form);
}

}  // namespace

std::string sbatch_script(const SbatchSpec& spec) {
    if (spec.run_id.empty())
        throw core::Error("slurm.run_id is empty");
    plain_word("run_id", spec.run_id);
    if (spec.run_dir.empty() || spec.run_dir.front() != '/')
        throw core::Error("slurm.run_dir = \"" + spec.run_dir +
                          "\" must be an absolute path on the shared filesystem");
    single_line("run_dir", spec.run_dir);
    if (spec.nodes < 1)
        throw core::Error("slurm.nodes = " + std::to_string(spec.nodes) + " must be at least 1");
    if (spec.tasks_per_node < 1)
        throw core::Error("slurm.tasks_per_node = " + std::to_string(spec.tasks_per_node) +
                          " must be at least 1");
    if (spec.gpus_per_node < 0 || spec.cpus_per_task < 0)
        throw core::Error("slurm.gpus_per_node and slurm.cpus_per_task must not be negative");
    if (!spec.time_limit.empty() && !valid_time(spec.time_limit))
        throw core::Error("slurm.time_limit = \"" + spec.time_limit +
                          "\" is not a SLURM time (minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)");
    if (spec.master_port < 1 || spec.master_port > 65535)
        throw core::Error("slurm.master_port = " + std::to_string(spec.master_port) +
                          " is not a TCP port");
    const std::string name = spec.job_name.empty() ? "lathe-" + spec.run_id : spec.job_name;
    plain_word("job_name", name);
    plain_word("partition", spec.partition);
    plain_word("account", spec.account);
    single_line("worker_command", spec.worker_command);
    if (spec.worker_command.empty())
        throw core::Error("slurm.worker_command is empty");
    for (std::size_t i = 0; i < spec.extra_sbatch_lines.size(); ++i) {
        const auto& line = spec.extra_sbatch_lines[i];
        single_line("extra_sbatch_lines[" + std::to_string(i) + "]", line);
        if (line.rfind("#SBATCH ", 0) != 0)
            throw core::Error("slurm.extra_sbatch_lines[" + std::to_string(i) + "] = \"" + line +
                              "\" must start with \"#SBATCH \"");
    }

    std::string s = "#!/bin/sh\n";
    s += "# Written by Lathe for run " + spec.run_id + " (docs/slurm.md).\n";
    s += "#SBATCH --job-name=" + name + "\n";
    s += "#SBATCH --nodes=" + std::to_string(spec.nodes) + "\n";
    s += "#SBATCH --ntasks-per-node=" + std::to_string(spec.tasks_per_node) + "\n";
    if (spec.gpus_per_node > 0)
        s += "#SBATCH --gpus-per-node=" + std::to_string(spec.gpus_per_node) + "\n";
    if (spec.cpus_per_task > 0)
        s += "#SBATCH --cpus-per-task=" + std::to_string(spec.cpus_per_task) + "\n";
    if (!spec.time_limit.empty())
        s += "#SBATCH --time=" + spec.time_limit + "\n";
    if (!spec.partition.empty())
        s += "#SBATCH --partition=" + spec.partition + "\n";
    if (!spec.account.empty())
        s += "#SBATCH --account=" + spec.account + "\n";
    s += "#SBATCH --output=" + spec.run_dir + "/slurm-%j.out\n";
    for (const auto& line : spec.extra_sbatch_lines)
        s += line + "\n";
    s += "set -e\n";
    s += "cd " + ssh::shell_quote(spec.run_dir) + "\n";
    plain_word("master_addr", spec.master_addr);
    if (spec.master_addr.empty())
        s += "MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)\n";
    else
        s += "MASTER_ADDR=" + spec.master_addr + "\n";
    s += "export MASTER_ADDR MASTER_PORT=" + std::to_string(spec.master_port) + "\n";
    // sh -c 'exec WORKER "$@"' keeps the worker a shell fragment and the arguments quoted.
    s += "exec srun " +
         ssh::shell_command({"/bin/sh", "-c", "exec " + spec.worker_command + " \"$@\"",
                             "lathe-train", "--config", spec.run_dir + "/run.json", "--run-dir",
                             spec.run_dir, "--run-id", spec.run_id, "--no-progress"}) +
         "\n";
    return s;
}

namespace {

// options[key] as T when present, else `fallback`; a value of another type is an Error naming
// the key and what it holds.
template <typename T>
T option(const nlohmann::json& options, const char* key, T fallback, const char* expected) {
    const auto it = options.find(key);
    if (it == options.end() || it->is_null())
        return fallback;
    try {
        return it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw core::Error(std::string("slurm options: ") + key + " must be " + expected + ", got " +
                          it->dump());
    }
}

}  // namespace

SbatchSpec sbatch_spec_from_options(const nlohmann::json& options) {
    SbatchSpec spec;
    if (options.is_null())
        return spec;
    if (!options.is_object())
        throw core::Error("slurm options must be an object, got " + options.dump());
    const char* integer = "an integer";
    const char* text = "a string";
    spec.nodes = option<std::int64_t>(options, "nodes", 1, integer);
    spec.gpus_per_node = option<std::int64_t>(options, "gpus_per_node", 0, integer);
    spec.cpus_per_task = option<std::int64_t>(options, "cpus_per_task", 0, integer);
    spec.time_limit = option<std::string>(options, "time_limit", "", text);
    spec.partition = option<std::string>(options, "partition", "", text);
    spec.account = option<std::string>(options, "account", "", text);
    spec.master_addr = option<std::string>(options, "master_addr", "", text);
    spec.extra_sbatch_lines =
        option<std::vector<std::string>>(options, "extra_sbatch_lines", {}, "a list of strings");
    return spec;
}

void validate_slurm_options(const nlohmann::json& options, std::int64_t tasks_per_node) {
    SbatchSpec spec = sbatch_spec_from_options(options);
    // Stand-ins for what only the submission knows: the run and its folder on the cluster.
    spec.run_id = "check";
    spec.run_dir = "/check";
    spec.tasks_per_node = std::max<std::int64_t>(tasks_per_node, 1);
    (void)sbatch_script(spec);
}

}  // namespace lathe::remote::slurm
