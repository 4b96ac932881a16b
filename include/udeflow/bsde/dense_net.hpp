#pragma once
/// \file dense_net.hpp
/// A lean batched MLP kernel for the BSDE module (pure Eigen; no PETSc, no MPI).
///
/// Same parameter layout and Glorot initialization as nn::Mlp (which it uses to
/// initialize and to describe itself), with three differences that the BSDE hot loop
/// needs:
/// - the parameters live outside the object (a pointer into the model's single flat
///   parameter vector), so Adam, the allreduce and the checkpoint see one vector;
/// - tanh is evaluated with vectorized exp (Eigen evaluates double tanh with scalar
///   std::tanh, which dominated the forward pass);
/// - an optional linear skip connection, initialized to 0: the nearly linear part of Z
///   (e.g. HJB, Z ~ c x) is learned at the speed of a linear regression, the MLP learns
///   the rest.  "full": y = MLP(x) + S x (S n_out x n_in); "diagonal": y_i = MLP(x)_i +
///   s_i x_{r+i} (n_out parameters; input rows r..r+n_out-1 pair with the outputs), cheap
///   and quiet at large d, where the n_out*n_in entries of a full S mostly learn noise;
///   "quadratic": y_i = MLP(x)_i + s_i x_{r+i} + c_i x_{r+i}^2 (a degree-2 polynomial per
///   coordinate, e.g. Z_i ~ x_i^2 of Black-Scholes-Barenblatt);
///   "gated": the diagonal coefficient is itself an output of the network,
///   y_i = MLP(x)_i + x_{r+i} (s_i + (V h)_i) with h the last hidden layer, so that
///   Z_i = x_i * phi(t, x) (e.g. x_i times a function of |x|^2 and t) is representable;
///   "gated_quadratic": y_i = MLP(x)_i + x (s_i + (V h)_i) + x^2 (c_i + (U h)_i), x = x_{r+i}
///   (e.g. Z_i = 2 s x_i^2 e^{a(T-t)} of Black-Scholes-Barenblatt, time-modulated).
/// Layout: [W_0, b_0, W_1, b_1, ..., W_{L-1}, b_{L-1}, skip parameters], matrices
/// column-major.  Points are columns.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "udeflow/bsde/types.hpp"
#include "udeflow/nn/mlp.hpp"

namespace udeflow::bsde {

class DenseNet {
 public:
  struct Tape {
    std::vector<Matrix> act;   ///< act[0] = input, act[l+1] = output of layer l (+ skip for the last)
    std::vector<Matrix> dact;  ///< per-layer cotangents (Vjp) or tangents (ParamJvp)
    std::vector<Matrix> gate, gate_bar;  ///< gated skips: s_k + V_k h, and their cotangents/tangents
    const Matrix& Output() const { return act.back(); }
  };

  enum class Skip { kNone, kDiagonal, kQuadratic, kGated, kGatedQuadratic, kFull };
  /// "none" | "diagonal" | "quadratic" | "gated" | "gated_quadratic" | "full"; throws
  static Skip ParseSkip(const std::string& name);
  static const char* SkipName(Skip s);

  DenseNet() = default;
  /// widths = {n_in, hidden..., n_out}; hidden activation as nn::Mlp (output: identity).
  /// A diagonal skip pairs output i with input row skip_row + i.
  DenseNet(std::vector<int> widths, nn::Activation hidden, Skip skip = Skip::kNone, int skip_row = 0);

  int NumInputs() const { return widths_.front(); }
  int NumOutputs() const { return widths_.back(); }
  int NumParams() const { return num_params_; }
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
    return skip_ == Skip::kDiagonal || skip_ == Skip::kGated ? 1
           : skip_ == Skip::kQuadratic || skip_ == Skip::kGatedQuadratic ? 2 : 0;
  }
  Skip SkipKind() const { return skip_; }
  std::string Describe() const;

  /// Writes Glorot-uniform weights (nn::Mlp::Initialize(seed, scale)), zero biases and
  /// a zero skip matrix into params; the last layer's weights are further multiplied by
  /// `output_scale` (a small value starts Z near zero).
  void Initialize(uint64_t seed, double scale, double output_scale, double* params) const;

  void Forward(const double* params, const ConstMatrixRef& x, Tape& tape) const;
  /// grad += (dy/dtheta)^T ybar summed over the batch recorded in `tape`; if xbar is
  /// given, also xbar = (dy/dx)^T ybar.
  void Vjp(const double* params, Tape& tape, const ConstMatrixRef& ybar, double* grad, Matrix* xbar = nullptr) const;
  /// ydot = (dy/dtheta) thetadot at the recorded batch.
  void ParamJvp(const double* params, Tape& tape, const double* thetadot, Matrix* ydot) const;
  double FlopsPerPoint() const;

 private:
  int NumLayers() const { return static_cast<int>(widths_.size()) - 1; }
  int GateDegree() const { return skip_ == Skip::kGated ? 1 : (skip_ == Skip::kGatedQuadratic ? 2 : 0); }
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
    return Eigen::Map<M>(p + skip_offset_ + k * GateBlock() + NumOutputs(), NumOutputs(), widths_[NumLayers() - 1]);
  }
  int GateBlock() const { return NumOutputs() * (1 + widths_[NumLayers() - 1]); }
  /// The input rows paired with the outputs by a diagonal or gated skip.
  auto SkipRows(const Tape& t) const { return t.act[0].middleRows(skip_row_, NumOutputs()); }

  std::vector<int> widths_;
  nn::Activation hidden_ = nn::Activation::kTanh;
  Skip skip_ = Skip::kNone;
  int skip_row_ = 0;
  int num_params_ = 0, skip_offset_ = 0;
  std::vector<int> w_offset_, b_offset_;
};

/// tanh on a whole array with vectorized exp: 1 - 2 / (exp(2x) + 1) (absolute error ~1e-16).
void FastTanh(Matrix& z);

}  // namespace udeflow::bsde
