// Sparse regression (STLSQ) on known polynomial systems: exact coefficients without
// noise, the right sparsity chosen automatically on noisy data, the library and the
// finite differences.
#include <gtest/gtest.h>

#include <cmath>

#include "udeflow/core/error.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/discover/stlsq.hpp"

using namespace udeflow;
using namespace udeflow::discover;

namespace {

// Known system on random points of [0.2, 2] x [0.2, 3]:
//   y1 = 1.5 x - 0.7 x y + 0.2 y^3,   y2 = -2 + 0.5 y^2
struct Known {
  Matrix X, Y;
  Eigen::MatrixXd coef;  // terms x 2 (library of degree 3: 1 x y x^2 xy y^2 x^3 x^2y xy^2 y^3)
  explicit Known(int m, double noise) {
    X.resize(m, 2);
    Y.resize(m, 2);
    for (int i = 0; i < m; ++i) {
      double a, b;
      Philox::Uniform2(5, i, 0, &a, &b);
      const double x = 0.2 + 1.8 * a, y = 0.2 + 2.8 * b;
      X(i, 0) = x;
      X(i, 1) = y;
      double z0, z1;
      Philox::Normal2(6, i, 0, &z0, &z1);
      Y(i, 0) = 1.5 * x - 0.7 * x * y + 0.2 * y * y * y + noise * z0;
      Y(i, 1) = -2 + 0.5 * y * y + noise * z1;
    }
    coef = Eigen::MatrixXd::Zero(10, 2);
    coef(1, 0) = 1.5;
    coef(4, 0) = -0.7;
    coef(9, 0) = 0.2;
    coef(0, 1) = -2;
    coef(5, 1) = 0.5;
  }
};

}  // namespace

TEST(PolynomialLibrary, TermsAndNames) {
  PolynomialLibrary lib(2, 3);
  EXPECT_EQ(lib.NumTerms(), 10);
  const auto n = lib.Names({"x", "y"});
  const std::vector<std::string> want = {"1",   "x",   "y",     "x^2",   "x*y",
                                         "y^2", "x^3", "x^2*y", "x*y^2", "y^3"};
  EXPECT_EQ(n, want);
  Matrix X(1, 2);
  X << 2.0, 3.0;
  const Matrix T = lib.Evaluate(X);
  EXPECT_DOUBLE_EQ(T(0, 7), 12.0);
  EXPECT_EQ(PolynomialLibrary(3, 2).NumTerms(), 10);
  EXPECT_THROW(PolynomialLibrary(2, 0), udeflow::Error);
}

TEST(Stlsq, RecoversExactCoefficientsWithoutNoise) {
  Known k(60, 0.0);
  PolynomialLibrary lib(2, 3);
  const Matrix T = lib.Evaluate(k.X);
  for (int i = 0; i < 2; ++i) {
    StlsqFit f = Stlsq(T, k.Y.col(i), 0.01);
    for (int j = 0; j < 10; ++j)
      EXPECT_NEAR(f.coef[j], k.coef(j, i), 1e-10) << "target " << i << " term " << j;
    for (const char* c : {"holdout", "bic", "aic"}) {
      StlsqOptions o;
      o.criterion = c;
      StlsqFit a = StlsqAuto(T, k.Y.col(i), o);
      for (int j = 0; j < 10; ++j)
        EXPECT_NEAR(a.coef[j], k.coef(j, i), 1e-10) << c << " target " << i << " term " << j;
    }
  }
}

TEST(Stlsq, CriterionPicksTheTrueSparsityOnNoisyData) {
  // Noise 2% of the typical target size; the full least-squares fit has every term.
  Known k(200, 0.05);
  PolynomialLibrary lib(2, 3);
  const Matrix T = lib.Evaluate(k.X);
  for (const char* c : {"holdout", "bic"}) {
    for (int i = 0; i < 2; ++i) {
      StlsqOptions o;
      o.criterion = c;
      std::vector<StlsqFit> cand;
      StlsqFit a = StlsqAuto(T, k.Y.col(i), o, &cand);
      EXPECT_GT(cand.size(), 2u);
      for (int j = 0; j < 10; ++j) {
        EXPECT_EQ(a.coef[j] != 0, k.coef(j, i) != 0) << c << " target " << i << " term " << j;
        if (k.coef(j, i) != 0) {
          EXPECT_NEAR(a.coef[j], k.coef(j, i), 0.03 * std::abs(k.coef(j, i)) + 0.01);
        }
      }
    }
  }
  // Without thresholding (threshold 0) all ten terms stay: the sparsity is the criterion's.
  EXPECT_EQ(Stlsq(T, k.Y.col(0), 0.0).terms, 10);
}

TEST(Stlsq, FiniteDifferencesAreExactOnQuadratics) {
  Eigen::VectorXd t(5);
  t << 0.0, 0.1, 0.25, 0.3, 0.6;  // non-uniform
  Matrix X(5, 1);
  for (int i = 0; i < 5; ++i) X(i, 0) = 3 * t[i] * t[i] - t[i] + 2;
  const Matrix D = FiniteDifferenceDerivative(t, X);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(D(i, 0), 6 * t[i] - 1, 1e-12);
  EXPECT_THROW(FiniteDifferenceDerivative(t.head(2), X.topRows(2)), udeflow::Error);
}

TEST(Stlsq, EmptyDataIsAnError) {
  PolynomialLibrary lib(2, 2);
  Matrix T(0, lib.NumTerms());
  Eigen::VectorXd y(0);
  EXPECT_THROW(Stlsq(T, y, 0.1), udeflow::Error);
}
