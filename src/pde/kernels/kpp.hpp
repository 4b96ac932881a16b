#pragma once
/// \file kpp.hpp
/// Pointwise kernels of the ocean column physics, one column at a time: the smooth
/// convective adjustment flux, the K-profile (KPP) truth model in its convective limit, the
/// resulting face fluxes of a column and the network input scaling.  Faces f = 0..nz of a
/// column are numbered bottom first; T holds the nz cell temperatures.  Plain doubles, no
/// PETSc, no MPI.

#include <algorithm>
#include <cmath>

namespace udeflow::pde::kernels {

/// Smooth convective adjustment plus background diffusion.
struct CaParams {
  double k = 10;          ///< convective adjustment diffusivity K (m^2/s) where dT/dz < 0
  double eps = 2e-5;      ///< smoothing of the convective switch (K/m)
  double kappa0 = 1e-5;   ///< background diffusivity (m^2/s)
  bool softplus = false;  ///< switch form: softplus (true) or the square-root form (false)
};

/// Convective adjustment flux F(g) of the temperature gradient g = dT/dz and dF/dg, -K g where
/// g << -eps and 0 where g >> eps, plus -kappa0 g:
///   sqrt form:     F = -K/2 (g - sqrt(g^2 + eps^2)), which in stable stratification leaves
///                  K eps^2/(4 g) (algebraic decay: 2e-7 K m/s for K 10, eps 2e-5, g 5e-3);
///   softplus form: F = K eps ln(1 + exp(-g/eps)), dF/dg = -K / (1 + exp(g/eps))
///                  (exponential decay: K eps exp(-g/eps), nothing left at g = 250 eps).
inline void CaFlux(const CaParams& P, double g, double* F, double* dFdg) {
  if (P.softplus) {
    const double z = -g / P.eps;  // softplus(z) = max(z, 0) + ln(1 + exp(-|z|))
    const double e = std::exp(-std::abs(z));
    const double sp = std::max(z, 0.0) + std::log1p(e);
    const double sig = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);  // 1/(1 + exp(-z))
    *F = P.k * P.eps * sp - P.kappa0 * g;
    *dFdg = -P.k * sig - P.kappa0;
    return;
  }
  const double s = std::sqrt(g * g + P.eps * P.eps);
  *F = -0.5 * P.k * (g - s) - P.kappa0 * g;
  *dFdg = -0.5 * P.k * (1.0 - g / s) - P.kappa0;
}

/// K-profile truth model of one column.
struct KppParams {
  double alpha = 2e-4;         ///< thermal expansion coefficient (1/K)
  double gravity = 9.81;       ///< m/s^2
  double depth = 256;          ///< column depth H (m)
  double dz = 8;               ///< level spacing (m)
  long nz = 32;                ///< levels
  double ri_c = 0.3;           ///< critical bulk Richardson number
  double kappa0 = 1e-5;        ///< background diffusivity (m^2/s)
  double entrain = 0;          ///< entrainment flux ratio E
  double entrain_width = 0.2;  ///< entrainment taper zone (fraction of h)
};

/// K-profile scheme, convective limit (Large, McWilliams & Doney 1994): face diffusivity
/// K[f] and nonlocal flux NL[f] at faces f = 0..nz (bottom first) of one column with
/// surface temperature flux qt (K m/s, positive: cooling).
inline void KppColumn(const KppParams& P, const double* T, double qt, double* K, double* NL) {
  const long nz = P.nz;
  const double depth = P.depth, dz = P.dz;
  const double kappa = 0.4, cs = 98.96, eps = 0.1, cv = 1.6, beta_t = 0.2, cstar = 10.0;
  const double ag = P.alpha * P.gravity;
  const double b0 = ag * std::max(qt, 0.0);                // destabilizing surface buoyancy flux
  const double cws = kappa * std::cbrt(cs * kappa * eps);  // w_s = cws w* (convective limit)
  const double ct = cv * std::sqrt(beta_t) / (P.ri_c * kappa * kappa * std::sqrt(cs * eps));
  const double csnl = cstar * kappa * std::cbrt(cs * kappa * eps);
  // Boundary-layer depth: first depth where the bulk Richardson number reaches Ri_c
  // (linear interpolation between cell centres).
  const double br = ag * T[nz - 1];
  double h = depth - dz, ri_prev = 0, d_prev = 0.5 * dz;
  for (long k = nz - 2; k >= 1; --k) {
    const double d = depth - (k + 0.5) * dz;
    const double n2 = std::max(ag * (T[k + 1] - T[k - 1]) / (2 * dz), 0.0);
    const double ws = cws * std::cbrt(b0 * d);
    const double vt2 = ct * std::sqrt(n2) * ws * d + 1e-8;
    const double ri = (br - ag * T[k]) * d / vt2;
    if (ri >= P.ri_c) {
      h = d_prev + (P.ri_c - ri_prev) / (ri - ri_prev) * (d - d_prev);
      break;
    }
    ri_prev = ri;
    d_prev = d;
  }
  h = std::min(std::max(h, dz), depth - dz);
  const double ws = cws * std::cbrt(b0 * h);
  for (long f = 0; f <= nz; ++f) {
    K[f] = P.kappa0;
    NL[f] = 0;
    if (f == 0 || f == nz) continue;
    const double sigma = (depth - f * dz) / h;
    if (sigma < 1 && b0 > 0) {
      const double G = sigma * (1 - sigma) * (1 - sigma);
      K[f] += h * ws * G;
      NL[f] = csnl * G * qt;
    } else if (T[f] < T[f - 1]) {
      K[f] += 0.1;  // interior convective instability below the boundary layer
    }
    // Entrainment: a downward heat flux -E Q at the boundary-layer base (the classic
    // convective ratio E = 0.2 of the surface buoyancy flux), growing linearly through
    // the layer (total flux Q (1 - (1 + E) sigma) in a well-mixed layer) and tapering to
    // zero over entrain_width h below it, where it warms the entrained water.
    if (P.entrain > 0 && b0 > 0) {
      const double w = P.entrain_width;
      const double e = sigma < 1 ? sigma : std::max(0.0, (1 + w - sigma) / w);
      NL[f] -= P.entrain * e * qt;
    }
  }
}

/// Upper bound of the K-profile diffusivity of a column with surface flux at most qmax:
/// h w_s max G <= H w_s 4/27, plus the interior convective 0.1 (without kappa0).
inline double KppDiffusivityBound(const KppParams& P, double qmax) {
  const double ws =
      0.4 * std::cbrt(98.96 * 0.4 * 0.1) * std::cbrt(P.alpha * P.gravity * qmax * P.depth);
  return P.depth * ws * 4.0 / 27.0 + 0.1;
}

/// Face fluxes F[0..nz] of one column under convective adjustment: 0 at the bottom, qt at
/// the surface, CaFlux of the face gradients in between.
inline void CaColumnFlux(const CaParams& P, const double* T, long nz, double dz, double qt,
                         double* F) {
  F[0] = 0;
  F[nz] = qt;
  double d;
  for (long f = 1; f < nz; ++f) CaFlux(P, (T[f] - T[f - 1]) / dz, &F[f], &d);
}

/// Face fluxes F[0..nz] of one column under the K-profile model: -K dT/dz + NL inside, 0 at
/// the bottom, qt at the surface.  K and NL (nz + 1 each) are work storage and hold the
/// column's profiles on return.
inline void KppColumnFlux(const KppParams& P, const double* T, double qt, double* K, double* NL,
                          double* F) {
  const long nz = P.nz;
  F[0] = 0;
  F[nz] = qt;
  KppColumn(P, T, qt, K, NL);
  for (long f = 1; f < nz; ++f) F[f] = -K[f] * (T[f] - T[f - 1]) / P.dz + NL[f];
}

/// Network input of a column: x = (T - offset) / scale.
inline void ScaleColumn(const double* T, long nz, double offset, double scale, double* x) {
  const double s = 1.0 / scale;
  for (long k = 0; k < nz; ++k) x[k] = (T[k] - offset) * s;
}

}  // namespace udeflow::pde::kernels
