// `udeflow evaluate` with -evaluate_variant_option: the trained model against variants of
// the scheme (one option changed, e.g. the flux limiter) at several grid resolutions.
#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "evaluate_common.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/workflow/case.hpp"
#include "udeflow/workflow/evaluate.hpp"

namespace udeflow::workflow {

namespace {

struct Variant {
  std::string label;  // "learned" (the trained model) or the variant's option value
  size_t factor = 0;  // index into the grid factors
  CaseModel model;
  double mae = 0, mae_coarse = 0, survival = 0, seconds = 0;  // on the closure grid: *_coarse
  // Largest total-variation growth max_k TV(u_k)/TV(u_0) - 1 over the snapshots and the
  // held-out trajectories, of the model and of the truth on its grid (-1: not available).
  double tv_growth = -1, tv_growth_truth = -1;
  int diverged = 0;
  pde::Physics* Physics() const { return model.physics.get(); }
};

std::string CellsLabel(const std::vector<PetscInt>& g) {
  std::string s;
  for (size_t d = 0; d < g.size(); ++d) s += (d ? "x" : "") + std::to_string(g[d]);
  return s;
}

struct VariantOptions {
  std::string values_text;
  std::vector<std::string> values;
  std::vector<PetscReal> factors = {0.5, 1, 2};
  PetscReal horizon = 0, threshold = 0.1;
  PetscBool fields = PETSC_TRUE;
};

PetscErrorCode ReadVariantOptions(MPI_Comm comm, VariantOptions* o) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "evaluate_", "Evaluation against scheme variants", "evaluate");
  PetscCall(UdeOptionsString("-variants",
                             "Values of -evaluate_variant_option to compare with (comma list)",
                             &o->values_text, nullptr));
  PetscCall(UdeOptionsRealList("-grid_factors",
                               "Grid resolutions relative to the case's (e.g. 0.5,1,2)",
                               &o->factors, 8, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-horizon", "Time span evaluated (0: whole trajectory)",
                                      &o->horizon, nullptr));
  PetscCall(UdeOptionsPositiveReal("-threshold", "Survival: |error| below this counts as correct",
                                   &o->threshold, nullptr));
  PetscCall(PetscOptionsBool("-fields", "Write predicted fields (HDF5 + XDMF)", "", o->fields,
                             &o->fields, nullptr));
  PetscOptionsEnd();
  for (PetscReal f : o->factors)
    PetscCheck(f > 0 && std::isfinite(f), comm, PETSC_ERR_USER_INPUT,
               "option -evaluate_grid_factors: factors must be positive");
  o->values = SplitList(o->values_text);
  PetscFunctionReturn(0);
}

// The trained model at every resolution, then every variant (no closure) at every resolution.
PetscErrorCode BuildVariants(MPI_Comm comm, const std::string& option, const VariantOptions& o,
                             const std::vector<std::string>& labels,
                             const std::vector<PetscInt>& grid0, PetscReal dt,
                             std::vector<Variant>* models) {
  PetscFunctionBeginUser;
  for (size_t li = 0; li < labels.size(); ++li)
    for (size_t fi = 0; fi < o.factors.size(); ++fi) {
      ModelSettings s;
      for (size_t d = 0; d < grid0.size(); ++d) {
        const double n = grid0[d] * o.factors[fi];
        PetscCheck(std::abs(n - std::round(n)) < 1e-9 && n >= 1, comm, PETSC_ERR_USER_INPUT,
                   "option -evaluate_grid_factors: %g x %" PetscInt_FMT
                   " cells is not a whole number",
                   (double)o.factors[fi], grid0[d]);
        s.cells.push_back(static_cast<PetscInt>(std::round(n)));
      }
      if (dt > 0) s.dt = dt / o.factors[fi];
      if (li > 0) {
        s.scheme_key = option;
        s.scheme_value = labels[li];
        s.no_closure = true;
      }
      models->push_back(Variant{labels[li], fi, {}});
      PetscCall(CreateCaseModel(comm, s, &models->back().model));
    }
  PetscFunctionReturn(0);
}

// The learned model at the case's resolution (factor 1), or nullptr.
const Variant* ClosureModel(const std::vector<Variant>& models,
                            const std::vector<PetscReal>& factors) {
  for (const auto& m : models)
    if (m.label == "learned" && factors[m.factor] == 1) return &m;
  return nullptr;
}

// Whether `m` is the closure's 1-D grid refined by an integer factor (then it is also
// scored after averaging onto the closure's grid).
bool FinerThanClosure(const Variant& m, const Variant* closure) {
  if (!closure || m.Physics()->GridSize().size() != 1) return false;
  const PetscInt n = m.Physics()->GridSize()[0], n0 = closure->Physics()->GridSize()[0];
  return n > n0 && n % n0 == 0;
}

// Runs every variant on one held-out trajectory.
PetscErrorCode RunVariants(const io::Dataset& data, size_t ti, const HeldOutTrajectory& held,
                           const VariantOptions& o, size_t ntests, io::H5File* out,
                           std::vector<Variant>* models, std::vector<io::XdmfSeries>* series) {
  PetscFunctionBeginUser;
  const auto& info = data.Trajectories()[ti];
  const std::vector<PetscReal>&t = held.t, &times = held.times;
  const Variant* closure = ClosureModel(*models, o.factors);
  for (auto& m : *models) {
    PetscCall(m.Physics()->SetScenario(held.scenario));
    Vec u0, natural = nullptr;
    PetscCall(DMCreateGlobalVector(m.Physics()->Grid(), &u0));
    PetscCall(data.ReadState(ti, 0, *m.Physics(), u0));
    double tv0;
    PetscCall(GridTotalVariation(m.Physics()->Grid(), u0, &tv0));
    TruthComparison cmp(&data, ti, held.snaps, m.Physics(), o.threshold);
    const bool finer = FinerThanClosure(m, closure);
    if (finer) cmp.SetCoarse(closure->Physics());
    const auto g = m.Physics()->GridSize();
    hsize_t cells = 1;
    for (PetscInt n : g) cells *= n;
    const std::string group = "/" + info.name + "/" + m.label + "_" + CellsLabel(g);
    if (out) {
      PetscCall(DMDACreateNaturalVector(m.Physics()->Grid(), &natural));
      PetscCall(out->CreateDataset(group + "/state", {(hsize_t)times.size(), cells}));
      PetscCall(cmp.SetOutput(out, group + "/state", natural));
    }
    PetscLogDouble s0, s1;
    PetscCall(PetscTime(&s0));
    bool diverged;
    PetscCall(ForwardAllowingDivergence(*m.model.integrator, t[0], u0, times, &cmp, &diverged));
    PetscCall(PetscTime(&s1));
    double mae = 0, mae_coarse = 0;
    for (double e : cmp.mae) mae += e / cmp.mae.size();
    for (double e : finer ? cmp.mae_coarse : cmp.mae) mae_coarse += e / cmp.mae.size();
    if (diverged) m.diverged++;
    m.mae += diverged ? INFINITY : mae / ntests;
    m.mae_coarse += diverged ? INFINITY : mae_coarse / ntests;
    const size_t valid = diverged ? cmp.observed - 1 : times.size();
    m.survival += cmp.Survival(times, t[0], valid, diverged) / ntests;
    if (tv0 > 0) {
      m.tv_growth = std::max(m.tv_growth, TotalVariationGrowth(cmp.tv, cmp.observed, tv0));
      m.tv_growth_truth =
          std::max(m.tv_growth_truth, TotalVariationGrowth(cmp.tv_truth, cmp.observed, tv0));
    }
    m.seconds += s1 - s0;
    if (out) {
      PetscCall(out->WriteArray(group + "/mae", {(hsize_t)cmp.mae.size()}, cmp.mae.data()));
      PetscCall(out->WriteArray(group + "/t", {(hsize_t)times.size()}, times.data()));
      if (finer)
        PetscCall(out->WriteArray(group + "/mae_closure_grid", {(hsize_t)cmp.mae.size()},
                                  cmp.mae_coarse.data()));
      if (o.factors[m.factor] == 1)
        series->push_back({info.name + " " + m.label, group + "/state", times, {}});
    }
    PetscCall(VecDestroy(&natural));
    PetscCall(VecDestroy(&u0));
  }
  PetscFunctionReturn(0);
}

// What the closure learned next to the fixed alternatives (Physics::GetLearnedCurves).
PetscErrorCode WriteLearnedCurves(pde::Physics& physics, io::H5File& out) {
  PetscFunctionBeginUser;
  pde::Physics::LearnedCurves curves;
  PetscCall(physics.GetLearnedCurves(&curves));
  if (curves.arrays.empty()) PetscFunctionReturn(0);
  PetscCall(out.CreateGroup(curves.group));
  for (const auto& [name, v] : curves.arrays)
    PetscCall(out.WriteArray(curves.group + "/" + name, {(hsize_t)v.size()}, v.data()));
  PetscFunctionReturn(0);
}

// One block of the table: `title`, then one row per scheme, one column per resolution.
PetscErrorCode PrintVariantBlock(MPI_Comm comm, const char* title,
                                 const std::vector<std::string>& labels, size_t nf,
                                 const std::vector<Variant>& models, double Variant::*field,
                                 const char* format) {
  PetscFunctionBeginUser;
  std::string head = "  " + std::string(title);
  head.resize(std::max<size_t>(head.size(), 12), ' ');
  char buf[64];
  for (size_t fi = 0; fi < nf; ++fi) {
    std::snprintf(buf, sizeof(buf), " %14s",
                  (CellsLabel(models[fi].Physics()->GridSize()) + " cells").c_str());
    head += buf;
  }
  PetscCall(PetscPrintf(comm, "%s\n", head.c_str()));
  for (size_t li = 0; li < labels.size(); ++li) {
    std::snprintf(buf, sizeof(buf), "  %-10s", labels[li].c_str());
    std::string line = buf;
    for (size_t fi = 0; fi < nf; ++fi) {
      const Variant& m = models[li * nf + fi];
      if (m.diverged && field != &Variant::survival)
        std::snprintf(buf, sizeof(buf), " %14s",
                      ("diverged(" + std::to_string(m.diverged) + ")").c_str());
      else
        std::snprintf(buf, sizeof(buf), format, m.*field);
      line += buf;
    }
    PetscCall(PetscPrintf(comm, "%s\n", line.c_str()));
  }
  PetscFunctionReturn(0);
}

// Total-variation growth max over snapshots and held-out trajectories of TV(u)/TV(u0) - 1,
// one row per scheme and one for the truth on the same grids (cell averages of a moving
// profile change their total variation too), then a line per scheme at the case's grid.
PetscErrorCode PrintTotalVariation(MPI_Comm comm, const std::vector<std::string>& labels, size_t nf,
                                   const std::vector<Variant>& models) {
  PetscFunctionBeginUser;
  if (models.empty() || models[0].tv_growth_truth < 0) PetscFunctionReturn(0);
  PetscCall(
      PrintVariantBlock(comm, "TV growth", labels, nf, models, &Variant::tv_growth, " %14.2e"));
  std::string line = "  truth     ";
  char buf[64];
  for (size_t fi = 0; fi < nf; ++fi) {
    double g = -1;
    for (size_t li = 0; li < labels.size(); ++li)
      g = std::max(g, models[li * nf + fi].tv_growth_truth);
    std::snprintf(buf, sizeof(buf), " %14.2e", g);
    line += buf;
  }
  PetscCall(PetscPrintf(comm, "%s\n", line.c_str()));
  PetscCall(PetscPrintf(comm,
                        "evaluate: TV growth = max over snapshots and held-out trajectories of "
                        "TV(u(t))/TV(u(t0)) - 1 (truth: the exact cell averages on each grid)\n"));
  PetscFunctionReturn(0);
}

// The learned model at the case's resolution against each variant at 4x its cells, on
// the closure's grid (the same observable).
PetscErrorCode PrintClosureGridHeadline(MPI_Comm comm, const std::vector<Variant>& models,
                                        const std::vector<PetscReal>& factors) {
  PetscFunctionBeginUser;
  const Variant* c = ClosureModel(models, factors);
  if (!c) PetscFunctionReturn(0);
  const PetscInt n0 = c->Physics()->GridSize()[0];
  for (const auto& m : models) {
    if (m.label == "learned" || !FinerThanClosure(m, c) || factors[m.factor] != 4) continue;
    const std::string diverged = DivergedNote(c->mae_coarse, m.mae_coarse, "the closure", m.label);
    if (!diverged.empty()) {
      PetscCall(PetscPrintf(
          comm,
          "evaluate: closure at %" PetscInt_FMT " cells against %s at %" PetscInt_FMT
          " cells (4x) on the %" PetscInt_FMT "-cell grid: no ratio, %s (MAE %.3e vs %.3e)\n",
          n0, m.label.c_str(), m.Physics()->GridSize()[0], n0, diverged.c_str(), c->mae_coarse,
          m.mae_coarse));
      continue;
    }
    const double ratio = c->mae_coarse / m.mae_coarse;
    PetscCall(PetscPrintf(
        comm,
        "evaluate: closure at %" PetscInt_FMT " cells has %.2fx the error of %s at %" PetscInt_FMT
        " cells (4x) on the %" PetscInt_FMT
        "-cell grid (MAE %.3e vs %.3e, survival %.2f vs %.2f; %s)\n",
        n0, ratio, m.label.c_str(), m.Physics()->GridSize()[0], n0, c->mae_coarse, m.mae_coarse,
        c->survival, m.survival, ratio <= 1 ? "matches or beats it" : "does not reach it"));
  }
  PetscFunctionReturn(0);
}

// The tables (MAE on each model's grid, MAE on the closure's grid, survival time; one
// row per scheme, one column per resolution) and the headlines.
PetscErrorCode PrintVariantTable(MPI_Comm comm, const std::vector<std::string>& labels,
                                 const std::vector<PetscReal>& factors,
                                 const std::vector<Variant>& models,
                                 std::vector<EvaluationRow>* rows) {
  PetscFunctionBeginUser;
  const size_t nf = factors.size();
  PetscCall(PrintVariantBlock(comm, "MAE", labels, nf, models, &Variant::mae, " %14.4e"));
  PetscCall(PrintVariantBlock(comm, "MAE on closure grid", labels, nf, models, &Variant::mae_coarse,
                              " %14.4e"));
  PetscCall(PrintVariantBlock(comm, "survival", labels, nf, models, &Variant::survival, " %14.2f"));
  PetscCall(PrintTotalVariation(comm, labels, nf, models));
  rows->clear();
  for (const Variant& m : models) {
    EvaluationRow r;
    r.model = m.label;
    r.scheme = m.label == "learned" ? "" : m.label;
    r.cells = m.Physics()->GridSize()[0];
    r.mae = m.mae;
    r.mae_model_grid = m.mae_coarse;
    r.survival = m.survival;
    r.seconds = m.seconds;
    r.diverged = m.diverged;
    rows->push_back(r);
  }
  // Headline: the trained model against the best variant at each resolution.
  for (size_t fi = 0; fi < nf; ++fi) {
    const Variant* best = nullptr;
    for (size_t li = 1; li < labels.size(); ++li) {
      const Variant& m = models[li * nf + fi];
      if (!best || m.mae < best->mae) best = &m;
    }
    const Variant& learned = models[fi];
    PetscCall(PetscPrintf(
        comm,
        "evaluate: at %s cells the learned model has %.3fx the error of the best variant (%s)\n",
        CellsLabel(learned.Physics()->GridSize()).c_str(), learned.mae / best->mae,
        best->label.c_str()));
  }
  PetscCall(PrintClosureGridHeadline(comm, models, factors));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode EvaluateVariants(MPI_Comm comm, const std::string& option,
                                std::vector<EvaluationRow>* rows) {
  PetscFunctionBeginUser;
  CasePaths paths;
  PetscCall(CasePathsFromOptions(comm, &paths));
  VariantOptions o;
  PetscCall(ReadVariantOptions(comm, &o));
  CaseModel base;
  PetscCall(CreateCaseModel(comm, ModelSettings{}, &base));
  const auto grid0 = base.physics->GridSize();
  PetscReal dt = 0;
  PetscCall(CaseTimeStep(base, &dt));
  std::vector<Variant> models;
  std::vector<std::string> labels = {"learned"};
  for (const auto& v : o.values) labels.push_back(v);
  PetscCall(BuildVariants(comm, option, o, labels, grid0, dt, &models));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  PetscCheck(!o.values.empty(), comm, PETSC_ERR_USER_INPUT,
             "option -evaluate_variants: no variant of -%s given", option.c_str());
  for (auto& m : models)
    if (m.label == "learned")
      PetscCall(train::LoadModel(comm, paths.model, "option -model", *m.Physics(), &m.model.theta));
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
  if (o.fields) PetscCall(io::H5File::Create(comm, out_path, &out));
  PetscCall(PetscPrintf(
      comm, "evaluate: %zu held-out trajectories, model %s; variants of -%s: %s\n", tests.size(),
      models[0].Physics()->Describe().c_str(), option.c_str(), o.values_text.c_str()));
  double horizon_used = 0;
  for (size_t ti : tests) {
    HeldOutTrajectory held;
    PetscCall(ReadHeldOut(comm, data, ti, o.horizon, &held));
    horizon_used = held.times.back() - held.t[0];
    PetscCall(
        RunVariants(data, ti, held, o, tests.size(), o.fields ? &out : nullptr, &models, &series));
  }
  if (o.fields) {
    PetscCall(WriteLearnedCurves(*models[0].Physics(), out));
    PetscCall(out.Commit());
    PetscCall(io::WriteXdmf(comm, paths.output_dir + "/evaluate.xmf", "evaluate.h5", grid0,
                            base.physics->DomainLength(), base.physics->FieldNames(), series));
  }
  PetscCall(PetscPrintf(
      comm,
      "evaluate: mean absolute error vs the truth over t0 + [0, %.3g], %zu test trajectories\n",
      horizon_used, tests.size()));
  PetscCall(PrintVariantTable(comm, labels, o.factors, models, rows));
  if (o.fields)
    PetscCall(PetscPrintf(comm, "evaluate: fields and error histories in %s (+ evaluate.xmf)\n",
                          out_path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
