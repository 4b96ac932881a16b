// Fisher-KPP universal PDE: the stencil closure alone (dot-product and exactness
// tests), every Jacobian product of the physics with both closures (dot-product tests,
// JVP vs central differences, assembled Jacobian vs JVP) in 1-D and 2-D, the exact
// discrete gradient through explicit (RK4) and implicit (Crank-Nicolson) integrators vs
// central finite differences, the consistency penalty's gradient, and the 2-D loss
// gradient (and the 1-D one) on 1, 2 and 3 ranks (<= 1e-10 relative).
#include <gtest/gtest.h>
#include <petscdmda.h>

#include <cmath>
#include <memory>
#include <numeric>

#include "pde/fisher_kpp.hpp"
#include "pde/stencil_closure.hpp"
#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/error.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/train/observers.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

std::vector<double> Direction(size_t n, uint64_t seed) {
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = 2 * Philox::Uniform(seed, i, 3) - 1;
  return d;
}

// Random values keyed by the natural (global) grid index: the same field on any number of ranks.
PetscErrorCode RandomVec(DM da, Vec v, uint64_t seed, double scale) {
  PetscFunctionBeginUser;
  PetscInt xs, ys, xm, ym, mx;
  PetscCall(DMDAGetCorners(da, &xs, &ys, nullptr, &xm, &ym, nullptr));
  PetscCall(DMDAGetInfo(da, nullptr, &mx, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                        nullptr, nullptr, nullptr, nullptr, nullptr));
  PetscScalar* a;
  PetscCall(VecGetArray(v, &a));
  for (PetscInt j = 0; j < ym; ++j)
    for (PetscInt i = 0; i < xm; ++i)
      a[j * xm + i] = scale * (2 * Philox::Uniform(seed, (ys + j) * mx + xs + i, 11) - 1);
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

const char* k1D =
    "-physics fisher_kpp -fisher_n 26 -fisher_diffusion 0.002 -fisher_rate 0.3 -fisher_ic_width "
    "0.05 "
    "-closure_type mlp -closure_hidden 10,20,10 -closure_seed 3 -stencil_closure_type stencil ";
const char* k2D =
    "-physics fisher_kpp -fisher_dim 2 -fisher_n 12 -fisher_dx 0.08 -fisher_diffusion 0.002 "
    "-fisher_rate 0.3 "
    "-fisher_ic_halfwidth 0.2 -fisher_ic_width 0.1 -fisher_stencil_scale_init 1.5 "
    "-closure_type mlp -closure_hidden 10,20,10 -closure_seed 3 -stencil_closure_type stencil ";

/// A Fisher-KPP model from an options string, synthetic data at K times, MSE misfit.
struct FisherProblem {
  std::unique_ptr<pde::Physics> physics;
  AlignedVector<double> params;  // the parameters the physics reads (initial after Create)
  std::unique_ptr<adjoint::Integrator> integrator;
  std::unique_ptr<train::DataMisfit> observer;
  std::vector<Vec> data;
  Vec u0 = nullptr;
  std::vector<PetscReal> times;

  PetscErrorCode Create(MPI_Comm comm, const std::string& opts, int K = 4,
                        PetscReal dt_obs = 0.25) {
    PetscFunctionBeginUser;
    ScopedOptions scoped(opts);
    PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "fisher_kpp", &physics));
    PetscCall(physics->SetUp());
    PetscCall(pde::BindInitialParams(*physics, &params));
    pde::Scenario sc;
    PetscCall(physics->MakeScenario(0, &sc));
    PetscCall(physics->SetScenario(sc));
    integrator = std::make_unique<adjoint::Integrator>(physics.get());
    PetscCall(integrator->SetFromOptions(nullptr));
    PetscCall(integrator->SetUp());
    PetscCall(DMCreateGlobalVector(physics->Grid(), &u0));
    PetscCall(physics->InitialCondition(u0));
    for (int k = 1; k <= K; ++k) {
      Vec d;
      PetscCall(VecDuplicate(u0, &d));
      PetscCall(RandomVec(physics->Grid(), d, 100 + k, 0.05));
      PetscCall(VecAXPBY(d, 1.0 - 0.05 * k, 1.0, u0));
      PetscCall(VecShift(d, 0.02 * k));
      data.push_back(d);
      times.push_back(dt_obs * k);
    }
    observer = std::make_unique<train::DataMisfit>(&data, 1.0, train::DataMisfit::Kind::kMse);
    PetscFunctionReturn(0);
  }
  ~FisherProblem() {
    observer.reset();
    for (Vec& d : data) VecDestroy(&d);
    VecDestroy(&u0);
  }
  PetscErrorCode Loss(const std::vector<double>& theta, PetscReal* loss) {
    PetscFunctionBeginUser;
    params.assign(theta.begin(), theta.end());
    PetscCall(physics->BindParams(params.data()));
    PetscCall(integrator->Forward(0.0, u0, times, observer.get(), loss));
    PetscFunctionReturn(0);
  }
  PetscErrorCode Gradient(const std::vector<double>& theta, PetscReal* loss,
                          std::vector<double>* g) {
    PetscFunctionBeginUser;
    g->assign(physics->NumParams(), 0.0);
    params.assign(theta.begin(), theta.end());
    PetscCall(physics->BindParams(params.data()));
    PetscCall(integrator->Gradient(0.0, u0, times, observer.get(), loss, g->data()));
    PetscFunctionReturn(0);
  }
};

// ---------------------------------------------------------------- stencil closure

TEST(StencilClosure, ProductsAreConsistentAndExact) {
  auto c = pde::ClosureRegistry().Create("stencil");
  ASSERT_TRUE(c);
  c->Configure(pde::ClosureConfig{}, 3, 1);
  EXPECT_THROW(c->Configure(pde::ClosureConfig{}, 5, 1), Error);
  ASSERT_EQ(c->NumParams(), 4);
  const double th[4] = {1.1, -2.5, 1.0, 6.5};
  c->Bind(th);
  const int n = 7;
  nn::Matrix x(3, n), xd(3, n), yb(1, n);
  for (int j = 0; j < n; ++j) {
    for (int m = 0; m < 3; ++m) {
      x(m, j) = Philox::Uniform(1, j, m);
      xd(m, j) = Philox::Uniform(2, j, m) - 0.5;
    }
    yb(0, j) = Philox::Uniform(3, j, 0) - 0.5;
  }
  pde::Closure::Tape tape;
  c->Forward(x, tape);
  for (int j = 0; j < n; ++j)
    EXPECT_NEAR(tape.Output()(0, j), 6.5 * (1.1 * x(0, j) - 2.5 * x(1, j) + 1.0 * x(2, j)), 1e-14);
  nn::Matrix yd, xb;
  std::vector<double> g(4, 0.0), thd = {0.3, -0.2, 0.7, -1.1};
  c->Jvp(tape, xd, &yd);
  c->Vjp(tape, yb, &xb, g.data());
  EXPECT_NEAR((yb.array() * yd.array()).sum(), (xb.array() * xd.array()).sum(), 1e-13)
      << "input dot-product test";
  c->ParamJvp(tape, thd.data(), &yd);
  EXPECT_NEAR((yb.array() * yd.array()).sum(), Dot(g, thd), 1e-13) << "parameter dot-product test";
  // The output is bilinear in (w, s): central differences are exact up to round-off.
  const double h = 1e-3;
  double tp[4], tm[4];
  for (int k = 0; k < 4; ++k) {
    tp[k] = th[k] + h * thd[k];
    tm[k] = th[k] - h * thd[k];
  }
  pde::Closure::Tape t2;
  c->Bind(tp);
  c->Forward(x, t2);
  nn::Matrix yp = t2.Output();
  c->Bind(tm);
  c->Forward(x, t2);
  nn::Matrix fd = (yp - t2.Output()) / (2 * h);
  EXPECT_LT((fd - yd).cwiseAbs().maxCoeff(), 1e-10);
}

// ---------------------------------------------------------------- physics products

class FisherJacobians : public ::testing::TestWithParam<const char*> {};

TEST_P(FisherJacobians, DotProductAndFiniteDifferenceTests) {
  FisherProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, GetParam()));
  pde::Physics& ph = *p.physics;
  const PetscInt P = ph.NumParams();
  ASSERT_EQ(P, 461 + 4);
  DM da = ph.Grid();
  Vec u, v, w, Jv, JTw, f1, f2, tmp;
  DMCreateGlobalVector(da, &u);
  for (Vec* x : {&v, &w, &Jv, &JTw, &f1, &f2, &tmp}) VecDuplicate(u, x);
  UDE_ASSERT_OK(RandomVec(da, u, 1, 0.2));
  VecAXPY(u, 1.0, p.u0);
  UDE_ASSERT_OK(RandomVec(da, v, 2, 1.0));
  UDE_ASSERT_OK(RandomVec(da, w, 3, 1.0));
  UDE_ASSERT_OK(ph.Linearize(0.3, u, false));
  // The time-step estimate at another state must leave the linearization point alone.
  PetscReal dt;
  UDE_ASSERT_OK(ph.StableTimeStep(p.u0, &dt));
  EXPECT_GT(dt, 0.0);
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  std::vector<double> g(P, 0.0), gsum(P);
  UDE_ASSERT_OK(ph.JacobianMultTranspose(w, JTw, g.data()));
  MPI_Allreduce(g.data(), gsum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  PetscScalar a, b;
  VecDot(w, Jv, &a);
  VecDot(JTw, v, &b);
  EXPECT_NEAR(a, b, 1e-12 * std::abs(a)) << "state dot-product test";
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
  // JVP against central differences of the RHS.
  const double h = 1e-6;
  VecWAXPY(tmp, h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.3, tmp, f1));
  VecWAXPY(tmp, -h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.3, tmp, f2));
  VecAXPY(f1, -1.0, f2);
  VecScale(f1, 1.0 / (2 * h));
  PetscReal nJ, nd;
  VecNorm(Jv, NORM_2, &nJ);
  VecAXPY(f1, -1.0, Jv);
  VecNorm(f1, NORM_2, &nd);
  EXPECT_LT(nd, 1e-7 * nJ) << "JVP vs finite differences";
  // Parameter JVP against central differences of the RHS in theta.
  std::vector<double> th(p.params.begin(), p.params.end()), tp(P), tm(P);
  for (PetscInt i = 0; i < P; ++i) {
    tp[i] = th[i] + h * thd[i];
    tm[i] = th[i] - h * thd[i];
  }
  UDE_ASSERT_OK(ph.BindParams(tp.data()));
  UDE_ASSERT_OK(ph.Rhs(0.3, u, f1));
  UDE_ASSERT_OK(ph.BindParams(tm.data()));
  UDE_ASSERT_OK(ph.Rhs(0.3, u, f2));
  UDE_ASSERT_OK(ph.BindParams(p.params.data()));
  VecAXPY(f1, -1.0, f2);
  VecScale(f1, 1.0 / (2 * h));
  UDE_ASSERT_OK(ph.ParamJacobianMult(thd.data(), tmp));
  VecNorm(tmp, NORM_2, &nJ);
  VecAXPY(f1, -1.0, tmp);
  VecNorm(f1, NORM_2, &nd);
  EXPECT_LT(nd, 1e-7 * nJ) << "parameter JVP vs finite differences";
  // Assembled a I + b J against the JVP.
  Mat A;
  UDE_ASSERT_OK(ph.CreateJacobian(&A));
  UDE_ASSERT_OK(ph.AssembleJacobian(2.0, -0.5, A));
  MatMult(A, v, tmp);
  VecAXPBYPCZ(tmp, -2.0, 0.5, 1.0, v, Jv);
  VecNorm(Jv, NORM_2, &nJ);
  VecNorm(tmp, NORM_2, &nd);
  EXPECT_LT(nd, 1e-12 * nJ) << "assembled Jacobian vs JVP";
  MatDestroy(&A);
  for (Vec* x : {&u, &v, &w, &Jv, &JTw, &f1, &f2, &tmp}) VecDestroy(x);
}

INSTANTIATE_TEST_SUITE_P(Grids, FisherJacobians, ::testing::Values(k1D, k2D));

// The truth (no closures) has exactly the Fisher-KPP right-hand side.
TEST(FisherTruth, RhsIsDiffusionPlusLogisticReaction) {
  FisherProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD,
                         "-physics fisher_kpp -fisher_n 26 -fisher_diffusion 0.01 -fisher_rate 1"));
  ASSERT_EQ(p.physics->NumParams(), 0);
  Vec f, all;
  VecScatter sc;
  VecDuplicate(p.u0, &f);
  UDE_ASSERT_OK(p.physics->Rhs(0, p.u0, f));
  VecScatterCreateToAll(f, &sc, &all);
  VecScatterBegin(sc, f, all, INSERT_VALUES, SCATTER_FORWARD);
  VecScatterEnd(sc, f, all, INSERT_VALUES, SCATTER_FORWARD);
  const PetscScalar* fa;
  VecGetArrayRead(all, &fa);
  const int n = 26;
  const double dx = 0.04;
  auto rho = [&](int i) {
    const double x = ((i + n) % n) * dx;
    return 0.5 * (std::tanh((x - 0.4) / 0.02) - std::tanh((x - 0.6) / 0.02));
  };
  for (int i = 0; i < n; ++i) {
    const double expect =
        0.01 * (rho(i - 1) - 2 * rho(i) + rho(i + 1)) / (dx * dx) + rho(i) * (1 - rho(i));
    EXPECT_NEAR(fa[i], expect, 1e-12) << "node " << i;
  }
  VecRestoreArrayRead(all, &fa);
  // Gershgorin: 4 D/dx^2 + max |r (1 - 2 rho)| = 25 + 1 (rho reaches 0), dt = 2 / 26.
  PetscReal dt;
  UDE_ASSERT_OK(p.physics->StableTimeStep(p.u0, &dt));
  EXPECT_NEAR(dt, 2.0 / 26.0, 1e-6);
  VecScatterDestroy(&sc);
  VecDestroy(&all);
  VecDestroy(&f);
}

// ---------------------------------------------------------------- gradient through the solver

struct GradCase {
  const char* name;
  std::string opts;
};

class FisherGradient : public ::testing::TestWithParam<GradCase> {};

TEST_P(FisherGradient, MatchesCentralFiniteDifferences) {
  FisherProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, GetParam().opts));
  const PetscInt P = p.physics->NumParams();
  std::vector<double> theta(p.params.begin(), p.params.end()), g;
  PetscReal L;
  UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
  PetscReal Lf;
  UDE_ASSERT_OK(p.Loss(theta, &Lf));
  EXPECT_NEAR(L, Lf, 1e-12 * L) << "Gradient() and Forward() losses differ";
  // Two random directions, the stencil parameters alone, and the gradient direction.
  for (uint64_t seed : {11u, 12u, 1u, 0u}) {
    std::vector<double> d = seed > 1    ? Direction(P, seed)
                            : seed == 0 ? g
                                        : std::vector<double>(P, 0.0);
    if (seed == 1)
      for (PetscInt i = P - 4; i < P; ++i) d[i] = 1.0 - 0.3 * (i - P + 4);
    const double h = 1e-5 / std::sqrt(Dot(d, d) / P);
    std::vector<double> tp(P), tm(P);
    for (PetscInt i = 0; i < P; ++i) {
      tp[i] = theta[i] + h * d[i];
      tm[i] = theta[i] - h * d[i];
    }
    PetscReal Lp, Lm;
    UDE_ASSERT_OK(p.Loss(tp, &Lp));
    UDE_ASSERT_OK(p.Loss(tm, &Lm));
    const double fd = (Lp - Lm) / (2 * h), ad = Dot(g, d);
    EXPECT_LT(RelDiff(fd, ad), 1e-6)
        << GetParam().name << " direction " << seed << ": fd " << fd << " adjoint " << ad;
  }
}

const std::string kCn =
    "-ts_type cn -ts_dt 0.05 -ksp_type preonly -pc_type lu -pc_factor_mat_solver_type mumps "
    "-snes_rtol 1e-14 "
    "-snes_atol 1e-14 -snes_stol 0 ";

INSTANTIATE_TEST_SUITE_P(
    Integrators, FisherGradient,
    ::testing::Values(
        GradCase{"1-D rk4", std::string(k1D) + "-ts_type rk -ts_rk_type 4 -ts_dt 0.025"},
        GradCase{"1-D rk3 checkpoint", std::string(k1D) + "-ts_type rk -ts_rk_type 3 -ts_dt 0.02 "
                                                          "-adjoint_memory checkpoint "
                                                          "-adjoint_checkpoint_every 4"},
        GradCase{"1-D cn", std::string(k1D) + kCn},
        GradCase{"2-D rk4", std::string(k2D) + "-ts_type rk -ts_rk_type 4 -ts_dt 0.025"},
        GradCase{"2-D beuler", std::string(k2D) +
                                   "-ts_type beuler -ts_dt 0.05 -ksp_type preonly -pc_type lu "
                                   "-pc_factor_mat_solver_type mumps -snes_rtol 1e-14 "
                                   "-snes_atol 1e-14 -snes_stol 0"}),
    [](const ::testing::TestParamInfo<GradCase>& i) {
      std::string s = i.param.name;
      for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return s;
    });

// ---------------------------------------------------------------- penalty

TEST(FisherPenalty, GradientMatchesFiniteDifferences) {
  struct Case {
    const char* opts;
    double weight, delta;
  };
  for (const Case& c : {Case{"", 100, 1e-3}, Case{"-fisher_penalty_delta 0 ", 100, 0},
                        Case{"-fisher_penalty 7 -fisher_penalty_delta 0.05 ", 7, 0.05}}) {
    const char* extra = c.opts;
    FisherProblem p;
    UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(k1D) + extra, 1));
    const PetscInt P = p.physics->NumParams();
    std::vector<double> theta(p.params.begin(), p.params.end());
    // w0 = [1.1, -2.5, 1.0]: sum -0.4, penalty weight * (sqrt(0.16 + delta^2) - delta).
    std::vector<double> g(P, 0.0);
    const double v = p.physics->ParamPenalty(theta.data(), g.data());
    EXPECT_NEAR(v, c.weight * (std::sqrt(0.16 + c.delta * c.delta) - c.delta), 1e-12 * v) << extra;
    for (PetscInt i = 0; i < P - 4; ++i) EXPECT_EQ(g[i], 0.0);
    EXPECT_EQ(g[P - 1], 0.0) << "the scale D0 is not penalised";
    for (uint64_t seed : {21u, 22u}) {
      std::vector<double> d = Direction(P, seed), tp = theta, tm = theta;
      const double h = 1e-6;
      for (PetscInt i = 0; i < P; ++i) {
        tp[i] += h * d[i];
        tm[i] -= h * d[i];
      }
      const double fd = (p.physics->ParamPenalty(tp.data(), nullptr) -
                         p.physics->ParamPenalty(tm.data(), nullptr)) /
                        (2 * h);
      EXPECT_LT(RelDiff(fd, Dot(g, d)), 1e-8) << extra << " direction " << seed;
    }
  }
}

// ---------------------------------------------------------------- ranks

TEST(FisherRanks, GradientAgreesOn1To3Ranks) {
  for (const std::string& opts :
       {std::string(k2D) + "-ts_type rk -ts_rk_type 4 -ts_dt 0.025", std::string(k2D) + kCn,
        std::string(k1D) + "-ts_type rk -ts_rk_type 4 -ts_dt 0.025"})
    ExpectSameGradientOnRanks<FisherProblem>(
        opts, opts.find("fisher_dim 2") != std::string::npos ? "2-D" : "1-D", 1e-10, 1e-12);
}

}  // namespace
