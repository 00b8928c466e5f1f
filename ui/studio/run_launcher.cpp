#include "ui/studio/run_launcher.h"

#include "core/run_manager/run_manager.h"
#include "core/run_manager/run_preparation.h"
#include "ui/runs/remote_runs_sync.h"

using nlohmann::json;

namespace lathe::ui::studio {

namespace {

QString joined(const std::vector<std::string>& lines) {
    QString out;
    for (const auto& l : lines)
        out += QString::fromStdString(l) + "\n";
    return out.trimmed();
}

// TrainingArguments that differ from the parent's, as lathe-train overrides.
std::vector<std::string> overrides_between(const json& parent_args, const json& args) {
    std::vector<std::string> out;
    for (auto it = args.begin(); it != args.end(); ++it) {
        if (it.key() == "output_dir" || it.key() == "resume_from_checkpoint")
            continue;
        if (parent_args.contains(it.key()) && parent_args.at(it.key()) == it.value())
            continue;
        out.push_back("--" + it.key());
        out.push_back(it.value().is_string() ? it.value().get<std::string>()
                      : it.value().is_null() ? std::string("null")
                                             : it.value().dump());
    }
    return out;
}

}  // namespace

RunLauncher::RunLauncher(core::run_manager::LathePaths paths, remote::ssh::Prompts prompts,
                         QObject* parent)
    : QObject(parent), paths_(std::move(paths)), prompts_(std::move(prompts)) {}

RunLauncher::~RunLauncher() = default;

core::run_manager::RunManager& RunLauncher::manager() {
    if (!manager_) {
        manager_ = std::make_unique<core::run_manager::RunManager>(paths_);
        // Runs on SSH hosts start (and resume) from here too, on this worker thread.
        remote_ = std::make_unique<runs::RemoteRunsSync>(prompts_);
        remote_->attach(*manager_);
    }
    return *manager_;
}

void RunLauncher::shutdown() {
    manager_.reset();
    remote_.reset();
}

void RunLauncher::launch(const QString& run_json_text, const QString& name,
                         const QString& target_json) {
    try {
        const auto prepared = core::run_manager::prepare_run_json(
            json::parse(run_json_text.toStdString()), "new run", {});
        core::run_manager::SubmitOptions options;
        options.name = name.toStdString();
        if (!target_json.isEmpty()) {
            const json where = json::parse(target_json.toStdString());
            options.target = where.value("target", std::string("local"));
            options.extra_hosts = where.value("extra_hosts", std::vector<std::string>{});
            options.processes = where.value("processes", std::int64_t{0});
            options.gpus = where.value("gpus", std::string());
            options.max_failures = where.value("max_failures", std::int64_t{0});
            if (where.contains("slurm"))
                options.slurm = where["slurm"];
        }
        const auto run = manager().submit(prepared, options);
        emit launched(QString::fromStdString(run.id), joined(prepared.warnings));
    } catch (const std::exception& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

void RunLauncher::continueRun(const QString& run_id, qint64 steps) {
    try {
        core::run_manager::RunManager::ChildOptions options;
        options.extra_steps = steps;
        options.submit.target = "";
        std::vector<std::string> warnings;
        const auto run = manager().resume(run_id.toStdString(), options, &warnings);
        emit launched(QString::fromStdString(run.id), joined(warnings));
    } catch (const std::exception& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

void RunLauncher::fork(const QString& run_id, qint64 step, const QString& run_json_text) {
    try {
        const auto parent = manager().registry().get_run(run_id.toStdString());
        const json edited = json::parse(run_json_text.toStdString());
        core::run_manager::RunManager::ChildOptions options;
        options.checkpoint.step = step;
        options.submit.target = "";
        options.overrides = overrides_between(parent.config.value("training_args", json::object()),
                                              edited.value("training_args", json::object()));
        std::vector<std::string> warnings;
        const auto run = manager().resume(run_id.toStdString(), options, &warnings);
        emit launched(QString::fromStdString(run.id), joined(warnings));
    } catch (const std::exception& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

}  // namespace lathe::ui::studio
