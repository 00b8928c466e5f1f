#include "core/checkpoints/checkpoint_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/util/error.h"

namespace lathe::core::checkpoints {
namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";
constexpr const char* kTrainerStateFile = "trainer_state.json";

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string pid_suffix() {
    return "-" + std::to_string(::getpid());
}

// fsync a file or folder; EINVAL means the filesystem has nothing to sync for it.
void fsync_path(const fs::path& path, bool directory) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
    if (fd < 0)
        throw Error(path.string() + ": cannot open to sync: " + std::strerror(errno));
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0 && err != EINVAL)
        throw Error(path.string() + ": fsync failed: " + std::strerror(err));
}

}  // namespace

void sync_tree(const std::string& dir_path) {
    const fs::path dir(dir_path);
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto status = it->symlink_status(ec);
        if (ec)
            break;
        if (fs::is_regular_file(status))
            fsync_path(it->path(), false);
        if (fs::is_directory(status))
            fsync_path(it->path(), true);
    }
    if (ec)
        throw Error(dir.string() + ": cannot list the checkpoint to sync it: " + ec.message());
    fsync_path(dir, true);
}

namespace {

void rename_or_throw(const fs::path& from, const fs::path& to, const std::string& what) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec)
        throw Error(to.string() + ": " + what + " (from " + from.string() + "): " + ec.message());
}

bool process_alive(pid_t pid) {
    if (pid <= 0 || pid == ::getpid())
        return false;
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

struct StagingName {
    std::string kind;  // "" (staging), "old-" or "delete-"
    std::int64_t step = 0;
    pid_t pid = 0;
};

// ".tmp-[old-|delete-]checkpoint-<step>-<pid>"
std::optional<StagingName> parse_staging_name(const std::string& name) {
    const std::string tmp = ".tmp-";
    if (name.compare(0, tmp.size(), tmp) != 0)
        return std::nullopt;
    std::string rest = name.substr(tmp.size());
    StagingName out;
    for (const char* kind : {"old-", "delete-"}) {
        if (rest.compare(0, std::strlen(kind), kind) == 0) {
            out.kind = kind;
            rest = rest.substr(std::strlen(kind));
        }
    }
    const auto dash = rest.rfind('-');
    if (dash == std::string::npos)
        return std::nullopt;
    const std::string pid = rest.substr(dash + 1);
    const auto step = checkpoint_step(rest.substr(0, dash));
    if (!step || !all_digits(pid) || pid.size() > 9)
        return std::nullopt;
    out.step = *step;
    out.pid = static_cast<pid_t>(std::stol(pid));
    return out;
}

}  // namespace

std::optional<std::int64_t> checkpoint_step(const std::string& name) {
    const std::string prefix = kPrefix;
    if (name.compare(0, prefix.size(), prefix) != 0)
        return std::nullopt;
    const std::string digits = name.substr(prefix.size());
    if (!all_digits(digits) || digits.size() > 18)
        return std::nullopt;
    return std::stoll(digits);
}

std::string checkpoint_dir_name(std::int64_t step) {
    return kPrefix + std::to_string(step);
}

std::vector<CheckpointEntry> list_checkpoints(const std::string& output_dir) {
    std::vector<CheckpointEntry> out;
    std::error_code ec;
    if (!fs::exists(output_dir, ec))
        return out;
    for (fs::directory_iterator it(output_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto step = checkpoint_step(it->path().filename().string());
        std::error_code entry_ec;
        if (!step || !it->is_directory(entry_ec))
            continue;
        if (!fs::is_regular_file(it->path() / kTrainerStateFile, entry_ec))
            continue;
        out.push_back({it->path().string(), *step});
    }
    if (ec)
        throw Error(output_dir + ": cannot list checkpoints: " + ec.message());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
    return out;
}

std::optional<std::string> latest_checkpoint(const std::string& output_dir) {
    auto all = list_checkpoints(output_dir);
    if (all.empty())
        return std::nullopt;
    return all.back().path;
}

CheckpointStaging::CheckpointStaging(const std::string& output_dir, std::int64_t step)
    : output_dir_(output_dir), step_(step) {
    path_ = (fs::path(output_dir) / (".tmp-" + checkpoint_dir_name(step) + pid_suffix())).string();
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (ec)
        throw Error(path_ + ": cannot remove a leftover staging folder: " + ec.message());
    fs::create_directories(path_, ec);
    if (ec)
        throw Error(path_ + ": cannot create the checkpoint staging folder: " + ec.message());
}

CheckpointStaging::~CheckpointStaging() {
    if (!committed_) {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
}

std::string CheckpointStaging::commit() {
    if (committed_)
        throw Error(path_ + ": this checkpoint was already committed");
    sync_tree(path_);
    const fs::path final_path = fs::path(output_dir_) / checkpoint_dir_name(step_);
    std::error_code ec;
    if (fs::exists(fs::symlink_status(final_path, ec))) {
        // Aside first: a crash between the two renames leaves the old folder complete under
        // its aside name (remove_stale_staging puts it back), never half-deleted under the real
        // name. It is deleted only once the new folder's rename is durable.
        const fs::path aside =
            fs::path(output_dir_) / (".tmp-old-" + checkpoint_dir_name(step_) + pid_suffix());
        fs::remove_all(aside, ec);
        rename_or_throw(final_path, aside, "cannot move the old checkpoint aside");
        try {
            rename_or_throw(path_, final_path, "cannot commit the checkpoint");
        } catch (...) {
            fs::rename(aside, final_path, ec);
            throw;
        }
        fsync_path(output_dir_, true);
        committed_ = true;
        fs::remove_all(aside, ec);
    } else {
        rename_or_throw(path_, final_path, "cannot commit the checkpoint");
        committed_ = true;
        fsync_path(output_dir_, true);
    }
    return final_path.string();
}

std::vector<std::string> remove_stale_staging(const std::string& output_dir) {
    std::vector<std::string> notes;
    std::error_code ec;
    if (!fs::is_directory(output_dir, ec))
        return notes;
    std::vector<std::pair<fs::path, StagingName>> found;
    for (fs::directory_iterator it(output_dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (auto name = parse_staging_name(it->path().filename().string())) {
            found.emplace_back(it->path(), *name);
        }
    }
    if (ec)
        throw Error(output_dir + ": cannot list staging folders: " + ec.message());
    for (const auto& [path, name] : found) {
        if (process_alive(name.pid))
            continue;
        const fs::path final_path = fs::path(output_dir) / checkpoint_dir_name(name.step);
        if (name.kind == "old-" && !fs::exists(fs::symlink_status(final_path, ec))) {
            fs::rename(path, final_path, ec);
            if (ec)
                throw Error(final_path.string() + ": cannot restore it from " + path.string() +
                            ": " + ec.message());
            notes.push_back("restored " + final_path.string() +
                            ", left aside by a save that did not finish");
            continue;
        }
        fs::remove_all(path, ec);
        if (ec)
            throw Error(path.string() + ": cannot remove a stale staging folder: " + ec.message());
        notes.push_back("removed " + path.string() + ", left by a save that did not finish");
    }
    if (!notes.empty())
        fsync_path(output_dir, true);
    return notes;
}

void remove_checkpoint(const std::string& path) {
    const fs::path p(path);
    const auto step = checkpoint_step(p.filename().string());
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(p, ec)))
        return;  // already gone, as rmtree(ignore_errors)
    if (step) {
        const fs::path doomed =
            p.parent_path() / (".tmp-delete-" + p.filename().string() + pid_suffix());
        fs::remove_all(doomed, ec);
        rename_or_throw(p, doomed, "cannot move the checkpoint aside to delete it");
        fs::remove_all(doomed, ec);
        if (ec)
            throw Error(doomed.string() + ": cannot delete: " + ec.message());
        return;
    }
    fs::remove_all(p, ec);
    if (ec)
        throw Error(path + ": cannot delete: " + ec.message());
}

std::uint64_t folder_bytes(const std::string& path) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code entry_ec;
        if (it->is_regular_file(entry_ec)) {
            const auto size = it->file_size(entry_ec);
            if (!entry_ec)
                total += size;
        }
    }
    return total;
}

}  // namespace lathe::core::checkpoints
