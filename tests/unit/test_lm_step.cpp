// Levenberg-Marquardt's step and damping rule (src/train/lm_step.hpp): the step solves
// (A + mu dscale I) delta = -g, a step is accepted when its gain ratio rho (actual over
// predicted decrease) exceeds 1e-4, and the damping then follows rho: / 10 above 0.75, / 2
// above 0.25, else kept (fast) or doubled (trust); a rejected trial multiplies mu by nu
// = 2, 4, 8, ...  The loss here is built to give each trial a chosen rho exactly.
#include <gtest/gtest.h>

#include <algorithm>
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

TEST(LmStep, NoDecreaseLeavesTheParameters) {
  const Outcome o = StepOnce(true, {-1.0});
  EXPECT_FALSE(o.accepted);
  EXPECT_EQ(o.theta[0], 1.0);
  EXPECT_EQ(o.theta[1], -2.0);
  EXPECT_GT(o.mu, 1e20);
  EXPECT_LE(o.trials.size(), 80u);
}

}  // namespace
