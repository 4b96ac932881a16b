#include "dmda_support.hpp"

#include <petscdmda.h>

namespace udeflow::pde::dmda {

PetscErrorCode CreateLocalVectors(DM dm, std::initializer_list<Vec*> vecs) {
  PetscFunctionBeginUser;
  Vec first = nullptr;
  for (Vec* v : vecs) {
    if (!first) {
      PetscCall(DMCreateLocalVector(dm, v));
      first = *v;
    } else {
      PetscCall(VecDuplicate(first, v));
    }
  }
  PetscFunctionReturn(0);
}

void DestroyAll(std::initializer_list<Vec*> vecs, DM* dm) {
  for (Vec* v : vecs) VecDestroy(v);
  DMDestroy(dm);
}

PetscErrorCode GlobalToLocal(DM dm, Vec g, Vec l) {
  PetscFunctionBeginUser;
  PetscCall(DMGlobalToLocalBegin(dm, g, INSERT_VALUES, l));
  PetscCall(DMGlobalToLocalEnd(dm, g, INSERT_VALUES, l));
  PetscFunctionReturn(0);
}

PetscErrorCode LocalToGlobalSum(DM dm, Vec l, Vec g) {
  PetscFunctionBeginUser;
  PetscCall(VecZeroEntries(g));
  PetscCall(DMLocalToGlobalBegin(dm, l, ADD_VALUES, g));
  PetscCall(DMLocalToGlobalEnd(dm, l, ADD_VALUES, g));
  PetscFunctionReturn(0);
}

PetscErrorCode CreateJacobian(DM dm, Mat* J) {
  PetscFunctionBeginUser;
  PetscCall(DMSetMatrixPreallocateOnly(dm, PETSC_TRUE));
  PetscCall(DMCreateMatrix(dm, J));
  PetscCall(MatSetOption(*J, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_TRUE));
  PetscFunctionReturn(0);
}

PetscErrorCode GhostedArray::Scatter(DM dm, Vec g, Vec l, Indexing indexing) {
  PetscFunctionBeginUser;
  PetscCall(GlobalToLocal(dm, g, l));
  PetscCall(Map(dm, l, indexing));
  PetscFunctionReturn(0);
}

PetscErrorCode GhostedArray::Map(DM dm, Vec l, Indexing indexing) {
  PetscFunctionBeginUser;
  PetscCall(Restore());
  if (indexing == Indexing::kGrid)
    PetscCall(DMDAVecGetArrayRead(dm, l, &a_));
  else
    PetscCall(VecGetArrayRead(l, &a_));
  dm_ = dm;
  l_ = l;
  indexing_ = indexing;
  PetscFunctionReturn(0);
}

PetscErrorCode GhostedArray::Restore() {
  PetscFunctionBeginUser;
  if (!a_) PetscFunctionReturn(0);
  if (indexing_ == Indexing::kGrid)
    PetscCall(DMDAVecRestoreArrayRead(dm_, l_, &a_));
  else
    PetscCall(VecRestoreArrayRead(l_, &a_));
  a_ = nullptr;
  PetscFunctionReturn(0);
}

}  // namespace udeflow::pde::dmda
