#pragma once
/// \file face_closure.hpp
/// A closure evaluated at the faces of a finite-volume grid (pure Eigen, no PETSc):
///
///   stencil values X (k cells around each face)  ->  features  ->  closure  ->  C per face
///
/// Features: "raw" (the k values) or "normalized" ((v_m - mean)/s, mean, s with
/// s = sqrt(sum of squared differences + eps^2)): shapes at any amplitude look alike, and
/// ratios such as the sub-cell position of a shock are direct inputs; "shape" (the k
/// normalized values only: invariant under u -> c u + b for c > 0, up to eps).
/// Forms: "flux" (C = y) or "coefficients" (C = sum_m y_m (D_q X)_m, differences of
/// order q: consistent by construction, learned-coefficient errors cost O(dx^q)).
/// Every map has its VJP and JVP; faces are columns, processed in blocks.
#include <string>

#include "udeflow/pde/closure.hpp"

namespace udeflow::pde {

class FaceClosure {
 public:
  enum class Form { kFlux, kCoefficients };
  enum class Features { kRaw, kNormalized, kShape };
  struct Config {
    int stencil = 5;
    Form form = Form::kFlux;
    int difference_order = 1;
    Features features = Features::kRaw;
    double feature_eps = 1e-3;
  };
  /// Per-block storage: stencils, features and the closure's activations.
  struct Block {
    nn::Matrix X, F;
    Closure::Tape tape;
  };

  /// Throws udeflow::Error for an inconsistent configuration.
  void Configure(const Config& config);
  const Config& Settings() const { return config_; }
  int NumFeatures() const;
  int NumOutputs() const;
  std::string Describe() const;

  /// b.X must hold the stencils; computes features and the closure output.
  void Forward(const Closure& closure, Block& b) const;
  /// out[j] += C_j.
  void AddValue(const Block& b, double* out) const;
  /// Given the cotangent cbar of C: Xbar (k x nb, overwritten; may be null) and
  /// gtheta += (dC/dtheta)^T cbar (may be null).
  void Vjp(const Closure& closure, Block& b, const double* cbar, nn::Matrix* Xbar,
           double* gtheta) const;
  /// out[j] += dC_j/dX Xdot_j.
  void Jvp(const Closure& closure, Block& b, const nn::Matrix& Xdot, double* out) const;
  /// out[j] += dC_j/dtheta thetadot.
  void ParamJvp(const Closure& closure, Block& b, const double* thetadot, double* out) const;

 private:
  void ComputeFeatures(const nn::Matrix& X, nn::Matrix& F) const;
  void FeaturesVjp(const Block& b, const nn::Matrix& Fbar, nn::Matrix& Xbar) const;
  void FeaturesJvp(const Block& b, const nn::Matrix& Xdot, nn::Matrix& Fdot) const;

  Config config_;
  nn::Matrix diff_;  // D_q
  mutable nn::Matrix Ybar_, Fbar_, Fdot_, Ydot_;
};

}  // namespace udeflow::pde
