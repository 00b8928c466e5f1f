#include "ui/studio/run_details.h"

namespace lathe::ui::studio {

void register_studio_types() {
    qRegisterMetaType<RunDetails>("lathe::ui::studio::RunDetails");
}

}  // namespace lathe::ui::studio
