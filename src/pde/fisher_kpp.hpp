#pragma once
/// \file fisher_kpp.hpp
/// Fisher-KPP reaction-diffusion on a periodic DMDA grid (1-D or 2-D, square cells),
/// node values rho_p at x_p = p dx, with two learnable closures (the universal PDE of
/// Rackauckas et al. 2020):
///
///   d rho_p/dt = D lap_h(rho)_p + r rho_p (1 - rho_p)        (known terms; 0 in the UDE)
///              + NN(rho_p)                                     (pointwise reaction closure)
///              + sum_axes S(rho_{p-e}, rho_p, rho_{p+e})       (stencil closure, per axis)
///
/// lap_h is the 3-point (1-D) / 5-point (2-D) Laplacian.  NN is the closure of
/// -closure_type (1 -> 1, e.g. an MLP 1-10-20-10-1 tanh); S is the closure of
/// -stencil_closure_type (3 -> 1), normally "stencil": S = D0 (w1 rho_{p-e} + w2 rho_p +
/// w3 rho_{p+e}) with learnable w and D0, the same weights along every axis (a 5-point
/// cross in 2-D).  The truth is the same class with both closures "none" and D, r set.
/// theta = [reaction closure parameters, stencil closure parameters].
///
/// Training penalty (ParamPenalty): weight * |w1 + w2 + w3| (consistency of the stencil:
/// a Laplacian annihilates constants), smoothed as weight * (sqrt(s^2 + delta^2) - delta)
/// when -fisher_penalty_delta > 0 (default 1e-3; 0 gives the exact |s|).
///
/// The initial condition is a patch 1/2[tanh((x-c+h)/w) - tanh((x-c-h)/w)] (a product
/// of two in 2-D); scenario = [cx, cy, h, w].  Seed 0 gives the configured patch, other
/// seeds shift its centre by up to -fisher_ic_shift per axis (held-out trajectories).
///
/// Datasets should be generated on the model's grid: the state holds node values, so the
/// cell averaging that Dataset applies to a finer 1-D file would shift them by a quarter
/// of a cell.
///
/// Options (prefix + "fisher_"): dim, n, dx, diffusion, rate, ic_center, ic_halfwidth,
/// ic_width, ic_shift, stencil_init, stencil_scale_init, penalty, penalty_delta;
/// reaction closure options with prefix + "closure_", stencil closure options with
/// prefix + "stencil_closure_".
#include <memory>

#include "udeflow/pde/closure.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

class FisherKpp final : public Physics {
 public:
  FisherKpp() = default;
  ~FisherKpp() override;
  const char* Type() const override { return "fisher_kpp"; }
  PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) override;
  PetscErrorCode SetUp() override;
  DM Grid() const override { return da_; }
  std::string Describe() const override;

  std::vector<PetscInt> GridSize() const override;
  std::vector<PetscReal> DomainLength() const override;
  std::vector<std::string> FieldNames() const override { return {"rho"}; }
  std::vector<std::string> ResolutionOptions() const override { return {"fisher_n"}; }
  PetscErrorCode SetResolution(const std::vector<PetscInt>& cells) override;
  /// "fisher_scheme": "classical" (before SetUp) makes this the classical discretization
  /// of the truth: the known terms with the truth's D and r (-truth_fisher_diffusion,
  /// -truth_fisher_rate), the 3-point (2-D: 5-point) Laplacian, no learned terms: the
  /// baseline a learned model is judged against (evaluate -evaluate_baseline_scheme).
  PetscErrorCode SetSchemeOption(const std::string& key, const std::string& value) override;
  const ClosureConfig& GetClosureConfig() const override { return reaction_config_; }
  void SetClosureConfig(const ClosureConfig& config) override { reaction_config_ = config; }

  PetscInt NumParams() const override { return NumReactionParams() + NumStencilParams(); }
  PetscErrorCode BindParams(const double* theta) override;
  const double* Params() const override { return reaction_ ? reaction_->Params() : nullptr; }
  PetscErrorCode InitializeParams(double* theta) const override;
  double ClosureFlopsPerRhs() const override;
  double ParamPenalty(const double* theta, double* gtheta) const override;

  PetscErrorCode MakeScenario(uint64_t seed, Scenario* scenario) const override;
  PetscErrorCode SetScenario(const Scenario& scenario) override;
  PetscErrorCode InitialCondition(Vec u) override;

  PetscErrorCode Rhs(PetscReal t, Vec u, Vec f) override;
  PetscErrorCode Linearize(PetscReal t, Vec u, bool repeated) override;
  PetscErrorCode JacobianMult(Vec v, Vec Jv) override;
  PetscErrorCode JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) override;
  PetscErrorCode ParamJacobianMultTranspose(Vec w, double* gtheta) override;
  PetscErrorCode ParamJacobianMult(const double* thetadot, Vec out) override;
  PetscErrorCode CreateJacobian(Mat* J) override;
  PetscErrorCode AssembleJacobian(PetscReal a, PetscReal b, Mat J) override;
  PetscErrorCode StableTimeStep(Vec u, PetscReal* dt) override;
  PetscErrorCode ReportLearned(LearnedReport* report) override;

  PetscInt Dim() const { return dim_; }
  PetscReal Dx() const { return dx_; }
  PetscInt NumReactionParams() const { return reaction_ ? reaction_->NumParams() : 0; }
  PetscInt NumStencilParams() const { return stencil_ ? stencil_->NumParams() : 0; }
  /// The learned reaction term NN(rho) (without the known r rho(1-rho)) at `rho`.
  void Reaction(const std::vector<double>& rho, std::vector<double>* nn) const;

 private:
  struct Tapes {
    Closure::Tape reaction, stencil;
  };
  // Closure inputs of the owned points [q0, q0+nb) from the ghosted array v.
  void BuildInputs(const double* v, PetscInt q0, PetscInt nb, nn::Matrix& Xr, nn::Matrix& Xs) const;
  PetscErrorCode ClosuresForward(const double* v, PetscInt q0, PetscInt nb, Tapes& t);
  bool ReactionOn() const { return NumReactionParams() > 0; }
  bool StencilOn() const { return NumStencilParams() > 0; }

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string prefix_;
  PetscInt dim_ = 1, n_ = 26;
  PetscReal dx_ = 0.04, D_ = 0.01, r_ = 1.0;
  PetscReal ic_center_ = 0.5, ic_halfwidth_ = 0.1, ic_width_ = 0.02, ic_shift_ = 0.2;
  std::vector<PetscReal> stencil_init_ = {1.1, -2.5, 1.0};
  PetscReal stencil_scale_init_ = 6.5;
  PetscReal penalty_ = 100, penalty_delta_ = 1e-3;
  ClosureConfig reaction_config_{"none", {10, 20, 10}}, stencil_config_{"none", {8}};
  std::unique_ptr<Closure> reaction_, stencil_;
  Scenario scenario_ = {0.5, 0.5, 0.1, 0.02};

  DM da_ = nullptr;
  PetscInt xs_ = 0, ys_ = 0, xm_ = 0, ym_ = 1, gxm_ = 0, npts_ = 0;
  std::vector<PetscInt> ghost_;  // ghosted-array index of each owned point
  Vec uloc_ = nullptr, wloc_ = nullptr, bloc_ = nullptr, linloc_ = nullptr;
  static constexpr PetscInt kBlock = 4096;  // points per closure batch

  // Work storage (sized in SetUp) and the linearization.
  nn::Matrix Xr_, Xs_, Yr_, Ys_, Xbar_r_, Xbar_s_, ones_r_, ones_s_;
  Tapes rhs_tapes_;
  std::vector<Tapes> lin_tapes_;
  std::vector<double> lin_diag_;  // r (1 - 2 rho) at the linearization point
};

}  // namespace udeflow::pde
