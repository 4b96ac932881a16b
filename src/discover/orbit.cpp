#include "udeflow/discover/orbit.hpp"

#include <cmath>
#include <limits>

namespace udeflow::discover {

double CrossingPeriod(const Eigen::MatrixXd& u, const Eigen::VectorXd& times, double level) {
  double first = 0, last = 0;
  int crossings = 0;
  for (Eigen::Index k = 1; k < u.rows(); ++k) {
    const double a = u(k - 1, 0) - level, b = u(k, 0) - level;
    if (a < 0 && b >= 0) {
      const double t = times[k - 1] + (times[k] - times[k - 1]) * (-a) / (b - a);
      if (crossings == 0) first = t;
      last = t;
      ++crossings;
    }
  }
  if (crossings < 2) return std::numeric_limits<double>::quiet_NaN();
  return (last - first) / (crossings - 1);
}

OrbitErrors CompareOrbits(const Eigen::MatrixXd& u, const Eigen::MatrixXd& v,
                          const Eigen::VectorXd& times) {
  OrbitErrors e;
  if (!u.allFinite()) {
    e.max_error = e.amplitude_error = e.period_error = e.phase_drift = INFINITY;
    return e;
  }
  e.max_error = (u - v).cwiseAbs().maxCoeff() / v.cwiseAbs().maxCoeff();
  for (Eigen::Index i = 0; i < v.cols(); ++i) {
    const double ext_v = v.col(i).maxCoeff() - v.col(i).minCoeff();
    const double ext_u = u.col(i).maxCoeff() - u.col(i).minCoeff();
    e.amplitude_error = std::max(e.amplitude_error, std::abs(ext_u - ext_v) / ext_v);
  }
  const double level = v.col(0).mean();
  const double pv = CrossingPeriod(v, times, level), pu = CrossingPeriod(u, times, level);
  e.period_error = std::abs(pu - pv) / pv;  // NaN if either is undefined
  const double T = times[times.size() - 1] - times[0];
  e.phase_drift = T * std::abs(1 / pu - 1 / pv);
  return e;
}

}  // namespace udeflow::discover
