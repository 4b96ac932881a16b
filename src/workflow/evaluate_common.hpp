#pragma once
// Private to src/workflow: what the evaluations share — building a model of the case
// with some settings changed (another grid, no closure, another scheme), opening the
// held-out data, and running a model that may blow up.
#include <memory>
#include <string>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/aligned.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::workflow {

/// What differs from the case's model.
struct ModelSettings {
  std::vector<PetscInt> cells;           ///< cell counts per dimension (empty: the case's)
  bool no_closure = false;               ///< the scheme without closure
  std::string scheme_key, scheme_value;  ///< a scheme option (Physics::SetSchemeOption)
  PetscReal dt = 0;                      ///< time step (0: the case's -ts_dt)
  const char* default_type = "burgers";  ///< physics when -physics is not given
};

/// A model of the case (physics + integrator, from the options) with `settings` applied;
/// the physics reads `theta` (its initial parameters until a model file is loaded into it).
struct CaseModel {
  std::unique_ptr<pde::Physics> physics;
  std::unique_ptr<adjoint::Integrator> integrator;
  AlignedVector<double> theta;
};
PetscErrorCode CreateCaseModel(MPI_Comm comm, const ModelSettings& settings, CaseModel* model);

/// Opens the dataset, checks it against every model and lists its test trajectories
/// (none is a user error).
PetscErrorCode OpenHeldOutData(MPI_Comm comm, const std::string& path,
                               const std::vector<pde::Physics*>& models, io::Dataset* data,
                               std::vector<size_t>* tests);

/// Integrates `integ` from (t0, u0) over `times`; a model that blows up is a result
/// (*diverged = true), not a failure of the run.
PetscErrorCode ForwardAllowingDivergence(adjoint::Integrator& integ, PetscReal t0, Vec u0,
                                         const std::vector<PetscReal>& times,
                                         adjoint::Observer* observer, bool* diverged);

/// Compares a model's state with the truth coarse-grained onto its grid at each snapshot
/// (mae[k]; within[k]: the fraction of cells within `threshold`); with SetCoarse(), also
/// after averaging the state onto a coarser 1-D grid (mae_coarse[k], within_coarse[k]):
/// the observable of the coarse model.  Writes the fields when a file is given.
class TruthComparison : public adjoint::Observer {
 public:
  TruthComparison(const io::Dataset* data, size_t traj, std::vector<PetscInt> snaps,
                  pde::Physics* physics, double threshold);
  ~TruthComparison() override;
  /// Also compare after averaging the state onto `coarse`'s grid (1-D, an integer factor
  /// coarser).
  void SetCoarse(pde::Physics* coarse);
  PetscErrorCode SetOutput(io::H5File* file, const std::string& dataset, Vec natural);
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec) override;
  /// The first snapshot time (relative to t0) at which fewer than 80% of the cells are
  /// within the threshold (on the coarse grid if set); the end of the valid span if never.
  double Survival(const std::vector<PetscReal>& times, PetscReal t0, size_t valid,
                  bool diverged) const;
  std::vector<double> mae, within, mae_coarse, within_coarse;
  /// Total variation of the state and of the truth on the model's grid at each snapshot
  /// (-1 where the grid is not a one-field DMDA; see GridTotalVariation).
  std::vector<double> tv, tv_truth;
  size_t observed = 0;

 private:
  PetscErrorCode CoarseError(PetscInt k, Vec u);
  pde::Physics* coarse_ = nullptr;
  Vec coarse_truth_ = nullptr, all_u_ = nullptr, all_t_ = nullptr;
  VecScatter scatter_u_ = nullptr, scatter_t_ = nullptr;
  const io::Dataset* data_;
  size_t traj_;
  std::vector<PetscInt> snaps_;
  pde::Physics* physics_;
  double threshold_;
  Vec truth_ = nullptr, natural_ = nullptr;
  io::H5File* file_ = nullptr;
  std::string dataset_;
};

/// Total variation of a one-field DMDA vector: sum over cells of |u(i+1) - u(i)| (and
/// |u(j+1) - u(j)| in 2-D), periodic directions wrapped; -1 for any other grid.
PetscErrorCode GridTotalVariation(DM dm, Vec u, double* tv);

/// max_k tv[k] / tv0 - 1 over the first `n` entries (the largest relative total-variation
/// growth; 0 if tv0 is not positive).
double TotalVariationGrowth(const std::vector<double>& tv, size_t n, double tv0);

/// The case's time step (-ts_dt; 0 if not given).
PetscErrorCode CaseTimeStep(const CaseModel& model, PetscReal* dt);

/// For a headline comparing the error a of `model` with the error b of `reference`: "" when
/// both are finite (the ratio a / b means something), else what diverged ("both
/// diverged", "<model> diverged", "<reference> diverged"), printed instead of a ratio.
std::string DivergedNote(double a, double b, const std::string& model,
                         const std::string& reference);

/// Splits a comma-separated list (empty items dropped).
std::vector<std::string> SplitList(const std::string& text);

}  // namespace udeflow::workflow
