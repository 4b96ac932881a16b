#pragma once
/// \file advection.hpp
/// Linear advection u_t + a . grad u = 0 on a periodic 1-D or 2-D grid (DMDA), finite
/// volumes with a flux-limited (MUSCL/Sweby) face value and a learnable limiter:
///
///   du_c/dt = -sum_d (F_{d,c+1/2} - F_{d,c-1/2}) / h_d,   F = a_d u_face,
///   u_face  = w1 + 1/2 psi(w1 - w0, w2 - w1),   psi(p, q) = phi(p/q) q,
///
/// where (w0, w1, w2) are the upwind-upwind, upwind and downwind cells of the face (their
/// order follows the sign of a_d).  Limiters phi(r) (-advection_limiter): upwind (phi=0,
/// first order), minmod, superbee, vanleer, mc, learned, and `downwind` (u_face = w2, the
/// unconditionally unstable scheme of the blow-up diagnostic).  The learned limiter is
///
///   phi(r) = minmod(r) + sigmoid(NN(rho)) (superbee(r) - minmod(r)),  rho = r / (1 + |r|),
///
/// between minmod and superbee for every parameter value, hence inside Sweby's TVD
/// region (0 <= phi <= min(2r, 2)); NN is the closure (-closure_type mlp, 1 output), rho a
/// bounded smooth feature of r.  With -advection_learned_features r_jump the network also
/// sees the face jump j = q^2 / (q^2 + delta^2) (delta = -advection_jump_scale): still the
/// 3-cell stencil, still TVD (Harten's argument needs only 0 <= phi <= min(2r, 2) face by
/// face), but it can tell resolved slopes from discontinuities.
///
/// Derivatives.  Limiters are piecewise smooth in r; the code uses the exact derivative
/// of the branch its comparisons select (at a kink r* the branch valid on the closed side
/// written in LimiterPhi, e.g. minmod uses phi' = 1 on (0, 1) and 0 at r = 1), so JVPs,
/// VJPs and the discrete adjoint are exact wherever no r sits on a kink
/// (r = 0, 1/2, 1, 2, 1/3, 3), i.e. almost everywhere.  When the face jump q is exactly 0
/// (flat data), psi = 0 and its derivatives are taken as 0; |r| is capped at 1e12.
///
/// Wide-stencil face values (6 cells s = (j-2, ..., j+3) of the face j+1/2, j upwind):
/// `weno5` (WENO-JS, fixed), `mp5` (the fifth-order linear face value clipped into Suresh &
/// Huynh's monotonicity-preserving interval [lo(s), hi(s)], fixed) and `learned_stencil`:
///
///   u_face = clip(u_lin5(s) + C(s), lo(s), hi(s)),   C = sum_m y_m(shape(s)) (s_{m+1} - s_m),
///
/// C the FaceClosure correction in coefficients form (5 first differences, network inputs the
/// normalized shape of s, so C scales with the data and vanishes on flat data).  The clip
/// keeps monotone data monotone for every parameter value at Courant numbers
/// nu <= 1/(1 + alpha) (-advection_mp_alpha; Heun/SSP stages inherit it) while allowing smooth
/// extrema, which a limiter of r cannot.  The clip selects one of three smooth branches, so
/// the derivatives are those of the selected branch (exact almost everywhere).
///
/// Exact solution: ExactSolution() gives the cell averages of u0(x - a t) (square waves,
/// Gaussians and sine mixtures, exact formulas with periodic images), used as truth.
///
/// Options (prefix + "advection_"): dim, n, ny, length, length_y, velocity, limiter, cfl,
/// learned_features, jump_scale, mp_alpha, stencil_features, ic_kinds, ic_components; closure
/// options with prefix + "closure_".
#include <memory>
#include <string>
#include <vector>

#include "face_closure.hpp"
#include "udeflow/pde/closure.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::pde {

enum class Limiter {
  kUpwind,
  kMinmod,
  kSuperbee,
  kVanLeer,
  kMC,
  kLearned,
  kDownwind,
  kWeno5,
  kMp5,
  kLearnedStencil
};
/// "upwind", "minmod", "superbee", "vanleer", "mc", "learned", "downwind", "weno5", "mp5",
/// "learned_stencil".
const char* LimiterName(Limiter l);

/// phi(r) of a fixed limiter and phi'(r) (the branch derivative, see above).  Pure.
double LimiterPhi(Limiter l, double r, double* dphi);

class Advection final : public Physics {
 public:
  Advection() = default;
  ~Advection() override;
  const char* Type() const override { return "advection"; }
  PetscErrorCode SetFromOptions(MPI_Comm comm, const char* prefix) override;
  PetscErrorCode SetUp() override;
  DM Grid() const override { return da_; }
  std::string Describe() const override;

  std::vector<PetscInt> GridSize() const override;
  std::vector<PetscReal> DomainLength() const override;
  std::vector<std::string> FieldNames() const override { return {"u"}; }
  std::vector<std::string> ResolutionOptions() const override;
  /// "advection_limiter" (a limiter name) and "advection_ic_kinds" (a list of shapes).
  PetscErrorCode SetSchemeOption(const std::string& key, const std::string& value) override;
  std::string GetSchemeOption(const std::string& key) const override;
  std::vector<PetscReal> AdvectionVelocity() const override;
  PetscErrorCode GetLearnedCurves(LearnedCurves* curves) override;
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
  PetscErrorCode ExactSolution(PetscReal t, Vec u, bool* available) override;

  PetscErrorCode Rhs(PetscReal t, Vec u, Vec f) override;
  PetscErrorCode Linearize(PetscReal t, Vec u, bool repeated) override;
  PetscErrorCode JacobianMult(Vec v, Vec Jv) override;
  PetscErrorCode JacobianMultTranspose(Vec w, Vec JTw, double* gtheta) override;
  PetscErrorCode ParamJacobianMultTranspose(Vec w, double* gtheta) override;
  PetscErrorCode ParamJacobianMult(const double* thetadot, Vec out) override;
  PetscErrorCode CreateJacobian(Mat* J) override;
  PetscErrorCode AssembleJacobian(PetscReal a, PetscReal b, Mat J) override;
  /// cfl / sum_d |a_d| / h_d (default cfl 0.5: the forward-Euler TVD limit of limiters in
  /// Sweby's region, also for SSP Runge-Kutta such as -ts_rk_type 2a).
  PetscErrorCode StableTimeStep(Vec u, PetscReal* dt) override;

  Limiter GetLimiter() const { return limiter_; }
  int Dim() const { return dim_; }
  const std::vector<PetscReal>& Velocity() const { return vel_; }
  std::vector<PetscReal> Spacing() const { return {hx_, hy_}; }
  /// The learned phi(r) (and d phi/dr) at the given r values for a face jump q (used by
  /// the r_jump features only), with the current theta.
  PetscErrorCode LearnedPhi(const std::vector<double>& r, std::vector<double>* phi,
                            std::vector<double>* dphi, double q = 1.0);
  PetscInt LearnedFeatures() const { return features_; }
  PetscReal JumpScale() const { return jump_scale_; }

 private:
  void BuildFaces();
  bool Wide() const {
    return limiter_ == Limiter::kWeno5 || limiter_ == Limiter::kMp5 ||
           limiter_ == Limiter::kLearnedStencil;
  }
  static constexpr int kMaxStencil = 6;
  struct Face {
    PetscInt w[kMaxStencil];  // ghosted-local indices of the stencil in upwind order: (w0, w1,
                              // w2) for limiters, s[0..5] for the wide reconstructions
    PetscInt minus;           // ghosted-local index of the cell before the face (x or y)
    PetscInt plus;            // ... and after
    int dir;                  // 0: x-face, 1: y-face
    bool owned;               // the cell before the face is owned (each face owned once)
  };
  // Face values (and, if lin, the derivative data) of all faces from ghosted u.
  PetscErrorCode Faces(const double* u, bool lin, std::vector<double>* F);
  PetscErrorCode WideFaces(const double* u, bool lin, std::vector<double>* F);
  void WideFace(size_t k, const double* u, bool lin, std::vector<double>* F);
  PetscErrorCode ParamVjpFromFaces(double* gtheta);
  void Divergence(const std::vector<double>& F, double* f) const;
  void FacesFromCells(const double* wl, std::vector<double>* Fbar) const;
  double CellAverage0(double xa, double xb, double ya, double yb) const;

  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string prefix_;
  PetscInt dim_ = 1, nx_ = 64, ny_ = 0;
  PetscReal lx_ = 1, ly_ = 0, hx_ = 0, hy_ = 1;
  std::vector<PetscReal> vel_;
  Limiter limiter_ = Limiter::kMinmod;
  PetscReal cfl_ = 0.5;
  PetscInt features_ = 1;  // network inputs: rho (1) or rho and the jump feature (2)
  PetscReal jump_scale_ = 0.1;
  PetscReal mp_alpha_ = 1.5;
  FaceClosure::Features stencil_features_ = FaceClosure::Features::kShape;
  FaceClosure fc_;
  FaceClosure::Block block_, lin_block_;
  std::vector<double> corr_, ones_;
  nn::Matrix Xbar_;
  int nst_ = 3;  // cells per face stencil
  std::vector<std::string> ic_kinds_ = {"square", "gaussian", "sine"};
  PetscInt ic_components_ = 3;
  ClosureConfig closure_config_{"mlp", {16, 16}};
  std::unique_ptr<Closure> closure_;

  DM da_ = nullptr;
  PetscInt xs_ = 0, ys_ = 0, xm_ = 0, ym_ = 1, gxs_ = 0, gys_ = 0, gxm_ = 0;
  Vec uloc_ = nullptr, wloc_ = nullptr, bloc_ = nullptr, linloc_ = nullptr;
  std::vector<Face> faces_;
  std::vector<PetscInt> cell_faces_;  // per owned cell: x-left, x-right, y-bottom, y-top
  Scenario scenario_;

  // Work storage, sized in SetUp.
  std::vector<double> F_, Fd_, Fbar_;
  std::vector<double> coef_;   // kMaxStencil per face: dF/dw[m] at the linearization
  std::vector<double> pgain_;  // learned: dF/dz per face (z = NN output or correction C)
  nn::Matrix X_, E0_, E1_, Zbar_, Zdot_, Zj_;
  Closure::Tape tape_, lin_tape_;
  bool lin_ready_ = false;
};

}  // namespace udeflow::pde
