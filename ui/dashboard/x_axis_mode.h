#pragma once

namespace lathe::ui::dashboard {

// The four x axes a metric can be plotted against. Every stored point carries all four, so
// switching mode never refetches data.
enum class XAxisMode { Step, Epoch, WallTime, Tokens };

inline const char* x_axis_label(XAxisMode mode) {
    switch (mode) {
        case XAxisMode::Step:
            return "step";
        case XAxisMode::Epoch:
            return "epoch";
        case XAxisMode::WallTime:
            return "wall time since start (s)";
        case XAxisMode::Tokens:
            return "tokens seen";
    }
    return "";
}

}  // namespace lathe::ui::dashboard
