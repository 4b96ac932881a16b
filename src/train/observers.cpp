#include "udeflow/train/observers.hpp"

namespace udeflow::train {

DataMse::~DataMse() { VecDestroy(&work_); }

PetscErrorCode DataMse::Observe(PetscInt k, PetscReal, Vec u, PetscReal* loss, Vec dldu) {
  PetscFunctionBeginUser;
  if (!work_) PetscCall(VecDuplicate(u, &work_));
  PetscInt n;
  PetscCall(VecGetSize(u, &n));
  PetscCall(VecWAXPY(work_, -1.0, (*data_)[k], u));
  PetscReal nrm;
  PetscCall(VecNorm(work_, NORM_2, &nrm));
  *loss += weight_ * nrm * nrm / n;
  if (dldu) PetscCall(VecAXPBY(dldu, 2.0 * weight_ / n, 0.0, work_));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::train
