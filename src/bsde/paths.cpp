#include "udeflow/bsde/paths.hpp"

#include <algorithm>
#include <cmath>

#include "udeflow/core/error.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::bsde {

SdeScheme ParseSdeScheme(const std::string& name) {
  if (name == "euler") return SdeScheme::kEuler;
  if (name == "exact") return SdeScheme::kExact;
  throw Error("unknown SDE scheme '" + name + "' (choices: euler, exact)");
}

const char* SdeSchemeName(SdeScheme s) {
  return s == SdeScheme::kEuler ? "euler" : "exact";
}

namespace {

// Box-Muller on whole arrays: (z0, z1) = sqrt(-2 ln u0) (cos, sin)(2 pi u1), vectorized
// (Eigen evaluates double sin/cos with scalar libm calls, which dominated the sampler).
// The angle 2 pi u1 = q pi/2 + pi/4 + theta with q = floor(4 u1) and
// |theta| <= pi/4; sin/cos(theta) by their Taylor series to degree 17/18 (error < 1e-19).
void BoxMuller(const Eigen::ArrayXd& u0, const Eigen::ArrayXd& u1, Eigen::ArrayXd& z0,
               Eigen::ArrayXd& z1, Eigen::ArrayXd& q, Eigen::ArrayXd& s, Eigen::ArrayXd& c) {
  constexpr double kHalfPi = 1.5707963267948966192313216916398;
  constexpr double kInvSqrt2 = 0.70710678118654752440084436210485;
  z0 = (-2.0 * u0.log()).sqrt();  // radius
  q = (4.0 * u1).floor();
  z1 = kHalfPi * (4.0 * u1 - q - 0.5);  // theta
  const auto t2 = z1.square();
  // Horner: sin(t) = t (1 - t^2/(2.3) (1 - t^2/(4.5) (1 - ...))), cos(t) = 1 - t^2/(1.2) (1 -
  // t^2/(3.4) (...))
  s = 1.0 - t2 / (16.0 * 17.0);
  for (int k = 7; k >= 1; --k) s = 1.0 - t2 / ((2.0 * k) * (2.0 * k + 1.0)) * s;
  s *= z1;
  c = 1.0 - t2 / (17.0 * 18.0);
  for (int k = 8; k >= 1; --k) c = 1.0 - t2 / ((2.0 * k - 1.0) * (2.0 * k)) * c;
  // (cos, sin) of pi/4 + theta, then the quarter turns q (lazy expressions of c, s).
  const auto cq = kInvSqrt2 * (c - s);
  const auto sq = kInvSqrt2 * (c + s);
  z1 = z0 * (q == 0.0).select(sq, (q == 1.0).select(cq, (q == 2.0).select(-sq, -cq)));
  z0 *= (q == 0.0).select(cq, (q == 1.0).select(-sq, (q == 2.0).select(-cq, sq)));
}

}  // namespace

void SampleBrownianIncrements(uint64_t seed, uint64_t stream, uint64_t first, int num_steps,
                              double dt, MatrixRef dw) {
  const Eigen::Index d = dw.rows();
  Require(num_steps > 0 && dw.cols() % num_steps == 0,
          "SampleBrownianIncrements: dw has the wrong shape");
  const Eigen::Index B = dw.cols() / num_steps;
  const uint64_t per_sample = static_cast<uint64_t>(d) * num_steps;  // normals per sample
  const Eigen::Index pairs = static_cast<Eigen::Index>((per_sample + 1) / 2);
  Require(
      static_cast<uint64_t>(pairs) < (uint64_t(1) << 32) && first + B <= (uint64_t(1) << 32),
      "SampleBrownianIncrements: too many samples or normals per sample for the counter layout");
  // Work arrays, grown once per thread (no allocation in the training loop).
  thread_local Eigen::ArrayXd u0, u1, z0, z1, q, s, c;
  if (u0.size() != pairs)
    for (Eigen::ArrayXd* a : {&u0, &u1, &z0, &z1, &q, &s, &c}) a->resize(pairs);
  const double sdt = std::sqrt(dt);
  for (Eigen::Index b = 0; b < B; ++b) {
    // Normal number e = n*d + i of sample `first + b` is entry (i, step n): pair k = e/2
    // comes from counter (stream, (sample << 32) | k).
    const uint64_t sample_key = (first + b) << 32;
    for (Eigen::Index k = 0; k < pairs; ++k)
      Philox::Uniform2(seed, stream, sample_key | k, &u0[k], &u1[k]);
    BoxMuller(u0, u1, z0, z1, q, s, c);
    uint64_t e = 0;
    for (int n = 0; n < num_steps; ++n) {
      auto col = dw.col(n * B + b);
      for (Eigen::Index i = 0; i < d; ++i, ++e) col[i] = sdt * ((e & 1) ? z1[e >> 1] : z0[e >> 1]);
    }
  }
}

void SimulateForward(const Equation& eq, SdeScheme scheme, double dt, const ConstMatrixRef& dw,
                     MatrixRef x, MatrixRef work) {
  const Eigen::Index d = eq.Dim();
  Require(x.rows() == d && dw.rows() == d, "SimulateForward: wrong number of rows");
  const Eigen::Index B = x.cols() - dw.cols();
  Require(B > 0 && dw.cols() % B == 0, "SimulateForward: x must have one more step than dw");
  const int N = static_cast<int>(dw.cols() / B);
  if (scheme == SdeScheme::kExact && !eq.HasExactStep())
    throw Error(std::string("equation ") + eq.Name() +
                " has no exact SDE step (use the euler scheme)");
  x.leftCols(B).colwise() = eq.InitialState();
  for (int n = 0; n < N; ++n) {
    const double t = n * dt;
    auto xn = x.middleCols(n * B, B);
    auto xnext = x.middleCols((n + 1) * B, B);
    StepForward(eq, scheme, t, dt, xn, dw.middleCols(n * B, B), xnext, work);
  }
}

void StepForward(const Equation& eq, SdeScheme scheme, double t, double dt,
                 const ConstMatrixRef& xn, const ConstMatrixRef& dwn, MatrixRef xnext,
                 MatrixRef work) {
  if (scheme == SdeScheme::kExact) {
    eq.ExactStep(t, dt, xn, dwn, xnext);
  } else {
    Require(work.rows() == xn.rows() && work.cols() == xn.cols(),
            "StepForward: work buffer has the wrong shape");
    eq.Drift(t, xn, work);
    xnext = xn + dt * work;
    eq.Diffusion(t, xn, dwn, work);
    xnext += work;
  }
}

void ForEachStatisticsChunk(const Equation& eq, SdeScheme scheme, uint64_t seed, int num_steps,
                            int num_samples,
                            const std::function<void(const Matrix& x, Eigen::Index B)>& visit) {
  const int d = eq.Dim();
  const double dt = eq.Horizon() / num_steps;
  // At most 256 paths and 2^23 doubles per d x (N+1) array (76 paths at d = 10,000, N = 10).
  const long per_path = static_cast<long>(d) * (num_steps + 1);
  const int chunk =
      std::min(num_samples, static_cast<int>(std::clamp<long>((1L << 23) / per_path, 1, 256)));
  Matrix dw, x, work;
  for (int first = 0; first < num_samples; first += chunk) {
    const Eigen::Index B = std::min(chunk, num_samples - first);
    if (work.cols() != B) {
      dw.resize(d, num_steps * B);
      x.resize(d, (num_steps + 1) * B);
      work.resize(d, B);
    }
    SampleBrownianIncrements(seed, kStatisticsStream, first, num_steps, dt, dw);
    SimulateForward(eq, scheme, dt, dw, x, work);
    visit(x, B);
  }
}

PathStatistics ComputePathStatistics(const Equation& eq, SdeScheme scheme, uint64_t seed,
                                     int num_steps, int num_samples) {
  Require(num_samples >= 2, "path statistics need at least two samples");
  const int d = eq.Dim();
  std::array<Matrix, 5> xk;
  std::array<Matrix, 3> zxk;
  for (Matrix& m : xk) m = Matrix::Zero(d, num_steps + 1);
  for (Matrix& m : zxk) m = Matrix::Zero(d, num_steps + 1);
  Matrix& sum = xk[1];
  Matrix& sumsq = xk[2];
  Vector g;
  Matrix gx, zN;
  double gsum = 0, zsq = 0;
  ForEachStatisticsChunk(eq, scheme, seed, num_steps, num_samples,
                         [&](const Matrix& x, Eigen::Index B) {
                           g.resize(B);
                           gx.resize(d, B);
                           zN.resize(d, B);
                           eq.Terminal(x.rightCols(B), g);
                           gsum += g.sum();
                           eq.TerminalGradient(x.rightCols(B), gx);
                           eq.DiffusionTranspose(eq.Horizon(), x.rightCols(B), gx, zN);
                           zsq += zN.squaredNorm();
                           for (int n = 0; n <= num_steps; ++n) {
                             const auto xn = x.middleCols(n * B, B).array();
                             xk[1].col(n) += xn.rowwise().sum().matrix();
                             xk[2].col(n) += xn.square().rowwise().sum().matrix();
                             xk[3].col(n) += xn.cube().rowwise().sum().matrix();
                             xk[4].col(n) += xn.square().square().rowwise().sum().matrix();
                             zxk[0].col(n) += zN.rowwise().sum();
                             zxk[1].col(n) += (xn * zN.array()).rowwise().sum().matrix();
                             zxk[2].col(n) += (xn.square() * zN.array()).rowwise().sum().matrix();
                           }
                         });
  PathStatistics s;
  s.mean = sum / num_samples;
  xk[0].setConstant(num_samples);
  s.inv_std.resize(d, num_steps + 1);
  for (int n = 0; n <= num_steps; ++n)
    for (int i = 0; i < d; ++i) {
      const double m = s.mean(i, n);
      const double var = std::max(0.0, (sumsq(i, n) - num_samples * m * m) / (num_samples - 1));
      const double sd = std::sqrt(var);
      // A coordinate that does not move (x0 at n = 0) is only centred.
      s.inv_std(i, n) = sd > 1e-12 * (1.0 + std::abs(m)) ? 1.0 / sd : 1.0;
    }
  for (int k = 0; k < 5; ++k) s.xk[k] = xk[k] / num_samples;
  for (int k = 0; k < 3; ++k) s.zxk[k] = zxk[k] / num_samples;
  s.terminal_mean = gsum / num_samples;
  s.terminal_z_rms = std::sqrt(zsq / (static_cast<double>(num_samples) * d));
  return s;
}

void PoolPathStatistics(PathStatistics* s) {
  const Eigen::Index N = s->mean.cols() - 1, d = s->mean.rows();
  Require(N >= 1, "PoolPathStatistics: needs at least one step");
  const Vector mean = s->mean.rightCols(N).rowwise().mean();
  // Pooled variance: mean of the per-step variances plus the variance of the means.
  Vector var = Vector::Zero(d);
  for (Eigen::Index n = 1; n <= N; ++n)
    var += (1.0 / s->inv_std.col(n).array().square() + (s->mean.col(n) - mean).array().square())
               .matrix();
  var /= static_cast<double>(N);
  for (Eigen::Index n = 1; n <= N; ++n) {
    s->mean.col(n) = mean;
    s->inv_std.col(n) = var.cwiseSqrt().cwiseInverse();
  }
}

}  // namespace udeflow::bsde
