#include "udeflow/train/offline.hpp"

#include <cmath>

#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/nn/adam.hpp"

namespace udeflow::train {

PetscErrorCode OfflineConfigFromOptions(MPI_Comm comm, OfflineConfig* c) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "train_offline_", "Offline flux fitting (-train_mode offline|both)",
                    "train");
  PetscCall(UdeOptionsNonNegativeInt("-iterations", "Adam iterations of the flux fit",
                                     &c->iterations, nullptr));
  PetscCall(UdeOptionsPositiveInt(
      "-batch", "Samples (column snapshots) per iteration, over all ranks", &c->batch, nullptr));
  PetscCall(UdeOptionsPositiveReal("-lr", "Initial learning rate", &c->lr, nullptr));
  PetscCall(UdeOptionsPositiveReal("-lr_final",
                                   "Learning rate at the last iteration (exponential decay)",
                                   &c->lr_final, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-seed", "Seed of the minibatch sampling", &c->seed, nullptr));
  PetscCall(UdeOptionsPositiveInt("-monitor_every", "Print a monitor line every N iterations",
                                  &c->monitor_every, nullptr));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

namespace {

// Closure inputs X and targets Y of this rank's columns from every pair of consecutive
// snapshots of the training trajectories (Physics::AppendOfflineSamples).
PetscErrorCode CollectSamples(MPI_Comm comm, pde::Physics* physics, const io::Dataset& data,
                              std::vector<double>* xs, std::vector<double>* ys, long long* total) {
  PetscFunctionBeginUser;
  Vec a, b;
  PetscCall(DMCreateGlobalVector(physics->Grid(), &a));
  PetscCall(VecDuplicate(a, &b));
  pde::Physics::OfflineCheck check;
  for (size_t ti = 0; ti < data.Trajectories().size(); ++ti) {
    if (data.Trajectories()[ti].split != "train") continue;
    std::vector<PetscReal> t;
    pde::Scenario sc;
    PetscCall(data.ReadTimes(ti, &t));
    PetscCall(data.ReadScenario(ti, &sc));
    PetscCall(physics->SetScenario(sc));
    PetscCall(data.ReadState(ti, 0, *physics, a));
    for (size_t k = 0; k + 1 < t.size(); ++k) {
      PetscCall(data.ReadState(ti, static_cast<PetscInt>(k + 1), *physics, b));
      PetscCall(physics->AppendOfflineSamples(t[k + 1] - t[k], a, b, xs, ys, &check));
      PetscCall(VecCopy(b, a));
    }
  }
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  const long long nloc =
      static_cast<long long>(xs->size() / physics->OfflineClosure()->NumInputs());
  PetscCallMPI(MPI_Allreduce(&nloc, total, 1, MPI_LONG_LONG, MPI_SUM, comm));
  double gerr = 0, gref = 0;
  PetscCallMPI(MPI_Allreduce(&check.error, &gerr, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCallMPI(MPI_Allreduce(&check.reference, &gref, 1, MPI_DOUBLE, MPI_MAX, comm));
  PetscCheck(*total > 0, comm, PETSC_ERR_USER_INPUT,
             "option -train_mode offline: the dataset has no training snapshots");
  PetscCall(PetscPrintf(
      comm,
      "train: offline flux fit on %lld column snapshots; diagnosed surface flux vs prescribed: max "
      "error %.2e of %.2e K m/s\n",
      *total, gerr, gref));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode TrainOffline(MPI_Comm comm, const OfflineConfig& cfg, pde::Physics* physics,
                            const io::Dataset& data, TrainResult* result) {
  PetscFunctionBeginUser;
  pde::Closure* net = physics->OfflineClosure();
  PetscCheck(net, comm, PETSC_ERR_USER_INPUT,
             "option -train_mode offline: needs -physics ocean_column with -ocean_scheme ca and "
             "-closure_type mlp");
  const PetscInt iterations = cfg.iterations, batch = cfg.batch, seed = cfg.seed,
                 monitor_every = cfg.monitor_every;
  const PetscReal lr = cfg.lr, lr_final = cfg.lr_final;
  std::vector<double> xs, ys;
  long long ntot = 0;
  PetscCall(CollectSamples(comm, physics, data, &xs, &ys, &ntot));
  const int nin = net->NumInputs(), nout = net->NumOutputs();
  const long long nloc = static_cast<long long>(xs.size() / nin);
  Eigen::Map<const nn::Matrix> X(xs.data(), nin, nloc), Y(ys.data(), nout, nloc);

  int size, rank;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  const PetscInt P = physics->NumParams();
  AlignedVector<double> theta(
      P);  // the fitted parameters: Adam updates them, the closure reads them
  std::vector<double> grad(P), gsum(P);
  PetscCall(physics->InitializeParams(theta.data()));
  PetscCall(physics->BindParams(theta.data()));
  nn::Adam adam(static_cast<int>(P));
  const PetscInt bl = std::max<PetscInt>(1, batch / size);
  nn::Matrix xb(nin, bl), yb(nout, bl), ybar;
  pde::Closure::Tape tape;
  PetscLogDouble start, now;
  PetscCall(PetscTime(&start));
  double loss = 0;
  const double decay = iterations > 1 ? std::log(lr_final / lr) / (iterations - 1) : 0.0;
  for (PetscInt it = 0; it < iterations; ++it) {
    for (PetscInt j = 0; j < bl; ++j) {
      const uint64_t i = nloc ? KeyedIndex(seed, it, rank * bl + j, nloc) : 0;
      xb.col(j) = X.col(i);
      yb.col(j) = Y.col(i);
    }
    PetscCallCXX(net->Forward(xb, tape));
    ybar = tape.Output() - yb;
    double l[2] = {ybar.squaredNorm(), static_cast<double>(ybar.size())}, lg[2];
    PetscCallMPI(MPI_Allreduce(l, lg, 2, MPI_DOUBLE, MPI_SUM, comm));
    loss = lg[0] / lg[1];
    ybar *= 2.0 / lg[1];
    std::fill(grad.begin(), grad.end(), 0.0);
    PetscCallCXX(net->Vjp(tape, ybar, nullptr, grad.data()));
    PetscCallMPI(MPI_Allreduce(grad.data(), gsum.data(), P, MPI_DOUBLE, MPI_SUM, comm));
    const double rate = lr * std::exp(decay * it);
    Eigen::Map<Eigen::VectorXd> th(theta.data(), P);
    PetscCallCXX(adam.Step(th, Eigen::Map<const Eigen::VectorXd>(gsum.data(), P), rate));
    PetscCall(PetscTime(&now));
    if (it % monitor_every == 0 || it + 1 == iterations)
      PetscCall(PetscPrintf(
          comm, "train offline %6" PetscInt_FMT "  flux mse %.6e (scaled)  lr %.2e  %8.2f s\n", it,
          loss, rate, now - start));
  }
  PetscCall(physics->BindParams(nullptr));  // theta goes out of scope (the result keeps a copy)
  PetscCall(PetscTime(&now));
  result->iterations = iterations;
  result->loss = loss;
  result->seconds = now - start;
  result->theta.assign(theta.begin(), theta.end());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
