// Binomial memory mode: Gradient()'s passes driven by the optimal reversal schedule of
// binomial.hpp.  Advances run TS without a trajectory; a reversal runs one step with the
// TS trajectory (solution and stages) recorded, adds the observation's dl/du and solves
// that step's adjoint.  The first sweep (up to the first reversal) is the observed
// forward pass: it visits every step once, in order.
#include <algorithm>

#include "integrator_impl.hpp"
#include "udeflow/adjoint/binomial.hpp"
#include "udeflow/core/log.hpp"

namespace udeflow::adjoint {

using namespace detail;

namespace {

// The observed forward pass is over: stop observing, time it, start the adjoint's log event.
PetscErrorCode EndForwardPass(Integrator::Impl& m, PetscLogDouble t_start, IntegratorStats* st) {
  PetscFunctionBeginUser;
  m.observe = false;
  PetscCall(PetscLogEventEnd(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscLogDouble t;
  PetscCall(PetscTime(&t));
  st->forward_seconds = t - t_start;
  PetscCall(PetscLogEventBegin(LogEvents::adjoint_solve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// Steps j -> j+1 recorded and adjoined; `first`: the end of the observed forward pass.
PetscErrorCode ReverseStep(Integrator::Impl& m, TS ts, PetscInt j, bool* first,
                           PetscLogDouble t_start, IntegratorStats* st) {
  PetscFunctionBeginUser;
  PetscCall(m.EnableTrajectory(ts));
  PetscCall(m.BeginCaching(1));
  PetscCall(RunSteps(ts, m, j, j + 1));
  if (*first) {  // the forward pass ends with its last step recorded
    *first = false;
    PetscCall(EndForwardPass(m, t_start, st));
  } else {
    st->replayed_steps++;
  }
  auto it = m.obs_of_step.find(j + 1);
  if (it != m.obs_of_step.end()) PetscCall(VecAXPY(m.lambda, 1.0, m.dldu[it->second]));
  PetscCall(TSAdjointSetSteps(ts, 1));
  PetscCall(TSAdjointSolve(ts));
  st->adjoint_steps++;
  m.caching = false;
  PetscCall(TSRemoveTrajectory(ts));  // advances record nothing
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Integrator::Impl::RunBinomialSchedule(PetscInt a, PetscInt l, bool* first,
                                                     PetscLogDouble t_start) {
  BinomialScheduler sched(l, self->checkpoint_slots_);
  return RunActions([&sched](BinomialAction* act) { return sched.Next(act); }, a, first, t_start);
}

PetscErrorCode Integrator::Impl::RunActions(const std::function<bool(BinomialAction*)>& next,
                                            PetscInt a, bool* first, PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  TS ts = self->ts_;
  IntegratorStats& st = self->stats_;
  for (BinomialAction act; next(&act);) {
    const PetscInt from = a + static_cast<PetscInt>(act.from),
                   to = a + static_cast<PetscInt>(act.to);
    switch (act.kind) {
      case BinomialAction::kAdvance:
        PetscCall(RunSteps(ts, *this, from, to));
        if (!*first) st.replayed_steps += to - from;
        break;
      case BinomialAction::kStore:
        PetscCall(StoreCheckpoint(from, usol));
        break;
      case BinomialAction::kRestore:
        PetscCall(LoadCheckpoint(from, usol));
        break;
      case BinomialAction::kFree:
        PetscCall(FreeCheckpoint(from));
        break;
      case BinomialAction::kReverse:
        PetscCall(ReverseStep(*this, ts, from, first, t_start, &st));
        break;
    }
  }
  PetscFunctionReturn(0);
}

// Clean state for a gradient's passes: no checkpoints, no trajectory, zero adjoints.
static PetscErrorCode ResetPasses(Integrator::Impl& m, TS ts) {
  PetscFunctionBeginUser;
  m.ckpt_steps.clear();
  m.store_ckpts = false;
  PetscCall(m.ClearCheckpoints());
  PetscCall(TSRemoveTrajectory(ts));
  PetscCall(VecZeroEntries(m.lambda));
  if (m.mu) PetscCall(VecZeroEntries(m.mu));
  std::fill(m.gacc.begin(), m.gacc.end(), 0.0);
  m.phys_gen = -1;
  m.last_gen = -1;
  PetscFunctionReturn(0);
}

static PetscErrorCode FinishPasses(Integrator::Impl& m, IntegratorStats& st) {
  PetscFunctionBeginUser;
  if (m.obs_step[0] == 0) PetscCall(VecAXPY(m.lambda, 1.0, m.dldu[0]));
  st.cache_hits = m.cache_hits;
  PetscCall(m.ClearCheckpoints());
  PetscCall(PetscLogEventEnd(LogEvents::adjoint_solve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::BinomialPasses(PetscInt M, PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  const PetscInt D = self->disk_every_;
  if (D > 0 && M > D) PetscFunctionReturn(TwoLevelPasses(M, t_start));
  PetscCall(PetscLogEventBegin(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscCall(ResetPasses(*this, self->ts_));
  bool first = true;
  if (M == 0) {  // nothing to reverse: the forward pass was the initial observation
    PetscCall(PetscLogEventEnd(LogEvents::forward_solve, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(LogEvents::adjoint_solve, 0, 0, 0, 0));
    first = false;
  }
  PetscCall(RunBinomialSchedule(0, M, &first, t_start));
  PetscCall(FinishPasses(*this, self->stats_));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::OnlineBegin() {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscCall(ResetPasses(*this, self->ts_));
  online = OnlineCheckpoints(self->checkpoint_slots_);
  online_base = 0;
  online_placed = -1;
  if (self->disk_every_ > 0) PetscCall(OpenDiskFile());
  online_active = true;
  PetscFunctionReturn(0);
}

// Online placement of the state j (held in u) that the forward sweep is about to advance.
// With the disk level (D = -adjoint_checkpoint_disk_every > 0) every state j = kD goes to
// disk and starts a fresh RAM placement: the slots serve only the current interval.
PetscErrorCode Integrator::Impl::OnlinePlace(PetscInt j, Vec u) {
  PetscFunctionBeginUser;
  if (j <= online_placed) PetscFunctionReturn(0);  // a state seen already (a retried step)
  online_placed = j;
  const PetscInt D = self->disk_every_;
  if (D > 0 && j % D == 0) {
    if (j > 0) {  // the previous interval will be reversed from its disk state
      for (int64_t s : online.Stored()) PetscCall(FreeCheckpoint(online_base + (PetscInt)s));
      online = OnlineCheckpoints(self->checkpoint_slots_);
      online_base = j;
    }
    ckpt_to_disk = true;
    PetscCall(StoreCheckpoint(j, u));
    ckpt_to_disk = false;
  }
  const OnlineCheckpoints::Decision d = online.OnStep(j - online_base);
  if (d.drop >= 0) PetscCall(FreeCheckpoint(online_base + static_cast<PetscInt>(d.drop)));
  if (d.store) PetscCall(StoreCheckpoint(j, u));
  PetscFunctionReturn(0);
}

// The forward sweep is done (the states kept by the placement are stored): reverse its M
// steps, every one of them a recomputation: the last interval from the RAM placement, the
// earlier ones (disk level) from disk.
PetscErrorCode Integrator::Impl::OnlineReverse(PetscInt M, PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  IntegratorStats& st = self->stats_;
  online_active = false;
  PetscCall(EndForwardPass(*this, t_start, &st));
  bool first = false;
  OnlineCheckpoints::ReversalScheduler rev(online, M - online_base);
  PetscCall(RunActions([&rev](BinomialAction* act) { return rev.Next(act); }, online_base, &first,
                       t_start));
  // Disk level: the earlier intervals [a, a + D), from the last, each from its disk state
  // by the offline binomial schedule with the RAM slots (all free again).
  const PetscInt D = self->disk_every_;
  for (PetscInt a = online_base - D; D > 0 && a >= 0; a -= D) {
    PetscCall(ReadDisk(a, usol));
    PetscCall(RunBinomialSchedule(a, D, &first, t_start));
  }
  st.offline_optimum = static_cast<PetscInt>(BinomialMinAdvances(M, self->checkpoint_slots_));
  PetscCall(FinishPasses(*this, st));
  PetscFunctionReturn(0);
}

// Two levels: the observed forward pass writes the state every D steps to disk; then the
// intervals [kD, (k+1)D) are reversed from the last, each from its disk state by the
// binomial schedule with the RAM slots.  Every step of those schedules is a recomputation:
// sum_k (l_k + F(l_k, slots)) steps for intervals of l_k steps.
PetscErrorCode Integrator::Impl::TwoLevelPasses(PetscInt M, PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  TS ts = self->ts_;
  IntegratorStats& st = self->stats_;
  const PetscInt D = self->disk_every_;
  PetscCall(PetscLogEventBegin(LogEvents::forward_solve, 0, 0, 0, 0));
  PetscCall(ResetPasses(*this, ts));
  PetscCall(OpenDiskFile());
  ckpt_to_disk = true;
  PetscCall(StoreCheckpoint(0, usol));
  for (PetscInt j = D; j < M; j += D) ckpt_steps.insert(j);
  store_ckpts = true;
  PetscCall(RunSteps(ts, *this, 0, M));
  store_ckpts = false;
  ckpt_to_disk = false;
  PetscCall(EndForwardPass(*this, t_start, &st));
  bool first = false;
  for (PetscInt a = ((M - 1) / D) * D; a >= 0; a -= D) {
    PetscCall(ReadDisk(a, usol));
    PetscCall(RunBinomialSchedule(a, std::min(D, M - a), &first, t_start));
  }
  PetscCall(FinishPasses(*this, st));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::adjoint
