#include "evaluate_common.hpp"

#include <petscdmda.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "udeflow/core/session.hpp"

namespace udeflow::workflow {

PetscErrorCode CreateCaseModel(MPI_Comm comm, const ModelSettings& s, CaseModel* m) {
  PetscFunctionBeginUser;
  PetscCall(pde::PhysicsCreateFromOptions(comm, nullptr, s.default_type, &m->physics));
  if (!s.cells.empty()) PetscCall(m->physics->SetResolution(s.cells));
  if (!s.scheme_key.empty()) PetscCall(m->physics->SetSchemeOption(s.scheme_key, s.scheme_value));
  if (s.no_closure) {
    pde::ClosureConfig none = m->physics->GetClosureConfig();
    none.type = "none";
    m->physics->SetClosureConfig(none);
  }
  PetscCall(m->physics->SetUp());
  PetscCall(pde::BindInitialParams(*m->physics, &m->theta));
  m->integrator = std::make_unique<adjoint::Integrator>(m->physics.get());
  PetscCall(m->integrator->SetFromOptions(nullptr));
  if (s.dt > 0) PetscCall(m->integrator->SetTimeStep(s.dt));
  PetscFunctionReturn(0);
}

PetscErrorCode CaseTimeStep(const CaseModel& m, PetscReal* dt) {
  PetscFunctionBeginUser;
  PetscCall(TSGetTimeStep(m.integrator->Ts(), dt));
  PetscFunctionReturn(0);
}

PetscErrorCode OpenHeldOutData(MPI_Comm comm, const std::string& path,
                               const std::vector<pde::Physics*>& models, io::Dataset* data,
                               std::vector<size_t>* tests) {
  PetscFunctionBeginUser;
  PetscCall(data->Open(comm, path, "option -dataset"));
  for (pde::Physics* p : models) PetscCall(data->CheckCompatible(*p));
  tests->clear();
  for (size_t i = 0; i < data->Trajectories().size(); ++i)
    if (data->Trajectories()[i].split == "test") tests->push_back(i);
  PetscCheck(!tests->empty(), comm, PETSC_ERR_USER_INPUT, "dataset '%s' has no test trajectories",
             path.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode ForwardAllowingDivergence(adjoint::Integrator& integ, PetscReal t0, Vec u0,
                                         const std::vector<PetscReal>& times,
                                         adjoint::Observer* observer, bool* diverged) {
  PetscFunctionBeginUser;
  PetscReal total;
  PetscErrorCode ierr = integ.Forward(t0, u0, times, observer, &total);
  *diverged = ierr == PETSC_ERR_NOT_CONVERGED;
  if (*diverged)
    SessionClearError();
  else
    PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode GridTotalVariation(DM dm, Vec u, double* tv) {
  PetscFunctionBeginUser;
  *tv = -1;
  PetscBool isda;
  PetscCall(PetscObjectTypeCompare((PetscObject)dm, DMDA, &isda));
  if (!isda) PetscFunctionReturn(0);
  PetscInt dim, M, N, dof, sw, xs, ys, xm, ym;
  DMBoundaryType bx, by;
  PetscCall(DMDAGetInfo(dm, &dim, &M, &N, nullptr, nullptr, nullptr, nullptr, &dof, &sw, &bx, &by,
                        nullptr, nullptr));
  if (dof != 1 || sw < 1 || dim > 2) PetscFunctionReturn(0);
  Vec loc;
  PetscCall(DMGetLocalVector(dm, &loc));
  PetscCall(DMGlobalToLocal(dm, u, INSERT_VALUES, loc));
  PetscCall(DMDAGetCorners(dm, &xs, &ys, nullptr, &xm, &ym, nullptr));
  double sum = 0;
  if (dim == 1) {
    const PetscScalar* a;
    PetscCall(DMDAVecGetArrayRead(dm, loc, &a));
    for (PetscInt i = xs; i < xs + xm; ++i)
      if (i + 1 < M || bx == DM_BOUNDARY_PERIODIC) sum += std::abs(a[i + 1] - a[i]);
    PetscCall(DMDAVecRestoreArrayRead(dm, loc, &a));
  } else {
    const PetscScalar** a;
    PetscCall(DMDAVecGetArrayRead(dm, loc, &a));
    for (PetscInt j = ys; j < ys + ym; ++j)
      for (PetscInt i = xs; i < xs + xm; ++i) {
        if (i + 1 < M || bx == DM_BOUNDARY_PERIODIC) sum += std::abs(a[j][i + 1] - a[j][i]);
        if (j + 1 < N || by == DM_BOUNDARY_PERIODIC) sum += std::abs(a[j + 1][i] - a[j][i]);
      }
    PetscCall(DMDAVecRestoreArrayRead(dm, loc, &a));
  }
  PetscCall(DMRestoreLocalVector(dm, &loc));
  PetscCallMPI(MPI_Allreduce(&sum, tv, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm((PetscObject)dm)));
  PetscFunctionReturn(0);
}

double TotalVariationGrowth(const std::vector<double>& tv, size_t n, double tv0) {
  double g = 0;
  if (!(tv0 > 0)) return 0;
  for (size_t k = 0; k < n && k < tv.size(); ++k) g = std::max(g, tv[k] / tv0 - 1);
  return g;
}

std::string DivergedNote(double a, double b, const std::string& model,
                         const std::string& reference) {
  const bool fa = std::isfinite(a), fb = std::isfinite(b);
  if (fa && fb) return "";
  if (!fa && !fb) return "both diverged";
  return (fa ? reference : model) + " diverged";
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

}  // namespace udeflow::workflow

namespace udeflow::workflow {

TruthComparison::TruthComparison(const io::Dataset* data, size_t traj, std::vector<PetscInt> snaps,
                                 pde::Physics* physics, double threshold)
    : data_(data), traj_(traj), snaps_(std::move(snaps)), physics_(physics), threshold_(threshold) {
  mae.assign(snaps_.size(), 0.0);
  within.assign(snaps_.size(), 0.0);
  tv.assign(snaps_.size(), -1.0);
  tv_truth.assign(snaps_.size(), -1.0);
}

TruthComparison::~TruthComparison() {
  VecDestroy(&truth_);
  VecDestroy(&coarse_truth_);
  VecDestroy(&all_u_);
  VecDestroy(&all_t_);
  VecScatterDestroy(&scatter_u_);
  VecScatterDestroy(&scatter_t_);
}

void TruthComparison::SetCoarse(pde::Physics* coarse) {
  coarse_ = coarse;
  mae_coarse.assign(snaps_.size(), 0.0);
  within_coarse.assign(snaps_.size(), 0.0);
}

PetscErrorCode TruthComparison::SetOutput(io::H5File* file, const std::string& dataset,
                                          Vec natural) {
  file_ = file;
  dataset_ = dataset;
  natural_ = natural;
  return 0;
}

PetscErrorCode TruthComparison::Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec) {
  PetscFunctionBeginUser;
  if (!truth_) PetscCall(VecDuplicate(u, &truth_));
  PetscCall(data_->ReadState(traj_, snaps_[k], *physics_, truth_));
  observed = k + 1;
  PetscCall(GridTotalVariation(physics_->Grid(), u, &tv[k]));
  PetscCall(GridTotalVariation(physics_->Grid(), truth_, &tv_truth[k]));
  PetscCall(VecAYPX(truth_, -1.0, u));  // u - truth
  PetscInt n;
  PetscReal l1;
  PetscCall(VecGetSize(u, &n));
  PetscCall(VecNorm(truth_, NORM_1, &l1));
  mae[k] = l1 / n;
  *loss += l1 / n;  // non-finite if the model diverged
  const PetscScalar* a;
  PetscInt nl;
  PetscCall(VecGetLocalSize(truth_, &nl));
  PetscCall(VecGetArrayRead(truth_, &a));
  double cnt = 0;
  for (PetscInt i = 0; i < nl; ++i) cnt += std::abs(a[i]) <= threshold_;
  PetscCall(VecRestoreArrayRead(truth_, &a));
  double tot;
  PetscCallMPI(MPI_Allreduce(&cnt, &tot, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm((PetscObject)u)));
  within[k] = tot / n;
  if (coarse_) PetscCall(CoarseError(k, u));
  if (file_) {
    PetscCall(io::GlobalToNatural(physics_->Grid(), u, natural_));
    PetscInt lo, hi;
    PetscCall(VecGetOwnershipRange(natural_, &lo, &hi));
    PetscCall(VecGetArrayRead(natural_, &a));
    PetscCall(file_->WriteSlab(dataset_, {(hsize_t)k, (hsize_t)lo}, {1, (hsize_t)(hi - lo)}, a));
    PetscCall(VecRestoreArrayRead(natural_, &a));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode TruthComparison::CoarseError(PetscInt k, Vec u) {
  PetscFunctionBeginUser;
  if (!coarse_truth_) {
    PetscCall(DMCreateGlobalVector(coarse_->Grid(), &coarse_truth_));
    PetscCall(VecScatterCreateToAll(u, &scatter_u_, &all_u_));
    PetscCall(VecScatterCreateToAll(coarse_truth_, &scatter_t_, &all_t_));
  }
  PetscCall(data_->ReadState(traj_, snaps_[k], *coarse_, coarse_truth_));
  PetscCall(VecScatterBegin(scatter_u_, u, all_u_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter_u_, u, all_u_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterBegin(scatter_t_, coarse_truth_, all_t_, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(scatter_t_, coarse_truth_, all_t_, INSERT_VALUES, SCATTER_FORWARD));
  PetscInt nf, nc;
  PetscCall(VecGetSize(all_u_, &nf));
  PetscCall(VecGetSize(all_t_, &nc));
  const PetscInt r = nf / nc;
  const PetscScalar *a, *b;
  PetscCall(VecGetArrayRead(all_u_, &a));
  PetscCall(VecGetArrayRead(all_t_, &b));
  double e = 0, cnt = 0;
  for (PetscInt i = 0; i < nc; ++i) {
    double s = 0;
    for (PetscInt q = 0; q < r; ++q) s += a[i * r + q];
    const double d = std::abs(s / r - b[i]);
    e += d;
    cnt += d <= threshold_;
  }
  PetscCall(VecRestoreArrayRead(all_u_, &a));
  PetscCall(VecRestoreArrayRead(all_t_, &b));
  mae_coarse[k] = e / nc;
  within_coarse[k] = cnt / nc;
  PetscFunctionReturn(0);
}

double TruthComparison::Survival(const std::vector<PetscReal>& times, PetscReal t0, size_t valid,
                                 bool diverged) const {
  const std::vector<double>& w = coarse_ ? within_coarse : within;
  for (size_t k = 0; k < valid; ++k)
    if (w[k] < 0.8) return times[k] - t0;
  return diverged ? times[valid] - t0 : times.back() - t0;
}

}  // namespace udeflow::workflow
