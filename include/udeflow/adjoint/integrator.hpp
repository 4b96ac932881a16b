#pragma once
/// \file integrator.hpp
/// Forward solves and exact discrete gradients through PETSc TS / TSAdjoint.
///
/// The loss is a sum of terms at observation times t_1 < ... < t_K given by an
/// Observer.  Gradient() returns the loss and its exact discrete gradient with respect
/// to theta (and, optionally, u(t0)), by TSAdjoint on the very steps the forward solve
/// took: a step schedule hits every observation time; adaptive runs record their
/// accepted steps and every later pass replays them (online memory records them in its
/// one observed forward sweep, which also places the checkpoints).
///
/// State Jacobian and parameter Jacobian are MATSHELLs whose MatMultTranspose is a
/// vector-Jacobian product of the physics (never a dense N x P matrix); implicit
/// methods (theta, cn, beuler) also get the assembled Jacobian as preconditioning
/// matrix.  For explicit RK the parameter VJP is fused with the state VJP (one closure
/// backward pass per stage) and accumulated by the integrator itself: PETSc 3.18's
/// TSAdjointStep_RK drops df/dtheta at stages with b_i = 0 (5dp, 5f, 5bs, 6vr...).
/// theta is replicated; the parameter adjoint is kept as one partial sum per rank and
/// reduced once per gradient.
///
/// Memory modes (-adjoint_memory):
///   store       TS trajectory in memory for every step (fastest, most memory)
///   checkpoint  states at observation times and every K steps (-adjoint_checkpoint_every);
///               each segment is recomputed once, then adjoined (one extra forward solve)
///   disk        as checkpoint, with the checkpoints in an HDF5 file
///               (-adjoint_checkpoint_dir); RAM holds one segment at a time
///   binomial    at most S states in RAM (-adjoint_checkpoint_slots S) and one step's
///               stages: the optimal binomial (Revolve-class) schedule of binomial.hpp,
///               each step taped and adjoined on its own; Stats().replayed_steps is the
///               optimum BinomialMinAdvances(steps, S)
///   online      at most S states in RAM, placed during the forward sweep without knowing
///               the number of steps (online.hpp: Wang, Moin and Iaccarino's dynamic
///               checkpointing), then each interval reversed as in binomial mode.  For
///               adaptive steps: one forward sweep instead of record-then-replay; the
///               recomputations (Stats().replayed_steps) are R <= F + steps of online.hpp,
///               Stats().offline_optimum the F(steps, S) of the binomial mode for comparison
/// All modes give the same gradient to round-off.  With explicit RK the closure
/// activations of the pass the adjoint follows (the whole run in store mode, one
/// segment's replay otherwise) are kept when they fit -adjoint_cache_mb, so the
/// adjoint runs the closure's backward pass only; otherwise they are recomputed.
///
/// Options: every -ts_* option (type, dt, tolerances; prefix given to SetFromOptions),
/// -adjoint_memory, -adjoint_checkpoint_every, -adjoint_checkpoint_dir,
/// -adjoint_checkpoint_slots, -adjoint_cache_mb,
/// -adjoint_diverge_limit (a state with max|u| above it, or not finite, at an observation stops the
/// solve). An explicit method with -ts_dt above 2.8x the physics' StableTimeStep() gets a warning
/// on stderr naming the stable step (not a refusal: the estimate is a heuristic).
#include <petscts.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "udeflow/pde/physics.hpp"

namespace udeflow::adjoint {

/// The loss seen at observation times.
class Observer {
 public:
  virtual ~Observer() = default;
  /// Observation k (0-based) at time t of state u: adds the loss term to *loss and, if
  /// dldu is not null, sets dldu = d(term)/du.  Collective; *loss is the global value.
  virtual PetscErrorCode Observe(PetscInt k, PetscReal t, Vec u, PetscReal* loss, Vec dldu) = 0;
};

enum class MemoryMode { kStore, kCheckpoint, kDisk, kBinomial, kOnline };
const char* MemoryModeName(MemoryMode m);

/// Counters of the last Forward()/Gradient() call.
struct IntegratorStats {
  PetscInt forward_steps = 0;     ///< steps of the first forward pass
  PetscInt replayed_steps = 0;    ///< steps recomputed for the adjoint
  PetscInt adjoint_steps = 0;     ///< TSAdjoint steps
  PetscInt checkpoints = 0;       ///< states checkpointed
  PetscInt peak_checkpoints = 0;  ///< most checkpointed states held at once (RAM, or disk mode)
  PetscInt disk_checkpoints = 0;  ///< binomial with a disk level: states written to disk
  PetscInt cache_hits = 0;        ///< adjoint stages that reused cached closure activations
  PetscInt offline_optimum = -1;  ///< online mode: F(forward_steps, slots) of binomial mode
  double checkpoint_bytes = 0;    ///< peak bytes of checkpoints on this rank (RAM or disk)
  double forward_seconds = 0, adjoint_seconds = 0;
};

class Integrator {
 public:
  /// `physics` must be set up and outlive the integrator.
  explicit Integrator(pde::Physics* physics);
  ~Integrator();
  Integrator(const Integrator&) = delete;
  Integrator& operator=(const Integrator&) = delete;

  /// Reads TS options with `prefix` (e.g. "" -> -ts_type, "truth_" -> -truth_ts_type)
  /// and the -<prefix>adjoint_* options.  Collective.
  PetscErrorCode SetFromOptions(const char* prefix = nullptr);
  PetscErrorCode SetUp();

  /// Integrates from (t0, u0) through `times`, calling the observer at each; *loss is
  /// the sum of the observed terms.  u0 is not modified.  Collective.
  PetscErrorCode Forward(PetscReal t0, Vec u0, const std::vector<PetscReal>& times,
                         Observer* observer, PetscReal* loss);
  /// As Forward, and the exact discrete gradient: grad_theta (length NumParams(),
  /// replicated, summed over ranks) and, if grad_u0 is not null, dL/du0.  Collective.
  PetscErrorCode Gradient(PetscReal t0, Vec u0, const std::vector<PetscReal>& times,
                          Observer* observer, PetscReal* loss, double* grad_theta,
                          Vec grad_u0 = nullptr);

  /// Adaptive runs: when frozen, Forward() and Gradient() replay the step sequence of
  /// the last adaptive pass instead of choosing new steps (same t0 and times required).
  /// Finite-difference checks of the discrete gradient need this.
  void FreezeSchedule(bool freeze) { freeze_ = freeze; }

  /// Called with (step, time, state) for the initial state (step 0) and after every
  /// time step of the observed forward pass of Forward()/Gradient() (not of adjoint
  /// replays): in-situ visualization, monitors.  Empty: none.
  using StepHook = std::function<PetscErrorCode(PetscInt step, PetscReal t, Vec u)>;
  void SetStepHook(StepHook hook);

  /// Prediction-error method (nudging): the right-hand side becomes
  /// f(t, u; theta) + gain (y(t) - u), y the piecewise-linear interpolant of the states
  /// `data` at `times` (constant outside them).  y is a known forcing: the state
  /// Jacobian gets -gain I, the parameter Jacobian is unchanged, and Gradient() stays the
  /// exact discrete gradient of the nudged solve.  gain 0 or data null: off.  The
  /// vectors must outlive their use (until the next SetNudging).
  void SetNudging(PetscReal gain, const std::vector<PetscReal>* times,
                  const std::vector<Vec>* data);

  const IntegratorStats& Stats() const { return stats_; }
  MemoryMode Mode() const { return mode_; }
  /// The time step (after SetFromOptions(): replaces -ts_dt; 0 lets the physics choose).
  PetscErrorCode SetTimeStep(PetscReal dt);
  /// Before SetFromOptions(): the time step used when -ts_dt is not given.
  void SetDefaultTimeStep(PetscReal dt) { default_dt_ = dt; }
  /// Stop when max|u| exceeds this at an observation (-adjoint_diverge_limit).
  void SetDivergeLimit(PetscReal limit) { diverge_limit_ = limit; }
  void SetMode(MemoryMode m) { mode_ = m; }
  void SetCheckpointEvery(PetscInt k) { checkpoint_every_ = k; }
  /// Binomial and online modes: the most states held at once (>= 1, the initial one included).
  void SetCheckpointSlots(PetscInt s) { checkpoint_slots_ = s; }
  /// Binomial mode, second level: the state every `k` steps on disk (0: RAM only).
  void SetCheckpointDiskEvery(PetscInt k) { disk_every_ = k; }
  TS Ts() const { return ts_; }
  bool Implicit() const { return implicit_; }
  bool Adaptive() const { return adaptive_; }
  /// One line: TS type, step size / adaptivity, memory mode.
  std::string Describe() const;

  struct Impl;

 private:
  PetscErrorCode ReadAdjointOptions(MPI_Comm comm);
  PetscErrorCode StoredPasses(Impl& m, PetscReal t0, Vec u0, PetscInt M, PetscLogDouble t_start);
  PetscErrorCode AdaptiveSweep(Impl& m, PetscReal t0, Vec u0, const std::vector<PetscReal>& times);
  PetscErrorCode OnlinePasses(Impl& m, PetscReal t0, Vec u0, const std::vector<PetscReal>& times,
                              bool adaptive_sweep, PetscLogDouble t_start);
  pde::Physics* physics_;
  std::unique_ptr<Impl> impl_;
  TS ts_ = nullptr;
  std::string prefix_;
  MemoryMode mode_ = MemoryMode::kStore;
  PetscInt checkpoint_every_ = 0;   // 0: only at observation times
  PetscInt checkpoint_slots_ = 16;  // binomial and online modes
  PetscInt disk_every_ = 0;         // binomial mode: disk level every this many steps
  std::string checkpoint_dir_ = ".";
  bool implicit_ = false, adaptive_ = false, setup_ = false, freeze_ = false;
  bool warned_ = false;  // explicit step above the stable estimate reported
  PetscReal dt_ = 0, default_dt_ = 0;
  PetscReal diverge_limit_ = 1e8;
  PetscReal cache_mb_ = 512;
  IntegratorStats stats_;
};

}  // namespace udeflow::adjoint
