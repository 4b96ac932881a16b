#pragma once
/// \file cell_averages.hpp
/// Exact cell averages of the advection physics' initial shapes on a periodic interval:
/// periodic square waves, periodic Gaussians and complex exponentials.  Plain doubles, no
/// PETSc, no MPI.

#include <algorithm>
#include <cmath>
#include <complex>

namespace udeflow::pde::kernels {

/// pi (the same double as PETSC_PI).
constexpr double kPi = 3.1415926535897932384626433832795029;

/// Length of [xa, xb] covered by the periodic images of [lo, hi] (period L).
inline double PeriodicOverlap(double xa, double xb, double lo, double hi, double L) {
  double ov = 0;
  const long k0 = static_cast<long>(std::floor((xa - hi) / L)),
             k1 = static_cast<long>(std::ceil((xb - lo) / L));
  for (long k = k0; k <= k1; ++k)
    ov += std::max(0.0, std::min(xb, hi + k * L) - std::max(xa, lo + k * L));
  return ov;
}

/// Mean over [xa, xb] of the periodic sum of exp(-(x - c)^2 / (2 s^2)) (period L).
inline double GaussianAverage(double xa, double xb, double c, double s, double L) {
  const double q = 1 / (s * std::sqrt(2.0));
  double sum = 0;
  const long k0 = static_cast<long>(std::floor((xa - c) / L)) - 2,
             k1 = static_cast<long>(std::floor((xb - c) / L)) + 2;
  for (long k = k0; k <= k1; ++k) {
    const double cc = c + k * L;
    sum += std::erf((xb - cc) * q) - std::erf((xa - cc) * q);
  }
  return sum * s * std::sqrt(kPi / 2) / (xb - xa);
}

/// Mean over [xa, xb] of exp(i alpha x).
inline std::complex<double> ExpAverage(double xa, double xb, double alpha) {
  if (alpha == 0) return 1.0;
  const std::complex<double> I(0, 1);
  return (std::exp(I * (alpha * xb)) - std::exp(I * (alpha * xa))) / (I * alpha * (xb - xa));
}

}  // namespace udeflow::pde::kernels
