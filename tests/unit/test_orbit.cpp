// Amplitude and phase errors of periodic trajectories (discover/orbit.hpp) on closed-form
// orbits: the period from crossings, the orbit's extent, the phase drift, a diverged
// trajectory and one too short to have a period.
#include <gtest/gtest.h>

#include <cmath>

#include "udeflow/discover/orbit.hpp"

using namespace udeflow::discover;

namespace {

// (c + a cos(2 pi t / P + phi), c + a sin(2 pi t / P + phi)) at t = 0, dt, ..., T.
Eigen::MatrixXd Circle(double a, double P, double phi, double T, double dt, Eigen::VectorXd* t) {
  const int n = static_cast<int>(std::lround(T / dt)) + 1;
  t->resize(n);
  Eigen::MatrixXd u(n, 2);
  for (int k = 0; k < n; ++k) {
    (*t)[k] = k * dt;
    u(k, 0) = 2 + a * std::cos(2 * M_PI * k * dt / P + phi);
    u(k, 1) = 2 + a * std::sin(2 * M_PI * k * dt / P + phi);
  }
  return u;
}

}  // namespace

TEST(Orbit, PeriodFromCrossings) {
  Eigen::VectorXd t;
  const Eigen::MatrixXd u = Circle(1.0, 3.7, 0.3, 50, 0.01, &t);
  // Linear interpolation of a sine near its crossing: error O(dt^2) per crossing.
  EXPECT_NEAR(CrossingPeriod(u, t, 2.0), 3.7, 1e-5);
  EXPECT_TRUE(std::isnan(CrossingPeriod(u.topRows(300), t.head(300), 2.0)))
      << "3 time units hold one upward crossing at most: no period";
}

TEST(Orbit, AmplitudeAndPhaseSeparated) {
  Eigen::VectorXd t;
  const Eigen::MatrixXd v = Circle(1.0, 4.0, 0.0, 40, 0.005, &t);
  // Same orbit, 1% longer period: no amplitude error, a phase drift of
  // 40 (1/4 - 1/4.04) = 0.099 periods, and a pointwise error of order the orbit size.
  const OrbitErrors slow = CompareOrbits(Circle(1.0, 4.04, 0.0, 40, 0.005, &t), v, t);
  EXPECT_LT(slow.amplitude_error, 1e-4);
  EXPECT_NEAR(slow.period_error, 0.01, 1e-5);
  EXPECT_NEAR(slow.phase_drift, 40 * (0.25 - 1 / 4.04), 1e-4);
  EXPECT_GT(slow.max_error, 0.15);
  // Same period, orbit 5% larger: amplitude error 0.05, no phase drift.
  const OrbitErrors big = CompareOrbits(Circle(1.05, 4.0, 0.0, 40, 0.005, &t), v, t);
  EXPECT_NEAR(big.amplitude_error, 0.05, 1e-6);
  EXPECT_LT(big.period_error, 1e-6);
  EXPECT_LT(big.phase_drift, 1e-5);
  EXPECT_NEAR(big.max_error, 0.05 / 3.0, 1e-3);  // |u - v| = 0.05, max |v| = 3
}

TEST(Orbit, DivergedTrajectoryHasInfiniteErrors) {
  Eigen::VectorXd t;
  const Eigen::MatrixXd v = Circle(1.0, 4.0, 0.0, 10, 0.01, &t);
  Eigen::MatrixXd u = v;
  u(500, 1) = NAN;
  const OrbitErrors e = CompareOrbits(u, v, t);
  EXPECT_TRUE(std::isinf(e.max_error));
  EXPECT_TRUE(std::isinf(e.amplitude_error));
  EXPECT_TRUE(std::isinf(e.phase_drift));
}
