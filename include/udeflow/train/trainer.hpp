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
/// (-train_optimizer tao, -tao_type lmvm|blmvm|...) on a fixed tiling of all windows.
/// One monitor line per iteration; a training-state checkpoint (theta, Adam moments,
/// iteration, RNG seed) every -train_checkpoint_every iterations that
/// -train_resume continues exactly.
///
/// Options (prefix -train_): optimizer, loss (mse | huber), huber_delta, iterations, batch, lr, lr_schedule, lr_factor,
/// lr_period, lr_milestones, grad_clip, weight_decay, window, window_max,
/// window_grow_every, window_step, obs_stride, seed, checkpoint_every, resume, init,
/// monitor_every.
#include <string>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/nn/adam.hpp"
#include "udeflow/pde/physics.hpp"

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
  std::vector<double> theta;
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
  PetscErrorCode LossAndGradient(const std::vector<Window>& windows, PetscInt W, const std::vector<double>& theta,
                                 double* loss, std::vector<double>* grad);
  /// The windows of iteration `it` (deterministic in the seed and the iteration).
  std::vector<Window> BatchAt(long long it, PetscInt W) const;
  PetscInt WindowAt(long long it) const;
  /// All non-overlapping windows of length W (the TAO objective).
  std::vector<Window> Tiling(PetscInt W) const;

  PetscErrorCode SaveState(const std::string& path, long long iteration, const std::vector<double>& theta) const;
  /// Restores theta, the optimizer state and the iteration count.
  PetscErrorCode LoadState(const std::string& path, const char* what, long long* iteration, std::vector<double>* theta);

 private:
  PetscErrorCode RunAdam(const std::string& checkpoint_path, TrainResult* result);
  PetscErrorCode RunTao(TrainResult* result);
  PetscErrorCode Monitor(long long it, double loss, double gnorm, double lr, PetscInt W, double seconds) const;

  pde::Physics* physics_;
  adjoint::Integrator* integrator_;
  const io::Dataset* dataset_;
  MPI_Comm comm_ = MPI_COMM_NULL;    // all ranks
  MPI_Comm across_ = MPI_COMM_NULL;  // one rank per group
  int group_ = 0, ngroups_ = 1;

  std::string optimizer_ = "adam", resume_, init_, loss_ = "mse";
  PetscReal huber_delta_ = 0.01;
  PetscInt iterations_ = 200, batch_ = 8, window_ = 10, window_max_ = 0, window_grow_every_ = 0, window_step_ = 5;
  PetscInt obs_stride_ = 1, checkpoint_every_ = 50, monitor_every_ = 1;
  PetscInt seed_ = 1;
  nn::LearningRateSchedule lr_;
  nn::AdamConfig adam_config_;
  nn::Adam adam_;

  // Training data on the model grid: states[traj][snapshot].
  std::vector<std::vector<Vec>> states_;
  std::vector<std::vector<PetscReal>> times_;
  std::vector<pde::Scenario> scenarios_;
  std::vector<size_t> train_ids_;
  bool tolerate_divergence_ = false;  // during TAO: a blown-up solve is an infinite loss
};

}  // namespace udeflow::train
