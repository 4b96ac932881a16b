#pragma once
/// \file online.hpp
/// Online checkpointing: checkpoints placed during the single forward sweep, without
/// knowing the number of steps, then a reversal of what was kept (for adaptive time
/// stepping, where the number of steps is known only at the end).
///
/// Placement: the dynamic checkpointing rule of Wang, Moin and Iaccarino (SIAM J. Sci.
/// Comput. 31(4), 2009, "Minimal repetition dynamic checkpointing algorithm for unsteady
/// adjoint calculation").  Every state the sweep reaches is stored (with one slot: state 0
/// only); each checkpoint has a level (state 0: infinite).  With the slots full, a
/// checkpoint is *dispensable* when a later one has a higher level; the latest dispensable one is
/// freed and the new state stored at level 0; with none dispensable the latest checkpoint (the
/// lowest level L) is freed and the new state stored at level L + 1 (the rule as we read the paper;
/// freeing the earliest or the lowest-level dispensable one instead measured the same within 0.3%).
/// Reversal: the intervals between consecutive checkpoints, from the last, each reversed
/// from its checkpoint by the offline optimal BinomialSchedule with the slots then free
/// (S - i for the i-th checkpoint: the i earlier ones are still held).
///
/// Cost model (that of binomial.hpp): reversing step j tapes it from the state j.  The
/// forward sweep runs all l steps untaped (it cannot know which is the last), so any
/// online schedule re-runs at least every taped step: its recomputations are
///     R = l + sum_i F(L_i, S - i)     for final intervals of lengths L_i,
/// counted like Stats().replayed_steps (every step run after the forward sweep).  The
/// offline optimum F(l, S) tapes the last step within its first sweep and needs no slot
/// for the state l - 1, so no online schedule reaches it: R >= OnlineMinRecomputations(.., S)[l]
/// = l + min over placements of sum_i F(L_i, S - i) >= F(l, S) + 1 (l >= 1; e.g. l = 3,
/// S = 2: F = 2, every online schedule >= 4).  Optimality range: R equals that lower
/// bound for l <= C(S + 1, 2) + 1 (checked for every S <= 6 in tests/unit/test_online.cpp,
/// and the next l is above it).  This is the range t <= C(delta + 2, 2) in which Wang et al.
/// prove the rule optimal, read in this model: delta = S - 1 checkpoints besides the newest
/// state, t = l - 1 steps between the states the reversal needs.  With ample slots (l <= S)
/// R = l = F + 1.  Beyond the range (measured, same test): R <= F(l, S) + l always (the
/// online schedule is never dearer than recording the steps in an extra forward pass and
/// replaying the offline schedule); R / F <= 2 (reached at l = 2: R = 2, F = 1); for
/// l = 100 .. 10^4 and S <= 6, R / F <= 1.275 (S = 6, l = 131) and 1.00 - 1.05 at l = 10^4;
/// for S = 10, 20 and l = 10^3, 10^4, 10^5: 1.13 / 1.04 / 1.08 and 1.04 / 1.20 / 1.02.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "udeflow/adjoint/binomial.hpp"

namespace udeflow::adjoint {

/// For l = 0..max_steps: l + min over checkpoint placements 0 = c_0 < ... < c_{k-1} < l
/// (k <= slots) of sum_i F(L_i, slots - i), the fewest recomputations of any schedule whose
/// forward sweep does not tape (element 0 is 0).  Dynamic program, O(max_steps^2 slots):
/// for tests.
std::vector<int64_t> OnlineMinRecomputations(int64_t max_steps, int64_t slots);

class OnlineCheckpoints {
 public:
  /// `slots` >= 1 states held at once, the initial state included.
  explicit OnlineCheckpoints(int64_t slots);

  /// What the forward sweep does with the state `step` it holds, before advancing it
  /// (steps 0, 1, 2, ... in order, each once): free the stored state `drop` (-1: none),
  /// then store this one if `store`.
  struct Decision {
    bool store = false;
    int64_t drop = -1;
  };
  Decision OnStep(int64_t step);

  /// After the forward sweep advanced `steps` steps (OnStep called for 0..steps-1; the
  /// state `steps` is current and not needed): the reversal, as binomial actions on
  /// absolute steps (kRestore first; every checkpoint freed at the end).
  std::vector<BinomialAction> Reversal(int64_t steps) const;

  /// The same reversal generated one action at a time (memory: the held checkpoints and
  /// one BinomialScheduler, whatever `steps`); Next() returns Reversal(steps)'s actions.
  class ReversalScheduler {
   public:
    ReversalScheduler(const OnlineCheckpoints& placement, int64_t steps);
    bool Next(BinomialAction* action);

   private:
    std::vector<int64_t> held_;  // the checkpoints' steps, in step order
    int64_t slots_, steps_;
    std::size_t pending_;   // checkpoints not yet started: held_[0 .. pending_)
    int64_t offset_ = 0;    // the current interval's first step
    bool restore_ = false;  // its kRestore is still to be returned
    BinomialScheduler part_{0, 1};
  };

  /// Recomputations R of Reversal(steps) from the states held now: steps (the untaped
  /// sweep) + sum_i F(L_i, slots - i) over the final intervals.
  int64_t Recomputations(int64_t steps) const;

  /// Steps of the stored states, in order.
  std::vector<int64_t> Stored() const;
  int64_t Slots() const { return slots_; }

 private:
  struct Checkpoint {
    int64_t step, level;
  };
  int64_t slots_;
  std::vector<Checkpoint> held_;  // in step order
  int64_t next_ = 0;              // the step OnStep expects
};

/// The whole online schedule for `steps` steps: the forward sweep's actions (stores, frees,
/// one advance per step) then the reversal; CountSchedule(..., steps) replays it.  Its
/// advances + reversals - steps are the recomputations R.
std::vector<BinomialAction> OnlineSchedule(int64_t steps, int64_t slots);

/// Recomputations of the online schedule over `steps` steps (advances + reversals - steps of
/// OnlineSchedule).  With a disk level every `disk_every` > 0 steps: the state kD goes to
/// disk and the RAM placement restarts there, so the last interval [a, steps), a the last
/// multiple of disk_every below steps, is the online schedule of steps - a steps and each
/// earlier one is re-run from disk by the offline schedule: disk_every + F(disk_every, slots).
int64_t OnlineRecomputations(int64_t steps, int64_t slots, int64_t disk_every = 0);

}  // namespace udeflow::adjoint
