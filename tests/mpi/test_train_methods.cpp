// Collocation and the prediction-error method on the PDE physics (Burgers 1-D, Fisher-KPP
// 2-D, the ocean columns 3-D with an implicit step): for each, a tiny dataset, then
//  - the objective with the grid on one group of all ranks equals the objective with one
//    group per rank (each holding the whole grid): the same answer on any number of ranks;
//  - its gradient against central differences along random directions of theta (and, for
//    PEM, of the trainable initial states), in every adjoint memory mode that applies.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "burgers_fixture.hpp"
#include "test_util.hpp"
#include "trainer_fixture.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/train/trainer.hpp"
#include "udeflow/workflow/case.hpp"
#include "udeflow/workflow/generate.hpp"

using namespace udeflow;
using test::RelDiff;

namespace {

struct MethodCase {
  const char* name;
  const char* physics;
  const char* opts;  // model, truth and generate options
};

const MethodCase kCases[] = {
    {"burgers", "burgers",
     "-physics burgers -burgers_n 32 -burgers_closure_stencil 5 -closure_type mlp "
     "-closure_hidden 8 -closure_init_scale 0.5 -ts_type rk -ts_rk_type 4 -ts_dt 0.05 "
     "-truth_burgers_n 128 -truth_burgers_flux central -truth_burgers_reconstruction first "
     "-truth_closure_type none -truth_ts_type rk -truth_ts_rk_type 4 -truth_ts_dt 0.005 "
     "-generate_train_seeds 1,2 -generate_test_seeds 101 -generate_spinup 0.5 "
     "-generate_duration 1.0 -generate_dt_save 0.1 "},
    {"fisher_kpp_2d", "fisher_kpp",
     "-physics fisher_kpp -fisher_dim 2 -fisher_n 12 -fisher_diffusion 0 -fisher_rate 0 "
     "-closure_type mlp -closure_hidden 6 -stencil_closure_type stencil -ts_type cn -ts_dt 0.1 "
     "-truth_fisher_dim 2 -truth_fisher_n 12 -truth_fisher_diffusion 0.01 -truth_fisher_rate 1 "
     "-truth_ts_type cn -truth_ts_dt 0.02 "
     "-generate_train_seeds 0,2 -generate_test_seeds 1 -generate_duration 1.0 "
     "-generate_dt_save 0.1 -snes_rtol 1e-14 -snes_atol 1e-14 -ksp_rtol 1e-14 "},
    {"ocean_column", "ocean_column",
     "-physics ocean_column -ocean_nx 3 -ocean_ny 2 -ocean_nz 16 -ocean_ca_diffusivity 10 "
     "-ocean_t_offset 19 -ocean_t_scale 0.5 -closure_type mlp -closure_hidden 8 "
     "-closure_activation tanh -closure_init_scale 0.1 -ts_type beuler -ts_dt 3600 "
     "-truth_ocean_nz 64 -truth_ocean_scheme kpp -truth_closure_type none "
     "-truth_ts_type beuler -truth_ts_dt 600 -truth_snes_type ksponly "
     "-generate_train_seeds 1 -generate_test_seeds 101 -generate_duration 21600 "
     "-generate_dt_save 3600 -snes_rtol 1e-14 -snes_atol 1e-14 -ksp_type preonly -pc_type lu "
     "-pc_factor_mat_solver_type mumps "},
};

std::string Dir(const MethodCase& c) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  return std::string("methods_") + c.name + "_np" + std::to_string(size);
}

// The start point: theta from the physics' initialisation, the shooting states from the
// data scaled by 1 + 0.02 d (d a fixed random direction in the natural ordering of x, so
// the same states on any number of ranks), so the PEM forcing is active.
PetscErrorCode StartPoint(test::TrainerSetup& s, AlignedVector<double>* x) {
  PetscFunctionBeginUser;
  x->assign(s.trainer->NumTrainable(), 0.0);
  PetscCall(s.physics->InitializeParams(x->data()));
  const PetscInt P = s.physics->NumParams();
  if (s.trainer->Shooting()) {
    PetscCall(s.trainer->InitialShootingStates(x));
    const auto d = test::Direction(x->size(), 5);
    for (size_t i = P; i < x->size(); ++i) (*x)[i] *= 1 + 0.02 * d[i];
  }
  PetscFunctionReturn(0);
}

class TrainMethods : public ::testing::TestWithParam<MethodCase> {
 protected:
  void SetUp() override {
    test::ScopedOptions o(std::string(GetParam().opts) + "-output_dir " + Dir(GetParam()));
    ASSERT_EQ(workflow::GenerateDataset(PETSC_COMM_WORLD), 0);
  }
  // Loss and gradient of Adam iteration 0 with one group (the grid over all ranks) and one
  // group per rank; checks they agree and returns the one-group figures.
  void Objectives(const std::string& method, double* loss, std::vector<double>* grad,
                  AlignedVector<double>* x, double tol) {
    double l[2];
    std::vector<double> g[2];
    for (int k = 0; k < 2; ++k) {
      test::ScopedOptions o(std::string(GetParam().opts) + "-output_dir " + Dir(GetParam()) + " " +
                            method + " -train_groups " + (k ? "0" : "1"));
      test::TrainerSetup s;
      UDE_ASSERT_OK(s.Create(GetParam().physics));
      AlignedVector<double> xs;
      UDE_ASSERT_OK(StartPoint(s, &xs));
      UDE_ASSERT_OK(s.trainer->Objective(0, xs, &l[k], &g[k]));
      if (k == 0) *x = xs;
    }
    EXPECT_LT(RelDiff(l[0], l[1]), tol) << method << ": one group vs one per rank";
    // theta's and the initial states' parts (x holds the states in natural ordering).
    ASSERT_EQ(g[0].size(), g[1].size());
    double num = 0, den = 0;
    for (size_t i = 0; i < g[0].size(); ++i) {
      num += (g[0][i] - g[1][i]) * (g[0][i] - g[1][i]);
      den += g[0][i] * g[0][i];
    }
    EXPECT_LT(std::sqrt(num / den), tol) << method << ": gradient, one group vs one per rank";
    *loss = l[0];
    *grad = g[0];
  }
  // Central differences of the one-group objective along random directions of x.
  void ExpectFd(const std::string& method, const AlignedVector<double>& x,
                const std::vector<double>& g, double tol) {
    test::ScopedOptions o(std::string(GetParam().opts) + "-output_dir " + Dir(GetParam()) + " " +
                          method + " -train_groups 1");
    test::TrainerSetup s;
    UDE_ASSERT_OK(s.Create(GetParam().physics));
    for (uint64_t seed : {21u, 22u}) {
      double fd, gd;
      test::DirectionalFd<AlignedVector<double>>(
          x, test::Direction(x.size(), seed), g, 1e-5,
          [&](const AlignedVector<double>& y) {
            double l = 0;
            EXPECT_EQ(s.trainer->Objective(0, y, &l, nullptr), 0);
            return l;
          },
          &fd, &gd);
      EXPECT_LT(RelDiff(fd, gd), tol)
          << method << " direction " << seed << ": fd " << fd << " adjoint " << gd;
      PetscPrintf(PETSC_COMM_WORLD, "  %s %s: direction %d fd %.10e adjoint %.10e\n",
                  GetParam().name, method.c_str(), (int)seed, fd, gd);
    }
  }
};

TEST_P(TrainMethods, CollocationAgreesAcrossRanksAndMatchesFiniteDifferences) {
  const std::string m = "-train_method collocation";
  double L;
  std::vector<double> g;
  AlignedVector<double> x;
  Objectives(m, &L, &g, &x, 1e-12);
  EXPECT_GT(L, 0);
  ExpectFd(m, x, g, 1e-6);
}

TEST_P(TrainMethods, PemAgreesAcrossRanksAndMatchesFiniteDifferences) {
  const char* modes[] = {"store", "checkpoint -adjoint_checkpoint_every 2",
                         "binomial -adjoint_checkpoint_slots 3",
                         "online -adjoint_checkpoint_slots 3"};
  for (const char* mode : modes) {
    const std::string m =
        std::string("-train_method pem -train_pem_gain 0.5 -train_iterations 4 ") +
        (std::string(GetParam().name) == "ocean_column" ? "-train_pem_gain 2e-4 " : "") +
        "-adjoint_memory " + mode;
    double L;
    std::vector<double> g;
    AlignedVector<double> x;
    Objectives(m, &L, &g, &x, 1e-10);
    ExpectFd(m, x, g, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Physics, TrainMethods, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<MethodCase>& i) {
                           return std::string(i.param.name);
                         });

}  // namespace
