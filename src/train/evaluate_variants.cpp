// `udeflow evaluate` with -evaluate_variant_option: the trained model against variants of
// the scheme (one option changed, e.g. the flux limiter) at several grid resolutions.
#include <petscdmda.h>

#include <cmath>
#include <memory>
#include <sstream>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/pde/advection.hpp"
#include "udeflow/train/case.hpp"
#include "udeflow/train/evaluate.hpp"

namespace udeflow::train {

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
  std::unique_ptr<pde::Physics> physics;
  std::unique_ptr<adjoint::Integrator> integrator;
  AlignedVector<double> theta;  // the model's (learned) or the initial parameters, read by physics
  double mae = 0, seconds = 0;
  int diverged = 0;
};

std::string CellsLabel(const std::vector<PetscInt>& g) {
  std::string s;
  for (size_t d = 0; d < g.size(); ++d) s += (d ? "x" : "") + std::to_string(g[d]);
  return s;
}

// The learned limiter and the fixed ones on r in [-1, 4] (Sweby diagram data).
PetscErrorCode WriteLimiterCurves(pde::Physics& physics, io::H5File& out) {
  PetscFunctionBeginUser;
  auto* adv = dynamic_cast<pde::Advection*>(&physics);
  if (!adv || adv->GetLimiter() != pde::Limiter::kLearned) PetscFunctionReturn(0);
  std::vector<double> r, phi, dphi;
  for (int i = 0; i <= 1000; ++i) r.push_back(-1 + 5.0 * i / 1000);
  // With the jump feature: phi(r) at a large jump (4 delta) and at a small one (delta / 4).
  PetscCall(adv->LearnedPhi(r, &phi, &dphi, 4 * adv->JumpScale()));
  const hsize_t n = r.size();
  PetscCall(out.CreateGroup("/limiter"));
  PetscCall(out.WriteArray("/limiter/r", {n}, r.data()));
  PetscCall(out.WriteArray("/limiter/learned", {n}, phi.data()));
  if (adv->LearnedFeatures() == 2) {
    PetscCall(adv->LearnedPhi(r, &phi, &dphi, 0.25 * adv->JumpScale()));
    PetscCall(out.WriteArray("/limiter/learned_small_jump", {n}, phi.data()));
  }
  for (pde::Limiter l : {pde::Limiter::kMinmod, pde::Limiter::kSuperbee, pde::Limiter::kVanLeer,
                         pde::Limiter::kMC}) {
    std::vector<double> v(n);
    double d;
    for (hsize_t i = 0; i < n; ++i) v[i] = pde::LimiterPhi(l, r[i], &d);
    PetscCall(out.WriteArray(std::string("/limiter/") + pde::LimiterName(l), {n}, v.data()));
  }
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode EvaluateVariants(MPI_Comm comm, const std::string& option,
                                std::vector<EvaluationRow>* rows) {
  PetscFunctionBeginUser;
  CasePaths paths;
  PetscCall(CasePathsFromOptions(comm, &paths));
  std::string values_text;
  std::vector<PetscReal> factors = {0.5, 1, 2};
  PetscReal horizon = 0;
  PetscBool fields = PETSC_TRUE;
  PetscOptionsBegin(comm, "evaluate_", "Evaluation against scheme variants", "evaluate");
  PetscCall(UdeOptionsString("-variants",
                             "Values of -evaluate_variant_option to compare with (comma list)",
                             &values_text, nullptr));
  PetscCall(UdeOptionsRealList("-grid_factors",
                               "Grid resolutions relative to the case's (e.g. 0.5,1,2)", &factors,
                               8, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-horizon", "Time span evaluated (0: whole trajectory)",
                                      &horizon, nullptr));
  PetscCall(PetscOptionsBool("-fields", "Write predicted fields (HDF5 + XDMF)", "", fields, &fields,
                             nullptr));
  PetscOptionsEnd();
  for (PetscReal f : factors)
    PetscCheck(f > 0 && std::isfinite(f), comm, PETSC_ERR_USER_INPUT,
               "option -evaluate_grid_factors: factors must be positive");
  std::vector<std::string> values;
  {
    std::stringstream ss(values_text);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) values.push_back(item);
  }

  // The trained model at every resolution, then every variant (no closure) at every resolution.
  std::unique_ptr<pde::Physics> base;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "burgers", &base));
  PetscCall(base->SetUp());
  const auto grid_keys = base->GridOptions();
  const auto grid0 = base->GridSize();
  PetscReal dt = 0;
  {
    adjoint::Integrator integ(base.get());
    PetscCall(integ.SetFromOptions(nullptr));
    PetscCall(TSGetTimeStep(integ.Ts(), &dt));
  }
  std::vector<Variant> models;
  std::vector<std::string> labels = {"learned"};
  for (const auto& v : values) labels.push_back(v);
  for (size_t li = 0; li < labels.size(); ++li)
    for (size_t fi = 0; fi < factors.size(); ++fi) {
      ScopedOptionValues over;
      for (size_t d = 0; d < grid_keys.size() && d < grid0.size(); ++d) {
        const double n = grid0[d] * factors[fi];
        PetscCheck(std::abs(n - std::round(n)) < 1e-9 && n >= 1, comm, PETSC_ERR_USER_INPUT,
                   "option -evaluate_grid_factors: %g x %" PetscInt_FMT
                   " cells is not a whole number",
                   (double)factors[fi], grid0[d]);
        PetscCall(
            over.Set("-" + grid_keys[d], std::to_string(static_cast<long long>(std::round(n)))));
      }
      if (dt > 0) {
        std::ostringstream s;
        s.precision(17);
        s << dt / factors[fi];
        PetscCall(over.Set("-ts_dt", s.str()));
      }
      if (li > 0) {
        PetscCall(over.Set("-" + option, labels[li]));
        PetscCall(over.Set("-closure_type", "none"));
      }
      Variant m;
      m.label = labels[li];
      m.factor = fi;
      PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "burgers", &m.physics));
      PetscCall(m.physics->SetUp());
      m.integrator = std::make_unique<adjoint::Integrator>(m.physics.get());
      PetscCall(m.integrator->SetFromOptions(nullptr));
      models.push_back(std::move(m));
    }
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  PetscCheck(!values.empty(), comm, PETSC_ERR_USER_INPUT,
             "option -evaluate_variants: no variant of -%s given", option.c_str());

  for (auto& m : models)
    if (m.label == "learned")
      PetscCall(LoadModel(comm, paths.model, "option -model", *m.physics, &m.theta));
    else
      PetscCall(pde::BindInitialParams(*m.physics, &m.theta));
  io::Dataset data;
  PetscCall(data.Open(comm, paths.dataset, "option -dataset"));
  for (auto& m : models) PetscCall(data.CheckCompatible(*m.physics));
  std::vector<size_t> tests;
  for (size_t i = 0; i < data.Trajectories().size(); ++i)
    if (data.Trajectories()[i].split == "test") tests.push_back(i);
  PetscCheck(!tests.empty(), comm, PETSC_ERR_USER_INPUT, "dataset '%s' has no test trajectories",
             paths.dataset.c_str());

  io::H5File out;
  const std::string out_path = paths.output_dir + "/evaluate.h5";
  std::vector<io::XdmfSeries> series;
  if (fields) PetscCall(io::H5File::Create(comm, out_path, &out));
  PetscCall(PetscPrintf(
      comm, "evaluate: %zu held-out trajectories, model %s; variants of -%s: %s\n", tests.size(),
      models[0].physics->Describe().c_str(), option.c_str(), values_text.c_str()));
  double horizon_used = 0;
  for (size_t ti : tests) {
    const auto& info = data.Trajectories()[ti];
    HeldOutTrajectory held;
    PetscCall(ReadHeldOut(comm, data, ti, horizon, &held));
    const std::vector<PetscReal>& t = held.t;
    const std::vector<PetscReal>& times = held.times;
    const std::vector<PetscInt>& snaps = held.snaps;
    const pde::Scenario& sc = held.scenario;
    horizon_used = times.back() - t[0];
    for (auto& m : models) {
      PetscCall(m.physics->SetScenario(sc));
      Vec u0, natural = nullptr;
      PetscCall(DMCreateGlobalVector(m.physics->Grid(), &u0));
      PetscCall(data.ReadState(ti, 0, *m.physics, u0));
      Misfit cmp(&data, ti, snaps, m.physics.get());
      const auto g = m.physics->GridSize();
      hsize_t cells = 1;
      for (PetscInt n : g) cells *= n;
      const std::string group = "/" + info.name + "/" + m.label + "_" + CellsLabel(g);
      if (fields) {
        PetscCall(DMDACreateNaturalVector(m.physics->Grid(), &natural));
        PetscCall(out.CreateDataset(group + "/state", {(hsize_t)times.size(), cells}));
        cmp.SetOutput(&out, group + "/state", natural);
      }
      PetscLogDouble s0, s1;
      PetscCall(PetscTime(&s0));
      PetscReal total;
      PetscErrorCode ierr = m.integrator->Forward(t[0], u0, times, &cmp, &total);
      const bool diverged = ierr == PETSC_ERR_NOT_CONVERGED;
      if (diverged)
        SessionClearError();
      else
        PetscCall(ierr);
      PetscCall(PetscTime(&s1));
      double mae = 0;
      for (double e : cmp.mae) mae += e / cmp.mae.size();
      if (diverged) m.diverged++;
      m.mae += diverged ? INFINITY : mae / tests.size();
      m.seconds += s1 - s0;
      if (fields) {
        PetscCall(out.WriteArray(group + "/mae", {(hsize_t)cmp.mae.size()}, cmp.mae.data()));
        PetscCall(out.WriteArray(group + "/t", {(hsize_t)times.size()}, times.data()));
        if (factors[m.factor] == 1)
          series.push_back({info.name + " " + m.label, group + "/state", times});
      }
      PetscCall(VecDestroy(&natural));
      PetscCall(VecDestroy(&u0));
    }
  }
  if (fields) {
    PetscCall(WriteLimiterCurves(*models[0].physics, out));
    PetscCall(out.Commit());
    PetscCall(io::WriteXdmf(comm, paths.output_dir + "/evaluate.xmf", "evaluate.h5", grid0,
                            base->DomainLength(), base->FieldNames(), series));
  }

  // The table: one row per scheme, one column per resolution.
  PetscCall(PetscPrintf(
      comm,
      "evaluate: mean absolute error vs the truth over t0 + [0, %.3g], %zu test trajectories\n",
      horizon_used, tests.size()));
  std::string head = "  " + std::string(10, ' ');
  char buf[64];
  for (size_t fi = 0; fi < factors.size(); ++fi) {
    std::snprintf(buf, sizeof(buf), " %14s",
                  (CellsLabel(models[fi].physics->GridSize()) + " cells").c_str());
    head += buf;
  }
  PetscCall(PetscPrintf(comm, "%s\n", head.c_str()));
  rows->clear();
  for (size_t li = 0; li < labels.size(); ++li) {
    std::string line = "  ";
    std::snprintf(buf, sizeof(buf), "%-10s", labels[li].c_str());
    line += buf;
    for (size_t fi = 0; fi < factors.size(); ++fi) {
      const Variant& m = models[li * factors.size() + fi];
      if (m.diverged)
        std::snprintf(buf, sizeof(buf), " %14s",
                      ("diverged(" + std::to_string(m.diverged) + ")").c_str());
      else
        std::snprintf(buf, sizeof(buf), " %14.4e", m.mae);
      line += buf;
      EvaluationRow r;
      r.model = m.label;
      r.cells = m.physics->GridSize()[0];
      r.mae = r.mae_model_grid = m.mae;
      r.seconds = m.seconds;
      r.diverged = m.diverged;
      rows->push_back(r);
    }
    PetscCall(PetscPrintf(comm, "%s\n", line.c_str()));
  }
  // Headline: the trained model against the best variant at each resolution.
  for (size_t fi = 0; fi < factors.size(); ++fi) {
    const Variant* best = nullptr;
    for (size_t li = 1; li < labels.size(); ++li) {
      const Variant& m = models[li * factors.size() + fi];
      if (!best || m.mae < best->mae) best = &m;
    }
    const Variant& learned = models[fi];
    PetscCall(PetscPrintf(
        comm,
        "evaluate: at %s cells the learned model has %.3fx the error of the best variant (%s)\n",
        CellsLabel(learned.physics->GridSize()).c_str(), learned.mae / best->mae,
        best->label.c_str()));
  }
  if (fields)
    PetscCall(PetscPrintf(comm, "evaluate: fields and error histories in %s (+ evaluate.xmf)\n",
                          out_path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
