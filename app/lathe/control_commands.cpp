// lathe runs stop|save|kill|rm|tag|note|rebuild, lathe queue, and the supervisor's callback.
#include <iostream>

#include "app/lathe/cli_error.h"
#include "app/lathe/commands.h"
#include "app/lathe/exit_codes.h"
#include "app/lathe/table.h"
#include "core/run_manager/run_metadata.h"
#include "core/util/error.h"

using nlohmann::json;

namespace lathe::app {

using core::registry::RunRecord;
using core::registry::RunStatus;
using core::run_manager::RunManager;

namespace {

// Tags and notes live in lathe-run.json too, so that a rebuilt registry keeps them.
void save_metadata(RunManager& manager, const std::string& id) {
    const RunRecord run = manager.registry().get_run(id);
    auto meta = core::run_manager::read_run_metadata(run.run_dir);
    meta.tags = run.tags;
    meta.notes = run.notes;
    core::run_manager::write_run_metadata(run.run_dir, meta);
}

}  // namespace

int control_command(const CliContext& ctx, const std::string& key, Control control) {
    RunManager manager = open_manager(ctx);
    const std::string id = resolve_or_throw(manager, key);
    const RunRecord run = manager.registry().get_run(id);
    const bool live = run.status == RunStatus::starting || run.status == RunStatus::running;
    const bool cancellable = control == Control::stop && run.status == RunStatus::queued;
    if (!live && !cancellable) {
        throw CliError(kCliWrongState, "run " + id + " is " +
                                           core::registry::to_string(run.status) +
                                           "; there is no process to signal");
    }
    switch (control) {
        case Control::stop:
            manager.stop(id);
            std::cerr << "lathe: " << (cancellable ? "cancelled queued run " : "stopping run ")
                      << id << (cancellable ? "" : " (it saves a checkpoint, then exits)") << "\n";
            break;
        case Control::save:
            manager.save_now(id);
            std::cerr << "lathe: run " << id << " saves a checkpoint now and goes on\n";
            break;
        case Control::kill:
            manager.kill(id);
            std::cerr << "lathe: killed run " << id << " (no checkpoint saved)\n";
            break;
    }
    return kCliSuccess;
}

int remove_command(const CliContext& ctx, const std::vector<std::string>& keys) {
    RunManager manager = open_manager(ctx);
    for (const auto& key : keys) {
        const std::string id = resolve_or_throw(manager, key);
        const RunRecord run = manager.registry().get_run(id);
        if (run.status == RunStatus::starting || run.status == RunStatus::running)
            throw CliError(kCliWrongState, "run " + id + " is " +
                                               core::registry::to_string(run.status) +
                                               "; stop or kill it before removing it");
        manager.remove(id);
        std::cerr << "lathe: removed run " << id << "\n";
    }
    return kCliSuccess;
}

int tag_command(const CliContext& ctx, const std::string& key, const std::string& tag,
                bool remove) {
    RunManager manager = open_manager(ctx, false);
    const std::string id = resolve_or_throw(manager, key);
    if (remove)
        manager.registry().remove_tag(id, tag);
    else
        manager.registry().add_tag(id, tag);
    save_metadata(manager, id);
    return kCliSuccess;
}

int note_command(const CliContext& ctx, const std::string& key, const std::string& text) {
    RunManager manager = open_manager(ctx, false);
    const std::string id = resolve_or_throw(manager, key);
    manager.registry().set_notes(id, text);
    save_metadata(manager, id);
    return kCliSuccess;
}

int queue_list_command(const CliContext& ctx, const std::string& target) {
    RunManager manager = open_manager(ctx);
    const auto runs = manager.registry().queued_runs(target);
    if (ctx.json) {
        json out = json::array();
        for (const auto& run : runs)
            out.push_back(run_to_json(run));
        print_json(out);
        return kCliSuccess;
    }
    Table table({"#", "ID", "NAME", "CREATED"});
    for (const auto& run : runs) {
        table.add({std::to_string(run.queue_position.value_or(0)), run.id, run.name,
                   format_time(run.created_at)});
    }
    table.print(std::cout);
    return kCliSuccess;
}

int queue_move_command(const CliContext& ctx, const std::string& key, std::int64_t position) {
    RunManager manager = open_manager(ctx);
    const std::string id = resolve_or_throw(manager, key);
    if (position < 1)
        throw CliError(kCliInvalidInput, "position must be 1 or more");
    try {
        manager.move_in_queue(id, position);
    } catch (const core::Error& e) {
        throw CliError(kCliWrongState, e.what());
    }
    return kCliSuccess;
}

int rebuild_command(const CliContext& ctx) {
    RunManager manager = open_manager(ctx, false);
    const auto report = manager.rebuild();
    for (const auto& note : report.notes)
        std::cerr << "lathe: note: " << note << "\n";
    if (ctx.json) {
        print_json({{"runs", report.runs}, {"notes", report.notes}});
    } else {
        std::cerr << "lathe: " << report.runs.size() << " runs in " << manager.paths().registry_path
                  << " from " << manager.paths().runs_root << "\n";
    }
    return kCliSuccess;
}

int after_exit_command(const CliContext& ctx, const std::string& id) {
    RunManager manager(ctx.paths);
    // Another reconciler (the studio, a `logs -f`) holds the lock only while it works, and does
    // the same job; wait a while rather than leave the queue stalled overnight.
    const auto report = manager.reconcile(60000);
    if (!report.ingested) {
        std::cerr << "lathe: " << id << ": the ingestion lock stayed with process "
                  << report.lock_holder_pid << "; it will record the end of the run\n";
    }
    return kCliSuccess;
}

}  // namespace lathe::app
