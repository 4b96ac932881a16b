#pragma once
/// \file ode.hpp
/// Small ODE systems du/dt = g(t, u) + U(u; theta) as a Physics: a known part g and a
/// learned closure U (any Closure, n inputs -> n outputs, e.g. the MLP of the UDE paper).
///
/// Where the state lives: an ODE state has a handful of entries, far fewer than ranks
/// one may want to run with, and a DMDA needs at least one point per rank.  The state is
/// therefore a DMREDUNDANT global vector owned by rank 0 of the physics' communicator
/// (all n entries there, none elsewhere).  Everything that works on global Vecs (the
/// Integrator, TS/TSAdjoint, observers, datasets, TAO) then runs unchanged on any number
/// of ranks: rank 0 does the arithmetic, the others take part in the collective calls
/// with empty arrays, and results are identical at any rank count.  Real parallelism for
/// ODE cases comes from ensembles: -train_groups 0 gives every rank its own group (its
/// own copy of the physics on a one-rank communicator) and shares out the windows and
/// trajectories of each batch (see train/trainer.hpp).
///
/// The grid is reported as one "cell" carrying FieldNames().size() fields, so datasets
/// store [nt, n] arrays.  Implicit methods get the assembled n x n Jacobian.
///
/// Options (prefix + "ode_"): dt_factor.  Closure options with prefix + "closure_".
#include <memory>

#include "udeflow/pde/closure.hpp"
#include "udeflow/pde/ode_system.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

class OdePhysics : public Physics, public OdeSystem {
 public:
  ~OdePhysics() override;
  DM Grid() const override { return dm_; }
  std::vector<PetscInt> GridSize() const override { return {1}; }
  std::vector<PetscReal> DomainLength() const override { return {1.0}; }
  std::vector<std::string> ResolutionOptions() const override { return {}; }
  PetscErrorCode SetResolution(const std::vector<PetscInt>& cells) override;
  const ClosureConfig& GetClosureConfig() const override { return closure_config_; }
  void SetClosureConfig(const ClosureConfig& config) override { closure_config_ = config; }
  const OdeSystem* AsOdeSystem() const override { return this; }

  PetscInt NumParams() const override { return closure_ ? closure_->NumParams() : 0; }
  PetscErrorCode BindParams(const double* theta) override;
  const double* Params() const override { return closure_ ? closure_->Params() : nullptr; }
  PetscErrorCode InitializeParams(double* theta) const override;
  double ClosureFlopsPerRhs() const override;

  PetscErrorCode Rhs(PetscReal t, Vec u, Vec f) override;
  PetscErrorCode Linearize(PetscReal t, Vec u, bool repeated) override;
  PetscErrorCode JacobianMult(Vec v, Vec Jv) override;
  PetscErrorCode JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) override;
  PetscErrorCode ParamJacobianMultTranspose(Vec w, double* gtheta) override;
  PetscErrorCode ParamJacobianMult(const double* thetadot, Vec out) override;
  PetscErrorCode CreateJacobian(Mat* J) override;
  PetscErrorCode AssembleJacobian(PetscReal a, PetscReal b, Mat J) override;
  /// dt_factor / (rate), rate = |f(u)| / |u| (an ODE has no CFL limit).
  PetscErrorCode StableTimeStep(Vec u, PetscReal* dt) override;

  /// Number of state entries n.
  int StateSize() const override = 0;
  /// The known part g(t, u) (n entries).  Pure.
  void KnownRhs(double t, const double* u, double* g) const override = 0;
  /// dg/du, row-major n x n.  Pure.
  virtual void KnownJacobian(double t, const double* u, double* J) const = 0;

  /// The learned term U at the columns of X (n x m): U is n x m.  Pure, any rank.
  void ClosureOnStates(const nn::ConstMatrixRef& X, nn::Matrix* U) const override;
  bool HasClosure() const override { return NumParams() > 0; }
  /// As above with a caller-owned tape (no allocation once the tape is sized).
  void ClosureOnStates(const nn::ConstMatrixRef& X, Closure::Tape& tape, nn::Matrix* U) const;
  const Closure* GetClosure() const { return closure_.get(); }
  /// True on the rank that holds the state.
  bool Owner() const { return owner_; }

 protected:
  /// Reads -<prefix>ode_dt_factor and the closure options (default closure type "none").
  PetscErrorCode OdeSetFromOptions(MPI_Comm comm, const char* prefix);
  /// Creates the redundant DM and the closure.  Collective.
  PetscErrorCode OdeSetUp();

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string prefix_;

 private:
  PetscErrorCode LinearizedJacobian(double* J);

  ClosureConfig closure_config_{"none"};
  std::unique_ptr<Closure> closure_;
  DM dm_ = nullptr;
  bool owner_ = false;
  PetscReal dt_factor_ = 0.05;
  // Linearization point and closure tape (owner only).
  PetscReal lin_t_ = 0;
  std::vector<double> lin_u_, jac_, work_;
  mutable Closure::Tape tape_, lin_tape_;
  nn::Matrix x_, ybar_, xbar_, xdot_, ydot_;
};

}  // namespace udeflow::pde
