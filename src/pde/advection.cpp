#include "advection.hpp"

#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <sstream>

#include "dmda_support.hpp"
#include "kernels/burgers_flux.hpp"
#include "kernels/cell_averages.hpp"
#include "kernels/limiters.hpp"
#include "kernels/stencil_reconstruction.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"

namespace udeflow::pde {

namespace {

using kernels::ExpAverage;
using kernels::GaussianAverage;
using kernels::PeriodicOverlap;
using kernels::Sigmoid;
static_assert(kernels::kPi == PETSC_PI, "the kernels' pi is PETSc's");
constexpr auto kLocal = dmda::GhostedArray::Indexing::kLocal;  // arrays indexed locally

// Scenario layout: [M, (kind, A, x0, y0, wx, wy, kx, ky) x M].
constexpr int kPer = 8;
enum ShapeKind { kSquare = 0, kGaussian = 1, kSine = 2 };
constexpr double kWenoEps = 1e-6;  // epsilon of the WENO5 weights (as Burgers' default)
constexpr Limiter kAllLimiters[] = {Limiter::kUpwind,        Limiter::kMinmod, Limiter::kSuperbee,
                                    Limiter::kVanLeer,       Limiter::kMC,     Limiter::kLearned,
                                    Limiter::kDownwind,      Limiter::kWeno5,  Limiter::kMp5,
                                    Limiter::kLearnedStencil};

// -velocity: dim finite components, not all zero.
PetscErrorCode CheckVelocity(MPI_Comm comm, const std::string& p, PetscInt dim,
                             const std::vector<PetscReal>& vel) {
  PetscFunctionBeginUser;
  PetscCheck((PetscInt)vel.size() == dim, comm, PETSC_ERR_USER_INPUT,
             "option -%svelocity: %" PetscInt_FMT "-D advection needs %" PetscInt_FMT
             " component(s), got %zu",
             p.c_str(), dim, dim, vel.size());
  bool moving = false;
  for (PetscReal v : vel) {
    PetscCheck(std::isfinite(v), comm, PETSC_ERR_USER_INPUT,
               "option -%svelocity: components must be finite", p.c_str());
    moving = moving || v != 0;
  }
  PetscCheck(moving, comm, PETSC_ERR_USER_INPUT,
             "option -%svelocity: all components are zero (nothing is advected)", p.c_str());
  PetscFunctionReturn(0);
}

}  // namespace

const char* LimiterName(Limiter l) {
  switch (l) {
    case Limiter::kUpwind:
      return "upwind";
    case Limiter::kMinmod:
      return "minmod";
    case Limiter::kSuperbee:
      return "superbee";
    case Limiter::kVanLeer:
      return "vanleer";
    case Limiter::kMC:
      return "mc";
    case Limiter::kLearned:
      return "learned";
    case Limiter::kDownwind:
      return "downwind";
    case Limiter::kWeno5:
      return "weno5";
    case Limiter::kMp5:
      return "mp5";
    case Limiter::kLearnedStencil:
      return "learned_stencil";
  }
  return "?";
}

double LimiterPhi(Limiter l, double r, double* dphi) {
  switch (l) {
    case Limiter::kMinmod:
      return kernels::Minmod(r, dphi);
    case Limiter::kSuperbee:
      return kernels::Superbee(r, dphi);
    case Limiter::kVanLeer:
      return kernels::VanLeer(r, dphi);
    case Limiter::kMC:
      return kernels::MonotonizedCentral(r, dphi);
    default:
      *dphi = 0;
      return 0;
  }
}

Advection::~Advection() {
  dmda::DestroyAll({&uloc_, &wloc_, &bloc_, &linloc_}, &da_);
}

PetscErrorCode Advection::SetFromOptions(MPI_Comm comm, const char* prefix) {
  PetscFunctionBeginUser;
  comm_ = comm;
  prefix_ = prefix ? prefix : "";
  const std::string p = prefix_ + "advection_";
  std::string limiter = LimiterName(limiter_);
  std::string kinds = GetSchemeOption("advection_ic_kinds");
  std::vector<PetscReal> vel = vel_;
  PetscBool vel_set = PETSC_FALSE, ny_set = PETSC_FALSE, ly_set = PETSC_FALSE;
  std::string features = features_ == 1 ? "r" : "r_jump";
  std::string sfeatures =
      stencil_features_ == FaceClosure::Features::kShape ? "shape" : "normalized";
  PetscOptionsBegin(comm, p.c_str(), "Linear advection physics", "physics");
  PetscCall(UdeOptionsPositiveInt("-dim", "Space dimension (1 or 2)", &dim_, nullptr));
  PetscCall(UdeOptionsPositiveInt("-n", "Cells along x", &nx_, nullptr));
  ny_ = nx_;
  PetscCall(UdeOptionsPositiveInt("-ny", "Cells along y (2-D; default: -n)", &ny_, &ny_set));
  PetscCall(
      UdeOptionsPositiveReal("-length", "Length of the periodic domain along x", &lx_, nullptr));
  ly_ = lx_;
  PetscCall(
      UdeOptionsPositiveReal("-length_y", "Length along y (2-D; default: -length)", &ly_, &ly_set));
  PetscCall(UdeOptionsRealList("-velocity", "Velocity components a (1-D) or a,b (2-D)", &vel, 2,
                               &vel_set));
  PetscCall(UdeOptionsChoice(
      "-limiter",
      "Face value: flux limiter phi(r) (downwind: the unstable scheme), or a wide-stencil "
      "reconstruction (weno5, mp5, learned_stencil)",
      {"upwind", "minmod", "superbee", "vanleer", "mc", "learned", "downwind", "weno5", "mp5",
       "learned_stencil"},
      &limiter, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-cfl", "Courant number of the stable time step estimate (TVD limit 0.5)", &cfl_, nullptr));
  PetscCall(UdeOptionsChoice("-learned_features",
                             "Inputs of the learned limiter's network: r, or r and the face jump",
                             {"r", "r_jump"}, &features, nullptr));
  PetscCall(UdeOptionsPositiveReal("-jump_scale", "delta of the jump feature q^2/(q^2+delta^2)",
                                   &jump_scale_, nullptr));
  PetscCall(UdeOptionsPositiveReal(
      "-mp_alpha",
      "mp5/learned_stencil: upwind limit alpha of the monotonicity bounds (monotone for Courant "
      "number <= 1/(1+alpha))",
      &mp_alpha_, nullptr));
  PetscCall(UdeOptionsChoice("-stencil_features",
                             "learned_stencil: network inputs, the normalized shape of the 6 cells "
                             "(shape) or shape, mean and scale (normalized)",
                             {"shape", "normalized"}, &sfeatures, nullptr));
  PetscCall(UdeOptionsString("-ic_kinds",
                             "Shapes of the random initial conditions: square,gaussian,sine",
                             &kinds, nullptr));
  PetscCall(UdeOptionsPositiveInt("-ic_components", "Shapes summed in one initial condition",
                                  &ic_components_, nullptr));
  PetscOptionsEnd();
  features_ = features == "r" ? 1 : 2;
  stencil_features_ =
      sfeatures == "shape" ? FaceClosure::Features::kShape : FaceClosure::Features::kNormalized;
  PetscCheck(dim_ == 1 || dim_ == 2, comm, PETSC_ERR_USER_INPUT,
             "option -%sdim must be 1 or 2, got %" PetscInt_FMT, p.c_str(), dim_);
  if (!ny_set) ny_ = nx_;
  if (!ly_set) ly_ = lx_;
  if (dim_ == 1) {
    ny_ = 1;
    ly_ = 1;
  }
  if (!vel_set) vel = dim_ == 1 ? std::vector<PetscReal>{1.0} : std::vector<PetscReal>{1.0, 0.5};
  PetscCall(CheckVelocity(comm, p, dim_, vel));
  vel_ = vel;
  if (dim_ == 1) vel_.push_back(0.0);
  PetscCall(SetSchemeOption("advection_limiter", limiter));
  PetscCall(SetSchemeOption("advection_ic_kinds", kinds));
  PetscCall(ClosureConfigFromOptions(comm, prefix_.c_str(), &closure_config_));
  PetscFunctionReturn(0);
}

std::vector<PetscInt> Advection::GridSize() const {
  return dim_ == 1 ? std::vector<PetscInt>{nx_} : std::vector<PetscInt>{nx_, ny_};
}

std::vector<PetscReal> Advection::DomainLength() const {
  return dim_ == 1 ? std::vector<PetscReal>{lx_} : std::vector<PetscReal>{lx_, ly_};
}

std::vector<std::string> Advection::ResolutionOptions() const {
  return dim_ == 1 ? std::vector<std::string>{"advection_n"}
                   : std::vector<std::string>{"advection_n", "advection_ny"};
}

PetscErrorCode Advection::SetResolution(const std::vector<PetscInt>& cells) {
  PetscFunctionBeginUser;
  PetscCheck((PetscInt)cells.size() == dim_ && cells[0] > 0 && cells.back() > 0, comm_,
             PETSC_ERR_USER_INPUT,
             "option -%sadvection_n: %" PetscInt_FMT "-D advection needs %" PetscInt_FMT
             " positive cell counts",
             prefix_.c_str(), dim_, dim_);
  nx_ = cells[0];
  if (dim_ == 2) ny_ = cells[1];
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::SetSchemeOption(const std::string& key, const std::string& value) {
  PetscFunctionBeginUser;
  const std::string p = prefix_ + "advection_";
  if (key == "advection_limiter") {
    bool found = false;
    for (Limiter l : kAllLimiters)
      if (value == LimiterName(l)) limiter_ = l, found = true;
    PetscCheck(found, comm_, PETSC_ERR_USER_INPUT,
               "option -%slimiter: unknown value '%s' (choices: upwind, minmod, superbee, vanleer, "
               "mc, learned, downwind, weno5, mp5, learned_stencil)",
               p.c_str(), value.c_str());
  } else if (key == "advection_ic_kinds") {
    ic_kinds_.clear();
    std::stringstream ss(value);
    std::string item;
    while (std::getline(ss, item, ',')) {
      PetscCheck(item == "square" || item == "gaussian" || item == "sine", comm_,
                 PETSC_ERR_USER_INPUT,
                 "option -%sic_kinds: unknown shape '%s' (choices: square, gaussian, sine)",
                 p.c_str(), item.c_str());
      ic_kinds_.push_back(item);
    }
    PetscCheck(!ic_kinds_.empty(), comm_, PETSC_ERR_USER_INPUT,
               "option -%sic_kinds: no shape given", p.c_str());
  } else {
    PetscCall(Physics::SetSchemeOption(key, value));
  }
  PetscFunctionReturn(0);
}

std::string Advection::GetSchemeOption(const std::string& key) const {
  if (key == "advection_limiter") return LimiterName(limiter_);
  if (key == "advection_ic_kinds") {
    std::string kinds;
    for (size_t i = 0; i < ic_kinds_.size(); ++i) kinds += (i ? "," : "") + ic_kinds_[i];
    return kinds;
  }
  return "";
}

std::vector<PetscReal> Advection::AdvectionVelocity() const {
  return std::vector<PetscReal>(vel_.begin(), vel_.begin() + dim_);
}

// The learned limiter and the fixed ones on r in [-1, 4] (Sweby diagram data).
PetscErrorCode Advection::GetLearnedCurves(LearnedCurves* curves) {
  PetscFunctionBeginUser;
  curves->arrays.clear();
  curves->group = "/limiter";
  if (limiter_ != Limiter::kLearned) PetscFunctionReturn(0);
  std::vector<double> r, phi, dphi;
  for (int i = 0; i <= 1000; ++i) r.push_back(-1 + 5.0 * i / 1000);
  // With the jump feature: phi(r) at a large jump (4 delta) and at a small one (delta / 4).
  PetscCall(LearnedPhi(r, &phi, &dphi, 4 * jump_scale_));
  curves->arrays.push_back({"r", r});
  curves->arrays.push_back({"learned", phi});
  if (features_ == 2) {
    PetscCall(LearnedPhi(r, &phi, &dphi, 0.25 * jump_scale_));
    curves->arrays.push_back({"learned_small_jump", phi});
  }
  for (Limiter l : {Limiter::kMinmod, Limiter::kSuperbee, Limiter::kVanLeer, Limiter::kMC}) {
    std::vector<double> v(r.size());
    double d;
    for (size_t i = 0; i < r.size(); ++i) v[i] = LimiterPhi(l, r[i], &d);
    curves->arrays.push_back({LimiterName(l), v});
  }
  PetscFunctionReturn(0);
}

// The faces of this rank's cells with their upwind stencils, and each cell's faces.
void Advection::BuildFaces() {
  // Faces: x-faces (i+1/2, j) for i in [xs-1, xs+xm), then y-faces (i, j+1/2) for j in [ys-1,
  // ys+ym).
  auto L = [&](PetscInt i, PetscInt j) { return (j - gys_) * gxm_ + (i - gxs_); };
  const int up = Wide() ? kernels::kWideUpwind : 1;  // position of the upwind cell
  faces_.clear();
  for (PetscInt j = ys_; j < ys_ + ym_; ++j)
    for (PetscInt i = xs_ - 1; i < xs_ + xm_; ++i) {
      Face f;
      f.dir = 0;
      f.minus = L(i, j);
      f.plus = L(i + 1, j);
      f.owned = i >= xs_;
      for (int m = 0; m < nst_; ++m)
        f.w[m] = vel_[0] >= 0 ? L(i - up + m, j) : L(i + 1 + up - m, j);
      faces_.push_back(f);
    }
  const PetscInt nfx = static_cast<PetscInt>(faces_.size());
  if (dim_ == 2)
    for (PetscInt j = ys_ - 1; j < ys_ + ym_; ++j)
      for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
        Face f;
        f.dir = 1;
        f.minus = L(i, j);
        f.plus = L(i, j + 1);
        f.owned = j >= ys_;
        for (int m = 0; m < nst_; ++m)
          f.w[m] = vel_[1] >= 0 ? L(i, j - up + m) : L(i, j + 1 + up - m);
        faces_.push_back(f);
      }
  cell_faces_.assign(4 * xm_ * ym_, -1);
  for (PetscInt j = 0; j < ym_; ++j)
    for (PetscInt i = 0; i < xm_; ++i) {
      PetscInt* c = &cell_faces_[4 * (j * xm_ + i)];
      c[0] = j * (xm_ + 1) + i;
      c[1] = c[0] + 1;
      if (dim_ == 2) {
        c[2] = nfx + j * xm_ + i;
        c[3] = c[2] + xm_;
      }
    }
}

PetscErrorCode Advection::SetUp() {
  PetscFunctionBeginUser;
  PetscMPIInt size;
  PetscCallMPI(MPI_Comm_size(comm_, &size));
  const std::string p = prefix_ + "advection_";
  hx_ = lx_ / nx_;
  hy_ = ly_ / ny_;
  nst_ = Wide() ? kernels::kWideStencil : 3;
  const PetscInt width = Wide() ? 3 : 2;  // ghost cells: the stencil reaches j-2 .. j+3
  if (dim_ == 1) {
    PetscCheck(nx_ >= width * size && nx_ >= 5, comm_, PETSC_ERR_USER_INPUT,
               "option -%sn: %" PetscInt_FMT " cells are too few for %d ranks (%" PetscInt_FMT
               " per rank, 5 at least)",
               p.c_str(), nx_, size, width);
    PetscCall(DMDACreate1d(comm_, DM_BOUNDARY_PERIODIC, nx_, 1, width, nullptr, &da_));
  } else {
    PetscCheck(nx_ >= 5 && ny_ >= 5 && nx_ * ny_ >= 4 * size, comm_, PETSC_ERR_USER_INPUT,
               "options -%sn/-%sny: a %" PetscInt_FMT " x %" PetscInt_FMT
               " grid is too small for %d ranks",
               p.c_str(), p.c_str(), nx_, ny_, size);
    PetscCall(DMDACreate2d(comm_, DM_BOUNDARY_PERIODIC, DM_BOUNDARY_PERIODIC, DMDA_STENCIL_STAR,
                           nx_, ny_, PETSC_DECIDE, PETSC_DECIDE, 1, width, nullptr, nullptr, &da_));
  }
  PetscCall(DMSetUp(da_));
  PetscCall(
      DMDASetUniformCoordinates(da_, 0.5 * hx_, lx_ - 0.5 * hx_, 0.5 * hy_, ly_ - 0.5 * hy_, 0, 0));
  PetscCall(DMDASetFieldName(da_, 0, "u"));
  PetscInt gym;
  PetscCall(DMDAGetCorners(da_, &xs_, &ys_, nullptr, &xm_, &ym_, nullptr));
  PetscCall(DMDAGetGhostCorners(da_, &gxs_, &gys_, nullptr, &gxm_, &gym, nullptr));
  if (dim_ == 1) {
    ys_ = gys_ = 0;
    ym_ = 1;
  }
  PetscCheck(xm_ >= width && ym_ >= (dim_ == 2 ? width : 1), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "options -%sn/-%sny: a rank owns fewer than %" PetscInt_FMT
             " cells along a direction; use fewer ranks",
             p.c_str(), p.c_str(), width);
  PetscCall(dmda::CreateLocalVectors(da_, {&uloc_, &wloc_, &bloc_, &linloc_}));

  BuildFaces();
  const size_t nf = faces_.size();
  F_.assign(nf, 0.0);
  Fd_.assign(nf, 0.0);
  Fbar_.assign(nf, 0.0);
  coef_.assign(kMaxStencil * nf, 0.0);
  pgain_.assign(nf, 0.0);
  closure_.reset();
  if (limiter_ == Limiter::kLearned) {
    PetscCall(ClosureCreate(comm_, prefix_.c_str(), closure_config_, static_cast<int>(features_), 1,
                            &closure_));
    X_.resize(features_, nf);
    E0_.setZero(features_, nf);
    E0_.row(0).setOnes();
    if (features_ == 2) {
      E1_.setZero(features_, nf);
      E1_.row(1).setOnes();
    }
    Zbar_.resize(1, nf);
  } else if (limiter_ == Limiter::kLearnedStencil) {
    FaceClosure::Config fc;
    fc.stencil = kernels::kWideStencil;
    fc.form = FaceClosure::Form::kCoefficients;
    fc.difference_order = 1;
    fc.features = stencil_features_;
    PetscCallCXX(fc_.Configure(fc));
    PetscCall(ClosureCreate(comm_, prefix_.c_str(), closure_config_, fc_.NumFeatures(),
                            fc_.NumOutputs(), &closure_));
    corr_.assign(nf, 0.0);
    ones_.assign(nf, 1.0);
  }
  PetscFunctionReturn(0);
}

std::string Advection::Describe() const {
  std::ostringstream s;
  s << "advection " << dim_ << "-D: ";
  if (dim_ == 1)
    s << nx_ << " cells, dx " << hx_ << ", velocity " << vel_[0];
  else
    s << nx_ << " x " << ny_ << " cells, h " << hx_ << " x " << hy_ << ", velocity (" << vel_[0]
      << ", " << vel_[1] << ")";
  s << ", limiter " << LimiterName(limiter_);
  if (closure_ && limiter_ == Limiter::kLearnedStencil)
    s << " = clip(linear 5th order + C, monotonicity bounds, alpha " << mp_alpha_ << "), C on a "
      << fc_.Describe() << ", NN " << closure_->Describe();
  else if (closure_)
    s << " = minmod + sigmoid(NN(r/(1+|r|)"
      << (features_ == 2 ? ", q^2/(q^2+" + std::to_string(jump_scale_) + "^2)" : "")
      << ")) (superbee - minmod), NN " << closure_->Describe();
  return s.str();
}

PetscErrorCode Advection::BindParams(const double* theta) {
  PetscFunctionBeginUser;
  if (closure_) closure_->Bind(theta);
  lin_ready_ = false;
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::InitializeParams(double* theta) const {
  PetscFunctionBeginUser;
  if (closure_) PetscCallCXX(closure_->Initialize(theta));
  PetscFunctionReturn(0);
}

double Advection::ClosureFlopsPerRhs() const {
  return closure_ ? closure_->FlopsPerPoint() * faces_.size() : 0.0;
}

// ---------------------------------------------------------------- scenarios and exact solution

PetscErrorCode Advection::MakeScenario(uint64_t seed, Scenario* sc) const {
  PetscFunctionBeginUser;
  const PetscInt M = ic_components_;
  sc->assign(1 + kPer * M, 0.0);
  (*sc)[0] = static_cast<double>(M);
  for (PetscInt m = 0; m < M; ++m) {
    double u[8];
    for (int q = 0; q < 4; ++q)
      Philox::Uniform2(seed, static_cast<uint64_t>(m), 0x416476ULL + q, &u[2 * q], &u[2 * q + 1]);
    double* c = sc->data() + 1 + kPer * m;
    const std::string& kind = ic_kinds_[std::min<size_t>(
        ic_kinds_.size() - 1, static_cast<size_t>(u[0] * ic_kinds_.size()))];
    const double Ly = dim_ == 2 ? ly_ : 1.0;
    if (kind == "square") {
      c[0] = kSquare;
      c[1] = 0.5 + 0.5 * u[1];
      c[2] = lx_ * u[2];
      c[3] = Ly * u[3];
      c[4] = lx_ * (0.05 + 0.1 * u[4]);
      c[5] = Ly * (0.05 + 0.1 * u[5]);
    } else if (kind == "gaussian") {
      c[0] = kGaussian;
      c[1] = 0.5 + 0.5 * u[1];
      c[2] = lx_ * u[2];
      c[3] = Ly * u[3];
      c[4] = lx_ * (0.03 + 0.05 * u[4]);
      c[5] = Ly * (0.03 + 0.05 * u[5]);
    } else {
      c[0] = kSine;
      c[1] = (u[1] < 0.5 ? -1 : 1) * (0.2 + 0.3 * u[6]);
      c[2] = 2 * PETSC_PI * u[2];  // phase
      c[6] = 1 + std::min(2.0, std::floor(3 * u[4]));
      c[7] = dim_ == 2 ? std::min(2.0, std::floor(3 * u[5])) : 0;
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::SetScenario(const Scenario& sc) {
  PetscFunctionBeginUser;
  PetscCheck(
      !sc.empty() && std::isfinite(sc[0]) && sc[0] >= 0 && sc[0] == std::floor(sc[0]) &&
          sc.size() == 1 + kPer * static_cast<size_t>(sc[0]),
      comm_, PETSC_ERR_FILE_UNEXPECTED,
      "advection scenario: expected [M, (kind, A, x0, y0, wx, wy, kx, ky) x M], got %zu numbers",
      sc.size());
  for (size_t m = 0; m < static_cast<size_t>(sc[0]); ++m) {
    const double* c = sc.data() + 1 + kPer * m;
    for (int q = 0; q < kPer; ++q)
      PetscCheck(std::isfinite(c[q]), comm_, PETSC_ERR_FILE_UNEXPECTED,
                 "advection scenario: non-finite value");
    PetscCheck(c[0] == kSquare || c[0] == kGaussian || c[0] == kSine, comm_,
               PETSC_ERR_FILE_UNEXPECTED, "advection scenario: unknown shape kind %g", c[0]);
    PetscCheck(c[0] == kSine || (c[4] > 0 && c[5] > 0), comm_, PETSC_ERR_FILE_UNEXPECTED,
               "advection scenario: shape widths must be positive");
  }
  scenario_ = sc;
  PetscFunctionReturn(0);
}

// Mean of u0 over [xa, xb] x [ya, yb] (1-D: the y interval is ignored).
double Advection::CellAverage0(double xa, double xb, double ya, double yb) const {
  double v = 0;
  const size_t M = scenario_.empty() ? 0 : static_cast<size_t>(scenario_[0]);
  for (size_t m = 0; m < M; ++m) {
    const double* c = scenario_.data() + 1 + kPer * m;
    const int kind = static_cast<int>(c[0]);
    if (kind == kSquare) {
      double f = PeriodicOverlap(xa, xb, c[2] - c[4], c[2] + c[4], lx_) / (xb - xa);
      if (dim_ == 2) f *= PeriodicOverlap(ya, yb, c[3] - c[5], c[3] + c[5], ly_) / (yb - ya);
      v += c[1] * f;
    } else if (kind == kGaussian) {
      double f = GaussianAverage(xa, xb, c[2], c[4], lx_);
      if (dim_ == 2) f *= GaussianAverage(ya, yb, c[3], c[5], ly_);
      v += c[1] * f;
    } else {
      std::complex<double> e =
          std::exp(std::complex<double>(0, c[2])) * ExpAverage(xa, xb, 2 * PETSC_PI * c[6] / lx_);
      if (dim_ == 2) e *= ExpAverage(ya, yb, 2 * PETSC_PI * c[7] / ly_);
      v += c[1] * e.imag();
    }
  }
  return v;
}

PetscErrorCode Advection::ExactSolution(PetscReal t, Vec u, bool* available) {
  PetscFunctionBeginUser;
  *available = true;
  PetscScalar* a;
  PetscCall(VecGetArray(u, &a));
  // u(x, t) = u0(x - a t): shift the cell back, wrapped into the first period.
  double sx = -vel_[0] * t, sy = -vel_[1] * t;
  sx -= std::floor(sx / lx_) * lx_;
  if (dim_ == 2) sy -= std::floor(sy / ly_) * ly_;
  for (PetscInt j = ys_; j < ys_ + ym_; ++j)
    for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
      const double xa = i * hx_ + sx, ya = j * hy_ + sy;
      a[(j - ys_) * xm_ + (i - xs_)] = CellAverage0(xa, xa + hx_, ya, ya + hy_);
    }
  PetscCall(VecRestoreArray(u, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::InitialCondition(Vec u) {
  bool available;
  return ExactSolution(0.0, u, &available);
}

// ---------------------------------------------------------------- faces

PetscErrorCode Advection::Faces(const double* u, bool lin, std::vector<double>* F) {
  PetscFunctionBeginUser;
  if (Wide()) {
    PetscCall(WideFaces(u, lin, F));
    PetscFunctionReturn(0);
  }
  const size_t nf = faces_.size();
  const bool learned = limiter_ == Limiter::kLearned;
  Closure::Tape& tape = lin ? lin_tape_ : tape_;
  if (learned) {
    // The network sees rho = r / (1 + |r|) at every face.
    for (size_t k = 0; k < nf; ++k) {
      const Face& f = faces_[k];
      const double p = u[f.w[1]] - u[f.w[0]], q = u[f.w[2]] - u[f.w[1]];
      X_(0, k) = kernels::BoundedRatio(kernels::FeatureRatio(p, q));
      if (features_ == 2) X_(1, k) = kernels::JumpFeature(q, jump_scale_);
    }
    PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
    PetscCallCXX(closure_->Forward(X_, tape));
    PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nf));
    PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
    if (lin) {
      PetscCallCXX(closure_->Jvp(tape, E0_, &Zdot_));                    // dz/drho per face
      if (features_ == 2) PetscCallCXX(closure_->Jvp(tape, E1_, &Zj_));  // dz/dj per face
    }
  }
  for (size_t k = 0; k < nf; ++k) {
    const Face& f = faces_[k];
    const double a = vel_[f.dir];
    const double w0 = u[f.w[0]], w1 = u[f.w[1]], w2 = u[f.w[2]];
    double* c = &coef_[kMaxStencil * k];
    if (limiter_ == Limiter::kDownwind) {
      (*F)[k] = a * w2;
      if (lin) c[0] = 0, c[1] = 0, c[2] = a;
      continue;
    }
    const double p = w1 - w0, q = w2 - w1;
    double psi = 0, psi_p = 0, psi_q = 0, gain = 0, phi_q = 0;
    if (limiter_ != Limiter::kUpwind && q != 0) {
      bool capped;
      double r = kernels::CappedRatio(p, q, &capped), dphi = 0, phi;
      if (learned) {
        double dmm, dsb;
        const double mm = LimiterPhi(Limiter::kMinmod, r, &dmm),
                     sb = LimiterPhi(Limiter::kSuperbee, r, &dsb);
        const double s = Sigmoid(tape.Output()(0, k));
        phi = mm + s * (sb - mm);
        if (lin) {
          const double drho = 1 / ((1 + std::abs(r)) * (1 + std::abs(r)));
          dphi = dmm + s * (dsb - dmm) + s * (1 - s) * Zdot_(0, k) * drho * (sb - mm);
          gain = 0.5 * a * q * (sb - mm) * s * (1 - s);
          if (features_ == 2) {  // phi also depends on q through j(q)
            const double d2 = jump_scale_ * jump_scale_, den = q * q + d2;
            phi_q = s * (1 - s) * Zj_(0, k) * (sb - mm) * 2 * q * d2 / (den * den);
          }
        }
      } else {
        phi = LimiterPhi(limiter_, r, &dphi);
      }
      psi = kernels::LimitedSlope(r, q, phi, dphi, phi_q, capped, &psi_p, &psi_q);
    }
    (*F)[k] = kernels::LimitedFaceFlux(a, w1, psi);
    if (lin) {
      kernels::LimitedFaceCoefficients(a, psi_p, psi_q, c);
      pgain_[k] = gain;
    }
  }
  PetscFunctionReturn(0);
}

// Wide-stencil face fluxes: the correction C of every face (learned_stencil), then each
// face's value (WideFace).
PetscErrorCode Advection::WideFaces(const double* u, bool lin, std::vector<double>* F) {
  PetscFunctionBeginUser;
  const size_t nf = faces_.size();
  if (closure_) {
    FaceClosure::Block& blk = lin ? lin_block_ : block_;
    blk.X.resize(kernels::kWideStencil, static_cast<Eigen::Index>(nf));
    for (size_t k = 0; k < nf; ++k)
      for (int m = 0; m < kernels::kWideStencil; ++m) blk.X(m, k) = u[faces_[k].w[m]];
    PetscCall(PetscLogEventBegin(LogEvents::closure_forward, 0, 0, 0, 0));
    PetscCallCXX(fc_.Forward(*closure_, blk));
    PetscCall(PetscLogFlops(closure_->FlopsPerPoint() * nf));
    PetscCall(PetscLogEventEnd(LogEvents::closure_forward, 0, 0, 0, 0));
    std::fill(corr_.begin(), corr_.end(), 0.0);
    fc_.AddValue(blk, corr_.data());
    if (lin) PetscCallCXX(fc_.Vjp(*closure_, blk, ones_.data(), &Xbar_, nullptr));  // dC/ds
  }
  for (size_t k = 0; k < nf; ++k) WideFace(k, u, lin, F);
  PetscFunctionReturn(0);
}

// One wide-stencil face: WENO5, or clip(linear 5th order (+ C), monotonicity bounds).
void Advection::WideFace(size_t k, const double* u, bool lin, std::vector<double>* F) {
  const Face& f = faces_[k];
  const double a = vel_[f.dir];
  double s[kernels::kWideStencil];
  for (int m = 0; m < kernels::kWideStencil; ++m) s[m] = u[f.w[m]];
  double* c = &coef_[kMaxStencil * k];
  if (limiter_ == Limiter::kWeno5) {
    double d[5];
    (*F)[k] = a * kernels::Weno5(s, kWenoEps, lin ? d : nullptr);
    if (lin) {
      for (int m = 0; m < 5; ++m) c[m] = a * d[m];
      c[5] = 0;
    }
    return;
  }
  kernels::StencilDual raw = kernels::LinearFifthOrder(s), lo, hi;
  kernels::MonotonicityBounds(s, mp_alpha_, &lo, &hi);
  if (closure_) {
    raw.v += corr_[k];
    if (lin)
      for (int m = 0; m < kernels::kWideStencil; ++m) raw.g[m] += Xbar_(m, k);
  }
  int which;
  (*F)[k] = a * kernels::ClipIntoBounds(raw.v, lo.v, hi.v, &which);
  if (!lin) return;
  const kernels::StencilDual& sel = which == 0 ? raw : which == 1 ? lo : hi;
  for (int m = 0; m < kernels::kWideStencil; ++m) c[m] = a * sel.g[m];
  pgain_[k] = which == 0 ? a : 0.0;  // dF/dC
}

// f_c = -sum_d (F_{c+1/2} - F_{c-1/2}) / h_d for every owned cell.
void Advection::Divergence(const std::vector<double>& F, double* f) const {
  const double ix = 1 / hx_, iy = 1 / hy_;
  const PetscInt nc = xm_ * ym_;
  for (PetscInt c = 0; c < nc; ++c) {
    const PetscInt* cf = &cell_faces_[4 * c];
    double v = -(F[cf[1]] - F[cf[0]]) * ix;
    if (dim_ == 2) v -= (F[cf[3]] - F[cf[2]]) * iy;
    f[c] = v;
  }
}

// Cotangent of the owned faces from the cotangent w of the cells (ghosted).
void Advection::FacesFromCells(const double* wl, std::vector<double>* Fbar) const {
  const double ih[2] = {1 / hx_, 1 / hy_};
  for (size_t k = 0; k < faces_.size(); ++k) {
    const Face& f = faces_[k];
    (*Fbar)[k] = f.owned ? (wl[f.plus] - wl[f.minus]) * ih[f.dir] : 0.0;
  }
}

PetscErrorCode Advection::Rhs(PetscReal, Vec u, Vec f) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::rhs, 0, 0, 0, 0));
  dmda::GhostedArray ul;
  PetscCall(ul.Scatter(da_, u, uloc_, kLocal));
  PetscCall(Faces(ul, false, &F_));
  PetscCall(ul.Restore());
  PetscScalar* fa;
  PetscCall(VecGetArray(f, &fa));
  Divergence(F_, fa);
  PetscCall(VecRestoreArray(f, &fa));
  PetscCall(PetscLogEventEnd(LogEvents::rhs, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

// ---------------------------------------------------------------- derivatives

PetscErrorCode Advection::Linearize(PetscReal, Vec u, bool) {
  PetscFunctionBeginUser;
  dmda::GhostedArray ul;
  PetscCall(ul.Scatter(da_, u, linloc_, kLocal));
  PetscCall(Faces(ul, true, &Fd_));
  PetscCall(ul.Restore());
  lin_ready_ = true;
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::JacobianMult(Vec v, Vec Jv) {
  PetscFunctionBeginUser;
  PetscCheck(lin_ready_, comm_, PETSC_ERR_ORDER, "advection: Linearize() before Jacobian products");
  PetscCall(PetscLogEventBegin(LogEvents::rhs_jvp, 0, 0, 0, 0));
  dmda::GhostedArray vl;
  PetscCall(vl.Scatter(da_, v, wloc_, kLocal));
  for (size_t k = 0; k < faces_.size(); ++k) {
    const Face& f = faces_[k];
    const double* c = &coef_[kMaxStencil * k];
    double v = 0;
    for (int m = 0; m < nst_; ++m) v += c[m] * vl[f.w[m]];
    Fd_[k] = v;
  }
  PetscCall(vl.Restore());
  PetscScalar* o;
  PetscCall(VecGetArray(Jv, &o));
  Divergence(Fd_, o);
  PetscCall(VecRestoreArray(Jv, &o));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_jvp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) {
  PetscFunctionBeginUser;
  PetscCheck(lin_ready_, comm_, PETSC_ERR_ORDER, "advection: Linearize() before Jacobian products");
  PetscCall(PetscLogEventBegin(LogEvents::rhs_vjp, 0, 0, 0, 0));
  dmda::GhostedArray wl;
  PetscCall(wl.Scatter(da_, w, wloc_, kLocal));
  FacesFromCells(wl, &Fbar_);
  PetscCall(wl.Restore());
  PetscCall(VecZeroEntries(bloc_));
  PetscScalar* b;
  PetscCall(VecGetArray(bloc_, &b));
  for (size_t k = 0; k < faces_.size(); ++k) {
    if (Fbar_[k] == 0) continue;
    const Face& f = faces_[k];
    const double* c = &coef_[kMaxStencil * k];
    for (int m = 0; m < nst_; ++m) b[f.w[m]] += c[m] * Fbar_[k];
  }
  PetscCall(VecRestoreArray(bloc_, &b));
  PetscCall(dmda::LocalToGlobalSum(da_, bloc_, JTw));
  if (gtheta && closure_ && NumParams() > 0) PetscCall(ParamVjpFromFaces(gtheta));
  PetscCall(PetscLogEventEnd(LogEvents::rhs_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::ParamJacobianMultTranspose(Vec w, double* gtheta) {
  PetscFunctionBeginUser;
  if (!closure_ || NumParams() == 0) PetscFunctionReturn(0);
  PetscCheck(lin_ready_, comm_, PETSC_ERR_ORDER, "advection: Linearize() before Jacobian products");
  dmda::GhostedArray wl;
  PetscCall(wl.Scatter(da_, w, wloc_, kLocal));
  FacesFromCells(wl, &Fbar_);
  PetscCall(wl.Restore());
  PetscCall(ParamVjpFromFaces(gtheta));
  PetscFunctionReturn(0);
}

// gtheta += (dF/dtheta)^T Fbar_ (the face cotangents in Fbar_).
PetscErrorCode Advection::ParamVjpFromFaces(double* gtheta) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::closure_vjp, 0, 0, 0, 0));
  if (limiter_ == Limiter::kLearnedStencil) {
    for (size_t k = 0; k < faces_.size(); ++k) corr_[k] = Fbar_[k] * pgain_[k];
    PetscCallCXX(fc_.Vjp(*closure_, lin_block_, corr_.data(), nullptr, gtheta));
  } else {
    for (size_t k = 0; k < faces_.size(); ++k) Zbar_(0, k) = Fbar_[k] * pgain_[k];
    PetscCallCXX(closure_->Vjp(lin_tape_, Zbar_, nullptr, gtheta));
  }
  PetscCall(PetscLogFlops(2.0 * closure_->FlopsPerPoint() * faces_.size()));
  PetscCall(PetscLogEventEnd(LogEvents::closure_vjp, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::ParamJacobianMult(const double* thetadot, Vec out) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(out));
  if (!closure_ || NumParams() == 0) PetscFunctionReturn(0);
  PetscCheck(lin_ready_, comm_, PETSC_ERR_ORDER, "advection: Linearize() before Jacobian products");
  if (limiter_ == Limiter::kLearnedStencil) {
    std::fill(corr_.begin(), corr_.end(), 0.0);
    PetscCallCXX(fc_.ParamJvp(*closure_, lin_block_, thetadot, corr_.data()));
    for (size_t k = 0; k < faces_.size(); ++k) Fd_[k] = pgain_[k] * corr_[k];
  } else {
    PetscCallCXX(closure_->ParamJvp(lin_tape_, thetadot, &Zdot_));
    for (size_t k = 0; k < faces_.size(); ++k) Fd_[k] = pgain_[k] * Zdot_(0, k);
  }
  PetscScalar* o;
  PetscCall(VecGetArray(out, &o));
  Divergence(Fd_, o);
  PetscCall(VecRestoreArray(out, &o));
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::CreateJacobian(Mat* J) {
  return dmda::CreateJacobian(da_, J);
}

PetscErrorCode Advection::AssembleJacobian(PetscReal a, PetscReal b, Mat J) {
  PetscFunctionBeginUser;
  PetscCheck(lin_ready_, comm_, PETSC_ERR_ORDER,
             "advection: Linearize() before assembling the Jacobian");
  PetscCall(PetscLogEventBegin(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  PetscCall(MatZeroEntries(J));
  const double ih[2] = {1 / hx_, 1 / hy_};
  PetscInt cols[1 + 4 * kMaxStencil];
  PetscScalar vals[1 + 4 * kMaxStencil];
  for (PetscInt j = 0; j < ym_; ++j)
    for (PetscInt i = 0; i < xm_; ++i) {
      const PetscInt c = j * xm_ + i;
      const PetscInt row = (ys_ + j - gys_) * gxm_ + (xs_ + i - gxs_);
      int n = 0;
      cols[n] = row;
      vals[n++] = a;
      for (int s = 0; s < (dim_ == 2 ? 4 : 2); ++s) {
        const PetscInt k = cell_faces_[4 * c + s];
        const Face& f = faces_[k];
        const double sign = (s % 2 ? -1.0 : 1.0) * ih[f.dir] * b;  // right/top faces leave the cell
        for (int m = 0; m < nst_; ++m) {
          cols[n] = f.w[m];
          vals[n++] = sign * coef_[kMaxStencil * k + m];
        }
      }
      PetscCall(MatSetValuesLocal(J, 1, &row, n, cols, vals, ADD_VALUES));
    }
  PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  PetscCall(PetscLogEventEnd(LogEvents::jacobian_assembly, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::StableTimeStep(Vec, PetscReal* dt) {
  PetscFunctionBeginUser;
  const double rate = std::abs(vel_[0]) / hx_ + (dim_ == 2 ? std::abs(vel_[1]) / hy_ : 0.0);
  *dt = cfl_ / rate;
  PetscFunctionReturn(0);
}

PetscErrorCode Advection::LearnedPhi(const std::vector<double>& r, std::vector<double>* phi,
                                     std::vector<double>* dphi, double q) {
  PetscFunctionBeginUser;
  PetscCheck(closure_ && limiter_ == Limiter::kLearned, comm_, PETSC_ERR_ORDER,
             "advection: the limiter is not the learned one");
  const Eigen::Index n = static_cast<Eigen::Index>(r.size());
  nn::Matrix X(features_, n), ones = nn::Matrix::Zero(features_, n), zd;
  ones.row(0).setOnes();
  for (Eigen::Index k = 0; k < n; ++k) {
    X(0, k) = kernels::BoundedRatio(r[k]);
    if (features_ == 2) X(1, k) = kernels::JumpFeature(q, jump_scale_);
  }
  Closure::Tape tape;
  PetscCallCXX(closure_->Forward(X, tape));
  PetscCallCXX(closure_->Jvp(tape, ones, &zd));
  phi->resize(n);
  dphi->resize(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    double dmm, dsb;
    const double mm = LimiterPhi(Limiter::kMinmod, r[k], &dmm),
                 sb = LimiterPhi(Limiter::kSuperbee, r[k], &dsb);
    const double s = Sigmoid(tape.Output()(0, k));
    (*phi)[k] = mm + s * (sb - mm);
    (*dphi)[k] = dmm + s * (dsb - dmm) +
                 s * (1 - s) * zd(0, k) * (sb - mm) / ((1 + std::abs(r[k])) * (1 + std::abs(r[k])));
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde
