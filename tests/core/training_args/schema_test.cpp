#include "core/training_args/schema.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/training_args/training_arguments.h"

namespace lathe::core::training_args {
namespace {

TEST(TrainingArgsSchema, SchemaJsonHasEveryFieldWithHelpAndGroup) {
    const std::set<std::string> groups = {
        "basics", "optimisation", "schedule", "evaluation_and_saving", "precision", "advanced"};
    const auto j = schema_json();
    const auto defaults = TrainingArguments{}.to_json();
    ASSERT_EQ(j.at("fields").size(), defaults.size());
    std::set<std::string> names;
    for (const auto& field : j.at("fields")) {
        const auto name = field.at("name").get<std::string>();
        SCOPED_TRACE(name);
        EXPECT_TRUE(names.insert(name).second);
        EXPECT_TRUE(defaults.contains(name));
        EXPECT_EQ(field.at("default"), defaults.at(name));
        EXPECT_TRUE(groups.count(field.at("group").get<std::string>()));
        const auto help = field.at("help").get<std::string>();
        EXPECT_FALSE(help.empty());
        EXPECT_EQ(help.find('\n'), std::string::npos);
        EXPECT_LE(help.size(), 100u);
        EXPECT_TRUE(field.at("choices").is_array());
        EXPECT_TRUE(field.at("nullable").is_boolean());
        EXPECT_FALSE(field.at("type").get<std::string>().empty());
    }
    // Every group is used.
    std::set<std::string> used;
    for (const auto& field : j.at("fields"))
        used.insert(field.at("group").get<std::string>());
    EXPECT_EQ(used, groups);
    EXPECT_EQ(j.at("deprecated_aliases").at("evaluation_strategy"), "eval_strategy");
    EXPECT_EQ(j.at("deprecated_aliases").at("warmup_ratio"), "warmup_steps");
    EXPECT_GT(j.at("unsupported").size(), 80u);
}

TEST(TrainingArgsSchema, TypesChoicesAndNullability) {
    auto spec = [](const std::string& name) {
        const auto* s = find_field(name);
        EXPECT_NE(s, nullptr) << name;
        return *s;
    };
    EXPECT_EQ(spec("learning_rate").type, FieldType::Float);
    EXPECT_EQ(spec("max_steps").type, FieldType::Int);
    EXPECT_EQ(spec("warmup_steps").type, FieldType::IntOrFloat);
    EXPECT_EQ(spec("eval_steps").type, FieldType::IntOrFloat);
    EXPECT_TRUE(spec("eval_steps").nullable);
    EXPECT_FALSE(spec("save_steps").nullable);
    EXPECT_EQ(spec("tf32").type, FieldType::OptionalBool);
    EXPECT_EQ(spec("greater_is_better").type, FieldType::OptionalBool);
    EXPECT_EQ(spec("resume_from_checkpoint").type, FieldType::StringOrBool);
    EXPECT_EQ(spec("report_to").type, FieldType::StringList);
    EXPECT_EQ(spec("lr_scheduler_kwargs").type, FieldType::Json);
    EXPECT_EQ(spec("optim").choices,
              (std::vector<std::string>{"adamw_torch", "adamw_torch_fused", "sgd", "adafactor"}));
    EXPECT_EQ(spec("save_strategy").choices,
              (std::vector<std::string>{"no", "steps", "epoch", "best"}));
    EXPECT_EQ(spec("lr_scheduler_type").choices.size(), 10u);
    EXPECT_EQ(spec("output_dir").default_value, "trainer_output");
    EXPECT_EQ(spec("logging_steps").default_value, 500);
    EXPECT_EQ(spec("stop_on_non_finite_loss").group, "advanced");
    EXPECT_NE(spec("stop_on_non_finite_loss").help.find("Lathe only"), std::string::npos);
    EXPECT_FALSE(spec("deepspeed").supported);
    EXPECT_FALSE(spec("group_by_length").supported);
    EXPECT_EQ(find_field("warmup_ratio"), nullptr);  // an alias, not a field
    EXPECT_EQ(find_field("nonsense"), nullptr);
}

TEST(TrainingArgsSchema, NamesAreUnique) {
    std::set<std::string> names;
    for (const auto& spec : schema())
        EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    for (const auto& alias : deprecated_aliases())
        EXPECT_FALSE(names.count(alias.first)) << alias.first;
}

}  // namespace
}  // namespace lathe::core::training_args
