// GoogleTest main for udeflow tests: initializes PETSc (and MPI), prints results on
// rank 0 only, and makes the exit code agree on every rank.  Two rules of the suite:
// - on more than one rank, the first failed assertion (on any rank) prints itself and
//   ends every rank with MPI_Abort: the other ranks would otherwise wait in their next
//   collective call until the test's timeout;
// - the skip policy (scripts/test.sh): a skipped test (GTEST_SKIP, or a DISABLED_ test)
//   fails the run when CI=true, unless UDEFLOW_ALLOW_SKIPS=1 (the same rule as
//   tests/support/skip_policy.sh for scripts that exit with 77).
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "udeflow/core/log.hpp"
#include "udeflow/core/session.hpp"

namespace {

class AbortOnFailure : public ::testing::EmptyTestEventListener {
 public:
  AbortOnFailure(int rank, int size) : rank_(rank), size_(size) {}

  // (UnitTest::current_test_info() would deadlock inside OnTestPartResult: gtest holds
  // its mutex while it reports a result.)
  void OnTestStart(const ::testing::TestInfo& test) override {
    name_ = std::string(test.test_suite_name()) + "." + test.name();
  }
  void OnTestEnd(const ::testing::TestInfo&) override { name_ = "(outside a test)"; }

  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    std::fflush(stdout);
    // Rank 0 printed the failure already (the default result printer runs first).
    if (rank_ != 0)
      std::fprintf(stderr, "[rank %d of %d] %s failed at %s:%d:\n%s\n", rank_, size_, name_.c_str(),
                   r.file_name() ? r.file_name() : "?", r.line_number(), r.message());
    std::fprintf(
        stderr,
        "[rank %d of %d] %s: failed assertion, MPI_Abort(MPI_COMM_WORLD, 1) ends every rank\n",
        rank_, size_, name_.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }

 private:
  int rank_, size_;
  std::string name_ = "(outside a test)";
};

bool EnvIs(const char* name, const char* value) {
  const char* v = std::getenv(name);
  return v && std::strcmp(v, value) == 0;
}

// The skip policy: skips are allowed unless CI=true; UDEFLOW_ALLOW_SKIPS=1 allows them.
bool SkipsAllowed() {
  return EnvIs("UDEFLOW_ALLOW_SKIPS", "1") || !EnvIs("CI", "true");
}

// Number of tests that were skipped or disabled; lists them on stderr when `print`.
int CountSkips(bool print, int rank) {
  const ::testing::UnitTest& ut = *::testing::UnitTest::GetInstance();
  int n = 0;
  for (int s = 0; s < ut.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& suite = *ut.GetTestSuite(s);
    for (int t = 0; t < suite.total_test_count(); ++t) {
      const ::testing::TestInfo& info = *suite.GetTestInfo(t);
      const bool disabled = !info.should_run() && info.is_reportable() &&
                            (std::strncmp(info.name(), "DISABLED_", 9) == 0 ||
                             std::strncmp(suite.name(), "DISABLED_", 9) == 0);
      const bool skipped = info.should_run() && info.result()->Skipped();
      if (!disabled && !skipped) continue;
      ++n;
      if (!print) continue;
      std::string why = disabled ? "disabled" : "skipped";
      for (int k = 0; skipped && k < info.result()->total_part_count(); ++k) {
        const ::testing::TestPartResult& p = info.result()->GetTestPartResult(k);
        if (p.skipped() && p.message() && *p.message()) why += std::string(": ") + p.message();
      }
      std::fprintf(stderr, "[rank %d]   %s.%s %s\n", rank, suite.name(), info.name(), why.c_str());
    }
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  udeflow::SessionPrepare();  // aligned PETSc allocations, one library thread (as udeflow runs)
  if (PetscInitialize(&argc, &argv, nullptr, nullptr)) return 1;
  udeflow::LogEventsRegister();
  int rank, size;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) delete listeners.Release(listeners.default_result_printer());
  if (size > 1) listeners.Append(new AbortOnFailure(rank, size));
  int result = RUN_ALL_TESTS();
  if (!SkipsAllowed()) {
    const int skips = CountSkips(false, rank);
    // Listed once, by the first rank that skipped (the ranks normally skip alike).
    int mine = skips > 0 ? rank : size, first = size;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
    if (rank == first) {
      std::fflush(stdout);
      std::fprintf(
          stderr,
          "FAIL: %d test(s) skipped, and skips fail when CI=true (set UDEFLOW_ALLOW_SKIPS=1 to "
          "allow them):\n",
          skips);
      CountSkips(true, rank);
    }
    if (skips > 0) result = 1;
  }
  int global = 0;
  MPI_Allreduce(&result, &global, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  PetscFinalize();
  return global;
}
