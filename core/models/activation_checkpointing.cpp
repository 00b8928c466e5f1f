#include "core/models/activation_checkpointing.h"

#include <ATen/CPUGeneratorImpl.h>

#include <optional>

#include "core/models/autocast_state.h"

namespace lathe::core::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;
using Block = std::function<torch::Tensor(const torch::Tensor&)>;

at::Generator cpu_generator() {
    return at::detail::getDefaultCPUGenerator();
}

// The generator dropout draws from on the input's GPU (none on the CPU).
std::optional<at::Generator> device_generator(const torch::Tensor& input) {
    if (!input.is_cuda())
        return std::nullopt;
    return at::globalContext().defaultGenerator(input.device());
}

torch::Tensor generator_state(at::Generator generator) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void set_generator_state(at::Generator generator, const torch::Tensor& state) {
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

// What the forward ran with, for the recomputation in backward: the block, the generators'
// states, the autocast state. It rides in the autograd context (as a capsule), so it lives exactly
// as long as the graph that may call backward.
struct ForwardState : torch::CustomClassHolder {
    explicit ForwardState(Block b, const torch::Tensor& input)
        : block(std::move(b)),
          cpu_rng(generator_state(cpu_generator())),
          autocast(AutocastState::current()) {
        if (auto generator = device_generator(input))
            device_rng = generator_state(*generator);
    }
    Block block;
    torch::Tensor cpu_rng;
    torch::Tensor device_rng;  // undefined for an input on the CPU
    AutocastState autocast;
};

// The forward's generators for the time of a recomputation, and the ones found restored
// afterwards, also when the block throws.
class RngReplay {
  public:
    RngReplay(const ForwardState& forward, const torch::Tensor& input)
        : generator_(device_generator(input)), cpu_now_(generator_state(cpu_generator())) {
        set_generator_state(cpu_generator(), forward.cpu_rng);
        if (generator_) {
            device_now_ = generator_state(*generator_);
            set_generator_state(*generator_, forward.device_rng);
        }
    }
    ~RngReplay() {
        if (generator_)
            set_generator_state(*generator_, device_now_);
        set_generator_state(cpu_generator(), cpu_now_);
    }
    RngReplay(const RngReplay&) = delete;
    RngReplay& operator=(const RngReplay&) = delete;

  private:
    std::optional<at::Generator> generator_;
    torch::Tensor cpu_now_, device_now_;
};

class CheckpointFunction : public torch::autograd::Function<CheckpointFunction> {
  public:
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor input, Block block) {
        auto state = c10::make_intrusive<ForwardState>(std::move(block), input);
        ctx->save_for_backward({input});
        auto output = state->block(input);  // autograd is off inside forward: nothing is kept
        ctx->saved_data["forward"] = c10::IValue::make_capsule(state);
        return output;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
        auto capsule = ctx->saved_data["forward"].toCapsule();
        const auto& forward = *static_cast<ForwardState*>(capsule.get());
        auto input = ctx->get_saved_variables()[0].detach().requires_grad_(true);
        torch::Tensor output;
        {
            RngReplay rng(forward, input);
            // A region of its own, as torch.utils.checkpoint opens torch.autocast: the weight
            // copies cast here must not outlive the recomputation.
            AutocastRegion autocast(forward.autocast);
            torch::AutoGradMode enable(true);
            output = forward.block(input);
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
