#include "udeflow/discover/discover.hpp"

#include <cmath>
#include <functional>
#include <memory>

#include "udeflow/core/options.hpp"
#include "udeflow/discover/stlsq.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/pde/ode.hpp"
#include "udeflow/train/case.hpp"

namespace udeflow::discover {

namespace {

using Rhs = std::function<void(const double* u, double* f)>;

// Classical RK4 with step dt from u0 over [0, T]; the state every `every` steps.  Stops
// (rows after it are NaN) when the state leaves |u| < 1e8.
Matrix Integrate(const Rhs& f, const Eigen::VectorXd& u0, double T, double dt, int every, Eigen::VectorXd* times) {
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

std::string SupportReport(const Eigen::VectorXd& c, const Eigen::VectorXd& truth, const std::vector<std::string>& names) {
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

std::string CoefficientErrors(const Eigen::VectorXd& c, const Eigen::VectorXd& truth, const std::vector<std::string>& names) {
  std::string s;
  char buf[128];
  for (Eigen::Index j = 0; j < c.size(); ++j)
    if (truth[j] != 0) {
      std::snprintf(buf, sizeof(buf), "%s%s %+.4f vs %+.4f (%+.2f%%)", s.empty() ? "" : ", ", names[j].c_str(), c[j],
                    truth[j], 100 * (c[j] - truth[j]) / std::abs(truth[j]));
      s += buf;
    }
  return s;
}

}  // namespace

PetscErrorCode DiscoverCase(MPI_Comm comm, DiscoverSummary* summary) {
  PetscFunctionBeginUser;
  train::CasePaths paths;
  PetscCall(train::CasePathsFromOptions(comm, &paths));
  PetscInt degree = 3, samples = 0, traj_index = 0;
  PetscReal horizon = 50, dt = 1e-3, out_dt = 0.05, ridge = 0.05, trim = 0.1;
  std::string criterion = "holdout";
  PetscBool show_sweep = PETSC_FALSE;
  PetscOptionsBegin(comm, "discover_", "Equation discovery (sparse regression)", "discover");
  PetscCall(PetscOptionsInt("-degree", "Degree of the polynomial library (>= 1)", "", degree, &degree, nullptr));
  PetscCall(UdeOptionsChoice("-criterion",
                             "Threshold choice: held-out error (Pareto), widest plateau of the sweep, Bayesian/Akaike information criterion",
                             {"holdout", "plateau", "bic", "aic"}, &criterion, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-samples", "Uniform sample times for U along the trajectory (0: the data times)",
                                     &samples, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-trim",
                                      "Leave out this fraction of the interval at each end when sampling U (the "
                                      "derivative is least determined at the ends of a fitted trajectory)",
                                      &trim, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-trajectory", "Which training trajectory (index)", &traj_index, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-ridge", "Ridge alpha of the thresholding iterations (normalized columns)",
                                      &ridge, nullptr));
  PetscCall(PetscOptionsBool("-show_sweep", "Print every support found in the threshold sweep", "", show_sweep,
                             &show_sweep, nullptr));
  PetscCall(UdeOptionsPositiveReal("-extrapolate_to", "Extrapolation horizon", &horizon, nullptr));
  PetscCall(UdeOptionsPositiveReal("-dt", "RK4 step of the discovery integrations", &dt, nullptr));
  PetscCall(UdeOptionsPositiveReal("-output_dt", "Time between stored extrapolation samples", &out_dt, nullptr));
  PetscOptionsEnd();
  PetscCheck(trim < 0.5, comm, PETSC_ERR_USER_INPUT, "option -discover_trim: must be below 0.5 (got %g)", (double)trim);
  PetscCheck(degree >= 1, comm, PETSC_ERR_USER_INPUT,
             "option -discover_degree: the library degree must be at least 1 (got %" PetscInt_FMT ")", degree);
  const int every = std::max(1, static_cast<int>(std::lround(out_dt / dt)));

  std::unique_ptr<pde::Physics> model_p, truth_p;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "lotka_volterra", &model_p));
  auto* model = dynamic_cast<pde::OdePhysics*>(model_p.get());
  PetscCheck(model, comm, PETSC_ERR_USER_INPUT,
             "option -physics: discover needs an ODE physics (lotka_volterra), not '%s'", model_p->Type());
  PetscCall(model->SetUp());
  PetscCall(pde::PhysicsCreateFromOptions(comm, "truth_", model->Type(), &truth_p));
  auto* truth = dynamic_cast<pde::OdePhysics*>(truth_p.get());
  PetscCheck(truth && truth->StateSize() == model->StateSize(), comm, PETSC_ERR_USER_INPUT,
             "option -truth_physics: the truth must be the same kind of ODE as the model");
  PetscCall(truth->SetUp());
  AlignedVector<double> truth_theta;  // (a truth with a closure: its initial parameters)
  PetscCall(pde::BindInitialParams(*truth, &truth_theta));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  if (help) PetscFunctionReturn(0);
  PetscCheck(model->NumParams() > 0, comm, PETSC_ERR_USER_INPUT,
             "discover: the model has no learned term: set -closure_type mlp");
  AlignedVector<double> theta;  // the trained model's parameters, read by the model physics
  PetscCall(train::LoadModel(comm, paths.model, "option -model", *model, &theta));

  io::Dataset data;
  PetscCall(data.Open(comm, paths.dataset, "option -dataset"));
  PetscCall(data.CheckCompatible(*model));
  std::vector<size_t> train_ids;
  for (size_t i = 0; i < data.Trajectories().size(); ++i)
    if (data.Trajectories()[i].split == "train") train_ids.push_back(i);
  PetscCheck(!train_ids.empty(), comm, PETSC_ERR_USER_INPUT, "dataset '%s' has no training trajectories (empty data)",
             paths.dataset.c_str());
  PetscCheck(traj_index < (PetscInt)train_ids.size(), comm, PETSC_ERR_USER_INPUT,
             "option -discover_trajectory: %" PetscInt_FMT " but the dataset has %zu training trajectories", traj_index,
             train_ids.size());
  const size_t tid = train_ids[traj_index];
  const int n = model->StateSize();
  std::vector<PetscReal> tdata;
  pde::Scenario scenario;
  PetscCall(data.ReadTimes(tid, &tdata));
  PetscCall(data.ReadScenario(tid, &scenario));
  PetscCheck(tdata.size() >= 3, comm, PETSC_ERR_USER_INPUT,
             "dataset '%s': trajectory '%s' has %zu snapshots; discover needs at least 3", paths.dataset.c_str(),
             data.Trajectories()[tid].name.c_str(), tdata.size());
  const Eigen::Index m = static_cast<Eigen::Index>(tdata.size());
  Matrix Xd(m, n);
  {
    Vec u;
    PetscCall(DMCreateGlobalVector(model->Grid(), &u));
    std::vector<double> row;
    for (Eigen::Index k = 0; k < m; ++k) {
      PetscCall(data.ReadState(tid, k, *model, u));
      PetscCall(Replicate(u, &row));
      for (int i = 0; i < n; ++i) Xd(k, i) = row[i];
    }
    PetscCall(VecDestroy(&u));
  }
  Eigen::VectorXd td = Eigen::Map<const Eigen::VectorXd>(tdata.data(), m);
  // Exact initial state of the trajectory (the truth's initial condition).
  Eigen::VectorXd u_exact(n);
  {
    PetscCall(truth->SetScenario(scenario));
    Vec u;
    PetscCall(DMCreateGlobalVector(truth->Grid(), &u));
    PetscCall(truth->InitialCondition(u));
    std::vector<double> row;
    PetscCall(Replicate(u, &row));
    for (int i = 0; i < n; ++i) u_exact[i] = row[i];
    PetscCall(VecDestroy(&u));
  }

  // Right-hand sides (pure).
  const double t0 = td[0];
  std::vector<double> g(n);
  nn::Matrix xcol(n, 1), ucol(n, 1);
  pde::Closure::Tape tape;
  Rhs ude = [&](const double* u, double* f) {
    model->KnownRhs(t0, u, f);
    for (int i = 0; i < n; ++i) xcol(i, 0) = u[i];
    model->ClosureOnStates(xcol, tape, &ucol);
    for (int i = 0; i < n; ++i) f[i] += ucol(i, 0);
  };
  Rhs exact = [&](const double* u, double* f) { truth->KnownRhs(t0, u, f); };

  // 1. The trained UDE from the first observed state; states at the sample times.
  const double T = td[m - 1] - t0;
  Eigen::VectorXd ts;
  Matrix Xs;
  {
    Eigen::VectorXd tfine;
    const int fine_every = 1;
    Matrix path = Integrate(ude, Xd.row(0).transpose(), T, dt, fine_every, &tfine);
    PetscCheck(path.allFinite(), comm, PETSC_ERR_NOT_CONVERGED,
               "discover: the trained model diverges on the training interval (model '%s')", paths.model.c_str());
    std::vector<double> tk;
    const Eigen::Index ns = samples > 0 ? samples : m;
    for (Eigen::Index k = 0; k < ns; ++k) {
      const double tt = samples > 0 ? T * k / std::max<Eigen::Index>(1, ns - 1) : td[k] - t0;
      if (tt >= trim * T * (1 - 1e-9) && tt <= (1 - trim) * T * (1 + 1e-12) + 1e-12) tk.push_back(tt);
    }
    PetscCheck(tk.size() >= 3, comm, PETSC_ERR_USER_INPUT,
               "option -discover_trim/-discover_samples: only %zu samples of U left (need at least 3)", tk.size());
    ts.resize(static_cast<Eigen::Index>(tk.size()));
    Xs.resize(ts.size(), n);
    for (Eigen::Index k = 0; k < ts.size(); ++k) {
      ts[k] = tk[k];
      const Eigen::Index r = std::min<Eigen::Index>(path.rows() - 1, std::llround(ts[k] / dt));
      Xs.row(k) = path.row(r);
    }
  }
  Matrix U(Xs.rows(), n), Utrue(Xs.rows(), n);
  {
    nn::Matrix Xt = Xs.transpose(), Ut;
    model->ClosureOnStates(Xt, &Ut);
    U = Ut.transpose();
    std::vector<double> gm(n), gt(n);
    for (Eigen::Index k = 0; k < Xs.rows(); ++k) {
      Eigen::VectorXd row = Xs.row(k).transpose();
      model->KnownRhs(t0, row.data(), gm.data());
      truth->KnownRhs(t0, row.data(), gt.data());
      for (int i = 0; i < n; ++i) Utrue(k, i) = gt[i] - gm[i];
    }
  }
  summary->u_error = (U - Utrue).cwiseAbs().maxCoeff() / std::max(1e-300, Utrue.cwiseAbs().maxCoeff());

  // 2-4. Regressions.
  PolynomialLibrary lib(n, static_cast<int>(degree));
  summary->names = lib.Names(model->FieldNames());
  const auto& names = summary->names;
  StlsqOptions opt;
  opt.criterion = criterion;
  opt.ridge = ridge;
  const Matrix theta_s = lib.Evaluate(Xs), theta_d = lib.Evaluate(Xd);
  Matrix Yfd = FiniteDifferenceDerivative(td, Xd);
  for (Eigen::Index k = 0; k < m; ++k) {
    Eigen::VectorXd row = Xd.row(k).transpose();
    model->KnownRhs(t0, row.data(), g.data());
    for (int i = 0; i < n; ++i) Yfd(k, i) -= g[i];
  }
  summary->learned.setZero(lib.NumTerms(), n);
  summary->fd.setZero(lib.NumTerms(), n);
  summary->truth.setZero(lib.NumTerms(), n);
  std::vector<double> thresholds(2 * n);
  std::vector<StlsqFit> cand_l, cand_f;
  for (int i = 0; i < n; ++i) {
    StlsqFit fl, ff;
    PetscCallCXX(fl = StlsqAuto(theta_s, U.col(i), opt, &cand_l));
    PetscCallCXX(ff = StlsqAuto(theta_d, Yfd.col(i), opt, &cand_f));
    if (show_sweep) {
      for (int which = 0; which < 2; ++which)
        for (const auto& c : which ? cand_f : cand_l)
          PetscCall(PetscPrintf(comm, "  sweep %s U%d: threshold >= %.2e (%2d of %d thresholds), %2d terms, rel. residual %.3e, score %.3e: %s\n",
                                which ? "FD     " : "learned", i + 1, c.threshold, c.sweep_hits, opt.sweep_points, c.terms,
                                std::sqrt(c.rss) / (which ? Yfd.col(i) : U.col(i)).norm(), c.score,
                                FormatEquation(c.coef, lib.Names(model->FieldNames())).c_str()));
    }
    summary->learned.col(i) = fl.coef;
    summary->fd.col(i) = ff.coef;
    thresholds[2 * i] = fl.threshold;
    thresholds[2 * i + 1] = ff.threshold;
    Eigen::VectorXd ct = FitSupport(theta_s, Utrue.col(i), std::vector<bool>(lib.NumTerms(), true));
    const double cmax = ct.cwiseAbs().maxCoeff();
    for (Eigen::Index j = 0; j < ct.size(); ++j)
      if (std::abs(ct[j]) <= 1e-8 * std::max(cmax, 1.0)) ct[j] = 0;
    summary->truth.col(i) = ct;
  }

  // 5. Extrapolation from the exact initial state.
  auto Recovered = [&](const Matrix& coef) -> Rhs {
    return [&, coef](const double* u, double* f) {
      model->KnownRhs(t0, u, f);
      for (int i = 0; i < n; ++i) f[i] += lib.EvaluatePoint(u, coef.col(i).data());
    };
  };
  Eigen::VectorXd te;
  const Matrix xe_true = Integrate(exact, u_exact, horizon, dt, every, &te);
  const Matrix xe_learned = Integrate(Recovered(summary->learned), u_exact, horizon, dt, every, &te);
  const Matrix xe_fd = Integrate(Recovered(summary->fd), u_exact, horizon, dt, every, &te);
  const Matrix xe_ude = Integrate(ude, u_exact, horizon, dt, every, &te);
  summary->extrap_learned = RelativeMaxError(xe_learned, xe_true);
  summary->extrap_fd = RelativeMaxError(xe_fd, xe_true);
  summary->extrap_ude = RelativeMaxError(xe_ude, xe_true);
  summary->horizon = horizon;

  // Report.
  const auto& fields = model->FieldNames();
  PetscCall(PetscPrintf(comm, "discover: model %s\n          library: %d monomials of degree <= %" PetscInt_FMT
                        " in %s; threshold by %s over a log sweep (normalized columns)\n",
                        model->Describe().c_str(), lib.NumTerms(), degree, fields.size() == 2 ? "x, y" : "the state",
                        criterion == "holdout" ? "the Pareto knee of held-out error (last 30% of samples) vs terms, max ln(1/e)/k" : criterion == "plateau" ? "the widest plateau of the sweep (1e-4..1)" : criterion == "bic" ? "BIC" : "AIC"));
  PetscCall(PetscPrintf(comm, "          learned U along the trained trajectory (%d samples on [%.3g, %.3g]): max |U - U_true| = %.3e of max |U_true|\n",
                        (int)Xs.rows(), (double)(t0 + ts[0]), (double)(t0 + ts[ts.size() - 1]), summary->u_error));
  for (int i = 0; i < n; ++i) {
    const std::string lhs = "U" + std::to_string(i + 1) + " (d" + fields[i] + "/dt)";
    PetscCall(PetscPrintf(comm, "  true      %s = %s\n", lhs.c_str(),
                          FormatEquation(summary->truth.col(i), names).c_str()));
    PetscCall(PetscPrintf(comm, "  learned U %s = %s   [threshold %.2e; %s; %s]\n", lhs.c_str(),
                          FormatEquation(summary->learned.col(i), names).c_str(), thresholds[2 * i],
                          SupportReport(summary->learned.col(i), summary->truth.col(i), names).c_str(),
                          CoefficientErrors(summary->learned.col(i), summary->truth.col(i), names).c_str()));
    PetscCall(PetscPrintf(comm, "  FD data   %s = %s   [threshold %.2e; %s; %s]\n", lhs.c_str(),
                          FormatEquation(summary->fd.col(i), names).c_str(), thresholds[2 * i + 1],
                          SupportReport(summary->fd.col(i), summary->truth.col(i), names).c_str(),
                          CoefficientErrors(summary->fd.col(i), summary->truth.col(i), names).c_str()));
  }
  auto Err = [](double e) {
    char b[32];
    if (std::isfinite(e)) std::snprintf(b, sizeof(b), "%.3e", e);
    else std::snprintf(b, sizeof(b), "diverged");
    return std::string(b);
  };
  PetscCall(PetscPrintf(comm,
                        "discover: extrapolation to t = %g from the exact initial state, max_t |u - u_true| / max_t |u_true|:\n"
                        "          recovered model (learned U) %s, recovered model (FD data) %s, trained UDE (network) %s\n",
                        (double)horizon, Err(summary->extrap_learned).c_str(), Err(summary->extrap_fd).c_str(),
                        Err(summary->extrap_ude).c_str()));

  // HDF5.
  const std::string out_path = paths.output_dir + "/discover.h5";
  io::H5File f;
  PetscCall(io::H5File::Create(comm, out_path, &f));
  PetscCall(f.WriteAttr("/", "format", std::string("udeflow-discover-1")));
  PetscCall(f.WriteAttr("/", "model", model->Describe()));
  PetscCall(f.WriteAttr("/", "criterion", criterion));
  PetscCall(f.WriteAttr("/", "degree", (long long)degree));
  std::string joined;
  for (const auto& s : names) joined += (joined.empty() ? "" : ",") + s;
  PetscCall(f.WriteAttr("/", "terms", joined));
  std::string fj;
  for (const auto& s : fields) fj += (fj.empty() ? "" : ",") + s;
  PetscCall(f.WriteAttr("/", "fields", fj));
  auto W = [&](const std::string& path, const Matrix& M) -> PetscErrorCode {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> R = M;
    return f.WriteArray(path, {(hsize_t)R.rows(), (hsize_t)R.cols()}, R.data());
  };
  PetscCall(f.CreateGroup("/data"));
  PetscCall(f.WriteArray("/data/t", {(hsize_t)m}, td.data()));
  PetscCall(W("/data/state", Xd));
  PetscCall(W("/data/fd_target", Yfd));
  PetscCall(f.CreateGroup("/trajectory"));
  Eigen::VectorXd tsa = ts.array() + t0;
  PetscCall(f.WriteArray("/trajectory/t", {(hsize_t)tsa.size()}, tsa.data()));
  PetscCall(W("/trajectory/state", Xs));
  PetscCall(W("/trajectory/U_learned", U));
  PetscCall(W("/trajectory/U_true", Utrue));
  PetscCall(f.CreateGroup("/coefficients"));
  PetscCall(W("/coefficients/learned", summary->learned));
  PetscCall(W("/coefficients/fd", summary->fd));
  PetscCall(W("/coefficients/true", summary->truth));
  PetscCall(f.CreateGroup("/extrapolation"));
  PetscCall(f.WriteArray("/extrapolation/t", {(hsize_t)te.size()}, te.data()));
  PetscCall(W("/extrapolation/truth", xe_true));
  PetscCall(W("/extrapolation/recovered_learned", xe_learned));
  PetscCall(W("/extrapolation/recovered_fd", xe_fd));
  PetscCall(W("/extrapolation/ude", xe_ude));
  PetscCall(f.WriteAttr("/extrapolation", "error_learned", summary->extrap_learned));
  PetscCall(f.WriteAttr("/extrapolation", "error_fd", summary->extrap_fd));
  PetscCall(f.WriteAttr("/extrapolation", "error_ude", summary->extrap_ude));
  PetscCall(f.Commit());
  PetscCall(PetscPrintf(comm, "discover: wrote %s\n", out_path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::discover
