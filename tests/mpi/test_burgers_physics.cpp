// Burgers physics against exact facts: conservation (with and without the learned
// closure), viscous decay of a small sine, and convergence of the truth discretization.
#include <gtest/gtest.h>
#include <petscdmda.h>

#include <cmath>

#include "burgers_fixture.hpp"
#include "udeflow/train/observers.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

// Records the state at each observation (copies).
class Keep : public adjoint::Observer {
 public:
  ~Keep() override {
    for (Vec& v : states) VecDestroy(&v);
  }
  PetscErrorCode Observe(PetscInt, PetscReal, Vec u, PetscReal*, Vec) override {
    Vec c;
    VecDuplicate(u, &c);
    VecCopy(u, c);
    states.push_back(c);
    return 0;
  }
  std::vector<Vec> states;
};

TEST(BurgersPhysics, ConservesMomentumWithTheClosure) {
  for (const char* closure :
       {"-closure_type none", "-closure_type mlp -closure_init_scale 1",
        "-closure_type mlp -burgers_closure_form coefficients -closure_init_scale 1"}) {
    BurgersProblem p;
    UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD,
                           std::string(kBurgersBase) + closure + " -ts_type rk -ts_dt 0.02"));
    Keep keep;
    PetscReal dummy;
    UDE_ASSERT_OK(p.integrator->Forward(0.0, p.u0, {0.5, 1.0}, &keep, &dummy));
    PetscScalar s0, s1, s2;
    VecSum(p.u0, &s0);
    VecSum(keep.states[0], &s1);
    VecSum(keep.states[1], &s2);
    // The forcing has zero mean; fluxes (closure included) telescope.
    EXPECT_NEAR(s1, s0, 1e-12) << closure;
    EXPECT_NEAR(s2, s0, 1e-12) << closure;
    PetscReal d;
    VecNorm(keep.states[1], NORM_INFINITY, &d);
    EXPECT_GT(d, 0.1) << "the state should be far from constant";
  }
}

TEST(BurgersPhysics, SmallSineDecaysAtTheViscousRate) {
  // v = eps sin(x): the nonlinear term is O(eps^2), so v(t) = eps exp(-eta t) sin(x).
  BurgersProblem p;
  const double eps = 1e-5, eta = 0.05, T = 2.0;
  UDE_ASSERT_OK(p.Create(
      PETSC_COMM_WORLD,
      "-burgers_n 128 -burgers_flux central -burgers_reconstruction first "
      "-burgers_ic sine -burgers_ic_amplitude 1e-5 -burgers_eta 0.05 -burgers_forcing_modes 0 "
      "-ts_type rk -ts_dt 0.01"));
  Keep keep;
  PetscReal dummy;
  UDE_ASSERT_OK(p.integrator->Forward(0.0, p.u0, {T}, &keep, &dummy));
  Vec exact;
  VecDuplicate(p.u0, &exact);
  VecCopy(p.u0, exact);
  // The discrete Laplacian on cell averages of sin(x) has eigenvalue -(2 - 2 cos dx)/dx^2.
  const double dx = 2 * M_PI / 128;
  const double rate = eta * (2 - 2 * std::cos(dx)) / (dx * dx);
  VecScale(exact, std::exp(-rate * T));
  VecAXPY(exact, -1.0, keep.states[0]);
  PetscReal err, ref;
  VecNorm(exact, NORM_INFINITY, &err);
  VecNorm(keep.states[0], NORM_INFINITY, &ref);
  EXPECT_LT(err / ref, 1e-5) << "relative error vs the exact semi-discrete decay";
  EXPECT_NEAR(ref, eps * std::exp(-eta * T), 1e-3 * eps) << "decay vs the PDE's exp(-eta t)";
  VecDestroy(&exact);
}

TEST(BurgersPhysics, TruthConvergesUnderRefinement) {
  // The truth discretization (central flux, resolved viscous shocks) at 2048 cells vs
  // 4096 cells, both averaged onto 64 cells after the shocks have formed.
  double mae = 0;
  std::vector<std::vector<double>> coarse(2);
  const PetscInt sizes[2] = {2048, 4096};
  for (int r = 0; r < 2; ++r) {
    BurgersProblem p;
    const std::string opts =
        "-burgers_n " + std::to_string(sizes[r]) +
        " -burgers_flux central -burgers_reconstruction first -burgers_ic sine "
        "-ts_type rk -ts_dt " +
        std::to_string(r == 0 ? 5e-4 : 1.25e-4);
    UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, opts));
    Keep keep;
    PetscReal dummy;
    UDE_ASSERT_OK(p.integrator->Forward(0.0, p.u0, {1.5}, &keep, &dummy));
    Vec all;
    VecScatter sc;
    VecScatterCreateToAll(keep.states[0], &sc, &all);
    VecScatterBegin(sc, keep.states[0], all, INSERT_VALUES, SCATTER_FORWARD);
    VecScatterEnd(sc, keep.states[0], all, INSERT_VALUES, SCATTER_FORWARD);
    const PetscScalar* a;
    VecGetArrayRead(all, &a);
    const PetscInt f = sizes[r] / 64;
    coarse[r].assign(64, 0.0);
    for (PetscInt i = 0; i < sizes[r]; ++i) coarse[r][i / f] += a[i] / f;
    VecRestoreArrayRead(all, &a);
    VecScatterDestroy(&sc);
    VecDestroy(&all);
  }
  double vmax = 0;
  for (int i = 0; i < 64; ++i) {
    mae += std::abs(coarse[0][i] - coarse[1][i]) / 64;
    vmax = std::max(vmax, std::abs(coarse[1][i]));
  }
  PetscPrintf(PETSC_COMM_WORLD, "  truth 2048 vs 4096 cells (on 64 cells): MAE %.2e, max|v| %.2f\n",
              mae, vmax);
  EXPECT_GT(vmax, 0.5);
  EXPECT_LT(mae, 2e-4) << "the truth is not resolved: refine -truth_burgers_n";
}

}  // namespace
