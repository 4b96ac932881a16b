#include "udeflow/train/trainer.hpp"

#include <petsctao.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/session.hpp"
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
  PetscCall(UdeOptionsPositiveInt("-obs_stride", "Snapshots between observations", &obs_stride_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-seed", "Seed of the batch sampling", &seed_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-checkpoint_every", "Write the training state every N iterations (0: end only)",
                                     &checkpoint_every_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-monitor_every", "Print a monitor line every N iterations", &monitor_every_, nullptr));
  PetscCall(UdeOptionsString("-resume", "Continue from this training-state file", &resume_, nullptr));
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
    PetscCheck((PetscInt)t.size() > window_max_ * obs_stride_, comm_, PETSC_ERR_USER_INPUT,
               "option -train_window_max/-train_window: %" PetscInt_FMT " observations every %" PetscInt_FMT
               " snapshots need more than the %zu snapshots of '%s'",
               window_max_, obs_stride_, t.size(), trajs[id].name.c_str());
    std::vector<Vec> states(t.size());
    for (size_t k = 0; k < t.size(); ++k) {
      PetscCall(DMCreateGlobalVector(physics_->Grid(), &states[k]));
      PetscCall(dataset_->ReadState(id, static_cast<PetscInt>(k), *physics_, states[k]));
    }
    states_.push_back(std::move(states));
    times_.push_back(std::move(t));
    scenarios_.push_back(std::move(sc));
  }
  PetscFunctionReturn(0);
}

PetscInt Trainer::WindowAt(long long it) const {
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
    DataMisfit obs(&data, 1.0 / (static_cast<double>(windows.size()) * W),
                   loss_ == "huber" ? DataMisfit::Kind::kHuber : DataMisfit::Kind::kMse, huber_delta_);
    PetscCall(physics_->SetScenario(scenarios_[w.traj]));
    PetscReal l;
    const PetscReal t0 = times_[w.traj][w.start];
    Vec u0 = states_[w.traj][w.start];
    PetscErrorCode ierr = grad ? integrator_->Gradient(t0, u0, times, &obs, &l, g.data())
                               : integrator_->Forward(t0, u0, times, &obs, &l);
    if (ierr == PETSC_ERR_NOT_CONVERGED && tolerate_divergence_) {
      // A blown-up solve (a TAO line-search trial) is an infinite loss, seen by every group.
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
  PetscCall(PetscPrintf(comm_, "train %6lld  loss %.6e  |grad| %.3e  lr %.2e  window %3" PetscInt_FMT "  %8.2f s\n", it,
                        loss, gnorm, lr, W, seconds));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Run(const std::string& checkpoint_path, TrainResult* result) {
  PetscFunctionBeginUser;
  if (optimizer_ == "tao") PetscCall(RunTao(result));
  else PetscCall(RunAdam(checkpoint_path, result));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::RunAdam(const std::string& checkpoint_path, TrainResult* result) {
  PetscFunctionBeginUser;
  const PetscInt P = physics_->NumParams();
  std::vector<double> theta(P), grad;
  PetscCall(physics_->GetParams(theta.data()));
  adam_ = nn::Adam(P, adam_config_);
  long long it0 = 0;
  if (!init_.empty()) {
    PetscCall(LoadModel(comm_, init_, "option -train_init", *physics_));
    PetscCall(physics_->GetParams(theta.data()));
  }
  if (!resume_.empty()) {
    PetscCall(LoadState(resume_, "option -train_resume", &it0, &theta));
    PetscCall(PetscPrintf(comm_, "train: resuming from %s at iteration %lld\n", resume_.c_str(), it0));
  }
  PetscLogDouble start, now;
  PetscCall(PetscTime(&start));
  double loss = 0;
  long long it = it0;
  for (; it < iterations_; ++it) {
    const PetscInt W = WindowAt(it);
    PetscCall(LossAndGradient(BatchAt(it, W), W, theta, &loss, &grad));
    const double gnorm = std::sqrt(std::inner_product(grad.begin(), grad.end(), grad.begin(), 0.0));
    PetscCheck(std::isfinite(loss) && std::isfinite(gnorm), comm_, PETSC_ERR_NOT_CONVERGED,
               "training diverged at iteration %lld (loss %g); lower -train_lr", it, loss);
    const double lr = lr_.At(it);
    Eigen::Map<Eigen::VectorXd> th(theta.data(), P);
    PetscCallCXX(adam_.Step(th, Eigen::Map<const Eigen::VectorXd>(grad.data(), P), lr));
    PetscCall(PetscTime(&now));
    if (it % monitor_every_ == 0 || it + 1 == iterations_) PetscCall(Monitor(it, loss, gnorm, lr, W, now - start));
    if (!checkpoint_path.empty() && checkpoint_every_ > 0 && (it + 1) % checkpoint_every_ == 0)
      PetscCall(SaveState(checkpoint_path, it + 1, theta));
  }
  if (!checkpoint_path.empty()) PetscCall(SaveState(checkpoint_path, it, theta));
  PetscCall(physics_->SetParams(theta.data()));
  PetscCall(PetscTime(&now));
  result->iterations = it;
  result->loss = loss;
  result->seconds = now - start;
  result->theta = theta;
  PetscFunctionReturn(0);
}

namespace {

struct TaoCtx {
  Trainer* trainer;
  std::vector<Window> windows;
  PetscInt W;
  PetscInt P;
  MPI_Comm comm;
  PetscLogDouble start;
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
  PetscCall(c->trainer->LossAndGradient(c->windows, c->W, theta, &loss, &grad));
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
  PetscCall(PetscPrintf(c->comm, "train %6" PetscInt_FMT "  loss %.6e  |grad| %.3e  step %.2e  window %3" PetscInt_FMT
                        "  %8.2f s\n",
                        its, f, gnorm, xdiff, c->W, now - c->start));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::RunTao(TrainResult* result) {
  PetscFunctionBeginUser;
  const PetscInt P = physics_->NumParams();
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  if (!init_.empty()) PetscCall(LoadModel(comm_, init_, "option -train_init", *physics_));
  std::vector<double> theta(P);
  PetscCall(physics_->GetParams(theta.data()));
  TaoCtx ctx{this, Tiling(window_), window_, P, comm_, 0};
  PetscCall(PetscTime(&ctx.start));
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
  PetscCall(TaoSetMaximumIterations(tao, iterations_));
  PetscCall(TaoSetMonitor(tao, TaoMonitorLine, &ctx, nullptr));
  PetscCall(TaoSetFromOptions(tao));
  tolerate_divergence_ = true;
  PetscErrorCode ierr = TaoSolve(tao);
  tolerate_divergence_ = false;
  PetscCall(ierr);
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
  PetscLogDouble now;
  PetscCall(PetscTime(&now));
  result->iterations = its;
  result->loss = f;
  result->seconds = now - ctx.start;
  result->theta = theta;
  PetscCall(TaoDestroy(&tao));
  PetscCall(VecDestroy(&x));
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
  PetscCheck((PetscInt)theta->size() == physics_->NumParams(), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' has %zu parameters, the case's closure %" PetscInt_FMT, what, path.c_str(), theta->size(),
             physics_->NumParams());
  PetscCall(f.ReadArray("/adam_m", &dims, &m));
  PetscCall(f.ReadArray("/adam_v", &dims, &v));
  PetscCallCXX(adam_.SetState(Eigen::Map<Eigen::VectorXd>(m.data(), m.size()),
                              Eigen::Map<Eigen::VectorXd>(v.data(), v.size()), steps));
  PetscCall(physics_->SetParams(theta->data()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
