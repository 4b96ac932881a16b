#pragma once
/// \file binomial.hpp
/// Binomial (Revolve-class) checkpoint schedules for reversing a chain of `steps` time
/// steps with at most `slots` states held at once (Griewank 1992; Griewank and Walther,
/// ACM TOMS 26, 2000).
///
/// Model: a slot holds one state; the state at step 0 always occupies one slot.  Each
/// step is taped once (run again with its stages recorded, then adjoined at once); an
/// "advance" runs a step without recording.  With r the smallest integer such that
/// C(s + r, s) >= l, the least number of advances for l steps and s slots is
///     F(l, s) = r l - C(s + r, s + 1)      (Griewank and Walther, Proposition 1)
/// and the schedule built here reaches it.  The first sweep of the schedule (advances up
/// to the first taped step) visits every step once in order, so the loss can be
/// observed there; every later step is a recomputation, F(l, s) of them in total
/// (F(l, s) >= l - 1: every step but the last is run twice even with ample memory).
/// The schedule is offline (the number of steps is known before the forward pass,
/// also for adaptive runs, whose steps are recorded first and then replayed).
#include <cstdint>
#include <vector>

namespace udeflow::adjoint {

/// One action of a reversal schedule.
struct BinomialAction {
  enum Kind {
    kAdvance,  ///< run steps from..to-1 without recording (state `from` must be current)
    kStore,    ///< keep the current state (at step `from`) in a free slot
    kRestore,  ///< make the stored state at step `from` current
    kFree,     ///< release the slot holding step `from`
    kReverse   ///< tape step from -> from+1 from the current state `from`, then adjoin it
  } kind;
  int64_t from = 0, to = 0;
};

/// F(l, s): the least number of advances that reverses l steps with s slots (s >= 1).
int64_t BinomialMinAdvances(int64_t steps, int64_t slots);

/// An optimal schedule generated one action at a time: the memory it needs is a stack of
/// at most `slots` + 1 frames and a few pending actions, whatever the number of steps (the
/// whole schedule, ~2.5 actions a step, is never held).  Next() returns the actions of
/// BinomialSchedule(steps, slots) in order, then false.  With `skip_first_store` the
/// leading kStore of step 0 is left out (the caller holds that state already).
class BinomialScheduler {
 public:
  BinomialScheduler(int64_t steps, int64_t slots, bool skip_first_store = false);
  bool Next(BinomialAction* action);

 private:
  struct Frame {
    int64_t a, l, s;  // a reversal of l steps from the stored state a with s slots
  };
  void Refill();
  void Push(BinomialAction::Kind kind, int64_t from, int64_t to);
  std::vector<Frame> stack_;
  BinomialAction pending_[4];
  int npending_ = 0, ipending_ = 0;
  int64_t cur_ = 0;  // step of the current state (-1: none, after a reversal)
};

/// An optimal schedule for `steps` >= 1 steps and `slots` >= 1 slots: starts with
/// kStore of step 0, ends with kFree of step 0; contains exactly `steps` kReverse
/// (from steps-1 down to 0) and BinomialMinAdvances(steps, slots) advanced steps; at
/// most `slots` states are stored at any time.
std::vector<BinomialAction> BinomialSchedule(int64_t steps, int64_t slots);

/// Counters of a schedule, from a replay of its actions (for tests and reports).
struct BinomialCount {
  int64_t advances = 0;     ///< steps advanced (without recording)
  int64_t reversals = 0;    ///< steps taped and adjoined
  int64_t peak_stored = 0;  ///< most states stored at once
  int64_t stores = 0;       ///< kStore actions
  bool valid = false;       ///< every action found the state it needs; reversals in order
};
BinomialCount CountSchedule(const std::vector<BinomialAction>& schedule, int64_t steps);

}  // namespace udeflow::adjoint
