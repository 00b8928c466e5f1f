// lathe-train: the headless worker every Lathe run executes. With no arguments it trains the
// embedded default (docs/lathe-train.md).
#include <torch/version.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/lathe_train/dry_run.h"
#include "app/lathe_train/exit_codes.h"
#include "app/lathe_train/run_setup.h"
#include "core/distributed/process_group.h"
#include "core/distributed/rank_agent.h"
#include "core/distributed/world.h"
#include "core/events/event_writer.h"
#include "core/run/run_config.h"
#include "core/trainer/run_signals.h"
#include "core/trainer/trainer.h"
#include "core/trainer/training_device.h"
#include "core/training_args/parse.h"
#include "core/training_args/schema.h"
#include "core/training_args/validate.h"
#include "core/util/error.h"
#include "core/util/file_io.h"
#include "core/util/version.h"

namespace fs = std::filesystem;
using namespace lathe;
using namespace lathe::app;

namespace {

struct Cli {
    std::string config_path;
    std::string run_dir;
    std::string run_id;
    bool dry_run = false;
    bool print_schema = false;
    bool no_progress = false;
    std::vector<std::string> overrides;
    // torchrun's launcher options: lathe-train then starts the ranks itself (rank agent).
    std::int64_t nproc_per_node = 1;
    std::int64_t nnodes = 1;
    std::int64_t node_rank = 0;
    std::string master_addr = "127.0.0.1";
    int master_port = 0;
};

struct Loaded {
    core::run::RunConfig config;
    core::training_args::TrainingArguments args;
};

bool is_launcher_option(const std::string& arg) {
    for (const char* name :
         {"--nproc-per-node", "--nnodes", "--node-rank", "--master-addr", "--master-port"}) {
        if (arg == name || arg.rfind(std::string(name) + "=", 0) == 0)
            return true;
    }
    return false;
}

// The job's ranks run this same program with the same arguments, less the launcher options.
std::vector<std::string> rank_command(int argc, char** argv) {
    std::vector<std::string> command{fs::canonical("/proc/self/exe").string()};
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (is_launcher_option(arg)) {
            if (arg.find('=') == std::string::npos)
                ++i;
            continue;
        }
        command.push_back(arg);
    }
    return command;
}

fs::path run_dir_of(const Cli& cli, const core::training_args::TrainingArguments& args) {
    return fs::absolute(cli.run_dir.empty() ? fs::path(args.output_dir) : fs::path(cli.run_dir));
}

int run_agent(const Cli& cli, const Loaded& loaded, int argc, char** argv) {
    core::distributed::RankAgentOptions options;
    options.command = rank_command(argc, argv);
    options.nproc_per_node = cli.nproc_per_node;
    options.nnodes = cli.nnodes;
    options.node_rank = cli.node_rank;
    options.master_addr = cli.master_addr;
    options.master_port = cli.master_port;
    options.run_dir = run_dir_of(cli, loaded.args).string();
    options.run_id =
        cli.run_id.empty() ? fs::path(options.run_dir).filename().string() : cli.run_id;
    options.ok_exit_codes = {kExitSuccess, kExitStopped};
    fs::create_directories(options.run_dir);
    core::util::write_file_atomic((fs::path(options.run_dir) / "lathe-train.pid").string(),
                                  std::to_string(::getpid()) + "\n");
    return core::distributed::run_rank_agent(options);
}

Loaded load(const Cli& cli) {
    auto parsed =
        cli.config_path.empty()
            ? core::run::parse_run_config(
                  core::run::to_json(core::run::embedded_default_run_config()), "embedded default")
            : core::run::load_run_config(cli.config_path);
    auto args = parsed.args;
    std::vector<std::string> warnings = parsed.warnings;
    core::training_args::apply_overrides(args, cli.overrides, &warnings);
    core::training_args::validate(args);
    for (const auto& w : warnings)
        std::cerr << "lathe-train: warning: " << w << "\n";
    parsed.config.training_args = args.to_json();
    return {parsed.config, args};
}

int train(const Cli& cli, const Loaded& loaded) {
    const auto& args = loaded.args;
    const fs::path run_dir = run_dir_of(cli, args);
    const auto world = core::distributed::world_from_environment();
    const bool main_rank = world.is_main();
    const bool under_agent = std::getenv(core::distributed::kRankAgentVariable) != nullptr;
    fs::path output_dir = args.output_dir;
    if (output_dir.is_relative())
        output_dir = cli.run_dir.empty() ? fs::absolute(output_dir) : run_dir / output_dir;
    fs::create_directories(run_dir);
    if (main_rank) {
        core::util::write_file_atomic((run_dir / "run.json").string(),
                                      core::run::to_json(loaded.config).dump(2) + "\n");
    }
    if (!world.distributed()) {
        core::util::write_file_atomic((run_dir / "lathe-train.pid").string(),
                                      std::to_string(::getpid()) + "\n");
    }

    core::trainer::TrainerOptions options;
    options.args = args;
    options.output_dir = output_dir.string();
    options.run_id = cli.run_id.empty() ? run_dir.filename().string() : cli.run_id;
    // Rank 0 writes the job's events; under the rank agent a rank's failure goes to a file the
    // agent reports from, so that the job has one run_failed naming the rank that failed.
    if (main_rank)
        options.events_path = (run_dir / "events.jsonl").string();
    if (under_agent)
        options.failure_file = core::distributed::rank_failure_path(run_dir.string(), world.rank);
    options.run_config = core::run::to_json(loaded.config);
    options.sample = loaded.config.sample;
    options.progress_bar = !cli.no_progress && main_rank && ::isatty(STDERR_FILENO);
    options.device = core::trainer::training_device(world.local_rank, args.use_cpu);
    if (world.distributed()) {
        options.process_group = core::distributed::ProcessGroup::connect(
            world, options.device, std::chrono::seconds(args.ddp_timeout));
        const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
        std::cout << "lathe-train: rank " << world.rank << " of " << world.world_size << " ("
                  << options.process_group->backend() << ", " << options.device.str()
                  << (visible != nullptr ? std::string(", CUDA_VISIBLE_DEVICES=") + visible : "")
                  << ")\n";
    }

    std::cout << "lathe-train: run directory " << run_dir.string() << "\n";
    const auto seed = static_cast<std::uint64_t>(args.seed);
    RunPieces pieces = build_model(loaded.config, seed);
    core::data::PreparedDataset data;
    try {
        data = prepare_data(loaded.config, pieces,
                            static_cast<std::uint64_t>(args.data_seed.value_or(args.seed)));
    } catch (const core::Error& e) {
        const nlohmann::json failure = {{"reason", "data_error"}, {"message", e.what()}};
        if (!options.failure_file.empty()) {
            core::util::write_file_atomic(options.failure_file, failure.dump(2) + "\n");
        } else if (!options.events_path.empty()) {
            core::events::EventWriter(options.events_path, options.run_id)
                .write("run_failed", failure);
        }
        std::cerr << "lathe-train: data error: " << e.what() << "\n";
        return kExitDataError;
    }
    std::cout << "lathe-train: " << pieces.model_description << ", " << data.train.size()
              << " train / " << data.validation.size() << " eval blocks\n";
    core::trainer::install_run_signal_handlers();
    core::trainer::Trainer trainer(pieces.model, pieces.tokenizer, data.train, data.validation,
                                   options);
    for (const auto& w : trainer.warnings())
        std::cerr << "lathe-train: warning: " << w << "\n";
    core::trainer::TrainOutcome outcome;
    try {
        outcome = trainer.train();
    } catch (const std::exception& e) {
        std::cerr << "lathe-train: run failed: " << e.what() << "\n";
        return kExitFailure;
    }
    for (const auto& entry : trainer.state().log_history) {
        if (entry.contains("loss") || entry.contains("eval_loss"))
            std::cout << "  " << entry.dump() << "\n";
    }
    std::cout << "lathe-train: " << outcome.reason << " at step " << outcome.global_step
              << "; checkpoints in " << output_dir.string() << "\n";
    return outcome.reason == "stopped" ? kExitStopped : kExitSuccess;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "lathe-train: the Lathe training worker. Without --config it trains the embedded default.\n"
        "Any TrainingArguments field can follow as an override: --learning_rate 3e-4"};
    Cli cli;
    app.add_option("--config", cli.config_path, "run.json to train");
    app.add_option("--run-dir", cli.run_dir,
                   "Run directory (events.jsonl, run.json); default: output_dir");
    app.add_option("--run-id", cli.run_id,
                   "Run id written into every event; default: the run directory name");
    app.add_flag("--dry-run", cli.dry_run,
                 "Validate config and data, load the model, print the plan; train nothing");
    app.add_flag("--print-schema", cli.print_schema, "Print the TrainingArguments schema as JSON");
    app.add_flag("--no-progress", cli.no_progress, "No progress bar on the terminal");
    app.add_option("--nproc-per-node", cli.nproc_per_node,
                   "Data-parallel processes on this node (one per GPU, or CPU processes)")
        ->check(CLI::PositiveNumber);
    app.add_option("--nnodes", cli.nnodes, "Nodes in the job (each runs lathe-train)")
        ->check(CLI::PositiveNumber);
    app.add_option("--node-rank", cli.node_rank, "This node's index, 0 for the rank-0 node");
    app.add_option("--master-addr", cli.master_addr, "Rank 0's host as every node reaches it");
    app.add_option("--master-port", cli.master_port,
                   "Rendezvous port on the rank-0 host; default a free one (single node)");
    // Hosts view and remote runs check the worker on a node with this line.
    app.set_version_flag("--version", std::string("lathe-train ") + core::util::kLatheVersion +
                                          " (libtorch " + TORCH_VERSION + ")");
    app.allow_extras();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitSuccess : kExitInvalidConfig;
    }
    cli.overrides = app.remaining();
    if (cli.print_schema) {
        std::cout << core::training_args::schema_json().dump(2) << "\n";
        return kExitSuccess;
    }
    Loaded loaded;
    try {
        loaded = load(cli);
    } catch (const core::Error& e) {
        std::cerr << "lathe-train: invalid configuration: " << e.what() << "\n";
        return kExitInvalidConfig;
    }
    try {
        if (cli.dry_run)
            return dry_run(loaded.config, loaded.args);
        if (cli.nproc_per_node > 1 || cli.nnodes > 1)
            return run_agent(cli, loaded, argc, argv);
        return train(cli, loaded);
    } catch (const core::Error& e) {
        std::cerr << "lathe-train: " << e.what() << "\n";
        return kExitInvalidConfig;
    } catch (const c10::Error& e) {
        // libtorch's own failures before training starts (the dry run's step, CUDA out of memory
        // while loading): a message, not an abort.
        std::cerr << "lathe-train: failed: " << e.what_without_backtrace() << "\n";
        return kExitFailure;
    } catch (const std::exception& e) {
        std::cerr << "lathe-train: failed: " << e.what() << "\n";
        return kExitFailure;
    }
}
