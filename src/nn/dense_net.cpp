#include "udeflow/nn/dense_net.hpp"

#include <cmath>
#include <sstream>

#include "dense_kernels.hpp"
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
    case Activation::kTanh:
      return "tanh";
    case Activation::kRelu:
      return "relu";
    case Activation::kIdentity:
      return "identity";
    case Activation::kSoftplus:
      return "softplus";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "?";
}

const char* ActivationChoices() {
  return "tanh, relu, identity, softplus, sigmoid";
}

void FastTanh(Matrix& z) {
  z.array() = 1.0 - 2.0 / ((2.0 * z.array()).exp() + 1.0);
}

void ApplyActivation(Activation a, Matrix& z) {
  switch (a) {
    case Activation::kIdentity:
      break;
    case Activation::kTanh:
      FastTanh(z);
      break;
    case Activation::kRelu:
      z.array() = z.array().max(0.0);
      break;
    case Activation::kSoftplus:
      // log(1+e^z) computed stably: max(z,0) + log1p(e^{-|z|})
      z.array() = z.array().max(0.0) + (-z.array().abs()).exp().log1p();
      break;
    case Activation::kSigmoid:
      z.array() = 1.0 / (1.0 + (-z.array()).exp());
      break;
  }
}

void MultiplyActivationDerivative(Activation act, const Matrix& a, Matrix& d) {
  switch (act) {
    case Activation::kIdentity:
      break;
    case Activation::kTanh:
      d.array() *= 1.0 - a.array().square();
      break;
    case Activation::kRelu:
      d.array() *= (a.array() > 0.0).cast<double>();
      break;
    case Activation::kSoftplus:
      d.array() *= 1.0 - (-a.array()).exp();
      break;
    case Activation::kSigmoid:
      d.array() *= a.array() * (1.0 - a.array());
      break;
  }
}

DenseNet::Skip DenseNet::ParseSkip(const std::string& name) {
  if (name == "none") return Skip::kNone;
  if (name == "diagonal") return Skip::kDiagonal;
  if (name == "gated") return Skip::kGated;
  if (name == "gated_quadratic") return Skip::kGatedQuadratic;
  if (name == "quadratic") return Skip::kQuadratic;
  if (name == "full") return Skip::kFull;
  throw Error("unknown skip connection '" + name +
              "' (choices: none, diagonal, quadratic, gated, gated_quadratic, full)");
}

const char* DenseNet::SkipName(Skip s) {
  switch (s) {
    case Skip::kNone:
      return "none";
    case Skip::kDiagonal:
      return "diagonal";
    case Skip::kGated:
      return "gated";
    case Skip::kGatedQuadratic:
      return "gated_quadratic";
    case Skip::kQuadratic:
      return "quadratic";
    case Skip::kFull:
      return "full";
  }
  return "?";
}

DenseNet::DenseNet(std::vector<int> widths, Activation hidden, Activation output, Skip skip,
                   int skip_row)
    : widths_(std::move(widths)),
      hidden_(hidden),
      output_(output),
      skip_(skip),
      skip_row_(skip_row) {
  Require(widths_.size() >= 2, "MLP needs at least an input and an output width");
  for (int w : widths_) Require(w > 0, "MLP layer widths must be positive");
  const int L = NumLayers();
  for (int l = 0; l < L; ++l) {
    w_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1] * widths_[l];
    b_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1];
  }
  skip_offset_ = num_params_;
  Require(skip_ == Skip::kNone || output_ == Activation::kIdentity,
          "dense network: a skip connection needs the identity output activation");
  if (skip_ != Skip::kNone && skip_ != Skip::kFull)
    Require(skip_row_ >= 0 && skip_row_ + NumOutputs() <= NumInputs(),
            "dense network: skip rows out of range");
  if (GateDegree() > 0) Require(L >= 2, "dense network: a gated skip needs a hidden layer");
  switch (skip_) {
    case Skip::kNone:
      break;
    case Skip::kDiagonal:
      num_params_ += NumOutputs();
      break;
    case Skip::kQuadratic:
      num_params_ += 2 * NumOutputs();
      break;
    case Skip::kGated:
    case Skip::kGatedQuadratic:
      num_params_ += GateDegree() * NumOutputs() * (1 + widths_[L - 1]);
      break;
    case Skip::kFull:
      num_params_ += NumOutputs() * NumInputs();
      break;
  }
  SetFastKernels(true);
}

void DenseNet::SetFastKernels(bool on) {
  fast_ = on && skip_ == Skip::kNone && detail::FastPathSupports(widths_, hidden_, output_);
}

std::string DenseNet::Describe(bool with_output) const {
  std::ostringstream s;
  for (size_t i = 0; i < widths_.size(); ++i) s << (i ? "-" : "") << widths_[i];
  s << " " << ActivationName(hidden_);
  if (with_output) s << "/" << ActivationName(output_);
  if (skip_ != Skip::kNone) s << " + " << SkipName(skip_) << " linear skip";
  s << " (" << num_params_ << " parameters)";
  return s.str();
}

void DenseNet::Initialize(uint64_t seed, double scale, double* params) const {
  for (int l = 0; l < NumLayers(); ++l) {
    const int fan_in = widths_[l], fan_out = widths_[l + 1];
    const double limit = std::sqrt(6.0 / (fan_in + fan_out)) * scale;
    for (int k = 0; k < fan_in * fan_out; ++k) {
      const double u = Philox::Uniform(seed, static_cast<uint64_t>(w_offset_[l] + k), 0x4d4c50ULL);
      params[w_offset_[l] + k] = limit * (2.0 * u - 1.0);
    }
    Eigen::Map<Vector>(params + b_offset_[l], fan_out).setZero();
  }
  Eigen::Map<Vector>(params + skip_offset_, num_params_ - skip_offset_).setZero();
}

void DenseNet::Initialize(uint64_t seed, double scale, double output_scale, double* params) const {
  Initialize(seed, scale, params);
  const int L = NumLayers();
  Eigen::Map<Vector>(params + w_offset_[L - 1], widths_[L] * widths_[L - 1]) *= output_scale;
}

void DenseNet::Forward(const double* params, const ConstMatrixRef& x, Tape& tape) const {
  Require(x.rows() == NumInputs(), "MLP input has the wrong number of rows");
  const int L = NumLayers();
  tape.act.resize(L + 1);
  tape.act[0] = x;  // no reallocation when the size is unchanged
  if (fast_) {
    detail::FastForward({&widths_, &w_offset_, &b_offset_, hidden_, output_}, params, tape);
    return;
  }
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> b(params + b_offset_[l], widths_[l + 1]);
    Matrix& z = tape.act[l + 1];
    z.resize(widths_[l + 1], x.cols());
    z.noalias() = W * tape.act[l];
    z.colwise() += b;
    ApplyActivation(l + 1 == L ? output_ : hidden_, z);
  }
  Matrix& y = tape.act[L];
  const int m = NumOutputs();
  switch (skip_) {
    case Skip::kNone:
      break;
    case Skip::kFull:
      y.noalias() += Eigen::Map<const Matrix>(params + skip_offset_, m, NumInputs()) * tape.act[0];
      break;
    case Skip::kDiagonal:
      y.array() += SkipRows(tape).array().colwise() *
                   Eigen::Map<const Vector>(params + skip_offset_, m).array();
      break;
    case Skip::kQuadratic: {
      const auto xs = SkipRows(tape).array();
      y.array() +=
          xs.colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array() +
          xs.square().colwise() * Eigen::Map<const Vector>(params + skip_offset_ + m, m).array();
      break;
    }
    case Skip::kGated:
    case Skip::kGatedQuadratic:
      // gate_k = s_k + V_k h (h: last hidden layer); y += sum_k x_rows^k .* gate_k
      tape.gate.resize(GateDegree());
      for (int k = 0; k < GateDegree(); ++k) {
        Matrix& gate = tape.gate[k];
        gate.resize(m, x.cols());
        gate.noalias() = GateV(params, k) * tape.act[L - 1];
        gate.colwise() += GateS(params, k);
        if (k == 0)
          y.array() += SkipRows(tape).array() * gate.array();
        else
          y.array() += SkipRows(tape).array().square() * gate.array();
      }
      break;
  }
}

void DenseNet::Vjp(const double* params, Tape& tape, const ConstMatrixRef& ybar, double* grad,
                   Matrix* xbar, Accumulate mode) const {
  const int L = NumLayers();
  Require(static_cast<int>(tape.act.size()) == L + 1, "MLP Vjp called before Forward");
  Require(ybar.rows() == NumOutputs() && ybar.cols() == tape.act[0].cols(),
          "MLP Vjp: ybar has the wrong shape");
  const Eigen::Index n = ybar.cols();
  const bool assign =
      mode == Accumulate::kStaged;  // products formed in tape.grad, added at the end
  if (fast_) {  // always staged: the products are formed in tape.grad, then added
    if (grad) tape.grad.setZero(num_params_);
    detail::FastVjp({&widths_, &w_offset_, &b_offset_, hidden_, output_}, params, tape, ybar,
                    grad ? tape.grad.data() : nullptr, xbar);
    if (grad)
      for (int i = 0; i < num_params_; ++i) grad[i] += tape.grad[i];
    return;
  }
  if (grad && assign) tape.grad.resize(num_params_);
  double* g = grad && assign ? tape.grad.data() : grad;
  tape.gate_bar.resize(GateDegree());
  for (int k = 0; k < GateDegree(); ++k) {  // cotangents of the gates: ybar .* x^(k+1)
    if (k == 0)
      tape.gate_bar[k] = ybar.cwiseProduct(SkipRows(tape));
    else
      tape.gate_bar[k] = ybar.cwiseProduct(SkipRows(tape).cwiseAbs2());
  }
  // work[l]: cotangent of act[l], one buffer per layer so that nothing is reallocated
  // from one call to the next; the output layer's is ybar itself unless an output
  // activation multiplies it.
  tape.work.resize(L + 1);
  if (output_ != Activation::kIdentity) {
    tape.work[L] = ybar;
    MultiplyActivationDerivative(output_, tape.act[L], tape.work[L]);
  }
  for (int l = L - 1; l >= 0; --l) {
    const ConstMatrixRef d =
        (l == L - 1 && output_ == Activation::kIdentity) ? ybar : ConstMatrixRef(tape.work[l + 1]);
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    if (g) {
      Eigen::Map<Matrix> gW(g + w_offset_[l], widths_[l + 1], widths_[l]);
      Eigen::Map<Vector> gb(g + b_offset_[l], widths_[l + 1]);
      if (assign) {
        gW.noalias() = d * tape.act[l].transpose();
        gb.noalias() = d.rowwise().sum();
      } else {
        gW.noalias() += d * tape.act[l].transpose();
        gb.noalias() += d.rowwise().sum();
      }
    }
    if (l > 0) {
      Matrix& dn = tape.work[l];
      dn.resize(widths_[l], n);
      dn.noalias() = W.transpose() * d;
      if (l == L - 1)
        for (int k = 0; k < GateDegree(); ++k)
          dn.noalias() += GateV(params, k).transpose() * tape.gate_bar[k];
      MultiplyActivationDerivative(hidden_, tape.act[l], dn);
    } else if (xbar) {
      xbar->resize(widths_[0], n);
      xbar->noalias() = W.transpose() * d;
    }
  }
  if (skip_ != Skip::kNone) AddSkipGradient(params, tape, ybar, g, assign, xbar);
  if (g && assign)
    for (int i = 0; i < num_params_; ++i) grad[i] += tape.grad[i];
}

// The skip connection's part of Vjp: its parameter gradient (assigned or accumulated
// into g, if given) and its input cotangent (added to xbar, if given).
void DenseNet::AddSkipGradient(const double* params, Tape& tape, const ConstMatrixRef& ybar,
                               double* g, bool assign, Matrix* xbar) const {
  const int L = NumLayers();
  const int m = NumOutputs();
  auto put = [assign](auto&& dst, const auto& value) {
    if (assign)
      dst = value;
    else
      dst += value;
  };
  switch (skip_) {
    case Skip::kNone:
      break;
    case Skip::kFull:
      if (g) {
        Eigen::Map<Matrix> gS(g + skip_offset_, m, NumInputs());
        if (assign)
          gS.noalias() = ybar * tape.act[0].transpose();
        else
          gS.noalias() += ybar * tape.act[0].transpose();
      }
      if (xbar)
        xbar->noalias() +=
            Eigen::Map<const Matrix>(params + skip_offset_, m, NumInputs()).transpose() * ybar;
      break;
    case Skip::kDiagonal:
      if (g)
        put(Eigen::Map<Vector>(g + skip_offset_, m),
            ybar.cwiseProduct(SkipRows(tape)).rowwise().sum());
      if (xbar)
        xbar->middleRows(skip_row_, m).array() +=
            ybar.array().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array();
      break;
    case Skip::kQuadratic: {
      const auto xs = SkipRows(tape);
      if (g) {
        put(Eigen::Map<Vector>(g + skip_offset_, m), ybar.cwiseProduct(xs).rowwise().sum());
        put(Eigen::Map<Vector>(g + skip_offset_ + m, m),
            ybar.cwiseProduct(xs.cwiseAbs2()).rowwise().sum());
      }
      if (xbar) {  // d/dx (s x + c x^2) = s + 2 c x
        auto xb = xbar->middleRows(skip_row_, m).array();
        xb += ybar.array().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array();
        xb += (2.0 * ybar.array() * xs.array()).colwise() *
              Eigen::Map<const Vector>(params + skip_offset_ + m, m).array();
      }
      break;
    }
    case Skip::kGated:
    case Skip::kGatedQuadratic:
      if (g)
        for (int k = 0; k < GateDegree(); ++k) {
          put(GateS(g, k), tape.gate_bar[k].rowwise().sum());
          if (assign)
            GateV(g, k).noalias() = tape.gate_bar[k] * tape.act[L - 1].transpose();
          else
            GateV(g, k).noalias() += tape.gate_bar[k] * tape.act[L - 1].transpose();
        }
      if (xbar) {  // d/dx (x gate_0 + x^2 gate_1) = gate_0 + 2 x gate_1
        auto xb = xbar->middleRows(skip_row_, m).array();
        xb += ybar.array() * tape.gate[0].array();
        if (GateDegree() > 1)
          xb += 2.0 * ybar.array() * SkipRows(tape).array() * tape.gate[1].array();
      }
      break;
  }
}

void DenseNet::Jvp(const double* params, Tape& tape, const ConstMatrixRef& xdot,
                   Matrix* ydot) const {
  const int L = NumLayers();
  const int m = NumOutputs();
  Require(static_cast<int>(tape.act.size()) == L + 1, "MLP Jvp called before Forward");
  Require(xdot.rows() == NumInputs() && xdot.cols() == tape.act[0].cols(),
          "MLP Jvp: xdot has the wrong shape");
  tape.work.resize(L + 1);
  tape.work[0] = xdot;
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Matrix& t = tape.work[l + 1];
    t.resize(widths_[l + 1], xdot.cols());
    t.noalias() = W * tape.work[l];
    MultiplyActivationDerivative(l + 1 == L ? output_ : hidden_, tape.act[l + 1], t);
  }
  Matrix& t = tape.work[L];
  const auto xs = [&] { return SkipRows(tape).array(); };
  const auto xsdot = [&] { return xdot.middleRows(skip_row_, m).array(); };
  switch (skip_) {
    case Skip::kNone:
      break;
    case Skip::kFull:
      t.noalias() += Eigen::Map<const Matrix>(params + skip_offset_, m, NumInputs()) * xdot;
      break;
    case Skip::kDiagonal:
      t.array() += xsdot().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array();
      break;
    case Skip::kQuadratic:
      t.array() += xsdot().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array() +
                   (2.0 * xs() * xsdot()).colwise() *
                       Eigen::Map<const Vector>(params + skip_offset_ + m, m).array();
      break;
    case Skip::kGated:
    case Skip::kGatedQuadratic:
      // d(x^(k+1) gate_k) = (k+1) x^k xdot gate_k + x^(k+1) V_k hdot, hdot = work[L-1]
      tape.gate_bar.resize(GateDegree());
      for (int k = 0; k < GateDegree(); ++k) {
        Matrix& vh = tape.gate_bar[k];
        vh.resize(m, xdot.cols());
        vh.noalias() = GateV(params, k) * tape.work[L - 1];
        if (k == 0)
          t.array() += xsdot() * tape.gate[0].array() + xs() * vh.array();
        else
          t.array() += 2.0 * xs() * xsdot() * tape.gate[1].array() + xs().square() * vh.array();
      }
      break;
  }
  *ydot = t;
}

void DenseNet::ParamJvp(const double* params, Tape& tape, const double* thetadot,
                        Matrix* ydot) const {
  const int L = NumLayers();
  const int m = NumOutputs();
  Require(static_cast<int>(tape.act.size()) == L + 1, "MLP ParamJvp called before Forward");
  const Eigen::Index n = tape.act[0].cols();
  // work[l + 1]: tangent of act[l + 1] (the input does not depend on theta)
  tape.work.resize(L + 1);
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Matrix> dW(thetadot + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> db(thetadot + b_offset_[l], widths_[l + 1]);
    Matrix& t = tape.work[l + 1];
    t.resize(widths_[l + 1], n);
    if (l > 0) {
      t.noalias() = W * tape.work[l];
      t.noalias() += dW * tape.act[l];
    } else {
      t.noalias() = dW * tape.act[l];
    }
    t.colwise() += db;
    if (l + 1 == L && GateDegree() > 0) {
      // gate_k dot = ds_k + dV_k h + V_k hdot, with hdot the tangent of the last hidden layer
      tape.gate_bar.resize(GateDegree());
      for (int k = 0; k < GateDegree(); ++k) {
        Matrix& gdot = tape.gate_bar[k];
        gdot.resize(m, n);
        gdot.noalias() = GateV(thetadot, k) * tape.act[L - 1];
        gdot.noalias() += GateV(params, k) * tape.work[L - 1];
        gdot.colwise() += GateS(thetadot, k);
        if (k == 0)
          t.array() += SkipRows(tape).array() * gdot.array();
        else
          t.array() += SkipRows(tape).array().square() * gdot.array();
      }
    }
    MultiplyActivationDerivative(l + 1 == L ? output_ : hidden_, tape.act[l + 1], t);
  }
  Matrix& t = tape.work[L];
  if (skip_ == Skip::kFull) {
    t.noalias() += Eigen::Map<const Matrix>(thetadot + skip_offset_, m, NumInputs()) * tape.act[0];
  } else if (skip_ == Skip::kDiagonal) {
    t.array() += SkipRows(tape).array().colwise() *
                 Eigen::Map<const Vector>(thetadot + skip_offset_, m).array();
  } else if (skip_ == Skip::kQuadratic) {
    const auto xs = SkipRows(tape).array();
    t.array() +=
        xs.colwise() * Eigen::Map<const Vector>(thetadot + skip_offset_, m).array() +
        xs.square().colwise() * Eigen::Map<const Vector>(thetadot + skip_offset_ + m, m).array();
  }
  *ydot = t;
}

double DenseNet::FlopsPerPoint() const {
  double f = 0;
  const int L = NumLayers();
  for (int l = 0; l < L; ++l) f += 2.0 * widths_[l] * widths_[l + 1] + widths_[l + 1];
  switch (skip_) {
    case Skip::kNone:
      break;
    case Skip::kDiagonal:
      f += 2.0 * NumOutputs();
      break;
    case Skip::kQuadratic:
      f += 5.0 * NumOutputs();
      break;
    case Skip::kGated:
    case Skip::kGatedQuadratic:
      f += GateDegree() * (2.0 * NumOutputs() * widths_[L - 1] + 4.0 * NumOutputs());
      break;
    case Skip::kFull:
      f += 2.0 * NumInputs() * NumOutputs();
      break;
  }
  return f;
}

}  // namespace udeflow::nn
