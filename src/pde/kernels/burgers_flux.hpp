#pragma once
/// \file burgers_flux.hpp
/// Pointwise kernels of the Burgers physics: the smooth van Albada slope and the baseline
/// face flux (reconstruction + Rusanov or central convective flux + viscous flux) with its
/// derivatives.  Plain doubles, no PETSc, no MPI.

#include <cmath>

namespace udeflow::pde::kernels {

/// Smooth van Albada slope phi(p,q) = ((q^2+e) p + (p^2+e) q) / (p^2 + q^2 + 2e) and its
/// partial derivatives dphi/dp, dphi/dq.
inline double VanAlbada(double p, double q, double e, double* dp, double* dq) {
  const double N = (q * q + e) * p + (p * p + e) * q;
  const double D = p * p + q * q + 2 * e;
  const double phi = N / D;
  *dp = (q * q + e + 2 * p * q - phi * 2 * p) / D;
  *dq = (2 * p * q + p * p + e - phi * 2 * q) / D;
  return phi;
}

/// Settings of the baseline Burgers face flux.
struct BurgersFluxParams {
  bool rusanov = true;          ///< Rusanov flux (else the central flux (vL^2 + vL vR + vR^2)/6)
  bool van_albada = true;       ///< van Albada reconstruction (else first order)
  double limiter_eps = 1e-6;    ///< smoothing e of the van Albada slope
  double rusanov_delta = 1e-3;  ///< smoothing of the Rusanov wave speed sqrt(vL^2 + vR^2 + delta^2)
  double eta = 0.01;            ///< viscosity
  double dx = 1;                ///< cell width
};

/// Baseline face flux between cells f and f+1 from w = (v[f-1], v[f], v[f+1], v[f+2]):
/// convective flux of the reconstructed states minus the viscous flux eta (v[f+1]-v[f])/dx.
/// If dF is given, dF[m] = dF/dw[m].
inline double BurgersFaceFlux(const BurgersFluxParams& P, const double* w, double* dF) {
  const double vm = w[0], v0 = w[1], v1 = w[2], v2 = w[3];
  double vL, vR, dL[4] = {0, 1, 0, 0}, dR[4] = {0, 0, 1, 0};
  if (P.van_albada) {
    double dp, dq, dp2, dq2;
    const double phiL = VanAlbada(v0 - vm, v1 - v0, P.limiter_eps, &dp, &dq);
    const double phiR = VanAlbada(v1 - v0, v2 - v1, P.limiter_eps, &dp2, &dq2);
    vL = v0 + 0.5 * phiL;
    vR = v1 - 0.5 * phiR;
    dL[0] = -0.5 * dp;
    dL[1] = 1 + 0.5 * (dp - dq);
    dL[2] = 0.5 * dq;
    dL[3] = 0;
    dR[0] = 0;
    dR[1] = 0.5 * dp2;
    dR[2] = 1 - 0.5 * (dp2 - dq2);
    dR[3] = -0.5 * dq2;
  } else {
    vL = v0;
    vR = v1;
  }
  double H, hL, hR;
  if (P.rusanov) {
    const double a = std::sqrt(vL * vL + vR * vR + P.rusanov_delta * P.rusanov_delta);
    H = 0.25 * (vL * vL + vR * vR) - 0.5 * a * (vR - vL);
    hL = 0.5 * vL - 0.5 * (vL / a) * (vR - vL) + 0.5 * a;
    hR = 0.5 * vR - 0.5 * (vR / a) * (vR - vL) - 0.5 * a;
  } else {
    H = (vL * vL + vL * vR + vR * vR) / 6.0;
    hL = (2 * vL + vR) / 6.0;
    hR = (vL + 2 * vR) / 6.0;
  }
  const double visc = P.eta / P.dx;
  if (dF) {
    for (int m = 0; m < 4; ++m) dF[m] = hL * dL[m] + hR * dR[m];
    dF[1] += visc;
    dF[2] -= visc;
  }
  return H - visc * (v1 - v0);
}

}  // namespace udeflow::pde::kernels
