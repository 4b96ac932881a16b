// `udeflow evaluate -evaluate_models ...`: trained models of one physics side by side on
// the held-out trajectories (scaled-state MSE), with plot-ready profiles.
#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "evaluate_common.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/scoped_options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/workflow/case.hpp"
#include "udeflow/workflow/evaluate.hpp"

namespace udeflow::workflow {

namespace {

// Scaled squared error against the coarse-grained truth at every snapshot; writes the
// model's and the truth's states to the profiles file.
class ScaledError : public adjoint::Observer {
 public:
  ScaledError(const io::Dataset* data, size_t traj, std::vector<PetscInt> snaps,
              pde::Physics* physics, double scale, io::H5File* out, const std::string& model_path,
              const std::string& truth_path)
      : data_(data),
        traj_(traj),
        snaps_(std::move(snaps)),
        physics_(physics),
        scale_(scale),
        out_(out),
        model_path_(model_path),
        truth_path_(truth_path) {
    mse.assign(snaps_.size(), NAN);
  }
  ~ScaledError() override {
    VecDestroy(&truth_);
    VecDestroy(&natural_);
  }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec) override {
    PetscFunctionBeginUser;
    if (!truth_) {
      PetscCall(VecDuplicate(u, &truth_));
      PetscCall(DMDACreateNaturalVector(physics_->Grid(), &natural_));
    }
    PetscCall(data_->ReadState(traj_, snaps_[k], *physics_, truth_));
    if (!truth_path_.empty()) PetscCall(Write(truth_path_, k, truth_));
    if (!model_path_.empty()) PetscCall(Write(model_path_, k, u));
    PetscCall(VecAYPX(truth_, -1.0, u));
    PetscInt n;
    PetscReal nrm;
    PetscCall(VecGetSize(u, &n));
    PetscCall(VecNorm(truth_, NORM_2, &nrm));
    mse[k] = nrm * nrm / (scale_ * scale_ * n);
    *loss += mse[k];
    observed = k + 1;
    PetscFunctionReturn(0);
  }
  std::vector<double> mse;
  PetscInt observed = 0;

 private:
  PetscErrorCode Write(const std::string& path, PetscInt k, Vec u) {
    PetscFunctionBeginUser;
    PetscCall(DMDAGlobalToNaturalBegin(physics_->Grid(), u, INSERT_VALUES, natural_));
    PetscCall(DMDAGlobalToNaturalEnd(physics_->Grid(), u, INSERT_VALUES, natural_));
    PetscInt lo, hi;
    const PetscScalar* a;
    PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
    PetscCall(VecGetArrayRead(natural_, &a));
    PetscCall(out_->WriteSlab(path, {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
    PetscCall(VecRestoreArrayRead(natural_, &a));
    PetscFunctionReturn(0);
  }
  const io::Dataset* data_;
  size_t traj_;
  std::vector<PetscInt> snaps_;
  pde::Physics* physics_;
  double scale_;
  io::H5File* out_;
  std::string model_path_, truth_path_;
  Vec truth_ = nullptr, natural_ = nullptr;
};

// label:path[:option=value...],... -> rows (paths relative to the output directory unless
// absolute).
PetscErrorCode ParseModelList(MPI_Comm comm, const std::string& models, const std::string& dir,
                              std::vector<ModelComparisonRow>* rows) {
  PetscFunctionBeginUser;
  rows->clear();
  std::stringstream ss(models);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const size_t colon = item.find(':');
    PetscCheck(colon != std::string::npos && colon > 0 && colon + 1 < item.size(), comm,
               PETSC_ERR_USER_INPUT,
               "option -evaluate_models: '%s' is not label:path[:option=value...]", item.c_str());
    ModelComparisonRow r;
    r.label = item.substr(0, colon);
    r.path = item.substr(colon + 1);
    // label:path:key=value:...: options of this model alone.
    std::stringstream parts(r.path);
    std::getline(parts, r.path, ':');
    std::string opt;
    while (std::getline(parts, opt, ':')) {
      const size_t eq = opt.find('=');
      PetscCheck(
          eq != std::string::npos && eq > 0 && eq + 1 < opt.size(), comm, PETSC_ERR_USER_INPUT,
          "option -evaluate_models: '%s': expected label:path[:option=value...]", item.c_str());
      r.options.emplace_back(opt.substr(opt[0] == '-' ? 1 : 0, eq - (opt[0] == '-' ? 1 : 0)),
                             opt.substr(eq + 1));
    }
    if (r.path != "none" && r.path[0] != '/') r.path = dir + "/" + r.path;
    rows->push_back(r);
  }
  PetscCheck(!rows->empty(), comm, PETSC_ERR_USER_INPUT,
             "option -evaluate_models: no models given");
  PetscFunctionReturn(0);
}

// The file's header: physics, grid, labels, scale, units and the cell centres along the
// first dimension (z for ocean columns).
PetscErrorCode WriteProfilesHeader(io::H5File& out, const pde::Physics& ref,
                                   const std::vector<ModelComparisonRow>& rows, double scale) {
  PetscFunctionBeginUser;
  PetscCall(out.WriteAttr("/", "format", std::string("udeflow-profiles-1")));
  PetscCall(out.WriteAttr("/", "physics", ref.Describe()));
  std::ostringstream grid, labels;
  for (size_t d = 0; d < ref.GridSize().size(); ++d) grid << (d ? "," : "") << ref.GridSize()[d];
  for (size_t i = 0; i < rows.size(); ++i) labels << (i ? "," : "") << rows[i].label;
  PetscCall(out.WriteAttr("/", "grid", grid.str()));
  PetscCall(out.WriteAttr("/", "models", labels.str()));
  PetscCall(out.WriteAttr("/", "scale", scale));
  PetscCall(out.WriteAttr("/", "units", ref.FieldUnits()[0]));
  const PetscInt n0 = ref.GridSize()[0];
  std::vector<double> z(n0);
  for (PetscInt k = 0; k < n0; ++k)
    z[k] = ref.DomainOrigin()[0] + (k + 0.5) * ref.DomainLength()[0] / n0;
  PetscCall(out.WriteArray("/z", {(hsize_t)n0}, z.data()));
  PetscFunctionReturn(0);
}

// Every model on held-out trajectory number ti (dataset index tr).
struct ProfileRun {
  const io::Dataset* data;
  size_t ti, tr, ntests;
  PetscReal horizon;
  double scale;
  PetscInt ncells;
  io::H5File* out;
};
PetscErrorCode CompareOnTrajectory(MPI_Comm comm, const ProfileRun& run,
                                   std::vector<CaseModel>& entries,
                                   std::vector<ModelComparisonRow>* rows, double* horizon_used) {
  PetscFunctionBeginUser;
  const auto& info = run.data->Trajectories()[run.tr];
  HeldOutTrajectory held;
  PetscCall(ReadHeldOut(comm, *run.data, run.tr, run.horizon, &held));
  const std::vector<PetscReal>&t = held.t, &times = held.times;
  const pde::Scenario& sc = held.scenario;
  *horizon_used = times.back() - t[0];
  const std::string g = "/" + info.name;
  PetscCall(run.out->WriteArray(g + "/t", {(hsize_t)times.size()}, times.data()));
  PetscCall(run.out->WriteArray(g + "/scenario", {(hsize_t)sc.size()}, sc.data()));
  PetscCall(run.out->CreateDataset(g + "/truth", {(hsize_t)times.size(), (hsize_t)run.ncells}));
  for (size_t mi = 0; mi < rows->size(); ++mi) {
    auto& r = (*rows)[mi];
    CaseModel& e = entries[mi];
    PetscCall(e.physics->SetScenario(sc));
    Vec u0;
    PetscCall(DMCreateGlobalVector(e.physics->Grid(), &u0));
    PetscCall(run.data->ReadState(run.tr, 0, *e.physics, u0));
    PetscCall(
        run.out->CreateDataset(g + "/" + r.label, {(hsize_t)times.size(), (hsize_t)run.ncells}));
    ScaledError obs(run.data, run.tr, held.snaps, e.physics.get(), run.scale, run.out,
                    g + "/" + r.label, mi == 0 ? g + "/truth" : "");
    bool diverged;
    PetscCall(ForwardAllowingDivergence(*e.integrator, t[0], u0, times, &obs, &diverged));
    PetscCall(VecDestroy(&u0));
    double m = 0;
    for (double v : obs.mse) m += v / obs.mse.size();
    if (diverged) {
      r.diverged++;
      m = INFINITY;
      PetscCall(PetscPrintf(comm, "evaluate: %s diverged on %s after %" PetscInt_FMT " snapshots\n",
                            r.label.c_str(), info.name.c_str(), obs.observed));
    }
    r.mse_per_trajectory[run.ti] = m;
    r.mse += m / run.ntests;
    if (!diverged && !obs.mse.empty()) {
      size_t q = 0;  // the first snapshot at or after a quarter of the horizon
      while (q + 1 < times.size() && times[q] - t[0] < 0.25 * (times.back() - t[0])) ++q;
      const double g = obs.mse[q] > 0 ? std::sqrt(obs.mse.back() / obs.mse[q]) : 0.0;
      r.growth = std::max(r.growth, g);
    } else if (diverged) {
      r.growth = INFINITY;
    }
    PetscCall(
        run.out->WriteArray(g + "/" + r.label + "_mse", {(hsize_t)obs.mse.size()}, obs.mse.data()));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode PrintComparison(MPI_Comm comm, const io::Dataset& data,
                               const std::vector<size_t>& tests,
                               const std::vector<ModelComparisonRow>& rows, double scale,
                               double horizon_used) {
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(
      comm,
      "evaluate: scaled-state MSE, mean of ((u - truth)/%g)^2 over t0 + (0, %g] and all cells\n",
      scale, horizon_used));
  std::ostringstream head;
  head << "  " << std::left;
  head.width(12);
  head << "model";
  for (size_t ti : tests) {
    head.width(14);
    head << data.Trajectories()[ti].name;
  }
  head << "mean";
  PetscCall(PetscPrintf(comm, "%s\n", head.str().c_str()));
  for (const auto& r : rows) {
    std::ostringstream line;
    line << "  " << std::left;
    line.width(12);
    line << r.label;
    char buf[64];
    for (double v : r.mse_per_trajectory) {
      std::snprintf(buf, sizeof(buf), "%-14.4e", v);
      line << buf;
    }
    std::snprintf(buf, sizeof(buf), "%.4e", r.mse);
    line << buf;
    PetscCall(PetscPrintf(comm, "%s\n", line.str().c_str()));
  }
  const auto& last = rows.back();
  for (size_t i = 0; i + 1 < rows.size(); ++i) {
    const std::string diverged = DivergedNote(rows[i].mse, last.mse, rows[i].label, last.label);
    if (!diverged.empty())
      PetscCall(PetscPrintf(comm, "evaluate: %s against %s: no MSE ratio, %s\n",
                            rows[i].label.c_str(), last.label.c_str(), diverged.c_str()));
    else
      PetscCall(PetscPrintf(comm,
                            "evaluate: %s / %s MSE ratio %.2f (mean over test trajectories)\n",
                            rows[i].label.c_str(), last.label.c_str(), rows[i].mse / last.mse));
  }
  for (const auto& r : rows)
    PetscCall(PetscPrintf(comm,
                          "evaluate: %s error growth %.3g (RMS error at the end / at a quarter "
                          "of the horizon, largest over the test trajectories)\n",
                          r.label.c_str(), r.growth));
  PetscFunctionReturn(0);
}

// Means and ratios per kind of held-out scenario (Physics::ScenarioKind), when there are
// several kinds.
PetscErrorCode PrintComparisonByKind(MPI_Comm comm, const io::Dataset& data,
                                     const pde::Physics& physics, const std::vector<size_t>& tests,
                                     const std::vector<ModelComparisonRow>& rows) {
  PetscFunctionBeginUser;
  std::vector<std::string> kinds, of(tests.size());
  for (size_t i = 0; i < tests.size(); ++i) {
    of[i] = physics.ScenarioKind(data.Trajectories()[tests[i]].seed);
    if (std::find(kinds.begin(), kinds.end(), of[i]) == kinds.end()) kinds.push_back(of[i]);
  }
  if (kinds.size() < 2) PetscFunctionReturn(0);
  for (const auto& kind : kinds) {
    std::string names;
    std::vector<double> mean(rows.size(), 0.0);
    int n = 0;
    for (size_t i = 0; i < tests.size(); ++i)
      if (of[i] == kind) {
        names += (n++ ? ", " : "") + data.Trajectories()[tests[i]].name;
        for (size_t m = 0; m < rows.size(); ++m) mean[m] += rows[m].mse_per_trajectory[i];
      }
    PetscCall(PetscPrintf(comm, "evaluate: %s trajectories (%s):\n", kind.c_str(), names.c_str()));
    for (size_t m = 0; m < rows.size(); ++m)
      PetscCall(PetscPrintf(comm, "evaluate: %s mean MSE of %s %.4e\n", kind.c_str(),
                            rows[m].label.c_str(), mean[m] / n));
    for (size_t m = 0; m + 1 < rows.size(); ++m)
      PetscCall(PetscPrintf(comm, "evaluate: %s: %s / %s MSE ratio %.2f\n", kind.c_str(),
                            rows[m].label.c_str(), rows.back().label.c_str(),
                            mean[m] / mean.back()));
  }
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode EvaluateModels(MPI_Comm comm, const std::string& spec,
                              std::vector<ModelComparisonRow>* rows) {
  PetscFunctionBeginUser;
  CasePaths paths;
  PetscCall(CasePathsFromOptions(comm, &paths));
  PetscReal horizon = 0;
  std::string models = spec;
  PetscOptionsBegin(comm, "evaluate_", "Evaluation", "evaluate");
  PetscCall(UdeOptionsString(
      "-models",
      "Models to compare: label:path[:option=value...],... (path none: no network; "
      "option=value: an option of that model alone, e.g. ocean_scheme=kpp)",
      &models, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-horizon", "Time span evaluated (0: whole trajectory)",
                                      &horizon, nullptr));
  PetscOptionsEnd();
  PetscCall(ParseModelList(comm, models, paths.output_dir, rows));
  std::vector<CaseModel> entries(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    ModelSettings s;
    s.no_closure = (*rows)[i].path == "none";
    s.default_type = "ocean_column";
    auto options = (*rows)[i].options;
    if (s.no_closure) options.emplace_back("closure_type", "none");
    ScopedOptionValues scoped;  // this model's own options, while it is created
    for (const auto& [key, value] : options) PetscCall(scoped.Set("-" + key, value));
    PetscCall(CreateCaseModel(comm, s, &entries[i]));
  }
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  for (size_t i = 0; i < rows->size(); ++i)
    if ((*rows)[i].path != "none")
      PetscCall(train::LoadModel(comm, (*rows)[i].path, "option -evaluate_models",
                                 *entries[i].physics, &entries[i].theta));
  pde::Physics& ref = *entries[0].physics;
  const double scale = ref.EvaluationScale();
  io::Dataset data;
  std::vector<size_t> tests;
  std::vector<pde::Physics*> all;
  for (auto& e : entries) all.push_back(e.physics.get());
  PetscCall(OpenHeldOutData(comm, paths.dataset, all, &data, &tests));
  io::RunLock lock;  // one run at a time writing the output directory
  PetscCall(lock.AcquireDirectory(comm, paths.output_dir, "option -output_dir"));
  io::H5File out;
  const std::string out_path = paths.output_dir + "/profiles.h5";
  PetscCall(io::H5File::Create(comm, out_path, &out));
  PetscCall(WriteProfilesHeader(out, ref, *rows, scale));
  PetscInt ncells;
  {
    Vec v;
    PetscCall(DMCreateGlobalVector(ref.Grid(), &v));
    PetscCall(VecGetSize(v, &ncells));
    PetscCall(VecDestroy(&v));
  }
  PetscCall(PetscPrintf(comm, "evaluate: %zu held-out trajectories, %zu models; %s\n", tests.size(),
                        rows->size(), ref.Describe().c_str()));
  for (auto& r : *rows) r.mse_per_trajectory.assign(tests.size(), 0.0);
  double horizon_used = 0;
  for (size_t ti = 0; ti < tests.size(); ++ti) {
    const ProfileRun run{&data, ti, tests[ti], tests.size(), horizon, scale, ncells, &out};
    PetscCall(CompareOnTrajectory(comm, run, entries, rows, &horizon_used));
  }
  PetscCall(out.Commit());
  PetscCall(PrintComparison(comm, data, tests, *rows, scale, horizon_used));
  PetscCall(PrintComparisonByKind(comm, data, ref, tests, *rows));
  PetscCall(PetscPrintf(comm, "evaluate: profiles in %s\n", out_path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
