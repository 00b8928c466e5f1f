#include "remote/slurm/slurm_client.h"

#include <regex>
#include <sstream>

#include "core/util/error.h"
#include "remote/ssh/shell_quote.h"

namespace lathe::remote::slurm {

namespace {

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
        s.pop_back();
    while (!s.empty() && (s.front() == ' ' || s.front() == '\n'))
        s.erase(s.begin());
    return s;
}

// "1:0" -> exit 1, signal 0 (SLURM's ExitCode is code:signal).
void read_exit(const std::string& text, JobState& state) {
    const auto colon = text.find(':');
    if (colon == std::string::npos)
        return;
    try {
        state.exit_code = std::stoi(text.substr(0, colon));
        const int sig = std::stoi(text.substr(colon + 1));
        if (sig != 0)
            state.signal = sig;
    } catch (const std::exception&) {
    }
}

// "CANCELLED by 0" -> "CANCELLED".
std::string first_word(const std::string& s) {
    const auto space = s.find(' ');
    return space == std::string::npos ? s : s.substr(0, space);
}

}  // namespace

bool JobState::ended() const {
    return !(state == "PENDING" || state == "RUNNING" || state == "CONFIGURING" ||
             state == "COMPLETING" || state == "SUSPENDED" || state == "REQUEUED" ||
             state == "RESIZING" || state == "SIGNALING" || state == "STAGE_OUT");
}

std::optional<JobState> parse_sacct_line(const std::string& line) {
    const auto bar = line.find('|');
    if (bar == std::string::npos)
        return std::nullopt;
    JobState state;
    state.state = first_word(trim(line.substr(0, bar)));
    if (state.state.empty())
        return std::nullopt;
    read_exit(trim(line.substr(bar + 1)), state);
    return state;
}

std::optional<JobState> parse_scontrol_job(const std::string& text) {
    static const std::regex job_state(R"(JobState=(\S+))");
    static const std::regex exit_code(R"((?:^|\s)ExitCode=(\d+:\d+))");
    std::smatch m;
    if (!std::regex_search(text, m, job_state))
        return std::nullopt;
    JobState state;
    state.state = m[1].str();
    if (std::regex_search(text, m, exit_code))
        read_exit(m[1].str(), state);
    return state;
}

ssh::CommandResult SlurmClient::run(const std::string& command) {
    return session_.run(prefix_.empty() ? command : prefix_ + " " + command, 60000);
}

std::string SlurmClient::submit(const std::string& script, const std::string& script_path) {
    sftp_.write_file_atomic(script_path, script);
    const auto result = run("sbatch --parsable " + ssh::shell_quote(script_path));
    if (result.exit_status != 0) {
        throw core::Error("sbatch refused " + script_path + ": " +
                          ssh::last_line(result.err.empty() ? result.out : result.err));
    }
    // --parsable prints "ID" or "ID;cluster".
    std::string id = trim(ssh::last_line(result.out));
    id = id.substr(0, id.find(';'));
    if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos)
        throw core::Error("sbatch printed no job id: \"" + trim(result.out) + "\"");
    return id;
}

std::optional<JobState> SlurmClient::state(const std::string& job_id) {
    const std::string id = ssh::shell_quote(job_id);
    const auto queued = run("squeue -h -j " + id + " -o %T");
    const std::string in_queue = trim(queued.out);
    if (queued.exit_status == 0 && !in_queue.empty()) {
        JobState state;
        state.state = first_word(in_queue.substr(0, in_queue.find('\n')));
        if (!state.ended())
            return state;
    }
    // The batch step's line ("ID|STATE|EXIT"): sacct only works where accounting is on.
    const auto accounted = run("sacct -n -P -X -j " + id + " -o State,ExitCode");
    if (accounted.exit_status == 0) {
        std::istringstream lines(accounted.out);
        std::string line;
        while (std::getline(lines, line)) {
            if (auto state = parse_sacct_line(trim(line)))
                return state;
        }
    }
    const auto shown = run("scontrol show job " + id);
    if (shown.exit_status == 0)
        return parse_scontrol_job(shown.out);
    return std::nullopt;
}

void SlurmClient::cancel(const std::string& job_id, const std::string& signal) {
    std::string command = "scancel ";
    if (!signal.empty())
        // To the job's steps (the ranks under srun), not the batch shell: srun itself would take
        // a TERM as "cancel the step".
        command += "--signal=" + ssh::shell_quote(signal) + " ";
    const auto result = run(command + ssh::shell_quote(job_id));
    if (result.exit_status != 0) {
        throw core::Error("scancel " + job_id + ": " +
                          ssh::last_line(result.err.empty() ? result.out : result.err));
    }
}

}  // namespace lathe::remote::slurm
