#pragma once
// Private state of adjoint::Integrator, shared by its translation units
// (integrator.cpp: set-up and passes; ts_callbacks.cpp: what TS calls back;
// checkpoints.cpp: observations, trajectory and checkpoint storage).
#include <petsc/private/petscimpl.h>  // PetscObjectStateGet: detects a changed Vec

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/adjoint/online.hpp"
#include "udeflow/core/aligned.hpp"
#include "udeflow/io/hdf5.hpp"

namespace udeflow::adjoint {

// ------------------------------------------------------------------ private state

struct Integrator::Impl {
  // A linearization point seen by one of the shell matrices.
  struct Shell {
    Impl* impl = nullptr;
    Vec ulin = nullptr;
    PetscReal t = 0, shift = 0;
    long gen = -1;
    PetscInt stage = -1;  // explicit RK: index of the stage this point is
    PetscInt slot = -1;   // activation-cache slot of this point (-1: none)
  };

  Integrator* self = nullptr;
  pde::Physics* phys = nullptr;
  MPI_Comm comm = MPI_COMM_NULL;
  PetscInt P = 0;
  Vec usol = nullptr, lambda = nullptr, mu = nullptr;
  Mat J = nullptr, Jp = nullptr, Pasm = nullptr;
  Shell jshell, jpshell;
  long gen_counter = 0, phys_gen = -1, last_gen = -1;
  PetscObjectId last_id = 0;
  PetscObjectState last_state = 0;
  PetscReal last_t = 0;
  // Explicit RK: the parameter adjoint is accumulated here, fused with the state VJP
  // of each stage (PETSc 3.18's TSAdjointStep_RK skips df/dtheta for stages with
  // b_i = 0, e.g. in 5dp, so its mu would be wrong there; see Gradient()).
  bool own_mu = false;
  std::vector<double> rk_b;          // tableau weights
  AlignedVector<double> gbuf, gacc;  // aligned: Eigen kernels accumulate into them

  // Step schedule: times s_0..s_M; obs_step[k] = index of observation k.
  std::vector<PetscReal> steps_t;
  std::vector<PetscInt> obs_step;
  std::map<PetscInt, PetscInt> obs_of_step;
  PetscInt offset = 0;
  bool follow_schedule = true;

  // Forward-pass hooks.
  Observer* observer = nullptr;
  bool observe = false, want_grad = false;
  Integrator::StepHook step_hook;  // called in observed passes only
  PetscInt next_obs = 0;
  PetscReal loss = 0;
  std::vector<Vec> dldu;
  bool record_times = false;
  std::vector<PetscReal> recorded;
  std::set<PetscInt> ckpt_steps;
  bool store_ckpts = false;

  // Nudging (SetNudging): f + gain (y(t) - u); nudge_y holds y(t).
  PetscReal gain = 0;
  const std::vector<PetscReal>* nudge_t = nullptr;
  const std::vector<Vec>* nudge_data = nullptr;
  Vec nudge_y = nullptr;
  bool Nudging() const { return gain != 0 && nudge_data && !nudge_data->empty(); }
  /// F += gain (y(t) - U).
  PetscErrorCode AddNudging(PetscReal t, Vec U, Vec F);

  // Checkpoints: `pool` owns every RAM checkpoint vector, `spare` lists the free ones.
  std::vector<Vec> pool, spare;
  std::map<PetscInt, Vec> ram;
  PetscInt live_ckpts = 0;  // checkpoints held now (RAM or disk)
  io::H5File disk;
  PetscInt disk_count = 0;

  ~Impl() {
    VecDestroy(&usol);
    VecDestroy(&lambda);
    VecDestroy(&mu);
    MatDestroy(&J);
    MatDestroy(&Jp);
    MatDestroy(&Pasm);
    VecDestroy(&jshell.ulin);
    VecDestroy(&jpshell.ulin);
    VecDestroy(&nudge_y);
    for (Vec& v : dldu) VecDestroy(&v);
    for (Vec& v : pool) VecDestroy(&v);
  }

  PetscErrorCode Register(Shell& s, PetscReal t, Vec U, PetscReal shift) {
    PetscFunctionBeginUser;
    PetscObjectId id;
    PetscObjectState st;
    PetscCall(PetscObjectGetId((PetscObject)U, &id));
    PetscCall(PetscObjectStateGet((PetscObject)U, &st));
    s.shift = shift;
    if (last_gen >= 0 && id == last_id && st == last_state && t == last_t) {
      if (s.gen != last_gen) {
        PetscCall(VecCopy(U, s.ulin));
        s.t = t;
        s.gen = last_gen;
      }
    } else {
      last_gen = ++gen_counter;
      last_id = id;
      last_state = st;
      last_t = t;
      PetscCall(VecCopy(U, s.ulin));
      s.t = t;
      s.gen = last_gen;
    }
    PetscFunctionReturn(0);
  }

  PetscErrorCode Ensure(Shell& s) {
    PetscFunctionBeginUser;
    if (phys_gen != s.gen) {
      bool hit = false;
      if (caching && s.slot >= 0) PetscCall(phys->LinearizeCached(s.t, s.ulin, s.slot, &hit));
      if (hit)
        cache_hits++;
      else
        PetscCall(phys->Linearize(s.t, s.ulin, self->implicit_));
      phys_gen = s.gen;
    }
    PetscFunctionReturn(0);
  }

  // Activation cache (explicit RK): slot = step * stages + stage within the pass.
  bool caching = false;
  PetscInt stages = 0, cache_hits = 0;
  /// Turns the cache on for a pass of `steps` steps if it fits the budget.
  PetscErrorCode BeginCaching(PetscInt steps);

  PetscErrorCode StoreCheckpoint(PetscInt step, Vec u);
  PetscErrorCode LoadCheckpoint(PetscInt step, Vec u);
  PetscErrorCode WriteDisk(PetscInt step, Vec u);
  PetscErrorCode ReadDisk(PetscInt step, Vec u);
  PetscErrorCode FreeCheckpoint(PetscInt step);
  PetscErrorCode ClearCheckpoints();
  /// Binomial mode: forward and backward passes of Gradient() over M steps from the
  /// state in usol (observed up to the first reversal); see binomial_pass.cpp.
  PetscErrorCode BinomialPasses(PetscInt M, PetscLogDouble t_start);
  PetscErrorCode TwoLevelPasses(PetscInt M, PetscLogDouble t_start);
  /// Run one binomial schedule over steps [a, a + l) from the current state a; every step
  /// of it is a recomputation unless *first (the observed forward pass).
  PetscErrorCode RunBinomialSchedule(PetscInt a, PetscInt l, bool* first, PetscLogDouble t_start);
  /// Runs the actions `next` generates (until it returns false), shifted by `a` (see
  /// RunBinomialSchedule); schedules are generated as they run, never held whole.
  PetscErrorCode RunActions(const std::function<bool(BinomialAction*)>& next, PetscInt a,
                            bool* first, PetscLogDouble t_start);
  /// Online mode: before the forward sweep (a fresh placement, no checkpoints; PreStep then
  /// stores what it keeps), and after it, over its M steps: the reversal.
  PetscErrorCode OnlineBegin();
  PetscErrorCode OnlineReverse(PetscInt M, PetscLogDouble t_start);
  /// Online placement of the state j (in u) before it is advanced (PreStep, forward sweep).
  PetscErrorCode OnlinePlace(PetscInt j, Vec u);
  OnlineCheckpoints online{1};
  PetscInt online_base = 0;     // the placement's step 0 (a multiple of the disk interval)
  PetscInt online_placed = -1;  // the last step placed (a step is placed once)
  bool online_active = false;   // PreStep applies the online placement
  /// A fresh HDF5 checkpoint file under the checkpoint directory (removed when closed).
  PetscErrorCode OpenDiskFile();
  bool ckpt_to_disk = false;  // StoreCheckpoint writes to the disk file (two-level modes)
  PetscErrorCode EnableTrajectory(TS ts);
  PetscErrorCode ObserveAt(PetscInt k, PetscReal t, Vec u);
};

namespace detail {
using Impl = Integrator::Impl;
// TS callbacks (ts_callbacks.cpp).
PetscErrorCode RhsFunction(TS, PetscReal t, Vec U, Vec F, void* ctx);
PetscErrorCode IFunction(TS, PetscReal t, Vec U, Vec Udot, Vec F, void* ctx);
PetscErrorCode RhsJacobian(TS ts, PetscReal t, Vec U, Mat, Mat, void* ctx);
PetscErrorCode IJacobian(TS, PetscReal t, Vec U, Vec, PetscReal shift, Mat, Mat B, void* ctx);
PetscErrorCode IJacobianP(TS, PetscReal t, Vec U, Vec, PetscReal, Mat, void* ctx);
PetscErrorCode JMult(Mat A, Vec x, Vec y);
PetscErrorCode JMultTranspose(Mat A, Vec x, Vec y);
PetscErrorCode JpMultTranspose(Mat A, Vec x, Vec y);
PetscErrorCode PreStep(TS ts);
PetscErrorCode PostStep(TS ts);
// Runs TS over the schedule steps [a, b) from the state in usol (integrator.cpp).
PetscErrorCode RunSteps(TS ts, Impl& m, PetscInt a, PetscInt b);
}  // namespace detail

}  // namespace udeflow::adjoint
