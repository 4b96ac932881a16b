// Benchmark of the deep BSDE module: for each case, seconds per iteration on 1 rank and
// on all ranks at the same global batch (the parallel speed-up), then full training runs
// over several seeds with the final relative error and the time to reach each accuracy
// (mean and spread over the seeds).  It prints figures; it is not a pass/fail test.
//
//   mpiexec -n 2 build/udeflow-bench-bsde -bench_cases hjb100,bsb100 -bench_seeds 1,2,3
//
// Options: -bench_cases (names in -bench_cases_dir, default "cases"), -bench_seeds,
// -bench_speed_iterations (default 40), -bench_full (default true: also train to the end),
// -bench_batches 64,256,1024,4096 (data-parallel efficiency table: ms per iteration on 1
// and on all ranks, speed-up, allreduce share),
// -bench_plain (also the plain-network column: every case again with a generic network),
// -bench_steps 10,20,40,80 (time-step study: error against N for the Euler and trapezoidal
// backward schemes, first seed, with the observed order log2(e_N / e_2N); default off),
// -bench_extra " <options>" (appended to every run; start the value with a space, e.g.
// " -bsde_iterations 500", or PETSc takes it for an option name).
#include <petscsys.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "udeflow/bsde/trainer.hpp"
#include "udeflow/core/session.hpp"

using udeflow::bsde::Trainer;

namespace {

// Options of one run: the case file, then overrides (pushed as a fresh database).
class CaseOptions {
 public:
  CaseOptions(MPI_Comm comm, const std::string& file, const std::string& extra) {
    PetscOptionsCreate(&opts_);
    PetscOptionsPush(opts_);
    ierr_ = PetscOptionsInsertFileYAML(comm, nullptr, file.c_str(), PETSC_TRUE);
    if (!ierr_) ierr_ = PetscOptionsInsertString(nullptr, extra.c_str());
  }
  ~CaseOptions() {
    PetscOptionsPop();
    PetscOptionsDestroy(&opts_);
  }
  PetscErrorCode Status() const { return ierr_; }

 private:
  PetscOptions opts_ = nullptr;
  PetscErrorCode ierr_ = 0;
};

struct RunResult {
  double seconds_per_iteration = 0, total_seconds = 0, final_error = NAN, u0 = NAN,
         trivial_error = NAN;
  double own_error = NAN, signed_error = NAN;  ///< against the radial PDE reference if any
  bool interrupted = false;                    ///< a stop signal ended the run early
  double allreduce_share = 0;                  ///< of the training step time
  std::vector<double>
      time_to;  // per threshold: first time after which the error stays below (NAN: never)
};

// The generic network of the plain column: no problem-shaped skip or input, default start.
const char* const kPlainNetwork =
    " -bsde_net_skip none -bsde_net_norm_feature false -bsde_net_skip_init zero";

PetscErrorCode Run(MPI_Comm comm, const std::string& file, const std::string& extra,
                   const std::vector<double>& thresholds, RunResult* r) {
  PetscFunctionBeginUser;
  CaseOptions opts(comm, file, extra);
  PetscCall(opts.Status());
  Trainer t(comm);
  PetscCall(t.SetFromOptions());
  PetscCall(t.SetUp());
  PetscCall(t.TrainIterations(t.Options().iterations));
  r->seconds_per_iteration = t.SecondsPerIteration();
  r->interrupted = t.Interrupted();
  r->allreduce_share = t.AllreduceShare();
  r->total_seconds = t.Elapsed();
  r->u0 = t.U0();
  r->time_to.assign(thresholds.size(), NAN);
  bool radial = false;
  PetscCall(t.ComputeRadialReference(&radial));
  const double own = radial ? t.RadialReference().value : (t.HasReference() ? t.Reference() : NAN);
  r->signed_error = (t.U0() - own) / std::abs(own);
  if (radial) r->own_error = std::abs(r->signed_error);
  if (t.HasReference()) {
    const double ref = t.Reference();
    r->final_error = std::abs(t.U0() - ref) / std::abs(ref);
    r->trivial_error = std::abs(t.TrivialAnswer() - ref) / std::abs(ref);
    const auto& h = t.ValidationHistory();
    for (size_t k = 0; k < thresholds.size(); ++k)
      for (size_t i = h.size(); i-- > 0;) {  // walk back while the error stays below
        if (std::abs(h[i].u0 - ref) / std::abs(ref) > thresholds[k]) break;
        r->time_to[k] = h[i].seconds;
      }
  }
  PetscFunctionReturn(0);
}

void MeanStd(const std::vector<double>& v, double* mean, double* sd) {
  *mean = 0;
  for (double x : v) *mean += x;
  *mean /= v.size();
  *sd = 0;
  for (double x : v) *sd += (x - *mean) * (x - *mean);
  *sd = v.size() > 1 ? std::sqrt(*sd / (v.size() - 1)) : 0;
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// Time-step study: the signed error of u(0,x0) (against the radial PDE reference when the
// set-up is radial, else the equation's) for every N and both backward schemes, with the
// observed order between successive N.  The training error is part of every figure.
PetscErrorCode StepStudy(MPI_Comm world, const std::string& file, const std::string& options,
                         const std::vector<PetscInt>& steps) {
  PetscFunctionBeginUser;
  for (const char* scheme : {"euler", "trapezoid"}) {
    std::vector<double> err;
    PetscCall(PetscPrintf(world, "time steps, %s:", scheme));
    for (PetscInt N : steps) {
      RunResult r;
      PetscCall(
          Run(world, file,
              options + " -bsde_backward_scheme " + scheme + " -bsde_steps " + std::to_string(N),
              {}, &r));
      err.push_back(r.signed_error);
      PetscCall(PetscPrintf(world, "  N=%" PetscInt_FMT " %+.3e%s", N, r.signed_error,
                            r.interrupted ? " (interrupted)" : ""));
    }
    PetscCall(PetscPrintf(world, "\n  observed order:"));
    for (size_t k = 1; k < err.size(); ++k)
      PetscCall(PetscPrintf(
          world, "  %.2f",
          std::log(std::abs(err[k - 1] / err[k])) / std::log(double(steps[k]) / steps[k - 1])));
    PetscCall(PetscPrintf(world, "\n"));
  }
  PetscFunctionReturn(0);
}

// Data-parallel efficiency: seconds per iteration on 1 rank and on all ranks for each global
// batch, the speed-up and the share of the step spent in the gradient allreduce.
PetscErrorCode Scaling(MPI_Comm world, const std::string& file, const std::string& options,
                       const std::vector<PetscInt>& batches) {
  PetscFunctionBeginUser;
  int rank, size;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  PetscCallMPI(MPI_Comm_size(world, &size));
  PetscCall(PetscPrintf(world,
                        "scaling:  batch   ms/it 1 rank   ms/it %d ranks   speed-up   "
                        "allreduce share (%d ranks)\n",
                        size, size));
  for (PetscInt B : batches) {
    const std::string o = options + " -bsde_batch " + std::to_string(B);
    RunResult one, all;
    MPI_Comm sub;
    PetscCallMPI(MPI_Comm_split(world, rank == 0 ? 0 : MPI_UNDEFINED, rank, &sub));
    if (sub != MPI_COMM_NULL) {
      PetscCall(Run(sub, file, o, {}, &one));
      PetscCallMPI(MPI_Comm_free(&sub));
    }
    PetscCallMPI(MPI_Bcast(&one.seconds_per_iteration, 1, MPI_DOUBLE, 0, world));
    PetscCall(Run(world, file, o, {}, &all));
    double share = all.allreduce_share;  // the largest over the ranks
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &share, 1, MPI_DOUBLE, MPI_MAX, world));
    PetscCall(PetscPrintf(world, "scaling: %6" PetscInt_FMT "   %12.2f   %14.2f   %8.2f   %.1f%%\n",
                          B, 1e3 * one.seconds_per_iteration, 1e3 * all.seconds_per_iteration,
                          one.seconds_per_iteration / all.seconds_per_iteration, 100 * share));
  }
  PetscFunctionReturn(0);
}

// Full training runs over the seeds: per-seed lines and a summary line.
PetscErrorCode FullRuns(MPI_Comm world, const std::string& label, const std::string& file,
                        const std::string& options, const PetscInt* seeds, PetscInt nseeds,
                        const std::vector<double>& thresholds) {
  PetscFunctionBeginUser;
  std::vector<double> errs, times, u0s, owns;
  std::vector<std::vector<double>> tto(thresholds.size());
  double trivial = NAN;
  for (PetscInt s = 0; s < nseeds; ++s) {
    RunResult r;
    PetscCall(
        Run(world, file, options + " -bsde_seed " + std::to_string(seeds[s]), thresholds, &r));
    trivial = r.trivial_error;
    errs.push_back(r.final_error);
    times.push_back(r.total_seconds);
    u0s.push_back(r.u0);
    if (!std::isnan(r.own_error)) owns.push_back(r.own_error);
    PetscCall(PetscPrintf(world, "seed %" PetscInt_FMT ": u0 %.10g  rel.err %.3e  %.1f s  time to",
                          seeds[s], r.u0, r.final_error, r.total_seconds));
    for (size_t k = 0; k < thresholds.size(); ++k) {
      PetscCall(PetscPrintf(
          world, "  %.0e: %s", thresholds[k],
          std::isnan(r.time_to[k]) ? "-" : std::to_string(r.time_to[k]).substr(0, 6).c_str()));
      if (!std::isnan(r.time_to[k])) tto[k].push_back(r.time_to[k]);
    }
    PetscCall(PetscPrintf(world, "\n"));
  }
  double m, sd, tm, tsd, um, usd;
  MeanStd(errs, &m, &sd);
  MeanStd(times, &tm, &tsd);
  MeanStd(u0s, &um, &usd);
  PetscCall(PetscPrintf(world,
                        "summary %s: u0 %.8g +- %.2g, rel.err %.3e +- %.2e (max %.3e) over %zu "
                        "seeds; trivial answer "
                        "error %.3e; %.1f +- %.1f s",
                        label.c_str(), um, usd, m, sd, *std::max_element(errs.begin(), errs.end()),
                        errs.size(), trivial, tm, tsd));
  for (size_t k = 0; k < thresholds.size(); ++k) {
    if (tto[k].size() == errs.size()) {
      MeanStd(tto[k], &m, &sd);
      PetscCall(PetscPrintf(world, "; <=%.0e after %.1f +- %.1f s", thresholds[k], m, sd));
    } else {
      PetscCall(PetscPrintf(world, "; <=%.0e in %zu/%zu runs", thresholds[k], tto[k].size(),
                            errs.size()));
    }
  }
  if (!owns.empty()) {
    MeanStd(owns, &m, &sd);
    PetscCall(PetscPrintf(world, "; against the own (radial PDE) reference %.3e +- %.2e", m, sd));
  }
  PetscCall(PetscPrintf(world, "\n"));
  PetscFunctionReturn(0);
}

PetscErrorCode Bench() {
  PetscFunctionBeginUser;
  MPI_Comm world = PETSC_COMM_WORLD;
  int rank, size;
  PetscCallMPI(MPI_Comm_rank(world, &rank));
  PetscCallMPI(MPI_Comm_size(world, &size));
  char buf[4096] = "hjb100,hjb100_lambda10,allencahn100,bsb100,hjb1000,bsb1000",
       dir[1024] = "cases", extra[4096] = "";
  PetscInt seeds[16] = {1, 2, 3}, nseeds = 16, speed_its = 40, study[8], nstudy = 8;
  PetscInt batches[16], nbatches = 16;
  PetscBool full = PETSC_TRUE, plain = PETSC_FALSE;
  PetscOptionsBegin(world, nullptr, "BSDE benchmark", nullptr);
  PetscCall(PetscOptionsString("-bench_cases", "Comma-separated case names", "", buf, buf,
                               sizeof(buf), nullptr));
  PetscCall(PetscOptionsString("-bench_cases_dir", "Directory of the case files", "", dir, dir,
                               sizeof(dir), nullptr));
  PetscCall(PetscOptionsString("-bench_extra", "Options appended to every run", "", extra, extra,
                               sizeof(extra), nullptr));
  PetscCall(
      PetscOptionsIntArray("-bench_seeds", "Seeds of the full runs", "", seeds, &nseeds, nullptr));
  PetscCall(PetscOptionsIntArray("-bench_batches",
                                 "Data-parallel efficiency for these global batches (e.g. "
                                 "64,256,1024,4096; speed iterations each)",
                                 "", batches, &nbatches, nullptr));
  PetscCall(PetscOptionsIntArray("-bench_steps", "Time-step study: these N (e.g. 10,20,40,80)", "",
                                 study, &nstudy, nullptr));
  PetscCall(PetscOptionsInt("-bench_speed_iterations", "Iterations of the speed runs", "",
                            speed_its, &speed_its, nullptr));
  PetscCall(PetscOptionsBool("-bench_plain",
                             "Also train every case with the plain network (no shaped skip, no "
                             "|x|^2 feature, no warm start)",
                             "", plain, &plain, nullptr));
  PetscCall(PetscOptionsBool("-bench_full", "Also train every case to the end for each seed", "",
                             full, &full, nullptr));
  PetscOptionsEnd();
  if (nseeds == 16) nseeds = 3;  // not given
  if (nstudy == 8) nstudy = 0;
  if (nbatches == 16) nbatches = 0;
  const std::vector<double> thresholds = {1e-2, 3e-3, 1e-3, 5e-4};
  const std::string quiet = " -bsde_monitor 0 -bsde_save 0 ";

  double load[3] = {0, 0, 0};
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
    std::fclose(f);
  }
  PetscCall(PetscPrintf(world, "udeflow-bench-bsde on %d ranks; load average %.2f %.2f %.2f\n",
                        size, load[0], load[1], load[2]));
  for (const std::string& name : SplitCommas(buf)) {
    const std::string file = std::string(dir) + "/" + name + ".yaml";
    PetscCall(PetscPrintf(world, "\n== %s (%s) %s\n", name.c_str(), file.c_str(), extra));
    // Speed: the same global batch on 1 rank and on all ranks (-bench_speed_iterations 0: skip).
    if (speed_its > 0) {
      const std::string speed = quiet + std::string(extra) +
                                " -bsde_valid_every 1000000 -bsde_iterations " +
                                std::to_string(speed_its);
      RunResult one, all;
      MPI_Comm sub;
      PetscCallMPI(MPI_Comm_split(world, rank == 0 ? 0 : MPI_UNDEFINED, rank, &sub));
      if (sub != MPI_COMM_NULL) {
        PetscCall(Run(sub, file, speed, thresholds, &one));
        PetscCallMPI(MPI_Comm_free(&sub));
      }
      PetscCallMPI(MPI_Bcast(&one.seconds_per_iteration, 1, MPI_DOUBLE, 0, world));
      PetscCall(Run(world, file, speed, thresholds, &all));
      PetscCall(PetscPrintf(
          world,
          "speed: %.2f ms/iteration on 1 rank, %.2f ms/iteration on %d ranks: speed-up %.2f\n",
          1e3 * one.seconds_per_iteration, 1e3 * all.seconds_per_iteration, size,
          one.seconds_per_iteration / all.seconds_per_iteration));
    }
    if (nbatches > 0 && speed_its > 0)
      PetscCall(Scaling(world, file,
                        quiet + std::string(extra) +
                            " -bsde_valid_every 1000000 -bsde_iterations " +
                            std::to_string(speed_its),
                        std::vector<PetscInt>(batches, batches + nbatches)));
    if (nstudy > 0)
      PetscCall(StepStudy(world, file,
                          quiet + std::string(extra) + " -bsde_seed " + std::to_string(seeds[0]),
                          std::vector<PetscInt>(study, study + nstudy)));
    if (!full) continue;
    PetscCall(FullRuns(world, name, file, quiet + std::string(extra), seeds, nseeds, thresholds));
    if (plain)
      PetscCall(FullRuns(world, name + " (plain network)", file,
                         quiet + std::string(extra) + kPlainNetwork, seeds, nseeds, thresholds));
  }
  PetscFunctionReturn(0);
}

}  // namespace

int main(int argc, char** argv) {
  PetscErrorCode ierr = udeflow::SessionInitialize(&argc, &argv, "udeflow BSDE benchmark\n");
  if (!ierr) ierr = Bench();
  return udeflow::SessionFinalize(ierr);
}
