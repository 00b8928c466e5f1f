// lathe: the command line of the studio. Starts runs detached, lists and controls them, reads
// the registry (docs/lathe-cli.md). Torch-free and Qt-free: it runs on any node.
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "app/lathe/cli_error.h"
#include "app/lathe/commands.h"
#include "app/lathe/exit_codes.h"
#include "core/run_manager/lathe_paths.h"
#include "core/util/error.h"

using namespace lathe;
using namespace lathe::app;

namespace {

// `lathe train` and `lathe runs fork` pass unknown options on as TrainingArguments overrides
// (`--learning_rate 3e-4`), which a generic parser would mistake for positionals; so their
// arguments are read here. Returns the arguments that are not Lathe's own.
std::vector<std::string> take_own_options(std::vector<std::string> args, CliContext& ctx,
                                          std::vector<std::pair<std::string, std::string*>> values,
                                          std::vector<std::string>* tags) {
    std::vector<std::string> rest;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value_of = [&](const std::string& name, std::string& out) {
            if (a == name) {
                if (i + 1 >= args.size())
                    throw CliError(kCliInvalidInput, name + " needs a value");
                out = args[++i];
                return true;
            }
            if (a.rfind(name + "=", 0) == 0) {
                out = a.substr(name.size() + 1);
                return true;
            }
            return false;
        };
        std::string tag;
        bool taken = false;
        if (a == "--json") {
            ctx.json = true;
            taken = true;
        } else if (value_of("--registry", ctx.paths.registry_path) ||
                   value_of("--runs-dir", ctx.paths.runs_root)) {
            taken = true;
        } else if (tags != nullptr && value_of("--tag", tag)) {
            tags->push_back(tag);
            taken = true;
        } else {
            for (auto& [name, target] : values) {
                if (value_of(name, *target)) {
                    taken = true;
                    break;
                }
            }
        }
        if (!taken)
            rest.push_back(a);
    }
    return rest;
}

std::optional<std::int64_t> parse_step(const std::string& text) {
    if (text.empty() || text == "latest")
        return std::nullopt;
    try {
        std::size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used == text.size() && v >= 0)
            return v;
    } catch (const std::exception&) {
    }
    throw CliError(kCliInvalidInput, "--checkpoint must be a step number or 'latest', got " + text);
}

}  // namespace

// `lathe [global options] train ...` and `lathe [global options] runs fork ...`: returns the exit
// code, or -1 when argv is another command.
int manual_command(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::size_t i = 0;
    while (i < args.size() && args[i].rfind("--", 0) == 0 && args[i] != "--help") {
        const bool takes_value = args[i] == "--registry" || args[i] == "--runs-dir";
        i += takes_value ? 2 : 1;
    }
    const bool is_train = i < args.size() && args[i] == "train";
    const bool is_fork = i + 1 < args.size() && args[i] == "runs" && args[i + 1] == "fork";
    if (!is_train && !is_fork)
        return -1;
    std::vector<std::string> rest(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(i));
    rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i + (is_train ? 1 : 2)),
                args.end());
    CliContext ctx;
    try {
        for (const auto& a : rest) {
            if (a == "-h" || a == "--help") {
                std::cout
                    << (is_train
                            ? "lathe train [run.json] [--name N] [--tag T]... "
                              "[--host HOST[,HOST...]] [--gpus 0,2,3 | A=0,1;B=2,3] [--nproc N] "
                              "[--max-failures N] "
                              "[--key value]...\n"
                              "  --max-failures N: restart a failed run from its "
                              "latest checkpoint up to N times\n"
                              "lathe train [run.json] --slurm LOGIN_HOST [--nodes N] "
                              "[--nproc TASKS_PER_NODE] [--gpus-per-node G] [--time "
                              "T] [--partition P] [--account A] [--sbatch '#SBATCH "
                              "...'] [--slurm-prefix 'module load slurm &&']\n"
                              "  --nproc N: N data-parallel processes (one per GPU, "
                              "or Gloo CPU processes)\n"
                            : "lathe runs fork RUN [--checkpoint N] [--config "
                              "run.json] [--name N] [--key value]...\n")
                    << "  --key value: any TrainingArguments field (lathe-train "
                       "--print-schema lists them)\n";
                return kCliSuccess;
            }
        }
        if (is_train) {
            TrainCommand cmd;
            rest = take_own_options(rest, ctx,
                                    {{"--name", &cmd.name},
                                     {"--host", &cmd.host},
                                     {"--nproc", &cmd.processes},
                                     {"--max-failures", &cmd.max_failures},
                                     {"--gpus", &cmd.gpus},
                                     {"--slurm", &cmd.slurm_host},
                                     {"--nodes", &cmd.nodes},
                                     {"--gpus-per-node", &cmd.gpus_per_node},
                                     {"--time", &cmd.time_limit},
                                     {"--partition", &cmd.partition},
                                     {"--account", &cmd.account},
                                     {"--sbatch", &cmd.sbatch_line},
                                     {"--slurm-prefix", &cmd.slurm_prefix}},
                                    &cmd.tags);
            if (!rest.empty() && rest.front().rfind("-", 0) != 0) {
                cmd.config_path = rest.front();
                rest.erase(rest.begin());
            }
            cmd.overrides = rest;
            return train_command(ctx, cmd);
        }
        ChildCommand child;
        child.kind = ChildKind::fork;
        std::string checkpoint_text;
        rest = take_own_options(rest, ctx,
                                {{"--checkpoint", &checkpoint_text},
                                 {"--config", &child.config_path},
                                 {"--name", &child.name}},
                                nullptr);
        if (rest.empty() || rest.front().rfind("-", 0) == 0)
            throw CliError(kCliInvalidInput,
                           "lathe runs fork: which run? (lathe runs fork RUN "
                           "[--checkpoint N] [--key value])");
        child.run = rest.front();
        rest.erase(rest.begin());
        child.overrides = rest;
        child.checkpoint_step = parse_step(checkpoint_text);
        return child_command(ctx, child);
    } catch (const CliError& e) {
        std::cerr << "lathe: " << e.what() << "\n";
        return e.exit_code();
    } catch (const std::exception& e) {
        std::cerr << "lathe: " << e.what() << "\n";
        return kCliFailure;
    }
}

// `lathe` alone opens the studio window (lathe-studio beside this program), when it was built.
int open_studio(char** argv) {
    const std::string studio =
        (std::filesystem::path(core::run_manager::current_executable()).parent_path() /
         "lathe-studio")
            .string();
    if (::access(studio.c_str(), X_OK) != 0) {
        std::cerr << "lathe: no studio window here (" << studio
                  << " was not built: LATHE_BUILD_UI=OFF?); see lathe --help\n";
        return kCliInvalidInput;
    }
    ::execv(studio.c_str(), argv);
    std::cerr << "lathe: cannot start " << studio << ": " << std::strerror(errno) << "\n";
    return kCliFailure;
}

int main(int argc, char** argv) {
    if (argc == 1)
        return open_studio(argv);
    if (const int code = manual_command(argc, argv); code >= 0)
        return code;
    CLI::App app{"lathe: start, watch and control Lathe training runs (docs/lathe-cli.md)"};
    app.require_subcommand(1);
    app.fallthrough();
    CliContext ctx;
    app.add_option("--registry", ctx.paths.registry_path,
                   "Registry file (default: $LATHE_REGISTRY, else "
                   "$XDG_DATA_HOME/lathe/registry.sqlite3)");
    app.add_option("--runs-dir", ctx.paths.runs_root,
                   "Where new run directories go (default: $LATHE_RUNS_DIR, else runs/ beside "
                   "the registry)");
    app.add_flag("--json", ctx.json, "Machine-readable output");

    // Listed for --help; `lathe train` and `lathe runs fork` are parsed before CLI11 (see
    // manual_command) because their TrainingArguments overrides look like unknown options.
    app.add_subcommand("train",
                       "Start a run detached: lathe train [run.json] [--name N] [--tag T] "
                       "[--key value]");

    auto* runs = app.add_subcommand("runs", "List, inspect and control runs");
    runs->require_subcommand(1);
    ListCommand list;
    auto* list_cmd = runs->add_subcommand("list", "All runs, newest first");
    list_cmd->add_option("--status", list.status, "Only runs with this status");
    list_cmd->add_option("--limit", list.limit, "At most this many");

    std::string run_key;
    auto* show = runs->add_subcommand("show", "A run's details, checkpoints and last sample");
    show->add_option("run", run_key, "Run id, unique id prefix or name")->required();

    std::vector<std::string> metric_keys;
    auto* metrics = runs->add_subcommand("metrics", "A run's metrics, one row per step");
    metrics->add_option("run", run_key, "Run id, prefix or name")->required();
    metrics->add_option("--key", metric_keys, "Only these metrics (repeatable)");

    bool follow = false;
    std::string stream = "both";
    std::int64_t log_rank = 0;
    auto* logs = runs->add_subcommand("logs", "The trainer's stdout and stderr");
    logs->add_option("run", run_key, "Run id, prefix or name")->required();
    logs->add_flag("-f,--follow", follow, "Keep printing until the run ends");
    logs->add_option("--stream", stream, "stdout, stderr or both");
    logs->add_option("--rank", log_rank,
                     "A data-parallel run's rank (default 0, whose output is the run's own)");

    auto* stop =
        runs->add_subcommand("stop", "Checkpoint, then exit (SIGTERM); cancels a queued run");
    stop->add_option("run", run_key, "Run id, prefix or name")->required();
    auto* save = runs->add_subcommand("save", "Save a checkpoint now and go on (SIGUSR1)");
    save->add_option("run", run_key, "Run id, prefix or name")->required();
    auto* kill = runs->add_subcommand("kill", "Kill the trainer at once (SIGKILL), no checkpoint");
    kill->add_option("run", run_key, "Run id, prefix or name")->required();

    ChildCommand child;
    std::string checkpoint_text;
    auto* resume = runs->add_subcommand("resume", "A new run continuing exactly from a checkpoint");
    resume->add_option("run", child.run, "Run id, prefix or name")->required();
    resume->add_option("--checkpoint", checkpoint_text, "Step of the checkpoint (default: latest)");
    resume->add_option("--name", child.name, "Name of the new run");
    runs->add_subcommand("fork",
                         "Resume with changed arguments: lathe runs fork RUN "
                         "[--checkpoint N] [--config run.json] [--name N] [--key value]");
    auto* cont = runs->add_subcommand("continue", "Train a run that ended N more steps");
    cont->add_option("run", child.run, "Run id, prefix or name")->required();
    cont->add_option("--steps", child.extra_steps, "How many more optimizer steps")->required();
    cont->add_option("--name", child.name, "Name of the new run");

    std::string folder, import_name;
    auto* import = runs->add_subcommand("import", "Register a Hugging Face Trainer output folder");
    import->add_option("folder", folder, "output_dir with checkpoint-N/ folders")->required();
    import->add_option("--name", import_name, "Run name (default: the folder's name)");

    std::vector<std::string> remove_keys;
    auto* rm = runs->add_subcommand("rm", "Remove ended runs and their run directories");
    rm->add_option("runs", remove_keys, "Run ids, prefixes or names")->required();

    std::string tag;
    bool untag = false;
    auto* tag_cmd = runs->add_subcommand("tag", "Add (or --remove) a tag");
    tag_cmd->add_option("run", run_key, "Run id, prefix or name")->required();
    tag_cmd->add_option("tag", tag, "The tag")->required();
    tag_cmd->add_flag("--remove", untag, "Remove the tag instead");
    std::string note_text;
    auto* note = runs->add_subcommand("note", "Set a run's notes");
    note->add_option("run", run_key, "Run id, prefix or name")->required();
    note->add_option("text", note_text, "The notes (replacing earlier ones)")->required();

    auto* rebuild = runs->add_subcommand(
        "rebuild", "Recreate the registry from the run directories (after it was deleted)");
    auto* after_exit = runs->add_subcommand("_after-exit", "");  // the supervisor's callback
    after_exit->add_option("run", run_key)->required();
    after_exit->group("");

    std::string export_to;
    auto* export_cmd = runs->add_subcommand(
        "export", "Copy a checkpoint (from its node for remote runs) into a folder");
    export_cmd->add_option("run", run_key, "Run id, prefix or name")->required();
    export_cmd->add_option("--checkpoint", checkpoint_text, "Step (default: latest)");
    export_cmd->add_option("--to", export_to, "Folder to put checkpoint-N/ in")->required();
    bool export_model_only = false;
    export_cmd->add_flag("--model-only", export_model_only,
                         "Only the Hugging Face model folder (weights, config, tokenizer), as "
                         "checkpoint-N-model/; no optimizer, scheduler or trainer state");

    auto* sync = runs->add_subcommand(
        "sync", "Copy the new events and logs of runs on SSH hosts, and check their processes");
    sync->add_option("run", run_key, "Only this run");

    auto* hosts = app.add_subcommand("hosts", "Remote nodes reached over SSH");
    hosts->require_subcommand(1);
    auto* hosts_list = hosts->add_subcommand("list", "Hosts added here and in ~/.ssh/config");
    HostAddCommand host_add;
    auto* hosts_add = hosts->add_subcommand("add", "Add (or change) a host");
    hosts_add->add_option("name", host_add.name, "Name; runs target it as ssh:NAME")->required();
    hosts_add->add_option("--address", host_add.address, "Host name or address (default: NAME)");
    hosts_add->add_option("--user", host_add.user, "User (default: ~/.ssh/config's, or yours)");
    hosts_add->add_option("--port", host_add.port, "Port (default: ~/.ssh/config's, or 22)");
    hosts_add->add_option("--identity", host_add.identity_files, "Private key file (repeatable)");
    hosts_add->add_option("--proxy-jump", host_add.proxy_jump, "[user@]jumphost[:port]");
    hosts_add->add_option("--ssh-config", host_add.ssh_config_path,
                          "ssh config file (default: ~/.ssh/config; none: read none)");
    hosts_add->add_option("--known-hosts", host_add.known_hosts_path,
                          "known_hosts file (default: ~/.ssh/known_hosts)");
    hosts_add->add_option("--worker", host_add.worker_command,
                          "Command that runs lathe-train there (default: lathe-train)");
    hosts_add->add_option("--supervisor", host_add.supervisor_command,
                          "Command that runs lathe-supervisor there (default: lathe-supervisor)");
    hosts_add->add_option("--runs-dir", host_add.runs_dir,
                          "Run directories there (default: lathe-runs in the home directory)");
    hosts_add->add_option("--connect-timeout-ms", host_add.connect_timeout_ms,
                          "Connection timeout (default: 10000)");
    std::string host_name;
    auto* hosts_rm = hosts->add_subcommand("rm", "Forget a host added here");
    hosts_rm->add_option("name", host_name, "The host")->required();
    auto* hosts_test = hosts->add_subcommand(
        "test", "Connect and show OS, CPUs, memory, disk, GPUs and the worker's version");
    hosts_test->add_option("name", host_name, "The host")->required();
    HostInstallCommand host_install;
    auto* hosts_install = hosts->add_subcommand(
        "install", "Build and install lathe-train and lathe-supervisor on a Debian/Ubuntu host");
    hosts_install->add_option("name", host_install.name, "The host")->required();
    hosts_install->add_option("--prefix", host_install.options.prefix,
                              "Install into PREFIX/bin on the host (default: ~/.lathe)");
    hosts_install->add_option("--source", host_install.options.source_dir,
                              "Lathe source tree to upload (default: the one lathe was built "
                              "from, or $LATHE_SOURCE_DIR)");
    hosts_install->add_option("--targets", host_install.options.targets,
                              "Build targets (default: \"lathe-train lathe-supervisor\")");

    auto* queue = app.add_subcommand("queue", "The queue of runs waiting for their target");
    queue->require_subcommand(1);
    std::string target = "local";
    auto* queue_list = queue->add_subcommand("list", "Queued runs in order");
    queue_list->add_option("--target", target, "Target (default: local)");
    std::int64_t position = 0;
    auto* queue_move = queue->add_subcommand("move", "Move a queued run to a position (1 = next)");
    queue_move->add_option("run", run_key, "Run id, prefix or name")->required();
    queue_move->add_option("position", position, "New position, 1-based")->required();
    auto* queue_cancel = queue->add_subcommand("cancel", "Cancel a queued run");
    queue_cancel->add_option("run", run_key, "Run id, prefix or name")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kCliSuccess : kCliInvalidInput;
    }

    try {
        if (*runs) {
            if (*list_cmd)
                return list_command(ctx, list);
            if (*show)
                return show_command(ctx, run_key);
            if (*metrics)
                return metrics_command(ctx, run_key, metric_keys);
            if (*logs)
                return logs_command(ctx, run_key, follow, stream, log_rank);
            if (*stop)
                return control_command(ctx, run_key, Control::stop);
            if (*save)
                return control_command(ctx, run_key, Control::save);
            if (*kill)
                return control_command(ctx, run_key, Control::kill);
            if (*resume) {
                child.kind = ChildKind::resume;
                child.checkpoint_step = parse_step(checkpoint_text);
                return child_command(ctx, child);
            }
            if (*cont) {
                child.kind = ChildKind::continue_;
                return child_command(ctx, child);
            }
            if (*import)
                return import_command(ctx, folder, import_name);
            if (*rm)
                return remove_command(ctx, remove_keys);
            if (*tag_cmd)
                return tag_command(ctx, run_key, tag, untag);
            if (*note)
                return note_command(ctx, run_key, note_text);
            if (*rebuild)
                return rebuild_command(ctx);
            if (*after_exit)
                return after_exit_command(ctx, run_key);
            if (*sync)
                return sync_command(ctx, run_key);
            if (*export_cmd)
                return export_command(ctx, run_key, parse_step(checkpoint_text), export_to,
                                      export_model_only);
        }
        if (*hosts) {
            if (*hosts_list)
                return hosts_list_command(ctx);
            if (*hosts_add)
                return hosts_add_command(ctx, host_add);
            if (*hosts_rm)
                return hosts_remove_command(ctx, host_name);
            if (*hosts_test)
                return hosts_test_command(ctx, host_name);
            if (*hosts_install)
                return hosts_install_command(ctx, host_install);
        }
        if (*queue) {
            if (*queue_list)
                return queue_list_command(ctx, target);
            if (*queue_move)
                return queue_move_command(ctx, run_key, position);
            if (*queue_cancel)
                return control_command(ctx, run_key, Control::stop);
        }
    } catch (const CliError& e) {
        std::cerr << "lathe: " << e.what() << "\n";
        return e.exit_code();
    } catch (const core::Error& e) {
        std::cerr << "lathe: " << e.what() << "\n";
        return kCliFailure;
    } catch (const std::exception& e) {
        std::cerr << "lathe: " << e.what() << "\n";
        return kCliFailure;
    }
    return kCliInvalidInput;
}
