#pragma once
/// \file ode_system.hpp
/// A physics that is a small system of ODEs du/dt = g(t, u) + U(u; theta) on a replicated
/// state, seen pointwise (no PETSc, no MPI): what equation discovery needs.  A Physics
/// that is one returns itself from Physics::AsOdeSystem().
#include "udeflow/nn/mlp.hpp"

namespace udeflow::pde {

class OdeSystem {
 public:
  virtual ~OdeSystem() = default;
  /// Number of state entries n.
  virtual int StateSize() const = 0;
  /// The known part g(t, u) (n entries).  Pure.
  virtual void KnownRhs(double t, const double* u, double* g) const = 0;
  /// The learned term U at the columns of X (n x m): U is n x m.  Pure, any rank.
  virtual void ClosureOnStates(const nn::ConstMatrixRef& X, nn::Matrix* U) const = 0;
  /// Whether there is a learned term (a closure with parameters).
  virtual bool HasClosure() const = 0;
};

}  // namespace udeflow::pde
