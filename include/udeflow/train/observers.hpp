#pragma once
/// \file observers.hpp
/// Loss terms seen by the Integrator at observation times.
#include <vector>

#include "udeflow/adjoint/integrator.hpp"

namespace udeflow::train {

/// Misfit between the state and data at each observation k (d = data[k]), averaged over
/// the cells and scaled by `weight`:
///   mse:   mean_i (u_i - d_i)^2
///   huber: mean_i (sqrt((u_i - d_i)^2 + delta^2) - delta)   (pseudo-Huber: ~|u - d| for
///          errors above delta, smooth everywhere; matches a mean-absolute-error metric)
/// With `obs_weights` (one per observation) observation k is further multiplied by
/// obs_weights[k] (time-weighted losses, -train_time_weight).
class DataMisfit : public adjoint::Observer {
 public:
  enum class Kind { kMse, kHuber };
  DataMisfit(const std::vector<Vec>* data, double weight, Kind kind = Kind::kMse,
             double delta = 0.01, const std::vector<double>* obs_weights = nullptr)
      : data_(data), weight_(weight), kind_(kind), delta_(delta), obs_weights_(obs_weights) {}
  ~DataMisfit() override;
  PetscErrorCode Observe(PetscInt k, PetscReal t, Vec u, PetscReal* loss, Vec dldu) override;

 private:
  const std::vector<Vec>* data_;
  double weight_;
  Kind kind_;
  double delta_;
  const std::vector<double>* obs_weights_;
  Vec work_ = nullptr;
};

using DataMse = DataMisfit;

}  // namespace udeflow::train
