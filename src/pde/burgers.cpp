#include "burgers.hpp"

#include <petscdmda.h>

#include <cmath>
#include <sstream>

#include "dmda_support.hpp"
#include "kernels/burgers_flux.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::pde {

namespace {
constexpr auto kGrid = dmda::GhostedArray::Indexing::kGrid;  // arrays indexed by grid index
}  // namespace

Burgers::~Burgers() {
  dmda::DestroyAll({&uloc_, &wloc_, &bloc_, &linloc_}, &da_);
}

PetscErrorCode Burgers::SetFromOptions(MPI_Comm comm, const char* prefix) {
  PetscFunctionBeginUser;
  comm_ = comm;
  prefix_ = prefix ? prefix : "";
  const std::string p = prefix_ + "burgers_";
  std::string flux = flux_ == Flux::kRusanov ? "rusanov" : "central";
  std::string recon = ReconName(recon_);
  std::string form = fc_config_.form == FaceClosure::Form::kFlux ? "flux" : "coefficients";
  std::string features = fc_config_.features == FaceClosure::Features::kRaw ? "raw" : "normalized";
  PetscInt diff_order = fc_config_.difference_order;
  PetscReal feature_eps = fc_config_.feature_eps;
  PetscOptionsBegin(comm, p.c_str(), "Burgers physics", "physics");
  PetscCall(UdeOptionsPositiveInt("-n", "Number of finite-volume cells", &n_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-length", "Length of the periodic domain", &length_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-eta", "Viscosity", &eta_, nullptr));
  PetscCall(UdeOptionsChoice("-flux", "Convective flux", {"rusanov", "central"}, &flux, nullptr));
  PetscCall(UdeOptionsChoice("-reconstruction", "Face reconstruction",
                             {"vanalbada", "first", "weno5"}, &recon, nullptr));
  PetscCall(UdeOptionsPositiveReal("-limiter_eps", "Smoothing of the van Albada limiter",
                                   &limiter_eps_, nullptr));
  PetscCall(
      UdeOptionsPositiveReal("-weno_eps", "Epsilon of the WENO5 weights", &weno_eps_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-rusanov_delta", "Smoothing of the Rusanov wave speed",
                                      &rusanov_delta_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-closure_stencil", "Cells seen by the closure at each face",
                                  &stencil_, nullptr));
  PetscCall(UdeOptionsChoice(
      "-closure_form",
      "Closure output: a flux correction, or coefficients of the stencil differences",
      {"flux", "coefficients"}, &form, nullptr));
  PetscCall(UdeOptionsPositiveInt("-closure_difference_order",
                                  "Order of the differences (coefficients form)", &diff_order,
                                  nullptr));
  PetscCall(UdeOptionsChoice(
      "-closure_features", "Closure inputs: raw stencil values, or normalized shape + mean + scale",
      {"raw", "normalized"}, &features, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-closure_feature_eps", "Floor of the scale of normalized features", &feature_eps, nullptr));
  PetscCall(UdeOptionsChoice("-ic", "Initial condition", {"zero", "sine"}, &ic_, nullptr));
  PetscCall(UdeOptionsReal("-ic_amplitude", "Amplitude of the sine initial condition",
                           &ic_amplitude_, nullptr));
  PetscCall(UdeOptionsNonNegativeInt("-forcing_modes", "Number of random forcing sines",
                                     &forcing_modes_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-forcing_amplitude", "Max forcing amplitude",
                                      &forcing_amplitude_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-forcing_kmin", "Smallest forcing wavenumber", &forcing_kmin_,
                                  nullptr));
  PetscCall(UdeOptionsPositiveInt("-forcing_kmax", "Largest forcing wavenumber", &forcing_kmax_,
                                  nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-forcing_omega", "Max forcing frequency", &forcing_omega_,
                                      nullptr));
  PetscOptionsEnd();
  PetscCheck(forcing_kmax_ >= forcing_kmin_, comm, PETSC_ERR_USER_INPUT,
             "option -%sforcing_kmax (%" PetscInt_FMT
             ") must not be below -%sforcing_kmin (%" PetscInt_FMT ")",
             p.c_str(), forcing_kmax_, p.c_str(), forcing_kmin_);
  PetscCheck(stencil_ <= 8, comm, PETSC_ERR_USER_INPUT,
             "option -%sclosure_stencil must be at most 8", p.c_str());
  flux_ = flux == "rusanov" ? Flux::kRusanov : Flux::kCentral;
  recon_ = ReconFromName(recon);
  fc_config_.form = form == "flux" ? FaceClosure::Form::kFlux : FaceClosure::Form::kCoefficients;
  fc_config_.features =
      features == "raw" ? FaceClosure::Features::kRaw : FaceClosure::Features::kNormalized;
  fc_config_.difference_order = static_cast<int>(diff_order);
  fc_config_.feature_eps = feature_eps;
  fc_config_.stencil = static_cast<int>(stencil_);
  PetscCheck(fc_config_.form == FaceClosure::Form::kFlux || stencil_ > diff_order, comm,
             PETSC_ERR_USER_INPUT,
             "option -%sclosure_stencil must exceed -%sclosure_difference_order with "
             "-%sclosure_form coefficients",
             p.c_str(), p.c_str(), p.c_str());
  PetscCheck(fc_config_.features == FaceClosure::Features::kRaw || stencil_ >= 2, comm,
             PETSC_ERR_USER_INPUT,
             "option -%sclosure_features normalized needs -%sclosure_stencil 2 or more", p.c_str(),
             p.c_str());
  PetscCall(ClosureConfigFromOptions(comm, prefix_.c_str(), &closure_config_));
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::SetResolution(const std::vector<PetscInt>& cells) {
  PetscFunctionBeginUser;
  PetscCheck(cells.size() == 1 && cells[0] > 0, comm_, PETSC_ERR_USER_INPUT,
             "option -%sburgers_n must be a positive integer", prefix_.c_str());
  n_ = cells[0];
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::SetSchemeOption(const std::string& key, const std::string& value) {
  PetscFunctionBeginUser;
  if (key == "burgers_reconstruction") {
    PetscCheck(value == "vanalbada" || value == "first" || value == "weno5", PETSC_COMM_WORLD,
               PETSC_ERR_USER_INPUT,
               "option -%sburgers_reconstruction: unknown value '%s' (choices: vanalbada, first, "
               "weno5)",
               prefix_.c_str(), value.c_str());
    recon_ = ReconFromName(value);
    PetscFunctionReturn(0);
  }
  if (key != "burgers_ic") PetscCall(Physics::SetSchemeOption(key, value));
  PetscCheck(value == "zero" || value == "sine", PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT,
             "option -%sburgers_ic: unknown value '%s' (choices: zero, sine)", prefix_.c_str(),
             value.c_str());
  ic_ = value;
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::SetUp() {
  PetscFunctionBeginUser;
  const PetscInt s = (stencil_ + 1) / 2;
  const kernels::BurgersFaceStencil recon = kernels::FaceStencilOf(FluxParams());
  recon_lo_ = recon.lo;
  recon_width_ = recon.Width();
  face_lo_ = std::min<PetscInt>(recon.lo, 1 - s);
  face_hi_ = std::max<PetscInt>(recon.hi, stencil_ - s);
  width_ = std::max(1 - face_lo_, face_hi_);
  PetscMPIInt size;
  PetscCallMPI(MPI_Comm_size(comm_, &size));
  PetscCheck(n_ >= size * width_ && n_ >= 2 * width_ + 1, comm_, PETSC_ERR_USER_INPUT,
             "option -%sburgers_n: %" PetscInt_FMT
             " cells are too few for %d ranks with a stencil of width %" PetscInt_FMT,
             prefix_.c_str(), n_, size, width_);
  dx_ = length_ / n_;
  flux_params_ = FluxParams();
  PetscCall(DMDACreate1d(comm_, DM_BOUNDARY_PERIODIC, n_, 1, width_, nullptr, &da_));
  PetscCall(DMSetUp(da_));
  PetscCall(DMDASetUniformCoordinates(da_, 0.5 * dx_, length_ - 0.5 * dx_, 0, 0, 0, 0));
  PetscCall(DMDASetFieldName(da_, 0, "v"));
  PetscCall(DMDAGetCorners(da_, &xs_, nullptr, nullptr, &xm_, nullptr, nullptr));
  PetscCall(dmda::CreateLocalVectors(da_, {&uloc_, &wloc_, &bloc_, &linloc_}));
  const PetscInt nf = xm_ + 1;
  face_flux_.assign(nf, 0.0);
  face_dot_.assign(nf, 0.0);
  face_bar_.assign(nf, 0.0);
  face_dF_.assign(recon_width_ * nf, 0.0);
  lin_blocks_.resize((nf + kBlock - 1) / kBlock);
  PetscCallCXX(fc_.Configure(fc_config_));
  PetscCall(ClosureCreate(comm_, prefix_.c_str(), closure_config_, fc_.NumFeatures(),
                          fc_.NumOutputs(), &closure_));
  PetscFunctionReturn(0);
}

std::string Burgers::Describe() const {
  std::ostringstream s;
  s << "burgers: " << n_ << " cells, dx " << dx_ << ", eta " << eta_ << ", flux "
    << (flux_ == Flux::kRusanov ? "rusanov" : "central") << ", reconstruction " << ReconName(recon_)
    << ", closure " << (closure_ ? closure_->Describe() : std::string("none")) << " ("
    << fc_.Describe() << ")";
  return s.str();
}

PetscErrorCode Burgers::BindParams(const double* theta) {
  PetscFunctionBeginUser;
  if (closure_) closure_->Bind(theta);
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::InitializeParams(double* theta) const {
  PetscFunctionBeginUser;
  if (closure_) PetscCallCXX(closure_->Initialize(theta));
  PetscFunctionReturn(0);
}

double Burgers::ClosureFlopsPerRhs() const {
  return closure_ && closure_->NumParams() ? closure_->FlopsPerPoint() * (xm_ + 1) : 0.0;
}

// ---------------------------------------------------------------- scenarios

PetscErrorCode Burgers::MakeScenario(uint64_t seed, Scenario* sc) const {
  PetscFunctionBeginUser;
  sc->assign(1 + 4 * forcing_modes_, 0.0);
  (*sc)[0] = static_cast<double>(forcing_modes_);
  const double two_pi = 2 * PETSC_PI;
  for (PetscInt j = 0; j < forcing_modes_; ++j) {
    double u0, u1, u2, u3;
    Philox::Uniform2(seed, static_cast<uint64_t>(j), 0x466f726365ULL, &u0, &u1);
    Philox::Uniform2(seed, static_cast<uint64_t>(j), 0x466f726366ULL, &u2, &u3);
    const PetscInt nk = forcing_kmax_ - forcing_kmin_ + 1;
    double* m = sc->data() + 1 + 4 * j;
    m[0] = forcing_amplitude_ * (2 * u0 - 1);
    m[1] = static_cast<double>(forcing_kmin_ +
                               std::min<PetscInt>(nk - 1, static_cast<PetscInt>(u1 * nk)));
    m[2] = forcing_omega_ * (2 * u2 - 1);
    m[3] = two_pi * u3;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::SetScenario(const Scenario& sc) {
  PetscFunctionBeginUser;
  PetscCheck(!sc.empty() && std::isfinite(sc[0]) && sc[0] >= 0 && sc[0] == std::floor(sc[0]) &&
                 sc.size() == 1 + 4 * static_cast<size_t>(sc[0]),
             comm_, PETSC_ERR_FILE_UNEXPECTED,
             "Burgers scenario: expected [M, (A, k, omega, phi) x M], got %zu numbers", sc.size());
  const size_t M = static_cast<size_t>(sc[0]);
  for (size_t j = 0; j < M; ++j) {
    const double* m = sc.data() + 1 + 4 * j;
    for (int q = 0; q < 4; ++q)
      PetscCheck(std::isfinite(m[q]), comm_, PETSC_ERR_FILE_UNEXPECTED,
                 "Burgers scenario: non-finite forcing value");
    PetscCheck(m[1] >= 1 && m[1] == std::floor(m[1]) && m[1] <= n_ / 2, comm_,
               PETSC_ERR_FILE_UNEXPECTED,
               "Burgers scenario: forcing wavenumber %g is not an integer in [1, N/2]", m[1]);
  }
  scenario_ = sc;
  PetscCall(EnsureForcingTables());
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::EnsureForcingTables() {
  PetscFunctionBeginUser;
  const size_t M = scenario_.empty() ? 0 : static_cast<size_t>(scenario_[0]);
  for (size_t j = 0; j < M; ++j) {
    const int k = static_cast<int>(scenario_[1 + 4 * j + 1]);
    if (tables_.count(k)) continue;
    auto& tab = tables_[k];
    tab[0].resize(xm_);
    tab[1].resize(xm_);
    const double kappa = 2 * PETSC_PI * k / length_;
    for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
      const double a = i * dx_, b = (i + 1) * dx_;
      tab[0][i - xs_] =
          (std::sin(kappa * b) - std::sin(kappa * a)) / (kappa * dx_);  // <cos(kappa x)>
      tab[1][i - xs_] =
          (std::cos(kappa * a) - std::cos(kappa * b)) / (kappa * dx_);  // <sin(kappa x)>
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::ForcingAdd(PetscReal t, double* f) const {
  PetscFunctionBeginUser;
  const size_t M = scenario_.empty() ? 0 : static_cast<size_t>(scenario_[0]);
  if (!M) PetscFunctionReturn(0);
  // Group modes by wavenumber: sin(w t + phi - k x) = sin(w t + phi) cos(k x) - cos(w t + phi)
  // sin(k x).
  std::map<int, std::pair<double, double>> pq;
  for (size_t j = 0; j < M; ++j) {
    const double* m = scenario_.data() + 1 + 4 * j;
    auto& e = pq[static_cast<int>(m[1])];
    e.first += m[0] * std::sin(m[2] * t + m[3]);
    e.second += m[0] * std::cos(m[2] * t + m[3]);
  }
  for (const auto& [k, c] : pq) {
    const auto& tab = tables_.at(k);
    const double P = c.first, Q = c.second;
    for (PetscInt i = 0; i < xm_; ++i) f[i] += P * tab[0][i] - Q * tab[1][i];
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::InitialCondition(Vec u) {
  PetscFunctionBeginUser;
  PetscScalar* a;
  PetscCall(VecGetArray(u, &a));
  const double kappa = 2 * PETSC_PI / length_;
  for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
    if (ic_ == "zero")
      a[i - xs_] = 0;
    else
      a[i - xs_] = ic_amplitude_ * (std::cos(kappa * i * dx_) - std::cos(kappa * (i + 1) * dx_)) /
                   (kappa * dx_);
  }
  PetscCall(VecRestoreArray(u, &a));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- fluxes

const char* Burgers::ReconName(Recon r) {
  return r == Recon::kVanAlbada ? "vanalbada" : r == Recon::kWeno5 ? "weno5" : "first";
}

Burgers::Recon Burgers::ReconFromName(const std::string& name) {
  return name == "vanalbada" ? Recon::kVanAlbada
         : name == "weno5"   ? Recon::kWeno5
                             : Recon::kFirstOrder;
}

kernels::BurgersFluxParams Burgers::FluxParams() const {
  kernels::BurgersFluxParams P;
  P.rusanov = flux_ == Flux::kRusanov;
  P.van_albada = recon_ == Recon::kVanAlbada;
  P.weno5 = recon_ == Recon::kWeno5;
  P.limiter_eps = limiter_eps_;
  P.weno_eps = weno_eps_;
  P.rusanov_delta = rusanov_delta_;
  P.eta = eta_;
  P.dx = dx_;
  return P;
}

double Burgers::FaceFlux(const double* v, PetscInt f, double* dF) const {
  return kernels::BurgersFaceFlux(flux_params_, v + f + recon_lo_, dF);
}

void Burgers::BuildStencils(const double* v, PetscInt j0, PetscInt nb, nn::Matrix& X) const {
  const PetscInt s = (stencil_ + 1) / 2;
  X.resize(stencil_, nb);
  for (PetscInt jj = 0; jj < nb; ++jj) {
    const PetscInt base = xs_ - 1 + j0 + jj + 1 - s;
    for (PetscInt m = 0; m < stencil_; ++m) X(m, jj) = v[base + m];
  }
}

PetscErrorCode Burgers::ClosureForward(const double* v, PetscInt j0, PetscInt nb,
                                       FaceClosure::Block& b) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
  BuildStencils(v, j0, nb, b.X);
  PetscCallCXX(fc_.Forward(*closure_, b));
  PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nb));
  PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// Closure data of faces [j0, j0+nb) at the linearization point: cached by Linearize()
// for repeated products, recomputed otherwise.
PetscErrorCode Burgers::LinearizedBlock(const double* vl, PetscInt b, PetscInt j0, PetscInt nb,
                                        FaceClosure::Block** blk) {
  PetscFunctionBeginUser;
  if (lin_slot_ >= 0) {
    *blk = &cache_[lin_slot_][b];
  } else if (lin_cached_) {
    *blk = &lin_blocks_[b];
  } else {
    PetscCall(ClosureForward(vl, j0, nb, block_));
    *blk = &block_;
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::Rhs(PetscReal t, Vec u, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs, 0, 0, 0, 0));
  dmda::GhostedArray v;
  PetscCall(v.Scatter(da_, u, uloc_, kGrid));
  const PetscInt nf = xm_ + 1;
  for (PetscInt j = 0; j < nf; ++j) face_flux_[j] = FaceFlux(v, xs_ - 1 + j, nullptr);
  if (NumParams() > 0) {
    const bool keep = rhs_slot_ >= 0 && rhs_slot_ < (PetscInt)cache_.size();
    for (PetscInt b = 0, j0 = 0; j0 < nf; j0 += kBlock, ++b) {
      const PetscInt nb = std::min(kBlock, nf - j0);
      FaceClosure::Block& blk = keep ? cache_[rhs_slot_][b] : block_;
      PetscCall(ClosureForward(v, j0, nb, blk));
      fc_.AddValue(blk, &face_flux_[j0]);
    }
    if (keep) cache_valid_[rhs_slot_] = 1;
  }
  PetscCall(v.Restore());
  PetscScalar* fa;
  PetscCall(VecGetArray(f, &fa));
  const double idx = 1.0 / dx_;
  for (PetscInt i = 0; i < xm_; ++i) fa[i] = -(face_flux_[i + 1] - face_flux_[i]) * idx;
  PetscCall(ForcingAdd(t, fa));
  PetscCall(VecRestoreArray(f, &fa));
  PetscCall(PetscLogEventEnd(LogEvents::rhs, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- derivatives

// The state (with ghosts) and the baseline flux derivatives at (t, u).
PetscErrorCode Burgers::LinearizeBaseline(PetscReal t, Vec u) {
  PetscFunctionBeginUser;
  lin_t_ = t;
  dmda::GhostedArray v;
  PetscCall(v.Scatter(da_, u, linloc_, kGrid));
  const PetscInt nf = xm_ + 1;
  for (PetscInt j = 0; j < nf; ++j) FaceFlux(v, xs_ - 1 + j, &face_dF_[recon_width_ * j]);
  PetscCall(v.Restore());
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::Linearize(PetscReal t, Vec u, bool repeated) {
  PetscFunctionBeginUser;
  PetscCall(LinearizeBaseline(t, u));
  lin_slot_ = -1;
  lin_cached_ = repeated && NumParams() > 0;
  if (lin_cached_) {
    dmda::GhostedArray v;
    PetscCall(v.Map(da_, linloc_, kGrid));
    const PetscInt nf = xm_ + 1;
    for (PetscInt b = 0, j0 = 0; j0 < nf; j0 += kBlock, ++b)
      PetscCall(ClosureForward(v, j0, std::min(kBlock, nf - j0), lin_blocks_[b]));
    PetscCall(v.Restore());
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::LinearizeCached(PetscReal t, Vec u, PetscInt slot, bool* hit) {
  PetscFunctionBeginUser;
  *hit = NumParams() > 0 && slot >= 0 && slot < (PetscInt)cache_.size() && cache_valid_[slot];
  if (!*hit) PetscFunctionReturn(0);
  PetscCall(LinearizeBaseline(t, u));
  lin_cached_ = false;
  lin_slot_ = slot;
  PetscFunctionReturn(0);
}

double Burgers::CacheBytesPerSlot() const {
  if (NumParams() == 0) return 0;
  double per_face = fc_.NumFeatures() + fc_config_.stencil;  // features and stencils
  const auto& w = closure_config_.hidden;
  for (int h : w) per_face += h;
  per_face += fc_.NumOutputs() + fc_.NumFeatures();  // output, input copy in the tape
  return per_face * sizeof(double) * (xm_ + 1);
}

PetscErrorCode Burgers::ResetCache(PetscInt slots) {
  PetscFunctionBeginUser;
  const size_t nblocks = lin_blocks_.size();
  if ((PetscInt)cache_.size() != slots)
    cache_.resize(slots, std::vector<FaceClosure::Block>(nblocks));
  cache_valid_.assign(slots, 0);
  lin_slot_ = -1;
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::JacobianMult(Vec vdot, Vec Jv) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_jvp, 0, 0, 0, 0));
  dmda::GhostedArray vd, vl;
  PetscCall(vd.Scatter(da_, vdot, wloc_, kGrid));
  PetscCall(vl.Map(da_, linloc_, kGrid));
  const PetscInt nf = xm_ + 1;
  for (PetscInt j = 0; j < nf; ++j) {
    const PetscInt f = xs_ - 1 + j;
    const double* d = &face_dF_[recon_width_ * j];
    const double* x = &vd[f + recon_lo_];
    double dot = 0;
    for (PetscInt m = 0; m < recon_width_; ++m) dot += d[m] * x[m];
    face_dot_[j] = dot;
  }
  if (NumParams() > 0) {
    for (PetscInt b = 0, j0 = 0; j0 < nf; j0 += kBlock, ++b) {
      const PetscInt nb = std::min(kBlock, nf - j0);
      FaceClosure::Block* blk;
      PetscCall(LinearizedBlock(vl, b, j0, nb, &blk));
      PetscCall(PetscLogEventBegin(LogEvents::closure_jvp, 0, 0, 0, 0));
      BuildStencils(vd, j0, nb, Xdot_);
      PetscCallCXX(fc_.Jvp(*closure_, *blk, Xdot_, &face_dot_[j0]));
      PetscCall(PetscLogEventEnd(LogEvents::closure_jvp, 0, 0, 0, 0));
    }
  }
  PetscCall(vd.Restore());
  PetscCall(vl.Restore());
  PetscScalar* o;
  PetscCall(VecGetArray(Jv, &o));
  for (PetscInt i = 0; i < xm_; ++i) o[i] = -(face_dot_[i + 1] - face_dot_[i]) / dx_;
  PetscCall(VecRestoreArray(Jv, &o));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_jvp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  dmda::GhostedArray wa, vl;
  PetscScalar* ba;
  PetscCall(wa.Scatter(da_, w, wloc_, kGrid));
  PetscCall(vl.Map(da_, linloc_, kGrid));
  PetscCall(VecZeroEntries(bloc_));
  PetscCall(DMDAVecGetArray(da_, bloc_, &ba));
  const PetscInt nf = xm_ + 1;
  // Cotangent of the face fluxes owned here (face j=0 belongs to the left neighbour).
  face_bar_[0] = 0;
  for (PetscInt j = 1; j < nf; ++j) {
    const PetscInt f = xs_ - 1 + j;
    face_bar_[j] = (wa[f + 1] - wa[f]) / dx_;
    const double* d = &face_dF_[recon_width_ * j];
    for (PetscInt m = 0; m < recon_width_; ++m) ba[f + recon_lo_ + m] += d[m] * face_bar_[j];
  }
  if (NumParams() > 0) {
    const PetscInt s = (stencil_ + 1) / 2;
    for (PetscInt b = 0, j0 = 0; j0 < nf; j0 += kBlock, ++b) {
      const PetscInt nb = std::min(kBlock, nf - j0);
      FaceClosure::Block* blk;
      PetscCall(LinearizedBlock(vl, b, j0, nb, &blk));
      PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
      PetscCallCXX(fc_.Vjp(*closure_, *blk, &face_bar_[j0], &Xbar_, gtheta));
      PetscCall(PetscLogFlops(2.0 * closure_->FlopsPerPoint() * nb));
      PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
      for (PetscInt jj = 0; jj < nb; ++jj) {
        const PetscInt base = xs_ - 1 + j0 + jj + 1 - s;
        for (PetscInt m = 0; m < stencil_; ++m) ba[base + m] += Xbar_(m, jj);
      }
    }
  }
  PetscCall(wa.Restore());
  PetscCall(vl.Restore());
  PetscCall(DMDAVecRestoreArray(da_, bloc_, &ba));
  PetscCall(dmda::LocalToGlobalSum(da_, bloc_, JTw));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::ParamJacobianMultTranspose(Vec w, double* gtheta) {
  PetscFunctionBeginUser;
  if (NumParams() == 0) PetscFunctionReturn(0);
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  dmda::GhostedArray wa, vl;
  PetscCall(wa.Scatter(da_, w, wloc_, kGrid));
  PetscCall(vl.Map(da_, linloc_, kGrid));
  const PetscInt nf = xm_ + 1;
  face_bar_[0] = 0;
  for (PetscInt j = 1; j < nf; ++j) {
    const PetscInt f = xs_ - 1 + j;
    face_bar_[j] = (wa[f + 1] - wa[f]) / dx_;
  }
  for (PetscInt b = 0, j0 = 0; j0 < nf; j0 += kBlock, ++b) {
    const PetscInt nb = std::min(kBlock, nf - j0);
    FaceClosure::Block* blk;
    PetscCall(LinearizedBlock(vl, b, j0, nb, &blk));
    PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
    PetscCallCXX(fc_.Vjp(*closure_, *blk, &face_bar_[j0], nullptr, gtheta));
    PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
  }
  PetscCall(wa.Restore());
  PetscCall(vl.Restore());
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::ParamJacobianMult(const double* thetadot, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(out));
  if (NumParams() == 0) PetscFunctionReturn(0);
  dmda::GhostedArray vl;
  PetscCall(vl.Map(da_, linloc_, kGrid));
  const PetscInt nf = xm_ + 1;
  for (PetscInt b = 0, j0 = 0; j0 < nf; j0 += kBlock, ++b) {
    const PetscInt nb = std::min(kBlock, nf - j0);
    FaceClosure::Block* blk;
    PetscCall(LinearizedBlock(vl, b, j0, nb, &blk));
    std::fill(&face_dot_[j0], &face_dot_[j0] + nb, 0.0);
    PetscCallCXX(fc_.ParamJvp(*closure_, *blk, thetadot, &face_dot_[j0]));
  }
  PetscCall(vl.Restore());
  PetscScalar* o;
  PetscCall(VecGetArray(out, &o));
  for (PetscInt i = 0; i < xm_; ++i) o[i] = -(face_dot_[i + 1] - face_dot_[i]) / dx_;
  PetscCall(VecRestoreArray(out, &o));
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::CreateJacobian(Mat* J) {
  return dmda::CreateJacobian(da_, J);
}

PetscErrorCode Burgers::AssembleJacobian(PetscReal a, PetscReal b, Mat J) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  const PetscInt nf = xm_ + 1, ws = face_hi_ - face_lo_ + 1, s = (stencil_ + 1) / 2;
  // D[j*ws + c] = dF_j / dv[f + face_lo + c]
  std::vector<double> D(nf * ws, 0.0);
  for (PetscInt j = 0; j < nf; ++j)
    for (PetscInt m = 0; m < recon_width_; ++m)
      D[j * ws + (recon_lo_ - face_lo_ + m)] += face_dF_[recon_width_ * j + m];
  if (NumParams() > 0) {
    dmda::GhostedArray vl;
    PetscCall(vl.Map(da_, linloc_, kGrid));
    for (PetscInt bk = 0, j0 = 0; j0 < nf; j0 += kBlock, ++bk) {
      const PetscInt nb = std::min(kBlock, nf - j0);
      FaceClosure::Block* blk;
      PetscCall(LinearizedBlock(vl, bk, j0, nb, &blk));
      // One scalar correction per face: the VJP with a unit cotangent on every face
      // gives each face's gradient (faces are independent).
      std::vector<double> ones(nb, 1.0);
      PetscCallCXX(fc_.Vjp(*closure_, *blk, ones.data(), &Xbar_, nullptr));
      for (PetscInt jj = 0; jj < nb; ++jj)
        for (PetscInt m = 0; m < stencil_; ++m)
          D[(j0 + jj) * ws + (1 - s - face_lo_ + m)] += Xbar_(m, jj);
    }
    PetscCall(vl.Restore());
  }
  std::vector<MatStencil> cols(ws + 1);
  std::vector<PetscScalar> vals(ws + 1);
  for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
    MatStencil row = {};
    row.i = i;
    const PetscInt jr = i - xs_ + 1, jl = i - xs_;  // faces i+1/2 and i-1/2
    for (PetscInt c = 0; c <= ws; ++c) {
      cols[c] = MatStencil{};
      cols[c].i = i - 1 + face_lo_ + c;
      double d = 0;
      if (c >= 1) d -= D[jr * ws + (c - 1)];
      if (c < ws) d += D[jl * ws + c];
      vals[c] = b * d / dx_;
    }
    vals[1 - face_lo_] += a;
    PetscCall(MatSetValuesStencil(J, 1, &row, ws + 1, cols.data(), vals.data(), INSERT_VALUES));
  }
  PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Burgers::StableTimeStep(Vec u, PetscReal* dt) {
  PetscFunctionBeginUser;
  PetscReal umax;
  PetscCall(VecNorm(u, NORM_INFINITY, &umax));
  *dt = dx_ / std::max<PetscReal>(umax, 1e-8);
  if (eta_ > 0) *dt = std::min<PetscReal>(*dt, dx_ * dx_ / (2 * eta_));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
