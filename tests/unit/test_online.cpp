// Online checkpointing (online.hpp): schedules replayed by CountSchedule for every number of
// steps and slots, the recomputations against the online lower bound (a dynamic program
// over the final checkpoint placements) and the offline optimum F(l, s), and a forward sweep
// that decides without the number of steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "udeflow/adjoint/binomial.hpp"
#include "udeflow/adjoint/online.hpp"

namespace {

using udeflow::adjoint::BinomialAction;
using udeflow::adjoint::BinomialMinAdvances;
using udeflow::adjoint::CountSchedule;
using udeflow::adjoint::OnlineCheckpoints;
using udeflow::adjoint::OnlineMinRecomputations;
using udeflow::adjoint::OnlineSchedule;

// (a) Valid for every l <= 300 and s <= 6: every restore finds its state, the reversals
// come in order, at most s states held; the recomputations lie between the online lower
// bound (itself >= F + 1) and F + l (the cost of recording the steps in an extra forward
// pass, then replaying the offline schedule).
TEST(Online, ValidWithinTheSlotsForEveryStepsAndSlots) {
  const int64_t L = 300;
  for (int64_t s = 1; s <= 6; ++s) {
    const std::vector<int64_t> lower = OnlineMinRecomputations(L, s);
    OnlineCheckpoints o(s);
    for (int64_t l = 1; l <= L; ++l) {
      o.OnStep(l - 1);
      const auto c = CountSchedule(OnlineSchedule(l, s), l);
      ASSERT_TRUE(c.valid) << "steps " << l << " slots " << s;
      EXPECT_EQ(c.reversals, l);
      EXPECT_LE(c.peak_stored, s) << "steps " << l << " slots " << s;
      const int64_t R = c.advances + c.reversals - l, F = BinomialMinAdvances(l, s);
      EXPECT_EQ(R, o.Recomputations(l)) << "steps " << l << " slots " << s;
      EXPECT_GE(lower[l], F + 1) << "steps " << l << " slots " << s;
      EXPECT_GE(R, lower[l]) << "steps " << l << " slots " << s;
      EXPECT_LE(R, F + l) << "steps " << l << " slots " << s;
    }
  }
  // The smallest case where no online schedule reaches F + 1: 3 steps, 2 slots.
  EXPECT_EQ(BinomialMinAdvances(3, 2), 2);
  EXPECT_EQ(OnlineMinRecomputations(3, 2)[3], 4);
}

// (b) Optimal among all schedules that do not tape in the forward sweep for
// l <= C(s + 1, 2) + 1 (Wang, Moin and Iaccarino's range t <= C(delta + 2, 2) with
// delta = s - 1 checkpoints besides the newest state and l = t + 1 steps); with ample
// slots (l <= s) every step is taped once: R = l = F + 1.  The first l beyond the range
// is not optimal (the range is sharp for this rule).
TEST(Online, OptimalUpToTheDynamicCheckpointingRange) {
  for (int64_t s = 1; s <= 6; ++s) {
    const int64_t range = s * (s + 1) / 2 + 1;
    const std::vector<int64_t> lower = OnlineMinRecomputations(range + 1, s);
    for (int64_t l = 1; l <= range; ++l) {
      const auto c = CountSchedule(OnlineSchedule(l, s), l);
      const int64_t R = c.advances + c.reversals - l;
      EXPECT_EQ(R, lower[l]) << "steps " << l << " slots " << s;
      if (l <= s) {
        EXPECT_EQ(R, BinomialMinAdvances(l, s) + 1);
      }
    }
    if (s >= 2) {
      const auto c = CountSchedule(OnlineSchedule(range + 1, s), range + 1);
      EXPECT_GT(c.advances + c.reversals - (range + 1), lower[range + 1]) << "slots " << s;
    }
  }
}

// (b) Beyond the range: R / F(l, s) over l = 100 .. 10^4, s <= 6 (one forward sweep each,
// the recomputations from the placement).  Measured worst 1.275 (s = 6, l = 131); at 10^4
// steps 1.00 - 1.05.  Never above F + l.
TEST(Online, LongChainsStayNearTheOfflineOptimum) {
  const int64_t L = 10000;
  double worst_all = 0;
  for (int64_t s = 1; s <= 6; ++s) {
    OnlineCheckpoints o(s);
    double worst = 0;
    int64_t at = 0;
    for (int64_t l = 1; l <= L; ++l) {
      o.OnStep(l - 1);
      const int64_t R = o.Recomputations(l), F = BinomialMinAdvances(l, s);
      ASSERT_LE(R, F + l) << "steps " << l << " slots " << s;
      ASSERT_LE(static_cast<int64_t>(o.Stored().size()), s);
      if (l >= 100 && static_cast<double>(R) / F > worst) {
        worst = static_cast<double>(R) / F;
        at = l;
      }
    }
    std::printf(
        "online, %lld slots: worst R/F over l = 100..%lld is %.3f (l = %lld); at l = %lld"
        " R/F = %.3f\n",
        (long long)s, (long long)L, worst, (long long)at, (long long)L,
        static_cast<double>(o.Recomputations(L)) / BinomialMinAdvances(L, s));
    worst_all = std::max(worst_all, worst);
  }
  EXPECT_LE(worst_all, 1.3);
  // Spot checks of the placement count against a full replay of the schedule.
  for (int64_t l : {1000, 4096})
    for (int64_t s : {3, 10, 20}) {
      const auto c = CountSchedule(OnlineSchedule(l, s), l);
      ASSERT_TRUE(c.valid);
      EXPECT_LE(c.peak_stored, s);
      OnlineCheckpoints o(s);
      for (int64_t j = 0; j < l; ++j) o.OnStep(j);
      EXPECT_EQ(c.advances + c.reversals - l, o.Recomputations(l)) << l << " " << s;
    }
}

// (c) The forward sweep never needs the number of steps: OnStep has no such argument, and
// one sweep over N steps, stopped after any l of them, gives the schedule of l steps (the
// forward actions of OnlineSchedule(l, s) are a prefix of those for N) whose reversal is
// valid.
TEST(Online, ForwardSweepDecidesWithoutTheNumberOfSteps) {
  const int64_t N = 200;
  for (int64_t s : {1, 2, 3, 5, 8}) {
    const std::vector<BinomialAction> full = OnlineSchedule(N, s);
    OnlineCheckpoints o(s);
    size_t pos = 0;  // the forward actions of the first l steps in `full`
    for (int64_t l = 1; l <= N; ++l) {
      o.OnStep(l - 1);
      while (full[pos].kind != BinomialAction::kAdvance) pos++;
      pos++;
      const std::vector<BinomialAction> part = OnlineSchedule(l, s);
      for (size_t k = 0; k < pos; ++k)
        ASSERT_TRUE(part[k].kind == full[k].kind && part[k].from == full[k].from &&
                    part[k].to == full[k].to)
            << "steps " << l << " slots " << s << " action " << k;
      std::vector<BinomialAction> sched(full.begin(), full.begin() + pos);
      const std::vector<BinomialAction> rev = o.Reversal(l);
      sched.insert(sched.end(), rev.begin(), rev.end());
      const auto c = CountSchedule(sched, l);
      ASSERT_TRUE(c.valid) << "steps " << l << " slots " << s;
      EXPECT_LE(c.peak_stored, s);
    }
  }
}

TEST(Online, DecisionsKeepAtMostTheSlots) {
  for (int64_t s : {1, 2, 4, 20}) {
    OnlineCheckpoints o(s);
    std::vector<int64_t> held;
    for (int64_t j = 0; j < 5000; ++j) {
      const auto d = o.OnStep(j);
      if (d.drop >= 0) {
        auto it = std::find(held.begin(), held.end(), d.drop);
        ASSERT_NE(it, held.end());
        held.erase(it);
      }
      if (d.store) held.push_back(j);
      ASSERT_LE(static_cast<int64_t>(held.size()), s);
      ASSERT_EQ(held, o.Stored());
      ASSERT_EQ(held.front(), 0);
    }
  }
}

// The disk level's count: worked by hand for 10 steps, 2 slots, disk every 4 (intervals
// [0,4), [4,8) from disk: 4 + F(4, 2) = 4 + 4 each; [8,10) online: 2), and equal to the
// RAM-only count whenever the disk interval covers the run.
TEST(Online, DiskLevelRecomputations) {
  using udeflow::adjoint::OnlineRecomputations;
  EXPECT_EQ(BinomialMinAdvances(4, 2), 4);
  EXPECT_EQ(OnlineRecomputations(2, 2), 2);
  EXPECT_EQ(OnlineRecomputations(10, 2, 4), 18);
  EXPECT_EQ(OnlineRecomputations(8, 2, 4), 8 + OnlineRecomputations(4, 2));
  for (int64_t m = 1; m <= 40; ++m)
    for (int64_t s = 1; s <= 4; ++s) {
      const auto c = CountSchedule(udeflow::adjoint::OnlineSchedule(m, s), m);
      EXPECT_EQ(OnlineRecomputations(m, s), c.advances + c.reversals - m);
      EXPECT_EQ(OnlineRecomputations(m, s, m), OnlineRecomputations(m, s));
      EXPECT_EQ(OnlineRecomputations(m, s, 0), OnlineRecomputations(m, s));
    }
}

}  // namespace
