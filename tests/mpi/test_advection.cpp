// Advection with flux limiters: limiters stay in Sweby's TVD region, the scheme is TVD
// on a square wave (and downwind is not), dot-product and finite-difference tests of
// every Jacobian product, the exact solution, and the exact discrete gradient of the
// learned limiter through explicit and implicit time steppers against central
// differences.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "advection_fixture.hpp"
#include "udeflow/core/options.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

std::vector<double> Direction(size_t n, uint64_t seed) {
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = 2 * Philox::Uniform(seed, i, 3) - 1;
  return d;
}

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

// Total variation sum |u_{i+1} - u_i| (1-D) of a global vector.
double TotalVariation(Vec u) {
  Vec all;
  VecScatter sc;
  VecScatterCreateToAll(u, &sc, &all);
  VecScatterBegin(sc, u, all, INSERT_VALUES, SCATTER_FORWARD);
  VecScatterEnd(sc, u, all, INSERT_VALUES, SCATTER_FORWARD);
  PetscInt n;
  VecGetSize(all, &n);
  const PetscScalar* a;
  VecGetArrayRead(all, &a);
  double tv = 0;
  for (PetscInt i = 0; i < n; ++i) tv += std::abs(a[(i + 1) % n] - a[i]);
  VecRestoreArrayRead(all, &a);
  VecScatterDestroy(&sc);
  VecDestroy(&all);
  return tv;
}

// Records the total variation, maximum and minimum at every observation.
class TvObserver : public adjoint::Observer {
 public:
  PetscErrorCode Observe(PetscInt, PetscReal, Vec u, PetscReal*, Vec) override {
    tv.push_back(TotalVariation(u));
    PetscReal hi, lo;
    VecMax(u, nullptr, &hi);
    VecMin(u, nullptr, &lo);
    max = std::max(max, hi);
    min = std::min(min, lo);
    return 0;
  }
  std::vector<double> tv;
  double max = -INFINITY, min = INFINITY;
};

const pde::Limiter kFixed[] = {pde::Limiter::kMinmod, pde::Limiter::kSuperbee,
                               pde::Limiter::kVanLeer, pde::Limiter::kMC};

}  // namespace

TEST(Limiters, StayInTheTvdRegionWithExactBranchDerivatives) {
  for (pde::Limiter l : kFixed) {
    double d;
    EXPECT_DOUBLE_EQ(pde::LimiterPhi(l, 1.0, &d), 1.0)
        << pde::LimiterName(l) << ": second order needs phi(1) = 1";
    for (int i = 0; i <= 4000; ++i) {
      const double r = -3 + 13.0 * i / 4000 + 1e-7;  // never exactly on a kink
      const double phi = pde::LimiterPhi(l, r, &d);
      if (r <= 0) {
        EXPECT_EQ(phi, 0.0) << pde::LimiterName(l) << " r " << r;
        continue;
      }
      EXPECT_GE(phi, 0.0) << pde::LimiterName(l) << " r " << r;
      EXPECT_LE(phi, std::min(2 * r, 2.0) + 1e-15)
          << pde::LimiterName(l) << " leaves Sweby's region at r " << r;
      double dm, dp;
      const double h = 1e-8,
                   fd = (pde::LimiterPhi(l, r + h, &dm) - pde::LimiterPhi(l, r - h, &dp)) / (2 * h);
      EXPECT_NEAR(fd, d, 1e-6) << pde::LimiterName(l) << " derivative at r " << r;
    }
  }
}

class LearnedLimiter : public ::testing::TestWithParam<std::pair<const char*, double>> {};

TEST_P(LearnedLimiter, LiesBetweenMinmodAndSuperbee) {
  AdvectionProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kAdvectionLearned) +
                                               "-advection_n 16 -closure_init_scale 5 " +
                                               GetParam().first));
  auto* adv = dynamic_cast<pde::Advection*>(p.physics.get());
  ASSERT_NE(adv, nullptr);
  const double q = GetParam().second;
  std::vector<double> r, phi, dphi;
  for (int i = 0; i <= 2000; ++i) r.push_back(-2 + 12.0 * i / 2000 + 1.3e-7);
  UDE_ASSERT_OK(adv->LearnedPhi(r, &phi, &dphi, q));
  double spread = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    double d;
    const double mm = pde::LimiterPhi(pde::Limiter::kMinmod, r[i], &d),
                 sb = pde::LimiterPhi(pde::Limiter::kSuperbee, r[i], &d);
    EXPECT_GE(phi[i], mm - 1e-15) << "r " << r[i];
    EXPECT_LE(phi[i], sb + 1e-15) << "r " << r[i];
    EXPECT_LE(phi[i], std::min(std::max(2 * r[i], 0.0), 2.0) + 1e-15);
    if (sb > mm) spread = std::max(spread, std::min(phi[i] - mm, sb - phi[i]) / (sb - mm));
    // Branch derivative against central differences.
    std::vector<double> rr = {r[i] - 1e-7, r[i] + 1e-7}, pp, dd;
    UDE_ASSERT_OK(adv->LearnedPhi(rr, &pp, &dd, q));
    EXPECT_NEAR((pp[1] - pp[0]) / 2e-7, dphi[i], 2e-5) << "r " << r[i];
  }
  EXPECT_GT(spread, 0.01) << "the network should move phi strictly inside the band";
}

INSTANTIATE_TEST_SUITE_P(
    Features, LearnedLimiter,
    ::testing::Values(std::make_pair("", 1.0),
                      std::make_pair("-advection_learned_features r_jump", 0.02),
                      std::make_pair("-advection_learned_features r_jump", 0.5)));

TEST(Advection, ExactSolutionIsCellAveragedAndShifted) {
  // The exact solution on 2n cells averaged pairwise is the exact solution on n cells;
  // after one period the solution returns.
  for (const char* opts :
       {"-advection_n 40",
        "-advection_dim 2 -advection_n 20 -advection_ny 12 -advection_velocity 1,-0.5"}) {
    AdvectionProblem c, f;
    const std::string base = std::string("-advection_limiter minmod ") + opts;
    UDE_ASSERT_OK(c.Create(PETSC_COMM_SELF, base));
    auto* adv = dynamic_cast<pde::Advection*>(c.physics.get());
    const int dim = adv->Dim();
    std::string fine = dim == 1 ? "-advection_limiter minmod -advection_n 80"
                                : "-advection_limiter minmod -advection_dim 2 -advection_n 40 "
                                  "-advection_ny 24 -advection_velocity 1,-0.5";
    UDE_ASSERT_OK(f.Create(PETSC_COMM_SELF, fine));
    Vec uc, uf;
    VecDuplicate(c.u0, &uc);
    VecDuplicate(f.u0, &uf);
    bool ok;
    UDE_ASSERT_OK(c.physics->ExactSolution(0.37, uc, &ok));
    UDE_ASSERT_OK(f.physics->ExactSolution(0.37, uf, &ok));
    const PetscScalar *a, *b;
    VecGetArrayRead(uc, &a);
    VecGetArrayRead(uf, &b);
    const auto g = c.physics->GridSize();
    const PetscInt nx = g[0], ny = dim == 2 ? g[1] : 1;
    double worst = 0;
    for (PetscInt j = 0; j < ny; ++j)
      for (PetscInt i = 0; i < nx; ++i) {
        double s = 0;
        for (int qy = 0; qy < (dim == 2 ? 2 : 1); ++qy)
          for (int qx = 0; qx < 2; ++qx)
            s += b[(dim == 2 ? (2 * j + qy) * 2 * nx : 0) + 2 * i + qx];
        worst = std::max(worst, std::abs(s / (dim == 2 ? 4 : 2) - a[j * nx + i]));
      }
    EXPECT_LT(worst, 1e-13) << opts;
    VecRestoreArrayRead(uc, &a);
    VecRestoreArrayRead(uf, &b);
    UDE_ASSERT_OK(c.physics->ExactSolution(dim == 1 ? 1.0 : 2.0, uc,
                                           &ok));  // one period (L = 1, |a| = 1, |b| = 0.5)
    VecAXPY(uc, -1.0, c.u0);
    PetscReal e, n0;
    VecNorm(uc, NORM_INFINITY, &e);
    VecNorm(c.u0, NORM_INFINITY, &n0);
    EXPECT_LT(e, 1e-12 * n0) << opts;
    VecDestroy(&uc);
    VecDestroy(&uf);
  }
}

TEST(Advection, FixedLimitersAreTvdOnASquareWaveAndDownwindIsNot) {
  // Heun (SSP RK2) at Courant number 0.4 <= 0.5: total variation never increases.
  for (const char* lim : {"upwind", "minmod", "superbee", "vanleer", "mc", "learned", "downwind"}) {
    AdvectionProblem p;
    UDE_ASSERT_OK(p.Create(
        PETSC_COMM_WORLD,
        std::string(
            "-advection_n 64 -advection_ic_kinds square -advection_ic_components 2 "
            "-closure_init_scale 3 -ts_type rk -ts_rk_type 2a -ts_dt 0.00625 -advection_limiter ") +
            lim));
    TvObserver obs;
    std::vector<PetscReal> times;
    const int steps = std::string(lim) == "downwind" ? 12 : 48;     // downwind: before it overflows
    for (int k = 1; k <= steps; ++k) times.push_back(0.00625 * k);  // every step
    PetscReal L;
    UDE_ASSERT_OK(p.integrator->Forward(0.0, p.u0, times, &obs, &L));
    const std::vector<double>& tv = obs.tv;
    const double tv0 = TotalVariation(p.u0);
    double worst = 0, prev = tv0;
    for (double v : tv) {
      worst = std::max(worst, v - prev);
      prev = v;
    }
    if (std::string(lim) == "downwind") {
      EXPECT_GT(tv.back(), 2 * tv0) << "downwind differencing should increase the total variation";
    } else {
      EXPECT_LE(worst, 1e-12 * tv0) << lim << ": total variation increased";
      EXPECT_LT(tv.back(), tv0) << lim << ": a limiter dissipates at the jumps";
    }
  }
}

// The learned wide-stencil face value is clipped into monotonicity-preserving bounds
// (alpha 1.5, Courant number 0.4 = 1/(1 + alpha)), whatever the weights (initial scales 3
// and 30: corrections far outside the bounds).  The bounds are Suresh & Huynh's: monotone
// data stay monotone, smooth extrema are kept, but they are not TVD: on sums of square
// waves MP5 itself (no network) undershoots by 0.060 (jumps ~1) with total variation up
// to 2.75e-2 above the initial one; measured with the network 0.065 / 2.99e-2 (scale 3),
// 0.029 / 1.34e-2 (scale 30); smooth shapes: growth <= 1.2e-3, no undershoot.  The test
// holds them to 5e-2 growth and 0.1 undershoot (no instability, however wild the network).
TEST(Advection, LearnedStencilIsMonotoneForAnyWeights) {
  for (const char* shapes : {"square", "gaussian,sine"})
    for (const char* o : {"-advection_limiter mp5",
                          "-advection_limiter learned_stencil "
                          "-closure_init_scale 3",
                          "-advection_limiter learned_stencil -closure_init_scale 30"}) {
      AdvectionProblem p;
      UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string("-advection_n 64 -advection_ic_kinds ") +
                                                   shapes +
                                                   " -advection_ic_components 3 -ts_type rk "
                                                   "-ts_rk_type 2a -ts_dt 0.00625 " +
                                                   o));
      TvObserver obs;
      std::vector<PetscReal> times;
      for (int k = 1; k <= 160; ++k) times.push_back(0.00625 * k);  // every step, one period
      PetscReal L;
      UDE_ASSERT_OK(p.integrator->Forward(0.0, p.u0, times, &obs, &L));
      const double tv0 = TotalVariation(p.u0);
      double worst = 0, prev = tv0, growth = 0;
      for (double v : obs.tv) {
        worst = std::max(worst, v - prev);
        growth = std::max(growth, v / tv0 - 1);
        prev = v;
      }
      PetscReal hi0, lo0;
      VecMax(p.u0, nullptr, &hi0);
      VecMin(p.u0, nullptr, &lo0);
      PetscPrintf(PETSC_COMM_WORLD,
                  "  %s, %s: largest TV increase per step %.2e, growth %.2e, max %.4f -> %.4f, "
                  "min %.4f -> %.4f\n",
                  shapes, o, worst / tv0, growth, hi0, obs.max, lo0, obs.min);
      EXPECT_LE(growth, 5e-2) << shapes << ", " << o;
      EXPECT_GE(obs.min, lo0 - 0.1) << shapes << ", " << o;
      EXPECT_LE(obs.max, hi0 + 0.1) << shapes << ", " << o;
    }
}

struct JacCase {
  const char* name;
  const char* opts;
  double fd_step = 1e-5;  // relative step of the gradient's central differences
};

class AdvectionJacobians : public ::testing::TestWithParam<JacCase> {};

TEST_P(AdvectionJacobians, DotProductAndFiniteDifferenceTests) {
  AdvectionProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kAdvectionLearned) + GetParam().opts));
  pde::Physics& ph = *p.physics;
  const PetscInt P = ph.NumParams();
  Vec u, v, w, Jv, JTw, f1, f2, tmp;
  DMCreateGlobalVector(ph.Grid(), &u);
  for (Vec* x : {&v, &w, &Jv, &JTw, &f1, &f2, &tmp}) VecDuplicate(u, x);
  UDE_ASSERT_OK(RandomVec(u, 1));
  VecAXPY(u, 1.0, p.u0);
  UDE_ASSERT_OK(RandomVec(v, 2));
  UDE_ASSERT_OK(RandomVec(w, 3));
  UDE_ASSERT_OK(ph.Linearize(0.1, u, false));
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  std::vector<double> g(P, 0.0), gsum(P, 0.0);
  UDE_ASSERT_OK(ph.JacobianMultTranspose(w, JTw, g.data()));
  if (P) MPI_Allreduce(g.data(), gsum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  PetscScalar a, b;
  VecDot(w, Jv, &a);
  VecDot(JTw, v, &b);
  EXPECT_NEAR(a, b, 1e-12 * std::abs(a)) << "state dot-product test";
  if (P) {
    std::vector<double> thd = Direction(P, 5);
    UDE_ASSERT_OK(ph.ParamJacobianMult(thd.data(), tmp));
    VecDot(w, tmp, &a);
    EXPECT_NEAR(a, Dot(gsum, thd), 1e-12 * std::abs(a)) << "parameter dot-product test";
    std::vector<double> g2(P, 0.0), g2sum(P);
    UDE_ASSERT_OK(ph.ParamJacobianMultTranspose(w, g2.data()));
    MPI_Allreduce(g2.data(), g2sum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
    for (PetscInt i = 0; i < P; ++i)
      EXPECT_NEAR(g2sum[i], gsum[i], 1e-13 * (std::abs(gsum[i]) + 1e-300));
    // Parameter JVP against central differences of the RHS in theta.
    std::vector<double> th(p.params.begin(), p.params.end()), tp(P), tm(P);
    const double h = 1e-6;
    for (PetscInt i = 0; i < P; ++i) tp[i] = th[i] + h * thd[i], tm[i] = th[i] - h * thd[i];
    UDE_ASSERT_OK(ph.BindParams(tp.data()));
    UDE_ASSERT_OK(ph.Rhs(0.1, u, f1));
    UDE_ASSERT_OK(ph.BindParams(tm.data()));
    UDE_ASSERT_OK(ph.Rhs(0.1, u, f2));
    UDE_ASSERT_OK(ph.BindParams(p.params.data()));
    VecAXPY(f1, -1.0, f2);
    VecScale(f1, 1 / (2 * h));
    UDE_ASSERT_OK(ph.Linearize(0.1, u, false));
    UDE_ASSERT_OK(ph.ParamJacobianMult(thd.data(), tmp));
    PetscReal nt, nd;
    VecNorm(tmp, NORM_2, &nt);
    VecAXPY(f1, -1.0, tmp);
    VecNorm(f1, NORM_2, &nd);
    EXPECT_LT(nd, 1e-6 * nt) << "parameter JVP vs finite differences";
  }
  // State JVP against central differences of the RHS.
  const double h = 1e-7;
  VecWAXPY(tmp, h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.1, tmp, f1));
  VecWAXPY(tmp, -h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.1, tmp, f2));
  VecAXPY(f1, -1.0, f2);
  VecScale(f1, 1.0 / (2 * h));
  UDE_ASSERT_OK(ph.Linearize(0.1, u, false));
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  PetscReal nJ, nd;
  VecNorm(Jv, NORM_2, &nJ);
  VecAXPY(f1, -1.0, Jv);
  VecNorm(f1, NORM_2, &nd);
  EXPECT_LT(nd, 1e-6 * nJ) << "JVP vs finite differences";
  // Assembled a I + b J against the JVP.
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
    Limiters, AdvectionJacobians,
    ::testing::Values(
        JacCase{"learned_1d", "-advection_n 48"},
        JacCase{"learned_1d_negative_velocity", "-advection_n 48 -advection_velocity -0.7"},
        JacCase{"learned_jump_1d",
                "-advection_n 48 -advection_learned_features r_jump -advection_jump_scale 0.3"},
        JacCase{"learned_jump_2d",
                "-advection_dim 2 -advection_n 12 -advection_velocity -1,0.5 "
                "-advection_learned_features r_jump -advection_jump_scale 0.2"},
        JacCase{"learned_2d",
                "-advection_dim 2 -advection_n 12 -advection_ny 10 -advection_velocity 0.8,-0.6"},
        JacCase{"minmod_2d", "-advection_dim 2 -advection_n 12 -advection_limiter minmod"},
        JacCase{"superbee", "-advection_n 48 -advection_limiter superbee"},
        JacCase{"vanleer", "-advection_n 48 -advection_limiter vanleer -advection_velocity -1"},
        JacCase{"mc", "-advection_n 48 -advection_limiter mc"},
        JacCase{"upwind", "-advection_n 48 -advection_limiter upwind"},
        JacCase{"learned_stencil_1d", "-advection_n 48 -advection_limiter learned_stencil"},
        JacCase{"learned_stencil_1d_negative_velocity",
                "-advection_n 48 -advection_limiter learned_stencil -advection_velocity -0.7 "
                "-advection_stencil_features normalized"},
        JacCase{"learned_stencil_2d",
                "-advection_dim 2 -advection_n 12 -advection_ny 10 -advection_velocity 0.8,-0.6 "
                "-advection_limiter learned_stencil"},
        JacCase{"mp5", "-advection_n 48 -advection_limiter mp5 -advection_mp_alpha 4"},
        JacCase{"weno5_2d", "-advection_dim 2 -advection_n 12 -advection_limiter weno5"},
        JacCase{"downwind", "-advection_n 48 -advection_limiter downwind"}),
    [](const ::testing::TestParamInfo<JacCase>& i) { return std::string(i.param.name); });

class AdvectionGradient : public ::testing::TestWithParam<JacCase> {};

TEST_P(AdvectionGradient, LearnedLimiterMatchesCentralFiniteDifferences) {
  AdvectionProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kAdvectionLearned) + GetParam().opts));
  const PetscInt P = p.physics->NumParams();
  ASSERT_GT(P, 0);
  std::vector<double> theta(p.params.begin(), p.params.end()), g;
  PetscReal L;
  UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
  PetscReal Lf;
  UDE_ASSERT_OK(p.Loss(theta, &Lf));
  EXPECT_NEAR(L, Lf, 1e-13 * L);
  for (uint64_t seed : {11u, 0u}) {
    std::vector<double> d = seed ? Direction(P, seed) : g;
    const double h = GetParam().fd_step / std::sqrt(Dot(d, d) / P);
    std::vector<double> tp(P), tm(P);
    for (PetscInt i = 0; i < P; ++i) tp[i] = theta[i] + h * d[i], tm[i] = theta[i] - h * d[i];
    PetscReal Lp, Lm;
    UDE_ASSERT_OK(p.Loss(tp, &Lp));
    UDE_ASSERT_OK(p.Loss(tm, &Lm));
    const double fd = (Lp - Lm) / (2 * h), ad = Dot(g, d);
    EXPECT_LT(RelDiff(fd, ad), 1e-6)
        << GetParam().name << " direction " << seed << ": fd " << fd << " adjoint " << ad;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Steppers, AdvectionGradient,
    ::testing::Values(
        JacCase{"rk4_store_1d", "-advection_n 48 -ts_type rk -ts_rk_type 4 -ts_dt 0.005"},
        JacCase{"rk4_checkpoint_1d",
                "-advection_n 48 -ts_type rk -ts_rk_type 4 -ts_dt 0.005 "
                "-adjoint_memory checkpoint -adjoint_checkpoint_every 4"},
        JacCase{"rk2a_1d_negative_velocity",
                "-advection_n 48 -advection_velocity -1 -ts_type rk -ts_rk_type 2a -ts_dt 0.005"},
        JacCase{"cn_1d", "-advection_n 48 -ts_type cn -ts_dt 0.005"},
        JacCase{"rk4_jump_feature_1d",
                "-advection_n 48 -advection_learned_features r_jump -advection_jump_scale 0.3 "
                "-ts_type rk -ts_rk_type 4 -ts_dt 0.005 -adjoint_memory checkpoint"},
        JacCase{"cn_jump_feature_2d",
                "-advection_dim 2 -advection_n 12 -advection_learned_features r_jump "
                "-advection_jump_scale 0.2 -ts_type cn -ts_dt 0.01"},
        JacCase{"beuler_1d_checkpoint",
                "-advection_n 48 -ts_type beuler -ts_dt 0.005 -adjoint_memory checkpoint"},
        JacCase{"rk4_2d",
                "-advection_dim 2 -advection_n 16 -advection_ny 12 -advection_velocity 1,-0.5 "
                "-ts_type rk -ts_rk_type 4 -ts_dt 0.01"},
        JacCase{"cn_2d_disk",
                "-advection_dim 2 -advection_n 12 -ts_type cn -ts_dt 0.01 -adjoint_memory disk"},
        // learned_stencil: the clip into the monotonicity bounds compares many stencil
        // quantities, so over a trajectory some face sits within 1e-5 of a switch of branch
        // (a kink) and central differences with that step straddle it; 1e-7 does not.
        JacCase{"stencil_rk2a_1d",
                "-advection_n 48 -advection_limiter learned_stencil -ts_type rk -ts_rk_type 2a "
                "-ts_dt 0.005",
                1e-7},
        JacCase{"stencil_rk4_checkpoint_1d_negative_velocity",
                "-advection_n 48 -advection_limiter learned_stencil -advection_velocity -1 "
                "-ts_type rk -ts_rk_type 4 -ts_dt 0.005 -adjoint_memory checkpoint",
                1e-7},
        JacCase{"stencil_cn_2d",
                "-advection_dim 2 -advection_n 12 -advection_limiter learned_stencil -ts_type cn "
                "-ts_dt 0.01",
                1e-7}),
    [](const ::testing::TestParamInfo<JacCase>& i) { return std::string(i.param.name); });
