#include "udeflow/train/trainer.hpp"

#include <petsctao.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/observers.hpp"

namespace udeflow::train {

Trainer::Trainer(pde::Physics* physics, adjoint::Integrator* integrator, const io::Dataset* dataset,
                 const TrainGroups* groups)
    : physics_(physics), integrator_(integrator), dataset_(dataset) {
  comm_ = PetscObjectComm((PetscObject)physics->Grid());
  if (groups && groups->count > 1) {
    comm_ = groups->world;
    across_ = groups->across;
    group_ = groups->id;
    ngroups_ = groups->count;
  }
  lr_.lr = 1e-3;
}

PetscErrorCode TrainGroups::Create(MPI_Comm w) {
  PetscFunctionBeginUser;
  world = w;
  int size, rank;
  PetscCallMPI(MPI_Comm_size(w, &size));
  PetscCallMPI(MPI_Comm_rank(w, &rank));
  PetscInt g = 1;
  PetscOptionsBegin(w, "train_", "Ensemble parallelism", "train");
  PetscCall(UdeOptionsNonNegativeInt(
      "-groups", "Rank groups sharing the windows of a batch (0: one per rank)", &g, nullptr));
  PetscOptionsEnd();
  if (g == 0) g = size;
  PetscCheck(size % g == 0, w, PETSC_ERR_USER_INPUT,
             "option -train_groups: %" PetscInt_FMT " groups do not divide %d MPI ranks", g, size);
  count = static_cast<int>(g);
  const int per = size / count;
  id = rank / per;
  PetscCallMPI(MPI_Comm_split(w, id, rank, &group));
  PetscCallMPI(MPI_Comm_split(w, rank % per, rank, &across));
  PetscFunctionReturn(0);
}

PetscErrorCode TrainGroups::Destroy() {
  PetscFunctionBeginUser;
  if (group != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&group));
  if (across != MPI_COMM_NULL) PetscCallMPI(MPI_Comm_free(&across));
  PetscFunctionReturn(0);
}

Trainer::~Trainer() {
  for (auto* set : {&states_, &colloc_u_, &colloc_du_})
    for (auto& traj : *set)
      for (Vec& v : traj) VecDestroy(&v);
  VecDestroy(&all_);
  VecScatterDestroy(&to_all_);
}

// Window growth and the staged window schedule (-train_window_schedule[_iterations]).
PetscErrorCode Trainer::CheckWindowSchedule(bool sched_set, bool sched_it_set) {
  PetscFunctionBeginUser;
  if (window_max_ < window_) window_max_ = window_;
  PetscCheck(!sched_set || !schedule_.empty(), comm_, PETSC_ERR_USER_INPUT,
             "option -train_window_schedule: empty list");
  for (size_t i = 0; i < schedule_.size(); ++i) {
    PetscCheck(schedule_[i] > 0, comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_schedule: values must be positive (got %" PetscInt_FMT ")",
               schedule_[i]);
    PetscCheck(i == 0 || schedule_[i] > schedule_[i - 1], comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_schedule: values must be increasing (%" PetscInt_FMT
               " follows %" PetscInt_FMT ")",
               schedule_[i], schedule_[i - 1]);
  }
  if (!schedule_.empty()) {
    PetscCheck(
        sched_it_set &&
            (schedule_iterations_.size() == 1 || schedule_iterations_.size() == schedule_.size()),
        comm_, PETSC_ERR_USER_INPUT,
        "option -train_window_schedule_iterations: give one value or one per stage (%zu stages)",
        schedule_.size());
    for (PetscInt n : schedule_iterations_)
      PetscCheck(n > 0, comm_, PETSC_ERR_USER_INPUT,
                 "option -train_window_schedule_iterations: values must be positive");
    if (schedule_iterations_.size() == 1)
      schedule_iterations_.assign(schedule_.size(), schedule_iterations_[0]);
    if (!Shooting()) {
      window_ = schedule_.front();
      window_max_ = schedule_.back();
    }
  }
  PetscFunctionReturn(0);
}

// -train_method and the options of collocation and the prediction-error method.  Without
// -train_method the method follows -train_shooting_segments (0: windows, 1: shooting, more:
// multiple shooting), as before the option existed.
PetscErrorCode Trainer::MethodOptionsFromOptions(bool segments_set) {
  PetscFunctionBeginUser;
  PetscBool method_set = PETSC_FALSE;
  method_ = segments_ == 0 ? "windows" : segments_ == 1 ? "shooting" : "multiple_shooting";
  PetscOptionsBegin(comm_, "train_", "Training method", "train");
  PetscCall(UdeOptionsChoice(
      "-method",
      "windows | shooting (single, trainable u0) | multiple_shooting (-train_shooting_segments "
      "S >= 2) | collocation (fit f to the smoothed data's derivative, no solve) | pem "
      "(prediction-error method: single shooting of f + K (y - u), K -> 0)",
      {"windows", "shooting", "multiple_shooting", "collocation", "pem"}, &method_, &method_set));
  PetscCall(UdeOptionsNonNegativeInt(
      "-init_collocation", "The first N of -train_iterations fit by collocation (then the method)",
      &init_collocation_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-collocation_bandwidth",
      "Kernel smoother bandwidth in time units (0: leave-one-out cross-validation)",
      &colloc_bandwidth_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-collocation_trim", "Fraction of each trajectory's snapshots left out at each end",
      &colloc_trim_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-pem_gain", "PEM: observer gain K at iteration 0",
                                      &pem_gain_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-pem_gain_iterations",
      "PEM: K decreases linearly to 0 over these iterations (0: half of -train_iterations)",
      &pem_gain_iterations_, nullptr));
  PetscCall(UdeOptionsChoice(
      "-pem_schedule",
      "PEM: K falls linearly to 0, or geometrically to -train_pem_gain_min (then 0) over "
      "-train_pem_gain_iterations",
      {"linear", "geometric"}, &pem_schedule_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-pem_gain_min", "PEM geometric schedule: the last nonzero K",
                                   &pem_gain_min_, nullptr));
  PetscOptionsEnd();
  PetscCheck(colloc_trim_ < 0.5, comm_, PETSC_ERR_USER_INPUT,
             "option -train_collocation_trim: %g leaves no snapshot (must be below 0.5)",
             (double)colloc_trim_);
  if (method_set) {
    const bool shooting = method_ == "shooting" || method_ == "pem";
    if (shooting) {
      PetscCheck(!segments_set || segments_ == 1, comm_, PETSC_ERR_USER_INPUT,
                 "option -train_shooting_segments: -train_method %s is single shooting (1 "
                 "segment); use -train_method multiple_shooting for %" PetscInt_FMT,
                 method_.c_str(), segments_);
      segments_ = 1;
    } else if (method_ == "multiple_shooting") {
      PetscCheck(segments_ >= 2, comm_, PETSC_ERR_USER_INPUT,
                 "option -train_method multiple_shooting: give -train_shooting_segments S >= 2");
    } else {
      PetscCheck(!segments_set || segments_ == 0, comm_, PETSC_ERR_USER_INPUT,
                 "option -train_shooting_segments: not used by -train_method %s", method_.c_str());
    }
  }
  if (pem_gain_iterations_ == 0) pem_gain_iterations_ = std::max<PetscInt>(1, iterations_ / 2);
  PetscCheck(init_collocation_ == 0 || method_ != "collocation", comm_, PETSC_ERR_USER_INPUT,
             "option -train_init_collocation: the method is collocation already");
  PetscCheck(init_collocation_ <= iterations_, comm_, PETSC_ERR_USER_INPUT,
             "option -train_init_collocation: %" PetscInt_FMT
             " exceeds -train_iterations %" PetscInt_FMT " (it counts within them)",
             init_collocation_, iterations_);
  PetscFunctionReturn(0);
}

double Trainer::PemGainAt(long long it) const {
  if (method_ != "pem" || it < 0) return 0.0;
  const double done = static_cast<double>(it - init_collocation_);
  const double f = std::max(0.0, done) / pem_gain_iterations_;  // fraction of the decay done
  if (f >= 1.0) return 0.0;
  if (pem_schedule_ == "geometric" && pem_gain_ > pem_gain_min_)
    return pem_gain_ * std::pow(pem_gain_min_ / pem_gain_, f);
  return pem_gain_ * (1.0 - f);
}

// Windows, their growth and schedule, shooting and batches (-train_window*, -train_shooting_*,
// -train_batch_*).
PetscErrorCode Trainer::WindowOptionsFromOptions() {
  PetscFunctionBeginUser;
  PetscBool sched_set = PETSC_FALSE, sched_it_set = PETSC_FALSE, segments_set = PETSC_FALSE;
  PetscOptionsBegin(comm_, "train_", "Training windows, shooting and batches", "train");
  PetscCall(
      UdeOptionsPositiveInt("-window", "Observations per window (initial)", &window_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-window_max", "Largest window when growing (0: no growth)",
                                     &window_max_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-window_grow_every", "Grow the window every N iterations",
                                     &window_grow_every_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-window_step", "Observations added per growth", &window_step_,
                                  nullptr));
  PetscCall(UdeOptionsIntList(
      "-window_schedule",
      "Window lengths (shooting: horizons in snapshots) of successive stages, increasing",
      &schedule_, 256, &sched_set));
  PetscCall(UdeOptionsIntList("-window_schedule_iterations",
                              "Iterations of each stage (one value: every stage)",
                              &schedule_iterations_, 256, &sched_it_set));
  PetscCall(UdeOptionsNonNegativeInt(
      "-shooting_segments",
      "Multiple shooting with S segments per trajectory (1: single shooting; 0: windows)",
      &segments_, &segments_set));
  PetscCall(UdeOptionsNonNegativeReal("-shooting_continuity",
                                      "Weight of the continuity penalty at segment nodes",
                                      &continuity_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-batch_trajectories",
                                     "Shooting: trajectories per Adam iteration (0: all)",
                                     &batch_trajectories_, nullptr));
  PetscCall(UdeOptionsChoice("-batch_reduce",
                             "Combine the losses of a batch by their mean or their sum",
                             {"mean", "sum"}, &batch_reduce_, nullptr));
  PetscOptionsEnd();
  PetscCall(MethodOptionsFromOptions(segments_set));
  PetscCall(CheckWindowSchedule(sched_set, sched_it_set));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::LmOptionsFromOptions() {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm_, "train_", "Levenberg-Marquardt (-train_optimizer lm)", "train");
  PetscCall(
      UdeOptionsPositiveReal("-lm_damping",
                             "Levenberg-Marquardt: initial damping mu (relative to the largest "
                             "diagonal entry of the Gauss-Newton matrix)",
                             &lm_damping_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-lm_gatol", "Levenberg-Marquardt: stop when the gradient norm is at most this", &lm_gatol_,
      nullptr));
  PetscCall(UdeOptionsChoice(
      "-lm_damping_update",
      "Levenberg-Marquardt: damping after an accepted step with gain ratio rho: fast (mu / 10 "
      "if rho > 0.75, / 2 if rho > 0.25, else kept) or trust (the same, but mu x 2 if rho <= "
      "0.25: poor steps shrink as in a trust region)",
      {"fast", "trust"}, &lm_update_, nullptr));
  PetscCall(UdeOptionsChoice(
      "-lm_acceleration",
      "Levenberg-Marquardt: none, or geodesic (add half the second-order correction along "
      "each step, from one more forward solve: for curved, narrow valleys)",
      {"none", "geodesic"}, &lm_accel_, nullptr));
  PetscCall(UdeOptionsChoice(
      "-lm_solve",
      "Levenberg-Marquardt: how a trial step is solved: normal (LDLT of J^T J + mu I) or qr "
      "(least squares on [J; sqrt(mu) I] by Householder QR: the condition of J, not its "
      "square, for the small damping of a near-zero residual)",
      {"normal", "qr"}, &lm_solve_, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-lm_acceleration_ratio",
      "Levenberg-Marquardt, geodesic: reject a step whose acceleration a and velocity v have "
      "2|a|/|v| above this",
      &lm_accel_ratio_, nullptr));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::SetFromOptions() {
  PetscFunctionBeginUser;
  std::string schedule = "constant";
  std::vector<PetscInt> milestones;
  PetscReal lr = lr_.lr, factor = lr_.factor, period = lr_.period, lr_min = lr_.lr_min;
  PetscReal clip = adam_config_.grad_clip, decay = adam_config_.weight_decay;
  // Giving -tao_type selects TAO unless -train_optimizer says otherwise.
  PetscBool tao_given = PETSC_FALSE;
  PetscCall(PetscOptionsHasName(nullptr, nullptr, "-tao_type", &tao_given));
  if (tao_given) optimizer_ = "tao";
  PetscOptionsBegin(comm_, "train_", "Training options", "train");
  PetscCall(UdeOptionsChoice("-optimizer",
                             "Optimizer: Adam on random batches, TAO (-tao_type) or "
                             "Levenberg-Marquardt (lm) on all windows",
                             {"adam", "tao", "lm"}, &optimizer_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-iterations", "Optimizer iterations", &iterations_, nullptr));
  PetscCall(UdeOptionsChoice("-loss",
                             "Misfit: mean squared error, or pseudo-Huber (~ mean absolute error)",
                             {"mse", "huber"}, &loss_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-huber_delta", "Pseudo-Huber: quadratic below this error",
                                   &huber_delta_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-time_weight",
      "Weight observation k of a window by (t_k - t_0)^p, mean weight 1 (0: equal weights)",
      &time_weight_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-batch", "Windows per Adam iteration", &batch_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-lr", "Adam learning rate", &lr, nullptr));
  PetscCall(UdeOptionsChoice("-lr_schedule", "Learning-rate schedule",
                             {"constant", "step", "exponential", "cosine"}, &schedule, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-lr_factor", "Step/exponential decay factor", &factor, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-lr_period", "Exponential decay period / cosine length (iterations)", &period, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-lr_min", "Cosine schedule floor", &lr_min, nullptr));
  PetscCall(UdeOptionsIntList("-lr_milestones", "Step schedule: iterations where lr *= factor",
                              &milestones, 64, nullptr));
  PetscCall(
      UdeOptionsNonNegativeReal("-grad_clip", "Clip the gradient 2-norm (0: off)", &clip, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-weight_decay", "Decoupled weight decay", &decay, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-lbfgs_iterations", "TAO L-BFGS (lmvm) iterations after Adam",
                                     &lbfgs_iterations_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-obs_stride", "Snapshots between observations", &obs_stride_,
                                  nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-seed", "Seed of the batch sampling", &seed_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-checkpoint_every",
                                     "Write the training state every N iterations (0: end only)",
                                     &checkpoint_every_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-monitor_every", "Print a monitor line every N iterations",
                                  &monitor_every_, nullptr));
  PetscCall(UdeOptionsString(
      "-resume",
      "Continue from this training-state file (latest: the newest in the output directory, if any)",
      &resume_, nullptr));
  PetscCall(
      UdeOptionsString("-init", "Start from the parameters of this model file", &init_, nullptr));
  PetscOptionsEnd();
  lr_.kind = nn::LearningRateSchedule::ParseKind(schedule);
  lr_.lr = lr;
  lr_.factor = factor;
  lr_.period = period;
  lr_.lr_min = lr_min;
  lr_.milestones.assign(milestones.begin(), milestones.end());
  adam_config_.grad_clip = clip;
  adam_config_.weight_decay = decay;
  PetscCall(WindowOptionsFromOptions());
  PetscCall(LmOptionsFromOptions());
  PetscCheck(time_weight_ == 0 || (method_ == "windows" && optimizer_ != "lm"), comm_,
             PETSC_ERR_USER_INPUT,
             "option -train_time_weight: only with -train_method windows and -train_optimizer "
             "adam or tao (here %s, %s)",
             method_.c_str(), optimizer_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::SetUp() {
  PetscFunctionBeginUser;
  PetscCheck(physics_->NumParams() > 0, comm_, PETSC_ERR_USER_INPUT,
             "the model has no trainable parameters: set -closure_type mlp");
  const auto& trajs = dataset_->Trajectories();
  for (size_t i = 0; i < trajs.size(); ++i)
    if (trajs[i].split == "train") train_ids_.push_back(i);
  PetscCheck(!train_ids_.empty(), comm_, PETSC_ERR_USER_INPUT,
             "dataset '%s' has no training trajectories", dataset_->Path().c_str());
  for (size_t id : train_ids_) {
    std::vector<PetscReal> t;
    pde::Scenario sc;
    PetscCall(dataset_->ReadTimes(id, &t));
    PetscCall(dataset_->ReadScenario(id, &sc));
    PetscCall(physics_->SetScenario(sc));
    PetscCheck(
        Shooting() || method_ == "collocation" || (PetscInt)t.size() > window_max_ * obs_stride_,
        comm_, PETSC_ERR_USER_INPUT,
        "option -train_window_max/-train_window: %" PetscInt_FMT
        " observations every %" PetscInt_FMT " snapshots need more than the %zu snapshots of '%s'",
        window_max_, obs_stride_, t.size(), trajs[id].name.c_str());
    std::vector<Vec> states(t.size());
    for (size_t k = 0; k < t.size(); ++k) {
      PetscCall(DMCreateGlobalVector(physics_->Grid(), &states[k]));
      PetscCall(dataset_->ReadState(id, static_cast<PetscInt>(k), *physics_, states[k]));
    }
    if (Shooting()) {
      PetscCheck((PetscInt)t.size() > segments_, comm_, PETSC_ERR_USER_INPUT,
                 "option -train_shooting_segments: %" PetscInt_FMT
                 " segments need more than %zu snapshots in '%s'",
                 segments_, t.size(), trajs[id].name.c_str());
      if (!schedule_.empty())
        PetscCheck(schedule_.back() < (PetscInt)t.size(), comm_, PETSC_ERR_USER_INPUT,
                   "option -train_window_schedule: horizon %" PetscInt_FMT
                   " exceeds the last snapshot (%zu) of '%s'",
                   schedule_.back(), t.size() - 1, trajs[id].name.c_str());
    }
    states_.push_back(std::move(states));
    times_.push_back(std::move(t));
    scenarios_.push_back(std::move(sc));
  }
  if (method_ == "collocation" || init_collocation_ > 0) PetscCall(SetUpCollocation());
  PetscFunctionReturn(0);
}

PetscInt Trainer::ScheduleStage(long long it) const {
  long long end = 0;
  for (size_t i = 0; i < schedule_.size(); ++i) {
    end += schedule_iterations_[i];
    if (it < end) return static_cast<PetscInt>(i);
  }
  return static_cast<PetscInt>(schedule_.size()) - 1;
}

PetscInt Trainer::WindowAt(long long it) const {
  if (!schedule_.empty()) return schedule_[ScheduleStage(it)];
  if (window_grow_every_ <= 0) return window_;
  return std::min<PetscInt>(
      window_max_, window_ + window_step_ * static_cast<PetscInt>(it / window_grow_every_));
}

std::vector<Window> Trainer::BatchAt(long long it, PetscInt W) const {
  std::vector<Window> b(batch_);
  for (PetscInt i = 0; i < batch_; ++i) {
    const size_t traj = KeyedIndex(seed_, it, 2 * i, states_.size());
    const uint64_t starts = states_[traj].size() - W * obs_stride_;
    b[i] = {traj, static_cast<PetscInt>(KeyedIndex(seed_, it, 2 * i + 1, starts))};
  }
  return b;
}

std::vector<Window> Trainer::Tiling(PetscInt W) const {
  std::vector<Window> w;
  for (size_t traj = 0; traj < states_.size(); ++traj)
    for (PetscInt s = 0; s + W * obs_stride_ < (PetscInt)states_[traj].size(); s += W * obs_stride_)
      w.push_back({traj, s});
  return w;
}

PetscErrorCode Trainer::LossAndGradient(const std::vector<Window>& windows, PetscInt W,
                                        const AlignedVector<double>& theta, double* loss,
                                        std::vector<double>* grad) {
  PetscFunctionBeginUser;
  const PetscInt P = physics_->NumParams();
  PetscCall(physics_->BindParams(theta.data()));
  *loss = 0;
  if (grad) grad->assign(P, 0.0);
  std::vector<double> g(P);
  std::vector<Vec> data(W);
  std::vector<PetscReal> times(W);
  std::vector<double> time_weights;
  for (size_t i = 0; i < windows.size(); ++i) {
    if (static_cast<int>(i % ngroups_) != group_) continue;  // another group's window
    const Window& w = windows[i];
    for (PetscInt k = 0; k < W; ++k) {
      data[k] = states_[w.traj][w.start + (k + 1) * obs_stride_];
      times[k] = times_[w.traj][w.start + (k + 1) * obs_stride_];
    }
    const double per_batch =
        batch_reduce_ == "sum" ? 1.0 : 1.0 / static_cast<double>(windows.size());
    if (time_weight_ > 0) {  // (t_k - t_0)^p, normalized to mean 1 over the window
      const PetscReal t0 = times_[w.traj][w.start];
      double sum = 0;
      time_weights.resize(W);
      for (PetscInt k = 0; k < W; ++k)
        sum += time_weights[k] = std::pow(times[k] - t0, time_weight_);
      for (double& v : time_weights) v *= static_cast<double>(W) / sum;
    }
    DataMisfit obs(&data, per_batch / W,
                   loss_ == "huber" ? DataMisfit::Kind::kHuber : DataMisfit::Kind::kMse,
                   huber_delta_, time_weight_ > 0 ? &time_weights : nullptr);
    PetscCall(physics_->SetScenario(scenarios_[w.traj]));
    PetscReal l;
    const PetscReal t0 = times_[w.traj][w.start];
    Vec u0 = states_[w.traj][w.start];
    // A diverging solve makes the loss infinite (collective after the reductions):
    // Adam then stops with a message, TAO's line search backs off (TaoFG).
    PetscErrorCode ierr = grad ? integrator_->Gradient(t0, u0, times, &obs, &l, g.data())
                               : integrator_->Forward(t0, u0, times, &obs, &l);
    if (ierr == PETSC_ERR_NOT_CONVERGED) {
      SessionClearError();
      l = std::numeric_limits<double>::infinity();  // (PETSC_INFINITY is finite)
      std::fill(g.begin(), g.end(), 0.0);
    } else {
      PetscCall(ierr);
    }
    if (grad)
      for (PetscInt i = 0; i < P; ++i) (*grad)[i] += g[i];
    *loss += l;
  }
  if (ngroups_ > 1) {
    PetscCall(PetscLogEventBegin(LogEvents::allreduce, 0, 0, 0, 0));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, loss, 1, MPI_DOUBLE, MPI_SUM, across_));
    if (grad)
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad->data(), P, MPI_DOUBLE, MPI_SUM, across_));
    PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  }
  // The physics' penalty on theta (replicated: added once, after the reductions).
  *loss += physics_->ParamPenalty(theta.data(), grad ? grad->data() : nullptr);
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Monitor(long long it, double loss, double gnorm, double lr, PetscInt W,
                                double seconds) const {
  PetscFunctionBeginUser;
  char gain[32] = "";  // PEM: the observer gain of this iteration
  if (method_ == "pem" && it >= 0) snprintf(gain, sizeof gain, "  K %.2e", PemGainAt(it));
  PetscCall(PetscPrintf(
      comm_, "train %6lld  loss %.6e  |grad| %.3e  lr %.2e  %s %3" PetscInt_FMT "%s  %8.2f s\n", it,
      loss, gnorm, lr,
      CollocationAt(it) ? "colloc "
      : Shooting()      ? "horizon"
                        : "window",
      W, gain, seconds));
  PetscFunctionReturn(0);
}

PetscInt Trainer::NumTrainable() const {
  PetscInt n = physics_->NumParams();
  if (Shooting() && !states_.empty()) {
    PetscInt N;
    VecGetSize(states_[0][0], &N);
    n += static_cast<PetscInt>(states_.size()) * segments_ * N;
  }
  return n;
}

PetscErrorCode Trainer::Objective(long long it, const AlignedVector<double>& x, double* loss,
                                  std::vector<double>* grad) {
  PetscFunctionBeginUser;
  if (CollocationAt(it)) {
    PetscCall(CollocationLossAndGradient(x, loss, grad));
    PetscFunctionReturn(0);
  }
  // Window and horizon schedules start after the collocation stage.
  const long long its = it >= 0 ? it - init_collocation_ : it;
  if (Shooting()) {
    std::vector<size_t> trajs;
    if (it >= 0)
      trajs = TrajectoryBatch(it);
    else
      for (size_t j = 0; j < states_.size(); ++j) trajs.push_back(j);
    gain_ = PemGainAt(it);
    PetscErrorCode ierr = ShootingLossAndGradient(trajs, HorizonAt(its), x, loss, grad);
    gain_ = 0;
    integrator_->SetNudging(0, nullptr, nullptr);
    PetscCall(ierr);
  } else if (it >= 0) {
    const PetscInt W = WindowAt(its);
    PetscCall(LossAndGradient(BatchAt(it, W), W, x, loss, grad));
  } else {
    const PetscInt W =
        adam_done_ > init_collocation_ ? WindowAt(adam_done_ - 1 - init_collocation_) : window_;
    PetscCall(LossAndGradient(Tiling(W), W, x, loss, grad));
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
