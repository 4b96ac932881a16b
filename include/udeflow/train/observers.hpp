#pragma once
/// \file observers.hpp
/// Loss terms seen by the Integrator at observation times.
#include <vector>

#include "udeflow/adjoint/integrator.hpp"

namespace udeflow::train {

/// weight * mean_i (u_i - d_i)^2 at each observation k, with d = data[k].
class DataMse : public adjoint::Observer {
 public:
  DataMse(const std::vector<Vec>* data, double weight) : data_(data), weight_(weight) {}
  ~DataMse() override;
  PetscErrorCode Observe(PetscInt k, PetscReal t, Vec u, PetscReal* loss, Vec dldu) override;

 private:
  const std::vector<Vec>* data_;
  double weight_;
  Vec work_ = nullptr;
};

}  // namespace udeflow::train
