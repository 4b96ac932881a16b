#pragma once
/// \file burgers.hpp
/// 1-D viscous Burgers v_t + (v^2/2 - eta v_x)_x = f(x,t) on a periodic domain,
/// finite volumes on a DMDA, with a learned conservative flux correction:
///
///   dv_i/dt = -(F_{i+1/2} - F_{i-1/2}) / dx + <f>_i(t),
///   F_{i+1/2} = H(v_L, v_R) - eta (v_{i+1} - v_i)/dx + C(v_{i+1-s}, ..., v_{i+k-s}; theta)
///
/// with s = ceil(k/2): C is the closure evaluated on a k-cell stencil around the face,
/// either directly (-burgers_closure_form flux) or as coefficients of the k-1 stencil
/// differences of order q, C = sum_m a_m(v) (D_q v)_m (-burgers_closure_form coefficients,
/// -burgers_closure_difference_order q): consistent by construction, and errors of the
/// learned coefficients cost only O(dx^q) in smooth regions.
/// H is the Rusanov flux with a smooth wave speed sqrt(vL^2 + vR^2 + delta^2) (>= the
/// true max, so it stays monotone) or the energy-conserving central flux
/// (vL^2 + vL vR + vR^2)/6; vL, vR come from first-order, van Albada (smooth, TVD) or
/// fifth-order WENO-JS reconstruction (smooth in the cell values: exact derivatives too).  Every
/// piece is differentiable, so the discrete adjoint is exact. The forcing is a sum of travelling
/// sines, integrated exactly over each cell.
///
/// Options (prefix + "burgers_"): n, length, eta, flux, reconstruction, limiter_eps,
/// weno_eps, rusanov_delta, closure_stencil, closure_form, closure_difference_order,
/// closure_features, closure_feature_eps, ic, ic_amplitude, forcing_modes,
/// forcing_amplitude, forcing_kmin, forcing_kmax, forcing_omega; closure options with
/// prefix + "closure_".
#include <array>
#include <map>
#include <memory>

#include "face_closure.hpp"
#include "kernels/burgers_flux.hpp"
#include "udeflow/pde/closure.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

class Burgers final : public Physics {
 public:
  Burgers() = default;
  ~Burgers() override;
  const char* Type() const override { return "burgers"; }
  PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) override;
  PetscErrorCode SetUp() override;
  DM Grid() const override { return da_; }
  std::string Describe() const override;

  std::vector<PetscInt> GridSize() const override { return {n_}; }
  std::vector<PetscReal> DomainLength() const override { return {length_}; }
  std::vector<std::string> FieldNames() const override { return {"v"}; }
  std::vector<std::string> ResolutionOptions() const override { return {"burgers_n"}; }
  /// "burgers_ic": the initial condition ("zero" or "sine"); "burgers_reconstruction":
  /// "vanalbada", "first" or "weno5" (before SetUp()).
  PetscErrorCode SetSchemeOption(const std::string& key, const std::string& value) override;
  PetscErrorCode SetResolution(const std::vector<PetscInt>& cells) override;
  const ClosureConfig& GetClosureConfig() const override { return closure_config_; }
  void SetClosureConfig(const ClosureConfig& config) override { closure_config_ = config; }

  PetscInt NumParams() const override { return closure_ ? closure_->NumParams() : 0; }
  PetscErrorCode BindParams(const double* theta) override;
  const double* Params() const override { return closure_ ? closure_->Params() : nullptr; }
  PetscErrorCode InitializeParams(double* theta) const override;
  double ClosureFlopsPerRhs() const override;

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
  double CacheBytesPerSlot() const override;
  PetscErrorCode ResetCache(PetscInt slots) override;
  void SetRhsCacheSlot(PetscInt slot) override { rhs_slot_ = slot; }
  PetscErrorCode LinearizeCached(PetscReal t, Vec u, PetscInt slot, bool* hit) override;

  PetscReal Dx() const { return dx_; }
  PetscInt ClosureStencil() const { return stencil_; }

 private:
  enum class Flux { kRusanov, kCentral };
  enum class Recon { kFirstOrder, kVanAlbada, kWeno5 };
  static const char* ReconName(Recon r);
  static Recon ReconFromName(const std::string& name);
  kernels::BurgersFluxParams FluxParams() const;

  // Baseline face flux at face f (between cells f and f+1) from v[f+recon_lo_ ..
  // f+recon_lo_+recon_width_-1] (v[f-1..f+2], or v[f-2..f+3] for WENO5); if dF is given,
  // its derivatives with respect to those cells.
  double FaceFlux(const double* v, PetscInt f, double* dF) const;
  void BuildStencils(const double* v, PetscInt j0, PetscInt nb, nn::Matrix& X) const;
  PetscErrorCode ClosureForward(const double* v, PetscInt j0, PetscInt nb, FaceClosure::Block& b);
  PetscErrorCode LinearizedBlock(const double* vl, PetscInt b, PetscInt j0, PetscInt nb,
                                 FaceClosure::Block** blk);
  PetscErrorCode LinearizeBaseline(PetscReal t, Vec u);
  PetscErrorCode ForcingAdd(PetscReal t, double* f) const;
  PetscErrorCode EnsureForcingTables();

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string prefix_;
  PetscInt n_ = 64;
  PetscReal length_ = 2 * PETSC_PI, eta_ = 0.01, dx_ = 0;
  Flux flux_ = Flux::kRusanov;
  Recon recon_ = Recon::kVanAlbada;
  PetscReal limiter_eps_ = 1e-6, weno_eps_ = 1e-6, rusanov_delta_ = 1e-3;
  kernels::BurgersFluxParams flux_params_;  // from the settings above, in SetUp()
  PetscInt stencil_ = 5;
  FaceClosure::Config fc_config_;
  FaceClosure fc_;
  std::string ic_ = "zero";
  PetscReal ic_amplitude_ = 1.0;
  PetscInt forcing_modes_ = 20, forcing_kmin_ = 3, forcing_kmax_ = 6;
  PetscReal forcing_amplitude_ = 0.5, forcing_omega_ = 0.4;
  ClosureConfig closure_config_{"none"};
  std::unique_ptr<Closure> closure_;

  DM da_ = nullptr;
  PetscInt xs_ = 0, xm_ = 0, width_ = 2;
  PetscInt face_lo_ = -1, face_hi_ = 2;       // stencil of a face relative to its left cell
  PetscInt recon_lo_ = -1, recon_width_ = 4;  // the baseline flux's part of it
  Vec uloc_ = nullptr, wloc_ = nullptr, bloc_ = nullptr, linloc_ = nullptr;
  static constexpr PetscInt kBlock = 2048;  // faces per closure batch

  // Scenario: forcing modes (A, k, omega, phi) and cell-averaged cos/sin tables per k.
  Scenario scenario_;
  std::map<int, std::array<std::vector<double>, 2>> tables_;

  // Work storage (sized once in SetUp).
  std::vector<double> face_flux_, face_dot_, face_bar_, face_dF_;
  nn::Matrix Xbar_, Xdot_;
  FaceClosure::Block block_;
  // Linearization.
  PetscReal lin_t_ = 0;
  bool lin_cached_ = false;
  std::vector<FaceClosure::Block> lin_blocks_;
  // Activation cache: closure blocks kept by Rhs() per slot.
  std::vector<std::vector<FaceClosure::Block>> cache_;
  std::vector<char> cache_valid_;
  PetscInt rhs_slot_ = -1, lin_slot_ = -1;
};

}  // namespace udeflow::pde
