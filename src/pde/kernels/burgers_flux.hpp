#pragma once
/// \file burgers_flux.hpp
/// Pointwise kernels of the Burgers physics: the smooth van Albada slope, the WENO5-JS
/// reconstruction and the baseline face flux (reconstruction + Rusanov or central
/// convective flux + viscous flux) with its derivatives.  Plain doubles, no PETSc, no MPI.

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

/// Fifth-order WENO-JS reconstruction (Jiang & Shu 1996) at the right face of s[2] from the
/// five cell averages s[0..4]: three 3-cell candidate polynomials blended with the weights
/// alpha_k = d_k / (eps + beta_k)^2 (ideal d = 1/10, 6/10, 3/10, beta_k the smoothness
/// indicators), normalized.  The value is a smooth function of s; d[m] = d value / d s[m].
inline double Weno5(const double* s, double eps, double* d) {
  static constexpr double kIdeal[3] = {0.1, 0.6, 0.3};
  static constexpr double kPoly[3][3] = {
      {2.0 / 6, -7.0 / 6, 11.0 / 6}, {-1.0 / 6, 5.0 / 6, 2.0 / 6}, {2.0 / 6, 5.0 / 6, -1.0 / 6}};
  static constexpr double kSlope[3][3] = {{1, -4, 3}, {1, 0, -1}, {3, -4, 1}};
  double q[3], beta[3], alpha[3], sum = 0;
  for (int k = 0; k < 3; ++k) {
    const double* c = s + k;
    const double curv = c[0] - 2 * c[1] + c[2];
    const double slope = kSlope[k][0] * c[0] + kSlope[k][1] * c[1] + kSlope[k][2] * c[2];
    q[k] = kPoly[k][0] * c[0] + kPoly[k][1] * c[1] + kPoly[k][2] * c[2];
    beta[k] = 13.0 / 12.0 * curv * curv + 0.25 * slope * slope;
    const double g = 1.0 / (eps + beta[k]);
    alpha[k] = kIdeal[k] * g * g;
    sum += alpha[k];
  }
  double value = 0;
  for (int k = 0; k < 3; ++k) value += alpha[k] / sum * q[k];
  if (d) {
    // d value = sum_k w_k (d q_k - 2 (q_k - value) / (eps + beta_k) d beta_k)
    for (int m = 0; m < 5; ++m) d[m] = 0;
    for (int k = 0; k < 3; ++k) {
      const double* c = s + k;
      const double w = alpha[k] / sum;
      const double curv = c[0] - 2 * c[1] + c[2];
      const double slope = kSlope[k][0] * c[0] + kSlope[k][1] * c[1] + kSlope[k][2] * c[2];
      const double r = -2 * w * (q[k] - value) / (eps + beta[k]);
      static constexpr double kCurv[3] = {1, -2, 1};
      for (int m = 0; m < 3; ++m) {
        const double dbeta = 13.0 / 6.0 * curv * kCurv[m] + 0.5 * slope * kSlope[k][m];
        d[k + m] += w * kPoly[k][m] + r * dbeta;
      }
    }
  }
  return value;
}

/// Settings of the baseline Burgers face flux.
struct BurgersFluxParams {
  bool rusanov = true;          ///< Rusanov flux (else the central flux (vL^2 + vL vR + vR^2)/6)
  bool van_albada = true;       ///< van Albada reconstruction (else first order)
  bool weno5 = false;           ///< WENO5-JS reconstruction (overrides van_albada)
  double limiter_eps = 1e-6;    ///< smoothing e of the van Albada slope
  double weno_eps = 1e-6;       ///< epsilon of the WENO5 weights
  double rusanov_delta = 1e-3;  ///< smoothing of the Rusanov wave speed sqrt(vL^2 + vR^2 + delta^2)
  double eta = 0.01;            ///< viscosity
  double dx = 1;                ///< cell width
};

/// Widest face stencil of any reconstruction (WENO5: 6 cells).
constexpr int kBurgersMaxFaceStencil = 6;

/// The cells the face flux between cells f and f+1 reads: v[f + lo .. f + hi].
struct BurgersFaceStencil {
  int lo = -1, hi = 2;
  int Width() const { return hi - lo + 1; }
};
inline BurgersFaceStencil FaceStencilOf(const BurgersFluxParams& P) {
  return P.weno5 ? BurgersFaceStencil{-2, 3} : BurgersFaceStencil{-1, 2};
}

/// Reconstructed states vL, vR at the face from the stencil w = v[f+lo .. f+hi] of
/// FaceStencilOf(P); dL, dR (Width() entries each) their derivatives by w.
inline void BurgersReconstruct(const BurgersFluxParams& P, const double* w, double* vL, double* vR,
                               double* dL, double* dR) {
  const int n = FaceStencilOf(P).Width(), c = -FaceStencilOf(P).lo;  // w[c] = v[f]
  for (int m = 0; m < n; ++m) dL[m] = dR[m] = 0;
  if (P.weno5) {
    // vL from v[f-2..f+2]; vR mirrored: the same reconstruction of v[f+3], ..., v[f-1].
    const double mirrored[5] = {w[5], w[4], w[3], w[2], w[1]};
    double gL[5], gR[5];
    *vL = Weno5(w, P.weno_eps, gL);
    *vR = Weno5(mirrored, P.weno_eps, gR);
    for (int m = 0; m < 5; ++m) {
      dL[m] = gL[m];
      dR[5 - m] = gR[m];
    }
  } else if (P.van_albada) {
    const double vm = w[0], v0 = w[1], v1 = w[2], v2 = w[3];
    double dp, dq, dp2, dq2;
    const double phiL = VanAlbada(v0 - vm, v1 - v0, P.limiter_eps, &dp, &dq);
    const double phiR = VanAlbada(v1 - v0, v2 - v1, P.limiter_eps, &dp2, &dq2);
    *vL = v0 + 0.5 * phiL;
    *vR = v1 - 0.5 * phiR;
    dL[0] = -0.5 * dp;
    dL[1] = 1 + 0.5 * (dp - dq);
    dL[2] = 0.5 * dq;
    dR[1] = 0.5 * dp2;
    dR[2] = 1 - 0.5 * (dp2 - dq2);
    dR[3] = -0.5 * dq2;
  } else {
    *vL = w[c];
    *vR = w[c + 1];
    dL[c] = 1;
    dR[c + 1] = 1;
  }
}

/// Baseline face flux between cells f and f+1 from the stencil w = v[f+lo .. f+hi] of
/// FaceStencilOf(P) ((v[f-1], ..., v[f+2]) for first order and van Albada,
/// (v[f-2], ..., v[f+3]) for WENO5): convective flux of the reconstructed states minus the
/// viscous flux eta (v[f+1]-v[f])/dx.  If dF is given, dF[m] = dF/dw[m] (Width() entries).
inline double BurgersFaceFlux(const BurgersFluxParams& P, const double* w, double* dF) {
  const BurgersFaceStencil st = FaceStencilOf(P);
  const int n = st.Width(), c = -st.lo;
  const double v0 = w[c], v1 = w[c + 1];
  double vL, vR, dL[kBurgersMaxFaceStencil], dR[kBurgersMaxFaceStencil];
  BurgersReconstruct(P, w, &vL, &vR, dL, dR);
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
    for (int m = 0; m < n; ++m) dF[m] = hL * dL[m] + hR * dR[m];
    dF[c] += visc;
    dF[c + 1] -= visc;
  }
  return H - visc * (v1 - v0);
}

}  // namespace udeflow::pde::kernels
