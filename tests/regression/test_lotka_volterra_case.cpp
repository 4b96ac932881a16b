// The Lotka-Volterra case as shipped (cases/lotka_volterra.yaml: 200 Adam + 1000 L-BFGS
// iterations): generate -> train -> discover reaches the stated loss and recovers exactly
// the xy terms within 5%, at 1 and 2 ranks.  The run is bit-reproducible (tests/repro), so
// the figures below are those of every run on this build; the L-BFGS path is sensitive to
// the last bits of the arithmetic, though: a change of compiler flags or kernels moves
// it (the 600-iteration truncation this test used before the arithmetic was made
// deterministic ends at 6.3e-5 on the current build, the full 1000 at 3.17e-5).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <memory>
#include <sstream>

#include "test_util.hpp"
#include "udeflow/adjoint/integrator.hpp"
#include "udeflow/io/dataset.hpp"
#include "udeflow/train/model_file.hpp"
#include "udeflow/train/trainer.hpp"
#include "udeflow/workflow/case.hpp"
#include "udeflow/workflow/discover.hpp"
#include "udeflow/workflow/generate.hpp"
#include "udeflow/workflow/train.hpp"

using namespace udeflow;

namespace {

std::string Dir() {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  return "lv_case_np" + std::to_string(size);
}

const std::string kShort = " -train_monitor_every 100000 ";

}  // namespace

TEST(LotkaVolterraCase, ShortRunRecoversTheInteractions) {
  test::ScopedOptions o("-options_file " + std::string(UDEFLOW_SOURCE_DIR) +
                        "/cases/lotka_volterra.yaml -output_dir " + Dir() + kShort);
  MPI_Comm comm = PETSC_COMM_WORLD;
  UDE_ASSERT_OK(workflow::GenerateDataset(comm));
  train::TrainResult r;
  UDE_ASSERT_OK(workflow::TrainCase(comm, &r));  // what `udeflow train` runs
  EXPECT_EQ(r.history.size(), 1201u);            // 200 Adam + L-BFGS iterations 0..1000
  EXPECT_EQ(r.history.back().phase, train::TrainHistory::kLbfgs);
  // Noise alone costs 2.0e-5 against the truth: the fit is at the noise level (the
  // untrained model starts at ~30).
  EXPECT_LT(r.loss, 4e-5);
  EXPECT_GT(r.history.front().loss, 1.0);
  workflow::DiscoverSummary s;
  UDE_ASSERT_OK(workflow::DiscoverCase(comm, &s));
  const int xy = 4;  // 1 x y x^2 xy ...
  ASSERT_EQ(s.names[xy], "x*y");
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < (int)s.names.size(); ++j)
      EXPECT_EQ(s.learned(j, i) != 0, j == xy) << "U" << i + 1 << " term " << s.names[j];
  EXPECT_NEAR(s.learned(xy, 0), -0.9, 0.05 * 0.9);
  EXPECT_NEAR(s.learned(xy, 1), 0.8, 0.05 * 0.8);
  EXPECT_NEAR(s.truth(xy, 0), -0.9,
              1e-9);  // the true terms fitted on the library (ill-conditioned on a curve)
  EXPECT_NEAR(s.truth(xy, 1), 0.8, 1e-9);
  // The recovered model stays on an orbit close to the truth's up to t = 50; its max
  // error is dominated by the phase drift of the sharp peaks (9 periods), so a 3% error
  // of one coefficient gives ~0.7 and 0.2% gives ~0.01 (measured: 0.0067, 0.11, 0.68).
  // The FD regression (wrong terms) is on another orbit: 1.09.
  EXPECT_TRUE(std::isfinite(s.extrap_learned));
  EXPECT_LT(s.extrap_learned, 0.9);
  EXPECT_LT(s.extrap_learned, s.extrap_fd);
  // From the 4 held-out initial states (test seeds 101-104, +-30% around the training
  // one, in no training trajectory): the recovered model's orbit has the truth's extent
  // and period.  Guards between the measured 0.017 (amplitude) / 1.3e-3 (period) and the
  // FD regression (0.58 / 0.115); the do-nothing model U = 0 grows exponentially (inf).
  EXPECT_EQ(s.heldout, 4u);
  EXPECT_EQ(s.heldout_shared, 0u);
  EXPECT_LT(s.heldout_learned.amplitude_error, 0.1);
  EXPECT_LT(s.heldout_learned.period_error, 0.01);
  EXPECT_LT(s.heldout_learned.amplitude_error, s.heldout_fd.amplitude_error);
  EXPECT_LT(s.heldout_learned.period_error, s.heldout_fd.period_error);
  PetscPrintf(comm, "  LV held-out: amplitude %.3e period %.3e (FD: %.3e, %.3e)\n",
              s.heldout_learned.amplitude_error, s.heldout_learned.period_error,
              s.heldout_fd.amplitude_error, s.heldout_fd.period_error);
  PetscPrintf(
      comm,
      "  LV short: loss %.6e, U1 = %.4f xy, U2 = %.4f xy, extrapolation to t=50: %.3e (FD: %.3e)\n",
      r.loss, s.learned(xy, 0), s.learned(xy, 1), s.extrap_learned, s.extrap_fd);
}
