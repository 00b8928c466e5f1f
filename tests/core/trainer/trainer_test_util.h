#pragma once

#include <torch/torch.h>

#include <string>

#include "core/data/token_blocks.h"
#include "core/models/tensor_io.h"
#include "core/safetensors/safetensors.h"
#include "core/training_args/parse.h"
#include "tests/test_support.h"

namespace lathe::core::trainer::testing {

inline data::TokenBlocks blocks_from_fixture(const std::string& key) {
    auto file = safetensors::File::open(tests::fixture("trainer/blocks.safetensors"));
    auto t =
        models::tensor_from_file(file, *file.header().find(key)).to(torch::kInt32).contiguous();
    std::vector<std::int32_t> tokens(t.data_ptr<std::int32_t>(),
                                     t.data_ptr<std::int32_t>() + t.numel());
    return data::TokenBlocks::owned(std::move(tokens), t.size(1));
}

inline training_args::TrainingArguments args_from(const nlohmann::json& j) {
    return training_args::from_json(j, "test training_args").args;
}

}  // namespace lathe::core::trainer::testing
