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

/// The case's time step (-ts_dt; 0 if not given).
PetscErrorCode CaseTimeStep(const CaseModel& model, PetscReal* dt);

/// Splits a comma-separated list (empty items dropped).
std::vector<std::string> SplitList(const std::string& text);

}  // namespace udeflow::workflow
