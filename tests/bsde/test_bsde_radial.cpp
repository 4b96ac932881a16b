// The radial PDE solver (the project's second reference): against the Cole-Hopf quadrature
// of HJB from d = 10 to d = 10,000, against closed forms of linear equations (also with
// x0 != 0), second-order convergence in h and dt, honest error estimates, the radial forms
// the equations report, and the Allen-Cahn reference it gives.
#include <gtest/gtest.h>

#include <cmath>

#include "bsde_test_util.hpp"
#include "udeflow/bsde/quadrature.hpp"
#include "udeflow/bsde/radial.hpp"

using namespace udeflow::bsde;
using udeflow::bsde::test::MakeEquation;

namespace {

double Rel(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

RadialProblem Hjb(int d, double lambda) {
  RadialProblem p;
  p.dim = d, p.horizon = 1.0, p.sigma = std::sqrt(2.0);
  p.terminal = [](double s) { return std::log(0.5 * (1 + s)); };
  p.driver = [lambda](double, double q, double* f, double* fu, double* fq) {
    *f = -0.5 * lambda * q * q, *fu = 0, *fq = -lambda * q;
  };
  return p;
}

// u_t + sigma^2/2 Lap u + a u = 0, g = exp(-c |x|^2):
// u(0, x0) = e^(aT) (1 + 2 c sigma^2 T)^(-d/2) exp(-c |x0|^2 / (1 + 2 c sigma^2 T)).
RadialProblem Gaussian(int d, double a, double c, double x0_sq, double sigma) {
  RadialProblem p;
  p.dim = d, p.horizon = 0.7, p.sigma = sigma, p.x0_sq = x0_sq;
  p.terminal = [c](double s) { return std::exp(-c * s); };
  p.driver = [a](double u, double, double* f, double* fu, double* fq) {
    *f = a * u, *fu = a, *fq = 0;
  };
  return p;
}

double GaussianExact(const RadialProblem& p, double a, double c) {
  const double k = 1 + 2 * c * p.sigma * p.sigma * p.horizon;
  return std::exp(a * p.horizon) * std::pow(k, -0.5 * p.dim) * std::exp(-c * p.x0_sq / k);
}

TEST(BsdeRadial, HjbMatchesColeHopfQuadrature) {
  struct Case {
    int d;
    double lambda;
  };
  for (Case c : {Case{10, 1.0}, Case{100, 1.0}, Case{100, 10.0}, Case{1000, 70.0}, Case{10000, 1.0},
                 Case{10000, 200.0}}) {
    const RadialResult r = SolveRadial(Hjb(c.d, c.lambda), RadialGrid());
    const double exact = HjbExactValue(c.d, 1.0, c.lambda);
    EXPECT_TRUE(r.asymptotic) << "d=" << c.d << " order " << r.order;
    EXPECT_NEAR(r.order, 2.0, 0.1) << "d=" << c.d << " lambda=" << c.lambda;
    // The estimate bounds the actual error, and both are far below any training error.
    // (plus the round-off of the quadrature and the solver, ~1e-13 relative)
    EXPECT_LE(std::abs(r.value - exact), r.error + 1e-12 * std::abs(exact))
        << "d=" << c.d << " lambda=" << c.lambda;
    EXPECT_LT(Rel(r.value, exact), 2e-6) << "d=" << c.d << " lambda=" << c.lambda;
    EXPECT_LT(r.error, 2e-6 * std::abs(exact)) << "d=" << c.d << " lambda=" << c.lambda;
  }
}

// d = 10,000 at lambda = 860 (cases/hjb10000.yaml): the smallest multiple of 10 where the
// trivial answer E[g(X_T)] is >= 1% off (the quadrature: 0.990% at 850, 1.002% at 860).
// The HJB solution has steep layers there: on the default grid (400 cells) the coarse
// levels have cell Peclet numbers above 2 where the answer is decided (before the added
// diffusion and the damping, Newton's method failed from lambda = 300 on); SolveRadial
// doubles the cells until the order is 2 (twice: 1600 x 200 ... 6400 x 800), then the
// value agrees with the Cole-Hopf quadrature far within its estimate (measured: 2.0e-11
// relative, estimate 1.3e-9 absolute).
TEST(BsdeRadial, HjbD10000LargeLambdaMatchesColeHopfQuadrature) {
  const int d = 10000;
  const double trivial = HjbTrivialAnswer(d, 1.0);
  EXPECT_LT((trivial - HjbExactValue(d, 1.0, 850.0)) / HjbExactValue(d, 1.0, 850.0), 1e-2);
  EXPECT_GE((trivial - HjbExactValue(d, 1.0, 860.0)) / HjbExactValue(d, 1.0, 860.0), 1e-2);
  for (double lambda : {300.0, 860.0}) {
    const RadialResult r = SolveRadial(Hjb(d, lambda), RadialGrid());
    const double exact = HjbExactValue(d, 1.0, lambda);
    EXPECT_TRUE(r.asymptotic) << "lambda=" << lambda << " order " << r.order;
    EXPECT_NEAR(r.order, 2.0, 0.1) << "lambda=" << lambda;
    EXPECT_LE(std::abs(r.value - exact), r.error + 1e-12 * std::abs(exact)) << "lambda=" << lambda;
    EXPECT_LT(Rel(r.value, exact), 1e-9) << "lambda=" << lambda;
    EXPECT_LT(r.error, 1e-8 * std::abs(exact)) << "lambda=" << lambda;
    // The gap to the trivial answer is resolved a million times over.
    EXPECT_LT(r.error, 1e-6 * (trivial - exact)) << "lambda=" << lambda;
    if (lambda == 860.0) {
      EXPECT_GE(r.refinements, 1);
      EXPECT_LE(r.cells, 6400);  // stays cheap: at most two doublings
    }
  }
  // Without the refinement the coarse levels are honest about it: not asymptotic, and the
  // spread of the levels (the estimate then) covers the actual error.
  RadialGrid coarse;
  const double exact = HjbExactValue(d, 1.0, 860.0);
  const double u0 = SolveRadialOnce(Hjb(d, 860.0), coarse);
  coarse.cells *= 4, coarse.steps *= 4;
  const double u2 = SolveRadialOnce(Hjb(d, 860.0), coarse);
  EXPECT_GT(std::abs(u0 - exact), 1e-5 * exact);  // the 400 x 200 grid alone: polluted
  EXPECT_LE(std::abs(u2 - exact), std::abs(u2 - u0));
}

TEST(BsdeRadial, LinearEquationsMatchClosedForms) {
  // x0 = 0 and x0 != 0, sigma = sqrt(2) and 0.5, growth a = 0.5 and decay a = -1.
  struct Case {
    int d;
    double a, c, x0_sq, sigma;
  };
  for (Case k : {Case{100, 0.5, 0.01, 0.0, std::sqrt(2.0)}, Case{10, -1.0, 0.2, 3.0, 0.5},
                 Case{1000, 0.5, 1e-3, 50.0, std::sqrt(2.0)}}) {
    const RadialProblem p = Gaussian(k.d, k.a, k.c, k.x0_sq, k.sigma);
    const RadialResult r = SolveRadial(p, RadialGrid());
    const double exact = GaussianExact(p, k.a, k.c);
    EXPECT_NEAR(r.order, 2.0, 0.1) << "d=" << k.d;
    EXPECT_LE(std::abs(r.value - exact), r.error + 1e-13 * exact) << "d=" << k.d;
    EXPECT_LT(Rel(r.value, exact), 1e-7) << "d=" << k.d;
  }
}

TEST(BsdeRadial, SecondOrderInSpaceAndTime) {
  const RadialProblem p = Hjb(100, 10.0);
  const double exact = HjbExactValue(100, 1.0, 10.0);
  RadialGrid fine_t, fine_h;
  fine_t.steps = 3200;  // space error alone
  fine_t.cells = 200;
  fine_h.cells = 6400;  // time error alone
  fine_h.steps = 50;
  double prev_h = 0, prev_t = 0;
  for (int k = 0; k < 3; ++k) {
    const double eh = SolveRadialOnce(p, fine_t) - exact, et = SolveRadialOnce(p, fine_h) - exact;
    if (k > 0) {
      EXPECT_NEAR(std::log2(prev_h / eh), 2.0, 0.15) << "space, level " << k;
      EXPECT_NEAR(std::log2(prev_t / et), 2.0, 0.15) << "time, level " << k;
    }
    prev_h = eh, prev_t = et;
    fine_t.cells *= 2, fine_h.steps *= 2;
  }
}

TEST(BsdeRadial, BadInputThrows) {
  RadialProblem p = Hjb(1, 1.0);  // d = 1: s = 0 is reached, not an entrance boundary
  EXPECT_THROW(SolveRadialOnce(p, RadialGrid()), udeflow::Error);
  p = Hjb(10, 1.0);
  RadialGrid g;
  g.steps = 2;
  EXPECT_THROW(SolveRadialOnce(p, g), udeflow::Error);
  p.terminal = nullptr;
  EXPECT_THROW(SolveRadialOnce(p, RadialGrid()), udeflow::Error);
}

TEST(BsdeRadial, EquationsReportTheirRadialForms) {
  RadialProblem full, linear;
  // HJB: the radial form reproduces the quadrature; without the nonlinearity the answer is
  // the trivial one E[g(X_T)].
  auto hjb = MakeEquation("hjb", 100, "-bsde_hjb_lambda 10");
  ASSERT_TRUE(hjb->RadialForm(&full, &linear));
  EXPECT_LT(Rel(SolveRadial(full, RadialGrid()).value, hjb->Reference()), 1e-9);
  EXPECT_LT(Rel(SolveRadial(linear, RadialGrid()).value, hjb->TrivialAnswer()), 1e-9);
  // Allen-Cahn: the linear equation u_t + Lap u + u = 0 gives e^T E[g(X_T)].
  auto ac = MakeEquation("allencahn", 100);
  ASSERT_TRUE(ac->RadialForm(&full, &linear));
  const double lin = SolveRadial(linear, RadialGrid()).value;
  EXPECT_LT(Rel(lin, std::exp(0.3) * ac->TrivialAnswer()), 1e-9);
  // The own reference 0.05278135741 (error estimate ~5e-12) is 3.9e-4 below the published
  // branching-diffusion value 0.052802 (which is between it and the linear answer).
  const RadialResult r = SolveRadial(full, RadialGrid());
  EXPECT_LT(r.error, 1e-10);
  EXPECT_NEAR(r.value, 0.05278135741, 2e-11);
  EXPECT_LT(r.value, ac->Reference());
  EXPECT_LT(ac->Reference(), lin);
  // The cubic term lowers u(0,x0): by under 1e-3 relative at d = 100 (the point).
  EXPECT_LT(r.value, lin);
  EXPECT_LT((lin - r.value) / r.value, 1e-3);
  // Not radial: BSB (geometric Brownian motion) and d = 1.
  EXPECT_FALSE(MakeEquation("bsb", 100)->RadialForm(&full, &linear));
  EXPECT_FALSE(MakeEquation("hjb", 1)->RadialForm(&full, &linear));
}

TEST(BsdeRadial, BoundedControlHjb) {
  // A bound above every |z| of the problem reproduces the LQG value; a small bound lies
  // between the trivial answer and the LQG value (less control, less reduction of the cost).
  auto big = MakeEquation("hjb", 100, "-bsde_hjb_lambda 10 -bsde_hjb_zmax 100");
  EXPECT_LT(Rel(big->Reference(), HjbExactValue(100, 1.0, 10.0)), 1e-9);
  auto bounded = MakeEquation("hjb", 100, "-bsde_hjb_lambda 10 -bsde_hjb_zmax 0.1");
  EXPECT_GT(bounded->Reference(), HjbExactValue(100, 1.0, 10.0) + 1e-3);
  EXPECT_LT(bounded->Reference(), bounded->TrivialAnswer() - 1e-3);
  // The driver and its derivatives: f is C^1 at |z| = zmax and the VJP/JVP match it.
  const int d = 100, B = 4;
  Matrix x = Matrix::Zero(d, B), z(d, B);
  for (int b = 0; b < B; ++b) z.col(b) = Vector::Constant(d, (0.5 + b) * 0.1 / std::sqrt(d * 1.0));
  Vector f(B), fp(B), fm(B), ybar = Vector::Zero(B), fdot(B), y = Vector::Zero(B);
  bounded->Driver(0, x, y, z, f);
  EXPECT_NEAR(f(0), -5 * 0.05 * 0.05, 1e-14);             // |z| = 0.05: quadratic
  EXPECT_NEAR(f(1), -10 * 0.1 * 0.15 + 5 * 0.01, 1e-14);  // |z| = 0.15: linear
  Matrix zbar = Matrix::Zero(d, B), dz = udeflow::bsde::test::RandomMatrix(d, B, 7, 1e-6);
  bounded->DriverVjp(0, x, y, z, Vector::Ones(B), ybar, zbar);
  bounded->DriverJvp(0, x, y, z, Vector::Zero(B), dz, fdot);
  bounded->Driver(0, x, y, z + dz, fp);
  bounded->Driver(0, x, y, z - dz, fm);
  for (int b = 0; b < B; ++b) {
    EXPECT_NEAR((fp(b) - fm(b)) / 2, fdot(b), 1e-12 * (1 + std::abs(fdot(b))));
    EXPECT_NEAR(zbar.col(b).dot(dz.col(b)), fdot(b), 1e-15);
  }
}

}  // namespace
