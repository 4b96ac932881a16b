// Ocean columns with a neural flux (32 -> 128 -> 128 -> 31 ReLU) and convective
// adjustment: dot-product and finite-difference tests of every Jacobian product, the
// assembled Jacobian (convective adjustment + network Jacobian) against the JVP, the
// exact discrete gradient through the implicit solver (beuler, theta, cn) against central
// finite differences in every memory mode, and the same loss and gradient on 1, 2 and 3
// ranks (run with 3 ranks: sub-communicators of size 1, 2, 3); the K-profile truth with
// entrainment: heat conservation and mixed-layer depths against slab theory.
#include <gtest/gtest.h>
#include <petscdmda.h>

#include <cmath>
#include <memory>
#include <numeric>

#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/pde/physics.hpp"

using namespace udeflow;
using namespace udeflow::test;

namespace {

const char* kOceanBase =
    "-physics ocean_column -ocean_nx 3 -ocean_ny 3 -closure_type mlp -closure_hidden 128,128 "
    "-closure_activation relu -closure_init_scale 0.3 -closure_seed 5 -ocean_cooling_range 40,90 "
    "-snes_rtol 1e-15 -snes_atol 1e-20 -snes_stol 1e-15 -ksp_rtol 1e-15 -ksp_atol 1e-30 ";

// Natural (rank-independent) index of each local entry of an ocean state vector.
std::vector<PetscInt> NaturalIndex(DM da) {
  PetscInt nz, nx, xs, ys, xm, ym;
  DMDAGetInfo(da, nullptr, &nz, &nx, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
              nullptr, nullptr, nullptr);
  DMDAGetCorners(da, nullptr, &xs, &ys, nullptr, &xm, &ym);
  std::vector<PetscInt> idx;
  for (PetscInt y = ys; y < ys + ym; ++y)
    for (PetscInt x = xs; x < xs + xm; ++x)
      for (PetscInt k = 0; k < nz; ++k) idx.push_back(k + nz * (x + nx * y));
  return idx;
}

PetscErrorCode Pattern(Vec v, const std::vector<PetscInt>& idx, uint64_t seed, double amp) {
  PetscFunctionBeginUser;
  PetscScalar* a;
  PetscCall(VecGetArray(v, &a));
  for (size_t i = 0; i < idx.size(); ++i) a[i] = amp * (2 * Philox::Uniform(seed, idx[i], 11) - 1);
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(0);
}

// L = sum_k mean (u(t_k) - d_k)^2, d_k = u0 - 0.05 k + small rank-independent pattern.
class Misfit : public adjoint::Observer {
 public:
  Misfit(Vec u0, const std::vector<PetscInt>& idx, int K) {
    for (int k = 0; k < K; ++k) {
      Vec d;
      VecDuplicate(u0, &d);
      Pattern(d, idx, 100 + k, 0.02);
      VecAXPY(d, 1.0, u0);
      VecShift(d, -0.05 * (k + 1));
      data_.push_back(d);
    }
    VecDuplicate(u0, &work_);
  }
  ~Misfit() override {
    for (Vec& d : data_) VecDestroy(&d);
    VecDestroy(&work_);
  }
  PetscErrorCode Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec dldu) override {
    PetscFunctionBeginUser;
    PetscInt n;
    PetscCall(VecGetSize(u, &n));
    PetscCall(VecWAXPY(work_, -1.0, data_[k], u));
    PetscReal nrm;
    PetscCall(VecNorm(work_, NORM_2, &nrm));
    *loss += nrm * nrm / n;
    if (dldu) PetscCall(VecAXPBY(dldu, 2.0 / n, 0.0, work_));
    PetscFunctionReturn(0);
  }

 private:
  std::vector<Vec> data_;
  Vec work_ = nullptr;
};

struct OceanProblem {
  std::unique_ptr<pde::Physics> physics;
  AlignedVector<double> params;  // the parameters the physics reads (initial after Create)
  std::unique_ptr<adjoint::Integrator> integrator;
  std::unique_ptr<Misfit> observer;
  Vec u0 = nullptr;
  std::vector<PetscInt> idx;
  std::vector<PetscReal> times;

  PetscErrorCode Create(MPI_Comm comm, const std::string& opts, int K = 3,
                        PetscReal dt_obs = 7200) {
    PetscFunctionBeginUser;
    ScopedOptions scoped(opts);
    PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "ocean_column", &physics));
    PetscCall(physics->SetUp());
    PetscCall(pde::BindInitialParams(*physics, &params));
    pde::Scenario sc;
    PetscCall(physics->MakeScenario(7, &sc));
    PetscCall(physics->SetScenario(sc));
    integrator = std::make_unique<adjoint::Integrator>(physics.get());
    PetscCall(integrator->SetFromOptions(nullptr));
    PetscCall(integrator->SetUp());
    PetscCall(DMCreateGlobalVector(physics->Grid(), &u0));
    PetscCall(physics->InitialCondition(u0));
    idx = NaturalIndex(physics->Grid());
    observer = std::make_unique<Misfit>(u0, idx, K);
    for (int k = 1; k <= K; ++k) times.push_back(dt_obs * k);
    PetscFunctionReturn(0);
  }
  ~OceanProblem() {
    observer.reset();
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

std::vector<double> Direction(size_t n, uint64_t seed) {
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = 2 * Philox::Uniform(seed, i, 3) - 1;
  return d;
}

// Every product, with the network reading the column only and reading its forcing too
// (Q/Q_ref - 1, N^2/N2_ref - 1) with the output scaled by Q/Q_ref.
class OceanJacobian : public ::testing::TestWithParam<std::string> {};

TEST_P(OceanJacobian, ProductsAndAssembledJacobian) {
  OceanProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, kOceanBase + GetParam()));
  pde::Physics& ph = *p.physics;
  const PetscInt P = ph.NumParams();
  const bool face = GetParam().find("network_form face") != std::string::npos;
  const PetscInt nin = (face ? 1 : 32) + (GetParam().find("forcing") != std::string::npos ? 2 : 0) +
                       (GetParam().find("froude") != std::string::npos ? 1 : 0) +
                       (GetParam().find("froude_base") != std::string::npos ? 1 : 0) +
                       (GetParam().find("strat") != std::string::npos ? 1 : 0);
  const PetscInt nout = face ? 1 : 31;
  ASSERT_EQ(P, nin * 128 + 128 + 128 * 128 + 128 + 128 * nout + nout);
  Vec u, v, w, Jv, JTw, f1, f2, tmp;
  VecDuplicate(p.u0, &u);
  VecDuplicate(u, &v);
  VecDuplicate(u, &w);
  VecDuplicate(u, &Jv);
  VecDuplicate(u, &JTw);
  VecDuplicate(u, &f1);
  VecDuplicate(u, &f2);
  VecDuplicate(u, &tmp);
  // A state with unstable and stable layers (random +-0.05 K on the stratified profile).
  UDE_ASSERT_OK(Pattern(u, p.idx, 1, 0.05));
  VecAXPY(u, 1.0, p.u0);
  UDE_ASSERT_OK(Pattern(v, p.idx, 2, 1.0));
  UDE_ASSERT_OK(Pattern(w, p.idx, 3, 1.0));
  UDE_ASSERT_OK(ph.Linearize(0.0, u, true));
  UDE_ASSERT_OK(ph.JacobianMult(v, Jv));
  std::vector<double> g(P, 0.0), gsum(P);
  UDE_ASSERT_OK(ph.JacobianMultTranspose(w, JTw, g.data()));
  MPI_Allreduce(g.data(), gsum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  PetscScalar a, b;
  VecDot(w, Jv, &a);
  VecDot(JTw, v, &b);
  EXPECT_NEAR(a, b, 1e-12 * std::abs(a)) << "state dot-product test";
  // Parameter products: <w, (df/dtheta) d> = <(df/dtheta)^T w, d>, and the fused VJP.
  const std::vector<double> d = Direction(P, 4);
  std::vector<double> gp(P, 0.0), gpsum(P);
  UDE_ASSERT_OK(ph.ParamJacobianMultTranspose(w, gp.data()));
  MPI_Allreduce(gp.data(), gpsum.data(), P, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  UDE_ASSERT_OK(ph.ParamJacobianMult(d.data(), tmp));
  VecDot(w, tmp, &a);
  EXPECT_NEAR(a, Dot(gpsum, d), 1e-12 * std::abs(a)) << "parameter dot-product test";
  for (PetscInt i = 0; i < P; ++i) EXPECT_NEAR(gsum[i], gpsum[i], 1e-14 * (1 + std::abs(gpsum[i])));
  // JVP against central differences of the RHS.
  const double h = 1e-6;
  VecWAXPY(tmp, h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.0, tmp, f1));
  VecWAXPY(tmp, -h, v, u);
  UDE_ASSERT_OK(ph.Rhs(0.0, tmp, f2));
  VecAXPY(f1, -1.0, f2);
  VecScale(f1, 0.5 / h);
  PetscReal e, n;
  VecAXPY(f1, -1.0, Jv);
  VecNorm(f1, NORM_2, &e);
  VecNorm(Jv, NORM_2, &n);
  PetscPrintf(PETSC_COMM_WORLD, "  JVP vs central difference: rel. error %.2e\n", e / n);
  EXPECT_LT(e / n, 1e-6);
  // Parameter JVP against central differences.
  std::vector<double> th(p.params.begin(), p.params.end()), thp(P);
  const double hp = 1e-5;
  for (PetscInt i = 0; i < P; ++i) thp[i] = th[i] + hp * d[i];
  UDE_ASSERT_OK(ph.BindParams(thp.data()));
  UDE_ASSERT_OK(ph.Rhs(0.0, u, f1));
  for (PetscInt i = 0; i < P; ++i) thp[i] = th[i] - hp * d[i];
  UDE_ASSERT_OK(ph.BindParams(thp.data()));
  UDE_ASSERT_OK(ph.Rhs(0.0, u, f2));
  UDE_ASSERT_OK(ph.BindParams(p.params.data()));
  VecAXPY(f1, -1.0, f2);
  VecScale(f1, 0.5 / hp);
  UDE_ASSERT_OK(ph.Linearize(0.0, u, true));
  UDE_ASSERT_OK(ph.ParamJacobianMult(d.data(), tmp));
  VecAXPY(f1, -1.0, tmp);
  VecNorm(f1, NORM_2, &e);
  VecNorm(tmp, NORM_2, &n);
  EXPECT_LT(e / n, 1e-6) << "parameter JVP vs central difference";
  // Assembled J = a I + b df/du against the JVP.
  Mat J;
  UDE_ASSERT_OK(ph.CreateJacobian(&J));
  UDE_ASSERT_OK(ph.AssembleJacobian(0.7, -1.3, J));
  MatMult(J, v, f1);
  VecAXPBY(Jv, 0.7, -1.3, v);  // 0.7 v - 1.3 J v
  VecAXPY(f1, -1.0, Jv);
  VecNorm(f1, NORM_2, &e);
  VecNorm(Jv, NORM_2, &n);
  PetscPrintf(PETSC_COMM_WORLD, "  assembled Jacobian vs JVP: rel. error %.2e\n", e / n);
  EXPECT_LT(e / n, 1e-13);
  MatInfo info;
  MatGetInfo(J, MAT_GLOBAL_SUM, &info);
  EXPECT_EQ((PetscInt)info.nz_used, 9 * 32 * 32) << "one dense 32 x 32 block per column";
  MatDestroy(&J);
  for (Vec* x : {&u, &v, &w, &Jv, &JTw, &f1, &f2, &tmp}) VecDestroy(x);
}

INSTANTIATE_TEST_SUITE_P(NetworkInputs, OceanJacobian,
                         ::testing::Values(std::string(),
                                           std::string("-ocean_network_inputs forcing "
                                                       "-ocean_flux_scaling surface"),
                                           std::string("-ocean_network_form face "
                                                       "-ocean_flux_scaling surface "
                                                       "-closure_activation softplus"),
                                           std::string("-ocean_network_form face "
                                                       "-ocean_network_inputs forcing "
                                                       "-closure_activation softplus"),
                                           std::string("-ocean_network_form face "
                                                       "-ocean_face_inputs froude "
                                                       "-ocean_flux_scaling surface "
                                                       "-closure_activation softplus"),
                                           std::string("-ocean_network_form face "
                                                       "-ocean_face_inputs froude_base "
                                                       "-ocean_flux_scaling surface "
                                                       "-closure_activation softplus"),
                                           std::string("-ocean_network_form face "
                                                       "-ocean_face_inputs froude_base "
                                                       "-ocean_flux_scaling surface "
                                                       "-ocean_ca_switch softplus "
                                                       "-closure_activation softplus"),
                                           std::string("-ocean_network_form face "
                                                       "-ocean_face_inputs froude_base_strat "
                                                       "-ocean_flux_scaling surface "
                                                       "-ocean_ca_switch softplus "
                                                       "-closure_activation softplus")));

// Exact discrete gradient through the implicit solver vs central differences.
class OceanGradient : public ::testing::TestWithParam<std::string> {};

TEST_P(OceanGradient, MatchesFiniteDifferences) {
  OceanProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kOceanBase) + GetParam()));
  const PetscInt P = p.physics->NumParams();
  std::vector<double> th(p.params.begin(), p.params.end()), g;
  PetscReal L;
  UDE_ASSERT_OK(p.Gradient(th, &L, &g));
  ASSERT_TRUE(p.integrator->Implicit());
  std::vector<double> d = Direction(P, 9);
  // -test_last_layer: perturb only the output layer (hidden pre-activations then move
  // only through the state, so ReLU kinks are rarely crossed).
  PetscBool last = PETSC_FALSE;
  PetscOptionsGetBool(nullptr, nullptr, "-test_last_layer", &last, nullptr);
  if (GetParam().find("-test_last_layer") != std::string::npos) last = PETSC_TRUE;
  if (last)
    for (PetscInt i = 0; i < P - (128 * 31 + 31); ++i) d[i] = 0;
  // Central differences at h and h/2, Richardson-extrapolated (the smooth convective
  // switch gives the loss a large third derivative).  The ReLU network's loss has kinks
  // wherever a hidden unit of a column at some Newton iterate changes sign; a difference
  // across one misses the one-sided derivative.  So the ReLU network is checked at 1e-6
  // along output-layer directions (hidden pre-activations move only through the state)
  // and at 1e-4 along a direction in all parameters; the smooth (softplus) network of the
  // same shape at 1e-6 along all parameters.
  PetscReal h = 2e-5;
  const bool relu = GetParam().find("relu") != std::string::npos;
  if (relu) h = last ? 1e-4 : 2e-6;
  PetscOptionsGetReal(nullptr, nullptr, "-test_fd_h", &h, nullptr);
  std::vector<double> tp(P), tm(P);
  double fdh[2];
  for (int r = 0; r < 2; ++r) {
    const double hr = h / (1 + r);
    for (PetscInt i = 0; i < P; ++i) {
      tp[i] = th[i] + hr * d[i];
      tm[i] = th[i] - hr * d[i];
    }
    PetscReal Lp, Lm;
    UDE_ASSERT_OK(p.Loss(tp, &Lp));
    UDE_ASSERT_OK(p.Loss(tm, &Lm));
    fdh[r] = (Lp - Lm) / (2 * hr);
  }
  const double fd = (4 * fdh[1] - fdh[0]) / 3, ad = Dot(g, d);
  PetscPrintf(PETSC_COMM_WORLD, "  %s: loss %.6e  adjoint %.10e  FD %.10e  rel. error %.2e\n",
              GetParam().c_str(), L, ad, fd, RelDiff(ad, fd));
  EXPECT_LT(RelDiff(ad, fd), relu && !last ? 1e-4 : 1e-6);
}

INSTANTIATE_TEST_SUITE_P(
    ImplicitMemoryModes, OceanGradient,
    ::testing::Values(
        "-closure_activation softplus -ts_type beuler -ts_dt 1800 -adjoint_memory store",
        "-closure_activation softplus -ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint "
        "-adjoint_checkpoint_every 3",
        "-closure_activation softplus -ts_type beuler -ts_dt 1800 -adjoint_memory disk",
        "-closure_activation softplus -ocean_network_inputs forcing -ocean_flux_scaling surface "
        "-ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation softplus -ts_type cn -ts_dt 1200 -adjoint_memory checkpoint",
        "-closure_activation softplus -ocean_network_form face -ocean_flux_scaling surface "
        "-ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation softplus -ocean_network_form face -ts_type cn -ts_dt 1200 "
        "-adjoint_memory store",
        "-closure_activation softplus -ocean_network_form face -ocean_face_inputs froude "
        "-ocean_flux_scaling surface -ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation softplus -ocean_network_form face -ocean_face_inputs froude_base "
        "-ocean_flux_scaling surface -ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation softplus -ocean_network_form face -ocean_face_inputs froude_base "
        "-ocean_flux_scaling surface -ocean_ca_switch softplus -ts_type beuler -ts_dt 1800 "
        "-adjoint_memory checkpoint",
        "-closure_activation softplus -ocean_network_form face -ocean_face_inputs "
        "froude_base_strat -ocean_flux_scaling surface -ocean_ca_switch softplus -ts_type beuler "
        "-ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation softplus -ocean_network_form face -ocean_face_inputs "
        "froude_base_strat -ocean_flux_scaling surface -ocean_ca_switch softplus "
        "-ocean_jacobian_network false -ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation softplus -ts_type theta -ts_theta_theta 0.6 -ts_dt 3600 "
        "-adjoint_memory disk -adjoint_checkpoint_every 2",
        "-closure_activation relu -ts_type beuler -ts_dt 1800 -adjoint_memory checkpoint",
        "-closure_activation relu -test_last_layer -ts_type beuler -ts_dt 1800 -adjoint_memory "
        "store",
        "-closure_activation relu -test_last_layer -ts_type beuler -ts_dt 1800 -adjoint_memory "
        "checkpoint -adjoint_checkpoint_every 2",
        "-closure_activation relu -test_last_layer -ts_type beuler -ts_dt 1800 -adjoint_memory "
        "disk",
        "-closure_activation relu -test_last_layer -ts_type cn -ts_dt 1200 -adjoint_memory "
        "checkpoint"));

TEST(OceanColumn, SameLossAndGradientOn1To3Ranks) {
  for (const char* form :
       {"column", "face", "face -ocean_face_inputs froude", "face -ocean_face_inputs froude_base",
        "face -ocean_face_inputs froude_base_strat"})
    ExpectSameGradientOnRanks<OceanProblem>(
        std::string(kOceanBase) +
            "-ocean_network_inputs forcing -ocean_flux_scaling surface -ts_type beuler "
            "-ts_dt 1800 -adjoint_memory checkpoint -ocean_network_form " +
            form,
        std::string(form) + " form", 1e-10, 1e-10);
}

// Keeps a copy of the state at the last observation.
class FinalState : public adjoint::Observer {
 public:
  explicit FinalState(Vec u0) { VecDuplicate(u0, &u_); }
  ~FinalState() override { VecDestroy(&u_); }
  PetscErrorCode Observe(PetscInt, PetscReal, Vec u, PetscReal*, Vec) override {
    return VecCopy(u, u_);
  }
  Vec u_ = nullptr;
};

// K-profile truth with the entrainment flux: heat is conserved (the column loses exactly
// Q t / (rho c_p)); without entrainment the mixed layer reaches the convective-adjustment
// depth h_ca = sqrt(2 Q t / (rho c_p Gamma)); with the entrainment ratio E = 0.2 the
// classic slab energetics (Deardorff; Large et al. 1994) give h = sqrt(1 + 2 E) h_0: the
// cooled layer ends above that depth (the mixed layer is warmer than the water just below
// its base) and the warmed, entrained water reaches below it.
TEST(OceanColumn, KppEntrainmentConservesHeatAndDeepensMixedLayer) {
  const double Q = 50, n2 = 1e-5, t = 4 * 86400.0, rho_cp = 1025.0 * 3991.0, alpha_g = 2e-4 * 9.81;
  const double gamma = n2 / alpha_g, heat = Q / rho_cp * t, h_ca = std::sqrt(2 * heat / gamma);
  double hc[2], hw[2];
  const double E[2] = {0.0, 0.2};
  for (int e = 0; e < 2; ++e) {
    ScopedOptions scoped(
        "-physics ocean_column -ocean_scheme kpp -closure_type none -ocean_nz 256 -ocean_nx 3 "
        "-ocean_ny 1 -ocean_cooling 50 -ocean_n2 1e-5 -ts_type beuler -ts_dt 600 -snes_type "
        "ksponly "
        "-ocean_kpp_entrainment " +
        std::to_string(E[e]));
    std::unique_ptr<pde::Physics> physics;
    ASSERT_EQ(pde::PhysicsCreateFromOptions(PETSC_COMM_WORLD, nullptr, "ocean_column", &physics),
              0);
    ASSERT_EQ(physics->SetUp(), 0);
    pde::Scenario sc;
    ASSERT_EQ(physics->MakeScenario(1, &sc), 0);
    ASSERT_EQ(physics->SetScenario(sc), 0);
    adjoint::Integrator integ(physics.get());
    ASSERT_EQ(integ.SetFromOptions(nullptr), 0);
    ASSERT_EQ(integ.SetUp(), 0);
    Vec u0;
    ASSERT_EQ(DMCreateGlobalVector(physics->Grid(), &u0), 0);
    ASSERT_EQ(physics->InitialCondition(u0), 0);
    FinalState obs(u0);
    PetscReal loss = 0;
    ASSERT_EQ(integ.Forward(0.0, u0, {t}, &obs, &loss), 0);
    const PetscScalar *a0, *a;
    VecGetArrayRead(u0, &a0);
    VecGetArrayRead(obs.u_, &a);
    PetscInt n;
    VecGetLocalSize(u0, &n);
    double loc[3] = {0, 0, 0},
           glob[3];  // heat error, cooled depth, warmed depth (max over columns)
    for (PetscInt c = 0; c < n / 256; ++c) {
      const PetscScalar *T0 = a0 + 256 * c, *T = a + 256 * c;
      double dh = 0;
      for (int k = 0; k < 256; ++k) dh += (T[k] - T0[k]) * 1.0;
      loc[0] = std::max(loc[0], std::abs(dh + heat) / heat);
      // From the top: the levels cooled by more than 1 mK, then those warmed by more than 1 mK.
      int k = 255;
      while (k > 0 && T[k] - T0[k] < -1e-3) --k;
      loc[1] = std::max(loc[1], 255.5 - k);
      while (k > 0 && T[k] - T0[k] > 1e-3) --k;
      loc[2] = std::max(loc[2], 255.5 - k);
    }
    VecRestoreArrayRead(u0, &a0);
    VecRestoreArrayRead(obs.u_, &a);
    VecDestroy(&u0);
    MPI_Allreduce(loc, glob, 3, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
    hc[e] = glob[1];
    hw[e] = glob[2];
    PetscPrintf(PETSC_COMM_WORLD,
                "  entrainment %.1f: heat loss rel. error %.2e, cooled to %.1f m, warmed to %.1f m "
                "(CA theory %.1f m)\n",
                E[e], glob[0], hc[e], hw[e], h_ca);
    EXPECT_LT(glob[0], 1e-9);
  }
  const double h_e = std::sqrt(1.4) * hc[0];
  PetscPrintf(PETSC_COMM_WORLD, "  slab theory with entrainment: %.1f m\n", h_e);
  EXPECT_NEAR(hc[0] / h_ca, 1.0, 0.1);  // measured 41.5 / 40.7
  EXPECT_LT(hw[0] - hc[0], 2.5);        // no entrainment zone without entrainment
  EXPECT_LT(hc[1], h_e);                // measured 43.5 < 49.1 < 64.5
  EXPECT_GT(hw[1], h_e);
  EXPECT_GT(hc[1], hc[0]);
}

}  // namespace
