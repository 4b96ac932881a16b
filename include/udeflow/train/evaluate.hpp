#pragma once
/// \file evaluate.hpp
/// `udeflow evaluate`: runs the trained model and un-closed baselines on the
/// held-out trajectories and compares them with the coarse-grained truth.
///
/// For each test trajectory every model starts from the coarse-grained truth at the
/// first snapshot and runs over the horizon; at each snapshot the mean absolute error
/// (MAE) vs the truth coarse-grained onto that model's grid is recorded (and, for finer
/// baselines, also after averaging their solution onto the closure's grid), and the
/// "survival time" (first time fewer than 80% of the cells are within
/// -evaluate_threshold of the truth, Bar-Sinai et al.).
///
/// Options: -evaluate_baselines 64,128,256 (cells of the un-closed baselines; their
/// time step is -ts_dt scaled by the grid ratio), -evaluate_horizon T (default: the
/// whole trajectory), -evaluate_threshold (default 0.1), -evaluate_fields (write the
/// predicted fields to <output_dir>/evaluate.h5 + .xmf; default true).
/// Finally the physics reports what its closure learned (Physics::ReportLearned), written
/// to <output_dir>/learned.h5 when fields are written.
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow::train {

struct EvaluationRow {
  std::string model;  ///< "closure" or "baseline"
  PetscInt cells = 0;
  double mae = 0;       ///< mean over test trajectories, snapshots and cells (on the model's own grid)
  double mae_model_grid = 0;  ///< the same after averaging onto the closure's grid (finer baselines)
  double survival = 0;  ///< mean survival time over test trajectories
  double seconds = 0;
  int diverged = 0;     ///< test trajectories on which the model blew up (MAE is then inf)
};

/// Collective.  Prints the table and returns its rows.
PetscErrorCode EvaluateCase(MPI_Comm comm, std::vector<EvaluationRow>* rows);

}  // namespace udeflow::train
