#pragma once
/// \file paths.hpp
/// Brownian increments and forward-SDE paths on batches of samples (pure Eigen; no
/// PETSc, no MPI).
///
/// Noise is counter-based (core/rng.hpp): the increments of global sample s in stream
/// `stream` (a training iteration, or a fixed validation/statistics stream) depend only
/// on (seed, stream, s).  A rank that owns samples [first, first + B) of a global batch
/// therefore draws exactly the numbers those samples get on any other number of ranks.
#include <array>
#include <cstdint>
#include <functional>

#include "udeflow/bsde/equation.hpp"

namespace udeflow::bsde {

/// Forward-SDE time stepping: Euler-Maruyama, or the equation's exact-in-law step.
enum class SdeScheme { kEuler, kExact };
SdeScheme ParseSdeScheme(const std::string& name);  ///< "euler" | "exact"; throws udeflow::Error
const char* SdeSchemeName(SdeScheme s);

/// Streams reserved next to the iteration numbers 0, 1, 2, ...
constexpr uint64_t kValidationStream = uint64_t(1) << 62;
constexpr uint64_t kStatisticsStream = (uint64_t(1) << 62) + 1;
constexpr uint64_t kEstimateStream = (uint64_t(1) << 62) + 2;

/// dw (d x N*B, step-major) = sqrt(dt) * standard normals for global samples
/// [first, first + B), B = dw.cols() / num_steps.  Throws if the counters would overflow
/// (N*d/2 >= 2^32 or first + B > 2^32).
void SampleBrownianIncrements(uint64_t seed, uint64_t stream, uint64_t first, int num_steps,
                              double dt, MatrixRef dw);

/// x (d x (N+1)*B): x_0 = x0 for every sample, then N steps of `scheme` driven by dw.
/// `work` is a d x B buffer (Euler only).  Throws if the scheme is exact and the
/// equation has no exact step.
void SimulateForward(const Equation& eq, SdeScheme scheme, double dt, const ConstMatrixRef& dw,
                     MatrixRef x, MatrixRef work);

/// One step of `scheme` from time t: xnext = X_{t+dt} given xn and the increment dwn
/// (all d x B; `work` d x B, Euler only).  SimulateForward is N of these.
void StepForward(const Equation& eq, SdeScheme scheme, double t, double dt,
                 const ConstMatrixRef& xn, const ConstMatrixRef& dwn, MatrixRef xnext,
                 MatrixRef work);

/// Simulates `num_samples` paths of stream kStatisticsStream (the same on every rank) in
/// chunks of at most 256 and calls visit(x, B) for each chunk (x: d x (N+1)*B).
void ForEachStatisticsChunk(const Equation& eq, SdeScheme scheme, uint64_t seed, int num_steps,
                            int num_samples,
                            const std::function<void(const Matrix& x, Eigen::Index B)>& visit);

/// Sample statistics of the forward paths and of the exact terminal
/// Z_N = sigma^T grad g(X_N), from `num_samples` paths of stream kStatisticsStream
/// (simulated in chunks, the same on every rank).  Used to standardize the network
/// inputs (a fixed affine map), as the Monte Carlo trivial answer, as the output scale
/// of the Z network and to warm-start its linear skip (ZNetwork::WarmStartSkip).
struct PathStatistics {
  Matrix mean, inv_std;       ///< d x (N+1): input standardization (per step, or pooled)
  std::array<Matrix, 5> xk;   ///< d x (N+1): E[X_n,i^k], k = 0..4
  std::array<Matrix, 3> zxk;  ///< d x (N+1): E[Z_N,i X_n,i^k], k = 0..2
  double terminal_mean = 0;   ///< E[g(X_N)]
  double terminal_z_rms = 0;  ///< sqrt(E|Z_N|^2 / d)
};
PathStatistics ComputePathStatistics(const Equation& eq, SdeScheme scheme, uint64_t seed,
                                     int num_steps, int num_samples);

/// Replaces the per-step statistics of steps 1..N by statistics pooled over those steps
/// (one mean and standard deviation per coordinate), keeping the scale of X visible to
/// the network; step 0 (the fixed x0) is left alone.
void PoolPathStatistics(PathStatistics* stats);

}  // namespace udeflow::bsde
