#include "udeflow/workflow/diagnose.hpp"

#include <petscts.h>

#include <cmath>
#include <complex>
#include <functional>
#include <memory>
#include <sstream>

#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/io/latest.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/train/observers.hpp"
#include "udeflow/workflow/case.hpp"

namespace udeflow::workflow {

namespace {

// Records ||u||_2 at each observation.
class NormRecorder : public adjoint::Observer {
 public:
  PetscErrorCode Observe(PetscInt, PetscReal t, Vec u, PetscReal*, Vec) override {
    PetscFunctionBeginUser;
    PetscReal n;
    PetscCall(VecNorm(u, NORM_2, &n));
    times.push_back(t);
    norms.push_back(n);
    PetscFunctionReturn(0);
  }
  std::vector<double> times, norms;
};

// Stability function R(z) of the integrator's TS (explicit RK tableaus, theta methods).
PetscErrorCode StabilityFunction(TS ts,
                                 std::function<std::complex<double>(std::complex<double>)>* R,
                                 bool* known) {
  PetscFunctionBeginUser;
  TSType type;
  PetscCall(TSGetType(ts, &type));
  PetscBool rk, theta, cn, be;
  PetscCall(PetscStrcmp(type, TSRK, &rk));
  PetscCall(PetscStrcmp(type, TSTHETA, &theta));
  PetscCall(PetscStrcmp(type, TSCN, &cn));
  PetscCall(PetscStrcmp(type, TSBEULER, &be));
  *known = rk || theta || cn || be;
  if (rk) {
    PetscInt s;
    const PetscReal *A, *b;
    PetscCall(TSRKGetTableau(ts, &s, &A, &b, nullptr, nullptr, nullptr, nullptr, nullptr));
    std::vector<double> Av(A, A + s * s), bv(b, b + s);
    *R = [Av, bv, s](std::complex<double> z) {
      // Stage k_i = 1 + z sum_{j<i} A_ij k_j (explicit), R = 1 + z sum_i b_i k_i.
      std::vector<std::complex<double>> k(s);
      std::complex<double> r = 1.0;
      for (PetscInt i = 0; i < s; ++i) {
        std::complex<double> v = 1.0;
        for (PetscInt j = 0; j < i; ++j) v += z * Av[i * s + j] * k[j];
        k[i] = v;
        r += z * bv[i] * v;
      }
      return r;
    };
  } else if (*known) {
    PetscReal th = be ? 1.0 : 0.5;
    if (theta) PetscCall(TSThetaGetTheta(ts, &th));
    *R = [th](std::complex<double> z) { return (1.0 + (1 - th) * z) / (1.0 - th * z); };
  }
  PetscFunctionReturn(0);
}

// Classic RK4 with right-hand side g(t, u, f), nsteps steps of dt from (t0, u); calls
// snap(k) after every `every` steps (and at the start with k = 0).  Stops early (returns
// false in *finite) when the state is no longer finite or exceeds `limit`.
struct Rk4 {
  Vec k1 = nullptr, k2 = nullptr, k3 = nullptr, k4 = nullptr, y = nullptr;
  ~Rk4() {
    for (Vec* v : {&k1, &k2, &k3, &k4, &y}) VecDestroy(v);
  }
  PetscErrorCode Run(const std::function<PetscErrorCode(PetscReal, Vec, Vec)>& g, Vec u,
                     PetscReal t0, PetscReal dt, PetscInt nsteps, PetscInt every,
                     const std::function<PetscErrorCode(PetscInt, Vec)>& snap, double limit,
                     bool* finite) {
    PetscFunctionBeginUser;
    if (!k1)
      for (Vec* v : {&k1, &k2, &k3, &k4, &y}) PetscCall(VecDuplicate(u, v));
    *finite = true;
    PetscCall(snap(0, u));
    for (PetscInt n = 0; n < nsteps; ++n) {
      const PetscReal t = t0 + n * dt;
      PetscCall(g(t, u, k1));
      PetscCall(VecWAXPY(y, 0.5 * dt, k1, u));
      PetscCall(g(t + 0.5 * dt, y, k2));
      PetscCall(VecWAXPY(y, 0.5 * dt, k2, u));
      PetscCall(g(t + 0.5 * dt, y, k3));
      PetscCall(VecWAXPY(y, dt, k3, u));
      PetscCall(g(t + dt, y, k4));
      PetscCall(VecAXPY(u, dt / 6, k1));
      PetscCall(VecAXPY(u, dt / 3, k2));
      PetscCall(VecAXPY(u, dt / 3, k3));
      PetscCall(VecAXPY(u, dt / 6, k4));
      if ((n + 1) % every == 0) {
        PetscReal m;
        PetscCall(VecNorm(u, NORM_INFINITY, &m));
        PetscReal n2;
        PetscCall(VecNorm(u, NORM_2, &n2));
        if (!std::isfinite(n2) || m > limit) {
          *finite = false;
          PetscFunctionReturn(0);
        }
        PetscCall(snap((n + 1) / every, u));
      }
    }
    PetscFunctionReturn(0);
  }
};

// Forward to T with RK4, back to 0 with RK4 on dv/ds = -f(T - s, v); err[k] = relative
// 2-norm error of the backward state at t_k = k T / K (NaN where it diverged).
PetscErrorCode Reversal(pde::Physics& ph, Vec u0, PetscReal T, PetscReal dt, PetscInt K,
                        std::vector<double>* t, std::vector<double>* err, bool* diverged) {
  PetscFunctionBeginUser;
  const PetscInt steps_per =
      std::max<PetscInt>(1, static_cast<PetscInt>(std::ceil(T / K / dt - 1e-9)));
  const PetscReal h = T / (K * steps_per);
  std::vector<Vec> fwd(K + 1, nullptr);
  Vec u;
  PetscCall(VecDuplicate(u0, &u));
  PetscCall(VecCopy(u0, u));
  Rk4 rk;
  bool finite;
  auto f = [&](PetscReal tt, Vec x, Vec out) { return ph.Rhs(tt, x, out); };
  auto keep = [&](PetscInt k, Vec x) {
    PetscFunctionBeginUser;
    PetscCall(VecDuplicate(x, &fwd[k]));
    PetscCall(VecCopy(x, fwd[k]));
    PetscFunctionReturn(0);
  };
  PetscCall(rk.Run(f, u, 0.0, h, K * steps_per, steps_per, keep, 1e300, &finite));
  PetscCheck(finite, PetscObjectComm((PetscObject)u0), PETSC_ERR_NOT_CONVERGED,
             "diagnose: the forward solve diverged");
  t->assign(K + 1, 0.0);
  err->assign(K + 1, NAN);
  for (PetscInt k = 0; k <= K; ++k) (*t)[k] = T * k / K;
  Vec d;
  PetscCall(VecDuplicate(u0, &d));
  auto g = [&](PetscReal s, Vec x, Vec out) {
    PetscFunctionBeginUser;
    PetscCall(ph.Rhs(T - s, x, out));
    PetscCall(VecScale(out, -1.0));
    PetscFunctionReturn(0);
  };
  auto compare = [&](PetscInt j, Vec x) {  // backward snapshot j is time T - j T/K
    PetscFunctionBeginUser;
    const PetscInt k = K - j;
    PetscReal nd, nf;
    PetscCall(VecWAXPY(d, -1.0, fwd[k], x));
    PetscCall(VecNorm(d, NORM_2, &nd));
    PetscCall(VecNorm(fwd[k], NORM_2, &nf));
    (*err)[k] = nd / nf;
    PetscFunctionReturn(0);
  };
  PetscCall(rk.Run(g, u, 0.0, h, K * steps_per, steps_per, compare, 1e10, &finite));
  *diverged = !finite;
  PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&u));
  for (Vec& v : fwd) PetscCall(VecDestroy(&v));
  PetscFunctionReturn(0);
}

PetscErrorCode PrintReversal(MPI_Comm comm, const char* name, const std::vector<double>& t,
                             const std::vector<double>& e, bool diverged) {
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(
      comm, "diagnose: %s: ||u_back(t) - u_fwd(t)|| / ||u_fwd(t)|| integrating back from T = %g\n",
      name, t.back()));
  for (size_t k = t.size(); k-- > 0;) {
    if (std::isnan(e[k])) {
      PetscCall(
          PetscPrintf(comm, "    t = %8.4f   diverged (state beyond 1e10 or not finite)\n", t[k]));
      break;
    }
    PetscCall(PetscPrintf(comm, "    t = %8.4f   %.3e\n", t[k], e[k]));
  }
  double last = NAN;
  for (double v : e)
    if (!std::isnan(v)) {
      last = v;
      break;
    }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3e", last);
  PetscCall(PetscPrintf(comm, "diagnose: %s: reversal %s; u(0) recovered with relative error %s\n",
                        name, diverged ? "diverged" : "completed",
                        diverged ? "inf (diverged)" : buf));
  PetscFunctionReturn(0);
}

// Checkpointed exact adjoint vs central differences of the loss along a random direction.
// `th`: the parameters `ph` is bound to (bound again on return).
PetscErrorCode GradientCheck(MPI_Comm comm, pde::Physics& ph, const AlignedVector<double>& th,
                             adjoint::Integrator& integ, Vec u0,
                             const std::vector<PetscReal>& times, adjoint::Observer* obs,
                             double h_rel, double* rel) {
  PetscFunctionBeginUser;
  const PetscInt P = ph.NumParams();
  PetscCheck(P > 0, comm, PETSC_ERR_USER_INPUT,
             "diagnose: the model has no parameters for the gradient check");
  std::vector<double> g(P), d(P);
  AlignedVector<double> tp(P), tm(P);
  PetscReal L, Lp, Lm;
  PetscCall(integ.Gradient(0.0, u0, times, obs, &L, g.data()));
  const adjoint::IntegratorStats stats = integ.Stats();
  double dd = 0;
  for (PetscInt i = 0; i < P; ++i) {
    d[i] = 2 * Philox::Uniform(99, i, 7) - 1;
    dd += d[i] * d[i];
  }
  const double h = h_rel / std::sqrt(dd / P);
  for (PetscInt i = 0; i < P; ++i) tp[i] = th[i] + h * d[i], tm[i] = th[i] - h * d[i];
  PetscCall(ph.BindParams(tp.data()));
  PetscCall(integ.Forward(0.0, u0, times, obs, &Lp));
  PetscCall(ph.BindParams(tm.data()));
  PetscCall(integ.Forward(0.0, u0, times, obs, &Lm));
  PetscCall(ph.BindParams(th.data()));
  double ad = 0;
  for (PetscInt i = 0; i < P; ++i) ad += g[i] * d[i];
  const double fd = (Lp - Lm) / (2 * h);
  *rel = std::abs(fd - ad) / std::max(std::abs(fd), std::abs(ad));
  // Online checkpointing: the offline binomial optimum for the same steps and slots beside it.
  const std::string offline = stats.offline_optimum >= 0 ? "; offline binomial optimum " +
                                                               std::to_string(stats.offline_optimum)
                                                         : std::string();
  PetscCall(PetscPrintf(
      comm,
      "    loss %.6e; dL/dtheta . d: adjoint %.12e, central FD %.12e, relative error %.2e (%s, "
      "%" PetscInt_FMT " checkpoints, %" PetscInt_FMT " replayed steps%s)\n",
      L, ad, fd, *rel, integ.Describe().c_str(), stats.checkpoints, stats.replayed_steps,
      offline.c_str()));
  PetscFunctionReturn(0);
}

struct DiagnoseOptions {
  std::string kind = "all";
  PetscReal growth = 120, rev_time = 0.5, rev_dt = 0, fd_h = 1e-5, burgers_time = 2;
  PetscInt seed = 101, K = 10;
  PetscBool burgers = PETSC_TRUE;
  std::string smooth_kinds = "gaussian,sine", model;
};

PetscErrorCode ReadDiagnoseOptions(MPI_Comm comm, DiagnoseOptions* o) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "diagnose_", "Diagnostics: downwind blow-up, backward-in-time reversal",
                    "diagnose");
  PetscCall(UdeOptionsChoice("-kind", "Which diagnostic", {"all", "downwind", "reversal"}, &o->kind,
                             nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-growth", "Downwind run: duration such that the predicted growth is e^this", &o->growth,
      nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-seed", "Scenario seed of the initial condition", &o->seed,
                                     nullptr));
  PetscCall(UdeOptionsPositiveReal("-reversal_time", "Reversal: final time T (advection)",
                                   &o->rev_time, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-reversal_dt", "Reversal: RK4 step (0: the case's -ts_dt)",
                                      &o->rev_dt, nullptr));
  PetscCall(UdeOptionsPositiveInt("-snapshots", "Reversal: times at which the error is printed",
                                  &o->K, nullptr));
  PetscCall(UdeOptionsPositiveReal("-fd_h", "Relative finite-difference step of the gradient check",
                                   &o->fd_h, nullptr));
  PetscCall(PetscOptionsBool("-burgers", "Also the viscous Burgers reversal and gradient check", "",
                             o->burgers, &o->burgers, nullptr));
  PetscCall(UdeOptionsPositiveReal("-burgers_time", "Reversal: final time T (Burgers)",
                                   &o->burgers_time, nullptr));
  PetscCall(UdeOptionsString(
      "-model",
      "Reversal and gradient check: load the advection limiter from this model file "
      "(default: the case's initial network)",
      &o->model, nullptr));
  PetscCall(
      UdeOptionsString("-ic_kinds",
                       "Reversal and gradient check: advection initial shapes (smooth ones keep "
                       "faces off the limiter kinks, so central differences are meaningful; "
                       "empty: the case's)",
                       &o->smooth_kinds, nullptr));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

// Binds `ph` to the model file's parameters (if given) or to its initial ones.
PetscErrorCode BindModelOrInitial(MPI_Comm comm, const std::string& model, pde::Physics& ph,
                                  AlignedVector<double>* theta) {
  PetscFunctionBeginUser;
  if (!model.empty())
    PetscCall(train::LoadModel(comm, model, "option -diagnose_model", ph, theta));
  else
    PetscCall(pde::BindInitialParams(ph, theta));
  PetscFunctionReturn(0);
}

// The case's physics, which must be linear advection (its velocity is the von Neumann input).
PetscErrorCode CreateAdvection(MPI_Comm comm, std::unique_ptr<pde::Physics>* ph) {
  PetscFunctionBeginUser;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "advection", ph));
  PetscCheck(!(*ph)->AdvectionVelocity().empty(), comm, PETSC_ERR_USER_INPUT,
             "option -physics: the downwind and advection reversal diagnostics need linear "
             "advection (cases/advection.yaml), got '%s'",
             (*ph)->Type());
  PetscFunctionReturn(0);
}

// Scenario `seed`'s initial state and the step to use (dt, else half the stable step).
PetscErrorCode InitialState(pde::Physics& ph, PetscInt seed, PetscReal dt, Vec* u0,
                            PetscReal* step) {
  PetscFunctionBeginUser;
  pde::Scenario sc;
  PetscCall(ph.MakeScenario(static_cast<uint64_t>(seed), &sc));
  PetscCall(ph.SetScenario(sc));
  PetscCall(DMCreateGlobalVector(ph.Grid(), u0));
  PetscCall(ph.InitialCondition(*u0));
  *step = dt;
  if (*step <= 0) {
    PetscCall(ph.StableTimeStep(*u0, step));
    *step *= 0.5;
  }
  PetscFunctionReturn(0);
}

// Von Neumann: max Re lambda over the modes exp(i (theta_x i + theta_y j)) of the periodic
// grid for downwind differencing, and the rate with the time stepper's R(z).
PetscErrorCode VonNeumann(const pde::Physics& ph, TS ts, PetscReal dt, double* semi, double* full,
                          bool* known) {
  PetscFunctionBeginUser;
  const auto g = ph.GridSize();
  const auto a = ph.AdvectionVelocity();
  const auto L = ph.DomainLength();
  std::function<std::complex<double>(std::complex<double>)> R;
  PetscCall(StabilityFunction(ts, &R, known));
  const PetscInt nx = g[0], ny = g.size() > 1 ? g[1] : 1;
  *semi = -1e300, *full = -1e300;
  for (PetscInt j = 0; j < ny; ++j)
    for (PetscInt i = 0; i < nx; ++i) {
      const double th[2] = {2 * PETSC_PI * i / nx, 2 * PETSC_PI * j / ny};
      std::complex<double> lam = 0;
      for (size_t d = 0; d < g.size(); ++d) {
        // Downwind flux a u_down: lambda_d = -(|a|/h)(exp(i s theta) - 1), s = sign(a).
        const double s = a[d] >= 0 ? 1 : -1, h = L[d] / g[d];
        lam += -(std::abs(a[d]) / h) * (std::exp(std::complex<double>(0, s * th[d])) - 1.0);
      }
      *semi = std::max(*semi, lam.real());
      if (*known) *full = std::max(*full, std::log(std::abs(R(dt * lam))) / dt);
    }
  PetscFunctionReturn(0);
}

// The downwind run: measured growth rate of ||u|| against the von Neumann prediction.
PetscErrorCode Downwind(MPI_Comm comm, const DiagnoseOptions& o, bool help, DiagnoseResult* res) {
  PetscFunctionBeginUser;
  std::unique_ptr<pde::Physics> ph;
  PetscCall(CreateAdvection(comm, &ph));
  PetscCall(ph->SetSchemeOption("advection_limiter", "downwind"));
  PetscCall(ph->SetUp());
  adjoint::Integrator integ(ph.get());
  PetscCall(integ.SetFromOptions(nullptr));
  integ.SetDivergeLimit(1e300);
  PetscCall(integ.SetUp());
  if (help) PetscFunctionReturn(0);
  AlignedVector<double> theta;  // the parameters ph reads: the model's, or the initial ones
  PetscCall(BindModelOrInitial(comm, o.model, *ph, &theta));
  Vec u0;
  PetscReal dt;
  PetscCall(TSGetTimeStep(integ.Ts(), &dt));
  PetscCall(InitialState(*ph, o.seed, dt, &u0, &dt));
  double semi, full;
  bool known;
  PetscCall(VonNeumann(*ph, integ.Ts(), dt, &semi, &full, &known));
  const PetscReal T = o.growth / semi;
  std::vector<PetscReal> times;
  const PetscInt nobs = 40;
  for (PetscInt k = 1; k <= nobs; ++k) times.push_back(T * k / nobs);
  NormRecorder rec;
  PetscReal dummy, n0;
  PetscCall(integ.Forward(0.0, u0, times, &rec, &dummy));
  PetscCall(VecNorm(u0, NORM_2, &n0));
  // Least-squares slope of ln||u|| over the second half.
  double st = 0, sy = 0, stt = 0, sty = 0;
  int m = 0;
  for (size_t k = rec.times.size() / 2; k < rec.times.size(); ++k, ++m) {
    const double x = rec.times[k], y = std::log(rec.norms[k]);
    st += x, sy += y, stt += x * x, sty += x * y;
  }
  res->growth_measured = (m * sty - st * sy) / (m * stt - st * st);
  res->growth_semidiscrete = semi;
  res->growth_discrete = known ? full : NAN;
  res->downwind_t.assign(1, 0.0);
  res->downwind_norm.assign(1, n0);
  res->downwind_t.insert(res->downwind_t.end(), rec.times.begin(), rec.times.end());
  res->downwind_norm.insert(res->downwind_norm.end(), rec.norms.begin(), rec.norms.end());
  PetscCall(PetscPrintf(comm, "diagnose: downwind differencing, %s; %s\n", ph->Describe().c_str(),
                        integ.Describe().c_str()));
  for (size_t k = 0; k < res->downwind_t.size(); k += 8)
    PetscCall(PetscPrintf(comm, "    t = %8.4f   ||u|| / ||u0|| = %.3e\n", res->downwind_t[k],
                          res->downwind_norm[k] / n0));
  PetscCall(PetscPrintf(
      comm,
      "diagnose: downwind growth rate of ||u||: measured %.4f /time unit; von Neumann: "
      "semi-discrete "
      "max Re lambda = %.4f, with the time stepper (dt %g) %.4f; measured/theory %.4f\n",
      res->growth_measured, semi, (double)dt, res->growth_discrete,
      res->growth_measured / (known ? full : semi)));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

// Advection: reversal errors, then the checkpointed adjoint's gradient of the misfit to
// the exact solution at the K times against central differences.
PetscErrorCode AdvectionReversal(MPI_Comm comm, const DiagnoseOptions& o, pde::Physics& ph,
                                 adjoint::Integrator& integ, DiagnoseResult* res) {
  PetscFunctionBeginUser;
  AlignedVector<double> theta;  // the parameters ph reads: the model's, or the initial ones
  PetscCall(BindModelOrInitial(comm, o.model, ph, &theta));
  Vec u0;
  PetscReal dt = o.rev_dt;
  if (dt <= 0) PetscCall(TSGetTimeStep(integ.Ts(), &dt));
  PetscCall(InitialState(ph, o.seed, dt, &u0, &dt));
  bool div;
  PetscCall(PetscPrintf(
      comm, "diagnose: reversal (classic RK4, dt %g forward and backward): advection, %s\n",
      (double)dt, ph.Describe().c_str()));
  PetscCall(
      Reversal(ph, u0, o.rev_time, dt, o.K, &res->reversal_t, &res->reversal_advection, &div));
  PetscCall(PrintReversal(comm, "advection", res->reversal_t, res->reversal_advection, div));
  std::vector<PetscReal> times;
  std::vector<Vec> data;
  for (PetscInt k = 1; k <= o.K; ++k) {
    times.push_back(o.rev_time * k / o.K);
    Vec d;
    bool ok;
    PetscCall(VecDuplicate(u0, &d));
    PetscCall(ph.ExactSolution(times.back(), d, &ok));
    data.push_back(d);
  }
  if (ph.NumParams() > 0) {
    PetscCall(PetscPrintf(
        comm, "diagnose: advection: gradient of the misfit to the exact solution over [0, %g]\n",
        (double)o.rev_time));
    train::DataMisfit obs(&data, 1.0);
    PetscCall(
        GradientCheck(comm, ph, theta, integ, u0, times, &obs, o.fd_h, &res->fd_error_advection));
  } else {
    PetscCall(PetscPrintf(
        comm, "diagnose: advection: limiter %s has no parameters; gradient check skipped\n",
        ph.GetSchemeOption("advection_limiter").c_str()));
  }
  for (Vec& d : data) PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&u0));
  PetscFunctionReturn(0);
}

// Keeps 0.9 x the observed states (data of a misfit that need not be reachable).
class DampedCopies : public adjoint::Observer {
 public:
  explicit DampedCopies(std::vector<Vec>* v) : v_(v) {}
  PetscErrorCode Observe(PetscInt, PetscReal, Vec u, PetscReal*, Vec) override {
    PetscFunctionBeginUser;
    Vec c;
    PetscCall(VecDuplicate(u, &c));
    PetscCall(VecCopy(u, c));
    PetscCall(VecScale(c, 0.9));
    v_->push_back(c);
    PetscFunctionReturn(0);
  }

 private:
  std::vector<Vec>* v_;
};

// The Burgers model of the reversal check (its own options under -diagnose_; defaults: 64
// cells, sine initial condition, MLP closure 8 at init scale 0.5, RK4 with dt 0.01,
// checkpointed adjoint every 10 steps).
PetscErrorCode CreateDiagnoseBurgers(MPI_Comm comm, std::unique_ptr<pde::Physics>* bu,
                                     std::unique_ptr<adjoint::Integrator>* integ,
                                     AlignedVector<double>* theta) {
  PetscFunctionBeginUser;
  auto defaults = [](pde::Physics& p) -> PetscErrorCode {
    PetscFunctionBeginUser;
    PetscCall(p.SetResolution({64}));
    PetscCall(p.SetSchemeOption("burgers_ic", "sine"));
    pde::ClosureConfig c = p.GetClosureConfig();
    c.type = "mlp";
    c.hidden = {8};
    c.init_scale = 0.5;
    p.SetClosureConfig(c);
    PetscFunctionReturn(0);
  };
  PetscCall(pde::PhysicsCreateFromOptions(comm, "diagnose_", "burgers", bu, defaults));
  PetscCall((*bu)->SetUp());
  PetscCall(pde::BindInitialParams(**bu, theta));
  *integ = std::make_unique<adjoint::Integrator>(bu->get());
  (*integ)->SetDefaultTimeStep(0.01);
  (*integ)->SetMode(adjoint::MemoryMode::kCheckpoint);
  (*integ)->SetCheckpointEvery(10);
  PetscCall((*integ)->SetFromOptions("diagnose_"));
  PetscCall((*integ)->SetUp());
  PetscFunctionReturn(0);
}

PetscErrorCode BurgersReversal(MPI_Comm comm, const DiagnoseOptions& o, pde::Physics& bu,
                               const AlignedVector<double>& theta, adjoint::Integrator& integ,
                               DiagnoseResult* res) {
  PetscFunctionBeginUser;
  Vec b0;
  PetscReal bdt;
  PetscCall(TSGetTimeStep(integ.Ts(), &bdt));
  PetscCall(InitialState(bu, o.seed, bdt, &b0, &bdt));
  PetscCall(PetscPrintf(comm, "diagnose: reversal (classic RK4, dt %g forward and backward): %s\n",
                        (double)bdt, bu.Describe().c_str()));
  bool div;
  PetscCall(
      Reversal(bu, b0, o.burgers_time, bdt, o.K, &res->burgers_t, &res->reversal_burgers, &div));
  PetscCall(PrintReversal(comm, "burgers", res->burgers_t, res->reversal_burgers, div));
  std::vector<PetscReal> bt;
  std::vector<Vec> bd;
  for (PetscInt k = 1; k <= o.K; ++k) bt.push_back(o.burgers_time * k / o.K);
  DampedCopies keep(&bd);
  PetscReal l;
  PetscCall(integ.Forward(0.0, b0, bt, &keep, &l));
  PetscCall(PetscPrintf(
      comm, "diagnose: burgers: gradient of the misfit to 0.9 x its trajectory over [0, %g]\n",
      (double)o.burgers_time));
  train::DataMisfit obs(&bd, 1.0);
  PetscCall(GradientCheck(comm, bu, theta, integ, b0, bt, &obs, o.fd_h, &res->fd_error_burgers));
  for (Vec& d : bd) PetscCall(VecDestroy(&d));
  PetscCall(VecDestroy(&b0));
  PetscFunctionReturn(0);
}

// Reversal and gradient checks for advection (the case) and, with -diagnose_burgers, Burgers.
// Without an advection case (`advection` false) only the Burgers check runs.
PetscErrorCode ReversalChecks(MPI_Comm comm, const DiagnoseOptions& o, bool advection, bool help,
                              DiagnoseResult* res) {
  PetscFunctionBeginUser;
  std::unique_ptr<pde::Physics> ph;
  std::unique_ptr<adjoint::Integrator> integ;
  if (advection) {
    PetscCall(CreateAdvection(comm, &ph));
    if (!o.smooth_kinds.empty())
      PetscCall(ph->SetSchemeOption("advection_ic_kinds", o.smooth_kinds));
    PetscCall(ph->SetUp());
    integ = std::make_unique<adjoint::Integrator>(ph.get());
    integ->SetCheckpointEvery(10);
    PetscCall(integ->SetFromOptions(nullptr));
    integ->SetMode(adjoint::MemoryMode::kCheckpoint);
    PetscCall(integ->SetUp());
  }
  std::unique_ptr<pde::Physics> bu;
  std::unique_ptr<adjoint::Integrator> binteg;
  AlignedVector<double> btheta;  // bu's parameters (initial)
  if (o.burgers) PetscCall(CreateDiagnoseBurgers(comm, &bu, &binteg, &btheta));
  if (help) PetscFunctionReturn(0);
  if (advection) PetscCall(AdvectionReversal(comm, o, *ph, *integ, res));
  if (o.burgers) PetscCall(BurgersReversal(comm, o, *bu, btheta, *binteg, res));
  PetscCall(PetscPrintf(
      comm,
      "diagnose: integrating back in time does not recover the forward states (errors above), "
      "while the checkpointed discrete adjoint matches finite differences (advection %.2e, "
      "burgers %.2e relative error; < 0: not run)\n",
      res->fd_error_advection, res->fd_error_burgers));
  PetscFunctionReturn(0);
}

// Plot-ready numbers in <output_dir>/diagnose.h5.
PetscErrorCode WriteDiagnoseFile(MPI_Comm comm, const std::string& path,
                                 const DiagnoseResult& res) {
  PetscFunctionBeginUser;
  io::H5File f;
  PetscCall(io::H5File::Create(comm, path, &f));
  auto put = [&](const char* name, const std::vector<double>& v) -> PetscErrorCode {
    if (v.empty()) return 0;
    return f.WriteArray(name, {(hsize_t)v.size()}, v.data());
  };
  PetscCall(put("/downwind_t", res.downwind_t));
  PetscCall(put("/downwind_norm", res.downwind_norm));
  PetscCall(put("/reversal_t", res.reversal_t));
  PetscCall(put("/reversal_advection", res.reversal_advection));
  PetscCall(put("/burgers_t", res.burgers_t));
  PetscCall(put("/reversal_burgers", res.reversal_burgers));
  PetscCall(f.WriteAttr("/", "growth_measured", res.growth_measured));
  PetscCall(f.WriteAttr("/", "growth_semidiscrete", res.growth_semidiscrete));
  PetscCall(f.WriteAttr("/", "growth_discrete", res.growth_discrete));
  PetscCall(f.WriteAttr("/", "fd_error_advection", res.fd_error_advection));
  PetscCall(f.WriteAttr("/", "fd_error_burgers", res.fd_error_burgers));
  PetscCall(f.Commit());
  PetscCall(PetscPrintf(comm, "diagnose: numbers in %s\n", path.c_str()));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Diagnose(MPI_Comm comm, DiagnoseResult* res) {
  PetscFunctionBeginUser;
  DiagnoseOptions o;
  PetscCall(ReadDiagnoseOptions(comm, &o));
  PetscBool help;
  PetscCall(PetscOptionsHasHelp(nullptr, &help));
  // The downwind and advection checks need an advection case; any other case (e.g.
  // cases/burgers.yaml) gets the Burgers reversal and gradient check alone.
  char type[64] = "advection";
  PetscCall(PetscOptionsGetString(nullptr, nullptr, "-physics", type, sizeof(type), nullptr));
  const bool advection = std::string(type) == "advection";
  PetscCheck(
      advection || o.kind != "downwind", comm, PETSC_ERR_USER_INPUT,
      "option -diagnose_kind downwind: needs a linear advection case (cases/advection.yaml), "
      "the case's -physics is '%s'",
      type);
  PetscCheck(advection || o.burgers, comm, PETSC_ERR_USER_INPUT,
             "option -diagnose_burgers: with -physics %s only the Burgers check can run", type);
  CasePaths paths;  // (created only once the options are known to be valid)
  PetscCall(CasePathsFromOptions(comm, &paths));
  if (!advection && !help)
    PetscCall(PetscPrintf(comm,
                          "diagnose: -physics %s: the Burgers reversal and gradient check only "
                          "(the downwind and advection ones need cases/advection.yaml)\n",
                          type));
  io::RunLock lock;  // one run at a time writing the output directory
  if (!help) PetscCall(lock.AcquireDirectory(comm, paths.output_dir, "option -output_dir"));
  if (advection && o.kind != "reversal") PetscCall(Downwind(comm, o, help, res));
  if (o.kind != "downwind") PetscCall(ReversalChecks(comm, o, advection, help, res));
  if (help) PetscFunctionReturn(0);
  PetscCall(WriteDiagnoseFile(comm, paths.output_dir + "/diagnose.h5", *res));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::workflow
