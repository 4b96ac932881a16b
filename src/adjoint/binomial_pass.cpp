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

// Steps j -> j+1 recorded and adjoined; `first`: the end of the observed forward pass.
PetscErrorCode ReverseStep(Integrator::Impl& m, TS ts, PetscInt j, bool* first,
                           PetscLogDouble t_start, IntegratorStats* st) {
  PetscFunctionBeginUser;
  PetscCall(m.EnableTrajectory(ts));
  PetscCall(m.BeginCaching(1));
  PetscCall(RunSteps(ts, m, j, j + 1));
  if (*first) {  // the forward pass ends with its last step recorded
    *first = false;
    m.observe = false;
    PetscCall(PetscLogEventEnd(LogEvents::forward_solve, 0, 0, 0, 0));
    PetscLogDouble t;
    PetscCall(PetscTime(&t));
    st->forward_seconds = t - t_start;
    PetscCall(PetscLogEventBegin(LogEvents::adjoint_solve, 0, 0, 0, 0));
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

PetscErrorCode Integrator::Impl::BinomialPasses(PetscInt M, PetscLogDouble t_start) {
  PetscFunctionBeginUser;
  TS ts = self->ts_;
  IntegratorStats& st = self->stats_;
  PetscCall(PetscLogEventBegin(LogEvents::forward_solve, 0, 0, 0, 0));
  ckpt_steps.clear();
  store_ckpts = false;
  PetscCall(ClearCheckpoints());
  PetscCall(TSRemoveTrajectory(ts));
  PetscCall(VecZeroEntries(lambda));
  if (mu) PetscCall(VecZeroEntries(mu));
  std::fill(gacc.begin(), gacc.end(), 0.0);
  phys_gen = -1;
  last_gen = -1;
  bool first = true;
  if (M == 0) {  // nothing to reverse: the forward pass was the initial observation
    PetscCall(PetscLogEventEnd(LogEvents::forward_solve, 0, 0, 0, 0));
    PetscCall(PetscLogEventBegin(LogEvents::adjoint_solve, 0, 0, 0, 0));
    first = false;
  }
  for (const BinomialAction& a : BinomialSchedule(M, self->checkpoint_slots_)) {
    const PetscInt from = static_cast<PetscInt>(a.from), to = static_cast<PetscInt>(a.to);
    switch (a.kind) {
      case BinomialAction::kAdvance:
        PetscCall(RunSteps(ts, *this, from, to));
        if (!first) st.replayed_steps += to - from;
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
        PetscCall(ReverseStep(*this, ts, from, &first, t_start, &st));
        break;
    }
  }
  if (obs_step[0] == 0) PetscCall(VecAXPY(lambda, 1.0, dldu[0]));
  st.cache_hits = cache_hits;
  PetscCall(ClearCheckpoints());
  PetscCall(PetscLogEventEnd(LogEvents::adjoint_solve, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::adjoint
