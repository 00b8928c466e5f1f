// lathe hosts list|add|rm|test, lathe runs sync: remote nodes over SSH (docs/remote.md).
#include <filesystem>
#include <iostream>

#include "app/lathe/cli_error.h"
#include "app/lathe/commands.h"
#include "app/lathe/exit_codes.h"
#include "app/lathe/remote_access.h"
#include "app/lathe/table.h"
#include "core/checkpoints/checkpoint_export.h"
#include "core/util/error.h"
#include "remote/runs/checkpoint_export.h"
#include "remote/runs/host_install.h"
#include "remote/runs/host_list.h"
#include "remote/runs/host_probe.h"
#include "remote/runs/remote_run_files.h"
#include "remote/runs/remote_sync.h"
#include "remote/ssh/ssh_error.h"

namespace lathe::app {

using remote::runs::RemoteHost;

namespace {

nlohmann::json facts_to_json(const remote::hosts::HostFacts& facts) {
    nlohmann::json gpus = nlohmann::json::array();
    for (const auto& g : facts.gpus) {
        gpus.push_back({{"index", g.index},
                        {"name", g.name},
                        {"memory_used_mib", g.memory_used_mib},
                        {"memory_total_mib", g.memory_total_mib},
                        {"utilization_percent", g.utilization_percent},
                        {"temperature_c", g.temperature_c}});
    }
    return {{"os", facts.os},
            {"kernel", facts.kernel},
            {"cpu_count", facts.cpu_count},
            {"memory_total_bytes", facts.memory_total_bytes},
            {"memory_available_bytes", facts.memory_available_bytes},
            {"disk_free_bytes", facts.disk_free_bytes},
            {"gpus", gpus},
            {"gpu_error", facts.gpu_error},
            {"worker_version", facts.worker_version},
            {"worker_error", facts.worker_error}};
}

}  // namespace

int hosts_list_command(const CliContext& ctx) {
    auto manager = open_manager(ctx, false);
    nlohmann::json out = nlohmann::json::array();
    Table table({"NAME", "FROM", "ADDRESS", "WORKER", "RUNS DIR"});
    for (const auto& h : remote::runs::list_hosts(manager.registry())) {
        nlohmann::json j = remote::runs::to_json(h.host);
        j["from"] = h.added ? "registry" : h.from;
        out.push_back(j);
        table.add({h.host.name, h.added ? "added" : "~/.ssh/config", h.address,
                   h.host.worker_command, h.host.runs_dir});
    }
    if (ctx.json) {
        print_json(out);
    } else {
        table.print(std::cout);
    }
    return kCliSuccess;
}

int hosts_add_command(const CliContext& ctx, const HostAddCommand& cmd) {
    nlohmann::json spec = {{"name", cmd.name},
                           {"host", cmd.address.empty() ? cmd.name : cmd.address},
                           {"user", cmd.user},
                           {"port", cmd.port},
                           {"identity_files", cmd.identity_files},
                           {"proxy_jump", cmd.proxy_jump},
                           {"ssh_config_path", cmd.ssh_config_path},
                           {"known_hosts_path", cmd.known_hosts_path},
                           {"worker_command", cmd.worker_command},
                           {"supervisor_command", cmd.supervisor_command},
                           {"runs_dir", cmd.runs_dir},
                           {"connect_timeout_ms", cmd.connect_timeout_ms}};
    try {
        remote::runs::validate_host_spec(spec, "lathe hosts add " + cmd.name);
    } catch (const core::Error& e) {
        throw CliError(kCliInvalidInput, e.what());
    }
    auto manager = open_manager(ctx, false);
    manager.registry().put_host(cmd.name, spec);
    if (ctx.json) {
        print_json(spec);
    } else {
        std::cerr << "lathe: host " << cmd.name << " saved; runs go there with "
                  << "`lathe train run.json --host " << cmd.name << "`\n";
    }
    return kCliSuccess;
}

int hosts_remove_command(const CliContext& ctx, const std::string& name) {
    auto manager = open_manager(ctx, false);
    if (!manager.registry().remove_host(name)) {
        throw CliError(kCliNotFound, "no host '" + name + "' was added (lathe hosts list)");
    }
    return kCliSuccess;
}

int hosts_test_command(const CliContext& ctx, const std::string& name) {
    auto manager = open_manager(ctx, false);
    const RemoteHost host = remote::runs::find_remote_host(manager.registry(), name);
    remote::hosts::HostFacts facts;
    try {
        auto& connection = session_pool().get(host);
        facts = remote::runs::probe_host(*connection.session, host);
    } catch (const remote::ssh::SshError& e) {
        throw CliError(kCliFailure, e.what());
    }
    if (ctx.json) {
        print_json(facts_to_json(facts));
        return facts.worker_error.empty() ? kCliSuccess : kCliFailure;
    }
    std::cout << "host     " << name << "\n"
              << "os       " << facts.os << " (" << facts.kernel << ")\n"
              << "cpus     " << facts.cpu_count << "\n"
              << "memory   " << format_bytes(static_cast<double>(facts.memory_available_bytes))
              << " free of " << format_bytes(static_cast<double>(facts.memory_total_bytes)) << "\n"
              << "disk     "
              << (facts.disk_free_bytes >= 0
                      ? format_bytes(static_cast<double>(facts.disk_free_bytes)) + " free in " +
                            host.runs_dir
                      : std::string("unknown"))
              << "\n"
              << "worker   "
              << (facts.worker_error.empty() ? facts.worker_version
                                             : "NOT OK: " + facts.worker_error)
              << "\n";
    if (facts.gpus.empty()) {
        std::cout << "gpus     none (" << facts.gpu_error << ")\n";
    } else {
        Table table({"GPU", "NAME", "MEMORY USED", "TOTAL", "UTIL", "TEMP"});
        for (const auto& g : facts.gpus) {
            table.add({std::to_string(g.index), g.name, std::to_string(g.memory_used_mib) + " MiB",
                       std::to_string(g.memory_total_mib) + " MiB",
                       std::to_string(g.utilization_percent) + "%",
                       std::to_string(g.temperature_c) + " C"});
        }
        table.print(std::cout);
    }
    return facts.worker_error.empty() ? kCliSuccess : kCliFailure;
}

int hosts_install_command(const CliContext& ctx, const HostInstallCommand& cmd) {
    auto manager = open_manager(ctx, false);
    const RemoteHost host = remote::runs::find_remote_host(manager.registry(), cmd.name);
    remote::runs::InstallResult installed;
    try {
        auto& connection = session_pool().get(host);
        installed = remote::runs::install_on_host(*connection.session, *connection.sftp, host,
                                                  cmd.options, [](const std::string& line) {
                                                      if (!line.empty())
                                                          std::cerr << line << "\n";
                                                      return true;
                                                  });
    } catch (const core::Error& e) {
        throw CliError(kCliFailure, e.what());
    }
    if (const auto updated =
            remote::runs::record_install(manager.registry(), host, cmd.options, installed)) {
        std::cerr << "lathe: host " << host.name << " now runs " << updated->worker_command << "\n";
    }
    if (ctx.json) {
        print_json({{"version", installed.version},
                    {"bin_dir", installed.bin_dir},
                    {"source_dir", installed.source_dir},
                    {"log", installed.log_path}});
    } else {
        std::cout << installed.version << "\n";
    }
    return kCliSuccess;
}

int sync_command(const CliContext& ctx, const std::string& run) {
    auto manager = open_manager(ctx, false);
    const std::string id = run.empty() ? std::string() : resolve_or_throw(manager, run);
    const auto report =
        remote::runs::sync_remote_runs(manager, session_pool(), remote::runs::find_remote_host, id);
    if (!report.ingested) {
        throw CliError(kCliFailure, "another process is ingesting into this registry; try again");
    }
    for (const auto& note : report.notes) {
        std::cerr << "lathe: note: " << note << "\n";
    }
    for (const auto& problem : report.problems) {
        std::cerr << "lathe: " << problem.message << "\n";
    }
    if (ctx.json) {
        print_json({{"runs_synced", report.runs_synced},
                    {"bytes_fetched", report.bytes_fetched},
                    {"problems", report.problems.size()}});
    } else {
        std::cerr << "lathe: synced " << report.runs_synced << " remote run(s), "
                  << format_bytes(static_cast<double>(report.bytes_fetched)) << " fetched\n";
    }
    return report.problems.empty() ? kCliSuccess : kCliFailure;
}

int export_command(const CliContext& ctx, const std::string& run_key,
                   std::optional<std::int64_t> step, const std::string& to, bool model_only) {
    const auto content = model_only ? core::checkpoints::ExportContent::model_only
                                    : core::checkpoints::ExportContent::full;
    auto manager = open_manager(ctx);
    const std::string id = resolve_or_throw(manager, run_key);
    const auto run = manager.registry().get_run(id);
    if (to.empty()) {
        throw CliError(kCliInvalidInput, "--to: which folder should the checkpoint go to?");
    }
    std::optional<core::registry::CheckpointRecord> chosen;
    std::string steps;
    for (const auto& c : manager.registry().checkpoints(id)) {
        if (!c.present) {
            continue;
        }
        steps += (steps.empty() ? "" : ", ") + std::to_string(c.step);
        if (!step || c.step == *step) {
            chosen = c;  // by step: the last one is the newest
        }
    }
    if (!chosen) {
        throw CliError(kCliNotFound, "run " + id + " has no checkpoint" +
                                         (step ? " at step " + std::to_string(*step) : "") +
                                         (steps.empty() ? "" : " (it has: " + steps + ")"));
    }
    const auto name = core::checkpoints::export_folder_name(chosen->path, content);
    std::string local = (std::filesystem::path(to) / name).string();
    if (std::filesystem::exists(local)) {
        throw CliError(kCliWrongState, local + " already exists; export somewhere else");
    }
    std::uint64_t bytes = 0, fetched = 0;
    if (remote::runs::host_of_target(run.target).empty()) {
        // The same part-folder-then-rename as a remote export: no half copy looks complete.
        const auto exported = core::checkpoints::export_checkpoint(chosen->path, to, content);
        local = exported.path;
        bytes = fetched = exported.bytes;
    } else {
        const auto location = remote::runs::read_remote_location(run.run_dir);
        const auto host = remote::runs::find_remote_host(manager.registry(), location.host);
        try {
            auto& connection = session_pool().get(host);
            const auto result = remote::runs::export_remote_checkpoint(
                *connection.sftp, chosen->path, to,
                [&](std::uint64_t done, std::uint64_t total) {
                    if (!ctx.json) {
                        std::cerr << "\rlathe: " << format_bytes(static_cast<double>(done))
                                  << " of " << format_bytes(static_cast<double>(total))
                                  << std::flush;
                    }
                },
                content);
            if (!ctx.json) {
                std::cerr << "\n";
            }
            local = result.local_path;
            bytes = result.bytes;
            fetched = result.bytes_fetched;
        } catch (const remote::ssh::SshError& e) {
            throw CliError(kCliFailure, std::string(e.what()) +
                                            "; run the same command again to continue the export");
        }
    }
    if (ctx.json) {
        print_json({{"path", local},
                    {"step", chosen->step},
                    {"bytes", bytes},
                    {"bytes_fetched", fetched}});
    } else {
        std::cout << local << "\n";
    }
    return kCliSuccess;
}

}  // namespace lathe::app
