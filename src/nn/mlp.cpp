#include "udeflow/nn/mlp.hpp"

#include <cmath>
#include <sstream>

#include "udeflow/core/error.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::nn {

Activation ParseActivation(const std::string& name) {
  if (name == "tanh") return Activation::kTanh;
  if (name == "relu") return Activation::kRelu;
  if (name == "identity" || name == "linear") return Activation::kIdentity;
  if (name == "softplus") return Activation::kSoftplus;
  if (name == "sigmoid") return Activation::kSigmoid;
  throw Error("unknown activation '" + name + "' (choices: " + ActivationChoices() + ")");
}

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kTanh: return "tanh";
    case Activation::kRelu: return "relu";
    case Activation::kIdentity: return "identity";
    case Activation::kSoftplus: return "softplus";
    case Activation::kSigmoid: return "sigmoid";
  }
  return "?";
}

const char* ActivationChoices() { return "tanh, relu, identity, softplus, sigmoid"; }

void ApplyActivation(Activation a, Matrix& z) {
  switch (a) {
    case Activation::kIdentity: break;
    // tanh(z) = 1 - 2 / (exp(2z) + 1): Eigen vectorizes exp for doubles but not tanh.
    // Absolute error ~1e-16 everywhere; saturates correctly for large |z|.
    case Activation::kTanh: z.array() = 1.0 - 2.0 / ((2.0 * z.array()).exp() + 1.0); break;
    case Activation::kRelu: z.array() = z.array().max(0.0); break;
    case Activation::kSoftplus:
      // log(1+e^z) computed stably: max(z,0) + log1p(e^{-|z|})
      z.array() = z.array().max(0.0) + (-z.array().abs()).exp().log1p();
      break;
    case Activation::kSigmoid: z.array() = 1.0 / (1.0 + (-z.array()).exp()); break;
  }
}

void MultiplyActivationDerivative(Activation act, const Matrix& a, Matrix& d) {
  switch (act) {
    case Activation::kIdentity: break;
    case Activation::kTanh: d.array() *= 1.0 - a.array().square(); break;
    case Activation::kRelu: d.array() *= (a.array() > 0.0).cast<double>(); break;
    case Activation::kSoftplus: d.array() *= 1.0 - (-a.array()).exp(); break;
    case Activation::kSigmoid: d.array() *= a.array() * (1.0 - a.array()); break;
  }
}

namespace {
inline void Apply(Activation a, Matrix& z) { ApplyActivation(a, z); }
inline void MultiplyDerivative(Activation a, const Matrix& act, Matrix& d) { MultiplyActivationDerivative(a, act, d); }
}  // namespace

Mlp::Mlp(std::vector<int> widths, Activation hidden, Activation output)
    : widths_(std::move(widths)), hidden_(hidden), output_(output) {
  Require(widths_.size() >= 2, "MLP needs at least an input and an output width");
  for (int w : widths_) Require(w > 0, "MLP layer widths must be positive");
  num_params_ = 0;
  for (int l = 0; l < NumLayers(); ++l) {
    w_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1] * widths_[l];
    b_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1];
  }
  params_ = Vector::Zero(num_params_);
}

std::string Mlp::Describe() const {
  std::ostringstream s;
  for (size_t i = 0; i < widths_.size(); ++i) s << (i ? "-" : "") << widths_[i];
  s << " " << ActivationName(hidden_) << "/" << ActivationName(output_) << " (" << num_params_ << " parameters)";
  return s.str();
}

void Mlp::SetParams(const Eigen::Ref<const Vector>& p) {
  Require(p.size() == num_params_, "MLP parameter vector has the wrong length");
  params_ = p;
}

void Mlp::Initialize(uint64_t seed, double scale) {
  for (int l = 0; l < NumLayers(); ++l) {
    const int fan_in = widths_[l], fan_out = widths_[l + 1];
    const double limit = std::sqrt(6.0 / (fan_in + fan_out)) * scale;
    for (int k = 0; k < fan_in * fan_out; ++k) {
      const double u = Philox::Uniform(seed, static_cast<uint64_t>(w_offset_[l] + k), 0x4d4c50ULL);
      params_[w_offset_[l] + k] = limit * (2.0 * u - 1.0);
    }
    params_.segment(b_offset_[l], fan_out).setZero();
  }
}

void Mlp::Forward(const ConstMatrixRef& x, Tape& tape) const {
  Require(x.rows() == NumInputs(), "MLP input has the wrong number of rows");
  const Eigen::Index n = x.cols();
  tape.act.resize(widths_.size());
  tape.act[0] = x;  // no reallocation when the size is unchanged
  for (int l = 0; l < NumLayers(); ++l) {
    Eigen::Map<const Matrix> W(params_.data() + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> b(params_.data() + b_offset_[l], widths_[l + 1]);
    Matrix& z = tape.act[l + 1];
    z.resize(widths_[l + 1], n);
    z.noalias() = W * tape.act[l];
    z.colwise() += b;
    Apply(l + 1 == NumLayers() ? output_ : hidden_, z);
  }
}

void Mlp::Vjp(Tape& tape, const ConstMatrixRef& ybar, Matrix* xbar, double* gparams) const {
  const int L = NumLayers();
  Require(static_cast<int>(tape.act.size()) == L + 1, "MLP Vjp called before Forward");
  Require(ybar.rows() == NumOutputs() && ybar.cols() == tape.act[0].cols(), "MLP Vjp: ybar has the wrong shape");
  const Eigen::Index n = ybar.cols();
  tape.work.resize(L + 1);
  Matrix& top = tape.work[L];
  top = ybar;
  MultiplyDerivative(output_, tape.act[L], top);
  if (gparams) tape.grad.resize(num_params_);
  for (int l = L - 1; l >= 0; --l) {
    Eigen::Map<const Matrix> W(params_.data() + w_offset_[l], widths_[l + 1], widths_[l]);
    const Matrix& d = tape.work[l + 1];
    if (gparams) {
      Eigen::Map<Matrix> gW(tape.grad.data() + w_offset_[l], widths_[l + 1], widths_[l]);
      Eigen::Map<Vector> gb(tape.grad.data() + b_offset_[l], widths_[l + 1]);
      gW.noalias() = d * tape.act[l].transpose();
      gb.noalias() = d.rowwise().sum();
    }
    if (l > 0) {
      Matrix& dn = tape.work[l];
      dn.resize(widths_[l], n);
      dn.noalias() = W.transpose() * d;
      MultiplyDerivative(hidden_, tape.act[l], dn);
    } else if (xbar) {
      xbar->resize(widths_[0], n);
      xbar->noalias() = W.transpose() * d;
    }
  }
  if (gparams)
    for (int i = 0; i < num_params_; ++i) gparams[i] += tape.grad[i];
}

void Mlp::Jvp(Tape& tape, const ConstMatrixRef& xdot, Matrix* ydot) const {
  const int L = NumLayers();
  Require(static_cast<int>(tape.act.size()) == L + 1, "MLP Jvp called before Forward");
  Require(xdot.rows() == NumInputs() && xdot.cols() == tape.act[0].cols(), "MLP Jvp: xdot has the wrong shape");
  tape.work.resize(L + 1);
  tape.work[0] = xdot;
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params_.data() + w_offset_[l], widths_[l + 1], widths_[l]);
    Matrix& t = tape.work[l + 1];
    t.resize(widths_[l + 1], xdot.cols());
    t.noalias() = W * tape.work[l];
    MultiplyDerivative(l + 1 == L ? output_ : hidden_, tape.act[l + 1], t);
  }
  *ydot = tape.work[L];
}

void Mlp::ParamJvp(Tape& tape, const Eigen::Ref<const Vector>& thetadot, Matrix* ydot) const {
  const int L = NumLayers();
  Require(thetadot.size() == num_params_, "MLP ParamJvp: direction has the wrong length");
  tape.work.resize(L + 1);
  tape.work[0].setZero(widths_[0], tape.act[0].cols());
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params_.data() + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Matrix> dW(thetadot.data() + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> db(thetadot.data() + b_offset_[l], widths_[l + 1]);
    Matrix& t = tape.work[l + 1];
    t.resize(widths_[l + 1], tape.act[0].cols());
    t.noalias() = W * tape.work[l];
    t.noalias() += dW * tape.act[l];
    t.colwise() += db;
    MultiplyDerivative(l + 1 == L ? output_ : hidden_, tape.act[l + 1], t);
  }
  *ydot = tape.work[L];
}

double Mlp::FlopsPerPoint() const {
  double f = 0;
  for (int l = 0; l < NumLayers(); ++l) f += 2.0 * widths_[l] * widths_[l + 1] + widths_[l + 1];
  return f;
}

}  // namespace udeflow::nn
