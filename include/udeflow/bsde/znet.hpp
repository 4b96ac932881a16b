#pragma once
/// \file znet.hpp
/// The network that gives Z_n = sigma^T grad u(t_n, X_n) on a batch of paths (pure
/// Eigen, built on DenseNet; no PETSc, no MPI).
///
/// Two architectures, picked by `-bsde_net`:
/// - "subnets": one MLP per time step n = 1..N-1 (Han, Jentzen & E), Z_0 a trainable
///   vector (X_0 = x0 is deterministic);
/// - "shared": one MLP of (t, x) for every step (the universal-SDE form NN(t, X_t)),
///   whose size does not grow with N; all N steps are evaluated as one batch.
/// Inputs are standardized by a fixed per-step affine map (PathStatistics), so the
/// network sees O(1) inputs at every step without batch statistics (which would make
/// the answer depend on how the batch is split over ranks).  Z = zscale * NN(input).
///
/// The parameters live in the caller's flat vector (a pointer is passed to every
/// call), gradients use the same layout.  All buffers of one batch live in a ZTape owned by the
/// caller (one per batch size), so evaluation allocates nothing once the tape is sized.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "udeflow/bsde/paths.hpp"
#include "udeflow/bsde/types.hpp"

namespace udeflow::bsde {

/// Work buffers of one batch (sized on first use).
struct ZTape {
  std::vector<nn::DenseNet::Tape> nets;
  Matrix input;                 ///< standardized network input
  Matrix ybar;                  ///< scaled output cotangent / tangent
  Matrix step_input;            ///< ForwardStep: standardized input of one step
  nn::DenseNet::Tape step_net;  ///< ForwardStep: its evaluation (not used by Vjp/ParamJvp)
};

struct ZNetConfig {
  enum class Kind { kSubnets, kShared };
  Kind kind = Kind::kSubnets;
  int width = 0;  ///< hidden width (0: d + 10)
  int depth = 2;  ///< number of hidden layers
  nn::Activation activation = nn::Activation::kTanh;
  nn::DenseNet::Skip skip =
      nn::DenseNet::Skip::kNone;  ///< linear skip connection x -> Z (nn::DenseNet)
  bool norm_feature =
      false;                ///< also feed q = |xhat|^2 / d (rotation-invariant feature) to the MLP
  double zscale = 0;        ///< Z = zscale * NN (must be set > 0 before use; Han et al.: 1/d)
  double init_scale = 1.0;  ///< multiplies the Glorot initialization
  double output_scale = 1.0;  ///< further multiplies the last layer's initial weights
};
ZNetConfig::Kind ParseZNetKind(const std::string& name);  ///< "subnets" | "shared"; throws
const char* ZNetKindName(ZNetConfig::Kind k);

class ZNetwork {
 public:
  virtual ~ZNetwork() = default;
  virtual std::string Describe() const = 0;
  virtual int NumParams() const = 0;
  int NumSteps() const { return N_; }
  int Dim() const { return d_; }
  /// Writes initial parameters (deterministic in the seed) into params[0, NumParams()).
  virtual void Initialize(uint64_t seed, double* params) const = 0;

  /// Standardization of the inputs: mean and inv_std are d x (N+1).
  void SetNormalization(const Matrix& mean, const Matrix& inv_std);

  /// With the norm feature: q_n = |xhat_n|^2 / d of every sample of a path batch
  /// (x: d x (N+1)*B) into q ((N+1) x B), and the standardization of q per step
  /// (mean and 1/std, length N+1; default 0 and 1).  The network feeds
  /// (q_n - mean_n) * inv_std_n.
  void NormFeature(const ConstMatrixRef& x, Eigen::Index B, Matrix* q) const;
  void SetFeatureNormalization(const Vector& mean, const Vector& inv_std);

  /// Warm start of a coordinate-wise skip connection (diagonal, quadratic, gated,
  /// gated_quadratic; no-op for none/full): for each coordinate i, the least-squares fit
  /// of the exact terminal Z_N,i by b_i + s_i xhat_i (+ c_i xhat_i^2 for the quadratic
  /// skips) over the standardized inputs of the steps that use them (pooled over the steps
  /// for the shared network) sets the skip coefficients and the output bias.  This is the
  /// best coordinate-wise polynomial Z of the PDE without its driver f (where
  /// Z_t = E[Z_N | X_t]); training corrects it.  Call after SetNormalization and Initialize.
  virtual void WarmStartSkip(const PathStatistics& stats, double* params) const = 0;

  /// z.middleCols(n*B, B) = Z_n for n = 0..N-1 from the path x (d x (N+1)*B);
  /// z must have at least N*B columns (further columns are left alone).
  virtual void Forward(const double* params, const ConstMatrixRef& x, Eigen::Index B, ZTape& tape,
                       MatrixRef z) const = 0;
  /// zn (d x B) = Z_n at the states xn (d x B) of step n (0 <= n < N), the same values
  /// as block n of Forward(); no tape for derivatives (the controlled forward simulation
  /// needs Z step by step, BsdeModel::SetControl).
  virtual void ForwardStep(const double* params, int n, const ConstMatrixRef& xn, ZTape& tape,
                           MatrixRef zn) const = 0;
  /// grad += (dZ/dtheta)^T zbar for the batch recorded in `tape` (the first N*B columns
  /// of zbar are used).
  virtual void Vjp(const double* params, ZTape& tape, const ConstMatrixRef& zbar, Eigen::Index B,
                   double* grad) const = 0;
  /// zdot (first N*B columns) = (dZ/dtheta) thetadot at the recorded batch.
  virtual void ParamJvp(const double* params, ZTape& tape, const double* thetadot, Eigen::Index B,
                        MatrixRef zdot) const = 0;
  /// Floating point operations of one forward evaluation of all N steps for one sample.
  virtual double FlopsPerSample() const = 0;

 protected:
  ZNetwork(int d, int num_steps, double horizon, const ZNetConfig& config);
  int d_, N_;
  double T_;
  ZNetConfig config_;
  Matrix mean_, inv_std_;
  Vector q_mean_, q_inv_std_;

  /// The standardized norm feature of step n into a row (B entries) of `out`, from the
  /// standardized state xhat (d x B).
  template <class Row, class Xhat>
  void FillNormFeature(int n, const Xhat& xhat, Row&& out) const {
    out = ((xhat.colwise().squaredNorm().array() / d_ - q_mean_[n]) * q_inv_std_[n]).matrix();
  }

  /// Adds, for every coordinate i, the normal equations of the fit of Z_N,i by the basis
  /// (1, xhat, xhat^2)[0..degree] on the standardized input of step n: ata[i] += E[phi phi^T],
  /// atb[i] += E[phi Z].
  void AddSkipNormalEquations(const PathStatistics& s, int n, int degree,
                              std::vector<Eigen::Matrix3d>* ata,
                              std::vector<Eigen::Vector3d>* atb) const;
  /// Solves them and writes s_i, c_i (skip) and b_i (output bias) into a DenseNet's params.
  void SolveSkipFit(const nn::DenseNet& net, int degree, const std::vector<Eigen::Matrix3d>& ata,
                    const std::vector<Eigen::Vector3d>& atb, double* params) const;
};

/// Sets the per-step standardization of the norm feature of `net` from the statistics
/// paths of the equation (the same paths as ComputePathStatistics; call after
/// SetNormalization).  Pure; the same on every rank.
void StandardizeNormFeature(const Equation& eq, SdeScheme scheme, uint64_t seed, int num_samples,
                            ZNetwork* net);

/// Creates the network for dimension d and N time steps on [0, T].  Throws on bad sizes.
std::unique_ptr<ZNetwork> CreateZNetwork(const ZNetConfig& config, int d, int num_steps,
                                         double horizon);

}  // namespace udeflow::bsde
