// lathe runs list|show|metrics|logs.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "app/lathe/cli_error.h"
#include "app/lathe/commands.h"
#include "app/lathe/exit_codes.h"
#include "app/lathe/remote_access.h"
#include "app/lathe/table.h"
#include "core/launch/probe.h"
#include "core/run_manager/run_metadata.h"
#include "core/util/error.h"
#include "remote/runs/rank_logs.h"
#include "remote/runs/remote_sync.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lathe::app {

using core::registry::RunRecord;
using core::run_manager::RunManager;

namespace {

std::string optional_number(const std::optional<double>& v) {
    return v ? format_number(*v) : "-";
}

}  // namespace

int list_command(const CliContext& ctx, const ListCommand& cmd) {
    RunManager manager = open_manager(ctx);
    core::registry::RunFilter filter;
    if (!cmd.status.empty()) {
        try {
            filter.status = core::registry::parse_run_status(cmd.status);
        } catch (const core::Error& e) {
            throw CliError(kCliInvalidInput, std::string("--status: ") + e.what());
        }
    }
    if (cmd.limit > 0)
        filter.limit = cmd.limit;
    const auto runs = manager.registry().list_runs(filter);
    if (ctx.json) {
        json out = json::array();
        for (const auto& run : runs)
            out.push_back(run_to_json(run));
        print_json(out);
        return kCliSuccess;
    }
    Table table({"ID", "NAME", "STATUS", "STEP", "LOSS", "BEST EVAL", "CREATED", "PARENT"});
    for (const auto& run : runs) {
        table.add({run.id, run.name, status_text(run),
                   run.max_steps > 0
                       ? std::to_string(run.global_step) + "/" + std::to_string(run.max_steps)
                       : std::to_string(run.global_step),
                   optional_number(run.last_loss), optional_number(run.best_eval_loss),
                   format_time(run.created_at),
                   run.parent_run_id.empty() ? "-" : run.parent_run_id});
    }
    table.print(std::cout);
    return kCliSuccess;
}

int show_command(const CliContext& ctx, const std::string& key) {
    RunManager manager = open_manager(ctx);
    const std::string id = resolve_or_throw(manager, key);
    const RunRecord run = manager.registry().get_run(id);
    const auto checkpoints = manager.registry().checkpoints(id);
    const auto samples = manager.registry().samples(id);
    if (ctx.json) {
        json out = run_to_json(run);
        out["config"] = run.config;
        out["checkpoints"] = json::array();
        for (const auto& c : checkpoints)
            out["checkpoints"].push_back(checkpoint_to_json(c));
        out["metric_keys"] = manager.registry().metric_keys(id);
        out["last_sample"] = samples.empty() ? json(nullptr)
                                             : json{{"step", samples.back().step},
                                                    {"prompt", samples.back().prompt},
                                                    {"text", samples.back().text}};
        print_json(out);
        return kCliSuccess;
    }
    std::cout << "run        " << run.id << "\n"
              << "name       " << run.name << (run.kind == "imported" ? " (imported)" : "") << "\n"
              << "status     " << status_text(run) << "\n";
    if (!run.failure_reason.empty())
        std::cout << "reason     " << run.failure_reason << "\n";
    if (run.exit_code)
        std::cout << "exit code  " << *run.exit_code << "\n";
    std::cout << "directory  " << run.run_dir << "\n"
              << "target     " << run.target << "\n"
              << "created    " << format_time(run.created_at) << "\n"
              << "started    " << format_time(run.started_at.value_or(0)) << "\n"
              << "ended      " << format_time(run.ended_at.value_or(0)) << "\n";
    if (run.started_at) {
        const double end = run.ended_at.value_or(
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count());
        std::cout << "duration   " << format_duration(end - *run.started_at) << "\n";
    }
    std::cout << "step       " << run.global_step << (run.max_steps > 0 ? " of " : "")
              << (run.max_steps > 0 ? std::to_string(run.max_steps) : "") << "\n";
    if (run.last_loss)
        std::cout << "loss       " << format_number(*run.last_loss) << "\n";
    if (run.last_eval_loss)
        std::cout << "eval loss  " << format_number(*run.last_eval_loss) << " (best "
                  << format_number(run.best_eval_loss.value_or(*run.last_eval_loss)) << ")\n";
    if (!run.parent_run_id.empty())
        std::cout << "parent     " << run.parent_run_id << " at " << run.parent_checkpoint << "\n";
    if (!run.fork_diff.is_null())
        std::cout << "changed    " << run.fork_diff.dump() << "\n";
    if (!run.tags.empty()) {
        std::cout << "tags      ";
        for (const auto& t : run.tags)
            std::cout << " " << t;
        std::cout << "\n";
    }
    if (!run.notes.empty())
        std::cout << "notes      " << run.notes << "\n";
    if (!checkpoints.empty()) {
        std::cout << "\ncheckpoints\n";
        Table table({"STEP", "EVAL LOSS", "SIZE", "SAVED", "", "PATH"});
        for (const auto& c : checkpoints) {
            const auto loss = c.metrics.is_object() && c.metrics.contains("eval_loss") &&
                                      c.metrics.at("eval_loss").is_number()
                                  ? format_number(c.metrics.at("eval_loss").get<double>())
                                  : "-";
            table.add({std::to_string(c.step), loss, format_bytes(static_cast<double>(c.bytes)),
                       format_time(c.saved_at), c.present ? (c.best ? "best" : "") : "deleted",
                       c.path});
        }
        table.print(std::cout);
    }
    if (!samples.empty()) {
        std::cout << "\nlast sample (step " << samples.back().step << ")\n"
                  << samples.back().text << "\n";
    }
    return kCliSuccess;
}

int metrics_command(const CliContext& ctx, const std::string& key,
                    const std::vector<std::string>& wanted) {
    RunManager manager = open_manager(ctx);
    const std::string id = resolve_or_throw(manager, key);
    std::vector<std::string> keys = wanted;
    const auto available = manager.registry().metric_keys(id);
    if (keys.empty()) {
        keys = available;
    } else {
        for (const auto& k : keys) {
            if (std::find(available.begin(), available.end(), k) == available.end()) {
                std::string list;
                for (const auto& a : available)
                    list += (list.empty() ? "" : ", ") + a;
                throw CliError(kCliNotFound,
                               "run " + id + " has no metric '" + k + "' (it has: " + list + ")");
            }
        }
    }
    if (ctx.json) {
        json out = json::object();
        for (const auto& k : keys) {
            json series = json::array();
            for (const auto& p : manager.registry().metric_series(id, k)) {
                series.push_back({{"seq", p.seq},
                                  {"step", p.step},
                                  {"epoch", p.epoch ? json(*p.epoch) : json(nullptr)},
                                  {"time", p.time},
                                  {"value", p.value}});
            }
            out[k] = series;
        }
        print_json(out);
        return kCliSuccess;
    }
    // One row per step, one column per metric: the shape of Transformers' log_history.
    std::map<std::int64_t, std::map<std::string, double>> rows;
    for (const auto& k : keys) {
        for (const auto& p : manager.registry().metric_series(id, k))
            rows[p.step][k] = p.value;
    }
    std::vector<std::string> header = {"STEP"};
    header.insert(header.end(), keys.begin(), keys.end());
    Table table(header);
    for (const auto& [step, values] : rows) {
        std::vector<std::string> row = {std::to_string(step)};
        for (const auto& k : keys) {
            const auto it = values.find(k);
            row.push_back(it == values.end() ? "" : format_number(it->second));
        }
        table.add(row);
    }
    table.print(std::cout);
    return kCliSuccess;
}

namespace {

// Copies what was appended to `path` since `offset` to `out`; returns whether anything was.
bool drain(const fs::path& path, std::uint64_t& offset, std::ostream& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (size < offset)
        offset = 0;  // replaced
    if (size == offset)
        return false;
    in.seekg(static_cast<std::streamoff>(offset));
    std::string chunk(size - offset, '\0');
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    out << chunk << std::flush;
    offset = size;
    return true;
}

bool trainer_alive(const std::string& run_dir) {
    try {
        return core::launch::probe(run_dir).trainer_alive;
    } catch (const core::Error&) {
        return false;  // a malformed record: nothing more will come from it
    }
}

}  // namespace

int logs_command(const CliContext& ctx, const std::string& key, bool follow,
                 const std::string& stream, std::int64_t rank) {
    if (stream != "both" && stream != "stdout" && stream != "stderr")
        throw CliError(kCliInvalidInput, "--stream must be stdout, stderr or both, got " + stream);
    RunManager manager = open_manager(ctx);
    const std::string id = resolve_or_throw(manager, key);
    const RunRecord run = manager.registry().get_run(id);
    if (rank < 0)
        throw CliError(kCliInvalidInput, "--rank must be >= 0, got " + std::to_string(rank));
    const fs::path out_log = remote::runs::rank_log_path(run.run_dir, rank, "stdout");
    const fs::path err_log = remote::runs::rank_log_path(run.run_dir, rank, "stderr");
    std::uint64_t out_offset = 0, err_offset = 0;
    auto pump = [&] {
        bool any = false;
        if (stream != "stderr")
            any |= drain(out_log, out_offset, std::cout);
        if (stream != "stdout")
            any |= drain(err_log, err_offset, std::cerr);
        return any;
    };
    if (rank > 0 && !remote::runs::host_of_target(run.target).empty()) {
        // Other ranks' logs are not mirrored as they grow: fetched from their node on request.
        if (follow)
            throw CliError(kCliInvalidInput,
                           "--follow shows rank 0 of a remote run live; other ranks' logs are "
                           "fetched once (drop --follow)");
        try {
            remote::runs::fetch_rank_logs(
                manager.registry(), session_pool(), remote::runs::find_remote_host, run, rank,
                core::run_manager::read_run_metadata_or_defaults(run.run_dir).processes);
        } catch (const core::Error& e) {
            throw CliError(kCliNotFound, e.what());
        }
        pump();
        return kCliSuccess;
    }
    if (rank > 0 && !fs::exists(out_log) && !fs::exists(err_log))
        throw CliError(kCliNotFound, "run " + id + " has no logs of rank " + std::to_string(rank) +
                                         " (" + (fs::path(run.run_dir) / "ranks").string() + ")");
    if (!remote::runs::host_of_target(run.target).empty()) {
        // A remote run: its logs are the local mirror, kept up to date by following it.
        if (follow) {
            remote::runs::follow_remote_run(
                manager, session_pool(), remote::runs::find_remote_host, id, {}, nullptr,
                [&](const remote::runs::RemoteSyncReport& report) {
                    pump();
                    for (const auto& p : report.problems)
                        std::cerr << "lathe: " << p.message << "; reconnecting\n";
                });
            pump();
            std::cerr << "lathe: run " << id << " "
                      << core::registry::to_string(manager.registry().get_run(id).status) << "\n";
        } else {
            pump();
        }
        return kCliSuccess;
    }
    pump();
    if (!follow)
        return kCliSuccess;
    // Follow until the run has ended and its logs are drained; reconcile meanwhile so that the
    // registry (and the queue) keep up even with no studio open.
    auto last_reconcile = std::chrono::steady_clock::now();
    for (;;) {
        const bool any = pump();
        const auto now = std::chrono::steady_clock::now();
        if (now - last_reconcile > std::chrono::seconds(1)) {
            last_reconcile = now;
            manager.reconcile();
            const auto status = manager.registry().get_run(id).status;
            // The final event is ingested before the trainer has flushed its last output and
            // exited: follow until the process is gone too.
            if (core::registry::is_terminal(status) && !trainer_alive(run.run_dir) && !pump()) {
                std::cerr << "lathe: run " << id << " " << core::registry::to_string(status)
                          << "\n";
                return kCliSuccess;
            }
        }
        if (!any)
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace lathe::app
