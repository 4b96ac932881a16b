#include "udeflow/train/observers.hpp"

#include <cmath>

namespace udeflow::train {

DataMisfit::~DataMisfit() {
  VecDestroy(&work_);
}

PetscErrorCode DataMisfit::Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec dldu) {
  PetscFunctionBeginUser;
  const double weight = obs_weights_ ? weight_ * (*obs_weights_)[k] : weight_;
  if (!work_) PetscCall(VecDuplicate(u, &work_));
  PetscInt n;
  PetscCall(VecGetSize(u, &n));
  PetscCall(VecWAXPY(work_, -1.0, (*data_)[k], u));
  if (kind_ == Kind::kMse) {
    PetscReal nrm;
    PetscCall(VecNorm(work_, NORM_2, &nrm));
    *loss += weight * nrm * nrm / n;
    if (dldu) PetscCall(VecAXPBY(dldu, 2.0 * weight / n, 0.0, work_));
    PetscFunctionReturn(0);
  }
  PetscInt nl;
  PetscCall(VecGetLocalSize(work_, &nl));
  const PetscScalar* e;
  PetscCall(VecGetArrayRead(work_, &e));
  PetscScalar* g = nullptr;
  if (dldu) PetscCall(VecGetArray(dldu, &g));
  double local = 0;
  const double d2 = delta_ * delta_;
  for (PetscInt i = 0; i < nl; ++i) {
    const double r = std::sqrt(e[i] * e[i] + d2);
    local += r - delta_;
    if (g) g[i] = weight / n * e[i] / r;
  }
  PetscCall(VecRestoreArrayRead(work_, &e));
  if (dldu) PetscCall(VecRestoreArray(dldu, &g));
  double total;
  PetscCallMPI(
      MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm((PetscObject)u)));
  *loss += weight * total / n;
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
