#include "core/training_args/fields.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "core/util/error.h"

namespace lathe::core::training_args::detail {

namespace {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Whole numbers as integers, so that to_json writes 500 rather than 500.0, like Python.
nlohmann::json number_json(double x, FieldType type) {
    if (type == FieldType::IntOrFloat && std::isfinite(x) && x == std::floor(x) &&
        std::fabs(x) < 9.0e15)
        return static_cast<std::int64_t>(x);
    return x;
}

template <typename V>
nlohmann::json plain_json(const Field& field, const V& x) {
    if constexpr (std::is_same_v<V, double>) {
        return number_json(x, field.spec.type);
    } else if constexpr (std::is_same_v<V, StringOrBool>) {
        if (std::holds_alternative<bool>(x))
            return std::get<bool>(x);
        if (std::holds_alternative<std::string>(x))
            return std::get<std::string>(x);
        return nullptr;
    } else {
        return x;
    }
}

class Setter {
  public:
    Setter(const Field& field, const nlohmann::json& value, const std::string& where)
        : spec_(field.spec), value_(value), where_(where) {}

    Error fail(const std::string& expected) const {
        return Error(where_ + spec_.name + " must be " + expected + " (got " + shown(value_) + ")");
    }

    bool to(bool*) const {
        if (!value_.is_boolean())
            throw fail("true or false");
        return value_.get<bool>();
    }

    std::int64_t to(std::int64_t*) const {
        if (value_.is_number_integer())
            return value_.get<std::int64_t>();
        if (value_.is_number_float()) {
            double x = value_.get<double>();
            if (std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 9.0e15)
                return static_cast<std::int64_t>(x);
        }
        throw fail("an integer");
    }

    double to(double*) const {
        if (!value_.is_number() || !std::isfinite(value_.get<double>()))
            throw fail(spec_.type == FieldType::IntOrFloat ? "a number (an integer, or a ratio < 1)"
                                                           : "a number");
        return value_.get<double>();
    }

    std::string to(std::string*) const {
        if (!value_.is_string())
            throw fail("a string");
        auto text = value_.get<std::string>();
        if (!spec_.choices.empty() &&
            std::find(spec_.choices.begin(), spec_.choices.end(), text) == spec_.choices.end()) {
            std::string list;
            for (const auto& c : spec_.choices)
                list += (list.empty() ? "" : ", ") + c;
            throw Error(where_ + spec_.name + " \"" + text + "\" is not one of: " + list);
        }
        return text;
    }

    // lr_scheduler_kwargs: an object; null is {}; a string holding a JSON object is parsed
    // (Transformers' command line passes dicts that way).
    nlohmann::json to(nlohmann::json*) const {
        if (value_.is_null())
            return nlohmann::json::object();
        if (value_.is_object())
            return value_;
        if (value_.is_string()) {
            auto parsed = nlohmann::json::parse(value_.get<std::string>(), nullptr, false);
            if (!parsed.is_discarded() && parsed.is_null())
                return nlohmann::json::object();
            if (!parsed.is_discarded() && parsed.is_object())
                return parsed;
        }
        throw fail("a JSON object");
    }

    std::vector<std::string> to(std::vector<std::string>*) const {
        std::vector<std::string> items;
        if (value_.is_string()) {
            items.push_back(value_.get<std::string>());
        } else if (value_.is_array()) {
            for (const auto& item : value_) {
                if (!item.is_string())
                    throw fail("a string or a list of strings");
                items.push_back(item.get<std::string>());
            }
        } else if (!value_.is_null()) {
            throw fail("a string or a list of strings");
        }
        if (std::find(items.begin(), items.end(), "none") != items.end()) {
            if (items.size() > 1)
                throw Error(where_ + spec_.name +
                            ": \"none\" cannot be combined with other integrations");
            items.clear();
        }
        for (const auto& item : items) {
            if (item.empty())
                throw fail("a list of non-empty names");
        }
        return items;
    }

    StringOrBool to(StringOrBool*) const {
        if (value_.is_null())
            return std::monostate{};
        if (value_.is_boolean())
            return value_.get<bool>();
        if (value_.is_string())
            return value_.get<std::string>();
        throw fail("a checkpoint path, true, false or null");
    }

    template <typename M>
    void store(M& target) const {
        if constexpr (IsOptional<M>::value) {
            if (value_.is_null()) {
                target.reset();
                return;
            }
            target = to(static_cast<typename M::value_type*>(nullptr));
        } else {
            target = to(static_cast<M*>(nullptr));
        }
    }

  private:
    const FieldSpec& spec_;
    const nlohmann::json& value_;
    const std::string& where_;
};

std::size_t edit_distance(const std::string& a, const std::string& b) {
    // Optimal string alignment: insertions, deletions, substitutions and adjacent swaps.
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

}  // namespace

std::string shown(const nlohmann::json& value) {
    auto text = value.dump();
    return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

nlohmann::json get(const Field& field, const TrainingArguments& args) {
    if (!field.member)
        return field.spec.default_value;
    return std::visit(
        [&](auto member) -> nlohmann::json {
            const auto& value = args.*member;
            using M = std::decay_t<decltype(value)>;
            if constexpr (IsOptional<M>::value) {
                if (!value)
                    return nullptr;
                return plain_json(field, *value);
            } else {
                return plain_json(field, value);
            }
        },
        *field.member);
}

void set(const Field& field, TrainingArguments& args, const nlohmann::json& value,
         const std::string& where) {
    if (!field.member)
        return;
    Setter setter(field, value, where);
    std::visit([&](auto member) { setter.store(args.*member); }, *field.member);
}

std::string closest_name(const std::string& name) {
    std::vector<std::string> candidates;
    for (const auto& field : fields())
        candidates.push_back(field.spec.name);
    for (const auto& alias : deprecated_aliases())
        candidates.push_back(alias.first);
    for (const auto& renamed : new_names())
        candidates.push_back(renamed.first);
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, name.size() / 3) + 1;
    for (const auto& candidate : candidates) {
        auto distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

}  // namespace lathe::core::training_args::detail
