#include "core/trainer/grad_scaler.h"

#include <cfloat>
#include <cmath>

#include "core/trainer/python_pickle.h"
#include "core/util/error.h"

namespace lathe::core::trainer {

GradScaler::GradScaler(GradScalerOptions options) : options_(options) {
    validate(options_);
    scale_ = static_cast<float>(options_.init_scale);
}

void GradScaler::validate(const GradScalerOptions& options) {
    // Compared as doubles: converting a double beyond FLT_MAX to float is undefined.
    if (!(options.init_scale > 0) || !(options.init_scale <= FLT_MAX))
        throw Error("grad scaler init_scale must be a positive finite fp32 value, got " +
                    std::to_string(options.init_scale));
    if (!(options.growth_factor > 1.0))
        throw Error("grad scaler growth_factor must be above 1.0, got " +
                    std::to_string(options.growth_factor));
    if (!(options.backoff_factor > 0.0 && options.backoff_factor < 1.0))
        throw Error("grad scaler backoff_factor must be between 0 and 1, got " +
                    std::to_string(options.backoff_factor));
    if (options.growth_interval < 1)
        throw Error("grad scaler growth_interval must be at least 1, got " +
                    std::to_string(options.growth_interval));
}

torch::Tensor GradScaler::scale(const torch::Tensor& loss) const {
    // torch multiplies by its fp32 scale tensor.
    return loss * torch::tensor(scale_, loss.options().dtype(torch::kFloat32));
}

bool GradScaler::unscale(const std::vector<torch::Tensor>& parameters) const {
    // torch: inv_scale = scale.double().reciprocal().float(), applied to every gradient.
    const auto inv_scale = static_cast<float>(1.0 / static_cast<double>(scale_));
    torch::NoGradGuard no_grad;
    torch::Tensor found;
    for (const auto& p : parameters) {
        auto g = p.grad();
        if (!g.defined())
            continue;
        // Checked before scaling, as torch's kernel does. One device-side flag for all
        // gradients: a single sync at the end, not one per tensor.
        auto bad = torch::logical_not(torch::isfinite(g)).any();
        g.mul_(inv_scale);
        found = found.defined() ? torch::logical_or(found, bad) : bad;
    }
    return found.defined() && found.item<bool>();
}

void GradScaler::update(bool found_inf) {
    // torch._amp_update_scale_: back off on a skipped step, grow after growth_interval clean
    // steps in a row. The fp32 scale times the double factor, stored back as fp32.
    if (found_inf) {
        scale_ = static_cast<float>(static_cast<double>(scale_) * options_.backoff_factor);
        growth_tracker_ = 0;
        return;
    }
    const std::int64_t successful = growth_tracker_ + 1;
    if (successful == options_.growth_interval) {
        // torch keeps the scale when growing it would overflow fp32.
        const double grown = static_cast<double>(scale_) * options_.growth_factor;
        if (grown <= FLT_MAX)
            scale_ = static_cast<float>(grown);
        growth_tracker_ = 0;
    } else {
        growth_tracker_ = successful;
    }
}

void GradScaler::save(const std::string& path) const {
    auto root = c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
    root.insert("scale", static_cast<double>(scale_));
    root.insert("growth_factor", options_.growth_factor);
    root.insert("backoff_factor", options_.backoff_factor);
    root.insert("growth_interval", options_.growth_interval);
    root.insert("_growth_tracker", growth_tracker_);
    save_for_python(root, path);
}

void GradScaler::load(const std::string& path) {
    const auto dict = load_python_dict(path, "GradScaler state");
    auto number = [&](const char* key) {
        if (!dict.contains(key))
            throw Error(path + ": GradScaler state has no \"" + key + "\"");
        const auto v = dict.at(key);
        if (v.isDouble())
            return v.toDouble();
        if (v.isInt())
            return static_cast<double>(v.toInt());
        throw Error(path + ": GradScaler state \"" + key + "\" is not a number");
    };
    GradScalerOptions options;
    options.init_scale = number("scale");
    options.growth_factor = number("growth_factor");
    options.backoff_factor = number("backoff_factor");
    options.growth_interval = static_cast<std::int64_t>(number("growth_interval"));
    try {
        validate(options);
    } catch (const Error& e) {
        throw Error(path + ": " + e.what());
    }
    const auto tracker = static_cast<std::int64_t>(number("_growth_tracker"));
    options_ = options;
    scale_ = static_cast<float>(options.init_scale);
    growth_tracker_ = tracker;
}

}  // namespace lathe::core::trainer
