#include "udeflow/train/snapshots.hpp"

#include <cstdio>

#include "udeflow/core/options.hpp"

namespace udeflow::train {
namespace {

class FieldObserver : public adjoint::Observer {
 public:
  FieldObserver(io::FieldWriter* w, std::string series) : writer_(w), series_(std::move(series)) {}
  PetscErrorCode Observe(PetscInt, PetscReal t, Vec u, PetscReal*, Vec) override {
    return writer_->Write(series_, t, u);
  }

 private:
  io::FieldWriter* writer_;
  std::string series_;
};

}  // namespace

PetscErrorCode TrainSnapshots::Create(pde::Physics* physics, adjoint::Integrator* integrator,
                                      const io::Dataset* data, const std::string& output_dir,
                                      bool active) {
  PetscFunctionBeginUser;
  physics_ = physics;
  integ_ = integrator;
  data_ = data;
  active_ = active;
  MPI_Comm comm = PetscObjectComm((PetscObject)physics->Grid());
  PetscOptionsBegin(comm, "train_", "Training snapshots", "train");
  PetscCall(UdeOptionsNonNegativeInt(
      "-snapshots_every",
      "Every K iterations, write the model's prediction of the first training "
      "trajectory to train_snapshots.h5/.xmf (and Catalyst) (0: never)",
      &every_, nullptr));
  PetscOptionsEnd();
  if (active_) PetscCall(io::Catalyst::Create(comm, &catalyst_));
  PetscCheck(!catalyst_ || every_ > 0, comm, PETSC_ERR_USER_INPUT,
             "option -catalyst_*: `udeflow train` shows the training snapshots in situ; set "
             "-train_snapshots_every K");
  path_ = output_dir + "/train_snapshots.h5";
  PetscFunctionReturn(0);
}

PetscErrorCode TrainSnapshots::Maybe(long long iteration, const double* theta) {
  PetscFunctionBeginUser;
  if (!Enabled() || iteration % every_ != 0) PetscFunctionReturn(0);
  const io::GridGeometry geometry = io::GridGeometry::FromPhysics(*physics_);
  if (!any_) PetscCall(writer_.Create(path_, physics_->Grid(), geometry));
  any_ = true;
  size_t traj = 0;
  for (size_t i = 0; i < data_->Trajectories().size(); ++i)
    if (data_->Trajectories()[i].split == "train") {
      traj = i;
      break;
    }
  std::vector<PetscReal> t;
  pde::Scenario sc;
  PetscCall(data_->ReadTimes(traj, &t));
  PetscCall(data_->ReadScenario(traj, &sc));
  PetscCall(physics_->BindParams(theta));
  PetscCall(physics_->SetScenario(sc));
  Vec u0;
  PetscCall(DMCreateGlobalVector(physics_->Grid(), &u0));
  PetscCall(data_->ReadState(traj, 0, *physics_, u0));
  char name[32];
  std::snprintf(name, sizeof(name), "iter_%06lld", iteration);
  FieldObserver obs(&writer_, name);
  if (catalyst_) {
    catalyst_->SetRun(name);
    integ_->SetStepHook([this, geometry](PetscInt step, PetscReal time, Vec u) {
      return catalyst_->Execute(physics_->Grid(), geometry, step, time, u);
    });
  }
  std::vector<PetscReal> times(t.begin() + 1, t.end());
  PetscCall(writer_.Write(name, t[0], u0));
  PetscReal loss;
  PetscErrorCode ierr = integ_->Forward(t[0], u0, times, &obs, &loss);
  integ_->SetStepHook(nullptr);
  PetscCall(VecDestroy(&u0));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode TrainSnapshots::Finish(double total_seconds) {
  PetscFunctionBeginUser;
  if (any_) {
    PetscCall(writer_.Commit());
    PetscCall(PetscPrintf(PetscObjectComm((PetscObject)physics_->Grid()),
                          "train: snapshots in %s (+ .xmf)\n", path_.c_str()));
  }
  if (catalyst_) PetscCall(catalyst_->Report(total_seconds));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
