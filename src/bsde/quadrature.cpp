#include "udeflow/bsde/quadrature.hpp"

#include <cmath>
#include <limits>

#include "udeflow/core/error.hpp"

namespace udeflow::bsde {
namespace {

// Terms below exp(-kTail) times the peak are dropped (far below double precision).
constexpr double kTail = 80.0;
constexpr double kTol = 1e-13;  // round-off of the sums is ~1e-14

// Peak position and width of a smooth, unimodal log-integrand phi(u) on R.
struct Peak {
  double u, phi, width;
};

Peak FindPeak(const std::function<double(double)>& phi, double u_lo, double u_hi) {
  // Coarse scan, then golden-section refinement around the best grid point.
  const int n = 4000;
  const double du = (u_hi - u_lo) / n;
  int best = 0;
  double best_phi = -std::numeric_limits<double>::infinity();
  for (int i = 0; i <= n; ++i) {
    const double v = phi(u_lo + i * du);
    if (v > best_phi) best_phi = v, best = i;
  }
  Require(std::isfinite(best_phi), "quadrature: the integrand is not finite anywhere");
  double a = u_lo + (best - 1) * du, b = u_lo + (best + 1) * du;
  const double r = 0.5 * (std::sqrt(5.0) - 1.0);
  double c = b - r * (b - a), e = a + r * (b - a);
  double fc = phi(c), fe = phi(e);
  for (int it = 0; it < 200 && b - a > 1e-12 * (1 + std::abs(a)); ++it) {
    if (fc > fe) {
      b = e, e = c, fe = fc;
      c = b - r * (b - a), fc = phi(c);
    } else {
      a = c, c = e, fc = fe;
      e = a + r * (b - a), fe = phi(e);
    }
  }
  Peak p;
  p.u = 0.5 * (a + b);
  p.phi = phi(p.u);
  // Width from the curvature (second difference); a floor keeps flat peaks finite.
  const double h = 1e-3;
  const double curv = -(phi(p.u + h) - 2 * p.phi + phi(p.u - h)) / (h * h);
  p.width = curv > 1e-8 ? 1.0 / std::sqrt(curv) : 1.0;
  return p;
}

// Trapezoidal sum of w(u) * exp(phi(u) - peak.phi) on the lattice peak.u + k h,
// walking outwards until the exponential factor is negligible.
double LatticeSum(const std::function<double(double)>& phi, const std::function<double(double)>& w,
                  const Peak& peak, double h) {
  double sum = w(peak.u) * std::exp(phi(peak.u) - peak.phi);
  for (int dir = -1; dir <= 1; dir += 2) {
    for (long k = 1;; ++k) {
      const double u = peak.u + dir * k * h;
      const double e = phi(u) - peak.phi;
      if (e < -kTail && k * h > 3 * peak.width) break;
      Require(k < 50000000, "quadrature: integrand tail does not decay");
      if (e > -745) sum += w(u) * std::exp(e);
    }
  }
  return sum * h;
}

// Halves the step until two successive sums agree.
double ConvergedSum(const std::function<double(double)>& phi,
                    const std::function<double(double)>& w, const Peak& peak) {
  double h = peak.width / 2;
  double prev = LatticeSum(phi, w, peak, h);
  for (int it = 0; it < 12; ++it) {
    h *= 0.5;
    const double cur = LatticeSum(phi, w, peak, h);
    if (std::abs(cur - prev) <= kTol * std::abs(cur) + 1e-300) return cur;
    prev = cur;
  }
  throw Error("quadrature: the trapezoidal rule did not converge");
}

// Log of the chi^2_d density in the variable u = ln s (including the Jacobian e^u).
double LogChiSquareDensityU(int d, double u) {
  const double k = 0.5 * d;
  return k * u - 0.5 * std::exp(u) - k * std::log(2.0) - std::lgamma(k);
}

double UpperScanLimit(int d) {
  return std::log(static_cast<double>(d) + 10.0) + 6.0;
}

}  // namespace

double ChiSquareLogExpectation(int d, const std::function<double(double)>& log_h) {
  Require(d >= 1, "chi-square quadrature needs d >= 1");
  auto phi = [&](double u) { return LogChiSquareDensityU(d, u) + log_h(std::exp(u)); };
  const Peak peak = FindPeak(phi, -120.0, UpperScanLimit(d));
  const double sum = ConvergedSum(
      phi, [](double) { return 1.0; }, peak);
  return peak.phi + std::log(sum);
}

double ChiSquareExpectation(int d, const std::function<double(double)>& h) {
  Require(d >= 1, "chi-square quadrature needs d >= 1");
  auto phi = [&](double u) { return LogChiSquareDensityU(d, u); };
  const Peak peak = FindPeak(phi, -120.0, UpperScanLimit(d));
  const double sum = ConvergedSum(
      phi, [&](double u) { return h(std::exp(u)); }, peak);
  return std::exp(peak.phi) * sum;
}

double HjbExactValue(int d, double T, double lambda) {
  Require(T > 0 && lambda > 0, "HJB reference needs T > 0 and lambda > 0");
  // exp(-lambda g) = (1/2 + T S)^(-lambda) with |X_T|^2 = 2 T S.
  const double log_e =
      ChiSquareLogExpectation(d, [&](double s) { return -lambda * std::log(0.5 + T * s); });
  return -log_e / lambda;
}

double HjbExactValueLaplace(int d, double T, double lambda) {
  Require(T > 0 && lambda > 0 && d >= 1, "HJB reference needs d >= 1, T > 0 and lambda > 0");
  // ln int_0^inf t^(lambda-1) e^(-t/2) (1+2Tt)^(-d/2) dt, with t = e^v.
  auto phi = [&](double v) {
    const double t = std::exp(v);
    return lambda * v - 0.5 * t - 0.5 * d * std::log1p(2 * T * t);
  };
  const Peak peak = FindPeak(phi, -120.0, 60.0);
  const double sum = ConvergedSum(
      phi, [](double) { return 1.0; }, peak);
  const double log_e = peak.phi + std::log(sum) - std::lgamma(lambda);
  return -log_e / lambda;
}

double HjbTrivialAnswer(int d, double T) {
  return ChiSquareExpectation(d, [&](double s) { return std::log(0.5 + T * s); });
}

double AllenCahnTrivialAnswer(int d, double T) {
  return ChiSquareExpectation(d, [&](double s) { return 1.0 / (2.0 + 0.8 * T * s); });
}

}  // namespace udeflow::bsde
