#pragma once
// Private to src/bsde: the Z network architectures.
#include <memory>
#include <vector>

#include "udeflow/bsde/znet.hpp"

namespace udeflow::bsde {

std::unique_ptr<ZNetwork> CreateSubnets(const ZNetConfig& config, int d, int num_steps,
                                        double horizon);
std::unique_ptr<ZNetwork> CreateSharedNet(const ZNetConfig& config, int d, int num_steps,
                                          double horizon);
/// {n_in, width x depth, n_out}
std::vector<int> HiddenWidths(const ZNetConfig& c, int n_in, int n_out);

}  // namespace udeflow::bsde
