#pragma once

// Internal: binds each schema entry to its TrainingArguments member, so that one table drives
// parsing, defaults and to_json.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/training_args/schema.h"
#include "core/training_args/training_arguments.h"

namespace lathe::core::training_args::detail {

using Args = TrainingArguments;
using Member = std::variant<bool Args::*, std::int64_t Args::*, double Args::*, std::string Args::*,
                            nlohmann::json Args::*, std::vector<std::string> Args::*,
                            std::optional<bool> Args::*, std::optional<std::int64_t> Args::*,
                            std::optional<double> Args::*, std::optional<std::string> Args::*,
                            StringOrBool Args::*>;

struct Field {
    FieldSpec spec;
    std::optional<Member> member;  // empty for unsupported fields
    // Unsupported fields: the values that mean "not used" (Transformers' defaults in the
    // versions Lathe reads); any other value is reported as ignored.
    std::vector<nlohmann::json> inert_values;
};

const std::vector<Field>& fields();
const Field* find(const std::string& name);

// The member's value as JSON (IntOrFloat whole numbers as integers).
nlohmann::json get(const Field& field, const TrainingArguments& args);

// Type-checks `value` against the field and stores it. `where` starts every message, e.g.
// "run.json training_args: " or "command line: --".
void set(const Field& field, TrainingArguments& args, const nlohmann::json& value,
         const std::string& where);

// An unsupported field's value that changes nothing (so it needs no warning).
bool is_inert(const Field& field, const nlohmann::json& value);

// The known name closest to `name` by edit distance, or "" when none is close.
std::string closest_name(const std::string& name);

// Short JSON text of a value for messages.
std::string shown(const nlohmann::json& value);

}  // namespace lathe::core::training_args::detail
