// udeflow-bench-gradient: cost of the exact gradient relative to the forward solve.
//
// Burgers with a 5-point-stencil MLP flux closure 5-32-32-1 tanh, RK4 with fixed
// steps, 10 observation times, for several grid sizes and every adjoint memory mode.
// Prints forward time, gradient time (forward + adjoint), their ratio and the peak
// memory of the gradient, plus the closure's throughput.  Figures, not pass/fail.
//
//   mpiexec -n 2 build/udeflow-bench-gradient [-bench_n 1024,16384,262144]
//       [-bench_steps_per_obs 2] [-bench_repeat 3] [-bench_modes store,checkpoint,disk]
#include <malloc.h>
#include <petscsys.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "scoped_options.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/nn/mlp.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/observers.hpp"

using namespace udeflow;

namespace {

// Peak resident memory of this process since the last reset (kB), from /proc.
long PeakRssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}
void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

double Now() {
  PetscLogDouble t;
  PetscTime(&t);
  return t;
}

PetscErrorCode ClosureThroughput(MPI_Comm comm) {
  PetscFunctionBeginUser;
  nn::Mlp net({5, 32, 32, 1}, nn::Activation::kTanh);
  net.Initialize(1, 1.0);
  const int n = 4096, reps = 200;
  nn::Matrix x(5, n), ybar = nn::Matrix::Ones(1, n), xbar;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < 5; ++i) x(i, j) = 2 * Philox::Uniform(3, i, j) - 1;
  nn::Mlp::Tape tape;
  std::vector<double> g(net.NumParams());
  net.Forward(x, tape);
  double t0 = Now();
  for (int r = 0; r < reps; ++r) net.Forward(x, tape);
  double t1 = Now();
  for (int r = 0; r < reps; ++r) net.Vjp(tape, ybar, &xbar, g.data());
  double t2 = Now();
  const double flops = net.FlopsPerPoint() * n * reps;
  PetscCall(PetscPrintf(
      comm,
      "closure MLP 5-32-32-1 tanh, batches of %d points, one core: forward %.2f GFLOP/s "
      "(%.1f ns/point), VJP (input + parameters) %.2f GFLOP/s (%.2fx forward time)\n",
      n, flops / (t1 - t0) * 1e-9, (t1 - t0) / (n * reps) * 1e9, 2 * flops / (t2 - t1) * 1e-9,
      (t2 - t1) / (t1 - t0)));
  PetscFunctionReturn(0);
}

PetscErrorCode Run() {
  PetscFunctionBeginUser;
  MPI_Comm comm = PETSC_COMM_WORLD;
  std::vector<PetscInt> sizes = {1024, 16384, 262144};
  PetscInt steps_per_obs = 2, repeat = 3, nobs = 10;
  std::string modes_s = "store,checkpoint,disk";
  PetscOptionsBegin(comm, "bench_", "Gradient benchmark", "bench");
  PetscCall(UdeOptionsIntList("-n", "Grid sizes", &sizes, 16, nullptr));
  PetscCall(UdeOptionsPositiveInt("-steps_per_obs", "RK4 steps between observations",
                                  &steps_per_obs, nullptr));
  PetscCall(UdeOptionsPositiveInt("-obs", "Observation times", &nobs, nullptr));
  PetscCall(
      UdeOptionsPositiveInt("-repeat", "Timing repetitions (best is reported)", &repeat, nullptr));
  PetscCall(UdeOptionsString("-modes", "Memory modes", &modes_s, nullptr));
  PetscOptionsEnd();
  std::vector<std::string> modes;
  {
    std::stringstream ss(modes_s);
    std::string m;
    while (std::getline(ss, m, ',')) modes.push_back(m);
  }
  int size;
  MPI_Comm_size(comm, &size);
  PetscCall(ClosureThroughput(comm));
  PetscCall(
      PetscPrintf(comm,
                  "gradient benchmark: Burgers + MLP closure 5-32-32-1 tanh, RK4, %" PetscInt_FMT
                  " observations x %" PetscInt_FMT " steps, %d MPI ranks\n",
                  nobs, steps_per_obs, size));
  PetscCall(PetscPrintf(comm, "%9s %-11s %-6s %11s %11s %7s %14s %12s\n", "N", "memory", "cache",
                        "forward s", "gradient s", "ratio", "peak MB/rank", "closure GF/s"));
  for (PetscInt N : sizes) {
    for (const std::string& mode : modes) {
      ScopedOptionValues o;
      PetscCall(o.Set("-burgers_n", std::to_string(N)));
      PetscCall(o.Set("-burgers_ic", "sine"));
      PetscCall(o.Set("-burgers_closure_stencil", "5"));
      PetscCall(o.Set("-closure_type", "mlp"));
      PetscCall(o.Set("-closure_hidden", "32,32"));
      PetscCall(o.Set("-closure_activation", "tanh"));
      PetscCall(o.Set("-closure_init_scale", "0.1"));
      PetscCall(o.Set("-ts_type", "rk"));
      PetscCall(o.Set("-ts_rk_type", "4"));
      PetscCall(o.Set("-adjoint_memory", mode));
      PetscCall(o.Set("-adjoint_checkpoint_dir", "/tmp"));
      std::unique_ptr<pde::Physics> phys;
      PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "burgers", &phys));
      PetscCall(phys->SetUp());
      AlignedVector<double> theta;  // the parameters phys reads (initial)
      PetscCall(pde::BindInitialParams(*phys, &theta));
      pde::Scenario sc;
      PetscCall(phys->MakeScenario(1, &sc));
      PetscCall(phys->SetScenario(sc));
      Vec u0;
      PetscCall(DMCreateGlobalVector(phys->Grid(), &u0));
      PetscCall(phys->InitialCondition(u0));
      PetscReal dt;
      PetscCall(phys->StableTimeStep(u0, &dt));
      dt *= 0.5;
      std::ostringstream dts;
      dts.precision(17);
      dts << dt;
      PetscCall(o.Set("-ts_dt", dts.str()));
      adjoint::Integrator integ(phys.get());
      PetscCall(integ.SetFromOptions(nullptr));
      PetscCall(integ.SetUp());
      std::vector<PetscReal> times;
      std::vector<Vec> data(nobs);
      for (PetscInt k = 0; k < nobs; ++k) {
        times.push_back(dt * steps_per_obs * (k + 1));
        PetscCall(VecDuplicate(u0, &data[k]));
        PetscCall(VecSet(data[k], 0.1 * k));
      }
      train::DataMse obs(&data, 1.0);
      std::vector<double> g(phys->NumParams());
      PetscReal L;
      // Warm up (allocations, first touch), then best-of timings.
      PetscCall(integ.Gradient(0.0, u0, times, &obs, &L, g.data()));
      double tf = 1e300, tg = 1e300;
      for (PetscInt r = 0; r < repeat; ++r) {
        PetscCall(PetscBarrier(nullptr));
        double a = Now();
        PetscCall(integ.Forward(0.0, u0, times, &obs, &L));
        PetscCall(PetscBarrier(nullptr));
        double b = Now();
        tf = std::min(tf, b - a);
      }
      malloc_trim(0);
      for (PetscInt r = 0; r < repeat; ++r) {
        malloc_trim(0);
        PetscCall(PetscBarrier(nullptr));
        ResetPeakRss();
        double a = Now();
        PetscCall(integ.Gradient(0.0, u0, times, &obs, &L, g.data()));
        PetscCall(PetscBarrier(nullptr));
        double b = Now();
        tg = std::min(tg, b - a);
      }
      long peak = PeakRssKb();
      long peak_max;
      MPI_Allreduce(&peak, &peak_max, 1, MPI_LONG, MPI_MAX, comm);
      const double flops = phys->ClosureFlopsPerRhs() * 4 * nobs * steps_per_obs;
      double fl_sum;
      MPI_Allreduce(&flops, &fl_sum, 1, MPI_DOUBLE, MPI_SUM, comm);
      const char* cached = integ.Stats().cache_hits > 0 ? "yes" : "no";
      PetscCall(PetscPrintf(
          comm, "%9" PetscInt_FMT " %-11s %-6s %11.4f %11.4f %7.2f %14.1f %12.2f\n", N,
          mode.c_str(), cached, tf, tg, tg / tf, peak_max / 1024.0, fl_sum / tf * 1e-9));
      for (Vec& d : data) PetscCall(VecDestroy(&d));
      PetscCall(VecDestroy(&u0));
    }
  }
  PetscCall(PetscPrintf(
      comm,
      "cache: closure activations kept for the adjoint (-adjoint_cache_mb, default 512 MB/rank) "
      "instead of recomputed\n"
      "targets: ratio <= 3 (store), <= 4.5 (checkpoint); checkpointed peak well under store at "
      "the largest N\n"));
  PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
  // Large blocks straight from mmap and back to the system when freed, so that the
  // peak-memory reading of one configuration is not inflated by the previous one.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  PetscErrorCode ierr = SessionInitialize(&argc, &argv, "udeflow gradient benchmark\n");
  if (!ierr) ierr = Run();
  return SessionFinalize(ierr);
}
