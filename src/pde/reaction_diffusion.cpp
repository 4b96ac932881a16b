// Tutorial physics (docs/new-physics.md): 1-D reaction-diffusion with a learned source,
//
//   u_t = D u_xx - k u + r u (1 - u) + s(u; theta)     on the periodic interval [0, L),
//
// with D, k and r known (options -rd_diffusion, -rd_decay, -rd_rate) and s a pointwise
// learned closure (options -closure_*: an MLP with one input, u, and one output, or
// "none").  Grid: n cells of width dx = L / n, the values at the cell centres, the
// second-order Laplacian (u[i-1] - 2 u[i] + u[i+1]) / dx^2 on a periodic 1-D DMDA.
//
// Because s is pointwise, df/du is tridiagonal: the Laplacian plus a diagonal
// -k + r (1 - 2u) + s'(u), which Linearize() computes once.  Every product the adjoint
// needs is then a Laplacian and a diagonal scaling, plus the closure's parameter
// products for df/dtheta.
//
// The file includes only installed headers (include/udeflow/...): the very same file is
// built into libudeflow (one line in src/pde/registry.cpp) and, against an installed
// udeflow, by the find_package consumer tests/install/tutorial_consumer.
#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "udeflow/core/options.hpp"
#include "udeflow/core/rng.hpp"
#include "udeflow/pde/closure.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {
namespace {

class ReactionDiffusion final : public Physics {
 public:
  ~ReactionDiffusion() override { DMDestroy(&da_); }
  const char* Type() const override { return "reaction_diffusion"; }

  // ---- options and set-up ----------------------------------------------------------
  // Options are read with the validated UdeOptions* readers: -help lists them with their
  // defaults, a bad value is one error line naming the option.  `prefix` is "" for the
  // model and "truth_" for the truth of `udeflow generate` (-truth_rd_rate ...).
  PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) override {
    PetscFunctionBeginUser;
    comm_ = comm;
    prefix_ = prefix ? prefix : "";
    const std::string p = prefix_ + "rd_";
    PetscOptionsBegin(comm, p.c_str(), "Reaction-diffusion physics (tutorial)", "physics");
    PetscCall(UdeOptionsPositiveInt("-n", "Grid cells (periodic)", &n_, nullptr));
    PetscCall(UdeOptionsPositiveReal("-length", "Domain length L (dx = L / n)", &L_, nullptr));
    PetscCall(UdeOptionsNonNegativeReal("-diffusion", "Known diffusion D", &D_, nullptr));
    PetscCall(UdeOptionsNonNegativeReal("-decay", "Known decay rate k of -k u", &k_, nullptr));
    PetscCall(UdeOptionsReal("-rate", "Known logistic rate r of r u (1 - u)", &r_, nullptr));
    PetscCall(UdeOptionsReal("-ic_center", "Centre of the initial bump", &ic_[0], nullptr));
    PetscCall(UdeOptionsPositiveReal("-ic_width", "Width of the initial bump", &ic_[1], nullptr));
    PetscCall(UdeOptionsReal("-ic_amplitude", "Height of the initial bump", &ic_[2], nullptr));
    PetscCall(UdeOptionsNonNegativeReal(
        "-ic_shift", "Largest random shift of the bump centre (seeds > 0)", &ic_shift_, nullptr));
    PetscOptionsEnd();
    PetscCall(SetResolution({n_}));
    // The closure reads -<prefix>closure_type, _hidden, _activation, ...
    PetscCall(ClosureConfigFromOptions(comm, prefix_.c_str(), &config_));
    scenario_ = {ic_[0], ic_[1], ic_[2]};
    PetscFunctionReturn(0);
  }

  PetscErrorCode SetUp() override {
    PetscFunctionBeginUser;
    PetscMPIInt size;
    PetscCallMPI(MPI_Comm_size(comm_, &size));
    PetscCheck(n_ >= size, comm_, PETSC_ERR_USER_INPUT,
               "option -%srd_n: %" PetscInt_FMT " cells are too few for %d ranks", prefix_.c_str(),
               n_, size);
    // One unknown per cell, stencil width 1 (u[i-1], u[i+1]), periodic.
    PetscCall(DMDACreate1d(comm_, DM_BOUNDARY_PERIODIC, n_, 1, 1, nullptr, &da_));
    PetscCall(DMSetUp(da_));
    PetscCall(DMDASetUniformCoordinates(da_, 0.5 * Dx(), L_ - 0.5 * Dx(), 0, 0, 0, 0));
    PetscCall(DMDASetFieldName(da_, 0, "u"));
    PetscCall(DMDAGetCorners(da_, &xs_, nullptr, nullptr, &xm_, nullptr, nullptr));
    // The closure: 1 input (u) and 1 output (s) per point.
    PetscCall(ClosureCreate(comm_, prefix_.c_str(), config_, 1, 1, &closure_));
    PetscFunctionReturn(0);
  }

  // ---- grid facts and settings -------------------------------------------------------
  DM Grid() const override { return da_; }
  std::string Describe() const override {
    std::ostringstream s;
    s << "reaction_diffusion: " << n_ << " cells, L " << L_ << ", periodic; known D " << D_
      << ", k " << k_ << ", r " << r_ << "; source closure "
      << (closure_ ? closure_->Describe() : config_.type);
    return s.str();
  }
  std::vector<PetscInt> GridSize() const override { return {n_}; }
  std::vector<PetscReal> DomainLength() const override { return {L_}; }
  std::vector<std::string> FieldNames() const override { return {"u"}; }
  std::vector<std::string> ResolutionOptions() const override { return {"rd_n"}; }
  PetscErrorCode SetResolution(const std::vector<PetscInt>& cells) override {
    PetscFunctionBeginUser;
    PetscCheck(cells.size() == 1 && cells[0] >= 3, comm_, PETSC_ERR_USER_INPUT,
               "option -%srd_n must be at least 3, got %" PetscInt_FMT, prefix_.c_str(),
               cells.empty() ? 0 : cells[0]);
    n_ = cells[0];
    PetscFunctionReturn(0);
  }
  const ClosureConfig& GetClosureConfig() const override { return config_; }
  void SetClosureConfig(const ClosureConfig& config) override { config_ = config; }

  // ---- parameters: all of theta belongs to the closure -------------------------------
  PetscInt NumParams() const override { return closure_->NumParams(); }
  PetscErrorCode BindParams(const double* theta) override {
    closure_->Bind(theta);
    return 0;
  }
  const double* Params() const override { return closure_->Params(); }
  PetscErrorCode InitializeParams(double* theta) const override {
    PetscFunctionBeginUser;
    PetscCallCXX(closure_->Initialize(theta));
    PetscFunctionReturn(0);
  }

  // ---- trajectories: a bump A exp(-(x - c)^2 / w^2), scenario [c, w, A] --------------
  PetscErrorCode MakeScenario(uint64_t seed, Scenario* sc) const override {
    double u0 = 0.5, u1 = 1.0;  // seed 0: the configured bump
    if (seed != 0) Philox::Uniform2(seed, 0, 0x7264, &u0, &u1);
    *sc = {ic_[0] + ic_shift_ * (2 * u0 - 1), ic_[1], ic_[2] * (0.5 + 0.5 * u1)};
    return 0;
  }
  PetscErrorCode SetScenario(const Scenario& sc) override {
    PetscFunctionBeginUser;
    PetscCheck(sc.size() == 3, comm_, PETSC_ERR_FILE_UNEXPECTED,
               "reaction_diffusion scenario: expected [centre, width, amplitude], got %zu numbers",
               sc.size());
    PetscCheck(std::isfinite(sc[0]) && std::isfinite(sc[2]) && sc[1] > 0, comm_,
               PETSC_ERR_FILE_UNEXPECTED,
               "reaction_diffusion scenario: non-finite value or width not positive");
    scenario_ = sc;
    PetscFunctionReturn(0);
  }
  PetscErrorCode InitialCondition(Vec u) override {
    PetscFunctionBeginUser;
    PetscScalar* a;
    PetscCall(DMDAVecGetArray(da_, u, &a));  // indexed by the global cell index i
    for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
      double d = (i + 0.5) * Dx() - scenario_[0];
      d -= L_ * std::round(d / L_);  // periodic distance to the centre
      a[i] = scenario_[2] * std::exp(-d * d / (scenario_[1] * scenario_[1]));
    }
    PetscCall(DMDAVecRestoreArray(da_, u, &a));
    PetscFunctionReturn(0);
  }

  // ---- the right-hand side ------------------------------------------------------------
  PetscErrorCode Rhs(PetscReal, Vec u, Vec f) override {
    PetscFunctionBeginUser;
    Vec uloc;
    const PetscScalar* ua;
    PetscScalar* fa;
    PetscCall(GetGhosted(u, &uloc, &ua));
    PetscCall(DMDAVecGetArray(da_, f, &fa));
    // The closure on all points of this rank at once (one column per point).
    PetscCallCXX(closure_->Forward(Eigen::Map<const nn::Matrix>(ua + xs_, 1, xm_), tape_));
    const nn::Matrix& s = tape_.Output();
    for (PetscInt i = xs_; i < xs_ + xm_; ++i)
      fa[i] = Laplacian(ua, i) + Known(ua[i]) + s(0, i - xs_);
    PetscCall(DMDAVecRestoreArray(da_, f, &fa));
    PetscCall(RestoreGhosted(&uloc, &ua));
    PetscFunctionReturn(0);
  }

  // ---- derivatives --------------------------------------------------------------------
  // Keeps the closure's tape at u (for df/dtheta) and the diagonal of df/du.
  PetscErrorCode Linearize(PetscReal, Vec u, bool) override {
    PetscFunctionBeginUser;
    PetscCall(DiagonalAt(u, lin_tape_, &lin_diag_));
    PetscFunctionReturn(0);
  }
  // J v = D lap(v) + diag v
  PetscErrorCode JacobianMult(Vec v, Vec Jv) override { return LapPlusDiag(v, Jv); }
  // J^T w = J w (the periodic Laplacian is symmetric); gtheta += (ds/dtheta)^T w.
  PetscErrorCode JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) override {
    PetscFunctionBeginUser;
    PetscCall(LapPlusDiag(w, JTw));
    if (gtheta) PetscCall(ParamJacobianMultTranspose(w, gtheta));
    PetscFunctionReturn(0);
  }
  PetscErrorCode ParamJacobianMultTranspose(Vec w, double* gtheta) override {
    PetscFunctionBeginUser;
    const PetscScalar* wa;
    PetscCall(VecGetArrayRead(w, &wa));  // this rank's points: a partial sum
    PetscCallCXX(
        closure_->Vjp(lin_tape_, Eigen::Map<const nn::Matrix>(wa, 1, xm_), nullptr, gtheta));
    PetscCall(VecRestoreArrayRead(w, &wa));
    PetscFunctionReturn(0);
  }
  PetscErrorCode ParamJacobianMult(const double* thetadot, Vec out) override {
    PetscFunctionBeginUser;
    nn::Matrix y;
    PetscCallCXX(closure_->ParamJvp(lin_tape_, thetadot, &y));
    PetscScalar* o;
    PetscCall(VecGetArray(out, &o));
    for (PetscInt q = 0; q < xm_; ++q) o[q] = y(0, q);
    PetscCall(VecRestoreArray(out, &o));
    PetscFunctionReturn(0);
  }
  // The DMDA's matrix has the 3-point pattern of the stencil.
  PetscErrorCode CreateJacobian(Mat* J) override { return DMCreateMatrix(da_, J); }
  // J = a I + b (df/du): row i holds b c, a + b (-2c + diag_i), b c (c = D / dx^2).
  PetscErrorCode AssembleJacobian(PetscReal a, PetscReal b, Mat J) override {
    PetscFunctionBeginUser;
    const double c = D_ / (Dx() * Dx());
    for (PetscInt i = xs_; i < xs_ + xm_; ++i) {
      MatStencil row = {}, cols[3] = {};
      cols[0].i = i - 1;  // ghost indices -1 and n wrap around (periodic DMDA)
      cols[1].i = row.i = i;
      cols[2].i = i + 1;
      const PetscScalar vals[3] = {b * c, a + b * (-2 * c + lin_diag_[i - xs_]), b * c};
      PetscCall(MatSetValuesStencil(J, 1, &row, 3, cols, vals, INSERT_VALUES));
    }
    PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
    PetscFunctionReturn(0);
  }
  // Gershgorin bound of df/du at u, the forward-Euler limit 2 / bound.  Uses the tape of
  // Rhs(), not that of Linearize(): the linearization point is left alone.
  PetscErrorCode StableTimeStep(Vec u, PetscReal* dt) override {
    PetscFunctionBeginUser;
    std::vector<double> diag;
    PetscCall(DiagonalAt(u, tape_, &diag));
    double local = 0, bound;
    for (double d : diag) local = std::max(local, std::abs(d));
    PetscCallMPI(MPI_Allreduce(&local, &bound, 1, MPI_DOUBLE, MPI_MAX, comm_));
    bound += 4 * D_ / (Dx() * Dx());
    *dt = 2 / std::max(bound, 1e-12);
    PetscFunctionReturn(0);
  }

  // ---- what was learned: the total source against the truth's on u in [0, 1] ----------
  PetscErrorCode ReportLearned(LearnedReport* report) override {
    PetscFunctionBeginUser;
    PetscReal k_true = 0, r_true = 1;  // the truth's -truth_rd_decay, -truth_rd_rate
    PetscCall(PetscOptionsGetReal(nullptr, "truth_", "-rd_decay", &k_true, nullptr));
    PetscCall(PetscOptionsGetReal(nullptr, "truth_", "-rd_rate", &r_true, nullptr));
    const int K = 101;
    std::vector<double> u(K), learned(K), truth(K);
    for (int j = 0; j < K; ++j) u[j] = j / double(K - 1);
    Closure::Tape tape;
    PetscCallCXX(closure_->Forward(Eigen::Map<const nn::Matrix>(u.data(), 1, K), tape));
    double err = 0;
    for (int j = 0; j < K; ++j) {
      learned[j] = Known(u[j]) + tape.Output()(0, j);
      truth[j] = -k_true * u[j] + r_true * u[j] * (1 - u[j]);
      err = std::max(err, std::abs(learned[j] - truth[j]));
    }
    PetscCall(PetscPrintf(comm_, "learned source: max_[0,1] |R(u) - R_true(u)| = %.3e\n", err));
    report->format = "udeflow-reaction-diffusion-report-1";
    report->text = {{"description", Describe()}};
    report->values = {{"source_max_error", err}};
    report->arrays = {{"u", u}, {"source_learned", learned}, {"source_true", truth}};
    PetscFunctionReturn(0);
  }

 private:
  double Dx() const { return L_ / n_; }
  double Known(double u) const { return -k_ * u + r_ * u * (1 - u); }
  double KnownDerivative(double u) const { return -k_ + r_ * (1 - 2 * u); }
  // D (a[i-1] - 2 a[i] + a[i+1]) / dx^2 on a ghosted array.
  double Laplacian(const PetscScalar* a, PetscInt i) const {
    return D_ / (Dx() * Dx()) * (a[i - 1] - 2 * a[i] + a[i + 1]);
  }
  // The values of global vector v with the ghost cells of this rank (indexed by global i).
  PetscErrorCode GetGhosted(Vec v, Vec* loc, const PetscScalar** a) const {
    PetscFunctionBeginUser;
    PetscCall(DMGetLocalVector(da_, loc));
    PetscCall(DMGlobalToLocalBegin(da_, v, INSERT_VALUES, *loc));
    PetscCall(DMGlobalToLocalEnd(da_, v, INSERT_VALUES, *loc));
    PetscCall(DMDAVecGetArrayRead(da_, *loc, a));
    PetscFunctionReturn(0);
  }
  PetscErrorCode RestoreGhosted(Vec* loc, const PetscScalar** a) const {
    PetscFunctionBeginUser;
    PetscCall(DMDAVecRestoreArrayRead(da_, *loc, a));
    PetscCall(DMRestoreLocalVector(da_, loc));
    PetscFunctionReturn(0);
  }
  // diag_i = -k + r (1 - 2 u_i) + s'(u_i), with the closure's tape at u kept in `tape`.
  PetscErrorCode DiagonalAt(Vec u, Closure::Tape& tape, std::vector<double>* diag) const {
    PetscFunctionBeginUser;
    const PetscScalar* ua;
    PetscCall(VecGetArrayRead(u, &ua));
    const Eigen::Map<const nn::Matrix> x(ua, 1, xm_);
    nn::Matrix ds;
    PetscCallCXX(closure_->Forward(x, tape));
    PetscCallCXX(closure_->Jvp(tape, nn::Matrix::Ones(1, xm_), &ds));  // s'(u) pointwise
    diag->resize(xm_);
    for (PetscInt q = 0; q < xm_; ++q) (*diag)[q] = KnownDerivative(ua[q]) + ds(0, q);
    PetscCall(VecRestoreArrayRead(u, &ua));
    PetscFunctionReturn(0);
  }
  // out = D lap(v) + lin_diag v (the Jacobian at the linearization point).
  PetscErrorCode LapPlusDiag(Vec v, Vec out) {
    PetscFunctionBeginUser;
    Vec vloc;
    const PetscScalar* va;
    PetscScalar* o;
    PetscCall(GetGhosted(v, &vloc, &va));
    PetscCall(DMDAVecGetArray(da_, out, &o));
    for (PetscInt i = xs_; i < xs_ + xm_; ++i) o[i] = Laplacian(va, i) + lin_diag_[i - xs_] * va[i];
    PetscCall(DMDAVecRestoreArray(da_, out, &o));
    PetscCall(RestoreGhosted(&vloc, &va));
    PetscFunctionReturn(0);
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string prefix_;
  PetscInt n_ = 64;                             // -rd_n
  PetscReal L_ = 1, D_ = 0.01, k_ = 0, r_ = 0;  // -rd_length, _diffusion, _decay, _rate
  PetscReal ic_[3] = {0.5, 0.1, 0.8};           // -rd_ic_center, _ic_width, _ic_amplitude
  PetscReal ic_shift_ = 0;                      // -rd_ic_shift
  Scenario scenario_;
  ClosureConfig config_;
  std::unique_ptr<Closure> closure_;
  DM da_ = nullptr;
  PetscInt xs_ = 0, xm_ = 0;       // this rank's cells: xs_ .. xs_ + xm_ - 1
  Closure::Tape tape_, lin_tape_;  // closure activations of Rhs() and of Linearize()
  std::vector<double> lin_diag_;   // diagonal of df/du at the linearization point
};

}  // namespace

// The factory: src/pde/registry.cpp (in the tree) or a program of its own adds it to
// PhysicsRegistry() under a name that -physics then accepts.
std::unique_ptr<Physics> MakeReactionDiffusion() {
  return std::make_unique<ReactionDiffusion>();
}

}  // namespace udeflow::pde
