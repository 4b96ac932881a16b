#pragma once
/// \file stencil_reconstruction.hpp
/// Pointwise kernels of the advection physics' wide-stencil face values: the upwind-biased
/// fifth-order linear face value and the monotonicity-preserving bounds of Suresh & Huynh
/// (J. Comput. Phys. 136, 1997) that the face value is clipped into, with derivatives with
/// respect to the six stencil cells s[0..5] = (j-2, ..., j+3) of the face j+1/2 (j the
/// upwind cell, in upwind order).  Plain doubles, no PETSc, no MPI.
///
/// Every quantity is carried with its gradient by s (a forward-mode dual number); min,
/// max and minmod take the gradient of the argument they select, so the derivatives are
/// exact wherever no two compared arguments are equal (almost everywhere).

#include <algorithm>
#include <cmath>

namespace udeflow::pde::kernels {

/// Cells of the wide face stencil and the position of the upwind cell in it.
constexpr int kWideStencil = 6;
constexpr int kWideUpwind = 2;

/// A value and its gradient by the six stencil cells.
struct StencilDual {
  double v = 0;
  double g[kWideStencil] = {0, 0, 0, 0, 0, 0};
};

/// sum_m w[m] s[m] over the first n cells (a linear combination of cells).
inline StencilDual StencilLinear(const double* s, const double* w, int n) {
  StencilDual d;
  for (int m = 0; m < n; ++m) {
    d.v += w[m] * s[m];
    d.g[m] = w[m];
  }
  return d;
}

/// a x + b y.
inline StencilDual DualLin(double a, const StencilDual& x, double b, const StencilDual& y) {
  StencilDual d;
  d.v = a * x.v + b * y.v;
  for (int m = 0; m < kWideStencil; ++m) d.g[m] = a * x.g[m] + b * y.g[m];
  return d;
}

inline const StencilDual& DualMin(const StencilDual& a, const StencilDual& b) {
  return b.v < a.v ? b : a;
}
inline const StencilDual& DualMax(const StencilDual& a, const StencilDual& b) {
  return b.v > a.v ? b : a;
}

/// minmod of four values: the one of least magnitude if all share a sign, else 0.
inline StencilDual DualMinmod4(const StencilDual& a, const StencilDual& b, const StencilDual& c,
                               const StencilDual& d) {
  const StencilDual* v[4] = {&a, &b, &c, &d};
  bool pos = true, neg = true;
  for (const StencilDual* x : v) pos = pos && x->v > 0, neg = neg && x->v < 0;
  if (!pos && !neg) return StencilDual{};
  const StencilDual* best = v[0];
  for (const StencilDual* x : v)
    if (std::abs(x->v) < std::abs(best->v)) best = x;
  return *best;
}

/// The upwind-biased fifth-order linear face value (2, -13, 47, 27, -3)/60 . s[0..4].
inline StencilDual LinearFifthOrder(const double* s) {
  static constexpr double kW[5] = {2.0 / 60, -13.0 / 60, 47.0 / 60, 27.0 / 60, -3.0 / 60};
  return StencilLinear(s, kW, 5);
}

/// The monotonicity-preserving interval [lo, hi] of the face value (Suresh & Huynh's
/// u^min, u^max with the curvature measure d^M4 and the upwind limit
/// u^UL = s_j + alpha (s_j - s_{j-1})); the scheme keeps monotone data monotone for a
/// Courant number nu <= 1 / (1 + alpha) per forward-Euler stage.
inline void MonotonicityBounds(const double* s, double alpha, StencilDual* lo, StencilDual* hi) {
  const double wdm[6] = {1, -2, 1, 0, 0, 0}, wd0[6] = {0, 1, -2, 1, 0, 0},
               wdp[6] = {0, 0, 1, -2, 1, 0};
  const StencilDual dm = StencilLinear(s, wdm, 6), d0 = StencilLinear(s, wd0, 6),
                    dp = StencilLinear(s, wdp, 6);
  // d^M4_{j+1/2} = minmod(4 d_j - d_{j+1}, 4 d_{j+1} - d_j, d_j, d_{j+1}); likewise j-1/2.
  const StencilDual mp = DualMinmod4(DualLin(4, d0, -1, dp), DualLin(4, dp, -1, d0), d0, dp);
  const StencilDual mm = DualMinmod4(DualLin(4, dm, -1, d0), DualLin(4, d0, -1, dm), dm, d0);
  const double wj[6] = {0, 0, 1, 0, 0, 0}, wj1[6] = {0, 0, 0, 1, 0, 0};
  const double wul[6] = {0, -alpha, 1 + alpha, 0, 0, 0}, wmd[6] = {0, 0, 0.5, 0.5, 0, 0},
               wlc[6] = {0, -0.5, 1.5, 0, 0, 0};
  const StencilDual uj = StencilLinear(s, wj, 6), uj1 = StencilLinear(s, wj1, 6);
  const StencilDual ul = StencilLinear(s, wul, 6);
  const StencilDual md = DualLin(1, StencilLinear(s, wmd, 6), -0.5, mp);
  const StencilDual lc = DualLin(1, StencilLinear(s, wlc, 6), 4.0 / 3.0, mm);
  *lo = DualMax(DualMin(DualMin(uj, uj1), md), DualMin(DualMin(uj, ul), lc));
  *hi = DualMin(DualMax(DualMax(uj, uj1), md), DualMax(DualMax(uj, ul), lc));
}

/// x clipped into [lo, hi] (hi wins if the interval is empty); *which: 0 x, 1 lo, 2 hi.
inline double ClipIntoBounds(double x, double lo, double hi, int* which) {
  *which = 0;
  if (x < lo) x = lo, *which = 1;
  if (x > hi) x = hi, *which = 2;
  return x;
}

}  // namespace udeflow::pde::kernels
