#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace lathe::core::trainer {

// torch.amp.GradScaler's defaults, which Transformers' fp16 training uses.
struct GradScalerOptions {
    double init_scale = 65536.0;
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    std::int64_t growth_interval = 2000;
};

// Dynamic loss scaling for fp16, with torch.amp.GradScaler's arithmetic so that a run skips the
// same steps and keeps the same scale as PyTorch's: the loss is multiplied by the scale before
// backward; before clipping the gradients are multiplied by the fp32 reciprocal of the scale and
// checked for inf/NaN; a step with non-finite gradients is skipped and the scale backs off, and
// after growth_interval clean steps in a row it grows. The scale is kept as fp32, as torch does.
class GradScaler {
  public:
    explicit GradScaler(GradScalerOptions options = {});

    // Throws Error naming the field when an option is out of torch's range.
    static void validate(const GradScalerOptions& options);

    torch::Tensor scale(const torch::Tensor& loss) const;
    // Unscales every gradient in place; true when any of them holds inf or NaN. In a
    // data-parallel job the gradients are already averaged, so every rank agrees.
    bool unscale(const std::vector<torch::Tensor>& parameters) const;
    // After the (possibly skipped) optimizer step.
    void update(bool found_inf);

    float current_scale() const { return scale_; }
    std::int64_t growth_tracker() const { return growth_tracker_; }

    // scaler.pt as torch.save(GradScaler.state_dict()) writes it: {"scale", "growth_factor",
    // "backoff_factor", "growth_interval", "_growth_tracker"}. Transformers 5 saves and reloads
    // that file with fp16 checkpoints (_save_scaler / _load_scaler); 4.46.3 did neither.
    void save(const std::string& path) const;
    // Reads that file (also one Python wrote); errors name the file and the key.
    void load(const std::string& path);

  private:
    GradScalerOptions options_;
    float scale_;
    std::int64_t growth_tracker_ = 0;
};

}  // namespace lathe::core::trainer
