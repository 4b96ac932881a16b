// `udeflow evaluate` with -evaluate_variant_option: the trained model against variants of
// the scheme (one option changed, e.g. the flux limiter) at several grid resolutions.
#include <petscdmda.h>

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

// Mean absolute error against the data at each snapshot; optionally writes the state.
class Misfit : public adjoint::Observer {
 public:
  Misfit(const io::Dataset* data, size_t traj, std::vector<PetscInt> snaps, pde::Physics* physics)
      : data_(data), traj_(traj), snaps_(std::move(snaps)), physics_(physics) {
    mae.assign(snaps_.size(), 0.0);
  }
  ~Misfit() override { VecDestroy(&truth_); }
  void SetOutput(io::H5File* file, const std::string& dataset, Vec natural) {
    file_ = file;
    dataset_ = dataset;
    natural_ = natural;
  }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec) override {
    PetscFunctionBeginUser;
    if (!truth_) PetscCall(VecDuplicate(u, &truth_));
    PetscCall(data_->ReadState(traj_, snaps_[k], *physics_, truth_));
    PetscCall(VecAYPX(truth_, -1.0, u));
    PetscInt n;
    PetscReal l1;
    PetscCall(VecGetSize(u, &n));
    PetscCall(VecNorm(truth_, NORM_1, &l1));
    mae[k] = l1 / n;
    *loss += l1 / n;
    observed = k + 1;
    if (file_) {
      PetscCall(DMDAGlobalToNaturalBegin(physics_->Grid(), u, INSERT_VALUES, natural_));
      PetscCall(DMDAGlobalToNaturalEnd(physics_->Grid(), u, INSERT_VALUES, natural_));
      PetscInt lo, hi;
      const PetscScalar* a;
      PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
      PetscCall(VecGetArrayRead(natural_, &a));
      PetscCall(file_->WriteSlab(dataset_, {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
      PetscCall(VecRestoreArrayRead(natural_, &a));
    }
    PetscFunctionReturn(0);
  }
  std::vector<double> mae;
  size_t observed = 0;

 private:
  const io::Dataset* data_;
  size_t traj_;
  std::vector<PetscInt> snaps_;
  pde::Physics* physics_;
  Vec truth_ = nullptr, natural_ = nullptr;
  io::H5File* file_ = nullptr;
  std::string dataset_;
};

struct Variant {
  std::string label;  // "learned" (the trained model) or the variant's option value
  size_t factor = 0;  // index into the grid factors
  CaseModel model;
  double mae = 0, seconds = 0;
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
  PetscReal horizon = 0;
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
      models->push_back(Variant{labels[li], fi});
      PetscCall(CreateCaseModel(comm, s, &models->back().model));
    }
  PetscFunctionReturn(0);
}

// Runs every variant on one held-out trajectory.
PetscErrorCode RunVariants(const io::Dataset& data, size_t ti, const HeldOutTrajectory& held,
                           size_t ntests, const std::vector<PetscReal>& factors, io::H5File* out,
                           std::vector<Variant>* models, std::vector<io::XdmfSeries>* series) {
  PetscFunctionBeginUser;
  const auto& info = data.Trajectories()[ti];
  const std::vector<PetscReal>&t = held.t, &times = held.times;
  for (auto& m : *models) {
    PetscCall(m.Physics()->SetScenario(held.scenario));
    Vec u0, natural = nullptr;
    PetscCall(DMCreateGlobalVector(m.Physics()->Grid(), &u0));
    PetscCall(data.ReadState(ti, 0, *m.Physics(), u0));
    Misfit cmp(&data, ti, held.snaps, m.Physics());
    const auto g = m.Physics()->GridSize();
    hsize_t cells = 1;
    for (PetscInt n : g) cells *= n;
    const std::string group = "/" + info.name + "/" + m.label + "_" + CellsLabel(g);
    if (out) {
      PetscCall(DMDACreateNaturalVector(m.Physics()->Grid(), &natural));
      PetscCall(out->CreateDataset(group + "/state", {(hsize_t)times.size(), cells}));
      cmp.SetOutput(out, group + "/state", natural);
    }
    PetscLogDouble s0, s1;
    PetscCall(PetscTime(&s0));
    bool diverged;
    PetscCall(ForwardAllowingDivergence(*m.model.integrator, t[0], u0, times, &cmp, &diverged));
    PetscCall(PetscTime(&s1));
    double mae = 0;
    for (double e : cmp.mae) mae += e / cmp.mae.size();
    if (diverged) m.diverged++;
    m.mae += diverged ? INFINITY : mae / ntests;
    m.seconds += s1 - s0;
    if (out) {
      PetscCall(out->WriteArray(group + "/mae", {(hsize_t)cmp.mae.size()}, cmp.mae.data()));
      PetscCall(out->WriteArray(group + "/t", {(hsize_t)times.size()}, times.data()));
      if (factors[m.factor] == 1)
        series->push_back({info.name + " " + m.label, group + "/state", times});
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

// The table (one row per scheme, one column per resolution) and the headline.
PetscErrorCode PrintVariantTable(MPI_Comm comm, const std::vector<std::string>& labels, size_t nf,
                                 const std::vector<Variant>& models,
                                 std::vector<EvaluationRow>* rows) {
  PetscFunctionBeginUser;
  std::string head = "  " + std::string(10, ' ');
  char buf[64];
  for (size_t fi = 0; fi < nf; ++fi) {
    std::snprintf(buf, sizeof(buf), " %14s",
                  (CellsLabel(models[fi].Physics()->GridSize()) + " cells").c_str());
    head += buf;
  }
  PetscCall(PetscPrintf(comm, "%s\n", head.c_str()));
  rows->clear();
  for (size_t li = 0; li < labels.size(); ++li) {
    std::string line = "  ";
    std::snprintf(buf, sizeof(buf), "%-10s", labels[li].c_str());
    line += buf;
    for (size_t fi = 0; fi < nf; ++fi) {
      const Variant& m = models[li * nf + fi];
      if (m.diverged)
        std::snprintf(buf, sizeof(buf), " %14s",
                      ("diverged(" + std::to_string(m.diverged) + ")").c_str());
      else
        std::snprintf(buf, sizeof(buf), " %14.4e", m.mae);
      line += buf;
      EvaluationRow r;
      r.model = m.label;
      r.cells = m.Physics()->GridSize()[0];
      r.mae = r.mae_model_grid = m.mae;
      r.seconds = m.seconds;
      r.diverged = m.diverged;
      rows->push_back(r);
    }
    PetscCall(PetscPrintf(comm, "%s\n", line.c_str()));
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
    PetscCall(RunVariants(data, ti, held, tests.size(), o.factors, o.fields ? &out : nullptr,
                          &models, &series));
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
  PetscCall(PrintVariantTable(comm, labels, o.factors.size(), models, rows));
  if (o.fields)
    PetscCall(PetscPrintf(comm, "evaluate: fields and error histories in %s (+ evaluate.xmf)\n",
                          out_path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
