// The 2-D learned-limiter loss and its gradient, and those of the learned wide-stencil face
// value (1-D and 2-D), are the same on 1, 2 and 3 ranks: run with 3 ranks, the test solves
// the same problem on sub-communicators of size 1, 2, 3.
#include <gtest/gtest.h>

#include "advection_fixture.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

class AdvectionRanks : public ::testing::TestWithParam<const char*> {};

TEST_P(AdvectionRanks, LossGradientAgreesOn1To3Ranks) {
  ExpectSameGradientOnRanks<AdvectionProblem>(std::string(kAdvectionLearned) + GetParam(),
                                              GetParam(), 1e-10, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(
    TwoD, AdvectionRanks,
    ::testing::Values(
        "-advection_dim 2 -advection_n 18 -advection_ny 15 -advection_velocity 1,-0.5 -ts_type rk "
        "-ts_rk_type 4 -ts_dt 0.01 -advection_ic_kinds square,gaussian,sine -adjoint_memory "
        "checkpoint",
        "-advection_dim 2 -advection_n 16 -advection_velocity -0.7,0.9 -ts_type cn -ts_dt 0.01"));

INSTANTIATE_TEST_SUITE_P(
    Stencil, AdvectionRanks,
    ::testing::Values("-advection_limiter learned_stencil -advection_n 48 -ts_type rk "
                      "-ts_rk_type 2a -ts_dt 0.005 -advection_ic_kinds square,gaussian,sine",
                      "-advection_limiter learned_stencil -advection_dim 2 -advection_n 18 "
                      "-advection_ny 15 -advection_velocity 1,-0.5 -ts_type rk -ts_rk_type 4 "
                      "-ts_dt 0.01 -adjoint_memory checkpoint"));

}  // namespace
