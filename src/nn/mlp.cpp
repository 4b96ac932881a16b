#include "udeflow/nn/mlp.hpp"

#include "udeflow/core/error.hpp"

namespace udeflow::nn {

void Mlp::SetParams(const Eigen::Ref<const Vector>& p) {
  Require(p.size() == NumParams(), "MLP parameter vector has the wrong length");
  params_ = p;
}

void Mlp::ParamJvp(Tape& tape, const Eigen::Ref<const Vector>& thetadot, Matrix* ydot) const {
  Require(thetadot.size() == NumParams(), "MLP ParamJvp: direction has the wrong length");
  net_.ParamJvp(params_.data(), tape, thetadot.data(), ydot);
}

}  // namespace udeflow::nn
