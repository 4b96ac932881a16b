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

const char* SdeSchemeName(SdeScheme s) { return s == SdeScheme::kEuler ? "euler" : "exact"; }

void SampleBrownianIncrements(uint64_t seed, uint64_t stream, uint64_t first, int num_steps, double dt,
                              MatrixRef dw) {
  const Eigen::Index d = dw.rows();
  Require(num_steps > 0 && dw.cols() % num_steps == 0, "SampleBrownianIncrements: dw has the wrong shape");
  const Eigen::Index B = dw.cols() / num_steps;
  const uint64_t per_sample = static_cast<uint64_t>(d) * num_steps;  // normals per sample
  Require((per_sample + 1) / 2 < (uint64_t(1) << 32) && first + B <= (uint64_t(1) << 32),
          "SampleBrownianIncrements: too many samples or normals per sample for the counter layout");
  const double sdt = std::sqrt(dt);
  for (Eigen::Index b = 0; b < B; ++b) {
    const uint64_t sample_key = (first + b) << 32;
    // Entry e = n*d + i of sample b gets normal number e of its stream.
    for (uint64_t k = 0; 2 * k < per_sample; ++k) {
      double z0, z1;
      Philox::Normal2(seed, stream, sample_key | k, &z0, &z1);
      const uint64_t e0 = 2 * k, e1 = 2 * k + 1;
      dw(static_cast<Eigen::Index>(e0 % d), static_cast<Eigen::Index>((e0 / d) * B) + b) = sdt * z0;
      if (e1 < per_sample) dw(static_cast<Eigen::Index>(e1 % d), static_cast<Eigen::Index>((e1 / d) * B) + b) = sdt * z1;
    }
  }
}

void SimulateForward(const Equation& eq, SdeScheme scheme, double dt, const ConstMatrixRef& dw, MatrixRef x,
                     MatrixRef work) {
  const Eigen::Index d = eq.Dim();
  Require(x.rows() == d && dw.rows() == d, "SimulateForward: wrong number of rows");
  const Eigen::Index B = x.cols() - dw.cols();
  Require(B > 0 && dw.cols() % B == 0, "SimulateForward: x must have one more step than dw");
  const int N = static_cast<int>(dw.cols() / B);
  Require(scheme == SdeScheme::kEuler || eq.HasExactStep(),
          std::string("equation ") + eq.Name() + " has no exact SDE step (use the euler scheme)");
  x.leftCols(B).colwise() = eq.InitialState();
  for (int n = 0; n < N; ++n) {
    const double t = n * dt;
    auto xn = x.middleCols(n * B, B);
    auto xnext = x.middleCols((n + 1) * B, B);
    auto dwn = dw.middleCols(n * B, B);
    if (scheme == SdeScheme::kExact) {
      eq.ExactStep(t, dt, xn, dwn, xnext);
    } else {
      Require(work.rows() == d && work.cols() == B, "SimulateForward: work buffer has the wrong shape");
      eq.Drift(t, xn, work);
      xnext = xn + dt * work;
      eq.Diffusion(t, xn, dwn, work);
      xnext += work;
    }
  }
}

PathStatistics ComputePathStatistics(const Equation& eq, SdeScheme scheme, uint64_t seed, int num_steps,
                                     int num_samples) {
  Require(num_samples >= 2, "path statistics need at least two samples");
  const int d = eq.Dim();
  const double dt = eq.Horizon() / num_steps;
  const int chunk = std::min(num_samples, 256);
  Matrix dw(d, static_cast<Eigen::Index>(num_steps) * chunk), x(d, static_cast<Eigen::Index>(num_steps + 1) * chunk);
  Matrix work(d, chunk);
  Vector g(chunk);
  Matrix sum = Matrix::Zero(d, num_steps + 1), sumsq = Matrix::Zero(d, num_steps + 1);
  double gsum = 0;
  for (int first = 0; first < num_samples; first += chunk) {
    const int B = std::min(chunk, num_samples - first);
    if (B != chunk) {
      dw.resize(d, static_cast<Eigen::Index>(num_steps) * B);
      x.resize(d, static_cast<Eigen::Index>(num_steps + 1) * B);
      work.resize(d, B);
      g.resize(B);
    }
    SampleBrownianIncrements(seed, kStatisticsStream, first, num_steps, dt, dw);
    SimulateForward(eq, scheme, dt, dw, x, work);
    for (int n = 0; n <= num_steps; ++n) {
      auto xn = x.middleCols(static_cast<Eigen::Index>(n) * B, B);
      sum.col(n) += xn.rowwise().sum();
      sumsq.col(n) += xn.rowwise().squaredNorm();
    }
    eq.Terminal(x.rightCols(B), g);
    gsum += g.sum();
  }
  PathStatistics s;
  s.mean = sum / num_samples;
  s.inv_std.resize(d, num_steps + 1);
  for (int n = 0; n <= num_steps; ++n)
    for (int i = 0; i < d; ++i) {
      const double m = s.mean(i, n);
      const double var = std::max(0.0, (sumsq(i, n) - num_samples * m * m) / (num_samples - 1));
      const double sd = std::sqrt(var);
      // A coordinate that does not move (x0 at n = 0) is only centred.
      s.inv_std(i, n) = sd > 1e-12 * (1.0 + std::abs(m)) ? 1.0 / sd : 1.0;
    }
  s.terminal_mean = gsum / num_samples;
  return s;
}

}  // namespace udeflow::bsde
