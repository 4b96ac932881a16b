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
/// -evaluate_threshold of the truth, Bar-Sinai et al.; for finer baselines, of the
/// closure grid's cells after averaging onto it).
///
/// Options: -evaluate_baselines 64,128,256 (cells of the un-closed baselines; their
/// time step is -ts_dt scaled by the grid ratio), -evaluate_baseline_scheme
/// <option>=<value> with -evaluate_baseline_scheme_cells (more un-closed baselines with
/// one scheme option changed, e.g. burgers_reconstruction=weno5 at 64,128,256,512 cells;
/// the headline then compares the closure with it at 4x the cells on the closure's grid),
/// -evaluate_horizon T (default: the
/// whole trajectory), -evaluate_threshold (default 0.1), -evaluate_fields (write the
/// predicted fields to <output_dir>/evaluate.h5 + .xmf; default true).
/// Finally the physics reports what its closure learned (Physics::ReportLearned), written
/// to <output_dir>/learned.h5 when fields are written.
#include <petscsys.h>

#include <string>
#include <utility>
#include <vector>

#include "udeflow/io/dataset.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::workflow {

struct EvaluationRow {
  std::string model;   ///< "closure" or "baseline"
  std::string scheme;  ///< baselines of -evaluate_baseline_scheme: its value ("": the case's)
  PetscInt cells = 0;
  double mae = 0;  ///< mean over test trajectories, snapshots and cells (on the model's own grid)
  double mae_model_grid =
      0;                ///< the same after averaging onto the closure's grid (finer baselines)
  double survival = 0;  ///< mean survival time over test trajectories
  double seconds = 0;
  int diverged = 0;              ///< test trajectories on which the model blew up (MAE is then inf)
  std::vector<double> per_test;  ///< mae_model_grid of each test trajectory (inf: diverged)
};

/// One held-out trajectory as the evaluations use it: its snapshot times `t`, scenario,
/// and the snapshots k >= 1 (and their times) within `horizon` of the first snapshot
/// (horizon <= 0: all; none is the user error of -evaluate_horizon).  Collective.
struct HeldOutTrajectory {
  std::vector<PetscReal> t, times;
  pde::Scenario scenario;
  std::vector<PetscInt> snaps;
};
PetscErrorCode ReadHeldOut(MPI_Comm comm, const io::Dataset& data, size_t traj, PetscReal horizon,
                           HeldOutTrajectory* h);

/// Collective.  Prints the table and returns its rows.  With -evaluate_variant_option
/// calls EvaluateVariants() instead.
PetscErrorCode EvaluateCase(MPI_Comm comm, std::vector<EvaluationRow>* rows);

/// The trained model against variants of the scheme that differ in one option (e.g.
/// -evaluate_variant_option advection_limiter -evaluate_variants minmod,superbee,vanleer,mc),
/// each at the grid resolutions -evaluate_grid_factors (default 0.5,1,2 times the case's
/// grid, every dimension; -ts_dt scaled to keep the Courant number).  Prints tables of
/// the mean absolute error on each model's grid, on the closure's grid (1-D grids finer
/// by an integer factor averaged onto it) and the survival time (rows: learned and
/// variants; columns: resolutions), and the closure against each variant at 4x on the
/// closure's grid; writes the
/// fields to <output_dir>/evaluate.h5 (+ evaluate.xmf for the case's resolution) and, for
/// a learned advection limiter, its phi(r) next to the fixed limiters (/limiter/*).
/// Rows: one per (scheme, resolution), model = the label.  Collective.
PetscErrorCode EvaluateVariants(MPI_Comm comm, const std::string& option,
                                std::vector<EvaluationRow>* rows);
/// One model of a comparison: its label and mean scaled-temperature MSE.
struct ModelComparisonRow {
  std::string label, path;  ///< path "none": the physics without network
  std::vector<std::pair<std::string, std::string>> options;  ///< this model's own options
  std::vector<double> mse_per_trajectory;  ///< mean over snapshots and cells, per test trajectory
  double mse = 0;                          ///< mean over test trajectories
  /// Largest over the test trajectories of the RMS error at the end over the RMS error at
  /// a quarter of the horizon (1 day of the ocean's 4): > 1 where the error still grows.
  double growth = 0;
  int diverged = 0;
};

/// `udeflow evaluate -evaluate_models label:path[:option=value...],...` (e.g.
/// "ca:none,kpp:none:ocean_scheme=kpp:snes_type=ksponly,online:model.h5", paths relative
/// to -output_dir unless absolute; option=value: options in effect while that model and
/// its integrator are created, as if given on the command line): runs every model of the same
/// physics on the held-out trajectories from the coarse-grained truth at the first snapshot, prints
/// the mean squared error of the scaled state ((u - truth)/scale, scale = -ocean_t_scale for ocean
/// columns, else 1) over -evaluate_horizon per trajectory and on average, and the error ratios;
/// writes <output_dir>/profiles.h5 (plot-ready: /z, and per trajectory /t, /truth, /<label> [nt,
/// cells] in natural order, /<label>_mse [nt]).  Collective.
PetscErrorCode EvaluateModels(MPI_Comm comm, const std::string& models,
                              std::vector<ModelComparisonRow>* rows);

}  // namespace udeflow::workflow
