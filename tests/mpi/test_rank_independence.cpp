// The same gradient on 1, 2 and 3 ranks: run with 3 ranks, the test solves the same
// problem on sub-communicators of size 1, 2 and 3 and compares (<= 1e-10 relative).
#include <gtest/gtest.h>

#include "burgers_fixture.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

class RankIndependence : public ::testing::TestWithParam<const char*> {};

TEST_P(RankIndependence, GradientAgreesOn1To3Ranks) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  const std::string opts = std::string(kBurgersBase) + GetParam();
  std::vector<double> g1, gn;
  double L1, Ln;
  GradientOnRanks<BurgersProblem>(1, opts, &g1, &L1);
  for (int n = 2; n <= size; ++n) {
    GradientOnRanks<BurgersProblem>(n, opts, &gn, &Ln);
    ASSERT_EQ(g1.size(), gn.size());
    double num = 0, den = 0, worst = 0, gmax = 0;
    for (size_t i = 0; i < g1.size(); ++i) gmax = std::max(gmax, std::abs(g1[i]));
    for (size_t i = 0; i < g1.size(); ++i) {
      num += (gn[i] - g1[i]) * (gn[i] - g1[i]);
      den += g1[i] * g1[i];
      worst = std::max(worst, std::abs(gn[i] - g1[i]) / gmax);
    }
    PetscPrintf(PETSC_COMM_WORLD, "  %d ranks vs 1: gradient rel. diff %.2e, loss rel. diff %.2e\n",
                n, std::sqrt(num / den), RelDiff(L1, Ln));
    EXPECT_LT(std::sqrt(num / den), 1e-10) << n << " ranks vs 1 rank (" << GetParam() << ")";
    EXPECT_LT(worst, 1e-10) << n << " ranks: largest component difference relative to max |g|";
    EXPECT_LT(RelDiff(L1, Ln), 1e-12) << n << " ranks: loss";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, RankIndependence,
    ::testing::Values(
        "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -adjoint_memory store",
        "-ts_type rk -ts_rk_type 5dp -ts_dt 0.05 -adjoint_memory checkpoint "
        "-adjoint_checkpoint_every 3",
        "-ts_type cn -ts_dt 0.05 -adjoint_memory checkpoint -ksp_type preonly "
        "-pc_type lu -pc_factor_mat_solver_type mumps -snes_rtol 1e-14 -snes_atol 1e-14"));

}  // namespace
