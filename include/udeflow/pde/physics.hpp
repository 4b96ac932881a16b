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
#include <memory>
#include <string>
#include <vector>

#include "udeflow/core/aligned.hpp"
#include "udeflow/core/registry.hpp"

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
  /// Option key (without prefix and dash) that sets the cell count of a 1-D grid,
  /// e.g. "burgers_n"; used to build baselines at other resolutions.
  virtual std::string GridOption() const = 0;
  /// Physical coordinate of the grid's lower corner per dimension (default 0).
  virtual std::vector<PetscReal> DomainOrigin() const { return std::vector<PetscReal>(GridSize().size(), 0.0); }
  /// Units of the state components, for output attributes (default: none).
  virtual std::vector<std::string> FieldUnits() const { return std::vector<std::string>(FieldNames().size(), ""); }
  /// One option key per dimension (x first) that sets the cell count along it; used to
  /// build the model at other resolutions.  Default: GridOption() alone.
  virtual std::vector<std::string> GridOptions() const { return {GridOption()}; }

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

  /// Prints what the learned closure says about the physics (recovered coefficients,
  /// learned terms vs the truth) and writes it to `h5path` if not empty.  Collective.
  virtual PetscErrorCode ReportLearned(const std::string& h5path) { return 0; }
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
/// Reads -<prefix>physics (default `default_type`) and creates it.  Unknown names are
/// a user error listing the choices.  Collective.
PetscErrorCode PhysicsCreateFromOptions(MPI_Comm comm, const char* prefix, const char* default_type,
                                        std::unique_ptr<Physics>* physics);

}  // namespace udeflow::pde
