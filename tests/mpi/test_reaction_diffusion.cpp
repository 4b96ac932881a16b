// The tutorial physics reaction_diffusion (src/pde/reaction_diffusion.cpp,
// docs/new-physics.md): the truth's right-hand side and time-step bound against the
// formulas, every Jacobian product against central differences of the right-hand side
// and against each other by dot products, the assembled Jacobian against the product,
// the loss gradient through RK4 (stored and checkpointed adjoint) and Crank-Nicolson with
// respect to theta and u0 against central differences, and the same loss and gradient on
// 1, 2 and 3 ranks.  The physics is created by name from the registry, as the workflows do.
#include <gtest/gtest.h>
#include <petscdmda.h>

#include <cmath>
#include <memory>
#include <numeric>

#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/observers.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

// Every term of the model is on: diffusion, decay, logistic rate and an MLP source.
const std::string kModel =
    "-physics reaction_diffusion -rd_n 24 -rd_diffusion 0.005 -rd_decay 0.2 -rd_rate 0.5 "
    "-rd_ic_width 0.15 -closure_type mlp -closure_hidden 8,8 -closure_seed 3 ";
const std::string kRk4 = "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 ";
const std::string kCn =
    "-ts_type cn -ts_dt 0.05 -ksp_type preonly -pc_type lu -pc_factor_mat_solver_type mumps "
    "-snes_rtol 1e-14 -snes_atol 1e-14 -snes_stol 0 ";

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

std::vector<double> Direction(size_t n, uint64_t seed) {
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = 2 * Philox::Uniform(seed, i, 3) - 1;
  return d;
}

// Values keyed by the global cell index: the same field on any number of ranks.
PetscErrorCode RandomVec(DM da, Vec v, uint64_t seed, double scale) {
  PetscFunctionBeginUser;
  PetscInt xs, xm;
  PetscCall(DMDAGetCorners(da, &xs, nullptr, nullptr, &xm, nullptr, nullptr));
  PetscScalar* a;
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = 0; i < xm; ++i) a[i] = scale * (2 * Philox::Uniform(seed, xs + i, 11) - 1);
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

// All entries of v on every rank.
PetscErrorCode Gather(Vec v, std::vector<double>* out) {
  PetscFunctionBeginUser;
  VecScatter sc;
  Vec all;
  PetscCall(VecScatterCreateToAll(v, &sc, &all));
  PetscCall(VecScatterBegin(sc, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n;
  const PetscScalar* p;
  PetscCall(VecGetSize(all, &n));
  PetscCall(VecGetArrayRead(all, &p));
  out->assign(p, p + n);
  PetscCall(VecRestoreArrayRead(all, &p));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&all));
  PetscFunctionReturn(0);
}

/// The physics from an options string, its initial state, synthetic data at 4 times
/// (the initial state damped and perturbed), a mean-squared misfit.
struct RdProblem {
  std::unique_ptr<pde::Physics> physics;
  AlignedVector<double> params;  // the parameters the physics reads
  std::unique_ptr<adjoint::Integrator> integrator;
  std::unique_ptr<train::DataMisfit> observer;
  std::vector<Vec> data;
  Vec u0 = nullptr, u0p = nullptr, g0 = nullptr;
  std::vector<PetscReal> times;

  PetscErrorCode Create(MPI_Comm comm, const std::string& opts) {
    PetscFunctionBeginUser;
    ScopedOptions scoped(opts);
    PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "reaction_diffusion", &physics));
    PetscCall(physics->SetUp());
    PetscCall(pde::BindInitialParams(*physics, &params));
    integrator = std::make_unique<adjoint::Integrator>(physics.get());
    PetscCall(integrator->SetFromOptions(nullptr));
    PetscCall(integrator->SetUp());
    PetscCall(DMCreateGlobalVector(physics->Grid(), &u0));
    PetscCall(VecDuplicate(u0, &u0p));
    PetscCall(VecDuplicate(u0, &g0));
    PetscCall(physics->InitialCondition(u0));
    for (int k = 1; k <= 4; ++k) {
      Vec d;
      PetscCall(VecDuplicate(u0, &d));
      PetscCall(RandomVec(physics->Grid(), d, 100 + k, 0.05));
      PetscCall(VecAXPBY(d, 1.0 - 0.1 * k, 1.0, u0));
      data.push_back(d);
      times.push_back(0.25 * k);
    }
    observer = std::make_unique<train::DataMisfit>(&data, 1.0);
    PetscFunctionReturn(0);
  }
  ~RdProblem() {
    observer.reset();
    for (Vec& d : data) VecDestroy(&d);
    for (Vec* v : {&u0, &u0p, &g0}) VecDestroy(v);
  }
  /// The loss at theta from the initial state u0 + h e (e: nullptr for none).
  PetscErrorCode Loss(const std::vector<double>& theta, Vec e, double h, PetscReal* loss) {
    PetscFunctionBeginUser;
    params.assign(theta.begin(), theta.end());
    PetscCall(physics->BindParams(params.data()));
    PetscCall(VecCopy(u0, u0p));
    if (e) PetscCall(VecAXPY(u0p, h, e));
    PetscCall(integrator->Forward(0.0, u0p, times, observer.get(), loss));
    PetscFunctionReturn(0);
  }
  /// Loss, gradient with respect to theta and (in g0) with respect to u0.
  PetscErrorCode Gradient(const std::vector<double>& theta, PetscReal* loss,
                          std::vector<double>* g) {
    PetscFunctionBeginUser;
    g->assign(physics->NumParams(), 0.0);
    params.assign(theta.begin(), theta.end());
    PetscCall(physics->BindParams(params.data()));
    PetscCall(integrator->Gradient(0.0, u0, times, observer.get(), loss, g->data(), g0));
    PetscFunctionReturn(0);
  }
};

// ---------------------------------------------------------------- the truth

// No closure: f = D lap(u) - k u + r u (1 - u) exactly, on the bump A exp(-d^2 / w^2).
TEST(ReactionDiffusionTruth, RhsAndTimeStepMatchTheFormulas) {
  RdProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD,
                         "-physics reaction_diffusion -rd_n 20 -rd_length 2 -rd_diffusion 0.01 "
                         "-rd_decay 0.3 -rd_rate 1 -rd_ic_center 0.1 -closure_type none " +
                             kRk4));
  pde::Physics& ph = *p.physics;
  ASSERT_EQ(ph.NumParams(), 0);
  EXPECT_EQ(ph.GridSize(), std::vector<PetscInt>{20});
  EXPECT_EQ(ph.DomainLength(), std::vector<PetscReal>{2.0});
  Vec f;
  UDE_ASSERT_OK(VecDuplicate(p.u0, &f));
  UDE_ASSERT_OK(ph.Rhs(0, p.u0, f));
  std::vector<double> u, fa;
  UDE_ASSERT_OK(Gather(p.u0, &u));
  UDE_ASSERT_OK(Gather(f, &fa));
  const int n = 20;
  const double dx = 0.1;
  double reaction_slope = 0;
  for (int i = 0; i < n; ++i) {
    // Cell centre x = (i + 1/2) dx; the bump centred at 0.1 wraps around x = 2.
    const double x = (i + 0.5) * dx, d = std::min({std::abs(x - 0.1), std::abs(x - 2.1)});
    EXPECT_NEAR(u[i], 0.8 * std::exp(-d * d / 0.01), 1e-15) << "initial state, cell " << i;
    const double lap = (u[(i + n - 1) % n] - 2 * u[i] + u[(i + 1) % n]) / (dx * dx);
    EXPECT_NEAR(fa[i], 0.01 * lap - 0.3 * u[i] + u[i] * (1 - u[i]), 1e-13) << "cell " << i;
    reaction_slope = std::max(reaction_slope, std::abs(-0.3 + 1 - 2 * u[i]));
  }
  // Gershgorin: 4 D / dx^2 + max |-k + r (1 - 2u)|.
  PetscReal dt;
  UDE_ASSERT_OK(ph.StableTimeStep(p.u0, &dt));
  EXPECT_NEAR(dt, 2 / (4 * 0.01 / (dx * dx) + reaction_slope), 1e-14);
  UDE_ASSERT_OK(VecDestroy(&f));
}

// ---------------------------------------------------------------- Jacobian products

TEST(ReactionDiffusionJacobians, DotProductAndFiniteDifferenceTests) {
  RdProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, kModel + kRk4));
  pde::Physics& ph = *p.physics;
  const PetscInt P = ph.NumParams();
  ASSERT_EQ(P, (1 * 8 + 8) + (8 * 8 + 8) + (8 * 1 + 1));  // MLP 1-8-8-1
  DM da = ph.Grid();
  Vec u, v, w, Jv, JTw, f1, f2, tmp;
  UDE_ASSERT_OK(DMCreateGlobalVector(da, &u));
  for (Vec* x : {&v, &w, &Jv, &JTw, &f1, &f2, &tmp}) UDE_ASSERT_OK(VecDuplicate(u, x));
  UDE_ASSERT_OK(RandomVec(da, u, 1, 0.2));
  UDE_ASSERT_OK(VecAXPY(u, 1.0, p.u0));
  UDE_ASSERT_OK(RandomVec(da, v, 2, 1.0));
  UDE_ASSERT_OK(RandomVec(da, w, 3, 1.0));
  UDE_ASSERT_OK(ph.Linearize(0.3, u, false));
  PetscReal dt;  // a time-step estimate at another state leaves the linearization alone
  UDE_ASSERT_OK(ph.StableTimeStep(p.u0, &dt));
  EXPECT_GT(dt, 0.0);
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  // J v against central differences of f.
  const double h = 1e-6;
  PetscReal nJ, nd;
  UDE_ASSERT_OK(VecWAXPY(tmp, h, v, u));
  UDE_ASSERT_OK(ph.Rhs(0.3, tmp, f1));
  UDE_ASSERT_OK(VecWAXPY(tmp, -h, v, u));
  UDE_ASSERT_OK(ph.Rhs(0.3, tmp, f2));
  UDE_ASSERT_OK(VecAXPBY(f1, -1 / (2 * h), 1 / (2 * h), f2));
  UDE_ASSERT_OK(VecNorm(Jv, NORM_2, &nJ));
  UDE_ASSERT_OK(VecAXPY(f1, -1.0, Jv));
  UDE_ASSERT_OK(VecNorm(f1, NORM_2, &nd));
  EXPECT_LT(nd, 1e-7 * nJ) << "J v vs finite differences";
  // w . J v = (J^T w) . v, and the parameter products by dot products.
  std::vector<double> g(P, 0.0), g2(P, 0.0);
  UDE_ASSERT_OK(ph.JacobianMultTranspose(w, JTw, g.data()));
  UDE_ASSERT_OK(ph.ParamJacobianMultTranspose(w, g2.data()));
  MPI_Allreduce(MPI_IN_PLACE, g.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, g2.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  PetscScalar a, b;
  UDE_ASSERT_OK(VecDot(w, Jv, &a));
  UDE_ASSERT_OK(VecDot(JTw, v, &b));
  EXPECT_LT(RelDiff(a, b), 1e-13) << "state dot-product test";
  for (PetscInt i = 0; i < P; ++i) EXPECT_NEAR(g[i], g2[i], 1e-14 * (1 + std::abs(g2[i])));
  const std::vector<double> thd = Direction(P, 5);
  UDE_ASSERT_OK(ph.ParamJacobianMult(thd.data(), tmp));
  UDE_ASSERT_OK(VecDot(w, tmp, &a));
  EXPECT_LT(RelDiff(a, Dot(g, thd)), 1e-13) << "parameter dot-product test";
  // (df/dtheta) thd against central differences in theta.
  std::vector<double> th(p.params.begin(), p.params.end()), tp(th), tm(th);
  for (PetscInt i = 0; i < P; ++i) {
    tp[i] += h * thd[i];
    tm[i] -= h * thd[i];
  }
  UDE_ASSERT_OK(ph.BindParams(tp.data()));
  UDE_ASSERT_OK(ph.Rhs(0.3, u, f1));
  UDE_ASSERT_OK(ph.BindParams(tm.data()));
  UDE_ASSERT_OK(ph.Rhs(0.3, u, f2));
  UDE_ASSERT_OK(ph.BindParams(p.params.data()));
  UDE_ASSERT_OK(VecAXPBY(f1, -1 / (2 * h), 1 / (2 * h), f2));
  UDE_ASSERT_OK(VecNorm(tmp, NORM_2, &nJ));
  UDE_ASSERT_OK(VecAXPY(f1, -1.0, tmp));
  UDE_ASSERT_OK(VecNorm(f1, NORM_2, &nd));
  EXPECT_LT(nd, 1e-7 * nJ) << "(df/dtheta) thetadot vs finite differences";
  // The assembled a I + b J against the product.
  Mat A;
  UDE_ASSERT_OK(ph.CreateJacobian(&A));
  UDE_ASSERT_OK(ph.AssembleJacobian(2.0, -0.5, A));
  UDE_ASSERT_OK(MatMult(A, v, tmp));
  UDE_ASSERT_OK(VecAXPBYPCZ(tmp, -2.0, 0.5, 1.0, v, Jv));
  UDE_ASSERT_OK(VecNorm(Jv, NORM_2, &nJ));
  UDE_ASSERT_OK(VecNorm(tmp, NORM_2, &nd));
  EXPECT_LT(nd, 1e-13 * nJ) << "assembled Jacobian vs J v";
  UDE_ASSERT_OK(MatDestroy(&A));
  for (Vec* x : {&u, &v, &w, &Jv, &JTw, &f1, &f2, &tmp}) UDE_ASSERT_OK(VecDestroy(x));
}

// ---------------------------------------------------------------- the loss gradient

class ReactionDiffusionGradient : public ::testing::TestWithParam<std::string> {};

TEST_P(ReactionDiffusionGradient, MatchesCentralFiniteDifferences) {
  RdProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, kModel + GetParam()));
  const PetscInt P = p.physics->NumParams();
  std::vector<double> theta(p.params.begin(), p.params.end()), g;
  PetscReal L, Lp, Lm;
  UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
  ASSERT_GT(L, 0.0);
  // theta: two seeded random directions.
  for (uint64_t seed : {21u, 22u}) {
    const std::vector<double> d = Direction(P, seed);
    const double h = 1e-5;
    std::vector<double> tp(theta), tm(theta);
    for (PetscInt i = 0; i < P; ++i) {
      tp[i] += h * d[i];
      tm[i] -= h * d[i];
    }
    UDE_ASSERT_OK(p.Loss(tp, nullptr, 0, &Lp));
    UDE_ASSERT_OK(p.Loss(tm, nullptr, 0, &Lm));
    EXPECT_LT(RelDiff((Lp - Lm) / (2 * h), Dot(g, d)), 1e-6) << "theta direction " << seed;
  }
  // u0: two seeded random directions and the first and last cells (the periodic seam).
  Vec e;
  UDE_ASSERT_OK(VecDuplicate(p.u0, &e));
  for (int k = 0; k < 4; ++k) {
    if (k < 2) {
      UDE_ASSERT_OK(RandomVec(p.physics->Grid(), e, 31 + k, 1.0));
    } else {
      UDE_ASSERT_OK(VecZeroEntries(e));
      int rank;
      MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
      if (rank == 0) UDE_ASSERT_OK(VecSetValue(e, k == 2 ? 0 : 23, 1.0, INSERT_VALUES));
      UDE_ASSERT_OK(VecAssemblyBegin(e));
      UDE_ASSERT_OK(VecAssemblyEnd(e));
    }
    const double h = 1e-6;
    UDE_ASSERT_OK(p.Loss(theta, e, h, &Lp));
    UDE_ASSERT_OK(p.Loss(theta, e, -h, &Lm));
    PetscScalar ad;
    UDE_ASSERT_OK(VecDot(p.g0, e, &ad));
    EXPECT_LT(RelDiff((Lp - Lm) / (2 * h), ad), 1e-6) << "u0 direction " << k;
  }
  UDE_ASSERT_OK(VecDestroy(&e));
}

INSTANTIATE_TEST_SUITE_P(Schemes, ReactionDiffusionGradient,
                         ::testing::Values(kRk4, kRk4 + "-adjoint_memory checkpoint", kCn));

// ---------------------------------------------------------------- ranks

TEST(ReactionDiffusionRanks, SameLossAndGradientOn1To3Ranks) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  for (const std::string& scheme : {kRk4, kCn}) {
    std::vector<double> g1, gn;
    double L1, Ln;
    GradientOnRanks<RdProblem>(1, kModel + scheme, &g1, &L1);
    for (int n = 2; n <= size; ++n) {
      GradientOnRanks<RdProblem>(n, kModel + scheme, &gn, &Ln);
      ASSERT_EQ(g1.size(), gn.size());
      double num = 0, den = 0;
      for (size_t i = 0; i < g1.size(); ++i) {
        num += (gn[i] - g1[i]) * (gn[i] - g1[i]);
        den += g1[i] * g1[i];
      }
      PetscPrintf(PETSC_COMM_WORLD, "  %s: %d ranks vs 1: gradient rel. diff %.2e, loss %.2e\n",
                  scheme.c_str(), n, std::sqrt(num / den), RelDiff(L1, Ln));
      EXPECT_LT(std::sqrt(num / den), 1e-10) << n << " ranks vs 1";
      EXPECT_LT(RelDiff(L1, Ln), 1e-12) << n << " ranks: loss";
    }
  }
}

}  // namespace
