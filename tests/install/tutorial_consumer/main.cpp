// The tutorial physics (docs/new-physics.md) in a program of its own, built against an
// installed udeflow: src/pde/reaction_diffusion.cpp is compiled here from the sources
// (CMakeLists.txt), registered at run time under a name of this program, and used
//  1. by the adjoint: the loss gradient through adjoint::Integrator (RK4 and
//     Crank-Nicolson) against central finite differences along two random directions;
//  2. by the workflows: `generate` and a short `train` of the case file given with
//     -options_file (cases/reaction_diffusion.yaml), whose loss must go down.
// Exits non-zero when a check fails.
#include <petscsys.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/aligned.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/observers.hpp"
#include "udeflow/train/trainer.hpp"
#include "udeflow/workflow/generate.hpp"
#include "udeflow/workflow/train.hpp"

namespace udeflow::pde {
std::unique_ptr<Physics> MakeReactionDiffusion();  // reaction_diffusion.cpp
}

namespace {

using namespace udeflow;
const char* kName = "my_reaction_diffusion";

// Keeps a copy of the state at every observation time (the data of the gradient check).
class Recorder : public adjoint::Observer {
 public:
  std::vector<Vec> states;
  ~Recorder() override {
    for (Vec& v : states) VecDestroy(&v);
  }
  PetscErrorCode Observe(PetscInt, PetscReal, Vec u, PetscReal*, Vec) override {
    PetscFunctionBeginUser;
    states.emplace_back();
    PetscCall(VecDuplicate(u, &states.back()));
    PetscCall(VecCopy(u, states.back()));
    PetscFunctionReturn(0);
  }
};

// Data from the truth (-truth_*, no closure), then the model's adjoint gradient against
// central differences of its loss for the time stepping given by `ts` (model's options).
PetscErrorCode CheckGradient(MPI_Comm comm, const char* ts, double* worst) {
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsInsertString(nullptr, ts));
  std::unique_ptr<pde::Physics> truth, model;
  PetscCall(pde::PhysicsCreateFromOptions(comm, "truth_", kName, &truth));
  PetscCall(truth->SetUp());
  pde::Scenario sc;
  PetscCall(truth->MakeScenario(1, &sc));
  PetscCall(truth->SetScenario(sc));
  Vec u0;
  PetscCall(DMCreateGlobalVector(truth->Grid(), &u0));
  PetscCall(truth->InitialCondition(u0));
  const std::vector<PetscReal> times = {0.25, 0.5, 0.75, 1.0};
  Recorder data;
  PetscReal L;
  {
    adjoint::Integrator integ(truth.get());
    PetscCall(integ.SetFromOptions("truth_"));
    PetscCall(integ.SetUp());
    PetscCall(integ.Forward(0, u0, times, &data, &L));
  }
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, kName, &model));
  PetscCall(model->SetUp());
  AlignedVector<double> theta;
  PetscCall(pde::BindInitialParams(*model, &theta));
  adjoint::Integrator integ(model.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscCall(integ.SetUp());
  train::DataMisfit misfit(&data.states, 1.0);
  const PetscInt P = model->NumParams();
  std::vector<double> g(P, 0.0);
  PetscCall(integ.Gradient(0, u0, times, &misfit, &L, g.data()));
  const AlignedVector<double> theta0 = theta;
  for (uint64_t seed : {1u, 2u}) {
    const double h = 1e-5;
    double ad = 0, Lp, Lm;
    for (int side : {1, -1}) {
      for (PetscInt i = 0; i < P; ++i) {
        const double d = 2 * Philox::Uniform(seed, i, 0) - 1;
        theta[i] = theta0[i] + side * h * d;
        if (side == 1) ad += g[i] * d;
      }
      PetscCall(model->BindParams(theta.data()));
      PetscCall(integ.Forward(0, u0, times, &misfit, side == 1 ? &Lp : &Lm));
    }
    const double fd = (Lp - Lm) / (2 * h), rel = std::abs(fd - ad) / std::abs(fd);
    PetscCall(PetscPrintf(comm,
                          "tutorial_consumer: %s: loss %.6e, direction %d: adjoint %.10e, "
                          "central differences %.10e, relative difference %.2e\n",
                          ts, (double)L, (int)seed, ad, fd, rel));
    *worst = std::max(*worst, rel);
  }
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

PetscErrorCode Run(MPI_Comm comm) {
  PetscFunctionBeginUser;
  // One line makes the physics known to every workflow (-physics my_reaction_diffusion).
  pde::PhysicsRegistry().Add(kName, "the tutorial's physics, built by this program",
                             pde::MakeReactionDiffusion);
  double worst = 0;
  PetscCall(CheckGradient(comm, "-ts_type rk -ts_rk_type 4 -ts_dt 0.05", &worst));
  PetscCall(CheckGradient(comm,
                          "-ts_type cn -ts_dt 0.05 -ksp_type preonly -pc_type lu "
                          "-snes_rtol 1e-14 -snes_atol 1e-14 -snes_stol 0",
                          &worst));
  PetscCheck(worst < 1e-6, comm, PETSC_ERR_PLIB,
             "tutorial_consumer: adjoint and finite differences differ by %.2e (limit 1e-6)",
             worst);
  // The workflows on the case file, with this program's physics.
  PetscCall(PetscOptionsInsertString(nullptr, "-ts_type rk -ts_rk_type 4 -ts_dt 0.05"));
  PetscCall(workflow::GenerateDataset(comm));
  train::TrainResult result;
  PetscCall(workflow::TrainCase(comm, &result));
  PetscCheck(!result.history.empty(), comm, PETSC_ERR_PLIB, "tutorial_consumer: no training");
  const double first = result.history.front().loss;
  PetscCall(PetscPrintf(comm, "tutorial_consumer: training loss %.6e -> %.6e in %lld iterations\n",
                        first, result.loss, result.iterations));
  PetscCheck(result.loss < 0.5 * first, comm, PETSC_ERR_PLIB,
             "tutorial_consumer: the training loss did not halve (%.6e -> %.6e)", first,
             result.loss);
  PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
  PetscErrorCode ierr = SessionInitialize(&argc, &argv, "tutorial physics outside the tree");
  if (!ierr) ierr = Run(PETSC_COMM_WORLD);
  return SessionFinalize(ierr);
}
