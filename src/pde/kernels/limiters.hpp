#pragma once
/// \file limiters.hpp
/// Pointwise kernels of the advection physics: flux limiters phi(r) with the derivative of
/// the branch their comparisons select, the learned limiter's features, and the limited
/// (MUSCL/Sweby) face flux a (w1 + psi/2), psi = phi(r) q, with its derivatives.  Plain
/// doubles, no PETSc, no MPI.

#include <algorithm>
#include <cmath>

namespace udeflow::pde::kernels {

/// |r| above this: phi taken as constant (phi' = 0).
constexpr double kRCap = 1e12;

/// minmod: phi = max(0, min(r, 1)).
inline double Minmod(double r, double* dphi) {
  *dphi = 0;
  if (r <= 0) return 0;
  if (r < 1) {
    *dphi = 1;
    return r;
  }
  return 1;
}

/// superbee: phi = max(0, min(2r, 1), min(r, 2)).
inline double Superbee(double r, double* dphi) {
  *dphi = 0;
  if (r <= 0) return 0;
  if (r <= 0.5) {
    *dphi = 2;
    return 2 * r;
  }
  if (r <= 1) return 1;
  if (r < 2) {
    *dphi = 1;
    return r;
  }
  return 2;
}

/// van Leer: phi = (r + |r|) / (1 + |r|).
inline double VanLeer(double r, double* dphi) {
  *dphi = 0;
  if (r <= 0) return 0;
  *dphi = 2 / ((1 + r) * (1 + r));
  return 2 * r / (1 + r);
}

/// Monotonized central: phi = max(0, min(2r, (1 + r)/2, 2)).
inline double MonotonizedCentral(double r, double* dphi) {
  *dphi = 0;
  if (r <= 0) return 0;
  if (r <= 1.0 / 3) {
    *dphi = 2;
    return 2 * r;
  }
  if (r < 3) {
    *dphi = 0.5;
    return 0.5 * (1 + r);
  }
  return 2;
}

/// Logistic function 1 / (1 + exp(-z)), evaluated without overflow.
inline double Sigmoid(double z) {
  return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z));
}

/// Learned limiter's first input: r = p/q (0 when q = 0) clamped to |r| <= kRCap.
inline double FeatureRatio(double p, double q) {
  double r = q != 0 ? p / q : 0;
  return std::max(-kRCap, std::min(kRCap, r));
}

/// Bounded smooth feature rho = r / (1 + |r|) of the slope ratio.
inline double BoundedRatio(double r) {
  return r / (1 + std::abs(r));
}

/// Jump feature j = q^2 / (q^2 + delta^2) of the face jump q.
inline double JumpFeature(double q, double delta) {
  return q * q / (q * q + delta * delta);
}

/// Slope ratio r = p/q with |r| capped at kRCap (q != 0); *capped tells whether it was.
inline double CappedRatio(double p, double q, bool* capped) {
  double r = p / q;
  *capped = std::abs(r) > kRCap;
  if (*capped) r = std::copysign(kRCap, r);
  return r;
}

/// Limited slope psi(p, q) = phi(r) q, r = p/q, from phi(r), phi'(r) and phi's own
/// dependence phi_q on q at fixed r; its partials psi_p = dpsi/dp, psi_q = dpsi/dq.  A
/// capped ratio has phi' = 0.
inline double LimitedSlope(double r, double q, double phi, double dphi, double phi_q, bool capped,
                           double* psi_p, double* psi_q) {
  if (capped) dphi = 0;
  *psi_p = dphi;
  *psi_q = phi - r * dphi + q * phi_q;
  return phi * q;
}

/// Face flux F = a (w1 + psi/2) of the limited face value.
inline double LimitedFaceFlux(double a, double w1, double psi) {
  return a * (w1 + 0.5 * psi);
}

/// dF/d(w0, w1, w2) of the limited face flux, p = w1 - w0 and q = w2 - w1.
inline void LimitedFaceCoefficients(double a, double psi_p, double psi_q, double* c) {
  c[0] = -0.5 * a * psi_p;
  c[1] = a * (1 + 0.5 * (psi_p - psi_q));
  c[2] = 0.5 * a * psi_q;
}

}  // namespace udeflow::pde::kernels
