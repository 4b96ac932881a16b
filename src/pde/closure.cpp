#include "udeflow/pde/closure.hpp"

#include "stencil_closure.hpp"
#include "udeflow/core/error.hpp"
#include "udeflow/core/options.hpp"

namespace udeflow::pde {
namespace {

/// y = MLP(x): the dense-network kernel on the bound slice of theta.
class MlpClosure final : public Closure {
 public:
  const char* Type() const override { return "mlp"; }
  void Configure(const ClosureConfig& c, int n_in, int n_out) override {
    std::vector<int> widths = {n_in};
    for (int h : c.hidden) widths.push_back(h);
    widths.push_back(n_out);
    net_ = nn::DenseNet(widths, nn::ParseActivation(c.activation),
                        nn::ParseActivation(c.output_activation));
    seed_ = static_cast<uint64_t>(c.seed);
    scale_ = c.init_scale;
  }
  int NumInputs() const override { return net_.NumInputs(); }
  int NumOutputs() const override { return net_.NumOutputs(); }
  int NumParams() const override { return net_.NumParams(); }
  void Initialize(double* theta) const override { net_.Initialize(seed_, scale_, theta); }
  void Forward(const nn::ConstMatrixRef& x, Tape& tape) const override {
    net_.Forward(Theta(), x, tape);
  }
  // Staged: the gradient's bits do not depend on where gtheta sits in memory.
  void Vjp(Tape& tape, const nn::ConstMatrixRef& ybar, nn::Matrix* xbar, double* g) const override {
    net_.Vjp(Theta(), tape, ybar, g, xbar, nn::DenseNet::Accumulate::kStaged);
  }
  void Jvp(Tape& tape, const nn::ConstMatrixRef& xdot, nn::Matrix* ydot) const override {
    net_.Jvp(Theta(), tape, xdot, ydot);
  }
  void ParamJvp(Tape& tape, const double* thetadot, nn::Matrix* ydot) const override {
    net_.ParamJvp(Theta(), tape, thetadot, ydot);
  }
  double FlopsPerPoint() const override { return net_.FlopsPerPoint(); }
  std::string Describe() const override { return "mlp " + net_.Describe(true); }

 private:
  nn::DenseNet net_;
  uint64_t seed_ = 1;
  double scale_ = 1.0;
};

/// No closure: zero output, no parameters.
class NoClosure final : public Closure {
 public:
  const char* Type() const override { return "none"; }
  void Configure(const ClosureConfig&, int n_in, int n_out) override {
    n_in_ = n_in;
    n_out_ = n_out;
  }
  int NumInputs() const override { return n_in_; }
  int NumOutputs() const override { return n_out_; }
  int NumParams() const override { return 0; }
  void Initialize(double*) const override {}
  void Forward(const nn::ConstMatrixRef& x, Tape& tape) const override {
    tape.act.resize(1);
    tape.act[0].setZero(n_out_, x.cols());
  }
  void Vjp(Tape& tape, const nn::ConstMatrixRef& ybar, nn::Matrix* xbar, double*) const override {
    if (xbar) xbar->setZero(n_in_, ybar.cols());
  }
  void Jvp(Tape& tape, const nn::ConstMatrixRef& xdot, nn::Matrix* ydot) const override {
    ydot->setZero(n_out_, xdot.cols());
  }
  void ParamJvp(Tape& tape, const double*, nn::Matrix* ydot) const override {
    ydot->setZero(n_out_, tape.act.empty() ? 0 : tape.act[0].cols());
  }
  double FlopsPerPoint() const override { return 0; }
  std::string Describe() const override { return "none"; }

 private:
  int n_in_ = 0, n_out_ = 0;
};

}  // namespace

Registry<Closure>& ClosureRegistry() {
  static Registry<Closure> registry = [] {
    Registry<Closure> r;
    r.Add("mlp", "multilayer perceptron", [] { return std::make_unique<MlpClosure>(); });
    r.Add("none", "no closure (baseline physics)", [] { return std::make_unique<NoClosure>(); });
    r.Add("stencil", "learnable 3-point stencil with a learnable scale",
          [] { return std::make_unique<StencilClosure>(); });
    return r;
  }();
  return registry;
}

PetscErrorCode ClosureConfigFromOptions(MPI_Comm comm, const char* prefix, ClosureConfig* c) {
  PetscFunctionBeginUser;
  std::vector<PetscInt> hidden(c->hidden.begin(), c->hidden.end());
  PetscOptionsBegin(comm, prefix, "Closure options", "closure");
  PetscCall(UdeOptionsChoice("-closure_type", "Closure type", ClosureRegistry().NameList(),
                             &c->type, nullptr));
  PetscCall(UdeOptionsIntList("-closure_hidden", "Hidden layer widths, e.g. 32,32", &hidden, 16,
                              nullptr));
  for (PetscInt h : hidden)
    PetscCheck(h > 0, comm, PETSC_ERR_USER_INPUT,
               "option -%sclosure_hidden: widths must be positive", prefix ? prefix : "");
  static const std::vector<const char*> acts = {"tanh", "relu", "identity", "softplus", "sigmoid"};
  PetscCall(
      UdeOptionsChoice("-closure_activation", "Hidden activation", acts, &c->activation, nullptr));
  PetscCall(UdeOptionsChoice("-closure_output_activation", "Output activation", acts,
                             &c->output_activation, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-closure_init_scale", "Scale of the initial weights",
                                      &c->init_scale, nullptr));
  PetscInt seed = static_cast<PetscInt>(c->seed);
  PetscCall(UdeOptionsNonNegativeInt("-closure_seed", "Initialisation seed", &seed, nullptr));
  c->seed = seed;
  PetscOptionsEnd();
  c->hidden.assign(hidden.begin(), hidden.end());
  PetscFunctionReturn(0);
}

PetscErrorCode ClosureCreate(MPI_Comm comm, const char* prefix, const ClosureConfig& config,
                             int n_in, int n_out, std::unique_ptr<Closure>* closure) {
  PetscFunctionBeginUser;
  *closure = ClosureRegistry().Create(config.type);
  PetscCheck(*closure, comm, PETSC_ERR_USER_INPUT,
             "option -%sclosure_type: unknown closure '%s' (choices: %s)", prefix ? prefix : "",
             config.type.c_str(), ClosureRegistry().Names().c_str());
  PetscCallCXX((*closure)->Configure(config, n_in, n_out));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
