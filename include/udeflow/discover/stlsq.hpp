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
/// Threshold choice: thresholds are swept on a log grid from 1e-4 to 1 (61 points); each
/// gives a support, refitted by least squares.  Criteria (per target column):
///  - "holdout" (default): the knee of the Pareto front of held-out error against the
///    number of terms.  The samples are taken in their order (time along a trajectory):
///    each support is fitted on the first 1 - holdout of them (default 0.3 held out) and
///    scored by the relative RMS error e on the rest (e = 1 for the empty model); the
///    support with the largest error reduction per term, ln(1/e) / k, wins.  Spurious
///    terms fitted to the error of a learned U along a trajectory (columns nearly
///    collinear there) extrapolate badly along the curve and buy little per term; the
///    true terms do not.  Terms contributing less than about e_1^2 (e of the best
///    one-term model) of the target are not resolved.  The chosen support is refitted on
///    all samples.
///  - "plateau": the non-empty support that survives the widest range of
///    thresholds (in log scale) -- the stable "knee" of the sweep.  A true term's
///    normalized contribution is O(1) and the spurious ones sit at the error level of
///    the target, so the true support persists from that level up to its smallest term.
///    This does not assume independent errors, which matters for a learned U whose error
///    is smooth and systematic (information criteria then keep adding terms).
///  - "bic": lowest m ln(RSS/m) + k ln(m) (m samples, k terms); "aic": 2k instead of
///    k ln(m).  Right for independent noise (e.g. a known polynomial system with noise).
/// Ties go to fewer terms.
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
  std::string criterion = "holdout";  ///< "holdout", "plateau", "bic" or "aic"
  double holdout = 0.3;               ///< held-out fraction (last samples)
  int sweep_points = 61;              ///< thresholds on the log grid
  double threshold_min = 1e-4, threshold_max = 1.0;
  int max_iterations = 25;
  double ridge = 0.05;  ///< ridge alpha of the thresholding iterations (normalized columns)
};

struct StlsqFit {
  Eigen::VectorXd coef;  ///< NumTerms() coefficients, unscaled basis
  double threshold = 0;  ///< the chosen threshold (lowest of its support's range)
  double rss = 0;        ///< residual sum of squares of the refit
  double score = 0;      ///< criterion value (holdout: relative held-out RMS error)
  int terms = 0;         ///< non-zero coefficients
  int sweep_hits = 0;    ///< sweep thresholds that gave this support
};

/// STLSQ at a fixed threshold (normalized columns).  Theta m x p, y m.  With ridge > 0
/// the thresholding iterations use ridge regression (alpha = ridge on the normalized
/// columns, as sequentially thresholded ridge regression), which keeps the coefficients
/// bounded when the library columns are nearly collinear (samples along one trajectory
/// curve); the selected terms are then refitted by plain least squares (unbiased).
StlsqFit Stlsq(const Matrix& theta, const Eigen::VectorXd& y, double threshold,
               int max_iterations = 25, double ridge = 0);
/// Least squares refit on a support (true entries), zero elsewhere.
Eigen::VectorXd FitSupport(const Matrix& theta, const Eigen::VectorXd& y,
                           const std::vector<bool>& support);
/// Threshold chosen by the criterion (see the file comment); `candidates` (optional)
/// receives every distinct support found in the sweep (ordered by threshold).
StlsqFit StlsqAuto(const Matrix& theta, const Eigen::VectorXd& y, const StlsqOptions& opt,
                   std::vector<StlsqFit>* candidates = nullptr);

/// "-0.8993 x*y + 0.0012 y^2" (terms with non-zero coefficients; "0" if none).
std::string FormatEquation(const Eigen::VectorXd& coef, const std::vector<std::string>& names);

/// Central differences in the interior, second-order one-sided at the ends, for
/// samples X (m x n) at increasing times t (non-uniform allowed).  m >= 3.
Matrix FiniteDifferenceDerivative(const Eigen::VectorXd& t, const Matrix& X);

}  // namespace udeflow::discover
