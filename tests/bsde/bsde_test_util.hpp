#pragma once
// Helpers shared by the BSDE tests.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "test_util.hpp"
#include "udeflow/bsde/equation.hpp"
#include "udeflow/core/error.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::bsde::test {

/// An equation from the registry, configured by `options` (PETSc option string), SetUp.
inline std::unique_ptr<Equation> MakeEquation(const std::string& name, int d,
                                              const std::string& options = "") {
  EquationRegisterAll();
  std::unique_ptr<Equation> eq = EquationRegistry().Create(name);
  if (!eq) throw Error("no equation " + name);
  eq->SetDimension(d);
  udeflow::test::ScopedOptions opts(options);
  if (eq->SetFromOptions(PETSC_COMM_SELF)) throw Error("SetFromOptions failed for " + name);
  eq->SetUp();
  return eq;
}

/// Uniform(-1, 1) entries, deterministic in the seed.
inline Matrix RandomMatrix(Eigen::Index r, Eigen::Index c, uint64_t seed, double scale = 1.0) {
  Matrix m(r, c);
  for (Eigen::Index j = 0; j < c; ++j)
    for (Eigen::Index i = 0; i < r; ++i) m(i, j) = scale * (2 * Philox::Uniform(seed, i, j) - 1);
  return m;
}

inline Vector RandomVector(Eigen::Index n, uint64_t seed, double scale = 1.0) {
  return RandomMatrix(n, 1, seed, scale).col(0);
}

}  // namespace udeflow::bsde::test
