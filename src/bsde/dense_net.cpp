#include "udeflow/bsde/dense_net.hpp"

#include <sstream>

#include "udeflow/core/error.hpp"
#include "check.hpp"

namespace udeflow::bsde {

void FastTanh(Matrix& z) { z.array() = 1.0 - 2.0 / ((2.0 * z.array()).exp() + 1.0); }

namespace {

using nn::Activation;

void Apply(Activation a, Matrix& z) {
  switch (a) {
    case Activation::kIdentity: break;
    case Activation::kTanh: FastTanh(z); break;
    case Activation::kRelu: z.array() = z.array().max(0.0); break;
    case Activation::kSoftplus: z.array() = z.array().max(0.0) + (-z.array().abs()).exp().log1p(); break;
    case Activation::kSigmoid: z.array() = 1.0 / (1.0 + (-z.array()).exp()); break;
  }
}

// d *= act'(z), written with the activation output a = act(z).
void MultiplyDerivative(Activation act, const Matrix& a, Matrix& d) {
  switch (act) {
    case Activation::kIdentity: break;
    case Activation::kTanh: d.array() *= 1.0 - a.array().square(); break;
    case Activation::kRelu: d.array() *= (a.array() > 0.0).cast<double>(); break;
    case Activation::kSoftplus: d.array() *= 1.0 - (-a.array()).exp(); break;
    case Activation::kSigmoid: d.array() *= a.array() * (1.0 - a.array()); break;
  }
}

}  // namespace

DenseNet::Skip DenseNet::ParseSkip(const std::string& name) {
  if (name == "none") return Skip::kNone;
  if (name == "diagonal") return Skip::kDiagonal;
  if (name == "gated") return Skip::kGated;
  if (name == "gated_quadratic") return Skip::kGatedQuadratic;
  if (name == "quadratic") return Skip::kQuadratic;
  if (name == "full") return Skip::kFull;
  throw Error("unknown skip connection '" + name + "' (choices: none, diagonal, quadratic, gated, gated_quadratic, full)");
}

const char* DenseNet::SkipName(Skip s) {
  switch (s) {
    case Skip::kNone: return "none";
    case Skip::kDiagonal: return "diagonal";
    case Skip::kGated: return "gated";
    case Skip::kGatedQuadratic: return "gated_quadratic";
    case Skip::kQuadratic: return "quadratic";
    case Skip::kFull: return "full";
  }
  return "?";
}

DenseNet::DenseNet(std::vector<int> widths, nn::Activation hidden, Skip skip, int skip_row)
    : widths_(std::move(widths)), hidden_(hidden), skip_(skip), skip_row_(skip_row) {
  Check(widths_.size() >= 2, "DenseNet needs at least an input and an output width");
  for (int w : widths_) Check(w > 0, "DenseNet layer widths must be positive");
  const int L = NumLayers();
  for (int l = 0; l < L; ++l) {
    w_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1] * widths_[l];
    b_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1];
  }
  skip_offset_ = num_params_;
  if (skip_ != Skip::kNone && skip_ != Skip::kFull)
    Check(skip_row_ >= 0 && skip_row_ + NumOutputs() <= NumInputs(), "DenseNet: skip rows out of range");
  if (GateDegree() > 0) Check(L >= 2, "DenseNet: a gated skip needs a hidden layer");
  switch (skip_) {
    case Skip::kNone: break;
    case Skip::kDiagonal: num_params_ += NumOutputs(); break;
    case Skip::kQuadratic: num_params_ += 2 * NumOutputs(); break;
    case Skip::kGated:
    case Skip::kGatedQuadratic: num_params_ += GateDegree() * NumOutputs() * (1 + widths_[L - 1]); break;
    case Skip::kFull: num_params_ += NumOutputs() * NumInputs(); break;
  }
}

std::string DenseNet::Describe() const {
  std::ostringstream s;
  for (size_t i = 0; i < widths_.size(); ++i) s << (i ? "-" : "") << widths_[i];
  s << " " << nn::ActivationName(hidden_);
  if (skip_ != Skip::kNone) s << " + " << SkipName(skip_) << " linear skip";
  s << " (" << num_params_ << " parameters)";
  return s.str();
}

void DenseNet::Initialize(uint64_t seed, double scale, double output_scale, double* params) const {
  nn::Mlp mlp(widths_, hidden_);
  mlp.Initialize(seed, scale);
  Eigen::Map<Vector> p(params, num_params_);
  p.head(mlp.NumParams()) = mlp.Params();
  const int L = NumLayers();
  p.segment(w_offset_[L - 1], widths_[L] * widths_[L - 1]) *= output_scale;
  p.tail(num_params_ - skip_offset_).setZero();
}

void DenseNet::Forward(const double* params, const ConstMatrixRef& x, Tape& tape) const {
  Check(x.rows() == NumInputs(), "DenseNet: input has the wrong number of rows");
  const int L = NumLayers();
  tape.act.resize(L + 1);
  tape.act[0] = x;
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> b(params + b_offset_[l], widths_[l + 1]);
    Matrix& z = tape.act[l + 1];
    z.resize(widths_[l + 1], x.cols());
    z.noalias() = W * tape.act[l];
    z.colwise() += b;
    if (l + 1 < L) Apply(hidden_, z);
  }
  Matrix& y = tape.act[L];
  const int m = NumOutputs();
  switch (skip_) {
    case Skip::kNone: break;
    case Skip::kFull: y.noalias() += Eigen::Map<const Matrix>(params + skip_offset_, m, NumInputs()) * tape.act[0]; break;
    case Skip::kDiagonal:
      y.array() += SkipRows(tape).array().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array();
      break;
    case Skip::kQuadratic: {
      const auto xs = SkipRows(tape).array();
      y.array() += xs.colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array() +
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
        if (k == 0) y.array() += SkipRows(tape).array() * gate.array();
        else y.array() += SkipRows(tape).array().square() * gate.array();
      }
      break;
  }
}

void DenseNet::Vjp(const double* params, Tape& tape, const ConstMatrixRef& ybar, double* grad, Matrix* xbar) const {
  const int L = NumLayers();
  const int m = NumOutputs();
  Check(static_cast<int>(tape.act.size()) == L + 1 && ybar.rows() == m && ybar.cols() == tape.act[0].cols(),
          "DenseNet: Vjp before Forward or ybar of the wrong shape");
  tape.gate_bar.resize(GateDegree());
  for (int k = 0; k < GateDegree(); ++k) {  // cotangents of the gates: ybar .* x^(k+1)
    if (k == 0) tape.gate_bar[k] = ybar.cwiseProduct(SkipRows(tape));
    else tape.gate_bar[k] = ybar.cwiseProduct(SkipRows(tape).cwiseAbs2());
  }
  // dact[l]: cotangent of act[l] (l = 1..L-1), one buffer per layer so that nothing is
  // reallocated from one call to the next.
  tape.dact.resize(L);
  for (int l = L - 1; l >= 0; --l) {
    const ConstMatrixRef d = (l == L - 1) ? ybar : ConstMatrixRef(tape.dact[l + 1]);
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<Matrix> gW(grad + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<Vector> gb(grad + b_offset_[l], widths_[l + 1]);
    gW.noalias() += d * tape.act[l].transpose();
    gb.noalias() += d.rowwise().sum();
    if (l > 0) {
      Matrix& dn = tape.dact[l];
      dn.resize(widths_[l], d.cols());
      dn.noalias() = W.transpose() * d;
      if (l == L - 1)
        for (int k = 0; k < GateDegree(); ++k) dn.noalias() += GateV(params, k).transpose() * tape.gate_bar[k];
      MultiplyDerivative(hidden_, tape.act[l], dn);
    } else if (xbar) {
      xbar->resize(widths_[0], d.cols());
      xbar->noalias() = W.transpose() * d;
    }
  }
  switch (skip_) {
    case Skip::kNone: break;
    case Skip::kFull:
      Eigen::Map<Matrix>(grad + skip_offset_, m, NumInputs()).noalias() += ybar * tape.act[0].transpose();
      if (xbar) xbar->noalias() += Eigen::Map<const Matrix>(params + skip_offset_, m, NumInputs()).transpose() * ybar;
      break;
    case Skip::kDiagonal:
      Eigen::Map<Vector>(grad + skip_offset_, m) += ybar.cwiseProduct(SkipRows(tape)).rowwise().sum();
      if (xbar)
        xbar->middleRows(skip_row_, m).array() +=
            ybar.array().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array();
      break;
    case Skip::kQuadratic: {
      const auto xs = SkipRows(tape);
      Eigen::Map<Vector>(grad + skip_offset_, m) += ybar.cwiseProduct(xs).rowwise().sum();
      Eigen::Map<Vector>(grad + skip_offset_ + m, m) += ybar.cwiseProduct(xs.cwiseAbs2()).rowwise().sum();
      if (xbar) {  // d/dx (s x + c x^2) = s + 2 c x
        auto xb = xbar->middleRows(skip_row_, m).array();
        xb += ybar.array().colwise() * Eigen::Map<const Vector>(params + skip_offset_, m).array();
        xb += (2.0 * ybar.array() * xs.array()).colwise() * Eigen::Map<const Vector>(params + skip_offset_ + m, m).array();
      }
      break;
    }
    case Skip::kGated:
    case Skip::kGatedQuadratic:
      for (int k = 0; k < GateDegree(); ++k) {
        GateS(grad, k) += tape.gate_bar[k].rowwise().sum();
        GateV(grad, k).noalias() += tape.gate_bar[k] * tape.act[L - 1].transpose();
      }
      if (xbar) {  // d/dx (x gate_0 + x^2 gate_1) = gate_0 + 2 x gate_1
        auto xb = xbar->middleRows(skip_row_, m).array();
        xb += ybar.array() * tape.gate[0].array();
        if (GateDegree() > 1) xb += 2.0 * ybar.array() * SkipRows(tape).array() * tape.gate[1].array();
      }
      break;
  }
}

void DenseNet::ParamJvp(const double* params, Tape& tape, const double* thetadot, Matrix* ydot) const {
  const int L = NumLayers();
  const int m = NumOutputs();
  Check(static_cast<int>(tape.act.size()) == L + 1, "DenseNet: ParamJvp before Forward");
  // dact[l + 1]: tangent of act[l + 1]
  tape.dact.resize(L + 1);
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Matrix> dW(thetadot + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> db(thetadot + b_offset_[l], widths_[l + 1]);
    const Matrix& t = tape.dact[l];
    Matrix& tn = tape.dact[l + 1];
    tn.resize(widths_[l + 1], tape.act[0].cols());
    tn.noalias() = dW * tape.act[l];
    if (l > 0) tn.noalias() += W * t;  // the input does not depend on theta
    tn.colwise() += db;
    if (l + 1 < L) {
      MultiplyDerivative(hidden_, tape.act[l + 1], tn);
    } else if (GateDegree() > 0) {
      // gate_k dot = ds_k + dV_k h + V_k hdot, with hdot = t (tangent of the last hidden layer)
      tape.gate_bar.resize(GateDegree());
      for (int k = 0; k < GateDegree(); ++k) {
        Matrix& gdot = tape.gate_bar[k];
        gdot.resize(m, t.cols());
        gdot.noalias() = GateV(thetadot, k) * tape.act[L - 1];
        gdot.noalias() += GateV(params, k) * t;
        gdot.colwise() += GateS(thetadot, k);
        if (k == 0) tn.array() += SkipRows(tape).array() * gdot.array();
        else tn.array() += SkipRows(tape).array().square() * gdot.array();
      }
    }
  }
  Matrix& t = tape.dact[L];
  if (skip_ == Skip::kFull) {
    t.noalias() += Eigen::Map<const Matrix>(thetadot + skip_offset_, m, NumInputs()) * tape.act[0];
  } else if (skip_ == Skip::kDiagonal) {
    t.array() += SkipRows(tape).array().colwise() * Eigen::Map<const Vector>(thetadot + skip_offset_, m).array();
  } else if (skip_ == Skip::kQuadratic) {
    const auto xs = SkipRows(tape).array();
    t.array() += xs.colwise() * Eigen::Map<const Vector>(thetadot + skip_offset_, m).array() +
                 xs.square().colwise() * Eigen::Map<const Vector>(thetadot + skip_offset_ + m, m).array();
  }
  *ydot = t;
}

double DenseNet::FlopsPerPoint() const {
  double f = 0;
  const int L = NumLayers();
  for (int l = 0; l < L; ++l) f += 2.0 * widths_[l] * widths_[l + 1] + widths_[l + 1];
  switch (skip_) {
    case Skip::kNone: break;
    case Skip::kDiagonal: f += 2.0 * NumOutputs(); break;
    case Skip::kQuadratic: f += 5.0 * NumOutputs(); break;
    case Skip::kGated:
    case Skip::kGatedQuadratic: f += GateDegree() * (2.0 * NumOutputs() * widths_[L - 1] + 4.0 * NumOutputs()); break;
    case Skip::kFull: f += 2.0 * NumInputs() * NumOutputs(); break;
  }
  return f;
}

}  // namespace udeflow::bsde
