#pragma once

#include <optional>
#include <string>
#include <vector>

// Internal to ssh_config.cpp: the config file as lines, with Includes already read, so that
// resolving many aliases reads each file once.
namespace lathe::remote::hosts::detail {

enum class LineKind { Setting, Host, Match, Include };

struct ConfigLine;
using ConfigLines = std::vector<ConfigLine>;

struct ConfigLine {
    LineKind kind = LineKind::Setting;
    std::string keyword;  // lower case
    std::vector<std::string> args;
    std::string source;                 // "path:line"
    std::vector<ConfigLines> included;  // Include: one entry per file its globs matched
};

// The lines of `path` and of every file it includes; nullopt when `path` does not exist. Relative
// Include paths are taken from `include_dir` (ssh uses ~/.ssh, the directory of the user's config).
// Throws core::Error for unreadable files, bad quoting, missing values and bad ports.
std::optional<ConfigLines> read_config(const std::string& path, const std::string& include_dir);

// A Port value, validated: 1..65535. Throws core::Error naming `source` and the value.
int parse_port(const std::string& value, const std::string& source);

}  // namespace lathe::remote::hosts::detail
