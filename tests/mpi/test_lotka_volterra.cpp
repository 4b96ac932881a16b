// Lotka-Volterra ODE physics (state on one rank of a DMREDUNDANT) and the trainer's
// shooting strategies: Jacobian products against finite differences and dot-product
// tests, the loss gradient through RK4 and CN against central differences (theta and
// u0), multiple-shooting gradients with respect to theta and every node state, batches
// as sums/means of per-trajectory terms, the same loss with ensemble groups.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "pde/lotka_volterra.hpp"
#include "test_util.hpp"
#include "trainer_fixture.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/train/observers.hpp"
#include "udeflow/train/trainer.hpp"
#include "udeflow/workflow/case.hpp"
#include "udeflow/workflow/generate.hpp"

using namespace udeflow;
using test::RelDiff;
using udeflow::test::Dot;

namespace {

const std::string kModel =
    "-physics lotka_volterra -closure_type mlp -closure_hidden 6,6 -closure_init_scale 0.8 "
    "-closure_seed 3 ";

std::vector<double> Direction(size_t n, uint64_t seed) {
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) {
    double a, b;
    Philox::Normal2(seed, i, 7, &a, &b);
    d[i] = a;
  }
  return d;
}

PetscErrorCode SetVec(Vec v, const std::vector<double>& a) {
  PetscFunctionBeginUser;
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscScalar* p;
  PetscCall(VecGetArray(v, &p));
  for (PetscInt i = lo; i < hi; ++i) p[i - lo] = a[i];
  PetscCall(VecRestoreArray(v, &p));
  PetscFunctionReturn(0);
}

PetscErrorCode GetVec(Vec v, std::vector<double>* a) {
  PetscFunctionBeginUser;
  VecScatter sc;
  Vec all;
  PetscCall(VecScatterCreateToAll(v, &sc, &all));
  PetscCall(VecScatterBegin(sc, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, v, all, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt n;
  PetscCall(VecGetSize(all, &n));
  const PetscScalar* p;
  PetscCall(VecGetArrayRead(all, &p));
  a->assign(p, p + n);
  PetscCall(VecRestoreArrayRead(all, &p));
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&all));
  PetscFunctionReturn(0);
}

}  // namespace

TEST(LotkaVolterraPhysics, StateLivesOnRankZeroAndTruthIsExact) {
  test::ScopedOptions o("-physics lotka_volterra -lv_interactions");
  std::unique_ptr<pde::Physics> p;
  UDE_ASSERT_OK(pde::PhysicsCreateFromOptions(PETSC_COMM_WORLD, nullptr, "lotka_volterra", &p));
  UDE_ASSERT_OK(p->SetUp());
  AlignedVector<double> params;  // the parameters p reads (initial)
  UDE_ASSERT_OK(pde::BindInitialParams(*p, &params));
  Vec u, f;
  UDE_ASSERT_OK(DMCreateGlobalVector(p->Grid(), &u));
  UDE_ASSERT_OK(VecDuplicate(u, &f));
  PetscInt n, nl;
  UDE_ASSERT_OK(VecGetSize(u, &n));
  UDE_ASSERT_OK(VecGetLocalSize(u, &nl));
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(nl, rank == 0 ? 2 : 0);
  UDE_ASSERT_OK(SetVec(u, {2.0, 3.0}));
  UDE_ASSERT_OK(p->Rhs(0, u, f));
  std::vector<double> fa;
  UDE_ASSERT_OK(GetVec(f, &fa));
  EXPECT_NEAR(fa[0], 1.3 * 2 - 0.9 * 6, 1e-15);
  EXPECT_NEAR(fa[1], 0.8 * 6 - 1.8 * 3, 1e-15);
  UDE_ASSERT_OK(VecDestroy(&u));
  UDE_ASSERT_OK(VecDestroy(&f));
}

TEST(LotkaVolterraPhysics, JacobiansMatchFiniteDifferencesAndTransposes) {
  test::ScopedOptions o(kModel);
  std::unique_ptr<pde::Physics> p;
  UDE_ASSERT_OK(pde::PhysicsCreateFromOptions(PETSC_COMM_WORLD, nullptr, "lotka_volterra", &p));
  UDE_ASSERT_OK(p->SetUp());
  AlignedVector<double> params;  // the parameters p reads (initial)
  UDE_ASSERT_OK(pde::BindInitialParams(*p, &params));
  const PetscInt P = p->NumParams();
  Vec u, v, w, a, b, up, um, fp, fm;
  UDE_ASSERT_OK(DMCreateGlobalVector(p->Grid(), &u));
  for (Vec* x : {&v, &w, &a, &b, &up, &um, &fp, &fm}) UDE_ASSERT_OK(VecDuplicate(u, x));
  const std::vector<double> u0 = {0.7, 2.3}, vd = {0.3, -1.1}, wd = {-0.4, 0.9};
  UDE_ASSERT_OK(SetVec(u, u0));
  UDE_ASSERT_OK(SetVec(v, vd));
  UDE_ASSERT_OK(SetVec(w, wd));
  UDE_ASSERT_OK(p->Linearize(0, u, false));
  // J v against central differences of f.
  const double h = 1e-6;
  UDE_ASSERT_OK(SetVec(up, {u0[0] + h * vd[0], u0[1] + h * vd[1]}));
  UDE_ASSERT_OK(SetVec(um, {u0[0] - h * vd[0], u0[1] - h * vd[1]}));
  UDE_ASSERT_OK(p->Rhs(0, up, fp));
  UDE_ASSERT_OK(p->Rhs(0, um, fm));
  UDE_ASSERT_OK(p->JacobianMult(v, a));
  std::vector<double> Jv, fpa, fma;
  UDE_ASSERT_OK(GetVec(a, &Jv));
  UDE_ASSERT_OK(GetVec(fp, &fpa));
  UDE_ASSERT_OK(GetVec(fm, &fma));
  for (int i = 0; i < 2; ++i)
    EXPECT_LT(RelDiff(Jv[i], (fpa[i] - fma[i]) / (2 * h)), 1e-7) << "component " << i;
  // w . J v == (J^T w) . v, and the parameter products.
  std::vector<double> gtheta(P, 0.0), JTw;
  UDE_ASSERT_OK(p->JacobianMultTranspose(w, b, gtheta.data()));
  UDE_ASSERT_OK(GetVec(b, &JTw));
  EXPECT_LT(RelDiff(Dot(wd, Jv), Dot(JTw, vd)), 1e-13);
  MPI_Allreduce(MPI_IN_PLACE, gtheta.data(), (int)P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  std::vector<double> g2(P, 0.0);
  UDE_ASSERT_OK(p->ParamJacobianMultTranspose(w, g2.data()));
  MPI_Allreduce(MPI_IN_PLACE, g2.data(), (int)P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  for (PetscInt i = 0; i < P; ++i) EXPECT_NEAR(gtheta[i], g2[i], 1e-14 * (1 + std::abs(g2[i])));
  const auto td = Direction(P, 5);
  UDE_ASSERT_OK(p->ParamJacobianMult(td.data(), a));
  std::vector<double> Jt;
  UDE_ASSERT_OK(GetVec(a, &Jt));
  EXPECT_LT(RelDiff(Dot(wd, Jt), Dot(gtheta, td)), 1e-13);
  // (df/dtheta) td against central differences in theta.
  std::vector<double> th(params.begin(), params.end()), tp(P), tm(P);
  for (PetscInt i = 0; i < P; ++i) {
    tp[i] = th[i] + h * td[i];
    tm[i] = th[i] - h * td[i];
  }
  UDE_ASSERT_OK(p->BindParams(tp.data()));
  UDE_ASSERT_OK(p->Rhs(0, u, fp));
  UDE_ASSERT_OK(p->BindParams(tm.data()));
  UDE_ASSERT_OK(p->Rhs(0, u, fm));
  UDE_ASSERT_OK(p->BindParams(params.data()));
  UDE_ASSERT_OK(GetVec(fp, &fpa));
  UDE_ASSERT_OK(GetVec(fm, &fma));
  for (int i = 0; i < 2; ++i) EXPECT_LT(RelDiff(Jt[i], (fpa[i] - fma[i]) / (2 * h)), 1e-7);
  // Assembled a I + b J equals the products.
  Mat J;
  UDE_ASSERT_OK(p->CreateJacobian(&J));
  UDE_ASSERT_OK(p->AssembleJacobian(0.5, 2.0, J));
  UDE_ASSERT_OK(MatMult(J, v, a));
  std::vector<double> Av;
  UDE_ASSERT_OK(GetVec(a, &Av));
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(Av[i], 0.5 * vd[i] + 2.0 * Jv[i], 1e-13);
  UDE_ASSERT_OK(MatDestroy(&J));
  for (Vec* x : {&u, &v, &w, &a, &b, &up, &um, &fp, &fm}) UDE_ASSERT_OK(VecDestroy(x));
}

class LotkaVolterraGradient : public ::testing::TestWithParam<const char*> {};

// Loss through the solver: d/dtheta and d/du0 against central differences.
TEST_P(LotkaVolterraGradient, MatchesCentralFiniteDifferences) {
  test::ScopedOptions o(kModel + GetParam());
  std::unique_ptr<pde::Physics> p;
  UDE_ASSERT_OK(pde::PhysicsCreateFromOptions(PETSC_COMM_WORLD, nullptr, "lotka_volterra", &p));
  UDE_ASSERT_OK(p->SetUp());
  AlignedVector<double> params;  // the parameters p reads (initial)
  UDE_ASSERT_OK(pde::BindInitialParams(*p, &params));
  adjoint::Integrator integ(p.get());
  UDE_ASSERT_OK(integ.SetFromOptions(nullptr));
  UDE_ASSERT_OK(integ.SetUp());
  const PetscInt P = p->NumParams();
  std::vector<Vec> data(4);
  std::vector<PetscReal> times = {0.25, 0.5, 0.75, 1.0};
  for (size_t k = 0; k < data.size(); ++k) {
    UDE_ASSERT_OK(DMCreateGlobalVector(p->Grid(), &data[k]));
    UDE_ASSERT_OK(SetVec(data[k], {0.5 + 0.1 * k, 3.0 - 0.4 * k}));
  }
  Vec u0, g0, u0p;
  UDE_ASSERT_OK(DMCreateGlobalVector(p->Grid(), &u0));
  UDE_ASSERT_OK(VecDuplicate(u0, &g0));
  UDE_ASSERT_OK(VecDuplicate(u0, &u0p));
  const std::vector<double> uu = {0.44, 4.6};
  UDE_ASSERT_OK(SetVec(u0, uu));
  std::vector<double> theta(params.begin(), params.end()), g(P);
  train::DataMisfit obs(&data, 0.25);
  PetscReal L;
  UDE_ASSERT_OK(integ.Gradient(0.0, u0, times, &obs, &L, g.data(), g0));
  auto Loss = [&](const std::vector<double>& th, const std::vector<double>& u) {
    PetscReal l = 0;
    p->BindParams(th.data());
    SetVec(u0p, u);
    train::DataMisfit ob(&data, 0.25);
    integ.Forward(0.0, u0p, times, &ob, &l);
    return l;
  };
  for (uint64_t seed : {21u, 22u}) {
    const auto d = Direction(P, seed);
    const double h = 1e-5;
    std::vector<double> tp(P), tm(P);
    for (PetscInt i = 0; i < P; ++i) {
      tp[i] = theta[i] + h * d[i];
      tm[i] = theta[i] - h * d[i];
    }
    const double fd = (Loss(tp, uu) - Loss(tm, uu)) / (2 * h);
    EXPECT_LT(RelDiff(fd, Dot(g, d)), 1e-6) << "theta direction " << seed;
  }
  std::vector<double> gu;
  UDE_ASSERT_OK(GetVec(g0, &gu));
  for (int i = 0; i < 2; ++i) {
    const double h = 1e-6;
    auto up = uu, um = uu;
    up[i] += h;
    um[i] -= h;
    const double fd = (Loss(theta, up) - Loss(theta, um)) / (2 * h);
    EXPECT_LT(RelDiff(fd, gu[i]), 1e-6) << "u0 component " << i;
  }
  for (Vec& v : data) UDE_ASSERT_OK(VecDestroy(&v));
  UDE_ASSERT_OK(VecDestroy(&u0));
  UDE_ASSERT_OK(VecDestroy(&g0));
  UDE_ASSERT_OK(VecDestroy(&u0p));
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, LotkaVolterraGradient,
    ::testing::Values("-ts_type rk -ts_rk_type 4 -ts_dt 0.05",
                      "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -adjoint_memory checkpoint",
                      "-ts_type cn -ts_dt 0.05"));

// ------------------------------------------------------------------ shooting

namespace {

std::string Dir() {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  return "lv_shooting_np" + std::to_string(size);
}

const std::string kShootCase =
    kModel +
    "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -truth_physics lotka_volterra -truth_lv_interactions "
    "-truth_closure_type none -truth_ts_type rk -truth_ts_rk_type 4 -truth_ts_dt 0.01 "
    "-lv_ic_spread 0.3 -generate_train_seeds 1,2,3 -generate_test_seeds 9 -generate_duration 2 "
    "-generate_dt_save 0.1 -generate_noise 0.01 -train_shooting_segments 3 "
    "-train_shooting_continuity 2.5 ";

class Shooting : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::ScopedOptions o(kShootCase + "-output_dir " + Dir());
    ASSERT_EQ(workflow::GenerateDataset(PETSC_COMM_WORLD), 0);
  }
};

}  // namespace

TEST_F(Shooting, GradientWrtThetaAndNodeStatesMatchesFiniteDifferences) {
  test::ScopedOptions o(kShootCase + "-output_dir " + Dir());
  test::TrainerSetup s;
  UDE_ASSERT_OK(s.Create("lotka_volterra"));
  train::Trainer& t = *s.trainer;
  const PetscInt P = s.physics->NumParams(), X = t.NumTrainable();
  ASSERT_EQ(X, P + 3 * 3 * 2);  // 3 trajectories x 3 segments x 2 states
  AlignedVector<double> x(X);
  UDE_ASSERT_OK(s.physics->InitializeParams(x.data()));
  UDE_ASSERT_OK(t.InitialShootingStates(&x));
  // Nodes away from the data, so the continuity terms are active.
  const auto pert = Direction(X, 77);
  for (PetscInt i = P; i < X; ++i) x[i] *= 1 + 0.05 * pert[i];
  const std::vector<size_t> trajs = {0, 2};
  const PetscInt horizon = 17;  // segments [0,6], [6,13], [13,17] (last one cut by the horizon)
  double L;
  std::vector<double> g;
  UDE_ASSERT_OK(t.ShootingLossAndGradient(trajs, horizon, x, &L, &g));
  auto Loss = [&](const AlignedVector<double>& y) {
    double l;
    std::vector<double>* none = nullptr;
    t.ShootingLossAndGradient(trajs, horizon, y, &l, none);
    return l;
  };
  double worst = 0;
  // Every node state, one by one (those of trajectory 1 have zero gradient: not in the batch).
  for (PetscInt i = P; i < X; ++i) {
    const double h = 1e-6;
    auto xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (Loss(xp) - Loss(xm)) / (2 * h);
    if (i >= P + 6 && i < P + 12) {
      EXPECT_EQ(g[i], 0.0) << "trajectory 1 is not in the batch";
      EXPECT_NEAR(fd, 0.0, 1e-12);
      continue;
    }
    worst = std::max(worst, RelDiff(fd, g[i], 1e-12));
    EXPECT_LT(RelDiff(fd, g[i], 1e-12), 1e-6)
        << "node entry " << i - P << ": fd " << fd << " adjoint " << g[i];
  }
  // theta: random directions.
  for (uint64_t seed : {31u, 32u}) {
    double fd, gd;
    test::DirectionalFd<AlignedVector<double>>(x, Direction(P, seed), g, 1e-5, Loss, &fd, &gd);
    worst = std::max(worst, RelDiff(fd, gd));
    EXPECT_LT(RelDiff(fd, gd), 1e-6)
        << "theta direction " << seed << ": fd " << fd << " adjoint " << gd;
  }
  PetscPrintf(PETSC_COMM_WORLD, "  multiple shooting: loss %.6e, worst relative FD error %.2e\n", L,
              worst);
}

TEST_F(Shooting, BatchIsTheMeanOrSumOfTrajectories) {
  std::vector<double> l(3);
  std::vector<std::vector<double>> g(3);
  double lmean, ls;
  std::vector<double> gmean, gs;
  for (const char* reduce : {"mean", "sum"}) {
    test::ScopedOptions o(kShootCase + "-output_dir " + Dir() + " -train_batch_reduce " + reduce);
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create("lotka_volterra"));
    AlignedVector<double> x(s.trainer->NumTrainable());
    UDE_ASSERT_OK(s.physics->InitializeParams(x.data()));
    UDE_ASSERT_OK(s.trainer->InitialShootingStates(&x));
    if (std::string(reduce) == "mean") {
      for (size_t j = 0; j < 2; ++j)
        UDE_ASSERT_OK(s.trainer->ShootingLossAndGradient({j}, 20, x, &l[j], &g[j]));
      UDE_ASSERT_OK(s.trainer->ShootingLossAndGradient({0, 1}, 20, x, &lmean, &gmean));
      // Batches drawn by the trainer: B distinct trajectories, deterministic in the iteration.
    } else {
      UDE_ASSERT_OK(s.trainer->ShootingLossAndGradient({0, 1}, 20, x, &ls, &gs));
    }
  }
  EXPECT_LT(RelDiff(lmean, 0.5 * (l[0] + l[1])), 1e-14);
  EXPECT_LT(RelDiff(ls, l[0] + l[1]), 1e-14);
  for (size_t i = 0; i < gs.size(); ++i) {
    EXPECT_NEAR(gmean[i], 0.5 * (g[0][i] + g[1][i]), 1e-13 * (1 + std::abs(gs[i])));
    EXPECT_NEAR(gs[i], g[0][i] + g[1][i], 1e-13 * (1 + std::abs(gs[i])));
  }
}

TEST_F(Shooting, TrajectoryBatchesAndEnsembleGroups) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  double l1 = 0, l0 = 0;
  std::vector<double> g1, g0;
  for (const char* groups : {"1", "0"}) {
    test::ScopedOptions o(kShootCase + "-output_dir " + Dir() +
                          " -train_batch_trajectories 2 -train_groups " + groups);
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create("lotka_volterra"));
    // Two distinct trajectories per iteration, deterministic in (seed, iteration).
    for (long long it = 0; it < 5; ++it) {
      auto b = s.trainer->TrajectoryBatch(it);
      ASSERT_EQ(b.size(), 2u);
      EXPECT_LT(b[0], b[1]);
      EXPECT_EQ(b, s.trainer->TrajectoryBatch(it));
    }
    AlignedVector<double> x(s.trainer->NumTrainable());
    UDE_ASSERT_OK(s.physics->InitializeParams(x.data()));
    UDE_ASSERT_OK(s.trainer->InitialShootingStates(&x));
    double& l = std::string(groups) == "1" ? l1 : l0;
    UDE_ASSERT_OK(s.trainer->Objective(-1, x, &l, std::string(groups) == "1" ? &g1 : &g0));
  }
  // One group holding the state vs one group per rank sharing the segments.
  EXPECT_LT(RelDiff(l1, l0), 1e-13);
  for (size_t i = 0; i < g1.size(); ++i) EXPECT_NEAR(g1[i], g0[i], 1e-12 * (1 + std::abs(g1[i])));
  PetscPrintf(PETSC_COMM_WORLD,
              "  full shooting objective %.10e (groups 1) %.10e (one per rank, %d ranks)\n", l1, l0,
              size);
}

TEST_F(Shooting, WindowScheduleStagesAndLbfgsAfterAdam) {
  {
    // Window mode: the schedule replaces -train_window.
    test::ScopedOptions o(
        kModel + "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -output_dir " + Dir() +
        " -train_window_schedule 5,10,20 -train_window_schedule_iterations 2,3,4");
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create("lotka_volterra"));
    const long long its[] = {0, 1, 2, 4, 5, 8, 9, 100};
    const PetscInt want[] = {5, 5, 10, 10, 20, 20, 20, 20};
    for (int i = 0; i < 8; ++i)
      EXPECT_EQ(s.trainer->WindowAt(its[i]), want[i]) << "iteration " << its[i];
  }
  {
    // Shooting mode: the schedule is the horizon; one value of iterations for every stage.
    test::ScopedOptions o(
        kShootCase + "-output_dir " + Dir() +
        " -train_window_schedule 6,12,20 -train_window_schedule_iterations 3 -train_iterations 6"
        " -train_lbfgs_iterations 4 -train_lr 0.01");
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create("lotka_volterra"));
    EXPECT_EQ(s.trainer->HorizonAt(0), 6);
    EXPECT_EQ(s.trainer->HorizonAt(3), 12);
    EXPECT_EQ(s.trainer->HorizonAt(7), 20);
    EXPECT_EQ(s.trainer->HorizonAt(-1), 20);
    train::TrainResult r;
    UDE_ASSERT_OK(s.trainer->Run("", &r));
    ASSERT_GE(r.history.size(), 8u);
    EXPECT_EQ(r.history[5].phase, udeflow::train::TrainHistory::kAdam);
    EXPECT_EQ(r.history[5].window, 12);
    EXPECT_EQ(r.history.back().phase, udeflow::train::TrainHistory::kLbfgs);
    EXPECT_EQ(r.history.back().window, 20);
    // L-BFGS lowers the full objective from where Adam left it.
    EXPECT_LT(r.history.back().loss, r.history[6].loss);
    EXPECT_EQ(r.shooting_states.size(), 3u * 3u * 2u);
    EXPECT_EQ((PetscInt)r.theta.size(), s.physics->NumParams());
  }
}

// ------------------------------------------------------------------ collocation and PEM

namespace {

// theta directions and every node state against central differences of `loss`.
double WorstFdError(const AlignedVector<double>& x, PetscInt P, const std::vector<double>& g,
                    const std::function<double(const AlignedVector<double>&)>& loss) {
  double worst = 0;
  const PetscInt X = static_cast<PetscInt>(x.size());
  for (PetscInt i = P; i < X; ++i) {
    const double h = 1e-6;
    auto xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    worst = std::max(worst, RelDiff((loss(xp) - loss(xm)) / (2 * h), g[i], 1e-12));
  }
  for (uint64_t seed : {41u, 42u}) {
    double fd, gd;
    test::DirectionalFd<AlignedVector<double>>(x, Direction(P, seed), g, 1e-5, loss, &fd, &gd);
    worst = std::max(worst, RelDiff(fd, gd));
  }
  return worst;
}

}  // namespace

// The prediction-error method: single shooting of f + K (y(t) - u), y the data's linear
// interpolant; its gradient (theta and u0) is the exact discrete one for explicit RK and
// for Crank-Nicolson, K follows its schedule and the objective after Adam is the plain one.
TEST_F(Shooting, PemGradientMatchesFiniteDifferencesAndGainSchedule) {
  for (const char* ts : {"-ts_type rk -ts_rk_type 4", "-ts_type cn"}) {
    test::ScopedOptions o(kShootCase + "-output_dir " + Dir() + " " + ts +
                          " -train_shooting_segments 1 -train_method pem -train_pem_gain 3 "
                          "-train_iterations 10 -train_pem_gain_iterations 4");
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create("lotka_volterra"));
    train::Trainer& t = *s.trainer;
    EXPECT_EQ(t.Method(), "pem");
    EXPECT_DOUBLE_EQ(t.PemGainAt(0), 3.0);
    EXPECT_DOUBLE_EQ(t.PemGainAt(2), 1.5);
    EXPECT_EQ(t.PemGainAt(4), 0.0);
    EXPECT_EQ(t.PemGainAt(-1), 0.0);
    const PetscInt P = s.physics->NumParams(), X = t.NumTrainable();
    ASSERT_EQ(X, P + 3 * 2);  // single shooting: one trainable u0 per trajectory
    AlignedVector<double> x(X);
    UDE_ASSERT_OK(s.physics->InitializeParams(x.data()));
    UDE_ASSERT_OK(t.InitialShootingStates(&x));
    const auto pert = Direction(X, 78);
    for (PetscInt i = P; i < X; ++i) x[i] *= 1 + 0.05 * pert[i];
    double L, Lplain, Lshoot;
    std::vector<double> g, gplain;
    UDE_ASSERT_OK(t.Objective(1, x, &L, &g));  // K = 2.25
    UDE_ASSERT_OK(t.Objective(-1, x, &Lplain, &gplain));
    UDE_ASSERT_OK(t.ShootingLossAndGradient({0, 1, 2}, t.HorizonAt(-1), x, &Lshoot, nullptr));
    EXPECT_EQ(Lplain, Lshoot) << "K = 0 after Adam: the plain single-shooting objective";
    EXPECT_LT(L, Lplain) << "the observer pulls the untrained model towards the data";
    const double worst = WorstFdError(x, P, g, [&](const AlignedVector<double>& y) {
      double l;
      t.Objective(1, y, &l, nullptr);
      return l;
    });
    EXPECT_LT(worst, 1e-6) << ts;
    PetscPrintf(PETSC_COMM_WORLD,
                "  PEM (%s): loss %.6e at K 2.25, plain %.6e; worst relative FD error %.2e\n", ts,
                L, Lplain, worst);
  }
}

// Collocation: the residual f(t_k, s_k) - s'_k of the smoothed data; its gradient against
// central differences, the same objective with one group or one group per rank, and a
// collocation stage before shooting (first N iterations).
TEST_F(Shooting, CollocationGradientGroupsAndStage) {
  double l[2];
  std::vector<double> gr[2];
  for (int k = 0; k < 2; ++k) {
    test::ScopedOptions o(kShootCase + "-output_dir " + Dir() +
                          " -train_shooting_segments 0 -train_method collocation -train_groups " +
                          (k ? "0" : "1"));
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create("lotka_volterra"));
    train::Trainer& t = *s.trainer;
    const PetscInt P = s.physics->NumParams();
    ASSERT_EQ(t.NumTrainable(), P);
    AlignedVector<double> x(P);
    UDE_ASSERT_OK(s.physics->InitializeParams(x.data()));
    UDE_ASSERT_OK(t.Objective(0, x, &l[k], &gr[k]));
    if (k == 0) {
      const double worst = WorstFdError(x, P, gr[0], [&](const AlignedVector<double>& y) {
        double v;
        t.Objective(0, y, &v, nullptr);
        return v;
      });
      EXPECT_LT(worst, 1e-7);
      PetscPrintf(PETSC_COMM_WORLD, "  collocation loss %.6e, worst relative FD error %.2e\n", l[0],
                  worst);
    }
  }
  EXPECT_LT(RelDiff(l[0], l[1]), 1e-13);
  for (size_t i = 0; i < gr[0].size(); ++i)
    EXPECT_NEAR(gr[0][i], gr[1][i], 1e-12 * (1 + std::abs(gr[0][i])));
  // A collocation stage of 3 iterations, then multiple shooting.
  test::ScopedOptions o(kShootCase + "-output_dir " + Dir() +
                        " -train_method multiple_shooting -train_init_collocation 3 "
                        "-train_iterations 5 -train_lr 0.01");
  test::TrainerSetup s;
  UDE_ASSERT_OK(s.Create("lotka_volterra"));
  EXPECT_TRUE(s.trainer->CollocationAt(2));
  EXPECT_FALSE(s.trainer->CollocationAt(3));
  train::TrainResult r;
  UDE_ASSERT_OK(s.trainer->Run("", &r));
  ASSERT_EQ(r.history.size(), 5u);
  EXPECT_EQ(r.history[2].window, 0);   // collocation rows
  EXPECT_EQ(r.history[3].window, 20);  // shooting over the whole horizon
}

// Collocation alone on noise-free samples (dt 0.05 over 6 time units, 3 trajectories)
// recovers the missing interaction terms -beta xy, gamma xy: the network's output on every
// training state against the truth.  A do-nothing closure (U = 0) scores 1 (100%); the
// threshold 5% was set before the first run.
TEST(Collocation, RecoversTheMissingInteractionsFromNoiseFreeData) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  test::ScopedOptions o(
      kModel +
      "-ts_type rk -ts_rk_type 4 -ts_dt 0.05 -truth_physics lotka_volterra "
      "-truth_lv_interactions -truth_closure_type none -truth_ts_type rk -truth_ts_rk_type 4 "
      "-truth_ts_dt 0.005 -lv_ic_spread 0.3 -generate_train_seeds 1,2,3 -generate_test_seeds 9 "
      "-generate_duration 6 -generate_dt_save 0.05 -generate_noise 0 -train_method collocation "
      "-train_iterations 2000 -train_lr 0.01 -train_lbfgs_iterations 500 "
      "-train_monitor_every 1000 -output_dir lv_colloc_np" +
      std::to_string(size));
  ASSERT_EQ(workflow::GenerateDataset(PETSC_COMM_WORLD), 0);
  test::TrainerSetup s;
  UDE_ASSERT_OK(s.Create("lotka_volterra"));
  train::TrainResult r;
  UDE_ASSERT_OK(s.trainer->Run("", &r));
  const auto* lv = dynamic_cast<const pde::LotkaVolterra*>(s.physics.get());
  ASSERT_NE(lv, nullptr);
  std::vector<double> xy;
  Vec v;
  UDE_ASSERT_OK(DMCreateGlobalVector(s.physics->Grid(), &v));
  for (size_t id = 0; id < s.data.Trajectories().size(); ++id) {
    if (s.data.Trajectories()[id].split != "train") continue;
    std::vector<PetscReal> t;
    UDE_ASSERT_OK(s.data.ReadTimes(id, &t));
    for (size_t k = 0; k < t.size(); ++k) {
      std::vector<double> a;
      UDE_ASSERT_OK(s.data.ReadState(id, static_cast<PetscInt>(k), *s.physics, v));
      UDE_ASSERT_OK(GetVec(v, &a));
      xy.insert(xy.end(), a.begin(), a.end());
    }
  }
  VecDestroy(&v);
  const Eigen::Index n = static_cast<Eigen::Index>(xy.size() / 2);
  nn::Matrix X = Eigen::Map<const nn::Matrix>(xy.data(), 2, n), U;
  lv->AsOdeSystem()->ClosureOnStates(X, &U);
  double err = 0, ref = 0;
  for (Eigen::Index j = 0; j < n; ++j) {
    const double p = X(0, j) * X(1, j), t1 = -lv->Beta() * p, t2 = lv->Gamma() * p;
    err += std::pow(U(0, j) - t1, 2) + std::pow(U(1, j) - t2, 2);
    ref += t1 * t1 + t2 * t2;
  }
  const double rel = std::sqrt(err / ref);
  PetscPrintf(PETSC_COMM_WORLD,
              "  collocation on noise-free data: final loss %.3e, learned terms vs truth %.3e "
              "relative (U = 0: 1)\n",
              r.loss, rel);
  EXPECT_LT(rel, 0.05);
}

// The geometric gain schedule: K0 (Kmin/K0)^(it/N) for it < N, then 0; it counts from the end
// of a collocation stage.
TEST_F(Shooting, PemGeometricGainSchedule) {
  test::ScopedOptions o(kShootCase + "-output_dir " + Dir() +
                        " -train_shooting_segments 1 -train_method pem -train_pem_gain 4 "
                        "-train_pem_schedule geometric -train_pem_gain_min 0.25 "
                        "-train_pem_gain_iterations 4 -train_iterations 10 "
                        "-train_init_collocation 2");
  test::TrainerSetup s;
  UDE_ASSERT_OK(s.Create("lotka_volterra"));
  const train::Trainer& t = *s.trainer;
  EXPECT_EQ(t.PemGainAt(0), 4.0);  // (a collocation iteration: PEM has not started)
  EXPECT_EQ(t.PemGainAt(2), 4.0);
  EXPECT_NEAR(t.PemGainAt(4), 1.0, 1e-15);
  EXPECT_NEAR(t.PemGainAt(5), 0.5, 1e-15);
  EXPECT_EQ(t.PemGainAt(6), 0.0);
  EXPECT_EQ(t.PemGainAt(-1), 0.0);
}
