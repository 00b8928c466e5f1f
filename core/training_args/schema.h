#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lathe::core::training_args {

enum class FieldType {
    Bool,
    Int,
    Float,
    String,
    Json,        // a dict such as lr_scheduler_kwargs
    StringList,  // report_to: a string or a list of strings
    IntOrFloat,  // steps fields and warmup_steps: an integer, or a ratio of the total steps when <
                 // 1
    OptionalBool,  // tf32, greater_is_better: true, false or null
    StringOrBool,  // resume_from_checkpoint
};

// "bool", "int", "float", "string", "json", "string_list", "int_or_float", "optional_bool",
// "string_or_bool".
const char* field_type_name(FieldType type);

struct FieldSpec {
    std::string name;
    FieldType type = FieldType::String;
    nlohmann::json default_value;
    std::vector<std::string> choices;  // empty: any value of the type
    std::string
        group;  // basics | optimisation | schedule | evaluation_and_saving | precision | advanced
    std::string help;  // one line
    // false: a Transformers option Lathe does not implement; reading it warns and ignores it.
    bool supported = true;
    // null is a valid value (std::optional members, and the unsupported options).
    bool nullable = false;
};

// Every TrainingArguments member (supported), then every other key of Transformers'
// TrainingArguments.to_json_string (4.46.3, plus the v4.5x/v5 additions) as supported = false.
// Defaults of supported fields come from a default-constructed TrainingArguments, so the struct
// and the schema cannot disagree; an unsupported field's default is Transformers' default.
const std::vector<FieldSpec>& schema();

// nullptr when `name` is neither a field nor a known-unsupported key.
const FieldSpec* find_field(const std::string& name);

// Deprecated Transformers names that still work, with a warning: {"evaluation_strategy",
// "eval_strategy"} and {"warmup_ratio", "warmup_steps"}.
const std::vector<std::pair<std::string, std::string>>& deprecated_aliases();

// Transformers 5.2x's new names for fields Lathe keeps under the names the rest of the ecosystem
// uses: {"activation_checkpointing", "gradient_checkpointing"}. v5 writes both keys with the same
// value (the old one mirrors the new); either is read, and the two must agree.
const std::vector<std::pair<std::string, std::string>>& new_names();

// For `lathe-train --print-schema` and the studio's form:
// {"fields": [{name, type, default, choices, group, help, nullable}...] (supported fields, in
// schema order), "unsupported": [names], "deprecated_aliases": {old: new},
// "new_names": {new: field}}.
nlohmann::json schema_json();

}  // namespace lathe::core::training_args
