#include "udeflow/workflow/discover.hpp"

#include <array>
#include <cmath>
#include <functional>
#include <memory>

#include "udeflow/core/options.hpp"
#include "udeflow/discover/stlsq.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/pde/ode_system.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::workflow {

using namespace udeflow::discover;

namespace {

using Rhs = std::function<void(const double* u, double* f)>;

// Classical RK4 with step dt from u0 over [0, T]; the state every `every` steps.  Stops
// (rows after it are NaN) when the state leaves |u| < 1e8.
Matrix Integrate(const Rhs& f, const Eigen::VectorXd& u0, double T, double dt, int every,
                 Eigen::VectorXd* times) {
  const int n = static_cast<int>(u0.size());
  const long long steps = static_cast<long long>(std::llround(T / dt));
  const long long rows = steps / every + 1;
  Matrix out = Matrix::Constant(rows, n, NAN);
  times->resize(rows);
  Eigen::VectorXd u = u0, k1(n), k2(n), k3(n), k4(n), w(n);
  out.row(0) = u.transpose();
  (*times)[0] = 0;
  bool ok = true;
  for (long long s = 1; s <= steps; ++s) {
    if (ok) {
      f(u.data(), k1.data());
      w = u + 0.5 * dt * k1;
      f(w.data(), k2.data());
      w = u + 0.5 * dt * k2;
      f(w.data(), k3.data());
      w = u + dt * k3;
      f(w.data(), k4.data());
      u += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
      ok = u.allFinite() && u.cwiseAbs().maxCoeff() < 1e8;
    }
    if (s % every == 0) {
      (*times)[s / every] = s * dt;
      if (ok) out.row(s / every) = u.transpose();
    }
  }
  return out;
}

double RelativeMaxError(const Matrix& u, const Matrix& truth) {
  if (!u.allFinite()) return INFINITY;
  return (u - truth).cwiseAbs().maxCoeff() / truth.cwiseAbs().maxCoeff();
}

// Vec (any layout) -> replicated array.
PetscErrorCode Replicate(Vec v, std::vector<double>* out) {
  PetscFunctionBeginUser;
  VecScatter sc;
  Vec all;
  PetscCall(VecScatterCreateToAll(v, &sc, &all));
  PetscCall(VecScatterBegin(sc, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n;
  PetscCall(VecGetSize(all, &n));
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(all, &a));
  out->assign(a, a + n);
  PetscCall(VecRestoreArrayRead(all, &a));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&all));
  PetscFunctionReturn(0);
}

std::string SupportReport(const Eigen::VectorXd& c, const Eigen::VectorXd& truth,
                          const std::vector<std::string>& names) {
  std::string extra, missing;
  for (Eigen::Index j = 0; j < c.size(); ++j) {
    if (c[j] != 0 && truth[j] == 0) extra += (extra.empty() ? "" : ", ") + names[j];
    if (c[j] == 0 && truth[j] != 0) missing += (missing.empty() ? "" : ", ") + names[j];
  }
  if (extra.empty() && missing.empty()) return "terms: exactly the true ones";
  std::string s = "terms:";
  if (!extra.empty()) s += " extra {" + extra + "}";
  if (!missing.empty()) s += " missing {" + missing + "}";
  return s;
}

std::string CoefficientErrors(const Eigen::VectorXd& c, const Eigen::VectorXd& truth,
                              const std::vector<std::string>& names) {
  std::string s;
  char buf[128];
  for (Eigen::Index j = 0; j < c.size(); ++j)
    if (truth[j] != 0) {
      std::snprintf(buf, sizeof(buf), "%s%s %+.4f vs %+.4f (%+.2f%%)", s.empty() ? "" : ", ",
                    names[j].c_str(), c[j], truth[j], 100 * (c[j] - truth[j]) / std::abs(truth[j]));
      s += buf;
    }
  return s;
}

struct DiscoverOptions {
  PetscInt degree = 3, samples = 0, traj_index = 0;
  PetscReal horizon = 50, dt = 1e-3, out_dt = 0.05, ridge = 0.05, trim = 0.1;
  std::string criterion = "holdout";
  PetscBool show_sweep = PETSC_FALSE;
  int every = 1;
};

PetscErrorCode ReadDiscoverOptions(MPI_Comm comm, DiscoverOptions* o) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "discover_", "Equation discovery (sparse regression)", "discover");
  PetscCall(PetscOptionsInt("-degree", "Degree of the polynomial library (>= 1)", "", o->degree,
                            &o->degree, nullptr));
  PetscCall(UdeOptionsChoice(
      "-criterion",
      "Threshold choice: held-out error (Pareto), widest plateau of the sweep, Bayesian/Akaike "
      "information criterion",
      {"holdout", "plateau", "bic", "aic"}, &o->criterion, nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-samples", "Uniform sample times for U along the trajectory (0: the data times)",
      &o->samples, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-trim",
      "Leave out this fraction of the interval at each end when sampling U (the "
      "derivative is least determined at the ends of a fitted trajectory)",
      &o->trim, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-trajectory", "Which training trajectory (index)",
                                     &o->traj_index, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-ridge", "Ridge alpha of the thresholding iterations (normalized columns)", &o->ridge,
      nullptr));
  PetscCall(PetscOptionsBool("-show_sweep", "Print every support found in the threshold sweep", "",
                             o->show_sweep, &o->show_sweep, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-extrapolate_to", "Extrapolation horizon", &o->horizon, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-dt", "RK4 step of the discovery integrations", &o->dt, nullptr));
  PetscCall(UdeOptionsPositiveReal("-output_dt", "Time between stored extrapolation samples",
                                   &o->out_dt, nullptr));
  PetscOptionsEnd();
  PetscCheck(o->trim < 0.5, comm, PETSC_ERR_USER_INPUT,
             "option -discover_trim: must be below 0.5 (got %g)", (double)o->trim);
  PetscCheck(o->degree >= 1, comm, PETSC_ERR_USER_INPUT,
             "option -discover_degree: the library degree must be at least 1 (got %" PetscInt_FMT
             ")",
             o->degree);
  o->every = std::max(1, static_cast<int>(std::lround(o->out_dt / o->dt)));
  PetscFunctionReturn(0);
}

// Everything the steps compute, in the order they compute it.
struct Discovery {
  MPI_Comm comm;
  CasePaths paths;
  DiscoverOptions opt;
  std::unique_ptr<pde::Physics> model_p, truth_p;
  const pde::OdeSystem *model = nullptr, *truth = nullptr;
  AlignedVector<double> theta,
      truth_theta;  // what the model (trained) and the truth (initial) read
  int n = 0;
  Eigen::Index m = 0;
  Matrix Xd;                               // data states (m x n)
  Eigen::VectorXd td;                      // data times
  Eigen::VectorXd u_exact;                 // the truth's initial state
  std::vector<Eigen::VectorXd> u_heldout;  // exact initial states of held-out trajectories
  size_t heldout_shared = 0;               // test trajectories with the training scenario
  double t0 = 0;
  Eigen::VectorXd ts;        // sample times (from t0)
  Matrix Xs, U, Utrue, Yfd;  // states at the samples, learned and true U, FD targets
  std::vector<double> thresholds;
  Eigen::VectorXd te;  // extrapolation times
  Matrix xe_true, xe_learned, xe_fd, xe_ude;
  std::vector<std::array<Matrix, 4>> xe_heldout;  // truth, learned, fd, ude per held-out state

  Rhs Ude() const {
    return [this](const double* u, double* f) {
      model->KnownRhs(t0, u, f);
      nn::Matrix xcol(n, 1), ucol;
      for (int i = 0; i < n; ++i) xcol(i, 0) = u[i];
      model->ClosureOnStates(xcol, &ucol);
      for (int i = 0; i < n; ++i) f[i] += ucol(i, 0);
    };
  }
};

// The model and truth physics (ODEs of the same size) and the trained model.
PetscErrorCode CreateOdeModels(Discovery& d) {
  PetscFunctionBeginUser;
  MPI_Comm comm = d.comm;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "lotka_volterra", &d.model_p));
  d.model = d.model_p->AsOdeSystem();
  PetscCheck(d.model, comm, PETSC_ERR_USER_INPUT,
             "option -physics: discover needs an ODE physics (lotka_volterra), not '%s'",
             d.model_p->Type());
  PetscCall(d.model_p->SetUp());
  PetscCall(pde::PhysicsCreateFromOptions(comm, "truth_", d.model_p->Type(), &d.truth_p));
  d.truth = d.truth_p->AsOdeSystem();
  PetscCheck(d.truth && d.truth->StateSize() == d.model->StateSize(), comm, PETSC_ERR_USER_INPUT,
             "option -truth_physics: the truth must be the same kind of ODE as the model");
  PetscCall(d.truth_p->SetUp());
  PetscCall(pde::BindInitialParams(*d.truth_p, &d.truth_theta));  // (a truth with a closure)
  d.n = d.model->StateSize();
  PetscFunctionReturn(0);
}

// The truth's exact initial state for a scenario.
PetscErrorCode ExactInitialState(Discovery& d, const pde::Scenario& scenario, Eigen::VectorXd* u0) {
  PetscFunctionBeginUser;
  Vec u;
  std::vector<double> row;
  PetscCall(d.truth_p->SetScenario(scenario));
  PetscCall(DMCreateGlobalVector(d.truth_p->Grid(), &u));
  PetscCall(d.truth_p->InitialCondition(u));
  PetscCall(Replicate(u, &row));
  PetscCall(VecDestroy(&u));
  u0->resize(d.n);
  for (int i = 0; i < d.n; ++i) (*u0)[i] = row[i];
  PetscFunctionReturn(0);
}

// The exact initial states of the test trajectories whose scenario is not the training
// trajectory's (those that are count as shared, not held out).
PetscErrorCode HeldOutStates(Discovery& d, const io::Dataset& data, const pde::Scenario& train) {
  PetscFunctionBeginUser;
  for (size_t i = 0; i < data.Trajectories().size(); ++i) {
    if (data.Trajectories()[i].split != "test") continue;
    pde::Scenario sc;
    PetscCall(data.ReadScenario(i, &sc));
    if (sc == train) {
      ++d.heldout_shared;
      continue;
    }
    d.u_heldout.emplace_back();
    PetscCall(ExactInitialState(d, sc, &d.u_heldout.back()));
  }
  PetscFunctionReturn(0);
}

// The chosen training trajectory (states Xd at times td) and its exact initial state.
PetscErrorCode ReadTrajectory(Discovery& d) {
  PetscFunctionBeginUser;
  MPI_Comm comm = d.comm;
  io::Dataset data;
  PetscCall(data.Open(comm, d.paths.dataset, "option -dataset"));
  PetscCall(data.CheckCompatible(*d.model_p));
  std::vector<size_t> train_ids;
  for (size_t i = 0; i < data.Trajectories().size(); ++i)
    if (data.Trajectories()[i].split == "train") train_ids.push_back(i);
  PetscCheck(!train_ids.empty(), comm, PETSC_ERR_USER_INPUT,
             "dataset '%s' has no training trajectories (empty data)", d.paths.dataset.c_str());
  PetscCheck(d.opt.traj_index < (PetscInt)train_ids.size(), comm, PETSC_ERR_USER_INPUT,
             "option -discover_trajectory: %" PetscInt_FMT
             " but the dataset has %zu training trajectories",
             d.opt.traj_index, train_ids.size());
  const size_t tid = train_ids[d.opt.traj_index];
  std::vector<PetscReal> tdata;
  pde::Scenario scenario;
  PetscCall(data.ReadTimes(tid, &tdata));
  PetscCall(data.ReadScenario(tid, &scenario));
  PetscCheck(tdata.size() >= 3, comm, PETSC_ERR_USER_INPUT,
             "dataset '%s': trajectory '%s' has %zu snapshots; discover needs at least 3",
             d.paths.dataset.c_str(), data.Trajectories()[tid].name.c_str(), tdata.size());
  d.m = static_cast<Eigen::Index>(tdata.size());
  d.Xd.resize(d.m, d.n);
  Vec u;
  std::vector<double> row;
  PetscCall(DMCreateGlobalVector(d.model_p->Grid(), &u));
  for (Eigen::Index k = 0; k < d.m; ++k) {
    PetscCall(data.ReadState(tid, k, *d.model_p, u));
    PetscCall(Replicate(u, &row));
    for (int i = 0; i < d.n; ++i) d.Xd(k, i) = row[i];
  }
  PetscCall(VecDestroy(&u));
  d.td = Eigen::Map<const Eigen::VectorXd>(tdata.data(), d.m);
  d.t0 = d.td[0];
  PetscCall(HeldOutStates(d, data, scenario));
  PetscCall(ExactInitialState(d, scenario, &d.u_exact));
  PetscFunctionReturn(0);
}

// Step 1: the trained UDE from the first observed state; U learned and true at the states
// it passes at the sample times.
PetscErrorCode SampleLearnedTerm(Discovery& d, DiscoverSummary* summary) {
  PetscFunctionBeginUser;
  const DiscoverOptions& o = d.opt;
  const double T = d.td[d.m - 1] - d.t0;
  Eigen::VectorXd tfine;
  const int fine_every = 1;
  Matrix path = Integrate(d.Ude(), d.Xd.row(0).transpose(), T, o.dt, fine_every, &tfine);
  PetscCheck(path.allFinite(), d.comm, PETSC_ERR_NOT_CONVERGED,
             "discover: the trained model diverges on the training interval (model '%s')",
             d.paths.model.c_str());
  std::vector<double> tk;
  const Eigen::Index ns = o.samples > 0 ? o.samples : d.m;
  for (Eigen::Index k = 0; k < ns; ++k) {
    const double tt = o.samples > 0 ? T * k / std::max<Eigen::Index>(1, ns - 1) : d.td[k] - d.t0;
    if (tt >= o.trim * T * (1 - 1e-9) && tt <= (1 - o.trim) * T * (1 + 1e-12) + 1e-12)
      tk.push_back(tt);
  }
  PetscCheck(
      tk.size() >= 3, d.comm, PETSC_ERR_USER_INPUT,
      "option -discover_trim/-discover_samples: only %zu samples of U left (need at least 3)",
      tk.size());
  d.ts.resize(static_cast<Eigen::Index>(tk.size()));
  d.Xs.resize(d.ts.size(), d.n);
  for (Eigen::Index k = 0; k < d.ts.size(); ++k) {
    d.ts[k] = tk[k];
    const Eigen::Index r = std::min<Eigen::Index>(path.rows() - 1, std::llround(d.ts[k] / o.dt));
    d.Xs.row(k) = path.row(r);
  }
  d.Utrue.resize(d.Xs.rows(), d.n);
  nn::Matrix Xt = d.Xs.transpose(), Ut;
  d.model->ClosureOnStates(Xt, &Ut);
  d.U = Ut.transpose();
  std::vector<double> gm(d.n), gt(d.n);
  for (Eigen::Index k = 0; k < d.Xs.rows(); ++k) {
    Eigen::VectorXd row = d.Xs.row(k).transpose();
    d.model->KnownRhs(d.t0, row.data(), gm.data());
    d.truth->KnownRhs(d.t0, row.data(), gt.data());
    for (int i = 0; i < d.n; ++i) d.Utrue(k, i) = gt[i] - gm[i];
  }
  summary->u_error =
      (d.U - d.Utrue).cwiseAbs().maxCoeff() / std::max(1e-300, d.Utrue.cwiseAbs().maxCoeff());
  PetscFunctionReturn(0);
}

// Steps 2-4: STLSQ on the learned U, on finite differences of the data minus the known
// part, and the exact coefficients of the true missing terms.
PetscErrorCode Regress(Discovery& d, const PolynomialLibrary& lib, DiscoverSummary* summary) {
  PetscFunctionBeginUser;
  const int n = d.n;
  StlsqOptions opt;
  opt.criterion = d.opt.criterion;
  opt.ridge = d.opt.ridge;
  const Matrix theta_s = lib.Evaluate(d.Xs), theta_d = lib.Evaluate(d.Xd);
  d.Yfd = FiniteDifferenceDerivative(d.td, d.Xd);
  std::vector<double> g(n);
  for (Eigen::Index k = 0; k < d.m; ++k) {
    Eigen::VectorXd row = d.Xd.row(k).transpose();
    d.model->KnownRhs(d.t0, row.data(), g.data());
    for (int i = 0; i < n; ++i) d.Yfd(k, i) -= g[i];
  }
  summary->learned.setZero(lib.NumTerms(), n);
  summary->fd.setZero(lib.NumTerms(), n);
  summary->truth.setZero(lib.NumTerms(), n);
  d.thresholds.assign(2 * n, 0.0);
  std::vector<StlsqFit> cand_l, cand_f;
  for (int i = 0; i < n; ++i) {
    StlsqFit fl, ff;
    PetscCallCXX(fl = StlsqAuto(theta_s, d.U.col(i), opt, &cand_l));
    PetscCallCXX(ff = StlsqAuto(theta_d, d.Yfd.col(i), opt, &cand_f));
    if (d.opt.show_sweep)
      for (int which = 0; which < 2; ++which)
        for (const auto& c : which ? cand_f : cand_l)
          PetscCall(PetscPrintf(
              d.comm,
              "  sweep %s U%d: threshold >= %.2e (%2d of %d thresholds), %2d terms, rel. residual "
              "%.3e, score %.3e: %s\n",
              which ? "FD     " : "learned", i + 1, c.threshold, c.sweep_hits, opt.sweep_points,
              c.terms, std::sqrt(c.rss) / (which ? d.Yfd.col(i) : d.U.col(i)).norm(), c.score,
              FormatEquation(c.coef, summary->names).c_str()));
    summary->learned.col(i) = fl.coef;
    summary->fd.col(i) = ff.coef;
    d.thresholds[2 * i] = fl.threshold;
    d.thresholds[2 * i + 1] = ff.threshold;
    Eigen::VectorXd ct =
        FitSupport(theta_s, d.Utrue.col(i), std::vector<bool>(lib.NumTerms(), true));
    const double cmax = ct.cwiseAbs().maxCoeff();
    for (Eigen::Index j = 0; j < ct.size(); ++j)
      if (std::abs(ct[j]) <= 1e-8 * std::max(cmax, 1.0)) ct[j] = 0;
    summary->truth.col(i) = ct;
  }
  PetscFunctionReturn(0);
}

// Step 6: the same from every held-out initial state; mean errors over them.
void ExtrapolateHeldOut(Discovery& d, const Rhs& learned, const Rhs& fd, DiscoverSummary* summary) {
  const DiscoverOptions& o = d.opt;
  Rhs exact = [&](const double* u, double* f) { d.truth->KnownRhs(d.t0, u, f); };
  const Rhs models[3] = {learned, fd, d.Ude()};
  OrbitErrors* means[3] = {&summary->heldout_learned, &summary->heldout_fd, &summary->heldout_ude};
  for (OrbitErrors* m : means) *m = OrbitErrors{};
  Eigen::VectorXd te;
  for (const auto& u0 : d.u_heldout) {
    std::array<Matrix, 4> x;
    x[0] = Integrate(exact, u0, o.horizon, o.dt, o.every, &te);
    for (int k = 0; k < 3; ++k) {
      x[k + 1] = Integrate(models[k], u0, o.horizon, o.dt, o.every, &te);
      const OrbitErrors e = CompareOrbits(x[k + 1], x[0], te);
      const double w = 1.0 / d.u_heldout.size();
      means[k]->max_error += w * e.max_error;
      means[k]->amplitude_error += w * e.amplitude_error;
      means[k]->period_error += w * e.period_error;
      means[k]->phase_drift += w * e.phase_drift;
    }
    d.xe_heldout.push_back(std::move(x));
  }
  summary->heldout = d.u_heldout.size();
  summary->heldout_shared = d.heldout_shared;
}

// Step 5: the recovered models, the UDE and the truth from the exact initial state.
void Extrapolate(Discovery& d, const PolynomialLibrary& lib, DiscoverSummary* summary) {
  const DiscoverOptions& o = d.opt;
  auto recovered = [&](const Matrix& coef) -> Rhs {
    return [&, coef](const double* u, double* f) {
      d.model->KnownRhs(d.t0, u, f);
      for (int i = 0; i < d.n; ++i) f[i] += lib.EvaluatePoint(u, coef.col(i).data());
    };
  };
  Rhs exact = [&](const double* u, double* f) { d.truth->KnownRhs(d.t0, u, f); };
  d.xe_true = Integrate(exact, d.u_exact, o.horizon, o.dt, o.every, &d.te);
  d.xe_learned = Integrate(recovered(summary->learned), d.u_exact, o.horizon, o.dt, o.every, &d.te);
  d.xe_fd = Integrate(recovered(summary->fd), d.u_exact, o.horizon, o.dt, o.every, &d.te);
  d.xe_ude = Integrate(d.Ude(), d.u_exact, o.horizon, o.dt, o.every, &d.te);
  summary->extrap_learned = RelativeMaxError(d.xe_learned, d.xe_true);
  summary->extrap_fd = RelativeMaxError(d.xe_fd, d.xe_true);
  summary->extrap_ude = RelativeMaxError(d.xe_ude, d.xe_true);
  summary->horizon = o.horizon;
  ExtrapolateHeldOut(d, recovered(summary->learned), recovered(summary->fd), summary);
}

std::string ErrorText(double e) {
  char b[32];
  if (std::isfinite(e))
    std::snprintf(b, sizeof(b), "%.3e", e);
  else if (std::isnan(e))
    std::snprintf(b, sizeof(b), "undefined");
  else
    std::snprintf(b, sizeof(b), "diverged");
  return std::string(b);
}

// Step 6's table: per model the mean errors from the held-out initial states.
PetscErrorCode PrintHeldOut(MPI_Comm comm, double horizon, const DiscoverSummary& s) {
  PetscFunctionBeginUser;
  if (s.heldout_shared)
    PetscCall(PetscPrintf(comm,
                          "discover: %zu test trajectory(ies) share the training trajectory's "
                          "scenario (initial state): not used as held-out\n",
                          s.heldout_shared));
  if (s.heldout == 0) PetscFunctionReturn(0);
  PetscCall(PetscPrintf(comm,
                        "discover: extrapolation to t = %g from %zu held-out initial state(s) "
                        "(not in the training data), mean over them:\n"
                        "  %-28s %11s %15s %12s %12s\n",
                        horizon, s.heldout, "model", "max error", "amplitude error", "period error",
                        "phase drift"));
  const char* names[3] = {"recovered model (learned U)", "recovered model (FD data)",
                          "trained UDE (network)"};
  const OrbitErrors* e[3] = {&s.heldout_learned, &s.heldout_fd, &s.heldout_ude};
  for (int k = 0; k < 3; ++k)
    PetscCall(
        PetscPrintf(comm, "  %-28s %11s %15s %12s %12s\n", names[k],
                    ErrorText(e[k]->max_error).c_str(), ErrorText(e[k]->amplitude_error).c_str(),
                    ErrorText(e[k]->period_error).c_str(), ErrorText(e[k]->phase_drift).c_str()));
  PetscCall(PetscPrintf(comm,
                        "          (amplitude: relative error of the orbit's extent; period: "
                        "relative; phase drift: periods gained or lost by t = %g)\n",
                        horizon));
  PetscFunctionReturn(0);
}

PetscErrorCode PrintDiscovery(const Discovery& d, const PolynomialLibrary& lib,
                              const DiscoverSummary& s) {
  PetscFunctionBeginUser;
  MPI_Comm comm = d.comm;
  const std::string& criterion = d.opt.criterion;
  const auto& fields = d.model_p->FieldNames();
  const auto& names = s.names;
  PetscCall(PetscPrintf(
      comm,
      "discover: model %s\n          library: %d monomials of degree <= %" PetscInt_FMT
      " in %s; threshold by %s over a log sweep (normalized columns)\n",
      d.model_p->Describe().c_str(), lib.NumTerms(), d.opt.degree,
      fields.size() == 2 ? "x, y" : "the state",
      criterion == "holdout"
          ? "the Pareto knee of held-out error (last 30% of samples) vs terms, max ln(1/e)/k"
      : criterion == "plateau" ? "the widest plateau of the sweep (1e-4..1)"
      : criterion == "bic"     ? "BIC"
                               : "AIC"));
  PetscCall(PetscPrintf(comm,
                        "          learned U along the trained trajectory (%d samples on [%.3g, "
                        "%.3g]): max |U - U_true| = %.3e of max |U_true|\n",
                        (int)d.Xs.rows(), (double)(d.t0 + d.ts[0]),
                        (double)(d.t0 + d.ts[d.ts.size() - 1]), s.u_error));
  for (int i = 0; i < d.n; ++i) {
    const std::string lhs = "U" + std::to_string(i + 1) + " (d" + fields[i] + "/dt)";
    PetscCall(PetscPrintf(comm, "  true      %s = %s\n", lhs.c_str(),
                          FormatEquation(s.truth.col(i), names).c_str()));
    PetscCall(PetscPrintf(comm, "  learned U %s = %s   [threshold %.2e; %s; %s]\n", lhs.c_str(),
                          FormatEquation(s.learned.col(i), names).c_str(), d.thresholds[2 * i],
                          SupportReport(s.learned.col(i), s.truth.col(i), names).c_str(),
                          CoefficientErrors(s.learned.col(i), s.truth.col(i), names).c_str()));
    PetscCall(PetscPrintf(comm, "  FD data   %s = %s   [threshold %.2e; %s; %s]\n", lhs.c_str(),
                          FormatEquation(s.fd.col(i), names).c_str(), d.thresholds[2 * i + 1],
                          SupportReport(s.fd.col(i), s.truth.col(i), names).c_str(),
                          CoefficientErrors(s.fd.col(i), s.truth.col(i), names).c_str()));
  }
  PetscCall(PetscPrintf(comm,
                        "discover: extrapolation to t = %g from the exact initial state, max_t |u "
                        "- u_true| / max_t |u_true|:\n"
                        "          recovered model (learned U) %s, recovered model (FD data) %s, "
                        "trained UDE (network) %s\n",
                        (double)d.opt.horizon, ErrorText(s.extrap_learned).c_str(),
                        ErrorText(s.extrap_fd).c_str(), ErrorText(s.extrap_ude).c_str()));
  PetscCall(PrintHeldOut(comm, d.opt.horizon, s));
  PetscFunctionReturn(0);
}

PetscErrorCode WriteDiscovery(const Discovery& d, const DiscoverSummary& s) {
  PetscFunctionBeginUser;
  const std::string out_path = d.paths.output_dir + "/discover.h5";
  io::H5File f;
  PetscCall(io::H5File::Create(d.comm, out_path, &f));
  PetscCall(f.WriteAttr("/", "format", std::string("udeflow-discover-1")));
  PetscCall(f.WriteAttr("/", "model", d.model_p->Describe()));
  PetscCall(f.WriteAttr("/", "criterion", d.opt.criterion));
  PetscCall(f.WriteAttr("/", "degree", (long long)d.opt.degree));
  std::string joined, fj;
  for (const auto& n : s.names) joined += (joined.empty() ? "" : ",") + n;
  PetscCall(f.WriteAttr("/", "terms", joined));
  for (const auto& n : d.model_p->FieldNames()) fj += (fj.empty() ? "" : ",") + n;
  PetscCall(f.WriteAttr("/", "fields", fj));
  auto W = [&](const std::string& path, const Matrix& M) -> PetscErrorCode {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = M;
    return f.WriteArray(path, {(hsize_t)R.rows(), (hsize_t)R.cols()}, R.data());
  };
  PetscCall(f.CreateGroup("/data"));
  PetscCall(f.WriteArray("/data/t", {(hsize_t)d.m}, d.td.data()));
  PetscCall(W("/data/state", d.Xd));
  PetscCall(W("/data/fd_target", d.Yfd));
  PetscCall(f.CreateGroup("/trajectory"));
  Eigen::VectorXd tsa = d.ts.array() + d.t0;
  PetscCall(f.WriteArray("/trajectory/t", {(hsize_t)tsa.size()}, tsa.data()));
  PetscCall(W("/trajectory/state", d.Xs));
  PetscCall(W("/trajectory/U_learned", d.U));
  PetscCall(W("/trajectory/U_true", d.Utrue));
  PetscCall(f.CreateGroup("/coefficients"));
  PetscCall(W("/coefficients/learned", s.learned));
  PetscCall(W("/coefficients/fd", s.fd));
  PetscCall(W("/coefficients/true", s.truth));
  PetscCall(f.CreateGroup("/extrapolation"));
  PetscCall(f.WriteArray("/extrapolation/t", {(hsize_t)d.te.size()}, d.te.data()));
  PetscCall(W("/extrapolation/truth", d.xe_true));
  PetscCall(W("/extrapolation/recovered_learned", d.xe_learned));
  PetscCall(W("/extrapolation/recovered_fd", d.xe_fd));
  PetscCall(W("/extrapolation/ude", d.xe_ude));
  PetscCall(f.WriteAttr("/extrapolation", "error_learned", s.extrap_learned));
  PetscCall(f.WriteAttr("/extrapolation", "error_fd", s.extrap_fd));
  PetscCall(f.WriteAttr("/extrapolation", "error_ude", s.extrap_ude));
  for (size_t k = 0; k < d.xe_heldout.size(); ++k) {
    const std::string g = "/extrapolation_heldout_" + std::to_string(k);
    PetscCall(f.CreateGroup(g));
    PetscCall(f.WriteArray(g + "/t", {(hsize_t)d.te.size()}, d.te.data()));
    const char* names[4] = {"truth", "recovered_learned", "recovered_fd", "ude"};
    for (int m = 0; m < 4; ++m) PetscCall(W(g + "/" + names[m], d.xe_heldout[k][m]));
  }
  PetscCall(f.Commit());
  PetscCall(PetscPrintf(d.comm, "discover: wrote %s\n", out_path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode DiscoverCase(MPI_Comm comm, DiscoverSummary* summary) {
  PetscFunctionBeginUser;
  Discovery d;
  d.comm = comm;
  PetscCall(CasePathsFromOptions(comm, &d.paths));
  PetscCall(ReadDiscoverOptions(comm, &d.opt));
  PetscCall(CreateOdeModels(d));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  PetscCheck(d.model_p->NumParams() > 0, comm, PETSC_ERR_USER_INPUT,
             "discover: the model has no learned term: set -closure_type mlp");
  PetscCall(train::LoadModel(comm, d.paths.model, "option -model", *d.model_p, &d.theta));
  PetscCall(ReadTrajectory(d));
  io::RunLock lock;  // one run at a time writing the output directory
  PetscCall(lock.AcquireDirectory(comm, d.paths.output_dir, "option -output_dir"));
  PetscCall(SampleLearnedTerm(d, summary));
  PolynomialLibrary lib(d.n, static_cast<int>(d.opt.degree));
  summary->names = lib.Names(d.model_p->FieldNames());
  PetscCall(Regress(d, lib, summary));
  Extrapolate(d, lib, summary);
  PetscCall(PrintDiscovery(d, lib, *summary));
  PetscCall(WriteDiscovery(d, *summary));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
