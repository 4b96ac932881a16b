#include "ocean_column.hpp"

#include <petscdmda.h>

#include <cmath>
#include <sstream>

#include "kernels/kpp.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::pde {

namespace {
PetscLogEvent net_jacobian_event = -1;
}

PetscLogEvent OceanColumn::NetworkJacobianEvent() {
  return net_jacobian_event;
}

OceanColumn::~OceanColumn() {
  DMDestroy(&da_);
}

PetscErrorCode OceanColumn::CheckList(const std::vector<PetscReal>& v, const char* name) const {
  PetscFunctionBeginUser;
  const PetscInt n = nx_ * ny_;
  PetscCheck(
      v.empty() || (PetscInt)v.size() == 1 || (PetscInt)v.size() == n, comm_, PETSC_ERR_USER_INPUT,
      "option -%socean_%s: surface forcing array has %zu values, expected 1 or %" PetscInt_FMT
      " (one per column of the %" PetscInt_FMT " x %" PetscInt_FMT " grid)",
      prefix_.c_str(), name, v.size(), n, nx_, ny_);
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::SharedDefaultsFromOptions(MPI_Comm comm) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, "ocean_", "Ocean columns: values a prefixed instance (the truth) shares",
                    "physics");
  PetscCall(PetscOptionsInt("-nx", "Columns in x", "", nx_, &nx_, nullptr));
  PetscCall(PetscOptionsInt("-ny", "Columns in y", "", ny_, &ny_, nullptr));
  PetscCall(PetscOptionsInt("-extrapolation_seed", "Seed of the extrapolation scenarios", "",
                            extrap_seed_, &extrap_seed_, nullptr));
  for (auto [name, v] : {std::pair<const char*, PetscReal*>{"-depth", &depth_},
                         {"-spacing", &spacing_},
                         {"-t_surface", &t_surface_},
                         {"-alpha", &alpha_},
                         {"-gravity", &gravity_},
                         {"-rho_cp", &rho_cp_},
                         {"-background_diffusivity", &kappa0_}})
    PetscCall(UdeOptionsReal(name, "Shared with the prefixed instance", v, nullptr));
  for (auto [name, v] :
       {std::pair<const char*, std::vector<PetscReal>*>{"-cooling_range", &cooling_range_},
        {"-n2_range", &n2_range_},
        {"-cooling_extrapolation", &cooling_extrap_},
        {"-n2_extrapolation", &n2_extrap_},
        {"-cooling", &cooling_},
        {"-n2", &n2_}})
    PetscCall(UdeOptionsRealList(name, "Shared with the prefixed instance", v, 1 << 18, nullptr));
  PetscOptionsEnd();
  PetscFunctionReturn(0);
}

// The surface forcing and initial stratification of the scenarios, the K-profile truth's
// parameters and the Jacobian assembly (options with prefix `p`).
PetscErrorCode OceanColumn::ForcingFromOptions(MPI_Comm comm, const std::string& p) {
  PetscFunctionBeginUser;
  PetscOptionsBegin(comm, p.c_str(), "Ocean columns: forcing, K-profile truth", "physics");
  PetscCall(UdeOptionsRealList("-cooling_range", "Surface cooling range of training seeds (W/m^2)",
                               &cooling_range_, 2, nullptr));
  PetscCall(UdeOptionsRealList("-n2_range", "Initial N^2 range of training seeds (1/s^2)",
                               &n2_range_, 2, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-extrapolation_seed",
                                     "Seeds >= this draw from the extrapolation ranges",
                                     &extrap_seed_, nullptr));
  PetscCall(UdeOptionsRealList("-cooling_extrapolation",
                               "Surface cooling range of extrapolation seeds (W/m^2)",
                               &cooling_extrap_, 2, nullptr));
  PetscCall(UdeOptionsRealList("-n2_extrapolation",
                               "Initial N^2 range of extrapolation seeds (1/s^2)", &n2_extrap_, 2,
                               nullptr));
  PetscCall(UdeOptionsRealList(
      "-cooling", "Surface cooling per column (W/m^2): 1 or nx*ny values (overrides ranges)",
      &cooling_, 1 << 18, nullptr));
  PetscCall(UdeOptionsRealList(
      "-n2", "Initial N^2 per column (1/s^2): 1 or nx*ny values (overrides ranges)", &n2_, 1 << 18,
      nullptr));
  PetscCall(UdeOptionsPositiveReal("-kpp_ri_c", "K-profile truth: critical bulk Richardson number",
                                   &ri_c_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-kpp_entrainment",
      "K-profile truth: entrainment heat flux at the boundary-layer base as a fraction "
      "of the surface cooling (0: none; 0.2 the classic convective value)",
      &entrain_, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-kpp_entrainment_width",
      "K-profile truth: entrainment flux tapers to zero over this fraction of h below h",
      &entrain_width_, nullptr));
  PetscCall(PetscOptionsBool(
      "-jacobian_network",
      "Assemble the network's column Jacobians (false: tridiagonal part only, a cheaper "
      "preconditioner of the exact matrix-free Jacobian)",
      "", jacobian_network_, &jacobian_network_, nullptr));
  PetscOptionsEnd();
  for (auto* r : {&cooling_range_, &n2_range_, &cooling_extrap_, &n2_extrap_})
    PetscCheck(r->size() == 2 && (*r)[0] <= (*r)[1], comm, PETSC_ERR_USER_INPUT,
               "option -%s...range/-extrapolation: give two increasing values lo,hi", p.c_str());
  PetscCall(CheckList(cooling_, "cooling"));
  PetscCall(CheckList(n2_, "n2"));
  for (PetscReal v : n2_)
    PetscCheck(v >= 0, comm, PETSC_ERR_USER_INPUT,
               "option -%sn2: stratification must be non-negative", p.c_str());
  PetscFunctionReturn(0);
}

// What the network reads besides the column and how its output is scaled.
PetscErrorCode OceanColumn::NetworkFromOptions(MPI_Comm comm, const std::string& p) {
  PetscFunctionBeginUser;
  std::string inputs = forcing_inputs_ ? "forcing" : "temperature";
  std::string scaling = scale_by_surface_ ? "surface" : "none";
  std::string form = face_form_ ? "face" : "column";
  std::string face_inputs = FaceInputsName();
  PetscOptionsBegin(comm, p.c_str(), "Ocean columns: network inputs and output scale", "physics");
  PetscCall(UdeOptionsChoice(
      "-network_form",
      "Network form: one map from the whole column to its Nz-1 face fluxes (column), or one "
      "map applied at every face reading the face depth over the mixing depth (face)",
      {"column", "face"}, &form, nullptr));
  PetscCall(UdeOptionsChoice(
      "-network_inputs",
      "Network inputs: the scaled column (temperature) or the column plus Q/Q_ref - 1 and "
      "N^2/N2_ref - 1 (forcing)",
      {"temperature", "forcing"}, &inputs, nullptr));
  PetscCall(UdeOptionsChoice(
      "-flux_scaling",
      "Network output times flux_scale (none) or times flux_scale Q/Q_ref (surface)",
      {"none", "surface"}, &scaling, nullptr));
  PetscCall(UdeOptionsChoice(
      "-face_inputs",
      "Face form inputs: the face depth over the mixing depth (depth), or that and the "
      "convective Froude number ln(Fr/Fr_ref), Fr = (B h_e)^(1/3)/(N h_e) (froude), or both and "
      "the face's distance to the mixing depth in grid units, s/(dz + |s|), s = d - h_e "
      "(froude_base), or those three and the face's stratification g/g0, g = dT/dz at the "
      "face, g0 = N^2/(alpha g) the column's initial gradient (froude_base_strat)",
      {"depth", "froude", "froude_base", "froude_base_strat"}, &face_inputs, nullptr));
  PetscCall(UdeOptionsPositiveReal("-froude_reference",
                                   "Reference convective Froude number Fr_ref of "
                                   "-ocean_face_inputs froude, froude_base and froude_base_strat",
                                   &fr_ref_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-q_reference", "Reference surface cooling Q_ref (W/m^2)",
                                   &q_ref_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-n2_reference", "Reference stratification N2_ref (1/s^2)",
                                   &n2_ref_, nullptr));
  PetscOptionsEnd();
  forcing_inputs_ = inputs == "forcing" ? PETSC_TRUE : PETSC_FALSE;
  scale_by_surface_ = scaling == "surface" ? PETSC_TRUE : PETSC_FALSE;
  face_form_ = form == "face";
  froude_input_ = face_inputs != "depth";
  base_input_ = face_inputs == "froude_base" || face_inputs == "froude_base_strat";
  strat_input_ = face_inputs == "froude_base_strat";
  PetscCheck(!froude_input_ || face_form_, comm, PETSC_ERR_USER_INPUT,
             "option -%sface_inputs %s: needs -%snetwork_form face", p.c_str(), face_inputs.c_str(),
             p.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::SetFromOptions(MPI_Comm comm, const char* prefix) {
  PetscFunctionBeginUser;
  comm_ = comm;
  prefix_ = prefix ? prefix : "";
  const std::string p = prefix_ + "ocean_";
  std::string scheme = scheme_ == Scheme::kCa ? "ca" : "kpp";
  std::string ca_switch = ca_softplus_ ? "softplus" : "sqrt";
  if (!prefix_.empty()) {
    // A prefixed instance (the truth) shares the model's columns, forcing and water
    // properties unless its own options override them: the unprefixed values are the
    // defaults.
    // Read (and listed by -help) as options of their own, without the prefix.
    PetscCall(SharedDefaultsFromOptions(comm));
  }
  PetscOptionsBegin(comm, p.c_str(), "Ocean columns", "physics");
  PetscCall(UdeOptionsPositiveInt("-nx", "Columns in x", &nx_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-ny", "Columns in y", &ny_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-nz", "Levels per column", &nz_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-depth", "Column depth H (m)", &depth_, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-spacing", "Horizontal distance between columns (m, geometry only)", &spacing_, nullptr));
  PetscCall(UdeOptionsChoice(
      "-scheme", "Column physics: convective adjustment + network (ca) or K-profile truth (kpp)",
      {"ca", "kpp"}, &scheme, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-ca_diffusivity",
                                      "Convective adjustment diffusivity K (m^2/s) where dT/dz < 0",
                                      &ca_k_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-ca_eps", "Smoothing of the convective switch (K/m)", &ca_eps_,
                                   nullptr));
  PetscCall(UdeOptionsChoice(
      "-ca_switch",
      "Form of the convective switch: -K/2 (g - sqrt(g^2 + eps^2)) (sqrt; leaks K eps^2/(4 g) "
      "in stable stratification) or K eps ln(1 + exp(-g/eps)) (softplus; no leak)",
      {"sqrt", "softplus"}, &ca_switch, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-background_diffusivity",
                                      "Background diffusivity kappa0 (m^2/s)", &kappa0_, nullptr));
  PetscCall(
      UdeOptionsReal("-t_surface", "Initial surface temperature (degC)", &t_surface_, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-alpha", "Thermal expansion coefficient (1/K)", &alpha_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-gravity", "Gravity (m/s^2)", &gravity_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-rho_cp", "Volumetric heat capacity rho0 c_p (J/(m^3 K))",
                                   &rho_cp_, nullptr));
  PetscCall(UdeOptionsReal("-t_offset", "Network input offset (degC)", &t_offset_, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-t_scale", "Network input scale (K); also the scale of the scaled-temperature MSE",
      &t_scale_, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-flux_scale", "Network output scale (K m/s)", &flux_scale_, nullptr));
  PetscOptionsEnd();
  scheme_ = scheme == "ca" ? Scheme::kCa : Scheme::kKpp;
  ca_softplus_ = ca_switch == "softplus";
  PetscCheck(nz_ >= 4, comm, PETSC_ERR_USER_INPUT, "option -%snz must be at least 4", p.c_str());
  PetscCall(ForcingFromOptions(comm, p));
  PetscCall(NetworkFromOptions(comm, p));
  PetscCall(ClosureConfigFromOptions(comm, prefix_.c_str(), &closure_config_));
  PetscCheck(
      scheme_ == Scheme::kCa || closure_config_.type == "none", comm, PETSC_ERR_USER_INPUT,
      "option -%sscheme kpp is the truth model and takes no network: set -%sclosure_type none",
      p.c_str(), prefix_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::SetSchemeOption(const std::string& key, const std::string& value) {
  PetscFunctionBeginUser;
  if (key != "ocean_scheme") PetscCall(Physics::SetSchemeOption(key, value));
  PetscCheck(value == "ca" || value == "kpp", comm_, PETSC_ERR_USER_INPUT,
             "option -%socean_scheme: unknown value '%s' (choices: ca, kpp)", prefix_.c_str(),
             value.c_str());
  scheme_ = value == "ca" ? Scheme::kCa : Scheme::kKpp;
  PetscFunctionReturn(0);
}

std::string OceanColumn::GetSchemeOption(const std::string& key) const {
  if (key != "ocean_scheme") return "";
  return scheme_ == Scheme::kCa ? "ca" : "kpp";
}

PetscErrorCode OceanColumn::SetResolution(const std::vector<PetscInt>& cells) {
  PetscFunctionBeginUser;
  PetscCheck(cells.size() == 3 && cells[0] > 0 && cells[1] > 0 && cells[2] > 0, comm_,
             PETSC_ERR_USER_INPUT,
             "options -%socean_nz/-%socean_nx/-%socean_ny must be positive integers",
             prefix_.c_str(), prefix_.c_str(), prefix_.c_str());
  nz_ = cells[0];
  nx_ = cells[1];
  ny_ = cells[2];
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::SetUp() {
  PetscFunctionBeginUser;
  dz_ = depth_ / nz_;
  if (net_jacobian_event < 0)
    PetscCall(PetscLogEventRegister("OceanNetJac", DM_CLASSID, &net_jacobian_event));
  PetscMPIInt size;
  PetscCallMPI(MPI_Comm_size(comm_, &size));
  PetscCheck(nx_ * ny_ >= size, comm_, PETSC_ERR_USER_INPUT,
             "options -%socean_nx/-ny: %" PetscInt_FMT " columns are too few for %d ranks",
             prefix_.c_str(), nx_ * ny_, size);
  // z first with one process: columns are whole and contiguous on their rank.
  PetscCall(DMDACreate3d(comm_, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                         DMDA_STENCIL_BOX, nz_, nx_, ny_, 1, PETSC_DECIDE, PETSC_DECIDE, 1, 0,
                         nullptr, nullptr, nullptr, &da_));
  PetscCall(DMSetUp(da_));
  PetscCall(DMDASetUniformCoordinates(da_, -depth_ + 0.5 * dz_, -0.5 * dz_, 0.5 * spacing_,
                                      (nx_ - 0.5) * spacing_, 0.5 * spacing_,
                                      (ny_ - 0.5) * spacing_));
  PetscCall(DMDASetFieldName(da_, 0, "T"));
  PetscCall(DMDAGetCorners(da_, nullptr, &xs_, &ys_, nullptr, &xm_, &ym_));
  ncol_ = xm_ * ym_;
  Vec g;
  PetscCall(DMGetGlobalVector(da_, &g));
  PetscCall(VecGetOwnershipRange(g, &rstart_, nullptr));
  PetscCall(DMRestoreGlobalVector(da_, &g));
  face_.assign((nz_ + 1) * std::max<PetscInt>(ncol_, 1), 0.0);
  face2_ = face_;
  K_.assign(nz_ + 1, 0.0);
  NL_.assign(nz_ + 1, 0.0);
  lin_T_.assign(nz_ * ncol_, 0.0);
  lin_dF_.assign((nz_ + 1) * ncol_, 0.0);
  lin_a_.assign(face_form_ ? (nz_ + 1) * ncol_ : 0, 0.0);
  qt_.assign(ncol_, 0.0);
  n2col_.assign(ncol_, 0.0);
  const PetscInt nblocks = (ncol_ + kBlock - 1) / kBlock;
  tapes_.resize(nblocks);
  lin_tapes_.resize(nblocks);
  block_.assign(nz_ * nz_, 0.0);
  idx_.assign(nz_, 0);
  PetscCall(ClosureCreate(comm_, prefix_.c_str(), closure_config_, static_cast<int>(NetInputs()),
                          static_cast<int>(NetOutputs()), &closure_));
  if (NumParams() > 0 && !face_form_) jac_.assign(nz_, nn::Matrix());
  PetscFunctionReturn(0);
}

std::string OceanColumn::Describe() const {
  std::ostringstream s;
  s << "ocean_column: " << nx_ << " x " << ny_ << " columns x " << nz_ << " levels, H " << depth_
    << " m, dz " << dz_ << " m, ";
  if (scheme_ == Scheme::kCa)
    s << "convective adjustment K " << ca_k_ << " m^2/s (eps " << ca_eps_ << " K/m"
      << (ca_softplus_ ? ", softplus switch" : "") << "), network "
      << (closure_ ? closure_->Describe() : std::string("none"))
      << (face_form_ && NumParams() > 0 ? " at every face, reading its depth / mixing depth" : "")
      << (froude_input_ && NumParams() > 0 ? " and the convective Froude number" : "")
      << (base_input_ && NumParams() > 0 ? " and its distance to the mixing depth" : "")
      << (strat_input_ && NumParams() > 0 ? " and its stratification" : "")
      << (forcing_inputs_ ? " reading the column and its forcing" : "")
      << (scale_by_surface_ ? ", flux scaled by Q/Q_ref" : "");
  else
    s << "K-profile truth with nonlocal flux (Ri_c " << ri_c_ << ", entrainment ratio " << entrain_
      << ")";
  s << ", kappa0 " << kappa0_ << " m^2/s";
  return s.str();
}

PetscErrorCode OceanColumn::BindParams(const double* theta) {
  PetscFunctionBeginUser;
  if (closure_) closure_->Bind(theta);
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::InitializeParams(double* theta) const {
  PetscFunctionBeginUser;
  if (closure_) PetscCallCXX(closure_->Initialize(theta));
  PetscFunctionReturn(0);
}

double OceanColumn::ClosureFlopsPerRhs() const {
  return NumParams() > 0 ? closure_->FlopsPerPoint() * ncol_ * NetPoints() : 0.0;
}

// ---------------------------------------------------------------- scenarios

PetscErrorCode OceanColumn::MakeScenario(uint64_t seed, Scenario* sc) const {
  PetscFunctionBeginUser;
  const PetscInt n = nx_ * ny_;
  const bool extrap = static_cast<PetscInt>(seed) >= extrap_seed_;
  const auto& qr = extrap ? cooling_extrap_ : cooling_range_;
  const auto& nr = extrap ? n2_extrap_ : n2_range_;
  sc->assign(1 + 2 * n, 0.0);
  (*sc)[0] = static_cast<double>(n);
  for (PetscInt j = 0; j < n; ++j) {
    double u0, u1;
    Philox::Uniform2(seed, static_cast<uint64_t>(j), 0x4f6365616eULL, &u0, &u1);
    (*sc)[1 + j] =
        cooling_.empty() ? qr[0] + (qr[1] - qr[0]) * u0 : cooling_[cooling_.size() == 1 ? 0 : j];
    (*sc)[1 + n + j] = n2_.empty() ? nr[0] + (nr[1] - nr[0]) * u1 : n2_[n2_.size() == 1 ? 0 : j];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::SetScenario(const Scenario& sc) {
  PetscFunctionBeginUser;
  const PetscInt n = nx_ * ny_;
  PetscCheck((PetscInt)sc.size() == 1 + 2 * n && sc[0] == (double)n, comm_, PETSC_ERR_USER_INPUT,
             "ocean_column: the surface forcing array of the scenario has %zu entries (for %g "
             "columns); the %" PetscInt_FMT " x %" PetscInt_FMT
             " columns need 1 + 2 x %" PetscInt_FMT " (cooling and N^2 per column)",
             sc.size(), sc.empty() ? 0.0 : sc[0], nx_, ny_, n);
  for (size_t i = 1; i < sc.size(); ++i)
    PetscCheck(std::isfinite(sc[i]), comm_, PETSC_ERR_USER_INPUT,
               "ocean_column: non-finite surface forcing");
  for (PetscInt y = ys_; y < ys_ + ym_; ++y)
    for (PetscInt x = xs_; x < xs_ + xm_; ++x) {
      const PetscInt c = (x - xs_) + xm_ * (y - ys_), j = x + nx_ * y;
      qt_[c] = sc[1 + j] / rho_cp_;
      n2col_[c] = sc[1 + n + j];
      PetscCheck(!face_form_ || NumParams() == 0 || n2col_[c] > 0, comm_, PETSC_ERR_USER_INPUT,
                 "option -%socean_network_form face: the mixing depth needs a stratified "
                 "column, but column %" PetscInt_FMT " has N^2 = %g",
                 prefix_.c_str(), j, n2col_[c]);
      PetscCheck(!froude_input_ || NumParams() == 0 || qt_[c] > 0, comm_, PETSC_ERR_USER_INPUT,
                 "option -%socean_face_inputs %s: the Froude number needs surface cooling, "
                 "but column %" PetscInt_FMT " has Q = %g W/m^2",
                 prefix_.c_str(), FaceInputsName(), j, sc[1 + j]);
    }
  have_scenario_ = true;
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::InitialCondition(Vec u) {
  PetscFunctionBeginUser;
  PetscCheck(have_scenario_, comm_, PETSC_ERR_ORDER, "ocean_column: set a scenario first");
  PetscScalar* a;
  PetscCall(VecGetArray(u, &a));
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double grad = n2col_[c] / (alpha_ * gravity_);
    for (PetscInt k = 0; k < nz_; ++k)
      a[c * nz_ + k] = t_surface_ + grad * (-depth_ + (k + 0.5) * dz_);
  }
  PetscCall(VecRestoreArray(u, &a));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- fluxes

double OceanColumn::MixingDepth(const double* Tc, PetscInt c, double* dh_dtop) const {
  const double per_kelvin = alpha_ * gravity_ / n2col_[c];  // m/K of the initial profile
  const double h = per_kelvin * (t_surface_ - Tc[nz_ - 1]);
  const double he = std::sqrt(h * h + dz_ * dz_);
  *dh_dtop = -per_kelvin * h / he;
  return he;
}

double OceanColumn::FaceInput(double he, PetscInt q, double* du_dh) const {
  const double sigma = (depth_ - q * dz_) / he;
  const double u = 1.0 / (1.0 + sigma);
  *du_dh = u * u * sigma / he;
  return u;
}

double OceanColumn::BaseInput(double he, PetscInt q, double* dx_dh) const {
  // s/(dz + |s|), s = d - h_e: in (-1, 1), 0 at the mixing depth, +-1/2 one cell away.
  const double s = (depth_ - q * dz_) - he;
  const double r = dz_ + std::abs(s);
  *dx_dh = -dz_ / (r * r);
  return s / r;
}

double OceanColumn::StratInput(const double* Tc, PetscInt c, PetscInt q, double* dr_dg) const {
  const double g0 = n2col_[c] / (alpha_ * gravity_);
  *dr_dg = 1.0 / g0;
  return (Tc[q] - Tc[q - 1]) / (dz_ * g0);
}

double OceanColumn::FroudeInput(double he, PetscInt c, double* dx_dh) const {
  // ln(Fr/Fr_ref), Fr = (B h_e)^(1/3) / (N h_e) = B^(1/3) h_e^(-2/3) / N, B = alpha g Q/(rho c_p).
  const double B = alpha_ * gravity_ * qt_[c];
  *dx_dh = -2.0 / (3.0 * he);
  return std::log(B) / 3.0 - 2.0 * std::log(he) / 3.0 - 0.5 * std::log(n2col_[c]) -
         std::log(fr_ref_);
}

void OceanColumn::NetworkInputs(const double* Tc, PetscInt c, double* x) const {
  const PetscInt ni = NetInputs();
  if (face_form_) {
    double dh, du;
    const double he = MixingDepth(Tc, c, &dh);
    for (PetscInt q = 1; q < nz_; ++q) x[(q - 1) * ni] = FaceInput(he, q, &du);
    if (froude_input_) {
      const double fr = FroudeInput(he, c, &du);
      for (PetscInt q = 1; q < nz_; ++q) x[(q - 1) * ni + 1] = fr;
    }
    if (base_input_)
      for (PetscInt q = 1; q < nz_; ++q) x[(q - 1) * ni + 2] = BaseInput(he, q, &du);
    if (strat_input_)
      for (PetscInt q = 1; q < nz_; ++q) x[(q - 1) * ni + 3] = StratInput(Tc, c, q, &du);
  } else {
    kernels::ScaleColumn(Tc, nz_, t_offset_, t_scale_, x);
  }
  if (forcing_inputs_) {
    const PetscInt off = face_form_ ? FaceInputs() : nz_;
    for (PetscInt p = 0; p < NetPoints(); ++p) {
      x[p * ni + off] = qt_[c] * rho_cp_ / q_ref_ - 1.0;
      x[p * ni + off + 1] = n2col_[c] / n2_ref_ - 1.0;
    }
  }
}

kernels::CaParams OceanColumn::CaSettings() const {
  kernels::CaParams P;
  P.k = ca_k_;
  P.eps = ca_eps_;
  P.softplus = ca_softplus_;
  P.kappa0 = kappa0_;
  return P;
}

kernels::KppParams OceanColumn::KppSettings() const {
  kernels::KppParams P;
  P.alpha = alpha_;
  P.gravity = gravity_;
  P.depth = depth_;
  P.dz = dz_;
  P.nz = nz_;
  P.ri_c = ri_c_;
  P.kappa0 = kappa0_;
  P.entrain = entrain_;
  P.entrain_width = entrain_width_;
  return P;
}

void OceanColumn::BaseFlux(const double* T, PetscInt c, double* F) const {
  if (scheme_ == Scheme::kCa)
    kernels::CaColumnFlux(CaSettings(), T, nz_, dz_, qt_[c], F);
  else
    kernels::KppColumnFlux(KppSettings(), T, qt_[c], K_.data(), NL_.data(), F);
}

// Network forward on every block of local columns (inputs scaled), tapes kept.
PetscErrorCode OceanColumn::ForwardBlocks(const double* T, std::vector<Closure::Tape>& tapes) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
  for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
    const PetscInt nb = BlockCols(b), np = NetPoints();
    X_.resize(NetInputs(), nb * np);
    for (PetscInt j = 0; j < nb; ++j) {
      const PetscInt c = b * kBlock + j;
      NetworkInputs(T + c * nz_, c, X_.col(j * np).data());
    }
    PetscCallCXX(closure_->Forward(X_, tapes[b]));
    PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nb * np));
  }
  PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::Rhs(PetscReal t, Vec u, Vec f) {
  PetscFunctionBeginUser;
  PetscCheck(have_scenario_, comm_, PETSC_ERR_ORDER, "ocean_column: set a scenario first");
  PetscCall(PetscLogEventBegin(LogEvents::rhs, 0, 0, 0, 0));
  const PetscScalar* T;
  PetscCall(VecGetArrayRead(u, &T));
  const PetscInt nf = nz_ + 1;
  for (PetscInt c = 0; c < ncol_; ++c) BaseFlux(T + c * nz_, c, &face_[c * nf]);
  if (NumParams() > 0) {
    PetscCall(ForwardBlocks(T, tapes_));
    for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
      const nn::Matrix& Y = tapes_[b].Output();
      for (PetscInt j = 0; j < BlockCols(b); ++j) {
        double* F = &face_[(b * kBlock + j) * nf];
        const double g = NetScale(b * kBlock + j);
        for (PetscInt q = 1; q < nz_; ++q) F[q] += g * Y(NetRow(q), NetCol(j, q));
      }
    }
  }
  PetscCall(VecRestoreArrayRead(u, &T));
  PetscScalar* fa;
  PetscCall(VecGetArray(f, &fa));
  const double idz = 1.0 / dz_;
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double* F = &face_[c * nf];
    for (PetscInt k = 0; k < nz_; ++k) fa[c * nz_ + k] = -(F[k + 1] - F[k]) * idz;
  }
  PetscCall(VecRestoreArray(f, &fa));
  PetscCall(PetscLogEventEnd(LogEvents::rhs, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- derivatives

PetscErrorCode OceanColumn::Linearize(PetscReal t, Vec u, bool) {
  PetscFunctionBeginUser;
  lin_t_ = t;
  const PetscScalar* T;
  PetscCall(VecGetArrayRead(u, &T));
  std::copy(T, T + nz_ * ncol_, lin_T_.begin());
  PetscCall(VecRestoreArrayRead(u, &T));
  const PetscInt nf = nz_ + 1;
  // lin_dF_[c*nf + f] = dF_f/dg_f (ca) or -K_f (kpp, frozen).
  const kernels::CaParams ca = CaSettings();
  const kernels::KppParams kpp = KppSettings();
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double* Tc = &lin_T_[c * nz_];
    double* d = &lin_dF_[c * nf];
    d[0] = d[nz_] = 0;
    if (scheme_ == Scheme::kCa) {
      double F;
      for (PetscInt q = 1; q < nz_; ++q) kernels::CaFlux(ca, (Tc[q] - Tc[q - 1]) / dz_, &F, &d[q]);
    } else {
      kernels::KppColumn(kpp, Tc, qt_[c], K_.data(), NL_.data());
      for (PetscInt q = 1; q < nz_; ++q) d[q] = -K_[q];
    }
  }
  if (NumParams() > 0) PetscCall(ForwardBlocks(lin_T_.data(), lin_tapes_));
  if (NumParams() > 0 && face_form_) PetscCall(FaceSlopes());
  PetscFunctionReturn(0);
}

// Face form: the network flux of face q depends on the state through the top level (its
// mixing depth): lin_a_[c*nf + q] = NetScale(c) dy/du (u_q) du_q/dh_e dh_e/dT_top; with the
// stratification input also through the face's gradient (added to lin_dF_).
PetscErrorCode OceanColumn::FaceSlopes() {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::closure_jvp, 0, 0, 0, 0));
  const PetscInt nf = nz_ + 1, np = NetPoints();
  for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
    const PetscInt nb = BlockCols(b);
    Xdot_.setZero(NetInputs(), nb * np);
    if (froude_input_) {
      // Every input but the stratification depends on h_e: the tangent along dh_e = 1 gives
      // dy/dh_e directly.
      for (PetscInt j = 0; j < nb; ++j) {
        const PetscInt c = b * kBlock + j;
        double dh, du, dx;
        const double he = MixingDepth(&lin_T_[c * nz_], c, &dh);
        FroudeInput(he, c, &dx);
        for (PetscInt q = 1; q < nz_; ++q) {
          FaceInput(he, q, &du);
          Xdot_(0, NetCol(j, q)) = du;
          Xdot_(1, NetCol(j, q)) = dx;
          if (base_input_) {
            double db;
            BaseInput(he, q, &db);
            Xdot_(2, NetCol(j, q)) = db;
          }
        }
      }
    } else {
      Xdot_.row(0).setOnes();
    }
    PetscCallCXX(closure_->Jvp(lin_tapes_[b], Xdot_, &Ydot_));
    PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nb * np));
    for (PetscInt j = 0; j < nb; ++j) {
      const PetscInt c = b * kBlock + j;
      double dh, du;
      const double he = MixingDepth(&lin_T_[c * nz_], c, &dh);
      double* a = &lin_a_[c * nf];
      a[0] = a[nz_] = 0;
      for (PetscInt q = 1; q < nz_; ++q) {
        if (froude_input_) {
          a[q] = NetScale(c) * Ydot_(0, NetCol(j, q)) * dh;
        } else {
          FaceInput(he, q, &du);
          a[q] = NetScale(c) * Ydot_(0, NetCol(j, q)) * du * dh;
        }
      }
    }
    if (strat_input_) {
      // The stratification input r_q = g_q/g0 moves with the face's own gradient: its slope
      // NetScale dy/dr dr/dg joins dF_q/dg_q of the local part (tridiagonal, exact in the
      // Newton operator, the assembled matrix and the adjoint like the switch's).
      Xdot_.setZero(NetInputs(), nb * np);
      Xdot_.row(3).setOnes();
      PetscCallCXX(closure_->Jvp(lin_tapes_[b], Xdot_, &Ydot_));
      PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nb * np));
      for (PetscInt j = 0; j < nb; ++j) {
        const PetscInt c = b * kBlock + j;
        double* d = &lin_dF_[c * nf];
        for (PetscInt q = 1; q < nz_; ++q) {
          double dr;
          StratInput(&lin_T_[c * nz_], c, q, &dr);
          d[q] += NetScale(c) * Ydot_(0, NetCol(j, q)) * dr;
        }
      }
    }
  }
  PetscCall(PetscLogEventEnd(LogEvents::closure_jvp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::JacobianMult(Vec v, Vec Jv) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_jvp, 0, 0, 0, 0));
  const PetscScalar* V;
  PetscCall(VecGetArrayRead(v, &V));
  const PetscInt nf = nz_ + 1;
  const double idz = 1.0 / dz_;
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double* vc = V + c * nz_;
    const double* d = &lin_dF_[c * nf];
    double* F = &face_[c * nf];
    F[0] = F[nz_] = 0;
    for (PetscInt q = 1; q < nz_; ++q) F[q] = d[q] * (vc[q] - vc[q - 1]) * idz;
  }
  if (NumParams() > 0 && face_form_) {
    for (PetscInt c = 0; c < ncol_; ++c) {
      const double vtop = V[c * nz_ + nz_ - 1];
      const double* a = &lin_a_[c * nf];
      double* F = &face_[c * nf];
      for (PetscInt q = 1; q < nz_; ++q) F[q] += a[q] * vtop;
    }
  } else if (NumParams() > 0) {
    PetscCall(PetscLogEventBegin(LogEvents::closure_jvp, 0, 0, 0, 0));
    const double s = 1.0 / t_scale_;
    for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
      const PetscInt nb = BlockCols(b);
      Xdot_.setZero(NetInputs(), nb);
      for (PetscInt j = 0; j < nb; ++j)
        for (PetscInt k = 0; k < nz_; ++k) Xdot_(k, j) = V[(b * kBlock + j) * nz_ + k] * s;
      PetscCallCXX(closure_->Jvp(lin_tapes_[b], Xdot_, &Ydot_));
      for (PetscInt j = 0; j < nb; ++j) {
        double* F = &face_[(b * kBlock + j) * nf];
        const double g = NetScale(b * kBlock + j);
        for (PetscInt q = 1; q < nz_; ++q) F[q] += g * Ydot_(q - 1, j);
      }
    }
    PetscCall(PetscLogEventEnd(LogEvents::closure_jvp, 0, 0, 0, 0));
  }
  PetscCall(VecRestoreArrayRead(v, &V));
  PetscScalar* o;
  PetscCall(VecGetArray(Jv, &o));
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double* F = &face_[c * nf];
    for (PetscInt k = 0; k < nz_; ++k) o[c * nz_ + k] = -(F[k + 1] - F[k]) * idz;
  }
  PetscCall(VecRestoreArray(Jv, &o));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_jvp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// Cotangent of the interior face fluxes from the cotangent w of the tendencies:
// Fbar_f = (w_f - w_{f-1})/dz.
PetscErrorCode OceanColumn::JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  const PetscScalar* W;
  PetscScalar* o;
  PetscCall(VecGetArrayRead(w, &W));
  PetscCall(VecGetArray(JTw, &o));
  const PetscInt nf = nz_ + 1;
  const double idz = 1.0 / dz_;
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double* wc = W + c * nz_;
    const double* d = &lin_dF_[c * nf];
    double* Fb = &face2_[c * nf];
    double* oc = o + c * nz_;
    for (PetscInt k = 0; k < nz_; ++k) oc[k] = 0;
    for (PetscInt q = 1; q < nz_; ++q) {
      Fb[q] = (wc[q] - wc[q - 1]) * idz;
      const double gb = d[q] * Fb[q] * idz;
      oc[q] += gb;
      oc[q - 1] -= gb;
    }
  }
  if (NumParams() > 0 && face_form_) {
    for (PetscInt c = 0; c < ncol_; ++c) {
      const double* a = &lin_a_[c * nf];
      const double* Fb = &face2_[c * nf];
      double sum = 0;
      for (PetscInt q = 1; q < nz_; ++q) sum += a[q] * Fb[q];
      o[c * nz_ + nz_ - 1] += sum;
    }
    if (gtheta) PetscCall(NetworkParamVjp(face2_.data(), 1.0, gtheta));
  } else if (NumParams() > 0) {
    PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
    const double s = 1.0 / t_scale_;
    for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
      const PetscInt nb = BlockCols(b);
      Ybar_.resize(nz_ - 1, nb);
      for (PetscInt j = 0; j < nb; ++j) {
        const double g = NetScale(b * kBlock + j);
        for (PetscInt q = 1; q < nz_; ++q) Ybar_(q - 1, j) = g * face2_[(b * kBlock + j) * nf + q];
      }
      PetscCallCXX(closure_->Vjp(lin_tapes_[b], Ybar_, &Xbar_, gtheta));
      PetscCall(PetscLogFlops(2.0 * closure_->FlopsPerPoint() * nb));
      for (PetscInt j = 0; j < nb; ++j)
        for (PetscInt k = 0; k < nz_; ++k) o[(b * kBlock + j) * nz_ + k] += Xbar_(k, j) * s;
    }
    PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
  }
  PetscCall(VecRestoreArrayRead(w, &W));
  PetscCall(VecRestoreArray(JTw, &o));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::ParamJacobianMultTranspose(Vec w, double* gtheta) {
  PetscFunctionBeginUser;
  if (NumParams() == 0) PetscFunctionReturn(0);
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
  const PetscScalar* W;
  PetscCall(VecGetArrayRead(w, &W));
  const PetscInt nf = nz_ + 1;
  const double idz = 1.0 / dz_;  // Fbar = (w_q - w_{q-1}) / dz
  for (PetscInt c = 0; c < ncol_; ++c) {
    const double* wc = W + c * nz_;
    double* Fb = &face2_[c * nf];
    for (PetscInt q = 1; q < nz_; ++q) Fb[q] = wc[q] - wc[q - 1];
  }
  PetscCall(VecRestoreArrayRead(w, &W));
  PetscCall(NetworkParamVjp(face2_.data(), idz, gtheta));
  PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// gtheta += (d network fluxes / d theta)^T (Fbar post), Fbar post the cotangent of the face
// fluxes (Nz+1 per column, interior faces read).
PetscErrorCode OceanColumn::NetworkParamVjp(const double* Fbar, double post, double* gtheta) {
  PetscFunctionBeginUser;
  const PetscInt nf = nz_ + 1, np = NetPoints();
  for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
    const PetscInt nb = BlockCols(b);
    Ybar_.resize(NetOutputs(), nb * np);
    for (PetscInt j = 0; j < nb; ++j) {
      const double* Fb = Fbar + (b * kBlock + j) * nf;
      const double g = NetScale(b * kBlock + j);
      for (PetscInt q = 1; q < nz_; ++q) Ybar_(NetRow(q), NetCol(j, q)) = g * Fb[q] * post;
    }
    PetscCallCXX(closure_->Vjp(lin_tapes_[b], Ybar_, nullptr, gtheta));
    PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nb * np));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::ParamJacobianMult(const double* thetadot, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(out));
  if (NumParams() == 0) PetscFunctionReturn(0);
  PetscScalar* o;
  PetscCall(VecGetArray(out, &o));
  const double idz = 1.0 / dz_;
  for (PetscInt b = 0; b * kBlock < ncol_; ++b) {
    const PetscInt nb = BlockCols(b);
    PetscCallCXX(closure_->ParamJvp(lin_tapes_[b], thetadot, &Ydot_));
    for (PetscInt j = 0; j < nb; ++j) {
      double* oc = o + (b * kBlock + j) * nz_;
      const double g = NetScale(b * kBlock + j);
      for (PetscInt k = 0; k < nz_; ++k) {
        const double up = k + 1 < nz_ ? g * Ydot_(NetRow(k + 1), NetCol(j, k + 1)) : 0.0;
        const double dn = k > 0 ? g * Ydot_(NetRow(k), NetCol(j, k)) : 0.0;
        oc[k] = -(up - dn) * idz;
      }
    }
  }
  PetscCall(VecRestoreArray(out, &o));
  PetscFunctionReturn(0);
}

// Block-diagonal matrix in the DMDA's global ordering: column c of this rank owns rows
// rstart + c*Nz .. rstart + c*Nz + Nz-1, and every entry of its block is local.
PetscErrorCode OceanColumn::CreateJacobian(Mat* J) {
  PetscFunctionBeginUser;
  const PetscInt n = nz_ * ncol_;
  const PetscInt per_row = NumParams() > 0 && jacobian_network_ ? nz_ : 3;
  PetscCall(
      MatCreateAIJ(comm_, n, n, PETSC_DETERMINE, PETSC_DETERMINE, per_row, nullptr, 0, nullptr, J));
  PetscCall(MatSetOption(*J, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  PetscCall(MatSetOption(*J, MAT_NO_OFF_PROC_ENTRIES, PETSC_TRUE));
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::AssembleJacobian(PetscReal a, PetscReal b, Mat J) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  const PetscInt nf = nz_ + 1;
  const double idz = 1.0 / dz_;
  const bool nn = NumParams() > 0 && jacobian_network_;
  for (PetscInt bk = 0; bk * kBlock < ncol_; ++bk) {
    const PetscInt nb = BlockCols(bk);
    if (nn && !face_form_) {
      // Network Jacobian of every column of the block, one input level at a time.
      PetscCall(PetscLogEventBegin(net_jacobian_event, 0, 0, 0, 0));
      PetscCall(PetscLogEventBegin(LogEvents::closure_jvp, 0, 0, 0, 0));
      Xdot_.setZero(NetInputs(), nb);
      for (PetscInt j = 0; j < nz_; ++j) {
        Xdot_.row(j).setConstant(1.0 / t_scale_);
        PetscCallCXX(closure_->Jvp(lin_tapes_[bk], Xdot_, &jac_[j]));
        Xdot_.row(j).setZero();
      }
      PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nb * nz_));
      PetscCall(PetscLogEventEnd(LogEvents::closure_jvp, 0, 0, 0, 0));
      PetscCall(PetscLogEventEnd(net_jacobian_event, 0, 0, 0, 0));
    }
    for (PetscInt jj = 0; jj < nb; ++jj) {
      const PetscInt c = bk * kBlock + jj;
      const double* d = &lin_dF_[c * nf];
      // block_[k*nz + j] = d rhs_k / d T_j, rhs_k = -(F_{k+1} - F_k)/dz.
      std::fill(block_.begin(), block_.end(), 0.0);
      for (PetscInt k = 0; k < nz_; ++k) {
        double* row = &block_[k * nz_];
        // Local (convective adjustment / K-profile) part of faces k+1 and k.
        if (k + 1 < nz_) {
          row[k + 1] -= d[k + 1] * idz * idz;
          row[k] += d[k + 1] * idz * idz;
        }
        if (k > 0) {
          row[k] += d[k] * idz * idz;
          row[k - 1] -= d[k] * idz * idz;
        }
        if (nn && face_form_) {
          const double* fa = &lin_a_[c * nf];
          row[nz_ - 1] -= ((k + 1 < nz_ ? fa[k + 1] : 0.0) - (k > 0 ? fa[k] : 0.0)) * idz;
        } else if (nn) {
          for (PetscInt j = 0; j < nz_; ++j) {
            const double up = k + 1 < nz_ ? jac_[j](k, jj) : 0.0;
            const double dn = k > 0 ? jac_[j](k - 1, jj) : 0.0;
            row[j] -= NetScale(c) * (up - dn) * idz;
          }
        }
        for (PetscInt j = 0; j < nz_; ++j) row[j] *= b;
        row[k] += a;
      }
      for (PetscInt k = 0; k < nz_; ++k) idx_[k] = rstart_ + c * nz_ + k;
      if (nn) {
        PetscCall(
            MatSetValues(J, nz_, idx_.data(), nz_, idx_.data(), block_.data(), INSERT_VALUES));
      } else {
        for (PetscInt k = 0; k < nz_; ++k) {
          const PetscInt lo = std::max<PetscInt>(0, k - 1), hi = std::min<PetscInt>(nz_ - 1, k + 1);
          PetscCall(MatSetValues(J, 1, &idx_[k], hi - lo + 1, &idx_[lo], &block_[k * nz_ + lo],
                                 INSERT_VALUES));
        }
      }
    }
  }
  PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode OceanColumn::StableTimeStep(Vec u, PetscReal* dt) {
  PetscFunctionBeginUser;
  // Explicit diffusion limit dz^2/(2 K_max): convective adjustment (ca) or the largest
  // K-profile diffusivity, h w_s max G <= H w_s 4/27 (kpp).
  double kmax = kappa0_ + (scheme_ == Scheme::kCa ? ca_k_ : 0.0);
  if (scheme_ == Scheme::kKpp) {
    double qmax = 0, qloc = 0;
    for (double q : qt_) qloc = std::max(qloc, q);
    PetscCallMPI(MPI_Allreduce(&qloc, &qmax, 1, MPI_DOUBLE, MPI_MAX, comm_));
    kmax = std::max(kmax, kernels::KppDiffusivityBound(KppSettings(), qmax));
  }
  *dt = dz_ * dz_ / (2 * kmax);
  PetscFunctionReturn(0);
}

Closure* OceanColumn::OfflineClosure() {
  return scheme_ == Scheme::kCa && closure_ && closure_->NumParams() > 0 ? closure_.get() : nullptr;
}

PetscErrorCode OceanColumn::AppendOfflineSamples(PetscReal dt, Vec a, Vec b,
                                                 std::vector<double>* inputs,
                                                 std::vector<double>* targets,
                                                 OfflineCheck* check) {
  PetscFunctionBeginUser;
  PetscCheck(OfflineClosure(), comm_, PETSC_ERR_USER_INPUT,
             "option -train_mode offline: needs -physics ocean_column with -ocean_scheme ca and "
             "-closure_type mlp");
  const PetscInt nz = nz_, nf = nz + 1;
  std::vector<double> Tm(nz), F(nf), Fb(nf), x(NetInputs() * NetPoints());
  const PetscScalar *A, *B;
  PetscCall(VecGetArrayRead(a, &A));
  PetscCall(VecGetArrayRead(b, &B));
  for (PetscInt c = 0; c < ncol_; ++c) {
    F[0] = 0;
    for (PetscInt q = 0; q < nz; ++q) {
      Tm[q] = 0.5 * (A[c * nz + q] + B[c * nz + q]);
      F[q + 1] = F[q] - dz_ * (B[c * nz + q] - A[c * nz + q]) / dt;
    }
    check->error = std::max(check->error, std::abs(F[nz] - SurfaceFlux(c)));
    check->reference = std::max(check->reference, std::abs(SurfaceFlux(c)));
    BaseFlux(Tm.data(), c, Fb.data());
    NetworkInputs(Tm.data(), c, x.data());
    inputs->insert(inputs->end(), x.begin(), x.end());
    const double g = NetScale(c);
    for (PetscInt q = 1; q < nz; ++q) targets->push_back((F[q] - Fb[q]) / g);
  }
  PetscCall(VecRestoreArrayRead(a, &A));
  PetscCall(VecRestoreArrayRead(b, &B));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
