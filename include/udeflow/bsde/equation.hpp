#pragma once
/// \file equation.hpp
/// A semilinear parabolic PDE in the form solved by the deep BSDE method,
///
///   d_t u + 1/2 Tr(sigma sigma^T Hess u) + mu . grad u + f(t, x, u, sigma^T grad u) = 0,
///   u(T, x) = g(x),
///
/// through its forward SDE dX = mu dt + sigma dW (X_0 = x0) and the backward process
/// Y_t = u(t, X_t), Z_t = sigma^T grad u(t, X_t).
///
/// One implementation per file (src/bsde/eq_*.cpp), one explicit registration list
/// (EquationRegisterAll), picked by `-bsde_equation <name>`.  The batched kernels are
/// pure Eigen (no PETSc, no MPI, no allocation): they work on blocks of B samples laid
/// out as in types.hpp.  Only SetFromOptions() talks to PETSc.
///
/// Life cycle: create from the registry -> SetDimension -> SetFromOptions -> SetUp -> use.
#include <petscsys.h>

#include <memory>
#include <string>

#include "udeflow/bsde/radial.hpp"
#include "udeflow/bsde/types.hpp"
#include "udeflow/core/registry.hpp"

namespace udeflow::bsde {

class Equation {
 public:
  virtual ~Equation() = default;

  virtual const char* Name() const = 0;
  /// One line: the PDE and its parameters.
  virtual std::string Describe() const = 0;
  /// Number of time steps used by the published reference runs.
  virtual int DefaultSteps() const = 0;

  /// Space dimension d (before SetUp).  Pure; throws udeflow::Error if d < 1.
  void SetDimension(int d);
  /// Reads `-bsde_horizon` and the equation's own `-bsde_<name>_*` options.
  /// Collective on comm.
  PetscErrorCode SetFromOptions(MPI_Comm comm);
  /// Fixes x0 and computes the reference value and the trivial answer where the
  /// project can (quadrature, closed form).  Pure; throws udeflow::Error.
  void SetUp();

  int Dim() const { return dim_; }
  double Horizon() const { return horizon_; }
  void SetHorizon(double T);
  const Vector& InitialState() const { return x0_; }

  /// u(0, x0) when known (exact, or a published reference for the default set-up).
  bool HasReference() const { return has_reference_; }
  double Reference() const { return reference_; }
  /// Where the reference value comes from (for the monitor and the README).
  const std::string& ReferenceSource() const { return reference_source_; }
  /// The "do-nothing" answer E[g(X_T)] when known in closed form or by quadrature;
  /// otherwise the trainer estimates it by Monte Carlo.
  bool HasTrivialAnswer() const { return has_trivial_; }
  double TrivialAnswer() const { return trivial_; }

  // ---- Forward SDE (batched; x, dw, out are d x B; `out` must not alias `x`) ----
  /// out = mu(t, x)
  virtual void Drift(double t, const ConstMatrixRef& x, MatrixRef out) const = 0;
  /// out = sigma(t, x) v
  virtual void Diffusion(double t, const ConstMatrixRef& x, const ConstMatrixRef& v,
                         MatrixRef out) const = 0;
  /// out = sigma(t, x)^T v
  virtual void DiffusionTranspose(double t, const ConstMatrixRef& x, const ConstMatrixRef& v,
                                  MatrixRef out) const = 0;
  /// Whether ExactStep() samples X_{t+dt} exactly in law given X_t and the Brownian
  /// increment dw (e.g. Brownian motion, geometric Brownian motion).
  virtual bool HasExactStep() const { return false; }
  virtual void ExactStep(double t, double dt, const ConstMatrixRef& x, const ConstMatrixRef& dw,
                         MatrixRef out) const;

  // ---- Backward equation ----
  /// f = f(t, x, y, z) for every sample (y: B, z: d x B, f: B).
  virtual void Driver(double t, const ConstMatrixRef& x, const ConstVectorRef& y,
                      const ConstMatrixRef& z, VectorRef f) const = 0;
  /// Accumulates the vector-Jacobian product of the driver: ybar += fbar .* df/dy,
  /// zbar(:, b) += fbar(b) * df/dz(:, b).
  virtual void DriverVjp(double t, const ConstMatrixRef& x, const ConstVectorRef& y,
                         const ConstMatrixRef& z, const ConstVectorRef& fbar, VectorRef ybar,
                         MatrixRef zbar) const = 0;
  /// Jacobian-vector product: fdot = df/dy .* ydot + sum_i df/dz_i zdot_i.
  virtual void DriverJvp(double t, const ConstMatrixRef& x, const ConstVectorRef& y,
                         const ConstMatrixRef& z, const ConstVectorRef& ydot,
                         const ConstMatrixRef& zdot, VectorRef fdot) const = 0;
  /// The radially symmetric form of the set-up (radial.hpp) for the project's PDE reference,
  /// and `linear`: the same equation without its nonlinear term (the difference of the two
  /// answers is what the nonlinearity contributes).  After SetUp(); false when the set-up is
  /// not radial (terminal condition of |x|^2 only, dX = s dW, driver of (y, |z|)).
  virtual bool RadialForm(RadialProblem* full, RadialProblem* linear) const;
  /// g(x) for every sample.
  virtual void Terminal(const ConstMatrixRef& x, VectorRef g) const = 0;
  /// grad g(x) (d x B).
  virtual void TerminalGradient(const ConstMatrixRef& x, MatrixRef grad) const = 0;

 protected:
  /// Equation-specific options, read inside the block opened by SetFromOptions().
  virtual PetscErrorCode SetFromOptionsImpl(PetscOptionItems* PetscOptionsObject) = 0;
  /// Equation-specific part of SetUp(): must set x0_ (length dim_) and may set the
  /// reference value and the trivial answer.
  virtual void SetUpImpl() = 0;
  /// Default horizon T of the equation (SetFromOptions uses it as the default).
  virtual double DefaultHorizon() const = 0;

  void SetReference(double value, const std::string& source) {
    has_reference_ = true;
    reference_ = value;
    reference_source_ = source;
  }
  void SetTrivialAnswer(double value) {
    has_trivial_ = true;
    trivial_ = value;
  }

  int dim_ = 100;
  double horizon_ = -1;  ///< < 0 until set: DefaultHorizon()
  Vector x0_;

 private:
  bool has_reference_ = false, has_trivial_ = false;
  double reference_ = 0, trivial_ = 0;
  std::string reference_source_;
};

/// The equation registry; EquationRegisterAll() has been called on it.
Registry<Equation>& EquationRegistry();
/// Registers every equation (idempotent): hjb, allencahn, bsb, defaultrisk.
void EquationRegisterAll();

}  // namespace udeflow::bsde
