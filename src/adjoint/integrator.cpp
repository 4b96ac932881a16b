#include "udeflow/adjoint/integrator.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "integrator_impl.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::adjoint {

using namespace detail;

const char* MemoryModeName(MemoryMode m) {
  switch (m) {
    case MemoryMode::kStore:
      return "store";
    case MemoryMode::kCheckpoint:
      return "checkpoint";
    case MemoryMode::kDisk:
      return "disk";
    case MemoryMode::kBinomial:
      return "binomial";
    case MemoryMode::kOnline:
      return "online";
  }
  return "?";
}

// ------------------------------------------------------------------ set-up

void Integrator::SetStepHook(StepHook hook) {
  impl_->step_hook = std::move(hook);
}

void Integrator::SetNudging(PetscReal gain, const std::vector<PetscReal>* times,
                            const std::vector<Vec>* data) {
  impl_->gain = data ? gain : 0;
  impl_->nudge_t = times;
  impl_->nudge_data = data;
}

PetscErrorCode Integrator::Impl::AddNudging(PetscReal t, Vec U, Vec F) {
  PetscFunctionBeginUser;
  if (!Nudging()) PetscFunctionReturn(0);
  const std::vector<PetscReal>& ts = *nudge_t;
  const std::vector<Vec>& ys = *nudge_data;
  if (!nudge_y) PetscCall(VecDuplicate(U, &nudge_y));
  // y(t): linear between the bracketing data times, the end values outside them.
  const size_t n = ys.size();
  const size_t hi = std::upper_bound(ts.begin(), ts.begin() + n, t) - ts.begin();
  if (hi == 0 || hi == n) {
    PetscCall(VecCopy(ys[hi == 0 ? 0 : n - 1], nudge_y));
  } else {
    const PetscReal w = (t - ts[hi - 1]) / (ts[hi] - ts[hi - 1]);
    PetscCall(VecAXPBYPCZ(nudge_y, 1.0 - w, w, 0.0, ys[hi - 1], ys[hi]));
  }
  PetscCall(VecAXPY(nudge_y, -1.0, U));
  PetscCall(VecAXPY(F, gain, nudge_y));
  PetscFunctionReturn(0);
}

Integrator::Integrator(pde::Physics* physics) : physics_(physics), impl_(std::make_unique<Impl>()) {
  impl_->self = this;
  impl_->phys = physics;
}

Integrator::~Integrator() {
  impl_.reset();
  TSDestroy(&ts_);
}

PetscErrorCode Integrator::SetFromOptions(const char* prefix) {
  PetscFunctionBeginUser;
  prefix_ = prefix ? prefix : "";
  MPI_Comm comm = PetscObjectComm((PetscObject)physics_->Grid());
  PetscCheck(physics_->Grid(), PETSC_COMM_SELF, PETSC_ERR_ORDER,
             "set up the physics before the integrator");
  impl_->comm = comm;
  PetscCall(TSInitializePackage());
  // Validate -ts_type here so that a typo is reported as one clear line.
  char type[256] = "";
  PetscBool set = PETSC_FALSE;
  PetscCall(PetscOptionsGetString(nullptr, prefix_.c_str(), "-ts_type", type, sizeof(type), &set));
  if (set) {
    PetscErrorCode (*create)(TS) = nullptr;
    PetscCall(PetscFunctionListFind(TSList, type, &create));
    PetscCheck(create, comm, PETSC_ERR_USER_INPUT,
               "option -%sts_type: unknown TS type '%s' (with adjoints: rk, theta, cn, beuler)",
               prefix_.c_str(), type);
  }
  PetscCall(TSCreate(comm, &ts_));
  PetscCall(TSSetOptionsPrefix(ts_, prefix_.c_str()));
  PetscCall(TSSetDM(ts_, physics_->Grid()));
  PetscCall(TSSetType(ts_, TSRK));
  PetscCall(TSRKSetType(ts_, TSRK4));
  PetscCall(TSSetTimeStep(ts_, default_dt_));
  PetscCall(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP));
  TSAdapt adapt;
  PetscCall(TSGetAdapt(ts_, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTNONE));
  // Tight nonlinear/linear tolerances: the discrete adjoint is exact for the solved system.
  SNES snes;
  KSP ksp;
  PetscCall(TSGetSNES(ts_, &snes));
  PetscCall(SNESSetTolerances(snes, 1e-12, 1e-10, 1e-14, 50, -1));
  PetscCall(SNESGetKSP(snes, &ksp));
  PetscCall(KSPSetTolerances(ksp, 1e-12, 1e-14, PETSC_DEFAULT, 500));
  PetscCall(TSSetFromOptions(ts_));
  PetscCall(TSGetTimeStep(ts_, &dt_));
  PetscCheck(std::isfinite(dt_) && dt_ >= 0, comm, PETSC_ERR_USER_INPUT,
             "option -%sts_dt must be positive, got %g", prefix_.c_str(), (double)dt_);
  PetscCall(ReadAdjointOptions(comm));
  PetscFunctionReturn(0);
}

// The -<prefix>adjoint_* options: memory mode, checkpoints, activation cache, divergence.
PetscErrorCode Integrator::ReadAdjointOptions(MPI_Comm comm) {
  PetscFunctionBeginUser;
  std::string mode = MemoryModeName(mode_);
  PetscInt every = checkpoint_every_, slots = checkpoint_slots_, disk_every = disk_every_;
  const std::string p = prefix_ + "adjoint_";
  PetscOptionsBegin(comm, p.c_str(), "Adjoint (gradient) options", "adjoint");
  PetscCall(UdeOptionsChoice("-memory",
                             "Trajectory memory: store every step, checkpoint (RAM), disk (HDF5), "
                             "binomial (optimal offline schedule for -adjoint_checkpoint_slots "
                             "states; adaptive steps are recorded in an extra forward pass) or "
                             "online (the slots placed during the one forward sweep, no extra "
                             "pass; a few more recomputations than binomial)",
                             {"store", "checkpoint", "disk", "binomial", "online"}, &mode,
                             nullptr));
  PetscCall(UdeOptionsPositiveInt(
      "-checkpoint_slots",
      "Binomial and online memory: states held at once (the initial one included)", &slots,
      nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-checkpoint_disk_every",
      "Binomial and online memory, second level: the state every K steps to an HDF5 file in "
      "-adjoint_checkpoint_dir, each interval then reversed with the slots (0: RAM only)",
      &disk_every, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-checkpoint_every",
                                     "Also checkpoint every K steps (0: only at observations)",
                                     &every, nullptr));
  PetscCall(UdeOptionsString("-checkpoint_dir", "Directory for disk checkpoints", &checkpoint_dir_,
                             nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-cache_mb",
      "Explicit RK: keep closure activations of up to this many MB per rank for the "
      "adjoint instead of recomputing them (0: off)",
      &cache_mb_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-diverge_limit",
                                   "Stop when max|u| exceeds this at an observation",
                                   &diverge_limit_, nullptr));
  PetscOptionsEnd();
  mode_ = mode == "store"        ? MemoryMode::kStore
          : mode == "checkpoint" ? MemoryMode::kCheckpoint
          : mode == "binomial"   ? MemoryMode::kBinomial
          : mode == "online"     ? MemoryMode::kOnline
                                 : MemoryMode::kDisk;
  PetscCheck(disk_every == 0 || mode_ == MemoryMode::kBinomial || mode_ == MemoryMode::kOnline,
             comm, PETSC_ERR_USER_INPUT,
             "option -%scheckpoint_disk_every: the disk level is for -%smemory binomial or online "
             "(got %s)",
             p.c_str(), p.c_str(), mode.c_str());
  PetscCheck(every == 0 || (mode_ != MemoryMode::kBinomial && mode_ != MemoryMode::kOnline), comm,
             PETSC_ERR_USER_INPUT,
             "option -%scheckpoint_every: -%smemory %s places its own checkpoints (set "
             "-%scheckpoint_slots); fixed intervals are for -%smemory checkpoint or disk",
             p.c_str(), p.c_str(), mode.c_str(), p.c_str(), p.c_str());
  checkpoint_every_ = every;
  checkpoint_slots_ = slots;
  disk_every_ = disk_every;
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::SetTimeStep(PetscReal dt) {
  PetscFunctionBeginUser;
  PetscCheck(ts_, PETSC_COMM_SELF, PETSC_ERR_ORDER,
             "Integrator::SetTimeStep() after SetFromOptions()");
  PetscCheck(std::isfinite(dt) && dt >= 0, impl_->comm, PETSC_ERR_USER_INPUT,
             "option -%sts_dt must be positive, got %g", prefix_.c_str(), (double)dt);
  dt_ = dt;
  PetscCall(TSSetTimeStep(ts_, dt));
  PetscFunctionReturn(0);
}

// VECOP_DUPLICATE of the state vector: a copy that shares the state's layout.  PETSc's
// duplicate of a DMDA vector builds a new layout through DMCreateGlobalVector, with an
// MPI_Allreduce each time, and the memory trajectory of store mode duplicates the state
// and every stage at every step: ~5-7 global reductions a step in the forward pass.
// Copies made here (and theirs: standard vectors duplicate by referencing the layout)
// need none; they keep the DM, and have the standard (not the DMDA natural-order) viewer,
// which no trajectory or stage vector uses.
static PetscErrorCode DuplicateSharingLayout(Vec v, Vec* w) {
  PetscFunctionBeginUser;
  PetscLayout map;
  VecType type;
  DM dm;
  PetscCall(VecGetLayout(v, &map));
  PetscCall(VecGetType(v, &type));
  PetscCall(VecCreate(PetscObjectComm((PetscObject)v), w));
  PetscCall(VecSetLayout(*w, map));
  PetscCall(VecSetType(*w, type));
  PetscCall(VecGetDM(v, &dm));
  if (dm) PetscCall(VecSetDM(*w, dm));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::SetUp() {
  PetscFunctionBeginUser;
  if (setup_) PetscFunctionReturn(0);
  Impl& m = *impl_;
  TSType type;
  PetscCall(TSGetType(ts_, &type));
  PetscBool is_rk, is_euler, is_ssp;
  PetscCall(PetscStrcmp(type, TSRK, &is_rk));
  PetscCall(PetscStrcmp(type, TSEULER, &is_euler));
  PetscCall(PetscStrcmp(type, TSSSP, &is_ssp));
  implicit_ = !(is_rk || is_euler || is_ssp);
  TSAdapt adapt;
  TSAdaptType atype;
  PetscCall(TSGetAdapt(ts_, &adapt));
  PetscCall(TSAdaptGetType(adapt, &atype));
  PetscBool none;
  PetscCall(PetscStrcmp(atype, TSADAPTNONE, &none));
  adaptive_ = !none;

  m.P = physics_->NumParams();
  m.gbuf.assign(m.P, 0.0);
  m.gacc.assign(m.P, 0.0);
  m.own_mu = is_rk && m.P > 0;
  if (m.own_mu) {
    PetscInt ns;
    const PetscReal* bw;
    PetscCall(TSRKGetTableau(ts_, &ns, nullptr, &bw, nullptr, nullptr, nullptr, nullptr, nullptr));
    m.rk_b.assign(bw, bw + ns);
    m.stages = ns;
  }
  PetscCall(DMCreateGlobalVector(physics_->Grid(), &m.usol));
  PetscCall(VecSetOperation(m.usol, VECOP_DUPLICATE, (void (*)(void))DuplicateSharingLayout));
  PetscCall(VecDuplicate(m.usol, &m.lambda));
  PetscCall(VecDuplicate(m.usol, &m.jshell.ulin));
  PetscCall(VecDuplicate(m.usol, &m.jpshell.ulin));
  m.jshell.impl = m.jpshell.impl = &m;
  PetscInt nloc, N;
  PetscCall(VecGetLocalSize(m.usol, &nloc));
  PetscCall(VecGetSize(m.usol, &N));
  PetscCall(MatCreateShell(m.comm, nloc, nloc, N, N, &m.jshell, &m.J));
  PetscCall(MatShellSetOperation(m.J, MATOP_MULT, (void (*)(void))JMult));
  PetscCall(MatShellSetOperation(m.J, MATOP_MULT_TRANSPOSE, (void (*)(void))JMultTranspose));
  if (m.P > 0 && implicit_) {
    PetscCall(VecCreateMPI(m.comm, m.P, PETSC_DETERMINE, &m.mu));
    PetscCall(MatCreateShell(m.comm, nloc, m.P, N, PETSC_DETERMINE, &m.jpshell, &m.Jp));
    PetscCall(MatShellSetOperation(m.Jp, MATOP_MULT_TRANSPOSE, (void (*)(void))JpMultTranspose));
  }
  PetscCall(TSSetApplicationContext(ts_, &m));
  if (implicit_) {
    PetscCall(physics_->CreateJacobian(&m.Pasm));
    PetscCall(TSSetIFunction(ts_, nullptr, IFunction, &m));
    PetscCall(TSSetIJacobian(ts_, m.J, m.Pasm, IJacobian, &m));
    if (m.P > 0) PetscCall(TSSetIJacobianP(ts_, m.Jp, IJacobianP, &m));
  } else {
    PetscCall(TSSetRHSFunction(ts_, nullptr, RhsFunction, &m));
    PetscCall(TSSetRHSJacobian(ts_, m.J, m.J, RhsJacobian, &m));
  }
  PetscCall(TSSetPreStep(ts_, PreStep));
  PetscCall(TSSetPostStep(ts_, PostStep));
  // TS keeps these array pointers: they must live as long as the TS.
  PetscCall(TSSetCostGradients(ts_, 1, &m.lambda, m.mu ? &m.mu : nullptr));
  setup_ = true;
  PetscFunctionReturn(0);
}

std::string Integrator::Describe() const {
  TSType type = "?";
  if (ts_) TSGetType(ts_, &type);
  std::ostringstream s;
  s << "TS " << type;
  PetscBool is_rk = PETSC_FALSE;
  PetscStrcmp(type, TSRK, &is_rk);
  if (is_rk) {
    TSRKType rk;
    TSRKGetType(ts_, &rk);
    s << " (" << rk << ")";
  }
  if (adaptive_)
    s << ", adaptive steps (replayed for the adjoint)";
  else if (dt_ > 0)
    s << ", dt <= " << dt_;
  s << ", adjoint memory " << MemoryModeName(mode_);
  const std::string disk =
      disk_every_ ? ", every " + std::to_string(disk_every_) + " steps on disk" : "";
  if (mode_ == MemoryMode::kOnline)
    s << " (" << checkpoint_slots_ << " slots, placed during the forward sweep" << disk << ")";
  else if (mode_ == MemoryMode::kBinomial)
    s << " (" << checkpoint_slots_ << " slots" << disk << ")";
  else if (mode_ != MemoryMode::kStore)
    s << " (checkpoints at observations"
      << (checkpoint_every_ ? " and every " + std::to_string(checkpoint_every_) + " steps" : "")
      << ")";
  return s.str();
}

// ------------------------------------------------------------------ passes

namespace {

PetscErrorCode CheckTimes(MPI_Comm comm, PetscReal t0, const std::vector<PetscReal>& times) {
  PetscFunctionBeginUser;
  PetscCheck(!times.empty(), comm, PETSC_ERR_USER_INPUT, "no observation times");
  PetscReal prev = t0;
  for (size_t k = 0; k < times.size(); ++k) {
    const bool ok = std::isfinite(times[k]) && (times[k] > prev || (k == 0 && times[k] == t0));
    PetscCheck(ok, comm, PETSC_ERR_USER_INPUT,
               "observation times must increase from t0 = %g (time %zu is %g)", (double)t0, k,
               (double)times[k]);
    prev = times[k];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode CheckReason(TS ts, MPI_Comm comm) {
  PetscFunctionBeginUser;
  TSConvergedReason reason;
  PetscCall(TSGetConvergedReason(ts, &reason));
  if (reason < 0) {
    PetscReal t;
    PetscCall(TSGetTime(ts, &t));
    SETERRQ(comm, PETSC_ERR_NOT_CONVERGED,
            "forward solve failed at t = %g: %s; reduce the time step (-ts_dt)", (double)t,
            TSConvergedReasons[reason]);
  }
  PetscFunctionReturn(0);
}

}  // namespace

// An explicit method with a fixed step well above the physics' stable step estimate
// (stiff problems such as convective adjustment): warn once per integrator with the
// estimate, and let the run go on (the estimate is a heuristic; a run that does blow up
// stops at -adjoint_diverge_limit with a message).  Only a step the schedule takes
// counts: the observation spacing may keep every step below -ts_dt.
static PetscErrorCode WarnUnstableExplicitStep(pde::Physics* phys, Vec u0, PetscReal dt,
                                               const Integrator::Impl& m, const std::string& prefix,
                                               TS ts, bool* warned) {
  PetscFunctionBeginUser;
  if (*warned || dt <= 0) PetscFunctionReturn(0);
  PetscReal stable, taken = 0;
  PetscCall(phys->StableTimeStep(u0, &stable));
  for (size_t i = 1; i < m.steps_t.size(); ++i)
    taken = std::max(taken, m.steps_t[i] - m.steps_t[i - 1]);
  // RK4's stability interval on the negative real axis is ~2.8 times forward Euler's.
  if (taken > 2.8 * stable) {
    TSType type;
    PetscCall(TSGetType(ts, &type));
    char line[512];
    std::snprintf(line, sizeof(line),
                  "udeflow: warning: option -%sts_dt %g is above the explicit stability limit "
                  "~%.3g of this stiff "
                  "problem (-%sts_type %s will blow up or, where a switch limits it, give wrong "
                  "answers); use "
                  "-%sts_type beuler, cn or theta, or -%sts_dt <= %.3g\n",
                  prefix.c_str(), (double)dt, (double)stable, prefix.c_str(), type, prefix.c_str(),
                  prefix.c_str(), (double)stable);
    PetscCall(PetscFPrintf(PetscObjectComm((PetscObject)ts), PETSC_STDERR, "%s", line));
    *warned = true;
  }
  PetscFunctionReturn(0);
}

// Fixed-step schedule through the observation times, steps of at most dt.
static void BuildSchedule(PetscReal t0, const std::vector<PetscReal>& times, PetscReal dt,
                          Integrator::Impl& m) {
  m.steps_t.assign(1, t0);
  m.obs_step.assign(times.size(), 0);
  PetscReal prev = t0;
  for (size_t k = 0; k < times.size(); ++k) {
    if (times[k] == prev) {
      m.obs_step[k] = static_cast<PetscInt>(m.steps_t.size()) - 1;
      continue;
    }
    const PetscReal span = times[k] - prev;
    const PetscInt n = std::max<PetscInt>(1, static_cast<PetscInt>(std::ceil(span / dt - 1e-9)));
    for (PetscInt i = 1; i < n; ++i) m.steps_t.push_back(prev + span * i / n);
    m.steps_t.push_back(times[k]);
    m.obs_step[k] = static_cast<PetscInt>(m.steps_t.size()) - 1;
    prev = times[k];
  }
}

// Does the recorded schedule start at t0 and hit exactly these observation times?
static bool SameSchedule(const Integrator::Impl& m, PetscReal t0,
                         const std::vector<PetscReal>& times) {
  if (m.steps_t.empty() || m.steps_t.front() != t0 || m.obs_step.size() != times.size())
    return false;
  for (size_t k = 0; k < times.size(); ++k)
    if (m.obs_step[k] >= (PetscInt)m.steps_t.size() || m.steps_t[m.obs_step[k]] != times[k])
      return false;
  return true;
}

// Runs TS over the schedule steps [a, b) from the state in m.usol (at steps_t[a]).
PetscErrorCode detail::RunSteps(TS ts, Integrator::Impl& m, PetscInt a, PetscInt b) {
  PetscFunctionBeginUser;
  m.offset = a;
  m.follow_schedule = true;
  PetscCall(TSSetStepNumber(ts, 0));
  PetscCall(TSSetTime(ts, m.steps_t[a]));
  PetscCall(TSSetTimeStep(ts, m.steps_t[a + 1] - m.steps_t[a]));
  PetscCall(TSSetMaxSteps(ts, b - a));
  PetscCall(TSSetMaxTime(ts, m.steps_t[b] + 1e3 * (std::abs(m.steps_t[b] - m.steps_t[a]) + 1.0)));
  PetscCall(TSSetExactFinalTime(ts, TS_EXACTFINALTIME_STEPOVER));
  PetscCall(TSSolve(ts, m.usol));
  PetscCall(CheckReason(ts, m.comm));
  PetscFunctionReturn(0);
}

// Adaptive steps: TS chooses them from the state in m.usol (u0 at t0), stopping exactly at
// each observation time, and observes there; the steps are recorded in m.steps_t.
PetscErrorCode Integrator::AdaptiveSweep(Impl& m, PetscReal t0, Vec u0,
                                         const std::vector<PetscReal>& times) {
  PetscFunctionBeginUser;
  m.follow_schedule = false;
  m.offset = 0;
  m.record_times = true;
  m.recorded.assign(1, t0);
  PetscCall(TSSetStepNumber(ts_, 0));
  PetscCall(TSSetTime(ts_, t0));
  PetscReal dt0 = dt_;
  if (dt0 <= 0) {
    PetscCall(physics_->StableTimeStep(u0, &dt0));
    dt0 *= 0.1;
  }
  PetscCall(TSSetTimeStep(ts_, dt0));
  PetscCall(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSSetMaxSteps(ts_, PETSC_MAX_INT));
  m.steps_t.clear();
  m.obs_step.assign(times.size(), 0);
  for (size_t k = 0; k < times.size(); ++k) {
    if (times[k] > t0) {
      PetscCall(TSSetMaxTime(ts_, times[k]));
      PetscCall(TSSolve(ts_, m.usol));
      PetscCall(CheckReason(ts_, m.comm));
    }
    m.obs_step[k] = static_cast<PetscInt>(m.recorded.size()) - 1;
    PetscCall(m.ObserveAt(static_cast<PetscInt>(k), times[k], m.usol));
  }
  m.record_times = false;
  m.steps_t = m.recorded;
  m.steps_t.back() = times.back();
  for (size_t k = 0; k < times.size(); ++k) m.steps_t[m.obs_step[k]] = times[k];
  stats_.forward_steps = static_cast<PetscInt>(m.steps_t.size()) - 1;
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Forward(PetscReal t0, Vec u0, const std::vector<PetscReal>& times,
                                   Observer* observer, PetscReal* loss) {
  PetscFunctionBeginUser;
  PetscCall(SetUp());
  Impl& m = *impl_;
  PetscCall(CheckTimes(m.comm, t0, times));
  stats_ = IntegratorStats{};
  PetscLogDouble t_start;
  PetscCall(PetscTime(&t_start));
  PetscCall(PetscLogEventBegin(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscCall(TSRemoveTrajectory(ts_));
  m.observer = observer;
  m.observe = true;
  m.want_grad = false;
  m.caching = false;
  m.store_ckpts = false;
  m.online_active = false;  // also after an online gradient that stopped with an error
  m.loss = 0;
  PetscCall(VecCopy(u0, m.usol));
  if (m.step_hook) PetscCall(m.step_hook(0, t0, m.usol));
  const bool frozen = adaptive_ && freeze_ && SameSchedule(m, t0, times);
  if (adaptive_ && !frozen) {
    PetscCall(AdaptiveSweep(m, t0, u0, times));
  } else {
    if (!frozen) {
      PetscReal dt = dt_;
      if (dt <= 0) {
        PetscCall(physics_->StableTimeStep(u0, &dt));
        dt *= 0.5;
      }
      BuildSchedule(t0, times, dt, m);
      if (dt_ > 0 && !implicit_)
        PetscCall(WarnUnstableExplicitStep(physics_, u0, dt, m, prefix_, ts_, &warned_));
    }
    m.obs_of_step.clear();
    for (size_t k = 0; k < times.size(); ++k)
      m.obs_of_step[m.obs_step[k]] = static_cast<PetscInt>(k);
    if (m.obs_step[0] == 0) PetscCall(m.ObserveAt(0, t0, m.usol));
    const PetscInt M = static_cast<PetscInt>(m.steps_t.size()) - 1;
    if (M > 0) PetscCall(RunSteps(ts_, m, 0, M));
    stats_.forward_steps = M;
  }
  m.observe = false;
  *loss = m.loss;
  PetscCall(PetscLogEventEnd(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscLogDouble t_end;
  PetscCall(PetscTime(&t_end));
  stats_.forward_seconds = t_end - t_start;
  PetscFunctionReturn(0);
}

// Gradient() needs a TS type with a discrete adjoint.
static PetscErrorCode CheckAdjointType(TS ts, MPI_Comm comm, const std::string& prefix) {
  PetscFunctionBeginUser;
  TSType type;
  PetscCall(TSGetType(ts, &type));
  PetscBool ok_rk, ok_theta, ok_cn, ok_be;
  PetscCall(PetscStrcmp(type, TSRK, &ok_rk));
  PetscCall(PetscStrcmp(type, TSTHETA, &ok_theta));
  PetscCall(PetscStrcmp(type, TSCN, &ok_cn));
  PetscCall(PetscStrcmp(type, TSBEULER, &ok_be));
  PetscCheck(
      ok_rk || ok_theta || ok_cn || ok_be, comm, PETSC_ERR_USER_INPUT,
      "option -%sts_type: '%s' has no discrete adjoint in PETSc 3.18; use rk, theta, cn or beuler",
      prefix.c_str(), type);
  PetscFunctionReturn(0);
}

// Segment boundaries of the backward pass: step 0, the K observations and (replaying
// modes) every `every`-th step of the M.
static std::vector<PetscInt> SegmentBounds(const Integrator::Impl& m, size_t K, PetscInt M,
                                           bool replay, PetscInt every) {
  std::set<PetscInt> bounds = {0, M};
  for (size_t k = 0; k < K; ++k) bounds.insert(m.obs_step[k]);
  if (replay && every > 0)
    for (PetscInt j = every; j < M; j += every) bounds.insert(j);
  return std::vector<PetscInt>(bounds.begin(), bounds.end());
}

// Storage of the forward pass: checkpoints at the segment starts b (in memory or in a
// fresh HDF5 file under `dir`) when replaying, else the full trajectory.
static PetscErrorCode PrepareForwardStorage(TS ts, Integrator::Impl& m, MemoryMode mode,
                                            const std::vector<PetscInt>& b, Vec u0) {
  PetscFunctionBeginUser;
  m.ckpt_steps.clear();
  PetscCall(m.ClearCheckpoints());
  if (mode != MemoryMode::kStore) {
    PetscCall(TSRemoveTrajectory(ts));
    m.store_ckpts = true;
    for (size_t i = 0; i + 1 < b.size(); ++i) m.ckpt_steps.insert(b[i]);
    if (mode == MemoryMode::kDisk) PetscCall(m.OpenDiskFile());
    PetscCall(m.StoreCheckpoint(0, u0));
    m.ckpt_steps.erase(0);
  } else {
    PetscCall(m.EnableTrajectory(ts));
    m.store_ckpts = false;
  }
  PetscFunctionReturn(0);
}

// Backward pass, segment by segment from the last: replay the segment from its
// checkpoint (replaying modes), add the observation's dl/du, solve the adjoint.
static PetscErrorCode BackwardPass(TS ts, Integrator::Impl& m, const std::vector<PetscInt>& b,
                                   bool replay, IntegratorStats* stats) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(m.lambda));
  if (m.mu) PetscCall(VecZeroEntries(m.mu));
  std::fill(m.gacc.begin(), m.gacc.end(), 0.0);
  m.phys_gen = -1;
  m.last_gen = -1;
  for (size_t i = b.size() - 1; i-- > 0;) {
    const PetscInt a = b[i], e = b[i + 1];
    if (replay) {
      PetscCall(m.LoadCheckpoint(a, m.usol));
      PetscCall(m.EnableTrajectory(ts));
      PetscCall(m.BeginCaching(e - a));
      PetscCall(RunSteps(ts, m, a, e));
      stats->replayed_steps += e - a;
    }
    auto it = m.obs_of_step.find(e);
    if (it != m.obs_of_step.end()) PetscCall(VecAXPY(m.lambda, 1.0, m.dldu[it->second]));
    PetscCall(TSAdjointSetSteps(ts, e - a));
    PetscCall(TSAdjointSolve(ts));
    stats->adjoint_steps += e - a;
  }
  if (m.obs_step[0] == 0) PetscCall(VecAXPY(m.lambda, 1.0, m.dldu[0]));
  m.caching = false;
  stats->cache_hits = m.cache_hits;
  PetscCall(m.ClearCheckpoints());
  PetscCall(TSRemoveTrajectory(ts));
  PetscFunctionReturn(0);
}

// grad_theta = the parameter adjoint (mu, or the fused accumulator) summed over ranks.
static PetscErrorCode ReduceParamGradient(Integrator::Impl& m, double* grad_theta) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::allreduce, 0, 0, 0, 0));
  const PetscScalar* a = m.gacc.data();
  if (m.mu) PetscCall(VecGetArrayRead(m.mu, &a));
  PetscCallMPI(MPI_Allreduce(a, grad_theta, m.P, MPIU_SCALAR, MPI_SUM, m.comm));
  if (m.mu) PetscCall(VecRestoreArrayRead(m.mu, &a));
  PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Gradient(PetscReal t0, Vec u0, const std::vector<PetscReal>& times,
                                    Observer* observer, PetscReal* loss, double* grad_theta,
                                    Vec grad_u0) {
  PetscFunctionBeginUser;
  PetscCall(SetUp());
  Impl& m = *impl_;
  PetscCall(CheckTimes(m.comm, t0, times));
  PetscCall(CheckAdjointType(ts_, m.comm, prefix_));
  const size_t K = times.size();
  while (m.dldu.size() < K) {
    Vec v;
    PetscCall(VecDuplicate(m.usol, &v));
    m.dldu.push_back(v);
  }

  // Adaptive runs: a first pass records the accepted steps, which every later pass replays;
  // online mode records them in its own (observed) sweep.
  const bool fresh = adaptive_ && !(freeze_ && SameSchedule(m, t0, times));
  const bool online_sweep = fresh && mode_ == MemoryMode::kOnline;
  if (fresh && !online_sweep) {
    PetscReal l;
    PetscCall(Forward(t0, u0, times, observer, &l));
  } else if (!adaptive_) {
    PetscReal dt = dt_;
    if (dt <= 0) {
      PetscCall(physics_->StableTimeStep(u0, &dt));
      dt *= 0.5;
    }
    BuildSchedule(t0, times, dt, m);
    if (dt_ > 0 && !implicit_)
      PetscCall(WarnUnstableExplicitStep(physics_, u0, dt, m, prefix_, ts_, &warned_));
  }
  const PetscInt M = online_sweep ? 0 : static_cast<PetscInt>(m.steps_t.size()) - 1;
  m.obs_of_step.clear();
  for (size_t k = 0; k < K && !online_sweep; ++k)
    m.obs_of_step[m.obs_step[k]] = static_cast<PetscInt>(k);

  stats_ = IntegratorStats{};
  stats_.forward_steps = M;
  PetscLogDouble t_start, t_end;
  PetscCall(PetscTime(&t_start));
  m.observer = observer;
  m.observe = true;
  m.want_grad = true;
  m.loss = 0;
  m.cache_hits = 0;
  m.caching = false;
  m.online_active = false;
  if (mode_ == MemoryMode::kOnline) {
    PetscCall(OnlinePasses(m, t0, u0, times, online_sweep, t_start));
  } else if (mode_ == MemoryMode::kBinomial) {
    PetscCall(VecCopy(u0, m.usol));
    if (m.step_hook) PetscCall(m.step_hook(0, t0, m.usol));
    if (m.obs_step[0] == 0) PetscCall(m.ObserveAt(0, t0, m.usol));
    PetscCall(m.BinomialPasses(M, t_start));
  } else {
    PetscCall(StoredPasses(m, t0, u0, M, t_start));
  }
  *loss = m.loss;
  if (grad_u0) PetscCall(VecCopy(m.lambda, grad_u0));
  if (m.P > 0) PetscCall(ReduceParamGradient(m, grad_theta));
  PetscCall(PetscTime(&t_end));
  stats_.adjoint_seconds = t_end - t_start - stats_.forward_seconds;
  PetscFunctionReturn(0);
}

// Online mode: one observed forward sweep (adaptive: TS chooses the steps; else the step
// schedule) storing the states the online placement keeps, then its reversal.
PetscErrorCode Integrator::OnlinePasses(Impl& m, PetscReal t0, Vec u0,
                                        const std::vector<PetscReal>& times, bool adaptive_sweep,
                                        PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  PetscCall(m.OnlineBegin());
  PetscCall(VecCopy(u0, m.usol));
  if (m.step_hook) PetscCall(m.step_hook(0, t0, m.usol));
  if (adaptive_sweep) {
    PetscCall(AdaptiveSweep(m, t0, u0, times));
  } else {
    if (m.obs_step[0] == 0) PetscCall(m.ObserveAt(0, t0, m.usol));
    const PetscInt M = static_cast<PetscInt>(m.steps_t.size()) - 1;
    if (M > 0) PetscCall(RunSteps(ts_, m, 0, M));
  }
  const PetscInt M = static_cast<PetscInt>(m.steps_t.size()) - 1;
  stats_.forward_steps = M;
  m.obs_of_step.clear();
  for (size_t k = 0; k < times.size(); ++k) m.obs_of_step[m.obs_step[k]] = static_cast<PetscInt>(k);
  PetscCall(m.OnlineReverse(M, t_start));
  PetscFunctionReturn(0);
}

// Store, checkpoint and disk modes: the forward pass (loss, dl/du at observations,
// checkpoints or the full trajectory), then the backward pass segment by segment.
PetscErrorCode Integrator::StoredPasses(Impl& m, PetscReal t0, Vec u0, PetscInt M,
                                        PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  const bool replay = mode_ != MemoryMode::kStore;
  const std::vector<PetscInt> b = SegmentBounds(m, m.obs_step.size(), M, replay, checkpoint_every_);
  PetscCall(PetscLogEventBegin(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscCall(PrepareForwardStorage(ts_, m, mode_, b, u0));
  PetscCall(VecCopy(u0, m.usol));
  if (!replay) PetscCall(m.BeginCaching(M));  // the adjoint follows this very pass
  if (m.step_hook) PetscCall(m.step_hook(0, t0, m.usol));
  if (m.obs_step[0] == 0) PetscCall(m.ObserveAt(0, t0, m.usol));
  if (M > 0) PetscCall(RunSteps(ts_, m, 0, M));
  m.observe = false;
  m.store_ckpts = false;
  PetscCall(PetscLogEventEnd(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscLogDouble t_mid;
  PetscCall(PetscTime(&t_mid));
  stats_.forward_seconds = t_mid - t_start;
  PetscCall(PetscLogEventBegin(LogEvents::adjoint_solve, 0, 0, 0, 0));
  PetscCall(BackwardPass(ts_, m, b, replay, &stats_));
  PetscCall(PetscLogEventEnd(LogEvents::adjoint_solve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::adjoint
