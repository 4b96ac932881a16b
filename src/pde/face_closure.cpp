#include "face_closure.hpp"

#include <cmath>
#include <sstream>

#include "udeflow/core/error.hpp"

namespace udeflow::pde {

void FaceClosure::Configure(const Config& c) {
  Require(c.stencil >= 1, "closure stencil must be positive");
  Require(c.form == Form::kFlux || c.stencil > c.difference_order,
          "the closure stencil must be longer than the difference order");
  Require(c.features == Features::kRaw || c.stencil >= 2,
          "normalized features need a stencil of 2 cells or more");
  config_ = c;
  if (c.form == Form::kCoefficients) {
    const int rows = c.stencil - c.difference_order, q = c.difference_order;
    diff_.setZero(rows, c.stencil);
    for (int m = 0; m < rows; ++m) {
      double b = 1;  // binomial(q, r)
      for (int r = 0; r <= q; ++r) {
        diff_(m, m + r) = ((q - r) % 2 ? -1.0 : 1.0) * b;
        b = b * (q - r) / (r + 1);
      }
    }
  }
}

int FaceClosure::NumFeatures() const {
  return config_.features == Features::kNormalized ? config_.stencil + 2 : config_.stencil;
}

int FaceClosure::NumOutputs() const {
  return config_.form == Form::kFlux ? 1 : config_.stencil - config_.difference_order;
}

std::string FaceClosure::Describe() const {
  std::ostringstream s;
  s << config_.stencil << "-cell stencil, "
    << (config_.features == Features::kRaw          ? "raw"
        : config_.features == Features::kNormalized ? "normalized"
                                                    : "shape")
    << " features, "
    << (config_.form == Form::kFlux
            ? std::string("flux correction")
            : "coefficients of order-" + std::to_string(config_.difference_order) + " differences");
  return s.str();
}

// ---------------------------------------------------------------- features

void FaceClosure::ComputeFeatures(const nn::Matrix& X, nn::Matrix& F) const {
  const int k = config_.stencil;
  const double e2 = config_.feature_eps * config_.feature_eps;
  F.resize(k + 2, X.cols());
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const double mean = X.col(j).mean();
    double ss = e2;
    for (int m = 0; m + 1 < k; ++m) ss += (X(m + 1, j) - X(m, j)) * (X(m + 1, j) - X(m, j));
    const double s = std::sqrt(ss);
    for (int m = 0; m < k; ++m) F(m, j) = (X(m, j) - mean) / s;
    F(k, j) = mean;
    F(k + 1, j) = s;
  }
}

// x_bar_j = zbar_j/s - sum(zbar)/(k s) + (sbar - sum_m zbar_m z_m / s) ds/dx_j + meanbar/k,
// ds/dx_j = (d_{j-1} - d_j)/s with d_m = x_{m+1} - x_m (terms outside the stencil vanish).
void FaceClosure::FeaturesVjp(const Block& b, const nn::Matrix& Fbar, nn::Matrix& Xbar) const {
  const int k = config_.stencil;
  Xbar.resize(k, b.X.cols());
  for (Eigen::Index j = 0; j < b.X.cols(); ++j) {
    const double s = b.F(k + 1, j);
    double zsum = 0, zz = 0;
    for (int m = 0; m < k; ++m) {
      zsum += Fbar(m, j);
      zz += Fbar(m, j) * b.F(m, j);
    }
    const double coef = Fbar(k + 1, j) - zz / s;
    for (int m = 0; m < k; ++m) {
      const double dl = m > 0 ? b.X(m, j) - b.X(m - 1, j) : 0.0;
      const double dr = m + 1 < k ? b.X(m + 1, j) - b.X(m, j) : 0.0;
      Xbar(m, j) = Fbar(m, j) / s - zsum / (k * s) + coef * (dl - dr) / s + Fbar(k, j) / k;
    }
  }
}

void FaceClosure::FeaturesJvp(const Block& b, const nn::Matrix& Xdot, nn::Matrix& Fdot) const {
  const int k = config_.stencil;
  Fdot.resize(k + 2, b.X.cols());
  for (Eigen::Index j = 0; j < b.X.cols(); ++j) {
    const double s = b.F(k + 1, j);
    const double mdot = Xdot.col(j).mean();
    double sdot = 0;
    for (int m = 0; m + 1 < k; ++m)
      sdot += (b.X(m + 1, j) - b.X(m, j)) * (Xdot(m + 1, j) - Xdot(m, j));
    sdot /= s;
    for (int m = 0; m < k; ++m) Fdot(m, j) = (Xdot(m, j) - mdot) / s - b.F(m, j) * sdot / s;
    Fdot(k, j) = mdot;
    Fdot(k + 1, j) = sdot;
  }
}

// ---------------------------------------------------------------- closure and form

void FaceClosure::Forward(const Closure& closure, Block& b) const {
  if (config_.features == Features::kRaw) {
    closure.Forward(b.X, b.tape);
  } else {
    ComputeFeatures(b.X, b.F);
    if (config_.features == Features::kShape)
      closure.Forward(b.F.topRows(config_.stencil), b.tape);
    else
      closure.Forward(b.F, b.tape);
  }
}

void FaceClosure::AddValue(const Block& b, double* out) const {
  const nn::Matrix& Y = b.tape.Output();
  if (config_.form == Form::kFlux) {
    for (Eigen::Index j = 0; j < Y.cols(); ++j) out[j] += Y(0, j);
  } else {
    for (Eigen::Index j = 0; j < Y.cols(); ++j) out[j] += Y.col(j).dot(diff_ * b.X.col(j));
  }
}

void FaceClosure::Vjp(const Closure& closure, Block& b, const double* cbar, nn::Matrix* Xbar,
                      double* gtheta) const {
  const Eigen::Index nb = b.X.cols();
  if (config_.form == Form::kFlux) {
    Ybar_ = Eigen::Map<const nn::Matrix>(cbar, 1, nb);
  } else {
    Ybar_.noalias() = diff_ * b.X;
    for (Eigen::Index j = 0; j < nb; ++j) Ybar_.col(j) *= cbar[j];
  }
  if (!Xbar) {
    closure.Vjp(b.tape, Ybar_, nullptr, gtheta);
    return;
  }
  if (config_.features == Features::kRaw) {
    closure.Vjp(b.tape, Ybar_, Xbar, gtheta);
  } else {
    closure.Vjp(b.tape, Ybar_, &Fbar_, gtheta);
    if (config_.features == Features::kShape) {  // mean and scale are not inputs
      Fbar_.conservativeResize(config_.stencil + 2, Eigen::NoChange);
      Fbar_.bottomRows(2).setZero();
    }
    FeaturesVjp(b, Fbar_, *Xbar);
  }
  if (config_.form == Form::kCoefficients) {
    const nn::Matrix& Y = b.tape.Output();
    for (Eigen::Index j = 0; j < nb; ++j)
      Xbar->col(j).noalias() += cbar[j] * (diff_.transpose() * Y.col(j));
  }
}

void FaceClosure::Jvp(const Closure& closure, Block& b, const nn::Matrix& Xdot, double* out) const {
  if (config_.features == Features::kRaw) {
    closure.Jvp(b.tape, Xdot, &Ydot_);
  } else {
    FeaturesJvp(b, Xdot, Fdot_);
    if (config_.features == Features::kShape)
      closure.Jvp(b.tape, Fdot_.topRows(config_.stencil), &Ydot_);
    else
      closure.Jvp(b.tape, Fdot_, &Ydot_);
  }
  const Eigen::Index nb = Xdot.cols();
  if (config_.form == Form::kFlux) {
    for (Eigen::Index j = 0; j < nb; ++j) out[j] += Ydot_(0, j);
    return;
  }
  const nn::Matrix& Y = b.tape.Output();
  for (Eigen::Index j = 0; j < nb; ++j)
    out[j] += Ydot_.col(j).dot(diff_ * b.X.col(j)) + Y.col(j).dot(diff_ * Xdot.col(j));
}

void FaceClosure::ParamJvp(const Closure& closure, Block& b, const double* thetadot,
                           double* out) const {
  closure.ParamJvp(b.tape, thetadot, &Ydot_);
  const Eigen::Index nb = b.X.cols();
  for (Eigen::Index j = 0; j < nb; ++j)
    out[j] += config_.form == Form::kFlux ? Ydot_(0, j) : Ydot_.col(j).dot(diff_ * b.X.col(j));
}

}  // namespace udeflow::pde
