#pragma once
/// \file physics.hpp
/// The Physics interface: a semi-discrete PDE du/dt = f(t, u; theta) on a PETSc DMDA,
/// with a learnable closure inside f.  Everything the adjoint needs is part of the
/// interface: the linearization at a state, J v, J^T w, (df/dtheta)^T w and an
/// assembled J for implicit methods.  Grids of any dimension fit the interface: the
/// integrator only sees Vecs, the DM and the flat parameter vector theta.
///
/// Life cycle: create from the registry (option -physics) -> SetFromOptions(prefix)
/// -> SetUp() -> use.  theta is replicated on every rank; (df/dtheta)^T w returns this
/// rank's partial sum (the caller reduces once).
#include <petscdm.h>
#include <petscmat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "udeflow/core/aligned.hpp"
#include "udeflow/core/registry.hpp"
#include "udeflow/pde/closure.hpp"

namespace udeflow::pde {

/// Inputs that differ between trajectories of one case (forcing coefficients, initial
/// condition parameters), stored with each trajectory in the dataset.
using Scenario = std::vector<double>;

class Physics {
 public:
  virtual ~Physics() = default;
  virtual const char* Type() const = 0;

  /// Reads the options of this physics and of its closure, prefixed by `prefix`
  /// (e.g. "truth_" reads -truth_burgers_n).  Collective.
  virtual PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) = 0;
  /// Creates the grid and work storage.  Collective.
  virtual PetscErrorCode SetUp() = 0;
  /// The grid; state vectors are its global vectors.  Owned by the physics.
  virtual DM Grid() const = 0;
  /// One line describing the discretization and closure.
  virtual std::string Describe() const = 0;

  // ---- grid facts written to / checked against datasets
  /// Global cell counts per dimension (x first).
  virtual std::vector<PetscInt> GridSize() const = 0;
  /// Physical domain length per dimension.
  virtual std::vector<PetscReal> DomainLength() const = 0;
  /// Names of the state components (dof of the DMDA).
  virtual std::vector<std::string> FieldNames() const = 0;
  /// Physical coordinate of the grid's lower corner per dimension (default 0).
  virtual std::vector<PetscReal> DomainOrigin() const {
    return std::vector<PetscReal>(GridSize().size(), 0.0);
  }
  /// Units of the state components, for output attributes (default: none).
  virtual std::vector<std::string> FieldUnits() const {
    return std::vector<std::string>(FieldNames().size(), "");
  }
  /// Names of the options (without prefix and dash) that set the cell counts, x first
  /// (e.g. "burgers_n"), for messages; empty for a physics without a grid (ODEs).
  virtual std::vector<std::string> ResolutionOptions() const = 0;

  // ---- settings: after SetFromOptions(), before SetUp(), to build variants of a
  // configured case (other resolutions, no closure, another scheme) without touching
  // the options database
  /// Global cell counts per dimension (x first), as GridSize() reports them; a user
  /// error when the physics cannot take them (checked here or at SetUp()).
  virtual PetscErrorCode SetResolution(const std::vector<PetscInt>& cells) = 0;
  /// The closure inside the equations, as read from -<prefix>closure_* (type "none": the
  /// scheme without closure).
  virtual const ClosureConfig& GetClosureConfig() const = 0;
  virtual void SetClosureConfig(const ClosureConfig& config) = 0;
  /// Sets a scheme option by its name without prefix (e.g. "advection_limiter") to a value
  /// as the command line would (a user error naming the option when unknown or invalid).
  /// Default: the physics has no such options.
  virtual PetscErrorCode SetSchemeOption(const std::string& key, const std::string& value);
  /// The current value of a scheme option settable by SetSchemeOption() ("" if none).
  virtual std::string GetSchemeOption(const std::string& key) const { return ""; }
  /// What kind of held-out data the scenario of `seed` is, for reports grouped by kind
  /// (e.g. "interpolation" or "extrapolation" of the training forcings); "" (default): one
  /// kind.
  virtual std::string ScenarioKind(long long seed) const { return ""; }

  // ---- learnable parameters theta (replicated; owned by the caller, not by the physics)
  virtual PetscInt NumParams() const = 0;
  /// Makes the physics read theta[0..NumParams()) from now on: each closure views its
  /// slice, nothing is copied.  theta belongs to the caller (the trainer's buffer, the
  /// vector a model was loaded into), must outlive its use and be 64-byte aligned
  /// (udeflow::AlignedVector) for reproducible bits.  Bind again after changing theta in
  /// place: that drops linearizations cached at the old values.
  virtual PetscErrorCode BindParams(const double* theta) = 0;
  /// The theta the physics reads (nullptr: none bound).
  virtual const double* Params() const = 0;
  /// Writes the configured initialisation of theta (NumParams() entries) into caller memory.
  virtual PetscErrorCode InitializeParams(double* theta) const = 0;
  /// Floating point work of the closure per right-hand-side evaluation (this rank).
  virtual double ClosureFlopsPerRhs() const { return 0; }
  /// Penalty on theta added to the training loss (e.g. a consistency constraint):
  /// returns its value and adds its gradient to gtheta (replicated, not a partial sum).
  virtual double ParamPenalty(const double* theta, double* gtheta) const { return 0; }

  // ---- trajectories
  /// A random scenario (forcing etc.) drawn deterministically from `seed`.
  virtual PetscErrorCode MakeScenario(uint64_t seed, Scenario* scenario) const = 0;
  /// Makes `scenario` the active one; checks its length and values (user error on a
  /// malformed dataset).
  virtual PetscErrorCode SetScenario(const Scenario& scenario) = 0;
  /// Initial state of the active scenario.
  virtual PetscErrorCode InitialCondition(Vec u) = 0;
  /// The exact solution of the PDE (not of its discretization) at time t for the active
  /// scenario, cell-averaged onto the grid, when the physics knows it (*available = true);
  /// `udeflow generate` then writes it instead of integrating.  Collective.
  virtual PetscErrorCode ExactSolution(PetscReal t, Vec u, bool* available) {
    *available = false;
    return 0;
  }

  // ---- the semi-discrete system and its derivatives
  /// f = f(t, u; theta).  Collective.
  virtual PetscErrorCode Rhs(PetscReal t, Vec u, Vec f) = 0;
  /// Records the state (t, u) at which the products below are taken.  `repeated`
  /// says the products will be applied many times (Krylov solves): the physics may
  /// then cache closure activations instead of recomputing them per product.
  virtual PetscErrorCode Linearize(PetscReal t, Vec u, bool repeated) = 0;
  /// Jv = (df/du) v at the linearization point.
  virtual PetscErrorCode JacobianMult(Vec v, Vec Jv) = 0;
  /// JTw = (df/du)^T w; if gtheta != nullptr also gtheta += (df/dtheta)^T w (this
  /// rank's partial sum, length NumParams()).
  virtual PetscErrorCode JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) = 0;
  /// gtheta += (df/dtheta)^T w (partial sum on this rank).
  virtual PetscErrorCode ParamJacobianMultTranspose(Vec w, double* gtheta) = 0;
  /// out = (df/dtheta) thetadot (for tests and forward sensitivities).
  virtual PetscErrorCode ParamJacobianMult(const double* thetadot, Vec out) = 0;
  /// A matrix with the sparsity of df/du (from the DM).
  virtual PetscErrorCode CreateJacobian(Mat* J) = 0;
  /// J = a I + b (df/du) at the linearization point, assembled.
  virtual PetscErrorCode AssembleJacobian(PetscReal a, PetscReal b, Mat J) = 0;
  /// A stable explicit time step estimate at state u (CFL / diffusion limits).
  virtual PetscErrorCode StableTimeStep(Vec u, PetscReal* dt) = 0;

  // ---- optional activation cache (explicit RK adjoints without recomputation)
  /// Bytes one cache slot takes (0: the physics has no cache).
  virtual double CacheBytesPerSlot() const { return 0; }
  /// Makes room for `slots` slots and forgets their contents.
  virtual PetscErrorCode ResetCache(PetscInt slots) { return 0; }
  /// While `slot` >= 0, Rhs() keeps in that slot what the derivatives at its (t, u) need.
  virtual void SetRhsCacheSlot(PetscInt slot) {}
  /// As Linearize(t, u, false), reusing slot `slot` when Rhs() filled it at this very
  /// (t, u); *hit tells whether it did (the caller guarantees the state is the same).
  virtual PetscErrorCode LinearizeCached(PetscReal t, Vec u, PetscInt slot, bool* hit) {
    *hit = false;
    return 0;
  }

  // ---- hooks of the workflows (defaults: not supported)
  /// Scale of the state in error figures (errors are reported for u / scale).
  virtual double EvaluationScale() const { return 1.0; }
  /// Constant advection velocity per dimension, for a physics that is linear advection
  /// (von Neumann analysis of `udeflow diagnose`); empty otherwise.
  virtual std::vector<PetscReal> AdvectionVelocity() const { return {}; }
  /// Named curves that show what the closure learned next to fixed alternatives (e.g. a
  /// learned flux limiter phi(r) and the classical limiters), written by `udeflow
  /// evaluate` to the HDF5 group `group`; empty when there is nothing to show.
  struct LearnedCurves {
    std::string group;
    std::vector<std::pair<std::string, std::vector<double>>> arrays;
  };
  virtual PetscErrorCode GetLearnedCurves(LearnedCurves* curves) {
    curves->arrays.clear();
    return 0;
  }
  /// Offline ("fit the flux") training samples: the closure inputs and the closure outputs
  /// that the data imply between two consecutive snapshots a (time t) and b (t + dt), one
  /// sample per column of this rank, appended column-major to `inputs` (NumInputs() each)
  /// and `targets` (NumOutputs() each); `check` collects max |error| and max |reference|
  /// of a conservation check of the data.  The closure to fit is OfflineClosure().
  /// Default: a user error (the physics has no offline training).
  struct OfflineCheck {
    double error = 0, reference = 0;
  };
  virtual Closure* OfflineClosure() { return nullptr; }
  virtual PetscErrorCode AppendOfflineSamples(PetscReal dt, Vec a, Vec b,
                                              std::vector<double>* inputs,
                                              std::vector<double>* targets, OfflineCheck* check);
  /// The physics as a system of ODEs on a replicated state (for equation discovery);
  /// nullptr when it is not one.
  virtual const class OdeSystem* AsOdeSystem() const { return nullptr; }

  /// What the learned closure says about the physics (recovered coefficients, learned
  /// terms vs the truth): printed, and returned as data for a file (written by the
  /// workflow, train::WriteLearnedReport); an empty format means nothing to write.
  /// Collective.
  struct LearnedReport {
    std::string format;
    std::vector<std::pair<std::string, std::string>> text;            ///< string attributes of "/"
    std::vector<std::pair<std::string, double>> values;               ///< numeric attributes of "/"
    std::vector<std::pair<std::string, std::vector<double>>> arrays;  ///< datasets "/<name>"
  };
  virtual PetscErrorCode ReportLearned(LearnedReport* report) {
    report->format.clear();
    return 0;
  }
};

/// Sets *theta to the physics' initial parameters and binds the physics to it (for a
/// physics used without a trained model; *theta must outlive that use).
inline PetscErrorCode BindInitialParams(Physics& physics, AlignedVector<double>* theta) {
  PetscFunctionBeginUser;
  theta->assign(physics.NumParams(), 0.0);
  PetscCall(physics.InitializeParams(theta->data()));
  PetscCall(physics.BindParams(theta->data()));
  PetscFunctionReturn(0);
}

Registry<Physics>& PhysicsRegistry();
/// Settings applied to a new physics before its SetFromOptions(): defaults that the
/// options can still override.
using PhysicsDefaults = std::function<PetscErrorCode(Physics&)>;
/// Reads -<prefix>physics (default `default_type`), creates it, applies `defaults` and
/// reads its options.  Unknown names are a user error listing the choices.  Collective.
PetscErrorCode PhysicsCreateFromOptions(MPI_Comm comm, const char* prefix, const char* default_type,
                                        std::unique_ptr<Physics>* physics,
                                        const PhysicsDefaults& defaults = {});

}  // namespace udeflow::pde
