#include "core/models/activation_checkpointing.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <optional>

#include "core/models/autocast_state.h"

namespace lathe::core::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Block = std::function<torch::Tensor(const torch::Tensor&)>;

torch::Tensor cpu_rng_state() {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void set_cpu_rng_state(const torch::Tensor& state) {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

// The generator dropout draws from on the input's GPU (none on the CPU).
std::optional<at::Generator> device_generator(const torch::Tensor& input) {
    if (!input.is_cuda())
        return std::nullopt;
    return at::globalContext().defaultGenerator(input.device());
}

torch::Tensor generator_state(at::Generator& generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void set_generator_state(at::Generator& generator, const torch::Tensor& state) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

// The forward's generators and autocast state for the time of a recomputation, and the ones found
// restored afterwards, also when the block throws. The recomputation is an autocast region of its
// own, as torch.autocast opens in torch.utils.checkpoint: autocast caches low-precision copies of
// the weights while a region is open and drops them when the outermost one closes, so copies made
// outside any region would outlive the optimizer step and serve the next forward stale weights.
class Replay {
  public:
    Replay(AutogradContext* ctx, const torch::Tensor& input) : generator_(device_generator(input)) {
        cpu_now_ = cpu_rng_state();
        set_cpu_rng_state(ctx->saved_data["rng"].toTensor());
        if (generator_) {
            device_now_ = generator_state(*generator_);
            set_generator_state(*generator_, ctx->saved_data["device_rng"].toTensor());
        }
        const auto saved = ctx->saved_data["autocast"].toIntVector();
        AutocastState autocast;
        autocast.cpu_enabled = saved[0] != 0;
        autocast.cpu_dtype = static_cast<torch::ScalarType>(saved[1]);
        autocast.cuda_enabled = saved[2] != 0;
        autocast.cuda_dtype = static_cast<torch::ScalarType>(saved[3]);
        region_ = autocast.cpu_enabled || autocast.cuda_enabled;
        outside_ = autocast.apply();
        if (region_)
            at::autocast::increment_nesting();
    }
    ~Replay() {
        if (region_ && at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
        outside_.apply();
        if (generator_)
            set_generator_state(*generator_, device_now_);
        set_cpu_rng_state(cpu_now_);
    }
    Replay(const Replay&) = delete;
    Replay& operator=(const Replay&) = delete;

  private:
    std::optional<at::Generator> generator_;
    torch::Tensor cpu_now_, device_now_;
    AutocastState outside_;
    bool region_ = false;
};

// The block rides in the autograd context (as a capsule), so it lives exactly as long as the
// graph that may call backward.
struct BlockHolder : torch::CustomClassHolder {
    explicit BlockHolder(Block b) : block(std::move(b)) {}
    Block block;
};

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  public:
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor input, Block block) {
        auto holder = c10::make_intrusive<BlockHolder>(std::move(block));
        ctx->saved_data["rng"] = cpu_rng_state();
        if (auto generator = device_generator(input))
            ctx->saved_data["device_rng"] = generator_state(*generator);
        const auto autocast = AutocastState::current();
        ctx->saved_data["autocast"] =
            std::vector<int64_t>{autocast.cpu_enabled, static_cast<int64_t>(autocast.cpu_dtype),
                                 autocast.cuda_enabled, static_cast<int64_t>(autocast.cuda_dtype)};
        ctx->save_for_backward({input});
        auto output = holder->block(input);  // autograd is off inside forward: nothing is kept
        ctx->saved_data["block"] = c10::IValue::make_capsule(holder);
        return output;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        auto capsule = ctx->saved_data["block"].toCapsule();
        const auto& block = static_cast<BlockHolder*>(capsule.get())->block;
        auto input = ctx->get_saved_variables()[0].detach().requires_grad_(true);
        torch::Tensor output;
        {
            Replay replay(ctx, input);
            torch::AutoGradMode enable(true);
            output = block(input);
        }
        torch::autograd::backward({output}, {grad_outputs[0]});
        return {input.grad(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor checkpointed(const Block& block, const torch::Tensor& input) {
    return CheckpointFunction::apply(input, block);
}

}  // namespace lathe::core::models
