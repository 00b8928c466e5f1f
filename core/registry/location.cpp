#include "core/registry/location.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/util/error.h"

namespace lathe::core::registry {
namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

std::string home_dir() {
    std::string home = env("HOME");
    if (!home.empty())
        return home;
    // Services started without a login environment still have a passwd entry.
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir)
        return pw->pw_dir;
    return "";
}

}  // namespace

std::string default_registry_path() {
    if (std::string explicit_path = env("LATHE_REGISTRY"); !explicit_path.empty())
        return explicit_path;
    std::filesystem::path data = env("XDG_DATA_HOME");
    // The XDG spec says relative values are invalid and must be ignored.
    if (data.empty() || data.is_relative()) {
        const std::string home = home_dir();
        if (home.empty()) {
            throw Error(
                "registry: cannot find its location: LATHE_REGISTRY, XDG_DATA_HOME and HOME are "
                "all unset; pass --registry PATH");
        }
        data = std::filesystem::path(home) / ".local" / "share";
    }
    return (data / "lathe" / "registry.sqlite3").string();
}

}  // namespace lathe::core::registry
