#pragma once

#include <string>

namespace lathe::core::registry {

// Where the registry lives unless --registry says otherwise: $LATHE_REGISTRY when set, else
// $XDG_DATA_HOME/lathe/registry.sqlite3, else ~/.local/share/lathe/registry.sqlite3.
// Throws Error when none of LATHE_REGISTRY, XDG_DATA_HOME and the home directory is known.
std::string default_registry_path();

}  // namespace lathe::core::registry
