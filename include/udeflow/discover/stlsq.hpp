#pragma once
/// \file stlsq.hpp
/// Sparse regression of a vector field on a polynomial library (SINDy): sequentially
/// thresholded least squares (STLSQ) with column normalization and an automatic
/// choice of the threshold.  Pure Eigen: no PETSc, no MPI; errors throw udeflow::Error.
///
/// Normalization: every library column is scaled to unit 2-norm before the regression,
/// so a coefficient measures the size of its term's contribution; a term is dropped
/// when that contribution is below threshold * |y| (a dimensionless threshold in
/// (0, 1)).  Coefficients are returned in the original (unscaled) basis.
///
/// Threshold choice (criterion "bic", default): thresholds are swept on a log grid from
/// 1e-5 to 1; each gives a support; each distinct support is refitted by least squares
/// and scored by BIC = m ln(RSS/m) + k ln(m) (m samples, k terms); the support with the
/// lowest score wins (ties: fewer terms).  "aic" uses 2k instead of k ln(m).  Done for
/// each target column separately.
#include <Eigen/Dense>

#include <string>
#include <vector>

namespace udeflow::discover {

using Matrix = Eigen::MatrixXd;

/// All monomials of `nvars` variables of total degree 0..degree (degree >= 1), ordered
/// by degree, then lexicographically with the first variable's power highest
/// (1, x, y, x^2, x y, y^2, x^3, ...).
class PolynomialLibrary {
 public:
  PolynomialLibrary(int nvars, int degree);
  int NumTerms() const { return static_cast<int>(powers_.size()); }
  int NumVars() const { return nvars_; }
  int Degree() const { return degree_; }
  /// Theta (m x NumTerms()) at the samples X (m x nvars).
  Matrix Evaluate(const Matrix& X) const;
  /// Term names, e.g. "x*y^2", from the variable names.
  std::vector<std::string> Names(const std::vector<std::string>& vars) const;
  const std::vector<std::vector<int>>& Powers() const { return powers_; }
  /// Value of sum_j coef[j] * term_j at one point u (nvars entries).
  double EvaluatePoint(const double* u, const double* coef) const;

 private:
  int nvars_, degree_;
  std::vector<std::vector<int>> powers_;
};

struct StlsqOptions {
  std::string criterion = "bic";  ///< "bic" or "aic"
  int sweep_points = 61;          ///< thresholds on the log grid
  double threshold_min = 1e-5, threshold_max = 1.0;
  int max_iterations = 25;
};

struct StlsqFit {
  Eigen::VectorXd coef;  ///< NumTerms() coefficients, unscaled basis
  double threshold = 0;  ///< the chosen threshold (lowest of its support's range)
  double rss = 0;        ///< residual sum of squares of the refit
  double score = 0;      ///< criterion value
  int terms = 0;         ///< non-zero coefficients
};

/// STLSQ at a fixed threshold (normalized columns).  Theta m x p, y m.
StlsqFit Stlsq(const Matrix& theta, const Eigen::VectorXd& y, double threshold, int max_iterations = 25);
/// Least squares refit on a support (true entries), zero elsewhere.
Eigen::VectorXd FitSupport(const Matrix& theta, const Eigen::VectorXd& y, const std::vector<bool>& support);
/// Threshold chosen by the criterion (see the file comment); `candidates` (optional)
/// receives the best fit of every support size found in the sweep.
StlsqFit StlsqAuto(const Matrix& theta, const Eigen::VectorXd& y, const StlsqOptions& opt,
                   std::vector<StlsqFit>* candidates = nullptr);

/// "-0.8993 x*y + 0.0012 y^2" (terms with non-zero coefficients; "0" if none).
std::string FormatEquation(const Eigen::VectorXd& coef, const std::vector<std::string>& names);

/// Central differences in the interior, second-order one-sided at the ends, for
/// samples X (m x n) at increasing times t (non-uniform allowed).  m >= 3.
Matrix FiniteDifferenceDerivative(const Eigen::VectorXd& t, const Matrix& X);

}  // namespace udeflow::discover
