// The training loop of train::Trainer: the Adam and TAO phases, checkpoints, stop
// signals and bit-identical resume (trainer.cpp has the objective it minimizes).
#include <petsctao.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <numeric>

#include "udeflow/core/provenance.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/evaluation_log.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/train/trainer.hpp"

namespace udeflow::train {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// results/x/train_state.h5 -> results/x/train_state_tao.bin (a binary journal of the TAO
// solve's evaluations; it was train_state_tao.log until 2026-12-04, and a training state
// written then names that file, which a resume still reads)
std::string TaoLogPath(const std::string& checkpoint) {
  std::string stem = checkpoint;
  if (stem.size() > 3 && stem.compare(stem.size() - 3, 3, ".h5") == 0) stem.resize(stem.size() - 3);
  return stem + "_tao.bin";
}

// /history: iteration, phase, loss, grad_norm, lr, window (results, reproducible bit for bit);
// /history_seconds: the wall-clock time of each row (not).
constexpr int kHistoryColumns = 6;

}  // namespace

double Trainer::Elapsed() const {
  PetscLogDouble now;
  PetscTime(&now);
  return seconds_before_ + (now - start_);
}

PetscErrorCode Trainer::Run(const std::string& checkpoint_path, TrainResult* result) {
  PetscFunctionBeginUser;
  PetscCall(PetscTime(&start_));
  seconds_before_ = 0;
  history_ = TrainHistory();
  adam_ = nn::Adam(NumTrainable(), adam_config_);
  adam_done_ = 0;
  const PetscInt P = physics_->NumParams();
  // The start: -train_init, else the theta the physics reads (a previous run's), else the
  // physics' initialisation.
  AlignedVector<double> start(P);
  if (!init_.empty())
    PetscCall(LoadModel(comm_, init_, "option -train_init", *physics_, &start));
  else if (physics_->Params())
    std::copy(physics_->Params(), physics_->Params() + P, start.begin());
  else
    PetscCall(physics_->InitializeParams(start.data()));
  AlignedVector<double>& x = x_;  // theta (and the shooting node states): the trainer's own copy
  x.assign(NumTrainable(), 0.0);
  std::copy(start.begin(), start.end(), x.begin());
  PetscCall(physics_->BindParams(x.data()));
  if (Shooting()) PetscCall(InitialShootingStates(&x));
  StopSignalGuard stop_guard;  // SIGTERM/SIGUSR1: checkpoint at the end of the iteration, then stop
  if (resume_ == "latest") PetscCall(ResolveLatest(checkpoint_path));
  State resumed;
  const bool resuming = !resume_.empty();
  if (resuming) {
    PetscCall(LoadState(resume_, "option -train_resume", &resumed));
    x.assign(resumed.x.begin(), resumed.x.end());
    if (!history_.Rows().empty()) seconds_before_ = history_.Rows().back().seconds;
    result->iterations_before =
        resumed.adam_iterations + (resumed.phase != "adam" ? resumed.tao_iterations : 0);
    result->seconds_before = seconds_before_;
    if (resumed.phase == "lm")
      PetscCall(PetscPrintf(comm_,
                            "train: resuming from %s in the Levenberg-Marquardt phase at "
                            "iteration %lld\n",
                            resume_.c_str(), resumed.tao_iterations));
    else if (resumed.phase == "tao")
      PetscCall(PetscPrintf(comm_,
                            "train: resuming from %s in the TAO phase at iteration %lld (%lld "
                            "evaluations to replay)\n",
                            resume_.c_str(), resumed.tao_iterations, resumed.tao_evaluations));
    else
      PetscCall(
          PetscPrintf(comm_,
                      "train: resuming from %s at iteration %lld (-train_iterations %" PetscInt_FMT
                      " is the total: %lld to go)\n",
                      resume_.c_str(), resumed.adam_iterations, iterations_,
                      std::max(0LL, (long long)iterations_ - resumed.adam_iterations)));
  }
  PetscCheck(!resuming || resumed.phase != "lm" || optimizer_ == "lm", comm_, PETSC_ERR_USER_INPUT,
             "option -train_resume: '%s' is a Levenberg-Marquardt state: resume it with "
             "-train_optimizer lm",
             resume_.c_str());
  if (optimizer_ == "lm") {  // (a state saved in an Adam phase starts LM from its theta)
    adam_done_ = resuming ? resumed.adam_iterations : 0;
    PetscCall(RunLm(checkpoint_path, resuming && resumed.phase == "lm" ? &resumed : nullptr,
                    iterations_, result));
  } else if (optimizer_ == "tao") {  // (a state saved in an Adam phase starts TAO from its theta)
    PetscCall(RunTao(checkpoint_path, resuming && resumed.phase == "tao" ? &resumed : nullptr,
                     iterations_, result));
  } else {
    PetscCall(RunAdam(checkpoint_path, resuming ? &resumed : nullptr, result));
    if (lbfgs_iterations_ > 0 && !result->interrupted) {
      PetscCall(PetscPrintf(comm_,
                            "train: L-BFGS (TAO lmvm) after Adam, %" PetscInt_FMT " iterations\n",
                            lbfgs_iterations_));
      PetscCall(RunTao(checkpoint_path, resuming && resumed.phase == "tao" ? &resumed : nullptr,
                       lbfgs_iterations_, result));
      result->iterations += adam_done_;
    }
  }
  PetscCall(physics_->BindParams(x.data()));  // the trained theta (the trainer keeps it)
  result->seconds = Elapsed();
  result->theta.assign(x.begin(), x.begin() + P);
  result->shooting_states.assign(x.begin() + P, x.end());
  result->history = history_.Rows();
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::RunAdam(const std::string& checkpoint_path, const State* resumed,
                                TrainResult* result) {
  PetscFunctionBeginUser;
  const PetscInt P = NumTrainable();
  AlignedVector<double>& theta = x_;
  std::vector<double> grad;
  long long it0 = 0;
  double loss = 0;
  if (resumed) {
    it0 = resumed->adam_iterations;
    loss = resumed->last_loss;
    if (resumed->phase == "tao") {  // Adam was done: the TAO phase resumes
      adam_done_ = it0;
      result->iterations = it0;
      result->loss = loss;
      PetscFunctionReturn(0);
    }
  }
  State state;
  long long it = it0;
  for (; it < iterations_; ++it) {
    const long long its = it - init_collocation_;  // iteration of the method proper
    const PetscInt W = CollocationAt(it) ? 0 : Shooting() ? HorizonAt(its) : WindowAt(its);
    // Collocation then another method: the method starts with fresh Adam moments.
    if (init_collocation_ > 0 && it == init_collocation_)
      adam_ = nn::Adam(NumTrainable(), adam_config_);
    PetscCall(Objective(it, theta, &loss, &grad));
    const double gnorm = std::sqrt(std::inner_product(grad.begin(), grad.end(), grad.begin(), 0.0));
    PetscCheck(std::isfinite(loss) && std::isfinite(gnorm), comm_, PETSC_ERR_NOT_CONVERGED,
               "training diverged at iteration %lld (loss %g); lower -train_lr", it, loss);
    const double lr = lr_.At(it);
    Eigen::Map<Eigen::VectorXd> th(theta.data(), P);
    PetscCallCXX(adam_.Step(th, Eigen::Map<const Eigen::VectorXd>(grad.data(), P), lr));
    const double seconds = Elapsed();
    if (it % monitor_every_ == 0 || it + 1 == iterations_)
      PetscCall(Monitor(it, loss, gnorm, lr, W, seconds));
    history_.Add({it, loss, gnorm, lr, (long long)W, seconds, TrainHistory::kAdam});
    if (iteration_hook_) PetscCall(iteration_hook_(it + 1, theta.data()));
    bool stop;
    int sig;
    PetscCall(StopRequested(comm_, &stop, &sig));
    const bool periodic = checkpoint_every_ > 0 && (it + 1) % checkpoint_every_ == 0;
    if (!checkpoint_path.empty() && (periodic || stop)) {
      state.adam_iterations = it + 1;
      state.last_loss = loss;
      state.x.assign(theta.begin(), theta.end());
      PetscCall(SaveState(checkpoint_path, state));
    }
    if (stop) {
      PetscCall(PetscPrintf(comm_,
                            "train: %s received: stopping after iteration %lld, checkpoint %s "
                            "(continue with -train_resume latest)\n",
                            StopSignalName(sig), it, checkpoint_path.c_str()));
      result->interrupted = true;
      ++it;
      break;
    }
  }
  if (!checkpoint_path.empty() && !result->interrupted) {
    state.adam_iterations = it;
    state.last_loss = loss;
    state.x.assign(theta.begin(), theta.end());
    PetscCall(SaveState(checkpoint_path, state));
  }
  PetscCall(physics_->BindParams(theta.data()));
  adam_done_ = it;
  result->iterations = it;
  result->loss = loss;
  PetscFunctionReturn(0);
}

namespace {

struct TaoCtx {
  Trainer* trainer;
  AlignedVector<double>* x;  // the trainer's parameters: every evaluated point is copied there
  PetscInt W, P;
  MPI_Comm comm;
  TrainHistory* history;
  long long offset;  // history row of TAO iteration 0 (Adam iterations before)
  PetscInt monitor_every;
  EvaluationLog* log;      // nullptr: no checkpoints (no resume possible)
  long long resumed_its;   // iterations replayed from a checkpoint (-1: none)
  std::string checkpoint;  // where the training state goes ("" : nowhere)
  PetscInt checkpoint_every;
  Trainer::State state;  // phase tao; x0 set, the rest filled per checkpoint
  std::function<double()> elapsed;
  double last_loss = -1;  // last finite objective (< 0: none yet)
  bool interrupted = false;
};

// theta lives on rank 0 of the TAO vector; every rank gets a replicated copy.
PetscErrorCode TaoFG(Tao, Vec x, PetscReal* f, Vec g, void* ctx) {
  PetscFunctionBeginUser;
  TaoCtx* c = static_cast<TaoCtx*>(ctx);
  AlignedVector<double>& theta = *c->x;
  std::vector<double> grad;
  const PetscScalar* xa;
  PetscCall(VecGetArrayRead(x, &xa));
  int rank;
  PetscCallMPI(MPI_Comm_rank(c->comm, &rank));
  if (rank == 0) std::copy(xa, xa + c->P, theta.begin());
  PetscCall(VecRestoreArrayRead(x, &xa));
  PetscCallMPI(MPI_Bcast(theta.data(), c->P, MPI_DOUBLE, 0, c->comm));
  double loss;
  if (c->log && c->log->Replaying()) {
    grad.resize(c->P);  // filled on rank 0
    PetscCall(c->log->Replay(theta.data(), &loss, grad.data()));
  } else {
    PetscCall(c->trainer->Objective(-1, theta, &loss, &grad));
    if (c->log) PetscCall(c->log->Append(theta.data(), loss, grad.data()));
  }
  if (!std::isfinite(loss)) {
    // A line-search trial whose solve blew up: report a much higher (finite: the
    // More-Thuente search cannot interpolate infinities) objective with zero slope, so the
    // search steps back instead of the run stopping.
    PetscCheck(c->last_loss >= 0, c->comm, PETSC_ERR_NOT_CONVERGED,
               "training diverged: the solve blows up at the initial parameters; lower -ts_dt or "
               "check the closure");
    if (!(c->log && c->log->Replaying()))
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
  if (its <= c->resumed_its)
    PetscFunctionReturn(0);  // replayed: its row is in the restored history
  const double seconds = c->elapsed();
  if (its % c->monitor_every == 0)
    PetscCall(PetscPrintf(c->comm,
                          "train %6" PetscInt_FMT
                          "  loss %.6e  |grad| %.3e  step %.2e  %s %3" PetscInt_FMT "  %8.2f s\n",
                          (PetscInt)(its + c->offset), f, gnorm, xdiff,
                          c->trainer->Shooting() ? "horizon" : "window", c->W, seconds));
  c->history->Add({its + c->offset, f, gnorm, 0.0, (long long)c->W, seconds, TrainHistory::kLbfgs});
  bool stop;
  int sig;
  PetscCall(StopRequested(c->comm, &stop, &sig));
  const bool periodic = c->checkpoint_every > 0 && its > 0 && its % c->checkpoint_every == 0;
  if (c->log && !c->checkpoint.empty() && (periodic || stop)) {
    PetscCall(c->log->Sync());
    Vec xv;
    PetscCall(TaoGetSolution(tao, &xv));
    const PetscScalar* xa;
    int rank;
    PetscCallMPI(MPI_Comm_rank(c->comm, &rank));
    c->state.x.assign(c->P, 0.0);  // rank 0 writes the state file
    PetscCall(VecGetArrayRead(xv, &xa));
    if (rank == 0) std::copy(xa, xa + c->P, c->state.x.begin());
    PetscCall(VecRestoreArrayRead(xv, &xa));
    c->state.tao_iterations = its;
    c->state.tao_evaluations = c->log->Count();
    c->state.last_loss = f;
    PetscCall(c->trainer->SaveState(c->checkpoint, c->state));
  }
  if (stop) {
    PetscCall(PetscPrintf(c->comm,
                          "train: %s received: stopping after iteration %lld, checkpoint %s "
                          "(continue with -train_resume latest)\n",
                          StopSignalName(sig), its + c->offset, c->checkpoint.c_str()));
    PetscCall(TaoSetConvergedReason(tao, TAO_CONVERGED_USER));
    c->interrupted = true;
  }
  PetscFunctionReturn(0);
}

}  // namespace

namespace {

// TAO's solution vector: all entries on rank 0 (the replicated theta's copy there).
PetscErrorCode RootVectorFrom(MPI_Comm comm, const AlignedVector<double>& theta, Vec* x) {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  const PetscInt P = static_cast<PetscInt>(theta.size());
  PetscCall(VecCreateMPI(comm, rank == 0 ? P : 0, P, x));
  PetscScalar* xa;
  PetscCall(VecGetArray(*x, &xa));
  if (rank == 0) std::copy(theta.begin(), theta.end(), xa);
  PetscCall(VecRestoreArray(*x, &xa));
  PetscFunctionReturn(0);
}

// The solution back into the replicated theta (broadcast from rank 0).
PetscErrorCode ReplicateRootVector(MPI_Comm comm, Vec x, AlignedVector<double>* theta) {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  const PetscInt P = static_cast<PetscInt>(theta->size());
  PetscScalar* xa;
  PetscCall(VecGetArray(x, &xa));
  if (rank == 0) std::copy(xa, xa + P, theta->begin());
  PetscCall(VecRestoreArray(x, &xa));
  PetscCallMPI(MPI_Bcast(theta->data(), P, MPI_DOUBLE, 0, comm));
  PetscFunctionReturn(0);
}

// How the L-BFGS phase ended, in words: reaching the iteration limit (TAO's
// DIVERGED_MAXITS) is the normal end of a run, not a failure.
PetscErrorCode ReportTaoEnd(MPI_Comm comm, TaoConvergedReason reason, PetscInt its,
                            PetscInt limit) {
  PetscFunctionBeginUser;
  if (reason == TAO_DIVERGED_MAXITS)
    PetscCall(PetscPrintf(comm,
                          "train: L-BFGS (TAO lmvm) done: %" PetscInt_FMT
                          " iterations, the limit of %" PetscInt_FMT
                          " (TAO's reason DIVERGED_MAXITS: the normal end)\n",
                          its, limit));
  else if (reason > 0)
    PetscCall(PetscPrintf(comm,
                          "train: L-BFGS (TAO lmvm) converged after %" PetscInt_FMT
                          " iterations (TAO's reason %s)\n",
                          its, TaoConvergedReasons[reason]));
  else
    PetscCall(PetscPrintf(comm,
                          "train: L-BFGS (TAO lmvm) stopped early after %" PetscInt_FMT
                          " iterations: TAO's reason %s (the model is the last accepted "
                          "iterate)\n",
                          its, TaoConvergedReasons[reason]));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::RunTao(const std::string& checkpoint_path, const State* resumed,
                               PetscInt iterations, TrainResult* result) {
  PetscFunctionBeginUser;
  const PetscInt P = NumTrainable();
  AlignedVector<double>& theta = x_;
  const PetscInt W =
      CollocationAt(-1) ? 0
      : Shooting()      ? HorizonAt(-1)
                   : (adam_done_ > init_collocation_ ? WindowAt(adam_done_ - 1 - init_collocation_)
                                                     : window_);
  TaoCtx ctx{this,
             &x_,
             W,
             P,
             comm_,
             &history_,
             adam_done_,
             monitor_every_,
             nullptr,
             -1,
             checkpoint_path,
             checkpoint_every_,
             Trainer::State{},
             [this] { return Elapsed(); }};
  ctx.state.phase = "tao";
  ctx.state.adam_iterations = adam_done_;
  EvaluationLog log;
  const std::string log_path =
      checkpoint_path.empty() ? std::string() : TaoLogPath(checkpoint_path);
  if (resumed) {  // restart TAO where the logged solve started and replay its evaluations
    theta.assign(resumed->tao_x0.begin(), resumed->tao_x0.end());
    const std::string from = DirectoryOf(resume_) + "/" + resumed->tao_log;
    PetscCall(log.Resume(comm_, from, log_path.empty() ? from : log_path, P,
                         resumed->tao_evaluations, "option -train_resume"));
    ctx.log = &log;
    ctx.resumed_its = resumed->tao_iterations;
    ctx.last_loss = -1;
  } else if (!log_path.empty()) {
    PetscCall(log.Create(comm_, log_path, P));
    ctx.log = &log;
  }
  ctx.state.tao_log = BaseName(log.Path());
  ctx.state.tao_x0.assign(theta.begin(), theta.end());
  Vec x;
  PetscCall(RootVectorFrom(comm_, theta, &x));
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
  if (!ctx.interrupted) PetscCall(ReportTaoEnd(comm_, reason, its, iterations));
  PetscCall(ReplicateRootVector(comm_, x, &theta));
  PetscCall(physics_->BindParams(theta.data()));
  if (ctx.log && !checkpoint_path.empty() &&
      !ctx.interrupted) {  // the finished run (resuming it replays it all)
    PetscCall(log.Sync());
    ctx.state.x.assign(theta.begin(), theta.end());
    ctx.state.tao_iterations = its;
    ctx.state.tao_evaluations = log.Count();
    ctx.state.last_loss = f;
    PetscCall(SaveState(checkpoint_path, ctx.state));
  }
  result->iterations = its;
  result->loss = f;
  result->interrupted = ctx.interrupted;
  PetscCall(TaoDestroy(&tao));
  PetscCall(VecDestroy(&x));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::ResolveLatest(const std::string& checkpoint_path) {
  PetscFunctionBeginUser;
  std::string base = BaseName(checkpoint_path);
  if (base.size() > 3 && base.compare(base.size() - 3, 3, ".h5") == 0) base.resize(base.size() - 3);
  const std::string dir = DirectoryOf(checkpoint_path);
  PetscCall(io::ResolveResume(comm_, "latest", dir, base, &resume_));
  if (resume_.empty())
    PetscCall(PetscPrintf(
        comm_,
        "train: -train_resume latest: no checkpoint %s/%s*.h5 yet, starting from iteration 0\n",
        dir.c_str(), base.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::SaveState(const std::string& path, const State& s) const {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Create(comm_, path, &f));
  PetscCall(f.WriteAttr("/", "format", std::string("udeflow-train-state-2")));
  PetscCall(f.WriteAttr("/", "physics", std::string(physics_->Type())));
  PetscCall(f.WriteAttr("/", "description", physics_->Describe()));
  PetscCall(f.WriteAttr("/", "phase", s.phase));
  PetscCall(f.WriteAttr("/", "iteration",
                        s.adam_iterations + (s.phase != "adam" ? s.tao_iterations : 0)));
  PetscCall(f.WriteAttr("/", "adam_iterations", s.adam_iterations));
  PetscCall(f.WriteAttr("/", "adam_steps", (long long)adam_.StepCount()));
  PetscCall(f.WriteAttr("/", "last_loss", s.last_loss));
  PetscCall(f.WriteAttr("/", "seed", (long long)seed_));
  PetscCall(f.WriteAttr(
      "/", "rng",
      std::string("philox4x32: batch i of iteration it uses counters (it, 2i), (it, 2i+1)")));
  const hsize_t P = s.x.size();
  PetscCall(f.WriteArray("/theta", {P}, s.x.data()));
  PetscCall(f.WriteArray("/adam_m", {P}, adam_.FirstMoment().data()));
  PetscCall(f.WriteArray("/adam_v", {P}, adam_.SecondMoment().data()));
  if (s.phase == "tao") {
    PetscCall(f.WriteAttr("/", "tao_iterations", s.tao_iterations));
    PetscCall(f.WriteAttr("/", "tao_evaluations", s.tao_evaluations));
    PetscCall(f.WriteAttr("/", "tao_log", s.tao_log));
    PetscCall(f.WriteArray("/tao_x0", {P}, s.tao_x0.data()));
  }
  if (s.phase == "lm") {
    PetscCall(f.WriteAttr("/", "lm_iterations", s.tao_iterations));
    PetscCall(f.WriteAttr("/", "lm_mu", s.lm_mu));
    PetscCall(f.WriteAttr("/", "lm_nu", s.lm_nu));
  }
  // The history exactly (the CSV is for people and plots).
  const auto& rows = history_.Rows();
  std::vector<double> h, seconds;
  h.reserve(rows.size() * kHistoryColumns);
  for (const TrainHistory::Row& r : rows) {
    h.insert(h.end(), {static_cast<double>(r.iteration), static_cast<double>(r.phase), r.loss,
                       r.gnorm, r.lr, static_cast<double>(r.window)});
    seconds.push_back(r.seconds);
  }
  if (!rows.empty()) {
    PetscCall(f.WriteArray("/history", {rows.size(), (hsize_t)kHistoryColumns}, h.data()));
    PetscCall(f.WriteArray("/history_seconds", {rows.size()}, seconds.data()));
  }
  PetscCall(f.Commit());
  PetscCall(history_.Write(comm_, TrainHistory::PathFor(path), LLONG_MAX));
  PetscFunctionReturn(0);
}

namespace {

// Phase lm: the Levenberg-Marquardt iterations done and the damping.
PetscErrorCode ReadLmState(io::H5File& f, Trainer::State* s) {
  PetscFunctionBeginUser;
  PetscCall(f.ReadAttr("/", "lm_iterations", &s->tao_iterations));
  PetscCall(f.ReadAttr("/", "lm_mu", &s->lm_mu));
  PetscCall(f.ReadAttr("/", "lm_nu", &s->lm_nu));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::LoadState(const std::string& path, const char* what, State* s) {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Open(comm_, path, what, &f));
  std::string format, type;
  PetscCheck(f.HasAttr("/", "format"), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not a udeflow training state", what, path.c_str());
  PetscCall(f.ReadAttr("/", "format", &format));
  PetscCall(f.ReadAttr("/", "physics", &type));
  const bool v1 = format == "udeflow-train-state-1";  // before 0.1 + determinism: Adam phase only
  PetscCheck((v1 || format == "udeflow-train-state-2") && type == physics_->Type(), comm_,
             PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is not a training state of a %s model", what,
             path.c_str(), physics_->Type());
  long long steps, seed;
  PetscCall(f.ReadAttr("/", v1 ? "iteration" : "adam_iterations", &s->adam_iterations));
  PetscCall(f.ReadAttr("/", "adam_steps", &steps));
  PetscCall(f.ReadAttr("/", "seed", &seed));
  PetscCheck(seed == seed_, comm_, PETSC_ERR_USER_INPUT,
             "%s: '%s' was written with -train_seed %lld, this run uses %" PetscInt_FMT, what,
             path.c_str(), seed, seed_);
  std::vector<hsize_t> dims;
  std::vector<double> m, v;
  PetscCall(f.ReadArray("/theta", &dims, &s->x));
  PetscCheck((PetscInt)s->x.size() == NumTrainable(), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' has %zu parameters, the case's closure (and shooting states) %" PetscInt_FMT,
             what, path.c_str(), s->x.size(), NumTrainable());
  PetscCall(f.ReadArray("/adam_m", &dims, &m));
  PetscCall(f.ReadArray("/adam_v", &dims, &v));
  PetscCallCXX(adam_.SetState(Eigen::Map<Eigen::VectorXd>(m.data(), m.size()),
                              Eigen::Map<Eigen::VectorXd>(v.data(), v.size()), steps));
  const std::string changed = ProvenanceDifferences([&](const char* name) {
    std::string v;
    if (f.HasAttr("/", name)) f.ReadAttr("/", name, &v);
    return v;
  });
  if (!changed.empty())
    PetscCall(PetscPrintf(
        comm_,
        "train: note: '%s' was written by another set-up (%s): the resumed run continues "
        "correctly but is bit-identical to an uninterrupted run only on the same build, CPU "
        "and rank count\n",
        path.c_str(), changed.c_str()));
  s->phase = "adam";
  if (v1) {
    PetscCall(history_.Read(comm_, TrainHistory::PathFor(path), s->adam_iterations));
    if (!history_.Rows().empty()) s->last_loss = history_.Rows().back().loss;
    PetscFunctionReturn(0);
  }
  PetscCall(f.ReadAttr("/", "phase", &s->phase));
  PetscCall(f.ReadAttr("/", "last_loss", &s->last_loss));
  if (s->phase == "tao") {
    PetscCall(f.ReadAttr("/", "tao_iterations", &s->tao_iterations));
    PetscCall(f.ReadAttr("/", "tao_evaluations", &s->tao_evaluations));
    PetscCall(f.ReadAttr("/", "tao_log", &s->tao_log));
    PetscCall(f.ReadArray("/tao_x0", &dims, &s->tao_x0));
    PetscCheck(s->tao_x0.size() == s->x.size(), comm_, PETSC_ERR_FILE_UNEXPECTED,
               "%s: '%s' is damaged (tao_x0)", what, path.c_str());
  }
  if (s->phase == "lm") PetscCall(ReadLmState(f, s));
  history_ = TrainHistory();
  if (f.Exists("/history")) {
    std::vector<double> h, seconds;
    std::vector<hsize_t> sdims;
    PetscCall(f.ReadArray("/history", &dims, &h));
    PetscCall(f.ReadArray("/history_seconds", &sdims, &seconds));
    PetscCheck(dims.size() == 2 && dims[1] == (hsize_t)kHistoryColumns && seconds.size() == dims[0],
               comm_, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is damaged (history)", what,
               path.c_str());
    for (size_t i = 0; i < dims[0]; ++i) {
      const double* r = &h[i * kHistoryColumns];
      history_.Add({static_cast<long long>(r[0]), r[2], r[3], r[4], static_cast<long long>(r[5]),
                    seconds[i], static_cast<long long>(r[1])});
    }
  }
  PetscCall(f.CheckIntact());  // a damaged index is not "no history"
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
