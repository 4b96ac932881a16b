#pragma once
/// \file ocean_column.hpp
/// Many ocean columns at once (Ramadhan et al. 2020, arXiv:2010.12559): temperature in
/// nx x ny independent columns of Nz levels over a depth H, each column with its own
/// surface cooling Q and initial stratification N^2, driven by vertical turbulent fluxes:
///
///   dT_k/dt = -(F_{k+1/2} - F_{k-1/2}) / dz,   F = 0 at the bottom, F = Q/(rho c_p) at the
///   surface (prescribed, conservative: the column's heat content changes only by Q).
///
/// Schemes (-ocean_scheme):
///   ca   convective adjustment plus a neural flux (the model being trained):
///          F_f = flux_scale * NN((T_column - T_offset)/T_scale)_f + F_CA(g_f) - kappa0 g_f,
///        g_f = dT/dz at face f; NN: Nz -> ... -> Nz-1 (one flux per interior face);
///        with -ocean_network_inputs forcing the network also reads what drives the
///        column, Q/Q_ref - 1 and N^2/N2_ref - 1 (Nz + 2 inputs); with
///        -ocean_flux_scaling surface its output is multiplied by Q/Q_ref (the missing
///        turbulent fluxes of convection, nonlocal and entrainment, scale with the surface
///        buoyancy flux), so flux_scale is the flux at the reference cooling Q_ref;
///        with -ocean_network_form face the network is one small map applied at every
///        interior face f of every column (shared weights, one output per face) whose
///        input is the face's depth in units of the column's mixing depth,
///        u_f = 1/(1 + d_f/h_e): d_f the face's depth below the surface, h the depth at
///        which the column's initial (linear) profile has the top level's temperature,
///        h = alpha g (T_surface - T_top)/N^2 (for a convectively mixed column with no
///        entrainment, exactly the mixed-layer depth; it grows continuously with the heat
///        lost), h_e = sqrt(h^2 + dz^2) (never below one level).  The network thus learns
///        the flux profile in sigma = d/h, the coordinate in which K-profile fluxes are
///        universal, and a deeper mixed layer than any in training is the same sigma
///        range (the column form sees a deeper layer as an unseen column); with
///        -ocean_face_inputs froude the face network also reads ln(Fr/Fr_ref), the
///        convective Froude number Fr = w*/(N h_e), w* = (B h_e)^(1/3), B = alpha g Q/(rho c_p)
///        (-ocean_froude_reference Fr_ref, default 0.05): in a K-profile scheme the boundary
///        layer reaches below the mixed-layer base by ~ w_s/N (bulk Richardson number with
///        the unresolved-shear term), i.e. by Fr h, so the flux profile in sigma depends on Fr;
///        it too depends on the state only through h_e (Q > 0 needed);
///        F_CA(g) = -K (g - sqrt(g^2 + eps^2))/2, a smooth form of -K min(g, 0) = -K_CA(g) g
///        (K_CA = K where dT/dz < 0, else 0).  The smoothing keeps the flux a monotone,
///        differentiable function of g (effective diffusivity K (1 - g/sqrt(g^2+eps^2))/2
///        in [0, K]), so Newton converges and the discrete adjoint is exact.
///   kpp  the truth model, of another family: a K-profile scheme with nonlocal transport
///        (Large et al. 1994, convective limit): boundary-layer depth h from a bulk
///        Richardson number, K(sigma) = h w_s sigma (1-sigma)^2, nonlocal flux
///        C_s sigma (1-sigma)^2 Q/(rho c_p); run at fine resolution (>= 256 levels) and
///        coarse-grained.  Its Jacobian freezes K, h and the nonlocal flux at the
///        linearization point: with -truth_snes_type ksponly and beuler this is the usual
///        lagged-diffusivity implicit step of ocean models.  No closure.
///
/// Grid: a 3-D DMDA whose FIRST dimension is z (Nz levels, one process: a column is
/// never split) and whose 2nd and 3rd dimensions are the nx x ny columns, decomposed
/// over the ranks.  Columns are thus contiguous in memory and in the global ordering:
/// the network reads each column in place, the Jacobian is block diagonal with one dense
/// Nz x Nz block per column (AIJ, d_nz = Nz, no off-process entries), and coarse-graining
/// fine truth levels is a 1-D average along the fastest index.  GridSize() is
/// {Nz, nx, ny}, DomainOrigin() {-H, 0, 0} (z in metres, up), DomainLength()
/// {H, nx*spacing, ny*spacing}.
///
/// Scenario (one per trajectory): [ncolumns, Q_1..Q_n (W/m^2, > 0 cools), N2_1..N2_n (1/s^2)]
/// drawn per column from -ocean_cooling_range / -ocean_n2_range, or for seeds >=
/// -ocean_extrapolation_seed from -ocean_cooling_extrapolation / -ocean_n2_extrapolation;
/// -ocean_cooling and -ocean_n2 give the values explicitly (1 or nx*ny each).
/// Initial state: T = T_surface + N^2/(alpha g) z.
///
/// Options (prefix + "ocean_"): nx, ny, nz, depth, spacing, scheme, ca_diffusivity,
/// ca_eps, background_diffusivity, t_surface, alpha, gravity, rho_cp, t_offset, t_scale,
/// flux_scale, cooling_range, n2_range, extrapolation_seed, cooling_extrapolation,
/// n2_extrapolation, cooling, n2, kpp_ri_c, jacobian_network, network_form, network_inputs,
/// face_inputs, froude_reference, flux_scaling, q_reference, n2_reference; closure options with
/// prefix + "closure_".
///
/// A prefixed instance (the truth, -truth_ocean_*) takes the unprefixed values of nx, ny,
/// depth, spacing, t_surface, alpha, gravity, rho_cp, background_diffusivity and of the
/// forcing options as defaults, so model and truth share columns and forcing.
///
/// -ocean_jacobian_network (default true): the assembled Jacobian holds the network's
/// dense column Jacobians; false keeps only the tridiagonal convective-adjustment part
/// (a cheaper preconditioner: Newton's operator stays the exact matrix-free Jacobian,
/// so the solution and the discrete adjoint are unchanged, only the Krylov iterations).
#include <memory>

#include "udeflow/pde/closure.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

namespace kernels {  // the column kernels (src/pde/kernels/kpp.hpp)
struct CaParams;
struct KppParams;
}  // namespace kernels

class OceanColumn final : public Physics {
 public:
  enum class Scheme { kCa, kKpp };
  OceanColumn() = default;
  ~OceanColumn() override;
  const char* Type() const override { return "ocean_column"; }
  PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) override;
  /// A prefixed instance: the unprefixed -ocean_* values it shares are its defaults.
  PetscErrorCode SharedDefaultsFromOptions(MPI_Comm comm);
  PetscErrorCode ForcingFromOptions(MPI_Comm comm, const std::string& p);
  PetscErrorCode NetworkFromOptions(MPI_Comm comm, const std::string& p);
  PetscErrorCode SetUp() override;
  DM Grid() const override { return da_; }
  std::string Describe() const override;

  std::vector<PetscInt> GridSize() const override { return {nz_, nx_, ny_}; }
  std::vector<PetscReal> DomainLength() const override {
    return {depth_, nx_ * spacing_, ny_ * spacing_};
  }
  std::vector<PetscReal> DomainOrigin() const override { return {-depth_, 0.0, 0.0}; }
  std::vector<std::string> FieldNames() const override { return {"T"}; }
  std::vector<std::string> FieldUnits() const override { return {"degC"}; }
  std::vector<std::string> ResolutionOptions() const override {
    return {"ocean_nz", "ocean_nx", "ocean_ny"};
  }
  PetscErrorCode SetResolution(const std::vector<PetscInt>& cells) override;
  /// "ocean_scheme": ca or kpp (before SetUp; kpp takes no network).
  PetscErrorCode SetSchemeOption(const std::string& key, const std::string& value) override;
  std::string GetSchemeOption(const std::string& key) const override;
  /// "extrapolation" for seeds >= -ocean_extrapolation_seed, else "interpolation".
  std::string ScenarioKind(long long seed) const override {
    return seed >= extrap_seed_ ? "extrapolation" : "interpolation";
  }
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

  // ---- for offline flux fitting and diagnostics
  Scheme GetScheme() const { return scheme_; }
  /// Errors are reported for the scaled temperature (T - T_offset) / T_scale.
  double EvaluationScale() const override { return t_scale_; }
  /// Offline fit of the flux network (Ramadhan et al. 2020's baseline): the total face
  /// flux diagnosed from two snapshots by integrating the tendency up from the no-flux
  /// bottom, F_{f+1} = F_f - dz (b_f - a_f)/dt, minus the flux of the physics without
  /// network at the mid state Tm = (a + b)/2, scaled: targets (F - F_CA(Tm))/flux_scale
  /// at the Nz-1 interior faces, inputs the scaled Tm.  The check compares the diagnosed
  /// surface flux with the prescribed one (a conservative truth gives ~0).
  Closure* OfflineClosure() override;
  PetscErrorCode AppendOfflineSamples(PetscReal dt, Vec a, Vec b, std::vector<double>* inputs,
                                      std::vector<double>* targets, OfflineCheck* check) override;
  Closure* GetClosure() { return closure_.get(); }
  PetscInt Nz() const { return nz_; }
  PetscReal Dz() const { return dz_; }
  PetscInt LocalColumns() const { return ncol_; }
  /// Network inputs of column c (state Tc), NetPoints() points of NetInputs() values each,
  /// point after point: the column form reads (T - T_offset)/T_scale, the face form
  /// u_f = 1/(1 + d_f/h_e) at face f = 1..Nz-1; with -ocean_network_inputs forcing each
  /// point also reads Q/Q_ref - 1 and N^2/N2_ref - 1 of the column.
  void NetworkInputs(const double* Tc, PetscInt c, double* x) const;
  /// Face form: mixing depth h_e of column c (m) and dh_e/dT_top.
  double MixingDepth(const double* Tc, PetscInt c, double* dh_dtop) const;
  /// Face form: input u_f of face q (1..Nz-1) for mixing depth he, and du_f/dh_e.
  double FaceInput(double he, PetscInt q, double* du_dh) const;
  PetscReal FluxScale() const { return flux_scale_; }
  /// Output scale of the network in local column c: flux_scale, times Q/Q_ref with
  /// -ocean_flux_scaling surface.
  double NetScale(PetscInt c) const {
    return scale_by_surface_ ? flux_scale_ * qt_[c] * rho_cp_ / q_ref_ : flux_scale_;
  }
  /// Network inputs per point: Nz (column form) or 1 (face form), plus 2 forcing inputs with
  /// -ocean_network_inputs forcing.
  PetscInt NetInputs() const {
    return (face_form_ ? FaceInputs() : nz_) + (forcing_inputs_ ? 2 : 0);
  }
  /// Face form: inputs per face before the forcing inputs, 1 (depth), 2 (and Froude), 3
  /// (and the distance to the mixing depth) or 4 (and the face's stratification).
  PetscInt FaceInputs() const {
    return 1 + (froude_input_ ? 1 : 0) + (base_input_ ? 1 : 0) + (strat_input_ ? 1 : 0);
  }
  /// Face form, -ocean_face_inputs froude: ln(Fr/Fr_ref) of column c for mixing depth he,
  /// Fr = (B h_e)^(1/3)/(N h_e), B = alpha g Q/(rho c_p); and its derivative in h_e.
  double FroudeInput(double he, PetscInt c, double* dx_dh) const;
  /// -ocean_face_inputs froude_base: s/(dz + |s|), s = d_q - h_e, and its h_e derivative.
  double BaseInput(double he, PetscInt q, double* dx_dh) const;
  /// -ocean_face_inputs froude_base_strat: r = g/g0 at face q (1..Nz-1) of column c, g = dT/dz
  /// there, g0 = N^2/(alpha g) the column's initial gradient (1 in the undisturbed interior, ~0
  /// in a mixed layer); and dr/dg = 1/g0.
  double StratInput(const double* Tc, PetscInt c, PetscInt q, double* dr_dg) const;
  /// The value of -ocean_face_inputs.
  const char* FaceInputsName() const {
    return strat_input_    ? "froude_base_strat"
           : base_input_   ? "froude_base"
           : froude_input_ ? "froude"
                           : "depth";
  }
  /// Network evaluation points per column: 1 (column form) or Nz-1 (face form).
  PetscInt NetPoints() const { return face_form_ ? nz_ - 1 : 1; }
  /// Network outputs per point: Nz-1 (column form) or 1 (face form).
  PetscInt NetOutputs() const { return face_form_ ? 1 : nz_ - 1; }
  bool FaceForm() const { return face_form_; }
  PetscReal TemperatureScale() const { return t_scale_; }
  /// Surface temperature flux Q/(rho c_p) of local column c (K m/s) in the active scenario.
  double SurfaceFlux(PetscInt c) const { return qt_[c]; }
  /// Flux of the physics without network at the Nz+1 faces of one column (bottom first).
  void BaseFlux(const double* T, PetscInt c, double* F) const;
  /// Log event "OceanNetJac": the network's column Jacobians inside Jacobian assembly
  /// (registered by SetUp()).
  static PetscLogEvent NetworkJacobianEvent();

 private:
  PetscErrorCode CheckList(const std::vector<PetscReal>& v, const char* name) const;
  kernels::CaParams CaSettings() const;
  kernels::KppParams KppSettings() const;
  PetscErrorCode ForwardBlocks(const double* T, std::vector<Closure::Tape>& tapes);
  PetscInt BlockCols(PetscInt b) const { return std::min(kBlock, ncol_ - b * kBlock); }
  // Row and column of a block's network output matrix that hold face q (1..Nz-1) of the
  // block's column j.
  PetscInt NetRow(PetscInt q) const { return face_form_ ? 0 : q - 1; }
  PetscInt NetCol(PetscInt j, PetscInt q) const { return face_form_ ? j * (nz_ - 1) + q - 1 : j; }
  PetscErrorCode FaceSlopes();
  PetscErrorCode NetworkParamVjp(const double* Fbar, double post, double* gtheta);

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string prefix_;
  PetscInt nx_ = 4, ny_ = 4, nz_ = 32;
  PetscReal depth_ = 256, spacing_ = 1000, dz_ = 8;
  Scheme scheme_ = Scheme::kCa;
  PetscReal ca_k_ = 10, ca_eps_ = 2e-5, kappa0_ = 1e-5;
  bool ca_softplus_ = false;  // -ocean_ca_switch softplus
  PetscReal t_surface_ = 20, alpha_ = 2e-4, gravity_ = 9.81, rho_cp_ = 1025.0 * 3991.0;
  PetscReal t_offset_ = 18, t_scale_ = 1, flux_scale_ = 1e-5;
  std::vector<PetscReal> cooling_range_ = {25, 75}, n2_range_ = {1e-5, 2.5e-5};
  std::vector<PetscReal> cooling_extrap_ = {75, 100}, n2_extrap_ = {5e-6, 1e-5};
  std::vector<PetscReal> cooling_, n2_;
  PetscInt extrap_seed_ = 200;
  PetscReal ri_c_ = 0.3;
  PetscReal entrain_ = 0,
            entrain_width_ = 0.2;  // kpp: entrainment flux ratio and zone width (fraction of h)
  PetscBool forcing_inputs_ = PETSC_FALSE, scale_by_surface_ = PETSC_FALSE;
  bool face_form_ = false;                   // -ocean_network_form face
  bool froude_input_ = false;                // -ocean_face_inputs froude, froude_base(_strat)
  bool base_input_ = false;                  // -ocean_face_inputs froude_base(_strat)
  bool strat_input_ = false;                 // -ocean_face_inputs froude_base_strat
  PetscReal fr_ref_ = 0.05;                  // -ocean_froude_reference
  PetscReal q_ref_ = 50, n2_ref_ = 1.75e-5;  // W/m^2, 1/s^2
  PetscBool jacobian_network_ = PETSC_TRUE;  // network column Jacobians in the assembled matrix
  ClosureConfig closure_config_{"none"};
  std::unique_ptr<Closure> closure_;

  DM da_ = nullptr;
  PetscInt xs_ = 0, ys_ = 0, xm_ = 0, ym_ = 0, ncol_ = 0, rstart_ = 0;
  static constexpr PetscInt kBlock = 256;  // columns per network batch

  // Active scenario, per local column.
  std::vector<double> qt_, n2col_;
  bool have_scenario_ = false;

  // Work storage (sized in SetUp).
  std::vector<double> face_, face2_;
  mutable std::vector<double> K_, NL_;  // K-profile work of one column
  nn::Matrix X_, Xdot_, Ybar_, Xbar_, Ydot_;
  std::vector<Closure::Tape> tapes_;
  // Linearization: the state, face derivatives dF/dg (ca) or frozen K (kpp), network tapes.
  PetscReal lin_t_ = 0;
  std::vector<double> lin_T_, lin_dF_;
  std::vector<double> lin_a_;  // face form: dF_f/dT_top of the network flux, per face
  std::vector<Closure::Tape> lin_tapes_;
  std::vector<nn::Matrix> jac_;  // network Jacobian columns, one (Nz-1) x nb matrix per level
  std::vector<double> block_;
  std::vector<PetscInt> idx_;
};

}  // namespace udeflow::pde
