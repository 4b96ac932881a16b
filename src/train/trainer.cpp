#include "udeflow/train/trainer.hpp"

#include <petsctao.h>

#include <climits>
#include <cmath>
#include <limits>
#include <numeric>

#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/train/case.hpp"
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
  PetscCall(UdeOptionsNonNegativeInt("-groups", "Rank groups sharing the windows of a batch (0: one per rank)", &g,
                                     nullptr));
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
  for (auto& traj : states_)
    for (Vec& v : traj) VecDestroy(&v);
  VecDestroy(&all_);
  VecScatterDestroy(&to_all_);
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
  PetscBool sched_set = PETSC_FALSE, sched_it_set = PETSC_FALSE;
  PetscOptionsBegin(comm_, "train_", "Training options", "train");
  PetscCall(UdeOptionsChoice("-optimizer", "Optimizer: Adam on random batches, or TAO (-tao_type) on all windows",
                             {"adam", "tao"}, &optimizer_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-iterations", "Optimizer iterations", &iterations_, nullptr));
  PetscCall(UdeOptionsChoice("-loss", "Misfit: mean squared error, or pseudo-Huber (~ mean absolute error)",
                             {"mse", "huber"}, &loss_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-huber_delta", "Pseudo-Huber: quadratic below this error", &huber_delta_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-batch", "Windows per Adam iteration", &batch_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-lr", "Adam learning rate", &lr, nullptr));
  PetscCall(UdeOptionsChoice("-lr_schedule", "Learning-rate schedule", {"constant", "step", "exponential", "cosine"},
                             &schedule, nullptr));
  PetscCall(UdeOptionsPositiveReal("-lr_factor", "Step/exponential decay factor", &factor, nullptr));
  PetscCall(UdeOptionsPositiveReal("-lr_period", "Exponential decay period / cosine length (iterations)", &period,
                                   nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-lr_min", "Cosine schedule floor", &lr_min, nullptr));
  PetscCall(UdeOptionsIntList("-lr_milestones", "Step schedule: iterations where lr *= factor", &milestones, 64,
                              nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-grad_clip", "Clip the gradient 2-norm (0: off)", &clip, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-weight_decay", "Decoupled weight decay", &decay, nullptr));
  PetscCall(UdeOptionsPositiveInt("-window", "Observations per window (initial)", &window_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-window_max", "Largest window when growing (0: no growth)", &window_max_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-window_grow_every", "Grow the window every N iterations", &window_grow_every_,
                                     nullptr));
  PetscCall(UdeOptionsPositiveInt("-window_step", "Observations added per growth", &window_step_, nullptr));
  PetscCall(UdeOptionsIntList("-window_schedule",
                              "Window lengths (shooting: horizons in snapshots) of successive stages, increasing",
                              &schedule_, 256, &sched_set));
  PetscCall(UdeOptionsIntList("-window_schedule_iterations", "Iterations of each stage (one value: every stage)",
                              &schedule_iterations_, 256, &sched_it_set));
  PetscCall(UdeOptionsNonNegativeInt("-shooting_segments",
                                     "Multiple shooting with S segments per trajectory (1: single shooting; 0: windows)",
                                     &segments_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-shooting_continuity", "Weight of the continuity penalty at segment nodes",
                                      &continuity_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-batch_trajectories", "Shooting: trajectories per Adam iteration (0: all)",
                                     &batch_trajectories_, nullptr));
  PetscCall(UdeOptionsChoice("-batch_reduce", "Combine the losses of a batch by their mean or their sum",
                             {"mean", "sum"}, &batch_reduce_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-lbfgs_iterations", "TAO L-BFGS (lmvm) iterations after Adam", &lbfgs_iterations_,
                                     nullptr));
  PetscCall(UdeOptionsPositiveInt("-obs_stride", "Snapshots between observations", &obs_stride_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-seed", "Seed of the batch sampling", &seed_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-checkpoint_every", "Write the training state every N iterations (0: end only)",
                                     &checkpoint_every_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-monitor_every", "Print a monitor line every N iterations", &monitor_every_, nullptr));
  PetscCall(UdeOptionsString("-resume", "Continue from this training-state file (latest: the newest in the output directory, if any)", &resume_, nullptr));
  PetscCall(UdeOptionsString("-init", "Start from the parameters of this model file", &init_, nullptr));
  PetscOptionsEnd();
  lr_.kind = nn::LearningRateSchedule::ParseKind(schedule);
  lr_.lr = lr;
  lr_.factor = factor;
  lr_.period = period;
  lr_.lr_min = lr_min;
  lr_.milestones.assign(milestones.begin(), milestones.end());
  adam_config_.grad_clip = clip;
  adam_config_.weight_decay = decay;
  if (window_max_ < window_) window_max_ = window_;
  PetscCheck(!sched_set || !schedule_.empty(), comm_, PETSC_ERR_USER_INPUT, "option -train_window_schedule: empty list");
  for (size_t i = 0; i < schedule_.size(); ++i) {
    PetscCheck(schedule_[i] > 0, comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_schedule: values must be positive (got %" PetscInt_FMT ")", schedule_[i]);
    PetscCheck(i == 0 || schedule_[i] > schedule_[i - 1], comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_schedule: values must be increasing (%" PetscInt_FMT " follows %" PetscInt_FMT ")",
               schedule_[i], schedule_[i - 1]);
  }
  if (!schedule_.empty()) {
    PetscCheck(sched_it_set && (schedule_iterations_.size() == 1 || schedule_iterations_.size() == schedule_.size()),
               comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_schedule_iterations: give one value or one per stage (%zu stages)", schedule_.size());
    for (PetscInt n : schedule_iterations_)
      PetscCheck(n > 0, comm_, PETSC_ERR_USER_INPUT, "option -train_window_schedule_iterations: values must be positive");
    if (schedule_iterations_.size() == 1) schedule_iterations_.assign(schedule_.size(), schedule_iterations_[0]);
    if (!Shooting()) {
      window_ = schedule_.front();
      window_max_ = schedule_.back();
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::SetUp() {
  PetscFunctionBeginUser;
  PetscCheck(physics_->NumParams() > 0, comm_, PETSC_ERR_USER_INPUT,
             "the model has no trainable parameters: set -closure_type mlp");
  const auto& trajs = dataset_->Trajectories();
  for (size_t i = 0; i < trajs.size(); ++i)
    if (trajs[i].split == "train") train_ids_.push_back(i);
  PetscCheck(!train_ids_.empty(), comm_, PETSC_ERR_USER_INPUT, "dataset '%s' has no training trajectories",
             dataset_->Path().c_str());
  for (size_t id : train_ids_) {
    std::vector<PetscReal> t;
    pde::Scenario sc;
    PetscCall(dataset_->ReadTimes(id, &t));
    PetscCall(dataset_->ReadScenario(id, &sc));
    PetscCall(physics_->SetScenario(sc));
    PetscCheck(Shooting() || (PetscInt)t.size() > window_max_ * obs_stride_, comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_max/-train_window: %" PetscInt_FMT " observations every %" PetscInt_FMT
               " snapshots need more than the %zu snapshots of '%s'",
               window_max_, obs_stride_, t.size(), trajs[id].name.c_str());
    std::vector<Vec> states(t.size());
    for (size_t k = 0; k < t.size(); ++k) {
      PetscCall(DMCreateGlobalVector(physics_->Grid(), &states[k]));
      PetscCall(dataset_->ReadState(id, static_cast<PetscInt>(k), *physics_, states[k]));
    }
    if (Shooting()) {
      PetscCheck((PetscInt)t.size() > segments_, comm_, PETSC_ERR_USER_INPUT,
                 "option -train_shooting_segments: %" PetscInt_FMT " segments need more than %zu snapshots in '%s'",
                 segments_, t.size(), trajs[id].name.c_str());
      if (!schedule_.empty())
        PetscCheck(schedule_.back() < (PetscInt)t.size(), comm_, PETSC_ERR_USER_INPUT,
                   "option -train_window_schedule: horizon %" PetscInt_FMT " exceeds the last snapshot (%zu) of '%s'",
                   schedule_.back(), t.size() - 1, trajs[id].name.c_str());
    }
    states_.push_back(std::move(states));
    times_.push_back(std::move(t));
    scenarios_.push_back(std::move(sc));
  }
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
  return std::min<PetscInt>(window_max_, window_ + window_step_ * static_cast<PetscInt>(it / window_grow_every_));
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
    for (PetscInt s = 0; s + W * obs_stride_ < (PetscInt)states_[traj].size(); s += W * obs_stride_) w.push_back({traj, s});
  return w;
}

PetscErrorCode Trainer::LossAndGradient(const std::vector<Window>& windows, PetscInt W, const std::vector<double>& theta,
                                        double* loss, std::vector<double>* grad) {
  PetscFunctionBeginUser;
  const PetscInt P = physics_->NumParams();
  PetscCall(physics_->SetParams(theta.data()));
  *loss = 0;
  if (grad) grad->assign(P, 0.0);
  std::vector<double> g(P);
  std::vector<Vec> data(W);
  std::vector<PetscReal> times(W);
  for (size_t i = 0; i < windows.size(); ++i) {
    if (static_cast<int>(i % ngroups_) != group_) continue;  // another group's window
    const Window& w = windows[i];
    for (PetscInt k = 0; k < W; ++k) {
      data[k] = states_[w.traj][w.start + (k + 1) * obs_stride_];
      times[k] = times_[w.traj][w.start + (k + 1) * obs_stride_];
    }
    const double per_batch = batch_reduce_ == "sum" ? 1.0 : 1.0 / static_cast<double>(windows.size());
    DataMisfit obs(&data, per_batch / W,
                   loss_ == "huber" ? DataMisfit::Kind::kHuber : DataMisfit::Kind::kMse, huber_delta_);
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
    if (grad) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad->data(), P, MPI_DOUBLE, MPI_SUM, across_));
    PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  }
  // The physics' penalty on theta (replicated: added once, after the reductions).
  *loss += physics_->ParamPenalty(theta.data(), grad ? grad->data() : nullptr);
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Monitor(long long it, double loss, double gnorm, double lr, PetscInt W, double seconds) const {
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(comm_, "train %6lld  loss %.6e  |grad| %.3e  lr %.2e  %s %3" PetscInt_FMT "  %8.2f s\n", it,
                        loss, gnorm, lr, Shooting() ? "horizon" : "window", W, seconds));
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

PetscErrorCode Trainer::Objective(long long it, const std::vector<double>& x, double* loss, std::vector<double>* grad) {
  PetscFunctionBeginUser;
  if (Shooting()) {
    std::vector<size_t> trajs;
    if (it >= 0) trajs = TrajectoryBatch(it);
    else
      for (size_t j = 0; j < states_.size(); ++j) trajs.push_back(j);
    PetscCall(ShootingLossAndGradient(trajs, HorizonAt(it), x, loss, grad));
  } else if (it >= 0) {
    const PetscInt W = WindowAt(it);
    PetscCall(LossAndGradient(BatchAt(it, W), W, x, loss, grad));
  } else {
    const PetscInt W = adam_done_ > 0 ? WindowAt(adam_done_ - 1) : window_;
    PetscCall(LossAndGradient(Tiling(W), W, x, loss, grad));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Run(const std::string& checkpoint_path, TrainResult* result) {
  PetscFunctionBeginUser;
  PetscCall(PetscTime(&start_));
  history_ = TrainHistory();
  const PetscInt P = physics_->NumParams();
  std::vector<double> x(NumTrainable());
  if (!init_.empty()) PetscCall(LoadModel(comm_, init_, "option -train_init", *physics_));
  PetscCall(physics_->GetParams(x.data()));
  if (Shooting()) PetscCall(InitialShootingStates(&x));
  adam_done_ = 0;
  if (optimizer_ == "tao") {
    PetscCall(RunTao(&x, iterations_, result));
  } else {
    PetscCall(RunAdam(checkpoint_path, &x, result));
    if (lbfgs_iterations_ > 0 && !result->interrupted) {
      PetscCall(PetscPrintf(comm_, "train: L-BFGS (TAO lmvm) after Adam, %" PetscInt_FMT " iterations\n",
                            lbfgs_iterations_));
      PetscCall(RunTao(&x, lbfgs_iterations_, result));
      result->iterations += adam_done_;
    }
  }
  PetscCall(physics_->SetParams(x.data()));
  PetscLogDouble now;
  PetscCall(PetscTime(&now));
  result->seconds = now - start_;
  result->theta.assign(x.begin(), x.begin() + P);
  result->shooting_states.assign(x.begin() + P, x.end());
  result->history = history_.Rows();
  // The whole history (Adam and L-BFGS rows); checkpoints wrote it up to their iteration.
  if (!checkpoint_path.empty() && !result->interrupted)
    PetscCall(history_.Write(comm_, TrainHistory::PathFor(checkpoint_path), LLONG_MAX));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::RunAdam(const std::string& checkpoint_path, std::vector<double>* x, TrainResult* result) {
  PetscFunctionBeginUser;
  const PetscInt P = NumTrainable();
  std::vector<double>& theta = *x;
  std::vector<double> grad;
  adam_ = nn::Adam(P, adam_config_);
  long long it0 = 0;
  StopSignalGuard stop_guard;  // SIGTERM/SIGUSR1: checkpoint at the end of the iteration, then stop
  if (resume_ == "latest") PetscCall(ResolveLatest(checkpoint_path));
  if (!resume_.empty()) {
    PetscCall(LoadState(resume_, "option -train_resume", &it0, &theta));
    PetscCall(PetscPrintf(comm_, "train: resuming from %s at iteration %lld\n", resume_.c_str(), it0));
  }
  PetscLogDouble start = start_, now;
  double loss = 0;
  long long it = it0;
  for (; it < iterations_; ++it) {
    const PetscInt W = Shooting() ? HorizonAt(it) : WindowAt(it);
    PetscCall(Objective(it, theta, &loss, &grad));
    const double gnorm = std::sqrt(std::inner_product(grad.begin(), grad.end(), grad.begin(), 0.0));
    PetscCheck(std::isfinite(loss) && std::isfinite(gnorm), comm_, PETSC_ERR_NOT_CONVERGED,
               "training diverged at iteration %lld (loss %g); lower -train_lr", it, loss);
    const double lr = lr_.At(it);
    Eigen::Map<Eigen::VectorXd> th(theta.data(), P);
    PetscCallCXX(adam_.Step(th, Eigen::Map<const Eigen::VectorXd>(grad.data(), P), lr));
    PetscCall(PetscTime(&now));
    if (it % monitor_every_ == 0 || it + 1 == iterations_) PetscCall(Monitor(it, loss, gnorm, lr, W, now - start));
    history_.Add({it, loss, gnorm, lr, (long long)W, now - start, TrainHistory::kAdam});
    if (iteration_hook_) PetscCall(iteration_hook_(it + 1, theta));
    if (!checkpoint_path.empty() && checkpoint_every_ > 0 && (it + 1) % checkpoint_every_ == 0)
      PetscCall(SaveState(checkpoint_path, it + 1, theta));
    bool stop;
    int sig;
    PetscCall(StopRequested(comm_, &stop, &sig));
    if (stop) {
      PetscCall(PetscPrintf(comm_, "train: %s received: stopping after iteration %lld, checkpoint %s (continue with -train_resume latest)\n",
                            StopSignalName(sig), it, checkpoint_path.c_str()));
      result->interrupted = true;
      ++it;
      break;
    }
  }
  if (!checkpoint_path.empty()) PetscCall(SaveState(checkpoint_path, it, theta));
  PetscCall(physics_->SetParams(theta.data()));
  adam_done_ = it;
  result->iterations = it;
  result->loss = loss;
  PetscFunctionReturn(0);
}

namespace {

struct TaoCtx {
  Trainer* trainer;
  PetscInt W;
  PetscInt P;
  MPI_Comm comm;
  PetscLogDouble start;
  TrainHistory* history;
  long long offset;
  PetscInt monitor_every;
  double last_loss = -1;  // last finite objective (< 0: none yet)
};

// theta lives on rank 0 of the TAO vector; every rank gets a replicated copy.
PetscErrorCode TaoFG(Tao, Vec x, PetscReal* f, Vec g, void* ctx) {
  PetscFunctionBeginUser;
  TaoCtx* c = static_cast<TaoCtx*>(ctx);
  std::vector<double> theta(c->P), grad;
  const PetscScalar* xa;
  PetscCall(VecGetArrayRead(x, &xa));
  int rank;
  PetscCallMPI(MPI_Comm_rank(c->comm, &rank));
  if (rank == 0) std::copy(xa, xa + c->P, theta.begin());
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCallMPI(MPI_Bcast(theta.data(), c->P, MPI_DOUBLE, 0, c->comm));
  double loss;
  PetscCall(c->trainer->Objective(-1, theta, &loss, &grad));
  if (!std::isfinite(loss)) {
    // A line-search trial whose solve blew up: report a much higher (finite: the
    // More-Thuente search cannot interpolate infinities) objective with zero slope, so the
    // search steps back instead of the run stopping.
    PetscCheck(c->last_loss >= 0, c->comm, PETSC_ERR_NOT_CONVERGED,
               "training diverged: the solve blows up at the initial parameters; lower -ts_dt or check the closure");
    PetscCall(PetscPrintf(c->comm, "train: trial step diverged; the line search steps back\n"));
    loss = 10 * c->last_loss + 1;
    grad.assign(c->P, 0.0);
  } else {
    c->last_loss = loss;
  }
  *f = loss;
  PetscScalar* ga;
  PetscCall(VecGetArray(g, &ga));
  if (rank == 0) std::copy(grad.begin(), grad.end(), ga);
  PetscCall(VecRestoreArray(g, &ga));
  PetscFunctionReturn(0);
}

PetscErrorCode TaoMonitorLine(Tao tao, void* ctx) {
  PetscFunctionBeginUser;
  TaoCtx* c = static_cast<TaoCtx*>(ctx);
  PetscInt its;
  PetscReal f, gnorm, cnorm, xdiff;
  TaoConvergedReason reason;
  PetscCall(TaoGetSolutionStatus(tao, &its, &f, &gnorm, &cnorm, &xdiff, &reason));
  PetscLogDouble now;
  PetscCall(PetscTime(&now));
  if (its % c->monitor_every == 0)
    PetscCall(PetscPrintf(c->comm, "train %6" PetscInt_FMT "  loss %.6e  |grad| %.3e  step %.2e  %s %3" PetscInt_FMT
                        "  %8.2f s\n",
                        (PetscInt)(its + c->offset), f, gnorm, xdiff, c->trainer->Shooting() ? "horizon" : "window", c->W,
                        now - c->start));
  c->history->Add({its + c->offset, f, gnorm, 0.0, (long long)c->W, now - c->start, TrainHistory::kLbfgs});
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::RunTao(std::vector<double>* x0, PetscInt iterations, TrainResult* result) {
  PetscFunctionBeginUser;
  const PetscInt P = NumTrainable();
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  std::vector<double>& theta = *x0;
  const PetscInt W = Shooting() ? HorizonAt(-1) : (adam_done_ > 0 ? WindowAt(adam_done_ - 1) : window_);
  TaoCtx ctx{this, W, P, comm_, start_, &history_, adam_done_, monitor_every_};
  Vec x;
  PetscCall(VecCreateMPI(comm_, rank == 0 ? P : 0, P, &x));
  PetscScalar* xa;
  PetscCall(VecGetArray(x, &xa));
  if (rank == 0) std::copy(theta.begin(), theta.end(), xa);
  PetscCall(VecRestoreArray(x, &xa));
  Tao tao;
  PetscCall(TaoCreate(comm_, &tao));
  PetscCall(TaoSetType(tao, TAOLMVM));
  PetscCall(TaoSetSolution(tao, x));
  PetscCall(TaoSetObjectiveAndGradient(tao, nullptr, TaoFG, &ctx));
  PetscCall(TaoSetMaximumIterations(tao, iterations));
  PetscCall(TaoSetMonitor(tao, TaoMonitorLine, &ctx, nullptr));
  PetscCall(TaoSetFromOptions(tao));
  PetscCall(TaoSolve(tao));
  TaoConvergedReason reason;
  PetscInt its;
  PetscReal f;
  PetscCall(TaoGetConvergedReason(tao, &reason));
  PetscCall(TaoGetSolutionStatus(tao, &its, &f, nullptr, nullptr, nullptr, nullptr));
  PetscCall(PetscPrintf(comm_, "train: TAO %s after %" PetscInt_FMT " iterations\n", TaoConvergedReasons[reason], its));
  PetscCall(VecGetArray(x, &xa));
  if (rank == 0) std::copy(xa, xa + P, theta.begin());
  PetscCall(VecRestoreArray(x, &xa));
  PetscCallMPI(MPI_Bcast(theta.data(), P, MPI_DOUBLE, 0, comm_));
  PetscCall(physics_->SetParams(theta.data()));
  result->iterations = its;
  result->loss = f;
  PetscCall(TaoDestroy(&tao));
  PetscCall(VecDestroy(&x));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::ResolveLatest(const std::string& checkpoint_path) {
  PetscFunctionBeginUser;
  const size_t slash = checkpoint_path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : checkpoint_path.substr(0, slash);
  std::string base = slash == std::string::npos ? checkpoint_path : checkpoint_path.substr(slash + 1);
  if (base.size() > 3 && base.compare(base.size() - 3, 3, ".h5") == 0) base.resize(base.size() - 3);
  PetscCall(io::ResolveResume(comm_, "latest", dir, base, &resume_));
  if (resume_.empty())
    PetscCall(PetscPrintf(comm_, "train: -train_resume latest: no checkpoint %s/%s*.h5 yet, starting from iteration 0\n",
                          dir.c_str(), base.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::SaveState(const std::string& path, long long iteration, const std::vector<double>& theta) const {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Create(comm_, path, &f));
  PetscCall(f.WriteAttr("/", "format", std::string("udeflow-train-state-1")));
  PetscCall(f.WriteAttr("/", "physics", std::string(physics_->Type())));
  PetscCall(f.WriteAttr("/", "description", physics_->Describe()));
  PetscCall(f.WriteAttr("/", "iteration", iteration));
  PetscCall(f.WriteAttr("/", "adam_steps", (long long)adam_.StepCount()));
  PetscCall(f.WriteAttr("/", "seed", (long long)seed_));
  PetscCall(f.WriteAttr("/", "rng", std::string("philox4x32: batch i of iteration it uses counters (it, 2i), (it, 2i+1)")));
  const hsize_t P = theta.size();
  PetscCall(f.WriteArray("/theta", {P}, theta.data()));
  PetscCall(f.WriteArray("/adam_m", {P}, adam_.FirstMoment().data()));
  PetscCall(f.WriteArray("/adam_v", {P}, adam_.SecondMoment().data()));
  PetscCall(f.Commit());
  PetscCall(history_.Write(comm_, TrainHistory::PathFor(path), iteration));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::LoadState(const std::string& path, const char* what, long long* iteration,
                                  std::vector<double>* theta) {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Open(comm_, path, what, &f));
  std::string format, type;
  PetscCheck(f.HasAttr("/", "format"), comm_, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is not a udeflow training state",
             what, path.c_str());
  PetscCall(f.ReadAttr("/", "format", &format));
  PetscCall(f.ReadAttr("/", "physics", &type));
  PetscCheck(format == "udeflow-train-state-1" && type == physics_->Type(), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not a training state of a %s model", what, path.c_str(), physics_->Type());
  long long steps, seed;
  PetscCall(f.ReadAttr("/", "iteration", iteration));
  PetscCall(f.ReadAttr("/", "adam_steps", &steps));
  PetscCall(f.ReadAttr("/", "seed", &seed));
  PetscCheck(seed == seed_, comm_, PETSC_ERR_USER_INPUT,
             "%s: '%s' was written with -train_seed %lld, this run uses %" PetscInt_FMT, what, path.c_str(), seed, seed_);
  std::vector<hsize_t> dims;
  std::vector<double> m, v;
  PetscCall(f.ReadArray("/theta", &dims, theta));
  PetscCheck((PetscInt)theta->size() == NumTrainable(), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' has %zu parameters, the case's closure (and shooting states) %" PetscInt_FMT, what, path.c_str(),
             theta->size(), NumTrainable());
  PetscCall(f.ReadArray("/adam_m", &dims, &m));
  PetscCall(f.ReadArray("/adam_v", &dims, &v));
  PetscCallCXX(adam_.SetState(Eigen::Map<Eigen::VectorXd>(m.data(), m.size()),
                              Eigen::Map<Eigen::VectorXd>(v.data(), v.size()), steps));
  PetscCall(physics_->SetParams(theta->data()));
  PetscCall(history_.Read(comm_, TrainHistory::PathFor(path), *iteration));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
