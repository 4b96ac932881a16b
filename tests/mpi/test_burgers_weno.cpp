// Burgers with the WENO5-JS reconstruction (-burgers_reconstruction weno5): fifth-order
// convergence of the flux divergence on smooth data, the Jacobian products and the
// assembled Jacobian against central finite differences of the RHS, and the same forward
// solution and gradient on 1, 2 and 3 ranks.
#include <gtest/gtest.h>
#include <petscdmda.h>

#include <cmath>

#include "burgers_fixture.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

const char* kWeno = " -burgers_reconstruction weno5 ";

// Smooth periodic data and its antiderivative (for exact cell averages).
double Smooth(double x) {
  return 0.5 + std::sin(x) + 0.3 * std::cos(2 * x);
}
double SmoothPrimitive(double x) {
  return 0.5 * x - std::cos(x) + 0.15 * std::sin(2 * x);
}

// Mean absolute error of the inviscid, unforced RHS on the cell averages of Smooth()
// against the exact cell average of -(v^2/2)_x.
double DivergenceError(PetscInt n, const std::string& recon) {
  BurgersProblem p;
  EXPECT_EQ(p.Create(PETSC_COMM_WORLD, "-burgers_n " + std::to_string(n) +
                                           " -burgers_eta 0 -burgers_forcing_modes 0 "
                                           "-closure_type none -burgers_reconstruction " +
                                           recon),
            0);
  const double dx = 2 * M_PI / n;
  PetscInt xs, xm;
  DMDAGetCorners(p.physics->Grid(), &xs, nullptr, nullptr, &xm, nullptr, nullptr);
  Vec u, f;
  DMCreateGlobalVector(p.physics->Grid(), &u);
  VecDuplicate(u, &f);
  PetscScalar* a;
  VecGetArray(u, &a);
  for (PetscInt i = 0; i < xm; ++i) {
    const double xl = (xs + i) * dx, xr = xl + dx;
    a[i] = (SmoothPrimitive(xr) - SmoothPrimitive(xl)) / dx;
  }
  VecRestoreArray(u, &a);
  EXPECT_EQ(p.physics->Rhs(0.0, u, f), 0);
  const PetscScalar* r;
  VecGetArrayRead(f, &r);
  double err = 0;
  for (PetscInt i = 0; i < xm; ++i) {
    const double xl = (xs + i) * dx, xr = xl + dx;
    const double fl = Smooth(xl), fr = Smooth(xr);
    err += std::abs(r[i] + (0.5 * fr * fr - 0.5 * fl * fl) / dx);
  }
  VecRestoreArrayRead(f, &r);
  double total;
  MPI_Allreduce(&err, &total, 1, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  VecDestroy(&u);
  VecDestroy(&f);
  return total / n;
}

TEST(BurgersWeno5, FluxDivergenceIsFifthOrderOnSmoothData) {
  const double e128 = DivergenceError(128, "weno5"), e256 = DivergenceError(256, "weno5");
  const double order = std::log2(e128 / e256);
  const double va =
      std::log2(DivergenceError(128, "vanalbada") / DivergenceError(256, "vanalbada"));
  PetscPrintf(PETSC_COMM_WORLD,
              "  WENO5 flux divergence MAE: 128 cells %.3e, 256 cells %.3e, order %.2f "
              "(van Albada: order %.2f)\n",
              e128, e256, order, va);
  EXPECT_GE(order, 4.7);
  EXPECT_LT(e256, 1e-6);
}

PetscErrorCode RandomVec(Vec v, uint64_t seed, double scale) {
  PetscFunctionBeginUser;
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(v, &lo, &hi));
  PetscScalar* a;
  PetscCall(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i) a[i - lo] = scale * (2 * Philox::Uniform(seed, i, 11) - 1);
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

// (Rhs(u + h v) - Rhs(u - h v)) / 2h into fd.
PetscErrorCode CentralDifference(pde::Physics& ph, Vec u, Vec v, double h, Vec fd) {
  PetscFunctionBeginUser;
  Vec x, fm;
  PetscCall(VecDuplicate(u, &x));
  PetscCall(VecDuplicate(u, &fm));
  PetscCall(VecWAXPY(x, h, v, u));
  PetscCall(ph.Rhs(0.3, x, fd));
  PetscCall(VecWAXPY(x, -h, v, u));
  PetscCall(ph.Rhs(0.3, x, fm));
  PetscCall(VecAXPY(fd, -1.0, fm));
  PetscCall(VecScale(fd, 1.0 / (2 * h)));
  PetscCall(VecDestroy(&x));
  PetscCall(VecDestroy(&fm));
  PetscFunctionReturn(0);
}

// Every component of J^T w by central differences of w . Rhs(u + h e_i).
PetscErrorCode VjpByFiniteDifferences(pde::Physics& ph, Vec u, Vec w, double h, Vec out) {
  PetscFunctionBeginUser;
  Vec e, fd;
  PetscInt n;
  PetscCall(VecDuplicate(u, &e));
  PetscCall(VecDuplicate(u, &fd));
  PetscCall(VecGetSize(u, &n));
  for (PetscInt i = 0; i < n; ++i) {
    PetscCall(VecZeroEntries(e));
    PetscCall(VecSetValue(e, i, 1.0, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(e));
    PetscCall(VecAssemblyEnd(e));
    PetscCall(CentralDifference(ph, u, e, h, fd));
    PetscScalar d;
    PetscCall(VecDot(w, fd, &d));
    PetscCall(VecSetValue(out, i, d, INSERT_VALUES));
  }
  PetscCall(VecAssemblyBegin(out));
  PetscCall(VecAssemblyEnd(out));
  PetscCall(VecDestroy(&e));
  PetscCall(VecDestroy(&fd));
  PetscFunctionReturn(0);
}

double RelativeDistance(Vec a, Vec b) {
  Vec d;
  VecDuplicate(a, &d);
  VecWAXPY(d, -1.0, a, b);
  PetscReal nd, na;
  VecNorm(d, NORM_2, &nd);
  VecNorm(a, NORM_2, &na);
  VecDestroy(&d);
  return nd / na;
}

class BurgersWeno5Derivatives : public ::testing::TestWithParam<const char*> {};

TEST_P(BurgersWeno5Derivatives, JvpVjpAndAssembledJacobianMatchFiniteDifferences) {
  BurgersProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kBurgersBase) + kWeno + GetParam()));
  pde::Physics& ph = *p.physics;
  Vec u, v, w, Jv, JTw, fd;
  DMCreateGlobalVector(ph.Grid(), &u);
  for (Vec* x : {&v, &w, &Jv, &JTw, &fd}) VecDuplicate(u, x);
  UDE_ASSERT_OK(RandomVec(u, 1, 0.5));
  VecAXPY(u, 1.0, p.u0);
  UDE_ASSERT_OK(RandomVec(v, 2, 1.0));
  UDE_ASSERT_OK(RandomVec(w, 3, 1.0));
  const double h = 1e-6;
  UDE_ASSERT_OK(ph.Linearize(0.3, u, false));
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  std::vector<double> g(ph.NumParams(), 0.0);
  UDE_ASSERT_OK(ph.JacobianMultTranspose(w, JTw, g.data()));
  UDE_ASSERT_OK(CentralDifference(ph, u, v, h, fd));
  const double jvp = RelativeDistance(fd, Jv);
  UDE_ASSERT_OK(VjpByFiniteDifferences(ph, u, w, h, fd));
  const double vjp = RelativeDistance(fd, JTw);
  Mat A;
  UDE_ASSERT_OK(ph.CreateJacobian(&A));
  UDE_ASSERT_OK(ph.AssembleJacobian(2.0, -0.5, A));
  MatMult(A, v, fd);
  VecAXPY(fd, -2.0, v);  // -0.5 J v
  VecScale(fd, -2.0);
  const double assembled = RelativeDistance(Jv, fd);
  PetscPrintf(PETSC_COMM_WORLD,
              "  weno5 (%s): JVP vs FD %.2e, VJP vs FD %.2e, assembled vs JVP %.2e\n", GetParam(),
              jvp, vjp, assembled);
  EXPECT_LT(jvp, 1e-7) << "JVP vs central differences";
  EXPECT_LT(vjp, 1e-7) << "VJP vs central differences";
  EXPECT_LT(assembled, 1e-12) << "assembled Jacobian vs JVP";
  MatDestroy(&A);
  for (Vec* x : {&u, &v, &w, &Jv, &JTw, &fd}) VecDestroy(x);
}

INSTANTIATE_TEST_SUITE_P(
    Closures, BurgersWeno5Derivatives,
    ::testing::Values("-closure_type none", "-burgers_flux central",
                      "-burgers_closure_form coefficients -burgers_closure_features normalized "
                      "-burgers_closure_stencil 6",
                      "-burgers_closure_stencil 8 -burgers_weno_eps 1e-3"));

// Keeps a copy of the last observed state.
class KeepLast : public adjoint::Observer {
 public:
  ~KeepLast() override { VecDestroy(&state); }
  PetscErrorCode Observe(PetscInt, PetscReal, Vec u, PetscReal*, Vec) override {
    PetscFunctionBeginUser;
    if (!state) PetscCall(VecDuplicate(u, &state));
    PetscCall(VecCopy(u, state));
    PetscFunctionReturn(0);
  }
  Vec state = nullptr;
};

// The final state of a forced WENO5 run on the first n ranks, gathered on every rank.
void ForwardOnRanks(int n, const std::string& opts, std::vector<double>* state) {
  ASSERT_TRUE(WorldHasRanksToCompare());
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm sub;
  MPI_Comm_split(PETSC_COMM_WORLD, rank < n ? 0 : MPI_UNDEFINED, rank, &sub);
  int N = 0;
  if (sub != MPI_COMM_NULL) {
    BurgersProblem p;
    ASSERT_EQ(p.Create(sub, opts), 0);
    PetscReal loss;
    KeepLast last;
    ASSERT_EQ(p.integrator->Forward(0.0, p.u0, {1.0}, &last, &loss), 0);
    Vec u = last.state, all;
    VecScatter sc;
    VecScatterCreateToAll(u, &sc, &all);
    VecScatterBegin(sc, u, all, INSERT_VALUES, SCATTER_FORWARD);
    VecScatterEnd(sc, u, all, INSERT_VALUES, SCATTER_FORWARD);
    PetscInt len;
    VecGetSize(all, &len);
    const PetscScalar* a;
    VecGetArrayRead(all, &a);
    state->assign(a, a + len);
    VecRestoreArrayRead(all, &a);
    VecScatterDestroy(&sc);
    VecDestroy(&all);
    N = static_cast<int>(len);
  }
  SleepingBarrier(PETSC_COMM_WORLD);
  MPI_Bcast(&N, 1, MPI_INT, 0, PETSC_COMM_WORLD);
  state->resize(N);
  MPI_Bcast(state->data(), N, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
  if (sub != MPI_COMM_NULL) MPI_Comm_free(&sub);
}

TEST(BurgersWeno5Ranks, SameForwardSolutionAndGradientOn1To3Ranks) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  const std::string opts = std::string(kBurgersBase) + kWeno +
                           "-burgers_closure_stencil 6 -ts_type rk -ts_rk_type 4 -ts_dt 0.02";
  std::vector<double> s1, sn, g1, gn;
  double L1, Ln;
  ForwardOnRanks(1, opts, &s1);
  GradientOnRanks<BurgersProblem>(1, opts, &g1, &L1);
  ASSERT_EQ(s1.size(), 48u);
  for (int n = 2; n <= size; ++n) {
    ForwardOnRanks(n, opts, &sn);
    GradientOnRanks<BurgersProblem>(n, opts, &gn, &Ln);
    ASSERT_EQ(s1.size(), sn.size());
    ASSERT_EQ(g1.size(), gn.size());
    double ds = 0, smax = 0, dg = 0, gmax = 0;
    for (size_t i = 0; i < s1.size(); ++i) {
      ds = std::max(ds, std::abs(sn[i] - s1[i]));
      smax = std::max(smax, std::abs(s1[i]));
    }
    for (size_t i = 0; i < g1.size(); ++i) {
      dg = std::max(dg, std::abs(gn[i] - g1[i]));
      gmax = std::max(gmax, std::abs(g1[i]));
    }
    PetscPrintf(PETSC_COMM_WORLD,
                "  weno5, %d ranks vs 1: state max diff %.2e (max|v| %.2f), gradient %.2e\n", n, ds,
                smax, dg / gmax);
    EXPECT_GT(smax, 0.1);
    EXPECT_LT(ds, 1e-13 * smax) << n << " ranks: final state";
    EXPECT_LT(dg, 1e-10 * gmax) << n << " ranks: gradient";
    EXPECT_LT(RelDiff(L1, Ln), 1e-12) << n << " ranks: loss";
  }
}

}  // namespace
