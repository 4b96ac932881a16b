// Online checkpointing: the dynamic placement rule of Wang, Moin and Iaccarino (2009) during
// the forward sweep, then each interval between checkpoints reversed by the offline binomial
// schedule with the slots then free.
#include "udeflow/adjoint/online.hpp"

#include <algorithm>
#include <limits>

namespace udeflow::adjoint {

std::vector<int64_t> OnlineMinRecomputations(int64_t max_steps, int64_t slots) {
  const int64_t L = std::max<int64_t>(0, max_steps), S = std::max<int64_t>(1, slots);
  std::vector<std::vector<int64_t>> F(L + 1, std::vector<int64_t>(S + 1, 0));
  for (int64_t n = 1; n <= L; ++n)
    for (int64_t s = 1; s <= S; ++s) F[n][s] = BinomialMinAdvances(n, s);
  // Q[n][s]: least sum of F over the intervals of n steps from a checkpoint that may use
  // s slots, itself included (the next checkpoint gets s - 1).
  std::vector<std::vector<int64_t>> Q(L + 1, std::vector<int64_t>(S + 1, 0));
  for (int64_t n = 1; n <= L; ++n)
    for (int64_t s = 1; s <= S; ++s) {
      int64_t best = F[n][s];
      if (s > 1)
        for (int64_t m = 1; m < n; ++m) best = std::min(best, F[m][s] + Q[n - m][s - 1]);
      Q[n][s] = best;
    }
  std::vector<int64_t> out(L + 1, 0);
  for (int64_t n = 1; n <= L; ++n) out[n] = n + Q[n][S];
  return out;
}

OnlineCheckpoints::OnlineCheckpoints(int64_t slots) : slots_(std::max<int64_t>(1, slots)) {}

OnlineCheckpoints::Decision OnlineCheckpoints::OnStep(int64_t step) {
  Decision d;
  if (step != next_) return d;  // out of order: ignored (the reversal would not find it)
  next_++;
  constexpr int64_t kInitial = std::numeric_limits<int64_t>::max();
  d.store = true;
  if (step == 0) {
    held_.push_back({0, kInitial});
    return d;
  }
  if (static_cast<int64_t>(held_.size()) < slots_) {
    held_.push_back({step, 0});
    return d;
  }
  if (held_.size() == 1) {  // one slot: it holds state 0
    d.store = false;
    return d;
  }
  // The latest dispensable checkpoint: one with a higher level after it.
  int64_t later_max = -1;
  for (size_t i = held_.size(); i-- > 1;) {
    if (later_max > held_[i].level) {
      d.drop = held_[i].step;
      held_.erase(held_.begin() + i);
      held_.push_back({step, 0});
      return d;
    }
    later_max = std::max(later_max, held_[i].level);
  }
  // None: levels do not increase with the step; the latest has the lowest level.
  const int64_t level = held_.back().level + 1;
  d.drop = held_.back().step;
  held_.back() = {step, level};
  return d;
}

std::vector<int64_t> OnlineCheckpoints::Stored() const {
  std::vector<int64_t> s;
  for (const Checkpoint& c : held_) s.push_back(c.step);
  return s;
}

OnlineCheckpoints::ReversalScheduler::ReversalScheduler(const OnlineCheckpoints& placement,
                                                        int64_t steps)
    : held_(placement.Stored()), slots_(placement.slots_), steps_(steps), pending_(held_.size()) {}

bool OnlineCheckpoints::ReversalScheduler::Next(BinomialAction* action) {
  for (;;) {
    if (restore_) {
      restore_ = false;
      *action = {BinomialAction::kRestore, offset_, offset_};
      return true;
    }
    if (part_.Next(action)) {  // the current interval's schedule, on absolute steps
      action->from += offset_;
      action->to += offset_;
      return true;
    }
    if (pending_ == 0) return false;
    const size_t i = --pending_;
    const int64_t a = held_[i];
    const int64_t e = i + 1 < held_.size() ? held_[i + 1] : steps_;
    if (e <= a) {  // a checkpoint at or beyond the end (not reached by OnStep's contract)
      *action = {BinomialAction::kFree, a, a};
      return true;
    }
    // The interval's start is stored already: its schedule without the first kStore.
    offset_ = a;
    restore_ = true;
    part_ = BinomialScheduler(e - a, slots_ - static_cast<int64_t>(i), true);
  }
}

std::vector<BinomialAction> OnlineCheckpoints::Reversal(int64_t steps) const {
  std::vector<BinomialAction> out;
  ReversalScheduler rev(*this, steps);
  for (BinomialAction a; rev.Next(&a);) out.push_back(a);
  return out;
}

std::vector<BinomialAction> OnlineSchedule(int64_t steps, int64_t slots) {
  std::vector<BinomialAction> out;
  OnlineCheckpoints online(slots);
  for (int64_t j = 0; j < steps; ++j) {
    const OnlineCheckpoints::Decision d = online.OnStep(j);
    if (d.drop >= 0) out.push_back({BinomialAction::kFree, d.drop, d.drop});
    if (d.store) out.push_back({BinomialAction::kStore, j, j});
    out.push_back({BinomialAction::kAdvance, j, j + 1});
  }
  const std::vector<BinomialAction> rev = online.Reversal(steps);
  out.insert(out.end(), rev.begin(), rev.end());
  return out;
}

int64_t OnlineCheckpoints::Recomputations(int64_t steps) const {
  int64_t r = steps;
  for (size_t i = 0; i < held_.size(); ++i) {
    const int64_t e = i + 1 < held_.size() ? held_[i + 1].step : steps;
    if (e > held_[i].step)
      r += BinomialMinAdvances(e - held_[i].step, slots_ - static_cast<int64_t>(i));
  }
  return r;
}

int64_t OnlineRecomputations(int64_t steps, int64_t slots, int64_t disk_every) {
  if (steps <= 0) return 0;
  const int64_t a = disk_every > 0 ? ((steps - 1) / disk_every) * disk_every : 0;
  OnlineCheckpoints online(slots);
  for (int64_t j = 0; j < steps - a; ++j) online.OnStep(j);
  int64_t r = online.Recomputations(steps - a);
  if (a > 0) r += (a / disk_every) * (disk_every + BinomialMinAdvances(disk_every, slots));
  return r;
}

}  // namespace udeflow::adjoint
