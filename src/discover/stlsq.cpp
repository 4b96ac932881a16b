#include "udeflow/discover/stlsq.hpp"

#include <cmath>
#include <map>
#include <sstream>

#include "udeflow/core/error.hpp"

namespace udeflow::discover {

namespace {

// Monomials of total degree exactly d in n variables, first variable's power highest first.
void Monomials(int n, int d, int var, std::vector<int>& cur, std::vector<std::vector<int>>& out) {
  if (var == n - 1) {
    cur[var] = d;
    out.push_back(cur);
    return;
  }
  for (int p = d; p >= 0; --p) {
    cur[var] = p;
    Monomials(n, d - p, var + 1, cur, out);
  }
}

double Rss(const Matrix& theta, const Eigen::VectorXd& y, const Eigen::VectorXd& c) {
  return (y - theta * c).squaredNorm();
}

}  // namespace

PolynomialLibrary::PolynomialLibrary(int nvars, int degree) : nvars_(nvars), degree_(degree) {
  Require(nvars >= 1, "polynomial library: at least one variable");
  Require(degree >= 1,
          "polynomial library: degree must be at least 1, got " + std::to_string(degree));
  std::vector<int> cur(nvars, 0);
  for (int d = 0; d <= degree; ++d) Monomials(nvars, d, 0, cur, powers_);
}

Matrix PolynomialLibrary::Evaluate(const Matrix& X) const {
  Require(X.cols() == nvars_, "polynomial library: samples have " + std::to_string(X.cols()) +
                                  " variables, the library " + std::to_string(nvars_));
  Matrix T(X.rows(), NumTerms());
  for (int j = 0; j < NumTerms(); ++j)
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      double v = 1;
      for (int k = 0; k < nvars_; ++k)
        for (int p = 0; p < powers_[j][k]; ++p) v *= X(i, k);
      T(i, j) = v;
    }
  return T;
}

double PolynomialLibrary::EvaluatePoint(const double* u, const double* coef) const {
  double s = 0;
  for (int j = 0; j < NumTerms(); ++j) {
    if (coef[j] == 0) continue;
    double v = coef[j];
    for (int k = 0; k < nvars_; ++k)
      for (int p = 0; p < powers_[j][k]; ++p) v *= u[k];
    s += v;
  }
  return s;
}

std::vector<std::string> PolynomialLibrary::Names(const std::vector<std::string>& vars) const {
  Require(static_cast<int>(vars.size()) == nvars_,
          "polynomial library: wrong number of variable names");
  std::vector<std::string> names;
  for (const auto& p : powers_) {
    std::string s;
    for (int k = 0; k < nvars_; ++k) {
      if (p[k] == 0) continue;
      if (!s.empty()) s += "*";
      s += vars[k];
      if (p[k] > 1) s += "^" + std::to_string(p[k]);
    }
    names.push_back(s.empty() ? "1" : s);
  }
  return names;
}

Eigen::VectorXd FitSupport(const Matrix& theta, const Eigen::VectorXd& y,
                           const std::vector<bool>& support) {
  const Eigen::Index p = theta.cols();
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < p; ++j)
    if (support[j]) cols.push_back(j);
  Eigen::VectorXd c = Eigen::VectorXd::Zero(p);
  if (cols.empty()) return c;
  Matrix A(theta.rows(), static_cast<Eigen::Index>(cols.size()));
  for (size_t q = 0; q < cols.size(); ++q) A.col(q) = theta.col(cols[q]);
  Eigen::VectorXd s = A.completeOrthogonalDecomposition().solve(y);
  for (size_t q = 0; q < cols.size(); ++q) c[cols[q]] = s[q];
  return c;
}

namespace {

// Ridge regression on a support of the normalized library: min |y - A c|^2 + alpha |c|^2.
Eigen::VectorXd RidgeSupport(const Matrix& theta, const Eigen::VectorXd& y,
                             const std::vector<bool>& support, double alpha) {
  if (alpha <= 0) return FitSupport(theta, y, support);
  const Eigen::Index p = theta.cols();
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < p; ++j)
    if (support[j]) cols.push_back(j);
  Eigen::VectorXd c = Eigen::VectorXd::Zero(p);
  if (cols.empty()) return c;
  const Eigen::Index k = static_cast<Eigen::Index>(cols.size());
  Matrix A(theta.rows(), k);
  for (Eigen::Index q = 0; q < k; ++q) A.col(q) = theta.col(cols[q]);
  Matrix G = A.transpose() * A;
  G.diagonal().array() += alpha;
  Eigen::VectorXd s = G.ldlt().solve(A.transpose() * y);
  for (Eigen::Index q = 0; q < k; ++q) c[cols[q]] = s[q];
  return c;
}

}  // namespace

StlsqFit Stlsq(const Matrix& theta, const Eigen::VectorXd& y, double threshold, int max_iterations,
               double ridge) {
  Require(theta.rows() > 0, "sparse regression: no samples");
  Require(theta.rows() == y.size(),
          "sparse regression: library and target have different sample counts");
  const Eigen::Index p = theta.cols();
  Eigen::VectorXd scale(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const double n = theta.col(j).norm();
    scale[j] = n > 0 ? n : 1.0;
  }
  const Matrix tn = theta * scale.cwiseInverse().asDiagonal();
  const double ynorm = y.norm();
  std::vector<bool> support(p, true);
  Eigen::VectorXd c = RidgeSupport(tn, y, support, ridge);
  for (int it = 0; it < max_iterations; ++it) {
    bool changed = false;
    for (Eigen::Index j = 0; j < p; ++j)
      if (support[j] && std::abs(c[j]) < threshold * ynorm) {
        support[j] = false;
        changed = true;
      }
    if (!changed) break;
    c = RidgeSupport(tn, y, support, ridge);
  }
  // Unbiased least squares on the selected terms, thresholded again until stable (ridge
  // may have kept a term that least squares gives a negligible coefficient).
  c = FitSupport(tn, y, support);
  for (int it = 0; ridge > 0 && it < max_iterations; ++it) {
    bool changed = false;
    for (Eigen::Index j = 0; j < p; ++j)
      if (support[j] && std::abs(c[j]) < threshold * ynorm) {
        support[j] = false;
        changed = true;
      }
    if (!changed) break;
    c = FitSupport(tn, y, support);
  }
  StlsqFit fit;
  fit.coef = c.cwiseQuotient(scale);
  fit.threshold = threshold;
  fit.rss = Rss(theta, y, fit.coef);
  for (Eigen::Index j = 0; j < p; ++j) fit.terms += fit.coef[j] != 0;
  return fit;
}

StlsqFit StlsqAuto(const Matrix& theta, const Eigen::VectorXd& y, const StlsqOptions& opt,
                   std::vector<StlsqFit>* candidates) {
  Require(opt.criterion == "bic" || opt.criterion == "aic" || opt.criterion == "plateau" ||
              opt.criterion == "holdout",
          "sparse regression: criterion must be holdout, plateau, bic or aic");
  Require(opt.holdout > 0 && opt.holdout < 1,
          "sparse regression: the held-out fraction must be in (0, 1)");
  const Eigen::Index m_fit =
      static_cast<Eigen::Index>(std::floor((1 - opt.holdout) * theta.rows()));
  Require(opt.criterion != "holdout" || (m_fit >= 2 && m_fit < theta.rows()),
          "sparse regression: too few samples for a held-out part");
  Require(opt.sweep_points >= 2 && opt.threshold_min > 0 && opt.threshold_max > opt.threshold_min,
          "sparse regression: bad threshold sweep");
  const double m = static_cast<double>(theta.rows());
  // Noise floor so that an exact fit (RSS = 0) does not score -infinity.
  const double floor = 1e-14 * std::max(1e-300, y.squaredNorm());
  std::vector<std::vector<bool>> order;
  std::map<std::vector<bool>, StlsqFit> seen;
  for (int i = 0; i < opt.sweep_points; ++i) {
    const double lam =
        opt.threshold_min * std::pow(opt.threshold_max / opt.threshold_min,
                                     static_cast<double>(i) / (opt.sweep_points - 1));
    StlsqFit f = Stlsq(theta, y, lam, opt.max_iterations, opt.ridge);
    std::vector<bool> support(f.coef.size());
    for (Eigen::Index j = 0; j < f.coef.size(); ++j) support[j] = f.coef[j] != 0;
    auto it = seen.find(support);
    if (it != seen.end()) {  // keep the lowest threshold of each support, count the hits
      it->second.sweep_hits++;
      continue;
    }
    if (opt.criterion == "holdout") {
      // Fit on the first samples, score on the rest (held out, later in time).
      const Eigen::Index mh = theta.rows() - m_fit;
      const Eigen::VectorXd c = FitSupport(theta.topRows(m_fit), y.head(m_fit), support);
      f.score = std::sqrt((y.tail(mh) - theta.bottomRows(mh) * c).squaredNorm() /
                          std::max(1e-300, y.tail(mh).squaredNorm()));
    } else {
      const double pen = opt.criterion == "bic" ? std::log(m) : 2.0;
      f.score = m * std::log((f.rss + floor) / m) + pen * f.terms;
    }
    f.sweep_hits = 1;
    seen[support] = f;
    order.push_back(support);
  }
  StlsqFit best;
  bool have = false;
  for (const auto& s : order) {
    StlsqFit& f = seen[s];
    if (opt.criterion == "holdout") {
      // Knee of the Pareto front (terms, held-out error): the most error reduction per term.
      if (f.terms == 0) continue;
      const double gain = -std::log(std::max(f.score, 1e-300)) / f.terms;
      const double best_gain =
          have ? -std::log(std::max(best.score, 1e-300)) / best.terms : -INFINITY;
      if (!have || gain > best_gain + 1e-12 ||
          (std::abs(gain - best_gain) <= 1e-12 && f.terms < best.terms)) {
        best = f;
        have = true;
      }
    } else if (opt.criterion == "plateau") {
      if (f.terms == 0) continue;
      if (!have || f.sweep_hits > best.sweep_hits ||
          (f.sweep_hits == best.sweep_hits && f.terms < best.terms)) {
        best = f;
        have = true;
      }
    } else if (!have || f.score < best.score - 1e-12 ||
               (std::abs(f.score - best.score) <= 1e-12 && f.terms < best.terms)) {
      best = f;
      have = true;
    }
  }
  if (!have) best = seen[order.back()];  // every threshold removed every term
  if (candidates) {
    candidates->clear();
    for (const auto& s : order) candidates->push_back(seen[s]);
  }
  return best;
}

std::string FormatEquation(const Eigen::VectorXd& coef, const std::vector<std::string>& names) {
  std::ostringstream s;
  s.precision(4);
  bool first = true;
  for (Eigen::Index j = 0; j < coef.size(); ++j) {
    if (coef[j] == 0) continue;
    const double c = coef[j];
    if (first)
      s << (c < 0 ? "-" : "");
    else
      s << (c < 0 ? " - " : " + ");
    s << std::abs(c);
    if (names[j] != "1") s << " " << names[j];
    first = false;
  }
  return first ? "0" : s.str();
}

Matrix FiniteDifferenceDerivative(const Eigen::VectorXd& t, const Matrix& X) {
  const Eigen::Index m = X.rows();
  Require(m >= 3 && t.size() == m, "finite differences: need at least 3 samples with their times");
  Matrix D(m, X.cols());
  // Second-order differences through three points (i0, i1, i2), derivative at point `at`.
  auto Three = [&](Eigen::Index i0, Eigen::Index i1, Eigen::Index i2, Eigen::Index at) {
    const double t0 = t[i0], t1 = t[i1], t2 = t[i2], ta = t[at];
    // Derivative of the Lagrange interpolant at ta.
    const double l0 = ((ta - t1) + (ta - t2)) / ((t0 - t1) * (t0 - t2));
    const double l1 = ((ta - t0) + (ta - t2)) / ((t1 - t0) * (t1 - t2));
    const double l2 = ((ta - t0) + (ta - t1)) / ((t2 - t0) * (t2 - t1));
    D.row(at) = l0 * X.row(i0) + l1 * X.row(i1) + l2 * X.row(i2);
  };
  Three(0, 1, 2, 0);
  for (Eigen::Index i = 1; i + 1 < m; ++i) Three(i - 1, i, i + 1, i);
  Three(m - 3, m - 2, m - 1, m - 1);
  return D;
}

}  // namespace udeflow::discover
