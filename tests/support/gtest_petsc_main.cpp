// GoogleTest main for udeflow tests: initializes PETSc (and MPI), prints results on
// rank 0 only, and makes the exit code agree on every rank.
#include <gtest/gtest.h>
#include <petscsys.h>

#include "udeflow/core/log.hpp"
#include "udeflow/core/session.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  udeflow::SessionPrepare();  // aligned PETSc allocations, one library thread (as udeflow runs)
  if (PetscInitialize(&argc, &argv, nullptr, nullptr)) return 1;
  udeflow::LogEventsRegister();
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int result = RUN_ALL_TESTS();
  int global = 0;
  MPI_Allreduce(&result, &global, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  PetscFinalize();
  return global;
}
