#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::lr_schedules {

// Reads lr_scheduler_kwargs the way Python keyword arguments behave: a key that is absent or
// null takes the function's default. Every message names "lr_scheduler_kwargs.<key>". finish()
// rejects the keys nobody asked for, since Python would raise TypeError for them.
class KwargsReader {
  public:
    // `owner` finishes the unknown-key message, e.g. `lr_scheduler_type "cosine"`.
    KwargsReader(const nlohmann::json& kwargs, std::string owner);

    std::optional<double> number(const std::string& key);
    // Integral numbers only (2.0 is accepted as 2).
    std::optional<std::int64_t> integer(const std::string& key);
    std::optional<bool> boolean(const std::string& key);
    std::optional<std::string> choice(const std::string& key,
                                      const std::vector<std::string>& choices);

    // Throws for keys that were never read.
    void finish() const;

    static std::string name(const std::string& key) { return "lr_scheduler_kwargs." + key; }

  private:
    const nlohmann::json* find(const std::string& key);

    const nlohmann::json& kwargs_;
    std::string owner_;
    std::vector<std::string> accepted_;
};

// The shortest text that reads back as `value` (what Python's repr prints).
std::string format_number(double value);

}  // namespace lathe::core::lr_schedules
