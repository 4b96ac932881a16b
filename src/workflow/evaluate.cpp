#include "udeflow/workflow/evaluate.hpp"

#include <petscdmda.h>

#include <algorithm>
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

struct Model {
  std::string label;  // "closure" or "baseline"
  PetscInt cells = 0;
  std::string scheme;  // the -evaluate_baseline_scheme value ("": the case's scheme)
  CaseModel model;
  pde::Physics* Physics() const { return model.physics.get(); }
};

struct EvaluateOptions {
  std::vector<PetscInt> baselines = {64, 128, 256}, scheme_cells;
  std::string scheme, scheme_key, scheme_value;  // -evaluate_baseline_scheme key=value
  PetscReal horizon = 0, threshold = 0.1;
  PetscBool fields = PETSC_TRUE;
};

PetscErrorCode ReadEvaluateOptions(MPI_Comm comm, EvaluateOptions* o) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "evaluate_", "Evaluation", "evaluate");
  PetscCall(UdeOptionsIntList("-baselines", "Cell counts of the un-closed baselines", &o->baselines,
                              16, nullptr));
  PetscCall(UdeOptionsString("-baseline_scheme",
                             "More un-closed baselines with one scheme option changed, "
                             "<option>=<value> (e.g. burgers_reconstruction=weno5)",
                             &o->scheme, nullptr));
  PetscCall(UdeOptionsIntList("-baseline_scheme_cells",
                              "Cell counts of the -evaluate_baseline_scheme baselines "
                              "(default: those of -evaluate_baselines)",
                              &o->scheme_cells, 16, nullptr));
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
  for (PetscInt n : o->scheme_cells)
    PetscCheck(n > 0, comm, PETSC_ERR_USER_INPUT,
               "option -evaluate_baseline_scheme_cells: cell counts must be positive");
  if (!o->scheme.empty()) {
    const size_t eq = o->scheme.find('=');
    PetscCheck(
        eq != std::string::npos && eq > 0 && eq + 1 < o->scheme.size(), comm, PETSC_ERR_USER_INPUT,
        "option -evaluate_baseline_scheme: expected <option>=<value>, got '%s'", o->scheme.c_str());
    o->scheme_key = o->scheme.substr(o->scheme[0] == '-' ? 1 : 0, eq - (o->scheme[0] == '-'));
    o->scheme_value = o->scheme.substr(eq + 1);
    if (o->scheme_cells.empty()) o->scheme_cells = o->baselines;
  }
  PetscFunctionReturn(0);
}

// The trained model, then the baselines: the case's scheme on other grids without closure,
// then those of -evaluate_baseline_scheme; the time step scaled down with the cell size.
PetscErrorCode BuildModels(MPI_Comm comm, const EvaluateOptions& o, std::vector<Model>* models) {
  PetscFunctionBeginUser;
  models->clear();
  models->push_back(Model{"closure", 0, "", CaseModel{}});
  PetscCall(CreateCaseModel(comm, ModelSettings{}, &models->back().model));
  models->back().cells = models->back().Physics()->GridSize()[0];
  PetscReal dt = 0;
  PetscCall(CaseTimeStep(models->front().model, &dt));
  const PetscInt cells0 = models->front().cells;
  const size_t nplain = o.baselines.size();
  for (size_t b = 0; b < nplain + o.scheme_cells.size(); ++b) {
    const PetscInt n = b < nplain ? o.baselines[b] : o.scheme_cells[b - nplain];
    ModelSettings s;
    s.cells = {n};
    s.no_closure = true;
    s.dt = dt * std::min<double>(1.0, (double)cells0 / n);
    if (b >= nplain) {
      s.scheme_key = o.scheme_key;
      s.scheme_value = o.scheme_value;
    }
    models->push_back(Model{"baseline", n, s.scheme_value, CaseModel{}});
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
  const std::string group = "/" + info.name + "/" + (m.scheme.empty() ? m.label : m.scheme) + "_" +
                            std::to_string(m.cells);
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
  const double survival = cmp.Survival(times, t[0], valid, diverged);  // on the closure grid
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
  row->scheme = m.scheme;
  row->cells = m.cells;
  row->mae += mae / run.ntests;
  row->mae_model_grid += mae_coarse / run.ntests;
  row->per_test.push_back(diverged ? INFINITY : mae_coarse);
  row->survival += survival / run.ntests;
  row->seconds += s1 - s0;
  if (run.out) {
    PetscCall(run.out->WriteArray(group + "/mae", {(hsize_t)cmp.mae.size()}, cmp.mae.data()));
    if (finer)
      PetscCall(run.out->WriteArray(group + "/mae_closure_grid", {(hsize_t)cmp.mae.size()},
                                    cmp.mae_coarse.data()));
    PetscCall(run.out->WriteArray(group + "/t", {(hsize_t)times.size()}, times.data()));
    if (mi == 0) series->push_back({info.name + " closure", group + "/state", times, {}});
  }
  PetscCall(VecDestroy(&natural));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

// With -evaluate_baseline_scheme: the closure against that scheme at 4x the closure's cells
// (else its finest), both on the closure's grid (finer solutions averaged onto it).
PetscErrorCode PrintSchemeHeadline(MPI_Comm comm, const std::vector<EvaluationRow>& rows) {
  PetscFunctionBeginUser;
  const EvaluationRow& c = rows[0];
  const EvaluationRow* ref = nullptr;
  for (const auto& r : rows) {
    if (r.model != "baseline" || r.scheme.empty()) continue;
    if (!ref || (ref->cells != 4 * c.cells && (r.cells == 4 * c.cells || r.cells > ref->cells)))
      ref = &r;
  }
  if (!ref) PetscFunctionReturn(0);
  const std::string diverged =
      DivergedNote(c.mae_model_grid, ref->mae_model_grid, "the closure", ref->scheme);
  if (!diverged.empty()) {
    PetscCall(PetscPrintf(comm,
                          "evaluate: closure at %" PetscInt_FMT
                          " cells against %s at %" PetscInt_FMT " cells on the %" PetscInt_FMT
                          "-cell grid: no ratio, %s (MAE %.3e vs %.3e)\n",
                          c.cells, ref->scheme.c_str(), ref->cells, c.cells, diverged.c_str(),
                          c.mae_model_grid, ref->mae_model_grid));
    PetscFunctionReturn(0);
  }
  const double ratio = c.mae_model_grid / ref->mae_model_grid;
  char factor[32];  // PetscPrintf would print 4 as "4." with %g
  std::snprintf(factor, sizeof(factor), "%g", (double)ref->cells / c.cells);
  PetscCall(PetscPrintf(comm,
                        "evaluate: closure at %" PetscInt_FMT
                        " cells has %.2fx the error of %s at %" PetscInt_FMT
                        " cells (%sx) on the %" PetscInt_FMT
                        "-cell grid (MAE %.3e vs %.3e, survival %.2f vs %.2f; %s)\n",
                        c.cells, ratio, ref->scheme.c_str(), ref->cells, factor, c.cells,
                        c.mae_model_grid, ref->mae_model_grid, c.survival, ref->survival,
                        ratio <= 1 ? "matches or beats it" : "does not reach it"));
  // The same comparison trajectory by trajectory: how much of the ratio is one forcing.
  // Trajectories on which either model diverged have no ratio: left out, and counted.
  std::vector<double> r;
  const size_t ntests = std::min(c.per_test.size(), ref->per_test.size());
  for (size_t i = 0; i < ntests; ++i)
    if (std::isfinite(c.per_test[i]) && std::isfinite(ref->per_test[i]))
      r.push_back(c.per_test[i] / ref->per_test[i]);
  const size_t n = r.size();
  if (n < 2) PetscFunctionReturn(0);
  double mean = 0, var = 0;
  for (double x : r) mean += x / n;
  for (double x : r) var += (x - mean) * (x - mean) / (n - 1);
  const size_t at_most_1 = std::count_if(r.begin(), r.end(), [](double x) { return x <= 1; });
  PetscCall(PetscPrintf(
      comm,
      "evaluate: per held-out trajectory, closure at %" PetscInt_FMT " cells / %s at %" PetscInt_FMT
      " cells (MAE on the closure's grid): mean %.2f, sd %.2f, range "
      "%.2f-%.2f, %zu of %zu at or below 1%s\n",
      c.cells, ref->scheme.c_str(), ref->cells, mean, std::sqrt(var),
      *std::min_element(r.begin(), r.end()), *std::max_element(r.begin(), r.end()), at_most_1, n,
      n < ntests ? " (the trajectories where a model diverged left out)" : ""));
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
    const std::string label = r.model == "closure" ? "learned closure"
                              : r.scheme.empty()   ? "no closure (baseline)"
                                                   : r.scheme + " (no closure)";
    PetscCall(PetscPrintf(comm, "  %-24s %6" PetscInt_FMT " %12s %16s %14.2f %9.2f\n",
                          label.c_str(), r.cells, mae, mae2, r.survival, r.seconds));
  }
  // The headline: the closure against the finest baseline of the case's scheme, both on
  // the same observable (the truth coarse-grained to the closure's grid; a finer baseline
  // averaged onto it).
  const EvaluationRow* finest = nullptr;
  for (const auto& r : rows)
    if (r.model == "baseline" && r.scheme.empty() && (!finest || r.cells > finest->cells))
      finest = &r;
  if (finest) {
    const auto& c = rows[0];
    const double a = c.mae_model_grid, b = finest->mae_model_grid;
    const std::string diverged = DivergedNote(a, b, "the closure", "the un-closed scheme");
    if (!diverged.empty())
      PetscCall(PetscPrintf(comm,
                            "evaluate: closure at %" PetscInt_FMT
                            " cells against the un-closed scheme at %" PetscInt_FMT
                            " cells on the %" PetscInt_FMT
                            "-cell grid: no ratio, %s (MAE %.3e vs %.3e)\n",
                            c.cells, finest->cells, c.cells, diverged.c_str(), a, b));
    else
      PetscCall(PetscPrintf(comm,
                            "evaluate: closure at %" PetscInt_FMT
                            " cells has %.2fx the error of the un-closed scheme at %" PetscInt_FMT
                            " cells on the %" PetscInt_FMT "-cell grid (MAE %.3e vs %.3e; %s)\n",
                            c.cells, a / b, finest->cells, c.cells, a, b,
                            a <= b ? "matches or beats it" : "does not reach it"));
  }
  PetscCall(PrintSchemeHeadline(comm, rows));
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
  PetscCall(BuildModels(comm, opt, &models));
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
