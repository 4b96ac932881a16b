#include "udeflow/workflow/train.hpp"

#include <memory>
#include <string>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/train/offline.hpp"
#include "udeflow/train/snapshots.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::workflow {

namespace {

// -train_mode: online (through the solver), offline (fit diagnosed fluxes, no solver),
// or both (offline to -train_offline_model, then online from the same initial weights).
struct ModeOptions {
  std::string mode = "online", offline_model;
  train::OfflineConfig offline;
};

PetscErrorCode ReadModeOptions(MPI_Comm comm, const CasePaths& paths, ModeOptions* o) {
  PetscFunctionBeginUser;
  o->offline_model = paths.output_dir + "/model_offline.h5";
  PetscOptionsBegin(comm, "train_", "Training mode", "train");
  PetscCall(UdeOptionsChoice(
      "-mode", "Train online through the solver, offline on diagnosed fluxes, or both",
      {"online", "offline", "both"}, &o->mode, nullptr));
  PetscCall(UdeOptionsString("-offline_model", "Where -train_mode both writes the offline model",
                             &o->offline_model, nullptr));
  PetscOptionsEnd();
  if (o->mode != "online") PetscCall(train::OfflineConfigFromOptions(comm, &o->offline));
  PetscFunctionReturn(0);
}

// The offline fit (every group fits the same data with the same seeds).
PetscErrorCode FitOffline(MPI_Comm comm, const train::TrainGroups& groups, const ModeOptions& o,
                          const CasePaths& paths, pde::Physics* physics, const io::Dataset& data,
                          train::TrainResult* off) {
  PetscFunctionBeginUser;
  PetscCall(train::TrainOffline(groups.group, o.offline, physics, data, off));
  const std::string& out = o.mode == "offline" ? paths.model : o.offline_model;
  PetscCall(train::SaveModel(comm, out, *physics, off->theta, off->iterations, off->loss));
  PetscCall(PetscPrintf(
      comm, "train: offline fit %lld iterations in %.1f s, flux mse %.4e; model written to %s\n",
      off->iterations, off->seconds, off->loss, out.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode TrainCase(MPI_Comm comm, train::TrainResult* result) {
  PetscFunctionBeginUser;
  CasePaths paths;
  PetscCall(CasePathsFromOptions(comm, &paths));
  train::TrainGroups groups;
  PetscCall(groups.Create(comm));
  std::unique_ptr<pde::Physics> physics;
  PetscCall(pde::PhysicsCreateFromOptions(groups.group, nullptr, "burgers", &physics));
  PetscCall(physics->SetUp());
  adjoint::Integrator integ(physics.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscCall(integ.SetUp());
  io::Dataset data;
  train::Trainer trainer(physics.get(), &integ, &data, &groups);
  PetscCall(trainer.SetFromOptions());
  train::TrainSnapshots snapshots;  // -train_snapshots_every K, Catalyst
  PetscCall(snapshots.Create(physics.get(), &integ, &data, paths.output_dir, groups.id == 0));
  ModeOptions mode;
  PetscCall(ReadModeOptions(comm, paths, &mode));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(groups.Destroy());
  PetscCall(data.Open(groups.group, paths.dataset, "option -dataset"));
  PetscCall(data.CheckCompatible(*physics));
  // One run at a time on a training state; taken after the inputs are checked, so a bad
  // option or file is reported as such even while another run holds the directory.
  io::RunLock dir_lock, lock;
  PetscCall(dir_lock.AcquireDirectory(comm, paths.output_dir, "option -output_dir"));
  PetscCall(lock.Acquire(comm, paths.checkpoint, "option -output_dir"));
  if (mode.mode != "online") {
    train::TrainResult off;
    PetscCall(FitOffline(comm, groups, mode, paths, physics.get(), data, &off));
    if (mode.mode == "offline") {
      *result = off;
      PetscFunctionReturn(groups.Destroy());
    }
    // The offline fit unbound its parameters: online training starts from the initial ones.
  }
  PetscCall(trainer.SetUp());
  PetscCall(PetscPrintf(
      comm, "train: model %s\n       %s\n       data %s; %d group(s) of ranks share each batch\n",
      physics->Describe().c_str(), integ.Describe().c_str(), paths.dataset.c_str(), groups.count));
  if (snapshots.Enabled())
    trainer.SetIterationHook(
        [&](long long it, const double* theta) { return snapshots.Maybe(it, theta); });
  PetscCall(trainer.Run(paths.checkpoint, result));
  PetscCall(snapshots.Finish(result->seconds));
  if (result->interrupted)
    PetscFunctionReturn(groups.Destroy());  // stopped by a signal: the checkpoint is the result
  PetscCall(train::SaveModel(comm, paths.model, *physics, result->theta, result->iterations,
                             result->loss));
  // The trainer wrote train_history.csv (Adam and L-BFGS rows) next to the checkpoint.
  if (result->iterations_before > 0)  // resumed: this run's figures, then the totals
    PetscCall(PetscPrintf(comm, "train: this run %lld iterations in %.1f s; ",
                          result->iterations - result->iterations_before,
                          result->seconds - result->seconds_before));
  PetscCall(PetscPrintf(comm, "%s%lld iterations in %.1f s, last loss %.4e; model written to %s\n",
                        result->iterations_before > 0 ? "in all " : "train: ", result->iterations,
                        result->seconds, result->loss, paths.model.c_str()));
  pde::Physics::LearnedReport report;  // printed; evaluate writes it to learned.h5
  if (groups.id == 0) PetscCall(physics->ReportLearned(&report));  // collective on the group
  PetscCall(groups.Destroy());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
