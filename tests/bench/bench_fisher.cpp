// udeflow-bench-fisher: time per loss gradient of the 2-D Fisher-KPP universal PDE
// (pointwise MLP reaction 1-10-20-10-1 tanh + learnable 5-point-cross stencil) on a
// periodic n x n grid, RK4, 4 observations over t in [0, 1], distributed over the
// ranks of the run.  Prints the forward time, the gradient time (forward + adjoint),
// their ratio and the closure throughput.  Figures, not pass/fail.
//
//   mpiexec -n 2 build/udeflow-bench-fisher [-bench_n 256] [-bench_repeat 3]
#include <petscsys.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/observers.hpp"

using namespace udeflow;

namespace {

PetscErrorCode Run() {
  PetscFunctionBeginUser;
  MPI_Comm comm = PETSC_COMM_WORLD;
  PetscInt n = 256, repeat = 3;
  PetscOptionsBegin(comm, "bench_", "Fisher-KPP 2-D gradient benchmark", "bench");
  PetscCall(UdeOptionsPositiveInt("-n", "Grid points per axis", &n, nullptr));
  PetscCall(
      UdeOptionsPositiveInt("-repeat", "Repetitions (the fastest is reported)", &repeat, nullptr));
  PetscOptionsEnd();
  const std::string opts =
      "-physics fisher_kpp -fisher_dim 2 -fisher_n " + std::to_string(n) +
      " -fisher_dx 0.04 -fisher_diffusion 0 -fisher_rate 0 -fisher_ic_center " +
      std::to_string(0.02 * n) +
      " -fisher_ic_halfwidth 2 -fisher_ic_width 0.2 -closure_type mlp -closure_hidden 10,20,10 "
      "-stencil_closure_type stencil -ts_type rk -ts_rk_type 4 -ts_dt 0.025 -adjoint_memory store";
  PetscCall(PetscOptionsInsertString(nullptr, opts.c_str()));
  std::unique_ptr<pde::Physics> physics;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "fisher_kpp", &physics));
  PetscCall(physics->SetUp());
  AlignedVector<double> theta;  // the parameters the physics reads (initial)
  PetscCall(pde::BindInitialParams(*physics, &theta));
  pde::Scenario sc;
  PetscCall(physics->MakeScenario(0, &sc));
  PetscCall(physics->SetScenario(sc));
  adjoint::Integrator integ(physics.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscCall(integ.SetUp());
  Vec u0;
  PetscCall(DMCreateGlobalVector(physics->Grid(), &u0));
  PetscCall(physics->InitialCondition(u0));
  std::vector<Vec> data(4);
  std::vector<PetscReal> times;
  for (int k = 0; k < 4; ++k) {
    PetscCall(VecDuplicate(u0, &data[k]));
    PetscCall(VecCopy(u0, data[k]));
    PetscCall(VecScale(data[k], 0.9));
    times.push_back(0.25 * (k + 1));
  }
  train::DataMisfit obs(&data, 0.25);
  std::vector<double> g(physics->NumParams());
  double tf = 1e30, tg = 1e30;
  PetscReal L;
  for (PetscInt r = 0; r < repeat; ++r) {
    PetscLogDouble t0, t1, t2;
    PetscCall(PetscBarrier(nullptr));
    PetscCall(PetscTime(&t0));
    PetscCall(integ.Forward(0, u0, times, &obs, &L));
    PetscCall(PetscTime(&t1));
    PetscCall(integ.Gradient(0, u0, times, &obs, &L, g.data()));
    PetscCall(PetscTime(&t2));
    tf = std::min(tf, t1 - t0);
    tg = std::min(tg, t2 - t1);
  }
  int size;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  const double evals =
      2.0 * n * n * integ.Stats().forward_steps * 4;  // forward + adjoint re-linearization
  PetscCall(PetscPrintf(
      comm,
      "fisher 2-D %" PetscInt_FMT "^2 on %d rank(s), %" PetscInt_FMT
      " RK4 steps: forward %.3f s, gradient %.3f s (ratio %.2f), %.2e closure evaluations/s\n",
      n, size, integ.Stats().forward_steps, tf, tg, tg / tf, evals / tg));
  for (Vec& d : data) PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
  PetscErrorCode ierr =
      SessionInitialize(&argc, &argv, "udeflow Fisher-KPP 2-D gradient benchmark\n");
  if (!ierr) ierr = Run();
  return SessionFinalize(ierr);
}
