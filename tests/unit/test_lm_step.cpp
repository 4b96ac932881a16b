// Levenberg-Marquardt's step and damping rule (src/train/lm_step.hpp): the step solves
// (A + mu dscale I) delta = -g, a step is accepted when its gain ratio rho (actual over
// predicted decrease) exceeds 1e-4, and the damping then follows rho: / 10 above 0.75, / 2
// above 0.25, else kept (fast) or doubled (trust); a rejected trial multiplies mu by nu
// = 2, 4, 8, ...  The loss here is built to give each trial a chosen rho exactly.  With
// geodesic acceleration the step is v + a/2 (Rosenbrock's residuals, a computed here).
// The QR solve (-train_lm_solve qr) takes the same step as the normal equations where they
// are well conditioned, with a penalty whose gradient leaves its Hessian's range, and the
// exact Gauss-Newton step where they are not (J with condition ~3e8).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "train/lm_step.hpp"

namespace {

using udeflow::AlignedVector;
namespace lm = udeflow::train::lm;

// A 2-parameter model at theta0 = (1, -2): loss 3, g = (1, -0.5), A = [[4, 1], [1, 2]].
lm::Model TestModel(bool trust) {
  lm::Model s;
  s.loss = 3;
  s.trust = trust;
  s.g = Eigen::Vector2d(1.0, -0.5);
  s.A.resize(2, 2);
  s.A << 4, 1, 1, 2;
  s.dscale = 4;
  return s;
}

// A loss whose k-th evaluation has gain ratio rhos[k] for the step it is given
// (loss = s.loss - rho * predicted decrease); records every trial step.
struct ChosenRatios {
  const lm::Model* s;
  std::vector<double> rhos;
  std::vector<Eigen::Vector2d> trials;
  PetscErrorCode operator()(const AlignedVector<double>& x, double* loss) {
    const Eigen::Vector2d d(x[0] - 1.0, x[1] + 2.0);
    const double pred = -(s->g.dot(d) + 0.5 * d.dot(s->A * d));
    const double rho = rhos[std::min(trials.size(), rhos.size() - 1)];
    *loss = s->loss - rho * pred;
    trials.push_back(d);
    return 0;
  }
};

// One call of lm::Step from mu = 1e-3, nu = 4 with the given ratios of successive trials.
struct Outcome {
  double mu, nu;
  bool accepted;
  AlignedVector<double> theta;
  std::vector<Eigen::Vector2d> trials;
};
Outcome StepOnce(bool trust, std::vector<double> rhos) {
  const lm::Model s = TestModel(trust);
  ChosenRatios f{&s, std::move(rhos), {}};
  Outcome o{1e-3, 4, false, AlignedVector<double>{1.0, -2.0}, {}};
  const auto loss = [&f](const AlignedVector<double>& x, double* l) { return f(x, l); };
  EXPECT_EQ(lm::Step(s, loss, &o.theta, &o.mu, &o.nu, &o.accepted), 0);
  o.trials = f.trials;
  return o;
}

// The step the rule must take at damping mu.
Eigen::Vector2d Expected(double mu) {
  const lm::Model s = TestModel(false);
  Eigen::Matrix2d M = s.A;
  M.diagonal().array() += mu * s.dscale;
  return -M.inverse() * s.g;
}

TEST(LmStep, DampingFollowsTheGainRatio) {
  struct Case {
    double rho, fast, trust;  // the factor on mu after the accepted step
  } cases[] = {{1.0, 0.1, 0.1}, {0.8, 0.1, 0.1},  {0.5, 0.5, 0.5}, {0.3, 0.5, 0.5},
               {0.2, 1.0, 2.0}, {0.01, 1.0, 2.0}, {2e-4, 1.0, 2.0}};
  for (const auto& c : cases)
    for (bool trust : {false, true}) {
      const Outcome o = StepOnce(trust, {c.rho});
      ASSERT_TRUE(o.accepted) << "rho " << c.rho;
      ASSERT_EQ(o.trials.size(), 1u);
      const Eigen::Vector2d d = Expected(1e-3);
      EXPECT_NEAR(o.theta[0], 1.0 + d[0], 1e-14);
      EXPECT_NEAR(o.theta[1], -2.0 + d[1], 1e-14);
      EXPECT_DOUBLE_EQ(o.mu, 1e-3 * (trust ? c.trust : c.fast)) << "rho " << c.rho;
      EXPECT_EQ(o.nu, 2);
    }
}

TEST(LmStep, RejectedTrialsRaiseTheDamping) {
  // rho below 1e-4 (or a loss that rises) rejects: mu *= nu (4), nu *= 2; then mu *= 8.
  for (bool trust : {false, true}) {
    const Outcome o = StepOnce(trust, {-1.0, 5e-5, 0.9});
    ASSERT_TRUE(o.accepted);
    ASSERT_EQ(o.trials.size(), 3u);
    const double mu = 1e-3 * 4 * 8;  // the accepted trial's damping
    for (int k = 0; k < 2; ++k) {
      const Eigen::Vector2d d = Expected(k == 0 ? 1e-3 : 4e-3);
      EXPECT_NEAR((o.trials[k] - d).norm(), 0, 1e-14) << "trial " << k;
    }
    EXPECT_NEAR((o.trials[2] - Expected(mu)).norm(), 0, 1e-14);
    EXPECT_NEAR(o.theta[0], 1.0 + Expected(mu)[0], 1e-14);
    EXPECT_DOUBLE_EQ(o.mu, mu * 0.1);
    EXPECT_EQ(o.nu, 2);
  }
}

// Geodesic acceleration on Rosenbrock's residuals r = (10 (x2 - x1^2), 1 - x1): quadratic,
// so the finite difference along v gives r_vv = (-20 v1^2, 0) up to round-off.
struct Rosenbrock {
  static Eigen::VectorXd R(const AlignedVector<double>& x) {
    Eigen::VectorXd r(2);
    r << 10 * (x[1] - x[0] * x[0]), 1 - x[0];
    return r;
  }
  static Eigen::Matrix2d J(const AlignedVector<double>& x) {
    Eigen::Matrix2d j;
    j << -20 * x[0], 10, -1, 0;
    return j;
  }
};

struct GeodesicOutcome {
  lm::Model s;
  Eigen::MatrixXd J;
  AlignedVector<double> theta;
  double mu = 0, nu = 4;
  bool accepted = false;
  int residual_calls = 0, loss_calls = 0;
};

GeodesicOutcome GeodesicStep(const AlignedVector<double>& theta0, double mu0, double alpha) {
  GeodesicOutcome o;
  o.J = Rosenbrock::J(theta0);
  o.s.r = Rosenbrock::R(theta0);
  o.s.loss = o.s.r.squaredNorm();
  o.s.g = 2 * o.J.transpose() * o.s.r;
  o.s.A = 2 * o.J.transpose() * o.J;
  o.s.dscale = o.s.A.diagonal().maxCoeff();
  o.s.accel = alpha;
  o.s.J = &o.J;
  o.theta = theta0;
  o.mu = mu0;
  const auto loss = [&o](const AlignedVector<double>& x, double* l) {
    ++o.loss_calls;
    *l = Rosenbrock::R(x).squaredNorm();
    return PetscErrorCode(0);
  };
  const auto residuals = [&o](const AlignedVector<double>& x, Eigen::VectorXd* r) {
    ++o.residual_calls;
    *r = Rosenbrock::R(x);
    return PetscErrorCode(0);
  };
  EXPECT_EQ(lm::Step(o.s, loss, &o.theta, &o.mu, &o.nu, &o.accepted, residuals), 0);
  o.s.J = nullptr;  // it pointed into o, which is returned by value (callers read o.J)
  return o;
}

// The velocity and acceleration at damping mu, computed here from their definitions.
void VelocityAcceleration(const GeodesicOutcome& o, double mu, Eigen::Vector2d* v,
                          Eigen::Vector2d* a) {
  Eigen::Matrix2d M = o.s.A;
  M.diagonal().array() += mu * o.s.dscale;
  *v = -M.inverse() * o.s.g;
  const Eigen::Vector2d rvv(-20 * (*v)[0] * (*v)[0], 0);
  *a = -M.inverse() * (2 * o.J.transpose() * rvv);
}

TEST(LmStep, GeodesicAccelerationAddsHalfTheSecondOrderCorrection) {
  const AlignedVector<double> theta0{-1.2, 1.0};
  const double mu0 = 0.05;
  Eigen::Vector2d v, a;
  const GeodesicOutcome o = GeodesicStep(theta0, mu0, 0.75);
  VelocityAcceleration(o, mu0, &v, &a);
  ASSERT_LE(2 * a.norm(), 0.75 * v.norm());  // the first trial passes the ratio bound
  ASSERT_GT(a.norm(), 1e-3 * v.norm());      // and its acceleration is not negligible
  ASSERT_TRUE(o.accepted);
  EXPECT_EQ(o.residual_calls, 1);
  EXPECT_EQ(o.loss_calls, 1);
  EXPECT_NEAR(o.theta[0], theta0[0] + v[0] + 0.5 * a[0], 1e-8);
  EXPECT_NEAR(o.theta[1], theta0[1] + v[1] + 0.5 * a[1], 1e-8);
  // The plain step (acceleration off) is v alone.
  const GeodesicOutcome plain = GeodesicStep(theta0, mu0, 0.0);
  ASSERT_TRUE(plain.accepted);
  EXPECT_EQ(plain.residual_calls, 0);
  EXPECT_NEAR(plain.theta[0], theta0[0] + v[0], 1e-12);
  EXPECT_NEAR(plain.theta[1], theta0[1] + v[1], 1e-12);
}

TEST(LmStep, TooLargeAnAccelerationRejectsTheTrial) {
  // Damping 1e-3: the first velocity is long and curved; with the bound 0.05 the trials are
  // rejected without evaluating the loss (mu x 4, x 8, ...) until 2|a|/|v| <= 0.05.
  const AlignedVector<double> theta0{-1.2, 1.0};
  const double alpha = 0.05;
  const GeodesicOutcome o = GeodesicStep(theta0, 1e-3, alpha);
  ASSERT_TRUE(o.accepted);
  ASSERT_GE(o.residual_calls, 2);
  EXPECT_EQ(o.loss_calls, 1);
  double mu = 1e-3, nu = 4;
  Eigen::Vector2d v, a;
  for (int k = 0; k + 1 < o.residual_calls; ++k) {  // the rejected trials
    VelocityAcceleration(o, mu, &v, &a);
    EXPECT_GT(2 * a.norm(), alpha * v.norm()) << "trial " << k;
    mu *= nu;
    nu *= 2;
  }
  VelocityAcceleration(o, mu, &v, &a);
  EXPECT_LE(2 * a.norm(), alpha * v.norm());
  EXPECT_NEAR(o.theta[0], theta0[0] + v[0] + 0.5 * a[0], 1e-8);
  EXPECT_NEAR(o.theta[1], theta0[1] + v[1] + 0.5 * a[1], 1e-8);
  const double factor = o.mu / mu;  // the accepted step's factor: 0.1, 0.5 or 1
  EXPECT_TRUE(std::fabs(factor - 0.1) < 1e-12 || std::fabs(factor - 0.5) < 1e-12 ||
              std::fabs(factor - 1.0) < 1e-12)
      << factor;
}

TEST(LmStep, NoDecreaseLeavesTheParameters) {
  const Outcome o = StepOnce(true, {-1.0});
  EXPECT_FALSE(o.accepted);
  EXPECT_EQ(o.theta[0], 1.0);
  EXPECT_EQ(o.theta[1], -2.0);
  EXPECT_GT(o.mu, 1e20);
  EXPECT_LE(o.trials.size(), 80u);
}

// A model with residuals r, Jacobian J and a penalty (gradient gpen, Hessian H) at theta:
// loss |r|^2 + pen, g = 2 J^T r + gpen, A = 2 J^T J + H; the QR form if qr.
lm::Model ResidualModel(const Eigen::MatrixXd& J, const Eigen::VectorXd& r,
                        const Eigen::VectorXd& gpen, const Eigen::MatrixXd& H, double pen,
                        bool qr) {
  lm::Model s;
  s.J = &J;
  s.r = r;
  s.loss = r.squaredNorm() + pen;
  s.g = 2.0 * J.transpose() * r + gpen;
  s.A = 2.0 * J.transpose() * J + H;
  s.dscale = s.A.diagonal().maxCoeff();
  if (qr) lm::PrepareQr(gpen, H, &s);
  return s;
}

// One lm::Step from theta = 0 at damping mu whose loss is `after` at every trial.
AlignedVector<double> StepFromZero(const lm::Model& s, double mu, double after, double* mu_out) {
  AlignedVector<double> theta(s.g.size(), 0.0);
  double nu = 2;
  bool accepted = false;
  const auto loss = [after](const AlignedVector<double>&, double* l) {
    *l = after;
    return PetscErrorCode(0);
  };
  EXPECT_EQ(lm::Step(s, loss, &theta, &mu, &nu, &accepted), 0);
  EXPECT_TRUE(accepted);
  *mu_out = mu;
  return theta;
}

TEST(LmStep, QrSolveTakesTheNormalEquationsStep) {
  Eigen::MatrixXd J(5, 3);
  J << 1.0, 0.2, -0.3, 0.5, 1.5, 0.1, -0.4, 0.3, 2.0, 0.7, -0.6, 0.2, 0.1, 0.9, -1.1;
  Eigen::VectorXd r(5);
  r << 0.3, -0.2, 0.5, 0.1, -0.4;
  // A rank-1 penalty Hessian on parameters 1 and 2; its gradient has a part along parameter
  // 0, outside that range, which the QR form carries in the damping rows.
  Eigen::VectorXd c(3);
  c << 0.0, 1.0, 1.0;
  const Eigen::MatrixXd H = 3.0 * c * c.transpose();
  Eigen::VectorXd gpen(3);
  gpen << 0.25, 0.4, 0.4;
  const double mu = 1e-2;
  const lm::Model normal = ResidualModel(J, r, gpen, H, 0.1, false);
  const lm::Model qr = ResidualModel(J, r, gpen, H, 0.1, true);
  Eigen::MatrixXd M = normal.A;
  M.diagonal().array() += mu * normal.dscale;
  const Eigen::Vector3d expected = -M.inverse() * normal.g;
  const double pred = -(normal.g.dot(expected) + 0.5 * expected.dot(normal.A * expected));
  ASSERT_GT(pred, 0);
  // A loss 0.9 of the predicted decrease lower: rho = 0.9 > 0.75, so mu falls 10x, the
  // same under both solves only if both predict the same decrease.
  double mu_n, mu_q;
  const AlignedVector<double> tn = StepFromZero(normal, mu, normal.loss - 0.9 * pred, &mu_n);
  const AlignedVector<double> tq = StepFromZero(qr, mu, qr.loss - 0.9 * pred, &mu_q);
  for (int p = 0; p < 3; ++p) {
    EXPECT_NEAR(tn[p], expected[p], 1e-12 * expected.norm()) << p;
    EXPECT_NEAR(tq[p], expected[p], 1e-12 * expected.norm()) << p;
  }
  EXPECT_DOUBLE_EQ(mu_n, mu * 0.1);
  EXPECT_DOUBLE_EQ(mu_q, mu * 0.1);
}

TEST(LmStep, QrSolveIsExactWhereTheNormalEquationsAreNot) {
  // J = [[1, 1], [1, 1 + e], [0, 0]], e = 2^-30: condition ~7e7, so J^T J's is ~4e15.  With
  // r = (1, 3, 0) the Gauss-Newton step solves J delta = -r exactly: delta = (2/e - 1, -2/e).
  const double e = std::ldexp(1.0, -26);
  Eigen::MatrixXd J(3, 2);
  J << 1.0, 1.0, 1.0, 1.0 + e, 0.0, 0.0;
  Eigen::VectorXd r(3);
  r << 1.0, 3.0, 0.0;
  const Eigen::Vector2d exact(2 / e - 1, -2 / e);
  const Eigen::VectorXd zero_g = Eigen::VectorXd::Zero(2);
  const Eigen::MatrixXd zero_h = Eigen::MatrixXd::Zero(2, 2);
  double mu_out;
  // mu = 1e-30: a damping ~1e-14 of the smallest eigenvalue of J^T J.  The loss falls to
  // 0, which the linearized residuals predict.
  const AlignedVector<double> tq =
      StepFromZero(ResidualModel(J, r, zero_g, zero_h, 0.0, true), 1e-30, 0.0, &mu_out);
  const double err_q = std::hypot(tq[0] - exact[0], tq[1] - exact[1]) / exact.norm();
  EXPECT_LT(err_q, 1e-6);
  double err_n = 0;  // the normal equations' step at the same damping
  {
    const lm::Model n = ResidualModel(J, r, zero_g, zero_h, 0.0, false);
    Eigen::Matrix2d M = n.A;
    M.diagonal().array() += 1e-30 * n.dscale;
    const Eigen::Vector2d d = -M.ldlt().solve(n.g);
    err_n = (d - exact).norm() / exact.norm();
  }
  std::printf("relative error of the Gauss-Newton step: QR %.2e, normal equations %.2e\n", err_q,
              err_n);
  // The example must be one the normal equations get wrong (measured: 1.0 against QR's
  // 1.5e-8), or the bound above would not tell the two solves apart.
  EXPECT_GT(err_n, 1e-2);
}

}  // namespace
