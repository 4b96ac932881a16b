// Binomial checkpoint schedules: the closed-form optimum and a schedule reaching it.
#include "udeflow/adjoint/binomial.hpp"

#include <algorithm>
#include <set>

namespace udeflow::adjoint {

using Wide = __int128;

int64_t BinomialMinAdvances(int64_t steps, int64_t slots) {
  if (steps <= 1 || slots < 1) return 0;
  // r: the smallest repetition number with beta(s, r) = C(s + r, s) >= l.
  Wide beta = 1;
  int64_t r = 0;
  while (beta < steps) {
    ++r;
    beta = beta * (slots + r) / r;
  }
  // C(s + r, s + 1) = beta(s + 1, r - 1).
  Wide c = 1;
  for (int64_t k = 1; k <= r - 1; ++k) c = c * (slots + 1 + k) / k;
  return static_cast<int64_t>(Wide(r) * steps - c);
}

namespace {

// Cost of splitting l steps at m: advance m steps, reverse the right part with one slot
// less, then the left part with all slots.
int64_t SplitCost(int64_t l, int64_t s, int64_t m) {
  return m + BinomialMinAdvances(m, s) + BinomialMinAdvances(l - m, s - 1);
}

// The first checkpoint position of an optimal reversal of l >= 2 steps with s >= 2
// slots.  The cost is convex in m (a sum of convex piecewise-linear functions), so the
// first m where it stops decreasing is a minimizer.
int64_t BestSplit(int64_t l, int64_t s) {
  int64_t lo = 1, hi = l - 1;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (SplitCost(l, s, mid + 1) >= SplitCost(l, s, mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

}  // namespace

BinomialScheduler::BinomialScheduler(int64_t steps, int64_t slots, bool skip_first_store) {
  if (steps < 1 || slots < 1) return;
  stack_.reserve(static_cast<size_t>(std::min(slots, steps)) + 1);
  stack_.push_back({0, steps, std::min(slots, steps)});
  if (!skip_first_store) Push(BinomialAction::kStore, 0, 0);
}

void BinomialScheduler::Push(BinomialAction::Kind kind, int64_t from, int64_t to) {
  pending_[npending_++] = {kind, from, to};
}

bool BinomialScheduler::Next(BinomialAction* action) {
  while (ipending_ == npending_) {
    if (stack_.empty()) return false;
    ipending_ = npending_ = 0;
    Refill();
  }
  *action = pending_[ipending_++];
  return true;
}

// The actions of the top frame's next move (1 to 3 of them).
void BinomialScheduler::Refill() {
  const Frame f = stack_.back();
  const auto restore = [&](int64_t a) {
    if (cur_ != a) Push(BinomialAction::kRestore, a, a);
    cur_ = a;
  };
  const auto advance = [&](int64_t a, int64_t b) {
    if (b > a) Push(BinomialAction::kAdvance, a, b);
    cur_ = b;
  };
  const auto reverse = [&](int64_t a) {
    Push(BinomialAction::kReverse, a, a + 1);
    cur_ = -1;
  };
  if (f.l == 0) {
    Push(BinomialAction::kFree, f.a, f.a);
    stack_.pop_back();
  } else if (f.l == 1) {
    restore(f.a);
    reverse(f.a);
    stack_.back().l = 0;
  } else if (f.s == 1) {  // no slot to spare: advance to the last step, reverse it
    restore(f.a);
    advance(f.a, f.a + f.l - 1);
    reverse(f.a + f.l - 1);
    stack_.back().l = f.l - 1;
  } else {
    const int64_t m = BestSplit(f.l, f.s);
    restore(f.a);
    advance(f.a, f.a + m);
    Push(BinomialAction::kStore, f.a + m, f.a + m);
    stack_.back().l = m;
    stack_.push_back({f.a + m, f.l - m, f.s - 1});
  }
}

std::vector<BinomialAction> BinomialSchedule(int64_t steps, int64_t slots) {
  std::vector<BinomialAction> out;
  BinomialScheduler sched(steps, slots);
  for (BinomialAction a; sched.Next(&a);) out.push_back(a);
  return out;
}

BinomialCount CountSchedule(const std::vector<BinomialAction>& schedule, int64_t steps) {
  BinomialCount c;
  std::set<int64_t> stored;
  int64_t cur = 0, next_reverse = steps - 1;
  bool ok = true;
  for (const BinomialAction& a : schedule) {
    switch (a.kind) {
      case BinomialAction::kAdvance:
        ok = ok && cur == a.from && a.to > a.from && a.to <= steps;
        c.advances += a.to - a.from;
        cur = a.to;
        break;
      case BinomialAction::kStore:
        ok = ok && cur == a.from && stored.insert(a.from).second;
        c.stores++;
        c.peak_stored = std::max<int64_t>(c.peak_stored, stored.size());
        break;
      case BinomialAction::kRestore:
        ok = ok && stored.count(a.from);
        cur = a.from;
        break;
      case BinomialAction::kFree:
        ok = ok && stored.erase(a.from) == 1;
        break;
      case BinomialAction::kReverse:
        ok = ok && cur == a.from && a.from == next_reverse;
        next_reverse--;
        c.reversals++;
        cur = -1;
        break;
    }
  }
  c.valid = ok && stored.empty() && next_reverse == -1;
  return c;
}

}  // namespace udeflow::adjoint
