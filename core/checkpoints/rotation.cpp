#include "core/checkpoints/rotation.h"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace lathe::core::checkpoints {

std::string python_path_str(const std::string& p) {
    if (p.empty())
        return ".";
    std::size_t leading = 0;
    while (leading < p.size() && p[leading] == '/')
        ++leading;
    // POSIX keeps exactly two leading slashes; one or three and more become one.
    std::string out = leading == 0 ? "" : leading == 2 ? "//" : "/";
    const std::string root = out;
    std::size_t i = leading;
    while (i < p.size()) {
        const auto slash = p.find('/', i);
        const std::string part =
            p.substr(i, slash == std::string::npos ? std::string::npos : slash - i);
        if (!part.empty() && part != ".") {
            if (out.size() > root.size())
                out += '/';
            out += part;
        }
        if (slash == std::string::npos)
            break;
        i = slash + 1;
    }
    return out.empty() ? "." : out;
}

std::vector<std::string> checkpoints_to_rotate(const std::vector<CheckpointEntry>& sorted,
                                               std::optional<std::int64_t> save_total_limit,
                                               const std::optional<std::string>& best) {
    if (!save_total_limit || *save_total_limit <= 0)
        return {};
    // Compared as Python strings of Path objects; returned as given.
    std::vector<std::pair<std::string, std::string>> paths;  // (str(Path(p)), p)
    for (const auto& c : sorted)
        paths.emplace_back(python_path_str(c.path), c.path);
    if (best) {
        const auto normal = python_path_str(*best);
        auto it = std::find_if(paths.begin(), paths.end(),
                               [&](const auto& p) { return p.first == normal; });
        if (it != paths.end()) {
            // range(best_index, len - 2): bubble the best one towards the second-to-last place.
            for (auto i = static_cast<std::size_t>(it - paths.begin()); i + 2 < paths.size(); ++i) {
                std::swap(paths[i], paths[i + 1]);
            }
        }
    }
    if (paths.size() <= static_cast<std::uint64_t>(*save_total_limit))
        return {};
    auto limit = *save_total_limit;
    // Transformers compares the last path with the best one as given, not normalised.
    if (best && limit == 1 && paths.back().first != *best)
        limit = 2;
    const auto n = static_cast<std::int64_t>(paths.size()) - limit;
    std::vector<std::string> out;
    for (std::int64_t i = 0; i < n; ++i)
        out.push_back(paths[static_cast<std::size_t>(i)].second);
    return out;
}

std::vector<std::string> checkpoints_to_delete_at_train_end(
    const std::vector<CheckpointEntry>& sorted, std::optional<std::int64_t> save_total_limit,
    const std::optional<std::string>& best) {
    if (!best || save_total_limit != 1)
        return {};
    std::error_code ec;
    if (!std::filesystem::exists(*best, ec))
        return {};
    std::vector<std::string> out;
    for (const auto& c : sorted) {
        if (!std::filesystem::equivalent(c.path, *best, ec) || ec)
            out.push_back(c.path);
    }
    return out;
}

bool is_better(double metric, std::optional<double> best, bool greater_is_better) {
    if (!best)
        return true;
    return greater_is_better ? metric > *best : metric < *best;
}

}  // namespace lathe::core::checkpoints
