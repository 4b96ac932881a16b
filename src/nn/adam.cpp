#include "udeflow/nn/adam.hpp"

#include <cmath>

#include "udeflow/core/error.hpp"

namespace udeflow::nn {

Adam::Adam(int n, AdamConfig config)
    : config_(config), m_(Eigen::VectorXd::Zero(n)), v_(Eigen::VectorXd::Zero(n)) {}

void Adam::Step(Eigen::Ref<Eigen::VectorXd> params, const Eigen::Ref<const Eigen::VectorXd>& grad,
                double lr) {
  Require(params.size() == m_.size() && grad.size() == m_.size(), "Adam: vector length mismatch");
  double scale = 1.0;
  if (config_.grad_clip > 0) {
    // Sequential sum: Eigen's norm() would peel by the address of grad (not ours).
    double g2 = 0;
    for (Eigen::Index i = 0; i < grad.size(); ++i) g2 += grad[i] * grad[i];
    const double g = std::sqrt(g2);
    if (g > config_.grad_clip) scale = config_.grad_clip / g;
  }
  ++t_;
  const double b1 = config_.beta1, b2 = config_.beta2;
  m_ = b1 * m_ + (1 - b1) * scale * grad;
  v_ = b2 * v_ + (1 - b2) * (scale * grad).cwiseAbs2();
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(t_));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(t_));
  if (config_.weight_decay > 0) params *= (1.0 - lr * config_.weight_decay);
  params.array() -= lr * (m_.array() / c1) / ((v_.array() / c2).sqrt() + config_.epsilon);
}

void Adam::SetState(const Eigen::VectorXd& m, const Eigen::VectorXd& v, long t) {
  Require(m.size() == m_.size() && v.size() == v_.size(), "Adam: saved state has the wrong length");
  m_ = m;
  v_ = v;
  t_ = t;
}

double LearningRateSchedule::At(long it) const {
  switch (kind) {
    case Kind::kConstant:
      return lr;
    case Kind::kStep: {
      double r = lr;
      for (long m : milestones)
        if (it >= m) r *= factor;
      return r;
    }
    case Kind::kExponential:
      return lr * std::pow(factor, static_cast<double>(it) / period);
    case Kind::kCosine: {
      const double x = std::min(1.0, static_cast<double>(it) / period);
      return lr_min + 0.5 * (lr - lr_min) * (1.0 + std::cos(M_PI * x));
    }
  }
  return lr;
}

LearningRateSchedule::Kind LearningRateSchedule::ParseKind(const std::string& name) {
  if (name == "constant") return Kind::kConstant;
  if (name == "step") return Kind::kStep;
  if (name == "exponential") return Kind::kExponential;
  if (name == "cosine") return Kind::kCosine;
  throw Error("unknown learning-rate schedule '" + name + "' (choices: " + Choices() + ")");
}

}  // namespace udeflow::nn
