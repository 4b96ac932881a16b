#pragma once
/// \file trainer.hpp
/// Data-parallel training of a deep BSDE model over the ranks of a communicator.
///
/// The global batch of B samples is split over the P ranks in contiguous, possibly
/// uneven pieces (rank r owns samples [B r / P, B (r+1) / P)).  Every rank holds all
/// parameters; each iteration draws the noise of its own samples (counter-based,
/// keyed by (seed, iteration, global sample index)), computes its share of the loss
/// and gradient, and one MPI_Allreduce sums the gradient and the loss.  Adam then
/// takes the same step on every rank.  The run is therefore the same for any P up to
/// round-off of the sums.
///
/// Life cycle: Trainer(comm) -> SetFromOptions() -> SetUp() -> Train() [-> WriteCheckpoint()].
/// All methods are collective on the communicator.
///
/// Options (all listed by -help): -bsde_equation, -bsde_dim, -bsde_steps,
/// -bsde_sde_scheme, -bsde_backward_scheme, -bsde_control, -bsde_net, -bsde_net_width,
/// -bsde_net_depth, -bsde_net_activation, -bsde_net_skip, -bsde_net_skip_init,
/// -bsde_net_norm_feature, -bsde_net_zscale, -bsde_net_init_scale, -bsde_net_output_scale,
/// -bsde_net_normalize, -bsde_norm_samples, -bsde_batch, -bsde_iterations, -bsde_seed,
/// -bsde_y0_init, -bsde_y0_rate, -bsde_lr, -bsde_lr_schedule, -bsde_lr_factor, -bsde_lr_period,
/// -bsde_lr_min, -bsde_lr_milestones, -bsde_adam_beta1/beta2/epsilon, -bsde_grad_clip,
/// -bsde_loss_clip, -bsde_valid_batch, -bsde_valid_every, -bsde_checkpoint_every,
/// -bsde_final_samples, -bsde_radial_reference, -bsde_resume, -bsde_save, -bsde_monitor,
/// -output_dir, and the equation's own (-bsde_horizon, -bsde_hjb_lambda, -bsde_bsb_sigma,
/// -bsde_bsb_rate, -bsde_defaultrisk_x0).
#include <petscsys.h>

#include <memory>
#include <string>
#include <vector>

#include "udeflow/bsde/model.hpp"
#include "udeflow/nn/adam.hpp"

namespace udeflow::bsde {

/// Adam 3e-3, times 0.2 every 1000 iterations.
inline nn::LearningRateSchedule DefaultSchedule() {
  nn::LearningRateSchedule s;
  s.kind = nn::LearningRateSchedule::Kind::kExponential;
  s.lr = 3e-3;
  s.factor = 0.2;
  s.period = 1000;
  return s;
}

/// Everything the options set (the defaults are the general-purpose configuration of
/// README.md; the case files set every choice explicitly).
struct TrainerOptions {
  std::string equation = "hjb";
  PetscInt dim = 100, steps = 0;  ///< steps 0: the equation's default
  std::string sde_scheme = "exact", backward_scheme = "trapezoid";
  std::string control = "none";  ///< none | driver (BsdeModel::SetControl)
  std::string net = "shared", activation = "tanh";
  PetscInt net_width = 0, net_depth = 2;  ///< width 0: d + 10
  std::string net_skip = "diagonal";      ///< none | diagonal | gated | full
  PetscBool net_norm_feature = PETSC_FALSE;
  std::string skip_init = "terminal";  ///< zero | terminal (ZNetwork::WarmStartSkip)
  PetscReal net_zscale = 0, net_init_scale = 1.0, net_output_scale = 0.1;
  PetscInt batch = 64, iterations = 2000;
  nn::LearningRateSchedule lr = DefaultSchedule();
  nn::AdamConfig adam;
  PetscReal loss_clip = 50.0;
  PetscInt seed = 1;
  PetscReal y0_init = 0;
  PetscBool y0_init_set = PETSC_FALSE;  ///< unset: start from the trivial answer
  PetscReal y0_rate = 0.1;  ///< Newton step fraction for Y_0 at the initial learning rate
  PetscInt norm_samples = 1024;
  std::string normalize = "global";  ///< input standardization: step | global | none
  PetscInt valid_batch = 256, valid_every = 100;
  PetscInt checkpoint_every = 0;
  PetscInt final_samples = 0;  ///< Monte Carlo re-estimate of u(0,x0) after training (0: off)
  PetscBool radial_reference = PETSC_TRUE;  ///< monitor: own radial-PDE reference
  std::string resume, output_dir = ".";
  PetscBool save = PETSC_TRUE, monitor = PETSC_TRUE;
};

/// One validation evaluation (a monitor line).
struct ValidationRecord {
  long iteration;     ///< completed iterations
  double train_loss;  ///< mean training loss since the previous record
  double valid_loss;  ///< loss on the fixed validation batch
  double u0;          ///< the current estimate of u(0, x0) = Y_0
  double seconds;     ///< wall time of training so far
};

class Trainer {
 public:
  explicit Trainer(MPI_Comm comm);
  ~Trainer();

  /// Reads every option (prefix -bsde_, plus -output_dir).  With -help, prints them.
  PetscErrorCode SetFromOptions();
  /// Builds the equation, the network, the work buffers and the input standardization,
  /// initializes the parameters, and resumes from -bsde_resume if given.
  PetscErrorCode SetUp();
  /// Trains until -bsde_iterations iterations are done (monitor lines, validation,
  /// periodic checkpoints; a final checkpoint and history if -bsde_save).
  PetscErrorCode Train();
  /// Trains at most `count` more iterations (tests); no final save.
  PetscErrorCode TrainIterations(long count);

  /// Training state (parameters, Adam moments, histories) -> HDF5 file (atomic).
  PetscErrorCode WriteCheckpoint(const std::string& path);
  /// Restores a checkpoint written by a run with the same equation, dimension, steps
  /// and network; `what` names the option in error messages.
  PetscErrorCode ReadCheckpoint(const std::string& path, const char* what);

  const TrainerOptions& Options() const { return opt_; }
  TrainerOptions& MutableOptions() { return opt_; }  ///< between SetFromOptions and SetUp
  const Equation& Eq() const { return *eq_; }
  BsdeModel& Model() { return *model_; }
  long Iteration() const { return iteration_; }
  double U0() const { return model_->Y0(); }
  /// Reference u(0, x0) and trivial answer (exact, or Monte Carlo for the latter).
  bool HasReference() const { return eq_->HasReference(); }
  double Reference() const { return eq_->Reference(); }
  double TrivialAnswer() const { return trivial_; }
  /// The project's own reference by the radial PDE solver (radial.hpp) and the answer of
  /// the same equation without its nonlinear term, for radially symmetric set-ups (the
  /// monitor computes them in SetUp() unless -bsde_radial_reference false).  Returns false
  /// if the set-up is not radial.  Pure computation, the same on every rank.
  PetscErrorCode ComputeRadialReference(bool* available);
  bool HasRadialReference() const { return has_radial_; }
  const RadialResult& RadialReference() const { return radial_; }
  const RadialResult& RadialLinear() const { return radial_linear_; }
  /// What the nonlinear term contributes to u(0, x0): reference minus linear answer.
  double NonlinearContribution() const { return radial_.value - radial_linear_.value; }
  const std::vector<double>& LossHistory() const { return loss_history_; }
  const std::vector<ValidationRecord>& ValidationHistory() const { return valid_history_; }
  /// Flat parameter vector (Y_0 first).
  const Vector& Params() const { return model_->Params(); }
  /// Loss of the current parameters on the fixed validation batch (collective).
  PetscErrorCode ValidationLoss(double* loss);
  /// Re-estimates u(0,x0) with the learned Z on `samples` fresh paths (split over the
  /// ranks): solves the Monte Carlo mean of Y_N(y0) - g(X_N) = 0 for y0 by Newton's method
  /// and returns it with its standard error.  The trained Y_0 is the same quantity
  /// estimated by SGD on the training batches; the two agree within the errors when
  /// training has converged.  Collective.
  PetscErrorCode MonteCarloU0(long samples, double* u0, double* std_error);
  /// Wall time of the training steps of this run (without validation and I/O) per iteration.
  double SecondsPerIteration() const {
    return iteration_ > start_iteration_
               ? step_seconds_ / static_cast<double>(iteration_ - start_iteration_)
               : 0;
  }
  /// Share of SecondsPerIteration() spent in the gradient allreduce of this rank (waiting
  /// for the slowest rank included).
  double AllreduceShare() const {
    return step_seconds_ > 0 ? allreduce_seconds_ / step_seconds_ : 0;
  }
  /// True when training was stopped early by SIGTERM/SIGUSR1 (a checkpoint was written).
  bool Interrupted() const { return stop_; }
  /// Wall time of training so far, including that of the run a checkpoint came from.
  double Elapsed() const;
  /// <-output_dir>/<name>.
  std::string OutputPath(const char* name) const;

 private:
  PetscErrorCode PrintSetUp(int N, SdeScheme sde, BackwardScheme backward,
                            const std::string& resume) const;
  PetscErrorCode Step();
  PetscErrorCode Validate();
  PetscErrorCode WriteHistoryCsv(const std::string& path) const;
  PetscErrorCode PrintRadialReference() const;
  PetscErrorCode PrintDone() const;
  PetscErrorCode PrintPeakMemory() const;

  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  TrainerOptions opt_;
  std::unique_ptr<Equation> eq_;
  std::unique_ptr<BsdeModel> model_;
  nn::Adam adam_;
  BsdeBatch train_, valid_;
  uint64_t train_first_ = 0, valid_first_ = 0;
  Vector grad_;  ///< P gradient entries, the loss and the Y_0 curvature (one allreduce)
  double trivial_ = 0;
  bool trivial_exact_ = false;
  bool has_radial_ = false;
  RadialResult radial_, radial_linear_;
  long iteration_ = 0, start_iteration_ = 0;
  double step_seconds_ = 0, allreduce_seconds_ = 0, seconds_offset_ = 0, train_start_ = 0,
         loss_since_record_ = 0;
  std::string last_checkpoint_;
  long last_checkpoint_iteration_ = 0;
  long iterations_since_record_ = 0;
  std::vector<double> loss_history_;
  std::vector<ValidationRecord> valid_history_;
  bool setup_ = false;
  bool stop_ = false;  ///< a stop signal (SIGTERM/SIGUSR1) reached some rank; agreed in Step()
  double last_mc_loss_ = 0;  ///< Var(Y_N - g) of the last MonteCarloU0
};

}  // namespace udeflow::bsde
