#include "udeflow/bsde/dense_net.hpp"

#include <sstream>

#include "udeflow/core/error.hpp"

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
  if (name == "full") return Skip::kFull;
  throw Error("unknown skip connection '" + name + "' (choices: none, diagonal, full)");
}

const char* DenseNet::SkipName(Skip s) {
  return s == Skip::kNone ? "none" : (s == Skip::kDiagonal ? "diagonal" : "full");
}

DenseNet::DenseNet(std::vector<int> widths, nn::Activation hidden, Skip skip, int skip_row)
    : widths_(std::move(widths)), hidden_(hidden), skip_(skip), skip_row_(skip_row) {
  Require(widths_.size() >= 2, "DenseNet needs at least an input and an output width");
  for (int w : widths_) Require(w > 0, "DenseNet layer widths must be positive");
  for (size_t l = 0; l + 1 < widths_.size(); ++l) {
    w_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1] * widths_[l];
    b_offset_.push_back(num_params_);
    num_params_ += widths_[l + 1];
  }
  skip_offset_ = num_params_;
  if (skip_ == Skip::kFull) num_params_ += NumOutputs() * NumInputs();
  if (skip_ == Skip::kDiagonal) {
    Require(skip_row_ >= 0 && skip_row_ + NumOutputs() <= NumInputs(), "DenseNet: diagonal skip rows out of range");
    num_params_ += NumOutputs();
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
  const int L = static_cast<int>(widths_.size()) - 1;
  p.segment(w_offset_[L - 1], widths_[L] * widths_[L - 1]) *= output_scale;
  p.tail(num_params_ - skip_offset_).setZero();
}

void DenseNet::Forward(const double* params, const ConstMatrixRef& x, Tape& tape) const {
  Require(x.rows() == NumInputs(), "DenseNet: input has the wrong number of rows");
  const int L = static_cast<int>(widths_.size()) - 1;
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
  if (skip_ == Skip::kFull) {
    Eigen::Map<const Matrix> S(params + skip_offset_, NumOutputs(), NumInputs());
    tape.act[L].noalias() += S * tape.act[0];
  } else if (skip_ == Skip::kDiagonal) {
    Eigen::Map<const Vector> s(params + skip_offset_, NumOutputs());
    tape.act[L].array() += tape.act[0].middleRows(skip_row_, NumOutputs()).array().colwise() * s.array();
  }
}

void DenseNet::Vjp(const double* params, Tape& tape, const ConstMatrixRef& ybar, double* grad, Matrix* xbar) const {
  const int L = static_cast<int>(widths_.size()) - 1;
  Require(static_cast<int>(tape.act.size()) == L + 1 && ybar.rows() == NumOutputs() &&
              ybar.cols() == tape.act[0].cols(),
          "DenseNet: Vjp before Forward or ybar of the wrong shape");
  Matrix& d = tape.delta;
  Matrix& dn = tape.delta_next;
  d = ybar;
  for (int l = L - 1; l >= 0; --l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<Matrix> gW(grad + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<Vector> gb(grad + b_offset_[l], widths_[l + 1]);
    gW.noalias() += d * tape.act[l].transpose();
    gb.noalias() += d.rowwise().sum();
    if (l > 0) {
      dn.resize(widths_[l], d.cols());
      dn.noalias() = W.transpose() * d;
      MultiplyDerivative(hidden_, tape.act[l], dn);
      d.swap(dn);
    } else if (xbar) {
      xbar->resize(widths_[0], d.cols());
      xbar->noalias() = W.transpose() * d;
    }
  }
  if (skip_ == Skip::kFull) {
    Eigen::Map<Matrix> gS(grad + skip_offset_, NumOutputs(), NumInputs());
    gS.noalias() += ybar * tape.act[0].transpose();
    if (xbar) {
      Eigen::Map<const Matrix> S(params + skip_offset_, NumOutputs(), NumInputs());
      xbar->noalias() += S.transpose() * ybar;
    }
  } else if (skip_ == Skip::kDiagonal) {
    const auto xs = tape.act[0].middleRows(skip_row_, NumOutputs());
    Eigen::Map<Vector>(grad + skip_offset_, NumOutputs()) += ybar.cwiseProduct(xs).rowwise().sum();
    if (xbar) {
      Eigen::Map<const Vector> s(params + skip_offset_, NumOutputs());
      xbar->middleRows(skip_row_, NumOutputs()).array() += ybar.array().colwise() * s.array();
    }
  }
}

void DenseNet::ParamJvp(const double* params, Tape& tape, const double* thetadot, Matrix* ydot) const {
  const int L = static_cast<int>(widths_.size()) - 1;
  Require(static_cast<int>(tape.act.size()) == L + 1, "DenseNet: ParamJvp before Forward");
  Matrix& t = tape.delta;
  Matrix& tn = tape.delta_next;
  for (int l = 0; l < L; ++l) {
    Eigen::Map<const Matrix> W(params + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Matrix> dW(thetadot + w_offset_[l], widths_[l + 1], widths_[l]);
    Eigen::Map<const Vector> db(thetadot + b_offset_[l], widths_[l + 1]);
    tn.resize(widths_[l + 1], tape.act[0].cols());
    tn.noalias() = dW * tape.act[l];
    if (l > 0) tn.noalias() += W * t;  // the input does not depend on theta
    tn.colwise() += db;
    if (l + 1 < L) MultiplyDerivative(hidden_, tape.act[l + 1], tn);
    t.swap(tn);
  }
  if (skip_ == Skip::kFull) {
    Eigen::Map<const Matrix> dS(thetadot + skip_offset_, NumOutputs(), NumInputs());
    t.noalias() += dS * tape.act[0];
  } else if (skip_ == Skip::kDiagonal) {
    Eigen::Map<const Vector> ds(thetadot + skip_offset_, NumOutputs());
    t.array() += tape.act[0].middleRows(skip_row_, NumOutputs()).array().colwise() * ds.array();
  }
  *ydot = t;
}

double DenseNet::FlopsPerPoint() const {
  double f = 0;
  for (size_t l = 0; l + 1 < widths_.size(); ++l) f += 2.0 * widths_[l] * widths_[l + 1] + widths_[l + 1];
  if (skip_ == Skip::kFull) f += 2.0 * NumInputs() * NumOutputs();
  if (skip_ == Skip::kDiagonal) f += 2.0 * NumOutputs();
  return f;
}

}  // namespace udeflow::bsde
