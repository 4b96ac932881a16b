#pragma once
/// \file adam.hpp
/// Adam optimizer (Kingma & Ba) with bias correction, and learning-rate schedules.
/// Pure Eigen; its whole state (moments, step count) can be saved and restored so a
/// resumed run continues exactly where an uninterrupted one would be.
#include <Eigen/Dense>

#include <string>
#include <vector>

namespace udeflow::nn {

struct AdamConfig {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 0.0;  ///< decoupled (AdamW) weight decay, per unit learning rate
  double grad_clip = 0.0;     ///< clip the gradient to this 2-norm (0: off)
};

class Adam {
 public:
  Adam() = default;
  Adam(int n, AdamConfig config = {});

  /// params -= lr * mhat / (sqrt(vhat) + eps) (+ decoupled weight decay).
  void Step(Eigen::Ref<Eigen::VectorXd> params, const Eigen::Ref<const Eigen::VectorXd>& grad,
            double lr);

  long StepCount() const { return t_; }
  const Eigen::VectorXd& FirstMoment() const { return m_; }
  const Eigen::VectorXd& SecondMoment() const { return v_; }
  const AdamConfig& Config() const { return config_; }
  /// Restores a saved state (lengths must match).
  void SetState(const Eigen::VectorXd& m, const Eigen::VectorXd& v, long t);

 private:
  AdamConfig config_;
  Eigen::VectorXd m_, v_;
  long t_ = 0;
};

/// Learning rate as a function of the iteration: constant, piecewise constant
/// ("step": lr * factor^(number of milestones passed)), exponential decay or cosine.
struct LearningRateSchedule {
  enum class Kind { kConstant, kStep, kExponential, kCosine };
  Kind kind = Kind::kConstant;
  double lr = 1e-3;
  double factor = 0.1;           ///< step: multiplier per milestone; exponential: per `period`
  double period = 1000;          ///< exponential decay period / cosine length in iterations
  double lr_min = 0.0;           ///< cosine floor
  std::vector<long> milestones;  ///< step: iterations where lr is multiplied by factor

  double At(long iteration) const;
  static Kind ParseKind(const std::string& name);  ///< throws udeflow::Error
  static const char* Choices() { return "constant, step, exponential, cosine"; }
};

}  // namespace udeflow::nn
