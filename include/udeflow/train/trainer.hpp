#pragma once
/// \file trainer.hpp
/// Training the closure through the solver ("fit the trajectory, not the flux").
///
/// A training sample is a window of a training trajectory: it starts from an observed
/// (coarse-grained) state and is compared with the data at W later snapshots, every
/// `obs_stride` snapshots.  Starting every window from data anchors the shooting
/// (multiple shooting with data-fixed nodes) and windows can grow during training
/// (curriculum), both of which keep single long rollouts from derailing training.
/// Loss: mean over windows, observations and cells of the squared error (mse) or of a
/// pseudo-Huber error (~ absolute error, the metric of evaluate); its gradient is the
/// exact discrete adjoint from the Integrator.  The physics' penalty on theta
/// (Physics::ParamPenalty, e.g. a consistency constraint on a learned stencil) is added
/// to the loss and its gradient once per evaluation.
///
/// Optimizers: Adam (with a learning-rate schedule, clipping, decoupled weight
/// decay) on random batches of windows keyed by (seed, iteration); or TAO
/// (-train_optimizer tao, -tao_type lmvm|blmvm|...) on a fixed tiling of all windows; or
/// Levenberg-Marquardt (-train_optimizer lm, mse loss, windows) on the same tiling: the
/// residual Jacobian row by row from exact adjoint solves, Gauss-Newton steps damped by
/// -train_lm_damping (initial mu, Marquardt's diagonal scaling, Nielsen's update), stopped
/// by -train_iterations, -train_lm_gatol or when no step lowers the loss; for small models
/// fitted to noise-free data, where L-BFGS stalls (Fisher-KPP).
/// One monitor line per iteration; a training-state checkpoint (theta, Adam moments,
/// iteration, RNG seed, the exact loss history; in a TAO phase the count of its logged
/// objective evaluations, see evaluation_log.hpp) every -train_checkpoint_every
/// iterations of either phase, that -train_resume continues bit for bit (`latest`: the
/// newest checkpoint of the output directory, or a fresh start if there is none): a run
/// killed at any moment and resumed ends with the theta and history of an uninterrupted
/// one.  SIGTERM/SIGUSR1 stop the run after the current iteration with a checkpoint.
///
/// Strategies (all cases):
///  - Windows (default): as above; the window length grows every window_grow_every
///    iterations, or follows -train_window_schedule W1,W2,... (increasing) with
///    -train_window_schedule_iterations N1[,N2,...] iterations per stage.
///  - Shooting (-train_shooting_segments S >= 1): every training trajectory's horizon
///    (snapshots 0..h) is split into S segments of equal length whose initial states are
///    extra trainable parameters (appended to theta, initialised from the data); the
///    loss is the misfit at every snapshot (a node's snapshot is predicted by the node
///    state) plus -train_shooting_continuity lambda times the mean squared jump between
///    the end of a segment and the next node.  S = 1 is single shooting (trainable u0).
///    Gradients with respect to the node states are the adjoint dL/du0 of each segment.
///    The horizon h grows on -train_window_schedule (in snapshots; default: all).
///  - Mini-batches: windows are drawn from all trajectories (-train_batch windows per
///    iteration); in shooting mode -train_batch_trajectories B trajectories per
///    iteration (0: all).  -train_batch_reduce mean|sum averages or sums the per-window
///    (per-trajectory) losses and gradients over the batch.
///  - -train_lbfgs_iterations N: after Adam, N iterations of TAO L-BFGS (lmvm) on the
///    full objective (all windows of the last window length / all trajectories).
/// Each iteration's loss is kept in TrainResult::history (written as a CSV by `train`).
///
/// theta: the trainer owns the one copy that is trained, x = [theta, shooting node states]
/// (64-byte aligned); Run() starts it from -train_init, else from the theta the physics is
/// bound to (a previous run's), else from the physics' initialisation; Adam updates it in place,
/// TAO's solution is copied into it, and the physics reads it through Physics::BindParams (rebound,
/// a pointer assignment, at every loss evaluation).  After Run() the physics stays bound to it: the
/// trainer must outlive the physics' use of the trained theta.
///
/// Options (prefix -train_): optimizer, loss (mse | huber), huber_delta, iterations, batch, lr,
/// lr_schedule, lr_factor, lr_period, lr_milestones, grad_clip, weight_decay, window, window_max,
/// window_grow_every, window_step, window_schedule, window_schedule_iterations,
/// shooting_segments, shooting_continuity, batch_trajectories, batch_reduce,
/// lbfgs_iterations, lm_damping, lm_gatol, obs_stride, seed, checkpoint_every, resume, init,
/// monitor_every.
#include <Eigen/Core>
#include <functional>
#include <string>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/aligned.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/nn/adam.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/history.hpp"

namespace udeflow::train {

struct Window {
  size_t traj = 0;
  PetscInt start = 0;  ///< first snapshot (the initial state)
};

/// Ranks split into groups for ensemble (data) parallelism: each group integrates its
/// share of the windows with the domain decomposed over its ranks; gradients are summed
/// over groups.  -train_groups G (default 1; 0 = one group per rank).
struct TrainGroups {
  MPI_Comm world = MPI_COMM_NULL;   ///< all ranks
  MPI_Comm group = MPI_COMM_NULL;   ///< the ranks of this group (the physics' communicator)
  MPI_Comm across = MPI_COMM_NULL;  ///< the ranks with this group-local rank, one per group
  int id = 0, count = 1;
  /// Reads -train_groups and splits `world`.  Collective.  Free with Destroy().
  PetscErrorCode Create(MPI_Comm world);
  PetscErrorCode Destroy();
};

struct TrainResult {
  long long iterations = 0;
  double loss = 0, seconds = 0;
  std::vector<double> theta;            ///< the physics' parameters
  bool interrupted = false;             ///< stopped early by SIGTERM/SIGUSR1 (checkpoint written)
  std::vector<double> shooting_states;  ///< multiple shooting: the node states
  std::vector<TrainHistory::Row> history;  ///< one row per Adam / L-BFGS iteration
  /// A resumed run: the iterations and seconds done before it (`iterations` and `seconds`
  /// are totals over all runs); 0 for a fresh start.
  long long iterations_before = 0;
  double seconds_before = 0;
};

class Trainer {
 public:
  /// None of the pointers is owned; all must outlive the trainer.  With ensemble
  /// parallelism (see TrainGroups), the physics lives on one group's communicator and
  /// the windows of a batch are shared out among the groups.
  Trainer(pde::Physics* physics, adjoint::Integrator* integrator, const io::Dataset* dataset,
          const struct TrainGroups* groups = nullptr);
  ~Trainer();
  PetscErrorCode SetFromOptions();
  /// Loads the training trajectories onto the physics' grid.  Collective.
  PetscErrorCode SetUp();
  /// Trains; writes checkpoints to `checkpoint_path` (if not empty).  Collective.
  PetscErrorCode Run(const std::string& checkpoint_path, TrainResult* result);

  /// Mean loss over `windows` of W observations and its gradient (replicated).
  /// The physics is bound to theta (NumParams() entries; x of Objective() fits).
  PetscErrorCode LossAndGradient(const std::vector<Window>& windows, PetscInt W,
                                 const AlignedVector<double>& theta, double* loss,
                                 std::vector<double>* grad);
  /// The windows of iteration `it` (deterministic in the seed and the iteration).
  std::vector<Window> BatchAt(long long it, PetscInt W) const;
  PetscInt WindowAt(long long it) const;
  /// All non-overlapping windows of length W (the TAO objective).
  std::vector<Window> Tiling(PetscInt W) const;

  /// Called after every Adam step with the number of iterations done and theta
  /// (training snapshots, in-situ visualization).  Collective.
  using IterationHook =
      std::function<PetscErrorCode(long long iterations_done, const double* theta)>;
  void SetIterationHook(IterationHook hook) { iteration_hook_ = std::move(hook); }
  // ---- strategies
  /// Length of the optimized vector x = [theta, shooting node states].
  PetscInt NumTrainable() const;
  bool Shooting() const { return segments_ > 0; }
  /// Loss and gradient of Adam iteration `it` (its batch, window or horizon); it < 0:
  /// the full objective (all windows of the last window / all trajectories over the
  /// last horizon).  x has NumTrainable() entries.  Collective.
  PetscErrorCode Objective(long long it, const AlignedVector<double>& x, double* loss,
                           std::vector<double>* grad);
  /// Multiple shooting loss of training trajectories `trajs` over snapshots 0..horizon
  /// and its gradient with respect to x = [theta, node states].  Collective.
  PetscErrorCode ShootingLossAndGradient(const std::vector<size_t>& trajs, PetscInt horizon,
                                         const AlignedVector<double>& x, double* loss,
                                         std::vector<double>* grad);
  /// Node states taken from the data (the tail of x).  Collective.
  PetscErrorCode InitialShootingStates(AlignedVector<double>* x);
  /// Collocation (Roesch, Rackauckas & Stumpf 2021): mean over training trajectories of
  /// the mean over their kept snapshots k and cells of (f(t_k, s_k; theta) - s'_k)^2, s and
  /// s' the kernel-smoothed data and its time derivative (collocation.hpp); no solve.
  /// Gradient with respect to x (zero for shooting node states).  Collective.
  PetscErrorCode CollocationLossAndGradient(const AlignedVector<double>& x, double* loss,
                                            std::vector<double>* grad);
  /// The training method of Adam iteration `it` (< 0: the full objective after Adam).
  bool CollocationAt(long long it) const {
    return method_ == "collocation" || (it >= 0 && it < init_collocation_);
  }
  /// PEM: the observer gain at Adam iteration `it` (0 when off and for it < 0).
  double PemGainAt(long long it) const;
  const std::string& Method() const { return method_; }
  /// Trajectories of shooting iteration `it` (sorted).
  std::vector<size_t> TrajectoryBatch(long long it) const;
  /// Shooting horizon (last snapshot used) at iteration it (< 0: the last stage).
  PetscInt HorizonAt(long long it) const;
  /// Snapshot index of node s of trajectory j.
  PetscInt NodeSnapshot(size_t j, PetscInt s) const;
  size_t NumTrainingTrajectories() const { return states_.size(); }

  /// Where a run stands: what a training-state file holds besides the Adam moments and
  /// the history (format udeflow-train-state-2).
  struct State {
    std::string phase = "adam";     ///< "adam" or "tao" (the phase the run is in)
    long long adam_iterations = 0;  ///< Adam iterations done
    long long tao_iterations = 0;   ///< phase tao: TAO iterations done
    long long tao_evaluations = 0;  ///< phase tao: objective evaluations in the TAO log
    std::string tao_log;            ///< phase tao: file name of the log, next to the state file
    double last_loss = 0;           ///< loss of the last iteration done
    std::vector<double> x;          ///< parameters now (theta and shooting states)
    std::vector<double> tao_x0;     ///< phase tao: where the TAO solve started
    double lm_mu = -1, lm_nu = 2;   ///< phase lm (tao_iterations: LM iterations done): damping
  };
  /// The scaled residuals of the mse loss on the tiling of all windows of length W (natural
  /// ordering, replicated; sum r^2 is the loss without the penalty) and, if J is not null, their
  /// exact Jacobian (one adjoint solve per row).  A diverged solve gives infinite r.
  PetscErrorCode Residuals(const AlignedVector<double>& theta, PetscInt W, std::vector<double>* r,
                           Eigen::MatrixXd* J);
  /// Writes the training state (with the Adam moments and the exact history).  Collective.
  PetscErrorCode SaveState(const std::string& path, const State& state) const;
  /// Restores the state, the Adam moments and the history.  Collective.
  PetscErrorCode LoadState(const std::string& path, const char* what, State* state);

 private:
  PetscErrorCode WindowOptionsFromOptions();
  PetscErrorCode LmOptionsFromOptions();  // -train_lm_*
  PetscErrorCode MethodOptionsFromOptions(bool segments_set);
  /// Collocation data: smoothed states and derivatives of every training trajectory.
  PetscErrorCode SetUpCollocation();
  PetscErrorCode CheckWindowSchedule(bool sched_set, bool sched_it_set);
  /// -train_resume latest: the newest checkpoint next to `checkpoint_path`, or none.
  PetscErrorCode ResolveLatest(const std::string& checkpoint_path);
  PetscErrorCode RunAdam(const std::string& checkpoint_path, const State* resumed,
                         TrainResult* result);
  PetscErrorCode RunTao(const std::string& checkpoint_path, const State* resumed,
                        PetscInt iterations, TrainResult* result);
  /// Levenberg-Marquardt (levenberg_marquardt.cpp) on all windows of length W.
  PetscErrorCode RunLm(const std::string& checkpoint_path, const State* resumed,
                       PetscInt iterations, TrainResult* result);
  PetscErrorCode FinishLm(const std::string& checkpoint_path, long long it, const char* why,
                          State* state, TrainResult* result);  // final loss, state, result
  PetscErrorCode CheckLmOptions() const;  // windows, mse loss, mean over the batch

  /// History row time: seconds since the start of the run, including resumed runs.
  double Elapsed() const;
  PetscInt ScheduleStage(long long it) const;
  /// v on every rank, in the grid's natural ordering (see NaturalOrdering).  Collective.
  PetscErrorCode ReplicateVec(Vec v, double* out);
  PetscErrorCode NaturalOrdering();
  PetscErrorCode Monitor(long long it, double loss, double gnorm, double lr, PetscInt W,
                         double seconds) const;

  pde::Physics* physics_;
  adjoint::Integrator* integrator_;
  const io::Dataset* dataset_;
  MPI_Comm comm_ = MPI_COMM_NULL;    // all ranks
  MPI_Comm across_ = MPI_COMM_NULL;  // one rank per group
  int group_ = 0, ngroups_ = 1;

  std::string optimizer_ = "adam", resume_, init_, loss_ = "mse";
  PetscReal huber_delta_ = 0.01;
  // -train_time_weight p: observation k of a window weighted by (t_k - t_0)^p, normalized to a
  // mean weight of 1 over the window (0: every observation weighs 1, the same bits as before).
  PetscReal time_weight_ = 0;
  PetscReal lm_damping_ = 1e-3, lm_gatol_ = 0;  // -train_lm_damping, -train_lm_gatol
  std::string lm_update_ = "fast";              // -train_lm_damping_update
  std::string lm_accel_ = "none";               // -train_lm_acceleration
  std::string lm_solve_ = "normal";             // -train_lm_solve
  PetscReal lm_accel_ratio_ = 0.75;             // -train_lm_acceleration_ratio
  PetscInt iterations_ = 200, batch_ = 8, window_ = 10, window_max_ = 0, window_grow_every_ = 0,
           window_step_ = 5;
  PetscInt obs_stride_ = 1, checkpoint_every_ = 50, monitor_every_ = 1;
  PetscInt seed_ = 1;
  std::vector<PetscInt> schedule_, schedule_iterations_;
  PetscInt segments_ = 0, batch_trajectories_ = 0, lbfgs_iterations_ = 0;
  PetscReal continuity_ = 1.0;
  std::string batch_reduce_ = "mean";
  // -train_method and its options (collocation, PEM).
  std::string method_;
  PetscInt init_collocation_ = 0;
  PetscReal colloc_bandwidth_ = 0, colloc_trim_ = 0.05;
  PetscReal pem_gain_ = 1.0;
  double gain_ = 0;  // PEM gain of the evaluation under way
  PetscInt pem_gain_iterations_ = 0;
  std::string pem_schedule_ = "linear";
  PetscReal pem_gain_min_ = 1e-3;
  std::vector<std::vector<Vec>> colloc_u_, colloc_du_;  // [traj][kept snapshot]
  std::vector<std::vector<PetscReal>> colloc_t_;
  long long adam_done_ = 0;  // Adam iterations run (the L-BFGS stage uses the last window)
  PetscLogDouble start_ = 0;
  double seconds_before_ = 0;  // run time of the resumed run up to its checkpoint
  Vec all_ = nullptr;          // ReplicateVec: scatter of a state to every rank
  VecScatter to_all_ = nullptr;
  std::vector<PetscInt> natural_;  // natural index of each global index of a state
  nn::LearningRateSchedule lr_;
  nn::AdamConfig adam_config_;
  nn::Adam adam_;
  TrainHistory history_;  // written as train_history.csv with every checkpoint
  IterationHook iteration_hook_;
  AlignedVector<double>
      x_;  // the trained parameters [theta, shooting node states], viewed by the physics

  // Training data on the model grid: states[traj][snapshot].
  std::vector<std::vector<Vec>> states_;
  std::vector<std::vector<PetscReal>> times_;
  std::vector<pde::Scenario> scenarios_;
  std::vector<size_t> train_ids_;
};

}  // namespace udeflow::train
