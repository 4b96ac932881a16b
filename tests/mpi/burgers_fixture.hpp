#pragma once
// Shared set-up for Burgers adjoint tests: a small forced Burgers problem with an MLP
// flux closure, synthetic observations, and a mean-squared-error observer.
#include <petscdmda.h>

#include <cmath>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/observers.hpp"

namespace udeflow::test {

/// L = sum_k mean_i (u_i(t_k) - d_i(t_k))^2 with d given per global cell index.
class MseObserver : public adjoint::Observer {
 public:
  MseObserver(DM da, int K) {
    for (int k = 0; k < K; ++k) {
      Vec d;
      DMCreateGlobalVector(da, &d);
      PetscInt xs, xm;
      DMDAGetCorners(da, &xs, nullptr, nullptr, &xm, nullptr, nullptr);
      PetscScalar* a;
      VecGetArray(d, &a);
      for (PetscInt i = 0; i < xm; ++i) a[i] = 0.3 * std::sin(0.2 * (xs + i) + 0.7 * k) + 0.1 * k;
      VecRestoreArray(d, &a);
      data_.push_back(d);
    }
    VecDuplicate(data_[0], &work_);
  }
  ~MseObserver() override {
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

/// A Burgers problem on `comm` configured from an options string.
struct BurgersProblem {
  std::unique_ptr<pde::Physics> physics;
  AlignedVector<double> params;  // the parameters the physics reads (initial after Create)
  std::unique_ptr<adjoint::Integrator> integrator;
  std::unique_ptr<adjoint::Observer> observer;
  std::vector<Vec> data;
  Vec u0 = nullptr;
  std::vector<PetscReal> times;

  PetscErrorCode Create(MPI_Comm comm, const std::string& opts, int K = 4,
                        PetscReal dt_obs = 0.25) {
    PetscFunctionBeginUser;
    ScopedOptions scoped(opts);
    PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, "burgers", &physics));
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
    // -test_huber <delta>: the pseudo-Huber misfit of training instead of the MSE.
    PetscReal delta = 0;
    PetscCall(PetscOptionsGetReal(nullptr, nullptr, "-test_huber", &delta, nullptr));
    if (delta > 0) {
      for (int k = 0; k < K; ++k) {
        Vec d;
        PetscCall(VecDuplicate(u0, &d));
        PetscCall(VecSet(d, 0.05 * k));
        data.push_back(d);
      }
      observer =
          std::make_unique<train::DataMisfit>(&data, 1.0, train::DataMisfit::Kind::kHuber, delta);
    } else {
      observer = std::make_unique<MseObserver>(physics->Grid(), K);
    }
    for (int k = 1; k <= K; ++k) times.push_back(dt_obs * k);
    PetscFunctionReturn(0);
  }
  ~BurgersProblem() {
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

/// A deterministic direction in parameter space.
inline std::vector<double> Direction(size_t n, uint64_t seed) {
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = 2 * Philox::Uniform(seed, i, 3) - 1;
  return d;
}

/// Checks the adjoint gradient g of p.Loss at theta against central finite differences
/// along each direction named by a seed (0: along g itself), with the step scaled to the
/// direction's size: relative difference below `tol`.
template <class Problem>
void ExpectDirectionalDerivatives(Problem& p, const std::vector<double>& theta,
                                  const std::vector<double>& g,
                                  std::initializer_list<uint64_t> seeds, const std::string& what,
                                  double tol = 1e-6) {
  const size_t P = theta.size();
  for (uint64_t seed : seeds) {
    std::vector<double> d = seed ? Direction(P, seed) : g;
    const double h = 1e-5 / std::sqrt(Dot(d, d) / P);
    std::vector<double> tp(P), tm(P);
    for (size_t i = 0; i < P; ++i) {
      tp[i] = theta[i] + h * d[i];
      tm[i] = theta[i] - h * d[i];
    }
    PetscReal Lp, Lm;
    UDE_ASSERT_OK(p.Loss(tp, &Lp));
    UDE_ASSERT_OK(p.Loss(tm, &Lm));
    const double fd = (Lp - Lm) / (2 * h), ad = Dot(g, d);
    EXPECT_LT(RelDiff(fd, ad), tol)
        << what << " direction " << seed << ": fd " << fd << " adjoint " << ad;
  }
}

// Common options: 5-cell stencil MLP closure, sine initial condition, forcing.
inline const char* kBurgersBase =
    "-burgers_n 48 -burgers_ic sine -closure_type mlp -closure_hidden 8,8 -closure_init_scale 0.5 "
    "-closure_seed 3 -burgers_closure_stencil 5 ";

}  // namespace udeflow::test
