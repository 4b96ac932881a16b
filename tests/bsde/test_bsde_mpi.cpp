// MPI tests of the BSDE trainer: the training history does not depend on the number of
// ranks (sub-communicators of size 1..P inside one run, batches that do not divide
// evenly), resume from a checkpoint reproduces the uninterrupted run, a NaN stops the
// run with a message naming the iteration and keeps the last good checkpoint, and bad
// checkpoints are refused with errors naming the file.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstring>

#include <cmath>
#include <cstdio>
#include <string>

#include "bsde_test_util.hpp"
#include "udeflow/bsde/trainer.hpp"
#include "udeflow/io/hdf5.hpp"

using namespace udeflow::bsde;
using udeflow::test::ScopedOptions;

namespace {

int WorldRank() {
  int r;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r;
}
int WorldSize() {
  int s;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

// Small, fast problems; every run trains 50 iterations.
const std::string kCommon =
    " -bsde_iterations 50 -bsde_valid_every 25 -bsde_valid_batch 32 -bsde_save 0 -bsde_monitor 0"
    " -bsde_norm_samples 64 -bsde_lr 1e-2 -bsde_net_width 12";

struct RankCase {
  const char* name;
  std::string options;
};

class RankIndependence : public ::testing::TestWithParam<RankCase> {};

// Trains on sub-communicators of size 1, 2, ..., P (the first ranks of the world) and
// compares every loss of the 50 iterations, the validation losses and the final
// parameters with the 1-rank run.  Batch 64 does not divide by 3.
TEST_P(RankIndependence, LossHistoryIsTheSameOnAnyNumberOfRanks) {
  ASSERT_TRUE(udeflow::test::WorldHasRanksToCompare());
  const RankCase& c = GetParam();
  ScopedOptions opts(kCommon + " " + c.options);
  std::vector<std::vector<double>> losses;
  std::vector<Vector> params;
  std::vector<double> valid;
  for (int s = 1; s <= WorldSize(); ++s) {
    MPI_Comm sub;
    MPI_Comm_split(PETSC_COMM_WORLD, WorldRank() < s ? 0 : MPI_UNDEFINED, WorldRank(), &sub);
    if (sub != MPI_COMM_NULL) {
      Trainer t(sub);
      UDE_ASSERT_OK(t.SetFromOptions());
      UDE_ASSERT_OK(t.SetUp());
      UDE_ASSERT_OK(t.TrainIterations(50));
      ASSERT_EQ(t.LossHistory().size(), 50u);
      losses.push_back(t.LossHistory());
      params.push_back(t.Params());
      valid.push_back(t.ValidationHistory().back().valid_loss);
      MPI_Comm_free(&sub);
    }
    udeflow::test::SleepingBarrier(PETSC_COMM_WORLD);  // idle ranks must not spin
  }
  if (WorldRank() != 0) return;  // world rank 0 took part in every run
  ASSERT_EQ(static_cast<int>(losses.size()), WorldSize());
  for (size_t s = 1; s < losses.size(); ++s) {
    double worst = 0;
    for (int i = 0; i < 50; ++i)
      worst = std::max(worst, udeflow::test::RelDiff(losses[s][i], losses[0][i]));
    EXPECT_LE(worst, 1e-10) << c.name << ": " << s + 1 << " ranks vs 1";
    std::printf(
        "[ info ] %s: %zu ranks vs 1: largest relative loss difference over 50 iterations %.2e\n",
        c.name, s + 1, worst);
    EXPECT_LE(udeflow::test::RelDiff(valid[s], valid[0]), 1e-10) << c.name;
    EXPECT_LE((params[s] - params[0]).norm() / params[0].norm(), 1e-10) << c.name;
  }
  // The run learned something (the history is not trivially constant).
  EXPECT_NE(losses[0].front(), losses[0].back());
}

INSTANTIATE_TEST_SUITE_P(
    Bsde, RankIndependence,
    ::testing::Values(
        RankCase{"hjb_subnets_euler",
                 "-bsde_equation hjb -bsde_dim 8 -bsde_steps 6 -bsde_batch 64 -bsde_hjb_lambda 10 "
                 "-bsde_net subnets"
                 " -bsde_backward_scheme euler -bsde_net_skip none -bsde_lr_schedule constant"},
        RankCase{"bsb_shared_trapezoid_skip",
                 "-bsde_equation bsb -bsde_dim 6 -bsde_steps 5 -bsde_batch 64 -bsde_net shared "
                 "-bsde_net_skip full"
                 " -bsde_backward_scheme trapezoid -bsde_net_zscale 1"},
        RankCase{"hjb_shared_controlled",
                 "-bsde_equation hjb -bsde_dim 8 -bsde_steps 6 -bsde_batch 64 -bsde_hjb_lambda 10 "
                 "-bsde_net shared"
                 " -bsde_net_skip gated -bsde_net_norm_feature -bsde_control driver"},
        RankCase{"allencahn_shared_euler_sde",
                 "-bsde_equation allencahn -bsde_dim 5 -bsde_steps 4 -bsde_batch 31 -bsde_net "
                 "shared -bsde_net_skip gated"
                 " -bsde_net_norm_feature -bsde_net_normalize step"
                 " -bsde_backward_scheme trapezoid -bsde_sde_scheme euler -bsde_grad_clip 1"}),
    [](const auto& info) { return std::string(info.param.name); });

std::string TmpDir() {
  return "bsde_mpi_np" + std::to_string(WorldSize());
}

// Resume from a checkpoint written after 20 iterations reproduces the parameters and the
// losses of an uninterrupted 40-iteration run.
TEST(BsdeCheckpoint, ResumeReproducesTheUninterruptedRun) {
  const std::string dir = TmpDir(), ckpt = dir + "/bsde_checkpoint.h5";
  const std::string base =
      kCommon +
      " -bsde_equation hjb -bsde_dim 6 -bsde_steps 5 -bsde_batch 20 -bsde_hjb_lambda 5"
      " -bsde_lr_schedule step -bsde_lr_milestones 10,30 -output_dir " +
      dir;
  Vector uninterrupted;
  std::vector<double> history;
  {
    ScopedOptions o(base + " -bsde_iterations 40");
    Trainer t(PETSC_COMM_WORLD);
    UDE_ASSERT_OK(t.SetFromOptions());
    UDE_ASSERT_OK(t.SetUp());
    UDE_ASSERT_OK(t.TrainIterations(40));
    uninterrupted = t.Params();
    history = t.LossHistory();
  }
  {
    ScopedOptions o(base + " -bsde_iterations 40 -bsde_checkpoint_every 20");
    Trainer t(PETSC_COMM_WORLD);
    UDE_ASSERT_OK(t.SetFromOptions());
    UDE_ASSERT_OK(t.SetUp());
    UDE_ASSERT_OK(t.TrainIterations(20));  // writes the checkpoint at iteration 20
  }
  {
    ScopedOptions o(base + " -bsde_iterations 40 -bsde_resume " + ckpt);
    Trainer t(PETSC_COMM_WORLD);
    UDE_ASSERT_OK(t.SetFromOptions());
    UDE_ASSERT_OK(t.SetUp());
    EXPECT_EQ(t.Iteration(), 20);
    UDE_ASSERT_OK(t.TrainIterations(100));  // stops at -bsde_iterations
    EXPECT_EQ(t.Iteration(), 40);
    // Bit for bit (the parameters, Adam's moments and the loss history are restored exactly).
    ASSERT_EQ(t.Params().size(), uninterrupted.size());
    EXPECT_EQ(0, std::memcmp(t.Params().data(), uninterrupted.data(),
                             sizeof(double) * uninterrupted.size()))
        << "max difference " << (t.Params() - uninterrupted).cwiseAbs().maxCoeff();
    ASSERT_EQ(t.LossHistory().size(), history.size());
    EXPECT_EQ(0,
              std::memcmp(t.LossHistory().data(), history.data(), sizeof(double) * history.size()));
  }
}

// Captures the first error message (PETSc prints nothing).
struct Captured {
  std::string message;
};
PetscErrorCode CaptureHandler(MPI_Comm, int, const char*, const char*, PetscErrorCode n,
                              PetscErrorType p, const char* mess, void* ctx) {
  auto* c = static_cast<Captured*>(ctx);
  if (p == PETSC_ERROR_INITIAL && c->message.empty() && mess) c->message = mess;
  return n;
}

// A NaN during training stops the run with a message naming the iteration and the last
// good checkpoint, which is left untouched.
TEST(BsdeCheckpoint, NanStopsWithMessageAndKeepsLastGoodCheckpoint) {
  const std::string dir = TmpDir() + "_nan", ckpt = dir + "/bsde_checkpoint.h5";
  ScopedOptions o(
      kCommon +
      " -bsde_equation hjb -bsde_dim 4 -bsde_steps 3 -bsde_batch 8 -bsde_checkpoint_every 5"
      " -output_dir " +
      dir);
  Trainer t(PETSC_COMM_WORLD);
  UDE_ASSERT_OK(t.SetFromOptions());
  UDE_ASSERT_OK(t.SetUp());
  UDE_ASSERT_OK(t.TrainIterations(10));
  t.Model().Params()[3] = NAN;  // a poisoned weight
  Captured cap;
  PetscPushErrorHandler(CaptureHandler, &cap);
  const PetscErrorCode ierr = t.TrainIterations(1);
  PetscPopErrorHandler();
  EXPECT_EQ(ierr, PETSC_ERR_NOT_CONVERGED);
  EXPECT_NE(cap.message.find("NaN at iteration 11"), std::string::npos) << cap.message;
  EXPECT_NE(cap.message.find(ckpt), std::string::npos) << cap.message;
  udeflow::io::H5File f;
  UDE_ASSERT_OK(udeflow::io::H5File::Open(PETSC_COMM_WORLD, ckpt, "test", &f));
  long long it = 0;
  UDE_ASSERT_OK(f.ReadAttr("/", "iteration", &it));
  EXPECT_EQ(it, 10);
}

// Resuming from a missing file or a checkpoint of another set-up fails with a user error
// naming the option and the file.
TEST(BsdeCheckpoint, BadResumeFilesAreRefused) {
  const std::string dir = TmpDir() + "_bad";
  const std::string base =
      kCommon + " -bsde_equation hjb -bsde_dim 4 -bsde_steps 3 -bsde_batch 8 -output_dir " + dir;
  {
    ScopedOptions o(base + " -bsde_checkpoint_every 2");
    Trainer t(PETSC_COMM_WORLD);
    UDE_ASSERT_OK(t.SetFromOptions());
    UDE_ASSERT_OK(t.SetUp());
    UDE_ASSERT_OK(t.TrainIterations(2));
  }
  struct Bad {
    std::string options;
    PetscErrorCode code;
    const char* needle;
  };
  for (const Bad& b :
       {Bad{" -bsde_resume " + dir + "/missing.h5", PETSC_ERR_FILE_OPEN, "missing.h5"},
        Bad{" -bsde_dim 5 -bsde_resume " + dir + "/bsde_checkpoint.h5", PETSC_ERR_FILE_UNEXPECTED,
            "d=4"}}) {
    ScopedOptions o(base + b.options);
    Trainer t(PETSC_COMM_WORLD);
    UDE_ASSERT_OK(t.SetFromOptions());
    Captured cap;
    PetscPushErrorHandler(CaptureHandler, &cap);
    const PetscErrorCode ierr = t.SetUp();
    PetscPopErrorHandler();
    EXPECT_EQ(ierr, b.code) << cap.message;
    EXPECT_NE(cap.message.find("option -bsde_resume"), std::string::npos) << cap.message;
    EXPECT_NE(cap.message.find(b.needle), std::string::npos) << cap.message;
  }
}

}  // namespace
