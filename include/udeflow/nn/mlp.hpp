#pragma once
/// \file mlp.hpp
/// A multilayer perceptron that owns its parameters: a DenseNet (dense_net.hpp, the one
/// implementation of the math) plus one Eigen vector.  A convenience for tests, tools and
/// initialisation; the closures and the BSDE networks use DenseNet on parameters owned
/// elsewhere.
#include <cstdint>
#include <string>
#include <vector>

#include "udeflow/nn/dense_net.hpp"

namespace udeflow::nn {

class Mlp {
 public:
  using Tape = DenseNet::Tape;

  Mlp() = default;
  /// widths = {n_in, hidden..., n_out}, at least two entries, all positive.
  Mlp(std::vector<int> widths, Activation hidden, Activation output = Activation::kIdentity)
      : net_(std::move(widths), hidden, output), params_(Vector::Zero(net_.NumParams())) {}

  int NumInputs() const { return net_.NumInputs(); }
  int NumOutputs() const { return net_.NumOutputs(); }
  int NumLayers() const { return net_.NumLayers(); }
  int NumParams() const { return net_.NumParams(); }
  const std::vector<int>& Widths() const { return net_.Widths(); }
  Activation Hidden() const { return net_.Hidden(); }
  Activation Output() const { return net_.Output(); }
  std::string Describe() const {
    return net_.Describe(true);
  }  ///< e.g. "5-32-32-1 tanh/identity (1281 parameters)"
  const DenseNet& Net() const { return net_; }

  Vector& Params() { return params_; }
  const Vector& Params() const { return params_; }
  void SetParams(const Eigen::Ref<const Vector>& p);

  /// Glorot-uniform weights times `scale`, zero biases; deterministic in `seed`.
  void Initialize(uint64_t seed, double scale = 1.0) {
    net_.Initialize(seed, scale, params_.data());
  }

  /// y = NN(x) for every column of x; the output is tape.Output().
  void Forward(const ConstMatrixRef& x, Tape& tape) const { net_.Forward(params_.data(), x, tape); }
  /// xbar = (dy/dx)^T ybar (if xbar != nullptr) and gparams += (dy/dtheta)^T ybar summed
  /// over the batch (if gparams != nullptr; staged: the bits do not depend on where
  /// gparams sits in memory, DenseNet::Accumulate::kStaged).
  void Vjp(Tape& tape, const ConstMatrixRef& ybar, Matrix* xbar, double* gparams) const {
    net_.Vjp(params_.data(), tape, ybar, gparams, xbar, DenseNet::Accumulate::kStaged);
  }
  /// Jacobian-vector product ydot = (dy/dx) xdot at the recorded point.
  void Jvp(Tape& tape, const ConstMatrixRef& xdot, Matrix* ydot) const {
    net_.Jvp(params_.data(), tape, xdot, ydot);
  }
  /// Parameter-direction JVP: ydot = (dy/dtheta) thetadot at the recorded point.
  void ParamJvp(Tape& tape, const Eigen::Ref<const Vector>& thetadot, Matrix* ydot) const;

  /// Floating point operations of one forward evaluation of one point.
  double FlopsPerPoint() const { return net_.FlopsPerPoint(); }

 private:
  DenseNet net_;
  Vector params_;
};

}  // namespace udeflow::nn
