#pragma once
/// \file dense_net.hpp
/// The dense-network kernel of udeflow (pure Eigen: no PETSc, no MPI): a multilayer
/// perceptron on batches of points that works on parameters owned by the caller.  The
/// PDE closures (pde/closure.hpp) and the BSDE Z networks (bsde/znet.hpp) both use it.
///
/// Points are columns: an input batch is NumInputs() x n, the output NumOutputs() x n.
/// The parameters are one flat array (`const double* params`, NumParams() entries) that
/// the kernel never copies: layer l stores W_l (w[l+1] x w[l], column-major) followed by
/// b_l (w[l+1]), then come the skip parameters.  Forward() records the activations of
/// every layer in a Tape; Vjp()/Jvp()/ParamJvp() reuse it, so a backward pass costs about
/// two forward passes and allocates nothing once the tape has been sized for the batch.
///
/// Optional linear skip connection (output activation identity), initialized to 0: the
/// nearly linear part of the output (e.g. HJB, Z ~ c x) is learned at the speed of a
/// linear regression, the MLP learns the rest.  "full": y = MLP(x) + S x (S n_out x n_in);
/// "diagonal": y_i = MLP(x)_i + s_i x_{r+i} (n_out parameters; input rows r..r+n_out-1
/// pair with the outputs); "quadratic": y_i = MLP(x)_i + s_i x_{r+i} + c_i x_{r+i}^2;
/// "gated": the diagonal coefficient is itself an output of the network,
/// y_i = MLP(x)_i + x_{r+i} (s_i + (V h)_i) with h the last hidden layer;
/// "gated_quadratic": y_i = MLP(x)_i + x (s_i + (V h)_i) + x^2 (c_i + (U h)_i), x = x_{r+i}.
#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace udeflow::nn {

enum class Activation { kIdentity, kTanh, kRelu, kSoftplus, kSigmoid };

/// "tanh", "relu", "identity", "softplus", "sigmoid"; throws udeflow::Error otherwise.
Activation ParseActivation(const std::string& name);
const char* ActivationName(Activation a);
/// Comma-separated list of the activation names (for -help and errors).
const char* ActivationChoices();

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;
using MatrixRef = Eigen::Ref<Matrix>;
using ConstMatrixRef = Eigen::Ref<const Matrix>;
using VectorRef = Eigen::Ref<Vector>;
using ConstVectorRef = Eigen::Ref<const Vector>;

/// tanh on a whole array with vectorized exp: 1 - 2 / (exp(2x) + 1) (Eigen evaluates
/// double tanh with scalar std::tanh).  Absolute error ~1e-16; saturates correctly.
void FastTanh(Matrix& z);
/// z = act(z) elementwise (vectorized; tanh is FastTanh).
void ApplyActivation(Activation a, Matrix& z);
/// d *= act'(z), written with the activation output a = act(z).
void MultiplyActivationDerivative(Activation act, const Matrix& a, Matrix& d);

class DenseNet {
 public:
  /// Activations and intermediate buffers of one batch.
  struct Tape {
    std::vector<Matrix>
        act;  ///< act[0] = input, act[l+1] = output of layer l (+ skip for the last)
    std::vector<Matrix> work;  ///< per-layer cotangents (Vjp) or tangents (Jvp, ParamJvp)
    std::vector<Matrix> gate,
        gate_bar;     ///< gated skips: s_k + V_k h, and their cotangents/tangents
    Vector grad;      ///< Vjp with Accumulate::kStaged: the products (aligned scratch)
    Vector packed;    ///< fast kernels: transposed weights and gradient blocks
    Matrix block[2];  ///< fast kernels: cotangent blocks of the VJP
    const Matrix& Output() const { return act.back(); }
  };

  enum class Skip { kNone, kDiagonal, kQuadratic, kGated, kGatedQuadratic, kFull };
  /// "none" | "diagonal" | "quadratic" | "gated" | "gated_quadratic" | "full"; throws
  static Skip ParseSkip(const std::string& name);
  static const char* SkipName(Skip s);

  /// How Vjp() adds the parameter gradient to `grad`:
  /// kInPlace: the products are accumulated straight into grad (their last bits depend on
  ///   where grad sits modulo the SIMD width: fine for a fixed offset into an aligned buffer);
  /// kStaged: they are formed in the tape's aligned scratch and then added to grad element
  ///   by element, so the bits do not depend on where grad sits in memory.  The fast kernels
  ///   (FastKernels()) always stage.
  enum class Accumulate { kInPlace, kStaged };

  DenseNet() = default;
  /// widths = {n_in, hidden..., n_out}, at least two entries, all positive.  A skip
  /// connection needs the identity output activation; a diagonal, quadratic or gated skip
  /// pairs output i with input row skip_row + i.  Throws udeflow::Error.
  DenseNet(std::vector<int> widths, Activation hidden, Activation output = Activation::kIdentity,
           Skip skip = Skip::kNone, int skip_row = 0);

  int NumInputs() const { return widths_.front(); }
  int NumOutputs() const { return widths_.back(); }
  int NumLayers() const { return static_cast<int>(widths_.size()) - 1; }
  int NumParams() const { return num_params_; }
  const std::vector<int>& Widths() const { return widths_; }
  Activation Hidden() const { return hidden_; }
  Activation Output() const { return output_; }
  Skip SkipKind() const { return skip_; }
  /// "5-32-32-1 tanh (1281 parameters)", with " + diagonal linear skip" before the count
  /// for a skip; with_output names both activations: "5-32-32-1 tanh/identity (...)".
  std::string Describe(bool with_output = false) const;

  /// The skip parameters inside a parameter vector: s (n_out) for diagonal, quadratic and
  /// the gated skips (followed by c, n_out, for quadratic; by V, n_out x width, for gated;
  /// by V, c, U for gated_quadratic), S (n_out x n_in) for full.
  double* SkipParams(double* params) const { return params + skip_offset_; }
  /// The coefficients c of x^2 (quadratic: after s; gated_quadratic: s_1 of gate 1).
  double* SecondSkipCoefficients(double* params) const {
    return params + skip_offset_ + (skip_ == Skip::kQuadratic ? NumOutputs() : GateBlock());
  }
  /// The bias of the output layer (n_out entries).
  double* OutputBias(double* params) const { return params + b_offset_.back(); }
  /// 1 for diagonal and gated, 2 for quadratic and gated_quadratic, 0 otherwise.
  int SkipDegree() const {
    return skip_ == Skip::kDiagonal || skip_ == Skip::kGated             ? 1
           : skip_ == Skip::kQuadratic || skip_ == Skip::kGatedQuadratic ? 2
                                                                         : 0;
  }

  /// Writes Glorot-uniform weights times `scale` (deterministic in `seed`), zero biases
  /// and zero skip parameters into params; the last layer's weights are further
  /// multiplied by `output_scale` (a small value starts the output near zero).
  void Initialize(uint64_t seed, double scale, double output_scale, double* params) const;
  void Initialize(uint64_t seed, double scale, double* params) const;

  /// y = NN(x) for every column of x; the output is tape.Output().
  void Forward(const double* params, const ConstMatrixRef& x, Tape& tape) const;
  /// Vector-Jacobian product at the point recorded in `tape`: grad += (dy/dtheta)^T ybar
  /// summed over the batch (if grad != nullptr, NumParams() entries) and xbar =
  /// (dy/dx)^T ybar (if xbar != nullptr).
  void Vjp(const double* params, Tape& tape, const ConstMatrixRef& ybar, double* grad,
           Matrix* xbar = nullptr, Accumulate mode = Accumulate::kInPlace) const;
  /// Jacobian-vector product ydot = (dy/dx) xdot at the recorded point.
  void Jvp(const double* params, Tape& tape, const ConstMatrixRef& xdot, Matrix* ydot) const;
  /// Parameter-direction JVP: ydot = (dy/dtheta) thetadot at the recorded point.
  void ParamJvp(const double* params, Tape& tape, const double* thetadot, Matrix* ydot) const;

  /// Floating point operations of one forward evaluation of one point.
  double FlopsPerPoint() const;

  /// Whether Forward() and Vjp() use the fused fast kernels (dense_kernels.hpp): on by
  /// default when the architecture allows it (no skip; identity, tanh or relu activations;
  /// every hidden width a multiple of the SIMD width, e.g. 4 with AVX2, 8 with AVX-512).
  /// Their results agree with the generic Eigen path to rounding (not bit for bit), and a
  /// point's output and input cotangent do not depend on the batch it is in.  Jvp() and
  /// ParamJvp() always use the generic path (they read the same tape).
  bool FastKernels() const { return fast_; }
  /// Turns the fast kernels off (false) or back on where supported (true); for tests.
  void SetFastKernels(bool on);

 private:
  int GateDegree() const {
    return skip_ == Skip::kGated ? 1 : (skip_ == Skip::kGatedQuadratic ? 2 : 0);
  }
  /// Gate k of a gated skip: s_k (n_out) and V_k (n_out x last hidden width), stored as
  /// [s_0, V_0, s_1, V_1] after the layers.
  template <class T>
  auto GateS(T* p, int k) const {
    using V = std::conditional_t<std::is_const_v<T>, const Vector, Vector>;
    return Eigen::Map<V>(p + skip_offset_ + k * GateBlock(), NumOutputs());
  }
  template <class T>
  auto GateV(T* p, int k) const {
    using M = std::conditional_t<std::is_const_v<T>, const Matrix, Matrix>;
    return Eigen::Map<M>(p + skip_offset_ + k * GateBlock() + NumOutputs(), NumOutputs(),
                         widths_[NumLayers() - 1]);
  }
  int GateBlock() const { return NumOutputs() * (1 + widths_[NumLayers() - 1]); }
  /// The input rows paired with the outputs by a diagonal or gated skip.
  auto SkipRows(const Tape& t) const { return t.act[0].middleRows(skip_row_, NumOutputs()); }
  void AddSkipGradient(const double* params, Tape& tape, const ConstMatrixRef& ybar, double* grad,
                       bool assign, Matrix* xbar) const;

  std::vector<int> widths_;
  Activation hidden_ = Activation::kTanh, output_ = Activation::kIdentity;
  Skip skip_ = Skip::kNone;
  int skip_row_ = 0;
  int num_params_ = 0, skip_offset_ = 0;
  std::vector<int> w_offset_, b_offset_;
  bool fast_ = false;
};

}  // namespace udeflow::nn
