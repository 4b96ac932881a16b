#include "udeflow/workflow/generate.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/catalyst.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::workflow {

namespace {

// Writes every observed state to the dataset; with measurement noise, keeps the states
// and writes them in Finish() (the noise scale needs the trajectory's mean).
class SnapshotWriter : public adjoint::Observer {
 public:
  explicit SnapshotWriter(io::DatasetWriter* w, double noise = 0, uint64_t key = 0,
                          uint64_t traj = 0)
      : writer_(w), noise_(noise), key_(key), traj_(traj) {}
  ~SnapshotWriter() override {
    for (Vec& v : kept_) VecDestroy(&v);
  }
  // u_k[i] += noise * mean_k(u_k[i]) * N(0,1), N keyed by (seed, trajectory seed,
  // k * size + i): the same numbers at any rank count (1-D grids and ODE states).
  PetscErrorCode Finish() {
    PetscFunctionBeginUser;
    if (noise_ <= 0 || kept_.empty()) PetscFunctionReturn(0);
    PetscInt lo, hi, N;
    PetscCall(VecGetOwnershipRange(kept_[0], &lo, &hi));
    PetscCall(VecGetSize(kept_[0], &N));
    std::vector<double> mean(hi - lo, 0.0);
    for (Vec v : kept_) {
      const PetscScalar* a;
      PetscCall(VecGetArrayRead(v, &a));
      for (PetscInt i = 0; i < hi - lo; ++i) mean[i] += a[i] / kept_.size();
      PetscCall(VecRestoreArrayRead(v, &a));
    }
    for (size_t k = 0; k < kept_.size(); ++k) {
      PetscScalar* a;
      PetscCall(VecGetArray(kept_[k], &a));
      for (PetscInt i = 0; i < hi - lo; ++i) {
        double z0, z1;
        Philox::Normal2(key_, traj_, static_cast<uint64_t>(k) * N + lo + i, &z0, &z1);
        a[i] += noise_ * mean[i] * z0;
      }
      PetscCall(VecRestoreArray(kept_[k], &a));
      PetscCall(writer_->WriteState(static_cast<PetscInt>(k), kept_[k]));
    }
    PetscFunctionReturn(0);
  }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec) override {
    PetscFunctionBeginUser;
    PetscReal m, n2;
    PetscCall(VecNorm(u, NORM_INFINITY, &m));
    // NaN propagates through the 2-norm (not through the max norm); a non-finite loss
    // makes the integrator stop with a message.
    PetscCall(VecNorm(u, NORM_2, &n2));
    if (!std::isfinite(n2)) *loss += n2;
    max_abs = std::max(max_abs, static_cast<double>(m));
    if (noise_ > 0) {
      if ((PetscInt)kept_.size() <= k) kept_.resize(k + 1, nullptr);
      PetscCall(VecDuplicate(u, &kept_[k]));
      PetscCall(VecCopy(u, kept_[k]));
    } else {
      PetscCall(writer_->WriteState(k, u));
    }
    PetscFunctionReturn(0);
  }
  double max_abs = 0;

 private:
  io::DatasetWriter* writer_;
  double noise_;
  uint64_t key_, traj_;
  std::vector<Vec> kept_;
};

struct GenerateOptions {
  std::vector<PetscInt> train_seeds = {1, 2, 3, 4}, test_seeds = {101, 102};
  PetscReal spinup = 0, duration = 10, dt_save = 0.1, noise = 0;
  PetscInt noise_seed = 1;
  PetscBool use_exact = PETSC_TRUE;
};

PetscErrorCode ReadGenerateOptions(MPI_Comm comm, GenerateOptions* o) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, nullptr, "Dataset generation", "generate");
  PetscCall(UdeOptionsIntList("-generate_train_seeds",
                              "Scenario seeds of the training trajectories", &o->train_seeds, 256,
                              nullptr));
  PetscCall(UdeOptionsIntList("-generate_test_seeds", "Scenario seeds of the held-out trajectories",
                              &o->test_seeds, 256, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-generate_spinup", "Time integrated before the first snapshot", &o->spinup, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-generate_duration", "Recorded time span", &o->duration, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-generate_dt_save", "Time between snapshots", &o->dt_save, nullptr));
  PetscCall(PetscOptionsBool(
      "-generate_exact", "Write the truth physics' exact solution when it has one (no integration)",
      "", o->use_exact, &o->use_exact, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-generate_noise",
      "Measurement noise: add noise * (time mean of each entry) * N(0,1) to the data", &o->noise,
      nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-generate_noise_seed", "Seed of the measurement noise",
                                     &o->noise_seed, nullptr));
  PetscOptionsEnd();
  // A seed listed twice would write the same trajectory twice (and weigh it twice).
  for (const auto& [list, name] : {std::pair{&o->train_seeds, "-generate_train_seeds"},
                                   std::pair{&o->test_seeds, "-generate_test_seeds"}}) {
    std::vector<PetscInt> sorted = *list;
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    PetscCheck(dup == sorted.end(), comm, PETSC_ERR_USER_INPUT,
               "option %s lists seed %" PetscInt_FMT " twice", name, *dup);
  }
  PetscFunctionReturn(0);
}

// One trajectory of scenario `seed` into the writer: the exact solution when the physics
// has one (and -generate_exact), else the integrated truth.
PetscErrorCode WriteTrajectory(MPI_Comm comm, const GenerateOptions& o, pde::Physics& truth,
                               adjoint::Integrator& integ, io::DatasetWriter& writer,
                               io::Catalyst* catalyst, const std::vector<PetscReal>& times,
                               size_t i, Vec u) {
  PetscFunctionBeginUser;
  const size_t total = o.train_seeds.size() + o.test_seeds.size();
  const bool train = i < o.train_seeds.size();
  const PetscInt seed = train ? o.train_seeds[i] : o.test_seeds[i - o.train_seeds.size()];
  const std::string name = std::string(train ? "train_" : "test_") + std::to_string(seed);
  PetscLogDouble t0, t1;
  PetscCall(PetscTime(&t0));
  pde::Scenario sc;
  PetscCall(truth.MakeScenario(static_cast<uint64_t>(seed), &sc));
  PetscCall(truth.SetScenario(sc));
  PetscCall(truth.InitialCondition(u));
  PetscCall(writer.BeginTrajectory(name, train ? "train" : "test", seed, sc, times));
  if (catalyst) catalyst->SetRun(name);
  SnapshotWriter obs(&writer, o.noise, static_cast<uint64_t>(o.noise_seed),
                     static_cast<uint64_t>(seed));
  bool exact = false;
  if (o.use_exact) PetscCall(truth.ExactSolution(times[0], u, &exact));
  if (exact) {
    // The exact solution, cell-averaged: no time integration error in the truth.
    PetscReal dummy = 0;
    for (size_t k = 0; k < times.size(); ++k) {
      if (k) PetscCall(truth.ExactSolution(times[k], u, &exact));
      PetscCall(obs.Observe(static_cast<PetscInt>(k), times[k], u, &dummy, nullptr));
    }
  } else {
    PetscReal dummy;
    PetscCall(integ.Forward(0.0, u, times, &obs, &dummy));
  }
  PetscCall(obs.Finish());
  PetscCall(PetscTime(&t1));
  if (exact)
    PetscCall(PetscPrintf(
        comm, "generate: trajectory %zu/%zu %-10s exact solution, max|u| %.3f, %.1f s\n", i + 1,
        total, name.c_str(), obs.max_abs, t1 - t0));
  else
    PetscCall(PetscPrintf(
        comm, "generate: trajectory %zu/%zu %-10s %" PetscInt_FMT " steps, max|u| %.3f, %.1f s\n",
        i + 1, total, name.c_str(), integ.Stats().forward_steps, obs.max_abs, t1 - t0));
  PetscFunctionReturn(0);
}

// Every trajectory into `writer`.  A wall-time signal (SIGTERM/SIGUSR1) stops between
// trajectories (*stopped): a dataset is written whole or not at all, so the partial file
// is removed and a requeued job generates again.
PetscErrorCode WriteAll(MPI_Comm comm, const GenerateOptions& o, pde::Physics& truth,
                        adjoint::Integrator& integ, io::DatasetWriter& writer,
                        io::Catalyst* catalyst, const std::vector<PetscReal>& times,
                        bool* stopped) {
  PetscFunctionBeginUser;
  StopSignalGuard stop_guard;
  const size_t ntraj = o.train_seeds.size() + o.test_seeds.size();
  Vec u;
  PetscCall(DMCreateGlobalVector(truth.Grid(), &u));
  *stopped = false;
  for (size_t i = 0; i < ntraj && !*stopped; ++i) {
    PetscCall(WriteTrajectory(comm, o, truth, integ, writer, catalyst, times, i, u));
    int sig;
    PetscCall(StopRequested(comm, stopped, &sig));
    *stopped = *stopped && i + 1 < ntraj;  // the last one done: the dataset is complete
    if (*stopped) {
      PetscCall(writer.Discard());
      PetscCall(PetscPrintf(comm,
                            "generate: %s received: stopping after trajectory %zu of %zu; no "
                            "dataset written (it is made whole or not at all): run generate "
                            "again to start over\n",
                            StopSignalName(sig), i + 1, ntraj));
    }
  }
  PetscCall(VecDestroy(&u));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode GenerateDataset(MPI_Comm comm) {
  PetscFunctionBeginUser;
  CasePaths paths;
  PetscCall(CasePathsFromOptions(comm, &paths));
  GenerateOptions o;
  PetscCall(ReadGenerateOptions(comm, &o));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  std::unique_ptr<pde::Physics> truth;
  char default_type[64] = "burgers";
  PetscCall(PetscOptionsGetString(nullptr, nullptr, "-physics", default_type, sizeof(default_type),
                                  nullptr));
  PetscCall(pde::PhysicsCreateFromOptions(comm, "truth_", default_type, &truth));
  PetscCall(truth->SetUp());
  PetscCheck(truth->NumParams() == 0, comm, PETSC_ERR_USER_INPUT,
             "the truth model has a closure with %" PetscInt_FMT
             " parameters; set -truth_closure_type none",
             truth->NumParams());
  adjoint::Integrator integ(truth.get());
  PetscCall(integ.SetFromOptions("truth_"));
  PetscCall(integ.SetUp());
  std::unique_ptr<io::Catalyst> catalyst;  // in-situ visualization of every time step (-catalyst_*)
  PetscCall(io::Catalyst::Create(comm, &catalyst));
  if (help) PetscFunctionReturn(0);
  // A held-out trajectory with a training seed shares its scenario (initial condition,
  // forcing) with training: said, not refused, since a case may mean it (a training-method
  // demonstration evaluated on its own scenario).
  for (PetscInt s : o.test_seeds)
    if (std::find(o.train_seeds.begin(), o.train_seeds.end(), s) != o.train_seeds.end())
      PetscCall(PetscPrintf(comm,
                            "generate: warning: held-out seed %" PetscInt_FMT
                            " is also a training seed (-generate_train_seeds, "
                            "-generate_test_seeds): test_%" PetscInt_FMT
                            " shares its scenario with training and is not held-out data\n",
                            s, s));
  io::RunLock lock;  // one run at a time writing the output directory
  PetscCall(lock.AcquireDirectory(comm, paths.output_dir, "option -output_dir"));
  PetscLogDouble run_start;
  PetscCall(PetscTime(&run_start));
  const io::GridGeometry geometry = io::GridGeometry::FromPhysics(*truth);
  if (catalyst)
    integ.SetStepHook([&](PetscInt step, PetscReal t, Vec v) {
      return catalyst->Execute(truth->Grid(), geometry, step, t, v);
    });
  const PetscInt nsave = static_cast<PetscInt>(std::floor(o.duration / o.dt_save + 1e-9));
  std::vector<PetscReal> times;
  for (PetscInt k = 0; k <= nsave; ++k) times.push_back(o.spinup + k * o.dt_save);
  PetscCall(PetscPrintf(comm, "generate: truth %s\n          %s\n", truth->Describe().c_str(),
                        integ.Describe().c_str()));
  PetscCall(PetscPrintf(
      comm,
      "          %zu train + %zu test trajectories, %zu snapshots each, t in [%.2f, %.2f] -> %s\n",
      o.train_seeds.size(), o.test_seeds.size(), times.size(), (double)times.front(),
      (double)times.back(), paths.dataset.c_str()));
  io::DatasetWriter writer;
  std::string description = "truth: " + truth->Describe() + "; " + integ.Describe();
  if (o.noise > 0)
    description += "; noise " + std::to_string(o.noise) + " x mean x N(0,1), seed " +
                   std::to_string(o.noise_seed);
  PetscCall(writer.Create(comm, paths.dataset, *truth, description));
  bool stopped;
  PetscCall(WriteAll(comm, o, *truth, integ, writer, catalyst.get(), times, &stopped));
  if (stopped) PetscFunctionReturn(0);
  PetscCall(writer.Commit());
  PetscCall(PetscPrintf(comm, "generate: wrote %s (+ .xmf for ParaView)\n", paths.dataset.c_str()));
  if (catalyst) {
    PetscLogDouble run_end;
    PetscCall(PetscTime(&run_end));
    PetscCall(catalyst->Report(run_end - run_start));
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
