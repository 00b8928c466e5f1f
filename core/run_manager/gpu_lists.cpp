#include "core/run_manager/gpu_lists.h"

#include <algorithm>
#include <regex>

#include "core/util/error.h"

namespace lathe::core::run_manager {

namespace {

const std::regex& index_list() {
    static const std::regex list(R"(^\d+(,\d+)*$)");
    return list;
}

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return {};
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::size_t count_of(const std::string& list) {
    return 1 + static_cast<std::size_t>(std::count(list.begin(), list.end(), ','));
}

}  // namespace

std::int64_t ranks_per_host(std::int64_t processes, const std::string& gpu_spec,
                            const std::vector<std::string>& hosts) {
    const auto lists = gpu_lists_per_host(gpu_spec, hosts);  // checked even when not counted
    if (processes > 0)
        return processes;
    return lists.front().empty() ? 1 : static_cast<std::int64_t>(count_of(lists.front()));
}

std::vector<std::string> run_hosts(const std::string& target,
                                   const std::vector<std::string>& extra_hosts) {
    std::vector<std::string> hosts;
    hosts.push_back(target.rfind("ssh:", 0) == 0 ? target.substr(4) : std::string());
    hosts.insert(hosts.end(), extra_hosts.begin(), extra_hosts.end());
    return hosts;
}

std::vector<std::string> gpu_lists_per_host(const std::string& spec_text,
                                            const std::vector<std::string>& hosts) {
    const std::string spec = trimmed(spec_text);
    const std::string field = "gpus = \"" + spec + "\"";
    if (spec.empty())
        return std::vector<std::string>(hosts.size());
    if (spec.find('=') == std::string::npos) {
        if (!std::regex_match(spec, index_list()))
            throw Error(field +
                        " must list GPU indices separated by commas, e.g. 0,2,3, or one "
                        "list per host, e.g. A=0,1;B=2,3");
        return std::vector<std::string>(hosts.size(), spec);
    }
    if (hosts.size() == 1 && hosts.front().empty())
        throw Error(field +
                    ": a list per host (HOST=...) is for runs on SSH hosts; this machine "
                    "takes a plain list such as 0,2,3");
    std::vector<std::string> lists(hosts.size());
    std::vector<bool> seen(hosts.size(), false);
    std::size_t start = 0;
    while (start <= spec.size()) {
        const std::size_t end = std::min(spec.find(';', start), spec.size());
        const std::string part = trimmed(spec.substr(start, end - start));
        start = end + 1;
        if (part.empty())
            continue;
        const auto equals = part.find('=');
        if (equals == std::string::npos)
            throw Error(field + ": \"" + part + "\" names no host; write HOST=0,1");
        const std::string host = trimmed(part.substr(0, equals));
        const std::string list = trimmed(part.substr(equals + 1));
        const auto at = std::find(hosts.begin(), hosts.end(), host);
        if (at == hosts.end())
            throw Error(field + ": host \"" + host + "\" is not one of the run's hosts");
        const auto n = static_cast<std::size_t>(at - hosts.begin());
        if (seen[n])
            throw Error(field + ": host \"" + host + "\" is listed twice");
        if (!std::regex_match(list, index_list()))
            throw Error(field + ": " + host + "'s GPUs \"" + list +
                        "\" must be indices separated by commas, e.g. 0,1");
        seen[n] = true;
        lists[n] = list;
    }
    for (std::size_t n = 0; n < hosts.size(); ++n) {
        if (!seen[n])
            throw Error(field + ": no GPUs listed for host \"" + hosts[n] +
                        "\"; name every host of the run");
        if (count_of(lists[n]) != count_of(lists[0]))
            throw Error(field + ": every host runs the same number of ranks, but " + hosts[0] +
                        " lists " + std::to_string(count_of(lists[0])) + " GPUs and " + hosts[n] +
                        " " + std::to_string(count_of(lists[n])));
    }
    return lists;
}

}  // namespace lathe::core::run_manager
