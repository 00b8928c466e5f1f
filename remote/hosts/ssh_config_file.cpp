#include "remote/hosts/ssh_config_file.h"

#include <fcntl.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "core/util/error.h"

namespace lathe::remote::hosts::detail {
namespace {

using core::Error;

// ssh's own limit (READCONF_MAX_DEPTH): stops Include loops.
constexpr int kMaxIncludeDepth = 16;

// nullopt for ENOENT (a user without a config, a dangling Include); any other failure throws,
// because silently skipping an unreadable file would resolve hosts differently than ssh does.
std::optional<std::string> read_text(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        throw Error(path + ": cannot open: " + std::strerror(errno));
    }
    std::string text;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int err = errno;
            ::close(fd);
            throw Error(path + ": cannot read: " + std::strerror(err));
        }
        if (n == 0) {
            break;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

// The arguments after the keyword, split as ssh's argv_split does: whitespace separates, "..."
// and '...' group, backslash escapes a quote, a backslash or a space, and an unquoted `#` at the
// start of an argument ends the line.
std::vector<std::string> split_args(const std::string& s, const std::string& source) {
    std::vector<std::string> args;
    std::size_t i = 0;
    for (;;) {
        while (i < s.size() && is_space(s[i])) {
            ++i;
        }
        if (i == s.size() || s[i] == '#') {
            return args;
        }
        std::string arg;
        char quote = 0;
        for (; i < s.size(); ++i) {
            char c = s[i];
            if (quote == 0 && is_space(c)) {
                break;
            }
            bool escapable =
                i + 1 < s.size() && (s[i + 1] == '\\' || s[i + 1] == '"' || s[i + 1] == '\'' ||
                                     (quote == 0 && s[i + 1] == ' '));
            if (c == '\\' && escapable) {
                arg += s[++i];
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (quote != 0 && c == quote) {
                quote = 0;
            } else {
                arg += c;
            }
        }
        if (quote != 0) {
            throw Error(source + ": unterminated quote");
        }
        args.push_back(std::move(arg));
    }
}

bool is_known(const std::string& keyword) {
    static const char* const kKnown[] = {"host", "match",        "include",   "hostname",    "user",
                                         "port", "identityfile", "proxyjump", "proxycommand"};
    return std::any_of(std::begin(kKnown), std::end(kKnown),
                       [&](const char* k) { return keyword == k; });
}

ConfigLines parse(const std::string& path, const std::string& text, const std::string& include_dir,
                  int depth);

std::vector<ConfigLines> read_include(const ConfigLine& line, const std::string& include_dir,
                                      int depth) {
    if (depth >= kMaxIncludeDepth) {
        throw Error(line.source + ": Include nested more than " + std::to_string(kMaxIncludeDepth) +
                    " deep (a loop?)");
    }
    std::vector<ConfigLines> files;
    for (const std::string& arg : line.args) {
        std::string pattern = arg[0] == '/' || arg[0] == '~' ? arg : include_dir + "/" + arg;
        glob_t matches{};
        int rc = ::glob(pattern.c_str(), GLOB_TILDE, nullptr, &matches);
        if (rc == GLOB_NOMATCH) {
            ::globfree(&matches);
            continue;
        }
        if (rc != 0) {
            ::globfree(&matches);
            throw Error(line.source + ": Include \"" + arg + "\": cannot expand the pattern");
        }
        std::vector<std::string> paths(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
        ::globfree(&matches);
        for (const std::string& p : paths) {
            if (auto text = read_text(p)) {
                files.push_back(parse(p, *text, include_dir, depth + 1));
            }
        }
    }
    return files;
}

ConfigLines parse(const std::string& path, const std::string& text, const std::string& include_dir,
                  int depth) {
    ConfigLines lines;
    int number = 0;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = std::min(text.find('\n', start), text.size());
        std::string raw = text.substr(start, end - start);
        start = end + 1;
        ++number;

        // Keyword, then optional whitespace, an optional single '=', optional whitespace.
        std::size_t i = 0;
        while (i < raw.size() && is_space(raw[i])) {
            ++i;
        }
        if (i == raw.size() || raw[i] == '#') {
            continue;
        }
        std::size_t key_start = i;
        while (i < raw.size() && !is_space(raw[i]) && raw[i] != '=') {
            ++i;
        }
        ConfigLine line;
        line.keyword = lower(raw.substr(key_start, i - key_start));
        line.source = path + ":" + std::to_string(number);
        while (i < raw.size() && is_space(raw[i])) {
            ++i;
        }
        if (i < raw.size() && raw[i] == '=') {
            ++i;
        }
        line.args = split_args(raw.substr(i), line.source);

        if (is_known(line.keyword)) {
            if (line.args.empty()) {
                throw Error(line.source + ": " + raw.substr(key_start, line.keyword.size()) +
                            " needs a value");
            }
            if (line.keyword == "host") {
                line.kind = LineKind::Host;
            } else if (line.keyword == "match") {
                line.kind = LineKind::Match;
            } else if (line.keyword == "include") {
                line.kind = LineKind::Include;
                line.included = read_include(line, include_dir, depth);
            } else if (line.keyword == "port") {
                // Checked on every line, matching or not, as ssh does: a bad Port anywhere
                // makes ssh refuse the whole file.
                parse_port(line.args[0], line.source);
            }
            lines.push_back(std::move(line));
        }
    }
    return lines;
}

}  // namespace

int parse_port(const std::string& value, const std::string& source) {
    int port = 0;
    const char* last = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), last, port);
    if (ec != std::errc() || ptr != last || port < 1 || port > 65535) {
        throw Error(source + ": Port \"" + value + "\" is not a number in 1..65535");
    }
    return port;
}

std::optional<ConfigLines> read_config(const std::string& path, const std::string& include_dir) {
    auto text = read_text(path);
    if (!text) {
        return std::nullopt;
    }
    return parse(path, *text, include_dir, 0);
}

}  // namespace lathe::remote::hosts::detail
