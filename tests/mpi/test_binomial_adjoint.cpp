// Binomial checkpointing (-adjoint_memory binomial): the gradient equals the one of the
// stored trajectory, matches central finite differences, recomputes exactly the optimal
// number of steps and holds at most the slot budget of states.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "burgers_fixture.hpp"
#include "udeflow/adjoint/binomial.hpp"
#include "udeflow/adjoint/online.hpp"

namespace {

using namespace udeflow;
using namespace udeflow::test;

struct GradRun {
  PetscReal loss = 0;
  std::vector<double> grad;
  adjoint::IntegratorStats stats;
};

PetscErrorCode GradientOf(const std::string& opts, GradRun* r, int K = 4, PetscReal dt_obs = 0.25,
                          PetscInt* hook_calls = nullptr) {
  PetscFunctionBeginUser;
  BurgersProblem p;
  PetscCall(p.Create(PETSC_COMM_WORLD, std::string(kBurgersBase) + opts, K, dt_obs));
  if (hook_calls) {
    *hook_calls = 0;
    p.integrator->SetStepHook([hook_calls](PetscInt, PetscReal, Vec) -> PetscErrorCode {
      ++*hook_calls;
      return 0;
    });
  }
  std::vector<double> theta(p.params.begin(), p.params.end());
  PetscCall(p.Gradient(theta, &r->loss, &r->grad));
  r->stats = p.integrator->Stats();
  PetscFunctionReturn(0);
}

// Largest |a - b| over max |b|.
double RelMaxDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0, m = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    d = std::max(d, std::abs(a[i] - b[i]));
    m = std::max(m, std::abs(b[i]));
  }
  return d / m;
}

class BinomialGradient : public ::testing::TestWithParam<const char*> {};

// Every slot budget gives the stored trajectory's loss and gradient bit for bit: the
// same steps from the same states, the same adjoint arithmetic step by step.  FSAL
// tableaus (5dp) agree to round-off only: a run restarted from a checkpoint evaluates
// the first stage afresh instead of reusing the previous step's last stage.  The
// recomputations are the optimum and the states held <= slots.
TEST_P(BinomialGradient, EqualsStoredTrajectoryWithOptimalRecomputation) {
  const bool exact = std::string(GetParam()).find("5dp") == std::string::npos;
  GradRun ref;
  UDE_ASSERT_OK(GradientOf(std::string(GetParam()) + " -adjoint_memory store", &ref));
  const PetscInt M = ref.stats.forward_steps;
  ASSERT_GT(M, 10);
  for (PetscInt slots : {1, 3, 1000}) {
    GradRun b;
    UDE_ASSERT_OK(GradientOf(std::string(GetParam()) +
                                 " -adjoint_memory binomial -adjoint_checkpoint_slots " +
                                 std::to_string(slots),
                             &b));
    if (exact)
      EXPECT_EQ(b.loss, ref.loss) << "slots " << slots;
    else
      EXPECT_NEAR(b.loss, ref.loss, 1e-14 * ref.loss) << "slots " << slots;
    EXPECT_EQ(b.stats.forward_steps, M);
    EXPECT_EQ(b.stats.adjoint_steps, M);
    EXPECT_EQ(b.stats.replayed_steps, adjoint::BinomialMinAdvances(M, slots)) << "slots " << slots;
    EXPECT_LE(b.stats.peak_checkpoints, slots);
    EXPECT_EQ(b.stats.peak_checkpoints, std::min<PetscInt>(slots, M)) << "slots " << slots;
    if (exact) {
      EXPECT_EQ(b.grad, ref.grad) << GetParam() << " slots " << slots;
    } else {
      EXPECT_LE(RelMaxDiff(b.grad, ref.grad), 1e-14) << GetParam() << " slots " << slots;
    }
  }
}

// Two levels (-adjoint_checkpoint_disk_every D): the state every D steps on disk, each
// interval reversed by the binomial schedule in RAM.  The same loss and gradient as the
// stored trajectory, the recomputations sum_k (l_k + F(l_k, slots)), RAM bounded by the
// slots, one disk state per interval, and no checkpoint file left behind.
TEST_P(BinomialGradient, TwoLevelWithDiskEqualsStoredTrajectory) {
  const bool exact = std::string(GetParam()).find("5dp") == std::string::npos;
  GradRun ref;
  UDE_ASSERT_OK(GradientOf(std::string(GetParam()) + " -adjoint_memory store", &ref));
  const PetscInt M = ref.stats.forward_steps;
  for (PetscInt D : {4, 7}) {
    const PetscInt slots = 2;
    GradRun b;
    UDE_ASSERT_OK(GradientOf(std::string(GetParam()) +
                                 " -adjoint_memory binomial -adjoint_checkpoint_slots 2"
                                 " -adjoint_checkpoint_dir . -adjoint_checkpoint_disk_every " +
                                 std::to_string(D),
                             &b));
    PetscInt expect = 0, intervals = 0;
    for (PetscInt a = 0; a < M; a += D, ++intervals) {
      const PetscInt l = std::min(D, M - a);
      expect += l + adjoint::BinomialMinAdvances(l, slots);
    }
    EXPECT_EQ(b.stats.forward_steps, M);
    EXPECT_EQ(b.stats.adjoint_steps, M);
    EXPECT_EQ(b.stats.replayed_steps, expect) << "D " << D;
    EXPECT_EQ(b.stats.disk_checkpoints, intervals) << "D " << D;
    EXPECT_EQ(b.stats.peak_checkpoints, slots) << "D " << D;
    if (exact) {
      EXPECT_EQ(b.loss, ref.loss) << "D " << D;
      EXPECT_EQ(b.grad, ref.grad) << GetParam() << " D " << D;
    } else {
      EXPECT_NEAR(b.loss, ref.loss, 1e-14 * ref.loss) << "D " << D;
      EXPECT_LE(RelMaxDiff(b.grad, ref.grad), 1e-14) << GetParam() << " D " << D;
    }
  }
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) {
    const int found = std::system("ls udeflow-checkpoints-*.h5 > /dev/null 2>&1");
    EXPECT_NE(found, 0) << "a checkpoint file was left in the working directory";
  }
}

TEST(BinomialMemory, DiskLevelNeedsBinomialOrOnlineMode) {
  GradRun r;
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  const PetscErrorCode ierr = GradientOf(
      "-ts_type rk -ts_rk_type 4 -ts_dt 0.04 -adjoint_memory checkpoint "
      "-adjoint_checkpoint_disk_every 5",
      &r);
  PetscPopErrorHandler();
  EXPECT_NE(ierr, 0);
}

TEST_P(BinomialGradient, MatchesCentralFiniteDifferences) {
  BurgersProblem p;
  UDE_ASSERT_OK(p.Create(PETSC_COMM_WORLD, std::string(kBurgersBase) + GetParam() +
                                               " -adjoint_memory binomial "
                                               "-adjoint_checkpoint_slots 3"));
  std::vector<double> theta(p.params.begin(), p.params.end()), g;
  PetscReal L;
  UDE_ASSERT_OK(p.Gradient(theta, &L, &g));
  EXPECT_GT(p.integrator->Stats().replayed_steps, p.integrator->Stats().forward_steps);
  p.integrator->FreezeSchedule(true);
  ExpectDirectionalDerivatives(p, theta, g, {21u, 0u}, GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    Schemes, BinomialGradient,
    ::testing::Values("-ts_type rk -ts_rk_type 4 -ts_dt 0.04",
                      "-ts_type rk -ts_rk_type 5dp -ts_dt 0.04",
                      "-ts_type rk -ts_rk_type 5dp -ts_adapt_type basic -ts_dt 0.01 "
                      "-ts_atol 1e-6 -ts_rtol 1e-6",
                      "-ts_type cn -ts_dt 0.04", "-ts_type theta -ts_theta_theta 0.7 -ts_dt 0.04",
                      "-ts_type beuler -ts_dt 0.04"));

// A long chain: the live checkpoints never exceed the slots, and the recomputation count
// is the closed-form optimum.
TEST(BinomialMemory, LongChainHoldsAtMostTheSlots) {
  GradRun r;
  UDE_ASSERT_OK(
      GradientOf("-burgers_n 16 -ts_type rk -ts_rk_type 4 -ts_dt 0.001 "
                 "-adjoint_memory binomial -adjoint_checkpoint_slots 6",
                 &r, 2, 1.0));
  EXPECT_EQ(r.stats.forward_steps, 2000);
  EXPECT_EQ(r.stats.peak_checkpoints, 6);
  EXPECT_EQ(r.stats.replayed_steps, adjoint::BinomialMinAdvances(2000, 6));
  EXPECT_EQ(r.stats.adjoint_steps, 2000);
  for (double v : r.grad) EXPECT_TRUE(std::isfinite(v));
}

// Online checkpointing (-adjoint_memory online): the gradient of the stored trajectory (bit
// for bit with fixed steps and a non-FSAL tableau, to round-off otherwise), the online
// schedule's recomputations (online.hpp) with the offline optimum reported beside them, at
// most the slots held, and for adaptive steps one observed forward sweep (the step hook runs
// once per step) where binomial mode records the steps in an extra one.
class OnlineGradient : public ::testing::TestWithParam<const char*> {};

TEST_P(OnlineGradient, EqualsStoredTrajectoryInOneForwardSweep) {
  const std::string scheme = GetParam();
  const bool exact = scheme.find("adapt") == std::string::npos &&
                     scheme.find("5dp") == std::string::npos &&
                     scheme.find("3bs") == std::string::npos;
  const bool adaptive = scheme.find("adapt") != std::string::npos;
  GradRun ref;
  UDE_ASSERT_OK(GradientOf(scheme + " -adjoint_memory store", &ref));
  const PetscInt M = ref.stats.forward_steps;
  ASSERT_GT(M, 10);
  for (PetscInt slots : {1, 3, 6, 1000}) {
    GradRun o;
    PetscInt hooks = 0;
    UDE_ASSERT_OK(GradientOf(
        scheme + " -adjoint_memory online -adjoint_checkpoint_slots " + std::to_string(slots), &o,
        4, 0.25, &hooks));
    EXPECT_EQ(o.stats.forward_steps, M) << "slots " << slots;
    EXPECT_EQ(o.stats.adjoint_steps, M);
    EXPECT_EQ(hooks, M + 1) << "one observed forward sweep, slots " << slots;
    const auto c = adjoint::CountSchedule(adjoint::OnlineSchedule(M, slots), M);
    EXPECT_EQ(o.stats.replayed_steps, c.advances + c.reversals - M) << "slots " << slots;
    EXPECT_EQ(o.stats.replayed_steps, adjoint::OnlineRecomputations(M, slots));
    EXPECT_EQ(o.stats.offline_optimum, adjoint::BinomialMinAdvances(M, slots));
    EXPECT_LE(o.stats.replayed_steps, o.stats.offline_optimum + M);
    EXPECT_LE(o.stats.peak_checkpoints, slots);
    PetscPrintf(PETSC_COMM_WORLD,
                "online, %s, %" PetscInt_FMT " slots: %" PetscInt_FMT " steps, %" PetscInt_FMT
                " recomputed (offline optimum %" PetscInt_FMT
                "), gradient relative difference %.2e\n",
                scheme.c_str(), slots, M, o.stats.replayed_steps, o.stats.offline_optimum,
                RelMaxDiff(o.grad, ref.grad));
    if (exact) {
      EXPECT_EQ(o.loss, ref.loss) << "slots " << slots;
      EXPECT_EQ(o.grad, ref.grad) << scheme << " slots " << slots;
    } else {
      EXPECT_NEAR(o.loss, ref.loss, 1e-14 * ref.loss) << "slots " << slots;
      EXPECT_LE(RelMaxDiff(o.grad, ref.grad), 1e-14) << scheme << " slots " << slots;
    }
  }
  if (adaptive) {  // binomial mode records the adaptive steps in an extra forward sweep
    GradRun b;
    PetscInt hooks = 0;
    UDE_ASSERT_OK(GradientOf(scheme + " -adjoint_memory binomial -adjoint_checkpoint_slots 3", &b,
                             4, 0.25, &hooks));
    EXPECT_EQ(hooks, 2 * (M + 1));
  }
}

// Online with the disk level (-adjoint_checkpoint_disk_every D): the sweep writes every
// state kD to disk and restarts the RAM placement there; the last interval is reversed from
// RAM, the earlier ones from disk by the binomial schedule.  Still one observed forward
// sweep (adaptive steps included), the stored trajectory's loss and gradient, the
// recomputations of OnlineRecomputations(M, slots, D), RAM bounded by the slots, one disk
// state per interval and no file left behind.
TEST_P(OnlineGradient, TwoLevelWithDiskEqualsStoredTrajectory) {
  const std::string scheme = GetParam();
  const bool exact = scheme.find("adapt") == std::string::npos &&
                     scheme.find("5dp") == std::string::npos &&
                     scheme.find("3bs") == std::string::npos;
  GradRun ref;
  UDE_ASSERT_OK(GradientOf(scheme + " -adjoint_memory store", &ref));
  const PetscInt M = ref.stats.forward_steps;
  ASSERT_GT(M, 10);
  for (PetscInt D : {4, 7})
    for (PetscInt slots : {2, 3}) {
      GradRun o;
      PetscInt hooks = 0;
      UDE_ASSERT_OK(GradientOf(
          scheme + " -adjoint_memory online -adjoint_checkpoint_slots " + std::to_string(slots) +
              " -adjoint_checkpoint_dir . -adjoint_checkpoint_disk_every " + std::to_string(D),
          &o, 4, 0.25, &hooks));
      const std::string at = "D " + std::to_string(D) + ", slots " + std::to_string(slots);
      EXPECT_EQ(o.stats.forward_steps, M) << at;
      EXPECT_EQ(o.stats.adjoint_steps, M) << at;
      EXPECT_EQ(hooks, M + 1) << "one observed forward sweep, " << at;
      EXPECT_EQ(o.stats.replayed_steps, adjoint::OnlineRecomputations(M, slots, D)) << at;
      EXPECT_EQ(o.stats.disk_checkpoints, (M - 1) / D + 1) << at;
      EXPECT_LE(o.stats.peak_checkpoints, slots) << at;
      PetscPrintf(PETSC_COMM_WORLD,
                  "online + disk, %s, %s: %" PetscInt_FMT " steps, %" PetscInt_FMT
                  " recomputed (RAM only %" PetscInt_FMT "), %" PetscInt_FMT " on disk\n",
                  scheme.c_str(), at.c_str(), M, o.stats.replayed_steps,
                  (PetscInt)adjoint::OnlineRecomputations(M, slots), o.stats.disk_checkpoints);
      if (exact) {
        EXPECT_EQ(o.loss, ref.loss) << at;
        EXPECT_EQ(o.grad, ref.grad) << scheme << " " << at;
      } else {
        EXPECT_NEAR(o.loss, ref.loss, 1e-14 * ref.loss) << at;
        EXPECT_LE(RelMaxDiff(o.grad, ref.grad), 1e-14) << scheme << " " << at;
      }
    }
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) {
    const int found = std::system("ls udeflow-checkpoints-*.h5 > /dev/null 2>&1");
    EXPECT_NE(found, 0) << "a checkpoint file was left in the working directory";
  }
}

INSTANTIATE_TEST_SUITE_P(Schemes, OnlineGradient,
                         ::testing::Values("-ts_type rk -ts_rk_type 4 -ts_dt 0.04",
                                           "-ts_type cn -ts_dt 0.04",
                                           "-ts_type rk -ts_rk_type 5dp -ts_adapt_type basic "
                                           "-ts_dt 0.01 -ts_atol 1e-6 -ts_rtol 1e-6",
                                           "-ts_type rk -ts_rk_type 3bs -ts_adapt_type basic "
                                           "-ts_dt 0.01 -ts_atol 1e-6 -ts_rtol 1e-6"));

}  // namespace
