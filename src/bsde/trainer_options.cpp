// Trainer::SetFromOptions: every option of `udeflow bsde` (-help lists them).
#include <cstring>

#include "udeflow/bsde/trainer.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::bsde {

namespace {

// Optimizer settings as read (copied into TrainerOptions after the options block).
struct OptimizerChoices {
  std::string schedule;
  std::vector<PetscInt> milestones;
  PetscReal lr, factor, period, lr_min;
  PetscReal beta1, beta2, eps, clip;
};

OptimizerChoices CurrentOptimizer(const TrainerOptions& o) {
  OptimizerChoices c;
  c.schedule = o.lr.kind == nn::LearningRateSchedule::Kind::kConstant      ? "constant"
               : o.lr.kind == nn::LearningRateSchedule::Kind::kStep        ? "step"
               : o.lr.kind == nn::LearningRateSchedule::Kind::kExponential ? "exponential"
                                                                           : "cosine";
  c.lr = o.lr.lr;
  c.factor = o.lr.factor;
  c.period = o.lr.period;
  c.lr_min = o.lr.lr_min;
  c.beta1 = o.adam.beta1;
  c.beta2 = o.adam.beta2;
  c.eps = o.adam.epsilon;
  c.clip = o.adam.grad_clip;
  return c;
}

// The problem: equation, dimension, time steps, schemes.
PetscErrorCode ProblemOptions(PetscOptionItems* PetscOptionsObject, TrainerOptions& o) {
  PetscFunctionBeginUser;
  const std::vector<const char*> sde_schemes = {"exact", "euler"},
                                 backward_schemes = {"euler", "trapezoid"};
  const std::vector<const char*> controls = {"none", "driver"};
  PetscCall(UdeOptionsChoice("-bsde_equation", "PDE to solve", EquationRegistry().NameList(),
                             &o.equation, nullptr));
  PetscCall(UdeOptionsPositiveInt("-bsde_dim", "Space dimension d", &o.dim, nullptr));
  {
    std::unique_ptr<Equation> eq = EquationRegistry().Create(o.equation);
    if (o.steps <= 0) o.steps = eq->DefaultSteps();
  }
  PetscCall(UdeOptionsPositiveInt("-bsde_steps", "Number of time steps N (default: the equation's)",
                                  &o.steps, nullptr));
  PetscCall(
      UdeOptionsChoice("-bsde_sde_scheme",
                       "Forward SDE scheme: Euler-Maruyama, or exact in law (Brownian motion, GBM)",
                       sde_schemes, &o.sde_scheme, nullptr));
  PetscCall(UdeOptionsChoice(
      "-bsde_backward_scheme",
      "Backward scheme for Y: Euler (first order) or trapezoidal driver (second order)",
      backward_schemes, &o.backward_scheme, nullptr));
  PetscCall(UdeOptionsChoice(
      "-bsde_control",
      "Forward process: uncontrolled, or driven by the extra drift sigma theta with "
      "theta = df/dz at the network's Z and the driver f - theta.z (Girsanov; u(0,x0) is then "
      "second order in the error of Z; the forward paths are simulated step by step)",
      controls, &o.control, nullptr));

  PetscFunctionReturn(0);
}

// The Z network.
PetscErrorCode NetworkOptions(PetscOptionItems* PetscOptionsObject, TrainerOptions& o) {
  PetscFunctionBeginUser;
  const std::vector<const char*> activations = {"tanh", "relu", "softplus", "sigmoid", "identity"};
  const std::vector<const char*> nets = {"subnets", "shared"};
  const std::vector<const char*> skips = {"none",  "diagonal",        "quadratic",
                                          "gated", "gated_quadratic", "full"},
                                 skip_inits = {"terminal", "zero"};
  const std::vector<const char*> normalizations = {"step", "global", "none"};
  PetscOptionsHeadBegin(PetscOptionsObject, "Z network");
  PetscCall(UdeOptionsChoice("-bsde_net",
                             "Network for Z: one MLP per time step, or one shared MLP of (t,x)",
                             nets, &o.net, nullptr));
  PetscCall(
      UdeOptionsNonNegativeInt("-bsde_net_width", "Hidden width (0: d+10)", &o.net_width, nullptr));
  PetscCall(
      UdeOptionsPositiveInt("-bsde_net_depth", "Number of hidden layers", &o.net_depth, nullptr));
  PetscCall(UdeOptionsChoice("-bsde_net_activation", "Hidden activation", activations,
                             &o.activation, nullptr));
  PetscCall(UdeOptionsChoice(
      "-bsde_net_skip",
      "Skip connection x -> Z: diagonal z_i += s_i x_i, quadratic z_i += s_i x_i + c_i x_i^2, "
      "gated z_i += (s_i + (V h)_i) x_i with h the last hidden layer, gated_quadratic also "
      "+ (c_i + (U h)_i) x_i^2, full z += S x",
      skips, &o.net_skip, nullptr));
  PetscCall(PetscOptionsBool(
      "-bsde_net_norm_feature",
      "Also feed |xhat|^2/d (squared norm of the standardized state) to the network", "",
      o.net_norm_feature, &o.net_norm_feature, nullptr));
  PetscCall(UdeOptionsChoice(
      "-bsde_net_skip_init",
      "Initial coordinate-wise skip and output bias: least-squares fit of sigma^T grad g(X_T) "
      "(the Z of the PDE without f), or zero",
      skip_inits, &o.skip_init, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-bsde_net_zscale",
      "Z = zscale * NN(input) (0: the RMS of sigma^T grad g(X_T); Han et al. use 1/d)",
      &o.net_zscale, nullptr));
  PetscCall(UdeOptionsPositiveReal("-bsde_net_init_scale",
                                   "Scale of the Glorot-uniform initial weights", &o.net_init_scale,
                                   nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-bsde_net_output_scale",
      "Extra scale of the last layer's initial weights (small: Z starts near 0)",
      &o.net_output_scale, nullptr));
  PetscCall(UdeOptionsChoice(
      "-bsde_net_normalize",
      "Standardize the network inputs x: per time step, with statistics pooled over all "
      "steps, or not at all",
      normalizations, &o.normalize, nullptr));
  PetscCall(UdeOptionsPositiveInt(
      "-bsde_norm_samples",
      "Paths simulated (on every rank) for the input statistics and the Monte Carlo "
      "trivial answer",
      &o.norm_samples, nullptr));

  PetscFunctionReturn(0);
}

// Training: batch, iterations, seed, u(0,x0) update, learning rate and Adam.
PetscErrorCode TrainingOptions(PetscOptionItems* PetscOptionsObject, TrainerOptions& o,
                               OptimizerChoices& c) {
  PetscFunctionBeginUser;
  const std::vector<const char*> schedules = {"constant", "step", "exponential", "cosine"};
  PetscOptionsHeadBegin(PetscOptionsObject, "Training");
  PetscCall(UdeOptionsPositiveInt("-bsde_batch", "Global batch size (split over the ranks)",
                                  &o.batch, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-bsde_iterations", "Total number of training iterations",
                                     &o.iterations, nullptr));
  PetscCall(UdeOptionsPositiveInt("-bsde_seed", "Seed of the noise and of the initial weights",
                                  &o.seed, nullptr));
  PetscCall(UdeOptionsReal("-bsde_y0_init",
                           "Initial u(0,x0) (default: the trivial answer E[g(X_T)])", &o.y0_init,
                           &o.y0_init_set));
  PetscCall(UdeOptionsPositiveReal(
      "-bsde_y0_rate",
      "Damped Newton step on u(0,x0): fraction of the full step at the initial learning "
      "rate, scaled with the schedule (at most 1)",
      &o.y0_rate, nullptr));
  PetscCall(UdeOptionsPositiveReal("-bsde_lr", "Adam learning rate", &c.lr, nullptr));
  PetscCall(UdeOptionsChoice("-bsde_lr_schedule", "Learning-rate schedule", schedules, &c.schedule,
                             nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-bsde_lr_factor", "step: factor per milestone; exponential: factor per -bsde_lr_period",
      &c.factor, nullptr));
  PetscCall(UdeOptionsPositiveReal("-bsde_lr_period",
                                   "exponential: decay period; cosine: length (iterations)",
                                   &c.period, nullptr));
  PetscCall(
      UdeOptionsNonNegativeReal("-bsde_lr_min", "cosine: final learning rate", &c.lr_min, nullptr));
  PetscCall(UdeOptionsIntList("-bsde_lr_milestones",
                              "step: iterations where the rate is multiplied by the factor",
                              &c.milestones, 64, nullptr));
  PetscCall(UdeOptionsPositiveReal("-bsde_adam_beta1", "Adam beta1", &c.beta1, nullptr));
  PetscCall(UdeOptionsPositiveReal("-bsde_adam_beta2", "Adam beta2", &c.beta2, nullptr));
  PetscCall(UdeOptionsPositiveReal("-bsde_adam_epsilon", "Adam epsilon", &c.eps, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-bsde_grad_clip", "Clip the gradient to this 2-norm (0: off)", &c.clip, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-bsde_loss_clip", "Loss is quadratic up to this |Y_N - g| and linear beyond (0: off)",
      &o.loss_clip, nullptr));

  PetscFunctionReturn(0);
}

// Validation, monitor and output.
PetscErrorCode OutputOptions(PetscOptionItems* PetscOptionsObject, TrainerOptions& o) {
  PetscFunctionBeginUser;
  PetscOptionsHeadBegin(PetscOptionsObject, "Validation, monitor and output");
  PetscCall(UdeOptionsPositiveInt("-bsde_valid_batch", "Size of the fixed validation batch",
                                  &o.valid_batch, nullptr));
  PetscCall(UdeOptionsPositiveInt("-bsde_valid_every",
                                  "Validate and print a monitor line every K iterations",
                                  &o.valid_every, nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-bsde_checkpoint_every",
      "Write the training checkpoint every K iterations (0: only at the end)", &o.checkpoint_every,
      nullptr));
  PetscCall(UdeOptionsNonNegativeInt(
      "-bsde_final_samples",
      "After training, re-estimate u(0,x0) by Monte Carlo with the learned Z on this "
      "many fresh paths (0: off)",
      &o.final_samples, nullptr));
  PetscCall(PetscOptionsBool(
      "-bsde_radial_reference",
      "With the monitor: also solve the radial PDE (radially symmetric set-ups: HJB, Allen-Cahn) "
      "for the project's own reference and the nonlinear term's contribution",
      "", o.radial_reference, &o.radial_reference, nullptr));
  PetscCall(UdeOptionsString(
      "-bsde_resume",
      "Resume from this training checkpoint (HDF5; latest: the newest in -output_dir, if any)",
      &o.resume, nullptr));
  PetscCall(PetscOptionsBool("-bsde_save", "Write the checkpoint and the history at the end", "",
                             o.save, &o.save, nullptr));
  PetscCall(PetscOptionsBool("-bsde_monitor", "Print the set-up and one line per validation", "",
                             o.monitor, &o.monitor, nullptr));
  PetscCall(UdeOptionsString("-output_dir", "Directory for bsde_checkpoint.h5 and bsde_history.csv",
                             &o.output_dir, nullptr));
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode Trainer::SetFromOptions() {
  PetscFunctionBeginUser;
  EquationRegisterAll();
  TrainerOptions& o = opt_;
  OptimizerChoices c = CurrentOptimizer(o);
  PetscOptionsBegin(comm_, nullptr, "Deep BSDE solver (udeflow bsde)", nullptr);
  PetscCall(ProblemOptions(PetscOptionsObject, o));
  PetscCall(NetworkOptions(PetscOptionsObject, o));
  PetscCall(TrainingOptions(PetscOptionsObject, o, c));
  PetscCall(OutputOptions(PetscOptionsObject, o));
  PetscOptionsEnd();

  PetscCallCXX(o.lr.kind = nn::LearningRateSchedule::ParseKind(c.schedule));
  o.lr.lr = c.lr;
  o.lr.factor = c.factor;
  o.lr.period = c.period;
  o.lr.lr_min = c.lr_min;
  o.lr.milestones.assign(c.milestones.begin(), c.milestones.end());
  o.adam.beta1 = c.beta1;
  o.adam.beta2 = c.beta2;
  o.adam.epsilon = c.eps;
  o.adam.grad_clip = c.clip;
  PetscCheck(c.beta1 < 1 && c.beta2 < 1, comm_, PETSC_ERR_USER_INPUT,
             "options -bsde_adam_beta1 and -bsde_adam_beta2 must be below 1");
  PetscCheck(o.output_dir.size() > 0, comm_, PETSC_ERR_USER_INPUT,
             "option -output_dir: empty directory name");

  // The equation reads its own options.
  eq_ = EquationRegistry().Create(o.equation);
  PetscCallCXX(eq_->SetDimension(static_cast<int>(o.dim)));
  PetscCall(eq_->SetFromOptions(comm_));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::bsde
