#pragma once
/// \file snapshots.hpp
/// Training snapshots: every -train_snapshots_every K iterations the current model is
/// run from the first training trajectory's initial state over its observation times;
/// the predicted fields go to <output_dir>/train_snapshots.h5 (+ .xmf, one time series
/// per snapshot iteration, "iter_NNNNNN") and, when Catalyst options are given, every
/// time step of these runs goes to ParaView Catalyst (run name iter_NNNNNN).
/// With -train_groups > 1 the first group does it.
#include <memory>
#include <string>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/io/catalyst.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/fields.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::train {

class TrainSnapshots {
 public:
  /// Reads -train_snapshots_every (and the Catalyst options).  `active` says whether
  /// this rank's group does the work.  Collective on the physics' communicator.
  PetscErrorCode Create(pde::Physics* physics, adjoint::Integrator* integrator,
                        const io::Dataset* data, const std::string& output_dir, bool active);
  /// Does a snapshot if `iteration` is a multiple of K (iteration 0: the initial model).
  /// `theta` is the current parameter vector (the trainer's): the physics is bound to it.
  /// Collective.
  PetscErrorCode Maybe(long long iteration, const double* theta);
  /// Writes the files and reports Catalyst's share of `total_seconds`.  Collective.
  PetscErrorCode Finish(double total_seconds);
  bool Enabled() const { return every_ > 0 && active_; }

 private:
  pde::Physics* physics_ = nullptr;
  adjoint::Integrator* integ_ = nullptr;
  const io::Dataset* data_ = nullptr;
  PetscInt every_ = 0;
  bool active_ = false, any_ = false;
  std::string path_;
  io::FieldWriter writer_;
  std::unique_ptr<io::Catalyst> catalyst_;
};

}  // namespace udeflow::train
