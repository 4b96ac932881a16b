// What PETSc TS calls back: the right-hand side (explicit RK) or residual (implicit),
// the shell Jacobians whose products are the physics' JVP/VJP, and the step hooks that
// replay the step schedule, observe and checkpoint.
#include <algorithm>

#include "integrator_impl.hpp"

namespace udeflow::adjoint::detail {

// The stage of the current RK step that U is (-1 if none).
static PetscErrorCode StageOf(TS ts, Vec U, PetscInt* stage) {
  PetscFunctionBeginUser;
  PetscInt ns;
  Vec* Y;
  PetscCall(TSGetStages(ts, &ns, &Y));
  *stage = -1;
  for (PetscInt i = 0; i < ns; ++i)
    if (Y[i] == U) *stage = i;
  PetscFunctionReturn(0);
}

PetscErrorCode RhsFunction(TS ts, PetscReal t, Vec U, Vec F, void* ctx) {
  PetscFunctionBeginUser;
  Impl* impl = static_cast<Impl*>(ctx);
  PetscInt slot = -1;
  if (impl->caching) {
    PetscInt stage, step;
    PetscCall(StageOf(ts, U, &stage));
    PetscCall(TSGetStepNumber(ts, &step));  // the step being taken
    if (stage >= 0) slot = step * impl->stages + stage;
  }
  impl->phys->SetRhsCacheSlot(slot);
  PetscErrorCode ierr = impl->phys->Rhs(t, U, F);
  impl->phys->SetRhsCacheSlot(-1);
  PetscCall(ierr);
  PetscCall(impl->AddNudging(t, U, F));
  PetscFunctionReturn(0);
}

PetscErrorCode IFunction(TS, PetscReal t, Vec U, Vec Udot, Vec F, void* ctx) {
  PetscFunctionBeginUser;
  Impl* impl = static_cast<Impl*>(ctx);
  PetscCall(impl->phys->Rhs(t, U, F));
  PetscCall(impl->AddNudging(t, U, F));
  PetscCall(VecAYPX(F, -1.0, Udot));  // F = Udot - f
  PetscFunctionReturn(0);
}

PetscErrorCode RhsJacobian(TS ts, PetscReal t, Vec U, Mat, Mat, void* ctx) {
  PetscFunctionBeginUser;
  Impl* impl = static_cast<Impl*>(ctx);
  PetscCall(impl->Register(impl->jshell, t, U, 0.0));
  PetscCall(StageOf(ts, U, &impl->jshell.stage));
  impl->jshell.slot = -1;
  if (impl->caching && impl->jshell.stage >= 0) {
    PetscInt steps;
    PetscCall(TSGetStepNumber(ts, &steps));  // during the adjoint of step n (t_n -> t_n+1): n
    impl->jshell.slot = steps * impl->stages + impl->jshell.stage;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode IJacobian(TS, PetscReal t, Vec U, Vec, PetscReal shift, Mat, Mat B, void* ctx) {
  PetscFunctionBeginUser;
  Impl* impl = static_cast<Impl*>(ctx);
  PetscCall(impl->Register(impl->jshell, t, U, shift));
  PetscCall(impl->Ensure(impl->jshell));
  // B = shift I - df/du (nudging: df/du - gain I)
  PetscCall(impl->phys->AssembleJacobian(shift + impl->gain * impl->Nudging(), -1.0, B));
  PetscFunctionReturn(0);
}

PetscErrorCode IJacobianP(TS, PetscReal t, Vec U, Vec, PetscReal, Mat, void* ctx) {
  Impl* impl = static_cast<Impl*>(ctx);
  return impl->Register(impl->jpshell, t, U, 0.0);
}

// State Jacobian shell: df/du (RHS form) or shift I - df/du (implicit form).
PetscErrorCode JMult(Mat A, Vec x, Vec y) {
  PetscFunctionBeginUser;
  Impl::Shell* s;
  PetscCall(MatShellGetContext(A, &s));
  Impl* impl = s->impl;
  PetscCall(impl->Ensure(*s));
  PetscCall(impl->phys->JacobianMult(x, y));
  if (impl->Nudging()) PetscCall(VecAXPY(y, -impl->gain, x));
  if (impl->self->Implicit()) PetscCall(VecAXPBY(y, s->shift, -1.0, x));
  PetscFunctionReturn(0);
}

PetscErrorCode JMultTranspose(Mat A, Vec x, Vec y) {
  PetscFunctionBeginUser;
  Impl::Shell* s;
  PetscCall(MatShellGetContext(A, &s));
  Impl* impl = s->impl;
  PetscCall(impl->Ensure(*s));
  if (impl->own_mu && impl->P > 0) {
    // TSAdjointStep_RK calls J^T once per stage i with w_i and scales the result by
    // -h b_i (or -h when b_i = 0); the parameter adjoint gets the same factor.
    PetscCheck(s->stage >= 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "RK adjoint: unknown stage");
    std::fill(impl->gbuf.begin(), impl->gbuf.end(), 0.0);
    PetscCall(impl->phys->JacobianMultTranspose(x, y, impl->gbuf.data()));
    PetscReal h;
    PetscCall(TSGetTimeStep(impl->self->Ts(), &h));
    const double bi = impl->rk_b[s->stage];
    const double coef = -h * (bi != 0.0 ? bi : 1.0);
    for (PetscInt i = 0; i < impl->P; ++i) impl->gacc[i] += coef * impl->gbuf[i];
  } else {
    PetscCall(impl->phys->JacobianMultTranspose(x, y, nullptr));
  }
  if (impl->Nudging()) PetscCall(VecAXPY(y, -impl->gain, x));
  if (impl->self->Implicit()) PetscCall(VecAXPBY(y, s->shift, -1.0, x));
  PetscFunctionReturn(0);
}

// Parameter Jacobian shell: columns are this rank's partial sums of theta (local size
// P on every rank).  MatMultTranspose(w) = (df/dtheta)^T w (or -(df/dtheta)^T w in
// implicit form, where the Jacobian is dF/dtheta of F = Udot - f).
PetscErrorCode JpMultTranspose(Mat A, Vec x, Vec y) {
  PetscFunctionBeginUser;
  Impl::Shell* s;
  PetscCall(MatShellGetContext(A, &s));
  Impl* impl = s->impl;
  PetscCall(impl->Ensure(*s));
  std::fill(impl->gbuf.begin(), impl->gbuf.end(), 0.0);
  PetscCall(impl->phys->ParamJacobianMultTranspose(x, impl->gbuf.data()));
  const double* g = impl->gbuf.data();
  PetscScalar* ya;
  PetscCall(VecGetArray(y, &ya));
  const double sign = impl->self->Implicit() ? -1.0 : 1.0;
  for (PetscInt i = 0; i < impl->P; ++i) ya[i] = sign * g[i];
  PetscCall(VecRestoreArray(y, &ya));
  PetscFunctionReturn(0);
}

// Online mode, forward sweep: the state about to be advanced (step j) is kept or not, and
// the placement may free an earlier one (Impl::OnlinePlace).
static PetscErrorCode OnlinePlace(TS ts, Impl* impl) {
  PetscFunctionBeginUser;
  PetscInt k;
  PetscCall(TSGetStepNumber(ts, &k));
  const PetscInt j =
      impl->record_times ? static_cast<PetscInt>(impl->recorded.size()) - 1 : impl->offset + k;
  Vec u;
  PetscCall(TSGetSolution(ts, &u));
  PetscCall(impl->OnlinePlace(j, u));
  PetscFunctionReturn(0);
}

PetscErrorCode PreStep(TS ts) {
  PetscFunctionBeginUser;
  Impl* impl;
  PetscCall(TSGetApplicationContext(ts, &impl));
  if (impl->online_active) PetscCall(OnlinePlace(ts, impl));
  if (!impl->follow_schedule) PetscFunctionReturn(0);
  PetscInt k;
  PetscReal t;
  PetscCall(TSGetStepNumber(ts, &k));
  PetscCall(TSGetTime(ts, &t));
  const PetscInt j = impl->offset + k;
  PetscCheck(j + 1 < (PetscInt)impl->steps_t.size(), PETSC_COMM_SELF, PETSC_ERR_PLIB,
             "step beyond the schedule");
  PetscCall(TSSetTimeStep(ts, impl->steps_t[j + 1] - t));
  PetscFunctionReturn(0);
}

PetscErrorCode PostStep(TS ts) {
  PetscFunctionBeginUser;
  Impl* impl;
  PetscCall(TSGetApplicationContext(ts, &impl));
  PetscInt k;
  PetscReal t;
  PetscCall(TSGetStepNumber(ts, &k));
  PetscCall(TSGetTime(ts, &t));
  const PetscInt j = impl->offset + k;
  if (impl->record_times) impl->recorded.push_back(t);
  Vec u;
  PetscCall(TSGetSolution(ts, &u));
  if (impl->observe && impl->follow_schedule) {
    auto it = impl->obs_of_step.find(j);
    if (it != impl->obs_of_step.end()) PetscCall(impl->ObserveAt(it->second, impl->steps_t[j], u));
  }
  if (impl->store_ckpts && impl->ckpt_steps.count(j)) PetscCall(impl->StoreCheckpoint(j, u));
  if (impl->observe && impl->step_hook) PetscCall(impl->step_hook(j, t, u));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::adjoint::detail
