// Accuracy of short deep BSDE runs against the project's own references (Cole-Hopf
// quadrature, radial PDE solver, closed form).  Every threshold was fixed before the runs
// were measured, between the do-nothing score (the trivial answer E[g(X_T)], which is
// where Y_0 starts) and the accuracy the case files report; each test states both.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "bsde_test_util.hpp"
#include "udeflow/bsde/trainer.hpp"

using namespace udeflow::bsde;
using udeflow::test::ScopedOptions;

namespace {

const std::string kQuiet = " -bsde_save 0 -bsde_monitor 0 -bsde_norm_samples 1024";

// The shaped network of the HJB case (cases/hjb100_lambda10.yaml).
const std::string kHjb10 =
    "-bsde_equation hjb -bsde_dim 100 -bsde_hjb_lambda 10 -bsde_steps 20 -bsde_net shared"
    " -bsde_net_width 110 -bsde_net_skip gated -bsde_net_norm_feature -bsde_batch 64"
    " -bsde_lr_period 1500 -bsde_valid_every 200 -bsde_control driver";

double Rel(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

// HJB d = 100, lambda = 10, 600 iterations: the trivial answer is 2.39e-2 off; the case
// reaches 1.3e-4 after 4000 iterations.  Thresholds: at most 1e-3, and 20 times below
// the trivial answer's error.
TEST(BsdeAccuracy, HjbLambda10BeatsTheTrivialAnswer) {
  ScopedOptions o(kHjb10 + kQuiet + " -bsde_iterations 600");
  Trainer t(PETSC_COMM_WORLD);
  UDE_ASSERT_OK(t.SetFromOptions());
  UDE_ASSERT_OK(t.SetUp());
  UDE_ASSERT_OK(t.TrainIterations(600));
  const double err = Rel(t.U0(), t.Reference()), triv = Rel(t.TrivialAnswer(), t.Reference());
  std::printf("[ info ] HJB lambda=10: rel.err %.3e after 600 iterations (trivial %.3e)\n", err,
              triv);
  EXPECT_LT(err, 1e-3);
  EXPECT_LT(err, triv / 20);
}

// The driver nonlinear in z (cases/hjb100_bounded.yaml): HJB with the control bounded by
// zmax = 0.1, no Cole-Hopf transform; reference by the radial PDE solver.  The trivial answer
// is 1.94e-2 off and the unbounded LQG value 4.4e-3 off.  Thresholds (the target for
// this benchmark): at most 1e-3 and 5 times below the trivial answer's error, after 600
// iterations (the case run's monitor showed 4.8e-4 there before this test was written).
TEST(BsdeAccuracy, BoundedControlHjbLearnsTheZNonlinearity) {
  ScopedOptions o(kHjb10 + kQuiet + " -bsde_hjb_zmax 0.1 -bsde_iterations 600");
  Trainer t(PETSC_COMM_WORLD);
  UDE_ASSERT_OK(t.SetFromOptions());
  UDE_ASSERT_OK(t.SetUp());
  UDE_ASSERT_OK(t.TrainIterations(600));
  const double err = Rel(t.U0(), t.Reference()), triv = Rel(t.TrivialAnswer(), t.Reference());
  std::printf("[ info ] bounded-control HJB: rel.err %.3e after 600 iterations (trivial %.3e)\n",
              err, triv);
  EXPECT_LT(err, 1e-3);
  EXPECT_LT(err, triv / 5);
}

// Allen-Cahn d = 100 (the case's settings, 2000 iterations) against the radial PDE
// reference: the trivial answer is 2.6e-1 off, the cubic term contributes 6.4e-4.
// Thresholds: the error at most half the nonlinear contribution (3.2e-4 relative), so the
// run has learned the sign and at least half the size of the nonlinearity, and 500 times
// below the trivial answer's error.
TEST(BsdeAccuracy, AllenCahnResolvesTheNonlinearTerm) {
  ScopedOptions o(
      "-bsde_equation allencahn -bsde_dim 100 -bsde_steps 10 -bsde_net shared -bsde_net_width 110"
      " -bsde_net_skip diagonal -bsde_batch 64 -bsde_iterations 2000 -bsde_lr_period 1000"
      " -bsde_valid_every 500" +
      kQuiet);
  Trainer t(PETSC_COMM_WORLD);
  UDE_ASSERT_OK(t.SetFromOptions());
  UDE_ASSERT_OK(t.SetUp());
  bool radial = false;
  UDE_ASSERT_OK(t.ComputeRadialReference(&radial));
  ASSERT_TRUE(radial);
  UDE_ASSERT_OK(t.TrainIterations(2000));
  const double ref = t.RadialReference().value;
  const double err = Rel(t.U0(), ref), triv = Rel(t.TrivialAnswer(), ref);
  const double nonlinear = std::abs(t.NonlinearContribution() / ref);
  std::printf(
      "[ info ] Allen-Cahn: rel.err %.3e against the own reference %.10g (nonlinear term "
      "%.3e, trivial %.3e)\n",
      err, ref, nonlinear, triv);
  EXPECT_GT(nonlinear, 5e-4);  // the reference itself: the cubic term is resolved
  EXPECT_LT(err, 0.5 * nonlinear);
  EXPECT_LT(err, triv / 500);
}

// The control is a change of measure: it must not move u(0,x0).  BSB d = 20 (driver linear
// in z) with an untrained network without skip (Z is the small output of a random MLP):
// with the control the Monte Carlo estimate of Y_0 does not depend on Z and agrees with the
// closed form within 4 standard errors (computed from the sample variance; the time
// discretization of the trapezoidal rule on f = -r y is ~1e-8 relative).  Without the
// control the same Z gives an estimate biased by its error, more than 10 standard errors
// away: the check can fail.  (With the warm-started skip the uncontrolled bias was only
// 9.3 standard errors: that first design did not discriminate enough.)
TEST(BsdeAccuracy, ControlLeavesU0Unbiased) {
  ScopedOptions o(
      "-bsde_equation bsb -bsde_dim 20 -bsde_steps 20 -bsde_net shared -bsde_net_width 30"
      " -bsde_net_skip none -bsde_net_skip_init zero -bsde_batch 64 -bsde_iterations 0"
      " -bsde_control driver" +
      kQuiet);
  Trainer t(PETSC_COMM_WORLD);
  UDE_ASSERT_OK(t.SetFromOptions());
  UDE_ASSERT_OK(t.SetUp());
  double uc, sec, uu, seu;
  UDE_ASSERT_OK(t.MonteCarloU0(32768, &uc, &sec));
  t.Model().SetControl(false);
  UDE_ASSERT_OK(t.MonteCarloU0(32768, &uu, &seu));
  const double ref = t.Reference();
  std::printf(
      "[ info ] BSB d=20 untrained Z: controlled %.8g +- %.2g, uncontrolled %.8g +- %.2g, "
      "exact %.8g\n",
      uc, sec, uu, seu, ref);
  EXPECT_LE(std::abs(uc - ref), 4 * sec + 1e-7 * ref);
  EXPECT_GT(std::abs(uu - ref), 10 * seu);
}

}  // namespace
