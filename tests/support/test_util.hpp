#pragma once
// Helpers shared by udeflow tests.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "udeflow/core/session.hpp"

// Asserts that a PETSc-style call returns 0.
#define UDE_ASSERT_OK(expr)                              \
  do {                                                   \
    PetscErrorCode ude_ierr_ = (expr);                   \
    ASSERT_EQ(ude_ierr_, 0) << "PETSc error in: " #expr; \
  } while (0)

namespace udeflow::test {

/// Relative difference |a-b| / max(|a|,|b|,floor).
inline double RelDiff(double a, double b, double floor = 1e-300) {
  double s = std::max(std::max(std::abs(a), std::abs(b)), floor);
  return std::abs(a - b) / s;
}

/// Euclidean inner product of two equally long vectors (in index order).
inline double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

/// Sets options for the duration of a scope (then clears them).
class ScopedOptions {
 public:
  explicit ScopedOptions(const std::string& opts) {
    PetscOptionsCreate(&saved_);
    PetscOptionsPush(saved_);
    PetscOptionsInsertString(nullptr, opts.c_str());
  }
  ~ScopedOptions() {
    PetscOptionsPop();
    PetscOptionsDestroy(&saved_);
  }

 private:
  PetscOptions saved_ = nullptr;
};

/// A barrier on `comm` that sleeps while it waits instead of spinning in MPI's progress
/// engine: ranks idling while a subset computes must not take the cores from it (the
/// tests run oversubscribed, 3 ranks on 2 cores, often beside other tests; spinning idle
/// ranks slowed the 1-vs-3-rank checks several-fold on a loaded machine).
inline void SleepingBarrier(MPI_Comm comm) {
  MPI_Request req;
  MPI_Ibarrier(comm, &req);
  for (int done = 0;;) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

/// For the tests that compare results across rank counts (sub-communicators of
/// PETSC_COMM_WORLD): fails unless the world has at least 2 ranks.  On 1 rank such a
/// comparison compares nothing and would pass by accident; the CTest registrations leave
/// these tests out of the 1-rank runs (COMPARE_RANKS in cmake/UdeflowTesting.cmake).
/// Use:  ASSERT_TRUE(WorldHasRanksToCompare());
inline ::testing::AssertionResult WorldHasRanksToCompare() {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (size >= 2) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "a comparison across rank counts on " << size
         << " rank compares nothing: run this test on 2 or more ranks";
}

/// Loss and gradient of a test problem solved on the first `n` ranks of PETSC_COMM_WORLD
/// (the others idle), broadcast to all ranks: the 1-vs-2-vs-3-rank comparisons.  Problem
/// has Create(comm, options), a `physics` member and Gradient(theta, &loss, &grad).
template <class Problem>
void GradientOnRanks(int n, const std::string& opts, std::vector<double>* g, double* L) {
  ASSERT_TRUE(WorldHasRanksToCompare());  // collective-free: the same answer on every rank
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm sub;
  MPI_Comm_split(PETSC_COMM_WORLD, rank < n ? 0 : MPI_UNDEFINED, rank, &sub);
  int P = 0;
  if (sub != MPI_COMM_NULL) {
    Problem p;
    ASSERT_EQ(p.Create(sub, opts), 0);
    std::vector<double> theta(p.params.begin(), p.params.end());  // the initial parameters
    ASSERT_EQ(p.Gradient(theta, L, g), 0);
    P = static_cast<int>(g->size());
  }
  SleepingBarrier(PETSC_COMM_WORLD);
  MPI_Bcast(&P, 1, MPI_INT, 0, PETSC_COMM_WORLD);
  g->resize(P);
  MPI_Bcast(g->data(), P, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
  MPI_Bcast(L, 1, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
  if (sub != MPI_COMM_NULL) MPI_Comm_free(&sub);
}

/// The 1-vs-2-vs-3-rank test of a problem: loss and gradient on 1 rank and on 2 .. world
/// size ranks; prints the relative differences (gradient in the 2-norm) and expects them
/// below grad_tol and loss_tol.  `label` names the configuration in the output.
template <class Problem>
void ExpectSameGradientOnRanks(const std::string& opts, const std::string& label, double grad_tol,
                               double loss_tol) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  std::vector<double> g1, gn;
  double L1, Ln;
  GradientOnRanks<Problem>(1, opts, &g1, &L1);
  ASSERT_FALSE(g1.empty()) << label << ": no parameters";
  for (int n = 2; n <= size; ++n) {
    GradientOnRanks<Problem>(n, opts, &gn, &Ln);
    ASSERT_EQ(g1.size(), gn.size());
    double num = 0, den = 0;
    for (size_t i = 0; i < g1.size(); ++i) {
      num += (gn[i] - g1[i]) * (gn[i] - g1[i]);
      den += g1[i] * g1[i];
    }
    const double gdiff = std::sqrt(num / den), ldiff = RelDiff(L1, Ln);
    PetscPrintf(PETSC_COMM_WORLD,
                "  %s, %d ranks vs 1: gradient rel. diff %.2e, loss rel. diff %.2e\n",
                label.c_str(), n, gdiff, ldiff);
    EXPECT_LT(gdiff, grad_tol) << label << ", " << n << " ranks vs 1: gradient";
    EXPECT_LT(ldiff, loss_tol) << label << ", " << n << " ranks vs 1: loss";
  }
}

}  // namespace udeflow::test
