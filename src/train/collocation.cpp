#include "udeflow/train/collocation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace udeflow::train {

namespace {

constexpr double kMinWeight = 1e-300;
// A column of the scaled design whose part orthogonal to the previous columns is below
// this fraction of its norm is treated as dependent: the local fit drops to lower degree.
constexpr double kRankTol = 1e-9;
constexpr double kMinLooDenominator = 1e-12;

void CheckTimes(const std::vector<double>& t) {
  if (t.size() < 3) {
    throw std::invalid_argument("collocation smoother: need at least 3 sample times, got " +
                                std::to_string(t.size()));
  }
  for (std::size_t k = 0; k < t.size(); ++k) {
    if (!std::isfinite(t[k])) {
      throw std::invalid_argument("collocation smoother: time " + std::to_string(k) +
                                  " is not finite");
    }
    if (k > 0 && !(t[k] > t[k - 1])) {
      throw std::invalid_argument("collocation smoother: times are not strictly increasing at " +
                                  std::to_string(k));
    }
  }
}

// The weighted local fit of one row: the orthonormal columns q[0..rank) (over the window
// [lo, hi)) and the upper triangular R of sqrt(w) * [1, s, s^2] = Q R.
struct LocalQr {
  int lo = 0, hi = 0, rank = 0;
  std::vector<double> sw;    // sqrt(weight) over the window
  std::vector<double> q[3];  // columns of Q over the window
  double r[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
};

// Factorizes the scaled design of row k by classical Gram-Schmidt applied twice, which
// keeps Q orthonormal to rounding level; the rank is the number of leading columns with a
// usable independent part (relative to the column's own norm, so the test does not depend
// on the scale of s).
LocalQr FactorRow(const std::vector<double>& t, int k, double h) {
  const int n = static_cast<int>(t.size());
  const double smax = std::sqrt(-2.0 * std::log(kMinWeight));
  LocalQr f;
  f.lo = k;
  while (f.lo > 0 && (t[k] - t[f.lo - 1]) / h <= smax) --f.lo;
  f.hi = k + 1;
  while (f.hi < n && (t[f.hi] - t[k]) / h <= smax) ++f.hi;
  const int m = f.hi - f.lo;
  f.sw.resize(m);
  for (auto& c : f.q) c.assign(m, 0.0);
  for (int j = 0; j < m; ++j) {
    const double s = (t[f.lo + j] - t[k]) / h;
    const double w = std::exp(-0.5 * s * s);
    f.sw[j] = w >= kMinWeight ? std::sqrt(w) : 0.0;
    f.q[0][j] = f.sw[j];
    f.q[1][j] = f.sw[j] * s;
    f.q[2][j] = f.sw[j] * s * s;
  }
  for (int c = 0; c < 3; ++c) {
    std::vector<double>& v = f.q[c];
    double norm0 = 0;
    for (double x : v) norm0 += x * x;
    norm0 = std::sqrt(norm0);
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < c; ++i) {
        double dot = 0;
        for (int j = 0; j < m; ++j) dot += f.q[i][j] * v[j];
        for (int j = 0; j < m; ++j) v[j] -= dot * f.q[i][j];
        f.r[i][c] += dot;
      }
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    norm = std::sqrt(norm);
    if (!(norm0 > 0) || norm <= kRankTol * norm0) break;
    f.r[c][c] = norm;
    for (double& x : v) x /= norm;
    f.rank = c + 1;
  }
  return f;
}

// Writes into row[lo..hi) the coefficients of coefficient `which` (0: a, 1: b) of the
// local fit, times `scale`: coefficient = (Q R^-T e_which)^T (sqrt(w) y).
void CoefficientRow(const LocalQr& f, int which, double scale, double* row) {
  double g[3] = {0, 0, 0};
  for (int i = 0; i < f.rank; ++i) {
    double v = (i == which) ? 1.0 : 0.0;
    for (int l = 0; l < i; ++l) v -= f.r[l][i] * g[l];
    g[i] = v / f.r[i][i];
  }
  for (int j = 0; j < f.hi - f.lo; ++j) {
    double v = 0;
    for (int i = 0; i < f.rank; ++i) v += f.q[i][j] * g[i];
    row[f.lo + j] = scale * f.sw[j] * v;
  }
}

}  // namespace

SmootherMatrices BuildSmoother(const std::vector<double>& t, double h) {
  CheckTimes(t);
  if (!(h > 0) || !std::isfinite(h)) {
    throw std::invalid_argument("collocation smoother: bandwidth h must be positive and finite");
  }
  SmootherMatrices m;
  m.n = static_cast<int>(t.size());
  m.h = h;
  const std::size_t nn = static_cast<std::size_t>(m.n) * m.n;
  m.S.assign(nn, 0.0);
  m.D.assign(nn, 0.0);
  for (int k = 0; k < m.n; ++k) {
    const LocalQr f = FactorRow(t, k, h);
    const std::size_t off = static_cast<std::size_t>(k) * m.n;
    CoefficientRow(f, 0, 1.0, &m.S[off]);
    if (f.rank >= 2) CoefficientRow(f, 1, 1.0 / h, &m.D[off]);
  }
  return m;
}

double LeaveOneOutSum(const SmootherMatrices& m, const double* y) {
  const int n = m.n;
  double sum = 0;
  for (int k = 0; k < n; ++k) {
    const double* row = &m.S[static_cast<std::size_t>(k) * n];
    const double denom = 1.0 - row[k];
    if (denom <= kMinLooDenominator) return std::numeric_limits<double>::infinity();
    double yhat = 0;
    for (int j = 0; j < n; ++j) yhat += row[j] * y[j];
    const double r = (y[k] - yhat) / denom;
    sum += r * r;
  }
  return sum;
}

std::vector<double> CandidateBandwidths(const std::vector<double>& t, int count) {
  CheckTimes(t);
  if (count < 1) throw std::invalid_argument("collocation smoother: count must be >= 1");
  double gap = 0;
  for (std::size_t k = 1; k < t.size(); ++k) gap = std::max(gap, t[k] - t[k - 1]);
  const double lo = 0.5 * gap, hi = 0.25 * (t.back() - t.front());
  if (count == 1 || !(hi > lo)) return {lo};
  std::vector<double> h(count);
  const double ratio = std::log(hi / lo) / (count - 1);
  for (int i = 0; i < count; ++i) h[i] = lo * std::exp(ratio * i);
  h.back() = hi;
  return h;
}

double SelectBandwidth(const std::vector<double>& t, const std::vector<std::vector<double>>& series,
                       int count) {
  CheckTimes(t);
  if (series.empty()) throw std::invalid_argument("collocation smoother: no series given");
  for (const auto& y : series) {
    if (y.size() != t.size()) {
      throw std::invalid_argument("collocation smoother: a series has " + std::to_string(y.size()) +
                                  " values for " + std::to_string(t.size()) + " times");
    }
  }
  const std::vector<double> candidates = CandidateBandwidths(t, count);
  double best_h = candidates.front();
  double best = std::numeric_limits<double>::infinity();
  bool found = false;
  for (double h : candidates) {  // increasing h: `<=` resolves ties to the larger h
    const SmootherMatrices m = BuildSmoother(t, h);
    double total = 0;
    for (const auto& y : series) total += LeaveOneOutSum(m, y.data());
    if (!found || total <= best) {
      best = total;
      best_h = h;
      found = true;
    }
  }
  return best_h;
}

}  // namespace udeflow::train
