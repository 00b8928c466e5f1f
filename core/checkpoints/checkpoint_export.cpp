#include "core/checkpoints/checkpoint_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/checkpoints/checkpoint_dir.h"
#include "core/util/error.h"
#include "core/util/file_io.h"

namespace lathe::core::checkpoints {

namespace fs = std::filesystem;

namespace {

bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string& s, const char* suffix) {
    const std::size_t n = std::strlen(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

struct SourceFile {
    fs::path relative;
    std::uint64_t bytes = 0;
};

// Copies one file in 4 MiB chunks so progress and cancel are seen during a multi-GB weight file.
void copy_file(const fs::path& from, const fs::path& to, std::uint64_t& done, std::uint64_t total,
               const ExportProgress& progress, const std::function<bool()>& cancelled) {
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        throw Error(from.string() + ": cannot read: " + std::strerror(errno));
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        const int err = errno;
        ::close(in);
        throw Error(to.string() + ": cannot create: " + std::strerror(err));
    }
    std::vector<char> buffer(std::size_t{4} << 20);
    std::string failure;
    while (failure.empty()) {
        if (cancelled && cancelled()) {
            failure = "export cancelled";
            break;
        }
        const ssize_t got = ::read(in, buffer.data(), buffer.size());
        if (got == 0)
            break;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            failure = from.string() + ": read failed: " + std::strerror(errno);
            break;
        }
        for (ssize_t written = 0; written < got;) {
            const ssize_t n =
                ::write(out, buffer.data() + written, static_cast<std::size_t>(got - written));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                failure = to.string() + ": write failed: " + std::strerror(errno);
                break;
            }
            written += n;
        }
        done += static_cast<std::uint64_t>(got);
        if (progress)
            progress(done, total);
    }
    ::close(in);
    if (::close(out) != 0 && failure.empty())
        failure = to.string() + ": write failed: " + std::strerror(errno);
    if (!failure.empty())
        throw Error(failure);
}

}  // namespace

const char* export_content_name(ExportContent content) {
    return content == ExportContent::full ? "full" : "model-only";
}

ExportContent parse_export_content(const std::string& name) {
    if (name == "full")
        return ExportContent::full;
    if (name == "model-only" || name == "model_only")
        return ExportContent::model_only;
    throw Error("export content \"" + name + "\": expected full or model-only");
}

bool is_training_state_file(const std::string& file_name) {
    return (starts_with(file_name, "optimizer") && ends_with(file_name, ".pt")) ||
           (starts_with(file_name, "scheduler") && ends_with(file_name, ".pt")) ||
           (starts_with(file_name, "scaler") && ends_with(file_name, ".pt")) ||
           (starts_with(file_name, "rng_state") && ends_with(file_name, ".pth")) ||
           (starts_with(file_name, "lathe_rng_state") && ends_with(file_name, ".pt")) ||
           file_name == "lathe_loop_state.json" || file_name == "trainer_state.json" ||
           file_name == "training_args.json" || file_name == "training_args.bin";
}

bool is_model_weights_file(const std::string& relative_path) {
    return relative_path == "model.safetensors" ||
           relative_path == "model.safetensors.index.json" ||
           relative_path == "pytorch_model.bin" || relative_path == "pytorch_model.bin.index.json";
}

std::vector<std::size_t> files_to_export(const std::string& dir,
                                         const std::vector<std::string>& relative_paths,
                                         ExportContent content) {
    bool complete = false;
    bool has_config = false;
    bool has_weights = false;
    std::vector<std::size_t> kept;
    for (std::size_t i = 0; i < relative_paths.size(); ++i) {
        const std::string& relative = relative_paths[i];
        complete = complete || relative == "trainer_state.json";
        if (content == ExportContent::model_only &&
            is_training_state_file(fs::path(relative).filename().string()))
            continue;
        has_config = has_config || relative == "config.json";
        has_weights = has_weights || is_model_weights_file(relative);
        kept.push_back(i);
    }
    if (!complete)
        throw Error(dir +
                    ": not a complete checkpoint (no trainer_state.json, which is written last)");
    if (content == ExportContent::model_only && (!has_config || !has_weights))
        throw Error(dir + ": has no " +
                    (has_config ? "model weights (model.safetensors)" : "config.json") +
                    ", so there is no model to export");
    return kept;
}

std::string export_folder_name(const std::string& checkpoint_dir, ExportContent content) {
    std::string name = fs::path(checkpoint_dir).lexically_normal().filename().string();
    if (name.empty())  // a trailing slash
        name = fs::path(checkpoint_dir).lexically_normal().parent_path().filename().string();
    return content == ExportContent::full ? name : name + "-model";
}

ExportedCheckpoint export_checkpoint(const std::string& checkpoint_dir,
                                     const std::string& destination_parent, ExportContent content,
                                     const ExportProgress& progress,
                                     const std::function<bool()>& cancelled) {
    const fs::path source(checkpoint_dir);
    std::error_code ec;
    if (!fs::is_directory(source, ec))
        throw Error(checkpoint_dir + ": no such checkpoint folder");

    std::vector<SourceFile> listed;
    std::vector<std::string> relative_paths;
    for (fs::recursive_directory_iterator it(source, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec))
            continue;
        listed.push_back({it->path().lexically_relative(source), it->file_size(ec)});
        relative_paths.push_back(listed.back().relative.string());
    }
    if (ec)
        throw Error(checkpoint_dir + ": cannot list it: " + ec.message());
    std::vector<SourceFile> files;
    std::uint64_t total = 0;
    for (const std::size_t i : files_to_export(checkpoint_dir, relative_paths, content)) {
        files.push_back(listed[i]);
        total += listed[i].bytes;
    }

    const std::string name = export_folder_name(checkpoint_dir, content);
    const fs::path target = fs::path(destination_parent) / name;
    if (fs::exists(target, ec))
        throw Error(target.string() + " already exists; export somewhere else or remove it");
    fs::create_directories(destination_parent, ec);
    if (ec)
        throw Error(destination_parent + ": cannot create the folder: " + ec.message());
    const fs::path part = fs::path(destination_parent) / ("." + name + ".lathe-part");
    fs::remove_all(part, ec);
    try {
        fs::create_directories(part);
        std::uint64_t done = 0;
        for (const SourceFile& file : files) {
            fs::create_directories((part / file.relative).parent_path());
            copy_file(source / file.relative, part / file.relative, done, total, progress,
                      cancelled);
        }
        // A cancel that came after the last chunk still stops it: nothing is renamed into place.
        if (cancelled && cancelled())
            throw Error("export cancelled");
        sync_tree(part.string());
        fs::rename(part, target);
        util::sync_directory(destination_parent);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(part, ec);
        throw Error(e.path1().string() + ": " + e.code().message());
    } catch (...) {
        fs::remove_all(part, ec);
        throw;
    }
    return {target.string(), static_cast<int>(files.size()), total};
}

}  // namespace lathe::core::checkpoints
