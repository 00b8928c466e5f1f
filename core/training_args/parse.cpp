#include "core/training_args/parse.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

#include "core/training_args/fields.h"
#include "core/training_args/schema.h"
#include "core/util/error.h"

namespace lathe::core::training_args {

namespace {

using detail::Field;

void warn(std::vector<std::string>* warnings, std::string message) {
    if (warnings != nullptr)
        warnings->push_back(std::move(message));
}

// eval_strategy under its old name, so that messages say "evaluation_strategy".
void set_evaluation_strategy(TrainingArguments& args, const nlohmann::json& value,
                             const std::string& where, std::vector<std::string>* warnings) {
    Field alias = *detail::find("eval_strategy");
    alias.spec.name = "evaluation_strategy";
    detail::set(alias, args, value, where);
    warn(warnings, where + "evaluation_strategy is deprecated; use eval_strategy (set to \"" +
                       args.eval_strategy + "\")");
}

// Transformers 4.x: no_cuda = true sets use_cpu (its deprecated name); false, which 4.x writes by
// default, leaves use_cpu alone.
void set_no_cuda(TrainingArguments& args, const nlohmann::json& value, const std::string& where,
                 std::vector<std::string>* warnings) {
    if (value.is_null())
        return;
    Field alias = *detail::find("use_cpu");
    alias.spec.name = "no_cuda";
    TrainingArguments parsed;
    detail::set(alias, parsed, value, where);
    if (!parsed.use_cpu)
        return;
    args.use_cpu = true;
    warn(warnings, where + "no_cuda is deprecated; use use_cpu (set to true)");
}

// Transformers 4.x: warmup_steps > 0 wins over warmup_ratio. v5: warmup_ratio is copied into
// warmup_steps, where a value < 1 is a ratio. `always_copy` is the v5 rule (command lines).
void set_warmup_ratio(TrainingArguments& args, const nlohmann::json& value,
                      const std::string& where, bool always_copy,
                      std::vector<std::string>* warnings) {
    if (value.is_null())
        return;
    if (!value.is_number() || !(value.get<double>() >= 0) || !(value.get<double>() < 1))
        throw Error(where + "warmup_ratio must be a number in [0, 1) (got " + detail::shown(value) +
                    ")");
    double ratio = value.get<double>();
    if (!always_copy && ratio == 0)
        return;  // Transformers 4.x writes warmup_ratio 0.0 by default
    if (!always_copy && args.warmup_steps > 0) {
        warn(warnings, where + "warmup_ratio " + detail::shown(value) +
                           " is ignored because warmup_steps is set (as in Transformers 4.x)");
        return;
    }
    args.warmup_steps = ratio;
    warn(warnings, where +
                       "warmup_ratio is deprecated; copied into warmup_steps (a value < 1 is a "
                       "ratio of the total steps)");
}

// The field Lathe keeps `name`'s value in when `name` is one of Transformers 5.2x's new names
// (nullptr otherwise).
const std::string* renamed_to(const std::string& name) {
    for (const auto& [new_name, field_name] : new_names()) {
        if (new_name == name)
            return &field_name;
    }
    return nullptr;
}

// That field under the new name, so that messages say what the user wrote.
std::optional<Field> renamed_field(const std::string& name) {
    const std::string* field_name = renamed_to(name);
    if (field_name == nullptr)
        return std::nullopt;
    Field field = *detail::find(*field_name);
    field.spec.name = name;
    return field;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Transformers' string_to_bool words.
std::optional<bool> parse_bool(const std::string& text) {
    auto t = lower(text);
    if (t == "true" || t == "yes" || t == "t" || t == "y" || t == "1")
        return true;
    if (t == "false" || t == "no" || t == "f" || t == "n" || t == "0")
        return false;
    return std::nullopt;
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
    if (text.empty())
        return std::nullopt;
    errno = 0;
    char* end = nullptr;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || end != text.c_str() + text.size())
        return std::nullopt;
    return static_cast<std::int64_t>(value);
}

std::optional<double> parse_double(const std::string& text) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
        return std::nullopt;
    errno = 0;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

// A command-line word as the JSON value the field's setter type-checks; text that does not
// parse is passed on as a string so that the setter's message names the field and the type.
nlohmann::json cli_value(const FieldSpec& spec, const std::string& text) {
    if (spec.nullable && (text == "null" || text == "None"))
        return nullptr;
    switch (spec.type) {
        case FieldType::Bool:
        case FieldType::OptionalBool:
        case FieldType::StringOrBool:
            if (auto b = parse_bool(text))
                return *b;
            return text;
        case FieldType::Int:
            if (auto i = parse_integer(text))
                return *i;
            return text;
        case FieldType::Float:
        case FieldType::IntOrFloat:
            if (auto i = parse_integer(text))
                return *i;
            if (auto d = parse_double(text))
                return *d;
            return text;
        case FieldType::String:
        case FieldType::Json:
        case FieldType::StringList:
            return text;
    }
    return text;
}

class Overrides {
  public:
    Overrides(TrainingArguments& args, const std::vector<std::string>& argv,
              std::vector<std::string>* warnings)
        : args_(args), argv_(argv), warnings_(warnings) {}

    void run() {
        while (i_ < argv_.size())
            one();
    }

  private:
    static bool is_option(const std::string& token) {
        return token.size() > 2 && token.compare(0, 2, "--") == 0;
    }

    // The option's value: after '=', else the next word unless that is an option.
    std::optional<std::string> value() {
        if (inline_value_)
            return inline_value_;
        if (i_ < argv_.size() && !is_option(argv_[i_]))
            return argv_[i_++];
        return std::nullopt;
    }

    std::string required_value(const std::string& name) {
        auto v = value();
        if (!v)
            throw Error("command line: --" + name + " needs a value");
        return *v;
    }

    void one() {
        const std::string& token = argv_[i_++];
        if (!is_option(token))
            throw Error("command line: unexpected argument \"" + token +
                        "\" (options look like --name value or --name=value)");
        std::string body = token.substr(2);
        inline_value_.reset();
        if (auto eq = body.find('='); eq != std::string::npos) {
            inline_value_ = body.substr(eq + 1);
            body = body.substr(0, eq);
        }
        std::replace(body.begin(), body.end(), '-', '_');
        const std::string& name = body;
        const std::string where = "command line: --";

        if (name == "evaluation_strategy") {
            set_evaluation_strategy(args_, required_value(name), where, warnings_);
            return;
        }
        if (name == "no_cuda") {
            auto text = value();
            set_no_cuda(
                args_,
                text ? cli_value(detail::find("use_cpu")->spec, *text) : nlohmann::json(true),
                where, warnings_);
            return;
        }
        if (name == "warmup_ratio") {
            auto text = required_value(name);
            nlohmann::json v = text;
            if (auto d = parse_double(text))
                v = *d;
            set_warmup_ratio(args_, v, where, true, warnings_);
            return;
        }
        const auto renamed = renamed_field(name);
        const Field* field = renamed ? &*renamed : detail::find(name);
        if (field == nullptr && name.compare(0, 3, "no_") == 0) {
            const auto negated_renamed = renamed_field(name.substr(3));
            const Field* negated =
                negated_renamed ? &*negated_renamed : detail::find(name.substr(3));
            if (negated != nullptr && negated->spec.supported &&
                (negated->spec.type == FieldType::Bool ||
                 negated->spec.type == FieldType::OptionalBool)) {
                if (inline_value_)
                    throw Error(where + name + " takes no value");
                detail::set(*negated, args_, false, where);
                return;
            }
        }
        if (field == nullptr) {
            auto suggestion = detail::closest_name(name);
            throw Error("command line: unknown option --" + name +
                        (suggestion.empty() ? "" : " (did you mean --" + suggestion + "?)"));
        }
        if (!field->spec.supported) {
            value();
            warn(warnings_,
                 where + name + " is a Transformers option that Lathe does not implement; ignored");
            return;
        }
        const auto& spec = field->spec;
        if (spec.type == FieldType::Bool || spec.type == FieldType::OptionalBool) {
            auto text = value();
            detail::set(*field, args_, text ? cli_value(spec, *text) : nlohmann::json(true), where);
            return;
        }
        if (spec.type == FieldType::StringList) {
            auto items = nlohmann::json::array();
            auto add = [&](const std::string& word) {
                std::size_t start = 0;
                while (start <= word.size()) {
                    auto comma = word.find(',', start);
                    if (comma == std::string::npos)
                        comma = word.size();
                    if (comma > start)
                        items.push_back(word.substr(start, comma - start));
                    start = comma + 1;
                }
            };
            add(required_value(name));
            while (!inline_value_ && i_ < argv_.size() && !is_option(argv_[i_]))
                add(argv_[i_++]);
            detail::set(*field, args_, items, where);
            return;
        }
        detail::set(*field, args_, cli_value(spec, required_value(name)), where);
    }

    TrainingArguments& args_;
    const std::vector<std::string>& argv_;
    std::vector<std::string>* warnings_;
    std::size_t i_ = 0;
    std::optional<std::string> inline_value_;
};

}  // namespace

ParseResult from_json(const nlohmann::json& j, const std::string& source) {
    const std::string where = source + ": ";
    if (!j.is_object())
        throw Error(where + "must be a JSON object (got " + detail::shown(j) + ")");
    ParseResult result;
    nlohmann::json evaluation_strategy;
    nlohmann::json warmup_ratio;
    nlohmann::json no_cuda;
    for (const auto& item : j.items()) {
        const std::string& key = item.key();
        const nlohmann::json& value = item.value();
        if (key == "evaluation_strategy") {
            evaluation_strategy = value;
            continue;
        }
        if (key == "warmup_ratio") {
            warmup_ratio = value;
            continue;
        }
        if (key == "no_cuda") {
            no_cuda = value;
            continue;
        }
        if (auto renamed = renamed_field(key)) {
            const std::string& old_name = *renamed_to(key);
            if (j.contains(old_name) && j.at(old_name) != value) {
                throw Error(where + "\"" + key + "\" (" + detail::shown(value) + ") and \"" +
                            old_name + "\" (" + detail::shown(j.at(old_name)) +
                            ") disagree; Transformers 5 writes both with one value, set one");
            }
            detail::set(*renamed, result.args, value, where);
            continue;
        }
        const Field* field = detail::find(key);
        if (field == nullptr) {
            auto suggestion = detail::closest_name(key);
            throw Error(where + "unknown key \"" + key + "\"" +
                        (suggestion.empty() ? "" : " (did you mean \"" + suggestion + "\"?)"));
        }
        if (!field->spec.supported) {
            if (!detail::is_inert(*field, value))
                result.warnings.push_back(where + "\"" + key +
                                          "\" is a Transformers option that Lathe does not "
                                          "implement; its value " +
                                          detail::shown(value) + " is ignored");
            continue;
        }
        detail::set(*field, result.args, value, where);
    }
    // Transformers 4.x writes "evaluation_strategy": null next to eval_strategy.
    if (!evaluation_strategy.is_null())
        set_evaluation_strategy(result.args, evaluation_strategy, where, &result.warnings);
    set_warmup_ratio(result.args, warmup_ratio, where, false, &result.warnings);
    set_no_cuda(result.args, no_cuda, where, &result.warnings);
    return result;
}

void apply_overrides(TrainingArguments& args, const std::vector<std::string>& argv,
                     std::vector<std::string>* warnings) {
    // All or nothing: a bad option leaves `args` and `warnings` as they were.
    TrainingArguments updated = args;
    std::vector<std::string> new_warnings;
    Overrides(updated, argv, &new_warnings).run();
    args = std::move(updated);
    if (warnings != nullptr)
        warnings->insert(warnings->end(), new_warnings.begin(), new_warnings.end());
}

}  // namespace lathe::core::training_args
