#pragma once
// Helpers shared by udeflow tests.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <string>

#include "udeflow/core/session.hpp"

// Asserts that a PETSc-style call returns 0.
#define UDE_ASSERT_OK(expr)                                 \
  do {                                                      \
    PetscErrorCode ude_ierr_ = (expr);                      \
    ASSERT_EQ(ude_ierr_, 0) << "PETSc error in: " #expr;    \
  } while (0)

namespace udeflow::test {

/// Relative difference |a-b| / max(|a|,|b|,floor).
inline double RelDiff(double a, double b, double floor = 1e-300) {
  double s = std::max(std::max(std::abs(a), std::abs(b)), floor);
  return std::abs(a - b) / s;
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

}  // namespace udeflow::test
