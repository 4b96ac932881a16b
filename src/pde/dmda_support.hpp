#pragma once
/// \file dmda_support.hpp
/// The DMDA plumbing every grid physics repeats: ghosted local work vectors, the
/// global-to-local scatter and a read view of its result, the transpose (local-to-global
/// sum) of a product, and the Jacobian matrix with the DMDA's stencil preallocation.
#include <petscdm.h>

#include <initializer_list>

namespace udeflow::pde::dmda {

/// Local (ghosted) work vectors of `dm`: the first is created by DMCreateLocalVector, the
/// others duplicate it.
PetscErrorCode CreateLocalVectors(DM dm, std::initializer_list<Vec*> vecs);

/// Destroys the vectors (null ones are skipped) and the DM; for destructors.
void DestroyAll(std::initializer_list<Vec*> vecs, DM* dm);

/// Global-to-local scatter (INSERT_VALUES) of g into the ghosted local vector l.
PetscErrorCode GlobalToLocal(DM dm, Vec g, Vec l);

/// g = the sum over ranks of the local contributions l (ADD_VALUES into a zeroed g).
PetscErrorCode LocalToGlobalSum(DM dm, Vec l, Vec g);

/// The DMDA's matrix preallocated for its stencil only; a new nonzero is an error.
PetscErrorCode CreateJacobian(DM dm, Mat* J);

/// Read-only view of the array of a ghosted local vector, restored by Restore() or at the
/// latest by the destructor.  With Indexing::kGrid the array is indexed by the DMDA's
/// global grid index (DMDAVecGetArrayRead, 1-D), with kLocal by the local index
/// (VecGetArrayRead).
class GhostedArray {
 public:
  enum class Indexing { kLocal, kGrid };
  GhostedArray() = default;
  GhostedArray(const GhostedArray&) = delete;
  GhostedArray& operator=(const GhostedArray&) = delete;
  ~GhostedArray() { Restore(); }

  /// Fills the local vector l from the global vector g (ghosts included) and maps it.
  PetscErrorCode Scatter(DM dm, Vec g, Vec l, Indexing indexing);
  /// Maps the local vector l as it is (filled earlier).
  PetscErrorCode Map(DM dm, Vec l, Indexing indexing);
  /// Unmaps the array (no-op when nothing is mapped).
  PetscErrorCode Restore();

  const PetscScalar* data() const { return a_; }
  operator const PetscScalar*() const { return a_; }

 private:
  DM dm_ = nullptr;
  Vec l_ = nullptr;
  Indexing indexing_ = Indexing::kLocal;
  const PetscScalar* a_ = nullptr;
};

}  // namespace udeflow::pde::dmda
