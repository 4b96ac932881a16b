#pragma once
/// \file collocation.hpp
/// The kernel smoother of collocation training (Roesch, Rackauckas & Stumpf 2021,
/// "Collocation based training of neural ordinary differential equations"): from noisy
/// samples y(t_k) of a trajectory it estimates the values and the time derivatives at the
/// sample times, so that a right-hand side f can be fitted to (yhat_k, dy/dt_k) pairs
/// without integrating the ODE.
///
/// The estimator is local-polynomial regression of degree 2 with the Gaussian kernel
/// K(s) = exp(-s^2/2), s = (t_j - t_k)/h: at each sample time t_k the weighted least-squares
/// fit of a + b s + c s^2 gives yhat(t_k) = a and dy/dt(t_k) = b/h.  Both are linear in y, so
/// the smoother is stored as two dense n x n matrices (row-major; O(n^2) memory and work).
/// The fit is exact for quadratics, also in the rows near the ends, where it is one-sided
/// by construction; in the interior the value bias is O(h^4) and the derivative bias
/// O(h^2).
///
/// Each local fit is solved by a QR factorization (Gram-Schmidt applied twice) of the
/// centred, h-scaled, sqrt(weight)-scaled design with columns 1, s, s^2, not by forming the
/// normal equations.  Weights below 1e-300 are skipped.  When fewer than three points keep
/// a usable weight (h much smaller than the spacing), the fit drops to degree 1 or 0 for
/// that row (degree 0: the row of S is the unit row, the row of D is zero).
///
/// The bandwidth is chosen by leave-one-out cross-validation: for a linear smoother the
/// LOO residual of point k is (y_k - yhat_k)/(1 - S_kk) exactly.  CV targets the values;
/// the derivative would prefer a smaller h (its bias is O(h^2) rather than O(h^4)).
/// Pure C++17: no PETSc, no MPI.
#include <vector>

namespace udeflow::train {

/// Local-polynomial (degree 2) regression with a Gaussian kernel K(s) = exp(-s^2/2),
/// s = (t_j - t_k)/h, evaluated at the sample times themselves: a linear smoother.
/// Row k of S gives yhat(t_k) = sum_j S[k*n+j] y_j, row k of D gives the estimated
/// derivative dy/dt(t_k) = sum_j D[k*n+j] y_j (the slope coefficient of the local fit).
struct SmootherMatrices {
  int n = 0;                 ///< number of sample times
  double h = 0;              ///< bandwidth
  std::vector<double> S, D;  ///< n x n, row-major
};

/// The smoother of bandwidth h at the times t: n >= 3 strictly increasing finite times
/// (non-uniform allowed), h > 0 finite.  Throws std::invalid_argument on bad input.
SmootherMatrices BuildSmoother(const std::vector<double>& t, double h);

/// Leave-one-out residual sum of one series y (m.n values) under m.S:
/// sum_k ((y_k - yhat_k) / (1 - S_kk))^2.  Returns +inf when some 1 - S_kk <= 1e-12 (h too
/// small to leave a point out).
double LeaveOneOutSum(const SmootherMatrices& m, const double* y);

/// Candidate bandwidths: `count` (>= 1) values geometrically spaced from 0.5 * (the largest
/// gap between consecutive times) to 0.25 * (t.back() - t.front()), increasing.  When the
/// upper end is not above the lower one (n = 3, or one gap of at least half the span), or
/// count == 1, the single value 0.5 * largest gap.  Throws std::invalid_argument on bad
/// times (as BuildSmoother) or count < 1.
std::vector<double> CandidateBandwidths(const std::vector<double>& t, int count = 24);

/// Bandwidth chosen by leave-one-out cross-validation over several series sampled at t
/// (series[i] has t.size() values, e.g. the state components of one trajectory): the
/// candidate of CandidateBandwidths(t, count) with the smallest sum of LeaveOneOutSum over
/// the series (ties: the larger h).  Deterministic.  Throws std::invalid_argument on bad
/// times, no series, or a series of the wrong length.
double SelectBandwidth(const std::vector<double>& t, const std::vector<std::vector<double>>& series,
                       int count = 24);

}  // namespace udeflow::train
