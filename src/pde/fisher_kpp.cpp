#include "fisher_kpp.hpp"

#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "dmda_support.hpp"
#include "kernels/reaction.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::pde {

namespace {
constexpr auto kLocal = dmda::GhostedArray::Indexing::kLocal;  // arrays indexed locally
}  // namespace

FisherKpp::~FisherKpp() {
  dmda::DestroyAll({&uloc_, &wloc_, &bloc_, &linloc_}, &da_);
}

PetscErrorCode FisherKpp::SetFromOptions(MPI_Comm comm, const char* prefix) {
  PetscFunctionBeginUser;
  comm_ = comm;
  prefix_ = prefix ? prefix : "";
  const std::string p = prefix_ + "fisher_";
  PetscOptionsBegin(comm, p.c_str(), "Fisher-KPP physics", "physics");
  PetscCall(UdeOptionsPositiveInt("-dim", "Space dimension (1 or 2)", &dim_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-n", "Grid points per axis (periodic)", &n_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-dx", "Grid spacing (the period is n dx)", &dx_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-diffusion", "Known diffusion coefficient D (0 in the universal PDE)", &D_, nullptr));
  PetscCall(UdeOptionsReal(
      "-rate", "Known reaction rate r of r rho (1 - rho) (0 in the universal PDE)", &r_, nullptr));
  PetscCall(
      UdeOptionsReal("-ic_center", "Centre of the initial patch (per axis)", &ic_center_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-ic_halfwidth", "Half width of the initial patch",
                                   &ic_halfwidth_, nullptr));
  PetscCall(UdeOptionsPositiveReal("-ic_width", "Width of the tanh edges of the initial patch",
                                   &ic_width_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal(
      "-ic_shift", "Largest random shift of the patch centre (seeds > 0)", &ic_shift_, nullptr));
  PetscBool set = PETSC_FALSE;
  PetscCall(UdeOptionsRealList("-stencil_init",
                               "Initial stencil weights w1,w2,w3 (stencil closure)", &stencil_init_,
                               3, &set));
  PetscCall(UdeOptionsReal("-stencil_scale_init", "Initial stencil scale D0 (stencil closure)",
                           &stencil_scale_init_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-penalty", "Training penalty weight on |w1+w2+w3|",
                                      &penalty_, nullptr));
  PetscCall(UdeOptionsNonNegativeReal("-penalty_delta",
                                      "Smoothing of |w1+w2+w3| (0: exact absolute value)",
                                      &penalty_delta_, nullptr));
  PetscOptionsEnd();
  PetscCheck(dim_ == 1 || dim_ == 2, comm, PETSC_ERR_USER_INPUT,
             "option -%sdim must be 1 or 2, got %" PetscInt_FMT, p.c_str(), dim_);
  PetscCheck(stencil_init_.size() == 3, comm, PETSC_ERR_USER_INPUT,
             "option -%sstencil_init needs 3 weights w1,w2,w3, got %zu", p.c_str(),
             stencil_init_.size());
  PetscCheck(n_ >= 3, comm, PETSC_ERR_USER_INPUT,
             "option -%sn must be at least 3, got %" PetscInt_FMT, p.c_str(), n_);
  PetscCall(ClosureConfigFromOptions(comm, prefix_.c_str(), &reaction_config_));
  PetscCall(ClosureConfigFromOptions(comm, (prefix_ + "stencil_").c_str(), &stencil_config_));
  scenario_ = {ic_center_, ic_center_, ic_halfwidth_, ic_width_};
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::SetSchemeOption(const std::string& key, const std::string& value) {
  PetscFunctionBeginUser;
  if (key != "fisher_scheme") PetscCall(Physics::SetSchemeOption(key, value));
  PetscCheck(value == "classical", comm_, PETSC_ERR_USER_INPUT,
             "option -%sfisher_scheme: unknown value '%s' (choices: classical)", prefix_.c_str(),
             value.c_str());
  PetscReal D_true = 0.01, r_true = 1.0;
  PetscCall(PetscOptionsGetReal(nullptr, "truth_", "-fisher_diffusion", &D_true, nullptr));
  PetscCall(PetscOptionsGetReal(nullptr, "truth_", "-fisher_rate", &r_true, nullptr));
  D_ = D_true;
  r_ = r_true;
  reaction_config_.type = "none";
  stencil_config_.type = "none";
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::SetResolution(const std::vector<PetscInt>& cells) {
  PetscFunctionBeginUser;
  PetscCheck(!cells.empty() && cells[0] >= 3, comm_, PETSC_ERR_USER_INPUT,
             "option -%sfisher_n must be at least 3", prefix_.c_str());
  n_ = cells[0];
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::SetUp() {
  PetscFunctionBeginUser;
  PetscMPIInt size;
  PetscCallMPI(MPI_Comm_size(comm_, &size));
  if (dim_ == 1) {
    PetscCheck(n_ >= size, comm_, PETSC_ERR_USER_INPUT,
               "option -%sfisher_n: %" PetscInt_FMT " points are too few for %d ranks",
               prefix_.c_str(), n_, size);
    PetscCall(DMDACreate1d(comm_, DM_BOUNDARY_PERIODIC, n_, 1, 1, nullptr, &da_));
  } else {
    PetscCall(DMDACreate2d(comm_, DM_BOUNDARY_PERIODIC, DM_BOUNDARY_PERIODIC, DMDA_STENCIL_STAR, n_,
                           n_, PETSC_DECIDE, PETSC_DECIDE, 1, 1, nullptr, nullptr, &da_));
  }
  PetscCall(DMSetUp(da_));
  const PetscReal L = n_ * dx_;
  PetscCall(DMDASetUniformCoordinates(da_, 0, L - dx_, 0, L - dx_, 0, 0));
  PetscCall(DMDASetFieldName(da_, 0, "rho"));
  PetscInt gxs, gys, gym;
  PetscCall(DMDAGetCorners(da_, &xs_, &ys_, nullptr, &xm_, &ym_, nullptr));
  PetscCall(DMDAGetGhostCorners(da_, &gxs, &gys, nullptr, &gxm_, &gym, nullptr));
  if (dim_ == 1) {
    ys_ = gys = 0;
    ym_ = 1;
  }
  npts_ = xm_ * ym_;
  ghost_.resize(npts_);
  for (PetscInt j = 0; j < ym_; ++j)
    for (PetscInt i = 0; i < xm_; ++i)
      ghost_[j * xm_ + i] = (ys_ + j - gys) * gxm_ + (xs_ + i - gxs);
  PetscCall(dmda::CreateLocalVectors(da_, {&uloc_, &wloc_, &bloc_, &linloc_}));
  PetscCall(ClosureCreate(comm_, prefix_.c_str(), reaction_config_, 1, 1, &reaction_));
  PetscCall(ClosureCreate(comm_, (prefix_ + "stencil_").c_str(), stencil_config_, 3, 1, &stencil_));
  const PetscInt nblocks = (npts_ + kBlock - 1) / kBlock;
  lin_tapes_.resize(std::max<PetscInt>(nblocks, 1));
  lin_diag_.assign(npts_, 0.0);
  const PetscInt nb = std::min(kBlock, std::max<PetscInt>(npts_, 1));
  Xr_.resize(1, nb);
  Xs_.resize(3, dim_ * nb);
  ones_r_.setOnes(1, nb);
  ones_s_.setOnes(1, dim_ * nb);
  PetscFunctionReturn(0);
}

std::vector<PetscInt> FisherKpp::GridSize() const {
  return dim_ == 1 ? std::vector<PetscInt>{n_} : std::vector<PetscInt>{n_, n_};
}

std::vector<PetscReal> FisherKpp::DomainLength() const {
  return std::vector<PetscReal>(dim_, n_ * dx_);
}

std::string FisherKpp::Describe() const {
  std::ostringstream s;
  s << "fisher_kpp: " << dim_ << "-D, " << n_ << (dim_ == 2 ? "^2" : "") << " points, dx " << dx_
    << ", periodic; known D " << D_ << ", r " << r_ << "; reaction closure "
    << (reaction_ ? reaction_->Describe() : std::string("none")) << "; stencil closure "
    << (stencil_ ? stencil_->Describe() : std::string("none"));
  if (StencilOn()) s << ", penalty " << penalty_ << "*|w1+w2+w3|";
  return s.str();
}

// ---------------------------------------------------------------- parameters

// theta = [reaction closure's parameters, stencil closure's parameters].
PetscErrorCode FisherKpp::BindParams(const double* theta) {
  PetscFunctionBeginUser;
  if (reaction_) reaction_->Bind(theta);
  if (stencil_) stencil_->Bind(theta ? theta + NumReactionParams() : nullptr);
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::InitializeParams(double* theta) const {
  PetscFunctionBeginUser;
  if (reaction_) PetscCallCXX(reaction_->Initialize(theta));
  if (stencil_) {
    double* th = theta + NumReactionParams();
    PetscCallCXX(stencil_->Initialize(th));
    if (std::string(stencil_->Type()) == "stencil") {
      th[0] = stencil_init_[0];
      th[1] = stencil_init_[1];
      th[2] = stencil_init_[2];
      th[3] = stencil_scale_init_;
    }
  }
  PetscFunctionReturn(0);
}

double FisherKpp::ClosureFlopsPerRhs() const {
  double f = 0;
  if (ReactionOn()) f += reaction_->FlopsPerPoint() * npts_;
  if (StencilOn()) f += stencil_->FlopsPerPoint() * npts_ * dim_;
  return f;
}

double FisherKpp::ParamPenalty(const double* theta, double* gtheta) const {
  if (!StencilOn() || std::string(stencil_->Type()) != "stencil" || penalty_ == 0) return 0;
  const PetscInt o = NumReactionParams();
  const double s = theta[o] + theta[o + 1] + theta[o + 2];
  double value, slope;
  if (penalty_delta_ > 0) {
    const double q = std::sqrt(s * s + penalty_delta_ * penalty_delta_);
    value = penalty_ * (q - penalty_delta_);
    slope = penalty_ * s / q;
  } else {
    value = penalty_ * std::abs(s);
    slope = penalty_ * (s > 0 ? 1.0 : s < 0 ? -1.0 : 0.0);
  }
  if (gtheta)
    for (int k = 0; k < 3; ++k) gtheta[o + k] += slope;
  return value;
}

// ---------------------------------------------------------------- scenarios

PetscErrorCode FisherKpp::MakeScenario(uint64_t seed, Scenario* sc) const {
  PetscFunctionBeginUser;
  double u0 = 0.5, u1 = 0.5;
  if (seed != 0) Philox::Uniform2(seed, 0, 0x4669736865ULL, &u0, &u1);
  *sc = {ic_center_ + ic_shift_ * (2 * u0 - 1), ic_center_ + ic_shift_ * (2 * u1 - 1),
         ic_halfwidth_, ic_width_};
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::SetScenario(const Scenario& sc) {
  PetscFunctionBeginUser;
  PetscCheck(sc.size() == 4, comm_, PETSC_ERR_FILE_UNEXPECTED,
             "Fisher-KPP scenario: expected [cx, cy, halfwidth, width], got %zu numbers",
             sc.size());
  for (double v : sc)
    PetscCheck(std::isfinite(v), comm_, PETSC_ERR_FILE_UNEXPECTED,
               "Fisher-KPP scenario: non-finite value");
  PetscCheck(sc[2] > 0 && sc[3] > 0, comm_, PETSC_ERR_FILE_UNEXPECTED,
             "Fisher-KPP scenario: the patch half width and edge width must be positive");
  scenario_ = sc;
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::InitialCondition(Vec u) {
  PetscFunctionBeginUser;
  const double h = scenario_[2], w = scenario_[3];
  auto patch = [&](double x, double c) {
    return 0.5 * (std::tanh((x - c + h) / w) - std::tanh((x - c - h) / w));
  };
  PetscScalar* a;
  PetscCall(VecGetArray(u, &a));
  for (PetscInt j = 0; j < ym_; ++j)
    for (PetscInt i = 0; i < xm_; ++i) {
      double v = patch((xs_ + i) * dx_, scenario_[0]);
      if (dim_ == 2) v *= patch((ys_ + j) * dx_, scenario_[1]);
      a[j * xm_ + i] = v;
    }
  PetscCall(VecRestoreArray(u, &a));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- right-hand side

void FisherKpp::BuildInputs(const double* v, PetscInt q0, PetscInt nb, nn::Matrix& Xr,
                            nn::Matrix& Xs) const {
  Xr.resize(1, nb);
  Xs.resize(3, dim_ * nb);
  for (PetscInt jj = 0; jj < nb; ++jj) {
    const PetscInt g = ghost_[q0 + jj];
    Xr(0, jj) = v[g];
    Xs(0, jj) = v[g - 1];
    Xs(1, jj) = v[g];
    Xs(2, jj) = v[g + 1];
    if (dim_ == 2) {
      Xs(0, nb + jj) = v[g - gxm_];
      Xs(1, nb + jj) = v[g];
      Xs(2, nb + jj) = v[g + gxm_];
    }
  }
}

PetscErrorCode FisherKpp::ClosuresForward(const double* v, PetscInt q0, PetscInt nb, Tapes& t) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
  BuildInputs(v, q0, nb, Xr_, Xs_);
  if (ReactionOn()) PetscCallCXX(reaction_->Forward(Xr_, t.reaction));
  if (StencilOn()) PetscCallCXX(stencil_->Forward(Xs_, t.stencil));
  PetscCall(PetscLogFlops((ReactionOn() ? reaction_->FlopsPerPoint() : 0) * nb +
                          (StencilOn() ? stencil_->FlopsPerPoint() * dim_ : 0) * nb));
  PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::Rhs(PetscReal, Vec u, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs, 0, 0, 0, 0));
  dmda::GhostedArray v;
  PetscScalar* fa;
  PetscCall(v.Scatter(da_, u, uloc_, kLocal));
  PetscCall(VecGetArray(f, &fa));
  const double c = D_ / (dx_ * dx_);
  for (PetscInt q = 0; q < npts_; ++q) {
    const PetscInt g = ghost_[q];
    fa[q] = c * kernels::Laplacian(v, g, gxm_, dim_) + kernels::LogisticReaction(r_, v[g]);
  }
  if (ReactionOn() || StencilOn()) {
    for (PetscInt q0 = 0; q0 < npts_; q0 += kBlock) {
      const PetscInt nb = std::min(kBlock, npts_ - q0);
      PetscCall(ClosuresForward(v, q0, nb, rhs_tapes_));
      if (ReactionOn()) {
        const nn::Matrix& y = rhs_tapes_.reaction.Output();
        for (PetscInt jj = 0; jj < nb; ++jj) fa[q0 + jj] += y(0, jj);
      }
      if (StencilOn()) {
        const nn::Matrix& y = rhs_tapes_.stencil.Output();
        for (PetscInt a = 0; a < dim_; ++a)
          for (PetscInt jj = 0; jj < nb; ++jj) fa[q0 + jj] += y(0, a * nb + jj);
      }
    }
  }
  PetscCall(VecRestoreArray(f, &fa));
  PetscCall(v.Restore());
  PetscCall(PetscLogEventEnd(LogEvents::rhs, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- derivatives

// The closures are evaluated once here and their tapes kept for every product.
PetscErrorCode FisherKpp::Linearize(PetscReal, Vec u, bool) {
  PetscFunctionBeginUser;
  dmda::GhostedArray v;
  PetscCall(v.Scatter(da_, u, linloc_, kLocal));
  for (PetscInt q = 0; q < npts_; ++q)
    lin_diag_[q] = kernels::LogisticReactionDerivative(r_, v[ghost_[q]]);
  if (ReactionOn() || StencilOn())
    for (PetscInt b = 0, q0 = 0; q0 < npts_; q0 += kBlock, ++b)
      PetscCall(ClosuresForward(v, q0, std::min(kBlock, npts_ - q0), lin_tapes_[b]));
  PetscCall(v.Restore());
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::JacobianMult(Vec vdot, Vec Jv) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_jvp, 0, 0, 0, 0));
  dmda::GhostedArray vd;
  PetscScalar* o;
  PetscCall(vd.Scatter(da_, vdot, wloc_, kLocal));
  PetscCall(VecGetArray(Jv, &o));
  const double c = D_ / (dx_ * dx_);
  for (PetscInt q = 0; q < npts_; ++q) {
    const PetscInt g = ghost_[q];
    o[q] = c * kernels::Laplacian(vd, g, gxm_, dim_) + lin_diag_[q] * vd[g];
  }
  if (ReactionOn() || StencilOn()) {
    PetscCall(PetscLogEventBegin(LogEvents::closure_jvp, 0, 0, 0, 0));
    for (PetscInt b = 0, q0 = 0; q0 < npts_; q0 += kBlock, ++b) {
      const PetscInt nb = std::min(kBlock, npts_ - q0);
      BuildInputs(vd, q0, nb, Xr_, Xs_);
      if (ReactionOn()) {
        PetscCallCXX(reaction_->Jvp(lin_tapes_[b].reaction, Xr_, &Yr_));
        for (PetscInt jj = 0; jj < nb; ++jj) o[q0 + jj] += Yr_(0, jj);
      }
      if (StencilOn()) {
        PetscCallCXX(stencil_->Jvp(lin_tapes_[b].stencil, Xs_, &Ys_));
        for (PetscInt a = 0; a < dim_; ++a)
          for (PetscInt jj = 0; jj < nb; ++jj) o[q0 + jj] += Ys_(0, a * nb + jj);
      }
    }
    PetscCall(PetscLogEventEnd(LogEvents::closure_jvp, 0, 0, 0, 0));
  }
  PetscCall(VecRestoreArray(Jv, &o));
  PetscCall(vd.Restore());
  PetscCall(PetscLogEventEnd(LogEvents::rhs_jvp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  dmda::GhostedArray wa;
  PetscScalar* ba;
  PetscCall(wa.Scatter(da_, w, wloc_, kLocal));
  PetscCall(VecZeroEntries(bloc_));
  PetscCall(VecGetArray(bloc_, &ba));
  // The periodic Laplacian is symmetric: its transpose product is its product.
  const double c = D_ / (dx_ * dx_);
  for (PetscInt q = 0; q < npts_; ++q) {
    const PetscInt g = ghost_[q];
    ba[g] += c * kernels::Laplacian(wa, g, gxm_, dim_) + lin_diag_[q] * wa[g];
  }
  if (ReactionOn() || StencilOn()) {
    PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
    const PetscInt pr = NumReactionParams();
    for (PetscInt b = 0, q0 = 0; q0 < npts_; q0 += kBlock, ++b) {
      const PetscInt nb = std::min(kBlock, npts_ - q0);
      Yr_.resize(1, nb);
      for (PetscInt jj = 0; jj < nb; ++jj) Yr_(0, jj) = wa[ghost_[q0 + jj]];
      if (ReactionOn()) {
        PetscCallCXX(reaction_->Vjp(lin_tapes_[b].reaction, Yr_, &Xbar_r_, gtheta));
        for (PetscInt jj = 0; jj < nb; ++jj) ba[ghost_[q0 + jj]] += Xbar_r_(0, jj);
      }
      if (StencilOn()) {
        Ys_.resize(1, dim_ * nb);
        for (PetscInt a = 0; a < dim_; ++a) Ys_.middleCols(a * nb, nb) = Yr_;
        PetscCallCXX(
            stencil_->Vjp(lin_tapes_[b].stencil, Ys_, &Xbar_s_, gtheta ? gtheta + pr : nullptr));
        for (PetscInt a = 0; a < dim_; ++a) {
          const PetscInt e = a == 0 ? 1 : gxm_;
          for (PetscInt jj = 0; jj < nb; ++jj) {
            const PetscInt g = ghost_[q0 + jj];
            ba[g - e] += Xbar_s_(0, a * nb + jj);
            ba[g] += Xbar_s_(1, a * nb + jj);
            ba[g + e] += Xbar_s_(2, a * nb + jj);
          }
        }
      }
    }
    PetscCall(PetscLogFlops(2.0 * ClosureFlopsPerRhs()));
    PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
  }
  PetscCall(VecRestoreArray(bloc_, &ba));
  PetscCall(wa.Restore());
  PetscCall(dmda::LocalToGlobalSum(da_, bloc_, JTw));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::ParamJacobianMultTranspose(Vec w, double* gtheta) {
  PetscFunctionBeginUser;
  if (NumParams() == 0) PetscFunctionReturn(0);
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  const PetscScalar* wa;
  PetscCall(VecGetArrayRead(w, &wa));
  const PetscInt pr = NumReactionParams();
  for (PetscInt b = 0, q0 = 0; q0 < npts_; q0 += kBlock, ++b) {
    const PetscInt nb = std::min(kBlock, npts_ - q0);
    Yr_ = Eigen::Map<const nn::Matrix>(wa + q0, 1, nb);
    if (ReactionOn()) PetscCallCXX(reaction_->Vjp(lin_tapes_[b].reaction, Yr_, nullptr, gtheta));
    if (StencilOn()) {
      Ys_.resize(1, dim_ * nb);
      for (PetscInt a = 0; a < dim_; ++a) Ys_.middleCols(a * nb, nb) = Yr_;
      PetscCallCXX(stencil_->Vjp(lin_tapes_[b].stencil, Ys_, nullptr, gtheta + pr));
    }
  }
  PetscCall(VecRestoreArrayRead(w, &wa));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::ParamJacobianMult(const double* thetadot, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(out));
  if (NumParams() == 0) PetscFunctionReturn(0);
  PetscScalar* o;
  PetscCall(VecGetArray(out, &o));
  const PetscInt pr = NumReactionParams();
  for (PetscInt b = 0, q0 = 0; q0 < npts_; q0 += kBlock, ++b) {
    const PetscInt nb = std::min(kBlock, npts_ - q0);
    if (ReactionOn()) {
      PetscCallCXX(reaction_->ParamJvp(lin_tapes_[b].reaction, thetadot, &Yr_));
      for (PetscInt jj = 0; jj < nb; ++jj) o[q0 + jj] += Yr_(0, jj);
    }
    if (StencilOn()) {
      PetscCallCXX(stencil_->ParamJvp(lin_tapes_[b].stencil, thetadot + pr, &Ys_));
      for (PetscInt a = 0; a < dim_; ++a)
        for (PetscInt jj = 0; jj < nb; ++jj) o[q0 + jj] += Ys_(0, a * nb + jj);
    }
  }
  PetscCall(VecRestoreArray(out, &o));
  PetscFunctionReturn(0);
}

PetscErrorCode FisherKpp::CreateJacobian(Mat* J) {
  return dmda::CreateJacobian(da_, J);
}

PetscErrorCode FisherKpp::AssembleJacobian(PetscReal a, PetscReal b, Mat J) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  const double c = D_ / (dx_ * dx_);
  MatStencil cols[5];
  PetscScalar vals[5];
  for (PetscInt bk = 0, q0 = 0; q0 < npts_; q0 += kBlock, ++bk) {
    const PetscInt nb = std::min(kBlock, npts_ - q0);
    // Pointwise reaction: dNN/drho from a JVP with unit tangents; stencil: the gradient
    // of each column from a VJP with unit cotangents (columns are independent).
    if (ReactionOn())
      PetscCallCXX(reaction_->Jvp(lin_tapes_[bk].reaction, ones_r_.leftCols(nb), &Yr_));
    if (StencilOn()) {
      Ys_.setOnes(1, dim_ * nb);
      PetscCallCXX(stencil_->Vjp(lin_tapes_[bk].stencil, Ys_, &Xbar_s_, nullptr));
    }
    for (PetscInt jj = 0; jj < nb; ++jj) {
      const PetscInt q = q0 + jj, i = xs_ + q % xm_, j = ys_ + q / xm_;
      MatStencil row = {};
      row.i = i;
      row.j = j;
      double diag = -2 * dim_ * c + lin_diag_[q] + (ReactionOn() ? Yr_(0, jj) : 0.0);
      int m = 0;
      for (PetscInt ax = 0; ax < dim_; ++ax) {
        const double s0 = StencilOn() ? Xbar_s_(0, ax * nb + jj) : 0.0;
        const double s2 = StencilOn() ? Xbar_s_(2, ax * nb + jj) : 0.0;
        if (StencilOn()) diag += Xbar_s_(1, ax * nb + jj);
        for (int side : {-1, 1}) {
          cols[m] = MatStencil{};
          cols[m].i = i + (ax == 0 ? side : 0);
          cols[m].j = j + (ax == 1 ? side : 0);
          vals[m] = b * (c + (side < 0 ? s0 : s2));
          ++m;
        }
      }
      cols[m] = row;
      vals[m] = a + b * diag;
      ++m;
      PetscCall(MatSetValuesStencil(J, 1, &row, m, cols, vals, INSERT_VALUES));
    }
  }
  PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// Gershgorin bound of the Jacobian at u; the forward-Euler limit 2 / bound.  Uses the
// Rhs() work storage, so the linearization point is left alone.
PetscErrorCode FisherKpp::StableTimeStep(Vec u, PetscReal* dt) {
  PetscFunctionBeginUser;
  dmda::GhostedArray v;
  PetscCall(v.Scatter(da_, u, uloc_, kLocal));
  double local = 0;
  for (PetscInt q0 = 0; q0 < npts_; q0 += kBlock) {
    const PetscInt nb = std::min(kBlock, npts_ - q0);
    PetscCall(ClosuresForward(v, q0, nb, rhs_tapes_));
    if (ReactionOn()) PetscCallCXX(reaction_->Jvp(rhs_tapes_.reaction, ones_r_.leftCols(nb), &Yr_));
    if (StencilOn()) {
      Ys_.setOnes(1, dim_ * nb);
      PetscCallCXX(stencil_->Vjp(rhs_tapes_.stencil, Ys_, &Xbar_s_, nullptr));
    }
    for (PetscInt jj = 0; jj < nb; ++jj) {
      double s = std::abs(kernels::LogisticReactionDerivative(r_, v[ghost_[q0 + jj]]) +
                          (ReactionOn() ? Yr_(0, jj) : 0.0));
      if (StencilOn())
        for (PetscInt a = 0; a < dim_; ++a) s += Xbar_s_.col(a * nb + jj).cwiseAbs().sum();
      local = std::max(local, s);
    }
  }
  PetscCall(v.Restore());
  double bound;
  PetscCallMPI(MPI_Allreduce(&local, &bound, 1, MPI_DOUBLE, MPI_MAX, comm_));
  bound += 4.0 * dim_ * D_ / (dx_ * dx_);
  *dt = 2.0 / std::max(bound, 1e-12);
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- report

void FisherKpp::Reaction(const std::vector<double>& rho, std::vector<double>* nn) const {
  nn->assign(rho.size(), 0.0);
  if (!ReactionOn()) return;
  Closure::Tape tape;
  reaction_->Forward(Eigen::Map<const nn::Matrix>(rho.data(), 1, rho.size()), tape);
  for (size_t k = 0; k < rho.size(); ++k) (*nn)[k] = tape.Output()(0, k);
}

PetscErrorCode FisherKpp::ReportLearned(LearnedReport* report) {
  PetscFunctionBeginUser;
  // The truth the case was generated with (-truth_fisher_diffusion, -truth_fisher_rate).
  PetscReal D_true = 0.01, r_true = 1.0;
  PetscCall(PetscOptionsGetReal(nullptr, "truth_", "-fisher_diffusion", &D_true, nullptr));
  PetscCall(PetscOptionsGetReal(nullptr, "truth_", "-fisher_rate", &r_true, nullptr));
  const bool stencil = StencilOn() && std::string(stencil_->Type()) == "stencil";
  double th[4] = {0, 0, 0, 0}, D_eff = D_;
  if (stencil) {
    std::copy(stencil_->Params(), stencil_->Params() + 4, th);
    D_eff += th[3] * 0.5 * (th[0] + th[2]) * dx_ * dx_;
    PetscCall(PetscPrintf(
        comm_,
        "learned stencil: D0 %.6g, w = [%.6g, %.6g, %.6g]; w1/w3 = %.6f (truth 1), sum w = %.3e "
        "(truth 0)\n",
        th[3], th[0], th[1], th[2], th[0] / th[2], th[0] + th[1] + th[2]));
    PetscCall(PetscPrintf(comm_,
                          "learned diffusion: D_eff = D + D0 (w1+w3)/2 dx^2 = %.6g (truth %.6g, "
                          "relative error %.2e); "
                          "advection D0 (w3-w1)/2 dx = %.3e; D0 sum(w) = %.3e\n",
                          D_eff, (double)D_true, std::abs(D_eff - D_true) / D_true,
                          th[3] * 0.5 * (th[2] - th[0]) * dx_, th[3] * (th[0] + th[1] + th[2])));
  }
  const int K = 101;
  std::vector<double> rho(K), nn, learned(K), truth(K);
  for (int k = 0; k < K; ++k) rho[k] = k / double(K - 1);
  Reaction(rho, &nn);
  double err = 0, tmax = 0;
  for (int k = 0; k < K; ++k) {
    learned[k] = nn[k] + kernels::LogisticReaction(r_, rho[k]);
    truth[k] = kernels::LogisticReaction(r_true, rho[k]);
    err = std::max(err, std::abs(learned[k] - truth[k]));
    tmax = std::max(tmax, std::abs(truth[k]));
  }
  if (ReactionOn())
    PetscCall(PetscPrintf(
        comm_,
        "learned reaction: max_[0,1] |NN(rho) - r rho(1-rho)| = %.3e (%.2f%% of max r rho(1-rho) = "
        "%.3g), NN(0) = %.3e, NN(1) = %.3e, NN(0.5) = %.4f (truth %.4f)\n",
        err, 100 * err / std::max(tmax, 1e-300), tmax, learned[0], learned[K - 1], learned[K / 2],
        truth[K / 2]));
  report->format = "udeflow-fisher-kpp-report-1";
  report->text = {{"description", Describe()}};
  report->arrays = {{"rho", rho}, {"reaction_learned", learned}, {"reaction_true", truth}};
  report->values = {{"reaction_max_error", err},
                    {"D_true", (double)D_true},
                    {"r_true", (double)r_true},
                    {"D_eff", D_eff},
                    {"dx", (double)dx_}};
  if (stencil) {
    report->arrays.push_back({"stencil", std::vector<double>(th, th + 4)});
    report->values.push_back({"w1_over_w3", th[0] / th[2]});
    report->values.push_back({"sum_w", th[0] + th[1] + th[2]});
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
