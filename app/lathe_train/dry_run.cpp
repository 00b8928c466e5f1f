#include "app/lathe_train/dry_run.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>

#include "app/lathe_train/exit_codes.h"
#include "core/trainer/batches.h"
#include "core/trainer/precision.h"
#include "core/trainer/step_plan.h"
#include "core/trainer/training_device.h"
#include "core/training_args/validate.h"

namespace lathe::app {
namespace {

double gib(double bytes) {
    return bytes / (1024.0 * 1024.0 * 1024.0);
}

}  // namespace

int dry_run(const core::run::RunConfig& config,
            const core::training_args::TrainingArguments& raw_args) {
    const auto args = core::training_args::resolved(raw_args);
    const auto seed = static_cast<std::uint64_t>(args.seed);
    auto pieces = build_model(config, seed);
    auto data = prepare_data(config, pieces,
                             static_cast<std::uint64_t>(args.data_seed.value_or(args.seed)));
    const auto plan = core::trainer::plan_steps(args, data.train.size());
    const auto& mc = pieces.model->config();

    std::int64_t params = 0;
    double weight_bytes = 0;
    for (const auto& p : pieces.model->parameters()) {
        params += p.numel();
        weight_bytes += static_cast<double>(p.nbytes());
    }
    // Gradients in the weights' dtype; AdamW keeps two fp32 moments per parameter.
    const double grad_bytes = weight_bytes;
    const double optimizer_bytes = args.optim == "sgd" ? 0.0 : 8.0 * static_cast<double>(params);
    // Activations kept for backward per micro-batch, fp32: about (34 h + 5 a t) values per token
    // and layer (Korthikanti et al. 2022, counted in bytes for 16-bit there), plus the logits.
    const double b = static_cast<double>(args.per_device_train_batch_size);
    const double t = static_cast<double>(config.dataset.block_size);
    const double activation_bytes = 2.0 * b * t * static_cast<double>(mc.num_hidden_layers) *
                                        (34.0 * static_cast<double>(mc.hidden_size) +
                                         5.0 * static_cast<double>(mc.num_attention_heads) * t) +
                                    3.0 * 4.0 * b * t * static_cast<double>(mc.vocab_size);

    std::vector<std::int64_t> first(static_cast<std::size_t>(
        std::min<std::int64_t>(args.per_device_train_batch_size, data.train.size())));
    for (std::size_t i = 0; i < first.size(); ++i)
        first[i] = static_cast<std::int64_t>(i);
    // The step is timed where the run would train (one process: local rank 0).
    const auto device = core::trainer::training_device(0, args.use_cpu);
    core::trainer::check_precision_device(args.fp16, device);
    pieces.model->to(device);
    auto ids = core::trainer::make_batch(data.train, first, device);
    pieces.model->train();
    pieces.model->set_gradient_checkpointing(args.gradient_checkpointing);
    // As the run computes it (autocast, checkpointing); the second of two micro-batches is timed,
    // the first pays for allocator, kernel and CUDA start-up.
    torch::Tensor loss;
    double step_seconds = 0;
    for (int pass = 0; pass < 2; ++pass) {
        pieces.model->zero_grad();
        const auto start = std::chrono::steady_clock::now();
        {
            core::trainer::AutocastGuard autocast(
                core::trainer::autocast_dtype(args.bf16, args.fp16), device);
            loss = core::models::causal_lm_loss(pieces.model->forward(ids), ids);
        }
        loss.backward();
        if (device.is_cuda())
            torch::cuda::synchronize();
        step_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    std::printf("dry run: everything needed to start is valid\n");
    std::printf("  model            %s (%s), %lld parameters\n", pieces.model_description.c_str(),
                mc.model_type.c_str(), static_cast<long long>(params));
    std::printf("  device           %s\n", device.str().c_str());
    std::printf("  tokenizer        vocab %d\n", pieces.tokenizer.vocab_size());
    std::printf("  data             %lld train / %lld eval blocks of %lld tokens (%s)\n",
                static_cast<long long>(data.train.size()),
                static_cast<long long>(data.validation.size()),
                static_cast<long long>(config.dataset.block_size),
                data.from_cache ? "cached" : "tokenized");
    std::printf(
        "  steps            %lld batches/epoch, %lld optimizer steps/epoch, %lld steps in %lld "
        "epochs, "
        "global batch %lld\n",
        static_cast<long long>(plan.batches_per_epoch),
        static_cast<long long>(plan.updates_per_epoch), static_cast<long long>(plan.max_steps),
        static_cast<long long>(plan.num_epochs), static_cast<long long>(plan.global_batch_size));
    std::printf(
        "  memory estimate  weights %.3f GiB + gradients %.3f GiB + optimizer %.3f GiB + "
        "activations %.3f GiB = %.3f GiB\n",
        gib(weight_bytes), gib(grad_bytes), gib(optimizer_bytes), gib(activation_bytes),
        gib(weight_bytes + grad_bytes + optimizer_bytes + activation_bytes));
    std::printf(
        "  first step       loss %.4f, forward+backward %.3f s per micro-batch (warmed up) -> "
        "about %.0f s for %lld steps\n",
        loss.item<double>(), step_seconds,
        step_seconds * static_cast<double>(args.gradient_accumulation_steps * plan.max_steps),
        static_cast<long long>(plan.max_steps));
    return kExitSuccess;
}

}  // namespace lathe::app
