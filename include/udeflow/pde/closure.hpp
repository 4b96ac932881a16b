#pragma once
/// \file closure.hpp
/// Learnable closures: pure (PETSc-free) maps from local features to a correction,
/// evaluated on batches of points (columns).  A physics decides what the inputs and
/// outputs mean (e.g. a stencil of cell values -> a face flux correction) and calls
/// the closure on all its points at once.  Every closure provides the value, the
/// input VJP/JVP and the parameter VJP/JVP (every closure is differentiable both ways).
///
/// Types (option -closure_type): "mlp" (multilayer perceptron), "none" (zero, no
/// parameters: the physics without closure) and "stencil" (a learnable 3-point stencil
/// with a learnable scale, stencil_closure.hpp).  Options are read by
/// ClosureConfigFromOptions() with the prefix given by the physics.
///
/// Parameters: a closure owns none.  Bind(theta) makes it read theta[0..NumParams())
/// (a slice of the flat theta that the caller owns, e.g. the trainer) until it is bound
/// again; binding is a pointer assignment, so theta changed in place is seen by the next
/// evaluation.  Initialize(theta) writes the deterministic initialisation into caller
/// memory.
#include <petscsys.h>

#include <memory>
#include <string>
#include <vector>

#include "udeflow/core/error.hpp"
#include "udeflow/core/registry.hpp"
#include "udeflow/nn/dense_net.hpp"

namespace udeflow::pde {

struct ClosureConfig {
  std::string type = "mlp";
  std::vector<int> hidden = {32, 32};  ///< hidden layer widths
  std::string activation = "tanh";     ///< hidden activation
  std::string output_activation = "identity";
  double init_scale = 1.0;  ///< scale of the Glorot initialisation
  long long seed = 1;       ///< initialisation seed
};

/// Reads -<prefix>closure_type, _hidden, _activation, _output_activation,
/// _init_scale, _seed.  Collective.
PetscErrorCode ClosureConfigFromOptions(MPI_Comm comm, const char* prefix, ClosureConfig* config);

class Closure {
 public:
  using Tape = nn::DenseNet::Tape;
  virtual ~Closure() = default;
  virtual const char* Type() const = 0;
  /// Builds the closure for n_in features and n_out outputs (throws udeflow::Error).
  virtual void Configure(const ClosureConfig& config, int n_in, int n_out) = 0;
  virtual int NumInputs() const = 0;
  virtual int NumOutputs() const = 0;
  virtual int NumParams() const = 0;
  /// Reads the parameters from theta[0..NumParams()) from now on (nullptr: unbound).
  void Bind(const double* theta) { theta_ = theta; }
  /// The parameters it reads (nullptr: unbound).
  const double* Params() const { return theta_; }
  /// Writes the deterministic initialisation (configured seed and scale) into theta.
  virtual void Initialize(double* theta) const = 0;
  /// Output (NumOutputs() x n) in tape.Output().
  virtual void Forward(const nn::ConstMatrixRef& x, Tape& tape) const = 0;
  /// xbar = (dy/dx)^T ybar (if xbar), gtheta += (dy/dtheta)^T ybar (if gtheta).
  virtual void Vjp(Tape& tape, const nn::ConstMatrixRef& ybar, nn::Matrix* xbar,
                   double* gtheta) const = 0;
  virtual void Jvp(Tape& tape, const nn::ConstMatrixRef& xdot, nn::Matrix* ydot) const = 0;
  virtual void ParamJvp(Tape& tape, const double* thetadot, nn::Matrix* ydot) const = 0;
  virtual double FlopsPerPoint() const = 0;
  virtual std::string Describe() const = 0;

 protected:
  /// The bound parameters; throws udeflow::Error if there are parameters but none is bound.
  const double* Theta() const {
    Require(theta_ != nullptr || NumParams() == 0, "closure used before its parameters were bound");
    return theta_;
  }

 private:
  const double* theta_ = nullptr;
};

Registry<Closure>& ClosureRegistry();
/// Creates and configures a closure (unbound); an unknown type is a user error naming the option.
PetscErrorCode ClosureCreate(MPI_Comm comm, const char* prefix, const ClosureConfig& config,
                             int n_in, int n_out, std::unique_ptr<Closure>* closure);

}  // namespace udeflow::pde
