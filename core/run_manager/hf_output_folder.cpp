#include "core/run_manager/hf_output_folder.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/checkpoints/trainer_state.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lathe::core::run_manager {

namespace {

double mtime_seconds(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0)
        return 0.0;
    return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) * 1e-9;
}

// Transformers writes best_model_checkpoint as the path it saved to, which may be relative to
// the directory the script ran in: compare by folder name.
bool same_checkpoint(const std::string& a, const std::string& b) {
    return fs::path(a).filename() == fs::path(b).filename();
}

}  // namespace

HfOutputFolder read_hf_output_folder(const std::string& folder) {
    if (!fs::is_directory(folder))
        throw Error(folder + ": not a folder");
    HfOutputFolder out;
    out.folder = fs::absolute(folder).lexically_normal().string();

    std::optional<checkpoints::TrainerState> newest;
    std::string newest_path;
    auto consider = [&](const fs::path& state_path) {
        auto state = checkpoints::TrainerState::load(state_path.string());
        if (!newest || state.global_step >= newest->global_step) {
            newest = std::move(state);
            newest_path = state_path.string();
        }
    };
    const auto entries = checkpoints::list_checkpoints(out.folder);
    for (const auto& entry : entries)
        consider(fs::path(entry.path) / "trainer_state.json");
    const fs::path top_state = fs::path(out.folder) / "trainer_state.json";
    if (fs::exists(top_state))
        consider(top_state);
    if (!newest) {
        throw Error(folder +
                    ": no checkpoint-N/trainer_state.json nor trainer_state.json (not a "
                    "Transformers Trainer output folder)");
    }

    out.global_step = newest->global_step;
    out.max_steps = newest->max_steps;
    out.best_model_checkpoint = newest->best_model_checkpoint;
    out.ended_at = mtime_seconds(newest_path);
    std::int64_t seq = 0;
    for (const auto& entry : newest->log_history) {
        ++seq;
        if (!entry.is_object() || !entry.contains("step"))
            continue;
        const auto step = entry.at("step").get<std::int64_t>();
        std::optional<double> epoch;
        if (entry.contains("epoch") && entry.at("epoch").is_number())
            epoch = entry.at("epoch").get<double>();
        for (auto it = entry.begin(); it != entry.end(); ++it) {
            if (it.key() == "step" || it.key() == "epoch" || !it.value().is_number())
                continue;
            out.points.push_back({seq, step, epoch, it.key(), it.value().get<double>()});
        }
    }

    for (const auto& entry : entries) {
        HfCheckpoint c;
        c.step = entry.step;
        c.path = entry.path;
        c.bytes = checkpoints::folder_bytes(entry.path);
        c.modified_at = mtime_seconds(fs::path(entry.path) / "trainer_state.json");
        c.resumable_by_lathe = fs::exists(fs::path(entry.path) / "lathe_loop_state.json");
        c.best = out.best_model_checkpoint && same_checkpoint(*out.best_model_checkpoint, c.path);
        for (const auto& log : newest->log_history) {
            if (log.is_object() && log.value("step", std::int64_t{-1}) == c.step &&
                log.contains("eval_loss")) {
                c.metrics = log;
            }
        }
        out.checkpoints.push_back(std::move(c));
    }
    out.started_at = out.checkpoints.empty() ? out.ended_at : out.checkpoints.front().modified_at;
    if (!entries.empty()) {
        const fs::path config = fs::path(entries.back().path) / "config.json";
        try {
            if (fs::exists(config))
                out.model_config = json::parse(util::read_file(config.string()));
        } catch (const json::exception&) {
            out.model_config = nullptr;  // shown as unknown; the weights are checked on use
        }
    }
    return out;
}

}  // namespace lathe::core::run_manager
