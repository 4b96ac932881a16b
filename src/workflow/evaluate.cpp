#include "udeflow/workflow/evaluate.hpp"

#include <petscdmda.h>

#include <cmath>
#include <memory>
#include <sstream>

#include "evaluate_common.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/io/catalyst.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::workflow {

namespace {

// Compares the model state with the coarse-grained truth at each snapshot; writes the
// fields when a file is given.
class TruthComparison : public adjoint::Observer {
 public:
  TruthComparison(const io::Dataset* data, size_t traj, std::vector<PetscInt> snaps,
                  pde::Physics* physics, double threshold)
      : data_(data),
        traj_(traj),
        snaps_(std::move(snaps)),
        physics_(physics),
        threshold_(threshold) {
    mae.assign(snaps_.size(), 0.0);
    within.assign(snaps_.size(), 0.0);
  }
  ~TruthComparison() override {
    VecDestroy(&truth_);
    VecDestroy(&coarse_truth_);
    VecDestroy(&all_u_);
    VecDestroy(&all_t_);
    VecScatterDestroy(&scatter_u_);
    VecScatterDestroy(&scatter_t_);
  }
  /// Also compare after averaging the state onto `coarse`'s grid (an integer factor
  /// coarser): the same observable as the coarse model's.
  void SetCoarse(pde::Physics* coarse) {
    coarse_ = coarse;
    mae_coarse.assign(snaps_.size(), 0.0);
  }
  PetscErrorCode SetOutput(io::H5File* file, const std::string& dataset, Vec natural) {
    file_ = file;
    dataset_ = dataset;
    natural_ = natural;
    return 0;
  }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec) override {
    PetscFunctionBeginUser;
    if (!truth_) PetscCall(VecDuplicate(u, &truth_));
    PetscCall(data_->ReadState(traj_, snaps_[k], *physics_, truth_));
    observed = k + 1;
    PetscCall(VecAYPX(truth_, -1.0, u));  // u - truth
    PetscInt n;
    PetscReal l1;
    PetscCall(VecGetSize(u, &n));
    PetscCall(VecNorm(truth_, NORM_1, &l1));
    mae[k] = l1 / n;
    *loss += l1 / n;  // non-finite if the model diverged
    const PetscScalar* a;
    PetscInt nl;
    PetscCall(VecGetLocalSize(truth_, &nl));
    PetscCall(VecGetArrayRead(truth_, &a));
    double cnt = 0;
    for (PetscInt i = 0; i < nl; ++i) cnt += std::abs(a[i]) <= threshold_;
    PetscCall(VecRestoreArrayRead(truth_, &a));
    double tot;
    PetscCallMPI(
        MPI_Allreduce(&cnt, &tot, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm((PetscObject)u)));
    within[k] = tot / n;
    if (coarse_) PetscCall(CoarseError(k, u));
    if (file_) {
      PetscCall(io::GlobalToNatural(physics_->Grid(), u, natural_));
      PetscInt lo, hi;
      PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
      PetscCall(VecGetArrayRead(natural_, &a));
      PetscCall(file_->WriteSlab(dataset_, {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
      PetscCall(VecRestoreArrayRead(natural_, &a));
    }
    PetscFunctionReturn(0);
  }
  std::vector<double> mae, within, mae_coarse;
  size_t observed = 0;

 private:
  PetscErrorCode CoarseError(PetscInt k, Vec u) {
    PetscFunctionBeginUser;
    if (!coarse_truth_) {
      PetscCall(DMCreateGlobalVector(coarse_->Grid(), &coarse_truth_));
      PetscCall(VecScatterCreateToAll(u, &scatter_u_, &all_u_));
      PetscCall(VecScatterCreateToAll(coarse_truth_, &scatter_t_, &all_t_));
    }
    PetscCall(data_->ReadState(traj_, snaps_[k], *coarse_, coarse_truth_));
    PetscCall(VecScatterBegin(scatter_u_, u, all_u_, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(scatter_u_, u, all_u_, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterBegin(scatter_t_, coarse_truth_, all_t_, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(scatter_t_, coarse_truth_, all_t_, INSERT_VALUES, SCATTER_FORWARD));
    PetscInt nf, nc;
    PetscCall(VecGetSize(all_u_, &nf));
    PetscCall(VecGetSize(all_t_, &nc));
    const PetscInt r = nf / nc;
    const PetscScalar *a, *b;
    PetscCall(VecGetArrayRead(all_u_, &a));
    PetscCall(VecGetArrayRead(all_t_, &b));
    double e = 0;
    for (PetscInt i = 0; i < nc; ++i) {
      double s = 0;
      for (PetscInt q = 0; q < r; ++q) s += a[i * r + q];
      e += std::abs(s / r - b[i]);
    }
    PetscCall(VecRestoreArrayRead(all_u_, &a));
    PetscCall(VecRestoreArrayRead(all_t_, &b));
    mae_coarse[k] = e / nc;
    PetscFunctionReturn(0);
  }
  pde::Physics* coarse_ = nullptr;
  Vec coarse_truth_ = nullptr, all_u_ = nullptr, all_t_ = nullptr;
  VecScatter scatter_u_ = nullptr, scatter_t_ = nullptr;

  const io::Dataset* data_;
  size_t traj_;
  std::vector<PetscInt> snaps_;
  pde::Physics* physics_;
  double threshold_;
  Vec truth_ = nullptr, natural_ = nullptr;
  io::H5File* file_ = nullptr;
  std::string dataset_;
};

struct Model {
  std::string label;
  PetscInt cells = 0;
  CaseModel model;
  pde::Physics* Physics() const { return model.physics.get(); }
};

struct EvaluateOptions {
  std::vector<PetscInt> baselines = {64, 128, 256};
  PetscReal horizon = 0, threshold = 0.1;
  PetscBool fields = PETSC_TRUE;
};

PetscErrorCode ReadEvaluateOptions(MPI_Comm comm, EvaluateOptions* o) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "evaluate_", "Evaluation", "evaluate");
  PetscCall(UdeOptionsIntList("-baselines", "Cell counts of the un-closed baselines", &o->baselines,
                              16, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-horizon", "Time span evaluated (0: whole trajectory)",
                                      &o->horizon, nullptr));
  PetscCall(UdeOptionsPositiveReal("-threshold", "Survival: |error| below this counts as correct",
                                   &o->threshold, nullptr));
  PetscCall(PetscOptionsBool("-fields", "Write predicted fields (HDF5 + XDMF)", "", o->fields,
                             &o->fields, nullptr));
  PetscOptionsEnd();
  for (PetscInt n : o->baselines)
    PetscCheck(n > 0, comm, PETSC_ERR_USER_INPUT,
               "option -evaluate_baselines: cell counts must be positive");
  PetscFunctionReturn(0);
}

// The trained model, then the baselines: the case's scheme on other grids without closure,
// the time step scaled down with the cell size.
PetscErrorCode BuildModels(MPI_Comm comm, const std::vector<PetscInt>& baselines,
                           std::vector<Model>* models) {
  PetscFunctionBeginUser;
  models->clear();
  models->push_back(Model{"closure"});
  PetscCall(CreateCaseModel(comm, ModelSettings{}, &models->back().model));
  models->back().cells = models->back().Physics()->GridSize()[0];
  PetscReal dt = 0;
  PetscCall(CaseTimeStep(models->front().model, &dt));
  const PetscInt cells0 = models->front().cells;
  for (PetscInt n : baselines) {
    ModelSettings s;
    s.cells = {n};
    s.no_closure = true;
    s.dt = dt * std::min<double>(1.0, (double)cells0 / n);
    models->push_back(Model{"baseline", n});
    PetscCall(CreateCaseModel(comm, s, &models->back().model));
  }
  PetscFunctionReturn(0);
}

// Runs model `mi` on one held-out trajectory and adds its figures to its row.
struct TrajectoryRun {
  const io::Dataset* data;
  size_t traj;
  const HeldOutTrajectory* held;
  size_t ntests;
  double threshold;
  io::H5File* out;  // nullptr: no fields
};
PetscErrorCode RunOnTrajectory(MPI_Comm comm, const TrajectoryRun& run, std::vector<Model>& models,
                               size_t mi, EvaluationRow* row, std::vector<io::XdmfSeries>* series) {
  PetscFunctionBeginUser;
  Model& m = models[mi];
  const auto& info = run.data->Trajectories()[run.traj];
  const std::vector<PetscReal>&t = run.held->t, &times = run.held->times;
  PetscCall(m.Physics()->SetScenario(run.held->scenario));
  Vec u0, natural = nullptr;
  PetscCall(DMCreateGlobalVector(m.Physics()->Grid(), &u0));
  PetscCall(run.data->ReadState(run.traj, 0, *m.Physics(), u0));
  TruthComparison cmp(run.data, run.traj, run.held->snaps, m.Physics(), run.threshold);
  const bool finer = m.cells > models[0].cells && m.cells % models[0].cells == 0;
  if (finer) cmp.SetCoarse(models[0].Physics());
  const std::string group = "/" + info.name + "/" + m.label + "_" + std::to_string(m.cells);
  if (run.out) {
    PetscCall(io::CreateNaturalVector(m.Physics()->Grid(), &natural));
    PetscInt nstate;
    PetscCall(VecGetSize(natural, &nstate));
    PetscCall(run.out->CreateDataset(group + "/state", {(hsize_t)times.size(), (hsize_t)nstate}));
    PetscCall(io::WriteGeometryAttrs(*run.out, group + "/state",
                                     io::GridGeometry::FromPhysics(*m.Physics())));
    PetscCall(cmp.SetOutput(run.out, group + "/state", natural));
  }
  PetscLogDouble s0, s1;
  PetscCall(PetscTime(&s0));
  bool diverged;
  PetscCall(ForwardAllowingDivergence(*m.model.integrator, t[0], u0, times, &cmp, &diverged));
  PetscCall(PetscTime(&s1));
  const size_t valid = diverged ? cmp.observed - 1 : times.size();
  double survival = diverged ? times[valid] - t[0] : times.back() - t[0];
  for (size_t k = 0; k < valid; ++k)
    if (cmp.within[k] < 0.8) {
      survival = times[k] - t[0];
      break;
    }
  double mae = 0;
  for (double e : cmp.mae) mae += e;
  mae = diverged ? INFINITY : mae / cmp.mae.size();
  double mae_coarse = mae;
  if (finer && !diverged) {
    mae_coarse = 0;
    for (double e : cmp.mae_coarse) mae_coarse += e / cmp.mae_coarse.size();
  }
  if (diverged) {
    row->diverged++;
    PetscCall(PetscPrintf(comm,
                          "evaluate: %s at %" PetscInt_FMT " cells diverged on %s at t = %.2f\n",
                          m.label.c_str(), m.cells, info.name.c_str(), (double)times[valid]));
  }
  row->model = m.label;
  row->cells = m.cells;
  row->mae += mae / run.ntests;
  row->mae_model_grid += mae_coarse / run.ntests;
  row->survival += survival / run.ntests;
  row->seconds += s1 - s0;
  if (run.out) {
    PetscCall(run.out->WriteArray(group + "/mae", {(hsize_t)cmp.mae.size()}, cmp.mae.data()));
    PetscCall(run.out->WriteArray(group + "/t", {(hsize_t)times.size()}, times.data()));
    if (mi == 0) series->push_back({info.name + " closure", group + "/state", times, {}});
  }
  PetscCall(VecDestroy(&natural));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

PetscErrorCode PrintTable(MPI_Comm comm, double horizon_used, size_t ntests,
                          const std::vector<EvaluationRow>& rows) {
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(comm,
                        "evaluate: mean absolute error vs coarse-grained truth over t0 + [0, "
                        "%.2f], %zu test trajectories\n",
                        horizon_used, ntests));
  PetscCall(PetscPrintf(comm, "  %-24s %6s %12s %16s %14s %9s\n", "model", "cells", "MAE",
                        "MAE on closure grid", "survival time", "seconds"));
  for (const auto& r : rows) {
    char mae[64], mae2[64];
    if (r.diverged)
      std::snprintf(mae, sizeof(mae), "diverged(%d)", r.diverged);
    else
      std::snprintf(mae, sizeof(mae), "%.4e", r.mae);
    if (r.diverged)
      std::snprintf(mae2, sizeof(mae2), "-");
    else
      std::snprintf(mae2, sizeof(mae2), "%.4e", r.mae_model_grid);
    PetscCall(PetscPrintf(comm, "  %-24s %6" PetscInt_FMT " %12s %16s %14.2f %9.2f\n",
                          r.model == "closure" ? "learned closure" : "no closure (baseline)",
                          r.cells, mae, mae2, r.survival, r.seconds));
  }
  // The headline: the closure against the finest baseline.
  const EvaluationRow* finest = nullptr;
  for (const auto& r : rows)
    if (r.model == "baseline" && (!finest || r.cells > finest->cells)) finest = &r;
  if (finest) {
    const auto& c = rows[0];
    PetscCall(PetscPrintf(comm,
                          "evaluate: closure at %" PetscInt_FMT
                          " cells has %.2fx the error of the un-closed scheme at %" PetscInt_FMT
                          " cells (%s)\n",
                          c.cells, c.mae / finest->mae, finest->cells,
                          c.mae <= finest->mae ? "matches or beats it" : "does not reach it"));
  }
  PetscFunctionReturn(0);
}

// What the learned closure says about the physics: printed, and written to `path` unless
// empty.
PetscErrorCode ReportLearned(MPI_Comm comm, pde::Physics& model, const std::string& path) {
  PetscFunctionBeginUser;
  pde::Physics::LearnedReport report;
  PetscCall(model.ReportLearned(&report));
  if (!path.empty()) PetscCall(train::WriteLearnedReport(comm, path, report));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode ReadHeldOut(MPI_Comm comm, const io::Dataset& data, size_t traj, PetscReal horizon,
                           HeldOutTrajectory* h) {
  PetscFunctionBeginUser;
  PetscCall(data.ReadTimes(traj, &h->t));
  PetscCall(data.ReadScenario(traj, &h->scenario));
  h->snaps.clear();
  h->times.clear();
  for (size_t k = 1; k < h->t.size(); ++k)
    if (horizon <= 0 || h->t[k] - h->t[0] <= horizon * (1 + 1e-12)) {
      h->snaps.push_back(static_cast<PetscInt>(k));
      h->times.push_back(h->t[k]);
    }
  PetscCheck(!h->times.empty(), comm, PETSC_ERR_USER_INPUT,
             "option -evaluate_horizon: no snapshot within the horizon");
  PetscFunctionReturn(0);
}

PetscErrorCode EvaluateCase(MPI_Comm comm, std::vector<EvaluationRow>* rows) {
  PetscFunctionBeginUser;
  std::string variant_option;
  PetscOptionsBegin(comm, "evaluate_", "Evaluation", "evaluate");
  PetscCall(UdeOptionsString(
      "-variant_option",
      "Compare with variants of the scheme that differ in this option (e.g. advection_limiter) "
      "instead of un-closed baselines",
      &variant_option, nullptr));
  PetscOptionsEnd();
  if (!variant_option.empty()) {
    if (variant_option[0] == '-') variant_option.erase(0, 1);
    PetscCall(EvaluateVariants(comm, variant_option, rows));
    PetscFunctionReturn(0);
  }
  CasePaths paths;
  PetscCall(CasePathsFromOptions(comm, &paths));
  EvaluateOptions opt;
  PetscCall(ReadEvaluateOptions(comm, &opt));
  std::vector<Model> models;
  PetscCall(BuildModels(comm, opt.baselines, &models));
  std::unique_ptr<io::Catalyst>
      catalyst;  // in-situ visualization of the trained model's steps (-catalyst_*)
  PetscCall(io::Catalyst::Create(comm, &catalyst));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  PetscLogDouble run_start;
  PetscCall(PetscTime(&run_start));
  pde::Physics& model = *models[0].Physics();
  const io::GridGeometry geometry = io::GridGeometry::FromPhysics(model);
  if (catalyst)
    models[0].model.integrator->SetStepHook([&](PetscInt step, PetscReal t, Vec v) {
      return catalyst->Execute(model.Grid(), geometry, step, t, v);
    });
  PetscCall(train::LoadModel(comm, paths.model, "option -model", model, &models[0].model.theta));
  io::Dataset data;
  std::vector<size_t> tests;
  std::vector<pde::Physics*> all;
  for (auto& m : models) all.push_back(m.Physics());
  PetscCall(OpenHeldOutData(comm, paths.dataset, all, &data, &tests));
  io::RunLock lock;  // one run at a time writing the output directory
  PetscCall(lock.AcquireDirectory(comm, paths.output_dir, "option -output_dir"));
  io::H5File out;
  const std::string out_path = paths.output_dir + "/evaluate.h5";
  std::vector<io::XdmfSeries> series;
  if (opt.fields) PetscCall(io::H5File::Create(comm, out_path, &out));
  rows->assign(models.size(), EvaluationRow{});
  PetscCall(PetscPrintf(comm, "evaluate: %zu held-out trajectories, model %s\n", tests.size(),
                        model.Describe().c_str()));
  double horizon_used = 0;
  for (size_t ti : tests) {
    HeldOutTrajectory held;
    PetscCall(ReadHeldOut(comm, data, ti, opt.horizon, &held));
    horizon_used = held.times.back() - held.t[0];
    const TrajectoryRun run{
        &data, ti, &held, tests.size(), opt.threshold, opt.fields ? &out : nullptr};
    for (size_t mi = 0; mi < models.size(); ++mi) {
      if (catalyst && mi == 0) catalyst->SetRun(data.Trajectories()[ti].name);
      PetscCall(RunOnTrajectory(comm, run, models, mi, &(*rows)[mi], &series));
    }
  }
  if (opt.fields) {
    PetscCall(out.Commit());
    PetscCall(
        io::WriteXdmf(comm, paths.output_dir + "/evaluate.xmf", "evaluate.h5", geometry, series));
  }
  PetscCall(PrintTable(comm, horizon_used, tests.size(), *rows));
  if (opt.fields)
    PetscCall(PetscPrintf(comm, "evaluate: fields and error histories in %s (+ evaluate.xmf)\n",
                          out_path.c_str()));
  // What the learned closure says about the physics (recovered coefficients etc.).
  PetscCall(ReportLearned(comm, model, opt.fields ? paths.output_dir + "/learned.h5" : ""));
  if (catalyst) {
    PetscLogDouble run_end;
    PetscCall(PetscTime(&run_end));
    PetscCall(catalyst->Report(run_end - run_start));
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
