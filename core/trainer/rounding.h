#pragma once

#include <cmath>

namespace lathe::core::trainer {

// Python's round(x, digits) for the values Transformers rounds in its logs (loss to 4 places,
// rates to 3). Python rounds the exact binary value half-to-even; formatting through a decimal
// string reproduces that for every double.
double round_to(double value, int digits);

}  // namespace lathe::core::trainer
