// Binomial checkpoint schedules: the closed-form optimum against an exhaustive dynamic
// program over all first-checkpoint positions, and the schedules built (advances, memory,
// order of reversals) against both.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "udeflow/adjoint/binomial.hpp"

namespace {

using udeflow::adjoint::BinomialMinAdvances;
using udeflow::adjoint::BinomialSchedule;
using udeflow::adjoint::CountSchedule;

// D[l][s]: least advances reversing l steps with s slots, by trying every position m of
// the first checkpoint after the initial state (advance m steps, reverse the l - m
// steps after it with s - 1 slots, then the first m with s slots); with one slot every
// step is reached from the initial state.
std::vector<std::vector<int64_t>> BruteForce(int L, int S) {
  std::vector<std::vector<int64_t>> D(L + 1, std::vector<int64_t>(S + 1, 0));
  for (int l = 2; l <= L; ++l) {
    D[l][1] = D[l - 1][1] + (l - 1);
    for (int s = 2; s <= S; ++s) {
      int64_t best = std::numeric_limits<int64_t>::max();
      for (int m = 1; m < l; ++m) best = std::min(best, m + D[m][s] + D[l - m][s - 1]);
      D[l][s] = best;
    }
  }
  return D;
}

TEST(Binomial, ClosedFormEqualsDynamicProgram) {
  const int L = 120, S = 9;
  const auto D = BruteForce(L, S);
  for (int l = 1; l <= L; ++l)
    for (int s = 1; s <= S; ++s)
      ASSERT_EQ(BinomialMinAdvances(l, s), D[l][s]) << "steps " << l << " slots " << s;
  // Hand-checked values: one slot is the triangle number; two slots, 10 steps:
  // r = 3 (C(5,2) = 10), F = 30 - C(5,3) = 20; ample slots: every step but the last once.
  EXPECT_EQ(BinomialMinAdvances(10, 1), 45);
  EXPECT_EQ(BinomialMinAdvances(10, 2), 20);
  EXPECT_EQ(BinomialMinAdvances(10, 10), 9);
  EXPECT_EQ(BinomialMinAdvances(1, 3), 0);
}

TEST(Binomial, SchedulesReachTheOptimumWithinTheSlots) {
  const int L = 80, S = 7;
  const auto D = BruteForce(L, S);
  for (int l = 1; l <= L; ++l)
    for (int s = 1; s <= S; ++s) {
      const auto c = CountSchedule(BinomialSchedule(l, s), l);
      ASSERT_TRUE(c.valid) << "steps " << l << " slots " << s;
      EXPECT_EQ(c.advances, D[l][s]) << "steps " << l << " slots " << s;
      EXPECT_EQ(c.reversals, l);
      EXPECT_LE(c.peak_stored, s);
    }
}

TEST(Binomial, LargeChainsReachTheClosedForm) {
  for (int64_t l : {400, 1000, 4096, 100000})
    for (int64_t s : {1, 2, 3, 5, 10, 20, 64, 1000, 200000}) {
      if (s == 1 && l > 5000) continue;  // l^2/2 advances: long to replay, nothing new
      const auto c = CountSchedule(BinomialSchedule(l, s), l);
      ASSERT_TRUE(c.valid) << "steps " << l << " slots " << s;
      EXPECT_EQ(c.advances, BinomialMinAdvances(l, s)) << "steps " << l << " slots " << s;
      EXPECT_LE(c.peak_stored, std::min(l, s));
      EXPECT_EQ(c.reversals, l);
    }
  // 10^5 steps in 20 slots: r = 6 (C(25,5) = 53130 < 10^5 <= C(26,6) = 230230), so
  // F = 6 10^5 - C(26,21) = 600000 - 65780.
  EXPECT_EQ(BinomialMinAdvances(100000, 20), 600000 - 65780);
}

TEST(Binomial, GeneratedOneActionAtATime) {
  // 10^6 steps in 20 slots, generated and checked as they come (the integrator never
  // holds a schedule: the generator's memory is its stack of <= slots + 1 frames, where
  // the whole schedule would be ~2.5 actions a step).  r = 8 (C(27,7) = 888030 < 10^6 <=
  // C(28,8) = 3108105), F = 8 10^6 - C(28,21) = 8000000 - 1184040.
  using udeflow::adjoint::BinomialAction;
  const int64_t l = 1000000, s = 20;
  udeflow::adjoint::BinomialScheduler sched(l, s);
  std::vector<char> stored(l + 1, 0);
  int64_t cur = 0, next_reverse = l - 1, advances = 0, held = 0, peak = 0, actions = 0;
  bool ok = true;
  for (BinomialAction a; sched.Next(&a); ++actions) {
    switch (a.kind) {
      case BinomialAction::kAdvance:
        ok = ok && cur == a.from && a.to > a.from;
        advances += a.to - a.from;
        cur = a.to;
        break;
      case BinomialAction::kStore:
        ok = ok && cur == a.from && !stored[a.from];
        stored[a.from] = 1;
        peak = std::max(peak, ++held);
        break;
      case BinomialAction::kRestore:
        ok = ok && stored[a.from];
        cur = a.from;
        break;
      case BinomialAction::kFree:
        ok = ok && stored[a.from];
        stored[a.from] = 0;
        --held;
        break;
      case BinomialAction::kReverse:
        ok = ok && cur == a.from && a.from == next_reverse;
        --next_reverse;
        cur = -1;
        break;
    }
    ASSERT_TRUE(ok) << "action " << actions;
  }
  EXPECT_EQ(next_reverse, -1);
  EXPECT_EQ(held, 0);
  EXPECT_LE(peak, s);
  EXPECT_EQ(advances, BinomialMinAdvances(l, s));
  EXPECT_EQ(advances, 8000000 - 1184040);
  EXPECT_GT(actions, 2 * l);  // what a stored schedule would have held
  BinomialAction a;
  EXPECT_FALSE(sched.Next(&a));  // and stays done
}

TEST(Binomial, FirstSweepVisitsEveryStepInOrder) {
  // The observed forward pass: advances from step 0 up to the first reversal, which is
  // the last step.
  for (int64_t l : {1, 2, 7, 50, 333})
    for (int64_t s : {1, 2, 4, 40}) {
      int64_t cur = 0;
      for (const auto& a : BinomialSchedule(l, s)) {
        if (a.kind == udeflow::adjoint::BinomialAction::kReverse) {
          EXPECT_EQ(a.from, l - 1);
          EXPECT_EQ(cur, l - 1);
          break;
        }
        ASSERT_NE(a.kind, udeflow::adjoint::BinomialAction::kRestore) << l << " " << s;
        if (a.kind == udeflow::adjoint::BinomialAction::kAdvance) {
          EXPECT_EQ(a.from, cur);
          cur = a.to;
        }
      }
    }
}

}  // namespace
