#include "ode.hpp"

#include <petscdmredundant.h>

#include <cmath>

#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::pde {

namespace {
// Non-owner ranks hold no entries of the state, but every vector an operation writes
// must change its PETSc object state on every rank: VecNorm and friends cache their
// result per state, and a cached norm on one rank and an MPI_Allreduce on another is a
// deadlock (or a wrong answer).
PetscErrorCode TouchWritten(Vec v) {
  PetscFunctionBeginUser;
  PetscScalar* a;
  PetscCall(VecGetArray(v, &a));
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}
}  // namespace

OdePhysics::~OdePhysics() {
  DMDestroy(&dm_);
}

PetscErrorCode OdePhysics::OdeSetFromOptions(MPI_Comm comm, const char* prefix) {
  PetscFunctionBeginUser;
  comm_ = comm;
  prefix_ = prefix ? prefix : "";
  const std::string p = prefix_ + "ode_";
  PetscOptionsBegin(comm, p.c_str(), "ODE physics", "physics");
  PetscCall(UdeOptionsPositiveReal(
      "-dt_factor", "Default time step = factor |u|/|f(u)| (when -ts_dt is not given)", &dt_factor_,
      nullptr));
  PetscOptionsEnd();
  PetscCall(ClosureConfigFromOptions(comm, prefix_.c_str(), &closure_config_));
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::SetResolution(const std::vector<PetscInt>& cells) {
  PetscFunctionBeginUser;
  PetscCheck(cells.size() == 1 && cells[0] == 1, comm_, PETSC_ERR_USER_INPUT,
             "an ODE (%s) has no grid to refine", Type());
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::OdeSetUp() {
  PetscFunctionBeginUser;
  const int n = StateSize();
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  owner_ = rank == 0;
  PetscCall(DMRedundantCreate(comm_, 0, n, &dm_));
  PetscCall(DMSetUp(dm_));
  PetscCall(ClosureCreate(comm_, prefix_.c_str(), closure_config_, n, n, &closure_));
  lin_u_.assign(n, 0.0);
  jac_.assign(n * n, 0.0);
  work_.assign(n, 0.0);
  x_.setZero(n, 1);
  ybar_.setZero(n, 1);
  xdot_.setZero(n, 1);
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::BindParams(const double* theta) {
  PetscFunctionBeginUser;
  if (closure_) closure_->Bind(theta);
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::InitializeParams(double* theta) const {
  PetscFunctionBeginUser;
  if (closure_) PetscCallCXX(closure_->Initialize(theta));
  PetscFunctionReturn(0);
}

double OdePhysics::ClosureFlopsPerRhs() const {
  return closure_ && closure_->NumParams() && owner_ ? closure_->FlopsPerPoint() : 0.0;
}

void OdePhysics::ClosureOnStates(const nn::ConstMatrixRef& X, nn::Matrix* U) const {
  Closure::Tape tape;
  ClosureOnStates(X, tape, U);
}

void OdePhysics::ClosureOnStates(const nn::ConstMatrixRef& X, Closure::Tape& tape,
                                 nn::Matrix* U) const {
  closure_->Forward(X, tape);
  *U = tape.Output();
}

PetscErrorCode OdePhysics::Rhs(PetscReal t, Vec u, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs, 0, 0, 0, 0));
  if (owner_) {
    const int n = StateSize();
    const PetscScalar* ua;
    PetscScalar* fa;
    PetscCall(VecGetArrayRead(u, &ua));
    PetscCall(VecGetArray(f, &fa));
    KnownRhs(t, ua, fa);
    if (closure_->NumParams() > 0) {
      for (int i = 0; i < n; ++i) x_(i, 0) = ua[i];
      PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
      PetscCallCXX(closure_->Forward(x_, tape_));
      PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
      for (int i = 0; i < n; ++i) fa[i] += tape_.Output()(i, 0);
    }
    PetscCall(VecRestoreArrayRead(u, &ua));
    PetscCall(VecRestoreArray(f, &fa));
  } else {
    PetscCall(TouchWritten(f));
  }
  PetscCall(PetscLogEventEnd(LogEvents::rhs, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::Linearize(PetscReal t, Vec u, bool) {
  PetscFunctionBeginUser;
  lin_t_ = t;
  if (owner_) {
    const int n = StateSize();
    const PetscScalar* ua;
    PetscCall(VecGetArrayRead(u, &ua));
    for (int i = 0; i < n; ++i) lin_u_[i] = ua[i];
    PetscCall(VecRestoreArrayRead(u, &ua));
    for (int i = 0; i < n; ++i) x_(i, 0) = lin_u_[i];
    PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
    PetscCallCXX(closure_->Forward(x_, lin_tape_));
    PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::JacobianMult(Vec v, Vec Jv) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_jvp, 0, 0, 0, 0));
  if (owner_) {
    const int n = StateSize();
    const PetscScalar* va;
    PetscScalar* ja;
    PetscCall(VecGetArrayRead(v, &va));
    PetscCall(VecGetArray(Jv, &ja));
    KnownJacobian(lin_t_, lin_u_.data(), jac_.data());
    for (int i = 0; i < n; ++i) {
      double s = 0;
      for (int j = 0; j < n; ++j) s += jac_[i * n + j] * va[j];
      work_[i] = s;
      xdot_(i, 0) = va[i];
    }
    if (closure_->NumParams() > 0) {
      PetscCallCXX(closure_->Jvp(lin_tape_, xdot_, &ydot_));
      for (int i = 0; i < n; ++i) work_[i] += ydot_(i, 0);
    }
    for (int i = 0; i < n; ++i) ja[i] = work_[i];
    PetscCall(VecRestoreArrayRead(v, &va));
    PetscCall(VecRestoreArray(Jv, &ja));
  } else {
    PetscCall(TouchWritten(Jv));
  }
  PetscCall(PetscLogEventEnd(LogEvents::rhs_jvp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  if (owner_) {
    const int n = StateSize();
    const PetscScalar* wa;
    PetscScalar* ja;
    PetscCall(VecGetArrayRead(w, &wa));
    PetscCall(VecGetArray(JTw, &ja));
    KnownJacobian(lin_t_, lin_u_.data(), jac_.data());
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int i = 0; i < n; ++i) s += jac_[i * n + j] * wa[i];
      work_[j] = s;
      ybar_(j, 0) = wa[j];
    }
    if (closure_->NumParams() > 0) {
      PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
      PetscCallCXX(closure_->Vjp(lin_tape_, ybar_, &xbar_, gtheta));
      PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
      for (int j = 0; j < n; ++j) work_[j] += xbar_(j, 0);
    }
    for (int j = 0; j < n; ++j) ja[j] = work_[j];
    PetscCall(VecRestoreArrayRead(w, &wa));
    PetscCall(VecRestoreArray(JTw, &ja));
  } else {
    PetscCall(TouchWritten(JTw));
  }
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::ParamJacobianMultTranspose(Vec w, double* gtheta) {
  PetscFunctionBeginUser;
  if (owner_ && closure_->NumParams() > 0) {
    const int n = StateSize();
    const PetscScalar* wa;
    PetscCall(VecGetArrayRead(w, &wa));
    for (int j = 0; j < n; ++j) ybar_(j, 0) = wa[j];
    PetscCall(VecRestoreArrayRead(w, &wa));
    PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
    PetscCallCXX(closure_->Vjp(lin_tape_, ybar_, nullptr, gtheta));
    PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::ParamJacobianMult(const double* thetadot, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(out));
  if (owner_ && closure_->NumParams() > 0) {
    const int n = StateSize();
    PetscCallCXX(closure_->ParamJvp(lin_tape_, thetadot, &ydot_));
    PetscScalar* oa;
    PetscCall(VecGetArray(out, &oa));
    for (int i = 0; i < n; ++i) oa[i] = ydot_(i, 0);
    PetscCall(VecRestoreArray(out, &oa));
  } else {
    PetscCall(TouchWritten(out));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::CreateJacobian(Mat* J) {
  PetscFunctionBeginUser;
  PetscCall(DMCreateMatrix(dm_, J));
  PetscFunctionReturn(0);
}

// jac_ = dg/du + dU/du at the linearization point (owner only), column by column.
PetscErrorCode OdePhysics::LinearizedJacobian(double* J) {
  PetscFunctionBeginUser;
  const int n = StateSize();
  KnownJacobian(lin_t_, lin_u_.data(), J);
  if (closure_->NumParams() > 0) {
    for (int j = 0; j < n; ++j) {
      xdot_.setZero();
      xdot_(j, 0) = 1.0;
      PetscCallCXX(closure_->Jvp(lin_tape_, xdot_, &ydot_));
      for (int i = 0; i < n; ++i) J[i * n + j] += ydot_(i, 0);
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::AssembleJacobian(PetscReal a, PetscReal b, Mat J) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  if (owner_) {
    const int n = StateSize();
    std::vector<double> D(n * n);
    PetscCall(LinearizedJacobian(D.data()));
    std::vector<PetscInt> idx(n);
    for (int i = 0; i < n; ++i) idx[i] = i;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) D[i * n + j] *= b;
      D[i * n + i] += a;
    }
    PetscCall(MatSetValues(J, n, idx.data(), n, idx.data(), D.data(), INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OdePhysics::StableTimeStep(Vec u, PetscReal* dt) {
  PetscFunctionBeginUser;
  Vec f;
  PetscCall(VecDuplicate(u, &f));
  PetscCall(Rhs(0, u, f));
  PetscReal nu, nf;
  PetscCall(VecNorm(u, NORM_2, &nu));
  PetscCall(VecNorm(f, NORM_2, &nf));
  PetscCall(VecDestroy(&f));
  *dt = dt_factor_ * std::max<PetscReal>(nu, 1e-8) / std::max<PetscReal>(nf, 1e-8);
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
