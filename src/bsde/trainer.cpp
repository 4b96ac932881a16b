// Trainer: set-up, the data-parallel training loop, validation and the monitor.
#include "udeflow/bsde/trainer.hpp"

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "udeflow/core/log.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/latest.hpp"

namespace udeflow::bsde {
namespace {

// mkdir -p on one process; returns false on failure.
bool MakeDirectories(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && mkdir(partial.c_str(), 0775) != 0 && errno != EEXIST) return false;
    }
    if (i < path.size()) partial += path[i];
  }
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Contiguous, possibly uneven split of n items over `size` ranks.
void Split(long n, int rank, int size, uint64_t* first, long* count) {
  const long a = n * rank / size, b = n * (rank + 1) / size;
  *first = static_cast<uint64_t>(a);
  *count = b - a;
}

// Configuration of the Z network from the options; the output scale is given, or the size
// of the exact terminal Z (0 only if grad g vanishes).  Throws on an unknown name.
ZNetConfig NetConfigOf(const TrainerOptions& o, const PathStatistics& stats) {
  ZNetConfig net;
  net.kind = ParseZNetKind(o.net);
  net.activation = nn::ParseActivation(o.activation);
  net.width = static_cast<int>(o.net_width);
  net.depth = static_cast<int>(o.net_depth);
  net.zscale = o.net_zscale > 0 ? o.net_zscale : stats.terminal_z_rms;
  net.init_scale = o.net_init_scale;
  net.output_scale = o.net_output_scale;
  net.skip = nn::DenseNet::ParseSkip(o.net_skip);
  net.norm_feature = o.net_norm_feature;
  return net;
}

// Both batches are split over the ranks: at least one sample per rank.
PetscErrorCode CheckBatchSplit(MPI_Comm comm, const TrainerOptions& o, int size) {
  PetscFunctionBeginUser;
  PetscCheck(o.batch >= size, comm, PETSC_ERR_USER_INPUT,
             "option -bsde_batch: %" PetscInt_FMT
             " samples cannot be split over %d ranks (need at least one per rank)",
             o.batch, size);
  PetscCheck(o.valid_batch >= size, comm, PETSC_ERR_USER_INPUT,
             "option -bsde_valid_batch: %" PetscInt_FMT
             " samples cannot be split over %d ranks (need at least one per rank)",
             o.valid_batch, size);
  PetscFunctionReturn(0);
}

}  // namespace

Trainer::Trainer(MPI_Comm comm) : comm_(comm) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

Trainer::~Trainer() = default;

std::string Trainer::OutputPath(const char* name) const {
  return opt_.output_dir + "/" + name;
}

PetscErrorCode Trainer::SetUp() {
  PetscFunctionBeginUser;
  PetscCheck(eq_, comm_, PETSC_ERR_ORDER, "Trainer::SetUp() called before SetFromOptions()");
  const TrainerOptions& o = opt_;
  PetscCallCXX(eq_->SetUp());
  const int d = eq_->Dim(), N = static_cast<int>(o.steps);
  PetscCall(CheckBatchSplit(comm_, o, size_));
  SdeScheme sde;
  PetscCallCXX(sde = ParseSdeScheme(o.sde_scheme));
  PetscCheck(sde != SdeScheme::kExact || eq_->HasExactStep(), comm_, PETSC_ERR_USER_INPUT,
             "option -bsde_sde_scheme: equation %s has no exact step (use euler)", eq_->Name());
  BackwardScheme backward;
  PetscCallCXX(backward = ParseBackwardScheme(o.backward_scheme));

  // Input standardization and the Monte Carlo trivial answer: the same paths on every
  // rank (a deterministic stream), so the set-up does not depend on the rank count.
  PathStatistics stats;
  PetscCheck(o.norm_samples >= 2, comm_, PETSC_ERR_USER_INPUT,
             "option -bsde_norm_samples must be at least 2");
  PetscCallCXX(stats = ComputePathStatistics(*eq_, sde, static_cast<uint64_t>(o.seed), N,
                                             static_cast<int>(o.norm_samples)));
  if (o.normalize == "global") PetscCallCXX(PoolPathStatistics(&stats));
  trivial_exact_ = eq_->HasTrivialAnswer();
  trivial_ = trivial_exact_ ? eq_->TrivialAnswer() : stats.terminal_mean;

  ZNetConfig net;
  PetscCallCXX(net = NetConfigOf(o, stats));
  std::unique_ptr<ZNetwork> znet;
  PetscCallCXX(znet = CreateZNetwork(net, d, N, eq_->Horizon()));
  if (o.normalize != "none") PetscCallCXX(znet->SetNormalization(stats.mean, stats.inv_std));
  if (net.norm_feature)
    PetscCallCXX(StandardizeNormFeature(*eq_, sde, static_cast<uint64_t>(o.seed),
                                        static_cast<int>(o.norm_samples), znet.get()));
  PetscCallCXX(model_ = std::make_unique<BsdeModel>(*eq_, std::move(znet), N, sde, backward));
  PetscCallCXX(model_->InitializeNetwork(static_cast<uint64_t>(o.seed)));
  if (o.skip_init == "terminal")
    PetscCallCXX(model_->Net().WarmStartSkip(stats, model_->Params().data() + 1));
  model_->SetLossClip(o.loss_clip);
  model_->SetControl(o.control == "driver");
  model_->SetY0(o.y0_init_set ? o.y0_init : trivial_);
  adam_ = nn::Adam(model_->NumParams() - 1, o.adam);  // the network; Y_0 takes Newton steps

  long count;
  Split(o.batch, rank_, size_, &train_first_, &count);
  PetscCallCXX(train_.Resize(d, N, count));
  Split(o.valid_batch, rank_, size_, &valid_first_, &count);
  PetscCallCXX(valid_.Resize(d, N, count));
  PetscCallCXX(
      model_->Simulate(static_cast<uint64_t>(o.seed), kValidationStream, valid_first_, valid_));
  grad_ = Vector::Zero(model_->NumParams() + 3);

  if (o.save || o.checkpoint_every > 0) {
    int ok = 1;
    if (rank_ == 0) ok = MakeDirectories(o.output_dir);
    PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
    PetscCheck(ok, comm_, PETSC_ERR_FILE_OPEN, "option -output_dir: cannot create directory '%s'",
               o.output_dir.c_str());
  }
  iteration_ = start_iteration_ = 0;
  std::string resume;  // -bsde_resume latest: the newest checkpoint in -output_dir, or none
  PetscCall(io::ResolveResume(comm_, o.resume, o.output_dir, "bsde_checkpoint", &resume));
  if (o.resume == "latest" && resume.empty() && o.monitor)
    PetscCall(PetscPrintf(
        comm_, "bsde: -bsde_resume latest: no checkpoint in %s yet, starting from iteration 0\n",
        o.output_dir.c_str()));
  if (!resume.empty()) PetscCall(ReadCheckpoint(resume, "option -bsde_resume"));
  start_iteration_ = iteration_;
  loss_history_.reserve(
      static_cast<size_t>(std::max<long>(o.iterations, iteration_)));  // no growth in the loop
  setup_ = true;

  if (o.monitor && o.radial_reference) PetscCall(ComputeRadialReference(&has_radial_));
  if (o.monitor) PetscCall(PrintSetUp(N, sde, backward, resume));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::ComputeRadialReference(bool* available) {
  PetscFunctionBeginUser;
  RadialProblem full, linear;
  has_radial_ = false;
  PetscCallCXX(has_radial_ = eq_->RadialForm(&full, &linear));
  if (has_radial_) {
    PetscCallCXX(radial_ = SolveRadial(full, RadialGrid()));
    PetscCallCXX(radial_linear_ = SolveRadial(linear, RadialGrid()));
  }
  *available = has_radial_;
  PetscFunctionReturn(0);
}

// The own reference and the nonlinear term's contribution (monitor).
PetscErrorCode Trainer::PrintRadialReference() const {
  PetscFunctionBeginUser;
  if (!has_radial_) PetscFunctionReturn(0);
  const double ref = radial_.value, nl = NonlinearContribution();
  PetscCall(PetscPrintf(comm_, "bsde: own reference u(0,x0) = %.12g (%s)\n", ref,
                        radial_.Describe().c_str()));
  PetscCall(PetscPrintf(comm_,
                        "bsde: without the nonlinear term u(0,x0) = %.12g: the nonlinearity "
                        "contributes %.4e (%.3e relative)\n",
                        radial_linear_.value, nl, std::abs(nl / ref)));
  if (eq_->HasReference() && eq_->Reference() != ref)  // equal: the reference is this one
    PetscCall(PetscPrintf(comm_, "bsde: reference - own reference = %.3e (%.3e relative)\n",
                          eq_->Reference() - ref, std::abs((eq_->Reference() - ref) / ref)));
  PetscFunctionReturn(0);
}

// The monitor's description of the set-up (after SetUp() has built everything).
PetscErrorCode Trainer::PrintSetUp(int N, SdeScheme sde, BackwardScheme backward,
                                   const std::string& resume) const {
  PetscFunctionBeginUser;
  const TrainerOptions& o = opt_;
  PetscCall(PetscPrintf(comm_, "bsde: %s\n", eq_->Describe().c_str()));
  PetscCall(PetscPrintf(comm_, "bsde: N=%d steps, SDE scheme %s, backward scheme %s%s; %s\n", N,
                        SdeSchemeName(sde), BackwardSchemeName(backward),
                        o.control == "driver" ? ", controlled forward process (theta = df/dz)" : "",
                        model_->Net().Describe().c_str()));
  PetscCall(PetscPrintf(comm_,
                        "bsde: %d parameters; batch %" PetscInt_FMT
                        " over %d rank(s), %" PetscInt_FMT
                        " iterations, Adam lr %g (%s schedule), seed %" PetscInt_FMT "\n",
                        model_->NumParams(), o.batch, size_, o.iterations, o.lr.lr,
                        o.lr.kind == nn::LearningRateSchedule::Kind::kConstant      ? "constant"
                        : o.lr.kind == nn::LearningRateSchedule::Kind::kStep        ? "step"
                        : o.lr.kind == nn::LearningRateSchedule::Kind::kExponential ? "exponential"
                                                                                    : "cosine",
                        o.seed));
  if (eq_->HasReference())
    PetscCall(PetscPrintf(comm_, "bsde: reference u(0,x0) = %.12g (%s)\n", eq_->Reference(),
                          eq_->ReferenceSource().c_str()));
  PetscCall(PetscPrintf(comm_, "bsde: trivial answer E[g(X_T)] = %.12g (%s)%s\n", trivial_,
                        trivial_exact_ ? "exact" : "Monte Carlo",
                        eq_->HasReference() ? "" : "; no reference value for this set-up"));
  if (eq_->HasReference())
    PetscCall(PetscPrintf(
        comm_, "bsde: trivial answer error %.3e (a run has learned the PDE only below this)\n",
        std::abs(trivial_ - eq_->Reference()) / std::abs(eq_->Reference())));
  PetscCall(PrintRadialReference());
  if (iteration_ > 0)
    PetscCall(
        PetscPrintf(comm_, "bsde: resumed at iteration %ld from %s\n", iteration_, resume.c_str()));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Step() {
  PetscFunctionBeginUser;
  const int P = model_->NumParams();
  const double t0 = MPI_Wtime();
  PetscCall(PetscLogEventBegin(LogEvents::bsde_batch, 0, 0, 0, 0));
  grad_.setZero();
  double local = 0;
  PetscCallCXX(model_->Simulate(static_cast<uint64_t>(opt_.seed), static_cast<uint64_t>(iteration_),
                                train_first_, train_));
  PetscCallCXX(local = model_->Loss(train_, 1.0 / static_cast<double>(opt_.batch), grad_.data(),
                                    &grad_[P + 1]));
  grad_[P] = local;
  grad_[P + 2] = StopSignalPending();  // a stop signal on any rank, agreed in the same reduction
  PetscCall(PetscLogEventEnd(LogEvents::bsde_batch, 0, 0, 0, 0));
  // One reduction per iteration: the gradient, the loss and the stop flag together.
  PetscCall(PetscLogEventBegin(LogEvents::allreduce, 0, 0, 0, 0));
  const double t_reduce = MPI_Wtime();
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grad_.data(), P + 3, MPI_DOUBLE, MPI_SUM, comm_));
  allreduce_seconds_ += MPI_Wtime() - t_reduce;
  PetscCall(PetscLogEventEnd(LogEvents::allreduce, 0, 0, 0, 0));
  stop_ = grad_[P + 2] > 0;
  const double loss = grad_[P], curvature = grad_[P + 1];
  const double norm = grad_.head(P).norm();
  if (!std::isfinite(loss) || !std::isfinite(norm) || !std::isfinite(curvature)) {
    const std::string ck =
        last_checkpoint_.empty()
            ? std::string("no checkpoint was written (see -bsde_checkpoint_every)")
            : "the last good checkpoint is '" + last_checkpoint_ + "' (iteration " +
                  std::to_string(last_checkpoint_iteration_) + ")";
    SETERRQ(comm_, PETSC_ERR_NOT_CONVERGED,
            "training diverged: the loss is %s at iteration %ld (try a smaller -bsde_lr or "
            "-bsde_grad_clip); %s",
            std::isfinite(loss) ? "finite but the gradient is not"
                                : (std::isnan(loss) ? "NaN" : "infinite"),
            iteration_ + 1, ck.c_str());
  }
  const double lr = opt_.lr.At(iteration_);
  adam_.Step(model_->Params().tail(P - 1), grad_.segment(1, P - 1), lr);
  // Damped Newton step on Y_0, damped further as the learning rate decays.
  if (curvature > 0) {
    const double eta = std::min(1.0, opt_.y0_rate * lr / opt_.lr.lr);
    model_->SetY0(model_->Y0() - eta * grad_[0] / curvature);
  }
  ++iteration_;
  loss_history_.push_back(loss);
  loss_since_record_ += loss;
  ++iterations_since_record_;
  step_seconds_ += MPI_Wtime() - t0;
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::ValidationLoss(double* loss) {
  PetscFunctionBeginUser;
  double local = 0;
  PetscCall(PetscLogEventBegin(LogEvents::bsde_batch, 0, 0, 0, 0));
  // Controlled paths depend on the parameters: the same noise, paths of the current Z.
  if (model_->Controlled())
    PetscCallCXX(model_->Simulate(static_cast<uint64_t>(opt_.seed), kValidationStream, valid_first_,
                                  valid_));
  PetscCallCXX(local = model_->Loss(valid_, 1.0 / static_cast<double>(opt_.valid_batch), nullptr));
  PetscCall(PetscLogEventEnd(LogEvents::bsde_batch, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(&local, loss, 1, MPI_DOUBLE, MPI_SUM, comm_));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Validate() {
  PetscFunctionBeginUser;
  ValidationRecord r;
  r.iteration = iteration_;
  r.train_loss = iterations_since_record_ ? loss_since_record_ / iterations_since_record_ : NAN;
  PetscCall(ValidationLoss(&r.valid_loss));
  r.u0 = model_->Y0();
  r.seconds = Elapsed();
  valid_history_.push_back(r);
  loss_since_record_ = 0;
  iterations_since_record_ = 0;
  if (opt_.monitor) {
    char err[64] = "-", triv[64] = "-";
    if (eq_->HasReference()) {
      const double ref = eq_->Reference();
      std::snprintf(err, sizeof(err), "%.3e", std::abs(r.u0 - ref) / std::abs(ref));
      std::snprintf(triv, sizeof(triv), "%.3e", std::abs(trivial_ - ref) / std::abs(ref));
    }
    const long it_done = iteration_ > 0 ? iteration_ - 1 : 0;
    PetscCall(PetscPrintf(comm_,
                          "bsde it %7ld  loss %.4e  valid %.4e  u0 %.10g  rel.err %s  trivial.err "
                          "%s  lr %.2e  %.2f s\n",
                          r.iteration, r.train_loss, r.valid_loss, r.u0, err, triv,
                          opt_.lr.At(it_done), r.seconds));
  }
  PetscFunctionReturn(0);
}

double Trainer::Elapsed() const {
  return seconds_offset_ + (train_start_ > 0 ? MPI_Wtime() - train_start_ : 0.0);
}

PetscErrorCode Trainer::TrainIterations(long count) {
  PetscFunctionBeginUser;
  PetscCheck(setup_, comm_, PETSC_ERR_ORDER, "Trainer::Train() called before SetUp()");
  if (train_start_ == 0) train_start_ = MPI_Wtime();
  const long end = std::min<long>(opt_.iterations, iteration_ + count);
  StopSignalGuard stop_guard;  // SIGTERM/SIGUSR1: checkpoint after the current iteration, then stop
  while (iteration_ < end && !stop_) {
    PetscCall(Step());
    if (iteration_ % opt_.valid_every == 0) PetscCall(Validate());
    if (opt_.checkpoint_every > 0 && iteration_ % opt_.checkpoint_every == 0)
      PetscCall(WriteCheckpoint(OutputPath("bsde_checkpoint.h5")));
    if (stop_) {
      PetscCall(WriteCheckpoint(OutputPath("bsde_checkpoint.h5")));
      PetscCall(PetscPrintf(comm_,
                            "bsde: stop signal received: stopped after iteration %ld, checkpoint "
                            "%s (continue with -bsde_resume latest)\n",
                            iteration_, OutputPath("bsde_checkpoint.h5").c_str()));
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::MonteCarloU0(long samples, double* u0, double* std_error) {
  PetscFunctionBeginUser;
  PetscCheck(samples >= size_, comm_, PETSC_ERR_USER_INPUT,
             "option -bsde_final_samples: %ld samples cannot be split over %d ranks", samples,
             size_);
  uint64_t first;
  long count;
  Split(samples, rank_, size_, &first, &count);
  // Chunks of at most 512 paths and at most 2^23 doubles per d x (N+1) array: a path
  // holds ~8 such columns plus the network's, ~8 MB at d = 10,000 and N = 10 (512-path
  // chunks made a 4 GB peak per rank there, 76-path chunks stay below the training's).
  const long per_path = static_cast<long>(eq_->Dim()) * (model_->NumSteps() + 1);
  const long chunk = std::min<long>(count, std::clamp<long>((1L << 23) / per_path, 1, 512));
  BsdeBatch batch;
  PetscCallCXX(batch.Resize(eq_->Dim(), model_->NumSteps(), chunk));
  double y0 = model_->Y0(), sums[3] = {0, 0, 0};
  for (int newton = 0; newton < 4; ++newton) {
    double local[3] = {0, 0, 0};  // sum (Y_N - g), sum (Y_N - g)^2, sum dY_N/dy0
    PetscCall(PetscLogEventBegin(LogEvents::bsde_batch, 0, 0, 0, 0));
    for (long k = 0; k < count; k += chunk) {
      const long b = std::min(chunk, count - k);
      if (b != batch.B) PetscCallCXX(batch.Resize(eq_->Dim(), model_->NumSteps(), b));
      PetscCallCXX(
          model_->Simulate(static_cast<uint64_t>(opt_.seed), kEstimateStream, first + k, batch));
      PetscCallCXX(model_->Residuals(batch, y0));
      local[0] += batch.r.sum();
      local[1] += batch.r.squaredNorm();
      local[2] += batch.rbar.sum();
    }
    PetscCall(PetscLogEventEnd(LogEvents::bsde_batch, 0, 0, 0, 0));
    PetscCallMPI(MPI_Allreduce(local, sums, 3, MPI_DOUBLE, MPI_SUM, comm_));
    const double step = sums[0] / sums[2];
    y0 -= step;
    if (std::abs(step) <= 1e-14 * (1 + std::abs(y0)))
      break;  // exact at once for drivers linear in y
  }
  const double m = sums[0] / samples, var = std::max(0.0, sums[1] / samples - m * m);
  *u0 = y0;
  *std_error = std::sqrt(var / samples) / std::abs(sums[2] / samples);
  last_mc_loss_ = var;
  PetscFunctionReturn(0);
}

// The monitor's final line(s): u(0,x0) against the references.
PetscErrorCode Trainer::PrintDone() const {
  PetscFunctionBeginUser;
  const double u0 = model_->Y0();
  const long done = iteration_ - start_iteration_;
  PetscCall(PetscPrintf(
      comm_, "bsde: done: %ld iterations in %.2f s (%.3g ms per iteration); u(0,x0) = %.10g", done,
      Elapsed(), 1e3 * SecondsPerIteration(), u0));
  if (eq_->HasReference()) {
    const double ref = eq_->Reference();
    PetscCall(PetscPrintf(comm_, ", reference %.10g, rel.err %.3e (trivial answer %.3e)", ref,
                          std::abs(u0 - ref) / std::abs(ref),
                          std::abs(trivial_ - ref) / std::abs(ref)));
  }
  PetscCall(PetscPrintf(comm_, "\n"));
  if (has_radial_) {
    const double ref = radial_.value;
    PetscCall(PetscPrintf(comm_,
                          "bsde: against the own reference %.10g: rel.err %.3e; the nonlinear "
                          "term contributes %.3e relative (trivial answer %.3e)\n",
                          ref, std::abs(u0 - ref) / std::abs(ref),
                          std::abs(NonlinearContribution() / ref),
                          std::abs(trivial_ - ref) / std::abs(ref)));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::Train() {
  PetscFunctionBeginUser;
  PetscCall(TrainIterations(opt_.iterations - iteration_));
  if (stop_) {  // interrupted: the checkpoint is written; keep the history too
    PetscCall(WriteHistoryCsv(OutputPath("bsde_history.csv")));
    PetscFunctionReturn(0);
  }
  if (valid_history_.empty() || valid_history_.back().iteration != iteration_)
    PetscCall(Validate());
  if (opt_.save) {
    PetscCall(WriteCheckpoint(OutputPath("bsde_checkpoint.h5")));
    PetscCall(WriteHistoryCsv(OutputPath("bsde_history.csv")));
  }
  if (opt_.monitor) PetscCall(PrintDone());
  if (opt_.final_samples > 0) {
    double u0, se;
    PetscCall(MonteCarloU0(opt_.final_samples, &u0, &se));
    if (opt_.monitor) {
      PetscCall(PetscPrintf(comm_,
                            "bsde: Monte Carlo re-estimate with the learned Z on %" PetscInt_FMT
                            " paths: u(0,x0) = %.10g +- %.2g (loss %.4e)",
                            opt_.final_samples, u0, se, last_mc_loss_));
      if (eq_->HasReference())
        PetscCall(PetscPrintf(comm_, ", rel.err %.3e",
                              std::abs(u0 - eq_->Reference()) / std::abs(eq_->Reference())));
      PetscCall(PetscPrintf(comm_, "\n"));
    }
  }
  if (opt_.monitor) {
    if (opt_.save)
      PetscCall(PetscPrintf(comm_, "bsde: wrote %s and %s\n",
                            OutputPath("bsde_checkpoint.h5").c_str(),
                            OutputPath("bsde_history.csv").c_str()));
    PetscCall(PrintPeakMemory());
  }
  PetscFunctionReturn(0);
}

// The peak resident set (getrusage's ru_maxrss, kB on Linux) of the largest rank and the
// sum over the ranks, on the final line: a figure of the run (batch x d x steps doubles).
PetscErrorCode Trainer::PrintPeakMemory() const {
  PetscFunctionBeginUser;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  const double mine = static_cast<double>(usage.ru_maxrss) / 1024.0;
  double largest = 0, total = 0;
  PetscCallMPI(MPI_Allreduce(&mine, &largest, 1, MPI_DOUBLE, MPI_MAX, comm_));
  PetscCallMPI(MPI_Allreduce(&mine, &total, 1, MPI_DOUBLE, MPI_SUM, comm_));
  PetscCall(PetscPrintf(comm_,
                        "bsde: peak memory %.0f MB resident on the largest rank (%.0f MB over %d "
                        "rank(s))\n",
                        largest, total, size_));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::bsde
