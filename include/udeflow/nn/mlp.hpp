#pragma once
/// \file mlp.hpp
/// Multilayer perceptron on batches of points (pure Eigen: no PETSc, no MPI).
///
/// Points are columns: an input batch is NumInputs() x n, the output NumOutputs() x n.
/// Parameters live in one flat vector; layer l stores W_l (w[l+1] x w[l], column-major)
/// followed by b_l (w[l+1]).  Forward() records the activations of every layer in a
/// Tape; Vjp()/Jvp() reuse it, so a backward pass costs about two forward passes and
/// allocates nothing once the tape has been sized for the batch.
#include <Eigen/Dense>

#include <cstdint>
#include <string>
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

/// z = act(z) elementwise (vectorized; tanh via exp, to ~1e-16 absolute).
void ApplyActivation(Activation a, Matrix& z);
/// d *= act'(z), written with the activation output a = act(z).
void MultiplyActivationDerivative(Activation act, const Matrix& a, Matrix& d);

class Mlp {
 public:
  /// Activations and intermediate buffers of one batch.
  struct Tape {
    std::vector<Matrix> act;   ///< act[0] = input, act[l+1] = output of layer l
    std::vector<Matrix> work;  ///< work[l]: cotangent/tangent of act[l] (sized once per batch)
    Vector grad;               ///< Vjp: this batch's parameter gradient (aligned scratch)
    const Matrix& Output() const { return act.back(); }
  };

  Mlp() = default;
  /// widths = {n_in, hidden..., n_out}, at least two entries, all positive.
  Mlp(std::vector<int> widths, Activation hidden, Activation output = Activation::kIdentity);

  int NumInputs() const { return widths_.front(); }
  int NumOutputs() const { return widths_.back(); }
  int NumLayers() const { return static_cast<int>(widths_.size()) - 1; }
  int NumParams() const { return num_params_; }
  const std::vector<int>& Widths() const { return widths_; }
  Activation Hidden() const { return hidden_; }
  Activation Output() const { return output_; }
  std::string Describe() const;  ///< e.g. "5-32-32-1 tanh/identity (1281 parameters)"

  Vector& Params() { return params_; }
  const Vector& Params() const { return params_; }
  void SetParams(const Eigen::Ref<const Vector>& p);

  /// Glorot-uniform weights times `scale`, zero biases; deterministic in `seed`.
  void Initialize(uint64_t seed, double scale = 1.0);

  /// y = NN(x) for every column of x; the output is tape.Output().
  void Forward(const ConstMatrixRef& x, Tape& tape) const;

  /// Vector-Jacobian product at the point recorded in `tape`:
  /// xbar = (dy/dx)^T ybar (if xbar != nullptr) and gparams += (dy/dtheta)^T ybar summed
  /// over the batch (if gparams != nullptr, length NumParams()).  The products are
  /// formed in the tape's aligned scratch and then added to gparams element by element,
  /// so the bits do not depend on where gparams sits in memory.
  void Vjp(Tape& tape, const ConstMatrixRef& ybar, Matrix* xbar, double* gparams) const;

  /// Jacobian-vector product ydot = (dy/dx) xdot at the recorded point.
  void Jvp(Tape& tape, const ConstMatrixRef& xdot, Matrix* ydot) const;

  /// Parameter-direction JVP: ydot = (dy/dtheta) thetadot at the recorded point.
  void ParamJvp(Tape& tape, const Eigen::Ref<const Vector>& thetadot, Matrix* ydot) const;

  /// Floating point operations of one forward evaluation of one point.
  double FlopsPerPoint() const;

 private:
  std::vector<int> widths_;
  Activation hidden_ = Activation::kTanh, output_ = Activation::kIdentity;
  int num_params_ = 0;
  std::vector<int> w_offset_, b_offset_;
  Vector params_;
};

}  // namespace udeflow::nn
