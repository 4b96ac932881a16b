// Burgers with an MLP flux closure: dot-product tests of every Jacobian product, the
// assembled Jacobian, and the exact discrete gradient against central finite
// differences for RK4 and Crank-Nicolson in every memory mode.
#include <gtest/gtest.h>

#include <numeric>

#include "burgers_fixture.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

PetscErrorCode RandomVec(Vec v, uint64_t seed) {
  PetscFunctionBeginUser;
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscScalar* a;
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i) a[i - lo] = 2 * Philox::Uniform(seed, i, 11) - 1;
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

class BurgersJacobians : public ::testing::TestWithParam<std::string> {};

TEST_P(BurgersJacobians, DotProductAndFiniteDifferenceTests) {
  BurgersProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kBurgersBase) + GetParam()));
  pde::Physics& ph = *p.physics;
  const PetscInt P = ph.NumParams();
  ASSERT_GT(P, 0);
  Vec u, v, w, Jv, JTw, f1, f2, tmp;
  DMCreateGlobalVector(ph.Grid(), &u);
  VecDuplicate(u, &v);
  VecDuplicate(u, &w);
  VecDuplicate(u, &Jv);
  VecDuplicate(u, &JTw);
  VecDuplicate(u, &f1);
  VecDuplicate(u, &f2);
  VecDuplicate(u, &tmp);
  UDE_ASSERT_OK(RandomVec(u, 1));
  VecAXPY(u, 1.0, p.u0);
  UDE_ASSERT_OK(RandomVec(v, 2));
  UDE_ASSERT_OK(RandomVec(w, 3));
  for (bool repeated : {false, true}) {
    UDE_ASSERT_OK(ph.Linearize(0.3, u, repeated));
    UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
    std::vector<double> g(P, 0.0), gsum(P);
    UDE_ASSERT_OK(ph.JacobianMultTranspose(w, JTw, g.data()));
    MPI_Allreduce(g.data(), gsum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
    PetscScalar a, b;
    VecDot(w, Jv, &a);
    VecDot(JTw, v, &b);
    EXPECT_NEAR(a, b, 1e-12 * std::abs(a)) << "state dot-product test";
    // Parameter products.
    std::vector<double> thd = Direction(P, 5);
    UDE_ASSERT_OK(ph.ParamJacobianMult(thd.data(), tmp));
    VecDot(w, tmp, &a);
    EXPECT_NEAR(a, Dot(gsum, thd), 1e-12 * std::abs(a)) << "parameter dot-product test";
    std::vector<double> g2(P, 0.0), g2sum(P);
    UDE_ASSERT_OK(ph.ParamJacobianMultTranspose(w, g2.data()));
    MPI_Allreduce(g2.data(), g2sum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
    double gmax = 0;
    for (PetscInt i = 0; i < P; ++i) gmax = std::max(gmax, std::abs(gsum[i]));
    for (PetscInt i = 0; i < P; ++i) EXPECT_NEAR(g2sum[i], gsum[i], 1e-13 * gmax);
  }
  // JVP against central differences of the RHS.
  const double h = 1e-6;
  VecWAXPY(tmp, h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.3, tmp, f1));
  VecWAXPY(tmp, -h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.3, tmp, f2));
  VecAXPY(f1, -1.0, f2);
  VecScale(f1, 1.0 / (2 * h));
  UDE_ASSERT_OK(ph.Linearize(0.3, u, false));
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  PetscReal nJ, nd;
  VecNorm(Jv, NORM_2, &nJ);
  VecAXPY(f1, -1.0, Jv);
  VecNorm(f1, NORM_2, &nd);
  EXPECT_LT(nd, 1e-7 * nJ) << "JVP vs finite differences";
  // Assembled Jacobian a I + b J against the JVP.
  Mat A;
  UDE_ASSERT_OK(ph.CreateJacobian(&A));
  UDE_ASSERT_OK(ph.AssembleJacobian(2.0, -0.5, A));
  MatMult(A, v, tmp);
  VecAXPBYPCZ(tmp, -2.0, 0.5, 1.0, v, Jv);
  VecNorm(tmp, NORM_2, &nd);
  EXPECT_LT(nd, 1e-12 * nJ) << "assembled Jacobian vs JVP";
  MatDestroy(&A);
  for (Vec* x : {&u, &v, &w, &Jv, &JTw, &f1, &f2, &tmp}) VecDestroy(x);
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, BurgersJacobians,
    ::testing::Values(
        "-burgers_flux rusanov -burgers_reconstruction vanalbada",
        "-burgers_flux central -burgers_reconstruction first",
        "-burgers_flux rusanov -burgers_reconstruction first -burgers_closure_stencil 6",
        "-burgers_closure_stencil 4", "-burgers_closure_form coefficients",
        "-burgers_closure_form coefficients -burgers_closure_stencil 6 -closure_activation "
        "softplus",
        "-burgers_closure_form coefficients -burgers_closure_stencil 6 "
        "-burgers_closure_difference_order 2",
        "-burgers_closure_form coefficients -burgers_closure_difference_order 3",
        "-burgers_closure_features normalized -burgers_closure_stencil 6",
        "-burgers_closure_features normalized -burgers_closure_form coefficients "
        "-burgers_closure_feature_eps 0.05",
        "-burgers_reconstruction weno5",
        "-burgers_reconstruction weno5 -burgers_closure_features normalized "
        "-burgers_closure_form coefficients -burgers_closure_stencil 6"));

struct GradCase {
  const char* name;
  const char* opts;
};

class BurgersGradient : public ::testing::TestWithParam<GradCase> {};

TEST_P(BurgersGradient, MatchesCentralFiniteDifferences) {
  BurgersProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kBurgersBase) + GetParam().opts));
  std::vector<double> theta(p.params.begin(), p.params.end());
  PetscReal L;
  std::vector<double> g;
  UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
  // Adaptive steps: the discrete gradient is the derivative along the accepted steps.
  p.integrator->FreezeSchedule(true);
  PetscReal Lf;
  UDE_ASSERT_OK(p.Loss(theta, &Lf));
  EXPECT_NEAR(L, Lf, 1e-13 * L) << "Gradient() and Forward() losses differ";
  // Directional derivative in two random directions and along the gradient.
  ExpectDirectionalDerivatives(p, theta, g, {11u, 12u, 0u}, GetParam().name);
}

INSTANTIATE_TEST_SUITE_P(
    SchemesAndMemory, BurgersGradient,
    ::testing::Values(
        GradCase{"rk4_store", "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -adjoint_memory store"},
        GradCase{"rk4_checkpoint",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -adjoint_memory checkpoint"},
        GradCase{"rk4_checkpoint_every3",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.04 -adjoint_memory checkpoint "
                 "-adjoint_checkpoint_every 3"},
        GradCase{"rk4_disk",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -adjoint_memory disk "
                 "-adjoint_checkpoint_every 2"},
        GradCase{"rk5dp_adaptive",
                 "-ts_type rk -ts_rk_type 5dp -ts_adapt_type basic -ts_dt 0.01 "
                 "-ts_atol 1e-6 -ts_rtol 1e-6 -adjoint_memory checkpoint"},
        GradCase{"rk5dp_fixed", "-ts_type rk -ts_rk_type 5dp -ts_dt 0.05 -adjoint_memory store"},
        GradCase{"rk3bs_fixed_ckpt",
                 "-ts_type rk -ts_rk_type 3bs -ts_dt 0.05 -adjoint_memory checkpoint"},
        // Tableaus with an internal b_i = 0 (PETSc 3.18 drops df/dtheta there).
        GradCase{"rk5f", "-ts_type rk -ts_rk_type 5f -ts_dt 0.05"},
        GradCase{"rk6vr", "-ts_type rk -ts_rk_type 6vr -ts_dt 0.05 -adjoint_memory checkpoint"},
        GradCase{"cn_store", "-ts_type cn -ts_dt 0.05 -adjoint_memory store"},
        GradCase{"rk4_huber_loss", "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -test_huber 0.05"},
        GradCase{"rk4_coefficients",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -burgers_closure_form coefficients"},
        GradCase{"cn_coefficients", "-ts_type cn -ts_dt 0.05 -burgers_closure_form coefficients"},
        GradCase{"rk4_normalized_features",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -burgers_closure_features normalized "
                 "-burgers_closure_form coefficients -burgers_closure_stencil 6"},
        GradCase{"cn_normalized_features",
                 "-ts_type cn -ts_dt 0.05 -burgers_closure_features normalized"},
        GradCase{"rk4_second_differences",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -burgers_closure_form coefficients "
                 "-burgers_closure_stencil 6 -burgers_closure_difference_order 2"},
        GradCase{"cn_checkpoint",
                 "-ts_type cn -ts_dt 0.05 -adjoint_memory checkpoint -adjoint_checkpoint_every 2"},
        GradCase{"cn_disk", "-ts_type cn -ts_dt 0.05 -adjoint_memory disk"},
        GradCase{"beuler_store", "-ts_type beuler -ts_dt 0.05 -adjoint_memory store"},
        GradCase{"rk4_weno5",
                 "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -burgers_reconstruction weno5 "
                 "-burgers_closure_form coefficients -burgers_closure_stencil 6"},
        GradCase{"cn_weno5", "-ts_type cn -ts_dt 0.05 -burgers_reconstruction weno5"},
        GradCase{"theta_midpoint",
                 "-ts_type theta -ts_theta_theta 0.5 -ts_dt 0.05 -adjoint_memory checkpoint"}),
    [](const ::testing::TestParamInfo<GradCase>& i) { return std::string(i.param.name); });

TEST(BurgersGradient, ActivationCacheGivesTheSameGradient) {
  // Cached closure activations (store mode: whole run; checkpoint: per replayed
  // segment) against recomputation.
  for (const char* opts : {"-ts_type rk -ts_rk_type 4 -ts_dt 0.04 -adjoint_memory store",
                           "-ts_type rk -ts_rk_type 5dp -ts_dt 0.04 -adjoint_memory checkpoint "
                           "-adjoint_checkpoint_every 3",
                           "-ts_type rk -ts_rk_type 4 -ts_dt 0.04 -adjoint_memory disk "
                           "-burgers_closure_form coefficients "
                           "-burgers_closure_features normalized -burgers_closure_stencil 6"}) {
    std::vector<double> g[2];
    PetscInt hits[2];
    for (int c = 0; c < 2; ++c) {
      BurgersProblem p;
      UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD,
                             std::string(kBurgersBase) + opts + (c ? " -adjoint_cache_mb 0" : "")));
      std::vector<double> theta(p.params.begin(), p.params.end());
      PetscReal L;
      UDE_ASSERT_OK(p.Gradient(theta, &L, &g[c]));
      hits[c] = p.integrator->Stats().cache_hits;
    }
    EXPECT_GT(hits[0], 0) << opts << ": the cache was not used";
    EXPECT_EQ(hits[1], 0) << opts;
    double diff = 0, gmax = 0;
    for (size_t i = 0; i < g[0].size(); ++i) {
      diff = std::max(diff, std::abs(g[0][i] - g[1][i]));
      gmax = std::max(gmax, std::abs(g[1][i]));
    }
    // Same activations; only the placement of buffers (vectorized sums) may differ.
    EXPECT_LE(diff, 1e-14 * gmax) << opts;
  }
}

TEST(BurgersGradient, StoreModeMakesNoGlobalReductionPerStep) {
  // Store mode keeps every step's state and stages (PETSc's memory trajectory).  Each
  // copy used to be a DMDA vector duplicate, which builds a new layout with an
  // MPI_Allreduce: ~5-7 reductions a step, a latency cost that grows with the rank count.
  // The same gradient over twice the steps must make exactly as many reductions (PETSc's
  // counter, which counts only reductions between more than one rank).
  // Registered at 2 and 3 ranks only (MIN_NP): PETSc counts reductions between ranks.
  PetscLogDouble count[2];
  for (int c = 0; c < 2; ++c) {
    BurgersProblem p;
    UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD,
                           std::string(kBurgersBase) +
                               "-ts_type rk -ts_rk_type 4 -adjoint_memory "
                               "store -ts_dt " +
                               (c ? "0.025" : "0.05")));  // 20 or 40 steps
    std::vector<double> theta(p.params.begin(), p.params.end()), g;
    PetscReal L;
    UDE_ASSERT_OK(p.Gradient(theta, &L, &g));  // first: set-up
    const PetscLogDouble before = petsc_allreduce_ct;
    UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
    count[c] = petsc_allreduce_ct - before;
  }
  EXPECT_GT(count[0], 0) << "no reduction counted at all: is PETSc's counter live?";
  EXPECT_EQ(count[1], count[0]) << "reductions of a store-mode gradient over 20 and 40 steps";
}

TEST(BurgersGradient, MemoryModesAgreeToRoundOff) {
  for (const char* ts : {"-ts_type rk -ts_rk_type 4 -ts_dt 0.04", "-ts_type cn -ts_dt 0.05"}) {
    std::vector<std::vector<double>> grads;
    std::vector<double> losses;
    for (const char* mode : {"store", "checkpoint", "disk"}) {
      BurgersProblem p;
      UDE_ASSERT_OK(p.Create(
          PETSC_COMM_WORLD,
          std::string(kBurgersBase) + ts + " -adjoint_checkpoint_every 3 -adjoint_memory " + mode));
      std::vector<double> theta(p.params.begin(), p.params.end()), g;
      PetscReal L;
      UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
      grads.push_back(g);
      losses.push_back(L);
    }
    for (size_t m = 1; m < grads.size(); ++m) {
      double num = 0, den = 0;
      for (size_t i = 0; i < grads[0].size(); ++i) {
        num += (grads[m][i] - grads[0][i]) * (grads[m][i] - grads[0][i]);
        den += grads[0][i] * grads[0][i];
      }
      EXPECT_LT(std::sqrt(num / den), 1e-12) << ts << " mode " << m;
      EXPECT_EQ(losses[m], losses[0]);
    }
  }
}

}  // namespace
