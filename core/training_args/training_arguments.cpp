#include "core/training_args/training_arguments.h"

#include "core/training_args/fields.h"

namespace lathe::core::training_args {

nlohmann::json TrainingArguments::to_json() const {
    auto out = nlohmann::json::object();
    for (const auto& field : detail::fields()) {
        if (field.member)
            out[field.spec.name] = detail::get(field, *this);
    }
    return out;
}

}  // namespace lathe::core::training_args
