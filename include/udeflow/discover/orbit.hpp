#pragma once
/// \file orbit.hpp
/// Errors of a periodic trajectory against the true one, separated into amplitude and
/// phase: a recovered oscillator whose coefficients are slightly off stays on a nearby
/// orbit but runs at a slightly different period, so after many periods its pointwise
/// error is dominated by the phase drift.  Pure Eigen: no PETSc, no MPI.
///
///  - amplitude error: max over components i of
///      |(max_t u_i - min_t u_i) - (max_t v_i - min_t v_i)| / (max_t v_i - min_t v_i),
///    v the truth (the orbit's extent, independent of the phase);
///  - period: the mean spacing of the upward crossings of component 0 through a level
///    (the truth's time mean of component 0), located by linear interpolation;
///  - phase drift at the end T: T |1/P_u - 1/P_v| periods.
/// A trajectory that is not finite (diverged) has infinite errors; one with fewer than two
/// crossings has an undefined (NaN) period.
#include <Eigen/Dense>

namespace udeflow::discover {

struct OrbitErrors {
  double max_error = 0;        ///< max_t |u - v| / max_t |v| (all components)
  double amplitude_error = 0;  ///< relative error of the orbit's extent (above)
  double period_error = 0;     ///< |P_u - P_v| / P_v
  double phase_drift = 0;      ///< periods gained or lost by the end of the interval
};

/// Mean period of the upward crossings of column 0 of `u` (rows at `times`) through
/// `level`; NaN with fewer than two crossings.
double CrossingPeriod(const Eigen::MatrixXd& u, const Eigen::VectorXd& times, double level);

/// The errors of trajectory `u` against the truth `v` (same rows, same times).
OrbitErrors CompareOrbits(const Eigen::MatrixXd& u, const Eigen::MatrixXd& v,
                          const Eigen::VectorXd& times);

}  // namespace udeflow::discover
