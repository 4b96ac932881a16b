// Reference values computed by the project: HJB by 1-D quadrature
// (two independent formulas), BSB in closed form, the trivial answers, and the choice of
// lambda for the d = 1000 HJB case.
#include <gtest/gtest.h>

#include <cmath>

#include "bsde_test_util.hpp"
#include "udeflow/bsde/quadrature.hpp"

using namespace udeflow::bsde;
using udeflow::bsde::test::MakeEquation;

namespace {

double Rel(double a, double b) {
  return std::abs(a - b) / std::abs(b);
}

TEST(BsdeReference, HjbExactValuesMatchReference) {
  EXPECT_LT(Rel(HjbExactValue(100, 1.0, 1.0), 4.590161724605), 1e-10);
  EXPECT_LT(Rel(HjbExactValue(100, 1.0, 10.0), 4.492929491346), 1e-10);
  // The lambda = 2 value the original code solved by mistake (f = -lambda |z|^2).
  EXPECT_LT(Rel(HjbExactValue(100, 1.0, 2.0), 4.579961975), 1e-9);  // 10 digits given
}

TEST(BsdeReference, HjbTwoQuadraturesAgree) {
  for (int d : {1, 10, 100, 1000})
    for (double lambda : {0.5, 1.0, 10.0, 70.0})
      EXPECT_LT(Rel(HjbExactValue(d, 1.0, lambda), HjbExactValueLaplace(d, 1.0, lambda)), 1e-12)
          << "d=" << d << " lambda=" << lambda;
}

TEST(BsdeReference, HjbTrivialAnswer) {
  EXPECT_NEAR(HjbTrivialAnswer(100, 1.0), 4.600226, 5e-7);
  // d = 1: E ln(1/2 + S), S = V^2 with V ~ N(0,1), by an independent midpoint sum in v.
  double sum = 0, h = 1e-4;
  for (double v = h / 2; v < 40; v += h)
    sum += 2 * std::log(0.5 + v * v) * std::exp(-v * v / 2) / std::sqrt(2 * M_PI) * h;
  EXPECT_NEAR(HjbTrivialAnswer(1, 1.0), sum, 1e-8);
  // The trivial answer is an upper bound (Jensen) and the HJB gap grows with lambda.
  EXPECT_GT(HjbTrivialAnswer(100, 1.0), HjbExactValue(100, 1.0, 1.0));
}

TEST(BsdeReference, EquationsReportTheirReferences) {
  auto hjb = MakeEquation("hjb", 100);
  EXPECT_TRUE(hjb->HasReference());
  EXPECT_LT(Rel(hjb->Reference(), 4.590161724605), 1e-10);
  EXPECT_LT(Rel(hjb->TrivialAnswer(), 4.6002256551638), 1e-10);
  auto hjb10 = MakeEquation("hjb", 100, "-bsde_hjb_lambda 10");
  EXPECT_LT(Rel(hjb10->Reference(), 4.492929491346), 1e-10);

  auto bsb = MakeEquation("bsb", 100);
  EXPECT_LT(Rel(bsb->Reference(), 77.1048787473), 1e-10);
  EXPECT_LT(Rel(bsb->TrivialAnswer(), 62.5 * std::exp(0.16)), 1e-14);

  auto ac = MakeEquation("allencahn", 100);
  EXPECT_EQ(ac->Reference(), 0.052802);
  EXPECT_TRUE(ac->HasTrivialAnswer());
  auto ac10 = MakeEquation("allencahn", 10);
  EXPECT_FALSE(ac10->HasReference());  // the published value is for d = 100 only

  auto dr = MakeEquation("defaultrisk", 100);
  EXPECT_EQ(dr->Reference(), 57.300);
  EXPECT_FALSE(dr->HasTrivialAnswer());
}

// The d = 1000 HJB case (cases/hjb1000.yaml) uses lambda = 70: the smallest multiple of
// 10 for which the trivial answer is at least 1% off the exact value.
TEST(BsdeReference, Hjb1000LambdaMakesTheTestReal) {
  const double triv = HjbTrivialAnswer(1000, 1.0);
  auto gap = [&](double lambda) {
    return (triv - HjbExactValue(1000, 1.0, lambda)) / HjbExactValue(1000, 1.0, lambda);
  };
  EXPECT_GE(gap(70.0), 0.01);
  EXPECT_LT(gap(60.0), 0.01);
  EXPECT_NEAR(gap(1.0), 1.45e-4, 1e-6);  // the LQG gap is only 0.0145% at lambda = 1
}

// The d = 10,000 HJB case (cases/hjb10000.yaml) uses lambda = 860, by the same rule (gaps
// 0.990% at 850 and 1.002% at 860); its reference agrees between the two formulas.
TEST(BsdeReference, Hjb10000LambdaMakesTheTestReal) {
  const double triv = HjbTrivialAnswer(10000, 1.0);
  auto gap = [&](double lambda) {
    return (triv - HjbExactValue(10000, 1.0, lambda)) / HjbExactValue(10000, 1.0, lambda);
  };
  EXPECT_GE(gap(860.0), 0.01);
  EXPECT_LT(gap(850.0), 0.01);
  const double u = HjbExactValue(10000, 1.0, 860.0);
  EXPECT_NEAR(u, 9.1188868421224, 1e-11);
  EXPECT_NEAR(HjbExactValueLaplace(10000, 1.0, 860.0), u, 1e-12 * u);
  EXPECT_NEAR(triv, 9.210290377384, 1e-11);
}

}  // namespace
