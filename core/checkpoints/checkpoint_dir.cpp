#include "core/checkpoints/checkpoint_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::checkpoints {
namespace fs = std::filesystem;

std::string checkpoint_dir_name(std::int64_t step) { return "checkpoint-" + std::to_string(step); }

std::vector<CheckpointEntry> list_checkpoints(const std::string& output_dir) {
    std::vector<CheckpointEntry> out;
    std::error_code ec;
    if (!fs::is_directory(output_dir, ec)) return out;
    static const std::regex name(R"(checkpoint-([0-9]+))");
    for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
        std::smatch m;
        const std::string filename = entry.path().filename().string();
        if (!entry.is_directory() || !std::regex_match(filename, m, name)) continue;
        if (!fs::exists(entry.path() / "trainer_state.json")) continue;
        out.push_back({entry.path().string(), std::stoll(m[1].str())});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
    return out;
}

std::optional<std::string> latest_checkpoint(const std::string& output_dir) {
    auto all = list_checkpoints(output_dir);
    if (all.empty()) return std::nullopt;
    return all.back().path;
}

namespace {

void sync_tree(const fs::path& dir) {
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ::fsync(fd);
                ::close(fd);
            }
        } else if (entry.is_directory()) {
            util::sync_directory(entry.path().string());
        }
    }
    util::sync_directory(dir.string());
}

}  // namespace

CheckpointStaging::CheckpointStaging(const std::string& output_dir, std::int64_t step)
    : output_dir_(output_dir), step_(step) {
    path_ = (fs::path(output_dir) / (".tmp-" + checkpoint_dir_name(step) + "-" + std::to_string(::getpid())))
                .string();
    fs::remove_all(path_);
    std::error_code ec;
    fs::create_directories(path_, ec);
    if (ec) throw Error(path_ + ": cannot create the checkpoint staging folder: " + ec.message());
}

CheckpointStaging::~CheckpointStaging() {
    if (!committed_) {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
}

std::string CheckpointStaging::commit() {
    sync_tree(path_);
    const fs::path final_path = fs::path(output_dir_) / checkpoint_dir_name(step_);
    std::error_code ec;
    if (fs::exists(final_path)) {
        // Aside first, so that a crash between the two renames leaves a complete folder in place
        // or none; never a half-deleted one under the real name.
        const fs::path aside = fs::path(output_dir_) / (".tmp-old-" + checkpoint_dir_name(step_) + "-" +
                                                        std::to_string(::getpid()));
        fs::remove_all(aside, ec);
        fs::rename(final_path, aside, ec);
        if (ec) throw Error(final_path.string() + ": cannot move the old checkpoint aside: " + ec.message());
        fs::rename(path_, final_path, ec);
        if (ec) throw Error(final_path.string() + ": cannot commit the checkpoint: " + ec.message());
        fs::remove_all(aside, ec);
    } else {
        fs::rename(path_, final_path, ec);
        if (ec) throw Error(final_path.string() + ": cannot commit the checkpoint: " + ec.message());
    }
    util::sync_directory(output_dir_);
    committed_ = true;
    return final_path.string();
}

void remove_stale_staging(const std::string& output_dir) {
    std::error_code ec;
    if (!fs::is_directory(output_dir, ec)) return;
    static const std::regex name(R"(\.tmp-(?:old-)?checkpoint-[0-9]+-([0-9]+))");
    for (const auto& entry : fs::directory_iterator(output_dir, ec)) {
        std::smatch m;
        const std::string filename = entry.path().filename().string();
        if (!std::regex_match(filename, m, name)) continue;
        const pid_t pid = static_cast<pid_t>(std::stol(m[1].str()));
        const bool alive = pid != ::getpid() && ::kill(pid, 0) == 0;
        if (!alive) fs::remove_all(entry.path(), ec);
    }
}

std::vector<std::string> checkpoints_to_rotate(const std::vector<CheckpointEntry>& sorted,
                                               std::optional<std::int64_t> save_total_limit,
                                               const std::optional<std::string>& best) {
    if (!save_total_limit || *save_total_limit <= 0) return {};
    std::vector<std::string> paths;
    for (const auto& c : sorted) paths.push_back(c.path);
    if (paths.size() <= static_cast<std::size_t>(*save_total_limit)) return {};
    auto limit = *save_total_limit;
    if (best) {
        auto it = std::find(paths.begin(), paths.end(), *best);
        if (it != paths.end()) {
            // Transformers moves the best checkpoint to the second-to-last place.
            for (auto i = static_cast<std::size_t>(it - paths.begin()); i + 2 < paths.size(); ++i) {
                std::swap(paths[i], paths[i + 1]);
            }
        }
        if (limit == 1 && paths.back() != *best) limit = 2;
    }
    const auto n = static_cast<std::int64_t>(paths.size()) - limit;
    if (n <= 0) return {};
    return {paths.begin(), paths.begin() + n};
}

bool is_better(double metric, std::optional<double> best, bool greater_is_better) {
    if (!best) return true;
    return greater_is_better ? metric > *best : metric < *best;
}

std::uint64_t folder_bytes(const std::string& path) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec)) total += entry.file_size(ec);
    }
    return total;
}

}  // namespace lathe::core::checkpoints
