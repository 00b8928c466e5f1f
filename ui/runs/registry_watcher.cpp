#include "ui/runs/registry_watcher.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <utility>

#include <QTimer>
#include <QtGlobal>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/run_manager/run_manager.h"
#include "core/util/error.h"

namespace lathe::ui::runs {

namespace fs = std::filesystem;
using core::run_manager::RunManager;

namespace {

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

RegistryWatcher::RegistryWatcher(WatcherOptions options, QObject* parent)
    : QObject(parent), options_(std::move(options)) {
    register_snapshot_types();
}

RegistryWatcher::~RegistryWatcher() = default;

void RegistryWatcher::start() {
    if (timer_ == nullptr) {
        timer_ = new QTimer(this);
        connect(timer_, &QTimer::timeout, this, &RegistryWatcher::tick);
    }
    try {
        open_manager();
    } catch (const std::exception& e) {
        // Shown in place of the list; the next tick tries again (the folder may appear).
        open_error_ = QString::fromStdString(e.what());
    }
    timer_->start(options_.interval_ms);
    tick();
}

void RegistryWatcher::shutdown() {
    if (timer_ != nullptr) {
        timer_->stop();
        delete timer_;
        timer_ = nullptr;
    }
    manager_.reset();
    remote_.reset();
}

void RegistryWatcher::open_manager() {
    manager_ = std::make_unique<RunManager>(options_.paths);
    remote_ = std::make_unique<RemoteRunsSync>(options_.prompts);
    remote_->attach(*manager_);
    open_error_.clear();
}

void RegistryWatcher::refresh() {
    tick();
}

void RegistryWatcher::tick() {
    if (!manager_) {
        try {
            open_manager();
            // A log asked for while the registry could not be opened has no folder yet.
            if (!log_run_.isEmpty() && log_dir_.empty())
                followLog(log_run_);
        } catch (const std::exception& e) {
            open_error_ = QString::fromStdString(e.what());
            RunsSnapshot snapshot;
            snapshot.error = open_error_;
            emit runsUpdated(snapshot);
            return;
        }
    }
    publish_runs();
    publish_checkpoints();
    pump_logs();
}

void RegistryWatcher::publish_runs() {
    RunsSnapshot snapshot;
    try {
        if (options_.reconcile) {
            last_ingested_ = manager_->reconcile().ingested;
            QStringList problems;
            for (const auto& problem : remote_->pass(*manager_))
                problems << QString::fromStdString(problem);
            if (!problems.isEmpty())
                emit remoteProblems(problems);
        }
        snapshot.ingested = last_ingested_;
        for (const auto& run : manager_->registry().list_runs())
            snapshot.runs.push_back(to_run_row(run));
    } catch (const std::exception& e) {
        snapshot.runs.clear();
        snapshot.error = QString::fromStdString(e.what());
    }
    emit runsUpdated(snapshot);
}

void RegistryWatcher::publish_checkpoints() {
    if (checkpoints_run_.isEmpty())
        return;
    CheckpointsSnapshot snapshot;
    snapshot.run_id = checkpoints_run_;
    try {
        for (const auto& c : manager_->registry().checkpoints(checkpoints_run_.toStdString()))
            snapshot.checkpoints.push_back(to_checkpoint_row(c));
    } catch (const std::exception& e) {
        snapshot.error = QString::fromStdString(e.what());
    }
    emit checkpointsUpdated(snapshot);
}

void RegistryWatcher::watchCheckpoints(const QString& run_id) {
    checkpoints_run_ = run_id;
    if (run_id.isEmpty()) {
        emit checkpointsUpdated(CheckpointsSnapshot{});
        return;
    }
    if (manager_)
        publish_checkpoints();
}

void RegistryWatcher::followLog(const QString& run_id) {
    log_run_ = run_id;
    log_dir_.clear();
    stdout_offset_ = stderr_offset_ = 0;
    emit logAppended(LogChunk{run_id, "stdout", QString(), true});
    if (run_id.isEmpty() || !manager_)
        return;
    try {
        log_dir_ = manager_->registry().get_run(run_id.toStdString()).run_dir;
    } catch (const std::exception& e) {
        emit logAppended(
            LogChunk{run_id, "stderr", QString::fromStdString(e.what()) + "\n", false});
        return;
    }
    // A long log starts at its tail: the view keeps a bounded number of lines anyway.
    const auto tail = static_cast<std::uint64_t>(options_.log_tail_bytes);
    for (auto [name, offset] :
         {std::pair{"stdout.log", &stdout_offset_}, std::pair{"stderr.log", &stderr_offset_}}) {
        std::error_code ec;
        const auto size = fs::file_size(fs::path(log_dir_) / name, ec);
        if (!ec && size > tail)
            *offset = size - tail;
    }
    pump_logs();
}

void RegistryWatcher::pump_logs() {
    if (log_run_.isEmpty() || log_dir_.empty())
        return;
    pump_log("stdout", (fs::path(log_dir_) / "stdout.log").string(), &stdout_offset_);
    pump_log("stderr", (fs::path(log_dir_) / "stderr.log").string(), &stderr_offset_);
}

void RegistryWatcher::pump_log(const QString& stream, const std::string& path,
                               std::uint64_t* offset) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec)
        return;  // not written yet (a queued run) or removed
    if (size < *offset) {
        // Truncated or replaced: what the view shows no longer matches the file, so both streams
        // are read again from the start into a cleared view.
        stdout_offset_ = stderr_offset_ = 0;
        emit logAppended(LogChunk{log_run_, stream, QString(), true});
    }
    if (size == *offset)
        return;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return;
    constexpr std::uint64_t kMaxRead = 1 << 20;  // keeps one tick short on a burst of output
    const std::uint64_t want = std::min<std::uint64_t>(size - *offset, kMaxRead);
    std::string bytes(want, '\0');
    in.seekg(static_cast<std::streamoff>(*offset));
    in.read(bytes.data(), static_cast<std::streamsize>(want));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    // Hold back an incomplete UTF-8 sequence at the end so that it is not shown as garbage.
    std::size_t keep = bytes.size();
    for (std::size_t back = 1; back <= 3 && back <= bytes.size(); ++back) {
        const auto c = static_cast<unsigned char>(bytes[bytes.size() - back]);
        if ((c & 0xC0) == 0x80)
            continue;  // continuation byte: look further back for the lead byte
        const std::size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (need > back)
            keep = bytes.size() - back;
        break;
    }
    bytes.resize(keep);
    *offset += bytes.size();
    if (!bytes.empty())
        emit logAppended(LogChunk{log_run_, stream, QString::fromStdString(bytes), false});
}

template <typename Work>
void RegistryWatcher::perform(const QString& action, const QString& run_id, Work work) {
    ActionResult result;
    result.action = action;
    result.run_id = run_id;
    if (!manager_) {
        result.message =
            open_error_.isEmpty() ? QStringLiteral("the registry is not open") : open_error_;
        emit actionFinished(result);
        return;
    }
    try {
        work(result);
        result.ok = true;
    } catch (const std::exception& e) {
        result.ok = false;
        result.message = QString::fromStdString(e.what());
    }
    emit actionFinished(result);
    // The lists show the outcome at once rather than at the next tick.
    tick();
}

void RegistryWatcher::requestStop(const QString& run_id) {
    perform("stop", run_id, [&](ActionResult&) { manager_->stop(run_id.toStdString()); });
}

void RegistryWatcher::requestSaveNow(const QString& run_id) {
    perform("save", run_id, [&](ActionResult&) { manager_->save_now(run_id.toStdString()); });
}

void RegistryWatcher::requestKill(const QString& run_id) {
    perform("kill", run_id, [&](ActionResult&) { manager_->kill(run_id.toStdString()); });
}

void RegistryWatcher::requestRemove(const QString& run_id) {
    perform("remove", run_id, [&](ActionResult&) {
        const auto run = manager_->registry().get_run(run_id.toStdString());
        // As `lathe runs rm`: a live run's directory is still being written.
        if (run.status == core::registry::RunStatus::starting ||
            run.status == core::registry::RunStatus::running)
            throw core::Error("run " + run.id + " is " + core::registry::to_string(run.status) +
                              "; stop or kill it before removing it");
        manager_->remove(run.id);
    });
}

void RegistryWatcher::requestImport(const QString& folder) {
    perform("import", QString(), [&](ActionResult& result) {
        const auto run = manager_->import_hf_folder(folder.toStdString(), "");
        result.new_run_id = QString::fromStdString(run.id);
        result.message =
            QStringLiteral("imported %1 as %2").arg(folder, QString::fromStdString(run.id));
    });
}

void RegistryWatcher::requestResume(const QString& run_id, qint64 step) {
    perform("resume", run_id, [&](ActionResult& result) {
        RunManager::ChildOptions options;
        options.checkpoint.step = step;
        std::vector<std::string> warnings;
        const auto child = manager_->resume(run_id.toStdString(), options, &warnings);
        result.new_run_id = QString::fromStdString(child.id);
        QStringList lines;
        for (const auto& w : warnings)
            lines << QString::fromStdString(w);
        result.message = lines.join('\n');
    });
}

void RegistryWatcher::requestDeleteCheckpoint(const QString& run_id, const QString& path) {
    perform("delete_checkpoint", run_id, [&](ActionResult& result) {
        const std::string id = run_id.toStdString();
        const std::string folder = path.toStdString();
        bool known = false;
        for (const auto& c : manager_->registry().checkpoints(id))
            known = known || c.path == folder;
        // Only a folder the registry lists for this run: the path came from the UI thread.
        if (!known)
            throw core::Error(folder + " is not a checkpoint of run " + id);
        // The folder first, then the registry, so that a crash in between leaves a row that
        // says present for a folder that is gone, which the next delete or rebuild repairs.
        if (fs::exists(folder))
            core::checkpoints::remove_checkpoint(folder);
        manager_->registry().mark_checkpoint_deleted(id, folder, now_seconds());
        result.message = path;
    });
}

}  // namespace lathe::ui::runs
