// udeflow-bench-gradient: cost of the exact gradient relative to the forward solve.
//
// Burgers with a 5-point-stencil MLP flux closure 5-32-32-1 tanh, RK4 with fixed
// steps, 10 observation times, for several grid sizes and every adjoint memory mode.
// Prints forward time, gradient time (forward + adjoint), their ratio and the peak
// memory of the gradient, plus the closure's throughput against this core's FMA peak (fused
// kernels, which the runs use, and the generic Eigen path, for comparison),
// the gradient's time breakdown (PETSc log events) and, for binomial checkpointing, the
// recomputed steps against the optimum and the states held at 10^5 steps; online
// checkpointing (-adjoint_memory online) against the offline binomial optimum, as counts
// of the schedules for several (steps, slots) and on the long chain.  Figures, not
// pass/fail.
//
//   mpiexec -n 2 build/udeflow-bench-gradient [-bench_n 1024,16384,262144]
//       [-bench_steps_per_obs 2] [-bench_repeat 3]
//       [-bench_modes store,checkpoint,disk,binomial,online] [-bench_slots 20]
//       [-bench_long_steps 100000] [-bench_disk_every 10000] [-bench_long_online 1]
//       [-bench_online_steps 1000,10000,100000] [-bench_online_slots 10,20]
//       [-bench_adaptive_span 20000] [-bench_adaptive_tol 1e-6]
#include <malloc.h>
#include <petscsys.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "udeflow/adjoint/binomial.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/adjoint/online.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/core/scoped_options.hpp"
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

// CPU time of this thread (s): the kernel and peak timings below count only the cycles
// this thread ran, so other jobs time-slicing the core do not lower them (they can still
// share its caches).
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

// This core's double-precision peak: 10 independent chains of packet multiply-adds (FMA
// instructions; 4 doubles with AVX2, 8 with AVX-512) held in registers, enough to cover
// the FMA latency on two pipes.  (Until 2026-12-03 the chains were an array of 64 doubles
// that the compiler kept in memory: that loop was bound by one store per cycle and
// measured about half the peak, so the percentages printed before then are ~2x too high.)
__attribute__((noinline)) double FmaPeakGflops() {
  namespace ei = Eigen::internal;
  using Packet = ei::packet_traits<double>::type;
  constexpr int kP = ei::packet_traits<double>::size, kC = 10;
  Packet acc[kC];
  for (int k = 0; k < kC; ++k) acc[k] = ei::pset1<Packet>(1.0 + 1e-3 * k);
  const Packet a = ei::pset1<Packet>(0.999999999), b = ei::pset1<Packet>(1e-9);
  const long iters = 20000000;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = CpuNow();
    for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 10
      for (int k = 0; k < kC; ++k) acc[k] = ei::pmadd(acc[k], a, b);
    }
    const double t1 = CpuNow();
    best = std::max(best, 2.0 * kC * kP * iters / (t1 - t0) * 1e-9);
  }
  double sum = 0;
  for (int k = 0; k < kC; ++k) sum += ei::predux(acc[k]);
  volatile double sink = sum;
  (void)sink;
  return best;
}

// Best-of-5 times of `reps` forward passes and `reps` VJPs (input + parameters) of the
// closure MLP on a batch, with the fused kernels (fast) or the generic Eigen path.
void TimeClosure(bool fast, const nn::Matrix& x, int reps, double* tf, double* tv) {
  nn::DenseNet net({5, 32, 32, 1}, nn::Activation::kTanh);
  net.SetFastKernels(fast);
  std::vector<double> p(net.NumParams()), g(net.NumParams());
  net.Initialize(1, 1.0, p.data());
  const nn::Matrix ybar = nn::Matrix::Ones(1, x.cols());
  nn::Matrix xbar;
  nn::DenseNet::Tape tape;
  net.Forward(p.data(), x, tape);
  *tf = *tv = 1e300;
  for (int k = 0; k < 5; ++k) {
    const double t0 = CpuNow();
    for (int r = 0; r < reps; ++r) net.Forward(p.data(), x, tape);
    const double t1 = CpuNow();
    for (int r = 0; r < reps; ++r)
      net.Vjp(p.data(), tape, ybar, g.data(), &xbar, nn::DenseNet::Accumulate::kStaged);
    const double t2 = CpuNow();
    *tf = std::min(*tf, t1 - t0);
    *tv = std::min(*tv, t2 - t1);
  }
}

double g_fma_peak = 0;  // GFLOP/s of one core, measured by ClosureThroughput

PetscErrorCode ClosureThroughput(MPI_Comm comm) {
  PetscFunctionBeginUser;
  const double peak = FmaPeakGflops();
  g_fma_peak = peak;
  const int n = 4096, reps = 200;
  nn::Matrix x(5, n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < 5; ++i) x(i, j) = 2 * Philox::Uniform(3, i, j) - 1;
  const double flops =
      nn::DenseNet({5, 32, 32, 1}, nn::Activation::kTanh).FlopsPerPoint() * n * reps;
  PetscCall(
      PetscPrintf(comm,
                  "FMA peak of this core (multiply-add chains in registers, thread CPU time): "
                  "%.2f GFLOP/s\n",
                  peak));
  for (const bool fast : {true, false}) {
    double tf, tv;
    TimeClosure(fast, x, reps, &tf, &tv);
    const double gf = flops / tf * 1e-9, gv = 2 * flops / tv * 1e-9;
    PetscCall(PetscPrintf(
        comm,
        "closure MLP 5-32-32-1 tanh, %s, batches of %d points, one core, best of 5 (thread CPU "
        "time): forward "
        "%.2f GFLOP/s = %.0f%% of peak (%.1f ns/point); VJP (input + parameters) %.2f GFLOP/s = "
        "%.0f%% of peak (%.2fx forward time)\n",
        fast ? "fused kernels (used)" : "generic Eigen path", n, gf, 100 * gf / peak,
        tf / (n * reps) * 1e9, gv, 100 * gv / peak, tv / tf));
  }
  PetscFunctionReturn(0);
}

// Seconds spent in a log event so far on this rank (0 without logging).
double EventSeconds(PetscLogEvent e) {
  PetscEventPerfInfo info;
  if (PetscLogEventGetPerfInfo(PETSC_DETERMINE, e, &info)) return 0;
  return info.time;
}

struct EventTimes {
  double rhs, closure_fwd, rhs_vjp, closure_vjp, ckpt, allreduce, total;
};
EventTimes ReadEvents() {
  return {EventSeconds(LogEvents::rhs),
          EventSeconds(LogEvents::closure_forward),
          EventSeconds(LogEvents::rhs_vjp),
          EventSeconds(LogEvents::closure_vjp),
          EventSeconds(LogEvents::checkpoint_io),
          EventSeconds(LogEvents::allreduce),
          Now()};
}

// The gradient's time split by log events (rank 0), in disjoint parts: closure forward
// (in the RHS and, without cached activations, in the adjoint's linearization), closure
// VJP, the rest of the RHS and of its VJP (fluxes, stencils, ghost exchange), checkpoint
// copies, the parameter reduction, and the rest (TS bookkeeping, vector updates,
// observations).  Recomputation: the RHS time of the replayed steps (a part of the above).
PetscErrorCode PrintBreakdown(MPI_Comm comm, const EventTimes& a, const EventTimes& b,
                              const adjoint::IntegratorStats& st) {
  PetscFunctionBeginUser;
  const double total = b.total - a.total, rhs = b.rhs - a.rhs, cf = b.closure_fwd - a.closure_fwd;
  const double vjp = b.rhs_vjp - a.rhs_vjp, cv = b.closure_vjp - a.closure_vjp;
  const double ck = b.ckpt - a.ckpt, red = b.allreduce - a.allreduce;
  const double rest = total - rhs - vjp - ck - red;
  const double steps = st.forward_steps + st.replayed_steps;
  const double recompute = steps > 0 ? rhs * st.replayed_steps / steps : 0;
  auto pct = [&](double x) { return 100 * x / total; };
  PetscCall(
      PetscPrintf(comm,
                  "    breakdown (rank 0, %.4f s): closure forward %.0f%%, closure VJP %.0f%%, "
                  "rest of RHS and RHS VJP %.0f%%, checkpoint I/O %.1f%%, reduction %.1f%%, "
                  "TS, vectors and observations %.0f%%; recomputation %.0f%% (%" PetscInt_FMT
                  " of %.0f steps replayed)\n",
                  total, pct(cf), pct(cv), pct(rhs + vjp - cf - cv), pct(ck), pct(red), pct(rest),
                  pct(recompute), st.replayed_steps, steps));
  PetscFunctionReturn(0);
}

// A floor no implementation of the exact gradient beats: the closure's forward flops once
// (`fwd_flops`, all ranks) and its VJP (input and parameter cotangents: twice the forward's
// multiply-adds), 3x fwd_flops in all, at the measured FMA peak of every rank's core.
PetscErrorCode PrintFlopFloor(MPI_Comm comm, double fwd_flops, double t_gradient) {
  PetscFunctionBeginUser;
  int size;
  MPI_Comm_size(comm, &size);
  if (g_fma_peak <= 0) PetscFunctionReturn(0);
  const double floor_s = 3 * fwd_flops / (g_fma_peak * 1e9 * size);
  PetscCall(PetscPrintf(comm,
                        "    flop floor: closure forward + VJP = %.2f GFLOP a gradient, %.4f s at "
                        "the measured FMA peak (%.2f GFLOP/s x %d cores); this gradient is %.2fx "
                        "that floor\n",
                        3 * fwd_flops * 1e-9, floor_s, g_fma_peak, size, t_gradient / floor_s));
  PetscFunctionReturn(0);
}

struct BenchConfig {
  std::vector<PetscInt> sizes = {1024, 16384, 262144};
  PetscInt steps_per_obs = 2, repeat = 3, nobs = 10, slots = 20, long_steps = 100000;
  PetscInt disk_every = 10000;         // the long chain again with the disk level (0: not)
  PetscBool long_online = PETSC_TRUE;  // the long chain again with online checkpointing
  std::vector<PetscInt> online_steps = {1000, 10000, 100000}, online_slots = {10, 20};
  PetscInt adaptive_span = 20000;  // adaptive run over this many stable steps' time (0: none)
  PetscReal adaptive_tol = 1e-6;
  std::vector<std::string> modes;
};

// The Burgers + MLP closure problem of the benchmark at N cells (options set in `o`).
PetscErrorCode MakeProblem(MPI_Comm comm, PetscInt N, ScopedOptionValues& o,
                           std::unique_ptr<pde::Physics>* phys, AlignedVector<double>* theta,
                           Vec* u0, PetscReal* dt) {
  PetscFunctionBeginUser;
  PetscCall(o.Set("-burgers_n", std::to_string(N)));
  PetscCall(o.Set("-burgers_ic", "sine"));
  PetscCall(o.Set("-burgers_closure_stencil", "5"));
  PetscCall(o.Set("-closure_type", "mlp"));
  PetscCall(o.Set("-closure_hidden", "32,32"));
  PetscCall(o.Set("-closure_activation", "tanh"));
  PetscCall(o.Set("-closure_init_scale", "0.1"));
  PetscCall(o.Set("-ts_type", "rk"));
  PetscCall(o.Set("-ts_rk_type", "4"));
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "burgers", phys));
  PetscCall((*phys)->SetUp());
  PetscCall(pde::BindInitialParams(**phys, theta));
  pde::Scenario sc;
  PetscCall((*phys)->MakeScenario(1, &sc));
  PetscCall((*phys)->SetScenario(sc));
  PetscCall(DMCreateGlobalVector((*phys)->Grid(), u0));
  PetscCall((*phys)->InitialCondition(*u0));
  PetscCall((*phys)->StableTimeStep(*u0, dt));
  *dt *= 0.5;
  std::ostringstream dts;
  dts.precision(17);
  dts << *dt;
  PetscCall(o.Set("-ts_dt", dts.str()));
  PetscFunctionReturn(0);
}

PetscErrorCode RunOne(MPI_Comm comm, const BenchConfig& c, PetscInt N, const std::string& mode) {
  PetscFunctionBeginUser;
  ScopedOptionValues o;
  PetscCall(o.Set("-adjoint_memory", mode));
  PetscCall(o.Set("-adjoint_checkpoint_dir", "/tmp"));
  PetscCall(o.Set("-adjoint_checkpoint_slots", std::to_string(c.slots)));
  std::unique_ptr<pde::Physics> phys;
  AlignedVector<double> theta;  // the parameters phys reads (initial)
  Vec u0;
  PetscReal dt;
  PetscCall(MakeProblem(comm, N, o, &phys, &theta, &u0, &dt));
  adjoint::Integrator integ(phys.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscCall(integ.SetUp());
  std::vector<PetscReal> times;
  std::vector<Vec> data(c.nobs);
  for (PetscInt k = 0; k < c.nobs; ++k) {
    times.push_back(dt * c.steps_per_obs * (k + 1));
    PetscCall(VecDuplicate(u0, &data[k]));
    PetscCall(VecSet(data[k], 0.1 * k));
  }
  train::DataMse obs(&data, 1.0);
  std::vector<double> g(phys->NumParams());
  PetscReal L;
  // Warm up (allocations, first touch), then best-of timings.
  PetscCall(integ.Gradient(0.0, u0, times, &obs, &L, g.data()));
  double tf = 1e300, tg = 1e300;
  for (PetscInt r = 0; r < c.repeat; ++r) {
    PetscCall(PetscBarrier(nullptr));
    double a = Now();
    PetscCall(integ.Forward(0.0, u0, times, &obs, &L));
    PetscCall(PetscBarrier(nullptr));
    tf = std::min(tf, Now() - a);
  }
  malloc_trim(0);
  EventTimes best_a{}, best_b{};
  for (PetscInt r = 0; r < c.repeat; ++r) {
    malloc_trim(0);
    PetscCall(PetscBarrier(nullptr));
    ResetPeakRss();
    const EventTimes ea = ReadEvents();
    PetscCall(integ.Gradient(0.0, u0, times, &obs, &L, g.data()));
    PetscCall(PetscBarrier(nullptr));
    const EventTimes eb = ReadEvents();
    if (eb.total - ea.total < tg) {
      tg = eb.total - ea.total;
      best_a = ea;
      best_b = eb;
    }
  }
  long peak = PeakRssKb();
  long peak_max;
  MPI_Allreduce(&peak, &peak_max, 1, MPI_LONG, MPI_MAX, comm);
  const double flops = phys->ClosureFlopsPerRhs() * 4 * c.nobs * c.steps_per_obs;
  double fl_sum;
  MPI_Allreduce(&flops, &fl_sum, 1, MPI_DOUBLE, MPI_SUM, comm);
  const adjoint::IntegratorStats& st = integ.Stats();
  const char* cached = st.cache_hits > 0 ? "yes" : "no";
  std::string recompute = std::to_string(st.replayed_steps);
  if (mode == "binomial")
    recompute += " (optimum " +
                 std::to_string(adjoint::BinomialMinAdvances(st.forward_steps, c.slots)) + ")";
  if (mode == "online")
    recompute += " (offline optimum " + std::to_string(st.offline_optimum) + ")";
  PetscCall(PetscPrintf(comm,
                        "%9" PetscInt_FMT
                        " %-11s %-6s %11.4f %11.4f %7.2f %14.1f %12.2f  %s, %" PetscInt_FMT
                        " held\n",
                        N, mode.c_str(), cached, tf, tg, tg / tf, peak_max / 1024.0,
                        fl_sum / tf * 1e-9, recompute.c_str(), st.peak_checkpoints));
  PetscCall(PrintBreakdown(comm, best_a, best_b, st));
  PetscCall(PrintFlopFloor(comm, fl_sum, tg));
  for (Vec& d : data) PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

// Binomial or online checkpointing over a long chain at small N: the states held stay at the
// slot budget, the recomputations at the optimum (binomial, RAM only), at
// sum_k (l_k + F(l_k, slots)) with the disk level every `disk_every` steps, or at the online
// schedule's count (OnlineRecomputations, with or without the disk level).
PetscErrorCode LongChain(MPI_Comm comm, const BenchConfig& c, PetscInt disk_every,
                         bool online = false) {
  PetscFunctionBeginUser;
  ScopedOptionValues o;
  PetscCall(o.Set("-adjoint_memory", online ? "online" : "binomial"));
  PetscCall(o.Set("-adjoint_checkpoint_slots", std::to_string(c.slots)));
  PetscCall(o.Set("-adjoint_checkpoint_disk_every", std::to_string(disk_every)));
  std::unique_ptr<pde::Physics> phys;
  AlignedVector<double> theta;
  Vec u0;
  PetscReal dt;
  PetscCall(MakeProblem(comm, 64, o, &phys, &theta, &u0, &dt));
  adjoint::Integrator integ(phys.get());
  PetscCall(integ.SetFromOptions(nullptr));
  std::vector<PetscReal> times = {dt * c.long_steps / 2, dt * c.long_steps};
  std::vector<Vec> data(2);
  for (Vec& d : data) {
    PetscCall(VecDuplicate(u0, &d));
    PetscCall(VecSet(d, 0.1));
  }
  train::DataMse obs(&data, 1.0);
  std::vector<double> g(phys->NumParams());
  PetscReal L;
  malloc_trim(0);
  ResetPeakRss();
  const long rss0 = PeakRssKb();
  const double t0 = Now();
  PetscCall(integ.Gradient(0.0, u0, times, &obs, &L, g.data()));
  const double t1 = Now();
  const long rss_growth = PeakRssKb() - rss0;  // before the schedule count below allocates
  const adjoint::IntegratorStats& st = integ.Stats();
  const PetscInt M = st.forward_steps;
  long long expect = adjoint::BinomialMinAdvances(M, c.slots);
  if (online) {
    expect = adjoint::OnlineRecomputations(M, c.slots, disk_every);
  } else if (disk_every > 0 && M > disk_every) {
    expect = 0;
    for (PetscInt a = 0; a < M; a += disk_every) {
      const PetscInt l = std::min(disk_every, M - a);
      expect += l + adjoint::BinomialMinAdvances(l, c.slots);
    }
  }
  PetscCall(PetscPrintf(
      comm,
      "%s%s, %" PetscInt_FMT " steps (N = 64), %" PetscInt_FMT " slots: %" PetscInt_FMT
      " states held in RAM at most (%.1f kB/rank), %" PetscInt_FMT " on disk, %" PetscInt_FMT
      " steps recomputed (%s %lld, %.2f per step%s), %.1f s, peak RSS growth %.1f MB\n",
      online ? "online" : "binomial",
      disk_every > 0 ? (" + disk every " + std::to_string(disk_every)).c_str() : "", M, c.slots,
      st.peak_checkpoints, st.checkpoint_bytes / 1024, st.disk_checkpoints, st.replayed_steps,
      online           ? "schedule count"
      : disk_every > 0 ? "two-level count"
                       : "optimum",
      expect, (double)st.replayed_steps / M,
      online ? (", offline optimum " + std::to_string(st.offline_optimum)).c_str() : "", t1 - t0,
      rss_growth / 1024.0));
  for (Vec& d : data) PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

// Adaptive steps (Dormand-Prince 5dp, basic controller) at N = 64 over `adaptive_span` stable
// steps' time, binomial against online memory with the same slots: binomial records the
// steps in a forward pass, then replays the offline schedule (2 M + F steps in all); online
// places its checkpoints in the one forward sweep (M + R).  The step hook counts the
// observed forward sweeps.
PetscErrorCode AdaptiveChain(MPI_Comm comm, const BenchConfig& c, const std::string& mode) {
  PetscFunctionBeginUser;
  ScopedOptionValues o;
  PetscCall(o.Set("-adjoint_memory", mode));
  PetscCall(o.Set("-adjoint_checkpoint_slots", std::to_string(c.slots)));
  std::unique_ptr<pde::Physics> phys;
  AlignedVector<double> theta;
  Vec u0;
  PetscReal dt;
  PetscCall(MakeProblem(comm, 64, o, &phys, &theta, &u0, &dt));
  PetscCall(o.Set("-ts_rk_type", "5dp"));
  PetscCall(o.Set("-ts_adapt_type", "basic"));
  PetscCall(o.Set("-ts_atol", std::to_string(c.adaptive_tol)));
  PetscCall(o.Set("-ts_rtol", std::to_string(c.adaptive_tol)));
  adjoint::Integrator integ(phys.get());
  PetscCall(integ.SetFromOptions(nullptr));
  PetscInt hooks = 0;
  integ.SetStepHook([&hooks](PetscInt, PetscReal, Vec) -> PetscErrorCode {
    ++hooks;
    return 0;
  });
  std::vector<PetscReal> times = {dt * c.adaptive_span / 2, dt * c.adaptive_span};
  std::vector<Vec> data(2);
  for (Vec& d : data) {
    PetscCall(VecDuplicate(u0, &d));
    PetscCall(VecSet(d, 0.1));
  }
  train::DataMse obs(&data, 1.0);
  std::vector<double> g(phys->NumParams());
  PetscReal L;
  const double t0 = Now();
  PetscCall(integ.Gradient(0.0, u0, times, &obs, &L, g.data()));
  const double t1 = Now();
  const adjoint::IntegratorStats& st = integ.Stats();
  const PetscInt M = st.forward_steps;
  const bool online = mode == "online";
  const long long all = online ? M + st.replayed_steps : 2LL * M + st.replayed_steps;
  PetscCall(PetscPrintf(
      comm,
      "adaptive 5dp (tol %g), %s, %" PetscInt_FMT " slots: %" PetscInt_FMT " steps, %" PetscInt_FMT
      " recomputed%s, %lld steps in all, observed forward sweeps %.0f, "
      "%.1f s, loss %.10e\n",
      (double)c.adaptive_tol, mode.c_str(), c.slots, M, st.replayed_steps,
      online ? (" (offline optimum " + std::to_string(st.offline_optimum) + ")").c_str() : "", all,
      (double)hooks / (M + 1), t1 - t0, (double)L));
  for (Vec& d : data) PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

// Online against offline checkpointing, as counts of the schedules (exact, no solve):
// recomputations R of the online schedule and F of the offline binomial one, and the steps
// of a whole gradient with adaptive steps (forward sweep included): online l + R, binomial
// 2 l + F (the steps recorded in an extra forward pass, then the schedule replayed).
PetscErrorCode OnlineTable(MPI_Comm comm, const BenchConfig& c) {
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(comm,
                        "online vs offline (binomial) checkpointing, recomputed steps:\n"
                        "%9s %6s %12s %12s %7s   %-34s\n",
                        "steps", "slots", "online R", "offline F", "R/F",
                        "adaptive gradient, all steps: online l+R / binomial 2l+F"));
  for (PetscInt l : c.online_steps)
    for (PetscInt s : c.online_slots) {
      if (l <= 0 || s <= 0) continue;
      const long long R = adjoint::OnlineRecomputations(l, s);
      const long long F = adjoint::BinomialMinAdvances(l, s);
      PetscCall(PetscPrintf(
          comm, "%9" PetscInt_FMT " %6" PetscInt_FMT " %12lld %12lld %7.3f   %lld / %lld (%.3f)\n",
          l, s, R, F, (double)R / F, l + R, 2LL * l + F, (double)(l + R) / (2.0 * l + F)));
    }
  PetscFunctionReturn(0);
}

PetscErrorCode Run() {
  PetscFunctionBeginUser;
  MPI_Comm comm = PETSC_COMM_WORLD;
  BenchConfig c;
  std::string modes_s = "store,checkpoint,disk,binomial";
  PetscOptionsBegin(comm, "bench_", "Gradient benchmark", "bench");
  PetscCall(UdeOptionsIntList("-n", "Grid sizes", &c.sizes, 16, nullptr));
  PetscCall(UdeOptionsPositiveInt("-steps_per_obs", "RK4 steps between observations",
                                  &c.steps_per_obs, nullptr));
  PetscCall(UdeOptionsPositiveInt("-obs", "Observation times", &c.nobs, nullptr));
  PetscCall(UdeOptionsPositiveInt("-repeat", "Timing repetitions (best is reported)", &c.repeat,
                                  nullptr));
  PetscCall(UdeOptionsString("-modes", "Memory modes", &modes_s, nullptr));
  PetscCall(UdeOptionsPositiveInt("-slots", "Binomial mode: checkpoint slots", &c.slots, nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-long_steps", "Steps of the binomial long-chain run (0: none)", &c.long_steps, nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-disk_every",
      "The long chain again with the binomial disk level every this many steps (0: not)",
      &c.disk_every, nullptr));
  PetscCall(PetscOptionsBool("-long_online", "The long chain again with -adjoint_memory online", "",
                             c.long_online, &c.long_online, nullptr));
  PetscCall(UdeOptionsIntList("-online_steps", "Online vs offline counts: numbers of steps",
                              &c.online_steps, 16, nullptr));
  PetscCall(UdeOptionsIntList("-online_slots", "Online vs offline counts: slots", &c.online_slots,
                              16, nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-adaptive_span",
      "Adaptive (5dp) binomial vs online run over this many stable steps' time (0: none)",
      &c.adaptive_span, nullptr));
  PetscCall(UdeOptionsPositiveReal("-adaptive_tol", "Adaptive run: -ts_atol and -ts_rtol",
                                   &c.adaptive_tol, nullptr));
  PetscOptionsEnd();
  {
    std::stringstream ss(modes_s);
    std::string m;
    while (std::getline(ss, m, ',')) c.modes.push_back(m);
  }
  int size;
  MPI_Comm_size(comm, &size);
  PetscCall(ClosureThroughput(comm));
  PetscCall(
      PetscPrintf(comm,
                  "gradient benchmark: Burgers + MLP closure 5-32-32-1 tanh, RK4, %" PetscInt_FMT
                  " observations x %" PetscInt_FMT
                  " steps, %d MPI ranks, binomial with %" PetscInt_FMT " slots\n",
                  c.nobs, c.steps_per_obs, size, c.slots));
  PetscCall(PetscPrintf(comm, "%9s %-11s %-6s %11s %11s %7s %14s %12s  %s\n", "N", "memory",
                        "cache", "forward s", "gradient s", "ratio", "peak MB/rank", "closure GF/s",
                        "recomputed steps, states held"));
  for (PetscInt N : c.sizes)
    for (const std::string& mode : c.modes) PetscCall(RunOne(comm, c, N, mode));
  if (c.long_steps > 0) PetscCall(LongChain(comm, c, 0));
  if (c.long_steps > 0 && c.disk_every > 0) PetscCall(LongChain(comm, c, c.disk_every));
  if (c.long_steps > 0 && c.long_online) PetscCall(LongChain(comm, c, 0, true));
  if (c.long_steps > 0 && c.long_online && c.disk_every > 0)
    PetscCall(LongChain(comm, c, c.disk_every, true));
  PetscCall(OnlineTable(comm, c));
  if (c.adaptive_span > 0)
    for (const char* mode : {"binomial", "online"}) PetscCall(AdaptiveChain(comm, c, mode));
  PetscCall(PetscPrintf(
      comm,
      "cache: closure activations kept for the adjoint (-adjoint_cache_mb, default 512 MB/rank) "
      "instead of recomputed\n"
      "targets: closure forward >= 50%% and VJP >= 40%% of the FMA peak; ratio <= 2.5 (store), "
      "<= 3.2 (binomial) at N >= 16384; binomial recomputations = optimum, states held <= "
      "slots\n"));
  PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
  // Large blocks straight from mmap and back to the system when freed, so that the
  // peak-memory reading of one configuration is not inflated by the previous one.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  PetscErrorCode ierr = SessionInitialize(&argc, &argv, "udeflow gradient benchmark\n");
  if (!ierr) ierr = PetscLogDefaultBegin();  // log events give the time breakdown
  if (!ierr) ierr = Run();
  return SessionFinalize(ierr);
}
