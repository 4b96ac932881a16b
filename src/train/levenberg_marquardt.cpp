// Levenberg-Marquardt on the residuals of the window loss (-train_optimizer lm).
//
// The mse window loss is a sum of squares plus the physics' penalty:
//   L(theta) = sum_j r_j(theta)^2 + pen(theta),  r = sqrt(w / n) (u(t_k) - d_k)
// (w the window's weight, n the state size; j runs over windows, observations and cells).
// Row j of the residual Jacobian J is the exact discrete gradient of one state entry at
// one observation time: one adjoint solve of the Integrator with a unit "loss" there.
// Each iteration forms J (m adjoint solves), the gradient g = 2 J^T r + grad pen (the
// same exact gradient L-BFGS gets) and the Gauss-Newton matrix A = 2 J^T J + H_pen
// (H_pen by central differences of the penalty's gradient), then tries steps
//   (A + mu max_j(A_jj) I) delta = -g
// until one lowers the loss (gain ratio rho > 1e-4): then mu /= 10 (rho > 0.75), /= 2
// (rho > 0.25) or stays (-train_lm_damping_update fast; trust: mu *= 2 for rho <= 0.25);
// a rejected step multiplies mu by 2, 4, 8, ...  -train_lm_acceleration geodesic adds half
// the geodesic acceleration to each step (lm_step.hpp; one forward solve a trial).  Suited to small
// problems with many observations per parameter and a near-zero residual at the optimum (noise-free
// identification, Fisher-KPP), where L-BFGS stalls on the ill-conditioned valley.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "lm_step.hpp"
#include "udeflow/core/session.hpp"
#include "udeflow/core/signals.hpp"
#include "udeflow/train/trainer.hpp"

namespace udeflow::train {
namespace {

// u(t_k) - d_k at every observation k, each replicated in natural ordering into out + k n.
class ResidualObserver : public adjoint::Observer {
 public:
  ResidualObserver(const std::vector<Vec>* data, std::function<PetscErrorCode(Vec, double*)> rep,
                   double* out, PetscInt n)
      : data_(data), replicate_(std::move(rep)), out_(out), n_(n) {}
  ~ResidualObserver() override { VecDestroy(&work_); }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal*, Vec dldu) override {
    PetscFunctionBeginUser;
    if (!work_) PetscCall(VecDuplicate(u, &work_));
    PetscCall(VecWAXPY(work_, -1.0, (*data_)[k], u));
    PetscCall(replicate_(work_, out_ + k * n_));
    if (dldu) PetscCall(VecZeroEntries(dldu));
    PetscFunctionReturn(0);
  }

 private:
  const std::vector<Vec>* data_;
  std::function<PetscErrorCode(Vec, double*)> replicate_;
  double* out_;
  PetscInt n_;
  Vec work_ = nullptr;
};

// The "loss" u_g(t_k): its gradient is the row of the Jacobian of that entry.
class UnitObserver : public adjoint::Observer {
 public:
  UnitObserver(PetscInt k, PetscInt global) : k_(k), global_(global) {}
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec, PetscReal*, Vec dldu) override {
    PetscFunctionBeginUser;
    if (!dldu) PetscFunctionReturn(0);
    PetscCall(VecZeroEntries(dldu));
    if (k != k_) PetscFunctionReturn(0);
    PetscInt lo, hi;
    PetscCall(VecGetOwnershipRange(dldu, &lo, &hi));
    if (global_ >= lo && global_ < hi) {
      PetscScalar* a;
      PetscCall(VecGetArray(dldu, &a));
      a[global_ - lo] = 1.0;
      PetscCall(VecRestoreArray(dldu, &a));
    }
    PetscFunctionReturn(0);
  }

 private:
  PetscInt k_, global_;
};

}  // namespace

PetscErrorCode Trainer::Residuals(const AlignedVector<double>& theta, PetscInt W,
                                  std::vector<double>* r, Eigen::MatrixXd* J) {
  PetscFunctionBeginUser;
  const PetscInt P = physics_->NumParams();
  PetscInt n;
  PetscCall(VecGetSize(states_[0][0], &n));
  PetscCall(NaturalOrdering());
  std::vector<PetscInt> global_of(n);  // natural index -> global index
  for (PetscInt g = 0; g < n; ++g) global_of[natural_[g]] = g;
  const std::vector<Window> windows = Tiling(W);
  const size_t m = windows.size() * W * n;
  r->assign(m, 0.0);
  if (J) J->setZero(m, P);
  PetscCall(physics_->BindParams(theta.data()));
  std::vector<Vec> data(W);
  std::vector<PetscReal> times(W);
  std::vector<double> g(P);
  const double scale = std::sqrt(1.0 / static_cast<double>(windows.size() * W * n));
  // Residuals: each window on one group.  Jacobian rows: row j on group j % ngroups, so
  // that groups share the rows of a single window (every group then solves every window
  // forward: cheap next to the rows, and adaptive steps freeze that pass's schedule).
  bool diverged = false;
  for (size_t i = 0; i < windows.size() && !diverged; ++i) {
    const bool owned = static_cast<int>(i % ngroups_) == group_;
    if (!owned && !J) continue;  // another group's window
    const Window& w = windows[i];
    for (PetscInt k = 0; k < W; ++k) {
      data[k] = states_[w.traj][w.start + (k + 1) * obs_stride_];
      times[k] = times_[w.traj][w.start + (k + 1) * obs_stride_];
    }
    PetscCall(physics_->SetScenario(scenarios_[w.traj]));
    const PetscReal t0 = times_[w.traj][w.start];
    Vec u0 = states_[w.traj][w.start];
    std::vector<double> ri(W * n);
    ResidualObserver obs(
        &data, [this](Vec v, double* out) { return ReplicateVec(v, out); }, ri.data(), n);
    PetscReal unused = 0;
    PetscErrorCode ierr = integrator_->Forward(t0, u0, times, &obs, &unused);
    if (ierr == PETSC_ERR_NOT_CONVERGED) {  // diverged: the caller sees an infinite residual
      SessionClearError();
      diverged = true;
      break;
    }
    PetscCall(ierr);
    if (owned)
      for (size_t j = 0; j < ri.size(); ++j) (*r)[i * W * n + j] = scale * ri[j];
    if (!J) continue;
    // Fixed steps: the solve to t_k is the start of the solve to t_W (same steps); adaptive
    // steps replay the schedule of the pass above over the whole window.
    const bool adaptive = integrator_->Adaptive();
    if (adaptive) integrator_->FreezeSchedule(true);
    for (PetscInt k = 0; k < W; ++k) {
      const std::vector<PetscReal> upto(times.begin(), times.begin() + (adaptive ? W : k + 1));
      for (PetscInt nat = 0; nat < n; ++nat) {
        const size_t row = i * W * n + k * n + nat;
        if (static_cast<int>(row % ngroups_) != group_) continue;  // another group's row
        UnitObserver unit(k, global_of[nat]);
        PetscCall(integrator_->Gradient(t0, u0, upto, &unit, &unused, g.data()));
        for (PetscInt p = 0; p < P; ++p) (*J)(row, p) = scale * g[p];
      }
    }
    if (adaptive) integrator_->FreezeSchedule(false);
  }
  if (diverged) std::fill(r->begin(), r->end(), std::numeric_limits<double>::infinity());
  if (ngroups_ > 1) {  // every group filled its own rows (+-inf where it diverged); others 0
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, r->data(), m, MPI_DOUBLE, MPI_SUM, across_));
    if (J)
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, J->data(), m * P, MPI_DOUBLE, MPI_SUM, across_));
  }
  PetscFunctionReturn(0);
}

namespace {

// Hessian of the physics' penalty by central differences of its exact gradient (the
// penalty is cheap and touches few parameters); symmetrized.
Eigen::MatrixXd PenaltyHessian(const pde::Physics& physics, const AlignedVector<double>& theta) {
  const Eigen::Index P = static_cast<Eigen::Index>(theta.size());
  std::vector<double> x(theta.begin(), theta.end()), gp(P), gm(P);
  std::fill(gp.begin(), gp.end(), 0.0);
  if (physics.ParamPenalty(x.data(), gp.data()) == 0 &&
      std::all_of(gp.begin(), gp.end(), [](double v) { return v == 0; }))
    return Eigen::MatrixXd::Zero(P, P);  // no penalty (or flat here)
  Eigen::MatrixXd H(P, P);
  for (Eigen::Index j = 0; j < P; ++j) {
    const double h = 1e-6 * std::max(1.0, std::fabs(theta[j]));
    std::fill(gp.begin(), gp.end(), 0.0);
    std::fill(gm.begin(), gm.end(), 0.0);
    x[j] = theta[j] + h;
    physics.ParamPenalty(x.data(), gp.data());
    x[j] = theta[j] - h;
    physics.ParamPenalty(x.data(), gm.data());
    x[j] = theta[j];
    for (Eigen::Index i = 0; i < P; ++i) H(i, j) = (gp[i] - gm[i]) / (2 * h);
  }
  return 0.5 * (H + H.transpose());
}

lm::Model GaussNewton(const pde::Physics& physics, const AlignedVector<double>& theta,
                      const std::vector<double>& r, const Eigen::MatrixXd& J, bool trust,
                      double accel, bool qr) {
  const Eigen::Index P = J.cols();
  lm::Model s;
  s.trust = trust;
  Eigen::Map<const Eigen::VectorXd> rv(r.data(), r.size());
  if ((s.accel = accel) > 0 || qr) {  // geodesic acceleration and the QR solve need r and J
    s.r = rv;
    s.J = &J;
  }
  std::vector<double> gpen(P, 0.0);
  s.loss = rv.squaredNorm() + physics.ParamPenalty(theta.data(), gpen.data());
  const Eigen::Map<Eigen::VectorXd> gp(gpen.data(), P);
  s.g = 2.0 * (J.transpose() * rv) + gp;
  const Eigen::MatrixXd H = PenaltyHessian(physics, theta);
  s.A = 2.0 * (J.transpose() * J) + H;
  if (qr) lm::PrepareQr(gp, H, &s);
  // Levenberg's damping mu * max_j A_jj * I.  (Marquardt's diag(A) scaling lets the many
  // parameters the data barely see take huge steps: on the Fisher-KPP case it lowered the
  // loss 2-4x less per iteration.)
  s.dscale = std::max(s.A.diagonal().maxCoeff(), std::numeric_limits<double>::min());
  return s;
}

}  // namespace

namespace {

// (A + mu dscale I)^-1 rhs, by LDLT of the normal matrix or (s.qr) by the least-squares
// solution of B x ~= b, B = [top; sqrt(mu dscale) I], with b = [btop; rest / sqrt(mu
// dscale)] for rhs = g (SolveG) and b = [sqrt2 w; 0; 0] for rhs = 2 J^T w (SolveJt).
class DampedSolver {
 public:
  DampedSolver(const lm::Model& s, double mu) : s_(s), lambda_(mu * s.dscale) {
    if (!s.qr) {
      Eigen::MatrixXd M = s.A;
      M.diagonal().array() += lambda_;
      ldlt_.compute(M);
      ok_ = ldlt_.info() == Eigen::Success;
      return;
    }
    const Eigen::Index P = s.A.cols(), k = s.top.rows();
    Eigen::MatrixXd B = Eigen::MatrixXd::Zero(k + P, P);
    B.topRows(k) = s.top;
    B.bottomRows(P).diagonal().setConstant(std::sqrt(lambda_));
    qr_.compute(B);
    ok_ = std::isfinite(lambda_) && lambda_ > 0;
  }
  bool Ok() const { return ok_; }
  // The step's solution, (A + mu dscale I)^-1 g.
  Eigen::VectorXd SolveG() const {
    if (!s_.qr) return ldlt_.solve(s_.g);
    const Eigen::Index P = s_.A.cols(), k = s_.top.rows();
    Eigen::VectorXd b(k + P);
    b << s_.btop, s_.rest / std::sqrt(lambda_);
    return qr_.solve(b);
  }
  // (A + mu dscale I)^-1 2 J^T w.
  Eigen::VectorXd SolveJt(const Eigen::VectorXd& w) const {
    if (!s_.qr) return ldlt_.solve(2.0 * (s_.J->transpose() * w));
    const Eigen::Index P = s_.A.cols(), k = s_.top.rows();
    Eigen::VectorXd b = Eigen::VectorXd::Zero(k + P);
    b.head(w.size()) = std::sqrt(2.0) * w;
    return qr_.solve(b);
  }

 private:
  const lm::Model& s_;
  double lambda_;
  bool ok_ = false;
  Eigen::LDLT<Eigen::MatrixXd> ldlt_;
  Eigen::HouseholderQR<Eigen::MatrixXd> qr_;
};

// The trial step at damping mu (lm::Step): the velocity v = -(A + mu dscale I)^-1 g, plus
// half the geodesic acceleration if s.accel > 0.  ok false: the factorization failed, the
// residuals at theta + h v are not finite or the acceleration is too large (2|a|/|v| >
// s.accel).
PetscErrorCode TrialStep(const lm::Model& s, double mu, const AlignedVector<double>& theta,
                         const lm::ResidualFn& residuals, Eigen::VectorXd* step, bool* ok) {
  PetscFunctionBeginUser;
  const DampedSolver solver(s, mu);
  *step = -solver.SolveG();
  *ok = solver.Ok() && step->allFinite();
  if (!*ok || s.accel <= 0 || !residuals) PetscFunctionReturn(0);
  const double h = 0.1;
  AlignedVector<double> x(theta.begin(), theta.end());
  for (Eigen::Index p = 0; p < step->size(); ++p) x[p] += h * (*step)[p];
  Eigen::VectorXd rh;
  PetscCall(residuals(x, &rh));
  const Eigen::VectorXd rvv = (2 / h) * ((rh - s.r) / h - (*s.J) * (*step));
  const Eigen::VectorXd a = -solver.SolveJt(rvv);
  *ok = rvv.allFinite() && a.allFinite() && 2 * a.norm() <= s.accel * step->norm();
  if (*ok) *step += 0.5 * a;
  PetscFunctionReturn(0);
}

// The Gauss-Newton model's decrease of the loss along delta: -(g.delta + delta.A.delta / 2),
// or (s.qr) the same from the linearized residuals, |r|^2 - |r + J delta|^2 - gpen.delta -
// delta.H_pen.delta / 2, which does not cancel once the loss is small.
double PredictedDecrease(const lm::Model& s, const Eigen::VectorXd& delta) {
  if (!s.qr) return -(s.g.dot(delta) + 0.5 * delta.dot(s.A * delta));
  const Eigen::VectorXd lin = s.r + (*s.J) * delta;
  return s.r.squaredNorm() - lin.squaredNorm() - s.gpen.dot(delta) -
         0.5 * delta.dot(s.Hpen * delta);
}

}  // namespace

void lm::PrepareQr(const Eigen::VectorXd& gpen, const Eigen::MatrixXd& Hpen, Model* s) {
  s->qr = true;
  s->gpen = gpen;
  s->Hpen = Hpen;
  const Eigen::Index m = s->J->rows(), P = s->J->cols();
  // Hh: sqrt(lambda_i) v_i^T for the positive eigenpairs of H_pen (a penalty's Hessian is
  // usually zero or of small rank).
  std::vector<std::pair<double, Eigen::VectorXd>> parts;
  if (Hpen.size() > 0 && Hpen.cwiseAbs().maxCoeff() > 0) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(Hpen);
    const double top = eig.eigenvalues().cwiseAbs().maxCoeff();
    for (Eigen::Index i = 0; i < P; ++i)
      if (eig.eigenvalues()[i] > 1e-12 * top)
        parts.emplace_back(eig.eigenvalues()[i], eig.eigenvectors().col(i));
  }
  const Eigen::Index k = static_cast<Eigen::Index>(parts.size());
  s->top.resize(m + k, P);
  s->btop.resize(m + k);
  s->top.topRows(m) = std::sqrt(2.0) * (*s->J);
  s->btop.head(m) = std::sqrt(2.0) * s->r;
  s->rest = gpen;
  for (Eigen::Index i = 0; i < k; ++i) {
    const double lam = parts[i].first;
    const Eigen::VectorXd& v = parts[i].second;
    const double c = v.dot(gpen);
    s->top.row(m + i) = std::sqrt(lam) * v.transpose();
    s->btop[m + i] = c / std::sqrt(lam);
    s->rest -= c * v;
  }
}

PetscErrorCode lm::Step(
    const lm::Model& s,
    const std::function<PetscErrorCode(const AlignedVector<double>&, double*)>& f,
    AlignedVector<double>* theta, double* mu, double* nu, bool* accepted,
    const lm::ResidualFn& residuals) {
  PetscFunctionBeginUser;
  *accepted = false;
  for (int trial = 0; trial < 80 && !*accepted && *mu <= 1e20; ++trial) {
    Eigen::VectorXd delta;
    bool ok;
    PetscCall(TrialStep(s, *mu, *theta, residuals, &delta, &ok));
    const double pred = PredictedDecrease(s, delta);
    AlignedVector<double> x(theta->begin(), theta->end());
    for (Eigen::Index p = 0; p < delta.size(); ++p) x[p] += delta[p];
    double trial_loss = std::numeric_limits<double>::infinity();
    if (ok) PetscCall(f(x, &trial_loss));
    const double rho = (s.loss - trial_loss) / pred;
    if (ok && std::isfinite(trial_loss) && pred > 0 && rho > 1e-4) {
      *theta = x;
      // A good quadratic model lets the damping fall fast (Nielsen's smooth rule,
      // max(1/3, 1 - (2 rho - 1)^3), kept it near 1e-4 on Fisher-KPP, 3x slower).
      // trust: a step the model predicts poorly (rho <= 0.25) was too long; the next is
      // shorter, as in a trust-region method (fast keeps mu and can take thousands of such
      // steps, each lowering the loss by a fraction of a percent).
      *mu *= rho > 0.75 ? 0.1 : rho > 0.25 ? 0.5 : s.trust ? 2.0 : 1.0;
      *nu = 2;
      *accepted = true;
    } else {
      *mu *= *nu;
      *nu *= 2;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::CheckLmOptions() const {
  PetscFunctionBeginUser;
  PetscCheck(!Shooting() && init_collocation_ == 0 && method_ != "collocation" && method_ != "pem",
             comm_, PETSC_ERR_USER_INPUT,
             "-train_optimizer lm fits windows only: drop -train_shooting_segments / "
             "-train_method");
  PetscCheck(loss_ == "mse" && batch_reduce_ == "mean", comm_, PETSC_ERR_USER_INPUT,
             "-train_optimizer lm needs -train_loss mse and -train_batch_reduce mean (a mean of "
             "squares), not %s / %s",
             loss_.c_str(), batch_reduce_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::RunLm(const std::string& checkpoint_path, const State* resumed,
                              PetscInt iterations, TrainResult* result) {
  PetscFunctionBeginUser;
  PetscCall(CheckLmOptions());
  AlignedVector<double>& theta = x_;
  const PetscInt W =  // the window of the Adam stage before it, as the L-BFGS stage
      adam_done_ > init_collocation_ ? WindowAt(adam_done_ - 1 - init_collocation_) : window_;
  PetscInt n;
  PetscCall(VecGetSize(states_[0][0], &n));
  const size_t m = Tiling(W).size() * W * n;
  State state;  // what a checkpoint holds
  state.phase = "lm";
  state.adam_iterations = adam_done_;
  state.lm_mu = resumed ? resumed->lm_mu : lm_damping_;
  state.lm_nu = resumed ? resumed->lm_nu : 2;
  long long it = resumed ? resumed->tao_iterations : 0;
  PetscCall(PetscPrintf(comm_,
                        "train: Levenberg-Marquardt, %zu residuals x %" PetscInt_FMT
                        " parameters (window %" PetscInt_FMT "): %zu adjoint solves per Jacobian\n",
                        m, physics_->NumParams(), W, m));
  const auto objective = [this](const AlignedVector<double>& x, double* loss) {
    return Objective(-1, x, loss, nullptr);
  };
  const auto residuals = [this, W](const AlignedVector<double>& x, Eigen::VectorXd* rx) {
    std::vector<double> v;
    PetscCall(Residuals(x, W, &v, nullptr));
    *rx = Eigen::Map<const Eigen::VectorXd>(v.data(), v.size());
    return PetscErrorCode(0);
  };
  std::vector<double> r;
  Eigen::MatrixXd J;
  const char* why = "the iteration limit";
  for (; it < iterations; ++it) {
    PetscCall(Residuals(theta, W, &r, &J));
    const lm::Model s =
        GaussNewton(*physics_, theta, r, J, lm_update_ == "trust",
                    lm_accel_ == "geodesic" ? lm_accel_ratio_ : 0.0, lm_solve_ == "qr");
    PetscCheck(std::isfinite(s.loss), comm_, PETSC_ERR_NOT_CONVERGED,
               "training diverged: the solve blows up at the parameters of LM iteration %lld", it);
    const double gnorm = s.g.norm(), seconds = Elapsed();
    if (it % monitor_every_ == 0 || it + 1 == iterations)
      PetscCall(PetscPrintf(comm_,
                            "train %6lld  loss %.6e  |grad| %.3e  mu %.2e  window %3" PetscInt_FMT
                            "  %8.2f s\n",
                            it + adam_done_, s.loss, gnorm, state.lm_mu, W, seconds));
    history_.Add(
        {it + adam_done_, s.loss, gnorm, state.lm_mu, (long long)W, seconds, TrainHistory::kLm});
    if (gnorm <= lm_gatol_) {
      why = "-train_lm_gatol";
      break;
    }
    bool accepted, stop;
    PetscCall(lm::Step(s, objective, &theta, &state.lm_mu, &state.lm_nu, &accepted, residuals));
    state.last_loss = s.loss;
    if (!accepted) {
      why = "no step lowers the loss: converged to round-off";
      ++it;
      break;
    }
    int sig;
    PetscCall(StopRequested(comm_, &stop, &sig));
    if (!checkpoint_path.empty() &&
        (stop || (checkpoint_every_ > 0 && (it + 1) % checkpoint_every_ == 0))) {
      state.tao_iterations = it + 1;
      state.x.assign(theta.begin(), theta.end());
      PetscCall(SaveState(checkpoint_path, state));
    }
    if ((result->interrupted = stop)) {
      PetscCall(PetscPrintf(comm_, "train: %s received: stopped after LM iteration %lld (%s)\n",
                            StopSignalName(sig), it++, "continue with -train_resume latest"));
      break;
    }
  }
  PetscCall(FinishLm(checkpoint_path, it, why, &state, result));
  PetscFunctionReturn(0);
}

PetscErrorCode Trainer::FinishLm(const std::string& checkpoint_path, long long it, const char* why,
                                 State* state, TrainResult* result) {
  PetscFunctionBeginUser;
  double loss = state->last_loss;
  if (!result->interrupted) {
    PetscCall(Objective(-1, x_, &loss, nullptr));
    PetscCall(PetscPrintf(comm_,
                          "train: Levenberg-Marquardt done after %lld iterations (%s), loss %.6e\n",
                          it, why, loss));
    state->tao_iterations = it;
    state->last_loss = loss;
    state->x.assign(x_.begin(), x_.end());
    if (!checkpoint_path.empty()) PetscCall(SaveState(checkpoint_path, *state));
  }
  PetscCall(physics_->BindParams(x_.data()));
  result->iterations = it + adam_done_;
  result->loss = loss;
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
