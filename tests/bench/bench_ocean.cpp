// udeflow-bench-ocean: the ocean-column case at scale, one distributed implicit solve.
//
// 64 x 64 columns x 32 levels (131072 unknowns) with convective adjustment + the neural
// flux 32-128-128-31 ReLU, backward Euler with steps of -bench_dt (default 1 h), Newton
// with the assembled block-diagonal Jacobian (network column Jacobians included),
// observations every -bench_steps_per_obs steps, checkpointed adjoint.  Prints forward
// time, gradient time (forward + adjoint) and their ratio, and the time per step split
// into RHS, network, Jacobian assembly and linear solve from PETSc log events:
//   RHS             UdeRHS (the right-hand side, including its network forward pass)
//   network         UdeClosureFwd + UdeClosureJVP + UdeClosureVJP (all network work,
//                   wherever it runs: RHS, linearization, column Jacobians, products)
//   Jacobian        UdeJacAssembly (including the network's column Jacobians, shown
//                   separately as OceanNetJac)
//   linear solve    KSPSolve (including the matrix-free Jacobian products it applies)
// Figures, not pass/fail.
//
//   mpiexec -n 2 build/udeflow-bench-ocean [-bench_nx 64] [-bench_ny 64] [-bench_steps 12]
//       [-bench_steps_per_obs 4] [-bench_dt 3600] [-bench_ts_type beuler]
#include <petscsys.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "pde/ocean_column.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/scoped_options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/pde/physics.hpp"

using namespace udeflow;

namespace {

// L = sum_k mean (u(t_k) - (u0 - 0.05 k))^2.
class Misfit : public adjoint::Observer {
 public:
  Misfit(Vec u0, int K) {
    for (int k = 0; k < K; ++k) {
      Vec d;
      VecDuplicate(u0, &d);
      VecCopy(u0, d);
      VecShift(d, -0.05 * (k + 1));
      data_.push_back(d);
    }
    VecDuplicate(u0, &work_);
  }
  ~Misfit() override {
    for (Vec& d : data_) VecDestroy(&d);
    VecDestroy(&work_);
  }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec dldu) override {
    PetscFunctionBeginUser;
    PetscInt n;
    PetscReal nrm;
    PetscCall(VecGetSize(u, &n));
    PetscCall(VecWAXPY(work_, -1.0, data_[k], u));
    PetscCall(VecNorm(work_, NORM_2, &nrm));
    *loss += nrm * nrm / n;
    if (dldu) PetscCall(VecAXPBY(dldu, 2.0 / n, 0.0, work_));
    PetscFunctionReturn(0);
  }

 private:
  std::vector<Vec> data_;
  Vec work_ = nullptr;
};

struct Events {
  const char* label;
  std::vector<PetscLogEvent> ids;
};

PetscErrorCode EventSeconds(const std::vector<PetscLogEvent>& ids, double* s) {
  PetscFunctionBeginUser;
  *s = 0;
  for (PetscLogEvent e : ids) {
    PetscEventPerfInfo info;
    PetscCall(PetscLogEventGetPerfInfo(PETSC_DETERMINE, e, &info));
    *s += info.time;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Run(MPI_Comm comm) {
  PetscFunctionBeginUser;
  PetscInt nx = 64, ny = 64, steps = 12, per_obs = 4;
  PetscReal dt = 3600;
  std::string ts_type = "beuler";
  PetscOptionsBegin(comm, "bench_", "Ocean benchmark", "bench");
  PetscCall(UdeOptionsPositiveInt("-nx", "Columns in x", &nx, nullptr));
  PetscCall(UdeOptionsPositiveInt("-ny", "Columns in y", &ny, nullptr));
  PetscCall(UdeOptionsPositiveInt("-steps", "Time steps", &steps, nullptr));
  PetscCall(
      UdeOptionsPositiveInt("-steps_per_obs", "Steps between observations", &per_obs, nullptr));
  PetscCall(UdeOptionsPositiveReal("-dt", "Time step (s)", &dt, nullptr));
  PetscCall(UdeOptionsChoice("-ts_type", "Implicit method", {"beuler", "cn", "theta"}, &ts_type,
                             nullptr));
  PetscOptionsEnd();
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));

  ScopedOptionValues opts;
  PetscCall(opts.Set("-physics", "ocean_column"));
  PetscCall(opts.Set("-ocean_nx", std::to_string(nx)));
  PetscCall(opts.Set("-ocean_ny", std::to_string(ny)));
  PetscCall(opts.Set("-closure_type", "mlp"));
  PetscCall(opts.Set("-closure_hidden", "128,128"));
  PetscCall(opts.Set("-closure_activation", "relu"));
  PetscCall(opts.Set("-closure_init_scale", "0.1"));
  PetscCall(opts.Set("-ts_type", ts_type));
  PetscCall(opts.Set("-ts_dt", std::to_string(dt)));
  PetscCall(opts.Set("-snes_rtol", "1e-8"));
  PetscCall(opts.Set("-snes_atol", "1e-11"));
  PetscCall(opts.Set("-adjoint_memory", "checkpoint"));
  std::unique_ptr<pde::Physics> physics;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "ocean_column", &physics));
  PetscCall(physics->SetUp());
  AlignedVector<double> theta;  // the parameters the physics reads (initial)
  PetscCall(pde::BindInitialParams(*physics, &theta));
  adjoint::Integrator integ(physics.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscCall(integ.SetUp());
  if (help) PetscFunctionReturn(0);
  pde::Scenario sc;
  PetscCall(physics->MakeScenario(1, &sc));
  PetscCall(physics->SetScenario(sc));
  Vec u0;
  PetscCall(DMCreateGlobalVector(physics->Grid(), &u0));
  PetscCall(physics->InitialCondition(u0));
  std::vector<PetscReal> times;
  for (PetscInt s = per_obs; s <= steps; s += per_obs) times.push_back(s * dt);
  Misfit obs(u0, static_cast<int>(times.size()));
  int size;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscPrintf(
      comm, "bench-ocean: %s on %d rank(s)\n  %s; %" PetscInt_FMT " steps, %zu observations\n",
      physics->Describe().c_str(), size, integ.Describe().c_str(), steps, times.size()));

  PetscLogEvent ksp, snes_jac;
  PetscCall(PetscLogEventGetId("KSPSolve", &ksp));
  PetscCall(PetscLogEventGetId("SNESJacobianEval", &snes_jac));
  const std::vector<Events> split = {
      {"RHS (incl. its network pass)", {LogEvents::rhs}},
      {"network (all passes)",
       {LogEvents::closure_forward, LogEvents::closure_jvp, LogEvents::closure_vjp}},
      {"Jacobian assembly", {LogEvents::jacobian_assembly}},
      {"  of which network Jacobian", {pde::OceanColumn::NetworkJacobianEvent()}},
      {"linear solve (KSPSolve)", {ksp}},
  };
  std::vector<std::vector<double>> at(3, std::vector<double>(split.size()));
  PetscReal loss;
  // Warm-up (first-touch allocation), then the timed runs.
  PetscCall(integ.Forward(0.0, u0, times, &obs, &loss));
  for (size_t i = 0; i < split.size(); ++i) PetscCall(EventSeconds(split[i].ids, &at[0][i]));
  double t0 = MPI_Wtime();
  PetscCall(integ.Forward(0.0, u0, times, &obs, &loss));
  double t_fwd = MPI_Wtime() - t0;
  for (size_t i = 0; i < split.size(); ++i) PetscCall(EventSeconds(split[i].ids, &at[1][i]));
  std::vector<double> grad(physics->NumParams());
  t0 = MPI_Wtime();
  PetscCall(integ.Gradient(0.0, u0, times, &obs, &loss, grad.data()));
  double t_grad = MPI_Wtime() - t0;
  for (size_t i = 0; i < split.size(); ++i) PetscCall(EventSeconds(split[i].ids, &at[2][i]));
  const adjoint::IntegratorStats st = integ.Stats();

  // Event times are per rank; report the maximum over ranks.
  std::vector<double> fwd(split.size()), grd(split.size());
  for (size_t i = 0; i < split.size(); ++i) {
    fwd[i] = at[1][i] - at[0][i];
    grd[i] = at[2][i] - at[1][i];
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, fwd.data(), (int)fwd.size(), MPI_DOUBLE, MPI_MAX, comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, grd.data(), (int)grd.size(), MPI_DOUBLE, MPI_MAX, comm));
  PetscCall(PetscPrintf(comm, "  forward  %8.3f s  (%.3f s per step)\n", t_fwd, t_fwd / steps));
  PetscCall(PetscPrintf(comm,
                        "  gradient %8.3f s  (forward + replay %" PetscInt_FMT
                        " steps + adjoint %" PetscInt_FMT " steps)\n  gradient / forward = %.2f\n",
                        t_grad, st.replayed_steps, st.adjoint_steps, t_grad / t_fwd));
  PetscCall(PetscPrintf(
      comm, "  time per forward step, and per step of the gradient pass (max over ranks):\n"));
  PetscCall(PetscPrintf(comm, "    %-30s %12s %12s\n", "phase", "forward", "gradient"));
  for (size_t i = 0; i < split.size(); ++i)
    PetscCall(PetscPrintf(comm, "    %-30s %10.2f ms %10.2f ms\n", split[i].label,
                          1e3 * fwd[i] / steps, 1e3 * grd[i] / steps));
  PetscCall(PetscPrintf(comm, "    %-30s %10.2f ms %10.2f ms\n", "total", 1e3 * t_fwd / steps,
                        1e3 * t_grad / steps));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
  PetscErrorCode ierr = SessionInitialize(&argc, &argv, "udeflow ocean-column benchmark\n");
  if (!ierr) ierr = PetscLogDefaultBegin();
  if (!ierr) ierr = Run(PETSC_COMM_WORLD);
  return SessionFinalize(ierr);
}
