// The pointwise kernels of the physics (src/pde/kernels/) on their own, without PETSc or
// MPI: derivatives against central differences, limiters against their closed forms and
// Sweby's TVD region, flux consistency and upwinding, the K-profile model in its limiting
// cases, cell averages against quadrature, and the known reaction / Lotka-Volterra terms.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <initializer_list>
#include <vector>

#include "kernels/burgers_flux.hpp"
#include "kernels/cell_averages.hpp"
#include "kernels/kpp.hpp"
#include "kernels/limiters.hpp"
#include "kernels/reaction.hpp"

using namespace udeflow::pde::kernels;

namespace {

// Central difference of f along x.
double CentralDiff(const std::function<double(double)>& f, double x, double h) {
  return (f(x + h) - f(x - h)) / (2 * h);
}

// Composite Simpson rule of f over [a, b] with n (even) intervals.
double Simpson(const std::function<double(double)>& f, double a, double b, int n) {
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return s * h / 3;
}

using LimiterFn = double (*)(double, double*);
struct NamedLimiter {
  const char* name;
  LimiterFn phi;
};
const NamedLimiter kTvdLimiters[] = {
    {"minmod", Minmod}, {"superbee", Superbee}, {"vanleer", VanLeer}, {"mc", MonotonizedCentral}};

// Limited face flux F(w0, w1, w2) of a fixed limiter and its coefficients dF/dw.
double FixedLimiterFace(LimiterFn phi_fn, double a, const double* w, double* c) {
  const double p = w[1] - w[0], q = w[2] - w[1];
  double psi = 0, psi_p = 0, psi_q = 0;
  if (q != 0) {
    bool capped;
    const double r = CappedRatio(p, q, &capped);
    double dphi;
    const double phi = phi_fn(r, &dphi);
    psi = LimitedSlope(r, q, phi, dphi, 0.0, capped, &psi_p, &psi_q);
  }
  LimitedFaceCoefficients(a, psi_p, psi_q, c);
  return LimitedFaceFlux(a, w[1], psi);
}

}  // namespace

// ---------------------------------------------------------------- limiters

TEST(Limiters, ClosedFormValues) {
  struct Case {
    LimiterFn phi;
    double r, value, slope;
  };
  const Case cases[] = {
      // minmod = max(0, min(r, 1))
      {Minmod, -1.0, 0.0, 0.0},
      {Minmod, 0.25, 0.25, 1.0},
      {Minmod, 0.75, 0.75, 1.0},
      {Minmod, 3.0, 1.0, 0.0},
      // superbee = max(0, min(2r, 1), min(r, 2))
      {Superbee, -0.5, 0.0, 0.0},
      {Superbee, 0.25, 0.5, 2.0},
      {Superbee, 0.75, 1.0, 0.0},
      {Superbee, 1.5, 1.5, 1.0},
      {Superbee, 5.0, 2.0, 0.0},
      // van Leer = (r + |r|)/(1 + |r|)
      {VanLeer, -2.0, 0.0, 0.0},
      {VanLeer, 0.5, 2 * 0.5 / 1.5, 2 / (1.5 * 1.5)},
      {VanLeer, 3.0, 1.5, 2.0 / 16},
      // MC = max(0, min(2r, (1+r)/2, 2))
      {MonotonizedCentral, -1.0, 0.0, 0.0},
      {MonotonizedCentral, 0.2, 0.4, 2.0},
      {MonotonizedCentral, 2.0, 1.5, 0.5},
      {MonotonizedCentral, 4.0, 2.0, 0.0},
  };
  for (const Case& c : cases) {
    double d = -1;
    EXPECT_DOUBLE_EQ(c.phi(c.r, &d), c.value) << "r " << c.r;
    EXPECT_DOUBLE_EQ(d, c.slope) << "r " << c.r;
  }
}

TEST(Limiters, TvdRegionSecondOrderAndSymmetry) {
  for (const NamedLimiter& l : kTvdLimiters) {
    double d;
    EXPECT_DOUBLE_EQ(l.phi(1.0, &d), 1.0) << l.name << ": second order needs phi(1) = 1";
    for (int i = 0; i <= 3000; ++i) {
      const double r = -2 + 12.0 * i / 3000 + 1.1e-7;  // never on a kink
      const double phi = l.phi(r, &d);
      if (r <= 0) {
        EXPECT_EQ(phi, 0.0) << l.name << " r " << r;
        EXPECT_EQ(d, 0.0) << l.name << " r " << r;
        continue;
      }
      EXPECT_GE(phi, 0.0) << l.name << " r " << r;
      EXPECT_LE(phi, std::min(2 * r, 2.0) + 1e-15) << l.name << " leaves Sweby's region, r " << r;
      // Symmetric limiters: phi(1/r) = phi(r) / r (forward and backward slopes alike).
      double d2;
      EXPECT_NEAR(l.phi(1 / r, &d2), phi / r, 1e-12 * (1 + phi / r)) << l.name << " r " << r;
    }
  }
}

TEST(Limiters, BranchDerivativesMatchCentralDifferences) {
  for (const NamedLimiter& l : kTvdLimiters)
    for (int i = 0; i <= 2000; ++i) {
      const double r = -1 + 8.0 * i / 2000 + 1.3e-7;
      double d, dd;
      l.phi(r, &d);
      const double fd = CentralDiff([&](double x) { return l.phi(x, &dd); }, r, 1e-8);
      EXPECT_NEAR(fd, d, 1e-6) << l.name << " r " << r;
    }
}

TEST(Limiters, SigmoidAndFeatures) {
  EXPECT_DOUBLE_EQ(Sigmoid(0), 0.5);
  for (double z : {-800.0, -30.0, -1.0, 0.3, 2.0, 40.0, 800.0}) {
    const double s = Sigmoid(z);
    EXPECT_TRUE(std::isfinite(s)) << z;
    EXPECT_GE(s, 0.0);
    EXPECT_LE(s, 1.0);
    EXPECT_NEAR(s + Sigmoid(-z), 1.0, 1e-15) << z;
    if (std::abs(z) < 50) {
      EXPECT_NEAR(CentralDiff(Sigmoid, z, 1e-6), s * (1 - s), 1e-8) << z;
    }
  }
  EXPECT_DOUBLE_EQ(BoundedRatio(1.0), 0.5);
  EXPECT_DOUBLE_EQ(BoundedRatio(-3.0), -0.75);
  EXPECT_DOUBLE_EQ(JumpFeature(0.0, 0.1), 0.0);
  EXPECT_DOUBLE_EQ(JumpFeature(0.1, 0.1), 0.5);
  EXPECT_DOUBLE_EQ(FeatureRatio(1.0, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(FeatureRatio(3.0, -1.5), -2.0);
  EXPECT_DOUBLE_EQ(FeatureRatio(1.0, 1e-300), kRCap);
  bool capped;
  EXPECT_DOUBLE_EQ(CappedRatio(-1.0, 1e-300, &capped), -kRCap);
  EXPECT_TRUE(capped);
  EXPECT_DOUBLE_EQ(CappedRatio(1.0, 4.0, &capped), 0.25);
  EXPECT_FALSE(capped);
}

TEST(Limiters, LimitedFaceFluxCoefficientsMatchCentralDifferences) {
  const double states[][3] = {{0.1, 0.4, 1.2}, {1.0, 0.7, 0.2},  {0.0, 0.5, 0.6},
                              {2.0, 0.3, 0.1}, {-0.3, 0.2, 0.9}, {0.5, 0.62, 0.8}};
  for (const NamedLimiter& l : kTvdLimiters)
    for (double a : {1.3, -0.6})
      for (const auto& s : states) {
        double c[3], cd[3];
        FixedLimiterFace(l.phi, a, s, c);
        for (int m = 0; m < 3; ++m) {
          const double fd = CentralDiff(
              [&](double x) {
                double w[3] = {s[0], s[1], s[2]};
                w[m] = x;
                return FixedLimiterFace(l.phi, a, w, cd);
              },
              s[m], 1e-7);
          EXPECT_NEAR(fd, c[m], 1e-6) << l.name << " a " << a << " m " << m;
        }
      }
}

TEST(Limiters, FaceFluxIsUpwindOnSmoothMonotoneData) {
  // Linear data: r = 1, phi = 1, the face value is the linear interpolant w1 + q/2.
  const double w[3] = {1.0, 1.5, 2.0};
  double c[3];
  for (const NamedLimiter& l : kTvdLimiters)
    EXPECT_DOUBLE_EQ(FixedLimiterFace(l.phi, 2.0, w, c), 2.0 * 1.75) << l.name;
  // At an extremum (r < 0) every TVD limiter falls back to first-order upwind.
  const double peak[3] = {0.0, 1.0, 0.5};
  for (const NamedLimiter& l : kTvdLimiters)
    EXPECT_DOUBLE_EQ(FixedLimiterFace(l.phi, 2.0, peak, c), 2.0) << l.name;
}

// ---------------------------------------------------------------- Burgers

TEST(BurgersFlux, VanAlbadaValuesAndDerivatives) {
  double dp, dq;
  EXPECT_DOUBLE_EQ(VanAlbada(0.0, 0.0, 1e-6, &dp, &dq), 0.0);
  EXPECT_DOUBLE_EQ(VanAlbada(0.3, 0.3, 0.0, &dp, &dq), 0.3);   // equal slopes pass through
  EXPECT_DOUBLE_EQ(VanAlbada(1.0, -1.0, 0.0, &dp, &dq), 0.0);  // extremum: no slope
  for (double e : {0.0, 1e-3, 0.5})
    for (const auto& pq : {std::pair{0.3, 0.7}, {-0.4, 0.2}, {1.5, -0.1}, {0.01, 0.02}}) {
      double gp, gq, u, v;
      VanAlbada(pq.first, pq.second, e, &gp, &gq);
      const double fp =
          CentralDiff([&](double p) { return VanAlbada(p, pq.second, e, &u, &v); }, pq.first, 1e-7);
      const double fq =
          CentralDiff([&](double q) { return VanAlbada(pq.first, q, e, &u, &v); }, pq.second, 1e-7);
      EXPECT_NEAR(fp, gp, 1e-6) << "e " << e << " p " << pq.first << " q " << pq.second;
      EXPECT_NEAR(fq, gq, 1e-6) << "e " << e << " p " << pq.first << " q " << pq.second;
    }
}

TEST(BurgersFlux, ConsistentWithTheExactFlux) {
  for (bool rusanov : {true, false})
    for (bool van_albada : {true, false}) {
      BurgersFluxParams P;
      P.rusanov = rusanov;
      P.van_albada = van_albada;
      P.limiter_eps = 1e-6;
      P.rusanov_delta = 1e-3;
      P.eta = 0.05;
      P.dx = 0.1;
      for (double u : {-1.7, 0.0, 0.4, 2.5}) {
        const double w[4] = {u, u, u, u};
        EXPECT_NEAR(BurgersFaceFlux(P, w, nullptr), 0.5 * u * u, 1e-15 * (1 + u * u))
            << "rusanov " << rusanov << " van Albada " << van_albada << " u " << u;
      }
    }
}

TEST(BurgersFlux, DerivativesMatchCentralDifferences) {
  const double states[][4] = {
      {0.2, 0.5, 0.9, 1.0}, {1.0, 0.4, -0.3, -0.2}, {-0.5, 0.3, 0.1, 0.6}, {0.0, 1.0, 1.0, 0.0}};
  for (bool rusanov : {true, false})
    for (bool van_albada : {true, false}) {
      BurgersFluxParams P;
      P.rusanov = rusanov;
      P.van_albada = van_albada;
      P.limiter_eps = 1e-3;
      P.rusanov_delta = 1e-2;
      P.eta = 0.02;
      P.dx = 0.05;
      for (const auto& s : states) {
        double dF[4];
        const double F = BurgersFaceFlux(P, s, dF);
        double dF_again[4];
        EXPECT_EQ(BurgersFaceFlux(P, s, dF_again), F) << "the derivative changes the value";
        for (int m = 0; m < 4; ++m) {
          const double fd = CentralDiff(
              [&](double x) {
                // Sized for the widest stencil: these settings read 4 cells, but GCC cannot
                // see that P.weno5 is false through the captured reference (-Warray-bounds).
                double w[kBurgersMaxFaceStencil] = {s[0], s[1], s[2], s[3]};
                w[m] = x;
                return BurgersFaceFlux(P, w, nullptr);
              },
              s[m], 1e-7);
          EXPECT_NEAR(fd, dF[m], 2e-6 * (1 + std::abs(dF[m])))
              << "rusanov " << rusanov << " van Albada " << van_albada << " m " << m;
        }
      }
    }
}

TEST(BurgersFlux, RusanovUpwindsAndDissipates) {
  BurgersFluxParams P;
  P.van_albada = false;
  P.rusanov_delta = 0;
  P.eta = 0;
  for (const auto& lr :
       {std::pair{0.5, 1.5}, {1.5, 0.5}, {-1.0, -0.2}, {-0.2, -1.0}, {-0.7, 0.9}, {0.9, -0.7}}) {
    const double vL = lr.first, vR = lr.second;
    const double w[4] = {vL, vL, vR, vR};
    double dF[4];
    const double F = BurgersFaceFlux(P, w, dF);
    const double central = 0.25 * (vL * vL + vR * vR);
    // Numerical dissipation -a (vR - vL)/2 with a = sqrt(vL^2 + vR^2) >= max |v|.
    EXPECT_DOUBLE_EQ(F, central - 0.5 * std::sqrt(vL * vL + vR * vR) * (vR - vL));
    if (vR > vL) {
      EXPECT_LT(F, central);
    } else {
      EXPECT_GT(F, central);
    }
    // Monotone flux: non-decreasing in the left state, non-increasing in the right.
    EXPECT_GE(dF[1], 0.0) << vL << " " << vR;
    EXPECT_LE(dF[2], 0.0) << vL << " " << vR;
  }
  // Both states moving right: the flux leans to the left (upwind) state's f(vL) = vL^2/2.
  const double right[4] = {1.0, 1.0, 1.1, 1.1};
  const double Fr = BurgersFaceFlux(P, right, nullptr);
  EXPECT_LT(std::abs(Fr - 0.5), std::abs(Fr - 0.605));
  const double left[4] = {-1.1, -1.1, -1.0, -1.0};
  const double Fl = BurgersFaceFlux(P, left, nullptr);
  EXPECT_LT(std::abs(Fl - 0.5), std::abs(Fl - 0.605));
  // Central flux: no dissipation.
  P.rusanov = false;
  const double w[4] = {0.2, 0.2, 1.0, 1.0};
  EXPECT_DOUBLE_EQ(BurgersFaceFlux(P, w, nullptr), (0.04 + 0.2 + 1.0) / 6.0);
}

TEST(BurgersFlux, ViscousFluxIsTheCentredGradient) {
  BurgersFluxParams P;
  P.eta = 0.3;
  P.dx = 0.1;
  const double w[4] = {0.0, 0.0, 0.0, 0.0}, step[4] = {0.0, 0.0, 1.0, 1.0};
  EXPECT_DOUBLE_EQ(BurgersFaceFlux(P, w, nullptr), 0.0);
  P.rusanov = false;
  P.van_albada = false;
  // (0 + 0 + 1)/6 - 0.3/0.1 * 1
  EXPECT_DOUBLE_EQ(BurgersFaceFlux(P, step, nullptr), 1.0 / 6.0 - 3.0);
}

TEST(BurgersFlux, Weno5ValuesAndDerivatives) {
  // Cell averages of a line: equal smoothness indicators, ideal weights, exact face value.
  const double line[5] = {-1.0, 0.5, 2.0, 3.5, 5.0};
  EXPECT_NEAR(Weno5(line, 1e-6, nullptr), 2.75, 1e-14);
  // A jump: the stencils across it get (almost) no weight, so no overshoot.
  const double jump[5] = {0.0, 0.0, 0.0, 1.0, 1.0};
  EXPECT_NEAR(Weno5(jump, 1e-6, nullptr), 0.0, 1e-6);
  const double states[][6] = {{0.2, 0.5, 0.9, 1.0, 0.7, 0.1},
                              {1.0, 0.4, -0.3, -0.2, 0.6, 1.2},
                              {-0.5, 0.3, 0.1, 0.6, 0.6, 0.2}};
  for (bool rusanov : {true, false})
    for (double eps : {1e-6, 1e-2}) {
      BurgersFluxParams P;
      P.rusanov = rusanov;
      P.weno5 = true;
      P.weno_eps = eps;
      P.eta = 0.02;
      P.dx = 0.05;
      ASSERT_EQ(FaceStencilOf(P).Width(), 6);
      for (double u : {-1.7, 0.4}) {
        const double c[6] = {u, u, u, u, u, u};
        EXPECT_NEAR(BurgersFaceFlux(P, c, nullptr), 0.5 * u * u, 1e-14);
      }
      for (const auto& s : states) {
        double dF[6];
        const double F = BurgersFaceFlux(P, s, dF);
        for (int m = 0; m < 6; ++m) {
          const double fd = CentralDiff(
              [&](double x) {
                double w[6];
                std::copy(s, s + 6, w);
                w[m] = x;
                return BurgersFaceFlux(P, w, nullptr);
              },
              s[m], 1e-7);
          EXPECT_NEAR(fd, dF[m], 2e-6 * (1 + std::abs(dF[m])))
              << "rusanov " << rusanov << " eps " << eps << " m " << m << " F " << F;
        }
      }
    }
  // The other reconstructions keep their 4-cell stencil v[f-1..f+2].
  BurgersFluxParams P;
  EXPECT_EQ(FaceStencilOf(P).lo, -1);
  EXPECT_EQ(FaceStencilOf(P).Width(), 4);
}

// ---------------------------------------------------------------- ocean column

namespace {
KppParams Column(long nz) {
  KppParams P;
  P.nz = nz;
  P.depth = 256;
  P.dz = P.depth / nz;
  return P;
}
// Stably stratified column: T = T0 + (N^2 / (alpha g)) min(z, -mixed), z < 0 the cell
// centre: uniform in a surface mixed layer `mixed` metres deep.
std::vector<double> Stratified(const KppParams& P, double n2, double mixed = 0) {
  std::vector<double> T(P.nz);
  for (long k = 0; k < P.nz; ++k)
    T[k] = 20 + n2 / (P.alpha * P.gravity) * std::min(-P.depth + (k + 0.5) * P.dz, -mixed);
  return T;
}
}  // namespace

// dF/dg of CaFlux against central differences (step h) at each gradient of gs.
static void ExpectCaDerivative(const CaParams& P, std::initializer_list<double> gs, double h) {
  for (double g : gs) {
    double F, d, u;
    CaFlux(P, g, &F, &d);
    const double fd = CentralDiff(
        [&](double x) {
          double v;
          CaFlux(P, x, &v, &u);
          return v;
        },
        g, h);
    EXPECT_NEAR(fd, d, 1e-6 * (1 + std::abs(d))) << "g " << g;
  }
}

// The two switch forms at the case's eps (2e-5 K/m) in stable stratification (g = 5e-3 K/m,
// N^2 ~ 1e-5): the sqrt form leaves K eps^2/(4 g) (to 1e-4 relative), the softplus form
// nothing beyond the background flux; both give -K g in unstable stratification; the
// softplus derivative matches central differences across the switch.
TEST(ConvectiveAdjustment, SwitchFormsInStableStratification) {
  CaParams P;
  P.k = 10;
  P.eps = 2e-5;
  P.kappa0 = 1e-5;
  double F, dF;
  const double g = 5e-3;
  CaFlux(P, g, &F, &dF);
  EXPECT_NEAR(F + P.kappa0 * g, P.k * P.eps * P.eps / (4 * g),
              1e-4 * P.k * P.eps * P.eps / (4 * g));
  EXPECT_GT(F + P.kappa0 * g, 1.9e-7) << "the sqrt form's leak, 4x the background flux";
  P.softplus = true;
  CaFlux(P, g, &F, &dF);
  EXPECT_EQ(F, -P.kappa0 * g);
  EXPECT_EQ(dF, -P.kappa0);
  CaFlux(P, -g, &F, &dF);
  EXPECT_NEAR(F, -(P.k + P.kappa0) * -g, 1e-15);
  EXPECT_NEAR(dF, -(P.k + P.kappa0), 1e-12);
  CaFlux(P, 0.0, &F, &dF);
  EXPECT_NEAR(F, P.k * P.eps * std::log(2.0), 1e-18);
  EXPECT_NEAR(dF, -0.5 * P.k - P.kappa0, 1e-15);
  ExpectCaDerivative(P, {-1e-4, -2e-5, 0.0, 1e-5, 6e-5, 3e-4}, 1e-9);
}

TEST(ConvectiveAdjustment, LimitsAndDerivative) {
  CaParams P;
  P.k = 10;
  P.eps = 1e-9;
  P.kappa0 = 1e-5;
  double F, dF;
  // Stable (g >> eps): background diffusion only.
  CaFlux(P, 0.01, &F, &dF);
  EXPECT_NEAR(F, -1e-5 * 0.01, 1e-12);
  EXPECT_NEAR(dF, -1e-5, 1e-9);
  // Unstable (g << -eps): the adjustment diffusivity K on top.
  CaFlux(P, -0.01, &F, &dF);
  EXPECT_NEAR(F, -(10 + 1e-5) * -0.01, 1e-9);
  EXPECT_NEAR(dF, -(10 + 1e-5), 1e-6);
  P.eps = 2e-3;
  ExpectCaDerivative(P, {-0.01, -1e-3, 0.0, 5e-4, 0.02}, 1e-7);
}

TEST(ConvectiveAdjustment, ColumnFluxHasTheBoundaryFluxes) {
  CaParams P;
  const long nz = 8;
  const double dz = 2.0, qt = 3e-5;
  std::vector<double> T = {1, 2, 3, 4, 4, 3, 5, 6}, F(nz + 1);
  CaColumnFlux(P, T.data(), nz, dz, qt, F.data());
  EXPECT_EQ(F[0], 0.0);
  EXPECT_EQ(F[nz], qt);
  for (long f = 1; f < nz; ++f) {
    double Ff, d;
    CaFlux(P, (T[f] - T[f - 1]) / dz, &Ff, &d);
    EXPECT_EQ(F[f], Ff);
  }
}

TEST(Kpp, StableStratificationGivesTheBackgroundDiffusivity) {
  const KppParams P = Column(32);
  const std::vector<double> T = Stratified(P, 1e-5);
  std::vector<double> K(P.nz + 1), NL(P.nz + 1), F(P.nz + 1);
  for (double qt : {0.0, -2e-5}) {  // no forcing, and surface heating
    KppColumn(P, T.data(), qt, K.data(), NL.data());
    for (long f = 0; f <= P.nz; ++f) {
      EXPECT_EQ(K[f], P.kappa0) << "face " << f << " qt " << qt;
      EXPECT_EQ(NL[f], 0.0) << "face " << f << " qt " << qt;
    }
    KppColumnFlux(P, T.data(), qt, K.data(), NL.data(), F.data());
    EXPECT_EQ(F[0], 0.0);
    EXPECT_EQ(F[P.nz], qt);
    for (long f = 1; f < P.nz; ++f)
      EXPECT_DOUBLE_EQ(F[f], -P.kappa0 * (T[f] - T[f - 1]) / P.dz) << "pure diffusion";
  }
}

TEST(Kpp, UnstableInteriorWithoutSurfaceForcingGetsTheConvectiveDiffusivity) {
  const KppParams P = Column(16);
  std::vector<double> T = Stratified(P, 1e-5);
  std::swap(T[5], T[6]);  // face 6: warmer water below colder
  std::vector<double> K(P.nz + 1), NL(P.nz + 1);
  KppColumn(P, T.data(), 0.0, K.data(), NL.data());
  for (long f = 1; f < P.nz; ++f)
    EXPECT_DOUBLE_EQ(K[f], f == 6 ? P.kappa0 + 0.1 : P.kappa0) << "face " << f;
}

TEST(Kpp, SurfaceCoolingMixesABoundaryLayerWithTheShapeFunction) {
  const KppParams P = Column(32);
  const std::vector<double> T = Stratified(P, 1e-5, 60);
  const double qt = 50.0 / (1025.0 * 3991.0);  // 50 W/m^2 of cooling
  std::vector<double> K(P.nz + 1), NL(P.nz + 1);
  KppColumn(P, T.data(), qt, K.data(), NL.data());
  EXPECT_EQ(K[0], P.kappa0);
  EXPECT_EQ(K[P.nz], P.kappa0);
  EXPECT_EQ(NL[0], 0.0);
  EXPECT_EQ(NL[P.nz], 0.0);
  // Inside the layer K = kappa0 + h w_s G(sigma), NL = C* G qt with the same G = sigma(1-sigma)^2;
  // below it the background only.
  const double csnl = 10.0 * 0.4 * std::cbrt(98.96 * 0.4 * 0.1);
  long inside = 0;
  double hws = -1;
  for (long f = 1; f < P.nz; ++f) {
    if (NL[f] == 0) {
      EXPECT_EQ(K[f], P.kappa0) << "face " << f;
      continue;
    }
    ++inside;
    const double G = NL[f] / (csnl * qt);
    EXPECT_GT(G, 0.0);
    EXPECT_LE(G, 4.0 / 27.0 + 1e-15);
    const double ratio = (K[f] - P.kappa0) / G;  // h w_s, the same at every face
    if (hws < 0) hws = ratio;
    EXPECT_NEAR(ratio, hws, 1e-9 * hws) << "face " << f;
  }
  EXPECT_GT(inside, 1) << "cooling should deepen a mixed layer over several faces";
  EXPECT_LT(inside, P.nz - 1) << "the layer should not reach the bottom";
  // The diffusivity stays below the bound used for the stable time step.
  const double bound = KppDiffusivityBound(P, qt);
  for (long f = 0; f <= P.nz; ++f) EXPECT_LE(K[f], P.kappa0 + bound) << "face " << f;
}

TEST(Kpp, EntrainmentAddsADownwardFluxProportionalToTheCooling) {
  KppParams P = Column(32);
  const std::vector<double> T = Stratified(P, 1e-5, 60);
  const double qt = 40.0 / (1025.0 * 3991.0);
  std::vector<double> K0(P.nz + 1), NL0(P.nz + 1), K1(P.nz + 1), NL1(P.nz + 1);
  KppColumn(P, T.data(), qt, K0.data(), NL0.data());
  P.entrain = 0.2;
  KppColumn(P, T.data(), qt, K1.data(), NL1.data());
  bool any = false;
  for (long f = 0; f <= P.nz; ++f) {
    EXPECT_EQ(K1[f], K0[f]) << "entrainment changes no diffusivity";
    const double e = (NL0[f] - NL1[f]) / (P.entrain * qt);  // the entrainment profile
    EXPECT_GE(e, -1e-12) << "face " << f;
    EXPECT_LE(e, 1.0 + 1e-12) << "face " << f;
    any = any || e > 0.1;
  }
  EXPECT_TRUE(any);
}

TEST(Kpp, ScaleColumn) {
  const double T[3] = {18, 20, 17};
  double x[3];
  ScaleColumn(T, 3, 18, 2, x);
  EXPECT_DOUBLE_EQ(x[0], 0.0);
  EXPECT_DOUBLE_EQ(x[1], 1.0);
  EXPECT_DOUBLE_EQ(x[2], -0.5);
}

// ---------------------------------------------------------------- cell averages

TEST(CellAverages, PeriodicOverlap) {
  EXPECT_DOUBLE_EQ(PeriodicOverlap(0.0, 1.0, 0.25, 0.5, 10), 0.25);
  EXPECT_DOUBLE_EQ(PeriodicOverlap(0.0, 1.0, 2.0, 3.0, 10), 0.0);
  EXPECT_DOUBLE_EQ(PeriodicOverlap(0.0, 1.0, 9.5, 10.5, 10), 0.5);  // image [-0.5, 0.5]
  EXPECT_DOUBLE_EQ(PeriodicOverlap(0.0, 1.0, 9.5, 11.5, 10), 1.0);  // image [-0.5, 1.5]
  EXPECT_DOUBLE_EQ(PeriodicOverlap(9.0, 10.0, -0.5, 0.25, 10), 0.5);
  EXPECT_NEAR(PeriodicOverlap(0.0, 10.0, 3.0, 4.5, 10), 1.5, 1e-14);  // a whole period
}

TEST(CellAverages, GaussianMatchesQuadrature) {
  const double L = 2.0;
  for (double c : {0.1, 1.0, 1.95})
    for (double s : {0.05, 0.2})
      for (const auto& ab : {std::pair{0.0, 0.1}, {0.9, 1.2}, {1.8, 2.0}, {-0.3, 0.4}}) {
        const double xa = ab.first, xb = ab.second;
        auto g = [&](double x) {
          double v = 0;
          for (int k = -4; k <= 4; ++k) v += std::exp(-std::pow(x - c - k * L, 2) / (2 * s * s));
          return v;
        };
        const double q = Simpson(g, xa, xb, 2000) / (xb - xa);
        EXPECT_NEAR(GaussianAverage(xa, xb, c, s, L), q, 1e-10) << c << " " << s << " " << xa;
      }
}

TEST(CellAverages, ExponentialMatchesQuadrature) {
  EXPECT_EQ(ExpAverage(0.2, 0.7, 0.0), std::complex<double>(1.0));
  for (double alpha : {1.0, 2 * kPi, -7.5})
    for (const auto& ab : {std::pair{0.0, 0.3}, {0.25, 1.0}, {-1.0, 2.0}}) {
      const double xa = ab.first, xb = ab.second;
      const double re = Simpson([&](double x) { return std::cos(alpha * x); }, xa, xb, 2000);
      const double im = Simpson([&](double x) { return std::sin(alpha * x); }, xa, xb, 2000);
      const std::complex<double> e = ExpAverage(xa, xb, alpha);
      EXPECT_NEAR(e.real(), re / (xb - xa), 1e-10) << alpha;
      EXPECT_NEAR(e.imag(), im / (xb - xa), 1e-10) << alpha;
    }
}

TEST(CellAverages, SquareMatchesQuadrature) {
  const double L = 1.0, lo = 0.8, hi = 1.1;  // the square wraps around x = L
  for (const auto& ab : {std::pair{0.0, 0.2}, {0.7, 0.9}, {0.95, 1.05}}) {
    const double xa = ab.first, xb = ab.second;
    auto ind = [&](double x) {
      const double y = x - std::floor((x - lo) / L) * L;  // the image in [lo, lo + L)
      return y <= hi ? 1.0 : 0.0;
    };
    const double q = Simpson(ind, xa, xb, 200000);
    EXPECT_NEAR(PeriodicOverlap(xa, xb, lo, hi, L), q, 1e-5) << xa;
  }
}

// ---------------------------------------------------------------- reaction terms

TEST(Reaction, LogisticValuesAndDerivative) {
  EXPECT_EQ(LogisticReaction(2.0, 0.0), 0.0);
  EXPECT_EQ(LogisticReaction(2.0, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(LogisticReaction(2.0, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(LogisticReactionDerivative(2.0, 0.5), 0.0);
  for (double rho : {-0.2, 0.1, 0.5, 0.9, 1.3}) {
    const double fd = CentralDiff([](double x) { return LogisticReaction(1.7, x); }, rho, 1e-6);
    EXPECT_NEAR(fd, LogisticReactionDerivative(1.7, rho), 1e-8) << rho;
  }
}

TEST(Reaction, LaplacianOfQuadraticsIsExact) {
  // v = i^2 + 3 j^2 on a 5 x 5 patch (rows 5 apart): second differences 2 and 6.
  const long row = 5;
  std::vector<double> v(25);
  for (long j = 0; j < 5; ++j)
    for (long i = 0; i < 5; ++i) v[j * row + i] = i * i + 3.0 * j * j;
  EXPECT_DOUBLE_EQ(SecondDifference(1.0, 4.0, 9.0), 2.0);
  EXPECT_DOUBLE_EQ(Laplacian(v.data(), 2 * row + 2, row, 1), 2.0);
  EXPECT_DOUBLE_EQ(Laplacian(v.data(), 2 * row + 2, row, 2), 8.0);
  // Constants are in the kernel of the Laplacian.
  const std::vector<double> c(25, 0.7);
  EXPECT_EQ(Laplacian(c.data(), 12, row, 2), 0.0);
}

TEST(LotkaVolterra, KnownTermsAndJacobian) {
  LotkaVolterraParams P;
  P.alpha = 1.3;
  P.beta = 0.9;
  P.gamma = 0.8;
  P.delta = 1.8;
  for (bool inter : {false, true}) {
    P.interactions = inter;
    const double u[2] = {0.7, 1.9};
    double g[2], J[4];
    LotkaVolterraRhs(P, u, g);
    EXPECT_DOUBLE_EQ(g[0], 1.3 * 0.7 - (inter ? 0.9 * 0.7 * 1.9 : 0.0));
    EXPECT_DOUBLE_EQ(g[1], -1.8 * 1.9 + (inter ? 0.8 * 0.7 * 1.9 : 0.0));
    LotkaVolterraJacobian(P, u, J);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        const double fd = CentralDiff(
            [&](double x) {
              double w[2] = {u[0], u[1]}, gg[2];
              w[j] = x;
              LotkaVolterraRhs(P, w, gg);
              return gg[i];
            },
            u[j], 1e-6);
        EXPECT_NEAR(fd, J[2 * i + j], 1e-8) << "interactions " << inter << " J" << i << j;
      }
  }
  // Coexistence equilibrium (delta/gamma, alpha/beta) of the full system.
  P.interactions = true;
  const double eq[2] = {P.delta / P.gamma, P.alpha / P.beta};
  double g[2];
  LotkaVolterraRhs(P, eq, g);
  EXPECT_NEAR(g[0], 0.0, 1e-14);
  EXPECT_NEAR(g[1], 0.0, 1e-14);
}
